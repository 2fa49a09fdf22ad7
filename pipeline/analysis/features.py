"""Player features, computed in DuckDB SQL from the per-player sums the store keeps.

The store adds every new game to ``player_game_sums`` and friends in the transaction that
stores it (``store.aggregates``), so features are a pass over those sums (a few rows per
player), never over the games. What depends on more than a player's own games is applied
here, when scoring:

    ranks       per player: newest tier, first/peak/newest ladder position (rank snapshots;
                the analyzer reads its rank summary instead, see ``ranks``)
    current     per player: the tier the baselines compare with (profile, else snapshots)
    baselines   tier x role means and spreads of the raw metrics (``baselines``), over the
                players of each tier, shrunk toward the role and the documented defaults
    offsets     per role: the lobby reference's norms (``store.aggregates.lobby_z``)

Every score is linear in the sums: a player's summed z against their tier's baseline is
``direction * (sum - n * mean) / sd`` per metric, and their summed lobby z likewise from
the sums of own value minus the lobby's. Sums against time (t, in days) give each a trend
(a least-squares line, ridge-damped so a short span cannot make a steep slope), which says
how the player compares *lately* and *earlier* without a window of games. The sum of each
game's lobby z squared gives how far play swings about the means of the games won and lost.

What the account has played comes from its profile (``players``: the last summoner-v4 and
league-v4 answer), never from what was crawled: ``games_played`` is the solo entry's wins +
losses this season, ``summoner_level`` the account's level. Stored games only say how the
account played in them.

The analyzer keeps the same per-player sums folded into one narrow row per player
(``player_score_inputs``, see ``inputs``): when scoring against its stored baselines,
``feature_frame`` reads those rows instead of the sums rows, which cost about a whole scan
of the sums even for one player in a hundred; and its rank summary (``player_ranks``)
instead of the rank snapshots, for the same reason.

``feature_frame`` returns one row per player; ``game_frame`` the stored games of a few
players with their per-game scores (for ``explain``, read from the games themselves);
``baseline_frame`` the baselines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from pipeline.analysis.baselines import METRICS, baselines_ctes, composite_z
from pipeline.analysis.params import ScoringParams
from pipeline.analysis.ranks import RANKED_SNAPSHOTS, summary_select
from pipeline.analysis.tiers import TIERS, rank_score_sql, tier_index_sql
from pipeline.store.aggregates import EPOCH, STOMP_Z, lobby_z, per_game_sql, reference_ctes

# Stands in for "no cut-off" so the queries keep one shape.
FAR_FUTURE = datetime(9999, 1, 1)
UNRANKED = "UNRANKED"
# About one game in fifteen of an ordinary player is a stomp (lobby z >= 1; the prior pulls a
# short record toward that rate).
STOMP_BASE_RATE = 0.07
# A steady player's spread of lobby z about its wins' and its losses' means is about 0.5
# (0.46-0.52 on crawls of the bundled simulator and of an independently written world): a
# short record's swing is pulled toward that variance by this many games.
SWING_PRIOR_VARIANCE = 0.25
SWING_PRIOR_GAMES = 10
# Ridge on a trend's time spread, in days squared per game: games a few days apart say
# little about a trend, so their slope is damped toward flat.
TREND_RIDGE_DAYS2 = 49.0
_PARAMETER = re.compile(r"\$([a-z_]+)")


def _run(
    con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any]
) -> duckdb.DuckDBPyConnection:
    """Execute with exactly the named parameters the statement uses."""
    return con.execute(sql, _used(sql, values))


def _used(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The named parameters of ``values`` that ``sql`` uses (DuckDB refuses any other)."""
    used = set(_PARAMETER.findall(sql))
    return {k: v for k, v in values.items() if k in used}


def _scope(puuids: Sequence[str] | None, column: str = "puuid") -> str:
    return "" if puuids is None else f"AND {column} IN (SELECT unnest($puuids))"


def _days(timestamp: str) -> str:
    return f"date_diff('millisecond', {EPOCH}, {timestamp}) / 86400000.0"


