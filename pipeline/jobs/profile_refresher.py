"""PROFILE_REFRESHER: the summoner level and solo-queue entry of players about to be scored.

Scoring labels a player only with a fresh profile: the league entry says how many ranked
games the account has really played this season (wins + losses) and where it stands, the
summoner level how long it has played at all; stored games say neither. This job fetches
summoner-v4 and league-v4 for players with at least ``min_matches_required`` stored games
whose profile is missing or older than ``refresh_after_hours``: never-profiled players
first, the most suspicious of them first (the analyzer scores a player before its profile
is known, from its games alone: that score says whose profile decides a label), then those
with the newest games. Several in flight under the shared rate limiter, committed every
``COMMIT_EVERY`` players, so a rate limit or a timeout keeps what was fetched.

A run profiles up to ``max_profiles_per_run`` players, or more when the key allows: up to
``key_share_percent`` of the requests its stated rate limits allow between two runs, or
within ``timeout_seconds`` if that is shorter (two a profile). A development key's limits
allow fewer than the seeded 200 every 5 minutes, so it changes nothing there; a production
key's allow thousands, and a crawl that raised the fetcher's budget alone finds players
faster than 200 a run can profile (an independent world crawled so left two thirds of its
players unjudged). The limits are known once an answer stated them: a run whose budget was
set before (a fresh process) selects again once its first selection is done, if that filled
the budget. A run sized past ``max_profiles_per_run`` sends at its share's pace, counted
from its start (a tenth of the time to the next run ahead at most, so it ends that much
before), not as fast as the key allows: spent at once, its share of a key stating only a
long window (1,200 requests per 2 minutes) filled the window, and its runs and
MATCH_FETCHER's ended RATE_LIMITED. A run within ``max_profiles_per_run`` sends as fast as
the key allows, and may end RATE_LIMITED beside a busy fetcher, keeping what it fetched.
Several platforms: the tightest whose limits are known; a run over every platform reads
the default platform's. An API that states no limit
leaves the budget at ``max_profiles_per_run``.

Config: ``max_profiles_per_run``, ``key_share_percent``, ``refresh_after_hours``,
``min_matches_required``, ``timeout_seconds``.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pipeline.jobs.base import BaseJob
from pipeline.jobs.data_manager import PROFILE_METHODS, RiotDataManager
from pipeline.jobs.errors import RateLimitSignal
from pipeline.jobs.settings import ProfileRefresherSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.job_records import utcnow
from pipeline.store.profiles import profiles_to_refresh, record_profiles

log = get_logger(__name__)

COMMIT_EVERY = 50
# The most profiles one run takes, whatever the key allows (max_profiles_per_run's ceiling).
MAX_PROFILES_PER_RUN = 100_000


class ProfileRefresher(BaseJob):
    job_type = JobType.PROFILE_REFRESHER

    sharded = True
    settings_model = ProfileRefresherSettings
    settings: ProfileRefresherSettings

    async def execute(self, db: Database) -> None:
        manager = RiotDataManager(self.riot(), db)
        started = time.monotonic()
        budget = self._run_budget(manager)
        self._pace_to(budget, manager)
        players = await asyncio.to_thread(self._stale_profiles, db, budget.profiles)
        log.info("profiles.selected", players=len(players), budget=budget.profiles)
        done = tried = 0
        longest_s = 0.0  # the longest a chunk took, its wait for the pace included
        while tried < len(players):
            # A run sized by the key's share ends in time for the next run (a retry sends a
            # request past the pace, so a run may fall behind it).
            if budget.window_s is not None and self.out_of_time(
                started, longest_s, budget.window_s
            ):
                log.info("profiles.out_of_time", profiles=done, requested=len(players))
                break
            chunk_started = time.monotonic()
            await manager.client.wait_for_pace()
            self.stop_if_asked(remaining=len(players) - tried)
            chunk = players[tried : tried + COMMIT_EVERY]
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
            tried += len(chunk)
            longest_s = max(longest_s, time.monotonic() - chunk_started)
            if batch.rate_limited is not None:
                self.report_progress("profiles", done=done, total=len(players))
                raise RateLimitSignal(
                    f"Rate limited while refreshing profiles ({done:,} of {len(players):,} done): "
                    f"{batch.rate_limited}",
                    batch.rate_limited.retry_after_s,
                )
            if tried == len(players) == budget.profiles:
                # The selection filled a budget set before the key's limits were known: if
                # they allow more, select again, once the first selection is done.
                grown = self._run_budget(manager)
                if grown.profiles > budget.profiles:
                    budget, first = grown, set(players)
                    self._pace_to(budget, manager)
                    more = await asyncio.to_thread(self._stale_profiles, db, budget.profiles)
                    players += [p for p in more if p not in first][: budget.profiles - tried]
                    log.info("profiles.selected_more", players=len(players), budget=grown.profiles)
            self.report_progress("profiles", done=done, total=len(players))
            self.stop_if_asked(remaining=len(players) - tried)
        log.info("profiles.refreshed", profiles=done, requested=len(players))

    def _run_budget(self, manager: RiotDataManager) -> RunBudget:
        """``max_profiles_per_run``, or ``key_share_percent`` of the profiles the key's stated
        limits allow between two runs (or within the run's timeout, if shorter) when that is
        more, with the share's requests a second when it sized the run."""
        floor = self.settings.max_profiles_per_run
        rate = manager.profiles_per_second(self.limit_platforms)
        window_s = self.key_share_window_s()
        if rate is None or window_s is None:
            return RunBudget(floor)
        share = self.settings.key_share_percent
        profiles = run_budget(floor, share, rate, window_s)
        if profiles <= floor:
            return RunBudget(floor)
        return RunBudget(profiles, window_s, share / 100 * rate * len(PROFILE_METHODS))

    def _pace_to(self, budget: RunBudget, manager: RiotDataManager) -> None:
        """Pace a run its share of the key sized to that share: spent at once, a share filled
        a key's long window and every job's requests waited past their budget."""
        if budget.window_s is not None and budget.requests_per_s is not None:
            self.pace_to_share(manager.client, budget.requests_per_s, budget.window_s)

    def _stale_profiles(self, db: Database, limit: int) -> list[tuple[str, str]]:
        stale_before = utcnow() - timedelta(hours=self.settings.refresh_after_hours)
        with db.read() as con:
            return profiles_to_refresh(
                con,
                default_platform=self.context.settings.platform,
                platforms=self.platforms,
                min_matches=self.settings.min_matches_required,
                stale_before=stale_before,
                limit=limit,
            )


@dataclass(frozen=True)
class RunBudget:
    """The profiles a run may take; when its share of the key sized it, the time that share
    is counted over (``window_s``) and its requests a second (``requests_per_s``, the pace)."""

    profiles: int
    window_s: float | None = None
    requests_per_s: float | None = None


def run_budget(floor: int, share_percent: int, profiles_per_s: float, between_runs_s: float) -> int:
    """Profiles a run may take: ``floor``, or ``share_percent`` of what ``profiles_per_s``
    allows between two runs when that is more, at most ``MAX_PROFILES_PER_RUN``. An API that
    states no limit (a stand-in or a proxy that drops the headers: an infinite rate) says
    nothing of what it can take, so the floor stands."""
    if share_percent == 0 or not math.isfinite(profiles_per_s):
        return floor
    allowed = share_percent / 100 * profiles_per_s * between_runs_s
    return max(floor, min(MAX_PROFILES_PER_RUN, int(allowed)))
