"""Which matches the store already knows, so jobs ask the API only for the others.

A match is known once it is stored, or once it was rejected: a payload that describes no
possible game is kept in ``rejected_matches`` with the reason, so a player's history moves
past it instead of asking for it again on every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import duckdb


def known_match_ids(con: duckdb.DuckDBPyConnection, match_ids: Iterable[str]) -> set[str]:
    """The ids among ``match_ids`` that need no fetching: stored, or rejected for good."""
    ids = list(dict.fromkeys(match_ids))
    if not ids:
        return set()
    rows = con.execute(
        "SELECT match_id FROM matches WHERE match_id IN (SELECT unnest(?))"
        " UNION SELECT match_id FROM rejected_matches WHERE match_id IN (SELECT unnest(?))",
        [ids, ids],
    ).fetchall()
    return {str(r[0]) for r in rows}


def newest_match_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The most recent stored match's id (None for a store without matches)."""
    row = con.execute(
        "SELECT match_id FROM matches ORDER BY game_start DESC NULLS LAST, match_id LIMIT 1"
    ).fetchone()
    return str(row[0]) if row is not None else None


def newest_game_start(
    con: duckdb.DuckDBPyConnection, match_ids: Sequence[str], *, until: datetime
) -> datetime | None:
    """The latest start among the stored games of ``match_ids`` no later than ``until``
    (None: none such)."""
    if not match_ids:
        return None
    row = con.execute(
        "SELECT max(game_start) FROM matches"
        " WHERE match_id IN (SELECT unnest(?)) AND game_start <= ?",
        [list(match_ids), until],
    ).fetchone()
    return row[0] if row else None


def record_rejected_matches(
    con: duckdb.DuckDBPyConnection,
    rejected: Sequence[tuple[str, str]],
    *,
    rejected_at: datetime,
    execution_id: int | None = None,
) -> int:
    """Keep (match id, reason) pairs as rejected; rows created (a match is kept once)."""
    if not rejected:
        return 0
    created = 0
    for match_id, reason in dict(rejected).items():
        # Inserted only when new (a lake has no keys for ON CONFLICT).
        row = con.execute(
            "INSERT INTO rejected_matches (match_id, rejected_at, reason, execution_id)"
            " SELECT ?, ?, ?, ? WHERE NOT EXISTS"
            " (SELECT 1 FROM rejected_matches WHERE match_id = ?)",
            [match_id, rejected_at, reason, execution_id, match_id],
        ).fetchone()
        created += int(row[0]) if row else 0
    return created
