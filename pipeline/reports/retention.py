"""Retention: keep the newest ``keep_last`` reports of a notebook, remove the rest."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from pipeline.log import get_logger
from pipeline.reports.naming import recorded_parameters, reports_of

log = get_logger(__name__)

# A page being written is never this old (``html.export_html`` writes it in one go).
PARTIAL_PAGE_STALE_S = 3600.0


def prune_reports(
    out_dir: Path, notebook: str, keep_last: int, db_path: str | None = None
) -> list[Path]:
    """Keep the newest ``keep_last`` finished reports (those with their HTML page) and
    delete every file of all older reports; return what was removed.

    A report without its page (a failed run's notebook, or one a killed process left half
    written) does not count as one of those kept, so it never costs a finished one its
    place; it is removed once older than every report kept, and kept while newer (a recent
    failure to read). With ``db_path``, only reports whose executed notebook records that
    database count, and only they are removed: one folder may hold reports of several
    databases (the demo's, an analyst's), and a job keeping the last few of its own must
    leave those alone."""
    if keep_last < 0:
        raise ValueError(f"keep_last must be >= 0 (got {keep_last})")
    reports = [
        files
        for files in reports_of(out_dir, notebook).values()
        if db_path is None or recorded_parameters(files).get("db_path") == db_path
    ]
    finished = [i for i, files in enumerate(reports) if any(f.suffix == ".html" for f in files)]
    if keep_last == 0:
        doomed = reports
    elif len(finished) > keep_last:
        doomed = reports[: finished[-keep_last]]
    else:
        doomed = []
    removed: list[Path] = [*_stale_partial_pages(out_dir, notebook)]
    for files in doomed:
        for path in files:
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info("reports.pruned", notebook=notebook, reports=len(doomed), files=len(removed))
    return removed


def _stale_partial_pages(out_dir: Path, notebook: str) -> Iterator[Path]:
    """Remove the half-written pages a killed process left (``.<report>.html.partial``)."""
    if not out_dir.is_dir():
        return
    for path in out_dir.glob(f".{notebook}-*.html.partial"):
        if time.time() - path.stat().st_mtime > PARTIAL_PAGE_STALE_S:
            path.unlink(missing_ok=True)
            yield path
