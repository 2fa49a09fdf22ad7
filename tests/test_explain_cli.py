"""`smurf explain PLAYER`: one player's score taken apart, on an exported world."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.analysis import explain
from pipeline.analysis.explain import Explanation
from pipeline.analysis.explain_cli import (
    label_choice,
    levelling_text,
    season_text,
    tier_text,
    weekly_text,
)
from pipeline.analysis.model import factor_phrase
from pipeline.analysis.params import DEFAULT_PARAMS, ScoringParams
from pipeline.cli import cli
from pipeline.log import configure_logging


@pytest.fixture(scope="module")
def scored_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.simulator import SimulatorConfig
    from pipeline.simulator.export import export_world

    configure_logging(json_lines=True, level="warning")
    path = tmp_path_factory.mktemp("explain") / "world.duckdb"
    # Seed 14: under smurf-logit-19 its world holds a BOOSTED account whose smurf score
    # reaches its threshold too (seed 13's no longer does), which one test explains.
    export_world(SimulatorConfig(seed=14, players=300), path)
    analyzed = CliRunner().invoke(cli, ["--db", str(path), "analyze", "--all"])
    assert analyzed.exit_code == 0, analyzed.output
    return path


def _top_smurf(path: Path) -> tuple[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "SELECT puuid, game_name || '#' || tag_line FROM latest_smurf_scores"
            " JOIN players USING (puuid) WHERE label = 'SMURF'"
            " ORDER BY smurf_score DESC, puuid LIMIT 1"
        ).fetchone()
    assert row is not None, "the world has a SMURF to explain"
    return str(row[0]), str(row[1])


def _explain(path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(path), "explain", *args])
    return result.exit_code, result.stdout, result.stderr


def test_explain_takes_a_score_apart_by_riot_id_or_puuid_prefix(scored_world: Path) -> None:
    """By Riot ID (any case) or the puuid's first characters, the same player: the label,
    both scores, every factor of the label's score with its value and contribution, and a
    total that is the score's log-odds."""
    puuid, riot_id = _top_smurf(scored_world)
    code, out, err = _explain(scored_world, riot_id.upper(), "--games", "3")
    assert code == 0, err
    with duckdb.connect(str(scored_world), read_only=True) as con:
        expected = explain(con, puuid)
    assert out.startswith(f"{riot_id} on ")
    assert f"{expected.label}: smurf score {expected.smurf_score:.2f}" in out
    smurf = expected.factors[expected.factors["target"] == "smurf"]
    logit = float(smurf["contribution"].sum())
    assert f"log-odds {logit:+.2f}" in out
    assert len([line for line in out.splitlines() if ", typical " in line]) == len(smurf) - 1
    # Each factor as its value reads, also one with no effect (a flat stretch of its line):
    # "+0.00  throwing on an even season  value 0.00, typical 0.09" read as throwing.
    lines = [line.split()[1:] for line in out.splitlines() if ", typical " in line]
    for row in smurf[smurf["factor"] != "prior"].itertuples():
        words = factor_phrase("smurf", row.factor, row.contribution, row.value)
        assert words.split() in [line[: len(words.split())] for line in lines], words
    flat = smurf[(smurf["contribution"] == 0) & (smurf["value"] < smurf["baseline"])]
    assert not flat.empty, "the top SMURF has a factor at no effect below its center"
    assert factor_phrase("smurf", flat["factor"].iloc[0], 0.0) != factor_phrase(
        "smurf", flat["factor"].iloc[0], 0.0, flat["value"].iloc[0]
    )
    assert "Newest 3 of" in out
    newest = expected.games.iloc[0]
    assert isinstance(newest["champion_name"], str) and newest["champion_name"]
    table = out.split("Newest 3 of")[1].splitlines()
    assert newest["champion_name"] in table[2].split()  # by name, not the numeric id
    assert table[1].split()[:5] == ["played", "role", "champion", "result", "K"]
    assert ("win" if newest["win"] else "loss") in table[2].split()  # as the card says it
    assert table[1].split()[-1] == "level" and table[2].split()[-1] == str(
        int(newest["summoner_level"])
    )
    # The season as the profile reports it, its wins taken back out of the shrunk rate.
    with duckdb.connect(str(scored_world), read_only=True) as con:
        found = con.execute(
            "SELECT solo_wins, solo_losses FROM players WHERE puuid = ?", [puuid]
        ).fetchone()
    assert found is not None
    wins, losses = found
    assert f"  this season: {wins} wins, {losses} losses in solo queue (" in out
    oldest = expected.games.sort_values("game_start").iloc[0]
    assert f"account level {int(oldest['summoner_level'])} at the oldest analysed game" in out
    # The weeks as the boosted score's factor reads them, from the stored sums.
    weeks = weekly_text(expected.games)
    assert weeks is not None and weeks in out
    fall = expected.factors.set_index(["target", "factor"]).loc[("boosted", "lobby_fall"), "value"]
    said = f"a fall of {fall:.2f}" if fall > 0 else "no fall"
    assert weeks.endswith(said)
    same = _explain(scored_world, puuid[:10], "--games", "3")
    assert same[0] == 0 and same[1] == out


