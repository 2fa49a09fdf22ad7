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
    below_current_tier    the same against the player's *current* tier's baseline
    unfamiliar_champions  composite z on barely-played champions
    performance_change    recent half of the window minus the older half
    account_level         ln(summoner level)
    ranked_experience     ln(1 + ranked games known)
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
    return pd.DataFrame(
        {
            "win_rate": np.log(p / (1 - p)),
            "performance": features["perf_z"].astype("float64"),
            "below_current_tier": -features["perf_z_current_tier"].astype("float64"),
            "unfamiliar_champions": features["unfamiliar_champion_perf_z"].astype("float64"),
            "performance_change": features["perf_change"].astype("float64"),
            "account_level": np.log(level),
            "ranked_experience": np.log1p(features["ranked_games_total"].astype("float64")),
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


# Hand-set from the meaning of each factor; replaced by weights fitted on simulated worlds
# when those are available (see pipeline.analysis.fit).
SMURF_MODEL = LogisticModel(
    target="smurf",
    intercept=-3.5,
    factors=(
        Factor("win_rate", 4.0, 0.0),
        Factor("performance", 2.5, 0.0),
        Factor("unfamiliar_champions", 0.5, 0.0),
        Factor("account_level", -1.0, 4.6),
        Factor("ranked_experience", -0.5, 5.3),
        Factor("climb_rate", 0.04, 0.0),
    ),
)

BOOSTED_MODEL = LogisticModel(
    target="boosted",
    intercept=-3.5,
    factors=(
        Factor("below_current_tier", 2.5, 0.0),
        Factor("performance_change", -1.5, 0.0),
        Factor("win_rate", -2.0, 0.0),
        Factor("drop_from_peak", 0.3, 0.0),
        Factor("tier", 0.1, 3.0),
    ),
)

MODELS = (SMURF_MODEL, BOOSTED_MODEL)
