"""Performance against the lobby a game was played in, as SQL.

Every stored match holds all ten participants, so a game can be judged against the nine
players who were in it rather than against a tier's baseline: matchmaking put them there
because they were rated like the player, so outplaying them by far means being better than
the rating says, whatever the tier, known or not, and however far a smurf has climbed.

Each participant's per-game metrics become one composite z-score against the role's values
over the participants of the analysed matches (so roles compare fairly). Rates are compared
on a log scale: playing 1.6 times the lobby's numbers is the same feat in an IRON lobby and
in a DIAMOND one, where everyone farms more. Then

    lobby_z   = own composite z - the mean composite z of the other participants
    deaths_z  = own deaths z - the others' mean (positive: died more than the lobby)
    lobby_rank = mean ladder position (LP, rank_score) of the other participants whose solo
                 rank is known from their profile (NULL when none is)

The stage keeps one row per analysed game (match_id, puuid).
"""

from __future__ import annotations

from pipeline.analysis.baselines import METRICS
from pipeline.analysis.tiers import rank_score_sql

MIN_GAME_MINUTES = 5.0
# Below this many participants of a role, its spread falls back to the documented default.
MIN_ROLE_ROWS = 30
# A role's spread never reads narrower than half its documented one: in a small or uniform
# database a measured spread near zero would turn a small difference into a huge z.
SPREAD_FLOOR = 0.5


# Rates compared on a log scale, each with a small offset so a zero stays finite.
LOG_OFFSETS = {
    "cs_pm": 0.25,
    "gold_pm": 10.0,
    "damage_pm": 20.0,
    "deaths_pm": 0.03,
    "vision_pm": 0.05,
}


def _metric_columns() -> str:
    def column(name: str, expression: str) -> str:
        offset = LOG_OFFSETS.get(name)
        return f"ln({expression} + {offset})" if offset is not None else expression

    return ",\n           ".join(f"{column(m.name, m.expression)} AS {m.name}" for m in METRICS)


def _norm_columns() -> str:
    parts = []
    for m in METRICS:
        # On the log scale a rate's spread is about its relative spread.
        default_sd = m.default_sd / m.default_mean if m.name in LOG_OFFSETS else m.default_sd
        # The median: a few outliers of a role (the players crawled) do not move it.
        parts.append(f"median({m.name}) AS {m.name}_mean")
        parts.append(
            f"CASE WHEN count({m.name}) >= {MIN_ROLE_ROWS} "
            f"THEN greatest(stddev_samp({m.name}), {default_sd * SPREAD_FLOOR}) "
            f"ELSE {default_sd} END AS {m.name}_sd"
        )
    return ",\n           ".join(parts)


def _centred_columns() -> str:
    # Centred on the role's mean only: a lobby that farms more all round shifts every
    # participant alike, so the shift cancels when the player is compared with the others.
    return ",\n           ".join(f"r.{m.name} - n.{m.name}_mean AS {m.name}" for m in METRICS)


def _others_columns() -> str:
    return ",\n           ".join(
        f"{m.name} - (sum({m.name}) OVER m - {m.name}) / nullif(count({m.name}) OVER m - 1, 0)"
        f" AS {m.name}_vs_lobby"
        for m in METRICS
    )


def _composite() -> str:
    zs = [f"{m.direction} * l.{m.name}_vs_lobby / n.{m.name}_sd" for m in METRICS]
    total = " + ".join(f"coalesce({z}, 0)" for z in zs)
    count = " + ".join(f"({z} IS NOT NULL)::INTEGER" for z in zs)
    return f"coalesce(({total}) / nullif({count}, 0), 0)"


LOBBY_STAGE = f"""
WITH rows AS (
    SELECT mp.match_id, mp.puuid,
           coalesce(nullif(mp.team_position, ''), 'UNKNOWN') AS role,
           greatest(coalesce(mp.game_duration_s, 1800) / 60.0, {MIN_GAME_MINUTES}) AS minutes,
           {_metric_columns()},
           {rank_score_sql("p.solo_tier", "p.solo_division", "p.solo_league_points")}
               AS rank_score
    FROM match_participants mp
    LEFT JOIN players p ON p.puuid = mp.puuid
    WHERE mp.match_id IN (SELECT DISTINCT match_id FROM {{games}})
),
norms AS (SELECT role, {_norm_columns()} FROM rows GROUP BY role),
centred AS (
    SELECT r.match_id, r.puuid, r.role, r.rank_score,
           {_centred_columns()}
    FROM rows r JOIN norms n USING (role)
),
lobbies AS (
    SELECT match_id, puuid, role,
           {_others_columns()},
           (sum(rank_score) OVER m - coalesce(rank_score, 0))
               / nullif(count(rank_score) OVER m - (rank_score IS NOT NULL)::INTEGER, 0)
               AS lobby_rank
    FROM centred
    WINDOW m AS (PARTITION BY match_id)
)
SELECT l.match_id, l.puuid,
       {_composite()} AS lobby_z,
       l.deaths_pm_vs_lobby / n.deaths_pm_sd AS deaths_z,
       l.lobby_rank
FROM lobbies l JOIN norms n USING (role)
SEMI JOIN {{games}} g ON g.match_id = l.match_id AND g.puuid = l.puuid"""
