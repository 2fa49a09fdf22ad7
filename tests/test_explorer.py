"""The functions behind the notebooks' tables, plots and widgets, on a known world."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import nbformat
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from nbclient import NotebookClient

from pipeline.explorer import jobs, players, plots, present, quality, scores, sql
from pipeline.explorer import widgets as widgets_module
from pipeline.explorer.widgets import ANY, PlayerExplorer, card_html, card_parts, player_options
from pipeline.store import migrate, read, write
from tests.browser import MISSING as BROWSER_MISSING
from tests.browser import Browser, find_chromium
from tests.notebook_world import (
    BANNED,
    BANNED_BEFORE,
    BOOSTED,
    FIRST_SCORING,
    INSUFFICIENT,
    NEWLY_FLAGGED,
    NOW,
    PLAYERS,
    SECOND_SCORING,
    SMURFS,
    build_unprofiled_world,
    build_unscored_world,
    build_world,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("explorer") / "world.duckdb")


@pytest.fixture
def con(world: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with read(world) as connection:
        yield connection


@pytest.fixture(scope="module")
def unscored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Games stored, nobody scored yet (`smurf analyze` never ran)."""
    return build_unscored_world(tmp_path_factory.mktemp("unscored") / "unscored.duckdb")


@pytest.fixture(scope="module")
def unprofiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Games stored and scored, no profile ever fetched: every label INSUFFICIENT_DATA."""
    return build_unprofiled_world(tmp_path_factory.mktemp("unprofiled") / "unprofiled.duckdb")


# ---- scores --------------------------------------------------------------------------


def test_latest_scores_takes_each_players_newest_score(con: duckdb.DuckDBPyConnection) -> None:
    """One row per player, from the newest scoring run."""
    latest = scores.latest_scores(con)
    assert len(latest) == PLAYERS
    assert latest.set_index("puuid").loc[NEWLY_FLAGGED, "label"] == "SMURF"


def test_latest_scores_as_of_sees_the_past(con: duckdb.DuckDBPyConnection) -> None:
    """As of the first run, the later-flagged player was still NORMAL."""
    then = scores.latest_scores(con, as_of=FIRST_SCORING)
    assert then.set_index("puuid").loc[NEWLY_FLAGGED, "label"] == "NORMAL"


def test_latest_scores_filters_by_platform_and_games(con: duckdb.DuckDBPyConnection) -> None:
    """The platform filter keeps only that platform; min_games above every count keeps none."""
    assert {"na1"} == set(scores.latest_scores(con, platform="na1")["platform"])
    assert scores.latest_scores(con, min_games=31).empty


def test_first_scored_at_is_the_oldest_score_or_none(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The time of the first scoring run; None in a database nobody has scored."""
    assert scores.first_scored_at(con) == FIRST_SCORING
    empty = tmp_path / "empty.duckdb"
    migrate(empty)
    with read(empty) as fresh:
        assert scores.first_scored_at(fresh) is None


@pytest.mark.parametrize(
    ("as_of", "first_scored", "advice"),
    [
        (
            datetime(2020, 1, 1),
            datetime(2026, 11, 27, 18, 0, 5),
            "the first score was made at 2026-11-27 18:00:05 UTC; choose a later as_of.",
        ),
        (
            datetime(2026, 11, 28),
            datetime(2026, 11, 27, 18, 0, 5),
            "lower min_games, check platform, or run `smurf analyze`.",
        ),
        (
            datetime(2020, 1, 1),
            None,
            "nobody in this database is scored yet. Store games (`smurf track` and the jobs,"
            " or `smurf import-matches`), then run `smurf analyze` (the scheduler runs all of"
            " them on its own).",
        ),
    ],
)
def test_no_scores_says_when_as_of_is_before_the_first_score(
    as_of: datetime, first_scored: datetime | None, advice: str
) -> None:
    """An as_of before the first score is named as the reason, and a database never scored
    says what stores games and scores them, not the filters."""
    expected = f"No player with at least 10 games has a score as of {as_of:%Y-%m-%d %H:%M} UTC: "
    assert expected + advice == scores.no_scores_message(
        "with at least 10 games", as_of, first_scored
    )


def test_nobody_scored_where_games_are_stored_says_to_score_them(unscored: Path) -> None:
    """A database holding games nobody is scored in counts its games and names what scores
    them, instead of asking for games to be stored."""
    with read(unscored) as r:
        games = scores.stored_games(r)
        first_scored = scores.first_scored_at(r)
    assert games > 1
    said = scores.no_scores_message("with at least 10 games", NOW, first_scored, games)
    assert said == (
        f"No player with at least 10 games has a score as of {NOW:%Y-%m-%d %H:%M} UTC: nobody"
        f" in this database is scored yet. {games:,} games are stored: run `smurf analyze` (or"
        " `smurf run SMURF_ANALYZER`; the scheduler runs that job on its own) to score their"
        " players."
    )
    assert "Store games" not in said


def test_why_no_suspects_says_what_the_report_lacks(
    con: duckdb.DuckDBPyConnection, unprofiled: Path
) -> None:
    """A report without suspects says why: nobody within its filters is scored, nobody
    could be judged, or nobody is labelled the kind it lists."""
    within = "with at least 31 games"
    nobody = scores.latest_scores(con, min_games=31)
    assert scores.why_no_suspects(nobody, within=within) == (
        "no player with at least 31 games is scored (above)"
    )
    with read(unprofiled) as r:
        unjudged = scores.latest_scores(r)
    assert scores.why_no_suspects(unjudged, within="anywhere") == (
        "nobody could be judged yet (above)"
    )
    latest = scores.latest_scores(con)
    normal = latest[latest["label"] == "NORMAL"]
    assert scores.why_no_suspects(normal, within="on euw1", label="BOOSTED") == (
        "no player on euw1 is labelled BOOSTED"
    )
    assert scores.why_no_suspects(normal, within="on euw1") == (
        "no player on euw1 is labelled SMURF or BOOSTED"
    )


def test_nobody_judged_says_what_every_player_lacks_and_what_to_run(unprofiled: Path) -> None:
    """Scores whose players all lack a profile say so, with the job that fetches one, rather
    than read as a database where nobody is suspicious."""
    with read(unprofiled) as r:
        latest = scores.latest_scores(r)
    expected = (
        f"Nobody could be judged yet: all {len(latest):,} scored players are INSUFFICIENT_DATA"
        f" ({len(latest):,} without a profile (summoner level, league entry) yet)."
        " `smurf run PROFILE_REFRESHER` fetches the profiles; then `smurf analyze` labels them"
        " (the scheduler runs both on its own). `smurf explain PLAYER` says what one player"
        " lacks."
    )
    assert expected == scores.unjudged_message(latest)


def test_nobody_judged_says_nothing_once_somebody_is(con: duckdb.DuckDBPyConnection) -> None:
    """A database with judged players, or with no scores at all, has no such note."""
    latest = scores.latest_scores(con)
    assert scores.unjudged_message(latest) is None
    assert scores.unjudged_message(latest.iloc[:0]) is None


def test_top_suspects_orders_by_suspicion_with_factor_columns(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Flagged players come first by suspicion, each with contrib_<target>_<factor> columns."""
    suspects = scores.top_suspects(scores.latest_scores(con), top_n=3)
    assert list(SMURFS[:3]) == list(suspects["puuid"])
    assert "contrib_smurf_win_rate" in suspects.columns
    assert "contrib_smurf_prior" not in suspects.columns


def test_top_suspects_of_one_label_show_that_targets_factors(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Asking for BOOSTED lists the boosted account with boosted-score factors only."""
    suspects = scores.top_suspects(scores.latest_scores(con), label="BOOSTED")
    assert list(suspects["puuid"]) == [BOOSTED]
    factor_columns = [c for c in suspects.columns if c.startswith("contrib_")]
    assert factor_columns
    assert all(c.startswith("contrib_boosted_") for c in factor_columns)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (
            '{"smurf": {"prior": -3, "a": 1.5}, "boosted": {"b": -2}}',
            {"smurf_a": 1.5, "boosted_b": -2.0},
        ),
        ('{"a": 1, "flag": true, "name": "x"}', {"a": 1.0}),
        ("[]", {}),
        (None, {}),
    ],
)
def test_flat_contributions_reads_nested_and_flat_json(
    stored: str | None, expected: dict[str, float]
) -> None:
    """Stored contributions flatten to <target>_<factor> numbers; the constant and junk drop."""
    assert expected == scores.flat_contributions(stored)


def test_score_distribution_orders_tiers_up_the_ladder(con: duckdb.DuckDBPyConnection) -> None:
    """Tiers appear in ladder order, with one column per label, under one header row that
    names the rows "tier"."""
    table = scores.score_distribution(scores.latest_scores(con))
    assert list(table.index[:3]) == ["IRON", "BRONZE", "SILVER"]
    assert int(table.to_numpy().sum()) == PLAYERS
    header = present.table_html(table, index=True).split("<thead>")[1].split("</thead>")[0]
    assert header.count("<tr") == 1
    assert "<th>tier</th>" in header


def test_a_player_whose_rank_is_unread_shows_tier_unknown_not_unranked(tmp_path: Path) -> None:
    """Scoring files a player whose profile was never read, or whose account is gone,
    under UNRANKED; the tables show them as "unknown" (after UNRANKED in the ladder), and
    keep UNRANKED for a profile read without a solo-queue entry."""
    from pipeline.analysis.scoring import ACCOUNT_GONE_REASON, NO_PROFILE_REASON

    path = tmp_path / "tiers.duckdb"
    migrate(path)
    few = "only 3 ranked games stored (5 needed)"
    rows = [
        ("unread", "UNRANKED", "INSUFFICIENT_DATA", NO_PROFILE_REASON),
        ("gone", "UNRANKED", "INSUFFICIENT_DATA", ACCOUNT_GONE_REASON),
        ("unranked", "UNRANKED", "NORMAL", None),
        ("few-games", "GOLD", "INSUFFICIENT_DATA", few),
        # The reason names the games, not the profile, which is unread all the same.
        ("few-unread", "UNRANKED", "INSUFFICIENT_DATA", few),
    ]
    with write(path) as w:
        # Profiles: read (found) for the unranked and GOLD players, never for the unread
        # ones, gone for the gone one.
        for puuid, checked, found in (
            ("unread", None, None),
            ("gone", "2026-11-01", False),
            ("unranked", "2026-11-01", True),
            ("few-games", "2026-11-01", True),
            ("few-unread", None, None),
        ):
            w.execute(
                "INSERT INTO players (puuid, game_name, tag_line, summoner_checked_at,"
                " profile_found) VALUES (?, ?, 'EUW', ?, ?)",
                [puuid, puuid.title(), checked, found],
            )
        for puuid, tier, label, reason in rows:
            w.execute(
                "INSERT INTO smurf_scores (puuid, scored_at, model_version, label,"
                " games_analyzed, matches_stored, tier, reason)"
                " VALUES (?, TIMESTAMP '2026-11-01', 'test-1', ?, 5, 5, ?, ?)",
                [puuid, label, tier, reason],
            )
    with read(path) as r:
        latest = scores.latest_scores(r)
    tiers = dict(zip(latest["puuid"], latest["tier"], strict=True))
    assert tiers == {
        "unread": "unknown",
        "gone": "unknown",
        "unranked": "UNRANKED",
        "few-games": "GOLD",
        "few-unread": "unknown",
    }
    assert list(scores.score_distribution(latest).index) == ["GOLD", "UNRANKED", "unknown"]
    # The search and the card say the same as the list.
    with read(path) as r:
        found = players.find_players(r, "Few-Unread#EUW")
        summary = players.player_summary(r, "gone")
    assert list(found["tier"]) == ["unknown"] and summary["tier"] == "unknown"
    explorer = PlayerExplorer(path)
    explorer.min_score.value = 0
    explorer.tier.value = "unknown"
    explorer.search("Few")
    assert [value for _, value in explorer.results.options] == ["few-unread"]


