"""TRACKED_PLAYER_UPDATER asks for a tracked player's profile (level and rank) when the
player has played since its last update, and keeps the stored one otherwise (over real HTTP
to the simulator)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.jobs import JobStatus
from pipeline.jobs.tracked_player_updater import PROFILE_REUSE_HOURS
from pipeline.log import configure_logging
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from pipeline.store.job_records import utcnow
from pipeline.store.players import track_player
from tests.sim_helpers import (
    TEST_KEY,
    job_context,
    profile_checked_at,
    run_job,
    set_job_config,
    track,
)

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


def _newest_game(sim: RunningSimulator, puuid: str) -> str:
    return _listed(sim, puuid)[0]


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
    checked_at = profile_checked_at(db_path, puuid)
    assert checked_at is not None

    assert _update_counting_profile_requests(db_path, sim) == 0
    assert profile_checked_at(db_path, puuid) == checked_at

    newest = _newest_game(sim, puuid)
    for _ in range(48):  # until the player has played again
        sim.advance(1)
        if _newest_game(sim, puuid) != newest:
            newest = _newest_game(sim, puuid)
            break
    else:
        pytest.fail("The player did not play in two days.")
    assert _update_counting_profile_requests(db_path, sim) == len(PROFILE_METHODS)
    played_at = profile_checked_at(db_path, puuid)
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


def _listed(sim: RunningSimulator, puuid: str) -> list[str]:
    """Every game of the player's the API lists, newest first."""
    base = sim.base_url.format(route="europe")
    ids = httpx.get(
        f"{base}/lol/match/v5/matches/by-puuid/{puuid}/ids",
        params={"count": 100},
        headers={"X-Riot-Token": TEST_KEY},
    ).json()
    return [str(i) for i in ids]


def _store_as_another_job(db_path: Path, sim: RunningSimulator, match_ids: list[str]) -> None:
    """Store these games from the API's answers, as MATCH_FETCHER would."""
    from pipeline.store import parse_match, write_matches

    base = sim.base_url.format(route="europe")
    parsed = [
        parse_match(
            httpx.get(
                f"{base}/lol/match/v5/matches/{match_id}", headers={"X-Riot-Token": TEST_KEY}
            ).json()
        )
        for match_id in match_ids
    ]
    with Database(db_path).write() as con:
        write_matches(con, parsed)


def _stored(db_path: Path, match_ids: list[str]) -> set[str]:
    with Database(db_path).read() as con:
        rows = con.execute(
            "SELECT match_id FROM matches WHERE match_id IN (SELECT unnest(?))", [match_ids]
        ).fetchall()
    return {r[0] for r in rows}


def test_games_another_job_stored_move_the_watermark_on(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A newly tracked player whose games are all stored already (by MATCH_FETCHER) is asked
    for a profile once, not on every run; later games another job stores move the watermark
    on too, but never past a game left unstored for a later run."""
    active = [
        t
        for t in sim.truth()
        if not t["is_banned"] and t["platform"] == "euw1" and 5 <= t["games"] <= 60
    ]
    puuid = max(active, key=lambda t: (t["games"], t["puuid"]))["puuid"]
    history = _listed(sim, puuid)
    assert 5 <= len(history) < 100
    _store_as_another_job(db_path, sim, history)
    with Database(db_path).write() as con:  # as `smurf track` does
        track_player(con, puuid=puuid, game_name=None, tag_line=None, platform="euw1", now=utcnow())
    assert _update_counting_profile_requests(db_path, sim) == len(PROFILE_METHODS)
    assert _update_counting_profile_requests(db_path, sim) == 0

    # Three new games; another job stores the newest only, and a run takes one game at most.
    for _ in range(24 * 14):
        sim.advance(1)
        if len(_listed(sim, puuid)) >= len(history) + 3:
            break
    else:
        pytest.fail("The player did not play three games in two weeks.")
    new_games = [i for i in _listed(sim, puuid) if i not in history]
    _store_as_another_job(db_path, sim, new_games[:1])
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=1)
    for run in range(len(new_games)):
        # A run takes the oldest game left, which only the run after the last may leave out.
        assert _update_counting_profile_requests(db_path, sim) == len(PROFILE_METHODS), run
        if _stored(db_path, new_games) == set(new_games):
            break
    assert _stored(db_path, new_games) == set(new_games)
    assert _update_counting_profile_requests(db_path, sim) == 0
