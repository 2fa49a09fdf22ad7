"""Ad hoc SQL (``smurf sql``, the notebooks' ``explorer.sql``): read mode, run, render.

Read mode is enforced by DuckDB itself: ``read_mode()`` opens the file read-only with
external access off (no file but the database can be read or written: no COPY TO,
read_csv, glob, ATTACH, EXPORT) and the configuration locked (no statement can turn that
back on, or point a query log or profile at a file); a lake, likewise, from an instance
that reaches its catalog and data path only, and ``time_limit()`` interrupts a
statement that runs too long, since a reader holds up every writer of the file (Ctrl-C
interrupts it too, as it does on every connection ``store.read`` and ``write`` open:
``store.interrupts``). Statement
types, from DuckDB's own parser, only pick the message that suggests ``--write``.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.store import lake
from pipeline.store.connection import read
from pipeline.store.errors import StoreError
from pipeline.store.location import LakeLocation, Location, parse_location
from pipeline.words import counted, number

# DuckDB settings of a read-mode connection: the database file is all it can reach.
READ_MODE_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# Run once the connection is open (a progress bar is not a setting connect accepts), the
# lock last: DuckDB then refuses every SET and PRAGMA that would change a setting.
_READ_MODE_STATEMENTS = ("SET enable_progress_bar = false", "SET lock_configuration = true")
# How long one read-mode statement may run: a reader keeps every writer of the file waiting.
DEFAULT_TIME_LIMIT_S = 10.0
MAX_TIME_LIMIT_S = 3600.0

# Statement types that read: anything else is met with the hint to add --write.
READ_STATEMENT_TYPES = frozenset(
    {
        duckdb.StatementType.SELECT,
        duckdb.StatementType.EXPLAIN,
        duckdb.StatementType.PRAGMA,
        duckdb.StatementType.SET,
        duckdb.StatementType.VARIABLE_SET,
    }
)
FORMATS = ("table", "csv", "json")


class QueryError(StoreError):
    """An ad hoc query could not be parsed or run."""


class WriteRefusedError(StoreError):
    """An ad hoc query would write, and writing was not asked for."""


class QueryTimeLimitError(QueryError):
    """A read-mode statement ran past its time limit and was interrupted."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        super().__init__(
            f"The query ran past its time limit of {limit_s:g} s and was stopped (a long read "
            "keeps the jobs from writing); narrow it, or allow more time (--time-limit-s)."
        )