def _ranks(scope: str, *, summarized: bool) -> str:
    """The ``ranks`` CTE: per player, what scoring reads of their snapshots in the scored
    rank queue up to ``$as_of``; ``summarized``: from the analyzer's rank summary instead
    (``ranks``; only for now, and only once the analyzer's run has folded the snapshots)."""
    if summarized:
        return f"""
ranks AS (
    SELECT * FROM player_ranks WHERE queue_type = $rank_queue {scope}
)"""
    snapshots = f"""(
        {RANKED_SNAPSHOTS}
          AND queue_type = $rank_queue AND observed_at <= $as_of {scope}
    )"""
    return f"""
ranks AS (
    {summary_select(snapshots)}
)"""


def _current(scope: str) -> str:
    # The tier a player's games are compared with: the profile's solo tier once fetched (the
    # league entry of now), else the newest snapshot's.
    return f"""
current AS (
    SELECT p.puuid,
           CASE WHEN p.summoner_checked_at IS NOT NULL
                THEN coalesce(upper(p.solo_tier), '{UNRANKED}')
                ELSE coalesce(r.tier, '{UNRANKED}') END AS tier
    FROM players p LEFT JOIN ranks r ON r.puuid = p.puuid
    WHERE true {scope}
)"""


def _cells() -> str:
    parts = ["coalesce(c.tier, 'UNRANKED') AS game_tier", "s.role", "sum(s.games) AS n"]
    for m in METRICS:
        parts.append(f"sum(s.{m.name}_n) AS {m.name}_n")
        parts.append(f"sum(s.{m.name}_sum)::DOUBLE AS {m.name}_sum")
        parts.append(f"sum(s.{m.name}_sq)::DOUBLE AS {m.name}_sq")
    return (
        f"SELECT {', '.join(parts)} FROM all_sums s LEFT JOIN current c ON c.puuid = s.puuid"
        " GROUP BY ALL"
    )


def _tier_z(column: str, count: str) -> str:
    """SQL: the summed composite z against the player's current-tier baseline ``b``, from
    the per-metric sums ``{column}`` (formatted with the metric) over ``count`` games."""
    terms = [
        f"{m.direction} * ({column.format(m.name)} - {count.format(m.name)} * b.{m.name}_mean)"
        f" / b.{m.name}_sd"
        for m in METRICS
    ]
    return f"coalesce(({' + '.join(terms)}) / {len(METRICS)}, 0)"


# Every tier has a baseline row, played in or not.
_ALL_TIERS = "SELECT * FROM (VALUES {}) t(tier)".format(
    ", ".join(f"('{t}')" for t in (*TIERS, UNRANKED))
)
_CACHED_BASELINES = (
    "baselines AS (SELECT tier, role, n, "
    + ", ".join(f"{m.name}_mean, {m.name}_sd" for m in METRICS)
    + " FROM scoring_baselines)"
)


def _common_ctes(
    puuids: Sequence[str] | None,
    *,
    cached: bool = False,
    rows: str = "",
    tiers: str | None = None,
    summarized: bool = False,
) -> str:
    """The CTEs every query here starts from. ``cached``: compare with the baselines the
    analyzer keeps (``scoring_baselines``) and read the sums and ranks of the players in
    scope only, so the cost follows the players scored; else the baselines come from
    everyone's sums. ``rows``: a condition on the sums rows read (``AND ...``); ``tiers``:
    a table (puuid, tier) of the tiers to compare with instead of the current ones;
    ``summarized``: the ranks from the analyzer's rank summary (see ``_ranks``)."""
    scope = _scope(puuids) if cached else ""
    baselines = _CACHED_BASELINES if cached else baselines_ctes(_cells(), _ALL_TIERS).lstrip()
    current = (
        f"current AS (SELECT puuid, tier FROM {tiers})"
        if tiers is not None
        else _current(_scope(puuids, "p.puuid") if cached else "")
    )
    # Scoped at the scan when nothing needs everyone's sums: the rows of the players in
    # scope are a small share of the table, and every later step then handles only them.
    return f"""
all_sums AS (
    SELECT * FROM player_game_sums WHERE queue_id IN (SELECT unnest($queues)) {scope} {rows}
),
{_ranks(scope, summarized=summarized)},
{current},
{baselines},
{reference_ctes()},
-- Each sums row of a player in scope, scored against the current tier and the lobby.
rows AS (
    SELECT s.puuid, s.role, s.win, s.games, s.lobby_games,
           s.t_sum::DOUBLE AS t_sum, s.lobby_t_sum::DOUBLE AS lobby_t_sum,
           coalesce(c.tier, '{UNRANKED}') AS current_tier,
           {_tier_z("s.{}_sum::DOUBLE", "s.{}_n")} AS perf_sum,
           {_tier_z("s.{}_t::DOUBLE", "(s.t_sum::DOUBLE * s.{}_n / s.games)")} AS perf_t,
           {lobby_z("s.lobby_{}_sum::DOUBLE", "s.lobby_games", "o")} AS lobby_sum,
           {lobby_z("s.lobby_{}_t::DOUBLE", "s.lobby_t_sum::DOUBLE", "o")} AS lobby_t,
           coalesce((s.lobby_deaths_pm_sum::DOUBLE + s.lobby_games * o.deaths_pm_off)
               / o.deaths_pm_sd, 0) AS deaths_sum
    FROM all_sums s
    LEFT JOIN current c ON c.puuid = s.puuid
    LEFT JOIN baselines b ON b.tier = coalesce(c.tier, '{UNRANKED}') AND b.role = s.role
    LEFT JOIN offsets o ON o.role = s.role
    WHERE true {_scope(puuids, "s.puuid")}
)"""


