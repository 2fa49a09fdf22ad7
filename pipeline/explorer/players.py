"""One player at a time: find them, their card, rank history, games and company.

The per-game performance compares each game with the average of players of the same tier
and role (the tier is each participant's latest solo-queue tier), so a Gold mid laner's
game is judged against Gold mid laners: 1.0 is par, 2.0 is twice the baseline.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from pipeline.analysis.scoring import ACCOUNT_GONE_REASON
from pipeline.explorer.scores import shown_tier, target_contributions, target_of

# A score under an unjudged label (too few games) measures nothing: no suspicion.
_SUSPICION = """CASE WHEN s.label IN ('INSUFFICIENT_DATA') THEN NULL
            ELSE greatest(s.smurf_score, s.boosted_score) END"""

_FIND = f"""
SELECT p.puuid, p.game_name || '#' || p.tag_line AS riot_id, p.platform, p.summoner_level,
       {shown_tier("s", "p")} AS tier, s.label, {_SUSPICION} AS suspicion, s.games_analyzed
FROM players p LEFT JOIN latest_smurf_scores s USING (puuid)
WHERE p.puuid = $text
   OR lower(p.game_name || '#' || p.tag_line) = lower($text)
   OR (NOT contains($text, '#') AND starts_with(lower(p.game_name), lower($text)))
   OR (length($text) >= $prefix_chars AND starts_with(p.puuid, $text))
