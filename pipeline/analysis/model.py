"""The two logistic models: which factors, with what weight, and how a score is explained.

For a player with factor inputs x_i, each model's log-odds is

    logit = intercept + sum_i weight_i * (x_i - center_i)

The *contribution* of factor i is ``weight_i * (x_i - center_i)``: how far the player's value
moves the odds away from a player sitting at every center (a typical player), and the
intercept is reported as the factor ``prior``. Contributions therefore add up exactly to
the logit, and the probability is ``1 / (1 + exp(-logit))``. A missing input contributes 0.

Inputs (all from ``features.feature_frame``; shrinkage happens there):

    win_rate              logit of the Beta-shrunk win rate
    performance           mean composite z vs the tier x role baseline of each game's tier
    below_current_tier    minus the same against the player's *current* tier's baseline
    recent_below_tier     minus that, over the recent half of the window only
    unfamiliar_champions  composite z on barely-played champions
    older_performance     composite z over the older half of the window only
    performance_change    recent half of the window minus the older half
    win_rate_change       shrunk win rate of the recent half minus the older half
    account_level         ln(summoner level)
    ranked_experience     ln(1 + ranked games known)
    new_account_strength  max(performance, 0) x inexperience, where inexperience is
                          max(0, ln(1 + 200) - ranked_experience): strong play only counts
                          as smurf evidence on an account with few ranked games, and few
                          games alone (3 wins of 3) count for nothing
    tier                  tier index, IRON = 0 .. CHALLENGER = 9
    climb_rate            LP gained per ranked game between the first and newest snapshot
    drop_from_peak        hundreds of LP below the best rank seen
    champion_focus        share of games on the most played champion
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Keeps logit finite and the level's log defined.
_EPS = 1e-6
MAX_CLIMB_LP_PER_GAME = 100.0
# Ranked games after which an account counts as fully experienced.
EXPERIENCED_GAMES = 200


@dataclass(frozen=True)
class Factor:
    """One term of a logistic model."""

    name: str
    weight: float
    center: float


@dataclass(frozen=True)
class LogisticModel:
    """A named logistic combination of factor inputs."""

    target: str
    intercept: float
    factors: tuple[Factor, ...]

    def contributions(self, inputs: pd.DataFrame) -> pd.DataFrame:
        """Per player, the contribution of each factor (and ``prior``) to the logit."""
        out = pd.DataFrame(index=inputs.index)
        out["prior"] = self.intercept
        for f in self.factors:
            x = inputs[f.name].astype("float64")
            out[f.name] = (f.weight * (x - f.center)).fillna(0.0)
        return out


def factor_inputs(features: pd.DataFrame) -> pd.DataFrame:
    """The model inputs derived from a feature frame (vectorised, one row per player)."""
    p = features["win_rate_shrunk"].astype("float64").clip(_EPS, 1 - _EPS)
    level = features["summoner_level"].astype("float64").clip(lower=1.0)
    climb = features["climb_lp_per_game"].astype("float64")
    experience = np.log1p(features["ranked_games_total"].astype("float64"))
    inexperience = (np.log1p(EXPERIENCED_GAMES) - experience).clip(lower=0.0)
    performance = features["perf_z"].astype("float64")
    return pd.DataFrame(
        {
            "win_rate": np.log(p / (1 - p)),
            "performance": performance,
            "below_current_tier": -features["perf_z_current_tier"].astype("float64"),
            "unfamiliar_champions": features["unfamiliar_champion_perf_z"].astype("float64"),
            "recent_below_tier": -features["recent_perf_z_current_tier"].astype("float64"),
            "older_performance": features["older_perf_z"].astype("float64"),
            "performance_change": features["perf_change"].astype("float64"),
            "win_rate_change": features["win_rate_change"].astype("float64"),
            "account_level": np.log(level),
            "ranked_experience": experience,
            "new_account_strength": performance.clip(lower=0.0) * inexperience,
            "tier": features["tier_index"].astype("float64"),
            "climb_rate": climb.clip(-MAX_CLIMB_LP_PER_GAME, MAX_CLIMB_LP_PER_GAME),
            "drop_from_peak": features["drop_from_peak_lp"].astype("float64") / 100.0,
            "champion_focus": features["top_champion_share"].astype("float64"),
        },
        index=features.index,
    )


def sigmoid(logit: pd.Series) -> pd.Series:
    """The logistic function, elementwise."""
    return pd.Series(1.0 / (1.0 + np.exp(-logit.to_numpy(dtype="float64"))), index=logit.index)


# Fitted by pipeline.analysis.fit (L2 = 1) on simulated worlds of seeds 1-3 (20,000 players
# each) and validated on worlds never used while developing (benchmarks/bench_quality.py).
# Centers are the training population's means, so the prior is the log-odds of a player
# who is average on every factor (low: most players are neither). Factors whose fitted
# weight was near zero or whose sign flipped against another (collinear) factor were left
# out, so every weight reads the way its name says.
SMURF_MODEL = LogisticModel(
    target="smurf",
    intercept=-5.8457,
    factors=(
        Factor("win_rate", 3.3627, -0.0029),
        Factor("new_account_strength", 8.6873, 0.0661),
    ),
)

# A boosted account: strong play in the older part of the window (someone else at the
# keyboard) and play below its current tier's baseline in the recent part (the owner).
BOOSTED_MODEL = LogisticModel(
    target="boosted",
    intercept=-7.4991,
    factors=(
        Factor("recent_below_tier", 7.9095, 0.029),
        Factor("older_performance", 12.6537, 0.0083),
        Factor("win_rate", 1.4629, -0.0029),
        Factor("ranked_experience", 2.0838, 5.2763),
    ),
)

MODELS = (SMURF_MODEL, BOOSTED_MODEL)
