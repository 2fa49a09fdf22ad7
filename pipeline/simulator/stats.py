"""Per-participant statistics, drawn by role and skill with honest per-game noise.

Every array is shaped (matches, 10): slots 0-4 are team 100, 5-9 team 200, one per role.
A participant's "quality" combines how good they are in absolute terms (higher tiers farm
and fight better) and against their own lobby, plus a form term for the day. The role
medians are the real all-tier medians, so an average player in an average lobby posts them.
How much each part weighs and how noisy a game is come from the world's assumptions
(``StatModel``). A participant throwing the game plays far below themselves and feeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipeline.simulator.assumptions import STANDARD, WorldAssumptions

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

REFERENCE_GAME_MIN = 26.0
# Per role (TOP, JUNGLE, MIDDLE, BOTTOM, UTILITY), from real ranked games of all tiers.
CS_PER_MIN = np.array([6.7, 5.9, 6.8, 6.9, 1.1])
GOLD_PER_MIN = np.array([378.0, 407.0, 403.0, 409.0, 288.0])
DAMAGE_PER_MIN = np.array([600.0, 516.0, 677.0, 611.0, 325.0])
VISION_PER_MIN = np.array([0.59, 0.86, 0.65, 0.62, 1.99])
KILLS = np.array([4.3, 6.0, 5.3, 5.6, 2.0])
ASSISTS = np.array([5.6, 6.8, 5.4, 6.2, 12.5])
DEATH_WEIGHT = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
NEUTRAL_CS_SHARE = np.array([0.04, 0.88, 0.05, 0.03, 0.0])
ARAM = {"cs": 0.45, "damage": 2.2, "vision": 0.12, "kills": 1.7, "assists": 2.3}

SKILL_CENTRE = 1300.0
THROWN_QUALITY = -1.6  # a thrown game's quality, whoever plays it


@dataclass(frozen=True)
class StatModel:
    """How end-of-game numbers follow skill: weights of its parts and the noise of a game."""

    lobby_weight: float = 0.6
    absolute_weight: float = 0.22
    noise: float = 1.0
    thrown_deaths: float = 2.5  # how many times more often a thrower dies

    @classmethod
    def of(cls, assumptions: WorldAssumptions) -> StatModel:
        """The stat model of a world's assumptions."""
        return cls(
            assumptions.lobby_weight,
            assumptions.absolute_weight,
            assumptions.stat_noise,
            assumptions.thrown_deaths,
        )


DEFAULT_STAT_MODEL = StatModel.of(STANDARD)


@dataclass
class ParticipantStats:
    """Drawn end-of-game numbers, each shaped (matches, 10)."""

    kills: IntArray
    deaths: IntArray
    assists: IntArray
    minions: IntArray
    neutral_minions: IntArray
    gold: IntArray
    damage: IntArray
    vision: IntArray
    champ_level: IntArray
    solo_kills: IntArray
    wards_placed: IntArray


def quality_of(
    skill: FloatArray,
    style: FloatArray,
    rng: np.random.Generator,
    model: StatModel = DEFAULT_STAT_MODEL,
) -> FloatArray:
    """How well each participant plays this game.

    Absolute skill (a higher tier farms and fights better anywhere), skill against the lobby
    (saturating: stomping a lobby has a ceiling), the player's own style (some farm more than
    others of the same skill) and the form of the day.
    """
    lobby_mean = skill.mean(axis=1, keepdims=True)
    absolute = (skill - SKILL_CENTRE) / 700.0
    relative = np.tanh((skill - lobby_mean) / 900.0)
    form = rng.normal(0.0, 0.3 * model.noise, skill.shape)
    quality: FloatArray = (
        model.absolute_weight * absolute + model.lobby_weight * relative + style + form
    )
    return quality


