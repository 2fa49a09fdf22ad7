"""Player features, computed in DuckDB SQL (no Python loop per player).

Small per-player and per-cell results are staged in temporary tables, so the planner knows
their sizes (a join of millions of games against a 40-row baseline table then builds its
hash table on the small side):

    ranks       per player: newest tier, first/peak/newest ladder position, games reported
    spans       each rank snapshot's tier with the time range it held
    counts      per player: ranked games stored, and the time window of the newest
                ``window_games`` of them (with its middle, splitting older from recent)
    games       every player's window of games: per-minute metrics and the tier held when
                each started (an as-of join on the rank spans); read once, used thrice
    baselines   tier x role means and spreads over ``games``
    lobby       per game of ``games``: the player against the other nine (see ``lobby``)

then one query scores the games of the players in scope against the baseline of their
tier and of the player's current tier, and sums them per champion and per player.
Baselines always come from the whole population, so a player's features do not depend on
who else is scored.

What the account has played comes from its profile (``players``: the last summoner-v4 and
league-v4 answer), never from what was crawled: ``games_played`` is the solo entry's wins +
losses this season, ``summoner_level`` the account's level. Stored games only say how the
account played in them.

``feature_frame`` returns one row per player; ``game_frame`` the scored games of a few
players (for ``explain``); ``baseline_frame`` the baselines.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from pipeline.analysis.baselines import (
    METRICS,
    baselines_ctes,
    composite_z_expression,
    z_columns,
)
from pipeline.analysis.lobby import LOBBY_STAGE
from pipeline.analysis.params import ScoringParams
from pipeline.analysis.tiers import rank_score_sql, tier_index_sql

# Stands in for "no cut-off" so the queries keep one shape.
FAR_FUTURE = datetime(9999, 1, 1)
# Games shorter than this are remakes or early surrenders; per-minute rates would explode.
MIN_GAME_MINUTES = 5.0
UNRANKED = "UNRANKED"
# A game at least this far (composite z) above its lobby is a stomp; about one game in
# fifteen of an ordinary player is (the prior pulls a short record toward that rate).
STOMP_Z = 1.0
STOMP_BASE_RATE = 0.07
_PARAMETER = re.compile(r"\$([a-z_]+)")


@dataclass(frozen=True)
class Stage:
    """The names of one computation's temporary tables."""

    ranks: str
    spans: str
    counts: str
    games: str
    baselines: str
    lobby: str

    @classmethod
    def fresh(cls) -> Stage:
        """Names no other computation uses (two may run on one connection)."""
        prefix = f"smurf_stage_{uuid.uuid4().hex[:12]}"
        names = ("ranks", "spans", "counts", "games", "baselines", "lobby")
        return cls(*(f"{prefix}_{name}" for name in names))

    def names(self) -> dict[str, str]:
        """The names by placeholder, for ``str.format`` of the SQL templates."""
        return {
            "ranks": self.ranks,
            "spans": self.spans,
            "counts": self.counts,
            "games": self.games,
            "baselines": self.baselines,
            "lobby": self.lobby,
        }


def _run(
    con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any]
) -> duckdb.DuckDBPyConnection:
    """Execute with exactly the named parameters the statement uses."""
    used = set(_PARAMETER.findall(sql))
    return con.execute(sql, {k: v for k, v in values.items() if k in used})


def _metric_columns() -> str:
    return ",\n           ".join(f"{m.expression} AS {m.name}" for m in METRICS)


_SNAPSHOTS = f"""
snapshots AS (
    SELECT puuid, observed_at, upper(tier) AS tier,
           {tier_index_sql()} AS tier_index, {rank_score_sql()} AS rank_score,
           coalesce(wins, 0) + coalesce(losses, 0) AS games_reported
    FROM rank_snapshots
    WHERE queue_type = $rank_queue AND tier IS NOT NULL AND observed_at <= $as_of
)"""

