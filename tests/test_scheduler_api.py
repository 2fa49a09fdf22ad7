"""The scheduler process and its monitoring API, driven over real HTTP."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from pipeline.jobs import JobScheduler, SchedulerAlreadyRunningError
from pipeline.log import configure_logging
from pipeline.scheduler_process import serve_scheduler
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.simulator.server import free_port
from pipeline.store import Database
from pipeline.store import job_records as records
from tests.sim_helpers import add_execution, job_context, set_job_config, track

WORLD = SimulatorConfig(seed=5, players=200, app_limit="300:1,5000:120")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


def fast_schedules(db_path: Path) -> None:
    with Database(db_path).write() as con:
        con.execute("UPDATE job_configurations SET schedule = 'interval(seconds=1)'")
        # The nightly report would write files under the working directory every second.
        con.execute(
            "UPDATE job_configurations SET is_active = false WHERE job_type = 'NOTEBOOK_REPORT'"
        )
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=5)
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=3,
        matches_per_player_per_run=3,
    )


async def wait_for_api(client: httpx.AsyncClient) -> None:
    for _ in range(200):
        try:
            if (await client.get("/api/v1/jobs")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the monitoring API did not come up")


async def until_idle(client: httpx.AsyncClient, job_id: int) -> None:
    """Wait until the job's last scheduled run (if one is going) has ended."""
    for _ in range(300):
        jobs = (await client.get("/api/v1/jobs/status/overview")).json()["jobs"]
        if all(j["running_execution_id"] is None for j in jobs if j["id"] == job_id):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} kept running")


def executions(db_path: Path) -> list[tuple[Any, ...]]:
    with Database(db_path).read() as con:
        return con.execute(
            "SELECT job_config_id, status, started_at, finished_at, id FROM job_executions"
            " ORDER BY id"
        ).fetchall()


