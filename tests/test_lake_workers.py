"""Many workers on one lake: sharded crawls give what one process gives, and survive a kill.

Two simulated regions (one world each, their own rate limits) are crawled twice from
scratch: by one `smurf scheduler` over a DuckDB file, and by three `smurf scheduler` workers
over one lake (one per region and one serving both, so they contend for the same
platforms), one of them leading the analyzer. One worker is killed with SIGKILL once it has
stored work, and started again. Both crawls must end with the same matches, participants
and players, every player with all their games, no key stored twice, and no run left open.
Meanwhile an analyst's query polls the lake: it never waits for a lock and never fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
import structlog

from pipeline.simulator import SimulatorConfig
from pipeline.simulator.regions import RunningRegions, serve_regions_in_thread
from pipeline.store import migrate, read, write
from pipeline.store.lake_schema import declared_keys, duplicate_keys
from tests.sim_helpers import TEST_KEY

SMURF = Path(sys.executable).parent / "smurf"
LIMITS = {"app_limit": "2000:10,100000:600", "latency_ms": (2.0, 5.0)}
WORLDS = [
    SimulatorConfig(seed=41, players=20, history_days=21, platform="euw1", **LIMITS),  # type: ignore[arg-type]
    SimulatorConfig(seed=42, players=20, history_days=21, platform="kr", **LIMITS),  # type: ignore[arg-type]
]
WAIT_S = 300.0
ACTIVE = ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER", "SMURF_ANALYZER")
WAIT_EVENTS = ("db.waiting_for_lock", "lake.waiting_for_write_lock")
# What a notebook asks while the workers write: games and win rate per platform.
ANALYST_QUERY = """
SELECT p.platform, count(*), avg(mp.win::INT) FROM match_participants mp
JOIN players p USING (puuid) GROUP BY p.platform
"""


@pytest.fixture(scope="module")
def regions() -> Iterator[RunningRegions]:
    with serve_regions_in_thread(WORLDS) as running:
        yield running


class Worker:
    """A `smurf scheduler` process over one database, logging to a file."""

    def __init__(
        self, db: str, regions: RunningRegions, log_path: Path, platforms: str | None
    ) -> None:
        env = {
            **os.environ,
            "RIOT_API_BASE": regions.base_url,
            "RIOT_API_KEY": TEST_KEY + log_path.stem,  # its own key: its own rate limits
            "SMURF_LOCK_TIMEOUT_S": "120",
        }
        shard = ["--platforms", platforms] if platforms else []
        self.log: IO[bytes] = log_path.open("ab")
        self.process = subprocess.Popen(
            [str(SMURF), "--db", db, "--log-json", "scheduler", "--api-port", "0",
             "--sync-interval-s", "0.5", *shard],
            env=env,
            stdout=self.log,
            stderr=self.log,
        )  # fmt: skip

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=120)
        finally:
            self.log.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=60)
        self.log.close()


class Analyst:
    """Polls ``ANALYST_QUERY`` on a thread until stopped: its reads, failures and lock waits."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.reads = 0
        self.failures: list[str] = []
        self.waits: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Analyst:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def _poll(self) -> None:
        with structlog.testing.capture_logs() as logs:
            while not self._stop.wait(0.2):
                try:
                    with read(self.db, timeout_s=120) as con:
                        con.execute(ANALYST_QUERY).fetchall()
                    self.reads += 1
                except Exception as exc:  # any failure is what the test counts
                    self.failures.append(f"{type(exc).__name__}: {exc}")
        self.waits = [e for e in logs if e.get("event") in WAIT_EVENTS]


def prepare(db: str | Path, tracked: list[tuple[str, str]]) -> None:
    """The fetcher every second over whole histories, the analyzer every 5 s and the
    updater every 20 s (each of their runs commits: they would crowd the fetcher out)."""
    migrate(db)
    with write(db) as con:
        for puuid, platform in tracked:
            con.execute(
                "INSERT INTO players (puuid, platform, is_tracked, tracked_at)"
                " VALUES (?, ?, true, now()::TIMESTAMP)",
                [puuid, platform],
            )
        con.execute(
            "UPDATE job_configurations SET is_active = job_type IN (SELECT unnest(?)),"
            " schedule = CASE job_type WHEN 'MATCH_FETCHER' THEN 'interval(seconds=1)'"
            " WHEN 'SMURF_ANALYZER' THEN 'interval(seconds=5)' ELSE 'interval(seconds=20)' END",
            [list(ACTIVE)],
        )
        con.execute(
            "UPDATE job_configurations SET config_json = CASE job_type"
            " WHEN 'TRACKED_PLAYER_UPDATER' THEN"
            ' \'{"max_new_matches_per_player": 100, "max_tracked_players": 50}\''
            " WHEN 'MATCH_FETCHER' THEN '{\"discovered_players_per_run\": 100000,"
            ' "matches_per_player_per_run": 20, "target_matches_per_player": 10000}\''
            " ELSE config_json END"
        )


def scalar(db: Any, sql: str) -> Any:
    with read(db, timeout_s=120) as con:
        row = con.execute(sql).fetchone()
    return row[0] if row else None


