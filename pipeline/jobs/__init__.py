"""The background job system: tracked executions of scheduled units of work.

Public surface::

    BaseJob, JobContext, ExecutionOutcome      extend BaseJob to add a job type
    set_process_context, current_context       the context jobs built as Job(id) run with
    handle_riot_api_errors                     the Riot API error policy for job methods
    RateLimitSignal                            ends a run RATE_LIMITED, progress kept
    JobType, JobStatus, Trigger                the UPPERCASE enums stored in the database
    JobScheduler                               the APScheduler-driven scheduler
    start_execution, StartedRun                the one way a run begins (one database pass)
    run_in_process                             run a job once, now, in this process
    JOB_CLASSES, job_for                       the registry of job types
"""

from pipeline.jobs.base import (
    BaseJob,
    ExecutionOutcome,
    JobContext,
    current_context,
    set_process_context,
)
from pipeline.jobs.error_handling import handle_riot_api_errors
from pipeline.jobs.errors import (
    JobAlreadyRunningError,
    JobConfigError,
    JobError,
    JobInactiveError,
    JobTimeoutError,
    RateLimitSignal,
    SchedulerAlreadyRunningError,
    UnknownJobError,
)
from pipeline.jobs.executions import StartedRun, start_execution
from pipeline.jobs.registry import JOB_CLASSES, job_for
from pipeline.jobs.runner import run_in_process
from pipeline.jobs.scheduler import JobScheduler
from pipeline.jobs.types import JobStatus, JobType, Trigger

__all__ = [
    "JOB_CLASSES",
    "BaseJob",
    "ExecutionOutcome",
    "JobAlreadyRunningError",
    "JobConfigError",
    "JobContext",
    "JobError",
    "JobInactiveError",
    "JobScheduler",
    "JobStatus",
    "JobTimeoutError",
    "JobType",
    "RateLimitSignal",
    "SchedulerAlreadyRunningError",
    "StartedRun",
    "Trigger",
    "UnknownJobError",
    "current_context",
    "handle_riot_api_errors",
    "job_for",
    "run_in_process",
    "set_process_context",
    "start_execution",
]
