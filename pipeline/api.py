"""The monitoring API served by the scheduler process (FastAPI on Starlette).

    GET  /api/v1/jobs                               job configurations with their next run
    GET  /api/v1/jobs/status/overview               scheduler state; per job: next run (and
                                                    the job whose first run it waits for),
                                                    last execution, running execution,
                                                    24 h counts
    GET  /api/v1/jobs/{id}/executions               ?status=&limit=&offset= (paginated)
    GET  /api/v1/jobs/executions/{execution_id}     one execution with its log lines
    POST /api/v1/jobs/{id}/trigger                  202 {"execution_id": N}; 404 unknown,
                                                    400 inactive, of an unknown type or with
                                                    settings a run would fail on,
                                                    409 already running,
                                                    503 the scheduler is stopping
    any                                             503 when another process holds the
                                                    database past the lock timeout
    GET  /openapi.json                              this API's OpenAPI description

Parameters and answers are declared (``pipeline.api_models``), so FastAPI checks them and
writes the OpenAPI description; every refusal is ``{"error": sentence, "status_code": N}``.

Who may ask: bound to 127.0.0.1 by default, and a browser on this machine is no reason to
trust a request. Without the token, a request must name a loopback Host (a web page that
rebinds its own name to 127.0.0.1 still sends its name) and, when it carries an Origin,
come from a loopback origin (a cross-site form post carries the page's). With a token set,
any other request needs ``Authorization: Bearer <token>``, and every POST does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BeforeValidator
from starlette.exceptions import HTTPException

from pipeline.api_models import (
    ErrorBody,
    ExecutionDetail,
    ExecutionPage,
    JobList,
    Overview,
    Triggered,
)
from pipeline.config import LOOPBACK_HOSTS
from pipeline.jobs.errors import (
    JobAlreadyRunningError,
    JobConfigError,
    JobInactiveError,
    SchedulerStoppingError,
    UnknownJobError,
)
from pipeline.jobs.scheduler import JobScheduler, read_overview
from pipeline.jobs.types import JobStatus
from pipeline.store import StoreError
from pipeline.store import job_records as records

MAX_ID = 2**62
BUSY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "Database held by another process"}
}
# Any request may be refused before it is read (see the module docstring).
UNTRUSTED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Token required, or not this scheduler's"},
    403: {"model": ErrorBody, "description": "Not from this machine, or sent by another site"},
}


def _ascii_digits(value: Any) -> Any:
    """Ids are plain digits: no sign, spaces, underscores or other scripts' digits."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("ids are whole numbers written with the digits 0-9")
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


Id = Annotated[int, BeforeValidator(_ascii_digits)]
Status = Annotated[JobStatus | None, BeforeValidator(_upper)]
JobId = Annotated[Id, Path(ge=0, le=MAX_ID, description="A job configuration id")]
ExecutionId = Annotated[Id, Path(ge=0, le=MAX_ID, description="An execution id")]