def test_newly_flagged_is_flagged_now_but_never_before(con: duckdb.DuckDBPyConnection) -> None:
    """Only the player first flagged after `since` is new; long-standing smurfs are not."""
    new = scores.newly_flagged(con, since=FIRST_SCORING, as_of=NOW)
    assert list(new["puuid"]) == [NEWLY_FLAGGED]


def test_newly_flagged_keeps_to_the_reports_min_games(con: duckdb.DuckDBPyConnection) -> None:
    """A report of players with at least N games lists no newly flagged player with fewer,
    just as its suspects table does not."""
    assert list(
        scores.newly_flagged(con, since=FIRST_SCORING, as_of=NOW, min_games=30)["puuid"]
    ) == [NEWLY_FLAGGED]
    assert scores.newly_flagged(con, since=FIRST_SCORING, as_of=NOW, min_games=31).empty


def test_newly_flagged_keeps_to_the_reports_label(con: duckdb.DuckDBPyConnection) -> None:
    """A report of one kind (label=BOOSTED) lists no newly flagged player of the other kind,
    just as its suspects table does not."""
    assert list(
        scores.newly_flagged(con, since=FIRST_SCORING, as_of=NOW, label="SMURF")["puuid"]
    ) == [NEWLY_FLAGGED]
    assert scores.newly_flagged(con, since=FIRST_SCORING, as_of=NOW, label="BOOSTED").empty


def test_changes_since_respect_the_platform(con: duckdb.DuckDBPyConnection) -> None:
    """On another platform than the changed accounts', nothing is new."""
    new = scores.newly_flagged(con, since=FIRST_SCORING, as_of=NOW, platform="na1")
    gone = scores.newly_unavailable(con, since=FIRST_SCORING, as_of=NOW, platform="euw1")
    assert (new.empty, gone.empty) == (True, True)


def test_a_first_report_says_every_flag_is_new_and_why() -> None:
    """With no score before ``since`` every flagged player is new: the heading says so and
    when scoring began; with earlier scores it is only the count."""
    since, first = datetime(2026, 5, 1, 12), datetime(2026, 5, 1, 18, 30)
    first_report = scores.newly_flagged_heading(15, since, first)
    assert first_report.startswith("**15** newly flagged: every flag is new")
    assert "2026-05-01 12:00:00" in first_report and "2026-05-01 18:30:00" in first_report
    assert scores.newly_flagged_heading(3, since, since - timedelta(days=1)) == (
        "**3** newly flagged"
    )
    assert scores.newly_flagged_heading(0, since, first) == "**0** newly flagged"


def test_newly_unavailable_ignores_accounts_already_gone(con: duckdb.DuckDBPyConnection) -> None:
    """An account unavailable since before `since` is not news; one that just went is."""
    gone = scores.newly_unavailable(con, since=FIRST_SCORING, as_of=NOW)
    assert list(gone["puuid"]) == [BANNED]
    assert BANNED_BEFORE not in set(gone["puuid"])


def test_gone_accounts_are_the_scored_players_the_profile_refresh_did_not_find(
    world: Path, tmp_path: Path
) -> None:
    """A scored player whose profile check found no account is listed from the check on, on
    its platform; found profiles and players never scored are not."""
    copy = tmp_path / "gone.duckdb"
    shutil.copyfile(world, copy)
    checked = NOW - timedelta(days=1)
    with write(copy) as con:
        con.execute(
            "UPDATE players SET profile_found = (puuid <> ?), summoner_checked_at = ?",
            [SMURFS[0], checked],
        )
        con.execute(
            "INSERT INTO players (puuid, profile_found, summoner_checked_at)"
            " VALUES ('never-scored', false, ?)",
            [checked],
        )
        platform = con.execute("SELECT platform FROM players WHERE puuid = ?", [SMURFS[0]])
        row = platform.fetchone()
    assert row is not None
    with read(copy) as con:
        gone = scores.gone_accounts(con, as_of=NOW)
        before = scores.gone_accounts(con, as_of=checked - timedelta(seconds=1))
        elsewhere = scores.gone_accounts(con, as_of=NOW, platform="kr")
        here = scores.gone_accounts(con, as_of=NOW, platform=row[0])
    assert list(gone["puuid"]) == [SMURFS[0]]
    assert gone["checked_at"].iloc[0] == checked
    assert before.empty and elsewhere.empty
    assert list(here["puuid"]) == [SMURFS[0]]


def test_a_gone_accounts_label_is_the_one_given_by_as_of(world: Path, tmp_path: Path) -> None:
    """A report of an earlier time shows the label a gone account had then (NORMAL before
    its later SMURF scoring), and leaves out an account not scored yet."""
    copy = tmp_path / "gone-then.duckdb"
    shutil.copyfile(world, copy)
    checked = FIRST_SCORING - timedelta(hours=1)  # gone before its first scoring
    with write(copy) as con:
        con.execute(
            "UPDATE players SET profile_found = false, summoner_checked_at = ? WHERE puuid = ?",
            [checked, NEWLY_FLAGGED],
        )
    between = SECOND_SCORING - timedelta(minutes=1)
    with read(copy) as con:
        then = scores.gone_accounts(con, as_of=between).set_index("puuid")
        now = scores.gone_accounts(con, as_of=NOW).set_index("puuid")
        unscored = scores.gone_accounts(con, as_of=FIRST_SCORING - timedelta(minutes=1))
    assert then.loc[NEWLY_FLAGGED, "last_label"] == "NORMAL"
    assert now.loc[NEWLY_FLAGGED, "last_label"] == "SMURF"
    assert NEWLY_FLAGGED not in set(unscored["puuid"])


def test_filter_scores_applies_tier_label_and_threshold(con: duckdb.DuckDBPyConnection) -> None:
    """Filters combine: tier and label must match and suspicion must reach the threshold."""
    latest = scores.latest_scores(con)
    assert {"SMURF"} == set(scores.filter_scores(latest, label="SMURF")["label"])
    assert list(scores.filter_scores(latest, tier="IRON", min_score=0.5)["puuid"]) == ["p00"]
    assert scores.filter_scores(latest, min_score=0.95).empty


# ---- players -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("p03", ["p03"]), ("player03#na1", ["p03"]), ("Player03#EUW", []), ("", [])],
)
def test_find_players_by_puuid_or_riot_id(
    con: duckdb.DuckDBPyConnection, text: str, expected: list[str]
) -> None:
    """A puuid or a case-insensitive name#tag finds exactly that player; a wrong tag none."""
    assert expected == list(players.find_players(con, text)["puuid"])


def test_find_players_by_name_prefix_puts_suspects_first(con: duckdb.DuckDBPyConnection) -> None:
    """A bare name prefix lists every match, the most suspicious first."""
    found = players.find_players(con, "Player0")
    assert len(found) == 10
    assert found["puuid"].iloc[0] == "p00"


def test_find_players_treats_input_as_data(con: duckdb.DuckDBPyConnection) -> None:
    """Quotes and SQL in the search box are searched for, not executed."""
    assert players.find_players(con, "x' OR '1'='1").empty


def test_factor_contributions_explain_the_label(con: duckdb.DuckDBPyConnection) -> None:
    """A smurf is explained by smurf factors, a boosted account by boosted ones, biggest first."""
    smurf = players.factor_contributions(con, "p00")
    assert smurf.index[0] == "win_rate"
    boosted = players.factor_contributions(con, BOOSTED)
    assert pytest.approx(0.4) == boosted["kda_vs_tier"]
    assert players.factor_contributions(con, "nobody").empty


def test_rank_history_places_ranks_on_one_ladder(con: duckdb.DuckDBPyConnection) -> None:
    """Ladder points rise by 400 per tier, so a smurf's climb shows as a rising line."""
    history = players.rank_history(con, "p00")
    assert list(history["tier"]) == ["IRON", "BRONZE"]
    assert list(history["ladder_points"]) == [220, 660]


