"""One player at a time: find them, their card, rank history, games and company.

The per-game performance compares each game with the average of players of the same tier
and role (the tier is each participant's latest solo-queue tier), so a Gold mid laner's
game is judged against Gold mid laners: 1.0 is par, 2.0 is twice the baseline.
"""

from __future__ import annotations

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


_MATCH_HISTORY = """
WITH tiers AS (
    SELECT puuid, tier FROM rank_snapshots WHERE queue_type = 'RANKED_SOLO_5x5'
    QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY observed_at DESC) = 1
), games AS (
    SELECT mp.*, coalesce(t.tier, 'UNRANKED') AS tier,
           coalesce(nullif(mp.team_position, ''), 'NONE') AS role,
           (mp.kills + mp.assists) / greatest(mp.deaths, 1) AS kda_ratio,
           mp.cs / greatest(mp.game_duration_s / 60.0, 1) AS cs_per_min,
           mp.damage_to_champions / greatest(mp.game_duration_s / 60.0, 1) AS dmg_per_min,
           mp.gold_earned / greatest(mp.game_duration_s / 60.0, 1) AS gold_per_min
    FROM match_participants mp LEFT JOIN tiers t USING (puuid)
    WHERE ?::INTEGER IS NULL OR mp.queue_id = ?::INTEGER
), baseline AS (
    SELECT tier, role, avg(kda_ratio) AS b_kda, avg(cs_per_min) AS b_cs,
           avg(dmg_per_min) AS b_dmg, avg(gold_per_min) AS b_gold
    FROM games WHERE tier IN (SELECT tier FROM games WHERE puuid = ?)
    GROUP BY ALL
)
SELECT g.game_start, g.match_id, g.queue_id, g.champion_name, g.role, g.win,
       g.kills, g.deaths, g.assists, round(g.kda_ratio, 2) AS kda_ratio,
       round(g.cs_per_min, 2) AS cs_per_min, round(g.dmg_per_min) AS dmg_per_min,
       round(g.kda_ratio / nullif(b.b_kda, 0), 2) AS kda_vs_base,
       round(g.cs_per_min / nullif(b.b_cs, 0), 2) AS cs_vs_base,
       round(g.dmg_per_min / nullif(b.b_dmg, 0), 2) AS dmg_vs_base,
       round(g.gold_per_min / nullif(b.b_gold, 0), 2) AS gold_vs_base,
       round((g.kda_ratio / nullif(b.b_kda, 0) + g.cs_per_min / nullif(b.b_cs, 0)
              + g.dmg_per_min / nullif(b.b_dmg, 0) + g.gold_per_min / nullif(b.b_gold, 0))
             / 4, 2) AS performance_vs_base
FROM games g LEFT JOIN baseline b USING (tier, role)
WHERE g.puuid = ?
ORDER BY g.game_start DESC
LIMIT ?
"""


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


def match_history(
    con: duckdb.DuckDBPyConnection, puuid: str, *, queue: int | None = None, limit: int = 50
) -> pd.DataFrame:
    """The player's newest games with per-game performance against the tier/role baseline."""
    return con.execute(_MATCH_HISTORY, [queue, queue, puuid, puuid, limit]).df()


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
