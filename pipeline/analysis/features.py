"""Player features, computed in one DuckDB query (no Python loop per player).

The query is a chain of named CTEs:

    snapshots      rank snapshots of the rank queue up to ``as_of``, with tier index and LP
    current_rank   per player: newest tier, first/peak/newest ladder position, games reported
    all_games      every game of the analysed queues up to ``as_of``, with per-minute metrics
    games_tiered   each game with the tier the player held when it started (ASOF join)
    baselines      tier x role means and variances (see ``baselines``)
    scored_games   each player's newest ``window_games`` games with a composite z-score
                   against the baseline of the game's tier and of the player's current tier
    player_games   per-player sums over those games

``feature_frame`` returns one row per player; ``game_frame`` the scored games of a few
players (for ``explain``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from pipeline.analysis.baselines import METRICS, baselines_ctes, composite_z_expression
from pipeline.analysis.params import ScoringParams
from pipeline.analysis.tiers import rank_score_sql, tier_index_sql

# Stands in for "no cut-off" so the query keeps one shape.
FAR_FUTURE = datetime(9999, 1, 1)
# Games shorter than this are remakes or early surrenders; per-minute rates would explode.
MIN_GAME_MINUTES = 5.0
UNRANKED = "UNRANKED"


def _metric_columns() -> str:
    return ",\n        ".join(f"{m.expression} AS {m.name}" for m in METRICS)


def _scope_filter(puuids: Sequence[str] | None) -> str:
    return "" if puuids is None else "AND puuid IN (SELECT unnest($puuids))"


def _game_ctes(puuids: Sequence[str] | None) -> str:
    scope = _scope_filter(puuids)
    return f"""
snapshots AS (
    SELECT puuid, observed_at, upper(tier) AS tier,
           {tier_index_sql()} AS tier_index, {rank_score_sql()} AS rank_score,
           coalesce(wins, 0) + coalesce(losses, 0) AS games_reported
    FROM rank_snapshots
    WHERE queue_type = $rank_queue AND tier IS NOT NULL AND observed_at <= $as_of
),
current_rank AS (
    SELECT puuid,
           arg_max(tier, observed_at) AS tier,
           arg_min(tier, observed_at) AS first_tier,
           arg_max(tier_index, observed_at) AS tier_index,
           arg_max(rank_score, observed_at) AS rank_score,
           arg_min(rank_score, observed_at) AS first_rank_score,
           max(rank_score) AS peak_rank_score,
           arg_max(games_reported, observed_at) AS games_reported,
           arg_min(games_reported, observed_at) AS first_games_reported,
           min(observed_at) AS first_observed_at,
           max(observed_at) AS last_observed_at
    FROM snapshots GROUP BY puuid
),
base_games AS (
    SELECT puuid, match_id, game_start, win, champion_id, summoner_level,
           kills, deaths, assists,
           coalesce(nullif(team_position, ''), 'UNKNOWN') AS role,
           greatest(coalesce(game_duration_s, 1800) / 60.0, {MIN_GAME_MINUTES}) AS minutes,
           cs, gold_earned, damage_to_champions, kill_participation, vision_score
    FROM match_participants
    WHERE queue_id IN (SELECT unnest($queues)) AND game_start <= $as_of
),
all_games AS (
    SELECT *,
        {_metric_columns()}
    FROM base_games
),
games_tiered AS (
    -- A game before the first snapshot is closest to the first known tier.
    SELECT g.*, coalesce(s.tier, c.first_tier, '{UNRANKED}') AS game_tier
    FROM all_games g
    ASOF LEFT JOIN snapshots s ON g.puuid = s.puuid AND g.game_start >= s.observed_at
    LEFT JOIN current_rank c ON c.puuid = g.puuid
),
{baselines_ctes("games_tiered", "SELECT tier FROM current_rank")},
window_games AS (
    SELECT *, row_number() OVER (
        PARTITION BY puuid ORDER BY game_start DESC, match_id DESC) AS recency
    FROM games_tiered
    WHERE true {scope}
    QUALIFY recency <= $window_games
),
scored_games AS (
    SELECT w.*,
           count(*) OVER (PARTITION BY w.puuid, w.champion_id) AS champion_games,
           count(*) OVER (PARTITION BY w.puuid) AS window_size,
           coalesce(c.tier, '{UNRANKED}') AS current_tier,
           {composite_z_expression("w", "b")} AS perf_z,
           {composite_z_expression("w", "bc")} AS perf_z_current
    FROM window_games w
    LEFT JOIN current_rank c ON c.puuid = w.puuid
    LEFT JOIN baselines b ON b.tier = w.game_tier AND b.role = w.role
    LEFT JOIN baselines bc ON bc.tier = coalesce(c.tier, '{UNRANKED}') AND bc.role = w.role
)"""


def _player_ctes(puuids: Sequence[str] | None) -> str:
    scope = _scope_filter(puuids)
    scope_source = (
        "SELECT DISTINCT puuid FROM match_participants"
        if puuids is None
        else "SELECT DISTINCT unnest($puuids) AS puuid"
    )
    return f"""
