"""Fault soak: the fetch jobs over a faulty API store exactly what they store over a clean one.

The same world is served twice: once with 5xx answers, responses slower than the client's
timeout, malformed bodies, service 429 bursts and a low app limit; once without faults. Both
databases are filled by cycles of TRACKED_PLAYER_UPDATER then MATCH_FETCHER until a cycle
has nothing left to do, and then hold the same matches, participants and players.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pipeline.jobs import ExecutionOutcome, JobStatus
from pipeline.log import configure_logging
from pipeline.simulator import (
    RunningSimulator,
    SimulatorConfig,
    World,
    build_world,
    serve_in_thread,
)
from pipeline.store import Database, migrate
from tests.sim_helpers import count, job_context, run_job, set_job_config, track

FAULTS = {
    "fault_rate": 0.05,
    "slow_rate": 0.02,
    "malformed_rate": 0.01,
    "service_429_rate": 0.02,
    "drop_rate": 0.01,
}
CLIENT_TIMEOUT_S = 0.5
SLOW_RESPONSE_S = 1.5
SOAK_JOBS = ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER")
KEY_QUERIES = {
    "matches": "SELECT match_id FROM matches",
    "participants": "SELECT match_id, puuid FROM match_participants",
    "players": "SELECT puuid FROM players",
}


def soak_config(seed: int, players: int, history_days: int, *, faulty: bool) -> SimulatorConfig:
    """The simulator of a soak: a low app limit always, the faults when ``faulty``."""
    share = 1.0 if faulty else 0.0
    return SimulatorConfig(
        seed=seed,
        players=players,
        history_days=history_days,
        app_limit="60:1,3000:120",
        slow_response_s=SLOW_RESPONSE_S,
        fault_rate=FAULTS["fault_rate"] * share,
        slow_rate=FAULTS["slow_rate"] * share,
        malformed_rate=FAULTS["malformed_rate"] * share,
        service_429_rate=FAULTS["service_429_rate"] * share,
        drop_rate=FAULTS["drop_rate"] * share,
    )


@dataclass
class SoakRun:
    """What cycles of the fetch jobs did to one database."""

    outcomes: list[ExecutionOutcome] = field(default_factory=list)
    cycles: int = 0
    converged: bool = False
    faults: dict[str, int] = field(default_factory=dict)

    def statuses(self) -> Counter[str]:
        return Counter(o.status.value for o in self.outcomes)


def prepare(db_path: Path, tracked: list[str], players_per_run: int = 100_000) -> None:
    """A migrated database that tracks ``tracked`` and crawls whole histories."""
    migrate(db_path)
    track(db_path, tracked)
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=100)
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=players_per_run,
        matches_per_player_per_run=20,
        target_matches_per_player=10_000,
    )


def pending_players(db_path: Path) -> int:
    """Discovered players whose history the fetcher has not finished."""
    return count(
        db_path, "SELECT count(*) FROM players WHERE NOT is_tracked AND NOT history_exhausted"
    )


def soak(
    db_path: Path,
    sim: RunningSimulator,
    tracked: list[str],
    *,
    max_cycles: int,
    players_per_run: int = 100_000,
) -> SoakRun:
    """Cycles of the fetch jobs until one changes nothing and no history is left to fetch."""
    prepare(db_path, tracked, players_per_run)
    context = job_context(db_path, sim, timeout_s=CLIENT_TIMEOUT_S)
    run = SoakRun()
    while run.cycles < max_cycles and not run.converged:
        run.cycles += 1
        cycle = [run_job(context, job) for job in SOAK_JOBS]
        run.outcomes.extend(cycle)
        quiet = all(
            o.status is JobStatus.SUCCESS and o.metrics["records_created"] == 0 for o in cycle
        )
        run.converged = quiet and pending_players(db_path) == 0
    stats = sim.stats()
    run.faults = {**{k: v for k, v in stats["faults"].items() if k != "rates"}}
    run.faults["service_429"] = int(stats["rate_limited"]["service"])
    return run


def stored_keys(db_path: Path) -> dict[str, set[tuple[Any, ...]]]:
    with Database(db_path).read() as con:
        return {
            name: {tuple(row) for row in con.execute(sql).fetchall()}
            for name, sql in KEY_QUERIES.items()
        }


def duplicate_rows(db_path: Path) -> dict[str, int]:
    return {
        name: count(db_path, f"SELECT count(*) FROM ({sql}) t")
        - count(db_path, f"SELECT count(*) FROM (SELECT DISTINCT * FROM ({sql}) d) t")
        for name, sql in KEY_QUERIES.items()
    }


def unfinished_executions(db_path: Path) -> int:
    return count(
        db_path, "SELECT count(*) FROM job_executions WHERE status IN ('PENDING', 'RUNNING')"
    )


def most_active(world_truth: list[dict[str, Any]], n: int) -> list[str]:
    ranked = sorted(
        (t for t in world_truth if not t["is_banned"]), key=lambda t: (-t["games"], t["puuid"])
    )
    return [t["puuid"] for t in ranked[:n]]


# ---- the short soak -----------------------------------------------------------------------
SEED, PLAYERS, HISTORY_DAYS = 25, 30, 14


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(soak_config(SEED, PLAYERS, HISTORY_DAYS, faulty=False))


@pytest.fixture(autouse=True)
def _quiet_logs() -> Iterator[None]:
    configure_logging(json_lines=True, level="critical")
    yield


@pytest.mark.slow
def test_faulty_and_clean_runs_converge_to_the_same_rows(tmp_path: Path, world: World) -> None:
    """Faults covered by retries lose nothing, duplicate nothing and never fail a run."""
    with serve_in_thread(soak_config(SEED, PLAYERS, HISTORY_DAYS, faulty=False), world=world) as s:
        tracked = most_active(s.truth(), 2)
        clean = soak(tmp_path / "clean.duckdb", s, tracked, max_cycles=8)
    with serve_in_thread(soak_config(SEED, PLAYERS, HISTORY_DAYS, faulty=True), world=world) as s:
        faulty = soak(tmp_path / "faulty.duckdb", s, tracked, max_cycles=12)

    assert clean.converged and faulty.converged
    assert sum(faulty.faults.values()) > 0  # the faults really happened
    assert faulty.statuses()["FAILED"] == 0
    assert all(o.status.is_terminal for o in faulty.outcomes)
    for db in ("clean", "faulty"):
        assert unfinished_executions(tmp_path / f"{db}.duckdb") == 0
        assert duplicate_rows(tmp_path / f"{db}.duckdb") == dict.fromkeys(KEY_QUERIES, 0)
    expected = stored_keys(tmp_path / "clean.duckdb")
    assert len(expected["matches"]) > 10
    assert stored_keys(tmp_path / "faulty.duckdb") == expected