def _trend(total: str, against_time: str, n: str, t_sum: str, t_sq: str) -> str:
    """SQL: the ridge-damped least-squares slope (per day) of a per-game value over time."""
    spread = f"greatest({t_sq} - {t_sum} * {t_sum} / {n}, 0) + {n} * {TREND_RIDGE_DAYS2}"
    return f"coalesce(({against_time} - {t_sum} * {total} / {n}) / nullif({spread}, 0), 0)"


def _weekly(source: str) -> str:
    """The ``weekly`` CTE: per player, from the lists in ``source`` of the weeks played
    (``weeks``, sorted) and of each week's games in a regular lobby and their lobby z sum
    (``week_lobby_games``, ``week_lobby_z``):

        longest_gap_days  the longest run of whole weeks without a game between two weeks
                          with games, in days
        lobby_fall        how far play against the lobby fell from the best week to the
                          newest, each week's mean shrunk toward 0 like every mean here (a
                          week of two lucky games is not a best week). Judged week by week,
                          it moves little with the span of games stored, where a trend
                          through every stored game flattens when a booster's weeks sit
                          between the owner's older and newer ones. Not free of bias: a
                          newest week of few games is shrunk hardest, and the best of
                          many weeks is higher by chance, so steady play far above the
                          lobby over many weeks reads as some fall.

    A player whose lists are empty or NULL (no game in the scored queues, in the
    analyzer's inputs) gets a gap of 0 and no fall (NULL), which ``_FEATURES_SELECT`` reads
    as 0, as for a player without a row. Not filtered out: DuckDB would push the filter
    down to the sort of the lists and sort them twice.
    """
    return f"""
weekly AS (
    SELECT puuid,
           greatest(list_max(list_transform(
               range(1, len(weeks)), i -> date_diff('day', weeks[i], weeks[i + 1]) - 7)), 0)
               AS longest_gap_days,
           list_max(week_play) - week_play[len(week_play)] AS lobby_fall
    FROM (
        SELECT *, list_transform(range(1, len(weeks) + 1),
                      i -> week_lobby_z[i]::DOUBLE / (week_lobby_games[i] + $perf_prior))
                      AS week_play
        FROM {source}
    )
)"""


def sorted_lists(source: str, lists: dict[str, str]) -> str:
    """SELECT: per ``puuid`` of ``source``, one list per item of ``lists`` (name -> expression
    over ``source``'s columns), all in the order of the first item's values, which must be
    unique per player (a week, a champion) and never NULL.

    One sort of a list of structs per player, the same order as ``list(x ORDER BY key)``
    for each list: aggregates ordered by a key cost four times as much (the weeks of 1,000
    players, three lists: 29 ms against 7 ms; of 100,000 players: 0.73 s against 0.22 s).
    """
    fields = ", ".join(f"{name} := {expr}" for name, expr in lists.items())
    columns = ", ".join(f"list_transform(s, x -> x.{name}) AS {name}" for name in lists)
    return f"""SELECT puuid, {columns} FROM (
        SELECT puuid, list_sort(list(struct_pack({fields}))) AS s FROM {source} GROUP BY puuid
    )"""


