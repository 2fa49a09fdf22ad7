"""Report file names and retention: timestamped, collision-free, newest kept."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.reports import last_report_time, prune_reports, reports_of
from pipeline.reports.naming import free_stem, report_stem

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def _make_report(out_dir: Path, stem: str, suffixes: tuple[str, ...] = (".ipynb", ".html")) -> None:
    for suffix in suffixes:
        (out_dir / f"{stem}{suffix}").write_text("x")


def test_report_stem_is_the_notebook_and_the_utc_time() -> None:
    """A report is named <notebook>-<YYYYMMDDTHHMMSSZ>, in UTC whatever the input zone."""
    assert report_stem("01-smurf-report", AT) == "01-smurf-report-20260304T050607Z"
    plus_two = AT.astimezone(timezone(timedelta(hours=2)))
    assert report_stem("nb", plus_two) == "nb-20260304T050607Z"


def test_free_stem_numbers_reports_made_in_the_same_second(tmp_path: Path) -> None:
    """Two reports in one second do not overwrite each other: the second gets -2."""
    _make_report(tmp_path, "nb-20260304T050607Z")
    assert free_stem(tmp_path, "nb", AT) == "nb-20260304T050607Z-2"
    _make_report(tmp_path, "nb-20260304T050607Z-2")
    assert free_stem(tmp_path, "nb", AT) == "nb-20260304T050607Z-3"


def test_reports_of_groups_files_by_report_oldest_first(tmp_path: Path) -> None:
    """Every file of a report (ipynb, html, csv) is grouped under its stem; others are ignored."""
    _make_report(tmp_path, "nb-20260304T050607Z", (".ipynb", ".html", "-suspects.csv"))
    _make_report(tmp_path, "nb-20260101T000000Z")
    _make_report(tmp_path, "other-20260101T000000Z")
    (tmp_path / "notes.txt").write_text("keep me")
    found = reports_of(tmp_path, "nb")
    assert list(found) == ["nb-20260101T000000Z", "nb-20260304T050607Z"]
    assert len(found["nb-20260304T050607Z"]) == 3


def test_last_report_time_is_the_newest_reports_time(tmp_path: Path) -> None:
    """The previous report's time comes from the newest report's name; None when there is none."""
    assert last_report_time(tmp_path, "nb") is None
    _make_report(tmp_path, "nb-20260101T000000Z")
    _make_report(tmp_path, "nb-20260304T050607Z")
    assert last_report_time(tmp_path, "nb") == AT


EARLIER = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # The runner's own as_of, within the second of the file name: read to the microsecond.
        ("2026-03-04T05:06:07.534000", AT.replace(microsecond=534_000)),
        ("2026-03-04T06:06:07.534+01:00", AT.replace(microsecond=534_000)),
        # A report of another time (as_of given by its user) does not end the window: the
        # report before it does.
        ("2026-03-01T00:00:00", EARLIER),
        # No as_of recorded, or none readable: the time the file name says.
        ("not a time", AT),
        (None, AT),
    ],
)
def test_last_report_time_reads_the_runners_as_of_to_the_microsecond(
    tmp_path: Path, as_of: str | None, expected: datetime
) -> None:
    """A report that started at 05:06:07.534 stood there, not at 05:06:07: a score written in
    between was in it, so the next report's window starts after it."""
    _make_report(tmp_path, "nb-20260301T120000Z")
    _make_report(tmp_path, "nb-20260304T050607Z")
    recorded = {"db_path": "/data/a.duckdb"} | ({"as_of": as_of} if as_of else {})
    (tmp_path / "nb-20260304T050607Z.ipynb").write_text(
        json.dumps({"metadata": {"papermill": {"parameters": recorded}}})
    )
    assert last_report_time(tmp_path, "nb", "/data/a.duckdb") == expected
    # The older report records no database: it counts for any; the newer one only for its.
    assert last_report_time(tmp_path, "nb", "/data/b.duckdb") == EARLIER


def test_a_failed_report_is_not_the_last_report(tmp_path: Path) -> None:
    """A newer run that failed (notebook written, no HTML) does not move `since` forward."""
    _make_report(tmp_path, "nb-20260304T050607Z")
    _make_report(tmp_path, "nb-20260305T000000Z", (".ipynb",))
    assert last_report_time(tmp_path, "nb") == AT