def draw_stats(
    rng: np.random.Generator,
    roles: IntArray,
    skill: FloatArray,
    style: FloatArray,
    won: npt.NDArray[np.bool_],
    duration_min: FloatArray,
    is_aram: npt.NDArray[np.bool_],
    model: StatModel = DEFAULT_STAT_MODEL,
    throwing: npt.NDArray[np.bool_] | None = None,
) -> ParticipantStats:
    """Statistics for every participant of a batch of matches."""
    quality = quality_of(skill, style, rng, model)
    thrown = np.zeros(skill.shape, dtype=bool) if throwing is None else throwing
    quality = np.where(thrown, THROWN_QUALITY + 0.3 * rng.standard_normal(skill.shape), quality)
    side = np.where(won, 1.0, -1.0)
    minutes = duration_min[:, None]
    aram = is_aram[:, None]

    def rate(median: FloatArray, q_weight: float, win_weight: float, noise_sd: float) -> FloatArray:
        shape = rng.normal(0.0, noise_sd * model.noise, skill.shape)
        return median[roles] * np.exp(q_weight * quality + win_weight * side + shape)

    cs = rate(CS_PER_MIN, 0.35, 0.04, 0.12) * np.where(aram, ARAM["cs"], 1.0) * minutes
    gold = rate(GOLD_PER_MIN, 0.18, 0.09, 0.06) * minutes
    damage = rate(DAMAGE_PER_MIN, 0.3, 0.08, 0.28) * np.where(aram, ARAM["damage"], 1.0) * minutes
    vision = rate(VISION_PER_MIN, 0.25, 0.05, 0.3) * np.where(aram, ARAM["vision"], 1.0) * minutes
    scale = minutes / REFERENCE_GAME_MIN
    kill_rate = rate(KILLS, 0.55, 0.25, 0.2) * np.where(aram, ARAM["kills"], 1.0) * scale
    kills = rng.poisson(kill_rate)
    assist_rate = rate(ASSISTS, 0.2, 0.3, 0.2) * np.where(aram, ARAM["assists"], 1.0) * scale
    team_kills = team_totals(kills)
    assists = np.minimum(rng.poisson(assist_rate), np.maximum(team_kills - kills, 0))
    death_weight = rate(DEATH_WEIGHT, -0.5, -0.25, 0.3) * np.where(thrown, model.thrown_deaths, 1.0)
    deaths = _deaths_from_enemy_kills(rng, kills, death_weight)
    neutral_share = NEUTRAL_CS_SHARE[roles]
    total_cs = np.rint(cs).astype(np.int64)
    neutral = np.rint(total_cs * neutral_share).astype(np.int64)
    champ_level = np.clip(np.rint(7 + minutes * 0.38 + quality + side * 0.6), 1, 18)
    solo_chance = np.clip(0.12 + 0.06 * quality, 0.0, 0.6)
    return ParticipantStats(
        kills=kills.astype(np.int64),
        deaths=deaths,
        assists=assists.astype(np.int64),
        minions=total_cs - neutral,
        neutral_minions=neutral,
        gold=np.rint(gold).astype(np.int64),
        damage=np.rint(damage).astype(np.int64),
        vision=np.rint(vision).astype(np.int64),
        champ_level=champ_level.astype(np.int64),
        solo_kills=rng.binomial(kills, solo_chance).astype(np.int64),
        wards_placed=np.rint(vision * 0.45).astype(np.int64),
    )


def team_totals(values: IntArray) -> IntArray:
    """Each participant's team total of a per-participant count, same shape."""
    blue = values[:, :5].sum(axis=1, keepdims=True)
    red = values[:, 5:].sum(axis=1, keepdims=True)
    return np.concatenate([np.repeat(blue, 5, axis=1), np.repeat(red, 5, axis=1)], axis=1)


def _deaths_from_enemy_kills(
    rng: np.random.Generator, kills: IntArray, weights: FloatArray
) -> IntArray:
    """Share out each team's deaths (the enemy team's kills plus a few executions)."""
    blue_kills = kills[:, :5].sum(axis=1)
    red_kills = kills[:, 5:].sum(axis=1)
    executions = rng.poisson(0.8, (len(kills), 2))
    blue_deaths = rng.multinomial(red_kills + executions[:, 0], _normalised(weights[:, :5]))
    red_deaths = rng.multinomial(blue_kills + executions[:, 1], _normalised(weights[:, 5:]))
    return np.concatenate([blue_deaths, red_deaths], axis=1).astype(np.int64)


def _normalised(weights: FloatArray) -> FloatArray:
    """Rows scaled to sum to one."""
    shares: FloatArray = weights / weights.sum(axis=1, keepdims=True)
    return shares
