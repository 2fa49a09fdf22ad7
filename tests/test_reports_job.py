"""The NOTEBOOK_REPORT job: a tracked execution that runs a real notebook with papermill."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Settings
from pipeline.jobs import JobContext, JobStatus
from pipeline.jobs.base import ExecutionOutcome
from pipeline.jobs.notebook_report import NotebookReport
from pipeline.store import Database
from pipeline.store import job_records as records
from tests.notebook_world import NOW, build_world

REPORT_JOB_ID = 5  # NOTEBOOK_REPORT in migration 004


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("job") / "world.duckdb")


def _configure(db_path: Path, **config: Any) -> None:
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE id = ?",
            [json.dumps(config), REPORT_JOB_ID],
        )


def _execution(db_path: Path, execution_id: int) -> dict[str, Any]:
    with Database(db_path).read() as con:
        row = records.get_execution(con, execution_id)
    assert row is not None
    return row


def _details(row: dict[str, Any]) -> dict[str, Any]:
    details = row["details"]
    return json.loads(details) if isinstance(details, str) else dict(details)


async def _run_watching(job: NotebookReport, out: Path) -> tuple[ExecutionOutcome, bool]:
    """Run the job while another coroutine looks for a half-written report."""
    task = asyncio.create_task(job.run())
    saw_kernel_at_work = False
    while not task.done():
        for executed in out.glob("*.ipynb"):
            if not executed.with_suffix(".html").exists():
                saw_kernel_at_work = True
        await asyncio.sleep(0.02)
    return await task, saw_kernel_at_work


def test_report_job_succeeds_keeps_the_newest_and_leaves_the_loop_free(
    world: Path, tmp_path: Path
) -> None:
    """A run writes .ipynb and .html, removes its database's reports beyond keep_last
    (another database's stay), and never blocks the event loop (other coroutines run while
    the kernel works)."""
    out = tmp_path / "reports"
    out.mkdir()

    def old_report(stem: str, db: Path) -> Path:
        recorded = {"metadata": {"papermill": {"parameters": {"db_path": str(db.resolve())}}}}
        (out / f"{stem}.ipynb").write_text(json.dumps(recorded))
        (out / f"{stem}.html").write_text("old")
        return out / f"{stem}.html"

    old = old_report("03-job-monitor-20200101T000000Z", world)
    another = old_report("03-job-monitor-20200102T000000Z", tmp_path / "another.duckdb")
    _configure(
        world,
        notebook="03-job-monitor",
        parameters={"as_of": NOW.isoformat(), "days": "2"},
        output_dir=str(out),
        keep_last=1,
    )
    job = NotebookReport(REPORT_JOB_ID, JobContext(Settings(db_path=world)))
    outcome, saw_kernel_at_work = asyncio.run(_run_watching(job, out))
    row = _execution(world, outcome.execution_id)
    assert (outcome.status, row["status"]) == (JobStatus.SUCCESS, "SUCCESS")
    assert row["records_created"] == 2
    details = _details(row)
    assert Path(details["executed_path"]).is_file()
    assert Path(details["html_path"]).is_file()
    assert not old.exists()
    assert another.exists()
    assert saw_kernel_at_work


def _write_failing_notebook(
    path: Path, failing: str = "raise ValueError(f'the window {window} cannot be read')"
) -> None:
    """A notebook whose third cell (index 2) raises a ValueError for the value it is given."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    path.parent.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(
        cells=[
            new_code_cell('window: str = ""  # start/end', metadata={"tags": ["parameters"]}),
            new_code_cell("print('reading', window)"),
            new_code_cell(failing),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))


def test_report_job_fails_naming_the_cell(world: Path, tmp_path: Path) -> None:
    """A cell that raises fails the run; the error and details name the cell and the error."""
    notebooks = tmp_path / "notebooks"
    _write_failing_notebook(notebooks / "fails.ipynb")
    _configure(
        world,
        notebook="fails",
        notebooks_dir=str(notebooks),
        parameters={"window": "2026-01-01/2026-06-01"},
        output_dir=str(tmp_path / "out"),
    )
    job = NotebookReport(REPORT_JOB_ID, JobContext(Settings(db_path=world)))
    outcome = asyncio.run(job.run())
    row = _execution(world, outcome.execution_id)
    assert row["status"] == "FAILED"
    assert "failed in cell 2" in row["error_message"]
    assert "ValueError" in row["error_message"]
    details = _details(row)
    assert details["failed_cell"] == 2
    assert Path(details["executed_path"]).is_file()


