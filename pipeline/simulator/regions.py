"""Several simulated worlds behind one server, one per region, each with its own rate limits.

A world lives on one platform; a production key's limits are per route host. Serving a
world per region lets a crawl spread over regions (one worker per region, several machines)
and measure whether its throughput grows with them. Each request goes to the world its
route belongs to: a platform host to the world on that platform, a match-v5 host to the
world of that region, and account-v1 (three hosts answer for any account) to the world that
knows the puuid, else to the world of the host's region. Each world keeps its own state,
limiter and traffic counters; its control endpoints are under its platform:
``/__sim/{platform}/stats``, ``/truth``, ``/advance`` and ``/faults``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import Receive, Scope, Send

from pipeline.simulator.app import create_app
from pipeline.simulator.config import PLATFORM_REGIONS, SimulatorConfig
from pipeline.simulator.endpoints import find_endpoint
from pipeline.simulator.errors import SimulatorConfigError, SimulatorError
from pipeline.simulator.responses import riot_error
from pipeline.simulator.server import HOST, STARTUP_TIMEOUT_S, RunningSimulator, free_port
from pipeline.simulator.world import World, build_world


class RegionsApp:
    """An ASGI app dispatching the Riot API over one world per region."""

    def __init__(self, configs: Sequence[SimulatorConfig], worlds: Sequence[World]) -> None:
        regions = [c.region for c in configs]
        if len(set(regions)) != len(regions):
            raise SimulatorConfigError(
                f"One world per region: the platforms {[c.platform for c in configs]} share a "
                "region; pick platforms of different regions (na1, euw1, kr, oc1)."
            )
        self.worlds = {c.platform: w for c, w in zip(configs, worlds, strict=True)}
        self.apps = {c.platform: create_app(c, w) for c, w in zip(configs, worlds, strict=True)}
        self.by_region = {c.region: c.platform for c in configs}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        route, _, rest = scope["path"].lstrip("/").partition("/")
        if route == "__sim":
            platform, _, control = rest.partition("/")
            app = self.apps.get(platform)
            scope = {**scope, "path": f"/__sim/{control}", "raw_path": None}
        else:
            platform = self.platform_for(route, "/" + rest)
            app = self.apps.get(platform) if platform else None
        if app is None:
            await riot_error(404, f"no simulated world serves {route!r}")(scope, receive, send)
            return
        await app(scope, receive, send)

    def platform_for(self, route: str, path: str) -> str | None:
        """The platform of the world that answers ``path`` on ``route``."""
        found = find_endpoint(path)
        owner = self._owner(found[1].get("puuid") if found else None)
        if route in PLATFORM_REGIONS:
            # An account that transferred to this platform is answered by its own world.
            if owner is not None and owner[1].platform_of(owner[2]) == route:
                return owner[0]
            return route if route in self.apps else None
        if found is not None and found[0].method.startswith("account-v1") and owner:
            return owner[0]
        return self.by_region.get(route)

    def _owner(self, puuid: str | None) -> tuple[str, World, int] | None:
        """The platform and world of the player with this puuid, and their index there."""
        for platform, world in self.worlds.items():
            player = world.player_of(puuid) if puuid is not None else None
            if player is not None:
                return platform, world, player
        return None


@dataclass
class RunningRegions:
    """Worlds being served; ``base_url`` is what RIOT_API_BASE should be set to."""

    url: str
    worlds: dict[str, RunningSimulator]  # platform -> its world, with its control endpoints

    @property
    def base_url(self) -> str:
        return self.url + "/{route}"

    def stats(self) -> dict[str, dict[str, object]]:
        """Traffic counters per platform."""
        return {platform: world.stats() for platform, world in self.worlds.items()}


@contextmanager
def serve_regions_in_thread(configs: Sequence[SimulatorConfig]) -> Iterator[RunningRegions]:
    """Serve one world per config (each of another region) on a free loopback port."""
    worlds = [build_world(config) for config in configs]
    app = RegionsApp(configs, worlds)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=HOST,
            port=port,
            http="h11",
            lifespan="off",
            access_log=False,
            log_config=None,
            log_level="critical",
            timeout_keep_alive=30,
        )
    )
    thread = threading.Thread(target=server.run, name=f"riot-regions-{port}", daemon=True)
    thread.start()
    deadline_s = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline_s:
            raise SimulatorError(f"The simulator did not start on {HOST}:{port}; is the port free?")
        time.sleep(0.01)
    url = f"http://{HOST}:{port}"
    running = {
        c.platform: RunningSimulator(url, w, control=f"/__sim/{c.platform}")
        for c, w in zip(configs, worlds, strict=True)
    }
    try:
        yield RunningRegions(url, running)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
