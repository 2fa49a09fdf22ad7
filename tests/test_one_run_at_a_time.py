"""One run of a job at a time, across processes, and one rate limiter per key.

A scheduler must not start a job another process is running, and `smurf run` in a second
process must not run jobs beside a scheduler's own (two rate limiters would spend one key).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.config import Settings
from pipeline.jobs import JobContext, JobScheduler
from pipeline.jobs.scheduler import read_scheduler_lock
from pipeline.log import configure_logging
from pipeline.scheduler_process import readable_wait
from pipeline.simulator.server import free_port
from pipeline.store import Database
from tests.sim_helpers import add_execution, count

ANALYZER_ID = 3


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="critical")


def only_the_analyzer(db_path: Path, schedule: str) -> None:
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET is_active = (id = ?), schedule = ?",
            [ANALYZER_ID, schedule],
        )


def test_the_scheduler_does_not_start_a_job_another_process_is_running(db_path: Path) -> None:
    """A scheduled run is skipped while another live process has the job RUNNING."""
    only_the_analyzer(db_path, "interval(seconds=1)")
    elsewhere = add_execution(db_path, ANALYZER_ID, pid=os.getppid())  # a live process

    async def scenario() -> None:
        scheduler = JobScheduler(
            JobContext(Settings(db_path=db_path)), sync_interval_s=60, run_immediately=True
        )
        await scheduler.start()
        try:
            await asyncio.sleep(2.5)
        finally:
            await scheduler.stop()

    asyncio.run(scenario())
    assert count(db_path, "SELECT count(*) FROM job_executions") == 1
    assert count(db_path, "SELECT id FROM job_executions WHERE status = 'RUNNING'") == elsewhere


@contextmanager
def scheduler_process(db_path: Path, api_port: int, token: str | None = None) -> Iterator[None]:
    """`smurf scheduler` in a process of its own (its API on loopback unless port 0)."""
    env = {**os.environ, "RIOT_API_BASE": "http://127.0.0.1:9/{route}", "SMURF_DB": str(db_path)}
    env.pop("SMURF_API_TOKEN", None)
    if token is not None:
        env["SMURF_API_TOKEN"] = token
    options = ["--api-port", str(api_port), "--duration-s", "120"]
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--log-json", "scheduler", *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            lock = read_scheduler_lock(db_path)
            if lock and lock.get("pid") == process.pid and _answers(lock.get("api_url")):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the scheduler did not start")
        yield
    finally:
        process.terminate()
        process.wait(60)


def _answers(api_url: object) -> bool:
    if not isinstance(api_url, str):
        return True  # no API to wait for
    try:
        return httpx.get(f"{api_url}/api/v1/jobs", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def smurf_run(db_path: Path, job: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db_path), "--log-json", "run", job], env={})


def test_smurf_run_hands_the_run_to_the_running_scheduler(db_path: Path) -> None:
    """With a scheduler serving the database, `smurf run` has it run the job and reports
    the scheduler's execution."""
    only_the_analyzer(db_path, "interval(hours=1)")
    with scheduler_process(db_path, free_port()):
        result = smurf_run(db_path, "SMURF_ANALYZER")
    assert result.exit_code == 0, result.output
    assert "through the scheduler" in result.output
    assert "SUCCESS" in result.output
    assert count(db_path, "SELECT count(*) FROM job_executions WHERE trigger = 'API'") == 1
    assert count(db_path, "SELECT count(*) FROM job_executions WHERE trigger = 'MANUAL'") == 0


