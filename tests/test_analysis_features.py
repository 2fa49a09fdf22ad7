"""Features on small hand-built databases where the right answer is known.

The builders here (``Player``, ``add_players``, ``add_rank``) are shared by the other
``test_analysis_*`` modules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.analysis import ScoringParams, keep_current
from pipeline.analysis.features import baseline_frame, feature_frame, game_frame, sorted_lists
from pipeline.store.aggregates import enqueue_players, rebuild_aggregates

START = datetime(2024, 3, 1)


@dataclass(frozen=True)
class Player:
    """A player whose games are drawn around the population average times ``skill``.

    The first ``early_games`` (the oldest) are played at ``early_skill`` instead: someone
    else at the keyboard, as for a boosted account.
    """

    puuid: str
    games: int
    wins: int
    skill: float = 1.0
    level: int = 150
    role: str = "MIDDLE"
    champions: int = 3
    queue_id: int = 420
    first_game: datetime = START
    early_games: int = 0
    early_skill: float = 1.0


def _rows(player: Player, rng: np.random.Generator) -> pd.DataFrame:
    n = player.games
    noise = rng.normal(1.0, 0.1, size=(6, n)).clip(0.5, 1.5)
    s = np.where(np.arange(n) < player.early_games, player.early_skill, player.skill)
    return pd.DataFrame(
        {
            "match_id": [f"{player.puuid}_{i}" for i in range(n)],
            "puuid": player.puuid,
            "queue_id": player.queue_id,
            "game_start": [player.first_game + timedelta(hours=2 * i) for i in range(n)],
            "game_duration_s": 1800,
            "team_position": player.role,
            "win": [i < player.wins for i in range(n)],
            "kills": np.round(5 * s * noise[0]).astype(int),
            "deaths": np.round(5 / s * noise[1]).astype(int),
            "assists": np.round(6 * s * noise[2]).astype(int),
            "cs": np.round(180 * s * noise[3]).astype(int),
            "gold_earned": np.round(11000 * s * noise[4]).astype(int),
            "damage_to_champions": np.round(18000 * s * noise[5]).astype(int),
            "vision_score": np.round(25 * s * noise[0]).astype(int),
            "kill_participation": (0.5 * s * noise[1]).clip(0, 1),
            "summoner_level": player.level,
            "champion_id": [1 + i % player.champions for i in range(n)],
        }
    )


def add_players(con: duckdb.DuckDBPyConnection, players: Sequence[Player], seed: int = 0) -> None:
    """Insert the games of ``players`` (and their players rows) into the database."""
    rng = np.random.default_rng(seed)
    games = pd.concat([_rows(p, rng) for p in players], ignore_index=True)
    con.register("new_games", games)
    con.execute(
        f"INSERT INTO match_participants ({', '.join(games.columns)}) SELECT * FROM new_games"
    )
    # Rows inserted by hand, not by the writers: recompute the per-player sums and queue
    # the players for scoring, as the writers do.
    rebuild_aggregates(con)
    enqueue_players(con, "SELECT DISTINCT puuid FROM new_games")
    con.unregister("new_games")
    levels = pd.DataFrame({"puuid": [p.puuid for p in players], "lvl": [p.level for p in players]})
    con.register("new_players", levels)
    con.execute("INSERT INTO players (puuid, summoner_level) SELECT puuid, lvl FROM new_players")
    con.unregister("new_players")


def add_rank(
    con: duckdb.DuckDBPyConnection,
    puuid: str,
    tier: str,
    division: str,
    lp: int,
    games: int,
    at: datetime,
) -> None:
    """Insert one ranked-solo snapshot."""
    con.execute(
        "INSERT INTO rank_snapshots (puuid, queue_type, tier, division, league_points, wins,"
        " losses, observed_at) VALUES (?, 'RANKED_SOLO_5x5', ?, ?, ?, ?, ?, ?)",
        [puuid, tier, division, lp, games // 2, games - games // 2, at],
    )


def population(count: int = 40, games: int = 30) -> list[Player]:
    """Ordinary players: average skill, about half their games won."""
    return [Player(f"normal{i:03d}", games, games // 2 + (i % 5) - 2) for i in range(count)]


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this test's migrated database."""
    connection = duckdb.connect(str(db_path))
    yield connection
    connection.close()


