"""Evaluation against ground truth, and the `smurf analyze` / `smurf evaluate` commands."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.analysis import NoGroundTruthError, ScoringParams, evaluate
from pipeline.analysis.cli import summary_text
from pipeline.analysis.evaluation import BUCKETS, METHODS, TARGETS
from pipeline.analysis.scoring import ACCOUNT_GONE_REASON, NO_PROFILE_REASON
from pipeline.cli import cli
from tests.lobby_world import START, add_matches, games_every, set_profile

PLAYERS = 47


def _world(db_path: Path) -> None:
    """40 ordinary players, 4 smurfs, 2 boosted accounts and a hot streak, profiled, with the
    truth; every game with its whole lobby."""
    with duckdb.connect(str(db_path)) as con:
        for i in range(40):
            add_matches(con, f"normal{i:03d}", games_every(30, won=[True, False]), seed=i)
            set_profile(con, f"normal{i:03d}", level=150 + i, wins=80 + i % 7, losses=80)
        for i in range(4):
            dominant = games_every(20 + i, won=[True] * 4 + [False], strength=1.6)
            add_matches(con, f"smurf{i}", dominant, level=40, seed=50 + i)
            set_profile(con, f"smurf{i}", level=40, wins=17 + i, losses=4, tier="PLATINUM")
        for i in range(2):
            # A day apart: the booster's games, then the owner's from day 15.
            boosted = [
                *games_every(10, won=[True, True, True, False], strength=1.6, hours=24),
                *games_every(
                    20,
                    won=[False, False, True],
                    strength=0.6,
                    hours=24,
                    start=START + timedelta(days=15),
                ),
            ]
            add_matches(con, f"boosted{i}", boosted, level=260, seed=60 + i)
            set_profile(con, f"boosted{i}", level=260, wins=130, losses=100, tier="DIAMOND")
        add_matches(con, "streak", games_every(30, won=[True, True, False]), level=300, seed=70)
        set_profile(con, "streak", level=300, wins=120, losses=100)
        con.execute(
            """CREATE TABLE sim_truth AS SELECT puuid,
                CASE WHEN puuid LIKE 'smurf%' THEN 'SMURF' WHEN puuid LIKE 'boosted%'
                     THEN 'BOOSTED' WHEN puuid = 'streak' THEN 'HOT_STREAK' ELSE 'NORMAL' END
                    AS population,
                puuid LIKE 'smurf%' AS is_smurf, puuid LIKE 'boosted%' AS is_boosted,
                false AS is_banned, puuid = 'streak' AS is_trap
            FROM players"""
        )


def test_evaluate_reports_every_target_method_and_bucket(db_path: Path) -> None:
    """The report has a row per target x method x bucket and ranks an easy world perfectly."""
    _world(db_path)
    with duckdb.connect(str(db_path)) as con:
        report = evaluate(con)
    assert report.players == PLAYERS
    assert len(report.metrics) == len(TARGETS) * len(METHODS) * len(BUCKETS)
    assert report.metric("smurf", "model", "roc_auc") == pytest.approx(1.0)
    assert report.metric("boosted", "model", "roc_auc") == pytest.approx(1.0)
    assert report.metric("smurf", "model", "precision_top_5pct") == pytest.approx(1.0)
    assert report.metric("smurf", "model", "label_precision") == pytest.approx(1.0)
    assert report.metric("smurf", "model", "label_recall") == pytest.approx(1.0)
    # The hot streak wins 2 in 3 of 30 games at its lobbies' level: the win-rate rule flags
    # it, the model does not.
    rates = report.flag_rates.set_index("population")
    assert rates.loc["HOT_STREAK", "winrate_rule"] == 1.0
    assert rates.loc["HOT_STREAK", "model"] == 0.0
    # The model's flags, and each of its labels apart.
    for population, label in (("SMURF", "as_smurf"), ("BOOSTED", "as_boosted")):
        other = "as_boosted" if label == "as_smurf" else "as_smurf"
        assert rates.loc[population, ["model", label, other]].tolist() == [1.0, 1.0, 0.0]
    text = report.to_text()
    assert "SMURF" in text
    # Every method whose rows are printed is said under the tables.
    for method in METHODS:
        assert re.search(rf"^ *{method}: \S", text, re.MULTILINE), method


def test_smurfs_whose_accounts_are_gone_are_judged_apart(db_path: Path) -> None:
    """Two smurfs whose accounts summoner-v4 no longer finds (banned) are never labelled:
    they halve the label's recall, fill the "account gone" bucket, and the recall over the
    accounts still found stays whole; the demo summary says how many and what is left."""
    from pipeline.demo import DemoResult, print_summary, summarise
    from pipeline.store import Database

    _world(db_path)
    with duckdb.connect(str(db_path)) as con:
        for puuid in ("smurf0", "smurf1"):
            set_profile(con, puuid, level=40, wins=None, losses=None, found=False)
        report = evaluate(con)
    assert report.metric("smurf", "model", "label_recall") == pytest.approx(0.5)
    assert report.metric("smurf", "model", "players", "account gone") == 2
    assert report.metric("smurf", "model", "positives", "account gone") == 2
    assert report.metric("smurf", "model", "labelled", "account gone") == 0
    assert report.metric("smurf", "model", "players", "account found") == PLAYERS - 2
    assert report.metric("smurf", "model", "label_recall", "account found") == pytest.approx(1.0)

    said: list[str] = []
    print_summary(DemoResult(db_path, summary=summarise(Database(db_path))), said.append)
    assert any(
        line.startswith("  2 of the smurfs judged are gone") and line.endswith("found: 100%")
        for line in said
    ), said


def test_the_demo_summary_names_the_players_each_label_gets_wrong(db_path: Path) -> None:
    """A smurf the truth calls a returning veteran and a boosted account it calls ordinary:
    the summary names each under its label, with population and games, to open in the
    explorer; a label with nothing wrong names nobody."""
    from pipeline.demo import DemoResult, print_summary, summarise
    from pipeline.store import Database

    _world(db_path)
    with duckdb.connect(str(db_path)) as con:
        con.execute(
            "UPDATE sim_truth SET is_smurf = false, population = 'RETURNING_VETERAN'"
            " WHERE puuid = 'smurf0'"
        )
        scored = evaluate(con).scored.set_index("puuid")
    games = int(scored.loc["smurf0", "games_analyzed"])
    said: list[str] = []
    print_summary(DemoResult(db_path, summary=summarise(Database(db_path))), said.append)
    wrong = [line for line in said if line.startswith("    wrong: ")]
    assert wrong == [f"    wrong: smurf0 (returning veteran, {games} games)"], said
    assert said.index(wrong[0]) == 1 + next(
        i for i, line in enumerate(said) if line.startswith("  SMURF label:")
    )


def test_evaluate_without_ground_truth_says_how_to_make_it(db_path: Path) -> None:
    """A database without sim_truth raises an error naming the ways to one: labels of the
    user's own, or a new database made from a simulated world (an export into this one
    would be refused: it holds data)."""
    with duckdb.connect(str(db_path)) as con, pytest.raises(NoGroundTruthError) as raised:
        evaluate(con)
    message = str(raised.value)
    assert "--truth FILE.csv" in message
    assert "`smurf simulator crawl`" in message and "--db a new file" in message


def test_the_top_suspects_leave_out_players_not_judged() -> None:
    """A player left INSUFFICIENT_DATA (here a gone account whose games score high) is not
    listed among the top suspects, whatever their score; the flagged ones are, by score."""
    scores = pd.DataFrame(
        {
            "puuid": ["gone", "smurf", "smurf2", "ordinary"],
            "smurf_score": [0.95, 0.80, 0.90, 0.10],
            "boosted_score": [0.90, 0.05, 0.01, 0.20],
            "label": ["INSUFFICIENT_DATA", "SMURF", "SMURF", "NORMAL"],
            "games_analyzed": [24, 30, 18, 12],
            "tier": ["UNRANKED", "GOLD", "GOLD", "SILVER"],
        }
    )
    text = summary_text(scores, names={"gone": "Gone#EUW", "smurf": "Smurf#EUW"})
    assert "Gone#EUW" not in text
    listed = text.split("Top smurf suspects (labelled SMURF, all, by smurf score):")[1]
    assert [line.split()[0] for line in listed.splitlines()[2:4]] == ["smurf2...", "Smurf#EUW"]
    assert "No player could be judged yet" not in text
    nobody = summary_text(scores.assign(label="INSUFFICIENT_DATA"))
    assert "No player could be judged yet, so no suspects are listed" in nobody
    assert (
        "Top smurf suspects" not in nobody
        and "No player scored in this run is labelled" not in nobody
    )


def test_the_top_suspects_of_a_kind_are_the_players_labelled_so() -> None:
    """Only players labelled SMURF are smurf suspects and only those labelled BOOSTED boosted
    ones: a NORMAL player, or a smurf whose boosted score ranks first among the few scored,
    is no suspect of that kind; with nobody labelled BOOSTED the summary says so."""
    scores = pd.DataFrame(
        {
            "puuid": ["smurf", "ordinary", "steady"],
            "smurf_score": [0.98, 0.02, 0.01],
            "boosted_score": [0.01, 0.004, 0.003],
            "label": ["SMURF", "NORMAL", "NORMAL"],
            "games_analyzed": [19, 30, 25],
            "tier": ["EMERALD", "GOLD", "SILVER"],
        }
    )
    names = {"smurf": "Smurf#EUW", "ordinary": "Ordinary#EUW", "steady": "Steady#EUW"}
    text = summary_text(scores, names=names)
    assert "Ordinary#EUW" not in text and "Steady#EUW" not in text
    smurfs = text.split("Top smurf suspects (labelled SMURF, all, by smurf score):\n")[1]
    assert [line.split()[0] for line in smurfs.splitlines()[1:2]] == ["Smurf#EUW"]
    assert "Top boosted suspects" not in text
    assert "No player scored in this run is labelled BOOSTED: no boosted suspects." in text
    more = summary_text(scores.assign(label="SMURF"), top=2, names=names)
    assert "Top smurf suspects (labelled SMURF, top 2, by smurf score):" in more
    # A run that scored nobody says only that.
    assert summary_text(scores.iloc[:0]).splitlines() == [
        "Scored 0 player(s): SMURF 0, BOOSTED 0, NORMAL 0, INSUFFICIENT_DATA 0"
    ]


def test_analyze_command_scores_new_players_then_only_changed_ones(db_path: Path) -> None:
    """`smurf analyze` stores scores and a summary; a second run finds nothing to do."""
    _world(db_path)
    with duckdb.connect(str(db_path)) as con:  # Riot IDs for half the players
        con.execute(
            "UPDATE players SET game_name = 'Named' || left(puuid, 4),"
            " tag_line = CASE WHEN hash(puuid) % 3 = 0 THEN NULL ELSE 'EUW' END"
            " WHERE hash(puuid) % 2 = 0"
        )
    runner = CliRunner()
    first = runner.invoke(cli, ["analyze", "--db", str(db_path)])
    assert first.exit_code == 0, first.output
    assert f"Scored {PLAYERS} player(s): SMURF 4" in first.output
    assert "Top smurf suspects" in first.output
    with duckdb.connect(str(db_path)) as con:
        top = con.execute(
            "SELECT puuid, game_name || coalesce('#' || tag_line, '') FROM latest_smurf_scores"
            " JOIN players USING (puuid) WHERE label = 'SMURF'"
            " ORDER BY smurf_score DESC, puuid LIMIT 10"
        ).fetchall()
    listed = first.output.split("Top smurf suspects")[1].split("\n\n")[0]
    suspects = listed.splitlines()[2:12]
    # Each suspect by Riot ID, or by the start of the puuid where none is stored.
    assert [line.split()[0] for line in suspects] == [
        riot_id or f"{puuid[:12]}..." for puuid, riot_id in top
    ]
    assert any(riot_id for _, riot_id in top) and not all(riot_id for _, riot_id in top)
    second = runner.invoke(cli, ["analyze", "--db", str(db_path)])
    assert "up to date" in second.output
    everyone = runner.invoke(cli, ["--db", str(db_path), "analyze", "--all"])
    with duckdb.connect(str(db_path)) as con:
        stored = con.execute("SELECT count(DISTINCT puuid) FROM match_participants").fetchone()
        assert stored is not None
        assert f"Scored {stored[0]:,} player(s)" in everyone.output
        scores = con.execute("SELECT count(*) FROM smurf_scores").fetchone()
        assert scores == (PLAYERS + stored[0],)


def test_evaluate_command_prints_the_report(db_path: Path) -> None:
    """`smurf evaluate --db PATH` prints the metric tables and trap flag rates."""
    _world(db_path)
    result = CliRunner().invoke(cli, ["evaluate", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "ROC-AUC" in result.output and "label P" in result.output
    assert "HOT_STREAK" in result.output
    table = result.output.split("SMURF", 1)[1].split("\n\n", 1)[0]
    assert max(len(line) for line in table.splitlines()) <= 130  # 196 with the long titles
    # The games buckets do not overlap, as the notebook names them.
    buckets = [line.split()[1:-11] for line in table.splitlines()[2:10]]
    assert [" ".join(b) for b in buckets][-3:] == ["5-9", "10-19", "20+"]
    # Every figure with three decimals: 1.000 and 0.000, not 1.0 next to 0.833.
    figures = re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", result.output)
    assert figures and all(re.fullmatch(r"\d\.\d{3}", f) for f in figures), figures


def test_evaluate_command_with_nobody_eligible_says_so_in_one_sentence(db_path: Path) -> None:
    """--min-games above every player's games: one sentence naming the cut and how many were
    scored, not tables of "-"; a cut below 1 is refused by the option itself."""
    _world(db_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["evaluate", "--db", str(db_path), "--min-games", "100000"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: No player has at least 100,000 analysed games "
        f"({PLAYERS} players with games stored); lower --min-games."
    )
    with duckdb.connect(str(db_path)) as con:
        report = evaluate(con, ScoringParams(min_games=100000))
    assert (
        report.to_text()
        == f"No player has at least 100,000 analysed games ({PLAYERS} players with games stored)."
    )
    refused = runner.invoke(cli, ["evaluate", "--db", str(db_path), "--min-games", "0"])
    assert refused.exit_code == 2
    assert "Invalid value for '--min-games'" in refused.output


def test_evaluate_command_without_truth_fails_with_one_line(db_path: Path) -> None:
    """Without sim_truth the command exits 1 with the error's message."""
    result = CliRunner().invoke(cli, ["evaluate", "--db", str(db_path)])
    assert result.exit_code == 1
    assert "sim_truth" in result.output


