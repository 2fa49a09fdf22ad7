"""How a run begins: ``start_execution``, the one way in for the scheduler and ``smurf run``.

One database pass reads the job's configuration, refuses when the job is disabled, unknown or
already running (in this process or another), closes the job's executions that ended without
recording it, and inserts the new PENDING execution with this process's pid (the run makes it
RUNNING when it begins, ``BaseJob``). DuckDB lets one process write a file at a time, so the
check and the insert are atomic between processes; inside a process, starts take turns on a
lock.

An execution row is *live* when its process is alive and, for rows of this process, when the
run is still registered in ``LIVE_RUNS``: a run stays registered until its coroutine ended
and every worker thread it started has returned, so a timed-out run whose thread still works
keeps its job busy.

On a lake, workers on several machines share the database and runs of one job may run side
by side, one per platform shard: a start first claims its platforms (``pipeline.jobs.shards``,
PostgreSQL advisory locks held until the run is no longer live) and refuses when another
run holds them all. It then answers only for the job's executions on the platforms it
claimed: their runs are over, since a live run would still hold those locks. A pid says
nothing beyond its machine, so scheduler starts close only this machine's dead runs.

A run whose end cannot be written (the database held by another program past the wait
bound) keeps that end in ``UNRECORDED_ENDS``; it is written before the next start on that
database, and the scheduler tries again at every sync. Its row is no longer live either
way, so it never blocks its job: at worst the next start closes it as unrecorded.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipeline.jobs import shards
from pipeline.jobs.errors import (
    JobAlreadyRunningError,
    JobConfigError,
    JobInactiveError,
    UnknownJobError,
)
from pipeline.jobs.types import Trigger
from pipeline.log import get_logger
from pipeline.store import Database, DatabaseBusyError
from pipeline.store import job_records as records
from pipeline.store.job_records import pid_alive
from pipeline.store.location import location_key

log = get_logger(__name__)

ORPHAN_MESSAGE = (
    "The process running this job (pid {pid}) ended before the run finished; "
    "closed when the job or the scheduler next started. Work committed before then is kept."
)
UNRECORDED_MESSAGE = (
    "The run ended in this process without recording its end (the database could not be "
    "written in time); closed when the job next started. Work committed before then is kept."
)
NO_PROCESS_MESSAGE = (
    "The run never recorded the process running it; closed when the job or the scheduler "
    "next started."
)

# Starts, orphan checks and late ends within this process take turns, so no two see (or
# write) the same rows at once. Re-entrant: a start writes the late ends first.
_START_LOCK = threading.RLock()


@dataclass
class LiveRun:
    """A run of this process: alive until its coroutine and its worker threads are done."""

    db_key: str
    execution_id: int
    config_id: int
    threads: set[Future[Any]] = field(default_factory=set)
    finished: bool = False
    # Called once the run is no longer live: releases what its start claimed.
    on_done: Callable[[], None] | None = None


class LiveRuns:
    """The runs alive in this process, by database file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, int], LiveRun] = {}

    def add(
        self,
        db_key: str,
        execution_id: int,
        config_id: int,
        on_done: Callable[[], None] | None = None,
    ) -> LiveRun:
        run = LiveRun(db_key, execution_id, config_id, on_done=on_done)
        with self._lock:
            self._runs[(db_key, execution_id)] = run
        return run

    def is_live(self, db_key: str, execution_id: int) -> bool:
        with self._lock:
            return (db_key, execution_id) in self._runs

    def of_job(self, db_key: str, config_id: int) -> LiveRun | None:
        """This process's live run of job ``config_id`` on that database, if any."""
        with self._lock:
            return next(
                (r for r in self._runs.values() if r.db_key == db_key and r.config_id == config_id),
                None,
            )

    def add_thread(self, run: LiveRun, future: Future[Any]) -> None:
        """Keep ``run`` alive until ``future`` (its worker thread's work) is done."""
        with self._lock:
            run.threads.add(future)
        future.add_done_callback(lambda done: self._thread_done(run, done))

    def finish(self, run: LiveRun) -> None:
        """The run's coroutine ended; it stays live while a thread of it still works."""
        with self._lock:
            run.finished = True
            self._drop_if_done(run)

    def _thread_done(self, run: LiveRun, future: Future[Any]) -> None:
        with self._lock:
            run.threads.discard(future)
            self._drop_if_done(run)

    def _drop_if_done(self, run: LiveRun) -> None:
        if run.finished and not run.threads:
            self._runs.pop((run.db_key, run.execution_id), None)
            done, run.on_done = run.on_done, None
            if done is not None:
                done()


LIVE_RUNS = LiveRuns()


@dataclass(frozen=True)
class RunEnd:
    """How a run ended, as its execution row and log lines record it."""

    execution_id: int
    status: str
    metrics: dict[str, int]
    error_message: str | None
    details: dict[str, Any] | None
    log_lines: list[dict[str, Any]]


