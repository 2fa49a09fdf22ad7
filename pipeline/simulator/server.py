"""Serve the simulator with uvicorn on loopback: in a thread, in a child process, or in the
foreground. A child process has a core of its own, so a crawl's client and the simulated API
do not take turns on one interpreter lock; its world stays in the child (ask it over HTTP,
or rebuild it: a world is deterministic per seed and clock)."""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
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
    world: World | None  # None when served by a child process
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


def bind_port(port: int) -> socket.socket:
    """A listening socket on ``HOST``:``port``, taken before the (slow) world is built:
    a port already in use is refused at once, in words, rather than by uvicorn exiting
    quietly once the world is ready."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen()  # bound alone does not hold the port against another bind
    except OSError as exc:
        sock.close()
        raise SimulatorError(
            f"Cannot serve on {HOST}:{port}: {exc.strerror or exc} (another simulator or "
            "program may be using it); choose another port with --port."
        ) from exc
    return sock


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


def serve_pickled_config(port: int, parent_pid: int) -> None:  # pragma: no cover - child
    """Build the world of the pickled config on stdin and serve it (see serve_in_process).

    The child ends with its parent, however the parent ends (a crash or a kill included).
    """
    config = pickle.loads(sys.stdin.buffer.read())
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    make_server(config, build_world(config), port).run()


def _exit_with_parent(parent_pid: int) -> None:  # pragma: no cover - runs in the child
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


@contextmanager
def serve_in_process(config: SimulatorConfig) -> Iterator[RunningSimulator]:
    """Serve the simulator from a child process on a free loopback port for the block."""
    port = free_port()
    code = (
        "from pipeline.simulator.server import serve_pickled_config; "
        f"serve_pickled_config({port}, {os.getpid()})"
    )
    # A session of its own: a Ctrl-C at the terminal reaches only this process, which then
    # stops the child below (the child printed a traceback of its own beside ours).
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, start_new_session=True
    )
    assert child.stdin is not None
    child.stdin.write(pickle.dumps(config))
    child.stdin.close()
    running = RunningSimulator(url=f"http://{HOST}:{port}", world=None)
    # Building a big world takes a while, longer on a busy machine: wait while it lives.
    deadline_s = time.monotonic() + STARTUP_TIMEOUT_S + config.players / 50
    try:
        while True:
            try:
                running.stats()
                break
            except httpx.HTTPError:
                if child.poll() is not None or time.monotonic() > deadline_s:
                    raise SimulatorError(
                        f"The simulator process did not start on {HOST}:{port}."
                    ) from None
                time.sleep(0.1)
        yield running
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