WEEK_LISTS = {
    "weeks": "week",
    "week_lobby_games": "lobby_games::BIGINT",
    "week_lobby_z": "lobby_z::DECIMAL(18, 6)",
}
CHAMPION_LISTS = {"champion_ids": "champion_id", "champion_games": "games"}


def _player_ctes(puuids: Sequence[str] | None, rows: str = "") -> str:
    """CTEs per player from the sums rows (``rows``: a condition on them, ``AND ...``):
    ``scope``, ``stored``, ``totals``, ``scored``, ``champion_games``, ``weeks`` and, from
    those, ``player``, ``champions`` and ``weekly`` (what ``_FEATURES_SELECT`` reads)."""
    scope = _scope(puuids)
    # Everyone: the players with sums rows, as ``stored`` already groups them.
    scope_source = (
        "SELECT puuid FROM stored" if puuids is None else "SELECT DISTINCT unnest($puuids) AS puuid"
    )
    return f"""
stored AS (
    SELECT puuid, sum(games) AS matches_stored FROM player_game_sums WHERE true {scope} {rows}
    GROUP BY puuid
),
scope AS ({scope_source}),
sums AS (
    SELECT * FROM all_sums WHERE true {scope}
),
totals AS (
    SELECT puuid,
           sum(games) AS games,
           coalesce(sum(games) FILTER (win), 0) AS wins,
           sum(kills) AS kills, sum(deaths) AS deaths, sum(assists) AS assists,
           sum(t_sum)::DOUBLE AS t_sum, sum(t_sq)::DOUBLE AS t_sq,
           coalesce(sum(t_sum) FILTER (win), 0)::DOUBLE AS win_t_sum,
           sum(lobby_t_sum)::DOUBLE AS lobby_t_sum, sum(lobby_t_sq)::DOUBLE AS lobby_t_sq,
           {_days("min(first_start)")} AS t_first,
           {_days("max(last_start)")} AS t_last,
           max(max_level) AS level_at_last_game,
           sum(lobby_stomps) AS stomps,
           sum(lobby_z_sq)::DOUBLE AS lobby_z_sq
    FROM sums GROUP BY puuid
),
scored AS (
    SELECT puuid,
           sum(perf_sum) AS perf_sum, sum(perf_t) AS perf_t,
           sum(lobby_games) AS lobby_games,
           sum(lobby_sum) AS lobby_sum, sum(lobby_t) AS lobby_t,
           coalesce(sum(lobby_games) FILTER (win), 0) AS lobby_wins,
           coalesce(sum(lobby_sum) FILTER (win), 0) AS lobby_win_sum,
           coalesce(sum(lobby_games) FILTER (NOT win), 0) AS lobby_losses,
           coalesce(sum(lobby_sum) FILTER (NOT win), 0) AS lobby_loss_sum,
           coalesce(sum(deaths_sum) FILTER (NOT win), 0) AS loss_deaths_sum
    FROM rows GROUP BY puuid
),
champion_games AS (
    SELECT puuid, champion_id, sum(games) AS games FROM player_champions
    WHERE queue_id IN (SELECT unnest($queues)) {scope} {rows} GROUP BY ALL
),
champions AS (
    SELECT puuid, count(*) AS champion_count, max(games) AS top_champion_games
    FROM champion_games GROUP BY puuid
),
week_rows AS (
    SELECT puuid, week, sum(lobby_games) AS lobby_games, sum(lobby_z_sum) AS lobby_z
    FROM player_game_weeks
    WHERE queue_id IN (SELECT unnest($queues)) {scope} {rows}
    GROUP BY puuid, week
),
weeks AS (
    -- Sorted in lists per player: half the cost of a window over the (player, week) rows.
    {sorted_lists("week_rows", WEEK_LISTS)}
),
{_weekly("weeks")},
{_PLAYER}"""


# Per player: the totals and scored sums with their trends (``totals`` and ``scored`` are
# CTEs of the same columns whether read from the sums or from the analyzer's inputs).
_PLAYER = f"""player AS (
    SELECT t.*, s.* EXCLUDE (puuid),
           {_trend("s.perf_sum", "s.perf_t", "t.games", "t.t_sum", "t.t_sq")} AS perf_slope,
           {_trend("t.wins", "t.win_t_sum", "t.games", "t.t_sum", "t.t_sq")} AS win_slope,
           {
    _trend("s.lobby_sum", "s.lobby_t", "nullif(s.lobby_games, 0)", "t.lobby_t_sum", "t.lobby_t_sq")
} AS lobby_slope
    FROM totals t JOIN scored s ON s.puuid = t.puuid
)"""

