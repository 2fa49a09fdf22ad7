"""Scores, labels, contributions, storage and staleness of stored scores."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import pipeline.analysis as analysis
from pipeline.analysis import (
    INSUFFICIENT_DATA,
    MODEL_VERSION,
    NORMAL,
    SMURF,
    ScoringParams,
    dequeue,
    explain,
    keep_current,
    players_needing_scores,
    queue_time,
    score_players,
    score_queued,
    write_scores,
)
from pipeline.analysis.errors import AnalysisError, UnknownPlayerError
from pipeline.analysis.model import (
    BOOSTED_MODEL,
    RANK_NOT_HELD,
    Factor,
    LogisticModel,
    factor_phrase,
)
from pipeline.analysis.scoring import (
    BOOSTED,
    LABEL_PRECISION_BY_GAMES,
    contribution_columns,
    labels_and_confidence,
    observed_precision,
)
from pipeline.store.aggregates import add_games, enqueue_players
from tests.lobby_world import START, add_matches, games_every, set_profile
from tests.test_analysis_features import Player, _rows, add_players, add_rank, con

__all__ = ["con"]  # the fixture, imported so pytest finds it here

SCORED_AT = datetime(2024, 4, 1)
ORDINARY = [f"normal{i:03d}" for i in range(40)]


def _ordinary(con: duckdb.DuckDBPyConnection) -> None:
    """Forty ordinary players, level with their lobbies, half their games won, profiled."""
    for i, puuid in enumerate(ORDINARY):
        add_matches(con, puuid, games_every(12, won=[True, False]), seed=i)
        set_profile(con, puuid, level=180 + i, wins=60 + i % 5, losses=60)


def _world(con: duckdb.DuckDBPyConnection) -> None:
    """The ordinary players, a dominant new account, a lucky streak and a weak player."""
    _ordinary(con)
    dominant = games_every(25, won=[True] * 5 + [False], strength=1.7)
    add_matches(con, "smurf", dominant, level=35, seed=100)
    set_profile(con, "smurf", level=35, wins=21, losses=4, tier="PLATINUM", division="IV")
    add_matches(con, "lucky", games_every(3, won=[True]), seed=101)
    set_profile(con, "lucky", level=120, wins=3, losses=0)
    add_matches(con, "weak", games_every(30, won=[True, False, False], strength=0.6), seed=102)
    set_profile(con, "weak", level=220, wins=90, losses=100, tier="SILVER")
    add_rank(con, "smurf", "SILVER", "IV", 0, 5, START)
    add_rank(con, "smurf", "PLATINUM", "IV", 0, 25, START + timedelta(days=2))


def _stored_players(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(DISTINCT puuid) FROM match_participants").fetchone()
    assert row is not None
    return int(row[0])


def store_later_games(con: duckdb.DuckDBPyConnection, player: Player) -> None:
    """Store ``player``'s games (match ids marked ``-later``) as the writers do: with their
    sums, queueing the player."""
    later = _rows(player, np.random.default_rng(1))
    later["match_id"] = later["match_id"] + "-later"
    con.register("later_games", later)
    con.execute(
        f"INSERT INTO match_participants ({', '.join(later.columns)}) SELECT * FROM later_games"
    )
    add_games(con, "(SELECT * FROM match_participants WHERE match_id LIKE '%-later')")
    con.unregister("later_games")


def test_public_surface_is_pinned() -> None:
    """The package exports exactly the documented names."""
    assert set(analysis.__all__) == {
        "BOOSTED",
        "INSUFFICIENT_DATA",
        "LABELS",
        "MODEL_VERSION",
        "NORMAL",
        "SMURF",
        "AnalysisError",
        "EvaluationReport",
        "Explanation",
        "NoGroundTruthError",
        "QueuedScoring",
        "ReferenceRebuildNeedsAlone",
        "ScoringParams",
        "UnknownPlayerError",
        "Upkeep",
        "evaluate",
        "dequeue",
        "explain",
        "keep_current",
        "players_needing_scores",
        "queue_time",
        "score_players",
        "score_queued",
        "write_scores",
    }


def _cap(label: str, games: int) -> float:
    """The measured precision of ``label``'s step for ``games`` stored games, read from the
    table directly: the last step starting at or below ``games``."""
    return [share for start, share in LABEL_PRECISION_BY_GAMES[label] if start <= games][-1]


def test_a_dominant_new_account_is_labelled_smurf(con: duckdb.DuckDBPyConnection) -> None:
    """A level-35 account with 25 ranked games this season, winning five in six with 1.7x its
    lobbies' numbers, is a SMURF; ordinary players level with their lobbies are NORMAL."""
    _world(con)
    scores = score_players(con).set_index("puuid")
    assert scores.loc["smurf", "label"] == SMURF
    assert scores.loc["smurf", "smurf_score"] > 0.9
    # 25 stored games: at most the share of SMURF labels measured right with 20 or more.
    expected = min(scores.loc["smurf", "smurf_score"], _cap(SMURF, 25))
    assert scores.loc["smurf", "confidence"] == pytest.approx(expected)
    assert (scores.loc[ORDINARY, "label"] == NORMAL).all()