class UnrecordedEnds:
    """Ends of runs of this process that could not be written yet, by database file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ends: dict[str, list[RunEnd]] = {}

    def add(self, db_key: str, end: RunEnd) -> None:
        with self._lock:
            self._ends.setdefault(db_key, []).append(end)

    def take(self, db_key: str) -> list[RunEnd]:
        with self._lock:
            return self._ends.pop(db_key, [])


UNRECORDED_ENDS = UnrecordedEnds()


def record_end(db: Database, end: RunEnd) -> bool:
    """Write a run's end; if the database refuses, keep it for later and say so (False)."""
    try:
        db.transact(lambda con: _write_ends(con, [end]))
    except Exception as exc:
        log.error(
            "job.end_not_recorded",
            execution_id=end.execution_id,
            status=end.status,
            error=f"{type(exc).__name__}: {exc}",
        )
        UNRECORDED_ENDS.add(db_key(db), end)
        return False
    return True


def record_unrecorded_ends(db: Database) -> None:
    """Write the ends kept for this database. A busy file keeps them for the next try;
    any other refusal drops them, and their rows are closed when their jobs next start."""
    with _START_LOCK:
        _record_unrecorded_ends(db)


def _record_unrecorded_ends(db: Database) -> None:
    ends = UNRECORDED_ENDS.take(db_key(db))
    if not ends:
        return
    try:
        db.transact(lambda con: _write_ends(con, ends))
    except DatabaseBusyError:
        for end in ends:
            UNRECORDED_ENDS.add(db_key(db), end)
        raise
    except Exception as exc:
        log.error(
            "job.end_not_recorded",
            execution_ids=[e.execution_id for e in ends],
            error=f"{type(exc).__name__}: {exc}",
        )
        return
    log.info("job.ends_recorded_late", execution_ids=[e.execution_id for e in ends])


def _write_ends(con: duckdb.DuckDBPyConnection, ends: list[RunEnd]) -> None:
    for end in ends:
        records.append_log_lines(con, end.execution_id, end.log_lines)
        records.finish_execution(
            con,
            end.execution_id,
            status=end.status,
            metrics=end.metrics,
            error_message=end.error_message,
            details=end.details,
        )


@dataclass(frozen=True)
class StartedRun:
    """What a run needs from its start: its configuration, execution and correlation id."""

    config: records.JobConfiguration
    execution_id: int
    correlation_id: str
    trigger: Trigger
    live: LiveRun
    platforms: tuple[str, ...] | None = None  # the platforms claimed; None: every platform


def db_key(db: Database) -> str:
    """The registry key of a database (a file under any spelling of its path, or a lake)."""
    return location_key(db.path)


def start_execution(
    db: Database,
    config_id: int,
    trigger: Trigger,
    job_types: Collection[str] | None,
    *,
    sharded: bool = False,
    platforms: tuple[str, ...] | None = None,
) -> StartedRun:
    """Start a run of job ``config_id`` in one database pass, or say why it cannot start.

    ``job_types`` are the types the caller can run (None: any); a configuration of another
    type is refused before anything is written. A ``sharded`` job (a platform job) works on
    this worker's ``platforms`` (None: all), or on those of them no other run holds.
    """
    key = db_key(db)
    with _START_LOCK:
        record_unrecorded_ends(db)
        _refuse_if_still_working(key, config_id)
        claim = _claim(db, config_id, sharded, platforms)
        try:
            correlation_id = uuid.uuid4().hex
            start = db.transact(
                lambda con: records.start_execution(
                    con,
                    config_id,
                    trigger=trigger.value,
                    pid=os.getpid(),
                    correlation_id=correlation_id,
                    job_types=job_types,
                    is_live=lambda execution_id, pid: _is_live(key, execution_id, pid),
                    ended_message=_ended_message,
                    host=shards.this_host(),
                    shard=claim.shard,
                    judges=claim.covers if db.is_lake else None,
                )
            )
            if start.execution_id is None:
                raise _refusal(config_id, start, job_types)
        except BaseException:
            claim.release()
            raise
        live = LIVE_RUNS.add(key, start.execution_id, config_id, on_done=claim.release)
    if start.closed:
        log.warning(
            "job.unfinished_runs_closed", job_config_id=config_id, execution_ids=start.closed
        )
    assert start.config is not None
    return StartedRun(
        start.config, start.execution_id, correlation_id, trigger, live, claim.platforms
    )


def _claim(
    db: Database, config_id: int, sharded: bool, platforms: tuple[str, ...] | None
) -> shards.Claim:
    """The platforms this run may work on, reserved on a lake (a refusal when all are held)."""
    claim = shards.claim_run(db, config_id, sharded=sharded, platforms=platforms)
    if claim is not None:
        return claim
    wanted = platforms if sharded else None
    held_by = ", ".join(shards.holders(db, config_id, wanted)) or "another worker"
    log.info("job.running_elsewhere", job_config_id=config_id, held_by=held_by)
    raise JobAlreadyRunningError(f"Job {config_id} is already running: held by {held_by}.")


