"""What the job overview (API, `jobs status`, the job monitor) says about a job's last run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pipeline.store import read, write
from pipeline.store.overview import job_activity


def test_the_last_run_is_shown_whole_not_pieced_from_older_runs(db_path: Path) -> None:
    """The newest run is running (no finish time, no error) after a run that failed and one
    that succeeded: the overview shows its own blanks, not the older runs' values."""
    with write(db_path) as con:
        config_id = con.execute(
            "SELECT id FROM job_configurations WHERE job_type = 'MATCH_FETCHER'"
        ).fetchone()[0]
        runs = [
            ("FAILED", datetime(2026, 1, 1, 10), "Rate limited during fetch player matches"),
            ("SUCCESS", datetime(2026, 1, 1, 11), None),
            ("RUNNING", None, None),
        ]
        for status, finished_at, error in runs:
            con.execute(
                "INSERT INTO job_executions (job_config_id, job_type, status, created_at,"
                " finished_at, error_message, correlation_id)"
                " VALUES (?, 'MATCH_FETCHER', ?, now()::TIMESTAMP, ?, ?, 'c')",
                [config_id, status, finished_at, error],
            )
        newest = con.execute("SELECT max(id) FROM job_executions").fetchone()[0]
    with read(db_path) as con:
        activity = {a.config.id: a for a in job_activity(con, since=datetime(2000, 1, 1))}
    last = activity[config_id].last_execution
    assert last is not None
    assert (last.id, last.status, last.finished_at, last.error_message) == (
        newest,
        "RUNNING",
        None,
        None,
    )
    assert activity[config_id].counts_since == {"FAILED": 1, "SUCCESS": 1, "RUNNING": 1}
