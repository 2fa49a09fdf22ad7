"""`smurf simulator serve` as a user runs it: a real process, a real port, Ctrl-C to stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from pipeline.simulator.server import free_port

SMURF = [sys.executable, "-m", "pipeline.cli"]


def test_serve_prints_the_base_url_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """serve prints the RIOT_API_BASE to use, answers the API there, and exits 0 on SIGINT."""
    port = free_port()
    process = subprocess.Popen(
        [*SMURF, "simulator", "serve", "--port", str(port), "--players", "60", "--seed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url == f"http://127.0.0.1:{port}/{{route}}"
        truth = _wait_for(f"http://127.0.0.1:{port}/__sim/truth")
        puuid = truth[0]["puuid"]
        url = base_url.format(route="europe") + f"/riot/account/v1/accounts/by-puuid/{puuid}"
        assert httpx.get(url).json()["puuid"] == puuid
    finally:
        process.send_signal(signal.SIGINT)
        exit_code = process.wait(timeout=20)
    assert exit_code == 0


def _wait_for(url: str) -> list[dict[str, object]]:
    """GET a URL, retrying while the server is still binding its port."""
    for _ in range(200):
        try:
            return list(httpx.get(url, timeout=5).json())
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")
