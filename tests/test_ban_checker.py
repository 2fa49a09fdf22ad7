"""BAN_CHECKER against a simulated world whose accounts get suspended, banned and transferred
while its clock moves; the job's clock follows the simulator's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.jobs import JobContext, JobStatus
from pipeline.log import configure_logging
from pipeline.riot import RateLimiter
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.simulator.lifecycle import Lifecycle
from pipeline.simulator.population import NEVER_S
from pipeline.store import Database
from tests.sim_helpers import (
    PausedClock,
    count,
    job_context,
    run_job,
    set_job_config,
    store_served_match,
    track,
)

UNLIMITED = {"app_limit": "100000:1", "method_limit": "100000:1"}
EVENTS = {"ban_share": 0.1, "suspension_share": 0.1, "transfer_share": 0.1, "event_days": 4}


def world_config(**changes: Any) -> SimulatorConfig:
    return SimulatorConfig(
        **{"seed": 3, "players": 300, "history_days": 30, **UNLIMITED, **EVENTS, **changes}
    )


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """A world of its own per test: the tests move its clock."""
    with serve_in_thread(world_config()) as running:
        yield running


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="warning")


def sim_clock(sim: RunningSimulator) -> datetime:
    return datetime(1970, 1, 1) + (np.datetime64(sim.world.now_s, "s") - np.datetime64(0, "s"))


def context(db_path: Path, sim: RunningSimulator) -> JobContext:
    """A job context whose clock is the simulator's."""
    return job_context(db_path, sim, clock=lambda: sim_clock(sim))


def events(sim: RunningSimulator) -> Lifecycle:
    assert sim.world.lifecycle is not None
    return sim.world.lifecycle


def flag(db_path: Path, sim: RunningSimulator, players: list[int], platform: str = "euw1") -> None:
    """Store these players as the crawl would and score them SMURF."""
    world = sim.world
    names, tags = world.current_riot_ids()
    with Database(db_path).write() as con:
        for player in players:
            puuid = str(world.players.puuid[player])
            con.execute(
                "INSERT INTO players (puuid, platform, game_name, tag_line) VALUES (?, ?, ?, ?)",
                [puuid, platform, str(names[player]), str(tags[player])],
            )
            con.execute(
                "INSERT INTO smurf_scores (puuid, scored_at, model_version, smurf_score,"
                " boosted_score, label, games_analyzed, matches_stored)"
                " VALUES (?, now()::TIMESTAMP, 'test', 0.9, 0.1, 'SMURF', 20, 20)",
                [puuid],
            )
    store_served_match(db_path, sim, str(world.players.puuid[players[0]]))


def statuses(db_path: Path, sim: RunningSimulator, player: int) -> list[str]:
    with Database(db_path).read() as con:
        rows = con.execute(
            "SELECT status FROM account_checks WHERE puuid = ? ORDER BY checked_at, id",
            [str(sim.world.players.puuid[player])],
        ).fetchall()
    return [r[0] for r in rows]


def reasons(db_path: Path, sim: RunningSimulator, player: int) -> list[str]:
    """The reasons of the player's latest check."""
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT evidence FROM account_checks WHERE puuid = ? ORDER BY checked_at DESC, id DESC",
            [str(sim.world.players.puuid[player])],
        ).fetchone()
    assert row is not None
    return list(json.loads(row[0])["reasons"])


def advance_to(sim: RunningSimulator, at_s: int) -> None:
    sim.advance(hours=max(at_s - sim.world.now_s, 0) / 3600)


def with_rank(sim: RunningSimulator, chosen: np.ndarray) -> int:
    """The one of ``chosen`` with the most ranked games (so league-v4 lists an entry)."""
    players = sim.world.players
    ranked = players.prior_wins + players.wins + players.prior_losses + players.losses
    return int(max(chosen, key=lambda p: (ranked[p], -p)))


def test_a_suspension_goes_unavailable_and_back_to_active_when_it_ends(
    db_path: Path, sim: RunningSimulator
) -> None:
    """ACTIVE, then UNAVAILABLE while suspended, then found again at the lower cadence."""
    lifecycle = events(sim)
    player = with_rank(sim, np.flatnonzero(lifecycle.suspended_at_s < NEVER_S))
    flag(db_path, sim, [player])
    set_job_config(db_path, "BAN_CHECKER", ban_check_days=1, unavailable_recheck_days=2)
    jobs = context(db_path, sim)
    assert run_job(jobs, "BAN_CHECKER").status is JobStatus.SUCCESS
    advance_to(sim, int(lifecycle.suspended_at_s[player]) + 3600)
    run_job(jobs, "BAN_CHECKER")
    run_job(jobs, "BAN_CHECKER")  # a NOT_FOUND_ONCE is confirmed at once, however recent
    assert statuses(db_path, sim, player)[-1] == "UNAVAILABLE"
    sim.advance(hours=24)
    run_job(jobs, "BAN_CHECKER")  # not due yet: UNAVAILABLE is re-checked every 2 days
    assert statuses(db_path, sim, player)[-1] == "UNAVAILABLE"
    checks = len(statuses(db_path, sim, player))
    advance_to(sim, int(lifecycle.suspended_until_s[player]) + 3 * 24 * 3600)
    run_job(jobs, "BAN_CHECKER")
    history = statuses(db_path, sim, player)
    assert len(history) > checks
    assert history[0] in ("ACTIVE", "INACTIVE") and history[-1] in ("ACTIVE", "INACTIVE")
    assert "answers again after UNAVAILABLE" in reasons(db_path, sim, player)


