"""Crash recovery: the scheduler process killed mid-run (SIGKILL) or stopped (SIGTERM).

The scheduler runs as a real ``smurf scheduler`` process against the simulator served by the
test. While a scheduler runs, the test watches its runs through the scheduler's own API, as
``smurf jobs status`` would: a reader from another process waits while the scheduler holds the
file, and a short crawl can end inside one such wait, leaving no run in flight to stop. Between
processes it reads the database read-only, as an analyst's notebook would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from pipeline.jobs.executions import ORPHAN_MESSAGE
from pipeline.jobs.scheduler import read_scheduler_lock
from pipeline.scheduler_client import running_scheduler
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.simulator.server import free_port
from pipeline.store import Database, migrate
from tests.sim_helpers import TEST_KEY, count, set_job_config, track

SMURF = Path(sys.executable).parent / "smurf"
# A production-like app limit: a restarted process must not wait out the previous one's window.
WORLD = SimulatorConfig(
    seed=31, players=30, history_days=14, latency_ms=(10.0, 20.0), app_limit="500:10,30000:600"
)
WAIT_S = 90.0
COMMAND_HEAD = (str(SMURF), "--db")
COMMAND_TAIL = ("--log-json", "scheduler", "--sync-interval-s", "0.5")
ORPHAN_TEXT = ORPHAN_MESSAGE.split("(pid")[0].strip()  # "The process running this job"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


class Scheduler:
    """A ``smurf scheduler`` process over one database, logging to a file."""

    def __init__(self, db_path: Path, sim: RunningSimulator, log_path: Path) -> None:
        env = {
            **os.environ,
            "RIOT_API_BASE": sim.base_url,
            "RIOT_API_KEY": TEST_KEY,
            "SMURF_LOCK_TIMEOUT_S": "60",
        }
        self.log: IO[bytes] = log_path.open("ab")
        self.process = subprocess.Popen(
            [*COMMAND_HEAD, str(db_path), *COMMAND_TAIL, "--api-port", str(free_port())],
            env=env,
            stdout=self.log,
            stderr=self.log,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def signal(self, sig: signal.Signals) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=WAIT_S)
        finally:
            self.log.close()

    def serving(self, db_path: Path) -> bool:
        """Whether this process holds the scheduler lock (its signal handlers are set by then)."""
        lock = read_scheduler_lock(db_path)
        return lock is not None and lock.get("pid") == self.pid

    def execution(self, db_path: Path, execution_id: int) -> dict[str, Any] | None:
        """Execution ``execution_id`` as this process's API serves it; None before it answers."""
        return self._get(db_path, f"/api/v1/jobs/executions/{execution_id}")

    def running_with_work(self, db_path: Path, job_ids: list[int]) -> dict[str, Any] | None:
        """A RUNNING execution of this process that has already stored some of its work."""
        for job_id in job_ids:
            page = self._get(db_path, f"/api/v1/jobs/{job_id}/executions?status=RUNNING")
            for row in page["executions"] if page else []:
                if row["host_pid"] == self.pid and row["records_created"] > 0:
                    return dict(row)
        return None

    def _get(self, db_path: Path, path: str) -> dict[str, Any] | None:
        found = running_scheduler(db_path)
        if found is None or found.pid != self.pid or not found.api_url:
            return None
        try:
            answer = httpx.get(f"{found.api_url}{path}", timeout=WAIT_S)
        except httpx.TransportError:
            return None  # not serving yet
        if answer.status_code == 503:
            return None  # the database is held by another process: ask again
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT_S)
        self.log.close()


def prepare(db_path: Path, tracked: list[str]) -> list[int]:
    """Only the two fetch jobs active, every second, crawling whole histories; their ids."""
    migrate(db_path)
    track(db_path, tracked)
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=100)
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=100_000,
        matches_per_player_per_run=20,
        target_matches_per_player=10_000,
    )
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET schedule = 'interval(seconds=1)',"
            " is_active = job_type IN ('TRACKED_PLAYER_UPDATER', 'MATCH_FETCHER')"
        )
        rows = con.execute("SELECT id FROM job_configurations WHERE is_active ORDER BY id")
        return [int(job_id) for (job_id,) in rows.fetchall()]


def wait_for(what: str, condition: Callable[[], Any], scheduler: Scheduler | None = None) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if scheduler is not None and scheduler.process.poll() is not None:
            raise AssertionError(f"the scheduler exited ({scheduler.process.returncode}) {what}")
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting {what}")