def test_match_history_compares_games_with_the_tier_role_baseline(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A boosted-stat smurf plays well above par; the whole tier averages par."""
    games = players.match_history(con, "p00")
    assert not games.empty
    assert games["performance_vs_base"].mean() > 1.2
    assert list(games["game_start"]) == sorted(games["game_start"], reverse=True)


def test_kept_baselines_give_the_games_fresh_ones_give(con: duckdb.DuckDBPyConnection) -> None:
    """A card reading the kept tier/role averages shows what one computing them shows."""
    kept = players.BaselineCache()
    for puuid in ("p00", "p01", "nobody"):
        fresh = players.match_history(con, puuid)
        pd.testing.assert_frame_equal(
            players.match_history(con, puuid, baselines=kept.get(con)), fresh
        )


def test_the_history_rounds_as_sql_does(con: duckdb.DuckDBPyConnection) -> None:
    """Figures round halves away from zero, as SQL's round() and the history always did
    (pandas would round 9/8 to 1.12)."""
    assert players._rounded(pd.Series([1.125, -1.125, 0.005])).tolist() == [1.13, -1.13, 0.01]
    assert players._rounded(pd.Series([2.5, 3.5]), 0).tolist() == [3.0, 4.0]
    expected = con.execute(
        "SELECT round((kills + assists) / greatest(deaths, 1), 2) FROM match_participants"
        " WHERE puuid = 'p00' ORDER BY game_start DESC"
    ).fetchall()
    assert players.match_history(con, "p00")["kda_ratio"].tolist() == [r[0] for r in expected]


def test_baselines_are_read_again_once_the_games_grew(world: Path, tmp_path: Path) -> None:
    """Kept between cards while the games stay the same; read again once more than
    ``GROWTH`` of them were added (a crawl running beside the explorer)."""
    copy = tmp_path / "growing.duckdb"
    shutil.copyfile(world, copy)
    kept, other = players.BaselineCache(), players.BaselineCache(queue=440)
    with read(copy) as con:
        first, other_first = kept.get(con), other.get(con)
        assert kept.get(con) is first
    with write(copy) as con:
        # Every game again under a new match id, with twice the gold.
        con.execute(
            """
            INSERT INTO match_participants BY NAME
            SELECT * REPLACE (match_id || '-again' AS match_id, 2 * gold_earned AS gold_earned)
            FROM match_participants
            """
        )
    with read(copy) as con:
        again = kept.get(con)
        # Averages kept for another queue follow that queue's games only: none added.
        assert other.get(con) is other_first
    assert again is not first
    both = first.merge(again, on=["tier", "role"], suffixes=("_first", "_again"))
    assert len(both) == len(first)
    assert (both["b_gold_again"] > both["b_gold_first"]).all()


def test_co_players_counts_shared_games_by_side(con: duckdb.DuckDBPyConnection) -> None:
    """Every co-player's shared games split into same team and opposing."""
    company = players.co_players(con, "p00", limit=100)
    assert "p00" not in set(company["puuid"])
    assert (company["same_team"] + company["opposing"] == company["games_together"]).all()
    games = con.execute("SELECT count(*) FROM match_participants WHERE puuid = 'p00'").fetchone()
    assert games is not None
    assert company["games_together"].sum() == 9 * games[0]  # nine others in every game


def test_the_company_table_says_what_its_blank_cells_mean() -> None:
    """A co-player never scored reads "not scored", and one too little known to judge has
    no suspicion: "n/a", not an empty cell."""
    from pipeline.explorer.widgets import _company_for_readers

    company = pd.DataFrame(
        {
            "riot_id": ["A#1", "B#2", "C#3"],
            "games_together": [3, 2, 1],
            "same_team": [2, 1, 0],
            "opposing": [1, 1, 1],
            "label": ["SMURF", "INSUFFICIENT_DATA", None],
            "suspicion": [0.91, None, None],
        }
    )
    shown = _company_for_readers(company)
    assert list(shown["label"]) == ["SMURF", "INSUFFICIENT_DATA", "not scored"]
    assert list(shown["suspicion"]) == ["91%", "n/a", "n/a"]


# ---- quality -------------------------------------------------------------------------


def test_roc_curve_of_a_perfect_score() -> None:
    """A score that ranks every positive first has AUC 1 and passes through (0, 1)."""
    curve = quality.roc_curve(
        pd.Series([True, True, False, False]), pd.Series([0.9, 0.8, 0.2, 0.1])
    )
    assert quality.auc(curve) == 1.0
    assert ((curve["fpr"] == 0) & (curve["tpr"] == 1)).any()


def test_roc_curve_of_a_constant_score_is_the_diagonal() -> None:
    """Tied scores make one step from (0, 0) to (1, 1): AUC one half."""
    curve = quality.roc_curve(pd.Series([True, False, True, False]), pd.Series([0.5] * 4))
    assert list(curve["fpr"]) == [0.0, 1.0]
    assert quality.auc(curve) == 0.5


def test_auc_matches_the_rank_statistic() -> None:
    """AUC equals the share of (positive, negative) pairs the score orders correctly."""
    rng = np.random.default_rng(1)
    truth = pd.Series(rng.random(200) < 0.3)
    score = pd.Series(rng.random(200) + truth * 0.3)
    pos, neg = score[truth].to_numpy(), score[~truth].to_numpy()
    expected = float((pos[:, None] > neg[None, :]).mean())
    assert pytest.approx(expected) == quality.auc(quality.roc_curve(truth, score))


def test_rule_point_flags_with_both_games_and_win_rate() -> None:
    """The rule flags only >= 30 games at >= 65 % wins; its point counts against the truth."""
    frame = pd.DataFrame(
        {
            "games_analyzed": [30, 29, 100, 40],
            "win_rate": [0.65, 0.9, 0.64, 0.7],
            "is_smurf": [True, True, False, False],
        }
    )
    assert quality.rule_point(frame) == {"fpr": 0.5, "tpr": 0.5, "precision": 0.5, "flagged": 2.0}


def test_judged_is_none_without_ground_truth(tmp_path: Path) -> None:
    """A database that is not a simulator export has nothing to judge against."""
    with duckdb.connect(str(tmp_path / "plain.duckdb")) as plain:
        assert quality.judged(plain) is None


def test_operating_point_and_precision_at_k() -> None:
    """A flag's rates and the top-k precision follow their definitions."""
    truth = pd.Series([True, True, False, False])
    point = quality.operating_point(truth, pd.Series([True, False, True, False]))
    assert point == {"fpr": 0.5, "tpr": 0.5, "precision": 0.5, "flagged": 2.0}
    assert quality.precision_at(truth, pd.Series([0.9, 0.8, 0.1, 0.2]), 2) == 1.0


def test_the_win_rate_rule_in_words() -> None:
    """The rule's point reads as a sentence; a rule that flags nobody says so and why,
    instead of a precision of 0.00."""
    truth = pd.Series([True, True, False, False])
    nobody = quality.operating_point(truth, pd.Series([False] * 4))
    assert quality.rule_in_words(nobody) == (
        "The win-rate rule for smurfs flags nobody here: no player has won 65% of at least "
        "30 games."
    )
    some = quality.operating_point(truth, pd.Series([True, False, True, False]))
    assert quality.rule_in_words(some) == (
        "Win-rate rule for smurfs: TPR 0.50 at FPR 0.50 (precision 50%, 2 players flagged)."
    )


# ---- jobs ----------------------------------------------------------------------------


def test_job_summary_counts_statuses_and_requests(con: duckdb.DuckDBPyConnection) -> None:
    """Per job type: runs, failures, rate-limited runs and API requests add up."""
    runs = jobs.executions(con, since=NOW - timedelta(days=30))
    summary = jobs.job_summary(runs)
    assert summary["runs"].sum() == 24
    assert summary.loc["MATCH_FETCHER", "failed"] == 6
    assert summary.loc["TRACKED_PLAYER_UPDATER", "rate_limited"] == 6
    assert sum(100 + n for n in range(24)) == summary["api_requests"].sum()


def test_job_summary_gives_every_duration_to_two_places(con: duckdb.DuckDBPyConnection) -> None:
    """A column of durations reads "5.10" beside "3.43", not "5.1": every run time in the
    job monitor's summary to the same two places."""
    runs = jobs.executions(con, since=NOW - timedelta(days=30))
    runs = runs.assign(duration_s=[5.1 + i * 0.01 if i % 2 else 5.1 for i in range(len(runs))])
    shown = jobs.summary_for_readers(jobs.job_summary(runs))
    for column in ("median run (s)", "95th percentile run (s)"):
        texts = present.table_html(shown[[column]])
        values = re.findall(r"<td>([^<]*)</td>", texts)
        assert values and all(re.fullmatch(r"\d+\.\d\d", v) for v in values), values


def test_executions_window_and_job_filter(con: duckdb.DuckDBPyConnection) -> None:
    """Only runs started since `since`, of the asked job type, with their durations."""
    runs = jobs.executions(con, since=NOW - timedelta(hours=12), job_type="MATCH_FETCHER")
    assert list(runs["job_type"]) == ["MATCH_FETCHER"]
    assert list(runs["duration_s"]) == [31.0]


def test_failed_run_logs_are_the_failed_runs_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Log lines of failed runs come newest run first, in logged order."""
    logs = jobs.failed_run_logs(con, since=NOW - timedelta(days=30))
    assert list(logs["execution_id"]) == [8, 8, 8, 4, 4, 4]
    assert list(logs["event"][:3]) == ["job.started", "riot.server_error", "job.finished"]


def test_failed_run_logs_keep_to_the_window_and_the_job(con: duckdb.DuckDBPyConnection) -> None:
    """The log lines shown under the failed runs are those of the same window and job."""
    since = NOW - timedelta(days=30)
    assert jobs.failed_run_logs(con, since=since, job_type="TRACKED_PLAYER_UPDATER").empty
    fetcher = jobs.failed_run_logs(con, since=since, job_type="MATCH_FETCHER")
    assert set(fetcher["execution_id"]) == {4, 8}
    earlier = jobs.failed_run_logs(con, since=since, until=NOW - timedelta(hours=30))
    assert set(earlier["execution_id"]) == {8}


def test_runs_of_one_day_are_counted_per_hour(con: duckdb.DuckDBPyConnection) -> None:
    """A window of a day or two is binned by hour, and drawn as bars an hour wide."""
    runs = jobs.executions(con, since=NOW - timedelta(hours=20))
    binned = jobs.runs_over_time(runs)
    assert binned.attrs["bin"] == "hour"
    assert int(binned.to_numpy().sum()) == len(runs)
    bars = [p for p in plots.job_runs_figure(runs).axes[0].patches]
    assert bars
    assert max(bar.get_width() for bar in bars) <= 1 / 24


def test_runs_of_a_few_minutes_are_counted_per_minute(con: duckdb.DuckDBPyConnection) -> None:
    """A demo's few minutes of runs are binned by minute and drawn on one axis of a few
    more minutes, not as one bar and a vertical line on an axis of a day."""
    runs = jobs.executions(con, since=NOW - timedelta(days=30))
    runs["started_at"] = [NOW + timedelta(seconds=15 * n) for n in range(len(runs))]
    binned = jobs.runs_over_time(runs)
    assert binned.attrs["bin"] == "minute"
    assert len(binned) == 6  # 24 runs, 15 s apart
    figure = plots.job_runs_figure(runs)
    assert figure.axes[0].get_xlim() == figure.axes[1].get_xlim()  # one time axis
    low, high = figure.axes[0].get_xlim()
    assert high - low <= 12 / 1440  # matplotlib date units are days: six minutes of runs
    assert max(bar.get_width() for bar in figure.axes[0].patches) <= 1 / 1440
    assert all(tick == int(tick) for tick in figure.axes[0].get_yticks())  # runs: whole ones


def test_the_executions_chart_has_its_own_time_labels(con: duckdb.DuckDBPyConnection) -> None:
    """The runs chart shares its time axis with the durations below it, and names the
    times under its own bars too (and the day beside them), not only under the durations."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    runs = jobs.executions(con, since=NOW - timedelta(days=30))
    runs["started_at"] = [NOW + timedelta(seconds=15 * n) for n in range(len(runs))]
    figure = plots.job_runs_figure(runs)
    FigureCanvasAgg(figure).draw()
    counts, durations = figure.axes[:2]

    def shown(ax: Any) -> list[str]:
        return [t.get_text() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]

    assert shown(durations) and shown(counts) == shown(durations)
    assert all(re.fullmatch(r"\d\d:\d\d", label) for label in shown(counts))
    offset = counts.xaxis.get_offset_text()
    assert offset.get_visible() and offset.get_text() == f"{NOW:%Y-%b-%d}"


def test_the_job_charts_keep_their_legends_off_the_bars(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Each chart's legend (a dozen job/status pairs) sits beside its plot, never over the
    bars or lines it names, and no two pairs share a colour."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    runs = jobs.executions(con, since=NOW - timedelta(days=30))
    figure = plots.job_runs_figure(runs)
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    for ax in figure.axes:
        legend = ax.get_legend()
        assert legend is not None
        assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
    # Five jobs by three statuses: fifteen pairs, as a busy day of the demo has.
    names = ["BAN_CHECKER", "MATCH_FETCHER", "PROFILE_REFRESHER", "SMURF_ANALYZER", "OTHER"]
    runs["job_type"] = [names[i % 5] for i in range(len(runs))]
    runs["status"] = [("FAILED", "RATE_LIMITED", "SUCCESS")[i % 3] for i in range(len(runs))]
    pairs = plots.job_runs_figure(runs).axes[0].get_legend().legend_handles
    assert len(pairs) == 15
    looks = {
        (tuple(handle.get_facecolor()), handle.get_hatch())  # type: ignore[union-attr]
        for handle in pairs
    }
    assert len(looks) == len(pairs)  # no two job/status pairs look alike


def test_a_label_or_a_job_keeps_its_colour_whatever_else_is_charted() -> None:
    """SMURF is red and a job its own colour in every chart, whichever labels or jobs come
    before them (colours went by column order: SMURF was red in one report, green in the
    next); a run's status is its bars' pattern."""
    from matplotlib.colors import to_rgba

    def label_colours(labels: list[str]) -> dict[str, tuple[float, ...]]:
        latest = pd.DataFrame({"tier": "GOLD", "label": labels, "suspicion": 0.5})
        legend = plots.score_distribution_figure(latest).axes[1].get_legend()
        return {
            text.get_text(): tuple(handle.get_facecolor())  # type: ignore[union-attr]
            for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
        }

    few, many = (
        label_colours(["SMURF", "NORMAL"]),
        label_colours(["BOOSTED", "INSUFFICIENT_DATA", "NORMAL", "SMURF"]),
    )
    assert few["SMURF"] == many["SMURF"] == to_rgba("tab:red")
    assert few["NORMAL"] == many["NORMAL"] != many["BOOSTED"]

    def job_looks(jobs_and_statuses: list[tuple[str, str]]) -> dict[str, Any]:
        runs = pd.DataFrame(
            {
                "job_type": [j for j, _ in jobs_and_statuses],
                "status": [s for _, s in jobs_and_statuses],
                "started_at": [NOW + timedelta(minutes=n) for n in range(len(jobs_and_statuses))],
                "created_at": NOW,
                "duration_s": 1.0,
            }
        )
        legend = plots.job_runs_figure(runs).axes[0].get_legend()
        return {
            text.get_text(): (tuple(handle.get_facecolor()), handle.get_hatch())  # type: ignore[union-attr]
            for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
        }

    alone = job_looks([("SMURF_ANALYZER", "SUCCESS")])
    crowded = job_looks(
        [
            ("BAN_CHECKER", "FAILED"),
            ("MATCH_FETCHER", "SUCCESS"),
            ("SMURF_ANALYZER", "SUCCESS"),
            ("SMURF_ANALYZER", "FAILED"),
            ("MY_OWN_JOB", "SUCCESS"),
        ]
    )
    assert alone["SMURF_ANALYZER / SUCCESS"] == crowded["SMURF_ANALYZER / SUCCESS"]
    analyzer_failed = crowded["SMURF_ANALYZER / FAILED"]
    assert analyzer_failed[0] == alone["SMURF_ANALYZER / SUCCESS"][0]  # the job's colour
    assert analyzer_failed[1] and not crowded["SMURF_ANALYZER / SUCCESS"][1]  # the pattern
    job_colours = {label.split(" / ")[0]: look[0] for label, look in crowded.items()}
    assert len(set(job_colours.values())) == len(job_colours) == 4


def test_rate_limited_runs_say_when_they_stopped(con: duckdb.DuckDBPyConnection) -> None:
    """A rate-limited run that sent no request says it stopped at once, not a bare zero;
    the others say after how many requests."""
    runs = jobs.executions(con, since=NOW - timedelta(days=30))
    limited_rows = runs["status"] == "RATE_LIMITED"
    requests = np.full(int(limited_rows.sum()), 12, dtype=runs["api_requests_made"].dtype)
    requests[0] = 0
    requests[1] = 1
    runs.loc[limited_rows, "api_requests_made"] = requests
    limited = jobs.rate_limited_runs(runs)
    assert len(limited) == 6
    stopped = dict(zip(limited["requests"], limited["stopped"], strict=True))
    assert stopped == {
        0: "at once: the window was spent",
        1: "after 1 request",
        12: "after 12 requests",
    }
    runs.loc[limited_rows, "started_at"] = NOW + timedelta(microseconds=123456)
    assert set(jobs.rate_limited_runs(runs)["started"]) == {"2026-11-28 12:00:00"}


def test_run_messages_name_players_by_riot_id() -> None:
    """A puuid in an error message reads as the player's Riot ID where the database knows
    the player; an unknown puuid, shorter keys, missing messages and a puuid in a request's
    path (the path sent was the key's) stay as they were."""
    known, unknown = "A" * 40 + "-_" + "b" * 36, "Z" * 78
    with duckdb.connect() as mem:
        mem.execute("CREATE TABLE players (puuid VARCHAR, game_name VARCHAR, tag_line VARCHAR)")
        mem.execute("INSERT INTO players VALUES (?, 'Faker', 'KR1')", [known])
        runs = pd.DataFrame(
            {
                "error_message": [
                    f"Rate limited while fetching {known}: wait 2 s",
                    f"while fetching {unknown}",
                    "EUW1_123 not found",
                    None,
                    f"Rate limited while updating {known}: summoner-v4.getByPUUID"
                    f" /lol/summoner/v4/summoners/by-puuid/{known} (429)",
                ]
            }
        )
        named = jobs.with_riot_ids(mem, runs)["error_message"].tolist()
    assert named[0] == "Rate limited while fetching Faker#KR1: wait 2 s"
    assert named[1:3] == [f"while fetching {unknown}", "EUW1_123 not found"]
    assert pd.isna(named[3])
    assert named[4] == (
        "Rate limited while updating Faker#KR1: summoner-v4.getByPUUID"
        f" /lol/summoner/v4/summoners/by-puuid/{known} (429)"
    )


def test_runs_per_day_has_one_column_per_job_and_status(con: duckdb.DuckDBPyConnection) -> None:
    """The per-day table counts every run once."""
    runs = jobs.executions(con, since=NOW - timedelta(days=30))
    assert int(jobs.runs_per_day(runs).to_numpy().sum()) == 24
    assert jobs.runs_per_day(runs.iloc[0:0]).empty


# ---- sql -----------------------------------------------------------------------------


def test_query_binds_parameters_and_caps_rows(world: Path) -> None:
    """`?` parameters are bound and at most max_rows rows come back."""
    frame = sql.query(
        world, "SELECT puuid FROM players WHERE platform = ? ORDER BY 1", ["na1"], max_rows=3
    )
    assert list(frame["puuid"]) == ["p01", "p03", "p05"]


@pytest.mark.parametrize("given", ["na1", 5])
def test_query_params_that_are_not_a_list_are_refused_saying_how(
    world: Path, given: object
) -> None:
    """A lone string is not read as one parameter per letter (DuckDB's "excess parameters:
    2, 3, ..."): params that are not a list are refused with the list to write."""
    with pytest.raises(sql.QueryError) as caught:
        sql.query(world, "SELECT puuid FROM players WHERE platform = ?", given)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"params must be a list of values, one per ?, e.g. [{given!r}] "
        f"(got a {type(given).__name__})."
    )
    assert len(sql.query(world, "SELECT 1 WHERE ? = 'na1'", ("na1",))) == 1


def test_query_params_given_by_name_are_refused_saying_to_use_question_marks(
    world: Path,
) -> None:
    with pytest.raises(sql.QueryError) as caught:
        sql.query(world, "SELECT 1 WHERE $p = 'na1'", {"p": "na1"})  # type: ignore[arg-type]
    assert "one per ? in the query, in order (got a dict)" in str(caught.value)


def test_a_cut_result_says_so(world: Path) -> None:
    """A result cut at max_rows says it holds only the first rows; a whole one says nothing."""
    cut = sql.query(world, "SELECT * FROM range(5000)", max_rows=1000)
    assert len(cut) == 1000
    assert sql.cut_note(cut) == (
        "Only the first 1,000 rows: the query returns more, which were cut. Narrow it (WHERE, "
        "LIMIT, an aggregate) or raise max_rows to see more."
    )
    assert sql.cut_note(cut.head(3)) is None
    assert "first 1 row:" in (
        sql.cut_note(sql.query(world, "SELECT 1 UNION ALL SELECT 2", max_rows=1)) or ""
    )
    for whole in ("SELECT * FROM range(1000)", "SELECT * FROM range(0)"):
        assert sql.cut_note(sql.query(world, whole, max_rows=1000)) is None


def test_query_refuses_writes_saying_why(world: Path) -> None:
    """A DELETE is refused with a sentence saying why and what to use instead; nothing
    changes."""
    with pytest.raises(sql.WriteRefusedError) as caught:
        sql.query(world, "DELETE FROM players")
    assert "read-only" in str(caught.value)
    assert "DELETE" in str(caught.value)
    assert "smurf sql --write" in str(caught.value)
    assert sql.query(world, "SELECT count(*) FROM players").to_numpy().tolist() == [[PLAYERS]]


def test_query_takes_one_statement_at_a_time(world: Path) -> None:
    """Two statements are refused, saying so, rather than showing only the last one's rows."""
    with pytest.raises(sql.QueryError, match="One statement at a time: this text holds 2"):
        sql.query(world, "SELECT * FROM players LIMIT 3; SELECT 1")


def test_a_failed_query_keeps_duckdbs_lines(world: Path) -> None:
    """DuckDB's message keeps its lines, so its caret still points into the query."""
    with pytest.raises(sql.QueryError) as caught:
        sql.query(world, "SELECT * FROM nowhere")
    message = str(caught.value)
    assert message.startswith("The query failed: ")
    assert "\nLINE 1: SELECT * FROM nowhere" in message
    with pytest.raises(sql.QueryError) as unparsed:
        sql.query(world, "SELEC 1")
    assert str(unparsed.value).startswith("The query could not be parsed: ")
    assert "\nLINE 1: SELEC 1" in str(unparsed.value)


def test_query_closes_its_connection(world: Path) -> None:
    """After a query the file is free for a writer in this process."""
    sql.query(world, "SELECT 1")
    with duckdb.connect(str(world)) as writer:
        assert writer.execute("SELECT 1").fetchone() == (1,)


def test_table_counts_lists_every_table(world: Path) -> None:
    """Every table is counted, including the simulator's ground truth."""
    counts = sql.table_counts(world)
    assert list(counts.columns) == ["table", "rows"]
    rows = counts.set_index("table")["rows"]
    assert rows["players"] == PLAYERS
    assert rows["sim_truth"] == PLAYERS


def test_table_counts_as_of_count_the_rows_stored_by_then(world: Path) -> None:
    """With as_of, the tables that record when each row was stored are also counted as they
    stood then; the derived ones show nothing there. A zoned time means the same instant."""
    between = FIRST_SCORING + timedelta(hours=1)  # after the first scoring, before the second
    counts = sql.table_counts(world, as_of=between).set_index("table")
    assert counts.loc["smurf_scores", "rows"] == 2 * PLAYERS
    assert counts.loc["smurf_scores", sql.AS_OF_COLUMN] == PLAYERS
    # Both rank snapshots of each player were observed 10 and 3 days before NOW.
    assert counts.loc["rank_snapshots", sql.AS_OF_COLUMN] == 2 * PLAYERS
    # The world's games were stored when it was built, after NOW; participants go with them.
    assert counts.loc["matches", sql.AS_OF_COLUMN] == 0
    assert counts.loc["match_participants", sql.AS_OF_COLUMN] == 0
    assert pd.isna(counts.loc["player_game_sums", sql.AS_OF_COLUMN])
    assert pd.isna(counts.loc["sim_truth", sql.AS_OF_COLUMN])
    # Nine hours behind UTC: read as if in UTC, it would fall before the first scoring.
    zoned = between.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=-9)))
    assert sql.table_counts(world, as_of=zoned).equals(counts.reset_index())