def test_a_transfer_is_found_and_moves_the_player(db_path: Path, sim: RunningSimulator) -> None:
    """The account answers, its summoner left: TRANSFERRED, and the player's platform moves."""
    lifecycle = events(sim)
    player = with_rank(sim, np.flatnonzero(lifecycle.transferred_at_s < NEVER_S))
    destination = str(lifecycle.transfer_platform[player])
    flag(db_path, sim, [player])
    set_job_config(db_path, "BAN_CHECKER", ban_check_days=1)
    jobs = context(db_path, sim)
    run_job(jobs, "BAN_CHECKER")
    advance_to(sim, int(lifecycle.transferred_at_s[player]) + 3600)
    sim.advance(hours=24)
    outcome = run_job(jobs, "BAN_CHECKER")
    puuid = str(sim.world.players.puuid[player])
    assert statuses(db_path, sim, player)[-1] == "TRANSFERRED"
    assert outcome.metrics["records_updated"] == 1
    assert count(db_path, "SELECT count(*) FROM players WHERE platform = ?", [destination]) == 1
    sim.advance(hours=24)
    run_job(jobs, "BAN_CHECKER")  # asked on the new platform now: no longer a transfer
    assert statuses(db_path, sim, player)[-1] in ("ACTIVE", "INACTIVE")
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT platform, previous_platform FROM account_checks WHERE puuid = ?"
            " AND status = 'TRANSFERRED'",
            [puuid],
        ).fetchone()
    assert row == (destination, "euw1")


def test_without_get_active_region_the_region_is_probed(db_path: Path) -> None:
    """When account-v1 cannot name the platform, the region's other platforms are asked."""
    with serve_in_thread(world_config(serve_active_region=False)) as sim:
        lifecycle = events(sim)
        moved = lifecycle.transferred_at_s < NEVER_S
        near = np.isin(lifecycle.transfer_platform, ["eun1", "me1", "ru", "tr1"])
        player = with_rank(sim, np.flatnonzero(moved & near))
        flag(db_path, sim, [player])
        advance_to(sim, int(lifecycle.transferred_at_s[player]) + 3600)
        run_job(context(db_path, sim), "BAN_CHECKER")
        assert statuses(db_path, sim, player) == ["TRANSFERRED"]
        destination = str(lifecycle.transfer_platform[player])
        assert count(db_path, "SELECT count(*) FROM players WHERE platform = ?", [destination]) == 1


def test_a_confirmation_is_checked_before_an_older_backlog(
    db_path: Path, sim: RunningSimulator
) -> None:
    """With room for one check, the NOT_FOUND_ONCE account is confirmed, not a never-checked one."""
    lifecycle = events(sim)
    banned = int(np.flatnonzero(lifecycle.banned_at_s < NEVER_S)[0])
    others = (sim.world.players.banned_at_s == NEVER_S) & (lifecycle.banned_at_s == NEVER_S)
    backlog = [int(p) for p in np.flatnonzero(others)[:5]]
    flag(db_path, sim, [banned])
    jobs = context(db_path, sim)
    advance_to(sim, int(lifecycle.banned_at_s[banned]) + 3600)
    run_job(jobs, "BAN_CHECKER")
    assert statuses(db_path, sim, banned) == ["NOT_FOUND_ONCE"]  # nothing seen before it
    flag(db_path, sim, backlog)
    set_job_config(db_path, "BAN_CHECKER", max_checks_per_run=1, ban_check_days=7)
    run_job(jobs, "BAN_CHECKER")
    assert statuses(db_path, sim, banned) == ["NOT_FOUND_ONCE", "UNAVAILABLE"]
    assert count(db_path, "SELECT count(*) FROM account_checks") == 2


