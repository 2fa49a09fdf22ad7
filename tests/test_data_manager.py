"""``RiotDataManager`` against the simulator over loopback: what a run asks the API for."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pipeline.jobs.data_manager import RiotDataManager
from pipeline.riot import RiotClient
from pipeline.simulator import SimulatorConfig, serve_in_thread
from pipeline.store import Database

GENEROUS = {"app_limit": "1000:1", "method_limit": "1000:1"}
MISSING = "EUW1_1"  # no such match: the simulator answers 404


def test_a_match_the_api_cannot_find_is_asked_for_once_a_run(db_path: Path) -> None:
    """A match id listed in many players' histories that answers 404 is asked for once
    in a run: later pages and players of the same run leave it out, and a new run asks
    again (a match that has just ended may not be served yet)."""
    with serve_in_thread(SimulatorConfig(seed=5, players=60, **GENEROUS)) as sim:

        async def run() -> tuple[list[str], list[str], list[str], list[str]]:
            async with RiotClient("RGAPI-data-manager-test", sim.base_url) as client:
                manager = RiotDataManager(client, Database(db_path))
                first = await manager.fetch_matches(await manager.unstored([MISSING]))
                again = await manager.unstored([MISSING, "EUW1_2"])
                next_run = RiotDataManager(client, Database(db_path))
                return (
                    first.not_found,
                    again,
                    sorted(manager.not_found),
                    await next_run.unstored([MISSING]),
                )

        not_found, again, remembered, next_run = asyncio.run(run())
        served = sim.stats()["requests"]
    assert not_found == [MISSING] and remembered == [MISSING]
    assert again == ["EUW1_2"]
    assert next_run == [MISSING]
    assert served == 1  # the one 404: nothing else was asked