ORDER BY (p.puuid = $text) DESC, suspicion DESC NULLS LAST, riot_id, p.puuid
LIMIT $limit
"""
# Fewest characters of a puuid that find its player (a puuid is 78 characters).
PUUID_PREFIX_CHARS = 8


def find_players(
    con: duckdb.DuckDBPyConnection, text: str, *, limit: int | None = 20
) -> pd.DataFrame:
    """Players whose puuid or Riot ID (name#tag) is ``text``, whose name starts with it, or
    whose puuid starts with it (at least ``PUUID_PREFIX_CHARS`` characters): the most
    suspicious ``limit`` (None: all). The text is matched as it is (``%`` and ``_`` too)."""
    text = text.strip()
    if not text:
        columns = ["puuid", "riot_id", "platform", "tier", "label", "suspicion", "games_analyzed"]
        return pd.DataFrame(columns=columns)
    values = {"text": text, "prefix_chars": PUUID_PREFIX_CHARS, "limit": limit}
    return con.execute(_FIND, values).df()


def player_summary(con: duckdb.DuckDBPyConnection, puuid: str) -> dict[str, object]:
    """The player's identity and latest score as one flat record (empty if unknown)."""
    frame = con.execute(
        f"""
        SELECT p.puuid, p.game_name || '#' || p.tag_line AS riot_id, p.platform,
               p.summoner_level, p.summoner_checked_at AS profile_checked_at, p.profile_found,
               p.solo_wins, p.solo_losses, {shown_tier("s", "p")} AS tier, s.label,
               s.smurf_score, s.boosted_score,
               s.confidence, s.reason AS unlabelled_because, s.games_analyzed, s.scored_at,
               (SELECT status FROM account_checks c WHERE c.puuid = p.puuid
                ORDER BY checked_at DESC LIMIT 1) AS account_status
        FROM players p LEFT JOIN latest_smurf_scores s USING (puuid)
        WHERE p.puuid = ?
        """,
        [puuid],
    ).df()
    return {} if frame.empty else {str(k): v for k, v in frame.iloc[0].items()}


# Why a player's profile tells nothing (``profile_unread``).
NO_PROFILE_YET = "no profile read yet"


def profile_unread(summary: dict[str, object]) -> str | None:
    """Why the profile of a ``player_summary`` tells nothing: the account is gone
    (``ACCOUNT_GONE_REASON``) or it was never read (``NO_PROFILE_YET``); None when read."""
    found, checked = summary.get("profile_found"), summary.get("profile_checked_at")
    if isinstance(found, bool | np.bool_) and not found:
        return ACCOUNT_GONE_REASON
    if not isinstance(checked, datetime) or checked != checked:  # None or NaT: never read
        return NO_PROFILE_YET
    return None


def ban_checks(con: duckdb.DuckDBPyConnection, puuid: str, *, limit: int = 10) -> pd.DataFrame:
    """The player's ban checks, newest first: status, where, the evidence and its reasons."""
    return con.execute(
        """
        SELECT checked_at, status, platform, account_found, summoner_found, ranked_entries,
               ranked_entries_gone, history_frozen, level_unchanged, newest_match_at,
               array_to_string(CAST(json_extract(evidence, '$.reasons') AS VARCHAR[]), '; ')
                   AS reasons
        FROM account_checks WHERE puuid = ? ORDER BY checked_at DESC, id DESC LIMIT ?
        """,
        [puuid, limit],
    ).df()


def checks_for_readers(checks: pd.DataFrame) -> pd.DataFrame:
    """The ban checks as a card shows them: when, what was found, where, and why."""
    from pipeline.explorer.present import moment

    return pd.DataFrame(
        {
            "checked": [moment(at) for at in checks["checked_at"]],
            "status": checks["status"],
            "platform": checks["platform"],
            "evidence": checks["reasons"].fillna("").replace("", "none recorded"),
        }
    )


def factor_contributions(con: duckdb.DuckDBPyConnection, puuid: str) -> pd.Series:
    """Each factor's contribution to the score behind the player's label, largest first.

    A BOOSTED player is explained by the boosted score, everyone else by the smurf score.
    """
    row = con.execute(
        "SELECT contributions, label FROM latest_smurf_scores WHERE puuid = ?", [puuid]
    ).fetchone()
    found = target_contributions(row[0], target_of(row[1])) if row else {}
    factors = pd.Series(found, dtype=float, name="contribution")
    return factors.reindex(factors.abs().sort_values(ascending=False).index)


def rank_history(con: duckdb.DuckDBPyConnection, puuid: str) -> pd.DataFrame:
    """Every observed rank of the player, oldest first, with a ladder position to plot."""
    return con.execute(
        """
        SELECT observed_at, queue_type, tier, division, league_points, wins, losses,
               CASE WHEN tier IS NULL THEN NULL ELSE
                 list_position(['IRON','BRONZE','SILVER','GOLD','PLATINUM','EMERALD',
                                'DIAMOND','MASTER','GRANDMASTER','CHALLENGER'], tier) * 400
                 - coalesce(list_position(['I','II','III','IV'], division), 1) * 100
                 + coalesce(league_points, 0) END AS ladder_points
        FROM rank_snapshots WHERE puuid = ? ORDER BY observed_at
        """,
        [puuid],
    ).df()


# Each participant's tier is their latest solo-queue tier; a game's numbers per minute.
_GAMES = """
WITH tiers AS (
    SELECT puuid, tier FROM rank_snapshots
    WHERE queue_type = 'RANKED_SOLO_5x5' {tiers_of}
    QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY observed_at DESC) = 1
), games AS (
    SELECT mp.*, coalesce(t.tier, 'UNRANKED') AS tier,
           coalesce(nullif(mp.team_position, ''), 'NONE') AS role,
           (mp.kills + mp.assists) / greatest(mp.deaths, 1) AS kda_ratio,
           mp.cs / greatest(mp.game_duration_s / 60.0, 1) AS cs_per_min,
           mp.damage_to_champions / greatest(mp.game_duration_s / 60.0, 1) AS dmg_per_min,
           mp.gold_earned / greatest(mp.game_duration_s / 60.0, 1) AS gold_per_min
    FROM match_participants mp LEFT JOIN tiers t USING (puuid)
    WHERE ($queue::INTEGER IS NULL OR mp.queue_id = $queue::INTEGER) {games_of}
)
"""

_PLAYER_GAMES = (
    _GAMES.format(tiers_of="AND puuid = $puuid", games_of="AND mp.puuid = $puuid")
    + """
SELECT game_start, match_id, queue_id, champion_name, role, win, kills, deaths, assists,
       kda_ratio, cs_per_min, dmg_per_min, gold_per_min, tier
FROM games ORDER BY game_start DESC LIMIT $limit
"""
)

_BASELINES = (
    _GAMES.format(tiers_of="", games_of="")
    + """
SELECT tier, role, avg(kda_ratio) AS b_kda, avg(cs_per_min) AS b_cs,
       avg(dmg_per_min) AS b_dmg, avg(gold_per_min) AS b_gold
FROM games GROUP BY ALL
"""
)


def games_for_readers(games: pd.DataFrame) -> pd.DataFrame:
    """The match history as a card shows it: a few columns that fit beside each other."""
    return pd.DataFrame(
        {
            "date": pd.to_datetime(games["game_start"]).dt.strftime("%Y-%m-%d %H:%M"),
            "champion": games["champion_name"],
            "role": games["role"].str.lower(),
            "result": games["win"].map({True: "win", False: "loss"}),
            "K/D/A": [
                f"{k}/{d}/{a}"
                for k, d, a in zip(games["kills"], games["deaths"], games["assists"], strict=True)
            ],
            # Fixed decimals, so a column reads down evenly (1.10 over 0.98, not 1.1).
            "CS/min": _fixed(games["cs_per_min"], 1),
            # A ratio (1.5: half as much again as the tier and role's average), where
            # `smurf explain` gives z-scores: a name that says which, as the card's plot of
            # the same figure does.
            "× tier/role avg": _fixed(games["performance_vs_base"], 2),
        }
    )


def _fixed(values: pd.Series, decimals: int) -> list[str]:
    """``values`` as text with ``decimals`` places (blank where unknown)."""
    return ["" if pd.isna(v) else f"{v:.{decimals}f}" for v in values]


def tier_role_baselines(
    con: duckdb.DuckDBPyConnection, *, queue: int | None = None
) -> pd.DataFrame:
    """The average game of every tier and role (one scan of every stored game): what
    ``match_history`` compares a player's games with. Worth keeping between cards on a
    large database (``BaselineCache``): a card then reads only its player's games."""
    return con.execute(_BASELINES, {"queue": queue}).df()


# The columns of a game the history shows as stored, before its ratios to the baselines.
GAME_COLUMNS = [
    "game_start", "match_id", "queue_id", "champion_name", "role", "win",
    "kills", "deaths", "assists", "kda_ratio", "cs_per_min", "dmg_per_min",
]  # fmt: skip


def _rounded(values: pd.Series, decimals: int = 2) -> pd.Series:
    """``values`` rounded as SQL's round() does, halves away from zero (pandas rounds them
    to even: a KDA of 9/8 would read 1.12, where the history always showed 1.13)."""
    scale = 10.0**decimals
    scaled = values * scale
    rounded: pd.Series = np.sign(scaled) * np.floor(scaled.abs() + 0.5) / scale
    return rounded


def match_history(
    con: duckdb.DuckDBPyConnection,
    puuid: str,
    *,
    queue: int | None = None,
    limit: int = 50,
    baselines: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The player's newest games with per-game performance against the tier/role baseline
    (``baselines`` from ``tier_role_baselines`` for the same ``queue``; computed afresh
    when not given)."""
    games = con.execute(_PLAYER_GAMES, {"queue": queue, "puuid": puuid, "limit": limit}).df()
    if baselines is None:
        baselines = tier_role_baselines(con, queue=queue)
    joined = games.merge(baselines, on=["tier", "role"], how="left")
    ratios = {
        "kda_vs_base": joined["kda_ratio"] / joined["b_kda"].replace(0, np.nan),
        "cs_vs_base": joined["cs_per_min"] / joined["b_cs"].replace(0, np.nan),
        "dmg_vs_base": joined["dmg_per_min"] / joined["b_dmg"].replace(0, np.nan),
        "gold_vs_base": joined["gold_per_min"] / joined["b_gold"].replace(0, np.nan),
    }
    out = joined[GAME_COLUMNS].copy()
    out["kda_ratio"] = _rounded(out["kda_ratio"])
    out["cs_per_min"] = _rounded(out["cs_per_min"])
    out["dmg_per_min"] = _rounded(out["dmg_per_min"], 0)
    for name, ratio in ratios.items():
        out[name] = _rounded(ratio)
    out["performance_vs_base"] = _rounded(pd.concat(ratios, axis=1).mean(axis=1, skipna=False))
    return out


_QUEUE_GAMES = """
SELECT count(*) FROM match_participants
WHERE $queue::INTEGER IS NULL OR queue_id = $queue::INTEGER
"""


class BaselineCache:
    """``tier_role_baselines`` of ``queue`` kept between cards: computed again once that
    queue's stored games grew by ``GROWTH`` or after ``MAX_AGE_S``, so an explorer over
    millions of games reads every game once, not on every click, and still follows a
    running crawl. Safe to share between threads (a widget may handle two changes at once):
    one computes, the other waits for its result."""

    GROWTH = 0.02
    MAX_AGE_S = 600.0

    def __init__(self, *, queue: int | None = None) -> None:
        self.queue = queue
        self._baselines: pd.DataFrame | None = None
        self._games = 0
        self._at = 0.0
        self._lock = threading.Lock()

    def get(self, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
        """The baselines, computed again only when they may have moved."""
        with self._lock:
            row = con.execute(_QUEUE_GAMES, {"queue": self.queue}).fetchone()
            games = int(row[0]) if row else 0
            if (
                self._baselines is None
                or abs(games - self._games) > self.GROWTH * max(self._games, 1)
                or time.monotonic() - self._at > self.MAX_AGE_S
            ):
                self._baselines = tier_role_baselines(con, queue=self.queue)
                self._games, self._at = games, time.monotonic()
            return self._baselines


_CO_PLAYERS = f"""
WITH mine AS (
    SELECT match_id, team_id FROM match_participants WHERE puuid = ?
)
SELECT o.puuid, coalesce(p.game_name || '#' || p.tag_line, any_value(o.riot_id_game_name))
           AS riot_id,
       count(*) AS games_together,
       count(*) FILTER (WHERE o.team_id = m.team_id) AS same_team,
       count(*) FILTER (WHERE o.team_id <> m.team_id) AS opposing,
       any_value(s.label) AS label,
       any_value({_SUSPICION}) AS suspicion
FROM mine m
JOIN match_participants o ON o.match_id = m.match_id AND o.puuid <> ?
LEFT JOIN players p ON p.puuid = o.puuid
LEFT JOIN latest_smurf_scores s ON s.puuid = o.puuid
GROUP BY o.puuid, p.game_name, p.tag_line
HAVING count(*) >= ?
ORDER BY same_team DESC, games_together DESC, suspicion DESC NULLS LAST
LIMIT ?
"""


def co_players(
    con: duckdb.DuckDBPyConnection, puuid: str, *, min_games: int = 1, limit: int = 25
) -> pd.DataFrame:
    """Other accounts seen in the player's games: most often on the same team first."""
    return con.execute(_CO_PLAYERS, [puuid, puuid, min_games, limit]).df()