TOTAL_COLUMNS = (
    "games", "wins", "kills", "deaths", "assists", "t_sum", "t_sq", "win_t_sum",
    "lobby_t_sum", "lobby_t_sq", "t_first", "t_last", "level_at_last_game", "stomps",
    "lobby_z_sq",
)  # fmt: skip
SCORED_COLUMNS = (
    "perf_sum", "perf_t", "lobby_games", "lobby_sum", "lobby_t", "lobby_wins",
    "lobby_win_sum", "lobby_losses", "lobby_loss_sum", "loss_deaths_sum",
)  # fmt: skip


def latest_inputs(condition: str = "") -> str:
    """SELECT: each player's newest row of ``player_score_inputs`` (``condition``: ``AND ...``
    on the rows read)."""
    return f"""SELECT * FROM player_score_inputs WHERE true {condition}
    QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY version DESC) = 1"""


def _inputs_player_ctes(puuids: Sequence[str] | None) -> str:
    """The CTEs of ``_player_ctes``, read from the analyzer's one row per player
    (``player_score_inputs``, see ``inputs``) instead of the sums rows."""
    scope_source = (
        "SELECT puuid FROM inputs" if puuids is None else "SELECT DISTINCT unnest($puuids) AS puuid"
    )
    return f"""
inputs AS ({latest_inputs(_scope(puuids))}),
scope AS ({scope_source}),
stored AS (SELECT puuid, matches_stored FROM inputs),
totals AS (SELECT puuid, {", ".join(TOTAL_COLUMNS)} FROM inputs WHERE games IS NOT NULL),
scored AS (SELECT puuid, {", ".join(SCORED_COLUMNS)} FROM inputs WHERE games IS NOT NULL),
champions AS (
    SELECT puuid, len(champion_ids) AS champion_count,
           list_max(champion_games) AS top_champion_games
    FROM inputs WHERE len(champion_ids) > 0
),
{_weekly("inputs")},
{_PLAYER}"""


# A player's play against the lobby in the games won and in those lost, and deaths against the
# lobby's in the games lost, each shrunk toward 0 like perf_z (``pg``: the player's sums).
# ``spread`` reads the same over every player of a crawl.
LOBBY_WINS_Z = "coalesce(pg.lobby_win_sum, 0) / (coalesce(pg.lobby_wins, 0) + $perf_prior)"
LOBBY_LOSSES_Z = "coalesce(pg.lobby_loss_sum, 0) / (coalesce(pg.lobby_losses, 0) + $perf_prior)"
LOSS_DEATHS_Z = "coalesce(pg.loss_deaths_sum, 0) / (coalesce(pg.lobby_losses, 0) + $perf_prior)"

_PROFILE_RANK = rank_score_sql("p.solo_tier", "p.solo_division", "p.solo_league_points")

# A trend's value at the newest (or oldest) game: the mean plus the slope times how far that
# game is from the games' mean time, shrunk toward 0 like every mean here.
_LATE = "(pg.perf_sum + pg.perf_slope * (pg.t_last * pg.games - pg.t_sum))"
_EARLY = "(pg.perf_sum + pg.perf_slope * (pg.t_first * pg.games - pg.t_sum))"