def test_the_season_is_read_from_the_profile_or_said_unknown() -> None:
    """The season's wins and losses as the profile (``player_summary``) holds them; a
    season never read, or an account gone, is unknown, and no games is unranked."""
    read_at = datetime(2026, 3, 2, 10, 0)
    for wins, losses in ((62, 67), (1, 0), (0, 7), (180, 20)):
        played = wins + losses
        summary = {
            "profile_found": np.True_,
            "profile_checked_at": pd.Timestamp(read_at),
            "solo_wins": np.int64(wins),
            "solo_losses": float(losses),
        }
        assert season_text(summary) == (
            f"this season: {wins} wins, {losses} losses in solo queue "
            f"({wins / played:.0%} wins; from the profile)"
        )
    for wins, losses in ((None, None), (float("nan"), float("nan")), (0, 0)):
        unranked = {
            "profile_found": True,
            "profile_checked_at": read_at,
            "solo_wins": wins,
            "solo_losses": losses,
        }
        assert season_text(unranked) == "this season: no solo-queue games reported (unranked)"
    for checked in (None, pd.NaT):
        never = {"profile_found": None, "profile_checked_at": checked, "solo_wins": None}
        assert season_text(never).startswith("this season: unknown until the profile is fetched")
    gone = {"profile_found": np.False_, "profile_checked_at": read_at, "solo_wins": 60}
    assert "no longer finds the account" in season_text(gone)


def test_an_unread_rank_is_said_unknown_not_unranked() -> None:
    """Scoring files a player whose profile is unread (never read, or the account gone)
    under UNRANKED; explain says the tier is unknown and why. A profile read without a
    solo-queue entry is unranked, and a tier known is shown as it is."""
    read_at = datetime(2026, 3, 2, 10, 0)
    never = {"profile_found": None, "profile_checked_at": None}
    gone = {"profile_found": np.False_, "profile_checked_at": read_at}
    found = {"profile_found": True, "profile_checked_at": pd.Timestamp(read_at)}
    assert tier_text("UNRANKED", never) == "unknown (no profile read yet)"
    assert tier_text("UNRANKED", gone) == "unknown (summoner-v4 no longer finds the account)"
    assert tier_text("UNRANKED", found) == "UNRANKED"
    assert tier_text("GOLD", never) == "GOLD"  # a rank read from a snapshot


