"""NOTEBOOK_REPORT: run a notebook as a report on a schedule (no API calls).

Config: ``notebook`` (name in ``notebooks_dir``, default the repository's notebooks/),
``parameters`` (object, checked against the notebook's parameters cell), ``output_dir``
(default data/reports), ``keep_last`` (reports of this notebook on the same database to
keep; older ones are removed after a successful run, reports of other databases never),
``show_code`` (keep the code in the HTML page; default false) and ``timeout_seconds``.
The notebook reads the scheduler's database unless ``parameters`` names another
``db_path``.

papermill blocks while the kernel works, so it runs in a worker thread of the run: the
scheduler's event loop keeps serving other jobs and the monitoring API, and a run that timed
out keeps its job from starting again until its notebook has stopped. A run that is stopped
(its timeout, Ctrl-C, a shutdown) interrupts its kernel and keeps none of the report's
files: they would otherwise appear after the run was recorded as stopped. When a cell
raises, the run fails with the cell's index and error in its message and in ``details``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pipeline import reports
from pipeline.jobs.base import BaseJob
from pipeline.jobs.errors import JobConfigError
from pipeline.jobs.settings import NotebookReportSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.errors import NotADatabaseError
from pipeline.store.location import is_lake_url

log = get_logger(__name__)


def _check_output_dir(folder: Path) -> None:
    """Refuse an absolute ``output_dir`` whose folder cannot be made, before any run (a
    relative one is relative to wherever the scheduler runs, so only a run can tell)."""
    if not folder.is_absolute():
        return
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise JobConfigError(
            f"output_dir {folder} cannot be made: {existing} is a file. Give a folder, "
            "e.g. output_dir=data/reports."
        )
    try:  # the one sure test is to make a folder there, and take it away again
        os.rmdir(tempfile.mkdtemp(prefix=".smurf-report-check-", dir=existing))
    except OSError as exc:
        raise JobConfigError(
            f"output_dir {folder} cannot be made ({exc.strerror or exc}): give a folder the "
            "scheduler can write to, e.g. output_dir=data/reports."
        ) from None


def _parameter_advice(job_id: int, parameters: dict[str, Any], name: str) -> str:
    """The command that leaves parameter ``name`` out: `jobs set` replaces parameters
    whole, so it repeats the others."""
    rest = {k: v for k, v in parameters.items() if k != name}
    return f"`smurf jobs set {job_id} 'parameters={json.dumps(rest)}'`"


def _check_parameter_paths(job_id: int, parameters: dict[str, Any]) -> None:
    """Refuse, before any run, an absolute ``db_path`` that names no file and an absolute
    ``csv_path`` the notebook could not write: every run would fail on them. A relative
    path is relative to wherever the scheduler runs, so only a run can tell."""
    db_path = parameters.get("db_path")
    if isinstance(db_path, str) and db_path and not is_lake_url(db_path):
        path = Path(db_path).expanduser()
        if path.is_absolute() and not path.is_file():
            why = "is a folder" if path.is_dir() else "does not exist"
            raise JobConfigError(
                f"The job's parameters.db_path names {path}, which {why}: give the path of a "
                "Smurf database there, or leave db_path out to read the scheduler's own "
                f"({_parameter_advice(job_id, parameters, 'db_path')})."
            )
    csv_path = parameters.get("csv_path")
    if isinstance(csv_path, str) and csv_path:
        path = Path(csv_path).expanduser()
        if path.is_absolute() and (path.is_dir() or not path.parent.is_dir()):
            folder = path.parent
            why = "which is a folder" if path.is_dir() else f"whose folder {folder} does not exist"
            raise JobConfigError(
                f"The job's parameters.csv_path names {path}, {why}: give a file in a "
                "folder that exists, or leave csv_path out for a CSV beside each report "
                f"({_parameter_advice(job_id, parameters, 'csv_path')})."
            )


class NotebookReport(BaseJob):
    job_type = JobType.NOTEBOOK_REPORT
    uses_riot_api = False

    settings_model = NotebookReportSettings
    settings: NotebookReportSettings

    def _load_configuration(self) -> None:
        super()._load_configuration()
        notebooks_dir = Path(self.settings.notebooks_dir or reports.NOTEBOOKS_DIR)
        try:
            notebook = reports.find_notebook(self.settings.notebook, notebooks_dir)
            self.parameters = reports.check_parameters(
                notebook,
                self.settings.parameters,
                reports.declared_parameters(notebook),
                secret=self.context.settings.riot_api_key,
            )
        except reports.ReportError as exc:
            raise JobConfigError(str(exc)) from None
        if not self.context.db.is_lake:  # a lake's runs may be on other machines
            _check_parameter_paths(self.job_config_id, self.settings.parameters)
        self.notebook = notebook.stem
        self.notebooks_dir = notebooks_dir
        self.output_dir = Path(self.settings.output_dir)
        _check_output_dir(self.output_dir)
        self.keep_last = self.settings.keep_last
        self.show_code = self.settings.show_code

    async def execute(self, db: Database) -> None:
        try:
            # A kernel deaf to the interrupt keeps its thread, and the job, busy until done.
            result = await self.in_thread(self._run_report, db)
        except reports.NotebookExecutionError as exc:
            self.details = self._failure_details(exc)
            raise
        except (reports.MissingDatabaseError, NotADatabaseError) as exc:
            given = (
                self.parameters.get("db_path") if "db_path" in self.settings.parameters else None
            )
            if given is None:
                raise
            # The advice of these errors names --db; here the job's own setting chose the file.
            missing = isinstance(exc, reports.MissingDatabaseError)
            advice = _parameter_advice(self.job_config_id, self.settings.parameters, "db_path")
            raise JobConfigError(
                f"The job's parameters.db_path names {given}, which "
                f"{'does not exist' if missing else 'is not a DuckDB database'}: give the "
                "path of a Smurf database there, or leave db_path out to read the "
                f"scheduler's own ({advice})."
            ) from None
        self.increment_metric("records_created", 2)
        made_on = result.parameters.get("db_path")
        removed = reports.prune_reports(
            self.output_dir,
            self.notebook,
            self.keep_last,
            db_path=made_on if isinstance(made_on, str) else None,
        )
        self.details = {
            "notebook": self.notebook,
            "executed_path": str(result.executed_path),
            "html_path": str(result.html_path),
            "removed_files": len(removed),
        }
        log.info("report.written", **self.details)

    def _run_report(self, db: Database) -> reports.ReportResult:
        stop = reports.ReportStop()
        with self.stopping_with(stop.request):
            return reports.run_report(
                self.notebook,
                self.parameters,
                out_dir=self.output_dir,
                db_path=db.path,
                notebooks_dir=self.notebooks_dir,
                execution_timeout_s=self.timeout_s,
                show_code=self.show_code,
                lock_timeout_s=db.lock_timeout_s,
                stop=stop,
            )

    def _failure_details(self, exc: reports.NotebookExecutionError) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "failed_cell": exc.cell_index,
            "failed_cell_source": exc.cell_first_line,
            "error": f"{exc.error_name}: {exc.error_value}",
            "executed_path": exc.output_path,
        }
