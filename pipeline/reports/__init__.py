"""Reports: run the notebooks in ``notebooks/`` with papermill and export them to HTML.

Public surface::

    run_report(name, parameters, out_dir=..., db_path=...)  -> ReportResult
    declared_parameters(notebook), parse_assignments(pairs), check_parameters(...)
    available_notebooks(), find_notebook(name), prune_reports(out_dir, notebook, keep_last)
"""

from pipeline.reports.errors import (
    KernelDiedError,
    MissingDatabaseError,
    NotebookExecutionError,
    NotebookNotFoundError,
    OutputFolderError,
    ParameterChoiceError,
    ParameterError,
    ParameterOrderError,
    ParameterPathError,
    ParameterRangeError,
    ParameterTimeError,
    ParameterTypeError,
    ReportError,
    ReportStoppedError,
    UnknownParameterError,
)
from pipeline.reports.naming import last_report_time, reports_of
from pipeline.reports.parameters import (
    DeclaredParameter,
    check_parameters,
    declared_parameters,
    parse_assignments,
)
from pipeline.reports.retention import prune_reports
from pipeline.reports.runner import (
    DEFAULT_NOTEBOOK,
    DEFAULT_OUT_DIR,
    ReportResult,
    run_report,
)
from pipeline.reports.sources import NOTEBOOKS_DIR, available_notebooks, find_notebook
from pipeline.reports.stopping import ReportStop

__all__ = [
    "DEFAULT_NOTEBOOK",
    "DEFAULT_OUT_DIR",
    "NOTEBOOKS_DIR",
    "DeclaredParameter",
    "KernelDiedError",
    "MissingDatabaseError",
    "NotebookExecutionError",
    "NotebookNotFoundError",
    "OutputFolderError",
    "ParameterChoiceError",
    "ParameterError",
    "ParameterOrderError",
    "ParameterPathError",
    "ParameterRangeError",
    "ParameterTimeError",
    "ParameterTypeError",
    "ReportError",
    "ReportResult",
    "ReportStop",
    "ReportStoppedError",
    "UnknownParameterError",
    "available_notebooks",
    "check_parameters",
    "declared_parameters",
    "find_notebook",
    "last_report_time",
    "parse_assignments",
    "prune_reports",
    "reports_of",
    "run_report",
]