def test_a_refused_trigger_names_its_job_when_a_type_names_several(db_path: Path) -> None:
    """A type configured twice is triggered job by job; the scheduler's refusal of one
    (settings a run would fail on) says which job it was."""
    only_the_analyzer(db_path, "interval(hours=1)")
    with Database(db_path).write() as con:
        second = con.execute(
            "INSERT INTO job_configurations (job_type, name, schedule, config_json)"
            " VALUES ('SMURF_ANALYZER', 'second', 'interval(hours=1)', '{}') RETURNING id"
        ).fetchone()
    assert second is not None
    with scheduler_process(db_path, free_port()):
        result = CliRunner().invoke(
            cli, ["--db", str(db_path), "jobs", "trigger", "SMURF_ANALYZER"], env={}
        )
    assert result.exit_code == 1
    assert f"Job {ANALYZER_ID} (SMURF_ANALYZER)" not in result.output  # that one ran
    assert f"Job {second[0]} (SMURF_ANALYZER): " in result.output
    assert "unanalyzed_players_per_run. Missing required config: " in result.output


def test_smurf_run_refuses_when_the_scheduler_cannot_be_asked(db_path: Path) -> None:
    """A scheduler without an API cannot take the run: `smurf run` says so and runs nothing."""
    only_the_analyzer(db_path, "interval(hours=1)")
    with scheduler_process(db_path, 0):
        result = smurf_run(db_path, "SMURF_ANALYZER")
        # A run handed to a scheduler works on its platforms: narrowing them is refused.
        narrowed = CliRunner().invoke(
            cli,
            ["--db", str(db_path), "run", "SMURF_ANALYZER", "--platforms", "euw1"],
            env={},
        )
    assert result.exit_code == 1
    assert "no API" in result.output
    assert narrowed.exit_code == 1 and "Leave out --platforms" in narrowed.output
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0


def test_smurf_run_names_the_token_option_when_the_scheduler_wants_one(db_path: Path) -> None:
    """A scheduler started with a token refuses a run asked without it: `smurf run` says
    how to pass it (not the HTTP header), and with it the run goes through."""
    only_the_analyzer(db_path, "interval(hours=1)")
    with scheduler_process(db_path, free_port(), token="s3cret-token"):
        refused = smurf_run(db_path, "SMURF_ANALYZER")
        given = CliRunner().invoke(
            cli,
            ["--db", str(db_path), "--log-json", "run", "SMURF_ANALYZER"],
            env={"SMURF_API_TOKEN": "s3cret-token"},
        )
        option = CliRunner().invoke(
            cli,
            ["--db", str(db_path), "run", "SMURF_ANALYZER", "--api-token", "s3cret-token"],
            env={},
        )
    assert option.exit_code == 0, option.output
    assert refused.exit_code == 1
    assert "--api-token or set SMURF_API_TOKEN" in refused.output
    assert "Authorization" not in refused.output
    assert given.exit_code == 0, given.output


def test_a_second_scheduler_is_refused_without_announcing_itself(db_path: Path) -> None:
    """`smurf scheduler` on a database another scheduler serves says only that it is
    refused: it never printed the "Scheduler on ..." line of one that runs."""
    only_the_analyzer(db_path, "interval(hours=1)")
    port = free_port()
    with scheduler_process(db_path, port):
        # On the same port too: the database is what refuses it, not the port.
        second = CliRunner().invoke(
            cli,
            ["--db", str(db_path), "--log-json", "scheduler", "--api-port", str(port)],
            env={"RIOT_API_BASE": "http://127.0.0.1:9/{route}"},
        )
        first = read_scheduler_lock(db_path) or {}
    assert second.exit_code == 1
    assert (
        f"Another scheduler (pid {first['pid']}, API {first['api_url']}) already serves "
        f"{db_path}; stop it first"
    ) in second.output
    assert "Scheduler on" not in second.output


