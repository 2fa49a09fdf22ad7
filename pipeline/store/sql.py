"""Ad hoc SQL (``smurf sql``): tell reads from writes, run statements, render results.

Whether a statement writes is decided by DuckDB's own parser (``extract_statements`` gives
each statement's type), not by looking at keywords; the read-only connection the CLI uses
for reads is the second line of defence.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

import duckdb
import pandas as pd

from pipeline.store.errors import StoreError

# Statement types that cannot change the database or write files.
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


def split_statements(con: duckdb.DuckDBPyConnection, query: str) -> list[duckdb.Statement]:
    """The statements of ``query`` as DuckDB parses them."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryError(f"The query could not be parsed: {_one_line(exc)}") from None
    if not statements:
        raise QueryError("The query is empty: give at least one SQL statement.")
    return list(statements)


def writing_statements(statements: Sequence[duckdb.Statement]) -> list[str]:
    """The statement types among ``statements`` that may write (empty for a pure read)."""
    return [s.type.name for s in statements if s.type not in READ_STATEMENT_TYPES]


def run_statements(
    con: duckdb.DuckDBPyConnection, statements: Sequence[duckdb.Statement]
) -> pd.DataFrame | None:
    """Run each statement in order; the last one's result rows, if it returns any."""
    result: pd.DataFrame | None = None
    for statement in statements:
        try:
            relation = con.execute(statement.query)
            result = relation.df() if relation.description else None
        except duckdb.Error as exc:
            raise QueryError(f"The query failed: {_one_line(exc)}") from None
    return result


def render(frame: pd.DataFrame, fmt: str) -> str:
    """A result as a readable table, CSV, or a JSON array of row objects."""
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return buffer.getvalue().rstrip("\n")
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", date_format="iso") or "[]")
        return json.dumps(records, ensure_ascii=False, indent=2)
    if frame.empty:
        return f"({', '.join(map(str, frame.columns))}: no rows)"
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        table = frame.to_string(index=False, max_rows=1000)
    rows = len(frame)
    return f"{table}\n({rows} row{'s' if rows != 1 else ''})"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
