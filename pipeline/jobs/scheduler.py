"""The scheduler process: APScheduler 3.x ``AsyncIOScheduler`` over ``job_configurations``.

- One scheduler per database: an exclusive lock on ``<db>.scheduler.lock`` (which also records
  the pid and the monitoring API's address); a second scheduler refuses to start, naming the first.
- On start, executions left PENDING/RUNNING by a dead process are closed with a clear message.
- Every ``sync_interval_s`` the configurations are re-read: schedule, ``is_active`` and
  ``config_json`` changes take effect without a restart (a change of ``config_json`` alone
  keeps the job's timer). A bad schedule disables that job only (the error is kept for the
  overview); the others keep running.
- With ``run_immediately`` (``--run-now``) every active job runs once at the start, but a job
  that works on what another finds (``FIRST_RUN_AFTER``) runs once that job's first run has
  ended (or when its own schedule falls due, if sooner) when that job has never ended a run
  on this scheduler's platforms (a fresh crawl, or a lake worker joining with platforms
  nobody crawled: nothing it found is stored yet).
- A RATE_LIMITED run that knows how long the API asked it to wait moves the job's next run
  to the end of the wait when it falls due sooner.
- Never two runs of one job at once (APScheduler ``max_instances=1`` plus our own guard, which
  also covers runs triggered through the API).
- ``stop()``: stop scheduling, give running jobs ``shutdown_grace_s`` to end and record
  (stopped by a signal, those that work in units end after the one under way), then cancel
  them (they record themselves as stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from pipeline.api_models import utc_iso
from pipeline.jobs import shards
from pipeline.jobs.base import ExecutionOutcome, JobContext, set_process_context
from pipeline.jobs.errors import (
    JobAlreadyRunningError,
    JobConfigError,
    JobError,
    SchedulerAlreadyRunningError,
    SchedulerStoppingError,
    UnknownJobError,
)
from pipeline.jobs.executions import (
    StartedRun,
    close_orphans,
    record_unrecorded_ends,
    start_execution_in_thread,
    take_back,
)
from pipeline.jobs.registry import JOB_CLASSES, check_settings, job_for, known_job_types
from pipeline.jobs.schedule import parse_schedule
from pipeline.jobs.types import JobStatus, JobType, Trigger
from pipeline.log import get_logger
from pipeline.store import DatabaseBusyError
from pipeline.store import job_records as records
from pipeline.store.location import Location, make_database_folder
from pipeline.store.overview import JobActivity, job_activity

log = get_logger(__name__)

DEFAULT_SYNC_INTERVAL_S = 5.0
DEFAULT_SHUTDOWN_GRACE_S = 30.0
OVERVIEW_HOURS = 24  # the overview counts each job's runs over this many hours
# With run_immediately on a database where the job that finds a job's work has never ended a
# run (on this scheduler's platforms, for a platform job), that job's first run waits for the
# end of the finder's first: started together on a fresh crawl, MATCH_FETCHER found none of
# the players TRACKED_PLAYER_UPDATER was discovering and idled until its next run (five
# minutes of twenty), PROFILE_REFRESHER found next to no player with enough games for ten,
# and the analyzer's first pass that labelled anyone came ten minutes in, with 71 players
# judged (eighth independent world).
FIRST_RUN_AFTER = {
    JobType.MATCH_FETCHER.value: JobType.TRACKED_PLAYER_UPDATER.value,
    JobType.PROFILE_REFRESHER.value: JobType.MATCH_FETCHER.value,
    JobType.SMURF_ANALYZER.value: JobType.PROFILE_REFRESHER.value,
}


def lock_path_for(db_path: Path) -> Path:
    return Path(f"{db_path}.scheduler.lock")


def read_scheduler_lock(db_path: Location) -> dict[str, Any] | None:
    """What the running scheduler wrote in its lock file, if one is running.

    A lake has many schedulers (workers) and no lock file: None.
    """
    if not isinstance(db_path, Path):
        return None
    path = lock_path_for(db_path)
    if not path.exists():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                info = json.loads(path.read_text() or "{}")
            except json.JSONDecodeError:
                info = {}
            return info if isinstance(info, dict) else {}
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None  # the file is there but nobody holds it: no scheduler runs


@dataclass
class ScheduledJob:
    config: records.JobConfiguration
    error: str | None = None


@dataclass(frozen=True)
class TypesThatWorked:
    """The job types that ended a run having done its work: on the scheduler's platforms,
    and on any."""

    here: set[str]
    anywhere: set[str]


@dataclass
class JobScheduler:
    context: JobContext
    sync_interval_s: float = DEFAULT_SYNC_INTERVAL_S
    shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S
    api_url: str | None = None
    jobs: dict[int, ScheduledJob] = field(default_factory=dict)
    running: dict[int, asyncio.Task[ExecutionOutcome]] = field(default_factory=dict)
    _starting: set[int] = field(default_factory=set)  # triggered runs being set up
    # Job -> monotonic time before which scheduled runs are skipped: a RATE_LIMITED run said
    # how long the key must rest, and starting earlier would only spend a request to learn it.
    _resume_at: dict[int, float] = field(default_factory=dict)
    # Job -> the jobs whose first run waits for the end of its first (FIRST_RUN_AFTER).
    _held: dict[int, set[int]] = field(default_factory=dict)
    # With run_immediately where nothing is stored yet, first runs in the order the data flows
    # (FIRST_RUN_AFTER); the demo, whose jobs fall due seconds apart, runs them all at once.
    first_runs_in_data_order: bool = True
    started_at: datetime | None = None
    state: str = "STOPPED"
    run_immediately: bool = False  # first run of each job at start, then on its schedule
    stop_reason: str | None = None  # "signal" or "duration" once stopped by serve_scheduler
    _scheduler: AsyncIOScheduler | None = None
    _lock_handle: IO[str] | None = None
    # On a lake only the leading worker schedules the jobs that are not per platform.
    leading: bool = False
    _leadership: shards.Leadership = field(init=False)
    _presence: shards.Presence = field(init=False)

    def __post_init__(self) -> None:
        self._leadership = shards.Leadership(self.context.db)
        self._presence = shards.Presence(self.context.db, self.context.settings.platforms)

    # ---- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        self.context.stop_requested = False  # a context stopped before starts afresh
        set_process_context(self.context)
        self._acquire_lock()
        try:
            db = self.context.db
            await asyncio.to_thread(db.require_schema)
            closed = await asyncio.to_thread(close_orphans, db)
            if closed:
                log.warning("scheduler.orphans_closed", execution_ids=closed)
            # APScheduler warns whenever a run is skipped because the previous one is still
            # going; skipping is this scheduler's intent and is logged as such.
            logging.getLogger("apscheduler").setLevel(logging.ERROR)
            self._scheduler = AsyncIOScheduler(timezone=UTC)
            self._scheduler.start()
            await self.sync()
            self._scheduler.add_job(
                self.sync,
                "interval",
                seconds=self.sync_interval_s,
                id="__sync__",
                max_instances=1,
                coalesce=True,
            )
        except BaseException:
            self._release_lock()
            self._presence.leave()
            raise
        self.started_at = datetime.now(UTC).replace(tzinfo=None)
        self.state = "RUNNING"
        log.info("scheduler.started", jobs=len(self.jobs), db=str(self.context.settings.db_path))

    async def stop(self, *, promptly: bool = False) -> None:
        """Stop scheduling; give running jobs ``shutdown_grace_s`` to end, then cancel them.

        ``promptly`` (a signal: someone is waiting) has each running job that works in
        units (the fetchers, the profile refresher, the ban checker) end after the unit under
        way instead of going on (``BaseJob.stop_if_asked``)."""
        if self.state == "STOPPED":
            return
        self.state = "STOPPING"
        if promptly:
            self.context.stop_requested = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        tasks = list(self.running.values())
        if tasks:
            log.info(
                "scheduler.waiting_for_jobs", running=len(tasks), grace_s=self.shutdown_grace_s
            )
            _, pending = await asyncio.wait(tasks, timeout=self.shutdown_grace_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        self._release_lock()
        await asyncio.to_thread(self._leadership.resign)
        await asyncio.to_thread(shards.PROCESS_TURNS.stop_waiting)
        await asyncio.to_thread(self._presence.leave)
        self.state = "STOPPED"
        log.info("scheduler.stopped")

    def cancel_running(self) -> None:
        """Cancel the running jobs now (each records itself as stopped)."""
        for task in self.running.values():
            task.cancel()

    def _acquire_lock(self) -> None:
        db_path = self.context.settings.db_path
        if not isinstance(db_path, Path):
            return  # workers of a lake take turns per job and shard instead
        make_database_folder(db_path)  # the lock file sits beside the database
        path = lock_path_for(db_path)
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                holder = json.loads(handle.read() or "{}")
            except json.JSONDecodeError:
                holder = {}
            handle.close()
            where = f", API {holder['api_url']}" if holder.get("api_url") else ""
            raise SchedulerAlreadyRunningError(
                f"Another scheduler (pid {holder.get('pid', 'unknown')}{where}) already serves "
                f"{self.context.settings.db_path}; stop it first, or use `smurf jobs trigger`."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "api_url": self.api_url}))
        handle.flush()
        self._lock_handle = handle

    def _release_lock(self) -> None:
        if self._lock_handle is not None:
            with contextlib.suppress(OSError):
                self._lock_handle.seek(0)
                self._lock_handle.truncate()
                fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    # ---- configurations ---------------------------------------------------------------
    async def sync(self) -> None:
        """Bring APScheduler in line with ``job_configurations`` (and, on a lake, with who
        leads the jobs that run once for the whole lake)."""
        assert self._scheduler is not None
        try:
            configs = {c.id: c for c in await asyncio.to_thread(self._read_configs)}
            await asyncio.to_thread(self._presence.keep)
            leading = await asyncio.to_thread(self._leadership.is_leader)
        except asyncio.CancelledError:
            return  # shutting down: nothing left to schedule
        if leading != self.leading:
            log.info("scheduler.leadership", leading=leading)
            self.leading = leading
            for config_id, entry in list(self.jobs.items()):
                if not _is_sharded(entry.config.job_type):
                    del self.jobs[config_id]  # scheduled again below, or left off
        for config_id in set(self.jobs) - set(configs):
            self._unschedule(config_id)
            del self.jobs[config_id]
        # A refused configuration is looked at again each sync: what it lacked may be a
        # file (a report's notebook) that has appeared since.
        judged = [
            config
            for config in configs.values()
            if (known := self.jobs.get(config.id)) is None
            or known.config != config
            or known.error is not None
        ]
        first_start = (
            self.run_immediately and self.first_runs_in_data_order and self.state != "RUNNING"
        )
        try:
            errors = await asyncio.to_thread(lambda: {c.id: self._refusal(c) for c in judged})
            worked = await asyncio.to_thread(self._types_that_worked) if first_start else None
        except asyncio.CancelledError:
            return
        held = self._first_runs_held(judged, errors, worked) if worked is not None else {}
        # Scheduled together, with no wait in between: a job due at once (run_immediately)
        # must not fall due while the scheduler is still starting, or it would be skipped.
        for config in judged:
            known = self.jobs.get(config.id)
            error = errors[config.id]
            if known is not None and known.config == config and known.error == error:
                continue
            if (
                known is not None
                and known.error is None
                and error is None
                and _same_timing(known.config, config)
            ):
                # Settings only: the job's timer keeps running (scheduling it again would
                # restart an interval, and edits could put its runs off for ever).
                self._rename(config)
                self.jobs[config.id] = ScheduledJob(config)
                continue
            self.jobs[config.id] = self._schedule(config, error, held_by=held.get(config.id))

    def _types_that_worked(self) -> TypesThatWorked:
        """The job types that ever ended a run having done its work (SUCCESS or, part of
        it, RATE_LIMITED): on a platform this scheduler works on, and on any."""
        mine = shards.Claim(self.context.settings.platforms)
        with self.context.db.read() as con:
            rows = con.execute(
                "SELECT DISTINCT job_type, shard FROM job_executions"
                " WHERE status IN ('SUCCESS', 'RATE_LIMITED')"
            ).fetchall()
        return TypesThatWorked(
            here={str(job_type) for job_type, shard in rows if mine.covers(shard)},
            anywhere={str(job_type) for job_type, _ in rows},
        )

    def _first_runs_held(
        self,
        judged: list[records.JobConfiguration],
        errors: dict[int, str | None],
        worked: TypesThatWorked,
    ) -> dict[int, int]:
        """At the start with ``run_immediately``: job -> the job whose first run it waits
        for (``FIRST_RUN_AFTER``: the job that finds its work, which runs here at once and
        has never ended a run where this job works, so nothing it found is stored yet). A
        worker joining a lake with platforms nobody crawled holds its platform jobs; a job
        over the whole lake (the analyzer) is held only where nothing was found anywhere."""
        here = [
            c
            for c in judged
            if c.is_active and errors[c.id] is None and (self.leading or _is_sharded(c.job_type))
        ]
        held: dict[int, int] = {}
        for config in here:
            finds = FIRST_RUN_AFTER.get(config.job_type)
            done = worked.here if _is_sharded(config.job_type) else worked.anywhere
            feeders = [c.id for c in here if c.job_type == finds and finds not in done]
            if feeders:
                held[config.id] = min(feeders)
        return held

    def held_first_runs(self) -> list[tuple[str, str]]:
        """(job, the job whose first run it waits for) for each first run still held."""
        return sorted(
            (job.config.job_type, feeder)
            for config_id, job in self.jobs.items()
            if (feeder := self.first_run_waits_for(config_id)) is not None
        )

    def first_run_waits_for(self, config_id: int) -> str | None:
        """The job type whose first run the first run of ``config_id`` still waits for (it
        runs when that ends, or at its own next run time if sooner), or None. A job paused
        or refused since waits for nothing, nor one whose finder was: the release would not
        come, and the job runs at its own schedule."""
        for feeder, followers in self._held.items():
            if config_id in followers and self._scheduled(config_id) and self._scheduled(feeder):
                return self.jobs[feeder].config.job_type
        return None

    def _scheduled(self, config_id: int) -> bool:
        return (
            config_id in self.jobs
            and self._scheduler is not None
            and self._scheduler.get_job(str(config_id)) is not None
        )

    def _release_held(self, feeder_id: int) -> None:
        """The first run of ``feeder_id`` is over (or could not start): the jobs that waited
        for it and have not run since (their own schedule fell due first) run now. A
        feeder paused before its first run leaves them to their own schedules."""
        for config_id in sorted(self._held.pop(feeder_id, ())):
            job = self._scheduler.get_job(str(config_id)) if self._scheduler else None
            if job is None or self.state != "RUNNING":
                continue
            job.modify(next_run_time=datetime.now(UTC))
            log.info("scheduler.first_run_released", job_config_id=config_id, after=feeder_id)

    def _rename(self, config: records.JobConfiguration) -> None:
        """Give a job kept on its timer its new name (APScheduler's logs name it)."""
        scheduled = self._scheduler.get_job(str(config.id)) if self._scheduler else None
        if scheduled is not None and scheduled.name != config.name:
            scheduled.modify(name=config.name)

    def _refusal(self, config: records.JobConfiguration) -> str | None:
        """Why ``config`` cannot be scheduled here (None: it can): its schedule, its type,
        or a configuration its runs would refuse, shown now rather than at the first run (a
        daily job's may be a day away). A job another worker leads is not judged here."""
        if not config.is_active:
            return None
        try:
            parse_schedule(config.schedule)
            job = job_for(config.job_type, config.id, self.context)
        except (JobConfigError, UnknownJobError) as exc:
            return str(exc)
        except Exception as exc:  # a job class that cannot even be built
            return f"{type(exc).__name__}: {exc}"
        if not self.leading and not _is_sharded(config.job_type):
            return None
        job.job_config = config
        try:
            job.configure()
        except JobConfigError as exc:
            return str(exc)
        except Exception as exc:  # a guide-style job's own checks, a notebook that will not parse
            return f"{type(exc).__name__}: {exc}"
        return None

    def _read_configs(self) -> list[records.JobConfiguration]:
        db = self.context.db
        # Ends of runs that could not be written in time get another chance at every sync.
        with contextlib.suppress(DatabaseBusyError):
            record_unrecorded_ends(db)
        with db.read() as con:
            return records.list_job_configs(con)

    def _schedule(
        self, config: records.JobConfiguration, error: str | None, *, held_by: int | None = None
    ) -> ScheduledJob:
        """Schedule ``config`` unless ``error`` (``_refusal``) says why it cannot be; with
        ``held_by``, its first run waits for the end of that job's first run."""
        self._unschedule(config.id)
        if not config.is_active:
            return ScheduledJob(config)
        if error is not None:
            log.error("scheduler.bad_configuration", job_config_id=config.id, error=error)
            return ScheduledJob(config, error=error)
        trigger = parse_schedule(config.schedule)
        if not self.leading and not _is_sharded(config.job_type):
            return ScheduledJob(config)  # the leading worker runs it
        assert self._scheduler is not None
        starting = self.state != "RUNNING"
        first_run = (
            {"next_run_time": datetime.now(UTC)}
            if self.run_immediately and starting and held_by is None
            else {}
        )
        if held_by is not None:
            self._held.setdefault(held_by, set()).add(config.id)
        self._scheduler.add_job(
            self._scheduled_run,
            trigger,
            **first_run,
            args=[config.id],
            id=str(config.id),
            name=config.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=60,
        )
        log.info("scheduler.job_scheduled", job_config_id=config.id, schedule=config.schedule)
        return ScheduledJob(config)

    def _unschedule(self, config_id: int) -> None:
        if self._scheduler is not None and self._scheduler.get_job(str(config_id)):
            self._scheduler.remove_job(str(config_id))

    def next_run_time(self, config_id: int) -> datetime | None:
        if self._scheduler is None:
            return None
        job = self._scheduler.get_job(str(config_id))
        when = getattr(job, "next_run_time", None) if job else None
        return when.astimezone(UTC).replace(tzinfo=None) if when else None

    # ---- runs -------------------------------------------------------------------------
    def _busy(self, config_id: int) -> bool:
        return config_id in self.running or config_id in self._starting

    async def _scheduled_run(self, config_id: int) -> None:
        if self.state != "RUNNING":
            # Fell due as the scheduler stops: no new run once it was asked to stop.
            log.info("scheduler.skipped_stopping", job_config_id=config_id)
            return
        if self._busy(config_id):
            log.info("scheduler.skipped_overlap", job_config_id=config_id)
            return
        wait_s = self._resume_at.get(config_id, 0.0) - time.monotonic()
        # A run deferred to the end of the wait (``_defer_next_run``, by the wall clock)
        # falls due about when it ends: a second's difference between the clocks is not a
        # reason to skip it.
        if wait_s > RESUME_TOLERANCE_S:
            log.info(
                "scheduler.skipped_rate_limited",
                job_config_id=config_id,
                resumes_in_s=round(wait_s, 1),
            )
            return
        self._starting.add(config_id)
        try:
            started = await self._start(config_id, Trigger.SCHEDULE)
        except JobError as exc:
            # Disabled or running elsewhere since the last sync: the next sync catches up.
            log.info("scheduler.skipped", job_config_id=config_id, reason=str(exc))
            self._release_held(config_id)
            return
        except asyncio.CancelledError:
            # Shut down while the start waited: the start takes its run back
            # (start_execution_in_thread), so there is nothing to report, and letting the
            # cancellation through would only have APScheduler print it as a traceback.
            log.info("scheduler.start_cancelled", job_config_id=config_id)
            return
        except Exception as exc:
            log.error(
                "job.not_started", job_config_id=config_id, error=f"{type(exc).__name__}: {exc}"
            )
            self._release_held(config_id)
            return
        finally:
            self._starting.discard(config_id)
        if self.state != "RUNNING":
            await self._take_back(started)  # asked to stop meanwhile
            return
        task = self._launch(started)
        # The scheduled call waits so APScheduler's max_instances guard sees it running.
        # At shutdown this wait is cancelled; stop() sees the run itself to its end.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(task)

    def _note_outcome(self, config_id: int, task: asyncio.Task[ExecutionOutcome]) -> None:
        self.running.pop(config_id, None)
        self._release_held(config_id)
        if task.cancelled() or task.exception() is not None:
            return
        outcome = task.result()
        if outcome.status is JobStatus.RATE_LIMITED and outcome.retry_after_s:
            wait_s = min(outcome.retry_after_s, MAX_DEFER_S)
            self._resume_at[config_id] = time.monotonic() + wait_s
            self._defer_next_run(config_id, wait_s)
        else:
            self._resume_at.pop(config_id, None)

    def _defer_next_run(self, config_id: int, wait_s: float) -> None:
        """Move the job's next run to when the API lets it resume, if it falls due sooner:
        the next scheduled run is the retry, and ``next_run_time`` (``jobs status``, the
        overview) names a run that will happen rather than one that would be skipped."""
        job = self._scheduler.get_job(str(config_id)) if self._scheduler is not None else None
        resume = datetime.now(UTC) + timedelta(seconds=wait_s)
        if job is None or job.next_run_time is None or job.next_run_time >= resume:
            return  # not scheduled here, paused, or due after the wait anyway
        job.modify(next_run_time=resume)
        log.info(
            "scheduler.next_run_deferred",
            job_config_id=config_id,
            next_run_time=resume.isoformat(timespec="seconds"),
            rate_limit_wait_s=round(wait_s, 1),
        )

    async def trigger(self, config_id: int, trigger: Trigger = Trigger.API) -> int:
        """Start a run now; returns its execution id. Errors say why it cannot start."""
        if self.state != "RUNNING":
            raise SchedulerStoppingError
        if self._busy(config_id):
            raise JobAlreadyRunningError(f"Job {config_id} is already running.")
        # Settings that would fail the run at once are refused now, with what to fix, not
        # accepted and then recorded as a FAILED run.
        stored = await asyncio.to_thread(self._read_config, config_id)
        if stored is not None:
            check_settings(stored.job_type, stored.config_json)
        # Hold the slot across the start so a scheduled run cannot start meanwhile.
        self._starting.add(config_id)
        try:
            started = await self._start(config_id, trigger)
            if self.state != "RUNNING":
                # Asked to stop while the start was under way (it may wait for the file):
                # no run begins now, as none that falls due does.
                await self._take_back(started)
                raise SchedulerStoppingError
            self._launch(started)
        finally:
            self._starting.discard(config_id)
        return started.execution_id

    async def _take_back(self, started: StartedRun) -> None:
        """Take back a start that will not run; a row that cannot be deleted now (the file
        held past the lock timeout) is closed as unrecorded at the job's next start."""
        try:
            await asyncio.to_thread(take_back, self.context.db, started)
        except Exception as exc:
            log.warning(
                "scheduler.take_back_failed",
                execution_id=started.execution_id,
                error=f"{type(exc).__name__}: {exc}",
            )

    async def _start(self, config_id: int, trigger: Trigger) -> StartedRun:
        known = self.jobs.get(config_id)
        config = known.config if known else await asyncio.to_thread(self._read_config, config_id)
        return await start_execution_in_thread(
            self.context.db,
            config_id,
            trigger,
            known_job_types(),
            sharded=config is not None and _is_sharded(config.job_type),
            platforms=self.context.settings.platforms,
        )

    def _read_config(self, config_id: int) -> records.JobConfiguration | None:
        with self.context.db.read() as con:
            return records.get_job_config(con, config_id)

    def _launch(self, started: StartedRun) -> asyncio.Task[ExecutionOutcome]:
        config = started.config
        for followers in self._held.values():
            followers.discard(config.id)  # its first run is this one: none to release
        job = job_for(config.job_type, config.id, self.context)
        task = asyncio.create_task(job.run(started.trigger, started))
        self.running[config.id] = task
        task.add_done_callback(lambda done: self._note_outcome(config.id, done))
        return task


# How far a run is moved at most for a rate limit's wait (a Retry-After of days is a
# server's mistake, not a reason to stop a job for days), and how early a deferred run may
# fall due against the monotonic clock and still run.
MAX_DEFER_S = 3600.0
RESUME_TOLERANCE_S = 1.0


def _same_timing(old: records.JobConfiguration, new: records.JobConfiguration) -> bool:
    """Whether two versions of a configuration run the same job on the same schedule (its
    settings or name aside)."""
    return (old.job_type, old.schedule, old.is_active) == (
        new.job_type,
        new.schedule,
        new.is_active,
    )


def _is_sharded(job_type: str) -> bool:
    """Whether a job type works per platform (an unknown type is left to _schedule)."""
    try:
        return JOB_CLASSES[JobType(job_type)].sharded
    except (ValueError, KeyError):
        return True


def build_overview(activity: list[JobActivity], scheduler: JobScheduler | None) -> dict[str, Any]:
    """The status overview; ``scheduler`` None means no scheduler runs in this process."""
    jobs = []
    for entry in activity:
        config = entry.config
        scheduled = scheduler.jobs.get(config.id) if scheduler else None
        last = entry.last_execution
        jobs.append(
            {
                "id": config.id,
                "job_type": config.job_type,
                "name": config.name,
                "schedule": config.schedule,
                "is_active": config.is_active,
                "next_run_time": _iso(scheduler.next_run_time(config.id)) if scheduler else None,
                "first_run_after": scheduler.first_run_waits_for(config.id) if scheduler else None,
                "configuration_error": scheduled.error if scheduled else None,
                "running_execution_id": entry.running_execution_id,
                "running_execution_ids": list(entry.running_execution_ids),
                "last_execution": None
                if last is None
                else {
                    "id": last.id,
                    "status": last.status,
                    "created_at": _iso(last.created_at),
                    "finished_at": _iso(last.finished_at),
                    "error_message": last.error_message,
                },
                "counts_24h": entry.counts_since,
            }
        )
    return {
        "scheduler": {
            "state": scheduler.state if scheduler else "NOT_RUNNING",
            "started_at": _iso(scheduler.started_at) if scheduler else None,
            "pid": os.getpid() if scheduler else None,
        },
        "jobs": jobs,
    }


def read_overview(con: Any, scheduler: JobScheduler | None) -> dict[str, Any]:
    """The status overview, read from the database on ``con``."""
    since = records.utcnow() - timedelta(hours=OVERVIEW_HOURS)
    return build_overview(job_activity(con, since=since), scheduler)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return utc_iso(value) if isinstance(value, datetime) else str(value)
