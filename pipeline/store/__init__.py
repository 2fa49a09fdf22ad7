"""The DuckDB store: short-lived connections, migrations, match parsing and bulk writes.

Public surface (notebooks and jobs import only these names)::

    write(path)        read-write connection for one unit of work, one transaction
    transact(path, work)  work(con) in one transaction, run again if a concurrent write collides
    read(path)         read-only connection for one unit of work
    Database(path)     a file + lock timeout; .read()/.write()/.transact(work) for jobs
    migrate(path)      apply pending migrations; check_schema(con, path) to require them
    write_migrated(path)  write transaction on an existing database at this schema version
    parse_match(payload)             match-v5 MatchDto -> ParsedMatch rows
    write_matches(con, parsed)       bulk idempotent insert of parsed matches -> WriteCounts
    write_match_frames(con, m, p, pl)  the same from DataFrames / Arrow tables
    upsert_players(con, players)     create or refresh players -> (created, updated)
    record_rank_snapshots(con, entries_by_puuid, observed_at)  rank rows, only on change
    import_paths(path, files_or_folders)  load match-v5 JSON files -> ImportReport
    load_match_payload(con, match_id)  the raw payload stored for a match (or None)

The verbs jobs and commands use on the bookkeeping tables live in their own modules, each
taking the caller's connection (so the caller decides the transaction)::

    store.players       track, untrack, players to update or fetch, advance watermark/history
    store.matches       which match ids need no fetching
    store.account_checks  ban checks due, record a check
    store.job_records   configurations; start, progress and finish an execution; listings
    store.overview      each job's activity, row counts
"""

from pipeline.store.connection import read, transact, write
from pipeline.store.database import Database
from pipeline.store.errors import (
    DatabaseBusyError,
    MatchParseError,
    MigrationError,
    SchemaOutOfDateError,
    SchemaTooNewError,
    StoreError,
    WriteConflictError,
)
from pipeline.store.importer import ImportReport, import_paths
from pipeline.store.migrate import (
    check_schema,
    current_version,
    latest_version,
    migrate,
    write_migrated,
)
from pipeline.store.parser import ParsedMatch, parse_match
from pipeline.store.payloads import load_match_payload
from pipeline.store.writers import (
    WriteCounts,
    record_rank_snapshots,
    upsert_players,
    write_match_frames,
    write_matches,
)

__all__ = [
    "Database",
    "DatabaseBusyError",
    "ImportReport",
    "MatchParseError",
    "MigrationError",
    "ParsedMatch",
    "SchemaOutOfDateError",
    "SchemaTooNewError",
    "StoreError",
    "WriteConflictError",
    "WriteCounts",
    "check_schema",
    "current_version",
    "import_paths",
    "latest_version",
    "load_match_payload",
    "migrate",
    "parse_match",
    "read",
    "record_rank_snapshots",
    "transact",
    "upsert_players",
    "write",
    "write_match_frames",
    "write_matches",
    "write_migrated",
]
