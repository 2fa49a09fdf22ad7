"""PROFILE_REFRESHER: the summoner level and solo-queue entry of players about to be scored.

Scoring labels a player only with a fresh profile: the league entry says how many ranked
games the account has really played this season (wins + losses) and where it stands, the
summoner level how long it has played at all; stored games say neither. This job fetches
summoner-v4 and league-v4 for players with at least ``min_matches_required`` stored games
whose profile is missing or older than ``refresh_after_hours``: never-profiled players
first, the most suspicious of them first (the analyzer scores a player before its profile
is known, from its games alone: that score says whose profile decides a label), then those
with the newest games. Up to ``max_profiles_per_run`` a run, several in
flight under the shared rate limiter, committed every ``COMMIT_EVERY`` players, so a rate
limit or a timeout keeps what was fetched.

Config: ``max_profiles_per_run``, ``refresh_after_hours``, ``min_matches_required``,
``timeout_seconds``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from pipeline.jobs.base import BaseJob
from pipeline.jobs.data_manager import RiotDataManager
from pipeline.jobs.errors import RateLimitSignal
from pipeline.jobs.settings import ProfileRefresherSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.job_records import utcnow
from pipeline.store.profiles import profiles_to_refresh, record_profiles

log = get_logger(__name__)

COMMIT_EVERY = 50


class ProfileRefresher(BaseJob):
    job_type = JobType.PROFILE_REFRESHER

    sharded = True
    settings_model = ProfileRefresherSettings
    settings: ProfileRefresherSettings

    async def execute(self, db: Database) -> None:
        players = await asyncio.to_thread(self._stale_profiles, db)
        log.info("profiles.selected", players=len(players))
        manager = RiotDataManager(self.riot(), db)
        done = 0
        for start in range(0, len(players), COMMIT_EVERY):
            chunk = players[start : start + COMMIT_EVERY]
            batch = await manager.player_profiles(chunk)
            checked_at = utcnow()

            def persist(con: Any, batch: Any = batch, checked_at: Any = checked_at) -> None:
                created, updated = record_profiles(
                    con, [p.answer() for p in batch.profiles], checked_at
                )
                self.increment_metric("records_created", created)
                self.increment_metric("records_updated", updated)

            await self.safe_commit(persist)
            done += len(batch.profiles)
            self.report_progress("profiles", done=done, total=len(players))
            if batch.rate_limited is not None:
                raise RateLimitSignal(
                    f"Rate limited while refreshing profiles ({done:,} of {len(players):,} done): "
                    f"{batch.rate_limited}",
                    batch.rate_limited.retry_after_s,
                )
            self.stop_if_asked(remaining=len(players) - start - len(chunk))
        log.info("profiles.refreshed", profiles=done, requested=len(players))

    def _stale_profiles(self, db: Database) -> list[tuple[str, str]]:
        stale_before = utcnow() - timedelta(hours=self.settings.refresh_after_hours)
        with db.read() as con:
            return profiles_to_refresh(
                con,
                default_platform=self.context.settings.platform,
                platforms=self.platforms,
                min_matches=self.settings.min_matches_required,
                stale_before=stale_before,
                limit=self.settings.max_profiles_per_run,
            )
