"""Every notebook, executed with papermill against a small simulator export and a known world."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import nbformat
import pandas as pd
import pytest

from pipeline.analysis import evaluate, score_players, write_scores
from pipeline.analysis.params import DEFAULT_PARAMS
from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.explorer import jobs, quality, sql
from pipeline.explorer.present import PLAIN_MAX_ROWS
from pipeline.reports import (
    NOTEBOOKS_DIR,
    NotebookExecutionError,
    ParameterPathError,
    ReportResult,
    available_notebooks,
    find_notebook,
    run_report,
)
from pipeline.reports.runner import execute_notebook
from pipeline.reports.sources import load_notebook
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import export_world
from pipeline.store import migrate, read, write
from pipeline.store.lake_admin import copy_from_file
from pipeline.store.location import LakeLocation, parse_location
from tests.browser import MISSING as BROWSER_MISSING
from tests.browser import Browser, find_chromium
from tests.notebook_world import (
    BANNED,
    FIRST_SCORING,
    NEWLY_FLAGGED,
    NOW,
    build_unprofiled_world,
    build_unscored_world,
    build_world,
)

NOTEBOOKS = ("01-smurf-report", "02-player-explorer", "03-job-monitor", "04-sql")
SIM_SCORED_AT = datetime(2026, 11, 1)
# The highlighted source of a code cell in nbconvert's HTML.
CODE_CELL = re.compile(r'class="highlight hl-ipython3"')
# Anything a browser would fetch from another host: scripts, styles, images, frames, imports.
REMOTE_LOAD = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//"""
    r"""|\bimport\b[^;\n]*["'](?:https?:)?//|@import\s+url\(["']?(?:https?:)?//""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def sim_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 600-player simulator export, scored once: enough flagged players (22) that the
    suspects table is longer than a plain table's 15 rows, so it is an interactive one."""
    path = tmp_path_factory.mktemp("sim") / "sim.duckdb"
    export_world(SimulatorConfig(seed=11, players=600), path)
    with write(path) as con:
        scores = score_players(con)
        write_scores(con, scores, SIM_SCORED_AT)
    flagged = scores["label"].isin(["SMURF", "BOOSTED"]) & (scores["games_analyzed"] >= 10)
    # The report lists flagged players with at least 10 games; the sorting test needs more
    # of them than a plain table holds.
    assert flagged.sum() > PLAIN_MAX_ROWS, "the world flags too few players for the report"
    return path


@pytest.fixture(scope="module")
def sim_reports(sim_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReportResult]:
    """Each notebook run once against the simulator export with its default parameters."""
    out = tmp_path_factory.mktemp("sim-reports")
    return {name: run_report(name, {}, out_dir=out, db_path=sim_db) for name in NOTEBOOKS}


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("world") / "world.duckdb")


@pytest.fixture(scope="module")
def new_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database `smurf db migrate` has just made: the schema and the seeded jobs only."""
    path = tmp_path_factory.mktemp("new") / "new.duckdb"
    migrate(path)
    return path


@pytest.fixture(scope="module")
def unscored_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Games stored, nobody scored yet: `smurf analyze` never ran."""
    return build_unscored_world(tmp_path_factory.mktemp("unscored") / "unscored.duckdb")


@pytest.fixture(scope="module")
def unprofiled_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Games stored and scored, no profile ever fetched: every label INSUFFICIENT_DATA."""
    return build_unprofiled_world(tmp_path_factory.mktemp("unprofiled") / "unprofiled.duckdb")


def _outputs(path: Path) -> list[dict[str, object]]:
    nb = nbformat.read(str(path), as_version=4)
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def _text(path: Path) -> str:
    """Everything the notebook printed or displayed as text/markdown/html."""
    parts = []
    for out in _outputs(path):
        parts.append(str(out.get("text", "")))
        data = out.get("data", {})
        assert isinstance(data, dict)
        parts.extend(
            str(data.get(kind, "")) for kind in ("text/plain", "text/markdown", "text/html")
        )
    return "\n".join(parts)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_clean_on_a_simulator_export(
    sim_reports: dict[str, ReportResult], name: str
) -> None:
    """The notebook executes to the end with no error and nothing written to stderr."""
    outputs = _outputs(sim_reports[name].executed_path)
    assert outputs
    assert [o for o in outputs if o.get("output_type") == "error"] == []
    assert [o.get("text") for o in outputs if o.get("name") == "stderr"] == []
    assert sim_reports[name].html_path.stat().st_size > 0


def test_smurf_report_draws_its_figures(sim_reports: dict[str, ReportResult]) -> None:
    """Plots are rendered as images in the executed notebook (so in the HTML report too)."""
    path = sim_reports["01-smurf-report"].executed_path
    images = [o for o in _outputs(path) if "image/png" in o.get("data", {})]  # type: ignore[operator]
    assert len(images) >= 2


def test_the_explorer_exports_as_a_static_card(sim_reports: dict[str, ReportResult]) -> None:
    """Where the widget would be blank, the HTML page shows the selected player's card with
    its three figures; the page needs no widget script."""
    page = sim_reports["02-player-explorer"].html_path.read_text()
    assert page.count('src="data:image/png;base64,') >= 3
    assert "Accounts seen in the same games" in page
    assert "widget-view+json" not in page


def test_smurf_report_writes_the_suspects_csv_beside_the_report(
    sim_reports: dict[str, ReportResult],
) -> None:
    """The suspects CSV lands next to the report, holding flagged players only."""
    report = sim_reports["01-smurf-report"]
    csv = report.executed_path.with_name(f"{report.executed_path.stem}-suspects.csv")
    suspects = pd.read_csv(csv)
    assert 0 < len(suspects) <= 25
    assert set(suspects["label"]) <= {"SMURF", "BOOSTED"}
    assert any(c.startswith("contrib_smurf_") for c in suspects.columns)
    assert "puuid" in suspects.columns
    # Fewer flagged than the header's "top 25": the report says they are all there.
    flagged = "1 player" if len(suspects) == 1 else f"{len(suspects)} players"
    verb = "is" if len(suspects) == 1 else "are"
    said = f"Only {flagged} with at least 10 games {verb} flagged, all listed."
    said = said in _text(report.executed_path)
    assert said == (len(suspects) < 25)
    # Numbers as a spreadsheet should show them: no binary noise (0.9295672000000001).
    numbers = csv.read_text().replace("\n", ",").split(",")
    assert not [n for n in numbers if re.fullmatch(r"-?\d+\.\d{7,}", n)]


def test_smurf_report_measures_quality_on_simulator_data(
    sim_reports: dict[str, ReportResult], sim_db: Path
) -> None:
    """With sim_truth present the report states the ROC-AUC and label precision that
    `smurf evaluate` gives on the same database, and the win-rate rule's point."""
    text = _text(sim_reports["01-smurf-report"].executed_path)
    with read(sim_db) as con:
        reference = evaluate(con)
    assert f"**{reference.players}** players with at least" in text
    assert f"Smurf ROC-AUC **{reference.metric('smurf', 'model', 'roc_auc'):.3f}**" in text
    precision = reference.metric("smurf", "model", "label_precision")
    assert f"precision **{precision:.0%}**" in text
    assert "Win-rate rule for smurfs: TPR" in text


