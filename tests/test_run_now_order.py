"""``--run-now`` (``run_immediately``): every active job runs once at the start; on a fresh
database each of MATCH_FETCHER, PROFILE_REFRESHER and SMURF_ANALYZER once the first run of
the job whose finds it works on has ended (started together, the fetcher found none of the
players the updater was discovering and idled until its next run)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.config import Settings
from pipeline.jobs import JobContext, JobScheduler
from pipeline.log import configure_logging
from pipeline.scheduler_process import serve_scheduler
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.simulator.server import free_port
from pipeline.store import Database
from tests.sim_helpers import (
    TEST_KEY,
    add_execution,
    count,
    job_context,
    set_job_config,
    track,
)

PER_RUN = 2  # the fetcher's players a run (discovered_players_per_run)
CHAIN = ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER", "PROFILE_REFRESHER", "SMURF_ANALYZER")
FETCHED = "SELECT count(*) FROM players WHERE NOT is_tracked AND last_fetched_at IS NOT NULL"


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="warning")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(SimulatorConfig(seed=31, players=400)) as running:
        yield running


def _only(db_path: Path, job_types: tuple[str, ...]) -> None:
    """Those jobs active, due an hour apart (so only the first runs happen), the fetcher at
    two players a run and the key's limits ignored."""
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET is_active = list_contains($types, job_type),"
            " schedule = 'interval(seconds=3600)'",
            {"types": list(job_types)},
        )
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=10)
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        discovered_players_per_run=PER_RUN,
        matches_per_player_per_run=4,
        key_share_percent=0,
    )


Runs = list[tuple[str, float, float]]


def _first_runs(
    db_path: Path, sim: RunningSimulator, runs: int
) -> tuple[list[tuple[str, str]], Runs]:
    """Start a scheduler with ``run_immediately`` until ``runs`` runs have ended: the first
    runs it held at its start, then each run's job type, start and end (seconds since the
    epoch), by start."""
    held: list[tuple[str, str]] = []

    async def scenario() -> None:
        scheduler = JobScheduler(
            job_context(db_path, sim), sync_interval_s=60, run_immediately=True
        )
        await scheduler.start()
        held.extend(scheduler.held_first_runs())
        try:
            deadline = time.monotonic() + 60
            ended = "SELECT count(*) FROM job_executions WHERE finished_at IS NOT NULL"
            while await asyncio.to_thread(count, db_path, ended) < runs:
                assert time.monotonic() < deadline, "the first runs did not end in 60 s"
                await asyncio.sleep(0.2)
        finally:
            await scheduler.stop()

    asyncio.run(scenario())
    with Database(db_path).read() as con:
        rows = con.execute(
            "SELECT job_type, epoch(started_at), epoch(finished_at) FROM job_executions"
            " ORDER BY started_at, id"
        ).fetchall()
    return held, [(str(t), float(s), float(f)) for t, s, f in rows]


def test_on_a_fresh_database_each_first_run_waits_for_the_job_whose_finds_it_works_on(
    db_path: Path, sim: RunningSimulator
) -> None:
    """The fetcher after the updater (it fetches the players the updater found: started
    beside it, it found none), the refresher after the fetcher, the analyzer after the
    refresher; started again on the same database, every job runs at once."""
    busiest = max((t for t in sim.truth() if not t["is_banned"]), key=lambda t: t["games"])
    track(db_path, [busiest["puuid"]])
    _only(db_path, CHAIN)
    held, runs = _first_runs(db_path, sim, len(CHAIN))
    assert held == [
        ("MATCH_FETCHER", "TRACKED_PLAYER_UPDATER"),
        ("PROFILE_REFRESHER", "MATCH_FETCHER"),
        ("SMURF_ANALYZER", "PROFILE_REFRESHER"),
    ]
    assert [job_type for job_type, _, _ in runs] == list(CHAIN)
    for (_, _, ended), (_, next_started, _) in pairwise(runs):
        assert next_started >= ended
    assert count(db_path, FETCHED) == PER_RUN  # started beside the updater's run: 0

    held, again = _first_runs(db_path, sim, 2 * len(CHAIN))
    assert held == []
    starts = [started for _, started, _ in again[len(CHAIN) :]]
    assert max(starts) - min(starts) < 5


