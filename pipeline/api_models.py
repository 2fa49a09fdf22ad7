"""What the monitoring API answers, declared once: FastAPI checks its answers against these
models and writes the OpenAPI description (``GET /openapi.json``) from them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer


def utc_iso(moment: datetime) -> str:
    """A stored time (naive, in UTC) as ISO 8601 that says it is UTC (``+00:00``)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat()


# The store keeps times as naive UTC; answers say so rather than leave readers to guess.
UtcTime = Annotated[datetime, PlainSerializer(utc_iso, return_type=str)]


class ErrorBody(BaseModel):
    """Every refusal: one sentence saying what is wrong, and the HTTP status."""

    error: str
    status_code: int


class SchedulerState(BaseModel):
    state: str = Field(description="RUNNING, STOPPING, STOPPED, or NOT_RUNNING")
    started_at: str | None
    pid: int | None


class LastExecution(BaseModel):
    id: int
    status: str
    created_at: str | None
    finished_at: str | None
    error_message: str | None


class JobEntry(BaseModel):
    """A job configuration with its schedule and recent activity."""

    id: int
    job_type: str
    name: str
    schedule: str
    is_active: bool
    next_run_time: str | None
    first_run_after: str | None = Field(
        default=None,
        description="the job type whose first run this job's first run waits for (--run-now "
        "on a database where nothing is stored yet): it runs when that one ends, or at "
        "next_run_time if that comes first",
    )
    configuration_error: str | None
    running_execution_id: int | None = Field(
        description="the newest live execution (see running_execution_ids)"
    )
    running_execution_ids: list[int] = Field(
        description="every live execution, oldest first: on a lake, runs of one job on "
        "other platforms run side by side on several workers"
    )
    last_execution: LastExecution | None
    counts_24h: dict[str, int] = Field(description="executions of the last 24 h by status")


class JobList(BaseModel):
    jobs: list[JobEntry]


class Overview(BaseModel):
    scheduler: SchedulerState
    jobs: list[JobEntry]


class ExecutionRow(BaseModel):
    id: int
    job_config_id: int
    job_type: str
    status: str
    trigger: str
    created_at: UtcTime | None
    started_at: UtcTime | None
    finished_at: UtcTime | None
    api_requests_made: int
    records_created: int
    records_updated: int
    error_message: str | None
    correlation_id: str
    host: str | None = Field(description="the machine that ran it")
    host_pid: int | None = Field(description="the process that ran it on that machine")
    shard: str | None = Field(
        description="the platforms it worked on, comma-separated; * for the whole database"
    )


class ExecutionPage(BaseModel):
    job_id: int
    total: int
    limit: int
    offset: int
    executions: list[ExecutionRow]


class LogLine(BaseModel):
    seq: int
    logged_at: UtcTime
    level: str
    event: str
    fields: dict[str, Any]


class ExecutionDetail(ExecutionRow):
    details: dict[str, Any] | None
    logs: list[LogLine]


class Triggered(BaseModel):
    job_id: int
    execution_id: int
