"""Reliability soak: a long faulty crawl against a clean one, and a crawl through repeated crashes.

1. Fault soak: one simulated world served twice, once with 5% 5xx, 2% responses slower than
   the client's timeout, 1% malformed bodies, 2% service 429s plus one-second bursts of 60%
   service 429s every 8 s, and a low app limit; once clean. Cycles of TRACKED_PLAYER_UPDATER
   + MATCH_FETCHER run until nothing is left to fetch; the two databases must hold the same
   matches, participants and players.
2. Crash soak: a real ``smurf scheduler`` process crawls the same world and is killed with
   SIGKILL at random moments, then restarted, until the crawl finishes; every player's stored
   games must equal the world's.
3. Secret scan: the key never appears in the logs, the database file or any text column.

Run: ``.venv/bin/python -m benchmarks.bench_soak``
"""

from __future__ import annotations

import io
import random
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks._common import Result, print_results, stopwatch
from pipeline.log import configure_logging
from pipeline.simulator import RunningSimulator, SimulatorConfig, build_world, serve_in_thread
from pipeline.store import Database
from tests.sim_helpers import TEST_KEY
from tests.test_reliability_crash import (
    Scheduler,
    crawl_finished,
    executions,
    games_by_player,
)
from tests.test_reliability_crash import prepare as prepare_crawl
from tests.test_reliability_soak import (
    FAULTS,
    SoakRun,
    duplicate_rows,
    most_active,
    soak,
    soak_config,
    stored_keys,
)

NAME = "bench_soak"
SEED, PLAYERS, HISTORY_DAYS = 29, 100, 21
MAX_CYCLES = 80
PLAYERS_PER_RUN = 10  # small runs: the crawl takes many cycles
CRASHES = 5
CRAWL_DEADLINE_S = 900.0
BURST_EVERY_S, BURST_LENGTH_S, BURST_RATE = 8.0, 1.0, 0.6


@contextmanager
def service_429_bursts(sim: RunningSimulator) -> Iterator[list[int]]:
    """Every few seconds, a second in which most requests get a service 429."""
    stop = threading.Event()
    count = [0]
    base = FAULTS["service_429_rate"]

    def burst() -> None:
        while not stop.wait(BURST_EVERY_S):
            sim.set_faults(service_429_rate=BURST_RATE)
            count[0] += 1
            stop.wait(BURST_LENGTH_S)
            sim.set_faults(service_429_rate=base)

    thread = threading.Thread(target=burst, daemon=True)
    thread.start()
    try:
        yield count
    finally:
        stop.set()
        thread.join()


def fault_soak(tmp: Path) -> tuple[SoakRun, SoakRun, dict[str, Any]]:
    """The faulty and the clean crawl of one world, and how their databases compare."""
    world = build_world(soak_config(SEED, PLAYERS, HISTORY_DAYS, faulty=False))
    with serve_in_thread(soak_config(SEED, PLAYERS, HISTORY_DAYS, faulty=False), world=world) as s:
        tracked = most_active(s.truth(), 3)
        clean = soak(
            tmp / "clean.duckdb", s, tracked, max_cycles=MAX_CYCLES, players_per_run=PLAYERS_PER_RUN
        )
    with (
        serve_in_thread(soak_config(SEED, PLAYERS, HISTORY_DAYS, faulty=True), world=world) as s,
        service_429_bursts(s) as bursts,
    ):
        faulty = soak(
            tmp / "faulty.duckdb",
            s,
            tracked,
            max_cycles=MAX_CYCLES,
            players_per_run=PLAYERS_PER_RUN,
        )
    faulty.faults["service_429_bursts"] = bursts[0]
    expected, got = stored_keys(tmp / "clean.duckdb"), stored_keys(tmp / "faulty.duckdb")
    comparison = {
        "rows_compared": sum(len(rows) for rows in expected.values()),
        "missing": sum(len(expected[k] - got[k]) for k in expected),
        "extra": sum(len(got[k] - expected[k]) for k in expected),
        "duplicates": sum(duplicate_rows(tmp / "faulty.duckdb").values()),
    }
    return clean, faulty, comparison