@contextmanager
def read_mode(
    path: Location | str, *, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection that reaches nothing but the database (a lake: its catalog
    and data path, from an instance of its own, ``lake.sandbox``)."""
    location = parse_location(path)
    if isinstance(location, LakeLocation):
        with lake.read(location, sandboxed=True) as lake_con:
            yield lake_con
        return
    with read(location, timeout_s=timeout_s, config=READ_MODE_CONFIG) as con:
        for statement in _READ_MODE_STATEMENTS:
            con.execute(statement)
        yield con


@contextmanager
def time_limit(con: duckdb.DuckDBPyConnection, limit_s: float | None) -> Iterator[None]:
    """Interrupt what ``con`` runs once ``limit_s`` has passed (None: no limit)."""
    if limit_s is None:
        yield
        return
    timer = threading.Timer(limit_s, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    except duckdb.InterruptException:
        raise QueryTimeLimitError(limit_s) from None
    finally:
        timer.cancel()


def split_statements(con: duckdb.DuckDBPyConnection, query: str) -> list[duckdb.Statement]:
    """The statements of ``query`` as DuckDB parses them; a parse error keeps DuckDB's lines
    (``failed``)."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise failed(exc, "could not be parsed") from None
    if not statements:
        raise QueryError("The query is empty: give at least one SQL statement.")
    return list(statements)


def failed(exc: duckdb.Error, what: str = "failed") -> QueryError:
    """DuckDB's refusal of a query as a ``QueryError``, for ``smurf sql`` and the notebooks
    alike. DuckDB's lines are kept: its caret, under the line that quotes the query, points
    at the place it stopped."""
    return QueryError(f"The query {what}: {exc}")


# What a lake's read mode may not call, though its instance must reach the data path to
# read it: DuckLake's functions that rewrite, merge or delete the lake's files (they write
# there), the PostgreSQL scanner's (they run SQL on the catalog's server with the lake's
# credentials), and those that run SQL given as text (they would hide the others).
_LAKE_READS = frozenset(
    {
        "ducklake_snapshots",
        "ducklake_current_snapshot",
        "ducklake_last_committed_snapshot",
        "ducklake_table_info",
        "ducklake_list_files",
        "ducklake_table_changes",
        "ducklake_table_insertions",
        "ducklake_table_deletions",
        "ducklake_options",
    }
)
_SQL_AS_TEXT = frozenset({"query", "query_table"})


def lake_escapes(query: str) -> list[str]:
    """The functions ``query`` calls that a lake's read mode refuses (see ``_LAKE_READS``),
    by DuckDB's own tokens: a name in a string or a comment is not a call."""
    tokens = duckdb.tokenize(query)
    ends = [start for start, _ in tokens[1:]] + [len(query)]
    found = []
    for index, ((start, kind), end) in enumerate(zip(tokens, ends, strict=True)):
        if kind != duckdb.token_type.identifier:
            continue
        following = query[ends[index] : ends[index + 1]] if index + 1 < len(tokens) else ""
        if following.strip() != "(":
            continue
        name = query[start:end].strip().strip('"').lower()
        if (
            (name.startswith("ducklake_") and name not in _LAKE_READS)
            or name.startswith("postgres_")
            or name in _SQL_AS_TEXT
        ):
            found.append(name)
    return found


def refuse_lake_escapes(location: Location | str, query: str) -> None:
    """Refuse, in read mode on a lake, a query calling what ``lake_escapes`` finds."""
    if not isinstance(parse_location(location), LakeLocation):
        return
    found = lake_escapes(query)
    if found:
        raise WriteRefusedError(
            f"Read mode on a lake does not run {', '.join(sorted(set(found)))}: "
            "they write the lake's files, run SQL on its catalog's server or run SQL given "
            "as text. Lake upkeep is the LAKE_MAINTENANCE job's (`smurf run LAKE_MAINTENANCE`); "
            "--write runs anything."
        )


def writing_statements(statements: Sequence[duckdb.Statement]) -> list[str]:
    """The statement types among ``statements`` that may write (empty for a pure read)."""
    return [s.type.name for s in statements if s.type not in READ_STATEMENT_TYPES]


# The rows a table shows; more are counted, not kept (CSV and JSON print every row).
TABLE_ROWS = 1000


@dataclass(frozen=True)
class Rows:
    """The last statement's rows: all of them, or the first ``TABLE_ROWS`` and how many."""

    frame: pd.DataFrame
    count: int


def run_statements(
    con: duckdb.DuckDBPyConnection,
    statements: Sequence[duckdb.Statement],
    *,
    time_limit_s: float | None = None,
    keep: int | None = None,
) -> Rows | None:
    """Run each statement in order (each within ``time_limit_s``); the last one's rows, only
    the first ``keep`` of them held (the others counted as they stream past: a table of
    6 M rows took 3 GB to show its first thousand)."""
    result: Rows | None = None
    for statement in statements:
        try:
            with time_limit(con, time_limit_s):
                relation = con.execute(statement.query)
                if not relation.description:
                    result = None
                elif keep is None:
                    frame = relation.df()
                    result = Rows(_whole_numbers(frame, relation.description), len(frame))
                else:
                    rows = _first_rows(relation, keep)
                    result = Rows(_whole_numbers(rows.frame, relation.description), rows.count)
        except duckdb.Error as exc:
            raise failed(exc) from None
    return result


# Whole-number types pandas receives as floats (a sum of integers is a HUGEINT): printed
# "385.0". Shown as whole numbers again while a float holds them exactly.
_WIDE_WHOLE = re.compile(r"U?HUGEINT|DECIMAL\(\d+,\s*0\)")
_EXACT_IN_A_FLOAT = 2.0**53


def _whole_numbers(frame: pd.DataFrame, description: Sequence[Any]) -> pd.DataFrame:
    """``frame`` with its whole-number columns (by their SQL type in ``description``) as
    integers where every value fits a float exactly (beyond 2**53 they stay as DuckDB
    handed them over)."""
    for place, (_name, sql_type, *_rest) in enumerate(description[: frame.shape[1]]):
        values = frame.iloc[:, place]
        if not _WIDE_WHOLE.fullmatch(str(sql_type)) or values.dtype.kind != "f":
            continue
        if bool((values.abs() < _EXACT_IN_A_FLOAT).where(values.notna(), True).all()):
            frame.isetitem(place, values.astype("Int64").array)
    return frame


def _first_rows(relation: duckdb.DuckDBPyConnection, keep: int) -> Rows:
    kept = [relation.fetch_df_chunk()]
    count = len(kept[0])
    while True:
        chunk = relation.fetch_df_chunk(16)  # 32,768 rows at a time
        if chunk.empty:
            break
        if count < keep:
            kept.append(chunk)
        count += len(chunk)
    frame = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]
    return Rows(frame.head(keep), count)


def render(rows: Rows, fmt: str) -> str:
    """A result as a readable table (a sentence with the column names when it has no rows),
    CSV, or a JSON array of row objects."""
    frame = rows.frame
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return buffer.getvalue().rstrip("\n")
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", date_format="iso") or "[]")
        return json.dumps(records, ensure_ascii=False, indent=2)
    if frame.empty:  # the columns named after the count, so a column "1" reads as one
        columns = ", ".join(map(str, frame.columns))
        return f"(no rows; {'column' if len(frame.columns) == 1 else 'columns'}: {columns})"
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        table = _with_nulls_shown(frame).to_string(index=False, na_rep="NULL")
    total = counted(rows.count, "row", "rows")
    if rows.count > len(frame):
        return (
            f"{table}\n({total}; the first {number(len(frame))} shown: --format csv or json "
            "prints them all)"
        )
    return f"{table}\n({total})"


def _with_nulls_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the missing values of its nullable (extension) and object columns
    spelled NULL: pandas prints them as ``<NA>`` or ``None`` whatever ``na_rep`` says, where
    a SQL user expects the same NULL in every column (NaN and NaT follow ``na_rep``)."""
    spelled = [
        name
        for name in frame.columns
        if pd.api.types.is_extension_array_dtype(frame[name]) or frame[name].dtype == object
    ]
    if not spelled:
        return frame
    shown = frame.copy()
    for name in spelled:
        column = shown[name]
        shown[name] = column.astype(object).where(column.notna(), "NULL")
    return shown