def test_tables_write_counts_with_thousands_separators_but_not_ids() -> None:
    """A report's counts read "10,120" like its sentences; ids, pids and queues keep their
    digits bare, and other columns are left as they are (the as-of counts beside "n/a"
    too)."""
    frame = pd.DataFrame(
        {
            "table": ["matches", "players"],
            "rows": [10120, 6],
            "records created": pd.array([1437, None], dtype="Int64"),
            "id": [1437, 2],
            "execution_id": [10001, 3],
            "host pid": [28616, 1],
            "queue": [1420, 420],
            "win rate": [0.5, 0.25],
            "won": [True, False],
        }
    )
    shown = present.with_separators(frame)
    assert list(shown["rows"]) == ["10,120", "6"]
    assert list(shown["records created"]) == ["1,437", ""]
    for bare in ("id", "execution_id", "host pid", "queue", "win rate", "won"):
        assert shown[bare].equals(frame[bare]), bare
    # Numbers written as text stay right-aligned in the interactive tables ("n/a" too).
    assert present._numbers_as_text(pd.Series(["10,120", "n/a", "97%"]))
    assert not present._numbers_as_text(pd.Series(["10,120", "matches"]))
    assert not present._numbers_as_text(pd.Series(["n/a", ""]))
    assert ":not(.dt-right)" in present.TABLE_CSS
    counts = pd.DataFrame(
        {"table": ["matches", "sums"], "rows": [10120, 5], "rows at as_of": [10000, None]}
    )
    assert list(sql.counts_for_readers(counts)["rows at as_of"]) == ["10,000", "n/a"]
    # Nothing stored since as_of: the column would only repeat the rows.
    unchanged = counts.assign(**{"rows at as_of": [10120, None]})
    assert list(sql.counts_for_readers(unchanged).columns) == ["table", "rows"]