def crash_soak(tmp: Path) -> dict[str, Any]:
    """Crawl with a scheduler process killed ``CRASHES`` times; what survived."""
    config = SimulatorConfig(
        seed=SEED,
        players=PLAYERS // 2,
        history_days=HISTORY_DAYS,
        latency_ms=(10.0, 30.0),
        app_limit="500:10,30000:600",
    )
    db_path, log_path = tmp / "crash.duckdb", tmp / "scheduler.log"
    rng = random.Random(SEED)
    survived = 0
    with serve_in_thread(config) as sim:
        truth = {t["puuid"]: t for t in sim.truth()}
        prepare_crawl(db_path, sorted(truth, key=lambda p: (-truth[p]["games"], p))[:2])
        deadline = time.monotonic() + CRAWL_DEADLINE_S
        while time.monotonic() < deadline:
            process = Scheduler(db_path, sim, log_path)
            if survived < CRASHES:
                time.sleep(rng.uniform(3.0, 8.0))
                process.process.send_signal(signal.SIGKILL)
                process.kill()
                survived += 1
                continue
            while time.monotonic() < deadline and not crawl_finished(db_path):
                time.sleep(0.5)
            process.signal(signal.SIGTERM)
            break
    stored = games_by_player(db_path)
    rows = executions(db_path)
    return {
        "crashes_survived": survived,
        "finished": crawl_finished(db_path),
        "players_wrong": sum(1 for p, n in stored.items() if truth[p]["games"] != n),
        "players": len(stored),
        "orphans_closed": sum(
            1 for r in rows if "ended before the run finished" in (r["error_message"] or "")
        ),
        "left_running": sum(1 for r in rows if r["status"] in ("PENDING", "RUNNING")),
        "executions": len(rows),
        "key_in_log": TEST_KEY in log_path.read_text(),
        "db_path": db_path,
    }


def secret_hits(paths: list[Path]) -> int:
    """Occurrences of the key in the files and in every text column of the databases."""
    hits = 0
    for path in paths:
        for file in path.parent.glob(path.name + "*"):
            hits += file.read_bytes().count(TEST_KEY.encode())
        with Database(path).read() as con:
            for table, column in con.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE data_type IN ('VARCHAR', 'JSON')"
            ).fetchall():
                row = con.execute(
                    f'SELECT count(*) FROM "{table}" WHERE contains("{column}"::VARCHAR, ?)',
                    [TEST_KEY],
                ).fetchone()
                hits += int(row[0]) if row else 0
    return hits


def run() -> list[Result]:
    logs = io.StringIO()
    configure_logging(secrets=[TEST_KEY], json_lines=True, level="info", stream=logs)
    with tempfile.TemporaryDirectory() as folder, stopwatch() as elapsed:
        tmp = Path(folder)
        clean, faulty, comparison = fault_soak(tmp)
        soak_s = elapsed()
        crash = crash_soak(tmp)
        hits = secret_hits([tmp / "clean.duckdb", tmp / "faulty.duckdb", crash["db_path"]])
        hits += int(crash["key_in_log"]) + logs.getvalue().count(TEST_KEY)
    print(f"faults injected by kind: {faulty.faults}")
    print(f"faulty runs by status: {dict(faulty.statuses())} over {faulty.cycles} cycles")
    print(f"clean runs by status: {dict(clean.statuses())} over {clean.cycles} cycles")
    print(f"rows compared: {comparison}")
    print(f"crash soak: { {k: v for k, v in crash.items() if k != 'db_path'} }")
    print(f"secret hits: {hits}; fault soak {soak_s:.0f} s, total {elapsed():.0f} s")
    injected = sum(n for kind, n in faulty.faults.items() if kind != "service_429_bursts")
    lost = comparison["missing"] + comparison["extra"] + comparison["duplicates"]
    return [
        Result(
            NAME,
            "faults injected (5xx, slow, malformed, 429)",
            injected,
            "faults",
            None,
            "> 0",
            injected > 0,
        ),
        Result(
            NAME,
            "faulty runs ended FAILED",
            faulty.statuses()["FAILED"],
            "runs",
            None,
            "0",
            faulty.statuses()["FAILED"] == 0,
        ),
        Result(
            NAME,
            "rows compared, faulty vs clean",
            comparison["rows_compared"],
            "rows",
            None,
            "info",
            None,
        ),
        Result(
            NAME,
            "rows lost, extra or duplicated",
            lost,
            "rows",
            None,
            "0",
            lost == 0 and faulty.converged and clean.converged,
        ),
        Result(
            NAME,
            "SIGKILL crashes survived",
            crash["crashes_survived"],
            "crashes",
            None,
            f"{CRASHES}, crawl complete",
            crash["finished"] and crash["players_wrong"] == 0 and crash["left_running"] == 0,
        ),
        Result(NAME, "secret hits (logs, files, tables)", hits, "hits", None, "0", hits == 0),
    ]


if __name__ == "__main__":
    print_results(run())
