"""MATCH_FETCHER spends part of its budget on suspects: more games where a label is close."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from pipeline.jobs import JobStatus
from pipeline.log import configure_logging
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from pipeline.store.players import NEW_ACCOUNT_LEVEL
from tests.sim_helpers import job_context, run_job, set_job_config, track

WORLD = SimulatorConfig(seed=31, players=400, app_limit="200:1,5000:120")


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="warning")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


def _discovered(db_path: Path, sim: RunningSimulator) -> list[str]:
    """Track one busy player, store their games, and list the players discovered in them
    in the order the fetcher would take them without suspects: every account's stored
    games are set to an established level, so none comes first as a new account."""
    busiest = max((t for t in sim.truth() if not t["is_banned"]), key=lambda t: t["games"])
    track(db_path, [busiest["puuid"]])
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=4)
    assert run_job(job_context(db_path, sim), "TRACKED_PLAYER_UPDATER").status is JobStatus.SUCCESS
    _set_level(db_path, None, NEW_ACCOUNT_LEVEL + 100)
    with Database(db_path).read() as con:
        rows = con.execute(
            "SELECT puuid FROM players WHERE NOT is_tracked ORDER BY discovered_at, puuid"
        ).fetchall()
    return [r[0] for r in rows]


def _set_level(db_path: Path, puuids: list[str] | None, level: int) -> None:
    """The summoner level the stored games of ``puuids`` (None: everyone) show."""
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE match_participants SET summoner_level = $level"
            " WHERE $all OR puuid IN (SELECT unnest($puuids::VARCHAR[]))",
            {"level": level, "all": puuids is None, "puuids": puuids or []},
        )


def _suspect(db_path: Path, puuids: list[str], score: float) -> None:
    with Database(db_path).write() as con:
        for puuid in puuids:
            con.execute(
                "INSERT INTO smurf_scores (puuid, scored_at, model_version, smurf_score,"
                " boosted_score, label, games_analyzed, matches_stored)"
                " VALUES (?, ?, 'test', ?, 0.01, 'INSUFFICIENT_DATA', 1, 1)",
                [puuid, datetime(2026, 11, 1), score],
            )


def _fetched(db_path: Path) -> set[str]:
    with Database(db_path).read() as con:
        rows = con.execute("SELECT puuid FROM players WHERE last_fetched_at IS NOT NULL").fetchall()
    return {r[0] for r in rows}


def test_suspects_are_fetched_before_the_discovery_order(
    db_path: Path, sim: RunningSimulator
) -> None:
    """With five places and two for suspects, the two most suspicious late discoveries are
    fetched, and the other three places go to the first discovered."""
    discovered = _discovered(db_path, sim)
    assert len(discovered) > 20
    late = discovered[-3:]
    _suspect(db_path, late, 0.9)
    _suspect(db_path, [late[0]], 0.95)  # a newer score: the latest counts
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=5,
        matches_per_player_per_run=3,
        suspects_per_run=2,
        suspect_score_percent=30,
    )
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    fetched = _fetched(db_path)
    assert len(fetched) == 5
    assert late[0] in fetched
    assert len(fetched & set(late)) == 2
    assert len(fetched & set(discovered[:3])) == 3


def _add_games(db_path: Path, puuid: str, games: int) -> None:
    """``games`` more stored games for ``puuid``: copies of one of theirs under new ids."""
    with Database(db_path).write() as con:
        for number in range(games):
            con.execute(
                "INSERT INTO match_participants SELECT * REPLACE (? AS match_id)"
                " FROM match_participants WHERE puuid = ? LIMIT 1",
                [f"EUW1_TEST{number}", puuid],
            )


def test_suspects_with_the_fewest_stored_games_go_first(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A suspect on a handful of games is fetched before a more suspicious one whose games
    already say more; the latter waits its turn in discovery order."""
    discovered = _discovered(db_path, sim)
    late = discovered[-3:]
    _suspect(db_path, [late[0]], 0.95)
    _suspect(db_path, late[1:], 0.5)
    _add_games(db_path, late[0], 6)
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=3,
        matches_per_player_per_run=3,
        suspects_per_run=2,
        suspect_score_percent=30,
    )
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    assert _fetched(db_path) == {*late[1:], discovered[0]}


def test_a_low_score_is_not_a_suspect(db_path: Path, sim: RunningSimulator) -> None:
    """Players below suspect_score_percent wait for their turn in discovery order."""
    discovered = _discovered(db_path, sim)
    _suspect(db_path, discovered[-3:], 0.1)
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=3,
        matches_per_player_per_run=3,
        suspects_per_run=3,
    )
    run_job(job_context(db_path, sim), "MATCH_FETCHER")
    assert _fetched(db_path) == set(discovered[:3])


def test_new_accounts_are_fetched_before_the_discovery_order(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Before players have a score, the ones whose games show a new account (a level below
    NEW_ACCOUNT_LEVEL) are fetched first; the rest wait in discovery order, and a new
    account fetched once takes its turn with the others afterwards."""
    discovered = _discovered(db_path, sim)
    late = discovered[-2:]
    _set_level(db_path, late, NEW_ACCOUNT_LEVEL - 20)
    _set_level(db_path, [discovered[-3]], NEW_ACCOUNT_LEVEL)  # at the level: established
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=4,
        matches_per_player_per_run=3,
    )
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    assert _fetched(db_path) == {*late, *discovered[:2]}
    with Database(db_path).read() as con:
        exhausted = con.execute(
            "SELECT count(*) FROM players WHERE history_exhausted AND puuid IN"
            " (SELECT unnest($late::VARCHAR[]))",
            {"late": late},
        ).fetchone()
    assert exhausted == (0,)  # history left: the next run passes them over by its order
    # The fetched games brought new players (and their own levels): all established again.
    _set_level(db_path, None, NEW_ACCOUNT_LEVEL + 100)
    _set_level(db_path, late, NEW_ACCOUNT_LEVEL - 20)
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    assert _fetched(db_path) == {*late, *discovered[:6]}