_FEATURES_SELECT = f"""
SELECT s.puuid,
       coalesce(st.matches_stored, 0) AS matches_stored,
       coalesce(pg.games, 0) AS games_analyzed,
       coalesce(pg.wins, 0)::INTEGER AS wins,
       pg.wins / nullif(pg.games, 0) AS win_rate,
       (coalesce(pg.wins, 0) + $winrate_prior / 2)
           / (coalesce(pg.games, 0) + $winrate_prior) AS win_rate_shrunk,
       (pg.kills + pg.assists) / greatest(pg.deaths, 1) AS kda,
       -- Against the baseline of the player's current tier and each game's role.
       coalesce(pg.perf_sum, 0) / (coalesce(pg.games, 0) + $perf_prior) AS perf_z,
       coalesce({_LATE} / (pg.games + $perf_prior), 0) AS recent_perf_z,
       coalesce({_EARLY} / (pg.games + $perf_prior), 0) AS older_perf_z,
       coalesce(pg.perf_slope * (pg.t_last - pg.t_first), 0) AS perf_change,
       coalesce(pg.win_slope * (pg.t_last - pg.t_first), 0) AS win_rate_change,
       coalesce(ch.champion_count, 0) AS champion_count,
       ch.top_champion_games / nullif(pg.games, 0) AS top_champion_share,
       -- Against the lobby of each game (see ``lobby``), shrunk toward 0 like perf_z.
       coalesce(pg.lobby_games, 0) AS lobby_games,
       coalesce(pg.lobby_sum, 0) / (coalesce(pg.lobby_games, 0) + $perf_prior) AS lobby_perf,
       {LOBBY_WINS_Z} AS lobby_perf_wins,
       {LOBBY_LOSSES_Z} AS lobby_perf_losses,
       {LOSS_DEATHS_Z} AS loss_deaths_z,
       -- How far play against the lobby swings beyond what the results explain: the
       -- spread of the games' lobby z about the mean of those won and of those lost.
       (greatest(coalesce(pg.lobby_z_sq, 0)
                 - pow(coalesce(pg.lobby_win_sum, 0), 2) / greatest(pg.lobby_wins, 1)
                 - pow(coalesce(pg.lobby_loss_sum, 0), 2) / greatest(pg.lobby_losses, 1), 0)
           + {SWING_PRIOR_GAMES} * {SWING_PRIOR_VARIANCE})
           / (greatest(coalesce(pg.lobby_wins, 0) - 1, 0)
              + greatest(coalesce(pg.lobby_losses, 0) - 1, 0) + {SWING_PRIOR_GAMES})
           AS lobby_swing,
       (coalesce(pg.stomps, 0) + $perf_prior * $stomp_base_rate)
           / (coalesce(pg.lobby_games, 0) + $perf_prior) AS stomp_share,
       coalesce(pg.lobby_slope * (pg.t_last - pg.t_first), 0)
           * coalesce(pg.lobby_games, 0) / (coalesce(pg.lobby_games, 0) + $perf_prior)
           AS lobby_perf_change,
       coalesce(b.longest_gap_days, 0) AS longest_gap_days,
       coalesce(b.lobby_fall, 0) AS lobby_fall,
       -- The profile: what the account has played, not what was crawled.
       p.summoner_checked_at AS profile_checked_at,
       p.profile_found,
       coalesce(p.summoner_level, pg.level_at_last_game) AS summoner_level,
       -- An account summoner-v4 no longer finds has no season to read (unknown, not a
       -- season of no games, which would read as a new account's).
       CASE WHEN p.summoner_checked_at IS NOT NULL AND p.profile_found IS NOT FALSE
            THEN coalesce(p.solo_wins, 0) + coalesce(p.solo_losses, 0) END AS games_played,
       CASE WHEN p.profile_found IS NOT FALSE
            THEN (coalesce(p.solo_wins, 0) + $winrate_prior / 2)
                / (coalesce(p.solo_wins, 0) + coalesce(p.solo_losses, 0) + $winrate_prior)
            END AS season_win_rate,
       greatest(coalesce(pg.games, 0),
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
LEFT JOIN player pg ON pg.puuid = s.puuid
LEFT JOIN stored st ON st.puuid = s.puuid
LEFT JOIN champions ch ON ch.puuid = s.puuid
LEFT JOIN weekly b ON b.puuid = s.puuid
LEFT JOIN ranks c ON c.puuid = s.puuid
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
        "baseline_prior_games": params.baseline_prior_games,
        "winrate_prior": params.winrate_prior_games,
        "perf_prior": params.performance_prior_games,
        "stomp_base_rate": STOMP_BASE_RATE,
    }
    if puuids is not None:
        values["puuids"] = list(puuids)
    return values


def queues_key(params: ScoringParams) -> str:
    """The scored queues as ``score_inputs_state`` records them."""
    return ",".join(str(q) for q in sorted(params.queues))


def inputs_built_for(con: duckdb.DuckDBPyConnection, params: ScoringParams) -> bool:
    """Whether ``player_score_inputs`` is built, for ``params``'s queues."""
    row = con.execute(
        "SELECT count(*) FROM score_inputs_state WHERE queues = ?", [queues_key(params)]
    ).fetchone()
    return bool(row and row[0])


