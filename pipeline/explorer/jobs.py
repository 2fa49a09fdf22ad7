"""The job monitor's queries: executions over time, requests, rate limits, failures."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from pipeline.store.location import LakeLocation, Location
from pipeline.store.players import riot_ids
from pipeline.words import counted


def executions(
    con: duckdb.DuckDBPyConnection, *, since: datetime, job_type: str | None = None
) -> pd.DataFrame:
    """Every execution started since ``since`` (optionally of one job type), with its duration."""
    return con.execute(
        """
        SELECT e.id, e.job_type, c.name AS job_name, e.status, e.trigger, e.created_at,
               e.started_at, e.finished_at,
               date_diff('millisecond', e.started_at, e.finished_at) / 1000.0 AS duration_s,
               e.api_requests_made, e.records_created, e.records_updated, e.error_message
        FROM job_executions e LEFT JOIN job_configurations c ON c.id = e.job_config_id
        WHERE coalesce(e.started_at, e.created_at) >= ?
          AND (?::VARCHAR IS NULL OR e.job_type = ?::VARCHAR)
        ORDER BY coalesce(e.started_at, e.created_at)
        """,
        [since, job_type or None, job_type or None],
    ).df()


# Bins of the executions-over-time chart, by how long the runs span: minutes up to two
# hours (a demo runs for minutes), hours up to two days, days beyond.
BIN_WIDTHS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
BIN_UP_TO = {"minute": timedelta(hours=2), "hour": timedelta(days=2)}
_FLOOR = {"minute": "min", "hour": "h", "day": "D"}


def runs_over_time(runs: pd.DataFrame) -> pd.DataFrame:
    """Executions per minute, hour or day (rows) by job type and status (columns).

    The bin follows how long the runs span (``BIN_UP_TO``); ``attrs["bin"]`` says which.
    """
    if runs.empty:
        frame = pd.DataFrame()
        frame.attrs["bin"] = "day"
        return frame
    at = pd.to_datetime(runs["started_at"].fillna(runs["created_at"]))
    span = at.max() - at.min()
    unit = next((u for u, longest in BIN_UP_TO.items() if span <= longest), "day")
    binned = at.dt.floor(_FLOOR[unit]).rename(unit)
    frame = pd.crosstab(binned, [runs["job_type"], runs["status"]])
    frame.attrs["bin"] = unit
    return frame


# Why a run stops RATE_LIMITED, said once above the table instead of in every row.
RATE_LIMITED_IN_WORDS = (
    "Not failures: a run stops when the shared rate-limit window is spent and waiting for it "
    "would pass the run's budget. What it fetched is committed and the next run resumes; a "
    "run stopped at once found the window already spent by earlier runs."
)


def rate_limited_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The RATE_LIMITED runs: how many requests each sent, when it stopped (at once, or
    after how many requests) and the limit it met (``RATE_LIMITED_IN_WORDS`` says why)."""
    limited = runs[runs["status"] == "RATE_LIMITED"]
    return pd.DataFrame(
        {
            "execution": limited["id"],
            "job": limited["job_type"],
            "started": _to_the_second(limited["started_at"]),
            "requests": limited["api_requests_made"],
            "stopped": [_stopped(int(n or 0)) for n in limited["api_requests_made"]],
            "message": limited["error_message"],
        }
    )


def _stopped(requests: int) -> str:
    if requests == 0:
        return "at once: the window was spent"
    return f"after {counted(requests, 'request', 'requests')}"


# A puuid as Riot issues it: 78 characters of URL-safe base64; one right after a "/" is part
# of a request's path, which was sent with the key and stays as it was.
PUUID = re.compile(r"(?<![A-Za-z0-9_/-])[A-Za-z0-9_-]{78}(?![A-Za-z0-9_-])")


