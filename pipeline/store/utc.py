"""Times in UTC on every connection the product opens, whatever the host's zone."""

from __future__ import annotations

import duckdb


def use_utc(con: duckdb.DuckDBPyConnection) -> None:
    """Make ``con``'s instance read and write times in UTC, whatever the host's zone.

    The product writes UTC times without a zone, but DuckDB turns ``current_timestamp``
    (the default of every stored-at column) and ``now()`` into such a time in the session's
    zone, the host's unless set: on a host at UTC+9 a match stored now read as stored nine
    hours from now. An instance already in UTC is left alone (read mode locks its settings).
    """
    row = con.execute("SELECT current_setting('TimeZone')").fetchone()
    if row is None or row[0] != "UTC":
        con.execute("SET GLOBAL TimeZone = 'UTC'")
