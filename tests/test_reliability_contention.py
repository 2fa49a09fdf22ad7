"""Lock contention: analysts read the database while jobs write it.

Readers are real: a thread of this process and another OS process polling with
``pipeline.store.read()`` as a notebook would, and a process that keeps a read-only
connection open for longer than a job may wait.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.api import create_api
from pipeline.config import Settings
from pipeline.jobs import ExecutionOutcome, JobContext, JobScheduler, JobStatus
from pipeline.log import configure_logging
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database, DatabaseBusyError, read
from tests.sim_helpers import TEST_KEY, count, run_job, set_job_config, track

WORLD = SimulatorConfig(seed=61, players=40, history_days=14, latency_ms=(20.0, 40.0))
NOTEBOOK_QUERY = (
    "SELECT p.puuid, count(mp.match_id) AS games, avg(mp.win::INT) AS win_rate"
    " FROM players p LEFT JOIN match_participants mp USING (puuid) GROUP BY p.puuid"
)
POLLER = textwrap.dedent(
    """
    import sys, time
    from pipeline.store import read
    path, seconds, query = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    reads = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with read(path, timeout_s=60) as con:
            con.execute(query).fetchall()
        reads += 1
        time.sleep(0.05)
    print("reads", reads)
    """
)
HOLDER = textwrap.dedent(
    """
    import sys, time
    import duckdb
    path, seconds = sys.argv[1], float(sys.argv[2])
    # Hold only once this query counts a row (a job's run begun), looked at from here: a
    # look from the test's own process would be a reader there the job might meet instead.
    until = sys.argv[3] if len(sys.argv) > 3 else None
    print("ready", flush=True)
    sys.stdin.readline()  # connect when told to
    deadline = time.monotonic() + 120
    while True:
        if time.monotonic() > deadline:  # the run ended first: say so, do not hang
            print("never saw it", flush=True)
            sys.exit(1)
        try:
            con = duckdb.connect(path, read_only=True)
        except duckdb.IOException:
            time.sleep(0.01)
            continue
        if until is None or con.execute(until).fetchone()[0]:
            break
        con.close()
        time.sleep(0.02)
    print("holding", flush=True)
    time.sleep(seconds)
    con.close()
    """
)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="critical")


def context_for(db_path: Path, sim: RunningSimulator, lock_timeout_s: float) -> JobContext:
    settings = Settings(
        db_path=db_path,
        riot_api_key=TEST_KEY,
        riot_api_base=sim.base_url,
        lock_timeout_s=lock_timeout_s,
    )
    return JobContext(settings)


def prepare(db_path: Path, sim: RunningSimulator, players_per_run: int = 15) -> None:
    truth = sim.truth()
    ranked = sorted(truth, key=lambda t: (-t["games"], t["puuid"]))
    track(db_path, [t["puuid"] for t in ranked[:2]])
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=100)
    set_job_config(
        db_path, "MATCH_FETCHER", key_share_percent=0, discovered_players_per_run=players_per_run
    )


@pytest.mark.slow
def test_readers_polling_while_jobs_write_never_fail(db_path: Path, sim: RunningSimulator) -> None:
    """A reading thread and a reading process see no error while two jobs write; jobs succeed."""
    prepare(db_path, sim, players_per_run=8)
    poller = subprocess.Popen(
        [sys.executable, "-c", POLLER, str(db_path), "4", NOTEBOOK_QUERY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stop = threading.Event()
    thread_reads: list[int] = []
    thread_errors: list[BaseException] = []

    def poll() -> None:
        while not stop.is_set():
            try:
                with read(db_path, timeout_s=60) as con:
                    thread_reads.append(len(con.execute(NOTEBOOK_QUERY).fetchall()))
            except BaseException as exc:  # any failed read fails the test
                thread_errors.append(exc)
            time.sleep(0.02)

    reader = threading.Thread(target=poll, daemon=True)
    reader.start()
    try:
        context = context_for(db_path, sim, lock_timeout_s=60)
        outcomes = [run_job(context, job) for job in ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER")]
    finally:
        stop.set()
        reader.join(timeout=60)
    out, err = poller.communicate(timeout=120)

    assert [o.status for o in outcomes] == [JobStatus.SUCCESS, JobStatus.SUCCESS]
    assert all(o.metrics["records_created"] > 0 for o in outcomes)
    assert thread_errors == []
    assert len(thread_reads) > 0
    assert poller.returncode == 0, err
    assert int(out.strip().splitlines()[-1].removeprefix("reads ")) > 0
    assert thread_reads[-1] <= count(db_path, "SELECT count(*) FROM players")


@pytest.mark.slow
def test_a_reader_holding_the_file_fails_the_run_clearly_and_the_next_run_succeeds(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A job waits its lock bound for a held file, ends FAILED naming the holder, then recovers."""
    prepare(db_path, sim)
    assert run_job(context_for(db_path, sim, 60), "TRACKED_PLAYER_UPDATER").status.value == (
        "SUCCESS"
    )
    outcomes: list[ExecutionOutcome] = []
    fetcher = threading.Thread(
        target=lambda: outcomes.append(
            run_job(context_for(db_path, sim, lock_timeout_s=0.5), "MATCH_FETCHER")
        ),
        daemon=True,
    )
    running = "SELECT count(*) FROM job_executions WHERE status = 'RUNNING'"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), "3", running],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdin is not None and holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        fetcher.start()
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "holding"
        fetcher.join(timeout=120)
    finally:
        try:
            holder.wait(timeout=60)
        finally:
            holder.kill()
    assert not fetcher.is_alive()  # bounded: the run did not hang
    [blocked] = outcomes
    assert blocked.status is JobStatus.FAILED
    assert "DatabaseBusyError" in (blocked.error_message or "")
    assert f"held by process {holder.pid}" in (blocked.error_message or "")
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT status, error_message FROM job_executions WHERE id = ?", [blocked.execution_id]
        ).fetchone()
    assert row is not None and row[0] == "FAILED" and "DatabaseBusyError" in row[1]

    again = run_job(context_for(db_path, sim, lock_timeout_s=0.5), "MATCH_FETCHER")
    assert again.status is JobStatus.SUCCESS
    assert again.metrics["records_created"] > 0


