"""The schema on a lake: the same migrations and queries, minus what DuckLake lacks.

DuckLake (DuckDB 1.5.5) has no primary keys or unique constraints, no sequences, and so no
``INSERT .. ON CONFLICT`` and no ``RETURNING``. The store makes up for each:

- **Keys.** Migrations declare them for the embedded file; on a lake they are dropped from
  the DDL and kept by the writers, which insert only rows whose key is new (``NOT EXISTS``
  or ``MERGE INTO``, the same statements on both backends) under the lake's write lock, so
  no two writers can both find a key new. ``duplicate_keys()`` checks that it held. The
  participants' key is kept by the writers on the file too (``WRITER_KEPT_KEYS``), and a
  migration that only drops keys starts with ``FILE_ONLY_MARK``: a lake skips it.
- **Sequences.** Ids come from ``next_id()``: ``nextval`` on the file, one past the highest
  id on a lake (exact under the write lock). Rows a migration inserts without an id get
  theirs when the migration ends.
- **RETURNING.** Callers take an id from ``next_id()`` first and insert it.
- CHECK constraints are not used by the schema; a migration that adds one fails on a lake.
"""

from __future__ import annotations

import re

import duckdb

# Tables whose id comes from a sequence named <table>_id_seq on the embedded file.
ID_TABLES = ("account_checks", "job_configurations", "job_executions", "smurf_scores")

_CREATE_SEQUENCE = re.compile(r"^\s*CREATE\s+SEQUENCE\b", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?TABLE\b", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")
_TABLE_KEY = re.compile(r",\s*(PRIMARY\s+KEY|UNIQUE)\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"\s+(PRIMARY\s+KEY|UNIQUE)\b", re.IGNORECASE)
_SEQUENCE_DEFAULT = re.compile(r"\s+DEFAULT\s+nextval\s*\(\s*'[^']*'\s*\)", re.IGNORECASE)


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's default catalog is a DuckLake."""
    row = con.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return row is not None and str(row[0]) == "ducklake"


def adapt_statement(sql: str) -> str | None:
    """A migration statement as a lake takes it (None: nothing to run there)."""
    if _CREATE_SEQUENCE.match(_COMMENT.sub("", sql)):
        return None
    if not _CREATE_TABLE.match(_COMMENT.sub("", sql)):
        return sql
    table = _COMMENT.sub("", sql)
    for pattern in (_TABLE_KEY, _COLUMN_KEY, _SEQUENCE_DEFAULT):
        table = pattern.sub("", table)
    return table


# The first line of a migration that only drops keys, which a lake never had: nothing to
# do there (copying a lake's tables to recreate them without keys would change nothing).
FILE_ONLY_MARK = "-- file only:"


def run_ddl(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run schema SQL (a migration), adapted when the connection is on a lake."""
    if not is_lake(con):
        con.execute(sql)
        return
    if sql.lstrip().startswith(FILE_ONLY_MARK):
        return
    for statement in con.extract_statements(sql):
        adapted = adapt_statement(statement.query)
        if adapted is not None:
            con.execute(adapted)
    assign_missing_ids(con)


def assign_missing_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Number the rows a migration inserted without an id, after the highest id there."""
    tables = {
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    for table in ID_TABLES:
        if table not in tables:
            continue
        # Taken out and put back numbered: DuckLake has no stable row identity to update by.
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE numbered_rows AS
            SELECT * EXCLUDE (id),
                   (SELECT coalesce(max(id), 0) FROM {table}) + row_number() OVER () AS id
            FROM {table} WHERE id IS NULL
            """
        )
        con.execute(f"DELETE FROM {table} WHERE id IS NULL")
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM numbered_rows")
        con.execute("DROP TABLE numbered_rows")


def new_ids_sql(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """An SQL expression numbering the rows an ``INSERT .. SELECT`` adds to ``table``.

    On a lake the highest id is read first (the caller holds the write lock until commit).
    """
    if table not in ID_TABLES:
        raise ValueError(f"{table} has no generated ids; expected one of {', '.join(ID_TABLES)}.")
    if not is_lake(con):
        return f"nextval('{table}_id_seq')"
    row = con.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
    highest = int(row[0]) if row else 0
    return f"({highest} + row_number() OVER ())"


def next_id(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """A new id for one row of ``table``: insert that row before asking for another."""
    row = con.execute(f"SELECT {new_ids_sql(con, table)}").fetchone()
    assert row is not None
    return int(row[0])


# Keys only the writers keep, on the file too: the index of a key is written back whole at
# every checkpoint, which for the participants (a row per game) cost most of each commit.
# (The scoring queue lost its key too, migration 018, but may hold a player twice: readers
# take each player once.)
WRITER_KEPT_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("match_participants", ("match_id", "puuid")),
)


def declared_keys(con: duckdb.DuckDBPyConnection) -> list[tuple[str, tuple[str, ...]]]:
    """(table, key columns) of every primary key and unique constraint of the embedded
    schema (ask a migrated file), and the keys only the writers keep (``WRITER_KEPT_KEYS``)."""
    rows = con.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints()"
        " WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
        " AND database_name = current_database() ORDER BY table_name, constraint_index"
    ).fetchall()
    declared = [(str(table), tuple(columns)) for table, columns in rows]
    return declared + [key for key in WRITER_KEPT_KEYS if key not in declared]


def duplicate_keys(
    con: duckdb.DuckDBPyConnection, keys: list[tuple[str, tuple[str, ...]]]
) -> dict[str, int]:
    """ "table(key)" -> rows beyond the first per key value, where any key value repeats."""
    found: dict[str, int] = {}
    for table, columns in keys:
        names = ", ".join(columns)
        row = con.execute(f"SELECT count(*) - count(DISTINCT ({names})) FROM {table}").fetchone()
        if row and row[0]:
            found[f"{table}({names})"] = int(row[0])
    return found
