"""Features honest about what is known: performance against the lobby of each game, wins
against losses, long breaks, and experience taken from the profile, not from the crawl."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.analysis import ScoringParams
from pipeline.analysis.features import feature_frame, game_frame
from pipeline.analysis.model import SMURF_MODEL, THROWING_CAP, factor_inputs, factor_phrase
from pipeline.analysis.spread import frame_spread
from tests.lobby_world import START, Game, add_matches, games_every, set_profile

PARAMS = ScoringParams()


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this test's migrated database."""
    connection = duckdb.connect(str(db_path))
    yield connection
    connection.close()


def _ordinary_games(con: duckdb.DuckDBPyConnection, players: int = 8) -> None:
    """Games of ordinary players in every role: most of what a database holds is ordinary,
    and the role's typical numbers come from it."""
    for i in range(players):
        add_matches(
            con,
            f"ordinary{i}",
            games_every(15, won=[True, False]),
            role=("TOP", "JUNGLE", "MIDDLE", "BOTTOM", "UTILITY")[i % 5],
            seed=100 + i,
        )


def _features(con: duckdb.DuckDBPyConnection, *puuids: str) -> pd.DataFrame:
    return feature_frame(con, PARAMS, list(puuids)).set_index("puuid")


def _inputs(features: pd.DataFrame) -> pd.DataFrame:
    # As the product reads them: throwing judged against the spread of the players here.
    everyone = features.reset_index()
    return factor_inputs(everyone, frame_spread(everyone)).set_index(features.index)


