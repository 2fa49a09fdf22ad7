"""What one game says about a player's play: the per-game metrics, as SQL.

Defined in the store because the store keeps their per-player sums current as games arrive
(``aggregates``); the analysis reads those sums and the same definitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Games shorter than this are remakes or early surrenders; per-minute rates would explode.
MIN_GAME_MINUTES = 5.0
# The roles of a regular Summoner's Rift game: five a team, one of each.
STANDARD_ROLES = ("TOP", "JUNGLE", "MIDDLE", "BOTTOM", "UTILITY")


@dataclass(frozen=True)
class Metric:
    """One per-game performance measure.

    expression: SQL over a match_participants row plus ``minutes`` (game length).
    direction: +1 when more is better, -1 when less is better (deaths).
    default_mean, default_sd: typical ranked solo values, used when data is scarce.
    log_offset: compared between players on a log scale (``ln(value + offset)``, so a zero
        stays finite) when set: 1.6 times the lobby's farm is the same feat in an IRON lobby
        and in a DIAMOND one, where everyone farms more.
    """

    name: str
    expression: str
    direction: int
    default_mean: float
    default_sd: float
    log_offset: float | None = None

    def compared(self, value: str) -> str:
        """SQL: ``value`` on the scale players are compared on (log for rates)."""
        # A negative count is a broken payload; read as zero so the log stays defined.
        return value if self.log_offset is None else f"ln(greatest({value}, 0) + {self.log_offset})"

    @property
    def compared_default(self) -> float:
        """The documented typical value on the compared scale."""
        if self.log_offset is None:
            return self.default_mean
        return math.log(self.default_mean + self.log_offset)

    @property
    def compared_sd(self) -> float:
        """The documented spread on the compared scale (relative spread for a log rate)."""
        return self.default_sd if self.log_offset is None else self.default_sd / self.default_mean


METRICS: tuple[Metric, ...] = (
    Metric("cs_pm", "cs / minutes", 1, 5.5, 2.5, 0.25),
    Metric("gold_pm", "gold_earned / minutes", 1, 380.0, 90.0, 10.0),
    Metric("damage_pm", "damage_to_champions / minutes", 1, 600.0, 280.0, 20.0),
    Metric("kill_participation", "kill_participation", 1, 0.5, 0.15),
    Metric("deaths_pm", "deaths / minutes", -1, 0.2, 0.1, 0.03),
    Metric("vision_pm", "vision_score / minutes", 1, 0.9, 0.6, 0.05),
    # The log tames KDA's long tail (a deathless game is (k + a) / 1).
    Metric(
        "kda", "ln(1 + greatest(kills::DOUBLE + assists, 0) / greatest(deaths, 1))", 1, 1.2, 0.5
    ),
)


def minutes_sql(row: str = "") -> str:
    """SQL: the game's length in minutes, at least ``MIN_GAME_MINUTES`` (30 when unknown)."""
    return f"greatest(coalesce({row}game_duration_s, 1800) / 60.0, {MIN_GAME_MINUTES})"


def role_sql(row: str = "") -> str:
    """SQL: the role played (``UNKNOWN`` when the payload has none)."""
    return f"coalesce(nullif({row}team_position, ''), 'UNKNOWN')"
