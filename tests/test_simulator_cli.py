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


def test_ctrl_c_during_a_crawl_is_one_message_without_tracebacks(tmp_path: Path) -> None:
    """Ctrl-C at the terminal (SIGINT to the whole process group) in the middle of a crawl:
    one line saying what the file holds and what to do, exit 130; before, the command and
    its simulator process each printed a traceback."""
    import os

    crawl = ["simulator", "crawl", "--players", "300", "--cycles", "500"]
    process = subprocess.Popen(
        [*SMURF, "--db", str(tmp_path / "crawl.duckdb"), *crawl],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        while not any("round 1/500" in line for line in seen):
            line = process.stderr.readline()
            assert line, "".join(seen)
            seen.append(line)
        os.killpg(process.pid, signal.SIGINT)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    said = "".join(seen) + rest
    assert process.returncode == 130, said
    assert "Interrupted: " in said and "crawl again with --replace" in said
    assert "Traceback" not in said
