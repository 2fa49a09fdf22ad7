"""Retention: keep the newest ``keep_last`` reports of a notebook, remove the rest."""

from __future__ import annotations

from pathlib import Path

from pipeline.log import get_logger
from pipeline.reports.naming import recorded_parameters, reports_of

log = get_logger(__name__)


def prune_reports(
    out_dir: Path, notebook: str, keep_last: int, db_path: str | None = None
) -> list[Path]:
    """Delete every file of all but the newest ``keep_last`` reports; return what was removed.

    With ``db_path``, only reports whose executed notebook records that database count, and
    only they are removed: one folder may hold reports of several databases (the demo's, an
    analyst's), and a job keeping the last few of its own must leave those alone."""
    if keep_last < 0:
        raise ValueError(f"keep_last must be >= 0 (got {keep_last})")
    reports = [
        files
        for files in reports_of(out_dir, notebook).values()
        if db_path is None or recorded_parameters(files).get("db_path") == db_path
    ]
    doomed = reports[: max(len(reports) - keep_last, 0)]
    removed: list[Path] = []
    for files in doomed:
        for path in files:
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info("reports.pruned", notebook=notebook, reports=len(doomed), files=len(removed))
    return removed
