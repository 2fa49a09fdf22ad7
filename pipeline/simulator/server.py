"""Serve the simulator with uvicorn on loopback, in this process or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from pipeline.simulator.app import create_app
from pipeline.simulator.config import SimulatorConfig
from pipeline.simulator.errors import SimulatorError
from pipeline.simulator.world import World, build_world

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
CONTROL_TIMEOUT_S = 60.0


@dataclass
class RunningSimulator:
    """A simulator being served; ``base_url`` is what RIOT_API_BASE should be set to."""

    url: str  # http://127.0.0.1:PORT
    world: World
    control: str = "/__sim"  # where this world's control endpoints are

    @property
    def base_url(self) -> str:
        """The Riot API base URL template for a client: http://127.0.0.1:PORT/{route}."""
        return self.url + "/{route}"

    def stats(self) -> dict[str, Any]:
        """Traffic counters, as GET /__sim/stats returns them."""
        stats: dict[str, Any] = self._control("GET", f"{self.control}/stats")
        return stats

    def truth(self, population: str | None = None) -> list[dict[str, Any]]:
        """Ground truth per player (of one population), as GET /__sim/truth returns it."""
        query = f"?population={population}" if population else ""
        truth: list[dict[str, Any]] = self._control("GET", f"{self.control}/truth{query}")
        return truth

    def advance(self, hours: float) -> dict[str, Any]:
        """Move simulated time forward, playing the matches of that time."""
        result: dict[str, Any] = self._control("POST", f"{self.control}/advance?hours={hours}")
        return result

    def set_faults(self, **rates: float) -> dict[str, float]:
        """Change fault shares (fault_rate, slow_rate, malformed_rate, drop_rate, ...)."""
        rates_now: dict[str, float] = self._control("POST", f"{self.control}/faults", json=rates)
        return rates_now

    def _control(self, verb: str, path: str, json: Any = None) -> Any:
        response = httpx.request(verb, self.url + path, json=json, timeout=CONTROL_TIMEOUT_S)
        response.raise_for_status()
        return response.json()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def make_server(config: SimulatorConfig, world: World, port: int) -> uvicorn.Server:
    """A uvicorn server for the simulator app (quiet: no access log)."""
    uvicorn_config = uvicorn.Config(
        create_app(config, world),
        host=HOST,
        port=port,
        http="h11",
        lifespan="off",
        access_log=False,
        log_config=None,
        log_level="critical",
        timeout_keep_alive=30,
    )
    return uvicorn.Server(uvicorn_config)


@contextmanager
def serve_in_thread(
    config: SimulatorConfig, *, world: World | None = None
) -> Iterator[RunningSimulator]:
    """Serve the simulator on a free loopback port in a daemon thread for the block's length."""
    world = world if world is not None else build_world(config)
    port = free_port()
    server = make_server(config, world, port)
    thread = threading.Thread(target=server.run, name=f"riot-simulator-{port}", daemon=True)
    thread.start()
    deadline_s = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline_s:
            raise SimulatorError(f"The simulator did not start on {HOST}:{port}; is the port free?")
        time.sleep(0.01)
    try:
        yield RunningSimulator(url=f"http://{HOST}:{port}", world=world)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