def test_outplaying_the_lobby_shows_whatever_the_lobby_level(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Numbers 1.6 times the lobby's read the same in a low lobby and in a high one, and a
    player level with their lobby reads near zero."""
    _ordinary_games(con)
    add_matches(con, "low", games_every(20, won=[True, False], strength=1.6), lobby_prefix="a")
    add_matches(
        con,
        "high",
        games_every(20, won=[True, False], strength=2.4, lobby_strength=1.5),
        lobby_prefix="b",
    )
    add_matches(con, "even", games_every(20, won=[True, False]), lobby_prefix="c")
    features = _features(con, "low", "high", "even")
    assert features.loc["low", "lobby_perf"] > 0.6
    assert features.loc["high", "lobby_perf"] == pytest.approx(
        features.loc["low", "lobby_perf"], abs=0.25
    )
    assert abs(features.loc["even", "lobby_perf"]) < 0.2
    assert features.loc["low", "lobby_games"] == 20


def test_a_climbed_smurf_stands_out_against_its_lobbies_at_its_new_tier(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A smurf already DIAMOND, outplaying DIAMOND lobbies, has a high lobby score although
    every co-player's rank is DIAMOND too (their known ranks give the lobby's level)."""
    add_matches(con, "climbed", games_every(15, won=[True, True, False], strength=1.7))
    set_profile(con, "climbed", level=70, wins=95, losses=45, tier="DIAMOND")
    for number in range(15):
        for slot in range(10):
            set_profile(
                con,
                f"climbed-mate-{number}-{slot}",
                level=200,
                wins=150,
                losses=150,
                tier="DIAMOND",
            )
    features = _features(con, "climbed")
    assert features.loc["climbed", "lobby_perf"] > 0.6
    assert features.loc["climbed", "tier"] == "DIAMOND"
    games = game_frame(con, ScoringParams(), ["climbed"])
    assert len(games) == 15
    assert games["lobby_rank"].tolist() == pytest.approx([6 * 400 + 200 + 50] * 15)


def test_a_deranker_dominates_its_wins_and_feeds_in_its_losses(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Half the games won with big numbers, the other half lost dying three times as often:
    strong wins, a deep gap to the losses and deaths far above the lobby's in them."""
    games = [
        Game(won=True, strength=1.8, at=START + timedelta(hours=4 * i))
        if i % 2 == 0
        else Game(won=False, strength=0.6, feeding=3.0, at=START + timedelta(hours=4 * i))
        for i in range(20)
    ]
    add_matches(con, "deranker", games)
    add_matches(con, "honest", games_every(20, won=[True, False]), lobby_prefix="h")
    features = _features(con, "deranker", "honest")
    deranker, honest = features.loc["deranker"], features.loc["honest"]
    assert deranker["win_rate"] == pytest.approx(0.5)
    assert deranker["lobby_perf_wins"] > 0.8
    assert deranker["loss_deaths_z"] > 1.5
    assert abs(honest["loss_deaths_z"]) < 0.5
    assert (
        deranker["lobby_perf_wins"] - deranker["lobby_perf_losses"]
        > honest["lobby_perf_wins"] - honest["lobby_perf_losses"] + 1.0
    )


def test_an_account_two_people_play_swings_beyond_its_results(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """An account played strongly on some days and weakly on others, winning and losing on
    both, swings beyond what its results explain; a steady player does not, nor does a
    deranker, whose weak games are exactly its losses (the results explain them). The
    swing reads as the factor ``play_swing`` (its log), in words."""
    shared = [
        Game(
            won=i % 2 == 0,
            strength=1.8 if (i // 4) % 2 == 0 else 0.7,
            at=START + timedelta(hours=6 * i),
        )
        for i in range(24)
    ]
    add_matches(con, "shared", shared, lobby_prefix="s")
    add_matches(con, "steady", games_every(24, won=[True, False], strength=1.2), lobby_prefix="t")
    deranker = [
        Game(won=i % 2 == 0, strength=1.8 if i % 2 == 0 else 0.7, at=START + timedelta(hours=6 * i))
        for i in range(24)
    ]
    add_matches(con, "deranker", deranker, lobby_prefix="d")
    features = _features(con, "shared", "steady", "deranker")
    swing = features["lobby_swing"]
    assert swing["shared"] > 2 * swing["steady"]
    assert swing["shared"] > 2 * swing["deranker"]
    # A steady player's spread is near nothing; the shrinkage keeps it near a typical one.
    assert 0.05 < swing["steady"] < 0.25
    inputs = _inputs(features)
    assert inputs.loc["shared", "play_swing"] == pytest.approx(float(np.log(swing["shared"])))
    assert factor_phrase("boosted", "play_swing", 1.0) == "play swinging beyond its results"
    assert factor_phrase("boosted", "play_swing", -1.0) == "play as steady as its results"


def test_throwing_counts_in_full_on_an_even_season_and_not_on_a_winning_one(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The same thrown games on a season held at half wins (a deranker holding its rank) and
    on a season won two games in three (a strong player who feeds now and then): the first
    throws on an even season as much as it throws at all, the second not at all, and the
    smurf model reads only the first as a smurf's mark. Without a profile the season is the
    prior's (even); with an account gone it is unknown. Throwing counts up to the cap: the
    same games fed twice as hard score the same."""
    games = [
        Game(won=True, strength=1.8, at=START + timedelta(hours=4 * i))
        if i % 2 == 0
        else Game(won=False, strength=0.6, feeding=3.0, at=START + timedelta(hours=4 * i))
        for i in range(20)
    ]
    harder = [replace(game, feeding=6.0) if not game.won else game for game in games]
    for puuid, wins, losses in (("holding", 60, 60), ("winning", 90, 40), ("gone", 60, 60)):
        add_matches(con, puuid, games, lobby_prefix=puuid)
        set_profile(con, puuid, level=60, wins=wins, losses=losses, found=puuid != "gone")
    add_matches(con, "harder", harder, lobby_prefix="x")
    set_profile(con, "harder", level=60, wins=60, losses=60)
    add_matches(con, "unprofiled", games, lobby_prefix="u")
    add_matches(con, "honest", games_every(20, won=[True, False]), lobby_prefix="h")
    set_profile(con, "honest", level=60, wins=60, losses=60)
    players = ("holding", "winning", "honest", "unprofiled", "gone", "harder")
    features = _features(con, *players)
    inputs = _inputs(features)
    holding, winning, honest, unprofiled, gone, harder_fed = (inputs.loc[p] for p in players)
    # The product of the feeding and the gap is far past the cap, which holds it.
    raw = features.loc["holding", "loss_deaths_z"] * (
        features.loc["holding", "lobby_perf_wins"] - features.loc["holding", "lobby_perf_losses"]
    )
    assert raw > 2 * THROWING_CAP
    assert holding["deliberate_losses"] == pytest.approx(THROWING_CAP)
    assert features.loc["harder", "loss_deaths_z"] > features.loc["holding", "loss_deaths_z"]
    assert harder_fed["throwing_on_even_season"] == pytest.approx(
        holding["throwing_on_even_season"]
    )
    assert winning["deliberate_losses"] == pytest.approx(holding["deliberate_losses"])
    assert holding["throwing_on_even_season"] == pytest.approx(holding["deliberate_losses"])
    assert winning["throwing_on_even_season"] == 0.0
    assert honest["throwing_on_even_season"] < 0.2
    # Never profiled: the prior's even season, until a profile says otherwise. An account
    # summoner-v4 no longer finds has an unknown season: the factor is missing (counts 0).
    assert unprofiled["throwing_on_even_season"] == pytest.approx(holding["deliberate_losses"])
    assert pd.isna(gone["throwing_on_even_season"])
    thrown = SMURF_MODEL.contributions(inputs)["throwing_on_even_season"]
    assert thrown["holding"] > 5.0
    # No throwing on an even season at all: the line is flat below 0.12, where most are.
    assert thrown["winning"] <= 0.0
    assert thrown["gone"] == 0.0


def test_a_long_break_before_the_recent_games_is_measured(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A veteran's ten games, fifty days off, then fifteen more: the break is fifty days, and
    on an old account it counts as a return (on a new one it does not)."""
    before = games_every(10, won=[True, False], hours=12.0)
    after = games_every(15, won=[True, True, False], start=START + timedelta(days=55))
    for puuid, level in (("veteran", 420), ("newcomer", 35)):
        add_matches(con, puuid, before + after, level=level, lobby_prefix=puuid)
        set_profile(con, puuid, level=level, wins=10, losses=5)
    features = _features(con, "veteran", "newcomer")
    # Counted in whole weeks without a game (the store keeps the weeks played).
    assert features.loc["veteran", "longest_gap_days"] == pytest.approx(50.5, abs=7)
    inputs = _inputs(features)
    assert inputs.loc["veteran", "return_on_old_account"] > 3.0
    assert inputs.loc["newcomer", "return_on_old_account"] < 1.0
    # The break itself is a factor too, and the account's age apart: 1 from level 400.
    assert inputs.loc["veteran", "long_break"] == inputs.loc["newcomer", "long_break"]
    assert inputs.loc["veteran", "old_account"] == 1.0
    assert inputs.loc["newcomer", "old_account"] == 0.0


def test_an_old_account_lowers_the_smurf_odds_when_no_break_was_stored(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A veteran's fifteen strong games since the return, and nothing before them stored (so
    no break shows): the profile's level 420 lowers the smurf odds against the same games
    and season on a level-150 account (neither is new by level), by the age factor alone."""
    games = games_every(15, won=[True, True, False], hours=12.0)
    for puuid, level in (("veteran", 420), ("younger", 150)):
        add_matches(con, puuid, games, level=level, lobby_prefix=puuid)
        set_profile(con, puuid, level=level, wins=20, losses=12)
    inputs = _inputs(_features(con, "veteran", "younger"))
    assert (inputs["long_break"] == 0.0).all()
    assert (inputs["new_by_level"] == 0.0).all()
    parts = SMURF_MODEL.contributions(inputs)
    age = parts.pop("old_account")
    assert age["veteran"] < age["younger"] - 0.5
    # Every other factor reads the two alike: the age is the whole difference.
    assert parts.loc["veteran"].to_numpy() == pytest.approx(parts.loc["younger"].to_numpy())
    assert factor_phrase("smurf", "old_account", age["veteran"]) == "old account"
    assert factor_phrase("smurf", "old_account", 0.25) == "younger account"


def test_experience_comes_from_the_profile_not_from_the_crawl(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Eight stored games of an account with 300 ranked games this season mean 300 games
    played; an account without a solo entry has played none this season and is UNRANKED;
    an account never profiled has no games-played figure at all."""
    for puuid in ("veteran", "unranked", "unknown"):
        add_matches(con, puuid, games_every(8, won=[True, False]), lobby_prefix=puuid)
    set_profile(con, "veteran", level=327, wins=160, losses=140, tier="PLATINUM")
    set_profile(con, "unranked", level=327, wins=None, losses=None)
    features = _features(con, "veteran", "unranked", "unknown")
    assert features.loc["veteran", "games_played"] == 300
    assert features.loc["veteran", "ranked_games_total"] == 300
    assert features.loc["veteran", "summoner_level"] == 327
    assert features.loc["veteran", "tier"] == "PLATINUM"
    assert features.loc["unranked", "games_played"] == 0
    assert features.loc["unranked", "tier"] == "UNRANKED"
    assert pd.isna(features.loc["unknown", "games_played"])
    assert features.loc["veteran", "season_win_rate"] == pytest.approx((160 + 10) / (300 + 20))


def test_a_season_won_out_of_sight_reads_above_the_games_stored(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A season of 120 wins and 60 losses whose 18 stored games won only 6 went better than
    what the crawl holds; a season as even as the stored games did not."""
    add_matches(con, "owner", games_every(18, won=[True, False, False]), lobby_prefix="o")
    set_profile(con, "owner", level=200, wins=120, losses=60, tier="DIAMOND")
    add_matches(con, "even", games_every(18, won=[True, False]), lobby_prefix="e")
    set_profile(con, "even", level=200, wins=100, losses=100)
    inputs = _inputs(_features(con, "owner", "even"))
    assert inputs.loc["owner", "season_above_seen"] > 0.5
    assert abs(inputs.loc["even", "season_above_seen"]) < 0.2


def test_a_winning_season_on_an_account_playing_below_its_tier_stands_out(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Weak numbers at DIAMOND with a winning season: someone else won it. Strong numbers
    with the same season, or weak numbers with a losing one, do not read that way."""
    _ordinary_games(con)
    cases = (("owner", 0.55, 130, 70), ("strong", 1.6, 130, 70), ("struggling", 0.55, 70, 130))
    for puuid, strength, wins, losses in cases:
        add_matches(
            con, puuid, games_every(20, won=[True, False], strength=strength), lobby_prefix=puuid
        )
        set_profile(con, puuid, level=250, wins=wins, losses=losses, tier="DIAMOND")
    inputs = _inputs(_features(con, "owner", "strong", "struggling"))
    assert inputs.loc["owner", "winning_season_below_tier"] > 0.5
    assert inputs.loc["strong", "winning_season_below_tier"] == 0.0
    assert inputs.loc["struggling", "winning_season_below_tier"] == 0.0


def test_a_newcomer_learning_game_by_game_is_told_from_a_smurf_strong_from_the_first(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Two new accounts with the same winning season: one whose play against the lobby rises
    from level with it to far above (a talented newcomer learning), one far above it from
    the first game (a smurf). Only the first reads as rising; on an old account with a full
    season the same rise does not count (it is not a new account's learning)."""
    _ordinary_games(con)
    rising = [
        Game(won=i % 3 != 2, strength=0.95 + 0.04 * i, at=START + timedelta(hours=6 * i))
        for i in range(20)
    ]
    cases = (
        ("learner", rising, 35, 30, 12),
        ("smurf", None, 35, 30, 12),
        ("old", rising, 400, 200, 150),
    )
    for puuid, games, level, wins, losses in cases:
        played = games or games_every(20, won=[True, True, False], strength=1.7)
        add_matches(con, puuid, played, level=level, lobby_prefix=puuid)
        set_profile(con, puuid, level=level, wins=wins, losses=losses)
    inputs = _inputs(_features(con, "learner", "smurf", "old"))
    assert inputs.loc["learner", "lobby_decline"] < -0.05
    assert inputs.loc["learner", "rising_on_new_account"] > 0.15
    assert inputs.loc["smurf", "rising_on_new_account"] < 0.02
    assert inputs.loc["old", "rising_on_new_account"] == 0.0
    # In the smurf model the rise counts against a smurf: the learner's odds fall by it.
    contributions = SMURF_MODEL.contributions(inputs)["rising_on_new_account"]
    assert contributions["learner"] < -0.1
    assert contributions["smurf"] > 0.0


def _weeks(weeks: Sequence[int], strength: float) -> list[Game]:
    """Six games in each of ``weeks`` (counted from START), at ``strength``."""
    return [
        Game(won=i % 2 == 0, strength=strength, at=START + timedelta(days=7 * w, hours=8 * i))
        for w in weeks
        for i in range(6)
    ]


def test_a_fall_from_the_best_week_shows_whatever_span_of_games_is_stored(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A boosted account: the booster's weeks far above the lobby, then the owner's below it.
    Stored from the booster's weeks on, or with the owner's own older weeks before them (a
    crawl that reached further back), the fall from the best week to the newest reads about
    the same, where a trend through every stored game flattens; an even player shows none."""
    booster_then_owner = _weeks(range(3, 6), 1.8) + _weeks(range(6, 8), 0.75)
    owner_first = _weeks(range(3), 0.75) + booster_then_owner
    add_matches(con, "boosted", booster_then_owner, lobby_prefix="b")
    add_matches(con, "boosted-seen-earlier", owner_first, lobby_prefix="e")
    add_matches(con, "even", _weeks(range(8), 1.0), lobby_prefix="n")
    features = _features(con, "boosted", "boosted-seen-earlier", "even")
    fall = features["lobby_fall"]
    assert fall["boosted"] > 1.0
    assert fall["boosted-seen-earlier"] == pytest.approx(fall["boosted"], abs=0.1)
    assert fall["even"] < 0.2
    # The trend's fall to the newest game halves once the older weeks are in.
    trend = -features["lobby_perf_change"]
    assert trend["boosted-seen-earlier"] < trend["boosted"] / 2
