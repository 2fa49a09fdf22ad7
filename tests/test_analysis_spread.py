"""Throwing judged against the crawl it was seen in: the spread of play in the games won and
lost, from hand-made feature frames and from a simulator world the analyzer keeps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis import ScoringParams, keep_current, score_players
from pipeline.analysis.features import feature_frame
from pipeline.analysis.model import THROWING_CAP, factor_inputs
from pipeline.analysis.spread import (
    REFERENCE,
    SPREAD_MIN_GAMES,
    PlaySpread,
    frame_spread,
    stored_spread,
)
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.world import World, build_world
from pipeline.store import read, write
from tests.test_aggregates import _store

PARAMS = ScoringParams()
_OTHER_FEATURES = (
    "climb_lp_per_game", "drop_from_peak_lp", "games_played", "lobby_fall", "lobby_perf",
    "lobby_perf_change", "lobby_swing", "longest_gap_days", "older_perf_z", "perf_z",
    "recent_perf_z", "season_win_rate", "stomp_share", "summoner_level", "tier_index",
    "top_champion_share", "win_rate_shrunk",
)  # fmt: skip


def _frame(loss_deaths: np.ndarray, gap: np.ndarray, games: int = 20) -> pd.DataFrame:
    """A feature frame of players with these loss deaths and win-loss gaps (wins above the
    lobby by half the gap, losses below it by the other half)."""
    n = len(loss_deaths)
    frame = pd.DataFrame(
        {
            "games_analyzed": np.full(n, games),
            "loss_deaths_z": loss_deaths,
            "lobby_perf_wins": gap / 2,
            "lobby_perf_losses": -gap / 2,
        }
    )
    for name in _OTHER_FEATURES:  # the model reads them; throwing does not
        frame[name] = np.nan
    return frame


def _like_reference(rng: np.random.Generator, n: int, widen: float = 1.0) -> pd.DataFrame:
    deaths = REFERENCE.loss_deaths_median + widen * REFERENCE.loss_deaths_scale * rng.normal(size=n)
    gap = REFERENCE.win_loss_gap_median + REFERENCE.win_loss_gap_scale * rng.normal(size=n)
    return _frame(deaths, gap)


def test_a_crawl_spread_like_the_training_ones_leaves_throwing_as_it_was() -> None:
    spread = frame_spread(_like_reference(np.random.default_rng(1), 20_000))
    assert spread.players == 20_000
    values = pd.Series([-0.5, 0.0, 0.3, 1.2])
    np.testing.assert_allclose(spread.loss_deaths(values), values, atol=0.02)
    np.testing.assert_allclose(spread.win_loss_gap(values), values, atol=0.02)


def test_feeding_as_often_as_the_crawl_feeds_counts_less_where_everyone_feeds_more() -> None:
    """A world whose ordinary players' loss deaths spread twice as wide: the same player,
    dying 0.7 z more in losses with a 0.6 gap, throws at the cap against the reference and
    well below it there, where such deaths are ordinary."""
    rng = np.random.default_rng(2)
    wide = _like_reference(rng, 5_000, widen=2.0)
    player = _frame(np.array([REFERENCE.loss_deaths_median + 0.7]), np.array([0.6]))
    usual = factor_inputs(player, REFERENCE)["deliberate_losses"].iloc[0]
    judged = factor_inputs(player, frame_spread(wide))["deliberate_losses"].iloc[0]
    assert usual == pytest.approx(THROWING_CAP)
    assert judged < 0.75 * usual


def test_a_small_database_scores_near_the_reference_and_one_kind_of_player_divides_by_no_zero() -> (
    None
):
    few = frame_spread(_like_reference(np.random.default_rng(3), 10, widen=3.0))
    assert few.loss_deaths_scale < 1.3 * REFERENCE.loss_deaths_scale
    assert frame_spread(_frame(np.array([]), np.array([]))) == REFERENCE
    same = frame_spread(_frame(np.full(5_000, 0.4), np.full(5_000, 0.4)))
    assert same.loss_deaths_scale == pytest.approx(REFERENCE.loss_deaths_scale / 10)
    assert np.isfinite(same.loss_deaths(pd.Series([1.0]))).all()


def test_players_with_too_few_games_do_not_count() -> None:
    rng = np.random.default_rng(4)
    crawl = _like_reference(rng, 2_000)
    short = _frame(np.full(2_000, 3.0), np.full(2_000, 3.0), games=SPREAD_MIN_GAMES - 1)
    assert frame_spread(pd.concat([crawl, short])) == frame_spread(crawl)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SimulatorConfig(seed=34, players=150))


def _queued(db: Path) -> int:
    with read(db) as con:
        row = con.execute("SELECT count(DISTINCT puuid) FROM players_to_score").fetchone()
    return int(row[0]) if row else 0


def test_the_analyzer_keeps_the_crawls_spread_and_a_pass_scores_a_few_against_it(
    world: World, db_path: Path
) -> None:
    """After a pass the analyzer holds the spread of every player's features (its SQL and
    the frame's arithmetic agree), and scoring a few players reads it: their throwing and
    scores are those of scoring everyone, not of a spread of the few."""
    _store(db_path, world, np.arange(world.matches.count))
    with write(db_path) as con:
        keep_current(con, PARAMS)
    with read(db_path) as con:
        kept = stored_spread(con)
        everyone = feature_frame(con, PARAMS, cached_baselines=True)
        all_scores = score_players(con, cached_baselines=True).set_index("puuid")
        assert kept is not None
        frame = frame_spread(everyone)
        for name in ("loss_deaths_median", "loss_deaths_scale", "win_loss_gap_median"):
            assert getattr(kept, name) == pytest.approx(getattr(frame, name), abs=1e-9)
        assert kept.players == frame.players > 100
        throwing = all_scores["contrib_smurf_deliberate_losses"]
        few = throwing[throwing != throwing.median()].index[:5].tolist()
        assert len(few) == 5
        some = score_players(con, few, cached_baselines=True).set_index("puuid")
    np.testing.assert_allclose(
        some["smurf_logit"].to_numpy(), all_scores.loc[few, "smurf_logit"].to_numpy(), atol=1e-9
    )
    # Judged against the five alone (their own spread), their throwing would read otherwise.
    own = factor_inputs(
        everyone.set_index("puuid").loc[few].reset_index(),
        frame_spread(everyone.set_index("puuid").loc[few].reset_index()),
    )
    judged = factor_inputs(everyone.set_index("puuid").loc[few].reset_index(), kept)
    assert not np.allclose(own["deliberate_losses"], judged["deliberate_losses"])


def _assert_same_spread(got: PlaySpread | None, kept: PlaySpread | None) -> None:
    """The same spread, to rounding: inputs summed again add their doubles in another order."""
    assert got is not None and kept is not None
    assert got.players == kept.players
    for name in (
        "loss_deaths_median",
        "loss_deaths_scale",
        "win_loss_gap_median",
        "win_loss_gap_scale",
    ):
        assert getattr(got, name) == pytest.approx(getattr(kept, name), rel=1e-9), name


def _analyzed_and_emptied(db_path: Path, world: World) -> PlaySpread | None:
    """Every game of ``world`` stored and analysed, the queue emptied: the spread kept."""
    _store(db_path, world, np.arange(world.matches.count))
    with write(db_path) as con:
        keep_current(con, PARAMS)
        con.execute("DELETE FROM players_to_score")
        return stored_spread(con)


def test_a_moved_spread_rescores_everyone_and_an_unmoved_one_nobody(
    world: World, db_path: Path
) -> None:
    kept = _analyzed_and_emptied(db_path, world)
    with write(db_path) as con:
        keep_current(con, PARAMS, force=True)  # new baselines, the same crawl
    assert _queued(db_path) == 0
    with write(db_path) as con:
        con.execute("UPDATE scoring_state SET loss_deaths_median = loss_deaths_median + 0.05")
    with write(db_path) as con:
        keep_current(con, PARAMS, force=True)
        _assert_same_spread(stored_spread(con), kept)
    assert _queued(db_path) >= 100


def test_a_database_upgraded_without_a_spread_gets_one_and_rescores_everyone(
    world: World, db_path: Path
) -> None:
    kept = _analyzed_and_emptied(db_path, world)
    with write(db_path) as con:
        # As migration 027 leaves it: the columns there, nothing in them.
        con.execute(
            "UPDATE scoring_state SET loss_deaths_median = NULL, loss_deaths_scale = NULL,"
            " win_loss_gap_median = NULL, win_loss_gap_scale = NULL, spread_players = NULL"
        )
    with write(db_path) as con:
        upkeep = keep_current(con, PARAMS)  # no new games: the baselines stand
        _assert_same_spread(stored_spread(con), kept)
    assert not upkeep.baselines_refreshed and upkeep.everyone_queued
    assert _queued(db_path) >= 100