def row(frame: pd.DataFrame, puuid: str) -> pd.Series:
    """The row of one player."""
    return frame.set_index("puuid").loc[puuid]


def test_win_rate_is_shrunk_toward_half_with_a_beta_prior(con: duckdb.DuckDBPyConnection) -> None:
    """3 wins of 3 with 20 pseudo-games become 13/23, not 100%."""
    add_players(con, [Player("lucky", 3, 3)])
    features = feature_frame(con, ScoringParams())
    lucky = row(features, "lucky")
    assert lucky["win_rate"] == 1.0
    assert lucky["win_rate_shrunk"] == pytest.approx(13 / 23)


def test_only_games_in_the_chosen_queues_are_analysed(con: duckdb.DuckDBPyConnection) -> None:
    """Games in other queues are stored, and counted as stored, but not analysed."""
    add_players(con, [Player("p", 30, 10), Player("p_aram", 5, 5, queue_id=450)])
    con.execute("UPDATE match_participants SET puuid = 'p' WHERE puuid = 'p_aram'")
    rebuild_aggregates(con)
    p = row(feature_frame(con, ScoringParams(), ["p"]), "p")
    assert (p["matches_stored"], p["games_analyzed"], p["ranked_games_total"]) == (35, 30, 30)
    assert p["wins"] == 10
    aram = row(feature_frame(con, ScoringParams(queues=(450,)), ["p"]), "p")
    assert (aram["games_analyzed"], aram["wins"]) == (5, 5)


def test_as_of_ignores_later_rank_snapshots(con: duckdb.DuckDBPyConnection) -> None:
    """Scoring as of a past time sees only the ranks known by then."""
    add_players(con, [Player("p", 10, 10)])
    add_rank(con, "p", "SILVER", "I", 0, 10, START + timedelta(hours=1))
    add_rank(con, "p", "GOLD", "IV", 0, 12, START + timedelta(hours=9))
    then = row(feature_frame(con, ScoringParams(), ["p"], as_of=START + timedelta(hours=7)), "p")
    now = row(feature_frame(con, ScoringParams(), ["p"]), "p")
    assert (then["tier"], now["tier"]) == ("SILVER", "GOLD")


def test_recent_form_follows_the_trend_of_the_games(con: duckdb.DuckDBPyConnection) -> None:
    """A player who got worse over their games reads weaker lately than earlier, and one
    who kept the same level reads flat."""
    add_players(con, [*population(), Player("steady", 30, 15, skill=1.3)])
    add_players(con, [Player("fading", 30, 15, skill=1.3)], seed=1)
    # Two months of games (a day apart each, not two hours: a trend over a few days is
    # damped toward flat), and the fading player's numbers halved in the later half.
    con.execute(
        "UPDATE match_participants SET game_start = $start + (game_start - $start) * 24"
        " WHERE puuid IN ('fading', 'steady')",
        {"start": START},
    )
    con.execute(
        """UPDATE match_participants
        SET cs = cs // 2, gold_earned = gold_earned // 2,
            damage_to_champions = damage_to_champions // 2
        WHERE puuid = 'fading' AND game_start > $mid""",
        {"mid": START + timedelta(days=30)},
    )
    rebuild_aggregates(con)
    features = feature_frame(con, ScoringParams())
    fading, steady = row(features, "fading"), row(features, "steady")
    assert fading["recent_perf_z"] < fading["older_perf_z"] - 0.3
    assert fading["perf_change"] < -0.3
    assert abs(steady["perf_change"]) < 0.2