def executions(db_path: Path) -> list[dict[str, Any]]:
    with Database(db_path, lock_timeout_s=60).read() as con:
        cursor = con.execute(
            "SELECT id, job_type, status, host_pid, error_message, records_created"
            " FROM job_executions ORDER BY id"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def games_by_player(db_path: Path) -> dict[str, int]:
    with Database(db_path, lock_timeout_s=60).read() as con:
        rows = con.execute(
            "SELECT p.puuid, count(mp.match_id) FROM players p"
            " LEFT JOIN match_participants mp USING (puuid) GROUP BY p.puuid"
        ).fetchall()
    return {str(puuid): int(n) for puuid, n in rows}


def assert_matches_whole(db_path: Path) -> None:
    """Whatever a stopped run committed is whole: every stored match has its ten players."""
    assert count(db_path, "SELECT count(*) FROM matches") == count(
        db_path, "SELECT count(DISTINCT match_id) FROM match_participants"
    )
    broken = count(
        db_path,
        "SELECT count(*) FROM (SELECT match_id FROM match_participants"
        " GROUP BY match_id HAVING count(*) <> 10)",
    )
    assert broken == 0


def crawl_finished(db_path: Path) -> bool:
    """Every discovered history fetched and the last fetcher run found nothing new."""
    pending = count(
        db_path, "SELECT count(*) FROM players WHERE NOT is_tracked AND NOT history_exhausted"
    )
    last = [e for e in executions(db_path) if e["job_type"] == "MATCH_FETCHER"][-1:]
    return pending == 0 and bool(last) and last[0]["status"] == "SUCCESS"


@pytest.mark.slow
def test_sigkill_mid_run_then_sigterm_then_restart_loses_and_duplicates_nothing(
    tmp_path: Path, sim: RunningSimulator
) -> None:
    """A killed run is closed FAILED on restart, SIGTERM ends runs gracefully, work completes."""
    db_path = tmp_path / "smurf.duckdb"
    log_path = tmp_path / "scheduler.log"
    truth = {t["puuid"]: t for t in sim.truth()}
    tracked = sorted(truth, key=lambda p: (-truth[p]["games"], p))[:2]
    job_ids = prepare(db_path, tracked)

    first = Scheduler(db_path, sim, log_path)
    try:
        killed = wait_for(
            "for a run to store work", lambda: first.running_with_work(db_path, job_ids), first
        )
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=WAIT_S)
    finally:
        first.kill()
    assert [e["status"] for e in executions(db_path) if e["id"] == killed["id"]] == ["RUNNING"]

    second = Scheduler(db_path, sim, log_path)
    try:
        wait_for(
            "for the orphan to be closed",
            lambda: (second.execution(db_path, killed["id"]) or killed)["status"] != "RUNNING",
            second,
        )
        interrupted = wait_for(
            "for a run of the restarted scheduler",
            lambda: second.running_with_work(db_path, job_ids),
            second,
        )
        assert second.signal(signal.SIGTERM) == 0
    finally:
        second.kill()
    by_id = {e["id"]: e for e in executions(db_path)}
    assert by_id[killed["id"]]["status"] == "FAILED"
    assert ORPHAN_TEXT in by_id[killed["id"]]["error_message"]
    assert str(first.pid) in by_id[killed["id"]]["error_message"]
    stopped = by_id[interrupted["id"]]
    assert stopped["status"] in ("SUCCESS", "FAILED", "RATE_LIMITED")
    assert ORPHAN_TEXT not in (stopped["error_message"] or "")  # recorded by its own process
    assert [e for e in by_id.values() if e["status"] in ("PENDING", "RUNNING")] == []

    third = Scheduler(db_path, sim, log_path)
    try:
        wait_for("for the scheduler to start", lambda: third.serving(db_path), third)
        wait_for("for the crawl to finish", lambda: crawl_finished(db_path), third)
        assert third.signal(signal.SIGTERM) == 0
    finally:
        third.kill()
    stored = games_by_player(db_path)
    assert stored == {puuid: truth[puuid]["games"] for puuid in stored}  # nothing lost
    assert set(tracked) <= set(stored)
    assert count(db_path, "SELECT count(*) - count(DISTINCT match_id) FROM matches") == 0
    assert [e for e in executions(db_path) if e["status"] in ("PENDING", "RUNNING")] == []
    assert TEST_KEY not in log_path.read_text()  # the processes never logged the key


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop", "exit_code", "said"),
    [(signal.SIGTERM, 143, "Stopped by SIGTERM"), (signal.SIGINT, 130, "Stopped by Ctrl-C")],
)
def test_sigterm_stops_a_foreground_run_as_ctrl_c_does(
    tmp_path: Path, sim: RunningSimulator, stop: signal.Signals, exit_code: int, said: str
) -> None:
    """``smurf run`` stopped by SIGTERM (kill, a service manager) records its run as stopped
    and exits 143; it does not leave the run RUNNING for another process to find. Ctrl-C
    does the same and exits 130, saying so in one line (not click's "Aborted!")."""
    db_path = tmp_path / "smurf.duckdb"
    truth = {t["puuid"]: t for t in sim.truth()}
    tracked = sorted(truth, key=lambda p: (-truth[p]["games"], p))[:3]
    prepare(db_path, tracked)
    env = {**os.environ, "RIOT_API_BASE": sim.base_url, "RIOT_API_KEY": TEST_KEY}
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*COMMAND_HEAD, str(db_path), "--log-json", "run", "TRACKED_PLAYER_UPDATER"],
            env=env,
            stdout=log,
            stderr=log,
            # A test run in the background of a shell inherits Ctrl-C ignored; the user's
            # terminal does not.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            running = wait_for(
                "for the run to begin",
                lambda: [
                    e
                    for e in executions(db_path)
                    if e["status"] == "RUNNING" and e["host_pid"] == process.pid
                ],
            )
            process.send_signal(stop)
            assert process.wait(timeout=WAIT_S) == exit_code
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=WAIT_S)
    by_id = {e["id"]: e for e in executions(db_path)}
    stopped = by_id[running[0]["id"]]
    assert stopped["status"] == "FAILED"
    assert "stopped: the process shut down during the run" in stopped["error_message"]
    assert said in log_path.read_text()
    assert "Aborted!" not in log_path.read_text()
    assert_matches_whole(db_path)


