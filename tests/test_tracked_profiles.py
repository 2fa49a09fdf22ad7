"""TRACKED_PLAYER_UPDATER asks for a tracked player's profile (level and rank) when the
player has played since its last update, and keeps the stored one otherwise (over real HTTP
to the simulator)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from pipeline.jobs import JobStatus
from pipeline.jobs.tracked_player_updater import PROFILE_REUSE_HOURS
from pipeline.log import configure_logging
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from tests.sim_helpers import TEST_KEY, job_context, run_job, set_job_config, track

PROFILE_METHODS = ("summoner-v4.getByPUUID", "league-v4.getLeagueEntriesByPUUID")


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="warning")


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """A world of the test's own: its clock is moved on."""
    with serve_in_thread(SimulatorConfig(seed=31, players=400, app_limit="200:1,5000:120")) as s:
        yield s


def _update_counting_profile_requests(db_path: Path, sim: RunningSimulator) -> int:
    def asked() -> int:
        by_method = sim.stats()["by_method"]
        return sum(int(by_method.get(method, 0)) for method in PROFILE_METHODS)

    before = asked()
    assert run_job(job_context(db_path, sim), "TRACKED_PLAYER_UPDATER").status is JobStatus.SUCCESS
    return asked() - before


def _checked_at(db_path: Path, puuid: str) -> datetime | None:
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT summoner_checked_at FROM players WHERE puuid = ?", [puuid]
        ).fetchone()
    assert row is not None
    return row[0]


def _newest_game(sim: RunningSimulator, puuid: str) -> str:
    base = sim.base_url.format(route="europe")
    ids = httpx.get(
        f"{base}/lol/match/v5/matches/by-puuid/{puuid}/ids",
        params={"count": 1},
        headers={"X-Riot-Token": TEST_KEY},
    ).json()
    return str(ids[0])


def test_a_tracked_player_who_has_not_played_keeps_the_stored_profile(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A run that finds no game since the last update asks summoner-v4 and league-v4
    nothing, and the profile keeps its time; once the player has played, the run that
    stores the game asks again, as does a run once the profile is PROFILE_REUSE_HOURS old."""
    active = [t for t in sim.truth() if not t["is_banned"] and t["platform"] == "euw1"]
    puuid = max(active, key=lambda t: (t["games"], t["puuid"]))["puuid"]
    track(db_path, [puuid])
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=100)
    assert _update_counting_profile_requests(db_path, sim) == len(PROFILE_METHODS)
    checked_at = _checked_at(db_path, puuid)
    assert checked_at is not None

    assert _update_counting_profile_requests(db_path, sim) == 0
    assert _checked_at(db_path, puuid) == checked_at

    newest = _newest_game(sim, puuid)
    for _ in range(48):  # until the player has played again
        sim.advance(1)
        if _newest_game(sim, puuid) != newest:
            newest = _newest_game(sim, puuid)
            break
    else:
        pytest.fail("The player did not play in two days.")
    assert _update_counting_profile_requests(db_path, sim) == len(PROFILE_METHODS)
    played_at = _checked_at(db_path, puuid)
    assert played_at is not None and played_at > checked_at
    with Database(db_path).read() as con:
        stored = con.execute("SELECT count(*) FROM matches WHERE match_id = ?", [newest])
        assert stored.fetchone() == (1,)
    assert _update_counting_profile_requests(db_path, sim) == 0

    with Database(db_path).write() as con:
        con.execute(
            "UPDATE players SET summoner_checked_at = summoner_checked_at - to_hours(?)"
            " WHERE puuid = ?",
            [PROFILE_REUSE_HOURS, puuid],
        )
    assert _update_counting_profile_requests(db_path, sim) == len(PROFILE_METHODS)