# ---- plots and widgets ---------------------------------------------------------------


def test_figures_draw_from_real_and_empty_frames(con: duckdb.DuckDBPyConnection) -> None:
    """Every figure builds from the world's data and from empty frames without error."""
    latest = scores.latest_scores(con)
    runs = jobs.executions(con, since=NOW - timedelta(days=30))
    empty_runs = runs.iloc[0:0]
    figures = [
        plots.score_distribution_figure(latest),
        plots.score_distribution_figure(latest.iloc[0:0]),
        plots.roc_figure(
            {"s": quality.roc_curve(latest["label"] == "SMURF", latest["smurf_score"])}, None
        ),
        plots.factors_figure(players.factor_contributions(con, "p00")),
        plots.rank_history_figure(players.rank_history(con, "p00")),
        plots.performance_figure(players.match_history(con, "p00")),
        plots.job_runs_figure(runs),
        plots.job_runs_figure(empty_runs),
    ]
    assert all(isinstance(f, Figure) and f.axes for f in figures)


def test_a_date_axis_over_two_months_names_each_days_month() -> None:
    """Games from late September into October: each tick names its month ("Sep 25"), and
    beside the axis stands the year alone (it was "2026-Oct", the last tick's month, under
    "25 27 29 Oct 03", which read as days of October)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    games = pd.DataFrame(
        {
            "game_start": pd.date_range("2026-09-25", "2026-10-05", freq="D"),
            "performance_vs_base": np.linspace(0.8, 1.4, 11),
            "win": [True, False] * 5 + [True],
        }
    )
    fig = plots.performance_figure(games)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"(Sep|Oct) \d\d|Oct", t) for t in labels), labels
    assert any(t.startswith("Sep") for t in labels)
    assert ax.xaxis.get_offset_text().get_text() == "2026"
    assert ax.get_ylabel() == "× tier/role average (1 = par)"


def test_tier_boxes_leave_out_tiers_nobody_in_has_a_suspicion() -> None:
    """UNRANKED players left INSUFFICIENT_DATA have no suspicion: no empty box for them,
    while the label bars still count them."""
    latest = pd.DataFrame(
        {
            "tier": ["GOLD", "GOLD", "SILVER", None],
            "label": ["NORMAL", "SMURF", "NORMAL", "INSUFFICIENT_DATA"],
            "suspicion": [0.1, 0.9, 0.2, None],
        }
    )
    boxes, bars = plots.score_distribution_figure(latest).axes
    assert [t.get_text() for t in boxes.get_xticklabels()] == ["SILVER", "GOLD"]
    assert [t.get_text() for t in bars.get_xticklabels()] == ["SILVER", "GOLD", "UNRANKED"]
    # Both say what they measure; players are counted in whole numbers.
    assert (boxes.get_ylabel(), bars.get_ylabel()) == ("suspicion (0-1)", "players")
    assert all(tick == int(tick) for tick in bars.get_yticks())


def test_interactive_tables_load_their_code_before_using_it() -> None:
    """JupyterLab runs each output's scripts as it arrives, so the offline DataTables bundle
    must come before the script that awaits it; the other way round the console shows a
    TypeError in every notebook with tables."""
    code = "from pipeline.explorer import present\npresent.interactive_tables()"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    shown = [str(o.get("data", {}).get("text/html", "")) for o in nb.cells[0].outputs]
    loads = [i for i, html in enumerate(shown) if "injectModule" in html]
    uses = [i for i, html in enumerate(shown) if "set_or_remove_dark_class" in html]
    assert loads
    assert uses
    assert max(loads) < min(uses)


def test_player_options_show_riot_id_label_and_suspicion() -> None:
    """Each option reads 'name#tag · LABEL · score' and carries the puuid."""
    frame = pd.DataFrame(
        {
            "puuid": ["a", "b"],
            "riot_id": ["A#1", "B#2"],
            "label": ["SMURF", None],
            "suspicion": [0.912, None],
        }
    )
    assert player_options(frame) == [("A#1 · SMURF · 91%", "a"), ("B#2 · unscored", "b")]


def test_explorer_filters_select_and_show_a_card(world: Path) -> None:
    """Moving the widgets re-lists players; the first is selected and its card rendered."""
    explorer = PlayerExplorer(world)
    assert explorer.results.value == "p00"  # default threshold 0.5: the top suspect
    explorer.tier.value = "EMERALD"
    assert [puuid for _, puuid in explorer.results.options] == [BOOSTED]
    assert explorer.results.value == BOOSTED
    assert explorer.shown == BOOSTED
    explorer.tier.value = ANY
    explorer.min_score.value = 0
    explorer.label.value = "NORMAL"
    assert len(explorer.results.options) == 33


def test_explorer_search_by_riot_id(world: Path) -> None:
    """Searching a Riot ID lists and selects that player; a miss says so in the status."""
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 0
    explorer.search("Player07#NA1")
    assert list(explorer.results.options) == [("Player07#NA1 · NORMAL · 8%", "p07")]
    assert explorer.results.value == "p07"
    explorer.search("nobody#here")
    assert explorer.results.options == ()
    assert explorer.status.value == "No player matches <code>nobody#here</code>."


def test_explorer_counts_in_good_english(world: Path) -> None:
    """One match reads "1 player matches", not "1 players match"."""
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 0
    explorer.search("Player07#NA1")
    assert explorer.status.value.startswith("1 player matches <code>Player07#NA1</code>")
    explorer.search("")
    explorer.tier.value = "EMERALD"
    explorer.label.value = "BOOSTED"
    assert explorer.status.value == "1 player passes the filters."


def test_a_search_without_match_clears_the_card(world: Path) -> None:
    """After a search that finds nobody, no previous player's card stays on screen."""
    explorer = PlayerExplorer(world)
    assert explorer.shown == "p00"
    explorer.search("nobody#here")
    assert explorer.shown is None
    assert "Player00#EUW" not in explorer.snapshot_html()


def test_a_search_keeps_to_the_filters_shown(world: Path) -> None:
    """Search results pass the tier, label and score filters on screen; hidden ones are
    counted in the status with what to change."""
    explorer = PlayerExplorer(world)
    explorer.label.value = "SMURF"
    explorer.search("Player0")
    labels = {text.split(" · ")[1] for text, _ in explorer.results.options}
    assert labels == {"SMURF"}
    assert "hidden by the filters" in explorer.status.value
    explorer.search("Player")
    assert "hidden by the filters" in explorer.status.value
    assert ". To see some, " in explorer.status.value
    explorer.search("Player07")  # a name's start, not a whole Riot ID: filters apply
    assert explorer.results.options == ()
    assert "1 more is hidden by the filters" in explorer.status.value
    assert explorer.status.value.endswith("to see it.")


