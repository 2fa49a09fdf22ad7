"""The simulated world's clock against the real one: the product's jobs go by the real clock,
so the demo and `smurf simulator serve` move a world on by whole weeks to the real date (the
same games, each as much later), while research worlds keep DEFAULT_NOW."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest

from pipeline.demo import DEMO_CLOCK_SPEED, DemoOptions, demo_config
from pipeline.log import configure_logging
from pipeline.simulator import SimulatorConfig, SimulatorConfigError, build_world, family
from pipeline.simulator.population import NEVER_S
from pipeline.simulator.server import serve_in_thread
from pipeline.simulator.world import DEFAULT_NOW, WEEK_S, weeks_to_reach
from pipeline.store import Database
from tests.sim_helpers import TEST_KEY, job_context, run_job, set_job_config
from tests.test_ban_checker import flag

# A real date far past the fixed one: every game of an unshifted world is months old then.
LATER = datetime(2027, 2, 1, 12, 0)


def _later_by(before: np.ndarray, after: np.ndarray, shift_s: int) -> bool:
    """Whether ``after`` is ``before`` with every time ``shift_s`` later (never stays never)."""
    return bool(np.array_equal(np.where(before >= NEVER_S, before, before + shift_s), after))


def test_a_shifted_world_is_the_same_world_each_time_later_by_whole_weeks() -> None:
    """Shared accounts draw their friend's days by day number, and events follow "now": the
    shifted world still plays the same games, in the same order, each 9 weeks later."""
    config = SimulatorConfig(
        seed=5,
        players=200,
        history_days=30,
        ban_share=0.1,
        suspension_share=0.1,
        transfer_share=0.1,
        assumptions=family("shared-accounts"),
    )
    plain = build_world(config)
    shifted = build_world(SimulatorConfig(**{**vars(config), "clock_shift_weeks": 9}))
    plain.advance(40)
    shifted.advance(40)
    shift_s = 9 * WEEK_S
    assert shifted.now_s - plain.now_s == shift_s == shifted.players.clock_shift_s
    assert plain.players.friend_day_share.any()
    assert shifted.matches.count == plain.matches.count > 0
    for f in fields(plain.matches):
        before, after = getattr(plain.matches, f.name), getattr(shifted.matches, f.name)
        expected = before + shift_s if f.name == "start_s" else before
        assert np.array_equal(expected, after), f.name
    for f in fields(plain.players):
        before, after = getattr(plain.players, f.name), getattr(shifted.players, f.name)
        if f.name == "clock_shift_s":
            continue
        if f.name.endswith("_s"):
            assert _later_by(before, after, shift_s), f.name
        else:
            assert np.array_equal(before, after), f.name
    assert plain.lifecycle is not None and shifted.lifecycle is not None
    for f in fields(plain.lifecycle):
        before, after = getattr(plain.lifecycle, f.name), getattr(shifted.lifecycle, f.name)
        assert (
            _later_by(before, after, shift_s)
            if f.name.endswith("_s")
            else (np.array_equal(before, after))
        ), f.name
    assert [s.at_s + shift_s for s in plain.rank_history] == [s.at_s for s in shifted.rank_history]
    # The same weekday and time of day for every game.
    weekday = (plain.matches.start_s // 86_400 + 4) % 7
    assert np.array_equal(weekday, (shifted.matches.start_s // 86_400 + 4) % 7)


def test_weeks_to_reach_lands_within_a_week_before_the_real_date() -> None:
    assert weeks_to_reach(DEFAULT_NOW - timedelta(days=3)) == 0
    assert weeks_to_reach(DEFAULT_NOW + timedelta(days=6, hours=23)) == 0
    assert weeks_to_reach(DEFAULT_NOW + timedelta(days=7)) == 1
    for ahead_s in (0.0, 3 * 60 * DEMO_CLOCK_SPEED, 60 * 60 * DEMO_CLOCK_SPEED):
        weeks = weeks_to_reach(LATER, ahead_s)  # naive: UTC, as the store keeps times
        end = DEFAULT_NOW + timedelta(weeks=weeks, seconds=ahead_s)
        assert timedelta(0) <= LATER.replace(tzinfo=UTC) - end < timedelta(weeks=1)
    # A clock that would run past the real date even unshifted is not moved back.
    assert weeks_to_reach(LATER, 120 * 60 * DEMO_CLOCK_SPEED) == 0
    with pytest.raises(SimulatorConfigError, match="clock_shift_weeks"):
        SimulatorConfig(clock_shift_weeks=-1)


def test_research_worlds_keep_the_fixed_clock() -> None:
    """`smurf simulator crawl` and `export` build worlds of the default config: DEFAULT_NOW,
    whatever the real date, so a seed's crawl is the same crawl on any day."""
    assert SimulatorConfig().clock_shift_weeks == 0
    assert build_world(SimulatorConfig(seed=1, players=60)).now_s == DEFAULT_NOW.timestamp()


def test_the_demos_world_at_a_later_real_date_serves_recent_games_and_its_players_are_active(
    db_path: Path,
) -> None:
    """The demo's world built on a real date months past DEFAULT_NOW: over HTTP its newest
    games are from the week before that date, and BAN_CHECKER, by that date's clock, calls
    the players who just played ACTIVE (with the world left at DEFAULT_NOW: INACTIVE, "no
    game in the last 30 days")."""
    configure_logging(json_lines=True, level="warning")
    options = DemoOptions(world_size=300, minutes=3.0)
    config = demo_config(options, LATER)
    config = SimulatorConfig(
        **{**vars(config), "app_limit": "100000:1", "method_limit": "100000:1", "clock_speed": 0}
    )
    with serve_in_thread(config) as sim:
        # The demo's scheduler would run its clock on by minutes * DEMO_CLOCK_SPEED.
        sim.advance(hours=options.minutes * 60 * DEMO_CLOCK_SPEED / 3600)
        world = sim.world
        newest = {p: int(world.matches.start_s[world.matches_of(p)[0]]) for p in range(300)}
        chosen = sorted(newest, key=lambda p: (-newest[p], p))[:5]
        base = sim.base_url.format(route="europe")
        puuid = str(world.players.puuid[chosen[0]])
        headers = {"X-Riot-Token": TEST_KEY}
        ids = httpx.get(
            f"{base}/lol/match/v5/matches/by-puuid/{puuid}/ids",
            params={"count": 1},
            headers=headers,
        ).json()
        match = httpx.get(f"{base}/lol/match/v5/matches/{ids[0]}", headers=headers).json()
        started = datetime.fromtimestamp(match["info"]["gameStartTimestamp"] / 1000, UTC)
        assert timedelta(0) < LATER.replace(tzinfo=UTC) - started < timedelta(weeks=1)

        flag(db_path, sim, chosen)
        set_job_config(db_path, "BAN_CHECKER", ban_check_days=0, max_checks_per_run=50)
        run_job(job_context(db_path, sim, clock=lambda: LATER), "BAN_CHECKER")
    with Database(db_path).read() as con:
        statuses = [r[0] for r in con.execute("SELECT status FROM account_checks").fetchall()]
    assert statuses == ["ACTIVE"] * len(chosen)
