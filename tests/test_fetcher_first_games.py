"""MATCH_FETCHER reads a new-account suspect's first ranked games, once, over real HTTP, and
tells a new account by a profile it asks for or, when one was stored lately, reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.analysis.model import NEW_ACCOUNT_LEVEL
from pipeline.analysis.spread import STATE_COLUMNS as SPREAD_STATE_COLUMNS
from pipeline.jobs import JobStatus
from pipeline.jobs.data_manager import PlayerProfile, profile_is_fresh
from pipeline.jobs.match_fetcher import is_new_account
from pipeline.log import configure_logging
from pipeline.riot import RateLimiter
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from pipeline.store.job_records import utcnow
from pipeline.store.players import FIRST_GAMES_LEVEL
from tests.sim_helpers import (
    TEST_KEY,
    PausedClock,
    config_after_upgrade,
    job_context,
    profile_checked_at,
    run_job,
    set_job_config,
    store_served_match,
)

WORLD = SimulatorConfig(seed=31, players=400, app_limit="200:1,5000:120")
PAGE = 5
# Tables migration 026 added lobby_z_sq to: an upgrade test from before it takes that back.
LOBBY_Z_SQ_TABLES = ("player_game_sums", "player_score_inputs")
HEADERS = {"X-Riot-Token": TEST_KEY}
ON = {"first_games_of_new_suspects": True}
OFF = {"first_games_of_new_suspects": False}


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="warning")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


def _level(sim: RunningSimulator, puuid: str) -> int:
    url = sim.base_url.format(route="euw1") + f"/lol/summoner/v4/summoners/by-puuid/{puuid}"
    return int(httpx.get(url, headers=HEADERS).json()["summonerLevel"])


def _ids_url(sim: RunningSimulator, puuid: str) -> str:
    return sim.base_url.format(route="europe") + f"/lol/match/v5/matches/by-puuid/{puuid}/ids"


def _newest_page(sim: RunningSimulator, puuid: str) -> set[str]:
    """The ids of the player's history page from the newest ranked solo game."""
    params = {"count": PAGE, "queue": 420}
    return set(httpx.get(_ids_url(sim, puuid), params=params, headers=HEADERS).json())


def _ranked_ids(sim: RunningSimulator, puuid: str) -> list[str]:
    """Every ranked solo match id of the player, newest first, as the API lists them."""
    url = _ids_url(sim, puuid)
    ids: list[str] = []
    while True:
        page = httpx.get(
            url, params={"queue": 420, "start": len(ids), "count": 100}, headers=HEADERS
        ).json()
        ids.extend(page)
        if len(page) < 100:
            return ids


def _player(sim: RunningSimulator, *, new: bool) -> tuple[str, list[str]]:
    """A smurf on a new account (or anyone on an established one) with 101-199 ranked games,
    so that its first games lie beyond the first page of ids, and its ranked ids."""
    for truth in sim.truth():
        is_smurf = truth["population"].endswith("SMURF")
        if truth["is_banned"] or truth["platform"] != "euw1" or is_smurf != new:
            continue
        level = _level(sim, truth["puuid"])
        if (level < FIRST_GAMES_LEVEL) != new:
            continue
        ids = _ranked_ids(sim, truth["puuid"])
        if 100 < len(ids) < 200:  # two pages of ids: the rate-limit test counts them
            return truth["puuid"], ids
    raise AssertionError("the test world has no such player")


def _suspect(db_path: Path, puuid: str, config: dict[str, Any] | None = None) -> None:
    """An untracked player with a score above the suspect line, and a fetcher with one place,
    for it."""
    with Database(db_path).write() as con:
        con.execute(
            "INSERT INTO players (puuid, platform, is_tracked, discovered_at)"
            " VALUES (?, 'euw1', false, now()::TIMESTAMP)",
            [puuid],
        )
        con.execute(
            "INSERT INTO smurf_scores (puuid, scored_at, model_version, smurf_score,"
            " boosted_score, label, games_analyzed, matches_stored)"
            " VALUES (?, ?, 'test', 0.9, 0.01, 'INSUFFICIENT_DATA', 1, 1)",
            [puuid, datetime(2026, 11, 1)],
        )
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=1,
        matches_per_player_per_run=PAGE,
        suspects_per_run=1,
        **(config or {}),
    )