def test_a_failed_reports_details_never_hold_the_key(world: Path, tmp_path: Path) -> None:
    """A cell's error quoting the API key (a key pasted into a notebook) is stored with the
    key redacted in the details too: the error was, the details kept it as said."""
    key = "RGAPI-pasted-into-a-notebook-0123456789"
    notebooks = tmp_path / "notebooks"
    _write_failing_notebook(
        notebooks / "quotes.ipynb", f"raise ValueError('cannot call with {key}')"
    )
    _configure(
        world, notebook="quotes", notebooks_dir=str(notebooks), output_dir=str(tmp_path / "out")
    )
    job = NotebookReport(REPORT_JOB_ID, JobContext(Settings(db_path=world, riot_api_key=key)))
    outcome = asyncio.run(job.run())
    row = _execution(world, outcome.execution_id)
    assert row["status"] == "FAILED"
    assert _details(row)["error"] == "ValueError: cannot call with ***"
    assert key not in json.dumps(row, default=str)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"notebook": "01-smurf-report", "parameters": {"topn": 3}}, "has no parameter 'topn'"),
        ({"notebook": "01-smurf-report", "parameters": {"top_n": "many"}}, "a whole number"),
        ({"notebook": "01-smurf-report", "parameters": {"label": "WRONG"}}, "takes SMURF, BOOSTED"),
        ({"notebook": "01-smurf-report", "parameters": {"platform": "EUW9"}}, "takes br1, eun1"),
        (
            {
                "notebook": "01-smurf-report",
                "parameters": {"as_of": "2026-01-01T00:00", "since": "2026-06-01T00:00"},
            },
            "'since' (2026-06-01 00:00:00 UTC) is after as_of (2026-01-01 00:00:00 UTC)",
        ),
        ({"notebook": "99-nothing"}, "There is no notebook '99-nothing'"),
        ({"notebook": "01-smurf-report", "parameters": [1]}, "parameters must be a JSON object"),
        ({"notebook": "01-smurf-report", "keep_last": 0}, "keep_last must be between"),
    ],
)
def test_report_job_rejects_bad_configuration(
    world: Path, tmp_path: Path, config: dict[str, Any], message: str
) -> None:
    """A configuration the notebook cannot take fails the run before any kernel starts."""
    _configure(world, output_dir=str(tmp_path / "out"), **config)
    job = NotebookReport(REPORT_JOB_ID, JobContext(Settings(db_path=world)))
    outcome = asyncio.run(job.run())
    row = _execution(world, outcome.execution_id)
    assert row["status"] == "FAILED"
    assert message in row["error_message"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "what"),
    [("absent.duckdb", "does not exist"), ("text.duckdb", "is not a DuckDB database")],
)
def test_a_bad_db_path_parameter_is_named_as_the_jobs_setting(
    world: Path, tmp_path: Path, name: str, what: str
) -> None:
    """A database chosen by the job's parameters.db_path that cannot be read fails the run
    naming that setting and how to mend it, not --db (which the job never had)."""
    (tmp_path / "text.duckdb").write_text("not a database\n")
    given = tmp_path / name
    _configure(
        world,
        notebook="01-smurf-report",
        parameters={"db_path": str(given), "top_n": 5},
        output_dir=str(tmp_path / "out"),
    )
    job = NotebookReport(REPORT_JOB_ID, JobContext(Settings(db_path=world)))
    row = _execution(world, asyncio.run(job.run()).execution_id)
    assert row["status"] == "FAILED"
    assert f"parameters.db_path names {given}, which {what}" in row["error_message"]
    assert f"`smurf jobs set {REPORT_JOB_ID} 'parameters={{\"top_n\": 5}}'`" in row["error_message"]
    assert "--db" not in row["error_message"]


def test_the_nightly_report_is_seeded(world: Path) -> None:
    """The migration seeds an active daily NOTEBOOK_REPORT of 01-smurf-report."""
    with Database(world).read() as con:
        config = records.get_job_config(con, REPORT_JOB_ID)
    assert config is not None
    assert (config.job_type, config.is_active) == ("NOTEBOOK_REPORT", True)
    assert config.schedule.startswith("cron(")
    assert config.config_json["notebook"] == "01-smurf-report"