async def start_execution_in_thread(
    db: Database,
    config_id: int,
    trigger: Trigger,
    job_types: Collection[str] | None,
    *,
    sharded: bool = False,
    platforms: tuple[str, ...] | None = None,
) -> StartedRun:
    """``start_execution`` off the event loop; a start cancelled midway is ended, not leaked.

    The thread cannot be stopped: when the caller is cancelled (the process shutting down)
    the start may still complete, so its execution is then taken back (the run never began:
    its row is deleted), however often the caller is cancelled again meanwhile (see
    ``_StartHandoff``).
    """
    handoff = _StartHandoff(db)
    future = asyncio.ensure_future(
        asyncio.to_thread(
            handoff.run,
            lambda: start_execution(
                db, config_id, trigger, job_types, sharded=sharded, platforms=platforms
            ),
        )
    )
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        handoff.cancel()
        raise


class _StartHandoff:
    """Hands a start made on a thread to its caller, or takes it back when the caller is gone.

    Whichever comes second, the start's end or the caller's cancellation, takes it back: the
    thread when it finishes after the cancellation, otherwise a thread of its own that the
    interpreter waits for at exit. Neither waits on the caller, which a shutdown may cancel
    again at any await.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._cancelled = False
        self._handed: StartedRun | None = None

    def run(self, start: Callable[[], StartedRun]) -> StartedRun:
        started = start()
        with self._lock:
            if not self._cancelled:
                self._handed = started
                return started
        _abandon_logged(self._db, started)
        return started

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            started, self._handed = self._handed, None
        if started is not None:
            threading.Thread(
                target=_abandon_logged, args=(self._db, started), name="abandon-start"
            ).start()


def _abandon_logged(db: Database, started: StartedRun) -> None:
    try:
        take_back(db, started)
    except Exception as exc:
        log.error(
            "job.not_begun_not_recorded",
            execution_id=started.execution_id,
            error=f"{type(exc).__name__}: {exc}",
        )


def take_back(db: Database, started: StartedRun) -> None:
    """Take back a start whose run will not begin (the process shutting down first): the
    run did nothing, so its execution row goes rather than stand as a failure. Under the
    start lock, so no start of this process sees the row gone while the run is still live
    (on a lake the next start may take its id)."""
    with _START_LOCK:
        try:
            with db.write() as con:
                removed = records.discard_unbegun_execution(con, started.execution_id)
        finally:
            LIVE_RUNS.finish(started.live)
    if removed:
        log.info(
            "job.not_begun",
            execution_id=started.execution_id,
            job_config_id=started.config.id,
            reason="the process shut down before the run began",
        )


def close_orphans(db: Database) -> list[int]:
    """Close every unfinished execution that is not live; returns their ids. On a lake only
    this machine's can be judged by their pid: the others are left to their jobs' claims."""
    key = db_key(db)
    host = shards.this_host() if db.is_lake else None

    def close(con: duckdb.DuckDBPyConnection) -> list[int]:
        orphans = [
            (execution_id, pid)
            for execution_id, _, pid, host_of in records.unfinished_executions(con)
            if (host is None or host_of == host) and not _is_live(key, execution_id, pid)
        ]
        for execution_id, pid in orphans:
            records.close_executions(con, [execution_id], _ended_message(pid))
        return [execution_id for execution_id, _ in orphans]

    with _START_LOCK:
        return db.transact(close)


def _is_live(key: str, execution_id: int, pid: int | None) -> bool:
    if pid == os.getpid():
        return LIVE_RUNS.is_live(key, execution_id)
    return pid_alive(pid)


def _ended_message(pid: int | None) -> str:
    if pid is None:
        return NO_PROCESS_MESSAGE
    if pid == os.getpid():
        return UNRECORDED_MESSAGE
    return ORPHAN_MESSAGE.format(pid=pid)


def _refuse_if_still_working(key: str, config_id: int) -> None:
    run = LIVE_RUNS.of_job(key, config_id)
    if run is None:
        return
    if run.finished:
        raise JobAlreadyRunningError(
            f"Job {config_id}'s execution {run.execution_id} has ended but its work is still "
            "finishing in a worker thread (a database query or a notebook); try again once "
            "it is done."
        )
    raise JobAlreadyRunningError(
        f"Job {config_id} is already running as execution {run.execution_id}."
    )


def _refusal(
    config_id: int, start: records.ExecutionStart, job_types: Collection[str] | None
) -> Exception:
    config = start.config
    if config is None:
        return UnknownJobError(f"There is no job with id {config_id}; see `smurf jobs list`.")
    if job_types is not None and config.job_type not in job_types:
        if len(job_types) == 1:
            return UnknownJobError(
                f"Job configuration {config_id} is a {config.job_type}, not a "
                f"{next(iter(job_types))}."
            )
        # The job exists; its configuration names a type this product does not have.
        return JobConfigError(
            f"Unknown job type {config.job_type!r} (job configuration {config_id}); "
            f"known types: {', '.join(sorted(job_types))}."
        )
    if not config.is_active:
        return JobInactiveError(
            f"Job {config.id} ({config.name}) is disabled: `smurf jobs enable {config.id}` first."
        )
    return JobAlreadyRunningError(
        f"Job {config.id} ({config.name}) is already running as execution "
        f"{start.live_execution_id}."
    )