def test_scheduler_runs_jobs_serves_the_api_and_follows_configuration(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Jobs run on schedule without overlap; the API reports, triggers and refuses correctly."""
    configure_logging(json_lines=True, level="warning")
    track(db_path, [t["puuid"] for t in sim.truth()[:2]])
    fast_schedules(db_path)
    context = job_context(db_path, sim)
    port = free_port()
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        server = asyncio.create_task(
            serve_scheduler(
                context,
                api_host="127.0.0.1",
                api_port=port,
                api_token=None,
                duration_s=30,
                sync_interval_s=0.3,
                shutdown_grace_s=20,
            )
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            await wait_for_api(client)
            await asyncio.sleep(3)
            seen["overview"] = (await client.get("/api/v1/jobs/status/overview")).json()
            # A second scheduler on the same database refuses to start.
            try:
                await JobScheduler(context).start()
            except SchedulerAlreadyRunningError as exc:
                seen["second"] = str(exc)
            # Trigger: 202 with an execution id for a job that is idle.
            with Database(db_path).write() as con:
                con.execute(
                    "UPDATE job_configurations SET schedule = 'interval(hours=1)'"
                    " WHERE job_type = 'SMURF_ANALYZER'"
                )
            # Let the scheduler pick the new schedule up (it syncs every 0.3 s) before
            # waiting out a run the old 1 s schedule may have started meanwhile.
            await asyncio.sleep(1)
            await until_idle(client, 3)
            seen["trigger"] = await client.post("/api/v1/jobs/3/trigger")
            seen["unknown"] = await client.post("/api/v1/jobs/999/trigger")
            # Disabled job: 400; a bad schedule is reported for that job only.
            with Database(db_path).write() as con:
                records.update_job_config(con, 4, is_active=False)
                records.update_job_config(con, 2, schedule="every now and then")
            await asyncio.sleep(1)
            await until_idle(client, 4)  # its last scheduled run may still be going
            seen["inactive"] = await client.post("/api/v1/jobs/4/trigger")
            # A job with a RUNNING execution in another live process: 409.
            busy = add_execution(db_path, 1, pid=os.getppid())
            seen["busy"] = await client.post("/api/v1/jobs/1/trigger")
            seen["busy_id"] = busy
            with Database(db_path).write() as con:
                records.close_executions(con, [busy], "test cleanup")
            seen["after_changes"] = (await client.get("/api/v1/jobs/status/overview")).json()
            seen["page"] = await client.get("/api/v1/jobs/3/executions?limit=1")
            seen["bad_status"] = await client.get("/api/v1/jobs/3/executions?status=NOPE")
            trigger_id = seen["trigger"].json()["execution_id"]
            for _ in range(100):
                detail = (await client.get(f"/api/v1/jobs/executions/{trigger_id}")).json()
                if detail["status"] not in ("PENDING", "RUNNING"):
                    break
                await asyncio.sleep(0.1)
            seen["detail"] = detail
            # Settings a run would fail on at once: 400 with what to fix, and no run.
            with Database(db_path).write() as con:
                con.execute(
                    "UPDATE job_configurations SET config_json = json_merge_patch(config_json,"
                    " '{\"min_matches_required\": -1}') WHERE id = 3"
                )
            runs_before = sum(1 for e in executions(db_path) if e[0] == 3)
            seen["bad_settings"] = await client.post("/api/v1/jobs/3/trigger")
            seen["bad_settings_runs"] = (
                sum(1 for e in executions(db_path) if e[0] == 3) - runs_before
            )
            seen["missing"] = await client.get("/api/v1/jobs/executions/123456")
            seen["disabled_runs_before"] = sum(1 for e in executions(db_path) if e[0] == 4)
            await asyncio.sleep(2)
            seen["disabled_runs_after"] = sum(1 for e in executions(db_path) if e[0] == 4)
        os.kill(os.getpid(), signal.SIGTERM)  # graceful stop, as an operator would
        await server

    asyncio.run(scenario())

    jobs = {j["id"]: j for j in seen["overview"]["jobs"]}
    assert seen["overview"]["scheduler"]["state"] == "RUNNING"
    assert all(jobs[i]["next_run_time"] for i in (1, 2, 3, 4))
    # Every time the API gives says it is UTC.
    assert all(jobs[i]["next_run_time"].endswith("+00:00") for i in (1, 2, 3, 4))
    assert seen["overview"]["scheduler"]["started_at"].endswith("+00:00")
    assert "already serves" in seen["second"]
    assert seen["trigger"].status_code == 202
    assert isinstance(seen["trigger"].json()["execution_id"], int)
    assert seen["unknown"].status_code == 404
    assert seen["inactive"].status_code == 400
    assert seen["busy"].status_code == 409
    changed = {j["id"]: j for j in seen["after_changes"]["jobs"]}
    assert "Unrecognised schedule" in (changed[2]["configuration_error"] or "")
    assert changed[1]["configuration_error"] is None
    assert seen["page"].status_code == 200 and len(seen["page"].json()["executions"]) == 1
    assert seen["page"].json()["total"] >= 1
    assert seen["bad_status"].status_code == 400
    assert seen["detail"]["status"] == "SUCCESS"
    assert seen["bad_settings"].status_code == 400
    assert "min_matches_required" in seen["bad_settings"].json()["error"]
    assert seen["bad_settings_runs"] == 0
    assert all(
        seen["detail"][moment].endswith("+00:00")
        for moment in ("created_at", "started_at", "finished_at")
    )
    assert all(line["logged_at"].endswith("+00:00") for line in seen["detail"]["logs"])
    assert all(row["started_at"].endswith("+00:00") for row in seen["page"].json()["executions"])
    assert "job.finished" in [line["event"] for line in seen["detail"]["logs"]]
    assert seen["missing"].status_code == 404
    assert seen["disabled_runs_after"] == seen["disabled_runs_before"]

    rows = executions(db_path)
    assert all(status in ("SUCCESS", "FAILED", "RATE_LIMITED") for _, status, *_ in rows)
    by_job: dict[int, list[tuple[Any, Any]]] = {}
    for config_id, _, started, finished, execution_id in rows:
        if started is not None and execution_id != seen["busy_id"]:  # not the staged row
            by_job.setdefault(config_id, []).append((started, finished))
    assert len(by_job.get(1, [])) >= 2  # the updater ran repeatedly on its 1 s schedule
    for runs in by_job.values():  # never two runs of one job at once
        runs.sort()
        for (_, end), (start, _) in itertools.pairwise(runs):
            assert end <= start


def test_post_needs_the_token_when_one_is_set(db_path: Path, sim: RunningSimulator) -> None:
    """With a token configured, POST without it (or with a wrong one) is refused 401."""
    from pipeline.api import create_api

    app = create_api(JobScheduler(job_context(db_path, sim)), token="s3cret-token")

    async def calls() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return [
                (await client.post("/api/v1/jobs/3/trigger")).status_code,
                (
                    await client.post(
                        "/api/v1/jobs/3/trigger", headers={"Authorization": "Bearer nope"}
                    )
                ).status_code,
                (await client.get("/api/v1/jobs")).status_code,
            ]

    assert asyncio.run(calls()) == [401, 401, 200]


async def note_rate_limited(scheduler: JobScheduler, wait_s: float) -> None:
    """Hand job 3's scheduler the end of a run that was RATE_LIMITED with ``wait_s``."""
    from pipeline.jobs import ExecutionOutcome, JobStatus

    async def outcome() -> ExecutionOutcome:
        return ExecutionOutcome(1, JobStatus.RATE_LIMITED, {}, "limited", 0.1, wait_s)

    task = asyncio.create_task(outcome())
    await task
    scheduler._note_outcome(3, task)


def test_scheduled_runs_rest_while_the_api_asked_to_wait(db_path: Path) -> None:
    """After a RATE_LIMITED run with a known wait, scheduled runs are skipped until it passes."""
    from pipeline.config import Settings
    from pipeline.jobs import JobContext

    scheduler = JobScheduler(JobContext(Settings(db_path=db_path)))

    async def scenario() -> int:
        await note_rate_limited(scheduler, 120.0)
        await scheduler._scheduled_run(3)  # would run SMURF_ANALYZER if not resting
        return len(executions(db_path))

    assert asyncio.run(scenario()) == 0
    assert scheduler._resume_at[3] > 0


def test_a_rate_limited_run_moves_the_next_run_to_when_the_api_allows(db_path: Path) -> None:
    """A RATE_LIMITED run with a known wait longer than the time to the next run moves that
    run to the end of the wait (so what `jobs status` names is the run that will happen); a
    shorter wait leaves the schedule alone."""
    from datetime import UTC, datetime

    from pipeline.config import Settings
    from pipeline.jobs import JobContext

    with Database(db_path).write() as con:
        records.update_job_config(con, 3, schedule="interval(seconds=60)")
    scheduler = JobScheduler(JobContext(Settings(db_path=db_path)))

    async def scenario() -> list[float]:
        await scheduler.start()
        try:
            seconds_to_next = []
            for wait_s in (5.0, 600.0):
                await note_rate_limited(scheduler, wait_s)
                due = scheduler.next_run_time(3)
                assert due is not None
                seconds_to_next.append((due - datetime.now(UTC).replace(tzinfo=None)).seconds)
            return seconds_to_next
        finally:
            await scheduler.stop(promptly=True)

    short, long = asyncio.run(scenario())
    assert 50 <= short <= 60  # the interval's own next run
    assert 590 <= long <= 600


def test_changing_a_jobs_settings_keeps_its_timer_and_its_schedule_moves_it(
    db_path: Path,
) -> None:
    """A change of config_json (or the name) alone is taken at the next sync without
    restarting an interval job's timer (edits every few seconds would otherwise put its runs
    off for ever), the new name given to APScheduler's job; a change of its schedule
    schedules it anew."""
    from pipeline.config import Settings
    from pipeline.jobs import JobContext

    with Database(db_path).write() as con:
        records.update_job_config(con, 3, schedule="interval(seconds=60)")
    scheduler = JobScheduler(JobContext(Settings(db_path=db_path)))

    async def scenario() -> None:
        await scheduler.start()
        try:
            due = scheduler.next_run_time(3)
            await asyncio.sleep(1.2)
            set_job_config(db_path, "SMURF_ANALYZER", min_matches_required=7)
            with Database(db_path).write() as con:
                # No command renames a job; ad hoc SQL on the database can.
                con.execute("UPDATE job_configurations SET name = 'Nightly scoring' WHERE id = 3")
            await scheduler.sync()
            assert scheduler.jobs[3].config.config_json["min_matches_required"] == 7
            assert scheduler.next_run_time(3) == due
            assert scheduler._scheduler is not None
            assert scheduler._scheduler.get_job("3").name == "Nightly scoring"
            with Database(db_path).write() as con:
                records.update_job_config(con, 3, schedule="interval(seconds=90)")
            await scheduler.sync()
            moved = scheduler.next_run_time(3)
            assert due is not None and moved is not None and moved > due
        finally:
            await scheduler.stop(promptly=True)

    asyncio.run(scenario())


def test_a_deferred_run_starts_at_the_end_of_the_wait(db_path: Path) -> None:
    """A job due every 3 s, rate limited for 5 s at once: its next run starts at the end of
    the wait, not before (skipped) and not an interval later."""
    from datetime import UTC, datetime, timedelta

    from pipeline.config import Settings
    from pipeline.jobs import JobContext

    with Database(db_path).write() as con:
        records.update_job_config(con, 3, schedule="interval(seconds=3)")
    scheduler = JobScheduler(JobContext(Settings(db_path=db_path)))

    def now() -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)

    async def scenario() -> tuple[datetime, datetime, datetime | None]:
        await scheduler.start()
        try:
            limited_at = now()
            await note_rate_limited(scheduler, 5.0)
            noted_at, due = now(), scheduler.next_run_time(3)
            # Until that run has ended: on a busy machine it begins a while after it is due.
            for _ in range(600):
                if any(e["event"] == "job.finished" for e in logs):
                    break
                await asyncio.sleep(0.1)
            return limited_at, noted_at, due
        finally:
            await scheduler.stop(promptly=True)

    with capture_logs() as logs:
        limited_at, noted_at, due = asyncio.run(scenario())
    # Due at the end of the wait, not at the interval's next run before it, nor one after it
    # (the clock's readings around the wait bound when it ends)...
    wait = timedelta(seconds=5)
    assert due is not None and limited_at + wait <= due <= noted_at + wait
    # ...and started then: not skipped as still resting, not begun before the wait was over.
    assert [e for e in logs if e["event"] == "scheduler.skipped_rate_limited"] == []
    runs = [row for row in executions(db_path) if row[0] == 3]
    assert runs, "the deferred run started"
    assert (runs[0][2] - limited_at).total_seconds() >= 4.0
