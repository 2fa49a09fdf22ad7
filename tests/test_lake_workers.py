"""Many workers on one lake: sharded crawls give what one process gives, and survive a kill.

Two simulated regions (one world each, their own rate limits) are crawled twice from
scratch: by one `smurf scheduler` over a DuckDB file, and by three `smurf scheduler` workers
over one lake (one per region and one serving both, so they contend for the same
platforms), one of them leading the analyzer. One worker is killed with SIGKILL while it
holds the lake's write lock (in the middle of a commit), and started again: nothing
committed before the kill is gone after it, and no match is stored without its
participants. Both crawls must end with the same matches, participants and players, every
player with all their games, no key stored twice, no run left open, and analyzer runs that
never overlapped. Meanwhile an analyst's query polls the lake: it never waits for a lock and
never fails; and one worker's monitoring API shows the runs of the others.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import structlog

from pipeline.simulator import SimulatorConfig
from pipeline.simulator.regions import RunningRegions, serve_regions_in_thread
from pipeline.simulator.server import free_port
from pipeline.store import migrate, read, write
from pipeline.store.lake_schema import declared_keys, duplicate_keys
from pipeline.store.location import LakeLocation, parse_location
from pipeline.store.locks import NAMESPACE, WRITE_LOCK, connect, lock_holders
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
        self,
        db: str,
        regions: RunningRegions,
        log_path: Path,
        platforms: str | None,
        *,
        api_port: int = 0,
        lock_timeout_s: float = 120,
    ) -> None:
        env = {
            **os.environ,
            "RIOT_API_BASE": regions.base_url,
            "RIOT_API_KEY": TEST_KEY + log_path.stem,  # its own key: its own rate limits
            "SMURF_LOCK_TIMEOUT_S": str(lock_timeout_s),
        }
        shard = ["--platforms", platforms] if platforms else []
        self.api_url = f"http://127.0.0.1:{api_port}" if api_port else None
        self.log: IO[bytes] = log_path.open("ab")
        self.process = subprocess.Popen(
            [str(SMURF), "--db", db, "--log-json", "scheduler", "--api-port", str(api_port),
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
    # The two-region worker starts alone and is killed in the middle of a commit once a run
    # of it has stored work; then the three run together (the two-region one started again).
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
        before = kill_while_committing(victim, lake_url)
        after = table_counts(lake_url)
        assert lost_rows(before, after) == {}
        assert half_written(lake_url) == {}
        api_port = free_port()
        workers = {
            name: Worker(
                lake_url,
                regions,
                tmp_path / f"{name}.log",
                platforms,
                api_port=api_port if name == "euw1" else 0,
            )
            for name, platforms in {"euw1": "euw1", "kr": "kr", "both-again": "euw1,kr"}.items()
        }
        with Analyst(lake_url) as analyst:
            wait_for(
                "for the workers to crawl both regions",
                lambda: crawled(lake_url, truth),
                list(workers.values()),
            )
            # Which worker claims a platform first is the scheduler's luck: the two-region
            # worker may have fetched for kr every time so far. Refused, the kr worker waits
            # for kr, and the two-region worker leaves kr to its next run (shards.Turns).
            wait_for(
                "for the kr worker to run a fetch of its own",
                lambda: scalar(
                    lake_url,
                    "SELECT count(*) FROM job_executions WHERE job_type = 'MATCH_FETCHER'"
                    f" AND shard = 'kr' AND host_pid = {workers['kr'].process.pid}"
                    " AND status NOT IN ('PENDING', 'RUNNING')",
                ),
                list(workers.values()),
            )
        # While they still run: what one worker's API and `smurf jobs status` show of all.
        overview, fetches = monitored(workers["euw1"], "MATCH_FETCHER")
        status = subprocess.run(
            [str(SMURF), "--db", lake_url, "jobs", "status"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        for worker in workers.values():
            assert worker.stop() == 0
    finally:
        for worker in workers.values():
            if worker.process.poll() is None:
                worker.kill()

    pids = {name: worker.process.pid for name, worker in workers.items()}
    assert all(isinstance(job["running_execution_ids"], list) for job in overview["jobs"])
    with read(lake_url) as con:
        recorded = {
            int(r[0]): (r[1], r[2], r[3])
            for r in con.execute(
                "SELECT id, host, host_pid, shard FROM job_executions WHERE id IN"
                " (SELECT unnest(?))",
                [[e["id"] for e in fetches]],
            ).fetchall()
        }
    assert {e["id"]: (e["host"], e["host_pid"], e["shard"]) for e in fetches} == recorded
    assert any(e["host_pid"] == pids["kr"] and e["shard"] == "kr" for e in fetches)
    assert status.returncode == 0, status.stderr
    assert "NOT_RUNNING" not in status.stdout and "3 worker(s)" in status.stdout
    for pid in pids.values():
        assert f"pid {pid} " in status.stdout
    assert f"pid {victim.process.pid} " not in status.stdout  # killed: its session went too

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
    assert half_written(lake_url) == half_written(single) == {}
    # The analyzer ran on one worker at a time, and each of its runs scored a player once.
    assert analyzer_overlaps(lake_url) == []
    assert score_batches_outside_one_run(lake_url) == []
    assert latest_scores(lake_url) == latest_scores(single)
    logs = "".join(p.read_text() for p in tmp_path.glob("*.log"))
    assert TEST_KEY not in logs


def _games(db: Any) -> dict[str, int]:
    with read(db, timeout_s=120) as con:
        found = con.execute(
            "SELECT p.puuid, count(mp.match_id) FROM players p"
            " LEFT JOIN match_participants mp USING (puuid) GROUP BY p.puuid"
        ).fetchall()
    return {str(puuid): int(n) for puuid, n in found}


@pytest.mark.timeout(300)
def test_readers_answer_while_a_writer_holds_the_lake(
    regions: RunningRegions, lake_url: str, tmp_path: Path
) -> None:
    """While another process is in the middle of a write (holding the lake's write lock),
    `smurf sql`, `smurf jobs status`, `smurf lake status` and a worker's monitoring API
    answer from the last commit without waiting for it. The API tells apart the runs of one
    job that two workers have live on their platforms, and both status commands name the
    lake's worker."""
    with write(lake_url) as con:
        con.execute("UPDATE job_configurations SET is_active = false")
        con.execute(
            "INSERT INTO job_executions (id, job_config_id, job_type, status, trigger,"
            " created_at, started_at, correlation_id, host, host_pid, shard)"
            " SELECT 900 + n, id, job_type, 'RUNNING', 'SCHEDULE', now()::TIMESTAMP,"
            " now()::TIMESTAMP, 'elsewhere', 'another-machine', 4000 + n, platform"
            " FROM job_configurations, (VALUES (1, 'euw1'), (2, 'kr')) runs(n, platform)"
            " WHERE job_type = 'MATCH_FETCHER'"
        )
    patient = {**os.environ, "SMURF_LOCK_TIMEOUT_S": "5"}  # a reader that waited would fail
    worker = Worker(
        lake_url, regions, tmp_path / "worker.log", "euw1", api_port=free_port(), lock_timeout_s=5
    )
    try:
        wait_for("for the worker's API", lambda: answers(worker), [worker])
        with write(lake_url, timeout_s=30) as con:
            con.execute("INSERT INTO players (puuid) VALUES ('not-yet-committed')")
            sql = subprocess.run(
                [str(SMURF), "--db", lake_url, "--log-json", "sql", "--format", "csv",
                 "SELECT count(*) AS n FROM players WHERE puuid = 'not-yet-committed'"],
                capture_output=True, text=True, timeout=120, env=patient,
            )  # fmt: skip
            status = subprocess.run(
                [str(SMURF), "--db", lake_url, "--log-json", "jobs", "status"],
                capture_output=True, text=True, timeout=120, env=patient,
            )  # fmt: skip
            lake_status = subprocess.run(
                [str(SMURF), "--db", lake_url, "--log-json", "lake", "status"],
                capture_output=True, text=True, timeout=120, env=patient,
            )  # fmt: skip
            overview, fetches = monitored(worker, "MATCH_FETCHER")
            location = parse_location(lake_url)
            assert isinstance(location, LakeLocation)
            with connect(location.catalog_uri) as session:  # the write lock was held throughout
                assert lock_holders(session, NAMESPACE, WRITE_LOCK) != []
    finally:
        worker.stop()

    assert sql.returncode == 0, sql.stderr
    assert sql.stdout.split() == ["n", "0"]
    assert status.returncode == 0, status.stderr
    assert lake_status.returncode == 0, lake_status.stderr
    for answer in (sql, status, lake_status):
        assert not any(event in answer.stdout + answer.stderr for event in WAIT_EVENTS)
    assert "Scheduler: 1 worker(s)" in status.stdout
    assert "Workers (smurf scheduler): 1" in lake_status.stdout
    for output in (status.stdout, lake_status.stdout):
        assert f"pid {worker.process.pid}  platforms euw1" in output
    (fetcher,) = [j for j in overview["jobs"] if j["job_type"] == "MATCH_FETCHER"]
    assert fetcher["running_execution_ids"] == [901, 902]
    assert fetcher["running_execution_id"] == 902
    assert {(e["id"], e["host"], e["host_pid"], e["shard"]) for e in fetches} == {
        (901, "another-machine", 4001, "euw1"),
        (902, "another-machine", 4002, "kr"),
    }


def answers(worker: Worker) -> bool:
    """Whether the worker's monitoring API answers yet."""
    try:
        return httpx.get(f"{worker.api_url}/api/v1/jobs", timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


def kill_while_committing(worker: Worker, db: str) -> dict[str, int]:
    """SIGKILL ``worker`` while it holds the lake's write lock (between the start of a
    transaction and its commit); the row counts read just before."""
    location = parse_location(db)
    assert isinstance(location, LakeLocation)
    holder = re.compile(rf" pid {worker.process.pid}\b")
    deadline = time.monotonic() + WAIT_S
    with connect(location.catalog_uri, "watches the write lock") as session:
        while time.monotonic() < deadline:
            before = table_counts(db)
            # Counts read a moment ago are still a floor of what is committed.
            watch_until = time.monotonic() + 2.0
            while time.monotonic() < watch_until:
                if any(holder.search(h) for h in lock_holders(session, NAMESPACE, WRITE_LOCK)):
                    worker.kill()
                    return before
                time.sleep(0.002)
    raise AssertionError("the worker never held the write lock")


# Tables whose rows go by design while the lake is healthy: the analyzer drains its queue
# and the notes of players queued again, and compaction folds a player's sums and
# champions into fewer rows; the reference norms, scoring state and score inputs are
# replaced whole when refreshed.
SHRINKS_BY_DESIGN = frozenset(
    {
        "players_to_score",
        "players_to_score_again",
        "players_below_minimum",
        "player_game_sums",
        "player_champions",
        "lobby_reference",
        "scoring_baselines",
        "scoring_state",
        "player_score_inputs",
        "score_inputs_state",
    }
)


def lost_rows(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Tables with fewer rows than before, other than those that shrink by design."""
    return {
        table: (n, after.get(table, 0))
        for table, n in before.items()
        if table not in SHRINKS_BY_DESIGN and after.get(table, 0) < n
    }


def table_counts(db: Any) -> dict[str, int]:
    """Rows of every table."""
    with read(db, timeout_s=120) as con:
        tables = [
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables()"
                " WHERE database_name = current_database() AND schema_name = 'main'"
            ).fetchall()
        ]
        return {t: int(con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]) for t in tables}


HALF_WRITTEN = {
    "matches without all their participants": "SELECT count(*) FROM matches m"
    " WHERE participant_count <> (SELECT count(*) FROM match_participants p"
    " WHERE p.match_id = m.match_id)",
    "matches without their payload": "SELECT count(*) FROM matches m"
    " WHERE NOT EXISTS (SELECT 1 FROM match_payloads p WHERE p.match_id = m.match_id)",
    "participants without their match": "SELECT count(*) FROM match_participants p"
    " WHERE NOT EXISTS (SELECT 1 FROM matches m WHERE m.match_id = p.match_id)",
    "participants without their player": "SELECT count(*) FROM match_participants p"
    " WHERE NOT EXISTS (SELECT 1 FROM players pl WHERE pl.puuid = p.puuid)",
}


def half_written(db: Any) -> dict[str, int]:
    """What a write stopped half-way would leave: the kinds found, with how many."""
    with read(db, timeout_s=120) as con:
        found = {what: con.execute(sql).fetchall()[0][0] for what, sql in HALF_WRITTEN.items()}
    return {what: int(n) for what, n in found.items() if n}


def monitored(worker: Worker, job_type: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A worker's API overview, and the newest executions of one job it shows."""
    assert worker.api_url is not None
    overview = httpx.get(f"{worker.api_url}/api/v1/jobs/status/overview", timeout=60)
    assert overview.status_code == 200, overview.text
    (job,) = [j for j in overview.json()["jobs"] if j["job_type"] == job_type]
    page = httpx.get(
        f"{worker.api_url}/api/v1/jobs/{job['id']}/executions", params={"limit": 500}, timeout=60
    )
    assert page.status_code == 200, page.text
    return overview.json(), page.json()["executions"]


def analyzer_overlaps(db: Any) -> list[tuple[int, int]]:
    """Pairs of SMURF_ANALYZER executions that ran at the same time."""
    with read(db, timeout_s=120) as con:
        runs = con.execute(
            "SELECT id, started_at, finished_at FROM job_executions"
            " WHERE job_type = 'SMURF_ANALYZER' AND started_at IS NOT NULL ORDER BY started_at"
        ).fetchall()
    assert len(runs) >= 2
    return [(a[0], b[0]) for a, b in itertools.pairwise(runs) if a[2] is None or a[2] > b[1]]


def score_batches_outside_one_run(db: Any) -> list[tuple[Any, ...]]:
    """Batches of scores (one per analyzer run that scored) that scored a player twice, or
    that do not fall within exactly one SMURF_ANALYZER execution: (scored_at, rows,
    players, runs)."""
    with read(db, timeout_s=120) as con:
        batches = con.execute(
            "SELECT s.scored_at, count(*), count(DISTINCT s.puuid), ("
            "  SELECT count(*) FROM job_executions e WHERE e.job_type = 'SMURF_ANALYZER'"
            "  AND s.scored_at BETWEEN e.started_at AND e.finished_at)"
            " FROM smurf_scores s GROUP BY s.scored_at ORDER BY 1"
        ).fetchall()
    assert batches
    return [tuple(b) for b in batches if b[1] != b[2] or b[3] != 1]


def latest_scores(db: Any) -> set[tuple[Any, ...]]:
    """Who is scored, on how many stored games."""
    with read(db, timeout_s=120) as con:
        return set(con.execute("SELECT puuid, matches_stored FROM latest_smurf_scores").fetchall())
