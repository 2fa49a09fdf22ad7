"""Errors of the job system::

    JobError
    ├── JobConfigError            bad config_json or schedule for one job (names the job)
    ├── UnknownJobError           no such job id or type
    ├── JobAlreadyRunningError    the job has a PENDING or RUNNING execution
    ├── JobInactiveError          the job is disabled
    ├── JobTimeoutError           a run exceeded its timeout_seconds
    └── SchedulerAlreadyRunningError   another scheduler holds this database

``RateLimitSignal`` is not an error: it tells ``BaseJob`` to commit progress and end the run
RATE_LIMITED. Jobs must let it propagate.
"""

from __future__ import annotations

from pipeline.errors import SmurfError


class JobError(SmurfError):
    """Base class of job-system errors."""


class JobConfigError(JobError):
    """A job configuration cannot be used as it is."""


class UnknownJobError(JobError):
    """No job configuration matches the given id or type."""


class JobAlreadyRunningError(JobError):
    """The job already has a run in progress."""


class SchedulerStoppingError(JobError):
    """The scheduler was asked to stop: it starts no new run."""

    def __init__(self) -> None:
        super().__init__("The scheduler is stopping: it starts no new run.")


class JobInactiveError(JobError):
    """The job is disabled (is_active = false)."""


class JobTimeoutError(JobError):
    """A run went past its ``timeout_seconds``."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        super().__init__(f"timed out after {timeout_s:g} s")


class SchedulerAlreadyRunningError(JobError):
    """Another scheduler process already serves this database."""


class RateLimitSignal(Exception):
    """Raised inside a job when the rate-limit wait budget is spent: stop, keep progress."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


class ShutdownRequested(BaseException):
    """Raised by ``BaseJob.stop_if_asked`` between a job's units of work once its process
    was asked to stop (Ctrl-C, SIGTERM): the run ends there, its work so far kept. A
    BaseException, as asyncio's cancellation is, so that a job's own ``except Exception``
    (and ``handle_riot_api_errors``) lets it by."""
