"""Load match-v5 JSON files (or folders of them) into the database, idempotently.

A file holds one ``MatchDto`` (as ``getMatch`` returns it) or a JSON array of them. Files are
parsed with the database closed and written in batches, one transaction each, so another
process waits at most one batch for the file. A file that cannot be read or parsed is
reported with the reason and skipped; it never stops the rest.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import orjson

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.log import get_logger
from pipeline.store.connection import read, write
from pipeline.store.errors import MatchParseError
from pipeline.store.location import Location
from pipeline.store.migrate import check_schema
from pipeline.store.parser import ParsedMatch, parse_match
from pipeline.store.writers import WriteCounts, write_matches

log = get_logger(__name__)

DEFAULT_BATCH_SIZE = 500
_BOM = b"\xef\xbb\xbf"
# A match is ~70 KB of JSON: a file past this is no export of matches, and would be read whole.
MAX_FILE_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows created, files read, and the files rejected with why."""

    files_read: int = 0
    matches_created: int = 0
    participants_created: int = 0
    players_created: int = 0
    players_updated: int = 0
    rejected: list[tuple[Path, str]] = field(default_factory=list)
    # Files that gave no match to store (unreadable, not JSON, or every match in it broken).
    files_without_matches: int = 0
    # Matches read that the database already held (or that an earlier file of the import
    # held): a re-import creates nothing and says why.
    matches_already_stored: int = 0


@dataclass
class _Progress:
    files_read: int = 0
    files_without_matches: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    rejected: list[tuple[Path, str]] = field(default_factory=list)
    batch: list[tuple[Path, ParsedMatch]] = field(default_factory=list)
    matches_written: int = 0  # handed to the database, created or already there


def _not_a_match_file(path: Path) -> str | None:
    """Why ``path`` cannot hold matches to import (a device, a huge file), if it cannot."""
    try:
        info = path.stat()
    except OSError as exc:
        return f"cannot be read ({exc.__class__.__name__}: {exc})."
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device, a pipe or a socket): give match-v5 JSON files."
    if info.st_size > MAX_FILE_BYTES:
        return (
            f"is larger than {MAX_FILE_BYTES // 2**20} MiB ({info.st_size / 2**20:.0f} MiB): "
            "split it into files of fewer matches."
        )
    return None


def match_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Each file named, and every ``*.json`` below each folder named, in a stable order,
    each once (a file named twice, or also inside a folder named, is read once)."""
    seen: set[Path] = set()
    for path in paths:
        found = sorted(p for p in path.rglob("*.json") if p.is_file()) if path.is_dir() else [path]
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file


def import_paths(
    db_path: Location | str,
    paths: Sequence[Path],
    *,
    timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_file: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Import match-v5 JSON files and folders; ``on_file`` is called after each file."""
    with read(db_path, timeout_s=timeout_s) as con:
        check_schema(con, db_path)
    progress = _Progress()
    for path in match_files(paths):
        queued = len(progress.batch)
        _read_file(path, progress)
        if len(progress.batch) == queued:
            progress.files_without_matches += 1
        if len(progress.batch) >= batch_size:
            _flush(db_path, progress, timeout_s)
        if on_file is not None:
            on_file(path)
    _flush(db_path, progress, timeout_s)
    report = ImportReport(
        files_read=progress.files_read,
        matches_created=progress.counts.matches_created,
        participants_created=progress.counts.participants_created,
        players_created=progress.counts.players_created,
        players_updated=progress.counts.players_updated,
        rejected=progress.rejected,
        files_without_matches=progress.files_without_matches,
        matches_already_stored=progress.matches_written - progress.counts.matches_created,
    )
    # Debug: `smurf import-matches` prints the same counts, and an info line here landed in
    # the middle of its progress bar.
    log.debug(
        "import.finished",
        files_read=report.files_read,
        matches_created=report.matches_created,
        matches_already_stored=report.matches_already_stored,
        participants_created=report.participants_created,
        players_created=report.players_created,
        players_updated=report.players_updated,
        files_rejected=len(report.rejected),
    )
    return report


def _read_file(path: Path, progress: _Progress) -> None:
    refusal = _not_a_match_file(path)
    if refusal is not None:
        progress.rejected.append((path, refusal))
        return
    try:
        data = path.read_bytes()
        if data.startswith(_BOM):  # tolerate a byte-order mark
            data = data[len(_BOM) :]
        payload = orjson.loads(data)
    except OSError as exc:
        progress.rejected.append((path, f"cannot be read ({exc.__class__.__name__}: {exc})."))
        return
    except orjson.JSONDecodeError as exc:
        reason = (
            "cannot be read (it is not UTF-8 text)"
            if "utf-8" in str(exc).lower()
            else "is not valid JSON"
        )
        progress.rejected.append((path, f"{reason} ({exc})."))
        return
    progress.files_read += 1
    # One match per file keeps its exact bytes as raw JSON; an array is serialised per match.
    items = payload if isinstance(payload, list) else [payload]
    raw_json = data if not isinstance(payload, list) else None
    for number, item in enumerate(items, start=1):
        try:
            progress.batch.append((path, parse_match(item, raw_json=raw_json)))
        except MatchParseError as exc:
            # In an array, which element: several can fail the same way.
            where = f"element {number} of {len(items)}: " if isinstance(payload, list) else ""
            progress.rejected.append((path, f"{where}{exc}"))


def _flush(db_path: Location | str, progress: _Progress, timeout_s: float) -> None:
    batch, progress.batch = progress.batch, []
    if not batch:
        return
    try:
        progress.counts += _write(db_path, [parsed for _, parsed in batch], timeout_s)
        progress.matches_written += len(batch)
    except duckdb.Error:
        # Something in the batch upset the database: write match by match to find it.
        for path, parsed in batch:
            try:
                progress.counts += _write(db_path, [parsed], timeout_s)
                progress.matches_written += 1
            except duckdb.Error as exc:
                match_id = parsed.match["match_id"]
                progress.rejected.append((path, f"Match {match_id} was not stored: {exc}"))


def _write(db_path: Location | str, parsed: list[ParsedMatch], timeout_s: float) -> WriteCounts:
    with write(db_path, timeout_s=timeout_s) as con:
        check_schema(con, db_path)
        return write_matches(con, parsed)