@pytest.mark.slow
def test_sigterm_ends_a_schedulers_runs_at_their_next_commit(
    tmp_path: Path, sim: RunningSimulator
) -> None:
    """A scheduler told to stop does not let its running fetch go on through the grace
    period: the run ends after the player under way, says so, and keeps what it committed."""
    from pipeline.jobs.base import STOPPED_AT_SHUTDOWN

    db_path = tmp_path / "smurf.duckdb"
    truth = {t["puuid"]: t for t in sim.truth()}
    tracked = sorted(truth, key=lambda p: (-truth[p]["games"], p))[:2]
    fetcher = prepare(db_path, tracked)[-1]  # the updater's two players may both be done
    scheduler = Scheduler(db_path, sim, tmp_path / "scheduler.log")
    try:
        running = wait_for(
            "for a fetch to store work", lambda: scheduler.running_with_work(db_path, [fetcher])
        )
        assert scheduler.signal(signal.SIGTERM) == 0
    finally:
        scheduler.kill()
    by_id = {e["id"]: e for e in executions(db_path)}
    stopped = by_id[running["id"]]
    assert stopped["status"] == "FAILED"
    assert stopped["error_message"].startswith(STOPPED_AT_SHUTDOWN)
    assert stopped["records_created"] >= running["records_created"] > 0
    assert [e for e in by_id.values() if e["status"] in ("PENDING", "RUNNING")] == []
    assert_matches_whole(db_path)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_scheduler_stopped_by_ctrl_c_or_sigterm_exits_0_as_a_clean_shutdown(
    tmp_path: Path, sim: RunningSimulator, stop: signal.Signals
) -> None:
    """A service stopped on purpose has done its job: Ctrl-C stops the scheduler as SIGTERM
    (a service manager's stop) does, its running job recorded, and it exits 0 saying so,
    not with the 130 or 143 of a one-shot command whose work was cut short."""
    db_path = tmp_path / "smurf.duckdb"
    truth = {t["puuid"]: t for t in sim.truth()}
    job_ids = prepare(db_path, sorted(truth, key=lambda p: (-truth[p]["games"], p))[:2])
    log_path = tmp_path / "scheduler.log"
    scheduler = Scheduler(db_path, sim, log_path)
    try:
        wait_for(
            "for a run to store work",
            lambda: scheduler.running_with_work(db_path, job_ids),
            scheduler,
        )
        assert scheduler.signal(stop) == 0
    finally:
        scheduler.kill()
    said = log_path.read_text()
    assert "Scheduler stopped." in said
    assert "Interrupted" not in said and "Traceback" not in said
    assert [e for e in executions(db_path) if e["status"] in ("PENDING", "RUNNING")] == []
