"""Ad hoc SQL for notebooks: each query opens a read-mode connection and closes it.

Holding a connection across cells would block the scheduler (a DuckDB writer needs the
file to itself), so ``query`` never keeps one. Read mode is DuckDB's own: the connection is
read-only, reaches no file but the database, cannot change its settings, and each query
is stopped at its time limit (``pipeline.store.sql``). A statement that could write is
refused before it runs, with a sentence saying why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.errors import shorten
from pipeline.store import read
from pipeline.store.sql import (
    DEFAULT_TIME_LIMIT_S,
    QueryError,
    WriteRefusedError,
    failed,
    read_mode,
    refuse_lake_escapes,
    split_statements,
    time_limit,
    writing_statements,
)
from pipeline.words import counted, number

__all__ = [
    "DEFAULT_MAX_ROWS",
    "QueryError",
    "WriteRefusedError",
    "counts_for_readers",
    "cut_note",
    "query",
    "table_counts",
]

DEFAULT_MAX_ROWS = 10_000
# The attribute a result cut at max_rows carries: the number of rows it was cut at.
_CUT_AT = "rows_cut_at"


def query(
    db_path: Path | str,
    sql: str,
    params: Sequence[object] | None = None,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> pd.DataFrame:
    """Run ``sql`` with ``?`` parameters on a short-lived read-mode connection.

    At most ``max_rows`` rows come back, so a careless ``SELECT *`` cannot fill the memory;
    ``cut_note`` says when there were more (the query runs once and one row more is read to
    know, so how many there were in all is not known). ``timeout_s`` is how long to wait
    for a writer, ``time_limit_s`` how long the query may run. One statement at a time.
    Raises ``WriteRefusedError`` for a statement that could change the database, and
    ``QueryError`` (with DuckDB's message) for any other refusal or failure.
    """
    if isinstance(params, Mapping):
        raise QueryError(
            "params must be a list of values, one per ? in the query, in order (got a "
            f"{type(params).__name__}): write ? where each value goes, e.g. "
            'q("... WHERE platform = ?", ["euw1"]).'
        )
    if isinstance(params, str | bytes) or (params is not None and not isinstance(params, Sequence)):
        # A lone string is a sequence of its letters: "Zuzu Void" would be ten parameters.
        raise QueryError(
            f"params must be a list of values, one per ?, e.g. [{shorten(params)}] "
            f"(got a {type(params).__name__})."
        )
    with read_mode(db_path, timeout_s=timeout_s) as con:
        statements = split_statements(con, sql)
        refuse_lake_escapes(db_path, sql)
        writes = writing_statements(statements)
        if writes:
            raise _refused(", ".join(sorted(set(writes))))
        if len(statements) > 1:
            raise QueryError(
                f"One statement at a time: this text holds {len(statements)}, and only the "
                "last one's rows would show. Run each in its own query."
            )
        try:
            with time_limit(con, time_limit_s):
                result = con.execute(sql, list(params or []))
                if result.description is None:
                    return pd.DataFrame()
                columns = [d[0] for d in result.description]
                rows = result.fetchmany(max_rows + 1)
        except duckdb.Error as exc:
            if isinstance(exc, duckdb.InvalidInputException) and "read-only" in str(exc):
                raise _refused(f"this statement ({exc})") from None
            raise failed(exc) from None
    frame = pd.DataFrame(rows[:max_rows], columns=columns)
    if len(rows) > max_rows:
        frame.attrs[_CUT_AT] = max_rows
    return frame


def cut_note(frame: pd.DataFrame) -> str | None:
    """A sentence saying ``frame`` holds only the first rows of its query's result, when
    ``query`` cut it at ``max_rows``; None when it holds them all (or is no longer the cut
    result itself, e.g. its ``head()``)."""
    cut_at = frame.attrs.get(_CUT_AT)
    if cut_at is None or len(frame) != cut_at:
        return None
    rows = counted(cut_at, "row", "rows")
    return (
        f"Only the first {rows}: the query returns more, which were cut. Narrow it (WHERE, "
        "LIMIT, an aggregate) or raise max_rows to see more."
    )


def _refused(what: str) -> WriteRefusedError:
    return WriteRefusedError(
        f"Notebook queries are read-only, so {what} was refused: it could change the "
        'database. Make changes from a shell with `smurf sql --write "..."`.'
    )


# When each row of a table was stored, for counting the table as it stood at an earlier
# time. The tables the analyzer derives from these (sums, inputs, queue, baselines) and the
# simulator's truth record no such time.
_STORED_AT = {
    "account_checks": "checked_at",
    "job_configurations": "created_at",
    "job_execution_logs": "logged_at",
    "job_executions": "created_at",
    "matches": "ingested_at",
    "players": "discovered_at",
    "rank_snapshots": "observed_at",
    "rejected_matches": "rejected_at",
    "schema_migrations": "applied_at",
    "smurf_scores": "scored_at",
}
# Stored with their match, in the same transaction.
_STORED_WITH_MATCH = ("match_participants", "match_payloads")
AS_OF_COLUMN = "rows at as_of"


def _stored_by(table: str, columns: set[tuple[str, str]]) -> str | None:
    """SQL condition: a row of ``table`` was stored by ``$as_of``; None when not known (a
    table without such a time, or a database whose tables lack the column)."""
    column = _STORED_AT.get(table)
    if column is not None and (table, column) in columns:
        return f"{column} <= $as_of"
    with_match = {(table, "match_id"), ("matches", "ingested_at")}
    if table in _STORED_WITH_MATCH and with_match <= columns:
        return "match_id IN (SELECT match_id FROM matches WHERE ingested_at <= $as_of)"
    return None


def table_counts(
    db_path: Path | str,
    *,
    as_of: datetime | None = None,
    timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
) -> pd.DataFrame:
    """Rows in each of the product's tables now, one short-lived connection. With ``as_of``
    (UTC) also the rows stored by then (column ``rows at as_of``), for the tables that
    record when each row was stored; empty for the others."""
    with read(db_path, timeout_s=timeout_s) as con:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        ]
        # Table names come from the catalog itself, quoted as identifiers.
        counts = [
            (name, con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # type: ignore[index]
            for name in tables
        ]
        frame = pd.DataFrame(counts, columns=["table", "rows"])
        if as_of is None:
            return frame
        # The store keeps UTC times without a zone.
        at = as_of.astimezone(UTC).replace(tzinfo=None) if as_of.tzinfo else as_of
        columns = {
            (str(table), str(column))
            for table, column in con.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'main'"
            ).fetchall()
        }
        then: list[int | None] = []
        for name in tables:
            condition = _stored_by(name, columns)
            row = (
                con.execute(
                    f'SELECT count(*) FROM "{name}" WHERE {condition}',
                    {"as_of": at},
                ).fetchone()
                if condition is not None
                else None
            )
            then.append(int(row[0]) if row else None)
    frame[AS_OF_COLUMN] = pd.array(then, dtype="Int64")
    return frame


def counts_for_readers(counts: pd.DataFrame) -> pd.DataFrame:
    """``table_counts`` as a report shows it: "n/a" where a table records no time to count
    it as of (a blank cell would read as none stored); no such column when it would repeat
    the rows (nothing stored since ``as_of``: a report of now is dated by its runner)."""
    if AS_OF_COLUMN not in counts.columns:
        return counts
    known = counts[AS_OF_COLUMN].notna()
    if (counts.loc[known, AS_OF_COLUMN] == counts.loc[known, "rows"]).all():
        return counts.drop(columns=AS_OF_COLUMN)
    then = [number(int(n)) if pd.notna(n) else "n/a" for n in counts[AS_OF_COLUMN]]
    return counts.assign(**{AS_OF_COLUMN: then})