def current_tiers_select(params: ScoringParams, players: str) -> tuple[str, dict[str, Any]]:
    """SELECT (and its parameters) of (puuid, tier): the tier each player of the query
    ``players`` (a column ``puuid``) is compared with now, as ``_current`` decides it. Lean:
    only players without a fetched profile need their rank read, from the analyzer's rank
    summary (``ranks``: its run folds the snapshots in first)."""
    sql = f"""
    WITH profiled AS (
        SELECT p.puuid, p.summoner_checked_at IS NOT NULL AS checked, p.solo_tier
        FROM players p WHERE p.puuid IN ({players})
    ),
    newest AS (
        SELECT puuid, tier FROM player_ranks
        WHERE queue_type = $rank_queue
          AND puuid IN (SELECT puuid FROM profiled WHERE NOT checked)
    )
    SELECT f.puuid,
           CASE WHEN f.checked THEN coalesce(upper(f.solo_tier), '{UNRANKED}')
                ELSE coalesce(n.tier, '{UNRANKED}') END AS tier
    FROM profiled f LEFT JOIN newest n ON n.puuid = f.puuid"""
    return sql, _used(sql, _parameters(params, None, None))


def inputs_select(
    params: ScoringParams, puuids: Sequence[str] | None, rows: str, tiers: str | None
) -> tuple[str, dict[str, Any]]:
    """SELECT (and its parameters): rows of ``player_score_inputs`` from the sums rows that
    meet ``rows`` (``AND ...``) of ``puuids`` (None: every player with such rows), scored
    against the tiers of the table ``tiers`` (puuid, tier; None: the current ones) and the
    analyzer's baselines."""
    common = _common_ctes(puuids, cached=True, rows=rows, tiers=tiers)
    totals = ", ".join(f"t.{c}" for c in TOTAL_COLUMNS)
    scored = ", ".join(f"x.{c}" for c in SCORED_COLUMNS)
    sql = f"""WITH {common},{_player_ctes(puuids, rows)},
    champion_lists AS ({sorted_lists("champion_games", CHAMPION_LISTS)})
    SELECT s.puuid, coalesce(c.tier, '{UNRANKED}') AS tier,
           coalesce(st.matches_stored, 0) AS matches_stored, {totals}, {scored},
           cl.champion_ids, cl.champion_games,
           wl.weeks, wl.week_lobby_games, wl.week_lobby_z
    FROM scope s
    LEFT JOIN current c ON c.puuid = s.puuid
    LEFT JOIN stored st ON st.puuid = s.puuid
    LEFT JOIN totals t ON t.puuid = s.puuid
    LEFT JOIN scored x ON x.puuid = s.puuid
    LEFT JOIN champion_lists cl ON cl.puuid = s.puuid
    LEFT JOIN weeks wl ON wl.puuid = s.puuid"""
    return sql, _used(sql, _parameters(params, puuids, None))


def feature_frame(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    puuids: Sequence[str] | None = None,
    as_of: datetime | None = None,
    *,
    cached_baselines: bool = False,
    kept_inputs: bool = True,
) -> pd.DataFrame:
    """One row per player (every player with a stored game, or exactly ``puuids``).

    ``as_of`` ignores rank snapshots after that time; the games are every stored game.
    ``cached_baselines`` compares with the analyzer's stored baselines (see ``upkeep``)
    instead of computing them from everyone's sums; with no ``as_of`` it also reads the
    analyzer's score inputs and rank summary unless ``kept_inputs`` is false (a reader
    outside the analyzer's transaction, which keeps them current: the sums rows and
    snapshots of the players in scope are read instead).
    """
    # The analyzer's inputs and rank summary hold exactly what the sums rows and the rank
    # snapshots would give (see ``inputs``, ``ranks``), in one narrow row per player:
    # reading them costs a fraction of the rows they fold. Its run keeps both current.
    now = cached_baselines and as_of is None and kept_inputs
    common = _common_ctes(puuids, cached=cached_baselines, summarized=now)
    from_inputs = now and inputs_built_for(con, params)
    players = _inputs_player_ctes(puuids) if from_inputs else _player_ctes(puuids)
    sql = f"WITH {common},{players} {_FEATURES_SELECT}"
    frame = _run(con, sql, _parameters(params, puuids, as_of)).df()
    # The same types whoever is in the frame: DuckDB hands an integer column over as int64
    # when no row is NULL and as float64 otherwise (a player never profiled has no games
    # played, no level), so every integer column but the two counts becomes float64.
    frame["profile_found"] = frame["profile_found"].astype("boolean")
    counts = {"games_analyzed", "matches_stored"}
    for name in frame.columns:
        if name in counts:
            frame[name] = frame[name].astype("int64")
        elif pd.api.types.is_integer_dtype(frame[name].dtype):
            frame[name] = frame[name].astype("float64")
    return frame