def test_better_players_have_positive_performance_z(con: duckdb.DuckDBPyConnection) -> None:
    """A player posting 1.6x the population's numbers gets a clearly positive z, a weak one
    a negative z, an average one about zero."""
    add_players(
        con, [*population(), Player("strong", 30, 15, skill=1.6), Player("weak", 30, 15, skill=0.6)]
    )
    features = feature_frame(con, ScoringParams())
    assert row(features, "strong")["perf_z"] > 1.0
    assert row(features, "weak")["perf_z"] < -1.0
    assert abs(row(features, "normal000")["perf_z"]) < 0.5


def test_performance_is_shrunk_toward_zero_for_few_games(con: duckdb.DuckDBPyConnection) -> None:
    """The same per-game level over 3 games gives a smaller z than over 30 games."""
    add_players(
        con,
        [*population(), Player("strong_few", 3, 2, skill=1.6), Player("strong", 30, 15, skill=1.6)],
    )
    features = feature_frame(con, ScoringParams())
    assert 0 < row(features, "strong_few")["perf_z"] < row(features, "strong")["perf_z"] / 2


def test_champion_pool_features(con: duckdb.DuckDBPyConnection) -> None:
    """A one-trick has one champion at 100%; a player cycling 4 champions has 25%."""
    add_players(con, [Player("otp", 12, 6, champions=1), Player("flex", 12, 6, champions=4)])
    features = feature_frame(con, ScoringParams())
    assert (row(features, "otp")["champion_count"], row(features, "otp")["top_champion_share"]) == (
        1,
        1.0,
    )
    assert row(features, "flex")["top_champion_share"] == 0.25


def test_climb_velocity_from_rank_snapshots(con: duckdb.DuckDBPyConnection) -> None:
    """Silver IV 0 LP after 10 games to Gold IV 50 LP after 20 games is 45 LP per game."""
    add_players(con, [Player("climber", 20, 15)])
    add_rank(con, "climber", "SILVER", "IV", 0, 10, START)
    add_rank(con, "climber", "GOLD", "IV", 50, 20, START + timedelta(days=2))
    c = row(feature_frame(con, ScoringParams()), "climber")
    assert c["tier"] == "GOLD"
    assert c["climb_lp"] == 450
    assert c["climb_lp_per_game"] == pytest.approx(45.0)
    assert c["climb_lp_per_day"] == pytest.approx(225.0)


def test_drop_from_peak(con: duckdb.DuckDBPyConnection) -> None:
    """A player who peaked at Diamond IV and now sits in Emerald II is 200 LP below peak."""
    add_players(con, [Player("faller", 10, 2)])
    add_rank(con, "faller", "DIAMOND", "IV", 0, 100, START)
    add_rank(con, "faller", "EMERALD", "II", 0, 110, START + timedelta(days=1))
    assert row(feature_frame(con, ScoringParams()), "faller")["drop_from_peak_lp"] == 200


