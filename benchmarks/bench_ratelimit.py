"""Rate-limit throughput: the proactive limiter against a client that only reacts to 429s.

Both run against the simulator with an application limit whose two windows both bind
(``50:1,500:12``: 50 per second in bursts, 41.7 per second over time), a generous method
limit and 30-80 ms latency, each for ``DURATION_S`` seconds on a fresh server, in the same
run. Workers call summoner-v4 in a loop, many at once.

- The product's ``RiotClient`` with its ``RateLimiter``: aims at >= 95% of the binding limit
  with no application or method 429 at all.
- The naive client sends as fast as its workers can and, on a 429, sleeps ``Retry-After``.
  It reaches the limit too, but only by drawing 429s, which Riot punishes by blacklisting
  keys that keep doing it.

Run: ``.venv/bin/python -m benchmarks.bench_ratelimit``
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks._common import Result, print_results
from pipeline.riot import RiotClient
from pipeline.simulator import (
    RunningSimulator,
    SimulatorConfig,
    World,
    build_world,
    serve_in_thread,
)

NAME = "bench_ratelimit"
DURATION_S = 60.0
WORKERS = 60
APP_LIMIT = "50:1,500:12"
BINDING_PER_S = 500 / 12  # the long window binds over a minute: 41.7 requests/s
AIM_RATIO = 0.95
PLATFORM = "euw1"


@dataclass(frozen=True)
class Run:
    """What one client achieved against one fresh simulator."""

    ok_per_s: float
    statuses: dict[str, int]
    app_method_429s: int
    highest_counts: dict[str, dict[str, int]]


def config() -> SimulatorConfig:
    return SimulatorConfig(
        seed=1, players=60, app_limit=APP_LIMIT, method_limit="5000:10", latency_ms=(30.0, 80.0)
    )


async def product_workers(sim: RunningSimulator, puuids: list[str]) -> Counter[str]:
    """Workers sharing one RiotClient (and so its limiter) until the time is up."""
    deadline = time.monotonic() + DURATION_S
    async with RiotClient(f"RGAPI-{uuid.uuid4()}", sim.base_url) as client:

        async def worker(offset: int) -> None:
            i = offset
            while time.monotonic() < deadline:
                budget_s = max(0.0, deadline - time.monotonic())
                try:
                    await client.get_summoner_by_puuid(
                        puuids[i % len(puuids)], platform=PLATFORM, max_wait_s=budget_s
                    )
                except Exception:
                    return  # The budget ran out at the deadline: this worker is done.
                i += WORKERS

        await asyncio.gather(*(worker(n) for n in range(WORKERS)))
        return Counter(client.request_counts())


async def naive_workers(sim: RunningSimulator, puuids: list[str]) -> Counter[str]:
    """Workers that send as fast as they can and sleep Retry-After when refused."""
    deadline = time.monotonic() + DURATION_S
    statuses: Counter[str] = Counter()
    headers = {"X-Riot-Token": f"RGAPI-{uuid.uuid4()}"}
    base = sim.base_url.format(route=PLATFORM)
    async with httpx.AsyncClient(headers=headers, timeout=10.0) as http:

        async def worker(offset: int) -> None:
            i = offset
            while time.monotonic() < deadline:
                puuid = puuids[i % len(puuids)]
                response = await http.get(f"{base}/lol/summoner/v4/summoners/by-puuid/{puuid}")
                statuses[str(response.status_code)] += 1
                if response.status_code == 429:
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                else:
                    i += WORKERS

        await asyncio.gather(*(worker(n) for n in range(WORKERS)))
    return statuses


def measure(world: World, puuids: list[str], naive: bool) -> Run:
    """Run one client for DURATION_S against a fresh simulator of the same world."""
    with serve_in_thread(config(), world=world) as sim:
        started = time.monotonic()
        workers = naive_workers if naive else product_workers
        statuses = asyncio.run(workers(sim, puuids))
        elapsed_s = max(time.monotonic() - started, DURATION_S)
        stats = sim.stats()
    limited = stats["rate_limited"]
    return Run(
        ok_per_s=statuses["200"] / elapsed_s,
        statuses=dict(statuses),
        app_method_429s=int(limited["application"] + limited["method"]),
        highest_counts=stats["highest_counts"],
    )


def active_puuids(world: World) -> list[str]:
    with serve_in_thread(config(), world=world) as sim:
        return [p["puuid"] for p in sim.truth() if not p["is_banned"]]


def run() -> list[Result]:
    world = build_world(config())
    puuids = active_puuids(world)
    ours = measure(world, puuids, naive=False)
    naive = measure(world, puuids, naive=True)
    for label, measured in (("limiter", ours), ("naive", naive)):
        print(f"{label}: {measured.ok_per_s:.2f} ok/s, statuses {measured.statuses}")
        print(f"  highest counts: {_windows(measured.highest_counts)}")
    ratio = ours.ok_per_s / BINDING_PER_S
    return [
        Result(
            NAME,
            "limiter 200s/s vs binding limit (500:12)",
            ours.ok_per_s,
            "req/s",
            ratio,
            f">= {AIM_RATIO:.0%} of {BINDING_PER_S:.1f}/s",
            ratio >= AIM_RATIO,
        ),
        Result(
            NAME,
            "limiter app+method 429s",
            ours.app_method_429s,
            "429s",
            None,
            "0",
            ours.app_method_429s == 0,
        ),
        Result(
            NAME,
            "naive (429-driven) 200s/s vs binding limit",
            naive.ok_per_s,
            "req/s",
            naive.ok_per_s / BINDING_PER_S,
            "baseline",
            None,
        ),
        Result(
            NAME,
            "naive (429-driven) app+method 429s",
            naive.app_method_429s,
            "429s",
            None,
            "baseline",
            None,
        ),
    ]


def _windows(highest: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v['highest_count']}/{v['limit']}" for k, v in sorted(highest.items()))


if __name__ == "__main__":
    print_results(run())
