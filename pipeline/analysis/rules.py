"""The simple rules the model is compared with, as scores over a feature frame.

win-rate rule: flag a smurf at a win rate >= 65% over >= 30 games. Its boosted counterpart
flags a win rate <= 40% over >= 30 games (an account losing its way back down).

weighted rule set: the kind of hand-weighted checklist a first implementation uses; the
score is the sum of the weights of the rules that fire, and 0.5 or more flags the player.

    smurf:   win rate >= 60% over >= 10 games  0.35    boosted: win rate <= 45%, >= 10 games  0.35
             account level < 60               0.25             KDA < 2                      0.25
             KDA >= 4                         0.20             tier Emerald or above        0.20
             climbed >= 20 LP per game        0.20             >= 100 LP below peak         0.20
"""

from __future__ import annotations

import pandas as pd

RULE_FLAG_AT = 0.5
WIN_RATE_RULE_GAMES = 30
WIN_RATE_RULE_SMURF = 0.65
WIN_RATE_RULE_BOOSTED = 0.40
EMERALD = 5


def _flag(condition: pd.Series) -> pd.Series:
    return condition.fillna(False).astype("float64")


def win_rate_rule(features: pd.DataFrame, target: str) -> pd.Series:
    """1.0 where the win-rate rule flags the player for ``target`` (smurf or boosted)."""
    games = features["games_analyzed"] >= WIN_RATE_RULE_GAMES
    rate = features["win_rate"]
    if target == "smurf":
        return _flag(games & (rate >= WIN_RATE_RULE_SMURF))
    return _flag(games & (rate <= WIN_RATE_RULE_BOOSTED))


def weighted_rules(features: pd.DataFrame, target: str) -> pd.Series:
    """The weighted rule set's score (0..1) for ``target`` (smurf or boosted)."""
    enough = features["games_analyzed"] >= 10
    rate = features["win_rate"]
    kda = features["kda"]
    if target == "smurf":
        return (
            0.35 * _flag(enough & (rate >= 0.60))
            + 0.25 * _flag(features["summoner_level"] < 60)
            + 0.20 * _flag(kda >= 4.0)
            + 0.20 * _flag(features["climb_lp_per_game"] >= 20)
        )
    return (
        0.35 * _flag(enough & (rate <= 0.45))
        + 0.25 * _flag(kda < 2.0)
        + 0.20 * _flag(features["tier_index"] >= EMERALD)
        + 0.20 * _flag(features["drop_from_peak_lp"] >= 100)
    )
