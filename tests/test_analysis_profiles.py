"""No label without a fresh profile: what the account has played must be known first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.analysis import (
    INSUFFICIENT_DATA,
    SMURF,
    ScoringParams,
    dequeue,
    keep_current,
    players_needing_scores,
    queue_time,
    score_players,
    write_scores,
)
from tests.lobby_world import add_matches, games_every, set_profile

NOW = datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this test's migrated database, with one dominant new account whose
    profile each test sets (or not)."""
    connection = duckdb.connect(str(db_path))
    for i in range(6):
        add_matches(connection, f"ordinary{i}", games_every(12, won=[True, False]), seed=i)
    dominant = games_every(20, won=[True, True, True, True, False], strength=2.0)
    add_matches(connection, "dominant", dominant, level=33)
    yield connection
    connection.close()


def _score(con: duckdb.DuckDBPyConnection, **params: float) -> pd.Series:
    return score_players(con, ["dominant"], params=ScoringParams(**params)).iloc[0]


def test_without_a_profile_even_a_dominant_player_is_insufficient_data(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Winning four games in five with twice the lobby's numbers is not enough without a
    profile: the label is INSUFFICIENT_DATA and the reason says what is missing."""
    scored = _score(con)
    assert scored["label"] == INSUFFICIENT_DATA
    assert scored["reason"] == "no profile (summoner level, league entry) fetched yet"
    assert pd.isna(scored["confidence"])


def test_a_stale_profile_is_not_enough(con: duckdb.DuckDBPyConnection) -> None:
    """A profile older than profile_max_age_hours leaves the player unlabelled, saying how old."""
    set_profile(con, "dominant", level=33, wins=16, losses=4, checked_at=NOW - timedelta(days=5))
    scored = _score(con)
    assert scored["label"] == INSUFFICIENT_DATA
    assert scored["reason"] == "profile is 120 h old (72 h allowed)"
    assert _score(con, profile_max_age_hours=200)["label"] != INSUFFICIENT_DATA


def test_an_account_the_api_no_longer_finds_is_not_labelled(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """When summoner-v4 answers 404 (a ban, a deletion), there is no profile to judge by."""
    set_profile(con, "dominant", level=33, wins=None, losses=None, found=False)
    scored = _score(con)
    assert scored["label"] == INSUFFICIENT_DATA
    assert scored["reason"] == "summoner-v4 no longer finds the account"


def test_a_gone_account_has_no_season_to_read(con: duckdb.DuckDBPyConnection) -> None:
    """An account summoner-v4 no longer finds has an unknown season, not one of no games:
    the season's factors add nothing (a season of 0 games would read as a new account's and
    raise the smurf score of an old account whose games alone look ordinary)."""
    set_profile(con, "dominant", level=400, wins=None, losses=None, found=False)
    gone = _score(con)
    assert gone["label"] == INSUFFICIENT_DATA
    for factor in ("season_games", "new_account_record", "rising_on_new_account"):
        assert gone[f"contrib_smurf_{factor}"] == 0.0
    for factor in ("new_by_games", "season_record", "winning_season_below_tier"):
        assert gone[f"contrib_boosted_{factor}"] == 0.0
    # Found and unranked, the same account has played no ranked game this season.
    set_profile(con, "dominant", level=400, wins=None, losses=None, found=True)
    assert _score(con)["contrib_smurf_season_games"] > 0.0


def test_too_few_games_is_said_with_the_number(con: duckdb.DuckDBPyConnection) -> None:
    """With fewer analysed games than min_games the reason gives both numbers."""
    set_profile(con, "dominant", level=33, wins=16, losses=4)
    scored = _score(con, min_games=25)
    assert scored["label"] == INSUFFICIENT_DATA
    assert scored["reason"] == "only 20 ranked games stored (25 needed)"


def test_with_a_fresh_profile_the_dominant_new_account_is_a_smurf(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The same player with a fresh profile of a level-33 account with 20 ranked games is
    labelled SMURF, with no reason attached."""
    set_profile(con, "dominant", level=33, wins=16, losses=4)
    scored = _score(con)
    assert scored["label"] == SMURF
    assert pd.isna(scored["reason"])


def test_a_new_profile_brings_a_player_back_for_scoring(con: duckdb.DuckDBPyConnection) -> None:
    """A player scored INSUFFICIENT_DATA for want of a profile is rescored once it arrives,
    and the stored score keeps its reason."""
    keep_current(con, ScoringParams())  # as the analyzer does before it reads the queue
    read_at = queue_time(con)
    scores = score_players(con, ["dominant"])
    write_scores(con, scores, NOW - timedelta(minutes=5))
    dequeue(con, ["dominant"], 5, read_at)
    stored = con.execute("SELECT label, reason FROM latest_smurf_scores").fetchone()
    assert stored == (INSUFFICIENT_DATA, "no profile (summoner level, league entry) fetched yet")
    assert "dominant" not in players_needing_scores(con, 100, 5)
    set_profile(con, "dominant", level=33, wins=16, losses=4, checked_at=NOW)
    assert "dominant" in players_needing_scores(con, 100, 5)