_RANKS = f"""WITH {_SNAPSHOTS}
SELECT puuid,
       arg_max(tier, observed_at) AS tier,
       arg_max(tier_index, observed_at) AS tier_index,
       arg_max(rank_score, observed_at) AS rank_score,
       arg_min(rank_score, observed_at) AS first_rank_score,
       max(rank_score) AS peak_rank_score,
       arg_max(games_reported, observed_at) AS games_reported,
       arg_min(games_reported, observed_at) AS first_games_reported,
       min(observed_at) AS first_observed_at,
       max(observed_at) AS last_observed_at
FROM snapshots GROUP BY puuid"""

# Each snapshot's tier holds from it until the next; the first also covers the games
# before it (they are closer to it than to anything else known).
_SPANS = f"""WITH {_SNAPSHOTS}
SELECT puuid, tier,
       CASE WHEN row_number() OVER w = 1 THEN TIMESTAMP '1970-01-01' ELSE observed_at END
           AS valid_from,
       coalesce(lead(observed_at) OVER w, TIMESTAMP '9999-12-31') AS valid_to
FROM snapshots
WINDOW w AS (PARTITION BY puuid ORDER BY observed_at)"""

_ANALYSED = """match_participants
WHERE queue_id IN (SELECT unnest($queues)) AND game_start <= $as_of"""

# Per player: ranked games stored, and the window of the newest ``window_games`` of them
# (its oldest start and its middle in time, which splits older from recent games). The
# top-n aggregate runs only for players with more games than the window holds.
_COUNTS = f"""WITH
counts AS (
    SELECT puuid, count(*) AS games, min(game_start) AS first_start,
           max(game_start) AS last_start
    FROM {_ANALYSED} GROUP BY puuid
),
cutoffs AS (
    SELECT puuid, max(game_start, $window_games)[-1] AS cutoff
    FROM {_ANALYSED}
        AND puuid IN (SELECT puuid FROM counts WHERE games > $window_games)
    GROUP BY puuid
)
SELECT c.puuid, c.games AS ranked_games_stored,
       coalesce(k.cutoff, c.first_start) AS window_start,
       coalesce(k.cutoff, c.first_start)
           + (c.last_start - coalesce(k.cutoff, c.first_start)) / 2 AS middle
FROM counts c LEFT JOIN cutoffs k ON k.puuid = c.puuid"""


# Each player's window of games with metrics and the tier of the time, read once and
# staged: both the baselines and the scores are computed from it.
_GAMES = f"""
SELECT g.puuid, g.match_id, g.game_start, g.win, g.champion_id, g.summoner_level,
       g.kills, g.deaths, g.assists,
       coalesce(nullif(g.team_position, ''), 'UNKNOWN') AS role,
       greatest(coalesce(g.game_duration_s, 1800) / 60.0, {MIN_GAME_MINUTES}) AS minutes,
       g.game_start > w.middle AS is_recent,
       coalesce(t.tier, '{UNRANKED}') AS game_tier,
       {_metric_columns()}
FROM (SELECT * FROM {_ANALYSED}) g
JOIN {{counts}} w ON w.puuid = g.puuid AND g.game_start >= w.window_start
-- Spans are contiguous (each ends where the next begins), so the span holding a game is
-- the latest one starting at or before it: an as-of join, one sorted merge per player.
ASOF LEFT JOIN {{spans}} t ON t.puuid = g.puuid AND g.game_start >= t.valid_from"""


def _games_cte(scope: str) -> str:
    """CTE ``games``: the staged games, of the players in scope."""
    return f"""
games AS (SELECT * FROM {{games}} WHERE true {scope})"""


_BASELINES = (
    "WITH "
    + _games_cte("")
    + ","
    + baselines_ctes("games", "SELECT tier FROM {ranks}")
    + " SELECT * FROM baselines"
)


@contextmanager
def staged(
    con: duckdb.DuckDBPyConnection, params: ScoringParams, as_of: datetime | None
) -> Iterator[Stage]:
    """Build the temporary tables of one computation; drop them afterwards."""
    stage = Stage.fresh()
    values = _parameters(params, None, as_of)
    steps = (
        (stage.ranks, _RANKS),
        (stage.spans, _SPANS),
        (stage.counts, _COUNTS),
        (stage.games, _GAMES),
        (stage.baselines, _BASELINES),
        (stage.lobby, LOBBY_STAGE),
    )
    try:
        for table, sql in steps:
            body = sql.format(**stage.names())
            _run(con, f"CREATE TEMP TABLE {table} AS {body}", values)
        yield stage
    finally:
        for table, _ in steps:
            con.execute(f"DROP TABLE IF EXISTS {table}")


