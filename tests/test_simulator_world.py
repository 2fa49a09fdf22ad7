"""The simulated world: determinism, populations, calibration, bans, renames and the clock."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.simulator import (
    SMURF_KINDS,
    Population,
    SimulatorConfig,
    SimulatorConfigError,
    build_world,
)
from pipeline.simulator.config import parse_rate_limit
from pipeline.simulator.population import NEW_ACCOUNT_LADDER
from pipeline.simulator.ranks import Rank, points_of, rank_of, ranks_of
from pipeline.simulator.stats import team_totals
from pipeline.simulator.world import World

WORLD_PLAYERS = 600


@pytest.fixture(scope="module")
def world() -> World:
    """A small world shared by this module's read-only tests."""
    return build_world(SimulatorConfig(seed=7, players=WORLD_PLAYERS))


def _by_population(world: World, population: Population) -> np.ndarray:
    return np.flatnonzero(world.players.population == int(population))


def test_same_seed_builds_identical_worlds() -> None:
    """Two builds of one seed have the same players and the same matches."""
    first = build_world(SimulatorConfig(seed=3, players=200))
    second = build_world(SimulatorConfig(seed=3, players=200))
    assert first.players.puuid.tolist() == second.players.puuid.tolist()
    for field in dataclasses.fields(first.matches):
        assert np.array_equal(
            getattr(first.matches, field.name), getattr(second.matches, field.name)
        )


def test_different_seeds_build_different_worlds() -> None:
    """Another seed gives other players and another history."""
    first = build_world(SimulatorConfig(seed=3, players=200))
    second = build_world(SimulatorConfig(seed=4, players=200))
    assert set(first.players.puuid).isdisjoint(set(second.players.puuid))
    assert first.matches.count != second.matches.count or not np.array_equal(
        first.matches.kills, second.matches.kills
    )


def test_every_match_has_ten_distinct_players(world: World) -> None:
    """No player appears twice in one match."""
    players = np.sort(world.matches.player, axis=1)
    assert (np.diff(players, axis=1) > 0).all()


def test_match_ids_are_in_time_order(world: World) -> None:
    """Match numbers grow with start time, so ids sort newest-first by number."""
    assert (np.diff(world.matches.start_s) >= 0).all()


def test_nobody_plays_two_games_at_once(world: World) -> None:
    """A player's next game starts after their previous one ended."""
    index = world.index()
    for player in range(0, WORLD_PLAYERS, 7):
        numbers = world.matches_of(player)[::-1]
        ends = world.matches.start_s[numbers] + world.matches.duration_s[numbers]
        assert (world.matches.start_s[numbers][1:] >= ends[:-1]).all()
    assert index.offsets[-1] == world.matches.count * 10


def test_riot_ids_are_unique_ignoring_case(world: World) -> None:
    """No two players share a Riot ID when case is ignored, as on Riot's servers."""
    names, tags = world.current_riot_ids()
    keys = {f"{n}#{t}".casefold() for n, t in zip(names, tags, strict=True)}
    assert len(keys) == WORLD_PLAYERS


def test_smurfs_are_far_better_than_their_rank(world: World) -> None:
    """Smurfs' true skill sits well over a tier above their visible rank."""
    smurfs = _by_population(world, Population.SMURF)
    gap = world.players.true_skill()[smurfs] - world.players.ladder[smurfs]
    assert np.median(gap) > 600


def test_smurfs_are_mostly_new_low_level_accounts(world: World) -> None:
    """Most smurf accounts are fresh and near level 30; all start ranked during the history."""
    players = world.players
    smurfs = _by_population(world, Population.SMURF)
    fresh = players.created_at_s[smurfs] >= world.history_start_s
    assert 0.5 < fresh.mean() < 1.0  # some smurfs buy levelled accounts instead
    assert np.median(players.base_level[smurfs]) < 40
    assert (players.prior_wins[smurfs] + players.prior_losses[smurfs] == 0).all()
    assert (players.active_from_s[smurfs] >= world.history_start_s).all()


def test_some_ordinary_accounts_are_new_and_low_level_too(world: World) -> None:
    """Being new and low-level is not proof of smurfing: some ordinary players are both."""
    players = world.players
    normal = _by_population(world, Population.NORMAL)
    assert (players.created_at_s[normal] >= world.history_start_s).sum() > 0
    assert np.quantile(players.base_level[normal], 0.1) < 60


def test_boosted_accounts_are_ranked_far_above_their_skill(world: World) -> None:
    """Boosted accounts end up ranked about a tier (400 points) above their owner's skill."""
    boosted = _by_population(world, Population.BOOSTED)
    gap = world.players.ladder[boosted] - world.players.true_skill()[boosted]
    assert np.median(gap) > 300


def test_ordinary_players_are_ranked_near_their_skill(world: World) -> None:
    """Ordinary players' visible rank tracks their skill closely."""
    normal = _by_population(world, Population.NORMAL)
    skill, ladder = world.players.true_skill()[normal], world.players.ladder[normal]
    assert np.corrcoef(skill, ladder)[0, 1] > 0.9
    assert abs(np.median(ladder - skill)) < 150