def test_judged_is_what_smurf_evaluate_reports(sim_db: Path) -> None:
    """The report's judgement is `smurf evaluate`'s: the same players, the same numbers,
    and its words quote them."""
    with read(sim_db) as con:
        judged = quality.judged(con)
        reference = evaluate(con)
    assert judged is not None
    assert judged.players == reference.players == len(judged.scored) > 0
    pd.testing.assert_frame_equal(judged.metrics, reference.metrics)
    assert judged.scored["games_analyzed"].min() >= DEFAULT_PARAMS.min_games
    assert {"is_smurf", "is_boosted", "smurf_score", "label"} <= set(judged.scored.columns)
    words = quality.summary_in_words(judged)
    assert f"**{judged.players}** players with at least {DEFAULT_PARAMS.min_games} games" in words
    assert f"Smurf ROC-AUC **{reference.metric('smurf', 'model', 'roc_auc'):.3f}**" in words
    table = quality.bucket_table(judged)
    assert list(table["who"]) == [
        "all",
        "rank known",
        "rank unknown",
        "account still found",
        "account gone (banned or deleted)",
        "5-9 games",
        "10-19 games",
        "20+ games",
    ]
    assert table.loc[0, "ROC-AUC"] == f"{reference.metric('smurf', 'model', 'roc_auc'):.3f}"
    assert table.loc[0, "players"] == judged.players


def test_sql_notebook_says_why_a_write_is_refused(sim_reports: dict[str, ReportResult]) -> None:
    """The SQL notebook's helper refuses a DELETE and says why and what to use instead."""
    text = _text(sim_reports["04-sql"].executed_path)
    assert "Refused: Notebook queries are read-only, so DELETE was refused" in text
    assert "smurf sql --write" in text


# A query of the analyst's own, in a cell added below the examples: 120 rows.
OWN_QUERY = 'q("SELECT match_id, puuid, kills FROM match_participants ORDER BY ALL LIMIT 120")'


@pytest.fixture(scope="module")
def own_query_report(world_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQL notebook run with a cell of the analyst's own added (as in `smurf lab`)
    whose query returns 120 rows; the executed notebook."""
    folder = tmp_path_factory.mktemp("own-query")
    nb = load_notebook(find_notebook("04-sql"))
    nb.cells.append(nbformat.v4.new_code_cell(OWN_QUERY))
    edited = folder / "04-sql.ipynb"
    nbformat.write(nb, str(edited))
    executed = folder / "04-sql-run.ipynb"
    execute_notebook(edited, executed, {"db_path": str(world_db)}, execution_timeout_s=600)
    return executed


def test_sql_notebook_says_how_many_rows_a_long_result_has_and_how_to_see_all(
    own_query_report: Path,
) -> None:
    """A result longer than a page of 50 rows says above it how many rows it has and how to
    see them all; the worked examples, which fit on one page here, say nothing."""
    text = _text(own_query_report)
    assert (
        '**120 rows, shown 50 a page: choose All under "entries per page" to see them on one'
        " page, or page through them below the table.**"
    ) in text
    assert text.count("a page: choose All") == 1


# The SQL of each worked example in 04-sql: the text of each q("""...""").
EXAMPLE_SQL = re.compile(r'q\("""(.*?)"""', re.DOTALL)
# The tables the worked examples read, stored again in reverse order in a copy.
EXAMPLE_TABLES = ("account_checks", "match_participants", "players", "smurf_scores")


def _add_label_changes(db: Path, runs: int) -> None:
    """``runs`` more scoring runs, each at one time, labelling every player SMURF, then
    NORMAL, then SMURF again: many label changes at one time."""
    with write(db) as con:
        for n in range(1, runs + 1):
            con.execute(
                "INSERT INTO smurf_scores SELECT * REPLACE (nextval('smurf_scores_id_seq') AS id,"
                " ? AS scored_at, CASE WHEN ? THEN 'SMURF' ELSE 'NORMAL' END AS label)"
                " FROM smurf_scores WHERE scored_at = ?",
                [NOW + timedelta(minutes=n), n % 2 == 1, NOW - timedelta(hours=1)],
            )
    with duckdb.connect(str(db)) as con:  # into the file itself, which the test copies
        con.execute("CHECKPOINT")


@pytest.fixture(scope="module")
def label_changes_db(world_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world with two more scoring runs, all SMURF then all NORMAL: 76 label changes
    (the world's one, 35 players not SMURF already, then all 40), most at one of two times."""
    db = tmp_path_factory.mktemp("label-changes") / "changes.duckdb"
    shutil.copy(world_db, db)
    _add_label_changes(db, runs=2)
    return db


def test_sql_examples_come_back_in_one_order_whatever_order_rows_are_stored_in(
    label_changes_db: Path, tmp_path: Path
) -> None:
    """Each worked example orders its rows fully (ties broken), so a LIMIT keeps the same
    rows and a table reads the same on every run: the label changes of one scoring run all
    share a time, and players at one win rate tie (0.762 twice), and they swapped places."""
    reversed_db = tmp_path / "reversed.duckdb"
    shutil.copy(label_changes_db, reversed_db)
    with write(reversed_db) as con:
        for table in EXAMPLE_TABLES:
            con.execute(f"CREATE TEMP TABLE stored AS SELECT * FROM {table} ORDER BY rowid DESC")
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} SELECT * FROM stored")
            con.execute("DROP TABLE stored")
        assert con.execute("SELECT count(*) FROM smurf_scores").fetchone() == (160,)
    examples = EXAMPLE_SQL.findall((NOTEBOOKS_DIR / "04-sql.py").read_text())
    assert len(examples) == 4
    for example in examples:
        params = [1] if "?" in example else None  # min_games 1: many players tie
        rows = sql.query(label_changes_db, example, params)
        assert len(rows) > 1, example
        again = sql.query(reversed_db, example, params)
        pd.testing.assert_frame_equal(rows, again, obj=example)


