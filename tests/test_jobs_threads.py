"""Work a job does in a worker thread ends with its run, or keeps its job busy until it does.

SMURF_ANALYZER scores in a thread and NOTEBOOK_REPORT runs papermill in one; a timeout
cancels the run's coroutine, not its thread. The tests stay inside one event loop, as the
scheduler does (``asyncio.run`` would wait for the threads on its way out).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import nbformat
import pytest
import structlog

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
GRACE_S = 0.5  # after the timeout, time enough to stop a query; too little to finish scoring
# Tries to open the file read-write once, the moment it is told to.
CHECKER = textwrap.dedent(
    """
    import sys
    import duckdb
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        duckdb.connect(sys.argv[1]).close()
        print("free", flush=True)
    except duckdb.IOException:
        print("held", flush=True)
    """
)


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="critical")


@pytest.fixture(scope="module")
def big_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with enough games that scoring everyone takes a good while."""
    path = tmp_path_factory.mktemp("threads") / "world.duckdb"
    export_world(SimulatorConfig(seed=3, players=3000), path)
    return path


def test_a_timed_out_analyzer_lets_go_of_the_database(big_world: Path) -> None:
    """Soon after the run times out, its scoring query is stopped and the file is free for
    another process (the scoring thread would otherwise hold it to the end)."""
    set_job_config(
        big_world,
        "SMURF_ANALYZER",
        timeout_seconds=0.2,
        min_matches_required=1,
        unanalyzed_players_per_run=10_000_000,
    )
    checker = subprocess.Popen(
        [sys.executable, "-c", CHECKER, str(big_world)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    timed_out = threading.Event()

    def watch(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("event") == "job.timed_out":
            timed_out.set()
        return event

    structlog.configure(processors=[watch, structlog.processors.JSONRenderer()])

    async def scenario() -> tuple[JobStatus, str]:
        assert checker.stdin is not None and checker.stdout is not None
        assert await asyncio.to_thread(checker.stdout.readline) == "ready\n"
        job = SmurfAnalyzer(ANALYZER_ID, JobContext(Settings(db_path=big_world)))
        run = asyncio.create_task(job.run())
        assert await asyncio.to_thread(timed_out.wait, 60)
        await asyncio.sleep(GRACE_S)
        checker.stdin.write("go\n")
        checker.stdin.flush()
        answer = await asyncio.to_thread(checker.stdout.readline)
        outcome = await run
        return outcome.status, answer.strip()

    try:
        status, answer = asyncio.run(scenario())
    finally:
        checker.kill()
    assert status is JobStatus.FAILED
    assert answer == "free"


def slow_notebook(
    folder: Path,
    name: str,
    cells: int,
    sleep_s: float,
    *,
    deaf: bool = False,
    writes_csv: bool = False,
    slept: Path | None = None,
) -> None:
    """A notebook whose cells each sleep ``sleep_s`` seconds (then add a line to ``slept``);
    a ``deaf`` one ignores the interrupt a stopped run sends its kernel, as a cell stuck in
    native code would."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    parameters = nbformat.v4.new_code_cell('db_path: str = ""  # DuckDB file to read')
    parameters.metadata["tags"] = ["parameters"]
    deafness = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" if deaf else ""
    if writes_csv:  # as 01-smurf-report does: the runner names the file beside the report
        parameters.source += '\ncsv_path: str = ""  # suspects CSV to write'
    writing = [nbformat.v4.new_code_cell("open(csv_path, 'w').write('puuid\\n')")]
    noting = f"\nopen({str(slept)!r}, 'a').write('slept\\n')" if slept else ""
    notebook.cells = [
        parameters,
        *(writing if writes_csv else []),
        *(
            nbformat.v4.new_code_cell(f"{deafness}import time\ntime.sleep({sleep_s}){noting}")
            for _ in range(cells)
        ),
    ]
    nbformat.write(notebook, str(folder / f"{name}.ipynb"))


def test_a_timed_out_report_keeps_its_job_busy_until_its_notebook_stops(
    db_path: Path, tmp_path: Path
) -> None:
    """While a timed-out run's notebook still runs, the job refuses to start beside it."""
    slow_notebook(tmp_path, "slow", cells=1, sleep_s=15, deaf=True)
    slow_notebook(tmp_path, "quick", cells=1, sleep_s=0)
    config = {"notebook": "slow", "notebooks_dir": str(tmp_path), "output_dir": str(tmp_path)}
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE id = ?",
            [json.dumps({**config, "timeout_seconds": 6}), REPORT_ID],
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
    # The timed-out run was recorded as stopped: its report, finished later, is not kept.
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("*-2*")) == ["quick", "quick"]


@pytest.mark.parametrize(("how", "said"), [("timeout", "timed out"), ("shutdown", "stopped")])
def test_a_stopped_report_interrupts_its_notebook_and_keeps_no_file(
    db_path: Path, tmp_path: Path, how: str, said: str
) -> None:
    """A run stopped by its timeout, or by a shutdown (Ctrl-C, SIGTERM: its task cancelled),
    ends its notebook in the cell under way, and no file of the report is kept: the run was
    recorded as stopped. (A timeout is also each cell's limit in papermill; on a shutdown
    only the interrupt ends the cell.)"""
    slept = tmp_path / "slept.txt"
    slow_notebook(tmp_path, "slow", cells=2, sleep_s=40, writes_csv=True, slept=slept)
    slow_notebook(tmp_path, "quick", cells=1, sleep_s=0)
    out = tmp_path / "reports"
    config = {"notebook": "slow", "notebooks_dir": str(tmp_path), "output_dir": str(out)}
    timeout_s = 4 if how == "timeout" else 300
    set_job_config(db_path, "NOTEBOOK_REPORT", **config, timeout_seconds=timeout_s)
    context = JobContext(Settings(db_path=db_path))

    async def scenario() -> None:
        run = asyncio.create_task(NotebookReport(REPORT_ID, context).run())
        if how == "shutdown":
            for _ in range(600):  # until the kernel is in the notebook's cells
                if list(out.glob("*-suspects.csv")):
                    break
                await asyncio.sleep(0.1)
            # Well into the 40 s cell after the CSV's (stopped sooner, the next cell would
            # not start, interrupt or no interrupt).
            await asyncio.sleep(3)
            run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        set_job_config(db_path, "NOTEBOOK_REPORT", notebook="quick", output_dir=str(tmp_path))
        for _ in range(600):  # until the first run's notebook has stopped (a minute at least)
            try:
                await NotebookReport(REPORT_ID, context).run()
                break
            except JobAlreadyRunningError:
                await asyncio.sleep(0.1)

    asyncio.run(scenario())
    with Database(db_path).read() as con:
        first = con.execute(
            "SELECT status, error_message FROM job_executions WHERE job_config_id = ?"
            " ORDER BY id LIMIT 1",
            [REPORT_ID],
        ).fetchone()
    assert first is not None and first[0] == JobStatus.FAILED.value
    assert said in str(first[1])
    assert not slept.exists()  # no cell slept its 40 s out: each was interrupted
    assert list(out.iterdir()) == []
