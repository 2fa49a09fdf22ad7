"""Report file names: ``<notebook>-<UTC time>`` so they sort by time and never collide."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

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
    """When the newest finished report (one with its HTML) of ``notebook`` was made, if any;
    with ``db_path``, the newest made on that database.

    A run that failed leaves a partly executed notebook but no HTML; it does not count. A
    report whose executed notebook names another ``db_path`` among its parameters does not
    either (one folder may hold reports of several databases); one that names none does.
    """
    # Newest first, reading back only as far as the first report made on ``db_path``.
    for stem, files in reversed(reports_of(out_dir, notebook).items()):
        if any(f.suffix == ".html" for f in files) and (
            db_path is None or _made_on(files, db_path)
        ):
            stamp = stamp_of(Path(stem), notebook)
            return stamp[0] if stamp else None
    return None


def _made_on(files: list[Path], db_path: str) -> bool:
    """Whether the report of ``files`` read ``db_path``, as papermill recorded its
    parameters in the executed notebook (True when it recorded none, or cannot be read)."""
    for path in files:
        if path.suffix != ".ipynb":
            continue
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
            recorded = notebook["metadata"]["papermill"]["parameters"]["db_path"]
        except (OSError, ValueError, KeyError, TypeError):
            return True
        return not isinstance(recorded, str) or not recorded or recorded == db_path
    return True


def _stem_for(notebook: str, at: datetime, n: int) -> str:
    base = report_stem(notebook, at)
    return base if n == 1 else f"{base}-{n}"
