"""Player profiles: the summoner level and solo-queue league entry that scoring relies on.

A profile is what summoner-v4 and league-v4 answered for a player at one time. It is stored
on the player (``summoner_checked_at``, ``profile_found``, ``summoner_level`` and the
``solo_*`` columns, overwritten whole, NULLs included: an entry that disappeared is gone)
and, for the rank history, as rank snapshots (a row only when the standing changed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from pipeline.store.aggregates import enqueue_players
from pipeline.store.sharding import ON_PLATFORMS_NAMED, platforms_param
from pipeline.store.writers import record_rank_snapshots, registered_frame

SOLO_QUEUE = "RANKED_SOLO_5x5"


@dataclass(frozen=True)
class ProfileAnswer:
    """One player's summoner-v4 and league-v4 answers; None where the API said 404."""

    puuid: str
    platform: str
    summoner: Mapping[str, Any] | None
    league_entries: Sequence[Mapping[str, Any]] | None

    @property
    def found(self) -> bool:
        """Whether the account answered (a 404 from summoner-v4 means it did not)."""
        return self.summoner is not None

    def row(self, checked_at: datetime) -> dict[str, Any]:
        """The player's profile columns."""
        summoner = self.summoner or {}
        solo = next((e for e in self.league_entries or () if e.get("queueType") == SOLO_QUEUE), {})
        return {
            "puuid": self.puuid,
            "platform": self.platform,
            "summoner_level": summoner.get("summonerLevel"),
            "profile_icon_id": summoner.get("profileIconId"),
            "summoner_checked_at": checked_at,
            "profile_found": self.found,
            "solo_tier": solo.get("tier"),
            "solo_division": solo.get("rank"),
            "solo_league_points": solo.get("leaguePoints"),
            "solo_wins": solo.get("wins"),
            "solo_losses": solo.get("losses"),
        }


PROFILE_COLUMNS = {
    "puuid": "VARCHAR",
    "platform": "VARCHAR",
    "summoner_level": "INTEGER",
    "profile_icon_id": "INTEGER",
    "summoner_checked_at": "TIMESTAMP",
    "profile_found": "BOOLEAN",
    "solo_tier": "VARCHAR",
    "solo_division": "VARCHAR",
    "solo_league_points": "INTEGER",
    "solo_wins": "INTEGER",
    "solo_losses": "INTEGER",
}
# Level and icon keep their last known value when the account no longer answers.
_KEEP_WHEN_NULL = ("summoner_level", "profile_icon_id", "platform")


def record_profiles(
    con: duckdb.DuckDBPyConnection, answers: Sequence[ProfileAnswer], checked_at: datetime
) -> tuple[int, int]:
    """Store profiles in the caller's transaction: (rows created, players updated).

    Rows created counts new players and new rank snapshots.
    """
    if not answers:
        return 0, 0
    frame = pd.DataFrame([a.row(checked_at) for a in answers], columns=list(PROFILE_COLUMNS))
    created, updated = upsert_profile_frame(con, frame)
    ranked = {a.puuid: a.league_entries for a in answers if a.league_entries is not None}
    snapshots = record_rank_snapshots(con, ranked, checked_at) if ranked else 0
    return created + snapshots, updated


def upsert_profile_frame(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> tuple[int, int]:
    """Write profile columns from a frame with PROFILE_COLUMNS: (players created, updated).

    The bulk path for many players at once (a simulated world's export); rank snapshots are
    the caller's.
    """
    frame = frame[list(PROFILE_COLUMNS)].drop_duplicates("puuid", keep="last")
    casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in PROFILE_COLUMNS.items())
    updates = ", ".join(
        f"{c} = coalesce(s.{c}, t.{c})" if c in _KEEP_WHEN_NULL else f"{c} = s.{c}"
        for c in PROFILE_COLUMNS
        if c != "puuid"
    )
    columns = ", ".join(PROFILE_COLUMNS)
    before = _count_players(con)
    with registered_frame(con, frame) as (incoming, _columns):
        # MERGE names its key, so the statement runs unchanged on a lake (no keys there).
        con.execute(
            f"""MERGE INTO players t
            USING (SELECT {casts} FROM {incoming}) s ON t.puuid = s.puuid
            WHEN MATCHED THEN UPDATE SET {updates}, updated_at = current_timestamp
            WHEN NOT MATCHED THEN INSERT ({columns})
                VALUES ({", ".join(f"s.{c}" for c in PROFILE_COLUMNS)})"""
        )
        enqueue_players(con, f"SELECT puuid FROM {incoming}")
    created = _count_players(con) - before
    return created, len(frame) - created


def _count_players(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM players").fetchone()
    return int(row[0]) if row else 0


# Players with enough stored games whose profile is missing or stale: never-profiled first,
# the most suspicious of them first (their provisional score, from games alone), then those
# with the newest games.
_PROFILES_TO_REFRESH = f"""
WITH stored AS (
    SELECT puuid, count(*) AS games, max(game_start) AS newest_game
    FROM match_participants GROUP BY puuid HAVING count(*) >= $min_matches
)
SELECT p.puuid, coalesce(p.platform, $platform)
FROM players p JOIN stored s USING (puuid)
LEFT JOIN latest_smurf_scores l USING (puuid)
WHERE (p.summoner_checked_at IS NULL OR p.summoner_checked_at < $stale_before)
  AND {ON_PLATFORMS_NAMED}
ORDER BY p.summoner_checked_at IS NOT NULL,
         greatest(l.smurf_score, l.boosted_score) DESC NULLS LAST,
         s.newest_game DESC, p.puuid
LIMIT $limit"""


def profiles_to_refresh(
    con: duckdb.DuckDBPyConnection,
    *,
    default_platform: str,
    min_matches: int,
    stale_before: datetime,
    limit: int,
    platforms: Sequence[str] | None = None,
) -> list[tuple[str, str]]:
    """(puuid, platform) of up to ``limit`` players of ``platforms`` (a worker's shard; None:
    all) whose profile is due, in that order."""
    rows = con.execute(
        _PROFILES_TO_REFRESH,
        {
            "min_matches": min_matches,
            "platform": default_platform,
            "platforms": platforms_param(platforms),
            "stale_before": stale_before,
            "limit": limit,
        },
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]