def test_populations_have_their_shares(world: World) -> None:
    """Most players (about 85 %) are ordinary; smurfs of every kind and boosted accounts are
    a few percent each, the honest look-alikes the rest."""
    shares = np.bincount(world.players.population, minlength=len(Population)) / WORLD_PLAYERS
    assert 0.80 < shares[Population.NORMAL] < 0.90
    assert 0.03 <= sum(shares[kind] for kind in SMURF_KINDS) <= 0.05
    assert 0.02 <= shares[Population.BOOSTED] <= 0.03


# The real all-tier per-role medians (TOP, JUNGLE, MIDDLE, BOTTOM, UTILITY) of ranked games.
REAL_MEDIANS = {
    "cs": (6.7, 5.9, 6.8, 6.9, 1.1),
    "gold": (378, 407, 403, 409, 288),
    "damage": (600, 516, 677, 611, 325),
    "vision": (0.59, 0.86, 0.65, 0.62, 1.99),
    "kill_participation": (0.42, 0.56, 0.46, 0.50, 0.59),
}


def _ranked_rows(world: World) -> dict[str, np.ndarray]:
    block = world.matches
    ranked = block.queue_id != 450
    minutes = (block.duration_s[ranked] / 60.0)[:, None]
    kills = block.kills[ranked]
    team_kills = team_totals(kills)
    return {
        "role": block.role[ranked],
        "cs": (block.minions[ranked] + block.neutral_minions[ranked]) / minutes,
        "gold": block.gold[ranked] / minutes,
        "damage": block.damage[ranked] / minutes,
        "vision": block.vision[ranked] / minutes,
        "kill_participation": (kills + block.assists[ranked]) / np.maximum(team_kills, 1),
        "skill": world.players.true_skill()[block.player[ranked]],
    }


@pytest.mark.parametrize("stat", sorted(REAL_MEDIANS))
def test_per_role_medians_are_near_the_real_ones(world: World, stat: str) -> None:
    """All-tier per-role medians sit within 25% of the real ranked medians."""
    rows = _ranked_rows(world)
    for role, real in enumerate(REAL_MEDIANS[stat]):
        simulated = np.median(rows[stat][rows["role"] == role])
        assert abs(simulated / real - 1) < 0.25, (stat, role, simulated, real)


def test_better_players_post_better_numbers(world: World) -> None:
    """Within a role, skill correlates positively with CS, gold and damage per minute."""
    rows = _ranked_rows(world)
    mid = rows["role"] == 2
    for stat in ("cs", "gold", "damage"):
        assert np.corrcoef(rows["skill"][mid], rows[stat][mid])[0, 1] > 0.2, stat


def test_banned_players_stop_playing(world: World) -> None:
    """No match of a banned player starts after their ban."""
    players = world.players
    banned = np.flatnonzero(players.banned_at_s <= world.now_s)
    assert len(banned) > 0
    for player in banned:
        numbers = world.matches_of(int(player))
        assert (world.matches.start_s[numbers] < players.banned_at_s[player]).all()


def test_advancing_in_steps_equals_advancing_at_once() -> None:
    """Advancing the clock 48 hours at once or in two steps plays the same matches."""
    config = SimulatorConfig(seed=5, players=200, history_days=10)
    once, twice = build_world(config), build_world(config)
    once.advance(48)
    twice.advance(20)
    twice.advance(28)
    assert once.matches.count == twice.matches.count > build_world(config).matches.count
    assert np.array_equal(once.matches.player, twice.matches.player)


@pytest.mark.parametrize(
    ("points", "rank"),
    [
        (0, Rank("IRON", "IV", 0)),
        (99, Rank("IRON", "IV", 99)),
        (100, Rank("IRON", "III", 0)),
        (399, Rank("IRON", "I", 99)),
        (400, Rank("BRONZE", "IV", 0)),
        (1250, Rank("GOLD", "IV", 50)),
        (2799, Rank("DIAMOND", "I", 99)),
        (2800, Rank("MASTER", "I", 0)),
        (3000, Rank("GRANDMASTER", "I", 200)),
        (3400, Rank("CHALLENGER", "I", 600)),
        (-20, Rank("IRON", "IV", 0)),
    ],
)
def test_rank_of_ladder_points(points: float, rank: Rank) -> None:
    """Ladder points map to tier, division and LP as on Riot's ladder."""
    assert rank_of(points) == rank
    tiers, divisions, lp = ranks_of(np.array([float(points)]))
    assert (tiers[0], divisions[0], int(lp[0])) == (rank.tier, rank.division, rank.league_points)
    if points >= 0:
        assert points_of(rank.tier, rank.division, rank.league_points) == points


@pytest.mark.parametrize("spec", ["", "20", "20:x", "0:1", "20:1,", "-1:5"])
def test_bad_rate_limit_specs_are_refused(spec: str) -> None:
    """A rate limit that is not LIMIT:SECONDS pairs is refused with a clear message."""
    with pytest.raises(SimulatorConfigError, match="rate limit"):
        parse_rate_limit(spec)


