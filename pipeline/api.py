"""The monitoring API served by the scheduler process (Starlette).

    GET  /api/v1/jobs                               job configurations with their next run
    GET  /api/v1/jobs/status/overview               scheduler state; per job: next run, last
                                                    execution, running execution, 24 h counts
    GET  /api/v1/jobs/{id}/executions               ?status=&limit=&offset= (paginated)
    GET  /api/v1/jobs/executions/{execution_id}     one execution with its log lines
    POST /api/v1/jobs/{id}/trigger                  202 {"execution_id": N}; 404 unknown,
                                                    400 inactive, 409 already running
    any                                             503 when another process holds the
                                                    database past the lock timeout
    GET  /openapi.json                              this API's OpenAPI description

Bound to 127.0.0.1 by default. When bound elsewhere, POST requests need
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from datetime import date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pipeline.jobs.errors import JobAlreadyRunningError, JobInactiveError, UnknownJobError
from pipeline.jobs.scheduler import JobScheduler, read_overview
from pipeline.jobs.types import JobStatus
from pipeline.store import DatabaseBusyError
from pipeline.store import job_records as records

MAX_PAGE_SIZE = 500


class _JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_default, separators=(",", ":")).encode()


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _error(status: int, message: str) -> JSONResponse:
    return _JSON({"error": message, "status_code": status}, status_code=status)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number (got {raw!r}).") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high} (got {value}).")
    return value


def _path_id(request: Request, name: str) -> int | None:
    try:
        value = int(request.path_params[name])
    except ValueError:
        return None
    return value if 0 <= value < 2**62 else None


def create_api(scheduler: JobScheduler, *, token: str | None = None) -> Starlette:
    """The monitoring app over a running scheduler (``token`` guards POST when set)."""
    db = scheduler.context.db

    def read(fn: Any, *args: Any) -> Any:
        def work() -> Any:
            with db.read() as con:
                return fn(con, *args)

        return asyncio.to_thread(work)

    async def list_jobs(_request: Request) -> Response:
        overview = await read(read_overview, scheduler)
        return _JSON({"jobs": overview["jobs"]})

    async def overview(_request: Request) -> Response:
        return _JSON(await read(read_overview, scheduler))

    async def executions(request: Request) -> Response:
        config_id = _path_id(request, "job_id")
        if config_id is None:
            return _error(404, "Job ids are whole numbers; see GET /api/v1/jobs.")
        try:
            limit = _int_param(request, "limit", 20, 1, MAX_PAGE_SIZE)
            offset = _int_param(request, "offset", 0, 0, 10**9)
        except ValueError as exc:
            return _error(400, str(exc))
        status = request.query_params.get("status")
        if status is not None and status.upper() not in JobStatus.__members__:
            return _error(400, f"status must be one of {', '.join(JobStatus.__members__)}.")
        if await read(records.get_job_config, config_id) is None:
            return _error(404, f"There is no job with id {config_id}.")
        frame = await read(
            lambda con: records.list_executions(
                con, config_id, status=status, limit=limit, offset=offset
            )
        )
        total = await read(lambda con: records.count_executions(con, config_id, status=status))
        rows = [
            {k: (None if v is None or v != v else v) for k, v in row.items()}
            for row in frame.to_dict("records")
        ]
        return _JSON(
            {
                "job_id": config_id,
                "total": total,
                "limit": limit,
                "offset": offset,
                "executions": rows,
            }
        )

    async def execution(request: Request) -> Response:
        execution_id = _path_id(request, "execution_id")
        found = None if execution_id is None else await read(records.get_execution, execution_id)
        if found is None:
            return _error(404, f"There is no execution {request.path_params['execution_id']}.")
        logs = await read(records.execution_logs, execution_id)
        found = {k: (None if v is None or v != v else v) for k, v in found.items()}
        for key in ("details",):
            if isinstance(found.get(key), str):
                found[key] = json.loads(found[key])
        found["logs"] = [
            # A line stored without fields reads back as NULL (NaN in the frame).
            {**row, "fields": json.loads(row["fields"]) if isinstance(row["fields"], str) else {}}
            for row in logs.to_dict("records")
        ]
        return _JSON(found)

    async def trigger(request: Request) -> Response:
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return _error(
                    401, "This API needs 'Authorization: Bearer <token>' to trigger jobs."
                )
        config_id = _path_id(request, "job_id")
        if config_id is None:
            return _error(404, "Job ids are whole numbers; see GET /api/v1/jobs.")
        try:
            execution_id = await scheduler.trigger(config_id)
        except UnknownJobError as exc:
            return _error(404, str(exc))
        except JobInactiveError as exc:
            return _error(400, str(exc))
        except JobAlreadyRunningError as exc:
            return _error(409, str(exc))
        return _JSON({"job_id": config_id, "execution_id": execution_id}, status_code=202)

    async def openapi(_request: Request) -> Response:
        return _JSON(OPENAPI)

    return Starlette(
        routes=[
            Route("/api/v1/jobs", list_jobs, methods=["GET"]),
            Route("/api/v1/jobs/status/overview", overview, methods=["GET"]),
            Route("/api/v1/jobs/executions/{execution_id}", execution, methods=["GET"]),
            Route("/api/v1/jobs/{job_id}/executions", executions, methods=["GET"]),
            Route("/api/v1/jobs/{job_id}/trigger", trigger, methods=["POST"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers={DatabaseBusyError: _busy},
    )


async def _busy(_request: Request, exc: Exception) -> Response:
    """Another process held the database past the wait bound: try again later."""
    return _error(503, str(exc))


def _op(summary: str, params: list[dict[str, Any]], codes: dict[str, str]) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": params,
        "responses": {
            code: {
                "description": text,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
            for code, text in {**codes, "503": "Database held by another process"}.items()
        },
    }


_JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}
OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Smurf Workbench monitoring API", "version": "1"},
    "paths": {
        "/api/v1/jobs": {"get": _op("Job configurations", [], {"200": "Jobs"})},
        "/api/v1/jobs/status/overview": {
            "get": _op("Scheduler and job status", [], {"200": "Overview"})
        },
        "/api/v1/jobs/{job_id}/executions": {
            "get": _op(
                "Executions of a job",
                [
                    _JOB_ID,
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": [s.value for s in JobStatus]},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                    },
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                ],
                {"200": "A page of executions", "400": "Bad parameter", "404": "Unknown job"},
            )
        },
        "/api/v1/jobs/executions/{execution_id}": {
            "get": _op(
                "One execution with its log lines",
                [
                    {
                        "name": "execution_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                {"200": "The execution", "404": "Unknown execution"},
            )
        },
        "/api/v1/jobs/{job_id}/trigger": {
            "post": _op(
                "Run a job now",
                [_JOB_ID],
                {
                    "202": "Started",
                    "400": "Job disabled",
                    "401": "Token required",
                    "404": "Unknown job",
                    "409": "Already running",
                },
            )
        },
    },
}
