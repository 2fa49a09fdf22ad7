"""Ban-check evidence in ``account_checks``: who is due a check, what was seen of them last,
and the record of a check with the player updates it implies (new Riot ID, new platform).

Plain functions over a DuckDB connection; the caller decides the transaction. Timestamps are
naive UTC.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import duckdb

from pipeline.store.lake_schema import next_id
from pipeline.store.sharding import ON_PLATFORMS_NAMED, platforms_param


class AccountStatus(StrEnum):
    """What a check concluded about an account (stored UPPERCASE in ``account_checks``)."""

    ACTIVE = "ACTIVE"  # found, played recently
    INACTIVE = "INACTIVE"  # found, no recent game
    RENAMED = "RENAMED"  # found under a new Riot ID
    TRANSFERRED = "TRANSFERRED"  # found on another platform than the stored one
    SUMMONER_MISSING = "SUMMONER_MISSING"  # the account answers, its summoner nowhere found
    NOT_FOUND_ONCE = "NOT_FOUND_ONCE"  # both lookups 404, not yet confirmed
    UNAVAILABLE = "UNAVAILABLE"  # both lookups 404, confirmed: banned or deleted


GONE = (AccountStatus.NOT_FOUND_ONCE, AccountStatus.UNAVAILABLE)
RANKED_QUEUES = ("RANKED_SOLO_5x5", "RANKED_FLEX_SR")


@dataclass(frozen=True)
class LastSeen:
    """What was known of an account before a check: its last check, else what is stored."""

    status: str | None = None
    checked_at: datetime | None = None
    ranked_entries: int | None = None
    newest_match_id: str | None = None
    newest_match_at: datetime | None = None
    summoner_level: int | None = None


@dataclass(frozen=True)
class DueCheck:
    """A flagged player due a check, with what was seen of them last."""

    puuid: str
    platform: str
    riot_id: str | None
    last: LastSeen = field(default_factory=LastSeen)
    follow_up: bool = False  # a confirmation or a summoner search, due whatever its age


_DUE = f"""
WITH flagged AS (
    SELECT s.puuid, s.smurf_score FROM latest_smurf_scores s JOIN players p USING (puuid)
    WHERE s.label IN (SELECT unnest($labels))
      AND {ON_PLATFORMS_NAMED}
), last AS (
    SELECT puuid, status, checked_at, ranked_entries, newest_match_id, newest_match_at,
           summoner_level,
           -- 0: a 404 to confirm; 1: a summoner to search again, once (one missing at two
           -- checks in a row waits for the usual cadence, so lasting ones cannot fill every
           -- run); 2: no follow-up.
           CASE WHEN status = 'NOT_FOUND_ONCE' THEN 0
                WHEN status = 'SUMMONER_MISSING'
                     AND json_extract_string(evidence, '$.previous_status')
                         IS DISTINCT FROM 'SUMMONER_MISSING' THEN 1
                ELSE 2 END AS follow_up
    FROM account_checks WHERE puuid IN (SELECT puuid FROM flagged)
    QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY checked_at DESC, id DESC) = 1
), due AS (
    SELECT f.puuid, f.smurf_score, l.* EXCLUDE (puuid, follow_up),
           coalesce(l.follow_up, 2) AS follow_up
    FROM flagged f LEFT JOIN last l USING (puuid)
    WHERE l.puuid IS NULL
       OR l.follow_up < 2
       OR l.checked_at <= CASE WHEN l.status = 'UNAVAILABLE'
                               THEN $unavailable_due ELSE $due END
    ORDER BY follow_up, l.checked_at NULLS FIRST, f.smurf_score DESC, f.puuid
    LIMIT $limit
), stored_rank AS (
    SELECT puuid, count(tier) AS entries FROM (
        SELECT puuid, tier FROM rank_snapshots
        WHERE puuid IN (SELECT puuid FROM due) AND queue_type IN (SELECT unnest($queues))
        QUALIFY row_number() OVER (PARTITION BY puuid, queue_type ORDER BY observed_at DESC) = 1
    ) GROUP BY puuid
), stored_newest AS (
    SELECT puuid, arg_max(match_id, game_start) AS match_id, max(game_start) AS game_start
    FROM match_participants WHERE puuid IN (SELECT puuid FROM due) GROUP BY puuid
), newest AS (
    -- The later of the last check's newest game and the newest game stored since.
    SELECT d.puuid,
           CASE WHEN d.newest_match_id IS NULL OR n.game_start > d.newest_match_at
                THEN n.match_id ELSE d.newest_match_id END AS match_id,
           CASE WHEN d.newest_match_id IS NULL OR n.game_start > d.newest_match_at
                THEN n.game_start ELSE d.newest_match_at END AS game_start
    FROM due d LEFT JOIN stored_newest n USING (puuid)
)
SELECT d.puuid, coalesce(p.platform, $platform),
       CASE WHEN p.game_name IS NULL THEN NULL
            ELSE p.game_name || '#' || coalesce(p.tag_line, '') END,
       d.status, d.checked_at, coalesce(d.ranked_entries, r.entries),
       n.match_id, n.game_start, coalesce(d.summoner_level, p.summoner_level),
       d.follow_up < 2