def _state(db_path: Path, puuid: str) -> tuple[set[str], int, datetime | None]:
    """The player's stored match ids, history index and when its first games were stored."""
    with Database(db_path).read() as con:
        stored = {
            str(r[0])
            for r in con.execute(
                "SELECT match_id FROM match_participants WHERE puuid = ?", [puuid]
            ).fetchall()
        }
        row = con.execute(
            "SELECT history_start_index, first_games_fetched_at FROM players WHERE puuid = ?",
            [puuid],
        ).fetchone()
    assert row is not None
    return stored, int(row[0]), row[1]


def test_a_new_account_suspects_first_ranked_games_are_read_once(
    db_path: Path, sim: RunningSimulator
) -> None:
    """The suspect's run stores the oldest page of its ranked ids (found past the first
    hundred) and leaves the history pages where they were; the next run reads the newest
    page, and the first games are not asked for again."""
    puuid, ids = _player(sim, new=True)
    _suspect(db_path, puuid, ON)
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored == set(ids[-PAGE:])
    assert start_index == 0
    assert first_games_at is not None

    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    stored, start_index, again_at = _state(db_path, puuid)
    assert stored == set(ids[-PAGE:]) | _newest_page(sim, puuid)
    assert start_index == PAGE
    assert again_at == first_games_at


def test_first_games_already_stored_leave_the_run_to_the_history_page(
    db_path: Path, sim: RunningSimulator
) -> None:
    """When the oldest page is stored already, the suspect is marked and gets its history
    page in the same run."""
    puuid, ids = _player(sim, new=True)
    _suspect(db_path, puuid, ON)
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    with Database(db_path).write() as con:
        con.execute("UPDATE players SET first_games_fetched_at = NULL WHERE puuid = ?", [puuid])
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored == set(ids[-PAGE:]) | _newest_page(sim, puuid)
    assert (start_index, first_games_at is not None) == (PAGE, True)


def test_a_new_account_below_the_suspect_line_gets_its_history_page(
    db_path: Path, sim: RunningSimulator
) -> None:
    """First games are for suspects only: a new account scored below the suspect line is
    read from the newest end."""
    puuid, _ = _player(sim, new=True)
    _suspect(db_path, puuid, {**ON, "suspect_score_percent": 95})
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored == _newest_page(sim, puuid)
    assert (start_index, first_games_at) == (PAGE, None)


def test_an_established_account_gets_its_history_page(db_path: Path, sim: RunningSimulator) -> None:
    """A suspect on an account at or above FIRST_GAMES_LEVEL is read from the newest end,
    and is not looked at for first games again."""
    puuid, _ = _player(sim, new=False)
    _suspect(db_path, puuid, ON)
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored == _newest_page(sim, puuid)
    assert start_index == PAGE
    assert first_games_at is not None


def test_first_games_are_on_by_default(db_path: Path, sim: RunningSimulator) -> None:
    """The seeded configuration reads a new-account suspect's first games."""
    puuid, ids = _player(sim, new=True)
    _suspect(db_path, puuid)
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored == set(ids[-PAGE:])
    assert (start_index, first_games_at is not None) == (0, True)