def test_evaluate_against_a_truth_file_of_ones_own(db_path: Path, tmp_path: Path) -> None:
    """Labels of one's own (--truth FILE.csv) measure the scores as sim_truth does: the same
    tables from the same labels, without any sim_truth table; the line above them says how
    many of the file's players are scored."""
    _world(db_path)
    truth_csv = tmp_path / "truth.csv"
    with duckdb.connect(str(db_path)) as con:
        truth = con.execute(
            "SELECT puuid, population, is_smurf, is_boosted, is_trap FROM sim_truth"
        ).df()
    # Written as a person would: 1/0 and yes/no, columns in another order, one ghost.
    truth["is_smurf"] = truth["is_smurf"].map({True: "1", False: "0"})
    truth["is_boosted"] = truth["is_boosted"].map({True: "yes", False: "no"})
    ghost = {"puuid": "nobody", "population": "", "is_smurf": "0", "is_boosted": "no"}
    truth = pd.concat([truth, pd.DataFrame([ghost | {"is_trap": False}])])
    truth[["is_trap", "is_boosted", "puuid", "is_smurf", "population"]].to_csv(
        truth_csv, index=False
    )
    runner = CliRunner()
    built_in = runner.invoke(cli, ["evaluate", "--db", str(db_path)])
    with duckdb.connect(str(db_path)) as con:
        con.execute("DROP TABLE sim_truth")
    own = runner.invoke(cli, ["evaluate", "--db", str(db_path), "--truth", str(truth_csv)])
    assert own.exit_code == 0, own.output
    first, rest = own.output.split("\n", 1)
    # Players with stored games, not those scored ("scored" read as the analyzer's count).
    scored_line = f"{PLAYERS + 1} players, {PLAYERS} of them with games stored in this database."
    assert first == f"Truth file {truth_csv}: {scored_line}"
    assert rest == built_in.output
    assert "HOT_STREAK" in rest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("puuid,is_smurf\nsmurf0,1\n", "has no column is_boosted"),
        ("puuid,is_smurf,is_boosted\nsmurf0,maybe,0\n", "is_smurf = 'maybe' on line 2"),
        ("puuid,is_smurf,is_boosted\nsmurf0,1,0\nsmurf0,0,0\n", "'smurf0' more than once"),
        ("puuid,is_smurf,is_boosted\n,1,0\n", "no puuid on line 2"),
        ("puuid,is_smurf,is_boosted\nsmurf0,1,0\n\nsmurf1,,0\n", "is_smurf = '' on line 4"),
        ("puuid,is_smurf,PUUID,is_boosted\nsmurf0,1,x,0\n", "the column puuid twice"),
        ("", "Cannot read the truth file"),
        (
            "puuid,is_smurf,is_boosted\nstranger,1,0\n",
            "The 1 player of {path} has no games stored in this database",
        ),
        (
            "puuid,is_smurf,is_boosted\nstranger,1,0\nother,0,0\n",
            "None of the 2 players of {path} has games stored in this database",
        ),
    ],
)
def test_a_truth_file_that_cannot_serve_says_what_to_fix(
    db_path: Path, tmp_path: Path, text: str, message: str
) -> None:
    _world(db_path)
    path = tmp_path / "truth.csv"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["evaluate", "--db", str(db_path), "--truth", str(path)])
    assert result.exit_code == 1, result.output
    assert message.format(path=path) in result.output
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def simulated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated world with ground truth, exported once for this module."""
    from pipeline.simulator import SimulatorConfig
    from pipeline.simulator.export import export_world

    path = tmp_path_factory.mktemp("world") / "world.duckdb"
    export_world(SimulatorConfig(seed=11, players=300), path)
    return path


def test_analyze_and_evaluate_a_simulated_world_end_to_end(simulated_db: Path) -> None:
    """On an exported world, `smurf analyze --all` scores everyone with a stored game and
    `smurf evaluate` ranks its smurfs far above chance."""
    runner = CliRunner()
    analyzed = runner.invoke(cli, ["analyze", "--db", str(simulated_db), "--all"])
    assert analyzed.exit_code == 0, analyzed.output
    with duckdb.connect(str(simulated_db)) as con:
        players = con.execute("SELECT count(DISTINCT puuid) FROM match_participants").fetchone()
        scored = con.execute("SELECT count(*) FROM latest_smurf_scores").fetchone()
        report = evaluate(con)
    assert scored == players
    assert report.metric("smurf", "model", "roc_auc") > 0.9
    evaluated = runner.invoke(cli, ["evaluate", "--db", str(simulated_db)])
    assert evaluated.exit_code == 0, evaluated.output
    assert "TALENTED_NEWBIE" in evaluated.output


def test_evaluate_says_when_the_lobby_reference_is_older_than_the_games(tmp_path: Path) -> None:
    """A fresh export was never seen by the analyzer: its games were judged with the default
    role norms. `smurf evaluate` says so and what to do; after `smurf analyze` it does not,
    and the model ranks smurfs better."""
    from pipeline.analysis.evaluation import STALE_REFERENCE_NOTE
    from pipeline.simulator import SimulatorConfig
    from pipeline.simulator.export import export_world

    path = tmp_path / "export.duckdb"
    export_world(SimulatorConfig(seed=12, players=300), path)
    runner = CliRunner()
    before = runner.invoke(cli, ["evaluate", "--db", str(path)])
    assert before.exit_code == 0, before.output
    assert STALE_REFERENCE_NOTE in before.output
    with duckdb.connect(str(path), read_only=True) as con:
        stale = evaluate(con)
    assert stale.reference_stale

    analyzed = runner.invoke(cli, ["analyze", "--db", str(path)])
    assert analyzed.exit_code == 0, analyzed.output
    after = runner.invoke(cli, ["evaluate", "--db", str(path)])
    assert STALE_REFERENCE_NOTE not in after.output
    with duckdb.connect(str(path), read_only=True) as con:
        current = evaluate(con)
    assert not current.reference_stale
    assert current.metric("smurf", "model", "roc_auc") > stale.metric("smurf", "model", "roc_auc")


def test_the_summary_says_why_players_were_not_judged() -> None:
    """The players left INSUFFICIENT_DATA are counted by kind of reason, and when some wait
    for a profile, or for more games, the summary says what judges them sooner; with
    everyone judged, or only accounts gone in the way, it says nothing more."""
    scores = pd.DataFrame(
        {
            "puuid": [f"p{i}" for i in range(7)],
            "smurf_score": [0.9, 0.1, 0.8, 0.2, 0.3, 0.4, 0.5],
            "boosted_score": 0.05,
            "label": ["SMURF", "NORMAL"] + ["INSUFFICIENT_DATA"] * 5,
            "reason": [
                None,
                None,
                NO_PROFILE_REASON,
                NO_PROFILE_REASON,
                "only 3 ranked games stored (5 needed)",
                ACCOUNT_GONE_REASON,
                "profile is 30 h old (24 h allowed)",
            ],
            "games_analyzed": [20, 20, 12, 9, 3, 15, 14],
            "tier": ["GOLD", "GOLD", "UNRANKED", "UNRANKED", "UNRANKED", "UNRANKED", "GOLD"],
        }
    )
    lines = summary_text(scores).splitlines()
    assert lines[1].startswith(
        "Not judged (INSUFFICIENT_DATA): 2 await a first profile, 1 has too few stored"
        " games, 1 has a profile too old, 1 is an account gone. A player waiting for a"
        " profile is judged once PROFILE_REFRESHER fetches it"
    )
    assert "smurf jobs set PROFILE_REFRESHER max_profiles_per_run=N" in lines[1]
    assert "or a larger key_share_percent when the key's limits allow more." in lines[1]
    assert lines[1].endswith(
        " A player with too few stored games is judged once more of them are stored, if its"
        " history holds more: MATCH_FETCHER fetches discovered_players_per_run players a run,"
        " more while key_share_percent of what the key's rate limits allow until the next"
        " run is not spent (smurf jobs set MATCH_FETCHER discovered_players_per_run=N, or a"
        " larger key_share_percent)."
    )
    few = scores.iloc[[0, 1, 4]]
    assert (
        summary_text(few)
        .splitlines()[1]
        .startswith(
            "Not judged (INSUFFICIENT_DATA): 1 has too few stored games. A player with too few"
            " stored games is judged once more of them are stored"
        )
    )
    gone = scores.iloc[[0, 1, 5]]
    assert summary_text(gone).splitlines()[1] == (
        "Not judged (INSUFFICIENT_DATA): 1 is an account gone."
    )
    judged = summary_text(scores.iloc[:2])
    assert "Not judged" not in judged and judged.splitlines()[1] == ""
    odd = scores.iloc[[2]].assign(reason="something new")
    assert summary_text(odd).splitlines()[1] == (
        "Not judged (INSUFFICIENT_DATA): 1 for other reasons."
    )


def test_evaluate_counts_the_players_a_smurf_carries_apart_from_the_labels(
    db_path: Path,
) -> None:
    """A client who played 12 games on the same team as a smurf the model labels SMURF is
    "carried", as the report would list it, and nobody else is; the model's own flags do not
    count it."""
    from pipeline.store.aggregates import rebuild_aggregates

    _world(db_path)
    with duckdb.connect(str(db_path)) as con:
        # The smurf's teammate in the top lane of its first 12 games becomes one account.
        con.execute(
            """UPDATE match_participants SET puuid = 'client'
            WHERE puuid LIKE 'smurf0-mate-%-0'
              AND CAST(split_part(match_id, '_', 2) AS INTEGER) < 12"""
        )
        rebuild_aggregates(con)
        set_profile(con, "client", level=120, wins=60, losses=60, tier="GOLD")
        con.execute(
            "INSERT INTO sim_truth SELECT 'client', 'DUO_CLIENT', false, true, false, false"
        )
        report = evaluate(con)
    rates = report.flag_rates.set_index("population")
    assert rates.loc["DUO_CLIENT", "carried"] == 1.0
    assert rates.loc["DUO_CLIENT", "model"] == 0.0
    assert (rates.drop(index="DUO_CLIENT")["carried"] == 0.0).all()
    assert re.search(r"carried: listed by the report as carried", report.to_text())