def test_a_vanished_footprint_is_unavailable_at_the_first_404(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Ranked before, none now, no game since: UNAVAILABLE without waiting for a second run."""
    lifecycle = events(sim)
    banned = with_rank(sim, np.flatnonzero(lifecycle.banned_at_s < NEVER_S))
    flag(db_path, sim, [banned])
    set_job_config(db_path, "BAN_CHECKER", ban_check_days=1)
    jobs = context(db_path, sim)
    advance_to(sim, int(lifecycle.banned_at_s[banned]) - 3600)
    run_job(jobs, "BAN_CHECKER")  # just before the ban: ranked, newest game seen
    sim.advance(hours=24)
    outcome = run_job(jobs, "BAN_CHECKER")
    assert statuses(db_path, sim, banned)[-1] == "UNAVAILABLE"
    # account, the stored match that confirms its 404 is no wrong address, summoner,
    # league, match ids
    assert outcome.metrics["api_requests_made"] == 5
    with Database(db_path).read() as con:
        flags = con.execute(
            "SELECT ranked_entries_gone, history_frozen FROM account_checks"
            " WHERE status = 'UNAVAILABLE'"
        ).fetchone()
    assert flags == (True, True)


def test_jobs_logs_show_the_evidence(db_path: Path, sim: RunningSimulator) -> None:
    """`smurf jobs logs` prints each check's status and the reasons for it."""
    lifecycle = events(sim)
    banned = int(np.flatnonzero(lifecycle.banned_at_s < NEVER_S)[0])
    flag(db_path, sim, [banned])
    advance_to(sim, int(lifecycle.banned_at_s[banned]) + 3600)
    outcome = run_job(context(db_path, sim), "BAN_CHECKER")
    result = CliRunner().invoke(
        cli, ["--db", str(db_path), "jobs", "logs", str(outcome.execution_id)]
    )
    assert result.exit_code == 0, result.output
    assert "ban_check.recorded" in result.output
    assert "NOT_FOUND_ONCE" in result.output
    assert "summoner-v4 404 on euw1" in result.output


def test_the_recheck_cadence_of_unavailable_accounts_is_a_setting(db_path: Path) -> None:
    """`smurf jobs set` accepts unavailable_recheck_days and refuses a negative one."""
    runner = CliRunner()
    ok = runner.invoke(
        cli, ["--db", str(db_path), "jobs", "set", "4", "unavailable_recheck_days=30"]
    )
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(
        cli, ["--db", str(db_path), "jobs", "set", "4", "unavailable_recheck_days=-1"]
    )
    assert bad.exit_code != 0
    assert "unavailable_recheck_days must be between 0 and 3,650" in bad.output


def test_a_rate_limited_run_keeps_its_checks_and_the_next_run_finishes(db_path: Path) -> None:
    """Checks done before the rate limit are committed; the next run checks only the rest."""
    with serve_in_thread(world_config(app_limit="30:1,60:5")) as sim:
        players = [int(p) for p in np.flatnonzero(sim.world.players.banned_at_s == NEVER_S)[:25]]
        flag(db_path, sim, players)
        # No time passes for the first run's limiter: on a slow machine the windows would
        # end before it filled one, and it would check everyone.
        paused = PausedClock()
        limiter = RateLimiter(clock=paused)
        impatient = job_context(
            db_path, sim, max_wait_s=0.05, limiter=limiter, clock=lambda: sim_clock(sim)
        )
        first = run_job(impatient, "BAN_CHECKER")
        assert first.status is JobStatus.RATE_LIMITED
        kept = count(db_path, "SELECT count(*) FROM account_checks")
        assert 0 < kept < 25
        assert first.metrics["records_created"] == kept
        paused.resume()
        patient = job_context(
            db_path, sim, max_wait_s=30, limiter=impatient.limiter, clock=lambda: sim_clock(sim)
        )
        assert run_job(patient, "BAN_CHECKER").status is JobStatus.SUCCESS
        assert count(db_path, "SELECT count(DISTINCT puuid) FROM account_checks") == 25
        assert count(db_path, "SELECT count(*) FROM account_checks") == 25


def test_the_first_check_weighs_what_the_crawl_stored(db_path: Path, sim: RunningSimulator) -> None:
    """Never checked before, a banned player's stored rank and newest game are the last look:
    ranked entries gone and no game since make the first 404 UNAVAILABLE."""
    lifecycle = events(sim)
    banned = with_rank(sim, np.flatnonzero(lifecycle.banned_at_s < NEVER_S))
    puuid = str(sim.world.players.puuid[banned])
    track(db_path, [puuid])
    jobs = context(db_path, sim)
    advance_to(sim, int(lifecycle.banned_at_s[banned]) - 3600)
    run_job(jobs, "TRACKED_PLAYER_UPDATER")  # the crawl: games, level and rank before the ban
    assert count(db_path, "SELECT count(*) FROM rank_snapshots WHERE tier IS NOT NULL") > 0
    with Database(db_path).write() as con:
        con.execute(
            "INSERT INTO smurf_scores (puuid, scored_at, model_version, smurf_score,"
            " boosted_score, label, games_analyzed, matches_stored)"
            " VALUES (?, now()::TIMESTAMP, 'test', 0.9, 0.1, 'SMURF', 20, 20)",
            [puuid],
        )
    sim.advance(hours=24)
    run_job(jobs, "BAN_CHECKER")
    assert statuses(db_path, sim, banned) == ["UNAVAILABLE"]
    assert "ranked entries gone" in reasons(db_path, sim, banned)
    # Its first look compares with what the crawl stored, and says so.
    assert "no game since the newest stored game" in reasons(db_path, sim, banned)
    assert not any("last look" in reason for reason in reasons(db_path, sim, banned))
