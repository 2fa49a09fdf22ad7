"""SMURF_ANALYZER: score players that were never scored or gained matches since (no API calls).

Config: ``unanalyzed_players_per_run``, ``min_matches_required``, ``timeout_seconds``.
"""

from __future__ import annotations

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
        scores = await self.in_thread(self._score, db)
        if scores.empty:
            log.info("analyzer.nothing_to_score")
            return
        scored_at = utcnow()
        written = await self.safe_commit(lambda con: analysis.write_scores(con, scores, scored_at))
        self.increment_metric("records_created", written)
        labels = scores["label"].value_counts().to_dict()
        log.info(
            "analyzer.scored", players=written, labels={str(k): int(v) for k, v in labels.items()}
        )

    def _score(self, db: Database) -> pd.DataFrame:
        # Interruptible: a timed-out run stops scoring instead of holding the file on.
        with db.read() as con, self.interruptible(con):
            puuids = analysis.players_needing_scores(
                con, self.settings.unanalyzed_players_per_run, self.settings.min_matches_required
            )
            self.report_progress("players", done=0, total=len(puuids))
            if not puuids:
                return pd.DataFrame()
            params = analysis.ScoringParams(min_games=self.settings.min_matches_required)
            return analysis.score_players(con, puuids, params=params)
