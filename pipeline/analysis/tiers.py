"""League tiers as numbers, as SQL expressions over rank_snapshots columns.

tier_index: IRON = 0 .. CHALLENGER = 9. rank_score: a ladder position in LP, 400 per tier
(100 per division, IV lowest) plus league points; master and above share one ladder.
"""

from __future__ import annotations

TIERS = (
    "IRON",
    "BRONZE",
    "SILVER",
    "GOLD",
    "PLATINUM",
    "EMERALD",
    "DIAMOND",
    "MASTER",
    "GRANDMASTER",
    "CHALLENGER",
)
APEX_TIER_INDEX = TIERS.index("MASTER")
DIVISIONS = ("IV", "III", "II", "I")  # lowest first, below the apex tiers
LP_PER_DIVISION = 100
LP_PER_TIER = len(DIVISIONS) * LP_PER_DIVISION


def tier_index_sql(tier: str = "tier") -> str:
    """SQL giving the 0-based index of the tier column (NULL for unknown or unranked)."""
    cases = " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate(TIERS))
    return f"(CASE upper({tier}) {cases} ELSE NULL END)"


def rank_score_sql(
    tier: str = "tier", division: str = "division", lp: str = "league_points"
) -> str:
    """SQL giving the ladder position in LP; apex tiers skip divisions and stack LP."""
    index = tier_index_sql(tier)
    steps = " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate(DIVISIONS))
    division_lp = f"(CASE upper({division}) {steps} ELSE 0 END) * {LP_PER_DIVISION}"
    apex = f"{APEX_TIER_INDEX * LP_PER_TIER}"
    return (
        f"(CASE WHEN {index} >= {APEX_TIER_INDEX} THEN {apex} + coalesce({lp}, 0) "
        f"ELSE {index} * {LP_PER_TIER} + {division_lp} + coalesce({lp}, 0) END)"
    )


def rank_name(points: float) -> str:
    """A ladder position (as ``rank_score_sql`` gives it) as the rank a player reads:
    ``GOLD II``; master and above by tier alone."""
    index = min(max(int(points // LP_PER_TIER), 0), len(TIERS) - 1)
    if index >= APEX_TIER_INDEX:
        return TIERS[index]
    return f"{TIERS[index]} {DIVISIONS[int(points % LP_PER_TIER // LP_PER_DIVISION)]}"