def test_levelling_reads_the_oldest_and_newest_levelled_games_a_day_or_more_apart() -> None:
    """Levels gained over the days between the oldest and newest analysed games whose
    payloads gave a level, whatever the games' order; nothing to say without two such games
    a day or more apart."""
    games = pd.DataFrame(
        {
            "game_start": pd.to_datetime(
                ["2026-03-11 10:00", "2026-03-01 10:00", "2026-03-05 09:00", "2026-03-12 00:00"]
            ),
            "summoner_level": [52, 31, 40, None],
        }
    )
    assert levelling_text(games) == (
        "account level 31 at the oldest analysed game, 52 at the newest, 10 days later"
        " (2.10 levels a day)"
    )
    assert levelling_text(games.iloc[[0, 3]]) is None  # one game with a level
    short = games.iloc[[1, 2]].assign(
        game_start=pd.to_datetime(["2026-03-01 00:00", "2026-03-02 08:00"])
    )
    assert levelling_text(short) == (  # 1.33 days read as 1.3, and the rate from what is read
        "account level 31 at the oldest analysed game, 40 at the newest, 1.3 days later"
        " (6.92 levels a day)"
    )
    same_day = games.assign(
        game_start=pd.to_datetime("2026-03-01") + pd.to_timedelta([1, 2, 3, 4], unit="h")
    )
    assert levelling_text(same_day) is None
    assert levelling_text(games.drop(columns="summoner_level")) is None


def test_explain_gives_both_scores_factors_for_a_player_labelled_neither(
    scored_world: Path,
) -> None:
    """A NORMAL player is explained by both scores (why neither reached its label), each
    with its factors and a total that is its log-odds; a SMURF by the smurf score only."""
    with duckdb.connect(str(scored_world), read_only=True) as con:
        row = con.execute(
            "SELECT puuid FROM latest_smurf_scores WHERE label = 'NORMAL'"
            " ORDER BY boosted_score DESC, puuid LIMIT 1"
        ).fetchone()
        assert row is not None
        expected = explain(con, str(row[0]))
    code, out, err = _explain(scored_world, str(row[0]), "--games", "0")
    assert code == 0, err
    for target in ("smurf", "boosted"):
        rows = expected.factors[expected.factors["target"] == target]
        assert f"Why the {target} score" in out
        assert f"log-odds {float(rows['contribution'].sum()):+.2f}" in out
    assert len([line for line in out.splitlines() if ", typical " in line]) == (
        len(expected.factors) - 2  # each score's prior has no typical value
    )
    assert "Why the boosted score" not in _explain(scored_world, _top_smurf(scored_world)[0])[1]


