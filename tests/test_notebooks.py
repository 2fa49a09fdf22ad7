"""Every notebook, executed with papermill against a small simulator export and a known world."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from pipeline.analysis import score_players, write_scores
from pipeline.reports import NOTEBOOKS_DIR, ReportResult, run_report
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import export_world
from pipeline.store import write
from tests.notebook_world import BANNED, NEWLY_FLAGGED, NOW, build_world

NOTEBOOKS = ("01-smurf-report", "02-player-explorer", "03-job-monitor", "04-sql")
SIM_SCORED_AT = datetime(2026, 11, 1)


@pytest.fixture(scope="module")
def sim_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-player simulator export, scored once."""
    path = tmp_path_factory.mktemp("sim") / "sim.duckdb"
    export_world(SimulatorConfig(seed=11, players=300), path)
    with write(path) as con:
        write_scores(con, score_players(con), SIM_SCORED_AT)
    return path


@pytest.fixture(scope="module")
def sim_reports(sim_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReportResult]:
    """Each notebook run once against the simulator export with its default parameters."""
    out = tmp_path_factory.mktemp("sim-reports")
    return {name: run_report(name, {}, out_dir=out, db_path=sim_db) for name in NOTEBOOKS}


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("world") / "world.duckdb")


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


@pytest.mark.parametrize(("name", "figures"), [("01-smurf-report", 2), ("02-player-explorer", 3)])
def test_notebook_draws_its_figures(
    sim_reports: dict[str, ReportResult], name: str, figures: int
) -> None:
    """Plots are rendered as images in the executed notebook (so in the HTML report too)."""
    images = [
        o for o in _outputs(sim_reports[name].executed_path) if "image/png" in o.get("data", {})
    ]  # type: ignore[operator]
    assert len(images) >= figures


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


def test_smurf_report_measures_quality_on_simulator_data(
    sim_reports: dict[str, ReportResult],
) -> None:
    """With sim_truth present the report states ROC-AUC and the win-rate rule's point."""
    text = _text(sim_reports["01-smurf-report"].executed_path)
    assert "Smurf ROC-AUC" in text
    assert "Win-rate rule: TPR" in text


def test_sql_notebook_cannot_write(sim_reports: dict[str, ReportResult]) -> None:
    """The SQL notebook's helper refuses a DELETE: the connection is read-only."""
    assert "Refused:" in _text(sim_reports["04-sql"].executed_path)


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


def test_job_monitor_shows_runs_and_failed_logs(world_db: Path, tmp_path: Path) -> None:
    """The job monitor counts the window's runs and shows the log lines of failed ones."""
    result = run_report(
        "03-job-monitor", {"as_of": NOW.isoformat(), "days": 2}, out_dir=tmp_path, db_path=world_db
    )
    text = _text(result.executed_path)
    assert "**9** executions" in text
    assert "riot.server_error" in text
    assert "RATE_LIMITED" in text


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_committed_notebooks_are_stripped(path: Path) -> None:
    """Notebooks are committed without outputs or execution counts, on the python3 kernel."""
    nb = nbformat.read(str(path), as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.source[:40] for cell in code if cell.outputs] == []
    assert [cell.source[:40] for cell in code if cell.execution_count is not None] == []
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_every_notebook_is_tested() -> None:
    """A new notebook in notebooks/ must be added to the executed set above."""
    assert sorted(NOTEBOOKS) == sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb"))
