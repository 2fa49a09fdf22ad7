"""BAN_CHECKER: gather evidence on flagged players and record the status it supports.

Config: ``ban_check_days`` (re-check a player after this many days),
``unavailable_recheck_days`` (the same for UNAVAILABLE accounts, usually less often: a
suspension that ends is noticed), ``max_checks_per_run``, ``timeout_seconds``.

A run checks, within ``max_checks_per_run``: follow-ups first (NOT_FOUND_ONCE waiting for its
confirmation, then a first SUMMONER_MISSING for another search; one missing twice in a row
waits for the usual cadence), then players never checked, then the longest unchecked. A
check asks account-v1 and summoner-v4 by puuid; when the account answers but its summoner is
gone from the stored platform it looks for the new one (account-v1 getActiveRegion, then the
other platforms of the region) and moves the player there; then league-v4 and the newest
match id, and the newest match when it is new (``account_lookup``, asked through
``RiotDataManager.observe_account``). There is no ban
endpoint: a 404 is evidence and is recorded, never swallowed. The statuses and the rules
that give them are in ``ban_evidence``. Checks are committed in batches; a rate limit
commits the checks done and ends the run RATE_LIMITED.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import duckdb

from pipeline.jobs.ban_evidence import Verdict, conclude
from pipeline.jobs.base import BaseJob
from pipeline.jobs.data_manager import RiotDataManager
from pipeline.jobs.error_handling import handle_riot_api_errors
from pipeline.jobs.errors import RateLimitSignal
from pipeline.jobs.settings import BanCheckerSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.account_checks import (
    CheckRecord,
    DueCheck,
    due_checks,
    record_check,
)

log = get_logger(__name__)

FLAGGED_LABELS = ("SMURF", "BOOSTED")
# A check due within this much of a run is done in that run: runs of a daily schedule start
# at the same minute each day, while the checks of the previous run landed minutes after
# its start, and waiting for them would stretch a one-day cadence to two days.
DUE_EARLY = timedelta(hours=6)
BATCH = 25  # checks per commit


def due_cutoff(now: datetime, days: int) -> datetime:
    """Checks at or before this time are due under a cadence of ``days``."""
    return now - max(timedelta(days=days) - DUE_EARLY, timedelta(0))


class BanChecker(BaseJob):
    job_type = JobType.BAN_CHECKER
    sharded = True

    settings_model = BanCheckerSettings
    settings: BanCheckerSettings
    manager: RiotDataManager

    async def execute(self, db: Database) -> None:
        self.manager = RiotDataManager(self.riot(), db)
        due = await asyncio.to_thread(self._due, db, self.context.clock())
        follow_ups = sum(1 for d in due if d.follow_up)
        log.info("ban_check.selected", players=len(due), follow_ups=follow_ups)
        statuses: Counter[str] = Counter()
        self.details = {"follow_ups": follow_ups, "statuses": {}}
        for start in range(0, len(due), BATCH):
            try:
                await self._check_batch(due[start : start + BATCH], statuses)
            finally:
                # What the run concluded, kept with the execution (RATE_LIMITED runs too).
                self.details = {"follow_ups": follow_ups, "statuses": dict(statuses)}
            self.report_progress("players", done=min(start + BATCH, len(due)), total=len(due))
            self.stop_if_asked(remaining=max(len(due) - start - BATCH, 0))

    def _due(self, db: Database, now: datetime) -> list[DueCheck]:
        with db.read() as con:
            return due_checks(
                con,
                labels=FLAGGED_LABELS,
                due=due_cutoff(now, self.settings.ban_check_days),
                unavailable_due=due_cutoff(now, self.settings.unavailable_recheck_days),
                default_platform=self.context.settings.platform,
                platforms=self.platforms,
                limit=self.settings.max_checks_per_run,
            )

    async def _check_batch(self, batch: list[DueCheck], statuses: Counter[str]) -> None:
        """Check each player of the batch, then commit them (also when a rate limit stops it)."""
        done: list[tuple[CheckRecord, Verdict]] = []
        try:
            for due in batch:
                checked = await self._check(due)
                if checked is not None:
                    done.append(checked)
        except RateLimitSignal:
            await self._commit(done, statuses)
            raise
        await self._commit(done, statuses)

    async def _commit(
        self, done: list[tuple[CheckRecord, Verdict]], statuses: Counter[str]
    ) -> None:
        def persist(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
            created = updated = 0
            for record, verdict in done:
                new_id = _riot_id_parts(record.riot_id) if verdict.renamed else None
                rows = record_check(con, record, new_riot_id=new_id)
                created, updated = created + rows[0], updated + rows[1]
            return created, updated

        if done:
            created, updated = await self.safe_commit(persist)
            # Counted once committed: a transaction that fails counts nothing.
            self.increment_metric("records_created", created)
            self.increment_metric("records_updated", updated)
            statuses.update(record.status.value for record, _ in done)

    @handle_riot_api_errors(
        operation="check ban status",
        critical=False,
        log_context=lambda self, due: {"puuid": due.puuid},
    )
    async def _check(self, due: DueCheck) -> tuple[CheckRecord, Verdict]:
        seen = await self.manager.observe_account(
            due.puuid, due.platform, due.last.newest_match_id, due.last.newest_match_at
        )
        now = self.context.clock()
        verdict = conclude(due.last, seen, due.riot_id, now)
        record = CheckRecord(
            puuid=due.puuid,
            checked_at=now,
            status=verdict.status,
            account_found=seen.account is not None,
            summoner_found=seen.summoner is not None,
            platform=seen.platform,
            previous_platform=due.platform,
            riot_id=seen.riot_id,
            previous_riot_id=due.riot_id,
            summoner_level=seen.summoner_level,
            ranked_entries=seen.ranked_entries,
            newest_match_id=seen.newest_match_id,
            newest_match_at=seen.newest_match_at,
            ranked_entries_gone=verdict.ranked_entries_gone,
            history_frozen=verdict.history_frozen,
            level_unchanged=verdict.level_unchanged,
            evidence={"previous_status": due.last.status, "reasons": list(verdict.reasons)},
            execution_id=self.execution_id,
        )
        log.info(
            "ban_check.recorded",
            puuid=due.puuid,
            status=verdict.status.value,
            previous_status=due.last.status,
            platform=seen.platform,
            reasons=list(verdict.reasons),
        )
        return record, verdict


def _riot_id_parts(riot_id: str | None) -> tuple[str, str | None] | None:
    if not riot_id:
        return None
    name, _, tag = riot_id.partition("#")
    return name, tag or None