def test_games_are_compared_with_the_players_current_tier(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Every game is judged against the baseline of the tier the player holds now (the
    profile's, else the newest snapshot's), whatever the tier of the time."""
    add_players(con, [Player("p", 4, 2)])
    add_rank(con, "p", "SILVER", "I", 0, 10, START + timedelta(hours=1))
    add_rank(con, "p", "GOLD", "IV", 0, 12, START + timedelta(hours=3))
    games = game_frame(con, ScoringParams(), ["p"])
    assert len(games) == 4
    assert set(games["current_tier"]) == {"GOLD"}
    con.execute("UPDATE players SET summoner_checked_at = now(), solo_tier = 'PLATINUM'")
    assert set(game_frame(con, ScoringParams(), ["p"])["current_tier"]) == {"PLATINUM"}


def test_requested_players_without_games_get_a_row_of_zeros(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Asking for an unknown puuid returns it with zero games rather than dropping it."""
    features = feature_frame(con, ScoringParams(), ["nobody"])
    assert list(features["puuid"]) == ["nobody"]
    assert row(features, "nobody")["games_analyzed"] == 0


def test_baselines_fall_back_to_defaults_on_an_empty_database(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """With a single game, a tier x role baseline is nearly the documented default."""
    add_players(con, [Player("p", 1, 1)])
    baselines = baseline_frame(con, ScoringParams())
    cell = baselines.set_index(["tier", "role"]).loc[("UNRANKED", "MIDDLE")]
    assert cell["cs_pm_mean"] == pytest.approx(5.5, abs=0.05)
    assert cell["kill_participation_mean"] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # Stored out of order: every list follows the weeks' order.
        (
            [("p", 3, 30, "c"), ("p", 1, 10, "a"), ("p", 2, 20, "b")],
            {"p": ([1, 2, 3], [10, 20, 30], ["a", "b", "c"])},
        ),
        # Ties in the other lists never reorder the key; players stay apart.
        (
            [("q", 9, 1, "z"), ("p", 5, 1, "y"), ("q", -1, 1, "z"), ("p", 4, 2, "x")],
            {"p": ([4, 5], [2, 1], ["x", "y"]), "q": ([-1, 9], [1, 1], ["z", "z"])},
        ),
    ],
)
def test_sorted_lists_keep_every_list_in_the_keys_order(
    rows: list[tuple[str, int, int, str]],
    expected: dict[str, tuple[list[int], list[int], list[str]]],
) -> None:
    """The lists of each player come in the order of the first list's values, aligned."""
    con = duckdb.connect()
    con.execute("CREATE TABLE source (puuid VARCHAR, week INTEGER, games INTEGER, note VARCHAR)")
    con.executemany("INSERT INTO source VALUES (?, ?, ?, ?)", rows)
    lists = {"weeks": "week", "counts": "games", "notes": "note"}
    actual = {
        puuid: (weeks, counts, notes)
        for puuid, weeks, counts, notes in con.execute(
            f"{sorted_lists('source', lists)} ORDER BY puuid"
        ).fetchall()
    }
    assert expected == actual


WEEK = datetime(2024, 3, 4)


@pytest.mark.parametrize(
    ("weeks", "lobby_games", "lobby_z", "expected"),
    [
        # No game in the scored queues: no lists at all, or empty ones.
        (None, None, None, (0.0, 0.0)),
        ([], [], [], (0.0, 0.0)),
        # One week: no gap, and the newest week is the best.
        ([WEEK], [4], [2.0], (0.0, 0.0)),
        # Three weeks off between two: a gap of 21 days; from 5 / (5 + 5) down to 0.
        ([WEEK, WEEK + timedelta(days=28)], [5, 5], [5.0, 0.0], (21.0, 0.5)),
        # The best week in the middle; the longest gap is the later one.
        (
            [WEEK, WEEK + timedelta(days=14), WEEK + timedelta(days=42)],
            [5, 5, 15],
            [0.0, 5.0, 4.0],
            (21.0, 0.3),
        ),
    ],
)
def test_weekly_features_from_the_analyzers_lists(
    con: duckdb.DuckDBPyConnection,
    weeks: list[datetime] | None,
    lobby_games: list[int] | None,
    lobby_z: list[float] | None,
    expected: tuple[float, float],
) -> None:
    """The longest gap and the fall from the best week are read from a player's week lists
    in the analyzer's inputs; missing or empty lists read as no gap and no fall."""
    add_players(con, [Player("p", 10, 5)])
    keep_current(con, ScoringParams())
    con.execute(
        "UPDATE player_score_inputs SET weeks = ?, week_lobby_games = ?, week_lobby_z = ?",
        [weeks, lobby_games, lobby_z],
    )
    p = row(feature_frame(con, ScoringParams(), ["p"], cached_baselines=True), "p")
    assert expected == pytest.approx((p["longest_gap_days"], p["lobby_fall"]))
