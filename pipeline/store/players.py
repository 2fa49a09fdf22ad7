"""Player bookkeeping: who is tracked, who needs fetching, and how far each one got.

The verbs the jobs and commands use on ``players``; each runs in the caller's transaction.
Match rows bring players in (``pipeline.store.writers``); these verbs only track, pick and
advance them::

    track_player / untrack_players          an analyst's list
    tracked_players_to_update               TRACKED_PLAYER_UPDATER's pick, least recent first
    advance_update_watermark                a tracked player fully updated up to a game
    players_to_fetch                        MATCH_FETCHER's pick, below the target, with
                                            the age and level of their stored profile
    advance_history / note_fetch_attempt    a discovered player's history page stored (or not)
    note_first_games_stored                 a suspect's first ranked games stored
    note_profile_checked                    summoner-v4 / league-v4 answered
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipeline.store.sharding import ON_PLATFORMS, ON_PLATFORMS_NAMED, platforms_param

# Why a discovered player needs no more fetching (players.exhausted_reason).
HISTORY_END = "HISTORY_END"
TARGET_REACHED = "TARGET_REACHED"


@dataclass(frozen=True)
class TrackedPlayer:
    """A tracked player due an update, and the newest game its last full update stored.

    profile_checked_at: when its stored profile (summoner-v4, league-v4) was asked for
    (None: never)."""

    puuid: str
    platform: str
    watermark: datetime | None
    profile_checked_at: datetime | None = None


@dataclass(frozen=True)
class DiscoveredPlayer:
    """A discovered player below the target, and where its next history page starts.

    first_games_due: a suspect whose first ranked games have not been read yet.
    profile_checked_at: when its stored profile (summoner-v4, league-v4) was asked for
    (None: never). profile_level: the summoner level stored with it (a newer game's level
    when one was stored since), None when that profile found no account."""

    puuid: str
    platform: str
    start_index: int
    first_games_due: bool = False
    profile_checked_at: datetime | None = None
    profile_level: int | None = None


def track_player(
    con: duckdb.DuckDBPyConnection,
    *,
    puuid: str,
    game_name: str | None,
    tag_line: str | None,
    platform: str,
    now: datetime,
) -> str | None:
    """Mark a player tracked (creating it if new); the Riot ID and platform given win.

    Returns the platform the player was tracked on before, or None if they were not tracked
    (tracking again on another platform moves them)."""
    before = con.execute(
        "SELECT platform FROM players WHERE puuid = ? AND is_tracked", [puuid]
    ).fetchone()
    # An update, then an insert of what is new: a lake has no keys for ON CONFLICT.
    con.execute(
        "UPDATE players SET is_tracked = true, tracked_at = coalesce(tracked_at, ?),"
        " game_name = coalesce(?, game_name), tag_line = coalesce(?, tag_line),"
        " platform = ?, updated_at = ? WHERE puuid = ?",
        [now, game_name, tag_line, platform, now, puuid],
    )
    con.execute(
        "INSERT INTO players (puuid, game_name, tag_line, platform, is_tracked, tracked_at,"
        " discovered_at, updated_at) SELECT ?, ?, ?, ?, true, ?, ?, ?"
        " WHERE NOT EXISTS (SELECT 1 FROM players WHERE puuid = ?)",
        [puuid, game_name, tag_line, platform, now, now, now, puuid],
    )
    return str(before[0]) if before else None


def untrack_players(
    con: duckdb.DuckDBPyConnection,
    *,
    puuid: str | None = None,
    riot_id: tuple[str, str] | None = None,
) -> list[str]:
    """Stop tracking the player with this puuid or Riot ID (name, tag); the puuids untracked."""
    values: list[str | None]
    if riot_id is not None:
        where, values = "lower(game_name) = lower(?) AND lower(tag_line) = lower(?)", list(riot_id)
    else:
        where, values = "puuid = ?", [puuid]
    rows = con.execute(f"SELECT puuid FROM players WHERE is_tracked AND {where}", values).fetchall()
    puuids = [str(r[0]) for r in rows]
    if puuids:
        con.execute(
            "UPDATE players SET is_tracked = false WHERE puuid IN (SELECT unnest(?))", [puuids]
        )
    return puuids


def tracked_players_to_update(
    con: duckdb.DuckDBPyConnection,
    *,
    default_platform: str,
    limit: int,
    platforms: Sequence[str] | None = None,
) -> list[TrackedPlayer]:
    """Tracked players of ``platforms`` (a worker's shard; None: all), least recently
    updated first (never updated before all others)."""
    rows = con.execute(
        "SELECT puuid, coalesce(platform, ?), update_watermark, summoner_checked_at FROM players"
        f" WHERE is_tracked AND {ON_PLATFORMS}"
        " ORDER BY last_updated_at NULLS FIRST, tracked_at LIMIT ?",
        [default_platform, platforms_param(platforms), default_platform, limit],
    ).fetchall()
    return [TrackedPlayer(*r) for r in rows]


def advance_update_watermark(
    con: duckdb.DuckDBPyConnection,
    puuid: str,
    *,
    updated_at: datetime,
    newest_game_start: datetime | None,
) -> None:
    """A tracked player's update is complete up to ``newest_game_start`` (never moves back)."""
    con.execute(
        "UPDATE players SET last_updated_at = ?,"
        " update_watermark = greatest(coalesce(update_watermark, ?), ?) WHERE puuid = ?",
        [updated_at, newest_game_start, newest_game_start, puuid],
    )


# An account seen below this summoner level is new (ranked opens at 30): most smurfs' are,
# and few other players' (in a crawl of a simulated world, 68 % of the smurfs' accounts and
# 15 % of ordinary players' were below it).
NEW_ACCOUNT_LEVEL = 60

# Below this summoner level scoring counts an account new (``analysis.model``'s
# NEW_ACCOUNT_LEVEL) and weighs how its play rose over its games: a suspect's first ranked
# games are read only on such an account.
FIRST_GAMES_LEVEL = 150

# Candidates: not tracked, history not exhausted, below the target. Suspects (latest smurf
# or boosted score at least $suspect_score) take the first places, up to $suspects, those
# with the fewest stored games first (the most suspicious first among equals), then the
# never-fetched (new accounts, seen below NEW_ACCOUNT_LEVEL, before the others; each in
# discovery order), then the rest least recently fetched first. Fewest games first because
# a suspect on a handful of games is where more games can change a label: taking the most
# suspicious first spent the places on players already labelled, fetching them on to the
# target (crawls of two held-out families, same seeds and budgets: smurfs given a history
# of their own 61 -> 142 and 104 -> 170, SMURF recall 0.39 -> 0.45 and 0.43 -> 0.53 at the
# same precision, 0.92 -> 0.91 and 0.89 -> 0.89). Most players are never fetched in a
# crawl's budget: they are discovered, and judged, from the games they play in beside
# others. A new account is the first mark of a smurf, so new accounts go first whatever
# their score below $suspect_score (a score on a few games seen beside others says little):
# more smurfs get a history of their own in the same budget.
_PLAYERS_TO_FETCH = f"""
WITH candidates AS (
    SELECT p.puuid, coalesce(p.platform, $platform) AS platform, p.history_start_index,
           p.last_fetched_at, p.first_games_fetched_at, p.discovered_at,
           p.summoner_checked_at,
           CASE WHEN p.profile_found THEN p.summoner_level END AS profile_level,
           coalesce(g.games, 0) AS games,
           greatest(s.smurf_score, s.boosted_score) AS suspicion,
           coalesce(g.level < {NEW_ACCOUNT_LEVEL}, false) AS new_account
    FROM players p
    LEFT JOIN (
        SELECT puuid, count(*) AS games, max(summoner_level) AS level
        FROM match_participants GROUP BY puuid
    ) g USING (puuid)
    LEFT JOIN latest_smurf_scores s USING (puuid)
    WHERE NOT p.history_exhausted AND NOT p.is_tracked AND coalesce(g.games, 0) < $target
      AND {ON_PLATFORMS_NAMED}
),
suspects AS (
    SELECT puuid, row_number() OVER (ORDER BY games, suspicion DESC, puuid) AS place
    FROM candidates WHERE suspicion >= $suspect_score
    ORDER BY place LIMIT $suspects
)
SELECT c.puuid, c.platform, c.history_start_index,
       s.puuid IS NOT NULL AND c.first_games_fetched_at IS NULL AS first_games_due,
       c.summoner_checked_at, c.profile_level
FROM candidates c LEFT JOIN suspects s USING (puuid)
ORDER BY s.puuid IS NULL, s.place, c.last_fetched_at NULLS FIRST,
         c.new_account DESC, c.discovered_at, c.puuid
LIMIT $limit"""


def players_to_fetch(
    con: duckdb.DuckDBPyConnection,
    *,
    default_platform: str,
    target_matches: int,
    limit: int,
    platforms: Sequence[str] | None = None,
    suspects: int = 0,
    suspect_score: float = 1.0,
) -> list[DiscoveredPlayer]:
    """Untracked players of ``platforms`` (a worker's shard; None: all) with history left
    and fewer stored games than the target: up to ``suspects`` scored at least
    ``suspect_score`` first, fewest stored games first. Each comes with its stored profile's
    time and level, so that a fresh one need not be asked for again."""
    rows = con.execute(
        _PLAYERS_TO_FETCH,
        {
            "platform": default_platform,
            "platforms": platforms_param(platforms),
            "target": target_matches,
            "suspect_score": suspect_score,
            "suspects": suspects,
            "limit": limit,
        },
    ).fetchall()
    return [
        DiscoveredPlayer(
            r[0], r[1], int(r[2]), bool(r[3]), r[4], int(r[5]) if r[5] is not None else None
        )
        for r in rows
    ]


def advance_history(
    con: duckdb.DuckDBPyConnection,
    puuid: str,
    *,
    next_start_index: int,
    fetched_at: datetime,
    history_ended: bool,
    target_matches: int,
) -> str | None:
    """Move a player past a fully stored history page; returns why it is now done, if it is."""
    games_row = con.execute(
        "SELECT count(*) FROM match_participants WHERE puuid = ?", [puuid]
    ).fetchone()
    games = int(games_row[0]) if games_row else 0
    reason = HISTORY_END if history_ended else TARGET_REACHED if games >= target_matches else None
    con.execute(
        "UPDATE players SET history_start_index = ?, last_fetched_at = ?,"
        " history_exhausted = ?, exhausted_reason = ? WHERE puuid = ?",
        [next_start_index, fetched_at, reason is not None, reason, puuid],
    )
    return reason


def note_first_games_stored(
    con: duckdb.DuckDBPyConnection, puuid: str, fetched_at: datetime
) -> None:
    """A suspect's first ranked games are stored (or known to be within reach of its
    history pages): they are not asked for again. The history pages go on from where they
    were, and the fetch counts as one (least recently fetched first)."""
    con.execute(
        "UPDATE players SET first_games_fetched_at = ?, last_fetched_at = ? WHERE puuid = ?",
        [fetched_at, fetched_at, puuid],
    )


def riot_ids(con: duckdb.DuckDBPyConnection, puuids: list[str]) -> dict[str, str]:
    """Name#TAG of each of ``puuids`` whose Riot ID is stored."""
    rows = con.execute(
        "SELECT puuid, game_name || coalesce('#' || tag_line, '') FROM players"
        " WHERE puuid IN (SELECT unnest($puuids::VARCHAR[])) AND game_name IS NOT NULL",
        {"puuids": puuids},
    ).fetchall()
    return {str(puuid): str(riot_id) for puuid, riot_id in rows}


def player_name(con: duckdb.DuckDBPyConnection, puuid: str) -> str:
    """The player's Riot ID where it is stored, else the puuid: a reader knows players by
    name, not by key."""
    return riot_ids(con, [puuid]).get(puuid, puuid)


def note_fetch_attempt(con: duckdb.DuckDBPyConnection, puuid: str, fetched_at: datetime) -> None:
    """A fetch of this player's history ran but did not complete its page: try others first."""
    con.execute("UPDATE players SET last_fetched_at = ? WHERE puuid = ?", [fetched_at, puuid])


def note_profile_checked(
    con: duckdb.DuckDBPyConnection, puuids: list[str], checked_at: datetime
) -> None:
    """These players' summoner-v4 / league-v4 state was refreshed at ``checked_at``."""
    if puuids:
        con.execute(
            "UPDATE players SET summoner_checked_at = ? WHERE puuid IN (SELECT unnest(?))",
            [checked_at, puuids],
        )