def test_sql_notebook_lists_every_label_change_saying_how_many(
    label_changes_db: Path, tmp_path: Path
) -> None:
    """The label changes are no longer cut at 50 without a word: all of them are listed,
    50 a page, with the note of how many there are that any long result has."""
    text = _text(run_report("04-sql", {}, out_dir=tmp_path, db_path=label_changes_db).executed_path)
    assert (
        '**76 rows, shown 50 a page: choose All under "entries per page" to see them on one'
        " page, or page through them below the table.**"
    ) in text


# What itables writes for a page that runs no scripts, asking whether the notebook is trusted.
TRUST_NOTE = "you should not see this message"


def test_an_executed_notebook_does_not_ask_whether_it_is_trusted(
    new_db: Path, tmp_path: Path
) -> None:
    """The executed notebook keeps the interactive tables' code (first, before what uses
    it) but not itables' note asking whether the notebook is trusted, which a viewer that
    runs no scripts would show above the report."""
    executed = run_report("04-sql", {}, out_dir=tmp_path, db_path=new_db).executed_path
    saved = executed.read_text()
    assert TRUST_NOTE not in saved and "is your notebook" not in saved
    shown = [str(o.get("data", {}).get("text/html", "")) for o in _outputs(executed)]  # type: ignore[union-attr]
    loads = [i for i, page in enumerate(shown) if "injectModule" in page]
    uses = [i for i, page in enumerate(shown) if "set_or_remove_dark_class" in page]
    assert loads and uses and max(loads) < min(uses)


def test_a_report_read_without_scripts_shows_no_trust_question(
    new_db: Path, tmp_path: Path, browser: Browser
) -> None:
    """Read where no script runs (a viewer of the saved notebook or page that runs none),
    a report shows its tables as plain copies and no question whether it is trusted; with
    scripts its tables come alive as before."""
    page = run_report("04-sql", {}, out_dir=tmp_path, db_path=new_db).html_path
    still = browser.open(page, scripts=False)
    text = str(still.evaluate("document.body.innerText"))
    assert "job_configurations" in text  # the first table, as a plain copy
    assert "trusted" not in text and "init_notebook_mode" not in text
    alive = browser.open(page)
    assert alive.errors() == []
    assert alive.evaluate("document.querySelectorAll('table.dataTable[id^=\"itables_\"]').length")


def test_sql_notebook_says_when_a_result_was_cut(world_db: Path, tmp_path: Path) -> None:
    """q() shows a note above a result cut at max_rows, and none above a whole one."""
    cut = _text(
        run_report("04-sql", {"max_rows": 1}, out_dir=tmp_path, db_path=world_db).executed_path
    )
    assert "Only the first 1 row: the query returns more" in cut
    whole = _text(run_report("04-sql", {}, out_dir=tmp_path, db_path=world_db).executed_path)
    assert "Only the first" not in whole


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_reports_page_is_titled_by_its_heading_and_run(
    sim_reports: dict[str, ReportResult], name: str
) -> None:
    """A browser tab or bookmark of a report names it (``Smurf report · 01-smurf-report-
    <time>``), not nbconvert's "Notebook" for every page."""
    result = sim_reports[name]
    heading = next(
        line.removeprefix("# ")
        for cell in load_notebook(find_notebook(name)).cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("# ")
    )
    title = re.search(r"<title>(.*?)</title>", result.html_path.read_text()).group(1)  # type: ignore[union-attr]
    assert title == f"{heading} · {result.html_path.stem}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_reports_read_without_code_or_network(
    sim_reports: dict[str, ReportResult], name: str
) -> None:
    """The HTML page shows no code, no injected parameters and loads nothing from a CDN."""
    page = sim_reports[name].html_path.read_text()
    assert not CODE_CELL.search(page)
    assert "injected-parameters" not in page
    assert f'db_path = "{sim_reports[name].parameters["db_path"]}"' not in page
    assert REMOTE_LOAD.findall(page) == []


def test_show_code_keeps_the_code(sim_db: Path, tmp_path: Path) -> None:
    """--show-code keeps the code cells in the page."""
    result = run_report("04-sql", {}, out_dir=tmp_path, db_path=sim_db, show_code=True)
    assert CODE_CELL.search(result.html_path.read_text())


def test_smurf_report_opens_with_its_parameters_in_words(
    sim_reports: dict[str, ReportResult],
) -> None:
    """The report's first output says what it covers, in words."""
    outputs = _outputs(sim_reports["01-smurf-report"].executed_path)
    first = next(
        str(o["data"]["text/markdown"]) for o in outputs if "text/markdown" in o.get("data", {})
    )  # type: ignore[operator,index]
    assert first.startswith("Scores as of **")
    for words in ("every platform", "at least 10 games", "top 25"):
        assert words in first


def test_suspects_are_listed_for_readers(sim_reports: dict[str, ReportResult]) -> None:
    """The suspects table leads with Riot ID, tier, label, score as a percentage and the top
    factors; puuids and raw contributions stay in the CSV."""
    page = sim_reports["01-smurf-report"].html_path.read_text()
    assert re.search(r"Riot ID.*tier.*label.*score.*top factors", page, re.DOTALL)
    assert re.search(r"\b\d{1,3}%", page)
    assert "contrib_smurf_" not in page


def test_job_monitor_says_when_a_section_is_empty(world_db: Path, tmp_path: Path) -> None:
    """A window without runs shows a sentence under each heading, not a bare header."""
    result = run_report(
        "03-job-monitor",
        {"as_of": NOW.isoformat(), "days": 2, "job_type": "SMURF_ANALYZER"},
        out_dir=tmp_path,
        db_path=world_db,
    )
    text = _text(result.executed_path)
    for sentence in (
        "No job ran in this window.",
        "No executions to draw.",
        "No rate-limited runs in this window.",
        "No failed runs in this window.",
    ):
        assert sentence in text


def test_smurf_report_on_a_new_database_says_what_to_run(new_db: Path, tmp_path: Path) -> None:
    """Run as opened on a database `smurf db migrate` just made, the report says nobody is
    scored yet and what stores games and scores them, not to lower min_games."""
    result = run_report("01-smurf-report", {}, out_dir=tmp_path, db_path=new_db)
    text = _text(result.executed_path)
    assert "nobody in this database is scored yet. Store games (`smurf track` and the" in text
    assert "lower min_games" not in text


