"""Visible rank on one ladder scale.

Ladder points run from 0 (IRON IV, 0 LP) upwards: each division is 100 points and each tier
below MASTER four divisions (400 points). From MASTER on there are no divisions and LP is
the points above 2800; GRANDMASTER and CHALLENGER are LP thresholds (the real ladder uses
fixed-size top lists, which a small world cannot have).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

TIERS = ("IRON", "BRONZE", "SILVER", "GOLD", "PLATINUM", "EMERALD", "DIAMOND")
APEX_TIERS = ("MASTER", "GRANDMASTER", "CHALLENGER")
ALL_TIERS = TIERS + APEX_TIERS
DIVISIONS = ("IV", "III", "II", "I")
POINTS_PER_DIVISION = 100
POINTS_PER_TIER = 400
MASTER_POINTS = POINTS_PER_TIER * len(TIERS)  # 2800
GRANDMASTER_LP = 200
CHALLENGER_LP = 500


@dataclass(frozen=True)
class Rank:
    """A visible rank: tier, division (None from MASTER on) and league points."""

    tier: str
    division: str | None
    league_points: int


def rank_of(points: float) -> Rank:
    """The rank shown for a number of ladder points."""
    whole = max(int(points), 0)
    if whole >= MASTER_POINTS:
        lp = whole - MASTER_POINTS
        tier = "MASTER"
        if lp >= CHALLENGER_LP:
            tier = "CHALLENGER"
        elif lp >= GRANDMASTER_LP:
            tier = "GRANDMASTER"
        return Rank(tier, "I", lp)
    tier_index, within = divmod(whole, POINTS_PER_TIER)
    division_index, lp = divmod(within, POINTS_PER_DIVISION)
    return Rank(TIERS[tier_index], DIVISIONS[division_index], lp)


def ranks_of(
    points: npt.NDArray[np.floating],
) -> tuple[list[str], list[str], npt.NDArray[np.int64]]:
    """Tier names, division names and LP for many ladder values at once."""
    whole = np.maximum(points.astype(np.int64), 0)
    below_master = whole < MASTER_POINTS
    tier_index = np.where(below_master, whole // POINTS_PER_TIER, 0)
    within = whole % POINTS_PER_TIER
    apex_lp = whole - MASTER_POINTS
    apex_index = np.select([apex_lp >= CHALLENGER_LP, apex_lp >= GRANDMASTER_LP], [2, 1], default=0)
    tier_names = np.where(
        below_master, np.array(TIERS)[tier_index], np.array(APEX_TIERS)[apex_index]
    )
    division_names = np.where(below_master, np.array(DIVISIONS)[within // POINTS_PER_DIVISION], "I")
    lp = np.where(below_master, within % POINTS_PER_DIVISION, apex_lp)
    return tier_names.tolist(), division_names.tolist(), lp


def points_of(tier: str, division: str | None, league_points: int) -> int:
    """Ladder points of a rank (the inverse of ``rank_of`` below MASTER)."""
    if tier in APEX_TIERS:
        return MASTER_POINTS + league_points
    division_index = DIVISIONS.index(division or "IV")
    return (
        TIERS.index(tier) * POINTS_PER_TIER + division_index * POINTS_PER_DIVISION + league_points
    )