def test_unknown_platform_is_refused() -> None:
    """A platform Riot does not have is refused, naming the known ones."""
    with pytest.raises(SimulatorConfigError, match="euw1"):
        SimulatorConfig(platform="moon1")


def _ranked_record(world: World, player: int) -> tuple[np.ndarray, np.ndarray]:
    """(won, champion) of a player's solo-queue games, oldest first."""
    numbers = world.matches_of(player)[::-1]
    numbers = numbers[world.matches.queue_id[numbers] == 420]
    slot = np.argmax(world.matches.player[numbers] == player, axis=1)
    return world.matches.won[numbers, slot], world.matches.champion[numbers, slot]


def test_honest_traps_win_more_than_ordinary_players(world: World) -> None:
    """Talented newcomers, one-tricks and hot streaks all win more often than ordinary players."""
    players = world.players

    def win_rate(population: Population) -> float:
        members = _by_population(world, population)
        return float(players.wins[members].sum() / players.ranked_games[members].sum())

    ordinary = win_rate(Population.NORMAL)
    for trap in (Population.TALENTED_NEWBIE, Population.ONE_TRICK, Population.HOT_STREAK):
        assert win_rate(trap) > ordinary + 0.04, trap


def test_one_tricks_play_and_win_on_their_champion(world: World) -> None:
    """One-tricks play mostly their main champion and win more on it than on anything else."""
    main_wins = main_games = other_wins = other_games = 0
    for player in _by_population(world, Population.ONE_TRICK):
        won, champion = _ranked_record(world, int(player))
        on_main = champion == world.players.champions[player, 0]
        main_wins, main_games = main_wins + won[on_main].sum(), main_games + on_main.sum()
        other_wins, other_games = other_wins + won[~on_main].sum(), other_games + (~on_main).sum()
    assert main_games > 4 * other_games
    assert main_wins / main_games > other_wins / max(other_games, 1)


def test_talented_newcomers_get_better_with_games(world: World) -> None:
    """A talented newcomer's skill now is well above where they started."""
    newbies = _by_population(world, Population.TALENTED_NEWBIE)
    players = world.players
    assert np.median(players.true_skill()[newbies] - players.skill[newbies]) > 500
    assert (players.created_at_s[newbies] >= world.history_start_s).all()


def test_smurfs_climb_fast(world: World) -> None:
    """Smurfs gain visible rank quickly: on average well over 10 ladder points per ranked game."""
    players = world.players
    smurfs = _by_population(world, Population.SMURF)
    played = smurfs[players.ranked_games[smurfs] >= 10]
    climb_per_game = (players.ladder[played] - NEW_ACCOUNT_LADDER) / players.ranked_games[played]
    assert np.median(climb_per_game) > 10


def test_boosted_accounts_win_while_boosted_and_lose_after(world: World) -> None:
    """Boosted accounts win most games while someone stronger plays, and lose most after."""
    players = world.players
    during = [0, 0]
    after = [0, 0]
    for player in _by_population(world, Population.BOOSTED):
        numbers = world.matches_of(int(player))
        numbers = numbers[world.matches.queue_id[numbers] == 420]
        slot = np.argmax(world.matches.player[numbers] == player, axis=1)
        won = world.matches.won[numbers, slot]
        boosting = world.matches.start_s[numbers] < players.boost_end_s[player]
        boosting &= world.matches.start_s[numbers] >= players.boost_start_s[player]
        later = world.matches.start_s[numbers] >= players.boost_end_s[player]
        during = [during[0] + won[boosting].sum(), during[1] + boosting.sum()]
        after = [after[0] + won[later].sum(), after[1] + later.sum()]
    assert during[0] / during[1] > 0.6
    assert after[0] / after[1] < 0.45


def test_public_surface_is_pinned() -> None:
    """The package exports exactly its documented names."""
    import pipeline.simulator

    assert sorted(pipeline.simulator.__all__) == [
        "ExportReport", "FAMILIES", "HELD_OUT_FAMILIES", "Population", "RunningSimulator",
        "SMURF_KINDS", "SimulatorConfig", "SimulatorConfigError", "SimulatorError",
        "TRAINING_FAMILIES", "TRAPS", "World", "WorldAssumptions", "build_world", "create_app",
        "export_world", "family", "serve_in_thread",
    ]  # fmt: skip


@given(st.lists(st.floats(min_value=-100, max_value=4000, allow_nan=False), min_size=1))
def test_vectorised_ranks_agree_with_single_ranks(points: list[float]) -> None:
    """ranks_of over an array gives what rank_of gives for each value, and ranks round-trip."""
    tiers, divisions, lp = ranks_of(np.array(points))
    for index, value in enumerate(points):
        rank = rank_of(value)
        assert (tiers[index], divisions[index], int(lp[index])) == (
            rank.tier, rank.division, rank.league_points
        )  # fmt: skip
        assert points_of(rank.tier, rank.division, rank.league_points) == max(int(value), 0)