@pytest.mark.parametrize(("keep_last", "kept"), [(0, 0), (1, 1), (2, 2), (5, 3)])
def test_prune_reports_keeps_the_newest(tmp_path: Path, keep_last: int, kept: int) -> None:
    """Reports beyond keep_last are removed oldest first, with all their files."""
    stems = [f"nb-2026010{d}T000000Z" for d in (1, 2, 3)]
    for stem in stems:
        _make_report(tmp_path, stem, (".ipynb", ".html", "-suspects.csv"))
    _make_report(tmp_path, "other-20250101T000000Z")
    removed = prune_reports(tmp_path, "nb", keep_last)
    assert stems[len(stems) - kept :] == list(reports_of(tmp_path, "nb"))
    assert 3 * (3 - kept) == len(removed)
    assert (tmp_path / "other-20250101T000000Z.html").exists()


def test_a_report_without_its_page_never_costs_a_finished_one_its_place(
    tmp_path: Path,
) -> None:
    """Keeping 2, with a half-written notebook (a killed run) between two finished reports:
    both finished ones stay (the leftover was counted, and the older finished one deleted).
    Once older than every report kept, the leftover goes; a newer failed run's notebook
    stays to be read."""
    _make_report(tmp_path, "nb-20260101T000000Z")
    _make_report(tmp_path, "nb-20260102T000000Z", (".ipynb",))  # killed mid-notebook
    _make_report(tmp_path, "nb-20260103T000000Z")
    assert prune_reports(tmp_path, "nb", 2) == []
    _make_report(tmp_path, "nb-20260104T000000Z")
    _make_report(tmp_path, "nb-20260105T000000Z", (".ipynb",))  # a failed run, the newest
    removed = prune_reports(tmp_path, "nb", 2)
    assert sorted(p.name for p in removed) == [
        "nb-20260101T000000Z.html",
        "nb-20260101T000000Z.ipynb",
        "nb-20260102T000000Z.ipynb",
    ]
    assert list(reports_of(tmp_path, "nb")) == [
        "nb-20260103T000000Z",
        "nb-20260104T000000Z",
        "nb-20260105T000000Z",
    ]


def test_a_page_left_half_written_goes_once_stale(tmp_path: Path) -> None:
    """A killed process may leave a page's temporary file; pruning removes it once it is
    older than any page takes to write, and leaves one that may still be being written."""
    import os

    _make_report(tmp_path, "nb-20260101T000000Z")
    stale, fresh = tmp_path / ".nb-20260102T000000Z.html.partial", tmp_path / ".nb-x.html.partial"
    for path in (stale, fresh):
        path.write_text("<html><body>half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert prune_reports(tmp_path, "nb", 5) == [stale]
    assert fresh.exists() and (tmp_path / "nb-20260101T000000Z.html").exists()


def test_prune_reports_rejects_a_negative_count(tmp_path: Path) -> None:
    """keep_last below zero is a mistake, not 'keep everything'."""
    with pytest.raises(ValueError, match="keep_last"):
        prune_reports(tmp_path, "nb", -1)


def test_pruning_for_one_database_leaves_other_databases_reports(tmp_path: Path) -> None:
    """A job keeping its last reports counts and removes only those made on its database:
    the demo's report, or an analyst's of another database, in the same folder stays."""

    def report(stem: str, db: str | None) -> None:
        _make_report(tmp_path, stem)
        recorded = {"db_path": db} if db else {}
        (tmp_path / f"{stem}.ipynb").write_text(
            json.dumps({"metadata": {"papermill": {"parameters": recorded}}})
        )

    report("nb-20260101T000000Z", "/data/demo.duckdb")
    report("nb-20260102T000000Z", "/data/smurf.duckdb")
    report("nb-20260103T000000Z", "/data/other.duckdb")
    report("nb-20260104T000000Z", "/data/smurf.duckdb")
    report("nb-20260105T000000Z", None)
    report("nb-20260106T000000Z", "/data/smurf.duckdb")
    removed = prune_reports(tmp_path, "nb", 1, db_path="/data/smurf.duckdb")
    assert sorted(p.name for p in removed) == [
        "nb-20260102T000000Z.html",
        "nb-20260102T000000Z.ipynb",
        "nb-20260104T000000Z.html",
        "nb-20260104T000000Z.ipynb",
    ]
    assert list(reports_of(tmp_path, "nb")) == [
        "nb-20260101T000000Z",
        "nb-20260103T000000Z",
        "nb-20260105T000000Z",
        "nb-20260106T000000Z",
    ]