def _scope_filter(puuids: Sequence[str] | None) -> str:
    return "" if puuids is None else "AND puuid IN (SELECT unnest($puuids))"


def _scored_games_ctes(puuids: Sequence[str] | None) -> str:
    return f"""{_games_cte(_scope_filter(puuids))},
game_z AS (
    SELECT w.*,
           coalesce(c.tier, '{UNRANKED}') AS current_tier,
           {z_columns("w", "b", "")},
           {z_columns("w", "bc", "_current")},
           lb.lobby_z, lb.deaths_z, lb.lobby_rank,
           date_diff('second', lag(w.game_start) OVER (PARTITION BY w.puuid ORDER BY
               w.game_start, w.match_id), w.game_start) / 86400.0 AS gap_days
    FROM games w
    LEFT JOIN {{lobby}} lb ON lb.match_id = w.match_id AND lb.puuid = w.puuid
    LEFT JOIN {{ranks}} c ON c.puuid = w.puuid
    LEFT JOIN {{baselines}} b ON b.tier = w.game_tier AND b.role = w.role
    LEFT JOIN {{baselines}} bc ON bc.tier = coalesce(c.tier, '{UNRANKED}') AND bc.role = w.role
),
scored_games AS (
    SELECT *,
           {composite_z_expression("")} AS perf_z,
           {composite_z_expression("_current")} AS perf_z_current
    FROM game_z
)"""


def _player_ctes(puuids: Sequence[str] | None) -> str:
    scope = _scope_filter(puuids)
    scope_source = (
        "SELECT puuid FROM stored" if puuids is None else "SELECT DISTINCT unnest($puuids) AS puuid"
    )
    return f"""
stored AS (
    SELECT puuid, count(*) AS matches_stored FROM match_participants WHERE true {scope}
    GROUP BY puuid
),
scope AS ({scope_source}),
-- Two levels: per champion first (for the champion pool and barely-played champions),
-- then per player; sums of sums, so no per-game window function is needed.
champion_games AS (
    SELECT puuid, champion_id,
           count(*) AS games,
           sum(win::INTEGER) AS wins,
           sum(kills) AS kills, sum(deaths) AS deaths, sum(assists) AS assists,
           sum(perf_z) AS perf_sum,
           sum(perf_z_current) AS perf_current_sum,
           coalesce(sum(perf_z) FILTER (is_recent), 0) AS recent_sum,
           count(*) FILTER (is_recent) AS recent_games,
           coalesce(sum(win::INTEGER) FILTER (is_recent), 0) AS recent_wins,
           coalesce(sum(perf_z_current) FILTER (is_recent), 0) AS recent_current_sum,
           -- Levels only rise, so the highest is the level at the newest game.
           max(summoner_level) AS last_level,
           count(lobby_z) AS lobby_games,
           coalesce(sum(lobby_z), 0) AS lobby_sum,
           count(lobby_z) FILTER (win) AS lobby_wins,
           coalesce(sum(lobby_z) FILTER (win), 0) AS lobby_win_sum,
           count(lobby_z) FILTER (NOT win) AS lobby_losses,
           coalesce(sum(lobby_z) FILTER (NOT win), 0) AS lobby_loss_sum,
           coalesce(sum(deaths_z) FILTER (NOT win), 0) AS loss_deaths_sum,
           count(lobby_z) FILTER (lobby_z >= $stomp_z) AS stomps,
           coalesce(sum(lobby_z) FILTER (is_recent), 0) AS recent_lobby_sum,
           count(lobby_z) FILTER (is_recent) AS recent_lobby_games,
           sum(lobby_rank) AS lobby_rank_sum,
           count(lobby_rank) AS lobby_rank_games,
           max(gap_days) AS longest_gap_days
    FROM scored_games GROUP BY puuid, champion_id
),
player_games AS (
    SELECT puuid,
           sum(games) AS games_analyzed,
           sum(wins) AS wins,
           sum(kills) AS kills, sum(deaths) AS deaths, sum(assists) AS assists,
           sum(perf_sum) AS perf_sum,
           sum(perf_current_sum) AS perf_current_sum,
           sum(perf_sum) FILTER (games <= $unfamiliar) AS unfamiliar_sum,
           sum(games) FILTER (games <= $unfamiliar) AS unfamiliar_games,
           sum(recent_sum) AS late_sum,
           sum(recent_games) AS late_games,
           sum(perf_sum - recent_sum) AS early_sum,
           sum(games - recent_games) AS early_games,
           sum(recent_wins) AS late_wins,
           sum(wins - recent_wins) AS early_wins,
           sum(recent_current_sum) AS late_current_sum,
           count(*) AS champion_count,
           max(games) AS top_champion_games,
           max(last_level) AS level_at_last_game,
           sum(lobby_games) AS lobby_games,
           sum(lobby_sum) AS lobby_sum,
           sum(lobby_wins) AS lobby_wins,
           sum(lobby_win_sum) AS lobby_win_sum,
           sum(lobby_losses) AS lobby_losses,
           sum(lobby_loss_sum) AS lobby_loss_sum,
           sum(loss_deaths_sum) AS loss_deaths_sum,
           sum(stomps) AS stomps,
           sum(recent_lobby_sum) AS recent_lobby_sum,
           sum(recent_lobby_games) AS recent_lobby_games,
           sum(lobby_rank_sum) AS lobby_rank_sum,
           sum(lobby_rank_games) AS lobby_rank_games,
           max(longest_gap_days) AS longest_gap_days
    FROM champion_games GROUP BY puuid
)"""


