"""Errors of the analysis::

AnalysisError                   bad parameters or data the analysis cannot use
├── NoGroundTruthError          `evaluate` needs the simulator's sim_truth table
└── UnknownPlayerError          `explain` was asked about a puuid with no stored games
"""

from __future__ import annotations

from pipeline.errors import SmurfError


class AnalysisError(SmurfError):
    """Base class of analysis errors."""


class NoGroundTruthError(AnalysisError):
    """The database has no simulator ground truth to evaluate against."""

    def __init__(self) -> None:
        super().__init__(
            "This database has no sim_truth table (the ground truth of a simulated world), "
            "so there is nothing to evaluate against: give labels of your own with "
            "`smurf evaluate --truth FILE.csv`, or evaluate a database made from a simulated "
            "world, which stores its truth: `smurf demo`, or `smurf simulator crawl` or "
            "`smurf simulator export` with --db a new file."
        )


class UnknownPlayerError(AnalysisError):
    """No games are stored for the player asked about."""

    def __init__(self, puuid: str) -> None:
        self.puuid = puuid
        super().__init__(
            f"No games in the analysed queues are stored for player {puuid}: "
            "check the puuid, or fetch their matches first."
        )