scope AS ({scope_source}),
player_games AS (
    SELECT puuid,
           count(*) AS games_analyzed,
           sum(win::INTEGER) AS wins,
           sum(kills) AS kills, sum(deaths) AS deaths, sum(assists) AS assists,
           sum(perf_z) AS perf_sum,
           sum(perf_z_current) AS perf_current_sum,
           sum(perf_z) FILTER (champion_games <= $unfamiliar) AS unfamiliar_sum,
           count(*) FILTER (champion_games <= $unfamiliar) AS unfamiliar_games,
           sum(perf_z) FILTER (recency <= window_size / 2) AS late_sum,
           count(*) FILTER (recency <= window_size / 2) AS late_games,
           sum(perf_z) FILTER (recency > window_size / 2) AS early_sum,
           count(*) FILTER (recency > window_size / 2) AS early_games,
           count(DISTINCT champion_id) AS champion_count,
           max(champion_games) AS top_champion_games,
           arg_max(summoner_level, game_start) AS level_at_last_game
    FROM scored_games GROUP BY puuid
),
ranked_stored AS (
    SELECT puuid, count(*) AS ranked_games_stored FROM all_games WHERE true {scope}
    GROUP BY puuid
),
stored AS (
    SELECT puuid, count(*) AS matches_stored FROM match_participants WHERE true {scope}
    GROUP BY puuid
)"""


_FEATURES_SELECT = """
SELECT s.puuid,
       coalesce(st.matches_stored, 0) AS matches_stored,
       coalesce(pg.games_analyzed, 0) AS games_analyzed,
       coalesce(pg.wins, 0)::INTEGER AS wins,
       pg.wins / nullif(pg.games_analyzed, 0) AS win_rate,
       (coalesce(pg.wins, 0) + $winrate_prior / 2)
           / (coalesce(pg.games_analyzed, 0) + $winrate_prior) AS win_rate_shrunk,
       (pg.kills + pg.assists) / greatest(pg.deaths, 1) AS kda,
       coalesce(pg.perf_sum, 0) / (coalesce(pg.games_analyzed, 0) + $perf_prior) AS perf_z,
       coalesce(pg.perf_current_sum, 0) / (coalesce(pg.games_analyzed, 0) + $perf_prior)
           AS perf_z_current_tier,
       coalesce(pg.unfamiliar_sum, 0) / (coalesce(pg.unfamiliar_games, 0) + $perf_prior)
           AS unfamiliar_champion_perf_z,
       coalesce(pg.late_sum, 0) / (coalesce(pg.late_games, 0) + $perf_prior)
           - coalesce(pg.early_sum, 0) / (coalesce(pg.early_games, 0) + $perf_prior)
           AS perf_change,
       coalesce(pg.champion_count, 0) AS champion_count,
       pg.top_champion_games / nullif(pg.games_analyzed, 0) AS top_champion_share,
       coalesce(pg.level_at_last_game, p.summoner_level) AS summoner_level,
       greatest(coalesce(rs.ranked_games_stored, 0), coalesce(c.games_reported, 0))
           AS ranked_games_total,
       coalesce(c.tier, 'UNRANKED') AS tier,
       c.tier_index,
       c.rank_score,
       coalesce(c.rank_score - c.first_rank_score, 0) AS climb_lp,
       coalesce((c.rank_score - c.first_rank_score)
           / nullif(c.games_reported - c.first_games_reported, 0), 0) AS climb_lp_per_game,
       coalesce((c.rank_score - c.first_rank_score)
           / nullif(date_diff('second', c.first_observed_at, c.last_observed_at) / 86400.0, 0),
           0) AS climb_lp_per_day,
       coalesce(c.peak_rank_score - c.rank_score, 0) AS drop_from_peak_lp
FROM scope s
LEFT JOIN player_games pg ON pg.puuid = s.puuid
LEFT JOIN stored st ON st.puuid = s.puuid
LEFT JOIN ranked_stored rs ON rs.puuid = s.puuid
LEFT JOIN current_rank c ON c.puuid = s.puuid
LEFT JOIN players p ON p.puuid = s.puuid
ORDER BY s.puuid
"""


def _parameters(
    params: ScoringParams, puuids: Sequence[str] | None, as_of: datetime | None
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "queues": list(params.queues),
        "as_of": as_of.replace(tzinfo=None) if as_of is not None else FAR_FUTURE,
        "rank_queue": params.rank_queue,
        "window_games": params.window_games,
        "baseline_prior_games": params.baseline_prior_games,
    }
    if puuids is not None:
        values["puuids"] = list(puuids)
    return values


def feature_frame(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    puuids: Sequence[str] | None = None,
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """One row per player (every player with a stored game, or exactly ``puuids``)."""
    sql = f"WITH {_game_ctes(puuids)},{_player_ctes(puuids)} {_FEATURES_SELECT}"
    values = _parameters(params, puuids, as_of) | {
        "winrate_prior": params.winrate_prior_games,
        "perf_prior": params.performance_prior_games,
        "unfamiliar": params.unfamiliar_champion_games,
    }
    return con.execute(sql, values).df()


def game_frame(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    puuids: Sequence[str],
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """The analysed games of ``puuids``, newest first, with metrics and z-scores."""
    metrics = ", ".join(m.name for m in METRICS)
    sql = f"""WITH {_game_ctes(puuids)}
    SELECT puuid, match_id, game_start, role, champion_id, win, kills, deaths, assists,
           minutes, game_tier, current_tier, champion_games, {metrics},
           perf_z, perf_z_current
    FROM scored_games ORDER BY puuid, recency"""
    return con.execute(sql, _parameters(params, puuids, as_of)).df()


def baseline_frame(
    con: duckdb.DuckDBPyConnection, params: ScoringParams, as_of: datetime | None = None
) -> pd.DataFrame:
    """The tier x role baselines (means and standard deviations) the scores compare to."""
    columns = ", ".join(f"{m.name}_mean, sqrt({m.name}_var) AS {m.name}_sd" for m in METRICS)
    sql = f"WITH {_game_ctes([])} SELECT tier, role, n, {columns} FROM baselines ORDER BY ALL"
    return con.execute(sql, _parameters(params, [], as_of)).df()