@pytest.mark.parametrize("name", ["01-smurf-report", "02-player-explorer"])
def test_a_notebook_over_stored_games_nobody_is_scored_in_says_to_score_them(
    unscored_db: Path, tmp_path: Path, name: str
) -> None:
    """Run as opened on a database holding games that `smurf analyze` has not scored yet,
    the report and the explorer count the games and say what scores them, instead of
    asking for games to be stored."""
    with read(unscored_db) as con:
        games = con.execute("SELECT count(*) FROM matches").fetchone()[0]  # type: ignore[index]
    text = _text(run_report(name, {}, out_dir=tmp_path, db_path=unscored_db).executed_path)
    assert f"{games:,} games are stored: run" in text
    assert "smurf analyze" in text and "SMURF_ANALYZER" in text
    assert "store games" not in text.lower()


def test_smurf_report_without_suspects_writes_a_csv_of_its_header_and_says_so(
    new_db: Path, tmp_path: Path
) -> None:
    """With nobody to list, the report still writes its suspects CSV (a script reading it
    after every report finds it), with the columns of one that lists suspects, and says it
    holds no rows and why, not "Wrote 0 suspects (every score and factor)"."""
    from pipeline.analysis.model import MODELS

    result = run_report("01-smurf-report", {}, out_dir=tmp_path, db_path=new_db)
    csv = result.executed_path.with_name(f"{result.executed_path.stem}-suspects.csv")
    written = pd.read_csv(csv)
    assert written.empty
    assert [c for c in written.columns if c.startswith("contrib_")] == [
        f"contrib_{model.target}_{name}" for model in MODELS for name in model.contribution_names
    ]
    text = _text(result.executed_path)
    assert (
        f"*Wrote `{csv}` with no rows, only its header: no player with at least 10 games is"
        " scored (above). It is written all the same, with the columns of a list of suspects,"
        " so a script that reads it after every report finds it.*"
    ) in text
    assert "Wrote 0 suspects" not in text


def test_sql_notebook_on_a_new_database_says_what_fills_each_example(
    new_db: Path, tmp_path: Path
) -> None:
    """Run as opened on a new database, each example query that returns no rows says what
    would fill it, rather than show a bare header over "No data available in table"."""
    result = run_report("04-sql", {}, out_dir=tmp_path, db_path=new_db)
    text = _text(result.executed_path)
    for sentence in (
        "*Nobody is scored yet: `smurf analyze` (or the scheduler) scores the players whose"
        " games are stored.*",
        "*No player has 20 ranked solo games stored yet: lower min_games, or let the jobs"
        " store more.*",
        "*No label has changed yet: this needs two scoring runs",
        "*No account is checked yet: BAN_CHECKER (`smurf run BAN_CHECKER`, or the scheduler)"
        " checks the flagged players.*",
    ):
        assert sentence in text


def test_smurf_report_where_nobody_could_be_judged_says_why(
    unprofiled_db: Path, tmp_path: Path
) -> None:
    """Run as opened on scores made before any profile was fetched, the report says what
    the players lack and what to run, instead of a blank suspicion chart and "No player is
    flagged" as if nobody were suspicious."""
    result = run_report("01-smurf-report", {}, out_dir=tmp_path, db_path=unprofiled_db)
    text = _text(result.executed_path)
    assert "Nobody could be judged yet: all " in text
    assert "`smurf run PROFILE_REFRESHER` fetches the profiles" in text
    assert "No suspects: nobody could be judged yet (above)." in text
    images = [o for o in _outputs(result.executed_path) if "image/png" in o.get("data", {})]  # type: ignore[operator]
    assert images == []


def test_player_explorer_where_nobody_could_be_judged_says_why(
    unprofiled_db: Path, tmp_path: Path
) -> None:
    """Run as opened on scores without profiles, the explorer's heading promises no top
    suspect and its status says why nobody is listed."""
    result = run_report("02-player-explorer", {}, out_dir=tmp_path, db_path=unprofiled_db)
    text = _text(result.executed_path)
    assert "No card shown: no player is listed." in text
    assert "opened on the top suspect" not in text
    assert "Nobody could be judged yet" in text
    assert "Choose Label INSUFFICIENT_DATA to list them." in text


def test_player_explorer_opened_on_a_player_says_so_where_the_card_is(
    world_db: Path, tmp_path: Path
) -> None:
    """Run with ``player``, the explorer's own heading (kept true as the reader searches
    and picks) says whose card is shown and why; the header above it, written once, no
    longer says what the explorer was opened on."""
    result = run_report(
        "02-player-explorer", {"player": "Player07#NA1"}, out_dir=tmp_path, db_path=world_db
    )
    text = _text(result.executed_path)
    assert (
        "<b>Showing Player07#NA1</b>, the first listed for the search <code>Player07#NA1</code>."
    ) in text
    assert "opened on" not in text


def test_player_explorer_where_nobody_reaches_min_score_says_how_low_to_go(
    world_db: Path, tmp_path: Path
) -> None:
    """Run as opened on a database where nobody is suspicious enough for the default Min
    score (50 %), the explorer names Min score as what hides everyone and the highest score
    there is, rather than a bare "0 players pass the filters"."""
    db = tmp_path / "quiet.duckdb"
    shutil.copy(world_db, db)
    with write(db) as con:  # everyone NORMAL, the most suspicious at 36 %
        con.execute(
            "UPDATE smurf_scores SET smurf_score = smurf_score * 0.4,"
            " boosted_score = boosted_score * 0.4,"
            " label = CASE WHEN label IN ('SMURF', 'BOOSTED') THEN 'NORMAL' ELSE label END"
        )
    text = _text(run_report("02-player-explorer", {}, out_dir=tmp_path, db_path=db).executed_path)
    assert (
        "0 players pass the filters. To list some, lower Min score to 35% (the highest score"
        " is 36%)."
    ) in text


def test_job_monitor_on_a_job_type_named_in_lower_case(world_db: Path, tmp_path: Path) -> None:
    """`-p job_type=smurf_analyzer` monitors SMURF_ANALYZER, as `smurf jobs` takes it."""
    result = run_report(
        "03-job-monitor",
        {"as_of": NOW.isoformat(), "days": 2, "job_type": "smurf_analyzer"},
        out_dir=tmp_path,
        db_path=world_db,
    )
    assert result.parameters["job_type"] == "SMURF_ANALYZER"
    assert "job SMURF_ANALYZER" in _text(result.executed_path)


