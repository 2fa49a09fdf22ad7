"""Which matches the store already knows, so jobs ask the API only for the others."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb


def known_match_ids(con: duckdb.DuckDBPyConnection, match_ids: Iterable[str]) -> set[str]:
    """The ids among ``match_ids`` that need no fetching: stored already."""
    ids = list(dict.fromkeys(match_ids))
    if not ids:
        return set()
    rows = con.execute(
        "SELECT match_id FROM matches WHERE match_id IN (SELECT unnest(?))", [ids]
    ).fetchall()
    return {str(r[0]) for r in rows}
