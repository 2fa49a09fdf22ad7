"""Talking to a running scheduler through its monitoring API (`smurf jobs status|trigger`).

The scheduler writes its pid and API address into ``<db>.scheduler.lock``; commands that want
it to run a job, or want its live view, find it there and ask over HTTP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pipeline.errors import ConfigError
from pipeline.jobs.errors import JobError
from pipeline.jobs.scheduler import read_scheduler_lock
from pipeline.store.connection import connect_with_retry
from pipeline.store.errors import NotADatabaseError
from pipeline.store.location import Location

REQUEST_TIMEOUT_S = 10.0
POLL_S = 0.5
TERMINAL_STATUSES = ("SUCCESS", "FAILED", "RATE_LIMITED")


class SchedulerRequestError(JobError):
    """The running scheduler refused a request, or could not be reached."""


@dataclass(frozen=True)
class RunningScheduler:
    """A scheduler process serving a database, as its lock file describes it."""

    pid: int | None
    api_url: str | None

    def overview(self) -> dict[str, Any] | None:
        """The scheduler's live status overview, or None when its API does not answer."""
        if not self.api_url:
            return None
        try:
            answer = httpx.get(
                f"{self.api_url}/api/v1/jobs/status/overview", timeout=REQUEST_TIMEOUT_S
            )
            body = answer.json()
        except (httpx.HTTPError, ValueError):
            return None
        return body if answer.status_code == 200 and isinstance(body, dict) else None

    def trigger(self, config_id: int, token: str | None) -> int:
        """Have the scheduler run job ``config_id`` now; returns the execution id."""
        if not self.api_url:
            raise SchedulerRequestError(
                f"The scheduler (pid {self.pid}) serves no API (--api-port 0), so it cannot "
                "be asked to run a job; stop it, or restart it with an API port."
            )
        headers = _token_header(token)
        try:
            answer = httpx.post(
                f"{self.api_url}/api/v1/jobs/{config_id}/trigger",
                headers=headers,
                timeout=REQUEST_TIMEOUT_S,
            )
            body = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SchedulerRequestError(
                f"The scheduler's API at {self.api_url} did not answer ({exc}); is it running?"
            ) from None
        if answer.status_code == 401:
            given = "The token given was refused" if token else "The scheduler requires a token"
            raise SchedulerRequestError(
                f"{given}: pass the scheduler's token with --api-token or set SMURF_API_TOKEN "
                "(the one the scheduler was started with)."
            )
        if answer.status_code != 202:
            raise SchedulerRequestError(
                str(body.get("error") if isinstance(body, dict) else None)
                or f"The scheduler answered HTTP {answer.status_code}."
            )
        return int(body["execution_id"])

    def wait_for(
        self, execution_id: int, token: str | None = None, poll_s: float = POLL_S
    ) -> dict[str, Any]:
        """The execution once it has ended, as the scheduler's API describes it (``token``:
        for a scheduler that wants one from requests not naming this machine)."""
        while True:
            execution = self._get(f"/api/v1/jobs/executions/{execution_id}", token)
            if execution.get("status") in TERMINAL_STATUSES:
                return execution
            time.sleep(poll_s)

    def _get(self, path: str, token: str | None) -> dict[str, Any]:
        headers = _token_header(token)
        try:
            answer = httpx.get(f"{self.api_url}{path}", headers=headers, timeout=REQUEST_TIMEOUT_S)
            body = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SchedulerRequestError(
                f"The scheduler's API at {self.api_url} did not answer ({exc}); is it running?"
            ) from None
        if answer.status_code != 200 or not isinstance(body, dict):
            raise SchedulerRequestError(
                str(body.get("error") if isinstance(body, dict) else None)
                or f"The scheduler answered HTTP {answer.status_code}."
            )
        return body


def running_scheduler(db_path: Location) -> RunningScheduler | None:
    """The scheduler serving ``db_path``, if one runs (a lake's workers keep no lock file)."""
    lock = read_scheduler_lock(db_path)
    if lock is None:
        return None
    pid = lock.get("pid")
    api_url = lock.get("api_url")
    return RunningScheduler(
        pid if isinstance(pid, int) else None, api_url if isinstance(api_url, str) else None
    )


def delete_database_file(path: Path, *, timeout_s: float) -> None:
    """Delete the DuckDB file at ``path`` and its log, to start it afresh (``--replace``, a
    fresh demo), unless something still uses it.

    A scheduler serving the file keeps no connection open between units of work, so DuckDB's
    own lock does not show it: its jobs would go on writing into the new file, mixing their
    runs and data into it. A program holding the file (a notebook kernel, a DuckDB shell) is
    waited for as every command waits, then named. A file that is not a DuckDB database is
    not deleted.
    """
    refuse_to_delete(path, timeout_s=timeout_s)
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)


def refuse_to_delete(path: Path, *, timeout_s: float) -> None:
    """Raise ``ConfigError`` when ``delete_database_file`` would refuse ``path``: a scheduler
    serves it, or it is not a DuckDB database (a program holding it is waited for)."""
    running = running_scheduler(path)
    if running is not None:
        raise ConfigError(
            f"A scheduler (pid {running.pid}) serves {path}, so it is not deleted: stop the "
            "scheduler first (its jobs would go on writing into the new file), or give --db "
            "another file."
        )
    if path.exists():
        try:
            connect_with_retry(path, read_only=False, timeout_s=timeout_s).close()
        except NotADatabaseError:
            raise ConfigError(
                f"{path} is not a DuckDB database, so it is not deleted: give --db a database "
                "file or a new path."
            ) from None


def _token_header(token: str | None) -> dict[str, str]:
    """The header that carries the API token, when there is one."""
    return {"Authorization": f"Bearer {token}"} if token else {}