def test_explain_names_a_missing_or_ambiguous_player(scored_world: Path) -> None:
    """No match, or several, is one line saying what to give instead."""
    code, _out, err = _explain(scored_world, "Nobody Here#ZZZ")
    assert code == 1
    assert err.startswith("Error: No stored player matches 'Nobody Here#ZZZ'")
    with duckdb.connect(str(scored_world), read_only=True) as con:
        first = con.execute(
            "SELECT left(game_name, 1) FROM players GROUP BY 1 HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
    assert first is not None
    code, _out, err = _explain(scored_world, str(first[0]))
    assert code == 1
    assert "players match" in err and "Give the full Riot ID or the puuid" in err


def test_a_player_with_one_game_is_explained_in_the_singular(db_path: Path) -> None:
    """One stored game reads "1 game analysed", "only 1 ranked game stored" and "The one
    game analysed", not "1 games"."""
    from tests.lobby_world import add_matches, games_every, set_profile

    with duckdb.connect(str(db_path)) as con:
        add_matches(con, "solo-player", games_every(1, won=[True]), seed=3)
        set_profile(con, "solo-player", level=40, wins=1, losses=0)
    analyzed = CliRunner().invoke(cli, ["--db", str(db_path), "analyze", "--all"])
    assert analyzed.exit_code == 0, analyzed.output
    code, out, err = _explain(db_path, "solo-player", "--games", "5")
    assert code == 0, err
    assert "; 1 game analysed;" in out
    assert "not labelled: only 1 ranked game stored (5 needed)" in out
    assert "The one game analysed (vs lobby" in out
    assert "1 games" not in out


def test_the_weeks_read_the_best_week_and_the_newest_as_the_fall_does() -> None:
    """Each week (from Monday) its lobby z summed and shrunk by the prior; the best week, the
    newest and the fall between them; games outside a regular lobby count for the week but
    not for its play; nothing to say about a single week."""
    games = pd.DataFrame(
        {
            "game_start": pd.to_datetime(
                # Monday 2 March and Sunday 8 March share a week; 16 March is two weeks on.
                ["2026-03-02 10:00", "2026-03-08 23:00", "2026-03-16 09:00", "2026-03-17 09:00"]
            ),
            "lobby_z": [1.5, 1.5, -1.0, None],
        }
    )
    assert weekly_text(games, prior=1.0) == (
        "play against the lobby by week (each week's mean with 1 even game added): best the"
        " week of 2026-03-02 (+1.00 over 2 lobby"
        " games), newest the week of 2026-03-16 (-0.50 over 1 lobby game): a fall of 1.50"
    )
    rising = games.assign(lobby_z=[-1.0, -1.0, 2.0, 2.0])
    assert weekly_text(rising, prior=0.0) == (
        "play against the lobby by week (each week's mean with 0 even games added): best the"
        " week of 2026-03-16 (+2.00 over 2 lobby"
        " games), the newest: no fall"
    )
    assert weekly_text(games.iloc[:2], prior=1.0) is None
    assert weekly_text(games.drop(columns="lobby_z")) is None


def test_a_smurf_whose_boosted_score_is_high_too_is_told_why_this_label(
    scored_world: Path,
) -> None:
    """When the boosted score is past BOOSTED's threshold too, explain says which case is
    the stronger by log-odds, and takes both scores apart."""
    boosted_at = DEFAULT_PARAMS.boosted_threshold
    with duckdb.connect(str(scored_world), read_only=True) as con:
        row = con.execute(
            "SELECT puuid FROM latest_smurf_scores WHERE label = 'SMURF'"
            " AND boosted_score >= $boosted ORDER BY puuid LIMIT 1",
            {"boosted": boosted_at},
        ).fetchone()
        assert row is not None, "the world has a SMURF player whose boosted score is high too"
        expected = explain(con, str(row[0]))
    code, out, err = _explain(scored_world, str(row[0]), "--games", "0")
    assert code == 0, err
    logits = {
        target: float(
            expected.factors.loc[expected.factors["target"] == target, "contribution"].sum()
        )
        for target in ("smurf", "boosted")
    }
    assert logits["smurf"] >= logits["boosted"]
    assert (
        f"the boosted score is past BOOSTED's threshold too ({boosted_at:.3f}): SMURF is the"
        " stronger case,"
    ) in out
    assert label_choice(expected) in out
    assert out.index("Why the smurf score") < out.index("Why the boosted score")
    # A SMURF whose boosted score stays below the threshold is explained by its own only.
    with duckdb.connect(str(scored_world), read_only=True) as con:
        alone = con.execute(
            "SELECT puuid FROM latest_smurf_scores WHERE label = 'SMURF'"
            " AND boosted_score < $boosted ORDER BY puuid LIMIT 1",
            {"boosted": boosted_at},
        ).fetchone()
    assert alone is not None
    single = _explain(scored_world, str(alone[0]), "--games", "0")[1]
    assert "past BOOSTED's threshold" not in single and "Why the boosted score" not in single


def _scored(label: str, smurf: float, boosted: float, logits: tuple[float, float]) -> Explanation:
    """An explanation with these scores, whose factors add up to these log-odds."""
    factors = pd.DataFrame(
        {
            "target": ["smurf", "smurf", "boosted", "boosted"],
            "factor": ["prior", "lobby_stomps", "prior", "lobby_fall"],
            "contribution": [-5.0, logits[0] + 5.0, -5.0, logits[1] + 5.0],
        }
    )
    empty = pd.DataFrame()
    return Explanation(
        "p", label, smurf, boosted, None, 30, "GOLD", factors, empty, empty, features={}
    )


def test_the_label_choice_is_said_where_a_score_past_its_threshold_did_not_decide() -> None:
    """A SMURF with the boosted score past BOOSTED's threshold too: the stronger case by
    log-odds has the label; the smurf score past its threshold with the boosted case the
    stronger: BOOSTED, or neither when "boosted, not a smurf" stays below its threshold;
    a boosted score past the threshold that the smurf score holds back: neither. A tie at
    two places is shown to four; a score on its own past its threshold, or a NaN score,
    says nothing more."""
    smurf_at, boosted_at = DEFAULT_PARAMS.smurf_threshold, DEFAULT_PARAMS.boosted_threshold
    said = label_choice(_scored("SMURF", 0.99, 0.9, (4.6, 2.2)))
    assert said == (
        f"the boosted score is past BOOSTED's threshold too ({boosted_at:.3f}): SMURF is the"
        " stronger case, smurf log-odds +4.60 against boosted +2.20"
    )
    tie = label_choice(_scored("SMURF", 0.999, 0.999, (7.1432, 7.1401)))
    assert tie is not None and tie.endswith("smurf log-odds +7.1432 against boosted +7.1401")
    neither = label_choice(_scored("NORMAL", 0.6, 0.62, (0.41, 0.49)))
    assert neither == (
        f"the smurf score reached its threshold ({smurf_at:.3f}), but the boosted case is the"
        " stronger (log-odds +0.49 against +0.41) and boosted, not a smurf (0.620 x (1 - 0.600)"
        f" = 0.248) is below BOOSTED's threshold ({boosted_at:.3f}): labelled neither"
    )
    held_back = label_choice(_scored("NORMAL", 0.51, 0.86, (0.04, 1.82)))
    assert held_back == (
        "the boosted score is past BOOSTED's threshold, but the smurf score reads the account"
        " as a smurf's too: boosted, not a smurf (0.860 x (1 - 0.510) = 0.421) is below"
        f" BOOSTED's threshold ({boosted_at:.3f}): labelled neither"
    )
    lenient = ScoringParams(boosted_threshold=0.3)
    boosted = label_choice(_scored("BOOSTED", 0.6, 0.9, (0.41, 2.2)), lenient)
    assert boosted == (
        f"the smurf score reached its threshold ({smurf_at:.3f}), but the boosted case is the"
        " stronger (log-odds +2.20 against +0.41): BOOSTED"
    )
    assert label_choice(_scored("BOOSTED", 0.01, 0.9, (-4.6, 2.2))) is None
    assert label_choice(_scored("SMURF", 0.99, 0.1, (4.6, -2.2))) is None
    assert label_choice(_scored("NORMAL", 0.1, 0.2, (-2.2, -1.4))) is None
    assert label_choice(_scored("SMURF", 0.99, float("nan"), (4.6, 0.0))) is None
    assert label_choice(_scored("INSUFFICIENT_DATA", 0.99, 0.99, (4.6, 5.0))) is None


def test_a_game_without_a_lobby_z_reads_a_dash_not_nan(db_path: Path) -> None:
    """A game whose lobby is not ten players of five roles a team has no lobby z: the games
    table says "-" there (it said NaN)."""
    from tests.lobby_world import add_matches, games_every, set_profile

    with duckdb.connect(str(db_path)) as con:
        add_matches(con, "short-lobby", games_every(6, won=[True, False] * 3), seed=5)
        set_profile(con, "short-lobby", level=80, wins=30, losses=28)
        (match_id,) = con.execute(
            "SELECT match_id FROM match_participants WHERE puuid = 'short-lobby'"
            " ORDER BY match_id LIMIT 1"
        ).fetchone() or ("",)
        con.execute(
            "DELETE FROM match_participants WHERE match_id = ? AND puuid = ("
            " SELECT min(puuid) FROM match_participants WHERE match_id = ?"
            " AND puuid <> 'short-lobby')",
            [match_id, match_id],
        )
    assert CliRunner().invoke(cli, ["--db", str(db_path), "analyze", "--all"]).exit_code == 0
    code, out, err = _explain(db_path, "short-lobby", "--games", "10")
    assert code == 0, err
    games = out.split("vs tier: z-scores; - where a game has none):")[1]
    assert "NaN" not in games and "nan" not in games
    rows = [line.split() for line in games.strip().splitlines()[1:]]
    assert len(rows) == 6
    assert sum(1 for row in rows if "-" in row[-3:]) == 1


def test_explain_compares_games_with_the_baselines_the_analyzer_keeps(
    scored_world: Path, tmp_path: Path
) -> None:
    """Now, an explanation compares with the analyzer's kept baselines, as its scores do:
    the scores equal the stored ones, and the games' z-scores those against baselines
    summed afresh (the same games, so the same baselines). Without kept baselines (a
    database whose analyzer never kept them) it sums them afresh, with the same result."""
    puuid, _riot_id = _top_smurf(scored_world)
    shown = ["match_id", "perf_z", "lobby_z"]
    with duckdb.connect(str(scored_world), read_only=True) as con:
        now = explain(con, puuid)
        summed = explain(con, puuid, as_of=datetime(2100, 1, 1))
        # Kept for solo queue's ranks: an explanation by another queue's sums its own.
        flex = explain(con, puuid, ScoringParams(rank_queue="RANKED_FLEX_SR"))
        stored = con.execute(
            "SELECT smurf_score, boosted_score FROM latest_smurf_scores WHERE puuid = ?", [puuid]
        ).fetchone()
    assert now.kept_baselines and not summed.kept_baselines and not flex.kept_baselines
    assert stored is not None
    assert now.smurf_score == pytest.approx(stored[0], abs=1e-9)
    assert now.boosted_score == pytest.approx(stored[1], abs=1e-9)
    pd.testing.assert_frame_equal(now.games[shown], summed.games[shown], atol=1e-9)

    def explained_after(name: str, change: str) -> Explanation:
        """The explanation on a copy of the world (``name``) whose kept baselines ``change``
        altered."""
        copy = tmp_path / f"{name}.duckdb"
        copy.write_bytes(scored_world.read_bytes())
        with duckdb.connect(str(copy)) as con:
            con.execute(change)
        with duckdb.connect(str(copy), read_only=True) as con:
            return explain(con, puuid)

    # Kept baselines that say every game was far weaker: the games read as far stronger,
    # so the explanation did read the kept ones.
    stronger = explained_after(
        "moved", "UPDATE scoring_baselines SET cs_pm_mean = cs_pm_mean - 2 * cs_pm_sd"
    )
    assert (stronger.games["perf_z"] > now.games["perf_z"]).all()

    fallback = explained_after("bare", "DELETE FROM scoring_baselines")
    assert not fallback.kept_baselines
    assert fallback.smurf_score == pytest.approx(now.smurf_score, abs=1e-9)
    pd.testing.assert_frame_equal(fallback.games[shown], now.games[shown], atol=1e-9)


def test_explain_names_the_account_a_player_plays_most_games_with(scored_world: Path) -> None:
    """A player of a duo is told who it plays most of its games with, and how that account
    is labelled; a player who queues alone is told nothing of the kind."""
    from pipeline.explorer.carried import duo_partner
    from pipeline.store import read

    with read(scored_world) as con:
        truth = con.execute(
            "SELECT puuid, population FROM sim_truth ORDER BY population, puuid"
        ).fetchall()
        partners = {puuid: duo_partner(con, puuid) for puuid, _ in truth}
    duos = [p for p, pop in truth if pop == "DUO_FRIEND" and partners[p] is not None]
    assert duos, "the world has a duo friend playing most games with its partner"
    code, out, _ = _explain(scored_world, "--", duos[0])  # a puuid may begin with "-"
    assert code == 0
    said = partners[duos[0]]
    assert said is not None
    assert f"plays in duo: {said.together} of {said.games} games on the same team as" in out
    assert said.sentence() in out
    alone = next(p for p, pop in truth if pop == "NORMAL" and partners[p] is None)
    code, out, _ = _explain(scored_world, "--", alone)
    assert code == 0 and "plays in duo" not in out