HOLD_THE_FILE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])  # a writer: no other process may open the file
print("holding", flush=True)
sys.stdin.readline()
con.close()
"""


def test_stopping_while_a_run_starts_prints_no_traceback(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A scheduler stopped while a scheduled run waits to start (here for a file another
    process holds) stops quietly: the run is taken back, and APScheduler logs no "raised an
    exception" traceback for it."""
    only_the_analyzer(db_path, "interval(seconds=2)")
    logged = io.StringIO()
    configure_logging(json_lines=True, level="info", stream=logged)

    async def scenario() -> None:
        scheduler = JobScheduler(JobContext(Settings(db_path=db_path)), sync_interval_s=3600)
        await scheduler.start()  # reads the schedules; the first run is due in 2 s
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_THE_FILE, str(db_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
            await asyncio.sleep(3)  # the analyzer's start now waits for the file
            await scheduler.stop()
        finally:
            holder.communicate("done\n", timeout=30)

    with caplog.at_level("ERROR", logger="apscheduler"):
        asyncio.run(scenario())
    assert [r.getMessage() for r in caplog.records if r.name.startswith("apscheduler")] == []
    # The start went through once the file was free, and was taken back: the run never
    # began, so no execution row is left to read as a failure.
    assert '"event": "job.not_begun"' in logged.getvalue()
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0


@contextlib.asynccontextmanager
async def started_scheduler(db_path: Path) -> AsyncIterator[JobScheduler]:
    """A scheduler of this process, started; stopped at the end (as running again, so that
    a test may have set it stopping)."""
    scheduler = JobScheduler(JobContext(Settings(db_path=db_path)), sync_interval_s=3600)
    await scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.state = "RUNNING"
        await scheduler.stop()


def test_a_stopping_scheduler_starts_no_new_run(db_path: Path) -> None:
    """Once asked to stop, a scheduler neither triggers a run (the API answers 503) nor
    starts one that falls due: no execution row appears, while the same trigger ran before."""
    from pipeline.jobs.errors import SchedulerStoppingError

    only_the_analyzer(db_path, "interval(hours=1)")

    async def scenario() -> None:
        async with started_scheduler(db_path) as scheduler:
            await scheduler.trigger(ANALYZER_ID)
            while scheduler.running:
                await asyncio.sleep(0.05)
            scheduler.state = "STOPPING"  # as stop() sets it first
            with pytest.raises(SchedulerStoppingError):
                await scheduler.trigger(ANALYZER_ID)
            await scheduler._scheduled_run(ANALYZER_ID)
            assert not scheduler.running

    asyncio.run(scenario())
    assert count(db_path, "SELECT count(*) FROM job_executions") == 1


def test_a_trigger_whose_start_ends_as_the_scheduler_stops_is_taken_back(db_path: Path) -> None:
    """Asked to stop while a trigger's start was under way (it may wait for the file), the
    scheduler does not launch the run: the trigger is refused and no execution row stays."""
    from pipeline.jobs.errors import SchedulerStoppingError

    only_the_analyzer(db_path, "interval(hours=1)")

    async def scenario() -> None:
        async with started_scheduler(db_path) as scheduler:
            start = scheduler._start

            async def start_then_stop_begins(config_id: int, trigger: Any) -> Any:
                started = await start(config_id, trigger)
                scheduler.state = "STOPPING"  # stop() was called meanwhile
                return started

            scheduler._start = start_then_stop_begins  # type: ignore[method-assign]
            with pytest.raises(SchedulerStoppingError):
                await scheduler.trigger(ANALYZER_ID)
            assert not scheduler.running

    asyncio.run(scenario())
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0


def test_a_scheduler_whose_api_port_is_taken_says_so_in_one_line(db_path: Path) -> None:
    """The monitoring API's port in use is refused before the scheduler starts: one line
    naming the port and --api-port, no traceback, no "Scheduler on" announcement."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli,
            ["--db", str(db_path), "--log-json", "scheduler", "--api-port", str(port)],
            env={"RIOT_API_BASE": "http://127.0.0.1:9/{route}"},
        )
    assert result.exit_code == 1
    assert f"Cannot serve the monitoring API on 127.0.0.1:{port}" in result.output
    assert "--api-port" in result.output
    assert "Traceback" not in result.output and "Scheduler on" not in result.output


def test_waiting_for_a_run_passes_the_token_the_trigger_did(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`smurf run` polls the execution with the token it triggered with: a scheduler that
    wants one from requests not naming this machine would refuse the polls otherwise."""
    from pipeline import scheduler_client

    seen: list[dict[str, str]] = []

    def get(url: str, headers: dict[str, str], timeout: float) -> httpx.Response:
        seen.append(headers)
        return httpx.Response(200, json={"id": 7, "status": "SUCCESS"})

    monkeypatch.setattr(scheduler_client.httpx, "get", get)
    running = scheduler_client.RunningScheduler(pid=1, api_url="http://10.0.0.5:8700")
    assert running.wait_for(7, "s3cret")["status"] == "SUCCESS"
    assert seen == [{"Authorization": "Bearer s3cret"}]


def test_the_api_listens_on_every_address_of_its_host() -> None:
    """`--api-host localhost` listens wherever localhost points (127.0.0.1 at least), not
    only on the first address the name gives."""
    from pipeline.scheduler_process import _listening_sockets

    port = free_port()
    sockets = _listening_sockets("localhost", port)
    try:
        assert {s.getsockname()[1] for s in sockets} == {port}
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        for sock in sockets:
            sock.close()


def _scheduler_for(db_path: Path, *options: str) -> Result:
    """`smurf scheduler` for two seconds, no API, with a key its jobs never spend."""
    env = {"RIOT_API_KEY": "RGAPI-00000000-0000-0000-0000-000000000000"}
    return CliRunner().invoke(
        cli,
        ["--db", str(db_path), "scheduler", "--api-port", "0", "--duration-s", "2", *options],
        env=env,
    )


def test_the_scheduler_says_when_each_job_first_runs_and_runs_them_at_once_when_asked(
    db_path: Path,
) -> None:
    """An hourly job first runs an hour after the start, and the scheduler says so; with
    --run-now every active job runs as soon as it starts, then on its schedule."""
    only_the_analyzer(db_path, "interval(hours=1)")
    waiting = _scheduler_for(db_path)
    assert waiting.exit_code == 0, waiting.output
    assert (
        "First runs: SMURF_ANALYZER in 60 min (--run-now runs every active job at the start)."
        " Not here: 6 paused." in waiting.stdout
    )
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0

    at_once = _scheduler_for(db_path, "--run-now")
    assert at_once.exit_code == 0, at_once.output
    assert "First runs" not in at_once.stdout
    # The active job ran once, as scheduled; the six paused ones not at all.
    assert count(db_path, "SELECT count(*) FROM job_executions") == 1
    assert (
        count(
            db_path,
            "SELECT count(*) FROM job_executions WHERE job_config_id = ?"
            " AND trigger = 'SCHEDULE' AND status = 'SUCCESS'",
            [ANALYZER_ID],
        )
        == 1
    )


def test_run_now_says_which_first_runs_wait_for_another(db_path: Path) -> None:
    """With the updater and the fetcher active, --run-now says the fetcher's first run waits
    for the updater's (tests/test_run_now_order.py runs them)."""
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET is_active = job_type IN"
            " ('TRACKED_PLAYER_UPDATER', 'MATCH_FETCHER'), schedule = 'interval(hours=1)'"
        )
    at_once = _scheduler_for(db_path, "--run-now")
    assert at_once.exit_code == 0, at_once.output
    assert (
        "First runs now, where nothing is stored yet in the order the data flows:"
        " MATCH_FETCHER after TRACKED_PLAYER_UPDATER's first run (or at its own schedule, if"
        " sooner)." in at_once.stdout
    )


@pytest.mark.parametrize(
    ("seconds", "read"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (90, "2 min"),
        (3600, "60 min"),
        (7200, "2 h"),
        (7500, "2 h 5 min"),
        (86400, "24 h"),
        (2 * 86400, "2 days"),
        (366 * 86400 + 4 * 3600, "366 days 4 h"),
    ],
)
def test_a_wait_reads_as_a_person_says_it(seconds: int, read: str) -> None:
    assert readable_wait(timedelta(seconds=seconds)) == read