def test_smurf_report_lists_what_changed_since_the_last_report(
    world_db: Path, tmp_path: Path
) -> None:
    """Newly flagged and newly unavailable accounts since `since` are listed by Riot ID."""
    result = run_report(
        "01-smurf-report",
        {"as_of": NOW.isoformat(), "since": "2026-11-27T00:00:00", "top_n": "3", "min_games": "5"},
        out_dir=tmp_path,
        db_path=world_db,
    )
    text = _text(result.executed_path)
    assert "**1** newly flagged" in text
    assert "**1** newly unavailable" in text
    assert f"Player{NEWLY_FLAGGED[1:]}#EUW" in text
    assert f"Player{BANNED[1:]}#NA1" in text


def test_smurf_report_counts_the_tables_as_of_its_date_too(world_db: Path, tmp_path: Path) -> None:
    """A report dated in the past shows, beside each table's rows now, the rows stored by
    its as_of where the table records that ("n/a" where it does not)."""
    between = FIRST_SCORING + timedelta(hours=1)
    dated = _text(
        run_report(
            "01-smurf-report", {"as_of": between.isoformat()}, out_dir=tmp_path, db_path=world_db
        ).executed_path
    )
    cell = r"\s*<td[^>]*>([^<]*)</td>"
    assert re.search(r"<th[^>]*>rows at as_of</th>", dated)
    scores_row = re.search(f"<td[^>]*>smurf_scores</td>{cell}{cell}", dated)
    assert scores_row is not None and scores_row.groups() == ("80", "40")
    sums_row = re.search(f"<td[^>]*>player_game_sums</td>{cell}{cell}", dated)
    assert sums_row is not None and sums_row.group(2) == "n/a"
    # A report of now is dated by its runner too: the counts would agree, so no column
    # repeats the rows.
    now = _text(run_report("01-smurf-report", {}, out_dir=tmp_path, db_path=world_db).executed_path)
    assert "rows at as_of" not in now
    scores_now = re.search(f"<td[^>]*>smurf_scores</td>{cell}", now)
    assert scores_now is not None and scores_now.groups() == ("80",)


def test_smurf_report_of_one_label_lists_only_that_kind_as_new(
    world_db: Path, tmp_path: Path
) -> None:
    """label=BOOSTED keeps the newly flagged list to boosted accounts, as the suspects; the
    newly flagged smurf shows under label=SMURF."""
    since = {"as_of": NOW.isoformat(), "since": "2026-11-27T00:00:00", "min_games": "5"}
    boosted, smurfs = (
        run_report("01-smurf-report", {**since, "label": label}, out_dir=tmp_path, db_path=world_db)
        for label in ("BOOSTED", "SMURF")
    )
    assert "**0** newly flagged" in _text(boosted.executed_path)
    assert "**1** newly flagged" in _text(smurfs.executed_path)


def test_smurf_report_says_who_its_filters_leave_unflagged(world_db: Path, tmp_path: Path) -> None:
    """Under a minimum of games nobody reaches, the suspects table says nobody with that many
    games is scored, not "No player is flagged" beside the five smurfs the filter left out;
    under label=BOOSTED, the line over a short list counts the boosted accounts listed."""
    at = {"as_of": NOW.isoformat()}
    none = run_report(
        "01-smurf-report", {**at, "min_games": "100000"}, out_dir=tmp_path, db_path=world_db
    )
    text = _text(none.executed_path)
    assert "No suspects: no player with at least 100,000 games is scored (above)." in text
    assert "No player is flagged" not in text
    boosted = run_report(
        "01-smurf-report",
        {**at, "min_games": "5", "label": "BOOSTED"},
        out_dir=tmp_path,
        db_path=world_db,
    )
    said = "Only 1 player with at least 5 games is flagged as BOOSTED, all listed."
    assert said in _text(boosted.executed_path)


def test_a_count_of_one_reads_in_the_singular(world_db: Path, tmp_path: Path) -> None:
    """One suspect, one account gone, one day, one execution, one row: never "1 days"."""
    db = tmp_path / "world.duckdb"
    shutil.copy(world_db, db)
    with write(db) as con:  # one scored account the profile refresh no longer finds
        con.execute(
            "UPDATE players SET profile_found = false, summoner_checked_at = ? WHERE puuid = 'p10'",
            [NOW - timedelta(hours=2)],
        )
    report = run_report(
        "01-smurf-report",
        {"as_of": NOW.isoformat(), "top_n": "1", "label": "BOOSTED"},
        out_dir=tmp_path,
        db_path=db,
    )
    text = _text(report.executed_path)
    for words in (
        "top 1 boosted account ·",
        "**1** account gone",
        "Precision of the top 1 smurf score:",
        "Wrote 1 suspect (",
    ):
        assert words in text
    # The monitor's 24 runs are 6 hours apart: the day before the oldest holds just it.
    oldest = NOW - timedelta(hours=6 * 23)
    monitor = run_report(
        "03-job-monitor",
        {"as_of": oldest.isoformat(), "days": "1", "job_type": "MATCH_FETCHER"},
        out_dir=tmp_path,
        db_path=db,
    )
    text = _text(monitor.executed_path)
    assert "the 1 day from" in text
    assert "**1** execution in the window." in text
    sql = run_report("04-sql", {"max_rows": "1"}, out_dir=tmp_path, db_path=db)
    assert "at most 1 row a query" in _text(sql.executed_path)
    for result in (report, monitor, sql):
        assert not re.search(
            r"\b1 (?:suspects|accounts|days|executions|rows)\b", _text(result.executed_path)
        )


@pytest.mark.parametrize("where", ["missing/suspects.csv", "."])
def test_a_csv_path_the_report_cannot_write_is_refused_before_it_runs(
    world_db: Path, tmp_path: Path, where: str
) -> None:
    """A CSV in a folder that does not exist, or onto a folder, is one clear error before
    any kernel starts, not a failure in the notebook's last cell after the whole run."""
    out = tmp_path / "out"
    with pytest.raises(ParameterPathError, match="csv_path") as refused:
        run_report(
            "01-smurf-report",
            {"csv_path": str(tmp_path / where)},
            out_dir=out,
            db_path=world_db,
        )
    assert ("does not exist" if "/" in where else "is a folder") in str(refused.value)
    assert not any(out.glob("*.ipynb"))


def test_smurf_report_on_a_platform_named_in_upper_case(world_db: Path, tmp_path: Path) -> None:
    """`-p platform=EUW1` reports on euw1's players (the database's spelling), not on none."""
    result = run_report(
        "01-smurf-report",
        {"as_of": NOW.isoformat(), "since": "2026-11-27T00:00:00", "platform": "EUW1"},
        out_dir=tmp_path,
        db_path=world_db,
    )
    assert result.parameters["platform"] == "euw1"
    text = _text(result.executed_path)
    assert "platform euw1" in text
    assert "20 scored players with at least 10 games on euw1." in text
    assert "**1** newly flagged" in text  # on euw1
    assert "**0** newly unavailable" in text  # the banned account is on na1


