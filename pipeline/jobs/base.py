"""``BaseJob``: the life of one job run, written as named steps.

A subclass implements ``_load_configuration()`` (validate ``self.job_config.config_json``)
and ``async execute(db)``; it is built as ``MyJob(job_config_id)``, as the seed's guide
writes it, and gets the ``JobContext`` of whoever runs it (the registry binds the runner's
context while building a job; elsewhere the process's context set by its entry point).
``run()`` does the rest::

    start_execution (one database pass: configuration, checks, the PENDING execution)
    -> RUNNING (begin_execution) -> validate configuration -> execute under timeout_seconds
    -> SUCCESS | RATE_LIMITED (RateLimitSignal) | FAILED (error, timeout, shutdown)
    -> store metrics and captured log lines -> one canonical "job.finished" line

Jobs write only through ``safe_commit(work)``: ``work(con)`` runs in a worker thread inside one
write transaction together with the metrics and log lines so far, so whatever was committed
stays committed when a later step fails, and the event loop never blocks on the database.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import duckdb
import httpx
import structlog

from pipeline.config import Settings
from pipeline.errors import shorten
from pipeline.jobs.errors import (
    JobConfigError,
    JobError,
    JobTimeoutError,
    RateLimitSignal,
    ShutdownRequested,
)
from pipeline.jobs.executions import (
    LIVE_RUNS,
    RunEnd,
    StartedRun,
    record_end,
    start_execution_in_thread,
)
from pipeline.jobs.log_capture import ExecutionLogCapture
from pipeline.jobs.schedule import budget_window_s
from pipeline.jobs.settings import DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, JobSettings, load_settings
from pipeline.jobs.types import METRIC_NAMES, JobStatus, JobType, Trigger
from pipeline.jobs.worker_threads import RunThreads
from pipeline.log import get_logger, redact_text, redact_values
from pipeline.riot import RateLimiter, RiotClient
from pipeline.store import Database
from pipeline.store import job_records as records
from pipeline.store.matches import newest_match_id
from pipeline.words import number

log = get_logger(__name__)

T = TypeVar("T")

# Metrics counted inside a safe_commit attempt, applied only once its transaction commits.
_staged_metrics: ContextVar[Counter[str] | None] = ContextVar("staged_metrics", default=None)

DEFAULT_MAX_WAIT_S = 30.0
DEFAULT_HTTP_TIMEOUT_S = 10.0
END_WAIT_S = 30.0  # the least a run waits for the file to record its end
# Calls (each after its retries) failing in a row before a run stops: enough that a burst
# of errors across the concurrent fetches does not end it, few enough that an API that is
# down costs a minute, not the run's whole timeout.
FAILED_CALLS_BEFORE_STOPPING = 20
# A run paced to its share of the key may run this much of its share's window ahead of the
# pace (a burst), so a run sized to its share ends this much before the next one is due.
PACE_AHEAD_SHARE = 0.1
# A run sized by its share of the key ends at least this share of the time to the next run
# before it is due: a run starts a moment after its firing time and commits after its last
# unit, and a run still going when the next is due has that one skipped (a fetcher stopping
# with time for two more of its longest players alone ran 297.7 s of every 300 s).
FINISH_AHEAD_SHARE = 0.05
STOPPED_AT_SHUTDOWN = (
    "stopped: the process was asked to stop; the work committed up to then is kept, and the "
    "next run goes on from there"
)


@dataclass
class JobContext:
    """What every job run needs from its process."""

    settings: Settings
    limiter: RateLimiter = field(default_factory=RateLimiter)
    # Tests and the demo may inject a transport; production uses httpx's default.
    riot_transport: httpx.AsyncBaseTransport | None = None
    progress: Callable[[str, dict[str, Any]], None] | None = None
    # How long one API call may wait for rate-limit capacity before the run stops
    # RATE_LIMITED (committing what it has) instead of sleeping on.
    max_wait_s: float = DEFAULT_MAX_WAIT_S
    # How long one HTTP exchange with the Riot API may take before it is retried.
    timeout_s: float = DEFAULT_HTTP_TIMEOUT_S
    # What time it is for the jobs' own bookkeeping (when a check is due, how old a game is):
    # naive UTC. A benchmark replaying days of a simulated world passes the world's clock.
    clock: Callable[[], datetime] = records.utcnow
    # Set when the process is asked to stop: runs end between units (``stop_if_asked``).
    stop_requested: bool = False
    # Riot API calls (each after its retries) failing in a row that end a run.
    failed_calls_before_stopping: int = FAILED_CALLS_BEFORE_STOPPING

    @property
    def db(self) -> Database:
        return Database(self.settings.db_path, self.settings.lock_timeout_s)


# The context a job built without one gets: the one bound while a runner builds it, else the
# process's (set by the entry point that runs jobs: the scheduler, ``smurf run``, the demo).
_binding: ContextVar[JobContext | None] = ContextVar("job_context", default=None)
_process_context: list[JobContext] = []


def set_process_context(context: JobContext | None) -> None:
    """Make ``context`` the one jobs of this process use when built without one (None: none)."""
    _process_context[:] = [] if context is None else [context]


def current_context() -> JobContext:
    """The context a job built as ``MyJob(job_config_id)`` runs with."""
    context = _binding.get() or (_process_context[0] if _process_context else None)
    if context is None:
        raise JobError(
            "No job context in this process: run jobs with `smurf run` or `smurf scheduler`, "
            "or call pipeline.jobs.set_process_context(JobContext(settings)) first."
        )
    return context


@contextmanager
def bound_context(context: JobContext) -> Iterator[JobContext]:
    """Within the block, jobs built without a context get ``context``."""
    token = _binding.set(context)
    try:
        yield context
    finally:
        _binding.reset(token)


@dataclass(frozen=True)
class ExecutionOutcome:
    execution_id: int
    status: JobStatus
    metrics: dict[str, int]
    error_message: str | None
    duration_s: float
    # For RATE_LIMITED runs: how long the API asked us to wait, when it said.
    retry_after_s: float | None = None


class _ReadKeys(dict[str, Any]):
    """config_json that remembers which keys were looked up."""

    def __init__(self, raw: dict[str, Any], read: set[str]) -> None:
        super().__init__(raw)
        self._read = read

    def get(self, key: str, default: Any = None) -> Any:
        self._read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self._read.add(key)
        return super().__contains__(key)


class BaseJob:
    """Base class of every job type; see the module docstring for the life of a run."""

    # The job types of this package declare theirs; a job written from the seed's guide may
    # not, and then takes the type of the configuration it runs.
    job_type: ClassVar[JobType | None] = None
    # Jobs that talk to the Riot API get a client for the run (see ``riot()``).
    uses_riot_api: ClassVar[bool] = True
    # The typed model of config_json (pipeline.jobs.settings); validated into self.settings.
    settings_model: ClassVar[type[JobSettings] | None] = None
    settings: JobSettings
    # Platform jobs work on the players of their worker's platforms (pipeline.jobs.shards);
    # the others run once for the whole database.
    sharded: ClassVar[bool] = False

    def __init__(self, job_config_id: int, context: JobContext | None = None) -> None:
        self.job_config_id = job_config_id
        self.context = context if context is not None else current_context()
        self.job_config: records.JobConfiguration | None = None
        self.execution_id: int | None = None
        self.metrics: dict[str, int] = dict.fromkeys(METRIC_NAMES, 0)
        self.timeout_s = DEFAULT_TIMEOUT_S
        self.details: dict[str, Any] = {}
        self.retry_after_s: float | None = None
        self._capture = ExecutionLogCapture()
        self._client: RiotClient | None = None
        self._threads: RunThreads | None = None
        self._begun = False  # the execution is RUNNING (committed), no longer PENDING
        # The config_json keys the job looked up: what `smurf jobs set` may change.
        self.settings_read: set[str] = {"timeout_seconds"}
        # The platforms this run works on (None: every platform), from its start.
        self.platforms: tuple[str, ...] | None = None

    # ---- for subclasses -------------------------------------------------------------
    def _load_configuration(self) -> None:
        """Validate ``self.job_config.config_json``: against the class's ``settings_model``
        when it declares one (``self.settings``), else as the seed's guide writes it (a
        subclass extends this and calls super())."""
        if self.settings_model is not None:
            raw = self.job_config.config_json if self.job_config else None
            self.settings = load_settings(self.settings_model, raw, self.type_name)
            self.timeout_s = self.settings.timeout_seconds
            return
        timeout = self.config.get("timeout_seconds", DEFAULT_TIMEOUT_S)
        if (
            not isinstance(timeout, int | float)
            or isinstance(timeout, bool)
            or not 0 < timeout <= MAX_TIMEOUT_S  # NaN fails this too
        ):
            raise JobConfigError(
                f"timeout_seconds must be a positive number of seconds, at most "
                f"{MAX_TIMEOUT_S:g} (got {shorten(timeout)})."
            )
        self.timeout_s = float(timeout)

    def configure(self) -> None:
        """Validate the configuration as a run does: the job's ``_load_configuration``, then
        ``timeout_seconds`` for a job without a settings model, whether or not its
        ``_load_configuration`` called super() (the guide's example does not)."""
        self._load_configuration()
        if self.settings_model is None:
            BaseJob._load_configuration(self)

    async def execute(self, db: Database) -> None:
        raise NotImplementedError

    @property
    def config(self) -> dict[str, Any]:
        """The configuration's ``config_json`` as a dict (a clear error otherwise)."""
        raw = self.job_config.config_json if self.job_config else None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise JobConfigError(
                f'config_json must be a JSON object like {{"key": value}} (got {raw!r}).'
            )
        return _ReadKeys(raw, self.settings_read)

    def int_setting(
        self, key: str, default: int | None = None, *, minimum: int = 1, maximum: int = 1_000_000
    ) -> int:
        """A validated integer from config_json, with a message naming the key."""
        value = self.config.get(key, default)
        if value is None:
            raise JobConfigError(f"Missing required config: {key}.")
        if isinstance(value, bool) or not isinstance(value, int):
            raise JobConfigError(f"{key} must be a whole number (got {value!r}).")
        if not minimum <= value <= maximum:
            raise JobConfigError(
                f"{key} must be between {number(minimum)} and {number(maximum)} (got {value})."
            )
        return value

    def increment_metric(self, name: str, n: int = 1) -> None:
        """Count ``n`` more; inside ``safe_commit``'s work, once the transaction commits."""
        if name not in self.metrics:
            raise ValueError(f"Unknown metric {name!r}; expected one of {', '.join(METRIC_NAMES)}.")
        staged = _staged_metrics.get()
        if staged is not None:
            staged[name] += n
        else:
            self.metrics[name] += n

    def stop_if_asked(self, remaining: int) -> None:
        """End the run here if its process was asked to stop (Ctrl-C, SIGTERM) and
        ``remaining`` units of work are left; a job calls this between its units, once the
        last one is committed and counted. The run ends FAILED, saying it was stopped, with
        everything committed kept; the next run goes on from there."""
        if self.context.stop_requested and remaining > 0:
            raise ShutdownRequested(f"{STOPPED_AT_SHUTDOWN} ({remaining} left undone)")

    @property
    def limit_platforms(self) -> tuple[str, ...]:
        """The platforms whose stated key limits size this run: its own, or the default
        platform's for a run over every platform."""
        return self.platforms or (self.context.settings.platform,)

    def key_share_window_s(self) -> float | None:
        """The time a run's share of the key is counted over: until its next run, or its
        timeout if sooner (None without a configuration)."""
        if self.job_config is None:
            return None
        return budget_window_s(self.job_config.schedule, self.timeout_s)

    def pace_to_share(self, client: RiotClient, requests_per_s: float, window_s: float) -> None:
        """Spread the run's requests at ``requests_per_s``, its share of the key, counted
        from its start and at most ``PACE_AHEAD_SHARE`` of ``window_s`` ahead: a run that
        spent its share at once filled a key's long window (1,200 requests per 2 minutes)
        and every job's requests then waited past their budget (``pipeline.riot.pace``)."""
        client.pace(
            requests_per_s,
            burst_s=PACE_AHEAD_SHARE * window_s,
            stop_pacing=lambda: self.context.stop_requested,
        )
        log.debug("job.paced", requests_per_s=round(requests_per_s, 2), window_s=window_s)

    def out_of_time(self, started: float, next_s: float, window_s: float) -> bool:
        """Whether work of ``next_s`` more, after the client's wait for its pace, would end a
        run started at ``started`` (``time.monotonic()``) past its finish: the next run's
        time, ``FINISH_AHEAD_SHARE`` of the time to it before."""
        pace_s = self._client.pace_wait_s() if self._client is not None else 0.0
        elapsed_s = time.monotonic() - started + pace_s
        return elapsed_s + next_s >= (1 - FINISH_AHEAD_SHARE) * window_s

    def report_progress(self, stage: str, **fields: Any) -> None:
        """Tell a foreground runner how far the run is (and log it at debug level)."""
        log.debug("job.progress", stage=stage, **fields)
        if self.context.progress is not None:
            self.context.progress(stage, fields)

    def riot(self) -> RiotClient:
        """This run's Riot API client (it shares the process-wide rate limiter)."""
        if self._client is None:
            raise RuntimeError(f"{type(self).__name__} declares uses_riot_api = False.")
        return self._client

    async def _open_client(self) -> None:
        if not self.uses_riot_api:
            return
        settings = self.context.settings
        client = RiotClient(
            settings.riot_api_key,
            settings.riot_api_base,
            limiter=self.context.limiter,
            max_wait_s=self.context.max_wait_s,
            timeout_s=self.context.timeout_s,
            transport=self.context.riot_transport,
            doubt_early_not_found=True,
            give_up_after_failed_calls=self.context.failed_calls_before_stopping,
            find_known_match_id=self._newest_match_id,  # read only if a 404 needs it
        )
        self._client = await client.__aenter__()

    def _newest_match_id(self) -> str | None:
        with self.context.db.read() as con:
            return newest_match_id(con)

    async def safe_commit(
        self, work: Callable[[duckdb.DuckDBPyConnection], T], *, alone: bool = False
    ) -> T:
        """Run ``work(con)`` in one write transaction, with the metrics and logs so far.

        A transaction that collides with a concurrent one of this process is run again
        whole, so ``work`` must be safe to repeat; metrics it counts take effect once, when
        its transaction commits. ``alone`` waits for this process's other write transactions
        on the database to end and holds new ones back until it commits.
        """
        self._sync_request_metric()
        staged: Counter[str] = Counter()

        def attempt(con: duckdb.DuckDBPyConnection) -> T:
            staged.clear()
            lines = self._capture.take()
            token = _staged_metrics.set(staged)
            try:
                result = work(con)
                self._store_progress(con, lines, staged)
            except BaseException:
                self._capture.give_back(lines)
                raise
            finally:
                _staged_metrics.reset(token)
            return result

        db = self.context.db
        result: T = await self.in_thread(lambda: db.transact(attempt, alone=alone))
        for name, n in staged.items():
            self.metrics[name] += n
        return result

    @property
    def type_name(self) -> str:
        """The job type: declared by the class, else that of its configuration."""
        if self.job_type is not None:
            return self.job_type.value
        return self.job_config.job_type if self.job_config else type(self).__name__

    async def in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread of this run: the job stays busy until it returns,
        even past a timeout (see ``pipeline.jobs.worker_threads``)."""
        if self._threads is None:
            return await asyncio.to_thread(fn, *args)
        return await self._threads.run(fn, *args)

    def interruptible(self, con: duckdb.DuckDBPyConnection) -> AbstractContextManager[None]:
        """Inside a worker thread: stop ``con``'s queries if the run is cancelled meanwhile."""
        return self._threads.interruptible(con) if self._threads else nullcontext()

    def stopping_with(self, stop: Callable[[], None]) -> AbstractContextManager[None]:
        """Inside a worker thread: call ``stop`` if the run is cancelled meanwhile."""
        return self._threads.stopping_with(stop) if self._threads else nullcontext()

    # ---- the run ----------------------------------------------------------------------
    async def run(
        self, trigger: Trigger = Trigger.SCHEDULE, started: StartedRun | None = None
    ) -> ExecutionOutcome:
        """One tracked execution of this job, start to terminal status.

        ``started`` is the run's start when the caller made it (the scheduler does, to answer
        a trigger with the execution id); without it the run starts itself.
        """
        clock = time.monotonic()
        if started is None:
            started = await self._start(trigger)
        self.job_config = started.config
        self.execution_id = started.execution_id
        # What this run works on, from its claim (pipeline.jobs.shards): None is every platform.
        self.platforms = started.platforms
        try:
            return await self._run_started(started, clock)
        finally:
            LIVE_RUNS.finish(started.live)

    async def _start(self, trigger: Trigger) -> StartedRun:
        try:
            # A job class without a declared type runs whatever type its configuration has.
            types = None if self.job_type is None else (self.job_type.value,)
            return await start_execution_in_thread(
                self.context.db,
                self.job_config_id,
                trigger,
                types,
                sharded=self.sharded,
                platforms=self.context.settings.platforms,
            )
        except Exception as exc:
            # No execution row can say why (the database may be what failed): say it here.
            log.error(
                "job.not_started",
                job_config_id=self.job_config_id,
                job_type=self.type_name,
                error=f"{type(exc).__name__}: {exc}",
            )
            raise

    async def _run_started(self, started: StartedRun, clock: float) -> ExecutionOutcome:
        self._threads = RunThreads(started.live)
        status, error = JobStatus.FAILED, None
        with (
            structlog.contextvars.bound_contextvars(
                execution_id=self.execution_id,
                job_type=self.type_name,
                correlation_id=started.correlation_id,
            ),
            self._capture.active(),
        ):
            try:
                log.info(
                    "job.started", job_config_id=self.job_config_id, trigger=started.trigger.value
                )
                status, error = await self._execute_guarded()
            except asyncio.CancelledError:
                # Shutdown: record the run as stopped, then let the cancellation go on.
                error = (
                    "stopped: the process shut down during the run"
                    if self._begun
                    else "stopped before its work began: the process shut down while the "
                    "run waited for the database"
                )
                raise
            finally:
                await asyncio.shield(self._close_client())
                duration_s = time.monotonic() - clock
                # Whatever message carried it, the key (or a URL's password) is never stored
                # with the execution nor printed with its outcome.
                if error is not None:
                    error = redact_text(error, [self.context.settings.riot_api_key])
                self._finished_line(status, error, duration_s)
                await asyncio.shield(asyncio.to_thread(self._finish, status, error))
        assert self.execution_id is not None
        return ExecutionOutcome(
            self.execution_id, status, dict(self.metrics), error, duration_s, self.retry_after_s
        )

    async def _execute_guarded(self) -> tuple[JobStatus, str | None]:
        try:
            await self.in_thread(self.context.db.transact, self._begin)
            self._begun = True
            self.configure()
            await self._open_client()
            async with asyncio.timeout(self.timeout_s):
                await self.execute(self.context.db)
        except RateLimitSignal as signal:
            self.retry_after_s = signal.retry_after_s
            return JobStatus.RATE_LIMITED, str(signal)
        except ShutdownRequested as stopped:
            log.warning("job.stopped_at_shutdown")
            return JobStatus.FAILED, str(stopped)
        except TimeoutError:
            error = str(JobTimeoutError(self.timeout_s))
            log.error("job.timed_out", timeout_s=self.timeout_s)
            return JobStatus.FAILED, error
        except Exception as exc:
            log.error("job.failed", error=f"{type(exc).__name__}: {exc}")
            return JobStatus.FAILED, f"{type(exc).__name__}: {exc}"
        except BaseExceptionGroup as group:
            # A job's task group with a stop asked in one of its tasks (a group of errors
            # only is an Exception, failed above): the run ends as stopped, unless something
            # else went wrong beside the stop.
            stop, rest = group.split(ShutdownRequested)
            if stop is None:
                raise
            if rest is not None:
                error = f"{type(_first_leaf(rest)).__name__}: {_first_leaf(rest)}"
                log.error("job.failed", error=error)
                return JobStatus.FAILED, error
            log.warning("job.stopped_at_shutdown")
            return JobStatus.FAILED, str(_first_leaf(stop))
        unanswered = self._nothing_succeeded()
        if unanswered is not None:
            log.error("job.failed", error=unanswered)
            return JobStatus.FAILED, unanswered
        return JobStatus.SUCCESS, None

    def _nothing_succeeded(self) -> str | None:
        """Why the run failed although no step raised: it sent requests to the Riot API and
        not one succeeded (each player's failure is logged and skipped, so the run went on
        to the end with nothing fetched). None when any request got a readable 2xx."""
        client = self._client
        if client is None or not client.requests_sent or client.has_succeeded():
            return None
        counts = client.request_counts()
        outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        base = self.context.settings.shown_api_base
        if set(counts) == {"404"}:
            return (
                f"Every Riot API request was answered 404 Not Found ({outcomes}) and none "
                f"succeeded: is RIOT_API_BASE ({base}) the Riot API's address, with no extra "
                "path? No account or match was taken to be gone."
            )
        question = (
            "reachable, and is it the Riot API (answers that are not JSON came back)?"
            if "malformed_body" in counts
            else "reachable, and is it the Riot API's address?"
        )
        return f"No Riot API request succeeded ({outcomes}): is RIOT_API_BASE ({base}) {question}"

    # ---- steps ------------------------------------------------------------------------
    def _begin(self, con: duckdb.DuckDBPyConnection) -> None:
        assert self.execution_id is not None
        if not records.begin_execution(con, self.execution_id):
            raise JobError(
                f"Execution {self.execution_id} was no longer PENDING when its run began "
                "(closed by another process?); the run did nothing."
            )

    def _store_progress(
        self,
        con: duckdb.DuckDBPyConnection,
        lines: list[dict[str, Any]],
        staged: Counter[str] | None = None,
    ) -> None:
        assert self.execution_id is not None
        records.append_log_lines(con, self.execution_id, lines)
        records.save_metrics(
            con, self.execution_id, dict(Counter(self.metrics) + (staged or Counter()))
        )

    def _finish(self, status: JobStatus, error: str | None) -> None:
        assert self.execution_id is not None
        self._sync_request_metric()
        overflow = self._capture.overflow_line()
        # The details may quote what failed (a report's cell error), which may hold the key.
        details = redact_values(self.details, [self.context.settings.riot_api_key])
        end = RunEnd(
            self.execution_id,
            status.value,
            dict(self.metrics),
            error,
            details or None,
            [*self._capture.take(), *filter(None, [overflow])],
        )
        # Recording the end may wait longer than other writes, so the row shows how the run
        # ended as soon as it can. Not written even then? It is written before the next
        # start; the row is not live once the run ends, so it never blocks the job meanwhile.
        settings = self.context.settings
        record_end(Database(settings.db_path, max(settings.lock_timeout_s, END_WAIT_S)), end)

    def _finished_line(self, status: JobStatus, error: str | None, duration_s: float) -> None:
        self._sync_request_metric()
        counts = self._client.request_counts() if self._client else {}
        # RATE_LIMITED is not a failure: the run kept its progress and the next one resumes.
        method = log.warning if status is JobStatus.FAILED else log.info
        method(
            "job.finished",
            status=status.value,
            duration_s=round(duration_s, 3),
            error=error,
            requests_by_status=counts,
            **self.metrics,
        )

    def _sync_request_metric(self) -> None:
        # Every request sent counts, failed ones too: the client counts them as it sends.
        if self._client is not None:
            self.metrics["api_requests_made"] = self._client.requests_sent

    async def _close_client(self) -> None:
        if self._client is not None:
            self._sync_request_metric()
            await self._client.__aexit__(None, None, None)


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first exception of ``group`` that is not itself a group (groups nest)."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
