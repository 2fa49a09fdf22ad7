"""Run a notebook as a report: check its parameters, execute it, export it to HTML.

``run_report`` reads like the recipe it is::

    find the notebook -> check the parameters -> fill in the defaults the runner knows
    -> execute with papermill -> export HTML -> return the paths
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from math import ceil
from pathlib import Path
from typing import Any

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.log import get_logger
from pipeline.reports.errors import (
    KernelDiedError,
    MissingDatabaseError,
    NotebookExecutionError,
    OutputFolderError,
    ParameterPathError,
    ReportStoppedError,
)
from pipeline.reports.html import INJECTED_TAG, export_html
from pipeline.reports.kernel import KernelWatch, ReportKernelManager
from pipeline.reports.naming import free_stem, last_report_time
from pipeline.reports.parameters import DeclaredParameter, check_parameters, declared_parameters
from pipeline.reports.sources import KERNEL_NAME, NOTEBOOKS_DIR, find_notebook, load_notebook
from pipeline.reports.stopping import ReportStop
from pipeline.store import check_schema, current_version, read
from pipeline.store.location import Location, is_lake_url, refuse_directory
from pipeline.workspace import utc_time

log = get_logger(__name__)

DEFAULT_NOTEBOOK = "01-smurf-report"
DEFAULT_OUT_DIR = Path("data/reports")

# Parameters holding file paths: made absolute, since the kernel may run elsewhere.
_PATH_PARAMETERS = ("db_path", "csv_path")
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


@dataclass(frozen=True)
class ReportResult:
    """The files one report run produced."""

    notebook: str
    executed_path: Path
    html_path: Path
    parameters: dict[str, object] = field(default_factory=dict)


def run_report(
    name: str = DEFAULT_NOTEBOOK,
    parameters: Mapping[str, object] | None = None,
    *,
    out_dir: Path = DEFAULT_OUT_DIR,
    db_path: Location | None = None,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    now: datetime | None = None,
    execution_timeout_s: float | None = 1800.0,
    show_code: bool = False,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    stop: ReportStop | None = None,
    secret: str | None = None,
) -> ReportResult:
    """Execute notebook ``name`` with ``parameters`` into ``out_dir``; return its files.

    ``db_path`` is the database the notebook reads unless ``parameters`` names another;
    ``lock_timeout_s`` is how long the runner (and a notebook that declares the parameter)
    waits for another program holding it. The HTML page hides the code unless
    ``show_code``. Raises ``ParameterError`` before anything runs, and
    ``NotebookExecutionError`` (naming
    the failing cell) after the partly executed notebook has been written. ``stop``, asked
    from another thread, interrupts the kernel; the run then removes what it wrote and
    raises ``ReportStoppedError``. A parameter holding ``secret`` (the API key) is refused.
    """
    at = now or datetime.now(UTC)
    notebook = find_notebook(name, notebooks_dir)
    declared = declared_parameters(notebook)
    checked = check_parameters(notebook, parameters or {}, declared, now=at, secret=secret)
    out_dir = out_dir.resolve()
    stem = free_stem(out_dir, notebook.stem, at)
    final = _with_runner_defaults(
        checked, declared, out_dir, stem, notebook.stem, db_path, lock_timeout_s, at
    )
    # Before any folder is made for a report; the product's notebooks read its tables.
    ours = notebook.parent.resolve() == NOTEBOOKS_DIR.resolve()
    _require_database(final, lock_timeout_s, needs_schema=ours)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(out_dir, exc.strerror or str(exc)) from None
    _require_writable_files(final)
    executed = out_dir / f"{stem}.ipynb"
    # Files the notebook writes where the runner told it to (a stopped run removes them).
    named = [Path(str(final[n])) for n in OUTPUT_PARAMETERS if n in final and n not in checked]
    log.info("report.started", notebook=notebook.stem, output=str(executed))
    try:
        execute_notebook(
            notebook, executed, final, execution_timeout_s=execution_timeout_s, stop=stop
        )
        html = export_html(executed, show_code=show_code)
    except Exception:
        # Whatever a stop ended with (an interrupted cell, a kernel that died of it, the
        # next cell refused), the run was recorded as stopped and keeps nothing.
        _discard_if_stopped(stop, notebook.stem, executed, *named)
        raise
    except BaseException:
        # Ctrl-C or SIGTERM at any point, the page half written included: half a report
        # (a notebook without its page, a CSV without either) is no report.
        for path in (executed, executed.with_suffix(".html"), *named):
            path.unlink(missing_ok=True)
        log.info("report.interrupted", notebook=notebook.stem)
        raise
    _discard_if_stopped(stop, notebook.stem, executed, html, *named)
    log.info("report.finished", notebook=notebook.stem, output=str(executed), html=str(html))
    return ReportResult(notebook.stem, executed, html, final)


def _discard_if_stopped(stop: ReportStop | None, notebook: str, *files: Path) -> None:
    """A stopped run keeps no file: the run was recorded as stopped, with no report."""
    if stop is None or not stop.requested:
        return
    for path in files:
        path.unlink(missing_ok=True)
    log.info("report.stopped", notebook=notebook, removed=[str(path) for path in files])
    raise ReportStoppedError(notebook) from None


def _with_runner_defaults(
    given: dict[str, object],
    declared: Mapping[str, DeclaredParameter],
    out_dir: Path,
    stem: str,
    notebook: str,
    db_path: Location | None,
    lock_timeout_s: float,
    now: datetime,
) -> dict[str, object]:
    """Fill the parameters only the runner knows (database, CSV path, previous report).

    ``since`` is the time of the previous report on the same database, only when that is
    before ``as_of`` (``now`` when empty): a report of an earlier time keeps the notebook's
    own default. An empty ``as_of`` becomes ``now``, the moment the report started.
    """
    final = dict(given)
    if "db_path" in declared and "db_path" not in final and db_path is not None:
        final["db_path"] = str(db_path)
    if "lock_timeout_s" in declared and "lock_timeout_s" not in final:
        final["lock_timeout_s"] = lock_timeout_s
    if "csv_path" in declared and "csv_path" not in final:
        final["csv_path"] = str(out_dir / f"{stem}-suspects.csv")
    for name in _PATH_PARAMETERS:
        value = final.get(name)
        if isinstance(value, str) and value and not is_lake_url(value):
            final[name] = str(Path(value).expanduser().resolve())
    if "since" in declared and "since" not in final:
        read_from = final.get("db_path")
        previous = last_report_time(
            out_dir, notebook, read_from if isinstance(read_from, str) else None
        )
        if previous is not None and _naive_utc(previous) < _as_of(final, now):
            final["since"] = _naive_utc(previous).isoformat()
    if "as_of" in declared and not final.get("as_of"):
        # The report stands at the moment it started, to the microsecond, and the next
        # report's ``since`` reads it back from this one's recorded parameters: a score
        # written before the start is this report's, one written after it the next one's
        # news, never both and never neither. (The file name's second alone would leave out
        # a scoring finished earlier in that second, as the demo's last one often is.)
        final["as_of"] = _naive_utc(now).isoformat()
    return final


def _as_of(parameters: Mapping[str, object], now: datetime) -> datetime:
    """The time a report stands at, naive UTC: its ``as_of`` when given and a time, else
    ``now``."""
    try:
        given = utc_time(str(parameters.get("as_of") or ""))
    except ValueError:
        given = None
    return given or _naive_utc(now)


def _naive_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


# Parameters naming a file the notebook writes.
OUTPUT_PARAMETERS = ("csv_path",)


def _require_writable_files(parameters: Mapping[str, object]) -> None:
    """Refuse, before a kernel starts, a file the notebook would write into a folder that
    does not exist, or onto a folder: the notebook would run to its last cell to fail."""
    for name in OUTPUT_PARAMETERS:
        value = parameters.get(name)
        if not isinstance(value, str) or not value:
            continue
        path = Path(value)
        if path.is_dir():
            raise ParameterPathError(name, path, "which is a folder")
        if not path.parent.is_dir():
            raise ParameterPathError(name, path, f"whose folder {path.parent} does not exist")


def _require_database(
    parameters: Mapping[str, object], lock_timeout_s: float, *, needs_schema: bool
) -> None:
    """Fail before starting a kernel when the notebook's database is missing, or holds this
    product's schema at a version other than this release's (``needs_schema``: none at
    all, for the product's own notebooks, which read its tables)."""
    db_path = parameters.get("db_path")
    if not isinstance(db_path, str) or not db_path:
        return
    if not is_lake_url(db_path):
        refuse_directory(Path(db_path))
        if not Path(db_path).is_file():
            raise MissingDatabaseError(db_path)
    # A newer release may have changed what the tables mean, and an older database lacks
    # what the notebooks read: refuse with what to do rather than fail in a cell. A file with
    # no schema of ours is left to a notebook of the user's (it may read any DuckDB file).
    with read(db_path, timeout_s=lock_timeout_s) as con:
        if needs_schema or current_version(con) > 0:
            check_schema(con, db_path)


def execute_notebook(
    notebook: Path,
    output: Path,
    parameters: Mapping[str, object],
    *,
    execution_timeout_s: float | None = None,
    stop: ReportStop | None = None,
) -> None:
    """Run ``notebook`` with papermill into ``output``; a failing cell raises a clear error.
    ``stop`` can interrupt the kernel from another thread."""
    # papermill, nbformat and nbconvert take seconds to import: only when a report runs.
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    running: dict[str, Any] = {}  # the cell that runs (papermill's count, its source)

    def stop_before_the_next_cell(**hook: Any) -> None:
        running.update(index=hook.get("cell_index"), source=getattr(hook.get("cell"), "source", ""))
        # An interrupt that reaches an idle kernel (between cells, or before the first) is
        # lost: the next cell does not start either.
        if stop is not None and stop.requested:
            raise ReportStoppedError(notebook.stem)

    watch = KernelWatch()
    try:
        papermill.execute_notebook(
            load_notebook(notebook),
            str(output),
            parameters=dict(parameters),
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            # nbclient counts its timeout in whole seconds (a float is refused).
            execution_timeout=None if execution_timeout_s is None else ceil(execution_timeout_s),
            kernel_manager_class=ReportKernelManager.for_run(stop, watch),
            on_cell_start=stop_before_the_next_cell,
            on_cell_execute=(lambda **_: stop.kernel_ready()) if stop else None,
        )
    except PapermillExecutionError as exc:
        raise NotebookExecutionError(
            notebook.stem,
            _source_cell_index(output, exc),
            _first_line(exc.source),
            exc.ename,
            exc.evalue,
            str(output),
        ) from None
    except DeadKernelError:
        raise KernelDiedError(
            notebook.stem,
            _without_injected(output, int(running.get("index") or 0)),
            _first_line(running.get("source")),
            str(output),
            watch.ended(),
            watch.last_words(),
        ) from None
    finally:
        watch.close()


def _source_cell_index(output: Path, exc: Any) -> int:
    """The failing cell's position in the source notebook (papermill injects a cell)."""
    return _without_injected(output, int(exc.cell_index))


def _without_injected(output: Path, index: int) -> int:
    """A cell's position in the source notebook from its position among the executed
    notebook's cells, which count the injected-parameters cell but not the error banners
    papermill adds afterwards."""
    import nbformat

    try:
        cells = nbformat.read(str(output), as_version=4).cells  # type: ignore[no-untyped-call]
    except (OSError, ValueError):
        return index
    executed = [c for c in cells if _PAPERMILL_ERROR_TAG not in _tags(c)]
    return index - sum(1 for c in executed[:index] if INJECTED_TAG in _tags(c))


def _first_line(source: object) -> str:
    lines = [line for line in str(source or "").splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))
