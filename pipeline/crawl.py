"""Crawl a simulated world with the product's own jobs, as a user would: what detection sees.

Detection is judged on what the product really observes, so this builds that observation
the way a deployment does, over real HTTP::

    fresh database -> the simulator (a world of a seed and family) on loopback
    -> track a few random active players -> cycles of the real jobs with the budgets users
       set (the seeded job configurations) while simulated time moves on
    -> a last profile refresh and scoring -> the simulator's ground truth in ``sim_truth``

One cycle stands for one MATCH_FETCHER period of the default schedules (five minutes): the
updater, the fetcher, the profile refresher and the analyzer each run once, then the world's
clock moves on by ``hours_per_cycle``. The key's limit is generous by default: the budgets,
not the rate, decide what is seen, and the crawl finishes sooner.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S, Settings
from pipeline.jobs import JobContext, JobStatus, run_in_process
from pipeline.scheduler_client import delete_database_file
from pipeline.simulator import RunningSimulator, SimulatorConfig, build_world
from pipeline.simulator.export import write_truth
from pipeline.simulator.server import serve_in_process
from pipeline.store import Database, migrate

CRAWL_JOBS = ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER", "PROFILE_REFRESHER", "SMURF_ANALYZER")
CRAWL_APP_LIMIT = "3000:1"
CRAWL_KEY = "RGAPI-crawl-simulator-key"
# Left to size their runs from that generous limit (key_share_percent), PROFILE_REFRESHER would
# profile every player waiting at each cycle and MATCH_FETCHER fetch every player below the
# target: a crawl keeps the seeded fixed budgets, which a development key's limits give too,
# so its crawls stay comparable (a plan's configs may set the key again).
CRAWL_FIXED_BUDGETS: Mapping[str, Mapping[str, Any]] = {
    "PROFILE_REFRESHER": {"key_share_percent": 0},
    "MATCH_FETCHER": {"key_share_percent": 0},
}
MIN_SEED_GAMES = 10

Progress = Callable[[int, int, dict[str, int]], None]  # (cycle, cycles, counts)


@dataclass(frozen=True)
class CrawlPlan:
    """How a crawl is run: how many players are tracked, for how long, with which budgets.

    configs: config_json keys to change per job type (the seeded defaults otherwise).
    """

    tracked: int = 8
    cycles: int = 60
    hours_per_cycle: float = 5 / 60
    app_limit: str = CRAWL_APP_LIMIT
    configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tracked < 1 or self.cycles < 1 or self.hours_per_cycle < 0:
            raise ValueError(
                "A crawl tracks at least one player for at least one cycle, and time does "
                "not run backwards (hours_per_cycle >= 0)."
            )


@dataclass(frozen=True)
class CrawlReport:
    """What a crawl stored and how its runs ended."""

    db_path: Path
    requests: int
    matches: int
    players: int
    profiled: int
    scored: int
    runs: dict[str, dict[str, int]]  # job type -> status -> runs


def crawl_world(
    config: SimulatorConfig,
    db_path: Path,
    plan: CrawlPlan | None = None,
    *,
    progress: Progress | None = None,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
) -> CrawlReport:
    """Crawl the world of ``config`` into a fresh database at ``db_path`` (refused while a
    scheduler serves the file there or another program holds it)."""
    plan = plan or CrawlPlan()
    delete_database_file(db_path, timeout_s=lock_timeout_s)
    migrate(db_path)
    _apply_configs(Database(db_path), _with_fixed_budgets(plan.configs))
    served = SimulatorConfig(
        **{**_config_fields(config), "app_limit": plan.app_limit, "clock_speed": 0.0}
    )
    with serve_in_process(served) as sim:
        settings = Settings(
            db_path=db_path,
            riot_api_base=sim.base_url,
            riot_api_key=CRAWL_KEY,
            platform=config.platform,
        )
        context = JobContext(settings)
        runs = asyncio.run(_crawl(context, sim, config.seed, plan, progress))
        requests = int(sim.stats().get("requests", 0))
    # The served world lived in the child; the same seed and clock give the same world here.
    world = build_world(served)
    world.advance(plan.cycles * plan.hours_per_cycle)
    write_truth(db_path, world)
    return _report(db_path, requests, runs)


def _config_fields(config: SimulatorConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}


def _with_fixed_budgets(
    configs: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    merged = {job_type: dict(values) for job_type, values in CRAWL_FIXED_BUDGETS.items()}
    for job_type, values in configs.items():
        merged.setdefault(job_type, {}).update(values)
    return merged


def _apply_configs(db: Database, configs: Mapping[str, Mapping[str, Any]]) -> None:
    from pipeline.store.job_records import find_job_configs, update_job_config

    with db.write() as con:
        for job_type, values in configs.items():
            for found in find_job_configs(con, job_type):
                merged = {**(found.config_json or {}), **values}
                update_job_config(con, found.id, config_json=merged)


async def _crawl(
    context: JobContext,
    sim: RunningSimulator,
    seed: int,
    plan: CrawlPlan,
    progress: Progress | None,
) -> dict[str, dict[str, int]]:
    await track_random_players(context, sim, plan.tracked, seed)
    runs: dict[str, dict[str, int]] = {}
    for cycle in range(1, plan.cycles + 1):
        for job_type in CRAWL_JOBS:
            for outcome in await run_in_process(context, job_type):
                by_status = runs.setdefault(job_type, {})
                by_status[outcome.status.value] = by_status.get(outcome.status.value, 0) + 1
                if outcome.status is JobStatus.FAILED:
                    raise RuntimeError(
                        f"{job_type} failed during the crawl: {outcome.error_message}"
                    )
        if plan.hours_per_cycle:
            await asyncio.to_thread(sim.advance, plan.hours_per_cycle)
        if progress is not None:
            progress(cycle, plan.cycles, await asyncio.to_thread(_counts, context.db))
    for job_type in ("PROFILE_REFRESHER", "SMURF_ANALYZER"):
        await run_in_process(context, job_type)
    return runs


async def track_random_players(
    context: JobContext, sim: RunningSimulator, n: int, seed: int
) -> list[str]:
    """Resolve and track ``n`` active players drawn at random (by ``seed``)."""
    from pipeline.riot import RiotClient

    truth = await asyncio.to_thread(sim.truth)
    active = [t for t in truth if not t["is_banned"] and t["games"] >= MIN_SEED_GAMES]
    chosen = random.Random(seed).sample(active, min(n, len(active)))
    settings = context.settings
    async with RiotClient(
        settings.riot_api_key, settings.riot_api_base, limiter=context.limiter
    ) as client:
        accounts = [
            await client.get_account_by_riot_id(
                t["game_name"], t["tag_line"], platform=settings.platform
            )
            for t in chosen
        ]

    def store() -> None:
        from pipeline.store.job_records import utcnow
        from pipeline.store.players import track_player

        with context.db.write() as con:
            for account in accounts:
                track_player(
                    con,
                    puuid=str(account["puuid"]),
                    game_name=account.get("gameName"),
                    tag_line=account.get("tagLine"),
                    platform=settings.platform,
                    now=utcnow(),
                )

    await asyncio.to_thread(store)
    return [str(a["puuid"]) for a in accounts]


def _counts(db: Database) -> dict[str, int]:
    with db.read() as con:
        row = con.execute(
            "SELECT (SELECT count(*) FROM matches), (SELECT count(*) FROM players),"
            " (SELECT count(*) FROM players WHERE summoner_checked_at IS NOT NULL),"
            " (SELECT count(*) FROM latest_smurf_scores)"
        ).fetchone()
    return dict(zip(("matches", "players", "profiled", "scored"), row or (), strict=False))


def _report(db_path: Path, requests: int, runs: dict[str, dict[str, int]]) -> CrawlReport:
    counts = _counts(Database(db_path))
    return CrawlReport(db_path=db_path, requests=requests, runs=runs, **counts)
