"""Report file names: ``<notebook>-<UTC time>`` so they sort by time and never collide."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from pipeline.workspace import utc_time

_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_STAMP = r"(\d{8}T\d{6}Z)(?:-(\d+))?"


def report_stem(notebook: str, at: datetime) -> str:
    """The file name (without suffix) of a report of ``notebook`` made at ``at``."""
    return f"{notebook}-{at.astimezone(UTC).strftime(_STAMP_FORMAT)}"


def free_stem(out_dir: Path, notebook: str, at: datetime) -> str:
    """A stem no existing report in ``out_dir`` uses (two runs in one second get -2, -3...)."""
    base = report_stem(notebook, at)
    stem, n = base, 1
    while any(out_dir.glob(f"{stem}.*")) or any(out_dir.glob(f"{stem}-*")):
        n += 1
        stem = f"{base}-{n}"
    return stem


def stamp_of(path: Path, notebook: str) -> tuple[datetime, int] | None:
    """When the report at ``path`` was made (and its collision number), if it is one."""
    match = re.match(rf"^{re.escape(notebook)}-{_STAMP}", path.name)
    if match is None:
        return None
    at = datetime.strptime(match.group(1), _STAMP_FORMAT).replace(tzinfo=UTC)
    return at, int(match.group(2) or 1)


def reports_of(out_dir: Path, notebook: str) -> dict[str, list[Path]]:
    """The files of each report of ``notebook`` in ``out_dir``, by stem, oldest first."""
    found: dict[tuple[datetime, int], list[Path]] = {}
    if out_dir.is_dir():
        for path in out_dir.iterdir():
            stamp = stamp_of(path, notebook)
            if stamp is not None and path.is_file():
                found.setdefault(stamp, []).append(path)
    return {_stem_for(notebook, *stamp): sorted(files) for stamp, files in sorted(found.items())}


def last_report_time(out_dir: Path, notebook: str, db_path: str | None = None) -> datetime | None:
    """When the newest finished report (one with its HTML) of ``notebook`` stood, if any;
    with ``db_path``, the newest made on that database.

    A run that failed leaves a partly executed notebook but no HTML; it does not count. A
    report whose executed notebook names another ``db_path`` among its parameters does not
    either (one folder may hold reports of several databases); one that names none does.
    Nor does a report of another time (an ``as_of`` given by its user): the window of news
    goes on from the last report of its time. The time is the ``as_of`` the runner gave the
    report (the moment it started, to the microsecond) as papermill recorded it, else (a
    report without recorded parameters) the second its file name says.
    """
    # Newest first, reading back only as far as the first report made on ``db_path``.
    for stem, files in reversed(reports_of(out_dir, notebook).items()):
        stamp = stamp_of(Path(stem), notebook)
        if stamp is None or not any(f.suffix == ".html" for f in files):
            continue
        recorded = recorded_parameters(files)
        made_on = recorded.get("db_path")
        if db_path is not None and isinstance(made_on, str) and made_on and made_on != db_path:
            continue
        as_of = _recorded_time(recorded.get("as_of"))
        if as_of is None:
            return stamp[0]
        if as_of.replace(microsecond=0) != stamp[0]:
            continue  # a report of another time
        return as_of
    return None


def recorded_parameters(files: list[Path]) -> dict[str, object]:
    """The parameters papermill recorded in the executed notebook among ``files`` (none when
    there is no notebook or it cannot be read)."""
    for path in files:
        if path.suffix != ".ipynb":
            continue
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
            recorded = notebook["metadata"]["papermill"]["parameters"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        return recorded if isinstance(recorded, dict) else {}
    return {}


def _recorded_time(as_of: object) -> datetime | None:
    """A recorded ``as_of`` as an aware UTC time; None when none (or none readable) was."""
    try:
        at = utc_time(as_of, "as_of") if isinstance(as_of, str) else None
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at is not None else None


def _stem_for(notebook: str, at: datetime, n: int) -> str:
    base = report_stem(notebook, at)
    return base if n == 1 else f"{base}-{n}"