def test_a_winning_season_over_weak_play_at_its_tier_raises_the_boosted_score(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Weak games at DIAMOND with no fall to see (the booster's games are not stored) but a
    season won 130-70: the season's record above the play at the tier raises the boosted
    score; the same games with an even season do not (most players have none of it, and the
    factor's line is flat there)."""
    _ordinary(con)
    weak = games_every(20, won=[True, False, False], strength=0.55)
    for seed, (puuid, wins, losses) in enumerate((("owner", 130, 70), ("even", 100, 100))):
        add_matches(con, puuid, weak, level=250, seed=200 + seed)
        set_profile(con, puuid, level=250, wins=wins, losses=losses, tier="DIAMOND")
    scores = score_players(con, ["owner", "even"]).set_index("puuid")
    factor = "contrib_boosted_winning_season_below_tier"
    assert scores.loc["owner", factor] > 1.0
    assert -0.2 < scores.loc["even", factor] <= 0.0
    assert scores.loc["owner", "boosted_score"] > 3 * scores.loc["even", "boosted_score"]
    assert scores.loc["owner", "label"] == BOOSTED


def test_an_owner_losing_back_a_rank_they_cannot_hold_raises_the_boosted_score(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Weak games at DIAMOND, no booster's games stored, and a season lost 70-130: the rank
    its owner's own play does not hold (the boosted model's second part) labels the account
    BOOSTED; the same games on an even season stay NORMAL. The contributions still add up
    to the boosted log-odds, and ``explain`` names the part, its probability the value."""
    _ordinary(con)
    weak = games_every(20, won=[True, False, False], strength=0.55)
    for seed, (puuid, wins, losses) in enumerate((("owner", 70, 130), ("even", 100, 100))):
        add_matches(con, puuid, weak, level=250, seed=300 + seed)
        set_profile(con, puuid, level=250, wins=wins, losses=losses, tier="DIAMOND")
    scores = score_players(con).set_index("puuid")
    part = f"contrib_boosted_{RANK_NOT_HELD}"
    assert scores.loc["owner", part] > scores.loc["even", part]
    assert scores.loc["owner", "boosted_score"] > 0.9
    assert scores.loc["owner", "label"] == BOOSTED
    assert scores.loc["even", "boosted_score"] < 0.1
    assert scores.loc["even", "label"] == NORMAL
    contributions = scores[contribution_columns(scores.reset_index(), "boosted")]
    assert contributions.sum(axis=1).to_numpy() == pytest.approx(
        scores["boosted_logit"].to_numpy(), abs=1e-9
    )
    factors = explain(con, "owner").factors
    (row,) = factors[factors["factor"] == RANK_NOT_HELD].to_dict("records")
    assert row["contribution"] == pytest.approx(scores.loc["owner", part])
    assert row["value"] > 0.5 > 0.05 > row["baseline"]
    assert factor_phrase("boosted", RANK_NOT_HELD, row["contribution"]) == (
        "a rank its owner's own play does not hold"
    )


def test_the_second_part_of_the_boosted_model_reads_zero_for_a_typical_player() -> None:
    """A player at every center of both parts scores the prior, a typical player's odds of
    either part, every share 0. The second part's share is 0 whenever it reads the player
    as typical, whatever the first part says (a booster's fall in sight); above 0 where it
    sees a rank the play does not hold, below 0 where the play holds it. The first part's
    factors keep their signs, scaled alike; every row adds up to the log-odds of
    1 - (1 - p1)(1 - p2)."""
    second = BOOSTED_MODEL.rank_not_held
    assert second is not None
    centers = {f.name: f.center for f in (*BOOSTED_MODEL.factors, *second.factors)}
    rows = pd.DataFrame([centers] * 4)
    rows.loc[1, "losing_season_below_tier"] = 1.5  # an owner losing back a rank
    rows.loc[2, ["lobby_fall", "play_swing"]] = [0.6, -0.8]  # a booster's week, then the owner
    rows.loc[3, "recent_below_tier"] = -1.0  # playing well above the tier
    contributions = BOOSTED_MODEL.contributions(rows)
    first = dataclasses.replace(BOOSTED_MODEL, rank_not_held=None).contributions(rows)
    p1 = 1 / (1 + np.exp(-first.sum(axis=1)))
    p2 = 1 / (1 + np.exp(-second.contributions(rows).sum(axis=1)))
    either = np.log(1 - (1 - p1) * (1 - p2)) - np.log((1 - p1) * (1 - p2))
    assert contributions.sum(axis=1).to_numpy() == pytest.approx(either.to_numpy(), abs=1e-9)
    assert contributions.loc[0, "prior"] == pytest.approx(float(either[0]))
    assert (contributions.drop(columns="prior").loc[0] == 0.0).all()
    part = contributions[RANK_NOT_HELD]
    assert part[1] > 2.0
    assert part[2] == pytest.approx(0.0, abs=1e-12)
    assert part[3] <= 0.0
    falls = ["lobby_fall", "play_swing"]
    shares = contributions.loc[2, falls] / first.loc[2, falls]
    assert 0.5 < shares.iloc[0] <= 1.0
    assert shares.iloc[0] == pytest.approx(shares.iloc[1])
    assert factor_phrase("boosted", RANK_NOT_HELD, part[1]) == (
        "a rank its owner's own play does not hold"
    )
    assert factor_phrase("boosted", RANK_NOT_HELD, -0.1) == "play that holds its rank"
    nobody = BOOSTED_MODEL.contributions(rows.iloc[:0])  # a world with no player judged yet
    assert nobody.empty and list(nobody.columns) == list(contributions.columns)


def test_confidence_on_few_games_is_no_higher_than_such_labels_proved(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Seven dominant games on a new account: labelled SMURF with p near 1, but the label's
    confidence is capped at the share of SMURF labels on 5-19 stored games measured right
    (at worst)."""
    _ordinary(con)
    dominant = games_every(7, won=[True] * 6 + [False], strength=1.8)
    add_matches(con, "few", dominant, level=32, seed=100)
    set_profile(con, "few", level=32, wins=6, losses=1, tier="SILVER")
    few = score_players(con, ["few"]).iloc[0]
    assert few["label"] == SMURF
    assert few["smurf_score"] > 0.95
    assert few["confidence"] == pytest.approx(_cap(SMURF, 7))
    assert few["confidence"] < 0.9
    assert few["confidence"] < few["smurf_score"]


def test_boosted_is_given_to_a_boosted_case_the_smurf_score_does_not_claim_too() -> None:
    """BOOSTED reads "boosted, not a smurf": a boosted score of 0.86 with a smurf score of
    0.51 (a smurf that climbed shows a booster's fall from its best week) is labelled
    neither, the same boosted score with a smurf score of 0.005 is BOOSTED, its confidence
    that product (under its cap); a smurf score past its threshold and the stronger case is
    SMURF whatever the boosted score, and one whose boosted case is the stronger leaves
    BOOSTED to that product."""

    def logit(p: float) -> float:
        return float(np.log(p / (1 - p)))

    pairs = [(0.005, 0.86), (0.51, 0.86), (0.9, 0.95), (0.6, 0.99), (0.3, 0.2)]
    scores = pd.DataFrame(
        {
            "smurf_score": [s for s, _ in pairs],
            "boosted_score": [b for _, b in pairs],
            "smurf_logit": [logit(s) for s, _ in pairs],
            "boosted_logit": [logit(b) for _, b in pairs],
            "games_analyzed": [30] * len(pairs),
        }
    )
    scores.loc[2, "smurf_logit"] = 5.0  # the stronger case of the two
    labels, confidence = labels_and_confidence(
        scores, pd.Series([None] * len(pairs), dtype=object), ScoringParams()
    )
    assert list(labels) == [BOOSTED, NORMAL, SMURF, NORMAL, NORMAL]
    assert confidence[0] == pytest.approx(min(0.86 * 0.995, _cap(BOOSTED, 30)))
    assert confidence[1] == pytest.approx((1 - 0.51) * (1 - 0.86))
    lenient = ScoringParams(boosted_threshold=0.39)
    labels, _ = labels_and_confidence(scores, pd.Series([None] * len(pairs)), lenient)
    assert list(labels) == [BOOSTED, BOOSTED, SMURF, BOOSTED, NORMAL]


def test_confidence_caps_follow_the_stored_games_and_never_fall_as_they_grow() -> None:
    """Each label's cap is the one of its bucket of stored games (the step at or below the
    games), and more games never cap lower."""
    games = np.arange(5, 200)
    for label in (SMURF, BOOSTED):
        caps = observed_precision(label, games)
        assert (np.diff(caps) >= 0).all()
    for label in (SMURF, BOOSTED):
        caps = observed_precision(label, np.array([5, 7, 9, 10, 12, 19, 20, 25]))
        expected = [_cap(label, g) for g in (5, 7, 9, 10, 12, 19, 20, 25)]
        np.testing.assert_allclose(caps, expected)
        assert 0.5 < caps.min() <= caps.max() < 1.0


def test_three_wins_of_three_is_not_a_smurf(con: duckdb.DuckDBPyConnection) -> None:
    """Three straight wins is too little evidence: INSUFFICIENT_DATA with no confidence
    (a level-120 account's three wins of three games this season, played as an ordinary
    player plays), whatever the score says. smurf-logit-15 scores it 0.21 against a
    threshold of 0.566 (smurf-logit-12: 0.54 against 0.533, where five such games were
    labelled SMURF; with smurf-logit-15 they score 0.23, NORMAL). It stays far below a
    dominant new account's."""
    _world(con)
    scores = score_players(con, ["lucky", "smurf"]).set_index("puuid")
    lucky = scores.loc["lucky"]
    assert lucky["label"] == INSUFFICIENT_DATA
    assert np.isnan(lucky["confidence"])
    assert lucky["smurf_score"] < scores.loc["smurf", "smurf_score"] - 0.3


def test_contributions_add_up_to_the_logit(con: duckdb.DuckDBPyConnection) -> None:
    """For both scores, the factor contributions (prior included) sum to the log-odds."""
    _world(con)
    scores = score_players(con)
    for target in ("smurf", "boosted"):
        total = scores[contribution_columns(scores, target)].sum(axis=1)
        np.testing.assert_allclose(total, scores[f"{target}_logit"], rtol=0, atol=1e-12)
        probability = 1 / (1 + np.exp(-total))
        np.testing.assert_allclose(probability, scores[f"{target}_score"], atol=1e-12)


def test_a_bent_factor_moves_the_odds_piece_by_piece_from_its_center() -> None:
    """A factor bent at 0 and 1 (slopes 0.5 below 0, 2 up to 1, 0 above): its contribution
    is 0 at the center and where the value is missing, rises 2 per unit between the knots,
    half that below them and not at all above; a straight factor is ``weight * (x -
    center)``. A bend with a slope missing, or knots out of order, is refused."""
    bent = Factor("a", 1.0, 0.5, knots=(0.0, 1.0), slopes=(0.5, 2.0, 0.0))
    straight = Factor("b", -2.0, 1.0)
    model = LogisticModel("smurf", -1.0, (bent, straight))
    inputs = pd.DataFrame({"a": [0.5, -2.0, 0.0, 1.0, 3.0, np.nan], "b": [1.0, 2.0, 0, 0, 0, 0]})

    contributions = model.contributions(inputs)

    np.testing.assert_allclose(contributions["a"], [0.0, -2.0, -1.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(contributions["b"], [0.0, -2.0, 2.0, 2.0, 2.0, 2.0])
    assert (contributions["prior"] == -1.0).all()
    with pytest.raises(ValueError, match="one slope more"):
        Factor("a", 1.0, 0.0, knots=(0.0, 1.0), slopes=(1.0, 1.0))
    with pytest.raises(ValueError, match="rise"):
        Factor("a", 1.0, 0.0, knots=(1.0, 0.0), slopes=(1.0, 1.0, 1.0))


def test_scoring_is_deterministic(con: duckdb.DuckDBPyConnection) -> None:
    """Scoring the same data twice gives identical frames."""
    _world(con)
    pd.testing.assert_frame_equal(score_players(con), score_players(con))


def test_scoring_a_subset_matches_scoring_everyone(con: duckdb.DuckDBPyConnection) -> None:
    """Baselines come from the whole population, so a player's score does not depend on
    who else is scored in the same call."""
    _world(con)
    everyone = score_players(con).set_index("puuid")
    subset = score_players(con, ["weak", "smurf"]).set_index("puuid")
    pd.testing.assert_frame_equal(subset, everyone.loc[["smurf", "weak"]])


def test_invalid_params_are_rejected_with_a_clear_message() -> None:
    """An empty queue list cannot be scored."""
    with pytest.raises(AnalysisError, match="queues is empty"):
        ScoringParams(queues=())


def test_write_scores_appends_history_with_json_details(con: duckdb.DuckDBPyConnection) -> None:
    """Each scoring appends one row per player; the latest view shows the newest."""
    _world(con)
    scores = score_players(con)
    assert write_scores(con, scores, SCORED_AT) == len(scores)
    assert write_scores(con, scores, SCORED_AT + timedelta(hours=1)) == len(scores)
    history = con.execute("SELECT count(*) FROM smurf_scores WHERE puuid = 'smurf'").fetchone()
    assert history == (2,)
    latest = con.execute(
        "SELECT scored_at, model_version, label, contributions, features "
        "FROM latest_smurf_scores WHERE puuid = 'smurf'"
    ).fetchone()
    assert latest is not None
    assert latest[:3] == (SCORED_AT + timedelta(hours=1), MODEL_VERSION, SMURF)
    contributions = json.loads(latest[3])
    smurf_row = scores.set_index("puuid").loc["smurf"]
    stomps = contributions["smurf"]["lobby_stomps"]
    assert stomps == pytest.approx(smurf_row["contrib_smurf_lobby_stomps"])
    assert json.loads(latest[4])["win_rate_shrunk"] == pytest.approx(smurf_row["win_rate_shrunk"])


def test_the_score_history_keeps_its_rows_and_ids_without_a_key_index(db_path: Path) -> None:
    """The history has no key index (DuckDB rewrites one whole at every checkpoint); the
    migration that dropped it keeps every score and id, and new ids follow the old."""
    from pipeline.store.migrate import migrate

    with duckdb.connect(str(db_path)) as con:
        _world(con)
        write_scores(con, score_players(con), SCORED_AT)
        before = con.execute("SELECT * FROM smurf_scores ORDER BY id").fetchall()
        con.execute("DELETE FROM schema_migrations WHERE version = 14")
    migrate(db_path)
    with duckdb.connect(str(db_path)) as con:
        assert con.execute("SELECT * FROM smurf_scores ORDER BY id").fetchall() == before
        keys = con.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'smurf_scores'"
            " AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
        ).fetchone()
        assert keys == (0,)
        write_scores(con, score_players(con), SCORED_AT + timedelta(hours=1))
        ids = con.execute(
            "SELECT count(*), count(DISTINCT id), min(id) FROM smurf_scores"
        ).fetchone()
        newest = con.execute("SELECT count(*) FROM latest_smurf_scores").fetchone()
    assert ids is not None and ids[0] == ids[1] == 2 * len(before)
    assert newest == (len(before),)
    assert ids[2] == before[0][0]


def test_queued_players_are_scored_and_come_back_only_when_something_changed(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Players with enough games are read from the queue; once scored and taken off they
    return only when queued again (new games, profile, rank), and players with too few
    games leave the queue unscored."""
    add_players(con, [Player("a", 10, 5), Player("b", 20, 10), Player("c", 3, 1)])
    keep_current(con, ScoringParams())
    assert players_needing_scores(con, limit=10, min_matches=5) == ["a", "b"]
    assert players_needing_scores(con, limit=1, min_matches=5) == ["a"]
    read_at = queue_time(con)
    write_scores(con, score_players(con, ["a", "b"]), SCORED_AT)
    assert dequeue(con, ["a", "b"], 5, read_at) == 3  # c has too few games
    assert players_needing_scores(con, limit=10, min_matches=5) == []
    assert con.execute("SELECT count(*) FROM players_to_score").fetchone() == (0,)
    enqueue_players(con, "SELECT 'a' AS puuid")
    assert players_needing_scores(con, limit=10, min_matches=5) == ["a"]


def test_a_pass_scores_the_queue_in_turn_and_stores_what_it_returns(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """One pass scores up to its limit, longest queued first, stores those scores and takes
    the players off the queue (players with too few games leave unscored); the next pass
    takes the rest, and a pass over an empty queue scores nobody. ``everyone`` rescores all."""
    add_players(con, [Player("a", 10, 5), Player("b", 20, 10), Player("c", 3, 1)])
    heard: list[int] = []
    first = score_queued(con, ScoringParams(), 1, on_players=heard.append)
    assert first.scores["puuid"].tolist() == ["a"]
    assert first.written == 1
    assert first.upkeep.baselines_refreshed
    assert heard == [1]
    assert players_needing_scores(con, limit=10, min_matches=5) == ["b"]
    second = score_queued(con, ScoringParams(), 10)
    assert second.scores["puuid"].tolist() == ["b"]
    assert not second.upkeep.baselines_refreshed
    assert con.execute("SELECT count(*) FROM players_to_score").fetchone() == (0,)
    assert score_queued(con, ScoringParams(), 10).written == 0
    stored = con.execute(
        "SELECT puuid, smurf_score, label FROM latest_smurf_scores ORDER BY puuid"
    ).fetchall()
    returned = pd.concat([first.scores, second.scores])
    assert stored == list(
        returned[["puuid", "smurf_score", "label"]].itertuples(index=False, name=None)
    )
    everyone = score_queued(con, ScoringParams(), 1, everyone=True)
    assert sorted(everyone.scores["puuid"]) == ["a", "b", "c"]
    assert everyone.scores.set_index("puuid").loc["c", "label"] == INSUFFICIENT_DATA


def test_a_lowered_minimum_scores_the_players_a_higher_one_took_off_the_queue(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A pass under a high ``min_matches_required`` takes the players with fewer games off
    the queue unscored; once the minimum is lowered, the next pass scores those it now
    allows (without new games), and only once."""
    add_players(con, [Player("a", 10, 5), Player("b", 20, 10), Player("c", 3, 1)])
    high = score_queued(con, ScoringParams(min_games=15), 10)
    assert high.scores["puuid"].tolist() == ["b"]
    assert con.execute("SELECT count(*) FROM players_to_score").fetchone() == (0,)
    lowered = score_queued(con, ScoringParams(min_games=5), 10)
    assert lowered.scores["puuid"].tolist() == ["a"]
    assert score_queued(con, ScoringParams(min_games=5), 10).written == 0
    # Raising it again scores nobody; lowering it to c's games scores c only (a's score is
    # current), then nobody; two minimums in turn (a job's and `smurf analyze`'s) rescore
    # nobody whose score is current.
    assert score_queued(con, ScoringParams(min_games=12), 10).written == 0
    assert score_queued(con, ScoringParams(min_games=3), 10).scores["puuid"].tolist() == ["c"]
    for turn in (12, 3, 12, 3):
        assert score_queued(con, ScoringParams(min_games=turn), 10).written == 0
    # A player labelled INSUFFICIENT_DATA for too few games under a higher minimum (by
    # `smurf analyze --all`) is scored again once the minimum allows them.
    everyone = score_queued(con, ScoringParams(min_games=15), 10, everyone=True).scores
    assert everyone.set_index("puuid").loc["a", "label"] == INSUFFICIENT_DATA
    rescored = score_queued(con, ScoringParams(min_games=5), 10).scores
    assert rescored["puuid"].tolist() == ["a"]
    assert not str(rescored["reason"].iloc[0] or "").startswith("only ")  # enough games now
    # A player queued for something else than games (a new profile) and taken off by a
    # higher minimum is scored again once it is lowered.
    assert score_queued(con, ScoringParams(min_games=5), 10).written == 0
    enqueue_players(con, "SELECT 'a' AS puuid")
    assert score_queued(con, ScoringParams(min_games=15), 10).written == 0
    assert score_queued(con, ScoringParams(min_games=5), 10).scores["puuid"].tolist() == ["a"]
    # Scored with enough games, a player is off the list (only c, with 3 games, is left
    # from `--all` at 15): lowering the minimum again rescores nobody.
    assert score_queued(con, ScoringParams(min_games=25), 10).written == 0
    assert score_queued(con, ScoringParams(min_games=4), 10).written == 0
    assert con.execute("SELECT DISTINCT puuid FROM players_below_minimum").fetchall() == [("c",)]


def test_a_pass_rolled_back_leaves_the_queue_and_inputs_for_the_next(db_path: Path) -> None:
    """A pass whose transaction fails stores nothing and folds nothing: the next pass scores
    the same player from all their games."""
    with duckdb.connect(str(db_path)) as con:
        add_players(con, [Player("a", 10, 5), Player("b", 20, 10)])
        score_queued(con, ScoringParams(), 10)
        store_later_games(con, Player("a", 4, 4, first_game=START + timedelta(days=30)))
        unfolded = con.execute("SELECT count(*) FROM player_game_sums WHERE NOT folded").fetchone()
        con.execute("BEGIN")
        assert score_queued(con, ScoringParams(), 10).written == 1
        con.execute("ROLLBACK")
        assert (
            con.execute("SELECT count(*) FROM player_game_sums WHERE NOT folded").fetchone()
            == unfolded
        )
        assert players_needing_scores(con, limit=10, min_matches=5) == ["a"]
        again = score_queued(con, ScoringParams(), 10)
        assert again.scores.set_index("puuid").loc["a", "games_analyzed"] == 14
        history = con.execute("SELECT count(*) FROM smurf_scores").fetchone()
    assert history == (3,)


def test_a_player_queued_again_while_being_scored_stays_queued(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Games that arrive while a player is scored queue them again after the read."""
    add_players(con, [Player("a", 10, 5)])
    keep_current(con, ScoringParams())
    read_at = queue_time(con)
    con.execute(
        "UPDATE players_to_score SET queued_at = $later", {"later": read_at + timedelta(seconds=1)}
    )
    assert dequeue(con, ["a"], 5, read_at) == 0
    assert players_needing_scores(con, limit=10, min_matches=5) == ["a"]


def test_a_player_queued_twice_is_scored_once_and_a_later_copy_stays(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The queue has no key: two transactions running side by side may both queue a new
    player. The analyzer reads them once, takes off every copy queued before its read, and
    leaves a copy queued after it for the next pass."""
    add_players(con, [Player("a", 10, 5), Player("b", 20, 10)])
    keep_current(con, ScoringParams())
    con.execute("INSERT INTO players_to_score SELECT puuid, queued_at FROM players_to_score")
    assert players_needing_scores(con, limit=10, min_matches=5) == ["a", "b"]
    read_at = queue_time(con)
    con.execute(
        "INSERT INTO players_to_score VALUES ('b', $later)",
        {"later": read_at + timedelta(seconds=1)},
    )
    assert dequeue(con, ["a", "b"], 5, read_at) == 2
    left = con.execute("SELECT puuid, queued_at > $at FROM players_to_score", {"at": read_at})
    assert left.fetchall() == [("b", True)]


def test_a_player_whose_games_arrive_after_the_inputs_were_folded_stays_queued(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A player already queued is not queued again by new games (they keep their place),
    so games stored between the analyzer's fold and its dequeue keep them on the queue:
    the score just written has not seen those games."""
    add_players(con, [Player("a", 10, 5)])
    keep_current(con, ScoringParams())
    read_at = queue_time(con)
    scores = score_players(con, ["a"], cached_baselines=True)
    store_later_games(con, Player("a", 2, 1, first_game=START + timedelta(days=30)))
    assert dequeue(con, ["a"], 5, read_at) == 0
    keep_current(con, ScoringParams())
    assert dequeue(con, ["a"], 5, read_at) == 1
    assert int(scores["games_analyzed"].iloc[0]) == 10


def test_changes_stored_while_a_pass_runs_are_scored_by_the_next_pass(db_path: Path) -> None:
    """A pass runs in one transaction: games and profiles another connection commits
    meanwhile are not in its snapshot, and its dequeue takes their (already queued) players
    off the queue. The store noted those changes; the next pass queues the players again and
    scores them with every game and the new profile."""
    with duckdb.connect(str(db_path)) as con:
        # Enough games that four more do not refresh the baselines (that queues everyone).
        add_players(con, [Player("a", 10, 5), Player("b", 12, 6), Player("c", 80, 40)])
        score_queued(con, ScoringParams(), 10)
        enqueue_players(con, "SELECT 'a' AS puuid UNION ALL SELECT 'b'")
        other = con.cursor()
        con.execute("BEGIN")
        assert score_queued(con, ScoringParams(), 10).scores["puuid"].tolist() == ["a", "b"]
        store_later_games(other, Player("a", 4, 4, first_game=START + timedelta(days=30)))
        set_profile(other, "b", level=333, wins=40, losses=30)
        con.execute("COMMIT")
        next_pass = score_queued(con, ScoringParams(), 10)
        assert not next_pass.upkeep.everyone_queued
        again = next_pass.scores.set_index("puuid")
        assert sorted(again.index) == ["a", "b"]
        assert again.loc["a", "games_analyzed"] == 14
        assert again.loc["b", "summoner_level"] == 333
        unfolded = con.execute("SELECT count(*) FROM player_game_sums WHERE NOT folded")
        assert unfolded.fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM players_to_score_again").fetchone() == (0,)
        assert score_queued(con, ScoringParams(), 10).written == 0


def test_explain_breaks_the_score_into_factors_and_games(con: duckdb.DuckDBPyConnection) -> None:
    """The explanation's contributions sum to the logit and it lists the analysed games."""
    _world(con)
    why = explain(con, "smurf")
    assert why.label == SMURF
    smurf_factors = why.factors[why.factors["target"] == "smurf"]
    total = smurf_factors["contribution"].sum()
    assert 1 / (1 + np.exp(-total)) == pytest.approx(why.smurf_score)
    assert len(why.games) == why.games_analyzed == 25
    assert list(why.rank_history["tier"]) == ["SILVER", "PLATINUM"]
    assert why.features["summoner_level"] == 35
    assert why.features["games_played"] == 25


def test_explain_an_unknown_player_raises(con: duckdb.DuckDBPyConnection) -> None:
    """Explaining a puuid without stored games names the puuid."""
    with pytest.raises(UnknownPlayerError, match="nobody"):
        explain(con, "nobody")


def test_strong_old_games_then_weak_recent_ones_are_labelled_boosted(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """An account that won with 1.6x its lobbies' numbers, then plays at 0.6x and loses at its
    new tier, is BOOSTED, most of all for that fall: from its best week to the newest
    (``lobby_fall``) and from its trend's average at the tier to its newest value
    (``tier_decline``); an account weak throughout is not, and shows no fall."""
    _ordinary(con)
    # A day apart: the booster's games, then the owner's from day 15 (a trend over a few
    # days is damped toward flat, see features).
    boosted = [
        *games_every(10, won=[True, True, True, False], strength=1.6, hours=24),
        *games_every(
            20, won=[False, False, True], strength=0.6, hours=24, start=START + timedelta(days=15)
        ),
    ]
    add_matches(con, "boosted", boosted, level=240, seed=100)
    set_profile(con, "boosted", level=240, wins=120, losses=90, tier="DIAMOND", division="IV")
    add_matches(con, "weak", games_every(30, won=[True, False, False], strength=0.6), seed=102)
    set_profile(con, "weak", level=220, wins=90, losses=100, tier="SILVER")
    scores = score_players(con).set_index("puuid")
    assert scores.loc["boosted", "label"] == "BOOSTED"
    assert scores.loc["weak", "label"] == NORMAL
    contributions = scores[contribution_columns(scores, "boosted")]
    falls = ["contrib_boosted_lobby_fall", "contrib_boosted_tier_decline"]
    assert contributions.loc["boosted"].idxmax() in falls
    assert contributions.loc["boosted", "contrib_boosted_lobby_fall"] > 2.0
    # The two falls raise the odds more than every other factor together.
    raised = contributions.loc["boosted"].clip(lower=0.0)
    assert contributions.loc["boosted", falls].sum() > raised.drop(falls).sum()
    # No fall at all sits below the typical player's (whose best week beats the newest by
    # chance): it lowers the odds, or leaves them.
    assert contributions.loc["weak", "contrib_boosted_lobby_fall"] < 0.0
    assert contributions.loc["weak", "contrib_boosted_tier_decline"] <= 0.0


def test_scoring_leaves_no_temporary_tables_and_works_read_only(
    con: duckdb.DuckDBPyConnection, db_path: Path
) -> None:
    """A read-only connection (as the analyzer job uses) can score, and nothing is left over."""
    _world(con)
    con.close()
    with duckdb.connect(str(db_path), read_only=True) as reader:
        assert len(score_players(reader)) == _stored_players(reader)
        left = reader.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()
    assert left == (0,)


def test_a_new_model_version_queues_everyone_again(con: duckdb.DuckDBPyConnection) -> None:
    """A player last scored by an older model is queued again, even without new games."""
    add_players(con, [Player("a", 10, 5)])
    keep_current(con, ScoringParams())
    read_at = queue_time(con)
    write_scores(con, score_players(con, ["a"], cached_baselines=True), SCORED_AT)
    dequeue(con, ["a"], 5, read_at)
    assert keep_current(con, ScoringParams()).everyone_queued is False
    assert players_needing_scores(con, limit=10, min_matches=5) == []
    con.execute("UPDATE scoring_state SET model_version = 'older-model'")
    assert keep_current(con, ScoringParams()).everyone_queued is True
    assert players_needing_scores(con, limit=10, min_matches=5) == ["a"]