_PROFILE_RANK = rank_score_sql("p.solo_tier", "p.solo_division", "p.solo_league_points")

_FEATURES_SELECT = f"""
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
       coalesce(pg.late_current_sum, 0) / (coalesce(pg.late_games, 0) + $perf_prior)
           AS recent_perf_z_current_tier,
       coalesce(pg.early_sum, 0) / (coalesce(pg.early_games, 0) + $perf_prior)
           AS older_perf_z,
       (coalesce(pg.late_wins, 0) + $winrate_prior / 2)
           / (coalesce(pg.late_games, 0) + $winrate_prior)
           - (coalesce(pg.early_wins, 0) + $winrate_prior / 2)
           / (coalesce(pg.early_games, 0) + $winrate_prior) AS win_rate_change,
       coalesce(pg.champion_count, 0) AS champion_count,
       pg.top_champion_games / nullif(pg.games_analyzed, 0) AS top_champion_share,
       -- Against the lobby of each game (see ``lobby``), shrunk toward 0 like perf_z.
       coalesce(pg.lobby_games, 0) AS lobby_games,
       coalesce(pg.lobby_sum, 0) / (coalesce(pg.lobby_games, 0) + $perf_prior) AS lobby_perf,
       coalesce(pg.lobby_win_sum, 0) / (coalesce(pg.lobby_wins, 0) + $perf_prior)
           AS lobby_perf_wins,
       coalesce(pg.lobby_loss_sum, 0) / (coalesce(pg.lobby_losses, 0) + $perf_prior)
           AS lobby_perf_losses,
       coalesce(pg.loss_deaths_sum, 0) / (coalesce(pg.lobby_losses, 0) + $perf_prior)
           AS loss_deaths_z,
       (coalesce(pg.stomps, 0) + $perf_prior * $stomp_base_rate)
           / (coalesce(pg.lobby_games, 0) + $perf_prior) AS stomp_share,
       coalesce(pg.recent_lobby_sum, 0) / (coalesce(pg.recent_lobby_games, 0) + $perf_prior)
           - (coalesce(pg.lobby_sum, 0) - coalesce(pg.recent_lobby_sum, 0))
           / (coalesce(pg.lobby_games, 0) - coalesce(pg.recent_lobby_games, 0) + $perf_prior)
           AS lobby_perf_change,
       pg.lobby_rank_sum / nullif(pg.lobby_rank_games, 0) AS lobby_rank,
       coalesce(pg.lobby_rank_games, 0) AS lobby_rank_games,
       coalesce(pg.longest_gap_days, 0) AS longest_gap_days,
       -- The profile: what the account has played, not what was crawled.
       p.summoner_checked_at AS profile_checked_at,
       p.profile_found,
       coalesce(p.summoner_level, pg.level_at_last_game) AS summoner_level,
       CASE WHEN p.summoner_checked_at IS NOT NULL
            THEN coalesce(p.solo_wins, 0) + coalesce(p.solo_losses, 0) END AS games_played,
       (coalesce(p.solo_wins, 0) + $winrate_prior / 2)
           / (coalesce(p.solo_wins, 0) + coalesce(p.solo_losses, 0) + $winrate_prior)
           AS season_win_rate,
       greatest(coalesce(rs.ranked_games_stored, 0),
                coalesce(p.solo_wins + p.solo_losses, c.games_reported, 0))
           AS ranked_games_total,
       CASE WHEN p.summoner_checked_at IS NOT NULL
            THEN coalesce(upper(p.solo_tier), 'UNRANKED')
            ELSE coalesce(c.tier, 'UNRANKED') END AS tier,
       CASE WHEN p.summoner_checked_at IS NOT NULL
            THEN {tier_index_sql("p.solo_tier")} ELSE c.tier_index END AS tier_index,
       CASE WHEN p.summoner_checked_at IS NOT NULL
            THEN {_PROFILE_RANK} ELSE c.rank_score END AS rank_score,
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
LEFT JOIN {{counts}} rs ON rs.puuid = s.puuid
LEFT JOIN {{ranks}} c ON c.puuid = s.puuid
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
        "winrate_prior": params.winrate_prior_games,
        "perf_prior": params.performance_prior_games,
        "unfamiliar": params.unfamiliar_champion_games,
        "stomp_z": STOMP_Z,
        "stomp_base_rate": STOMP_BASE_RATE,
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
    sql = f"WITH {_scored_games_ctes(puuids)},{_player_ctes(puuids)} {_FEATURES_SELECT}"
    with staged(con, params, as_of) as stage:
        frame = _run(con, sql.format(**stage.names()), _parameters(params, puuids, as_of)).df()
    # The same types whoever is in the frame: DuckDB hands an integer column over as int64
    # when no row is NULL and as float64 otherwise (a player never profiled has no games
    # played, no level), so every integer column but the two counts becomes float64.
    frame["profile_found"] = frame["profile_found"].astype("boolean")
    counts = {"games_analyzed", "matches_stored"}
    for name in frame.columns:
        if name not in counts and pd.api.types.is_integer_dtype(frame[name].dtype):
            frame[name] = frame[name].astype("float64")
    return frame


def game_frame(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    puuids: Sequence[str],
    as_of: datetime | None = None,
) -> pd.DataFrame:
    """The analysed games of ``puuids``, newest first, with metrics and z-scores."""
    metrics = ", ".join(m.name for m in METRICS)
    sql = f"""WITH {_scored_games_ctes(puuids)}
    SELECT puuid, match_id, game_start, role, champion_id,
           count(*) OVER (PARTITION BY puuid, champion_id) AS champion_games,
           win, kills, deaths, assists, minutes, game_tier, current_tier, is_recent,
           {metrics}, perf_z, perf_z_current
    FROM scored_games ORDER BY puuid, game_start DESC, match_id DESC"""
    with staged(con, params, as_of) as stage:
        return _run(con, sql.format(**stage.names()), _parameters(params, puuids, as_of)).df()


def baseline_frame(
    con: duckdb.DuckDBPyConnection, params: ScoringParams, as_of: datetime | None = None
) -> pd.DataFrame:
    """The tier x role baselines (means and standard deviations) the scores compare to."""
    columns = ", ".join(f"{m.name}_mean, {m.name}_sd" for m in METRICS)
    with staged(con, params, as_of) as stage:
        sql = f"SELECT tier, role, n, {columns} FROM {stage.baselines} ORDER BY ALL"
        return con.execute(sql).df()