def test_the_api_answers_503_while_another_process_holds_the_database(db_path: Path) -> None:
    """A trigger that cannot write in time gets 503 with the busy message; reads still work."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), "3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    async def ask() -> list[httpx.Response]:
        settings = Settings(db_path=db_path, lock_timeout_s=0.5)
        scheduler = JobScheduler(JobContext(settings), sync_interval_s=3600)
        await scheduler.start()
        try:
            assert holder.stdin is not None and holder.stdout is not None
            holder.stdin.write("go\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "holding"
            transport = httpx.ASGITransport(app=create_api(scheduler), raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                return [
                    await client.post("/api/v1/jobs/3/trigger"),
                    await client.get("/api/v1/jobs/status/overview"),
                ]
        finally:
            await scheduler.stop()

    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        triggered, overview = asyncio.run(ask())
    finally:
        try:
            holder.wait(timeout=60)
        finally:
            holder.kill()
    assert triggered.status_code == 503
    assert f"held by process {holder.pid}" in triggered.json()["error"]
    assert overview.status_code == 200
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0


def test_a_run_that_cannot_even_start_says_why_in_the_log(
    db_path: Path, sim: RunningSimulator
) -> None:
    """When no execution row can be written, the run raises the busy error and logs it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    logs = io.StringIO()
    configure_logging(json_lines=True, level="warning", stream=logs)
    try:
        assert holder.stdin is not None and holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(DatabaseBusyError):
            run_job(context_for(db_path, sim, lock_timeout_s=0.3), "SMURF_ANALYZER")
    finally:
        try:
            holder.wait(timeout=60)
        finally:
            holder.kill()
    [line] = [json.loads(x) for x in logs.getvalue().splitlines() if "job.not_started" in x]
    assert line["job_type"] == "SMURF_ANALYZER"
    assert f"held by process {holder.pid}" in line["error"]
    assert count(db_path, "SELECT count(*) FROM job_executions") == 0


@pytest.mark.slow
def test_a_run_whose_end_could_not_be_recorded_does_not_block_its_job(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A reader holding the file past every wait bound fails the run and the writing of its
    end; once the reader is gone the job can be triggered again, and the first run's row
    says why it failed."""
    prepare(db_path, sim)
    hold_s = 32  # past any bound a run waits to record its end
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), str(hold_s)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    async def scenario() -> tuple[httpx.Response, httpx.Response, int]:
        scheduler = JobScheduler(context_for(db_path, sim, lock_timeout_s=0.5), sync_interval_s=1)
        await scheduler.start()
        try:
            transport = httpx.ASGITransport(app=create_api(scheduler), raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                first = await client.post("/api/v1/jobs/1/trigger")
                assert holder.stdin is not None and holder.stdout is not None
                holder.stdin.write("go\n")
                holder.stdin.flush()
                assert holder.stdout.readline().strip() == "holding"
                await asyncio.to_thread(holder.wait, 120)
                for _ in range(600):
                    if not scheduler.running:
                        break
                    await asyncio.sleep(0.1)
                again = await client.post("/api/v1/jobs/1/trigger")
                if scheduler.running:
                    await asyncio.gather(*scheduler.running.values(), return_exceptions=True)
                return first, again, int(first.json()["execution_id"])
        finally:
            await scheduler.stop()

    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        first, again, first_id = asyncio.run(scenario())
    finally:
        holder.kill()
    assert first.status_code == 202
    assert again.status_code == 202, again.text
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT status, error_message FROM job_executions WHERE id = ?", [first_id]
        ).fetchone()
    assert row is not None and row[0] == "FAILED"
    assert "DatabaseBusyError" in row[1]
