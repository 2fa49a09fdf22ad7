"""Settings of every connection the product opens: times in UTC whatever the host's zone,
and no progress bar."""

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


def without_progress_bar(con: duckdb.DuckDBPyConnection) -> None:
    """Turn off DuckDB's progress bar on ``con`` (a setting of each connection).

    It is drawn for a query past two seconds: in a notebook as a widget (a black bar above
    the table), in a report's page as its text ("FloatProgress(value=0.0, ...)"), on a
    terminal among the output. A connection sharing an instance whose settings read mode
    locked (this process's ``smurf sql``) cannot change it and keeps the bar. (A cursor of
    an instance, as a lake's connections are, starts without it.)"""
    row = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
    locked = con.execute("SELECT current_setting('lock_configuration')").fetchone()
    if row is not None and row[0] and not (locked and locked[0]):
        con.execute("SET enable_progress_bar = false")