def test_first_games_turned_off_leave_the_suspect_its_history_page(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Turned off, the suspect gets its history page and no mark."""
    puuid, _ = _player(sim, new=True)
    _suspect(db_path, puuid, OFF)
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored == _newest_page(sim, puuid)
    assert start_index == PAGE
    assert first_games_at is None


def test_first_games_cut_short_are_kept_and_asked_for_again(db_path: Path) -> None:
    """A rate limit in the middle of the first games: what arrived is stored, the player is
    not marked, and a later run stores the rest."""
    with serve_in_thread(
        SimulatorConfig(seed=31, players=400, app_limit="7:2", api_key=TEST_KEY)
    ) as tight:
        puuid, ids = _player(tight, new=True)
        _suspect(db_path, puuid, ON)
        # profile (2 requests) + ids (2 pages): 3 matches before the limit. No time passes
        # for the limiter meanwhile: on a slow machine the 2 s window ended before it filled.
        clock = PausedClock()
        impatient = job_context(db_path, tight, max_wait_s=0.05, limiter=RateLimiter(clock=clock))
        assert run_job(impatient, "MATCH_FETCHER").status is JobStatus.RATE_LIMITED
        stored, start_index, first_games_at = _state(db_path, puuid)
        assert 0 < len(stored) < PAGE
        assert stored < set(ids[-PAGE:])
        assert (start_index, first_games_at) == (0, None)
        clock.resume()
        patient = job_context(db_path, tight, max_wait_s=30, limiter=impatient.limiter)
        assert run_job(patient, "MATCH_FETCHER").status is JobStatus.SUCCESS
        stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored == set(ids[-PAGE:])
    assert (start_index, first_games_at is not None) == (0, True)


def _level_of(summoner: dict[str, Any] | None) -> int | None:
    return PlayerProfile("p", "euw1", summoner, []).summoner_level


def test_a_new_account_is_told_by_the_profiles_level() -> None:
    """Below FIRST_GAMES_LEVEL an account is new; without a level nothing is told."""
    assert FIRST_GAMES_LEVEL == NEW_ACCOUNT_LEVEL  # where scoring weighs a new account's rise
    assert is_new_account(_level_of({"summonerLevel": FIRST_GAMES_LEVEL - 1})) is True
    assert is_new_account(_level_of({"summonerLevel": FIRST_GAMES_LEVEL})) is False
    assert is_new_account(_level_of({})) is None
    assert is_new_account(_level_of(None)) is None
    assert is_new_account(None) is None


# ---- the profile: asked for, or read when one was stored lately ------------------------------
NOON = datetime(2026, 11, 20, 12, 0)


@pytest.mark.parametrize(
    ("checked_at", "reuse_hours", "fresh"),
    [
        (None, 24, False),  # never asked for
        (NOON, 24, True),
        (NOON - timedelta(hours=23, minutes=59), 24, True),
        (NOON - timedelta(hours=24), 24, False),
        (NOON - timedelta(hours=30), 48, True),
        (NOON, 0, False),  # reuse turned off
    ],
)
def test_a_profile_is_fresh_while_younger_than_the_reuse_hours(
    checked_at: datetime | None, reuse_hours: int, fresh: bool
) -> None:
    """A stored profile is reused while it is younger than profile_reuse_hours."""
    assert fresh == profile_is_fresh(checked_at, NOON, reuse_hours)


PROFILE_METHODS = ("summoner-v4.getByPUUID", "league-v4.getLeagueEntriesByPUUID")


def _profile_requests(sim: RunningSimulator) -> int:
    """summoner-v4 and league-v4 requests the simulator has answered so far."""
    by_method = sim.stats()["by_method"]
    return sum(int(by_method.get(method, 0)) for method in PROFILE_METHODS)


def _refresh_profiles(db_path: Path, sim: RunningSimulator, puuid: str) -> datetime:
    """Store a game of the player's and let PROFILE_REFRESHER profile everyone in it, as it
    does between the fetcher's runs; the player's profile time."""
    store_served_match(db_path, sim, puuid)
    set_job_config(db_path, "PROFILE_REFRESHER", min_matches_required=1)
    assert run_job(job_context(db_path, sim), "PROFILE_REFRESHER").status is JobStatus.SUCCESS
    checked_at = profile_checked_at(db_path, puuid)
    assert checked_at is not None
    return checked_at


def _fetch_counting_profile_requests(db_path: Path, sim: RunningSimulator) -> int:
    before = _profile_requests(sim)
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    return _profile_requests(sim) - before


def test_a_profile_the_refresher_just_stored_is_not_asked_for_again(
    db_path: Path, sim: RunningSimulator
) -> None:
    """The fetcher reads a profile stored minutes ago instead of asking summoner-v4 and
    league-v4 again, tells the new account by its stored level (its first games are read),
    and leaves the profile's time as it was; its next run reads it too."""
    puuid, ids = _player(sim, new=True)
    _suspect(db_path, puuid, ON)
    checked_at = _refresh_profiles(db_path, sim, puuid)
    assert _fetch_counting_profile_requests(db_path, sim) == 0
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored >= set(ids[-PAGE:])
    assert (start_index, first_games_at is not None) == (0, True)
    assert profile_checked_at(db_path, puuid) == checked_at
    assert _fetch_counting_profile_requests(db_path, sim) == 0
    assert _state(db_path, puuid)[1] == PAGE  # the history page, read in the next run


def test_an_established_account_is_told_by_its_stored_profile(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A suspect whose stored profile shows an established account gets its history page
    without a profile request, and is not looked at for first games again."""
    puuid, _ = _player(sim, new=False)
    _suspect(db_path, puuid, ON)
    _refresh_profiles(db_path, sim, puuid)
    assert _fetch_counting_profile_requests(db_path, sim) == 0
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored >= _newest_page(sim, puuid)
    assert (start_index, first_games_at is not None) == (PAGE, True)


def test_a_stored_profile_that_found_no_account_tells_no_level(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A fresh stored profile whose summoner-v4 answer was 404 is reused as that answer was
    used: no level, so the suspect gets its history page and no first-games mark."""
    puuid, _ = _player(sim, new=True)
    _suspect(db_path, puuid, ON)
    _refresh_profiles(db_path, sim, puuid)
    with Database(db_path).write() as con:  # as recorded when the account was not found
        con.execute("UPDATE players SET profile_found = false WHERE puuid = ?", [puuid])
    assert _fetch_counting_profile_requests(db_path, sim) == 0
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored >= _newest_page(sim, puuid)
    assert (start_index, first_games_at) == (PAGE, None)


@pytest.mark.parametrize(
    ("hours_old", "reuse_hours"),
    [
        (None, 24),  # never profiled
        (25, 24),
        (49, 48),
        (0, 0),  # just profiled, reuse turned off
    ],
)
def test_a_missing_or_stale_profile_is_asked_for(
    db_path: Path, sim: RunningSimulator, hours_old: int | None, reuse_hours: int
) -> None:
    """Without a profile younger than profile_reuse_hours, the fetcher asks summoner-v4 and
    league-v4 for it, stores it with the run's time, and reads the first games by it."""
    puuid, ids = _player(sim, new=True)
    _suspect(db_path, puuid, {**ON, "profile_reuse_hours": reuse_hours})
    if hours_old is not None:
        _refresh_profiles(db_path, sim, puuid)
        with Database(db_path).write() as con:
            con.execute(
                "UPDATE players SET summoner_checked_at = summoner_checked_at - to_hours(?)"
                " WHERE puuid = ?",
                [hours_old, puuid],
            )
    before_run = utcnow()
    assert _fetch_counting_profile_requests(db_path, sim) == len(PROFILE_METHODS)
    stored, start_index, first_games_at = _state(db_path, puuid)
    assert stored >= set(ids[-PAGE:])
    assert (start_index, first_games_at is not None) == (0, True)
    checked_at = profile_checked_at(db_path, puuid)
    assert checked_at is not None and checked_at >= before_run


@pytest.fixture(scope="module")
def queues_sim() -> Iterator[RunningSimulator]:
    """A world large enough for the other queues to fill lobbies (at 400 players they
    seldom do)."""
    with serve_in_thread(SimulatorConfig(seed=31, players=1000, app_limit=WORLD.app_limit)) as s:
        yield s


def test_history_pages_list_ranked_solo_games_only(
    db_path: Path, queues_sim: RunningSimulator
) -> None:
    """A player whose newest games include normals or ARAM: the history page stores the
    newest ranked solo games, none of the others (the scores read only ranked solo), and
    the next page starts past them in the ranked list."""
    sim = queues_sim
    for truth in sim.truth():
        if truth["is_banned"] or truth["platform"] != "euw1":
            continue
        puuid = truth["puuid"]
        every = httpx.get(_ids_url(sim, puuid), params={"count": PAGE}, headers=HEADERS).json()
        ranked = _ranked_ids(sim, puuid)
        if len(ranked) > 2 * PAGE and set(every) - set(ranked):
            break
    else:
        raise AssertionError("the test world has no player with other queues among the newest")
    _suspect(db_path, puuid, OFF)
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    stored, start_index, _ = _state(db_path, puuid)
    assert stored == set(ranked[:PAGE])
    assert start_index == PAGE
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    stored, start_index, _ = _state(db_path, puuid)
    assert stored == set(ranked[: 2 * PAGE])
    assert start_index == 2 * PAGE


def test_the_upgrade_starts_part_read_histories_again_from_the_newest(db_path: Path) -> None:
    """Migration 024: a player part-way through the old every-queue history starts the
    ranked-only list again from its newest end, whatever ranked games are stored of them
    (from their first games or others' lobbies: counting those skipped ranked games); a
    player done, or not started, is left as it was."""
    from pipeline.store import migrate

    with Database(db_path).write() as con:
        for puuid, start, done in (("mid", 20, False), ("done", 2, True), ("new", 0, False)):
            con.execute(
                "INSERT INTO players (puuid, platform, is_tracked, discovered_at,"
                " history_start_index, history_exhausted) VALUES (?, 'euw1', false, now(), ?, ?)",
                [puuid, start, done],
            )
        # The first games of a suspect, ranked, stored beside the 8 of its first page.
        for number in range(28):
            con.execute(
                "INSERT INTO match_participants (match_id, puuid, queue_id) VALUES (?, 'mid', 420)",
                [f"EUW1_{number}"],
            )
        con.execute("DELETE FROM schema_migrations WHERE version >= 24")
        for table in LOBBY_Z_SQ_TABLES:
            con.execute(f"ALTER TABLE {table} DROP COLUMN lobby_z_sq")
        for column in SPREAD_STATE_COLUMNS:  # added by 027
            con.execute(f"ALTER TABLE scoring_state DROP COLUMN {column}")
    assert migrate(db_path)[0].version == 24  # then those after it, again
    with Database(db_path).read() as con:
        starts = dict(con.execute("SELECT puuid, history_start_index FROM players").fetchall())
    assert starts == {"mid": 0, "done": 2, "new": 0}


@pytest.mark.parametrize(("before", "after"), [({}, 24), ({"profile_reuse_hours": 6}, 6)])
def test_the_upgrade_seeds_profile_reuse_hours_and_keeps_a_choice(
    db_path: Path, before: dict[str, Any], after: int
) -> None:
    """Migration 025: a MATCH_FETCHER configuration without profile_reuse_hours gets 24 (the
    refresher's refresh age); one that names it keeps its value, its other keys untouched."""
    undo_later = (
        *(f"ALTER TABLE {t} DROP COLUMN lobby_z_sq" for t in LOBBY_Z_SQ_TABLES),  # 026's
        *(f"ALTER TABLE scoring_state DROP COLUMN {c}" for c in SPREAD_STATE_COLUMNS),  # 027's
    )
    config = {"discovered_players_per_run": 7, **before}
    applied, upgraded = config_after_upgrade(db_path, "MATCH_FETCHER", config, 25, undo_later)
    assert applied[0] == 25
    assert upgraded == {
        "discovered_players_per_run": 7,
        "profile_reuse_hours": after,
        "key_share_percent": 40,  # 029's
    }