def crawled(db: Any, truth: dict[str, tuple[str, int]]) -> bool:
    """Nothing left to fetch, every stored player with all their games, and every player
    with enough games scored since their last game arrived."""
    pending = scalar(
        db, "SELECT count(*) FROM players WHERE NOT is_tracked AND NOT history_exhausted"
    )
    games = _games(db)
    unscored = scalar(
        db,
        "SELECT count(*) FROM (SELECT puuid, count(*) AS n FROM match_participants GROUP BY 1"
        " HAVING count(*) >= 5) g LEFT JOIN latest_smurf_scores s USING (puuid)"
        " WHERE s.puuid IS NULL OR s.matches_stored < g.n",
    )
    complete = bool(games) and all(truth[p][1] == n for p, n in games.items())
    return pending == 0 and complete and unscored == 0


def wait_for(what: str, condition: Callable[[], Any], workers: list[Worker]) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.process.poll() is not None and worker.process.returncode != -9:
                raise AssertionError(f"a worker exited ({worker.process.returncode}) {what}")
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting {what}")


def rows(db: Any) -> dict[str, set[tuple[Any, ...]]]:
    with read(db, timeout_s=120) as con:
        return {
            "matches": set(con.execute("SELECT match_id FROM matches").fetchall()),
            "participants": set(
                con.execute("SELECT match_id, puuid, win, kills FROM match_participants").fetchall()
            ),
            "players": set(con.execute("SELECT puuid, platform FROM players").fetchall()),
        }


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_three_workers_on_two_regions_store_what_one_process_stores(
    regions: RunningRegions, lake_url: str, tmp_path: Path
) -> None:
    """Sharded workers, one killed mid-run, end with one process's rows and nothing twice."""
    truth = {
        t["puuid"]: (platform, t["games"])
        for platform, world in regions.worlds.items()
        for t in world.truth()
    }
    tracked = [
        (puuid, platform)
        for platform in ("euw1", "kr")
        for puuid in sorted(
            (p for p, (where, _) in truth.items() if where == platform),
            key=lambda p: (-truth[p][1], p),
        )[:2]
    ]

    single = tmp_path / "single.duckdb"
    prepare(single, tracked)
    one = Worker(str(single), regions, tmp_path / "single.log", None)
    try:
        wait_for("for one process to crawl both regions", lambda: crawled(single, truth), [one])
        assert one.stop() == 0
    finally:
        if one.process.poll() is None:
            one.kill()

    prepare(lake_url, tracked)
    # The two-region worker starts alone and is killed once a run of it has stored work;
    # then the three run together (the two-region one started again).
    victim = Worker(lake_url, regions, tmp_path / "both.log", "euw1,kr")
    workers = {"both": victim}
    try:
        wait_for(
            "for the two-region worker to store work",
            lambda: scalar(
                lake_url,
                "SELECT count(*) FROM job_executions WHERE status = 'RUNNING'"
                f" AND host_pid = {victim.process.pid} AND records_created > 0",
            ),
            [victim],
        )
        victim.kill()
        workers = {
            name: Worker(lake_url, regions, tmp_path / f"{name}.log", platforms)
            for name, platforms in {"euw1": "euw1", "kr": "kr", "both-again": "euw1,kr"}.items()
        }
        with Analyst(lake_url) as analyst:
            wait_for(
                "for the workers to crawl both regions",
                lambda: crawled(lake_url, truth),
                list(workers.values()),
            )
        for worker in workers.values():
            assert worker.stop() == 0
    finally:
        for worker in workers.values():
            if worker.process.poll() is None:
                worker.kill()

    assert analyst.reads > 0 and analyst.failures == [] and analyst.waits == []
    assert rows(lake_url) == rows(single)
    stored = {puuid: n for puuid, n in _games(lake_url).items()}
    assert stored == {puuid: truth[puuid][1] for puuid in stored}  # every game of everyone
    with read(single) as con:
        keys = declared_keys(con)
    with read(lake_url) as con:
        assert duplicate_keys(con, keys) == {}
        open_runs = con.execute(
            "SELECT count(*) FROM job_executions WHERE status IN ('PENDING', 'RUNNING')"
        ).fetchone()
        closed = con.execute(
            "SELECT count(*) FROM job_executions WHERE host_pid = ? AND status = 'FAILED'"
            " AND error_message LIKE '%ended before the run finished%'",
            [victim.process.pid],
        ).fetchone()
        fetchers = con.execute(
            "SELECT DISTINCT shard, host_pid FROM job_executions"
            " WHERE job_type = 'MATCH_FETCHER' AND shard IS NOT NULL"
        ).fetchall()
    assert open_runs == (0,)
    assert closed is not None and closed[0] >= 1  # the killed run, closed by another
    assert {p for shard, _ in fetchers for p in shard.split(",")} == {"euw1", "kr"}
    assert len({pid for _, pid in fetchers}) >= 2  # the platforms were crawled side by side
    logs = "".join(p.read_text() for p in tmp_path.glob("*.log"))
    assert TEST_KEY not in logs


def _games(db: Any) -> dict[str, int]:
    with read(db, timeout_s=120) as con:
        found = con.execute(
            "SELECT p.puuid, count(mp.match_id) FROM players p"
            " LEFT JOIN match_participants mp USING (puuid) GROUP BY p.puuid"
        ).fetchall()
    return {str(puuid): int(n) for puuid, n in found}
