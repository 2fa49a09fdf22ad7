"""`smurf demo` with a tiny world and a short run: what it builds and what it prints."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.demo import DemoOptions, run_demo
from pipeline.log import configure_logging
from pipeline.store import Database, migrate
from tests.sim_helpers import add_execution


@pytest.mark.slow
def test_demo_builds_a_database_runs_every_job_and_writes_the_report(tmp_path: Path) -> None:
    """The demo stores matches, runs the four jobs, writes the HTML report and a summary."""
    configure_logging(json_lines=True, level="warning", stream=io.StringIO())
    out = io.StringIO()
    options = DemoOptions(
        world_size=250,
        minutes=0.25,
        seed=7,
        db_path=tmp_path / "demo.duckdb",
        reports_dir=tmp_path / "reports",
        status_every_s=3,
    )
    result = run_demo(options, out=out)
    text = out.getvalue()

    assert not result.interrupted
    with Database(options.db_path).read() as con:
        matches = con.execute("SELECT count(*) FROM matches").fetchone()
        ran = {t for (t,) in con.execute("SELECT DISTINCT job_type FROM job_executions").fetchall()}
        unfinished = con.execute(
            "SELECT count(*) FROM job_executions WHERE status IN ('PENDING', 'RUNNING')"
        ).fetchone()
        truth = con.execute("SELECT count(*) FROM sim_truth").fetchone()
    assert matches is not None and matches[0] > 0
    assert ran == {
        "TRACKED_PLAYER_UPDATER",
        "MATCH_FETCHER",
        "PROFILE_REFRESHER",
        "SMURF_ANALYZER",
        "BAN_CHECKER",
    }
    assert unfinished == (0,)
    assert truth == (250,)
    assert result.html_report is not None and result.html_report.is_file()
    assert result.html_report.parent == options.reports_dir.resolve()
    assert "requests=" in text  # the live status lines
    # ... and what their 429s and RATE_LIMITED runs mean, said once before them.
    assert "would wait too long for them ends RATE_LIMITED" in text
    # The live lines' requests count the demo's own lookups too: the summary's count is
    # the jobs' alone, and the line says why the two differ.
    assert "the demo's own lookups of the players it tracks" in text
    assert text.index("ends RATE_LIMITED") < text.index("requests=")
    assert "=== Smurf Workbench demo: summary ===" in text
    assert f"Database: {options.db_path}" in text
    assert f"smurf --db {options.db_path} lab" in text


def test_a_second_demo_starts_fresh_unless_kept(tmp_path: Path) -> None:
    """Without --keep the demo database is recreated; with it, existing rows stay."""
    from pipeline.demo import prepare_database

    path = tmp_path / "demo.duckdb"
    said: list[str] = []
    prepare_database(DemoOptions(db_path=path), said.append)
    with Database(path).write() as con:
        con.execute("INSERT INTO players (puuid) VALUES ('left-over')")
    prepare_database(DemoOptions(db_path=path, keep=True), said.append)
    with Database(path).read() as con:
        assert con.execute("SELECT count(*) FROM players").fetchone() == (1,)
    prepare_database(DemoOptions(db_path=path), said.append)
    with Database(path).read() as con:
        assert con.execute("SELECT count(*) FROM players").fetchone() == (0,)
        active = con.execute(
            "SELECT job_type FROM job_configurations WHERE is_active ORDER BY id"
        ).fetchall()
    assert [t for (t,) in active] == [
        "TRACKED_PLAYER_UPDATER",
        "MATCH_FETCHER",
        "SMURF_ANALYZER",
        "BAN_CHECKER",
        "PROFILE_REFRESHER",
    ]


def test_the_demo_refuses_a_database_it_did_not_make(tmp_path: Path) -> None:
    """`smurf demo --db FILE` on a database holding players and no simulated world (a
    user's data) is refused, fresh or --keep, and the data stays; a simulated world's
    database (its ground truth stored) is the demo's to replace."""
    from pipeline.demo import prepare_database
    from pipeline.errors import ConfigError
    from tests.sim_helpers import copy_database

    path = tmp_path / "smurf.duckdb"
    migrate(path)
    with Database(path).write() as con:
        con.execute("INSERT INTO players (puuid) VALUES ('collected')")
    for keep in (False, True):
        with pytest.raises(ConfigError, match="holds 1 player that neither the demo nor"):
            prepare_database(DemoOptions(db_path=path, keep=keep), lambda _: None)
    with Database(path).read() as con:
        assert con.execute("SELECT puuid FROM players").fetchall() == [("collected",)]
        assert con.execute(
            "SELECT count(*) FROM job_configurations WHERE schedule LIKE 'interval(seconds=4)'"
        ).fetchone() == (0,)
    # A file named as the demo's is judged like any other.
    named = tmp_path / "elsewhere" / "demo.duckdb"
    named.parent.mkdir()
    copy_database(path, named)
    with pytest.raises(ConfigError, match="neither the demo nor the simulator"):
        prepare_database(DemoOptions(db_path=named), lambda _: None)
    with Database(path).write() as con:
        con.execute("CREATE TABLE sim_truth (puuid VARCHAR)")
    prepare_database(DemoOptions(db_path=path), lambda _: None)
    with Database(path).read() as con:
        assert con.execute("SELECT count(*) FROM players").fetchone() == (0,)
    # The demo's own database, players and all (an interrupted demo's, no truth yet), is
    # its to replace: it carries the demo's schedules.
    with Database(path).write() as con:
        con.execute("INSERT INTO players (puuid) VALUES ('from-a-stopped-demo')")
    prepare_database(DemoOptions(db_path=path), lambda _: None)
    with Database(path).read() as con:
        assert con.execute("SELECT count(*) FROM players").fetchone() == (0,)


def test_ctrl_c_while_the_demo_prepares_leaves_the_previous_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the fresh database was migrated, before it was ready: the previous demo
    database is as it was (it was deleted first, and a half-migrated file left in its
    place), and nothing of the fresh one is left beside it."""
    from pipeline import demo

    path = tmp_path / "demo.duckdb"
    demo.prepare_database(DemoOptions(db_path=path), lambda _: None)
    with Database(path).write() as con:
        con.execute("INSERT INTO players (puuid) VALUES ('from-the-last-demo')")

    def ctrl_c(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "configure_demo_jobs", ctrl_c)
    out = io.StringIO()
    result = run_demo(DemoOptions(db_path=path, run_report=False), out=out)
    assert result.interrupted
    assert "the previous one is as it was" in out.getvalue()
    assert "summary" not in out.getvalue()
    with Database(path).read() as con:
        assert con.execute("SELECT puuid FROM players").fetchall() == [("from-the-last-demo",)]
    assert not [p.name for p in tmp_path.iterdir() if "preparing" in p.name]


def test_ctrl_c_while_the_world_is_built_says_nothing_was_crawled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the simulated world is built: one line saying so (it was only
    "Aborted!"), the fresh database ready, and no summary of a crawl that did not happen."""
    from pipeline import demo

    def ctrl_c(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "serve_in_thread", ctrl_c)
    out = io.StringIO()
    path = tmp_path / "demo.duckdb"
    result = run_demo(DemoOptions(db_path=path, run_report=False), out=out)
    assert result.interrupted
    lines = out.getvalue().splitlines()
    assert lines[-1] == "Interrupted while building the simulated world: nothing was crawled."
    with Database(path).read() as con:
        assert con.execute("SELECT count(*) FROM job_configurations").fetchone() != (0,)


def test_ctrl_c_during_the_crawl_keeps_the_worlds_ground_truth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C once the world is served: the world's ground truth is stored all the same, so
    the summary and `smurf evaluate` can measure what the crawl committed."""
    from pipeline import demo
    from pipeline.analysis import evaluate

    def ctrl_c(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "track_players", ctrl_c)
    out = io.StringIO()
    path = tmp_path / "demo.duckdb"
    result = run_demo(DemoOptions(world_size=60, db_path=path, run_report=False), out=out)
    assert result.interrupted
    assert "Interrupted: the database is consistent" in out.getvalue()
    with Database(path).read() as con:
        assert con.execute("SELECT count(*) FROM sim_truth").fetchone() == (60,)
        evaluate(con)  # raised NoGroundTruthError before


def test_the_summary_counts_runs_by_status_and_its_hints_name_the_database(
    tmp_path: Path,
) -> None:
    """The summary counts each job's runs by status, and every hint names the demo's
    database, which need not be the one `smurf lab` picks."""
    from pipeline.demo import DemoResult, print_summary, summarise

    path = tmp_path / "demo.duckdb"
    migrate(path)
    for status in ("FAILED", "SUCCESS", "SUCCESS"):
        add_execution(path, 1, pid=None, status=status)
    summary = summarise(Database(path))
    said: list[str] = []
    print_summary(DemoResult(path, summary=summary), said.append)
    assert any(
        "TRACKED_PLAYER_UPDATER" in line and "FAILED=1" in line and "SUCCESS=2" in line
        for line in said
    )
    hints = said[said.index("Next:") + 1 :]
    assert len(hints) == 3 and all(f" --db {path} " in hint for hint in hints)
    assert any(f"smurf --db {path} lab" in hint for hint in hints)


def test_an_interrupted_demos_summary_says_no_report_was_made(tmp_path: Path) -> None:
    """Stopped before its report, the summary says there is none and how to make one."""
    from pipeline.demo import DemoResult, print_summary, summarise

    path = tmp_path / "demo.duckdb"
    migrate(path)
    said: list[str] = []
    result = DemoResult(path, interrupted=True, summary=summarise(Database(path)))
    print_summary(result, said.append)
    assert f"Report:   none (interrupted); `smurf --db {path} report` makes one" in said
    finished: list[str] = []
    print_summary(DemoResult(path, summary=result.summary), finished.append)
    assert not any(line.startswith("Report:") for line in finished)


def test_the_summary_says_a_count_of_one_in_the_singular(tmp_path: Path) -> None:
    """A count of one reads "1 player", "1 match": in the stored data and in each label."""
    from pipeline.demo import DemoResult, print_summary

    quality = {"players_evaluated": 1.0, "boosted_roc_auc_model": 1.0}
    for target, method in (("smurf", "model"), ("smurf", "winrate_rule"), ("boosted", "model")):
        quality[f"{target}_roc_auc_{method}"] = 1.0
        quality[f"{target}_labelled_{method}"] = 1.0
        quality[f"{target}_label_precision_{method}"] = 1.0
        quality[f"{target}_label_recall_{method}"] = 1.0
    counts = {"matches": 1, "participants": 1, "players": 1, "scored": 1, "checks": 1}
    summary = {"counts": counts, "requests": 1, "quality": quality}
    said: list[str] = []
    print_summary(DemoResult(tmp_path / "demo.duckdb", summary=summary), said.append)
    assert said[2] == (
        "Stored 1 match, 1 participant row, 1 player; scored 1; 1 ban check; "
        "1 API request by the jobs."
    )
    assert "Detection quality vs the simulator's ground truth (1 player with enough games):" in said
    assert "  SMURF label: 1 player, precision 100%, recall 100%" in said
    assert "  rule's flag: 1 player, precision 100%, recall 100%" in said
    assert (
        "  boosted ROC-AUC: model 1.000; BOOSTED label: 1 player, precision 100%, recall 100%"
    ) in said


def test_the_summary_writes_large_counts_with_thousands_separators(tmp_path: Path) -> None:
    """Every count of the stored data reads "1,689 players", the players scored too."""
    from pipeline.demo import DemoResult, print_summary

    counts = {"matches": 1135, "participants": 11350, "players": 1689, "scored": 1021}
    summary = {"counts": {**counts, "checks": 1000}, "requests": 2586}
    said: list[str] = []
    print_summary(DemoResult(tmp_path / "demo.duckdb", summary=summary), said.append)
    assert said[2] == (
        "Stored 1,135 matches, 11,350 participant rows, 1,689 players; scored 1,021; "
        "1,000 ban checks; 2,586 API requests by the jobs."
    )


def test_the_hints_name_the_smurf_command_as_it_can_be_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make demo` runs .venv/bin/smurf without activating the environment: the hints then
    give that path; a `smurf` the shell finds on PATH is named bare."""
    from pipeline.demo import command_name

    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    program = bin_dir / "smurf"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert command_name(".venv/bin/smurf") == ".venv/bin/smurf"
    assert command_name(str(program)) == ".venv/bin/smurf"
    monkeypatch.chdir(bin_dir)
    assert command_name(str(program)) == "./smurf"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert command_name(str(program)) == str(program)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    assert command_name(str(program)) == "smurf"
    assert command_name("/usr/lib/python3/pipeline/__main__.py") == "smurf"


def test_the_summary_quotes_the_evaluation_for_both_labels(tmp_path: Path) -> None:
    """On a database with the simulator's truth, the summary gives the evaluation's smurf
    and boosted figures: ROC-AUC, and each label's count, precision and recall."""
    from click.testing import CliRunner

    from pipeline.analysis import evaluate
    from pipeline.cli import cli
    from pipeline.demo import DemoResult, print_summary, summarise
    from pipeline.simulator import SimulatorConfig
    from pipeline.simulator.export import export_world

    configure_logging(json_lines=True, level="warning", stream=io.StringIO())
    path = tmp_path / "world.duckdb"
    export_world(SimulatorConfig(seed=13, players=300), path)
    assert CliRunner().invoke(cli, ["--db", str(path), "analyze", "--all"]).exit_code == 0
    with Database(path).read() as con:
        report = evaluate(con)
    said: list[str] = []
    print_summary(DemoResult(path, summary=summarise(Database(path))), said.append)

    def figures(target: str) -> tuple[float, int, float, float]:
        def metric(name: str) -> float:
            return report.metric(target, "model", name)

        labelled = int(metric("labelled"))
        assert labelled > 0, f"the world has {target} labels to judge"
        return metric("roc_auc"), labelled, metric("label_precision"), metric("label_recall")

    auc, labelled, precision, recall = figures("smurf")
    assert any(line.startswith(f"  smurf ROC-AUC: model {auc:.3f} vs ") for line in said)
    assert (
        f"  SMURF label: {labelled} players, precision {precision:.0%}, recall {recall:.0%}" in said
    )
    auc, labelled, precision, recall = figures("boosted")
    assert (
        f"  boosted ROC-AUC: model {auc:.3f}; BOOSTED label: {labelled} players, precision "
        f"{precision:.0%}, recall {recall:.0%}"
    ) in said


def test_a_suspects_line_gives_the_labels_confidence_beside_its_score(tmp_path: Path) -> None:
    """p = 1.00 on 34 games is right 88 % of the time on held-out worlds: the line says so,
    and says nothing of a confidence the score did not record."""
    from pipeline.demo import DemoResult, print_summary

    suspect = {
        "riot_id": "Nelu398#I3BL",
        "label": "SMURF",
        "score": 0.9991,
        "confidence": 0.88,
        "games": 34,
        "tier": "EMERALD",
        "factors": [("winning record on a new account", 3.41), ("lobby stomps", 2.05)],
    }
    unsure = {**suspect, "riot_id": "Lupi66#Z2U3", "confidence": None}
    summary = {"counts": {}, "suspects": [suspect, unsure]}
    said: list[str] = []
    print_summary(DemoResult(tmp_path / "demo.duckdb", summary=summary), said.append)
    assert (
        "  Nelu398#I3BL             SMURF    p=1.00 conf=88% tier=EMERALD games=34: "
        "winning record on a new account +3.41, lobby stomps +2.05"
    ) in said
    assert any(line.startswith("  Lupi66#Z2U3              SMURF    p=1.00 tier=") for line in said)


def test_the_demo_builds_the_database_the_global_db_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`smurf --db X demo` builds X, as `smurf demo --db X` does (it built data/demo.duckdb);
    SMURF_DB, the database of real work, is not the demo's."""
    from click.testing import CliRunner

    from pipeline import demo
    from pipeline.cli import cli

    given: list[Path] = []

    def capture(options: DemoOptions, **_: object) -> object:
        given.append(options.db_path)
        raise SystemExit(0)

    monkeypatch.setattr(demo, "run_demo", capture)
    monkeypatch.setenv("SMURF_DB", str(tmp_path / "work.duckdb"))
    runner = CliRunner()
    runner.invoke(cli, ["--db", str(tmp_path / "global.duckdb"), "demo"])
    runner.invoke(cli, ["--db", str(tmp_path / "global.duckdb"), "demo", "--db", "own.duckdb"])
    runner.invoke(cli, ["demo"])
    assert given == [tmp_path / "global.duckdb", Path("own.duckdb"), Path("data/demo.duckdb")]
    lake = runner.invoke(cli, ["--db", "ducklake:postgresql://u@h/lake", "demo"])
    assert lake.exit_code == 2 and "not a lake" in lake.stderr
    assert len(given) == 3


def test_the_summary_says_how_many_scored_players_are_unlabelled(tmp_path: Path) -> None:
    """ "Scored" counts players left INSUFFICIENT_DATA, which the evaluation's "players with
    enough games" does not: the line says how many, and explains the suspects' columns."""
    from pipeline.demo import DemoResult, print_summary

    counts = {"matches": 2, "participants": 20, "players": 20, "scored": 853, "unlabelled": 212}
    said: list[str] = []
    print_summary(DemoResult(tmp_path / "demo.duckdb", summary={"counts": counts}), said.append)
    assert said[2] == (
        "Stored 2 matches, 20 participant rows, 20 players; scored 853 (212 of them "
        "unlabelled: too few games or no profile yet); 0 ban checks; 0 API requests by the jobs."
    )
    assert (
        "Top suspects (p: the model's score; conf: how often that label was right on "
        "held-out crawls at that many stored games; main factors):"
    ) in said


def test_the_demos_rate_limits_are_said_in_words() -> None:
    """The simulator's limits read as requests per window, not Riot's header notation."""
    from pipeline.demo import DEMO_APP_LIMIT, rate_limits_in_words

    assert rate_limits_in_words("20:1,250:30") == (
        "rate limits 20 requests a second, 250 requests every 30 s"
    )
    assert rate_limits_in_words(DEMO_APP_LIMIT).startswith("rate limits ")