def create_api(scheduler: JobScheduler, *, token: str | None = None) -> FastAPI:
    """The monitoring app over a running scheduler (``token``: see the module docstring)."""
    db = scheduler.context.db
    app = FastAPI(
        title="Smurf Workbench monitoring API",
        version="1",
        docs_url=None,  # the interactive pages load scripts from a CDN; the JSON is enough
        redoc_url=None,
    )

    def read(fn: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        def work() -> Any:
            with db.read() as con:
                return fn(con, *args)

        return asyncio.to_thread(work)

    @app.get("/api/v1/jobs", response_model=JobList, responses={**UNTRUSTED, **BUSY})
    async def list_jobs() -> Any:
        """Job configurations with their next run."""
        return {"jobs": (await read(read_overview, scheduler))["jobs"]}

    @app.get(
        "/api/v1/jobs/status/overview", response_model=Overview, responses={**UNTRUSTED, **BUSY}
    )
    async def overview() -> Any:
        """Scheduler state; per job: next run, last and running execution, 24 h counts."""
        return await read(read_overview, scheduler)

    @app.get(
        "/api/v1/jobs/{job_id}/executions",
        response_model=ExecutionPage,
        responses={404: {"model": ErrorBody}, 400: {"model": ErrorBody}, **UNTRUSTED, **BUSY},
    )
    async def executions(
        request: Request,
        job_id: JobId,
        status: Status = None,
        limit: Annotated[int, Query(ge=1, le=records.MAX_EXECUTIONS_PAGE)] = 20,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> Any:
        """A page of a job's executions, newest first."""
        repeated = _repeated_parameter(request, ("status", "limit", "offset"))
        if repeated is not None:
            raise HTTPException(400, repeated)
        if await read(records.get_job_config, job_id) is None:
            raise HTTPException(404, f"There is no job with id {job_id}.")
        state = status.value if status else None
        frame = await read(
            lambda con: records.list_executions(
                con, job_id, status=state, limit=limit, offset=offset
            )
        )
        total = await read(lambda con: records.count_executions(con, job_id, status=state))
        rows = [_no_missing(row) for row in frame.to_dict("records")]
        return {
            "job_id": job_id,
            "total": total,
            "limit": limit,
            "offset": offset,
            "executions": rows,
        }

    @app.get(
        "/api/v1/jobs/executions/{execution_id}",
        response_model=ExecutionDetail,
        responses={404: {"model": ErrorBody}, **UNTRUSTED, **BUSY},
    )
    async def execution(execution_id: ExecutionId) -> Any:
        """One execution with its captured log lines."""
        found = await read(records.get_execution, execution_id)
        if found is None:
            raise HTTPException(404, f"There is no execution {execution_id}.")
        logs = await read(records.execution_logs, execution_id)
        found = _no_missing(found)
        if isinstance(found.get("details"), str):
            found["details"] = json.loads(found["details"])
        found["logs"] = [
            # A line stored without fields reads back as NULL (NaN in the frame).
            {**row, "fields": json.loads(row["fields"]) if isinstance(row["fields"], str) else {}}
            for row in logs.to_dict("records")
        ]
        return found

    @app.post(
        "/api/v1/jobs/{job_id}/trigger",
        status_code=202,
        response_model=Triggered,
        responses={
            400: {
                "model": ErrorBody,
                "description": "Job disabled, its type unknown, or its settings invalid",
            },
            **UNTRUSTED,
            404: {"model": ErrorBody, "description": "Unknown job"},
            409: {"model": ErrorBody, "description": "Already running"},
            503: {
                "model": ErrorBody,
                "description": "Database held by another process, or the scheduler is stopping",
            },
        },
    )
    async def trigger(job_id: JobId) -> Any:
        """Run a job now."""
        try:
            execution_id = await scheduler.trigger(job_id)
        except UnknownJobError as exc:
            raise HTTPException(404, str(exc)) from None
        except (JobInactiveError, JobConfigError) as exc:
            raise HTTPException(400, str(exc)) from None
        except JobAlreadyRunningError as exc:
            raise HTTPException(409, str(exc)) from None
        except SchedulerStoppingError as exc:
            raise HTTPException(503, str(exc)) from None
        return {"job_id": job_id, "execution_id": execution_id}

    app.middleware("http")(_only_trusted_requests(token))
    app.openapi = _described_as_answered(app)  # type: ignore[method-assign]
    app.add_exception_handler(StoreError, _busy)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _bad_parameter)
    return app


def _described_as_answered(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI documents a 422 for every operation with parameters; this API answers a
    parameter that does not fit with a 400 (query) or 404 (path), as each operation
    declares, so the 422 and its validation-error schemas are taken out."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        spec = original()  # built once and cached by FastAPI; trimming it again is a no-op
        for item in spec.get("paths", {}).values():
            for operation in item.values():
                operation.get("responses", {}).pop("422", None)
        schemas = spec.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        return spec

    return openapi


def _only_trusted_requests(
    token: str | None,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        refusal = _refusal(request, token)
        if refusal is not None:
            return _error(*refusal)
        return await call_next(request)

    return guard


def _refusal(request: Request, token: str | None) -> tuple[int, str] | None:
    """Why this request may not be answered, as (status, message); None when it may."""
    given = request.headers.get("authorization", "")
    if token is not None and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return None
    # A token was sent and is not this scheduler's: say so, not that one is needed.
    refused = "The bearer token is not this scheduler's (see --api-token)." if given else None
    host = _host_name(request.headers.get("host", ""))
    origin = request.headers.get("origin")
    if host not in LOOPBACK_HOSTS:
        if token is not None:
            return (
                401,
                refused
                or "Requests that do not name this machine need 'Authorization: Bearer <token>'.",
            )
        return 403, (
            f"This API answers requests for this machine only, not for host {host[:60]!r}; "
            "start the scheduler with --api-token to reach it from elsewhere."
        )
    if origin is not None and (urlsplit(origin).hostname or "") not in LOOPBACK_HOSTS:
        return 403, "Requests sent by web pages of other sites are refused."
    if token is not None and request.method == "POST":
        return 401, refused or "This API needs 'Authorization: Bearer <token>' to trigger jobs."
    return None


def _repeated_parameter(request: Request, names: tuple[str, ...]) -> str | None:
    """Why a request giving one of ``names`` twice (``?status=FAILED&status=SUCCESS``) is
    refused: it would be read as its last value alone, not the question asked."""
    for name in names:
        times = len(request.query_params.getlist(name))
        if times > 1:
            return f"The {name} parameter is given {times} times; give it once."
    return None


def _host_name(host: str) -> str:
    """The name in a Host header, without its port: ``[::1]:8700`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0]


def _no_missing(row: dict[Any, Any]) -> dict[str, Any]:
    """A frame row with NaN/NaT (missing) as None."""
    return {str(k): (None if v is None or v != v else v) for k, v in row.items()}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status_code": status}, status_code=status)


async def _busy(_request: Request, exc: Exception) -> Response:
    """The database could not be used just now (held past the wait bound, or writes kept
    colliding): try again later."""
    return _error(503, str(exc))


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "Request refused."
    if exc.status_code == 404 and message == "Not Found":
        message = "There is no such endpoint; see GET /openapi.json."
    elif exc.status_code == 405:
        message = "This endpoint does not take that method; see GET /openapi.json."
    return _error(exc.status_code, message)


async def _bad_parameter(_request: Request, exc: Exception) -> Response:
    """A parameter that does not fit: 404 for an id in the path, 400 for the query."""
    assert isinstance(exc, RequestValidationError)
    problem = exc.errors()[0] if exc.errors() else {}
    where = tuple(problem.get("loc", ()))
    name = str(where[-1]) if where else "a parameter"
    if where[:1] == ("path",):
        return _error(404, f"No such {name}: ids are whole numbers; see GET /api/v1/jobs.")
    allowed = ", ".join(s.value for s in JobStatus) if name == "status" else None
    detail = f"must be one of {allowed}" if allowed else str(problem.get("msg", "is not valid"))
    given = str(problem.get("input"))[:40]
    return _error(400, f"The {name} parameter: {detail[0].lower()}{detail[1:]} (got {given!r}).")
