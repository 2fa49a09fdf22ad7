"""Work a job does in a worker thread ends with its run, or keeps its job busy until it does.

SMURF_ANALYZER scores in a thread and NOTEBOOK_REPORT runs papermill in one; a timeout
cancels the run's coroutine, not its thread. The report test stays inside one event loop,
as the scheduler does (``asyncio.run`` would wait for the threads on its way out).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nbformat
import pytest

from pipeline.config import Settings
from pipeline.jobs import JobAlreadyRunningError, JobContext, JobStatus
from pipeline.jobs.notebook_report import NotebookReport
from pipeline.jobs.smurf_analyzer import SmurfAnalyzer
from pipeline.log import configure_logging
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import export_world
from pipeline.store import Database
from tests.sim_helpers import set_job_config

ANALYZER_ID = 3
REPORT_ID = 5


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="critical")


@pytest.fixture(scope="module")
def big_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with enough games that scoring everyone takes a good while."""
    path = tmp_path_factory.mktemp("threads") / "world.duckdb"
    export_world(SimulatorConfig(seed=3, players=3000), path)
    return path


def test_a_timed_out_analyzer_stops_scoring_and_records_its_end(big_world: Path) -> None:
    """The timed-out run's scoring query is interrupted, so its end is written within the
    ordinary wait for the file (which the scoring thread would otherwise hold)."""
    set_job_config(
        big_world,
        "SMURF_ANALYZER",
        timeout_seconds=0.2,
        min_matches_required=1,
        unanalyzed_players_per_run=10_000_000,
    )
    context = JobContext(Settings(db_path=big_world, lock_timeout_s=0.5))
    outcome = asyncio.run(SmurfAnalyzer(ANALYZER_ID, context).run())
    assert outcome.status is JobStatus.FAILED
    assert "timed out" in (outcome.error_message or "")
    with Database(big_world).read() as con:
        row = con.execute(
            "SELECT status, error_message FROM job_executions WHERE id = ?",
            [outcome.execution_id],
        ).fetchone()
    assert row == ("FAILED", outcome.error_message)


def slow_notebook(folder: Path, name: str, cells: int, sleep_s: float) -> None:
    """A notebook whose cells each sleep ``sleep_s`` seconds."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    parameters = nbformat.v4.new_code_cell('db_path: str = ""  # DuckDB file to read')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [
        parameters,
        *(nbformat.v4.new_code_cell(f"import time\ntime.sleep({sleep_s})") for _ in range(cells)),
    ]
    nbformat.write(notebook, str(folder / f"{name}.ipynb"))


def test_a_timed_out_report_keeps_its_job_busy_until_its_notebook_stops(
    db_path: Path, tmp_path: Path
) -> None:
    """While a timed-out run's notebook still runs, the job refuses to start beside it."""
    slow_notebook(tmp_path, "slow", cells=6, sleep_s=1.5)
    slow_notebook(tmp_path, "quick", cells=1, sleep_s=0)
    config = {"notebook": "slow", "notebooks_dir": str(tmp_path), "output_dir": str(tmp_path)}
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE id = ?",
            [json.dumps({**config, "timeout_seconds": 2}), REPORT_ID],
        )
    context = JobContext(Settings(db_path=db_path))

    async def scenario() -> tuple[JobStatus, str, JobStatus]:
        first = await NotebookReport(REPORT_ID, context).run()
        with pytest.raises(JobAlreadyRunningError) as refused:
            await NotebookReport(REPORT_ID, context).run()
        set_job_config(db_path, "NOTEBOOK_REPORT", notebook="quick", timeout_seconds=60)
        for _ in range(300):
            try:
                later = await NotebookReport(REPORT_ID, context).run()
                break
            except JobAlreadyRunningError:
                await asyncio.sleep(0.1)
        return first.status, str(refused.value), later.status

    first, refusal, later = asyncio.run(scenario())
    assert first is JobStatus.FAILED
    assert "still finishing" in refusal
    assert later is JobStatus.SUCCESS