def test_a_search_names_only_the_filters_that_hide_its_matches(world: Path) -> None:
    """Matches hidden by Min score alone name Min score and how low to go, not Tier, Label
    or Min games left at (any) and 0; each filter that hides some is named with how far
    to move it, as when nobody passes (``_nobody_passes_note``)."""
    explorer = PlayerExplorer(world)
    explorer.search("Player0")  # Player00-09: six pass Min score 50 %, four NORMAL do not
    assert explorer.status.value == (
        "6 players match <code>Player0</code> and the filters; 4 more are hidden by the"
        " filters. To see some, lower Min score to 5% (the highest score among them is 10%)."
    )
    explorer.tier.value = "EMERALD"  # the BOOSTED one; the other five flagged are elsewhere
    assert explorer.status.value == (
        "1 player matches <code>Player0</code> and the filters; 9 more are hidden by the"
        " filters. To see some, set Tier to (any) (5 players)."
    )
    explorer.tier.value = ANY
    explorer.min_games.value = 35
    assert explorer.status.value == (
        "No player passing the filters matches <code>Player0</code>; 10 more are hidden by"
        " the filters. To see some, lower Min games to 30 (the most games among them the"
        " other filters leave is 30)."
    )
    explorer.min_games.value = 0
    explorer.label.value = "SMURF"
    explorer.search("Player07")  # NORMAL at 8 %: Label and Min score hide it together
    assert explorer.status.value == (
        "No player passing the filters matches <code>Player07</code>; 1 more is hidden by the"
        " filters: no one filter alone hides it; widen two or more of Tier, Label, Min score"
        " and Min games to see it."
    )


def test_a_player_named_exactly_is_listed_whatever_the_filters(world: Path) -> None:
    """A Riot ID (any case) or puuid typed in full names the player wanted: listed and
    shown although the filters would hide them, and the status says so (a name's start
    keeps to the filters: the test above)."""
    explorer = PlayerExplorer(world)
    explorer.label.value = "SMURF"
    for text in ("Player07#NA1", "player07#na1", "p07"):
        explorer.search(text)
        assert [value for _, value in explorer.results.options] == ["p07"], text
        assert explorer.shown == "p07"
        assert explorer.status.value == (
            "Player07#NA1, named exactly, is listed although the filters would hide it."
        )


def test_a_search_counts_every_match_not_the_first_twenty(world: Path) -> None:
    """A search matching more players than a lookup shows counts them all, and so do the
    hidden ones; the list holds at most ``MAX_LISTED``, and the status says so."""
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 0
    explorer.search("Player")
    assert PLAYERS > 20
    assert explorer.status.value == f"{PLAYERS} players match <code>Player</code>."
    assert len(explorer.results.options) == PLAYERS
    explorer.label.value = "SMURF"
    hidden = PLAYERS - len(explorer.results.options)
    assert f"; {hidden} more are hidden by the filters" in explorer.status.value
    assert "To see some, set Label to (any)" in explorer.status.value