def test_smurf_report_before_the_first_score_says_so(world_db: Path, tmp_path: Path) -> None:
    """An as_of before any score was made names the first score's time, not the filters."""
    result = run_report(
        "01-smurf-report", {"as_of": "2020-01-01"}, out_dir=tmp_path, db_path=world_db
    )
    text = _text(result.executed_path)
    assert (
        "No player with at least 10 games has a score as of 2020-01-01 00:00 UTC: the first "
        f"score was made at {FIRST_SCORING:%Y-%m-%d %H:%M:%S} UTC; choose a later as_of."
    ) in text


def test_smurf_report_reads_a_lake_as_it_reads_a_file(
    world_db: Path, lake_url: str, tmp_path: Path
) -> None:
    """The same world moved into a lake gives the report the same findings."""
    lake = parse_location(lake_url)
    assert isinstance(lake, LakeLocation)
    copy_from_file(world_db, lake)
    result = run_report(
        "01-smurf-report",
        {"as_of": NOW.isoformat(), "since": "2026-11-27T00:00:00", "top_n": "3", "min_games": "5"},
        out_dir=tmp_path,
        db_path=lake,
    )
    text = _text(result.executed_path)
    assert result.parameters["db_path"] == lake_url
    assert "**1** newly flagged" in text
    assert f"Player{BANNED[1:]}#NA1" in text


WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])  # a writer: no other process may open the file
print("holding", flush=True)
sys.stdin.readline()
con.close()
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_notebook_waits_for_a_writer_as_long_as_its_lock_timeout(
    world_db: Path, tmp_path: Path, name: str
) -> None:
    """While another program writes the database, a notebook gives up after its
    lock_timeout_s (the runner passes the setting's value), not after the default 30 s."""
    holder = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(world_db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(NotebookExecutionError) as failed:
            execute_notebook(
                find_notebook(name),
                tmp_path / f"{name}.ipynb",
                {"db_path": str(world_db), "lock_timeout_s": 1.0},
                execution_timeout_s=600,
            )
    finally:
        holder.communicate("done\n", timeout=30)
    assert failed.value.error_name == "DatabaseBusyError"
    waited = re.search(r"gave up after waiting ([0-9.]+) s", failed.value.error_value)
    assert waited is not None, failed.value.error_value
    assert float(waited[1]) < DEFAULT_LOCK_TIMEOUT_S


def test_job_monitor_shows_runs_and_failed_logs(world_db: Path, tmp_path: Path) -> None:
    """The job monitor counts the window's runs and shows the log lines of failed ones."""
    result = run_report(
        "03-job-monitor", {"as_of": NOW.isoformat(), "days": 2}, out_dir=tmp_path, db_path=world_db
    )
    text = _text(result.executed_path)
    assert "**9** executions" in text
    assert "riot.server_error" in text
    assert "after 102 requests" in text
    assert jobs.RATE_LIMITED_IN_WORDS in text


def test_job_monitor_says_which_running_runs_lost_their_process(
    world_db: Path, tmp_path: Path
) -> None:
    """A run recorded RUNNING whose process was killed (kill -9) is charted RUNNING as
    recorded, and the monitor says its process has ended, as `smurf jobs status` does."""
    from tests.sim_helpers import add_execution, copy_database

    db = tmp_path / "killed.duckdb"
    copy_database(world_db, db)
    dead_pid = 2**22 + 4321
    orphan = add_execution(db, 2, pid=dead_pid)
    result = run_report(
        "03-job-monitor", {"as_of": NOW.isoformat(), "days": 2}, out_dir=tmp_path, db_path=db
    )
    text = _text(result.executed_path)
    assert (
        f"Execution {orphan} is recorded RUNNING, but its process (pid {dead_pid}) has ended"
        in text
    )
    quiet = run_report(
        "03-job-monitor", {"as_of": NOW.isoformat(), "days": 2}, out_dir=tmp_path, db_path=world_db
    )
    assert "has ended" not in _text(quiet.executed_path)


def test_job_monitor_run_as_opened_names_the_job_types(world_db: Path, tmp_path: Path) -> None:
    """Run outside ``smurf report`` (the lab), a job type the monitor does not know is an
    error naming the known ones, not an empty window."""
    with pytest.raises(NotebookExecutionError) as failed:
        execute_notebook(
            find_notebook("03-job-monitor"),
            tmp_path / "monitor.ipynb",
            {"db_path": str(world_db), "job_type": "match-fetcher"},
            execution_timeout_s=600,
        )
    assert failed.value.error_name == "ValueError"
    assert "job_type must be one of TRACKED_PLAYER_UPDATER, MATCH_FETCHER" in (
        failed.value.error_value
    )
    assert "(got 'match-fetcher')" in failed.value.error_value


def test_job_monitor_tables_read_as_words(world_db: Path, tmp_path: Path) -> None:
    """The job monitor's tables have headings a reader reads (no job_type, started_at or
    error_message) and times to the second, not to the microsecond."""
    result = run_report(
        "03-job-monitor", {"as_of": NOW.isoformat(), "days": 2}, out_dir=tmp_path, db_path=world_db
    )
    page = result.html_path.read_text()
    heads = re.findall(r"<thead>(.*?)</thead>", page, re.DOTALL)
    headings = {h.strip() for head in heads for h in re.findall(r"<th[^>]*>([^<]*)</th>", head)}
    assert {"job", "runs", "failed", "rate limited", "API requests"} <= headings
    assert {"execution", "started", "error"} <= headings
    assert {h for h in headings if "_" in h} == set()
    assert re.search(r"\d\d:\d\d:\d\d\.\d", page) is None


def test_a_notebook_opened_outside_smurf_lab_reads_the_demos_database(
    world_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone after `make demo` holds data/demo.duckdb and no data/smurf.duckdb. A
    notebook opened without `smurf lab` (plain JupyterLab with jupytext, or converted and run
    by nbconvert: no db_path, no SMURF_DB) reads the demo's database, as `smurf sql` does,
    and says so in its output; it failed in its first cell with DatabaseNotFoundError."""
    from nbclient import NotebookClient

    project = tmp_path / "project"  # the package's parent is the project root it reads
    shutil.copytree(
        Path(__file__).resolve().parents[1] / "pipeline",
        project / "pipeline",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (project / "notebooks").mkdir()
    shutil.copy(find_notebook("04-sql"), project / "notebooks")
    (project / "data").mkdir()
    shutil.copyfile(world_db, project / "data" / "demo.duckdb")
    monkeypatch.delenv("SMURF_DB", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(project))  # the kernel imports the copy
    nb = load_notebook(project / "notebooks" / "04-sql.py")
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(project / "notebooks")}},
    ).execute()
    shown = "".join(
        str(out.get("text", "")) + str(out.get("data", {}).get("text/markdown", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    demo, default = project / "data" / "demo.duckdb", project / "data" / "smurf.duckdb"
    assert (
        f"Reading {demo}, the demo's database, since {default} does not exist; to read"
        " another, set the db_path parameter or SMURF_DB."
    ) in shown
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not default.exists()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_tracked_as_percent_scripts(name: str) -> None:
    """Each notebook's source is a percent-format script on the python3 kernel, so it diffs
    like code and can hold no outputs; no .ipynb sits in notebooks/ to be dirtied."""
    source = find_notebook(name)
    assert source.suffix == ".py"
    assert source.read_text().count("# %%") >= 3
    assert load_notebook(source).metadata["kernelspec"]["name"] == "python3"
    assert list(NOTEBOOKS_DIR.glob("*.ipynb")) == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_running_a_script_in_plain_jupyterlab_leaves_it_as_tracked(
    name: str, tmp_path: Path
) -> None:
    """Opened as a notebook through jupytext's contents manager (what `jupyter lab` in the
    repository uses), run (outputs, execution counts, the kernel's language_info) and
    saved, a script comes back byte for byte: no jupytext version line, no outputs."""
    from jupytext import TextFileContentsManager

    script = tmp_path / f"{name}.py"
    script.write_bytes(find_notebook(name).read_bytes())
    manager = TextFileContentsManager(root_dir=str(tmp_path))
    model = manager.get(script.name, type="notebook", content=True)
    nb = model["content"]
    nb.metadata["language_info"] = {"name": "python", "version": sys.version.split()[0]}
    for count, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
        cell.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    manager.save({"type": "notebook", "format": "json", "content": nb}, script.name)
    assert script.read_text() == find_notebook(name).read_text()


def test_every_notebook_is_tested() -> None:
    """A new notebook in notebooks/ must be added to the executed set above."""
    assert sorted(NOTEBOOKS) == available_notebooks()


# ---- in a real browser ---------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module; skipped (saying so) where none is installed."""
    executable = find_chromium()
    if executable is None:
        pytest.skip(BROWSER_MISSING)
    with Browser(executable) as running:
        yield running


def _headings(name: str) -> list[str]:
    """The section headings the notebook's markdown declares."""
    cells = load_notebook(find_notebook(name)).cells
    return [
        line.removeprefix("## ").replace("`", "").strip()
        for cell in cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]


@pytest.fixture(scope="module")
def browsed_reports(
    sim_reports: dict[str, ReportResult], world_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, ReportResult]:
    """The reports to open in a browser: the job monitor on a world that has job runs."""
    monitor = run_report(
        "03-job-monitor",
        {"as_of": NOW.isoformat(), "days": 30},
        out_dir=tmp_path_factory.mktemp("monitor"),
        db_path=world_db,
    )
    return {**sim_reports, "03-job-monitor": monitor}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_report_renders_in_a_browser(
    browsed_reports: dict[str, ReportResult], browser: Browser, name: str
) -> None:
    """Opened in headless Chromium, the report shows every section and its tables, its
    interactive tables come alive, nothing is fetched from the network, nothing is wider
    than the page, and the console stays free of errors."""
    html = browsed_reports[name].html_path
    page = browser.open(html)
    page.screenshot(html.with_suffix(".png"))
    assert page.errors() == []
    assert [u for u in page.requested_urls() if not u.startswith(("file:", "data:", "blob:"))] == []
    shown = page.evaluate("[...document.querySelectorAll('h2')].map(h => h.innerText.trim())")
    assert [h.removesuffix("¶").strip() for h in shown] == _headings(name)
    tables = page.evaluate("document.querySelectorAll('table').length")
    assert tables >= 1
    interactive = page.evaluate("document.querySelectorAll('table[id^=\"itables_\"]').length")
    alive = page.evaluate("document.querySelectorAll('table.dataTable[id^=\"itables_\"]').length")
    assert alive == interactive
    assert page.evaluate("document.querySelectorAll('.jp-CodeCell .jp-InputArea').length") == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


TABLE_OF_REASONS = """
import pandas as pd
from pipeline.explorer import jobs, present
from pipeline.store import read
with read({db!r}) as con:
    runs = jobs.executions(con, since=pd.Timestamp("2000-01-01"))
present.interactive_tables()
present.show_table(jobs.rate_limited_runs(pd.concat([runs] * 4)), empty="none")
"""
# Per column of the shown table: how it is aligned, and how far its cells reach past the
# right edge of the table's box (positive: the reader has to scroll to see them).
TABLE_LAYOUT = """(() => {
  const table = document.querySelector('table.dataTable[id^="itables_"]');
  const edge = table.closest('.dt-container').getBoundingClientRect().right;
  const names = [...table.querySelectorAll('thead th')].map(th => th.innerText.trim());
  const columns = {};
  names.forEach((name, i) => {
    const cells = [...table.querySelectorAll(`tbody tr td:nth-child(${i + 1})`)];
    columns[name] = {
      align: getComputedStyle(cells[0]).textAlign,
      past_edge: Math.max(...cells.map(c => c.getBoundingClientRect().right - edge)),
    };
  });
  return columns;
})()"""


def test_a_long_table_of_sentences_reads_without_scrolling(
    world_db: Path, browser: Browser, tmp_path: Path
) -> None:
    """A long table whose cells are sentences (the limits rate-limited runs met) wraps them
    within the page instead of pushing them past its right edge, and aligns words left
    and numbers right."""
    from nbclient import NotebookClient

    from pipeline.reports.html import export_html

    code = TABLE_OF_REASONS.format(db=str(world_db))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    executed = tmp_path / "reasons.ipynb"
    nbformat.write(nb, str(executed))
    page = browser.open(export_html(executed))
    assert page.errors() == []
    columns = page.evaluate(TABLE_LAYOUT)
    assert list(columns) == ["execution", "job", "started", "requests", "stopped", "message"]
    assert {name: c["past_edge"] <= 1 for name, c in columns.items()} == dict.fromkeys(
        columns, True
    )
    assert columns["message"]["align"] == columns["job"]["align"] == "left"
    assert columns["requests"]["align"] == "right"


PLAIN_TABLE = """
import pandas as pd
from pipeline.explorer import present
present.show_table(
    pd.DataFrame({"who": ["account gone (banned or deleted)", "5-9 games"], "players": [6, 372],
                  "precision": ["83%", "n/a"]}),
    empty="none",
)
"""
PLAIN_LAYOUT = """(() => {
  const table = document.querySelector('table.dataframe');
  const names = [...table.querySelectorAll('thead th')].map(th => th.innerText.trim());
  return Object.fromEntries(names.map((name, i) => [name, [
    getComputedStyle(table.querySelector(`thead th:nth-child(${i + 1})`)).textAlign,
    getComputedStyle(table.querySelector(`tbody td:nth-child(${i + 1})`)).textAlign,
  ]]));
})()"""


def test_a_plain_table_aligns_words_left_and_numbers_right(
    browser: Browser, tmp_path: Path
) -> None:
    """A short table (plain HTML, not interactive) aligns its columns of words left, as the
    interactive tables do, and its numbers and percentages right."""
    from nbclient import NotebookClient

    from pipeline.reports.html import export_html

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PLAIN_TABLE)])
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    executed = tmp_path / "plain.ipynb"
    nbformat.write(nb, str(executed))
    page = browser.open(export_html(executed))
    assert page.errors() == []
    assert page.evaluate(PLAIN_LAYOUT) == {
        "who": ["left", "left"],
        "players": ["right", "right"],
        "precision": ["right", "right"],
    }


