"""SMURF_ANALYZER: score the players queued since they were last scored (no API calls).

The store queues a player when their games, profile or rank change; each run, in one
transaction (``analysis.score_queued``), keeps the lobby reference, baselines and score
inputs current (``analysis.upkeep``), scores up to ``unanalyzed_players_per_run`` queued
players against the kept baselines, reading only their score inputs, and takes them off
the queue with their scores.

Config: ``unanalyzed_players_per_run``, ``min_matches_required``, ``timeout_seconds``.
"""

from __future__ import annotations

import duckdb

from pipeline import analysis
from pipeline.analysis.scoring import NO_PROFILE_REASON
from pipeline.jobs.base import BaseJob
from pipeline.jobs.settings import SmurfAnalyzerSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database

log = get_logger(__name__)


class SmurfAnalyzer(BaseJob):
    job_type = JobType.SMURF_ANALYZER
    uses_riot_api = False

    settings_model = SmurfAnalyzerSettings
    settings: SmurfAnalyzerSettings

    async def execute(self, db: Database) -> None:
        params = analysis.ScoringParams(min_games=self.settings.min_matches_required)

        def analyze(con: duckdb.DuckDBPyConnection, alone: bool) -> analysis.QueuedScoring:
            # Interruptible: a timed-out run stops its queries and lets go of the file (a
            # rebuild of the sums can take a while on a large database); its transaction
            # then rolls back whole.
            with self.interruptible(con):
                return analysis.score_queued(
                    con,
                    params,
                    self.settings.unanalyzed_players_per_run,
                    on_players=lambda n: self.report_progress("players", done=0, total=n),
                    alone=alone,
                )

        try:
            # Beside the other jobs' writes, as a pass usually can be ...
            done = await self.safe_commit(lambda con: analyze(con, alone=False))
        except analysis.ReferenceRebuildNeedsAlone:
            # ... but not one that rebuilds the lobby reference: the games the other jobs
            # store meanwhile would keep stomps judged with the old one (see keep_current).
            log.info("analyzer.running_alone", reason="the lobby reference is due for a rebuild")
            done = await self.safe_commit(lambda con: analyze(con, alone=True), alone=True)
        upkeep = done.upkeep
        if upkeep.baselines_refreshed:
            log.info(
                "analyzer.upkeep",
                reference_rebuilt=upkeep.reference_rebuilt,
                everyone_queued=upkeep.everyone_queued,
            )
        if done.scores.empty:
            log.info("analyzer.nothing_to_score")
            return
        self.increment_metric("records_created", done.written)
        labels = done.scores["label"].value_counts().to_dict()
        log.info(
            "analyzer.scored",
            players=done.written,
            labels={str(k): int(v) for k, v in labels.items()},
            # The players this run scored that only a profile keeps from a label: a count
            # that stays high run after run says PROFILE_REFRESHER is behind the fetcher.
            awaiting_profile=int((done.scores["reason"] == NO_PROFILE_REASON).sum()),
        )