def with_riot_ids(con: duckdb.DuckDBPyConnection, runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with each puuid in an error message replaced by the player's Riot ID, where
    the database knows it: a reader knows players by name, not by key."""
    messages = runs["error_message"].fillna("")
    found = sorted({m for text in messages for m in PUUID.findall(text)})
    if not found:
        return runs
    names = riot_ids(con, found)
    renamed = runs["error_message"].map(
        lambda text: (
            text
            if not isinstance(text, str)
            else PUUID.sub(lambda m: names.get(m.group(0), m.group(0)), text)
        )
    )
    return runs.assign(error_message=renamed)


def runs_per_day(runs: pd.DataFrame) -> pd.DataFrame:
    """Executions per day (rows) and job type/status (columns)."""
    if runs.empty:
        return pd.DataFrame()
    day = pd.to_datetime(runs["started_at"].fillna(runs["created_at"])).dt.floor("D")
    return pd.crosstab(day.rename("day"), [runs["job_type"], runs["status"]])


def job_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per job type: runs, failures, rate-limited runs, API requests, duration percentiles."""
    if runs.empty:
        return pd.DataFrame()
    grouped = runs.groupby("job_type")
    return pd.DataFrame(
        {
            "runs": grouped.size(),
            "failed": grouped["status"].apply(lambda s: int((s == "FAILED").sum())),
            "rate_limited": grouped["status"].apply(lambda s: int((s == "RATE_LIMITED").sum())),
            "api_requests": grouped["api_requests_made"].sum(),
            "records_created": grouped["records_created"].sum(),
            "median_duration_s": grouped["duration_s"].median().round(2),
            "p95_duration_s": grouped["duration_s"].quantile(0.95).round(2),
        }
    )


def summary_for_readers(summary: pd.DataFrame) -> pd.DataFrame:
    """``job_summary`` with headings in words, one row per job, every duration to two
    places (a table's numbers lose their trailing zeros: "5.1" read beside "3.43")."""
    durations = {
        column: [f"{v:,.2f}" if pd.notna(v) else "" for v in summary[column]]
        for column in ("median_duration_s", "p95_duration_s")
        if column in summary
    }
    return (
        summary.assign(**durations)
        .rename_axis("job")
        .rename(
            columns={
                "rate_limited": "rate limited",
                "api_requests": "API requests",
                "records_created": "records created",
                "median_duration_s": "median run (s)",
                "p95_duration_s": "95th percentile run (s)",
            }
        )
    )


def failed_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The FAILED runs among ``runs``: which, when (to the second) and the error."""
    failed = runs[runs["status"] == "FAILED"]
    return pd.DataFrame(
        {
            "execution": failed["id"],
            "job": failed["job_type"],
            "started": _to_the_second(failed["started_at"].fillna(failed["created_at"])),
            "error": failed["error_message"],
        }
    )


def logs_for_readers(logs: pd.DataFrame) -> pd.DataFrame:
    """``failed_run_logs`` as a reader reads them: the run, the time, the level, the
    event and its fields (the run's error is in the failed runs' table above)."""
    return pd.DataFrame(
        {
            "execution": logs["execution_id"],
            "job": logs["job_type"],
            "logged": _to_the_second(logs["logged_at"]),
            "level": logs["level"],
            "event": logs["event"],
            "details": logs["fields"],
        }
    )


def _to_the_second(times: pd.Series) -> pd.Series:
    return pd.to_datetime(times).dt.strftime("%Y-%m-%d %H:%M:%S")


def failed_run_logs(
    con: duckdb.DuckDBPyConnection,
    *,
    since: datetime,
    until: datetime | None = None,
    job_type: str | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """The captured log lines of failed executions from ``since`` to ``until`` (None: now),
    of one job type (None: every job), newest run first."""
    return con.execute(
        """
        SELECT e.id AS execution_id, e.job_type, e.error_message, l.seq, l.logged_at,
               l.level, l.event, l.fields
        FROM job_executions e JOIN job_execution_logs l ON l.execution_id = e.id
        WHERE e.status = 'FAILED' AND coalesce(e.started_at, e.created_at) >= $since
          AND ($until::TIMESTAMP IS NULL OR coalesce(e.started_at, e.created_at) <= $until)
          AND ($job_type::VARCHAR IS NULL OR e.job_type = $job_type)
        ORDER BY e.id DESC, l.seq
        LIMIT $limit
        """,
        {"since": since, "until": until, "job_type": job_type, "limit": limit},
    ).df()


def ended_runs_note(con: duckdb.DuckDBPyConnection, location: Location) -> str | None:
    """Markdown naming the runs recorded RUNNING or PENDING whose process has ended (a
    kill -9, a crash), which the tables and plot show as recorded; None when there are
    none, or on a lake (its runs may be on other machines)."""
    from pipeline.store import job_records as records

    if isinstance(location, LakeLocation):
        return None
    gone = records.runs_whose_process_ended(con)
    if not gone:
        return None
    rows = con.execute(
        "SELECT id, status FROM job_executions WHERE id IN (SELECT unnest(?)) ORDER BY id",
        [list(gone)],
    ).fetchall()
    said = "; ".join(records.process_ended_text(i, status, gone[i]) for i, status in rows)
    return f"**Note:** {said[0].upper()}{said[1:]}"
