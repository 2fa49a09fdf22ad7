"""SMURF_ANALYZER: score the players queued since they were last scored (no API calls).

The store queues a player when their games, profile or rank change; each run first keeps
the lobby reference and baselines current (``analysis.upkeep``), then scores up to
``unanalyzed_players_per_run`` queued players against the kept baselines, reading only
their per-player sums, and takes them off the queue with their scores.

Config: ``unanalyzed_players_per_run``, ``min_matches_required``, ``timeout_seconds``.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from pipeline import analysis
from pipeline.jobs.base import BaseJob
from pipeline.jobs.settings import SmurfAnalyzerSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.job_records import utcnow

log = get_logger(__name__)


class SmurfAnalyzer(BaseJob):
    job_type = JobType.SMURF_ANALYZER
    uses_riot_api = False

    settings_model = SmurfAnalyzerSettings
    settings: SmurfAnalyzerSettings

    async def execute(self, db: Database) -> None:
        params = analysis.ScoringParams(min_games=self.settings.min_matches_required)

        def keep_current(con: duckdb.DuckDBPyConnection) -> analysis.Upkeep:
            # Interruptible too: a rebuild of the sums can take a while on a large database,
            # and a timed-out run must let go of it (its transaction then rolls back whole).
            with self.interruptible(con):
                return analysis.keep_current(con, params)

        upkeep = await self.safe_commit(keep_current)
        if upkeep.baselines_refreshed:
            log.info(
                "analyzer.upkeep",
                reference_rebuilt=upkeep.reference_rebuilt,
                everyone_queued=upkeep.everyone_queued,
            )
        scores, read_at = await self.in_thread(self._score, db, params)
        scored_at = utcnow()
        scored = scores["puuid"].tolist() if not scores.empty else []
        minimum = self.settings.min_matches_required

        def commit(con: duckdb.DuckDBPyConnection) -> int:
            written = analysis.write_scores(con, scores, scored_at)
            analysis.dequeue(con, scored, minimum, read_at)
            return written

        written = await self.safe_commit(commit)
        if scores.empty:
            log.info("analyzer.nothing_to_score")
            return
        self.increment_metric("records_created", written)
        labels = scores["label"].value_counts().to_dict()
        log.info(
            "analyzer.scored", players=written, labels={str(k): int(v) for k, v in labels.items()}
        )

    def _score(self, db: Database, params: analysis.ScoringParams) -> tuple[pd.DataFrame, datetime]:
        # Interruptible: a timed-out run stops scoring instead of holding the file on.
        with db.read() as con, self.interruptible(con):
            read_at = analysis.queue_time(con)
            puuids = analysis.players_needing_scores(
                con, self.settings.unanalyzed_players_per_run, self.settings.min_matches_required
            )
            self.report_progress("players", done=0, total=len(puuids))
            if not puuids:
                return pd.DataFrame(), read_at
            return analysis.score_players(
                con, puuids, params=params, cached_baselines=True
            ), read_at