@pytest.mark.parametrize(
    ("folder", "message"),
    [("{file}/reports", "is a file"), ("/proc/smurf-reports", "cannot be made")],
)
def test_jobs_set_refuses_an_output_dir_that_cannot_be_made(
    tmp_path: Path, folder: str, message: str
) -> None:
    """An output_dir no run could make is refused when it is set, not at the night's run;
    the stored configuration stays as it was."""
    if folder.startswith("/proc") and not Path("/proc").is_dir():
        pytest.skip("no /proc here")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    given = folder.format(file=blocker)
    db_path, before, result = _set_output_dir(tmp_path, given)
    assert result.exit_code == 1, result.output
    assert f"output_dir {given} cannot be made" in result.stderr and message in result.stderr
    assert _config(db_path) == before


def test_jobs_set_takes_an_output_dir_to_be_made_and_makes_nothing_yet(tmp_path: Path) -> None:
    """A folder that does not exist yet but can be made is taken; nothing is left behind by
    the check (the first run makes the folder)."""
    wanted = tmp_path / "out" / "reports"
    (tmp_path / "out").mkdir()
    db_path, _before, result = _set_output_dir(tmp_path, str(wanted))
    assert result.exit_code == 0, result.output
    assert _config(db_path)["output_dir"] == str(wanted)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"db_path": "{tmp}/absent.duckdb"}, "parameters.db_path names {tmp}/absent.duckdb, "),
        ({"db_path": "{tmp}"}, "parameters.db_path names {tmp}, which is a folder"),
        (
            {"csv_path": "{tmp}/no-such-folder/s.csv", "top_n": 5},
            "parameters.csv_path names {tmp}/no-such-folder/s.csv, whose folder",
        ),
        ({"csv_path": "{tmp}"}, "parameters.csv_path names {tmp}, which is a folder"),
    ],
)
def test_jobs_set_refuses_report_paths_no_run_could_use(
    tmp_path: Path, parameters: dict[str, Any], message: str
) -> None:
    """An absolute db_path that is no file, or a csv_path no notebook could write, is
    refused when it is set (it failed every run, the trigger answering 202); the command to
    leave it out keeps the other parameters. A relative one waits for the run: it is
    relative to wherever the scheduler runs."""
    given = {k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in parameters.items()}
    db_path, before, result = _set(tmp_path, f"parameters={json.dumps(given)}")
    assert result.exit_code == 1, result.output
    assert message.format(tmp=tmp_path) in result.stderr
    kept = {"top_n": 5} if "top_n" in given else {}
    assert f"`smurf jobs set {REPORT_JOB_ID} 'parameters={json.dumps(kept)}'`" in result.stderr
    assert _config(db_path) == before
    _db, _before, relative = _set(tmp_path / "r", 'parameters={"csv_path": "nowhere/s.csv"}')
    assert relative.exit_code == 0, relative.output


def _set_output_dir(folder: Path, value: str) -> tuple[Path, dict[str, Any], Any]:
    """`smurf jobs set NOTEBOOK_REPORT output_dir=VALUE` on a new database in ``folder``:
    the database, its report job's configuration before, and the command's result."""
    return _set(folder, f"output_dir={value}")


def _set(folder: Path, assignment: str) -> tuple[Path, dict[str, Any], Any]:
    """`smurf jobs set NOTEBOOK_REPORT ASSIGNMENT` on a new database in ``folder``."""
    from click.testing import CliRunner

    from pipeline.cli import cli
    from pipeline.store import migrate

    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "x.duckdb"
    migrate(db_path)
    before = _config(db_path)
    arguments = ["--db", str(db_path), "--log-json", "jobs", "set", "NOTEBOOK_REPORT"]
    result = CliRunner().invoke(cli, [*arguments, assignment], env={})
    return db_path, before, result


def _config(db_path: Path) -> dict[str, Any]:
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT config_json FROM job_configurations WHERE id = ?", [REPORT_JOB_ID]
        ).fetchone()
    assert row is not None
    config: dict[str, Any] = json.loads(row[0])
    return config