FROM due d
JOIN players p USING (puuid)
LEFT JOIN stored_rank r USING (puuid)
LEFT JOIN newest n USING (puuid)
ORDER BY d.follow_up, d.checked_at NULLS FIRST, d.smurf_score DESC, d.puuid
"""


def due_checks(
    con: duckdb.DuckDBPyConnection,
    *,
    labels: Sequence[str],
    due: datetime,
    unavailable_due: datetime,
    default_platform: str,
    platforms: Sequence[str] | None = None,
    limit: int,
) -> list[DueCheck]:
    """Flagged players due a check, follow-ups first, then the longest unchecked.

    A player is due when never checked, when their last check asks for a follow-up
    (NOT_FOUND_ONCE, confirmed before anything else; SUMMONER_MISSING, searched again once),
    or when it was at or before ``due`` (``unavailable_due`` for UNAVAILABLE accounts,
    re-checked at a lower cadence). Only players of ``platforms`` (a worker's shard; None:
    all) are considered.
    """
    rows = con.execute(
        _DUE,
        {
            "labels": list(labels),
            "due": due,
            "unavailable_due": unavailable_due,
            "limit": limit,
            "queues": list(RANKED_QUEUES),
            "platform": default_platform,
            "platforms": platforms_param(platforms),
        },
    ).fetchall()
    return [
        DueCheck(r[0], str(r[1]).lower(), r[2], LastSeen(r[3], r[4], r[5], r[6], r[7], r[8]), r[9])
        for r in rows
    ]


@dataclass(frozen=True)
class CheckRecord:
    """One check: what was seen, the status concluded, and the evidence it rests on."""

    puuid: str
    checked_at: datetime
    status: AccountStatus
    account_found: bool
    summoner_found: bool
    platform: str
    previous_platform: str
    riot_id: str | None
    previous_riot_id: str | None
    summoner_level: int | None
    ranked_entries: int | None
    newest_match_id: str | None
    newest_match_at: datetime | None
    ranked_entries_gone: bool | None
    history_frozen: bool | None
    level_unchanged: bool | None
    evidence: dict[str, Any]
    execution_id: int | None

    @property
    def transferred(self) -> bool:
        return self.status is AccountStatus.TRANSFERRED


_COLUMNS = (
    "puuid", "checked_at", "status", "account_found", "summoner_found", "platform",
    "previous_platform", "riot_id", "previous_riot_id", "summoner_level", "ranked_entries",
    "newest_match_id", "newest_match_at", "ranked_entries_gone", "history_frozen",
    "level_unchanged", "evidence", "execution_id",
)  # fmt: skip


def record_check(
    con: duckdb.DuckDBPyConnection,
    check: CheckRecord,
    *,
    new_riot_id: tuple[str, str | None] | None = None,
) -> tuple[int, int]:
    """Store a check and update its player (Riot ID, platform); (rows created, updated)."""
    values = [getattr(check, name) for name in _COLUMNS]
    values[_COLUMNS.index("status")] = check.status.value
    values[_COLUMNS.index("evidence")] = json.dumps(check.evidence, default=str)
    con.execute(
        f"INSERT INTO account_checks (id, {', '.join(_COLUMNS)})"
        f" VALUES ({', '.join('?' * (len(_COLUMNS) + 1))})",
        [next_id(con, "account_checks"), *values],
    )
    updated = 0
    if new_riot_id is not None:
        con.execute(
            "UPDATE players SET game_name = ?, tag_line = ?, updated_at = ? WHERE puuid = ?",
            [*new_riot_id, check.checked_at, check.puuid],
        )
        updated = 1
    if check.transferred:
        con.execute(
            "UPDATE players SET platform = ?, updated_at = ? WHERE puuid = ?",
            [check.platform, check.checked_at, check.puuid],
        )
        updated = 1
    return 1, updated