def test_the_status_says_when_the_list_is_cut(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More players passing than the list holds: the status says only the first are listed."""
    monkeypatch.setattr(widgets_module, "MAX_LISTED", 3)
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 0
    assert len(explorer.results.options) == 3
    assert explorer.status.value == f"{PLAYERS} players pass the filters (the first 3 listed)."
    explorer.search("Player")
    assert len(explorer.results.options) == 3
    assert "(the first 3 listed)" in explorer.status.value


@pytest.mark.parametrize("text", ["%", "_", "Player_", "%07"])
def test_search_wildcards_are_plain_characters(world: Path, text: str) -> None:
    """``%`` and ``_`` match themselves, not any text."""
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 0
    explorer.search(text)
    assert explorer.results.options == ()
    assert explorer.status.value.startswith("No player matches")


def test_the_heading_says_whose_card_is_shown_now(world: Path) -> None:
    """The explorer's heading follows the card: the top suspect at first, then the player
    a search found or the reader chose, and why no card is shown when none is (the
    notebook's header said "opened on the top suspect" whatever was shown since); the
    static copy carries it too."""
    explorer = PlayerExplorer(world)
    assert explorer.heading.value == (
        "<b>Showing Player00#EUW</b>, the top suspect the filters pass."
    )
    explorer.min_score.value = 0
    explorer.search("Player07#NA1")
    assert explorer.heading.value == (
        "<b>Showing Player07#NA1</b>, the first listed for the search <code>Player07#NA1</code>."
    )
    explorer.search("Player0")
    explorer.results.value = explorer.results.options[2][1]
    chosen = explorer.results.options[2][0].split(" · ")[0]
    assert explorer.heading.value == f"<b>Showing {chosen}</b>, chosen from the list."
    assert explorer.heading.value in explorer.snapshot_html()
    # Nobody listed: the heading says there is no card, the status why (said once).
    explorer.search("nobody#here")
    assert explorer.heading.value == "No card shown: no player is listed."
    explorer.search("")
    explorer.min_games.value = 35
    assert explorer.heading.value == "No card shown: no player is listed."
    assert explorer.heading in explorer.widget().children


def test_a_search_that_finds_nobody_says_so_once_and_blames_no_filter(world: Path) -> None:
    """A search matching nobody, every filter at its widest: the static copy said "No card
    shown: no player is listed for the search X", "No player matches X" and "No player
    selected: nothing passes the filters and the search", which blamed filters that hide
    nobody. The status says why nobody is listed, once; nothing else repeats it."""
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 0
    explorer.search("nobody#here")
    snapshot = explorer.snapshot_html()
    sentences = re.sub(r"<[^>]+>", "", snapshot)
    assert sentences.count("nobody#here") == 2  # the filters' line, and the status
    assert "No player matches nobody#here." in sentences
    assert "No card shown: no player is listed." in sentences
    assert "filters" not in sentences.replace("No player matches", "")
    assert "No player selected" not in sentences


def test_a_search_shows_its_text_in_the_box(world: Path) -> None:
    """A search made by code (the notebook's ``player`` parameter) reads in the search box."""
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 0
    explorer.search(" Player07#NA1 ")
    assert explorer.search_box.value == "Player07#NA1"
    assert explorer.results.value == "p07"


def test_an_explorer_over_a_database_nobody_is_scored_in_says_what_to_run(
    tmp_path: Path,
) -> None:
    """A migrated database without scores lists nobody and says how to get scores, rather
    than "0 players pass the filters"; a search still answers."""
    empty = tmp_path / "empty.duckdb"
    migrate(empty)
    explorer = PlayerExplorer(empty)
    assert explorer.results.options == ()
    assert explorer.status.value == widgets_module.NOBODY_SCORED
    assert "smurf analyze" in explorer.status.value
    explorer.search("Someone#EUW")
    assert "No player matches" in explorer.status.value


def test_an_explorer_over_stored_games_nobody_is_scored_in_says_to_score_them(
    unscored: Path,
) -> None:
    """Games stored but nobody scored: the status counts the games and says what scores
    them (`smurf analyze`, or the SMURF_ANALYZER job), not to store games."""
    explorer = PlayerExplorer(unscored)
    with read(unscored) as con:
        games = con.execute("SELECT count(*) FROM matches").fetchone()[0]  # type: ignore[index]
    assert explorer.results.options == ()
    assert explorer.status.value == (
        f"Nobody is scored in this database yet. {games:,} games are stored: run"
        " <code>smurf analyze</code> (or <code>smurf run SMURF_ANALYZER</code>; the scheduler"
        " runs that job on its own) to score their players, then run this cell again."
    )
    assert "store games" not in explorer.status.value.lower()


def test_an_explorer_where_nobody_could_be_judged_says_why_and_how_to_list_them(
    unprofiled: Path,
) -> None:
    """Scores without profiles list nobody under the default Min score: the status says
    what they lack and what to run, and choosing their label lists them."""
    explorer = PlayerExplorer(unprofiled)
    assert explorer.results.options == ()
    assert "Nobody could be judged yet" in explorer.status.value
    assert "<code>smurf run PROFILE_REFRESHER</code>" in explorer.status.value
    assert explorer.status.value.endswith("Choose Label INSUFFICIENT_DATA to list them.")
    explorer.label.value = "INSUFFICIENT_DATA"
    assert len(explorer.results.options) == min(len(explorer.scores), widgets_module.MAX_LISTED)
    assert "Nobody could be judged yet" not in explorer.status.value


def test_nobody_passing_the_filters_names_the_filter_that_hides_them(world: Path) -> None:
    """When no player passes, the status names each filter that alone hides them all and
    how far to move it: the best score or the most games the other filters leave."""
    explorer = PlayerExplorer(world)
    suspects = int((explorer.scores["suspicion"] >= 0.5).sum())
    explorer.tier.value = "DIAMOND"  # its best score is 22 %
    assert explorer.results.options == ()
    assert explorer.status.value == (
        "0 players pass the filters. To list some, lower Min score to 20% (the highest score"
        f" the other filters leave is 22%); or set Tier to (any) ({suspects} players)."
    )
    explorer.tier.value = ANY
    explorer.min_games.value = 35  # every player has 30 games or fewer
    assert explorer.status.value == (
        "0 players pass the filters. To list some, lower Min games to 30 (the most games the"
        " other filters leave is 30)."
    )


def test_nobody_passing_two_filters_together_says_so(world: Path) -> None:
    """Filters that hide everyone only together are named as such; and where no one filter
    alone hides them all, the status says to widen several."""
    explorer = PlayerExplorer(world)
    explorer.tier.value = "IRON"  # its one flagged player is a SMURF
    explorer.label.value = "BOOSTED"  # the one BOOSTED player is EMERALD
    assert explorer.status.value == (
        "0 players pass the filters. To list some, set Tier to (any) (1 player); or set Label"
        " to (any) (1 player)."
    )
    explorer.min_games.value = 35
    assert explorer.status.value == (
        "0 players pass the filters. No one filter hides them all: widen two or more of Tier,"
        " Label, Min score and Min games."
    )
    explorer.tier.value = ANY
    explorer.label.value = ANY
    explorer.min_games.value = 0
    assert explorer.status.value.endswith("players pass the filters.")  # no hint when some do


def test_min_score_is_typed_in_whole_percent(world: Path) -> None:
    """The Min score box shows whole percent, and a value typed in it reads the same way:
    90 keeps the players whose suspicion is at least 0.90."""
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 90
    kept = explorer.filtered()
    suspicion = explorer.scores["suspicion"].fillna(0.0)
    assert len(kept) == int((suspicion >= 0.9).sum())
    assert 0 < len(kept) < int((suspicion >= 0.5).sum())
    assert "Min score 90%" in explorer.snapshot_html()


def test_listing_insufficient_data_leaves_min_score_out(world: Path) -> None:
    """Players too little known to score are listed by their label at any Min score, and
    the status says why Min score does not apply."""
    explorer = PlayerExplorer(world)
    assert explorer.min_score.value == 50
    explorer.label.value = "INSUFFICIENT_DATA"
    assert INSUFFICIENT in [puuid for _, puuid in explorer.results.options]
    assert "Min score does not apply to INSUFFICIENT_DATA" in explorer.status.value
    explorer.min_score.value = 0
    assert "Min score" not in explorer.status.value


def test_a_choice_from_replaced_options_neither_fails_nor_shows_its_card(world: Path) -> None:
    """The browser may send a choice among options the kernel has replaced since (filters
    changed quickly): no error, and the card stays with what the list holds."""
    explorer = PlayerExplorer(world)
    top = explorer.results.value
    explorer.search("nobody#here")
    assert explorer.results.options == ()
    explorer.results.set_state({"index": 0})  # the browser's choice from the old list
    explorer._picked()
    assert explorer.shown is None
    assert explorer.card.value == ""
    explorer.search("")
    explorer.results.set_state({"index": 10_000})
    assert explorer.shown == explorer.results.value == top
    assert "Player00#EUW" in explorer.card.value


def test_two_changes_at_once_leave_the_card_with_the_list(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel may handle two widget changes on two threads at once (a filter changed
    while a search is typed): the later one sees the list the first left, and no card
    outlives the list it came from."""
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 0
    drawing = threading.Event()
    real_card_parts = widgets_module.card_parts

    def slow_card_parts(*args: Any, **kwargs: Any) -> dict[str, Any]:
        if threading.current_thread().name == "filter-change":
            drawing.set()
            time.sleep(0.5)  # the search below comes while this card is drawn
        return real_card_parts(*args, **kwargs)

    monkeypatch.setattr(widgets_module, "card_parts", slow_card_parts)
    change = threading.Thread(
        target=lambda: setattr(explorer.label, "value", "NORMAL"), name="filter-change"
    )
    change.start()
    assert drawing.wait(10)
    explorer.search("nobody#here")
    change.join(10)
    assert explorer.results.options == ()
    assert explorer.status.value == "No player matches <code>nobody#here</code>."
    assert explorer.shown is None
    assert explorer.card.value == ""


def test_a_browser_change_and_a_search_at_once_keep_the_searchs_list(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search made while the list applies a refused choice from the browser waits for it:
    the refused choice is rolled back alone, not the search's new list with it."""
    explorer = PlayerExplorer(world)
    explorer.min_score.value = 0
    results = explorer.results
    listed = len(results.options)
    real_set_trait = results.set_trait
    inside, go_on = threading.Event(), threading.Event()

    def slow_set_trait(name: str, value: Any) -> None:  # inside the browser's set_state
        real_set_trait(name, value)
        if threading.current_thread().name == "browser":
            inside.set()
            go_on.wait(10)

    monkeypatch.setattr(results, "set_trait", slow_set_trait)
    browser = threading.Thread(
        target=lambda: results.set_state({"index": listed + 5}), name="browser"
    )
    browser.start()
    assert inside.wait(10)
    search = threading.Thread(target=lambda: explorer.search("Player07#NA1"), name="search")
    search.start()
    time.sleep(0.3)
    go_on.set()
    browser.join(10)
    search.join(10)
    assert [puuid for _, puuid in results.options] == ["p07"]
    assert results.value == explorer.shown == "p07"


def test_insufficient_data_never_passes_min_score(world: Path) -> None:
    """A player with too few games to judge has no suspicion, whatever its raw score."""
    explorer = PlayerExplorer(world)
    listed = [puuid for _, puuid in explorer.results.options]
    assert INSUFFICIENT not in listed
    latest = explorer.scores.set_index("puuid")
    assert pd.isna(latest.loc[INSUFFICIENT, "suspicion"])
    assert INSUFFICIENT not in set(scores.filter_scores(explorer.scores, min_score=0.5)["puuid"])


def test_the_static_copy_follows_the_widget(world: Path) -> None:
    """The explorer's static HTML (what exports show instead of widgets) is the card of the
    player selected now, and the explorer displays as the widget with that fallback."""
    explorer = PlayerExplorer(world)
    assert "Player00#EUW" in explorer.snapshot_html()
    explorer.min_score.value = 0
    explorer.search("Player07#NA1")
    snapshot = explorer.snapshot_html()
    assert "Player07#NA1" in snapshot
    assert "Player00#EUW" not in snapshot
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"] == snapshot


def test_tables_sit_at_the_left_under_their_heading() -> None:
    """JupyterLab centres rendered tables; the card's and the notebooks' plain tables keep
    to the left, where their heading is."""
    html = present.table_html(pd.DataFrame({"Riot ID": ["A#1"], "games": [3]}))
    assert '<table style="margin-left:0; margin-right:auto" ' in html
    assert html.count("<table") == 1


def test_the_games_table_fits_the_page(world: Path) -> None:
    """The card's games table has the few columns a reader needs, in a scrolling box."""
    parts = card_parts(world, "p00")
    games = players.games_for_readers(parts["games"])
    assert list(games.columns) == [
        "date",
        "champion",
        "role",
        "result",
        "K/D/A",
        "CS/min",
        "× tier/role avg",
    ]
    assert 'style="overflow-x:auto' in card_html(parts)
    # Each number column reads down evenly: the same decimals in every row.
    for column, decimals in (("CS/min", 1), ("× tier/role avg", 2)):
        shown = [v for v in games[column] if v]
        assert shown and all(len(v.split(".")[1]) == decimals for v in shown), shown


def test_the_card_says_yes_or_no_where_the_database_holds_true_or_false(
    world: Path, tmp_path: Path
) -> None:
    """The summary shows "profile found: yes", not Python's True."""
    copy = tmp_path / "world.duckdb"
    shutil.copy(world, copy)
    with write(copy) as con:
        con.execute("UPDATE players SET profile_found = true WHERE puuid = 'p00'")
    summary = card_html(card_parts(copy, "p00"))
    assert re.search(r"<td>profile found</td>\s*<td>yes</td>", summary)
    assert ">True<" not in summary and ">False<" not in summary


def test_one_rank_snapshot_is_drawn_on_a_short_axis(con: duckdb.DuckDBPyConnection) -> None:
    """A single snapshot sits on an axis of days, not of years."""
    history = players.rank_history(con, "p00").iloc[:1]
    ax = plots.rank_history_figure(history).axes[0]
    low, high = ax.get_xlim()
    assert high - low <= 3  # matplotlib date units are days


def test_the_rank_history_reads_as_ranks(con: duckdb.DuckDBPyConnection) -> None:
    """The rank axis names ranks (IRON II .. BRONZE I), not ladder points, and the legend
    names the queue in words, not Riot's RANKED_SOLO_5x5."""
    history = players.rank_history(con, "p00")  # IRON II 20 LP, then BRONZE II 60 LP
    ax = plots.rank_history_figure(history).axes[0]
    named = ax.yaxis.get_major_formatter()
    ranks = [named(tick, 0) for tick in ax.get_yticks()]
    assert ranks[0] == "IRON II"
    assert "BRONZE II" in ranks
    assert all(re.fullmatch(r"[A-Z]+ (?:IV|III|II|I)", rank) for rank in ranks)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ranked solo"]
    assert "ladder points" not in ax.get_ylabel()
    assert [plots.rank_name(p) for p in (0, 399, 1400, 3100, 3900)] == [
        "IRON IV",
        "IRON I",
        "GOLD II",
        "MASTER",
        "CHALLENGER",
    ]


def test_the_factor_chart_names_its_axis(con: duckdb.DuckDBPyConnection) -> None:
    """The factor bars say what their length measures."""
    ax = plots.factors_figure(players.factor_contributions(con, "p00")).axes[0]
    assert "contribution" in ax.get_xlabel()


def test_the_factor_chart_shows_a_factor_without_effect_as_zero(
    world: Path, tmp_path: Path
) -> None:
    """Every factor's row carries its contribution, as `smurf explain` lists them; one that
    moved the score by nothing shows a dot at 0 labelled 0.00, not a name beside an empty
    row."""
    db = tmp_path / "zero.duckdb"
    shutil.copy(world, db)
    factors = {"smurf": {"win_rate": 0.45, "kda_vs_tier": 0.0, "level": -0.1}, "boosted": {}}
    with write(db) as w:
        w.execute(
            "UPDATE smurf_scores SET contributions = ? WHERE puuid = 'p00'", [json.dumps(factors)]
        )
    with read(db) as r:
        ax = plots.factors_figure(players.factor_contributions(r, "p00")).axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ["kda vs tier", "level", "win rate"]  # largest at the top
    said = sorted(t.get_text() for t in ax.texts if t.get_text())
    assert said == ["+0.45", "-0.10", "0.00"]
    dots = [tuple(xy) for dots in ax.collections for xy in dots.get_offsets()]
    assert dots == [(0.0, rows.index("kda vs tier"))]
    left, right = ax.get_xlim()
    assert left < 0 < right  # the dot at 0 inside the frame, not on its edge
    assert "no effect" in ax.get_xlabel()


def test_card_parts_hold_everything_the_card_shows(world: Path) -> None:
    """The card's parts come from one read: summary, factors, ranks, games, co-players."""
    parts = card_parts(world, BANNED)
    assert parts["summary"]["account_status"] == "UNAVAILABLE"
    assert {"factors", "ranks", "games", "co_players"} <= set(parts)
    assert not parts["games"].empty
    assert card_parts(world, "nobody")["summary"] == {}


def test_the_card_shows_the_ban_evidence(world: Path) -> None:
    """The card's ban checks list the newest first, with the evidence flags and reasons."""
    checks = card_parts(world, BANNED)["ban_checks"]
    assert list(checks["status"]) == ["UNAVAILABLE", "ACTIVE"]
    latest = checks.iloc[0]
    assert (latest["ranked_entries_gone"], latest["history_frozen"]) == (True, True)
    assert latest["reasons"] == "account-v1 404; ranked entries gone"
    assert card_parts(world, "nobody")["ban_checks"].empty
    # The evidence is dated: games stored after the check may say otherwise.
    assert "<b>Account status UNAVAILABLE</b>, as the check at " in card_html(
        card_parts(world, BANNED)
    )


def test_an_unchecked_account_the_profile_refresh_found_gone_reads_gone(
    world: Path, tmp_path: Path
) -> None:
    """Never checked by the ban checker, but summoner-v4 no longer finds it: the card's
    account status says it is gone, not only "not checked"."""
    from tests.sim_helpers import copy_database

    copy = tmp_path / "gone.duckdb"
    copy_database(world, copy)
    with write(copy) as con:
        con.execute("UPDATE players SET profile_found = false WHERE puuid = ?", [INSUFFICIENT])
    card = card_html(card_parts(copy, INSUFFICIENT))
    assert "<td>gone: summoner-v4 no longer finds the account (the profile refresh" in card
    assert "<td>not checked (the ban checker" not in card


def test_a_flagged_player_not_checked_yet_and_a_level_without_a_profile_say_so(
    world: Path, tmp_path: Path
) -> None:
    """A flagged player the ban checker has not reached reads "not checked yet", not as if
    it were not flagged; a summoner level known only from the games, before any profile,
    says where it comes from beside the reason "no profile"."""
    from tests.sim_helpers import copy_database

    copy = tmp_path / "unchecked.duckdb"
    copy_database(world, copy)
    flagged = SMURFS[0]
    with write(copy) as con:
        con.execute("DELETE FROM account_checks WHERE puuid = ?", [flagged])
        con.execute(
            "UPDATE players SET summoner_checked_at = NULL, summoner_level = 298 WHERE puuid = ?",
            [INSUFFICIENT],
        )
        con.execute(
            "UPDATE players SET summoner_level = 120, summoner_checked_at = ?,"
            " profile_found = true WHERE puuid = ?",
            [NOW, flagged],
        )
    card = card_html(card_parts(copy, flagged))
    assert "<td>not checked yet (the ban checker checks flagged players on its runs)</td>" in card
    assert "<td>120</td>" in card  # a profile was read: the level is its own
    unread = card_html(card_parts(copy, INSUFFICIENT))
    assert "<td>298 (from its games; no profile read yet)</td>" in unread
    assert "<td>not checked (the ban checker looks at flagged players only)</td>" in unread


def test_the_card_says_why_a_player_is_not_labelled(world: Path) -> None:
    """An INSUFFICIENT_DATA player's card gives the stored reason; a labelled one's none."""
    unlabelled = card_parts(world, INSUFFICIENT)
    assert unlabelled["summary"]["unlabelled_because"] == "only 3 ranked games stored (5 needed)"
    assert "only 3 ranked games stored (5 needed)" in card_html(unlabelled)
    assert pd.isna(card_parts(world, BANNED)["summary"]["unlabelled_because"])
    # Never looked at by the ban checker: the account status row says so, not a blank.
    assert pd.isna(unlabelled["summary"]["account_status"])
    assert "<td>not checked (the ban checker looks at flagged players only)</td>" in card_html(
        unlabelled
    )
    assert "not checked" not in card_html(card_parts(world, BANNED))
    # Its raw score (1.0 here) measures nothing: the card shows neither it nor its factors.
    card = card_html(unlabelled)
    summary = card[card.index("<table") : card.index("</table>")]
    assert "smurf score" not in summary and "100%" not in summary
    assert 'alt="factor contributions"' not in card
    assert 'alt="factor contributions"' in card_html(card_parts(world, BANNED))


def test_an_unscored_players_card_says_so(world: Path, tmp_path: Path) -> None:
    """A player the analyzer has not scored: a sentence says so, and no cell reads <NA>."""
    copy = tmp_path / "unscored.duckdb"
    shutil.copy(world, copy)
    with write(copy) as con:
        con.execute("DELETE FROM smurf_scores WHERE puuid = 'p07'")
    card = card_html(card_parts(copy, "p07"))
    assert "Not scored yet" in card
    assert "&lt;NA&gt;" not in card and "<NA>" not in card and "nan" not in card
    assert "Not scored yet" not in card_html(card_parts(world, "p07"))
    # Nothing scored, no rows of scores: no name in the summary without a value beside it.
    for name in ("label", "smurf score", "confidence", "games analyzed", "scored at"):
        assert f"<td>{name}</td>" not in card
    summary = card[card.index("<table") : card.index("</table>")]
    assert re.search(r"<td>[^<]+</td>\s*<td></td>", summary) is None


def test_the_card_reads_as_words(world: Path) -> None:
    """The card's tables have no machine headers or column names and give times to the
    minute; the ban checks say what was found, where and why."""
    parts = card_parts(world, BANNED)
    checks = players.checks_for_readers(parts["ban_checks"])
    assert list(checks.columns) == ["checked", "status", "platform", "evidence"]
    assert list(checks["evidence"]) == ["account-v1 404; ranked entries gone", "none recorded"]
    card = card_html(parts)
    assert "<th>value</th>" not in card
    assert "ranked_entries_gone" not in card
    assert re.search(r"\d\d:\d\d:\d\d", card) is None
    assert (SECOND_SCORING.strftime("%Y-%m-%d %H:%M")) in card
    # The long puuid sits under the summary table, where it widens nothing.
    summary_table = card[: card.index("</table>")]
    assert f"<td>{BANNED}</td>" not in summary_table
    assert f"<p>puuid <code>{BANNED}</code></p>" in card


def test_a_rank_seen_once_reads_as_a_sentence(world: Path) -> None:
    """One rank snapshot is said in words, not drawn as a lone dot; two or more are drawn."""
    parts = card_parts(world, "p00")
    assert parts["ranks"]["observed_at"].nunique() > 1
    assert 'alt="rank history"' in card_html(parts)
    once = (
        parts["ranks"]
        .head(1)
        .assign(queue_type="RANKED_SOLO_5x5", tier="SILVER", division="II", league_points=29)
    )
    card = card_html({**parts, "ranks": once})
    assert 'alt="rank history"' not in card
    seen = once["observed_at"].iloc[0].strftime("%Y-%m-%d %H:%M")
    assert f"<b>Rank</b>: SILVER II 29 LP (solo, {seen}). Seen once so far" in card


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        pytest.skip(BROWSER_MISSING)
    with Browser(executable) as running:
        yield running


def test_the_card_never_widens_the_explorer(world: Path, browser: Browser, tmp_path: Path) -> None:
    """Placed as the explorer's widget places it (its HTML in a flex box, here 600 px
    wide), the card of a player with ban checks stays within the box: its tables scroll
    in their own boxes and its figures shrink to fit."""
    card = card_html(card_parts(world, "p00"))
    page = tmp_path / "card.html"
    page.write_text(
        '<html><body style="margin:0"><div style="display:flex; width:600px">'
        f'<div id="content" style="flex-grow:1; flex-shrink:1">{card}</div></div></body></html>'
    )
    shown = browser.open(page)
    assert shown.evaluate("document.getElementById('content').getBoundingClientRect().width") <= 600
    widest = shown.evaluate(
        "Math.max(...[...document.querySelectorAll('#content img, #content h3, #content p')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= 600


def test_world_times_are_fixed() -> None:
    """The fixture world is pinned in time, so as_of-dependent tests never drift."""
    assert datetime(2026, 11, 28, 12) == NOW


# Every factor of both models in words, as its value reads: above the typical value (the
# factor's center) and below it. A negative weight raises the score on the low side, so the
# low words must read as a reason for that ("few season games" raising the smurf score),
# and a value of 0 that most players have reads as none ("no ...", "little or no ..."), not
# as "low ...": "low return on old account" on a brand-new account meant nothing, and
# "steady play" raising the smurf score read as a smurf sign.
FACTOR_PHRASES = {
    ("smurf", "new_account_record"): (
        "winning record on a new account",
        "little or no winning record on a new account",
    ),
    ("smurf", "deliberate_losses"): ("deliberate losses", "little or no sign of deliberate losses"),
    ("smurf", "lobby_stomps"): ("lobby stomps", "few lobby stomps"),
    ("smurf", "return_on_old_account"): (
        "return after a break on an old account",
        "no return after a break on an old account",
    ),
    ("smurf", "season_games"): ("many season games", "few season games"),
    ("smurf", "lobby_losses"): ("play in games lost", "weak play in games lost"),
    ("smurf", "rising_on_new_account"): (
        "learning on a new account",
        "no newcomer's learning curve",
    ),
    ("smurf", "throwing_on_even_season"): (
        "throwing on an even season",
        "no throwing on an even season",
    ),
    ("smurf", "old_account"): ("old account", "younger account"),
    ("boosted", "lobby_fall"): ("fall from best week", "little or no fall from best week"),
    ("boosted", "tier_decline"): (
        "fall in play against the tier",
        "no fall in play against the tier",
    ),
    ("boosted", "new_by_games"): ("few season games", "many season games"),
    ("boosted", "lobby_wins"): ("play in games won", "weak play in games won"),
    ("boosted", "season_record"): ("winning season record", "even or losing season record"),
    ("boosted", "winning_season_below_tier"): (
        "record above play at tier",
        "record in line with play at tier",
    ),
    ("boosted", "play_swing"): (
        "play swinging beyond its results",
        "play as steady as its results",
    ),
    ("boosted", "lobby_stomps"): ("lobby stomps", "few lobby stomps"),
}


@pytest.mark.parametrize(("target", "name"), list(FACTOR_PHRASES))
def test_a_factor_reads_as_what_its_value_means(target: str, name: str) -> None:
    """A contribution's sign and the factor's weight say whether the player's value sits
    above or below the typical one; the words say which, in the direction the score moved."""
    from pipeline.analysis.model import MODELS, factor_phrase

    model = next(m for m in MODELS if m.target == target)
    factor = next(f for f in model.factors if f.name == name)
    high, low = FACTOR_PHRASES[target, name]
    up = 1.0 if factor.weight > 0 else -1.0  # the sign of a value above the center
    assert factor_phrase(target, name, 0.8 * up) == high
    assert factor_phrase(target, name, -0.8 * up) == low
    # No effect (a flat stretch of a bent line): the value says which side it is on, as
    # `smurf explain` prints it beside "value 0.00, typical 0.09".
    assert factor_phrase(target, name, 0.0, value=factor.center + 0.01) == high
    assert factor_phrase(target, name, 0.0, value=factor.center - 0.01) == low
    assert factor_phrase(target, name, 0.0, value=float("nan")) == high
    assert factor_phrase(target, name, 0.0) == high


def test_every_factor_of_both_models_has_its_words() -> None:
    """A factor added to a model is worded here too (both ways), not left to "low ..."."""
    from pipeline.analysis.model import MODELS

    assert {(m.target, f.name) for m in MODELS for f in m.factors} == set(FACTOR_PHRASES)


def test_the_top_factors_and_the_chart_read_as_factor_phrase_words_them() -> None:
    """The top factors and the factor chart name each factor as ``factor_phrase`` words it;
    a factor the models no longer have keeps its name."""
    from pipeline.analysis.model import factor_phrase

    assert factor_phrase("smurf", "a_retired_factor", 0.8) == "a retired factor"
    contributions = {"season_games": 0.79, "new_account_record": 1.2, "prior": -3.0}
    assert scores.top_factors(contributions, "smurf") == (
        "winning record on a new account +1.20 · few season games +0.79"
    )
    ax = plots.factors_figure(pd.Series(contributions), target="smurf").axes[0]
    assert "few season games" in [t.get_text() for t in ax.get_yticklabels()]


def test_the_tier_boxes_draw_their_many_outliers_as_faint_dots() -> None:
    """On 100,000 players every suspect is an outlier of its tier's box: drawn as rings they
    merged into black columns; as faint dots they show where suspects crowd. A few hundred
    players' outliers stay plain to see."""
    rng = np.random.default_rng(3)
    latest = pd.DataFrame(
        {
            "tier": "GOLD",
            "label": "NORMAL",
            "suspicion": np.clip(rng.beta(0.3, 8, 5_000) + (rng.random(5_000) < 0.05), 0, 1),
        }
    )

    def outliers(frame: pd.DataFrame) -> Any:
        boxes = plots.score_distribution_figure(frame).axes[0]
        return max(boxes.get_lines(), key=lambda line: len(line.get_xdata()))

    many, few = outliers(latest), outliers(latest.head(300))
    assert many.get_marker() == "." and (many.get_alpha() or 1.0) <= 0.5
    assert few.get_marker() == "." and (few.get_alpha() or 1.0) >= 0.8  # a few stand out