def test_without_the_updater_the_fetchers_first_run_is_not_held(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Nothing to wait for (the updater paused): the fetcher runs at the start as any job."""
    _only(db_path, ("MATCH_FETCHER", "SMURF_ANALYZER"))
    held, runs = _first_runs(db_path, sim, 2)
    assert held == []
    assert sorted(job_type for job_type, _, _ in runs) == ["MATCH_FETCHER", "SMURF_ANALYZER"]
    starts = [started for _, started, _ in runs]
    assert max(starts) - min(starts) < 5


def test_a_held_first_run_its_own_schedule_ran_is_not_held_any_more(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Answers a second late make the updater's first run last seconds; the fetcher, due
    every second, runs at its own schedule meanwhile, and is then no longer waiting for the
    updater (its release would only run it again)."""
    busiest = max((t for t in sim.truth() if not t["is_banned"]), key=lambda t: t["games"])
    track(db_path, [busiest["puuid"]])
    _only(db_path, ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER"))
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET schedule = 'interval(seconds=1)'"
            " WHERE job_type = 'MATCH_FETCHER'"
        )
    slow = SimulatorConfig(seed=31, players=400, latency_ms=(1000.0, 1000.0))
    seen: list[tuple[list[tuple[str, str]], int]] = []

    def running(job_type: str) -> int:
        return count(
            db_path,
            "SELECT count(*) FROM job_executions WHERE job_type = ? AND status = 'RUNNING'",
            [job_type],
        )

    async def scenario(served: RunningSimulator) -> None:
        scheduler = JobScheduler(
            job_context(db_path, served), sync_interval_s=60, run_immediately=True
        )
        await scheduler.start()
        seen.append((scheduler.held_first_runs(), 0))
        try:
            deadline = time.monotonic() + 30
            fetcher_runs = "SELECT count(*) FROM job_executions WHERE job_type = 'MATCH_FETCHER'"
            while await asyncio.to_thread(count, db_path, fetcher_runs) == 0:
                assert time.monotonic() < deadline, "the fetcher never ran"
                await asyncio.sleep(0.05)
            # The run's row is committed (in a thread) a moment before the scheduler notes
            # the launch: wait for the note, then check the updater still runs.
            while scheduler.held_first_runs() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            updating = await asyncio.to_thread(running, "TRACKED_PLAYER_UPDATER")
            seen.append((scheduler.held_first_runs(), updating))
        finally:
            await scheduler.stop()

    with serve_in_thread(slow, world=sim.world) as served:
        asyncio.run(scenario(served))
    (held_at_start, _), (held_once_run, updater_running) = seen
    assert held_at_start == [("MATCH_FETCHER", "TRACKED_PLAYER_UPDATER")]
    assert updater_running == 1  # the fetcher ran at its own schedule, not at a release
    assert held_once_run == []


def test_status_says_which_first_run_a_held_job_waits_for(
    db_path: Path, sim: RunningSimulator
) -> None:
    """While the updater's first run lasts (answers a second late), the API's overview and
    `smurf jobs status` say the fetcher's first run waits for it (its next run time alone
    would name its own schedule, an hour on); once it has ended, neither says so."""
    busiest = max((t for t in sim.truth() if not t["is_banned"]), key=lambda t: t["games"])
    track(db_path, [busiest["puuid"]])
    _only(db_path, ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER"))
    # Answers 2.5 s late: the updater's first run outlasts the API's start and both reads.
    slow = SimulatorConfig(seed=31, players=400, latency_ms=(2500.0, 2500.0))
    port = free_port()
    seen: dict[str, Any] = {}

    def status() -> str:
        env = {"SMURF_DB": str(db_path), "RIOT_API_KEY": TEST_KEY}
        return CliRunner().invoke(cli, ["jobs", "status"], env=env).output

    async def scenario(served: RunningSimulator) -> None:
        server = asyncio.create_task(
            serve_scheduler(
                job_context(db_path, served),
                api_host="127.0.0.1",
                api_port=port,
                api_token=None,
                duration_s=60,
                run_immediately=True,
            )
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 20
            while True:
                assert time.monotonic() < deadline, "the monitoring API did not answer"
                try:
                    answer = await client.get("/api/v1/jobs/status/overview")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            seen["while_held"] = answer.json()["jobs"]
            seen["status_held"] = await asyncio.to_thread(status)
            fetched = "SELECT count(*) FROM job_executions WHERE job_type = 'MATCH_FETCHER'"
            while await asyncio.to_thread(count, db_path, fetched) == 0:
                assert time.monotonic() < deadline + 40, "the fetcher never ran"
                await asyncio.sleep(0.1)
            answer = await client.get("/api/v1/jobs/status/overview")
            seen["released"] = answer.json()["jobs"]
            seen["status_released"] = await asyncio.to_thread(status)
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server

    with serve_in_thread(slow, world=sim.world) as served:
        asyncio.run(scenario(served))
    waits = {job["job_type"]: job["first_run_after"] for job in seen["while_held"]}
    assert waits["MATCH_FETCHER"] == "TRACKED_PLAYER_UPDATER"
    assert waits["TRACKED_PLAYER_UPDATER"] is None
    line = "first run waits for TRACKED_PLAYER_UPDATER's first run to end (or runs at next=,"
    assert line in seen["status_held"], seen["status_held"]
    assert all(job["first_run_after"] is None for job in seen["released"])
    assert "first run waits for" not in seen["status_released"]


@pytest.mark.parametrize(
    ("worked_on", "held"),
    [("kr", True), ("euw1,kr", False), ("*", False), (None, False)],
)
def test_a_worker_on_new_platforms_holds_its_platform_jobs_first_runs(
    db_path: Path, sim: RunningSimulator, worked_on: str | None, held: bool
) -> None:
    """A worker for euw1 where the updater and the refresher have only ever worked on kr (a
    lake another worker crawls) finds nothing of its platforms stored: its fetcher waits for
    its updater's first run (and its refresher for its fetcher's, which never ran). A run on
    euw1 among others, or on every platform ("*", or a run recorded before shards were),
    counts as having worked there. The analyzer scores the whole database, where the
    refresher's profiles are stored: it is not held."""
    _only(db_path, CHAIN)
    with Database(db_path).write() as con:
        ids = dict(con.execute("SELECT job_type, id FROM job_configurations").fetchall())
    for job_type in ("TRACKED_PLAYER_UPDATER", "PROFILE_REFRESHER"):
        done = add_execution(db_path, ids[job_type], pid=None, status="SUCCESS")
        with Database(db_path).write() as con:
            con.execute("UPDATE job_executions SET shard = ? WHERE id = ?", [worked_on, done])
    settings = Settings(
        db_path=db_path, riot_api_key=TEST_KEY, riot_api_base=sim.base_url, platforms=("euw1",)
    )

    async def scenario() -> list[tuple[str, str]]:
        scheduler = JobScheduler(JobContext(settings), sync_interval_s=60, run_immediately=True)
        await scheduler.start()
        try:
            return scheduler.held_first_runs()
        finally:
            await scheduler.stop()

    expected = [("MATCH_FETCHER", "TRACKED_PLAYER_UPDATER")] if held else []
    expected.append(("PROFILE_REFRESHER", "MATCH_FETCHER"))
    assert asyncio.run(scenario()) == expected


def test_a_held_job_paused_waits_for_nothing(db_path: Path, sim: RunningSimulator) -> None:
    """The fetcher, held for the updater's first run (answers a second late), is paused
    meanwhile: it no longer waits for anything (the status would say so of a job that will
    not run), and the updater's end does not run it."""
    busiest = max((t for t in sim.truth() if not t["is_banned"]), key=lambda t: t["games"])
    track(db_path, [busiest["puuid"]])
    _only(db_path, ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER"))
    slow = SimulatorConfig(seed=31, players=400, latency_ms=(1000.0, 1000.0))
    seen: list[list[tuple[str, str]]] = []

    async def scenario(served: RunningSimulator) -> None:
        scheduler = JobScheduler(
            job_context(db_path, served), sync_interval_s=0.2, run_immediately=True
        )
        await scheduler.start()
        seen.append(scheduler.held_first_runs())
        try:
            await asyncio.to_thread(set_active, db_path, "MATCH_FETCHER", False)
            deadline = time.monotonic() + 30
            while scheduler.jobs[ids["MATCH_FETCHER"]].config.is_active:
                assert time.monotonic() < deadline, "the pause was not picked up"
                await asyncio.sleep(0.05)
            seen.append(scheduler.held_first_runs())
            updated = (
                "SELECT count(*) FROM job_executions"
                " WHERE job_type = 'TRACKED_PLAYER_UPDATER' AND finished_at IS NOT NULL"
            )
            while await asyncio.to_thread(count, db_path, updated) == 0:
                assert time.monotonic() < deadline, "the updater's first run did not end"
                await asyncio.sleep(0.1)
            await asyncio.sleep(1)  # time for a release to have run the fetcher
        finally:
            await scheduler.stop()

    with Database(db_path).read() as con:
        ids = dict(con.execute("SELECT job_type, id FROM job_configurations").fetchall())
    with serve_in_thread(slow, world=sim.world) as served:
        asyncio.run(scenario(served))
    assert seen == [[("MATCH_FETCHER", "TRACKED_PLAYER_UPDATER")], []]
    fetched = "SELECT count(*) FROM job_executions WHERE job_type = 'MATCH_FETCHER'"
    assert count(db_path, fetched) == 0


def set_active(db_path: Path, job_type: str, active: bool) -> None:
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET is_active = ? WHERE job_type = ?", [active, job_type]
        )
