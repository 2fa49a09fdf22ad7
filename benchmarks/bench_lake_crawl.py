"""Crawl throughput on a lake with 1, 2 and 4 region workers.

Each region is a simulated world of its own behind one loopback server
(``pipeline.simulator.regions``), with its own application limit (``APP_LIMIT``: the binding
limit, methods are allowed more). For each size a fresh lake (PostgreSQL catalog from the
pgserver wheel, data in a local folder) is crawled by one ``smurf scheduler --platforms P``
per region, all at once, for ``RUN_S`` seconds after ``WARMUP_S``: tracked players' new
games and discovered players' histories, the fetcher every second with no budget to run
out of. Measured per region: requests the API accepted per second, as a share of the
binding limit; and the total over regions, as a ratio to one region's (the aim is about
linear). The workers commit through the lake's write lock, one commit at a time, so the
figures also show when commits rather than the API limit the crawl.

Run: ``.venv/bin/python -m benchmarks.bench_lake_crawl``
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import Result, print_results
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.regions import RunningRegions, serve_regions_in_thread
from pipeline.store import write
from tests.lake_fixtures import Postgres, PostgresUnavailable, new_lake, running_postgres

NAME = "bench_lake_crawl"
PLATFORMS = ("euw1", "kr", "na1", "oc1")  # one per region
SIZES = (1, 2, 4)
APP_LIMIT = "100:10"  # 10 requests/s per region: the binding limit
LIMIT_PER_S = 10.0
WARMUP_S = 20.0
RUN_S = 60.0
TRACKED_PER_REGION = 20
SMURF = Path(sys.executable).parent / "smurf"


def _world(platform: str, index: int) -> SimulatorConfig:
    return SimulatorConfig(
        seed=100 + index,
        players=600,
        history_days=60,
        platform=platform,
        app_limit=APP_LIMIT,
        method_limit="10000:10",
        latency_ms=(5.0, 15.0),
    )


def _prepare(lake: str, regions: RunningRegions) -> None:
    with write(lake) as con:
        for platform, world in regions.worlds.items():
            truth = sorted(world.truth(), key=lambda t: -t["games"])[:TRACKED_PER_REGION]
            for player in truth:
                con.execute(
                    "INSERT INTO players (puuid, platform, is_tracked, tracked_at)"
                    " VALUES (?, ?, true, now()::TIMESTAMP)",
                    [player["puuid"], platform],
                )
        con.execute(
            "UPDATE job_configurations SET is_active = job_type IN"
            " ('TRACKED_PLAYER_UPDATER', 'MATCH_FETCHER'),"
            " schedule = 'interval(seconds=1)'"
        )
        con.execute(
            "UPDATE job_configurations SET config_json = CASE job_type"
            " WHEN 'TRACKED_PLAYER_UPDATER' THEN '{\"max_new_matches_per_player\": 100,"
            ' "max_tracked_players": 1000, "timeout_seconds": 3600}\''
            ' ELSE \'{"discovered_players_per_run": 100000, "matches_per_player_per_run": 20,'
            ' "target_matches_per_player": 10000, "timeout_seconds": 3600}\' END'
        )


def _accepted(regions: RunningRegions) -> dict[str, int]:
    """Requests each region's world answered with 200 so far."""
    return {
        platform: int(dict(stats["by_status"]).get("200", 0))  # type: ignore[call-overload]
        for platform, stats in regions.stats().items()
    }


def _crawl(postgres: Postgres, folder: Path, regions_count: int) -> dict[str, float]:
    """Requests/s accepted per region with one worker per region."""
    platforms = PLATFORMS[:regions_count]
    configs = [_world(p, i) for i, p in enumerate(platforms)]
    with serve_regions_in_thread(configs) as regions:
        lake = new_lake(postgres, f"crawl_{regions_count}", folder / f"lake-{regions_count}").url
        _prepare(lake, regions)
        env = {**os.environ, "RIOT_API_BASE": regions.base_url, "RIOT_API_KEY": "RGAPI-bench"}
        logs = [(folder / f"{regions_count}-{p}.log").open("wb") for p in platforms]
        workers = [
            subprocess.Popen(
                [
                    str(SMURF),
                    "--db",
                    lake,
                    "--log-json",
                    "scheduler",
                    "--api-port",
                    "0",
                    "--sync-interval-s",
                    "1",
                    "--platforms",
                    platform,
                ],
                env=env,
                stdout=log,
                stderr=log,
            )
            for platform, log in zip(platforms, logs, strict=True)
        ]
        try:
            time.sleep(WARMUP_S)
            before = _accepted(regions)
            time.sleep(RUN_S)
            after = _accepted(regions)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=120)
            for log in logs:
                log.close()
    return {p: (after[p] - before[p]) / RUN_S for p in platforms}


def run() -> list[Result]:
    try:
        with running_postgres() as postgres, tempfile.TemporaryDirectory() as tmp:
            rates = {n: _crawl(postgres, Path(tmp), n) for n in SIZES}
    except PostgresUnavailable as exc:
        print(f"{NAME} skipped: {exc}")
        return []
    results: list[Result] = []
    one = sum(rates[1].values())
    for n, per_region in rates.items():
        total = sum(per_region.values())
        worst = min(per_region.values()) / LIMIT_PER_S
        print(f"{n} region(s): {per_region} requests/s accepted", flush=True)
        results.append(
            Result(NAME, f"{n} region worker(s): total accepted requests", total, "req/s",
                   total / one, f"~{n}x one region", total / one >= 0.9 * n)
        )  # fmt: skip
        results.append(
            Result(NAME, f"{n} region worker(s): slowest region vs its limit", worst * 100,
                   "%", None, ">= 95% of the binding limit", worst >= 0.95)
        )  # fmt: skip
    return results


if __name__ == "__main__":
    print_results(run())
