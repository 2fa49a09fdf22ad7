"""Account events while the simulated clock moves: bans, suspensions that end, transfers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from pipeline.simulator import (
    RunningSimulator,
    SimulatorConfig,
    SimulatorConfigError,
    World,
    build_world,
    serve_in_thread,
)
from pipeline.simulator.lifecycle import Lifecycle, draw_lifecycle
from pipeline.simulator.population import DAY_S, NEVER_S

UNLIMITED = {"app_limit": "100000:1", "method_limit": "100000:1"}
EVENTS = {"ban_share": 0.1, "suspension_share": 0.1, "transfer_share": 0.1, "event_days": 4}
CONFIG = SimulatorConfig(seed=5, players=300, history_days=20, **UNLIMITED, **EVENTS)  # type: ignore[arg-type]


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """A world with events, served; each test moves its clock, so each gets its own."""
    with serve_in_thread(CONFIG) as running:
        yield running


def lifecycle_of(world: World) -> Lifecycle:
    assert world.lifecycle is not None
    return world.lifecycle


def get(sim: RunningSimulator, route: str, path: str) -> httpx.Response:
    return httpx.get(f"{sim.url}/{route}{path}", timeout=30)


def lookups(sim: RunningSimulator, puuid: str, platform: str = "euw1") -> tuple[int, int, int]:
    """account-v1, summoner-v4 status codes and the number of league entries."""
    account = get(sim, "europe", f"/riot/account/v1/accounts/by-puuid/{puuid}").status_code
    summoner = get(sim, platform, f"/lol/summoner/v4/summoners/by-puuid/{puuid}").status_code
    entries = get(sim, platform, f"/lol/league/v4/entries/by-puuid/{puuid}").json()
    return account, summoner, len(entries)


def games_between(world: World, player: int, start_s: int, end_s: int) -> int:
    starts = world.matches.start_s[world.matches_of(player)]
    return int(np.count_nonzero((start_s <= starts) & (starts < end_s)))


def ranked_player(world: World, chosen: np.ndarray) -> int:
    """One of ``chosen`` with league entries before its event (placements played)."""
    players = world.players
    games = players.prior_wins + players.wins + players.prior_losses + players.losses
    return int(max(chosen, key=lambda p: (games[p], -p)))


def test_events_change_nothing_before_they_happen() -> None:
    """Until "now" a world with events has exactly the matches of the same world without."""
    plain = build_world(SimulatorConfig(seed=5, players=300, history_days=20))
    eventful = build_world(CONFIG)
    assert eventful.matches.count == plain.matches.count > 0
    assert np.array_equal(eventful.matches.player, plain.matches.player)
    assert plain.lifecycle is None


def test_each_kind_of_event_happens_to_some_accounts_after_now() -> None:
    """Bans, suspensions and transfers each touch some accounts, all within event_days."""
    world = build_world(CONFIG)
    events = lifecycle_of(world)
    for times in (events.banned_at_s, events.suspended_at_s, events.transferred_at_s):
        chosen = times[times < NEVER_S]
        assert len(chosen) > 10
        assert (chosen >= world.now_s).all() and (chosen < world.now_s + 4 * DAY_S).all()
    moved = events.transferred_at_s < NEVER_S
    assert "euw1" not in set(events.transfer_platform[moved])


def test_no_event_befalls_an_account_already_banned_for_good() -> None:
    """An account banned for good two days on gets no event starting after that."""
    world = build_world(CONFIG)
    banned_s = world.now_s + 2 * DAY_S
    doomed = dataclasses.replace(
        world.players, banned_at_s=np.full(world.players.count, banned_s, dtype=np.int64)
    )
    events = draw_lifecycle(CONFIG, doomed, world.now_s)
    assert events is not None
    starts = np.minimum.reduce([events.banned_at_s, events.suspended_at_s, events.transferred_at_s])
    assert events.events() > 0
    assert (starts[starts < NEVER_S] < banned_s).all()


def test_a_suspended_account_disappears_then_answers_and_plays_again(
    sim: RunningSimulator,
) -> None:
    """During a suspension both lookups 404 and no game starts; after it, all comes back."""
    world = sim.world
    events = lifecycle_of(world)
    player = ranked_player(world, np.flatnonzero(events.suspended_at_s < NEVER_S))
    puuid = str(world.players.puuid[player])
    start_s, end_s = int(events.suspended_at_s[player]), int(events.suspended_until_s[player])
    assert lookups(sim, puuid)[:2] == (200, 200)
    sim.advance(hours=(start_s - world.now_s) / 3600 + 1)
    assert lookups(sim, puuid) == (404, 404, 0)
    sim.advance(hours=(end_s - world.now_s) / 3600 + 72)
    account, summoner, entries = lookups(sim, puuid)
    assert (account, summoner) == (200, 200) and entries == 1
    assert games_between(world, player, start_s, end_s) == 0


def test_a_banned_account_stays_gone(sim: RunningSimulator) -> None:
    """After a ban both lookups 404 for good and the history stops growing."""
    world = sim.world
    events = lifecycle_of(world)
    player = int(np.flatnonzero(events.banned_at_s < NEVER_S)[0])
    puuid = str(world.players.puuid[player])
    banned_at_s = int(events.banned_at_s[player])
    sim.advance(hours=(banned_at_s - world.now_s) / 3600 + 24 * 20)
    assert lookups(sim, puuid) == (404, 404, 0)
    assert games_between(world, player, banned_at_s, world.now_s) == 0


def test_a_transferred_account_answers_on_its_new_platform(sim: RunningSimulator) -> None:
    """After a transfer the summoner and rank are on the new platform, which account-v1 names."""
    world = sim.world
    events = lifecycle_of(world)
    player = ranked_player(world, np.flatnonzero(events.transferred_at_s < NEVER_S))
    puuid = str(world.players.puuid[player])
    moved_at_s, platform = (
        int(events.transferred_at_s[player]),
        str(events.transfer_platform[player]),
    )
    region_path = f"/riot/account/v1/region/by-game/lol/by-puuid/{puuid}"
    assert get(sim, "americas", region_path).json()["region"] == "euw1"
    sim.advance(hours=(moved_at_s - world.now_s) / 3600 + 48)
    assert lookups(sim, puuid) == (200, 404, 0)
    assert lookups(sim, puuid, platform)[1:] == (200, 1)
    assert get(sim, "americas", region_path).json() == {
        "puuid": puuid,
        "game": "lol",
        "region": platform,
    }
    assert games_between(world, player, moved_at_s, world.now_s) == 0
    assert next(t for t in sim.truth() if t["puuid"] == puuid)["platform"] == platform


def test_active_region_can_be_switched_off_and_checks_its_game() -> None:
    """Without getActiveRegion the endpoint 404s; an unknown game is a 400 either way."""
    config = SimulatorConfig(seed=5, players=50, serve_active_region=False, **UNLIMITED)  # type: ignore[arg-type]
    with serve_in_thread(config) as sim:
        puuid = str(sim.world.players.puuid[0])
        path = f"/riot/account/v1/region/by-game/{{}}/by-puuid/{puuid}"
        assert get(sim, "europe", path.format("lol")).status_code == 404
        assert get(sim, "europe", path.format("chess")).status_code == 400


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ban_share": 0.6, "suspension_share": 0.3, "transfer_share": 0.2}, "add up"),
        ({"transfer_share": -0.1}, "transfer_share"),
        ({"event_days": 0}, "event_days"),
    ],
)
def test_bad_event_settings_are_refused(values: dict[str, float], message: str) -> None:
    """Shares outside 0..1, adding up past 1, or an empty window are refused clearly."""
    with pytest.raises(SimulatorConfigError, match=message):
        SimulatorConfig(**values)  # type: ignore[arg-type]