def game_frame(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    puuids: Sequence[str],
    as_of: datetime | None = None,
    *,
    cached_baselines: bool = False,
) -> pd.DataFrame:
    """The analysed games of ``puuids``, newest first, read from the games themselves: each
    metric, the composite z against the baseline of the player's current tier
    (``perf_z``; the analyzer's stored baselines with ``cached_baselines``) and against the
    lobby (``lobby_z``; ``stomp`` when at least 1), and the lobby's level (``lobby_rank``:
    the co-players' known ladder positions, in LP)."""
    metrics = ", ".join(f"g.x_{m.name} AS {m.name}" for m in METRICS)
    source = """(SELECT * FROM match_participants WHERE match_id IN (
        SELECT match_id FROM match_participants
        WHERE puuid IN (SELECT unnest($puuids)) AND queue_id IN (SELECT unnest($queues))))"""
    # A lobby's level: the mean ladder position of the co-players whose solo rank is known
    # from their profile now (it moves as profiles change, so it is not kept in the sums).
    # Only the baselines and the players' tiers are read of the common CTEs: scoped to the
    # players, with kept baselines nobody else's sums are read.
    common = _common_ctes(puuids if cached_baselines else [], cached=cached_baselines)
    sql = f"""WITH {common},
    games AS ({per_game_sql(source)}),
    known AS (
        SELECT g.match_id, g.puuid, {_PROFILE_RANK} AS rank_score
        FROM games g JOIN players p ON p.puuid = g.puuid WHERE p.solo_tier IS NOT NULL
    ),
    lobby_ranks AS (
        SELECT g.match_id, g.puuid, avg(k.rank_score) AS lobby_rank
        FROM games g JOIN known k ON k.match_id = g.match_id AND k.puuid <> g.puuid
        WHERE g.puuid IN (SELECT unnest($puuids))
        GROUP BY ALL
    )
    SELECT g.puuid, g.match_id, g.game_start, g.role, g.champion_id,
           count(*) OVER (PARTITION BY g.puuid, g.champion_id) AS champion_games,
           g.win, g.kills, g.deaths, g.assists, g.minutes,
           coalesce(c.tier, '{UNRANKED}') AS current_tier, {metrics},
           {composite_z("g.x_", "b")} AS perf_z,
           g.lobby_z, g.lobby_z >= {STOMP_Z} AS stomp, lr.lobby_rank
    FROM games g
    LEFT JOIN lobby_ranks lr ON lr.match_id = g.match_id AND lr.puuid = g.puuid
    LEFT JOIN current c ON c.puuid = g.puuid
    LEFT JOIN baselines b ON b.tier = coalesce(c.tier, '{UNRANKED}') AND b.role = g.role
    WHERE g.puuid IN (SELECT unnest($puuids))
    ORDER BY g.puuid, g.game_start DESC, g.match_id DESC"""
    values = _parameters(params, puuids, as_of)
    values["puuids"] = list(puuids)
    return _run(con, sql, values).df()


def baseline_frame(
    con: duckdb.DuckDBPyConnection, params: ScoringParams, as_of: datetime | None = None
) -> pd.DataFrame:
    """The tier x role baselines (means and standard deviations) the scores compare to."""
    columns = ", ".join(f"{m.name}_mean, {m.name}_sd" for m in METRICS)
    sql = f"WITH {_common_ctes([])} SELECT tier, role, n, {columns} FROM baselines ORDER BY ALL"
    return _run(con, sql, _parameters(params, [], as_of)).df()