SUSPECTS_TABLE = (
    "[...document.querySelectorAll('table.dataTable[id^=\"itables_\"]')]"
    ".find(t => t.innerText.includes('top factors'))"
)


def test_a_reader_sorts_the_suspects_by_clicking_a_column_title(
    browsed_reports: dict[str, ReportResult], browser: Browser
) -> None:
    """Offline, clicking a column's title sorts the table by it: scores as numbers
    (9% before 10%), Riot IDs as words."""
    page = browser.open(browsed_reports["01-smurf-report"].html_path)
    # The titles in view, where a reader clicks them (the table may be taller than the window).
    page.evaluate(f"({SUSPECTS_TABLE}).querySelector('thead').scrollIntoView({{block: 'center'}})")

    def sorted_by(title: str) -> list[str]:
        header = (
            f"[...({SUSPECTS_TABLE}).closest('.dt-container').querySelectorAll('th')]"
            f".find(th => th.innerText.trim() === '{title}')"
        )
        page.click(f"({header}).querySelector('.dt-column-title')")
        page.wait_for(f"({header}).classList.contains('dt-ordering-asc')", what="the sort")
        column = page.evaluate(
            f"[...({SUSPECTS_TABLE}).querySelectorAll('thead th')]"
            f".findIndex(th => th.innerText.trim() === '{title}')"
        )
        return list(
            page.evaluate(
                f"[...({SUSPECTS_TABLE}).querySelectorAll('tbody tr')]"
                f".map(row => row.children[{column}].innerText.trim())"
            )
        )

    scores = sorted_by("score")
    assert len(scores) > 1
    assert [int(s.removesuffix("%")) for s in scores] == sorted(
        int(s.removesuffix("%")) for s in scores
    )
    riot_ids = sorted_by("Riot ID")
    assert riot_ids == sorted(riot_ids, key=str.casefold)


def test_a_long_query_result_shows_50_rows_a_page_and_all_on_asking(
    own_query_report: Path, browser: Browser
) -> None:
    """In the SQL notebook's page, a 120-row result shows 50 rows a page, and choosing All
    under "entries per page" shows every row on one page."""
    from pipeline.reports.html import export_html

    page = browser.open(export_html(own_query_report))
    table = (
        "[...document.querySelectorAll('table.dataTable[id^=\"itables_\"]')]"
        ".find(t => t.innerText.includes('kills'))"
    )
    rows = f"({table}).querySelectorAll('tbody tr').length"
    assert page.evaluate(rows) == 50
    menu = f"({table}).closest('.dt-container').querySelector('.dt-length select')"
    assert page.evaluate(f"[...{menu}.options].map(o => o.text)") == ["50", "200", "1,000", "All"]
    page.evaluate(
        f"(() => {{ const s = {menu}; s.value = '-1'; s.dispatchEvent(new Event('change')); }})()"
    )
    page.wait_for(f"{rows} === 120", what="every row on one page")


def test_the_reports_lists_show_every_row_on_one_page(
    browsed_reports: dict[str, ReportResult], browser: Browser, sim_db: Path
) -> None:
    """The top suspects are one page of up to ``top_n`` rows (25 by default), and the list
    of the database's tables one page of them all, so a printed or saved report shows every
    row it lists."""
    with duckdb.connect(str(sim_db), read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FROM latest_smurf_scores"
            " WHERE label IN ('SMURF', 'BOOSTED') AND games_analyzed >= 10"
        ).fetchone()
    suspects = min(25, int(row[0]) if row else 0)
    assert suspects > 10, "more suspects than a default page of 10 holds"
    page = browser.open(browsed_reports["01-smurf-report"].html_path)

    def shown(table: str) -> tuple[int, bool]:
        rows = page.evaluate(f"({table}).querySelectorAll('tbody tr').length")
        paged = page.evaluate(
            f"({table}).closest('.dt-container').querySelector('.dt-paging') !== null"
        )
        return rows, paged

    assert shown(SUSPECTS_TABLE) == (suspects, False)
    tables = (
        "[...document.querySelectorAll('table.dataTable[id^=\"itables_\"]')]"
        ".find(t => t.innerText.includes('match_participants'))"
    )
    rows, paged = shown(tables)
    assert rows > 15 and not paged


def test_precision_of_the_top_counts_the_players_judged(world_db: Path, tmp_path: Path) -> None:
    """Asked for more suspects than were judged, the report's precision says how many it
    read, not the number asked for."""
    report = run_report(
        "01-smurf-report",
        {"as_of": NOW.isoformat(), "top_n": "1000"},
        out_dir=tmp_path,
        db_path=world_db,
    )
    text = _text(report.executed_path)
    judged = re.search(r"\*\*(\d+)\*\* players? with at least", text)
    top = re.search(r"Precision of the top (\d+) smurf scores?:", text)
    assert judged and top, text[:2000]
    assert int(top.group(1)) == int(judged.group(1)) < 1000
