"""Retention: keep the newest ``keep_last`` reports of a notebook, remove the rest."""

from __future__ import annotations

from pathlib import Path

from pipeline.log import get_logger
from pipeline.reports.naming import reports_of

log = get_logger(__name__)


def prune_reports(out_dir: Path, notebook: str, keep_last: int) -> list[Path]:
    """Delete every file of all but the newest ``keep_last`` reports; return what was removed."""
    if keep_last < 0:
        raise ValueError(f"keep_last must be >= 0 (got {keep_last})")
    reports = list(reports_of(out_dir, notebook).values())
    doomed = reports[: max(len(reports) - keep_last, 0)]
    removed: list[Path] = []
    for files in doomed:
        for path in files:
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info("reports.pruned", notebook=notebook, reports=len(doomed), files=len(removed))
    return removed
