"""`smurf simulator serve` as a user runs it: a real process, a real port, Ctrl-C to stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pipeline.simulator.server import free_port
from pipeline.store import read

SMURF = [sys.executable, "-m", "pipeline.cli"]


def _serve(tmp_path: Path, port: int, *more: str) -> subprocess.Popen[str]:
    """`smurf simulator serve` of a 60-player world (seed 5) on ``port``, in the background."""
    return subprocess.Popen(
        [
            *SMURF,
            "simulator",
            "serve",
            "--port",
            str(port),
            "--players",
            "60",
            "--seed",
            "5",
            *more,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )


def test_serve_prints_the_base_url_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """serve prints the RIOT_API_BASE to use, answers the API there, and exits 0 on SIGINT."""
    port = free_port()
    process = _serve(tmp_path, port)
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


@pytest.mark.parametrize("fixed", [False, True])
def test_serve_brings_its_world_up_to_the_real_date_unless_the_clock_is_fixed(
    tmp_path: Path, fixed: bool
) -> None:
    """The product's jobs go by the real clock: by default serve moves the world on by whole
    weeks, so its newest games are from the week before today (a world left at 2026-11-20
    looks ever older, its players INACTIVE to the ban checker once that is 30 days ago);
    --fixed-clock keeps 2026-11-20 (the real clock read here, as a user's run reads it)."""
    from datetime import UTC, datetime, timedelta

    from pipeline.simulator.world import DEFAULT_NOW

    port = free_port()
    process = _serve(tmp_path, port, *(["--fixed-clock"] if fixed else []))
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().format(route="europe")
        truth = _wait_for(f"http://127.0.0.1:{port}/__sim/truth")
        busiest = max(truth, key=lambda t: (int(str(t["games"])), str(t["puuid"])))
        ids_url = f"{base_url}/lol/match/v5/matches/by-puuid/{busiest['puuid']}/ids"
        newest_id = httpx.get(ids_url, params={"count": 1}).json()[0]
        match = httpx.get(f"{base_url}/lol/match/v5/matches/{newest_id}").json()
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    started = datetime.fromtimestamp(match["info"]["gameStartTimestamp"] / 1000, UTC)
    if fixed:
        assert DEFAULT_NOW - timedelta(days=1) < started < DEFAULT_NOW
        assert "the world's clock: fixed" in stderr
    else:
        now = datetime.now(UTC)
        assert now - timedelta(days=8) < started < now
        assert f"after {DEFAULT_NOW:%Y-%m-%d})" in stderr


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


def _export_stopped_at(db_path: Path, stage: str, sig: signal.Signals, *extra: str) -> str:
    """Run `smurf simulator export` into ``db_path``, send ``sig`` once its progress shows
    ``stage``, and give back all it said on stderr."""
    import os

    export = ["simulator", "export", "--players", "6000", "--seed", "2", *extra]
    process = subprocess.Popen(
        [*SMURF, "--db", str(db_path), "--log-json", *export],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=db_path.parent,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        while not any(stage in line for line in seen):
            line = process.stderr.readline()
            assert line, "".join(seen)
            seen.append(line)
        os.killpg(process.pid, sig)
        _, rest = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    return "".join(seen) + rest + f"\nexit status {process.returncode}"


@pytest.mark.parametrize(
    ("stage", "sig", "said"),
    [
        ("world: 0/1", signal.SIGINT, "Interrupted: "),  # the world being built
        ("world: 1/1", signal.SIGINT, "Interrupted: "),  # its games being written
        ("world: 1/1", signal.SIGTERM, "Stopped by SIGTERM: "),
    ],
    ids=["ctrl-c-building", "ctrl-c-writing", "sigterm-writing"],
)
def test_a_stopped_export_leaves_no_file_at_its_path(
    tmp_path: Path, stage: str, sig: signal.Signals, said: str
) -> None:
    """An export stopped by Ctrl-C or SIGTERM leaves nothing at --db, nor a partial file
    beside it, and says so (exit 130 or 143); it left a migrated, empty or half-written
    database there, which read as an export."""
    folder = tmp_path / "exports"
    folder.mkdir()
    db_path = folder / "sim.duckdb"
    output = _export_stopped_at(db_path, stage, sig)
    assert list(folder.iterdir()) == []
    status = 130 if sig is signal.SIGINT else 143
    assert output.endswith(f"exit status {status}"), output
    assert f"{said}nothing was exported, and no {db_path} was made." in output
    assert "Traceback" not in output


def test_a_stopped_export_with_replace_leaves_the_old_database_as_it_was(tmp_path: Path) -> None:
    """--replace replaces the file once the new world is whole: an export stopped midway
    leaves the old database, its data included, where it was (it was deleted first)."""
    from tests.test_simulator_export import _own_data

    db_path = tmp_path / "own.duckdb"
    _own_data(db_path)
    output = _export_stopped_at(db_path, "world: 1/1", signal.SIGINT, "--replace")
    with read(db_path) as con:
        assert con.execute("SELECT puuid FROM players").fetchall() == [("own-player",)]
    assert output.endswith("exit status 130"), output
    assert f"Interrupted: nothing was exported, and {db_path} is as it was." in output
    assert {p.name for p in tmp_path.iterdir()} <= {"own.duckdb", "own.duckdb.wal"}


@pytest.mark.parametrize(
    ("players", "said"),
    [
        (
            "1000000000000",
            "1,000,000,000,000 players are more than a simulated world holds: give at most "
            "200,000 (that many take about 3 GB of memory and minutes to build).",
        ),
        ("5", "5 players cannot fill a match: give at least 10."),
    ],
    ids=["huge", "too-few"],
)
@pytest.mark.parametrize("command", ["serve", "export", "crawl"])
def test_a_world_size_out_of_bounds_is_a_usage_error_saying_what_to_give(
    tmp_path: Path, command: str, players: str, said: str
) -> None:
    """--players beyond what a world holds is refused before anything is built, in one
    line that names the bounds (a huge one ended in a MemoryError traceback)."""
    from click.testing import CliRunner

    from pipeline.cli import cli

    db_path = tmp_path / "sim.duckdb"
    where = ["--port", str(free_port())] if command == "serve" else ["--db", str(db_path)]
    result = CliRunner().invoke(cli, ["simulator", command, "--players", players, *where])
    assert result.exit_code == 2, result.output
    assert f"Error: Invalid value for '--players': {said}" in result.stderr
    assert "Traceback" not in result.output and "Building" not in result.output
    assert list(tmp_path.iterdir()) == []
