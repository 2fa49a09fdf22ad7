"""Ordered SQL migrations recorded in ``schema_migrations``.

Migrations are the files ``migrations/NNN_name.sql`` in this package, applied in order, each
in its own transaction together with its ``schema_migrations`` row, so a failure leaves the
database at the previous version (``MigrationError`` names the file and DuckDB's reason).
Applying is idempotent, and safe when several processes
migrate at once: each migration checks the version again inside its transaction. A DuckDB
file that holds tables but no ``schema_migrations`` is another program's database: it is
refused (``ForeignDatabaseError``) before anything is written, not filled with ours.

A lake runs the same migrations, adapted by ``pipeline.store.lake_schema`` (no keys, no
sequences).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import duckdb

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.log import get_logger
from pipeline.store.aggregates import complete_aggregates
from pipeline.store.connection import require_file, write
from pipeline.store.errors import (
    ForeignDatabaseError,
    MigrationError,
    SchemaOutOfDateError,
    SchemaTooNewError,
)
from pipeline.store.lake_schema import run_ddl
from pipeline.store.location import LakeLocation, Location, parse_location

log = get_logger(__name__)

_FILE_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
# What a migration's SQL cannot do itself, run in its transaction after it: fill the
# aggregate tables from the games already stored, once their layout is complete (so that
# the writers' statements apply; it was complete at 13 until the weeks gained their lobby
# sums at 22, and again until the sums gained the lobby z squared at 26).
_AFTER = {26: complete_aggregates}


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    file: str  # where it was read from, for a message about it


def available_migrations() -> list[Migration]:
    """Every migration shipped with the package, in version order."""
    found = []
    for entry in resources.files("pipeline.store").joinpath("migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(
                Migration(int(match.group(1)), match.group(2), entry.read_text(), str(entry))
            )
    found.sort(key=lambda m: m.version)
    return found


def latest_version() -> int:
    return available_migrations()[-1].version


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest applied version, 0 for a database that was never migrated."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


MIGRATIONS_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
)


def migrate(path: Location | str, *, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> list[Migration]:
    """Apply pending migrations to the database at ``path`` (a file is created if missing)."""
    applied: list[Migration] = []
    with write(path, timeout_s=timeout_s) as con:
        refuse_foreign_database(con, path)  # before anything is written
        run_ddl(con, MIGRATIONS_TABLE_SQL)
        current = current_version(con)
    latest = latest_version()
    if current > latest:
        raise SchemaTooNewError(str(path), current, latest)
    for migration in available_migrations():
        if migration.version <= current:
            continue
        # One transaction per migration: a failure leaves the previous version intact.
        with write(path, timeout_s=timeout_s) as con:
            now = current_version(con)
            if now >= migration.version:
                continue  # another process applied it meanwhile
            _apply(con, migration, now)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [migration.version, migration.name, datetime.now(UTC).replace(tzinfo=None)],
            )
        log.debug("db.migration_applied", version=migration.version, name=migration.name)
        applied.append(migration)
    if applied:
        # One line for the whole upgrade: a new database applies every migration, and a line
        # each buried the summary of the command that opened it.
        log.info(
            "db.migrated",
            from_version=current,
            to_version=applied[-1].version,
            migrations=len(applied),
        )
    if applied and not isinstance(parse_location(path), LakeLocation):
        # A migration that changed data only (a job's seeded configuration) would otherwise
        # wait in the write-ahead log, and a copy of the file alone would read as the
        # version before it.
        with write(path, timeout_s=timeout_s) as con:
            con.execute("CHECKPOINT")
    return applied


# What goes wrong beside a migration's SQL (a full disk, a concurrent commit, Ctrl-C) is
# raised as it is: the migration is not the cause.
_NOT_THE_MIGRATIONS_FAULT = (
    duckdb.IOException,
    duckdb.TransactionException,
    duckdb.InterruptException,
)


def _apply(con: duckdb.DuckDBPyConnection, migration: Migration, current: int) -> None:
    """Run one migration in the caller's transaction; SQL DuckDB refuses becomes a
    ``MigrationError`` naming the file (the caller's transaction then rolls it all back)."""
    try:
        run_ddl(con, migration.sql)
        after = _AFTER.get(migration.version)
        if after is not None:
            after(con)
    except _NOT_THE_MIGRATIONS_FAULT:
        raise
    except duckdb.Error as error:
        raise MigrationError(migration.file, migration.version, current, str(error)) from error


def refuse_foreign_database(con: duckdb.DuckDBPyConnection, path: Location | str) -> None:
    """Raise ``ForeignDatabaseError`` when the DuckDB file holds tables or views but no
    ``schema_migrations``: another program's database, which migrating would fill with
    this product's tables. (A lake is left to ``smurf lake init``.)"""
    if isinstance(parse_location(path), LakeLocation) or current_version(con):
        return
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
        " AND database_name = current_database() AND table_name <> 'schema_migrations'"
        " UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"
        " AND database_name = current_database() ORDER BY 1"
    ).fetchall()
    if rows:
        raise ForeignDatabaseError(str(path), [str(name) for (name,) in rows])


def check_schema(con: duckdb.DuckDBPyConnection, path: Location | str) -> None:
    """Raise a clear error unless the database is at exactly this release's version
    (another program's database is said to be one, not told to migrate)."""
    current = current_version(con)
    latest = latest_version()
    if current == 0:
        refuse_foreign_database(con, path)
    if current < latest:
        raise SchemaOutOfDateError(str(path), current, latest)
    if current > latest:
        raise SchemaTooNewError(str(path), current, latest)


@contextmanager
def write_migrated(
    path: Location | str, *, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write transaction on a database that exists at this release's schema version. A
    missing file is not created (DuckDB would make an empty one, which only ``migrate``
    should), and a schema out of step is refused before anything is written."""
    location = parse_location(path)
    require_file(location)
    with write(location, timeout_s=timeout_s) as con:
        check_schema(con, location)
        yield con
