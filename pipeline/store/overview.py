"""What the store holds at a glance: each job's recent activity, and row counts.

Read-only verbs for the monitoring API, ``smurf jobs status`` and the demo's live status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipeline.store.job_records import JobConfiguration, list_job_configs


@dataclass(frozen=True)
class LastExecution:
    id: int
    status: str
    created_at: datetime | None
    finished_at: datetime | None
    error_message: str | None


@dataclass(frozen=True)
class JobActivity:
    """One job configuration with its last execution, its run in progress and recent counts."""

    config: JobConfiguration
    last_execution: LastExecution | None = None
    # Every live run, oldest first: on a lake, runs of one job on other platforms run side
    # by side on several workers.
    running_execution_ids: tuple[int, ...] = ()
    counts_since: dict[str, int] = field(default_factory=dict)  # status -> executions

    @property
    def running_execution_id(self) -> int | None:
        """The newest live run (the one a single scheduler has)."""
        return self.running_execution_ids[-1] if self.running_execution_ids else None


@dataclass(frozen=True)
class DataCounts:
    """Rows of the main tables, and executions by job type and status."""

    matches: int = 0
    participants: int = 0
    players: int = 0
    scored_players: int = 0
    account_checks: int = 0
    api_requests: int = 0
    runs: list[tuple[str, str, int]] = field(default_factory=list)  # job type, status, count


def job_activity(con: duckdb.DuckDBPyConnection, *, since: datetime) -> list[JobActivity]:
    """Every job configuration with its activity; ``counts_since`` counts runs from ``since``."""
    last = {
        int(r[0]): LastExecution(int(r[1]), r[2], r[3], r[4], r[5])
        for r in con.execute(
            # The newest run's row, whole: arg_max per column would pass over its NULLs (a
            # run not finished, without an error) and show an older run's instead.
            "SELECT job_config_id, id, status, created_at, finished_at, error_message"
            " FROM job_executions"
            " QUALIFY row_number() OVER (PARTITION BY job_config_id ORDER BY id DESC) = 1"
        ).fetchall()
    }
    counts: dict[int, dict[str, int]] = {}
    for config_id, status, n in con.execute(
        "SELECT job_config_id, status, count(*) FROM job_executions"
        " WHERE created_at >= ? GROUP BY ALL",
        [since],
    ).fetchall():
        counts.setdefault(int(config_id), {})[str(status)] = int(n)
    running: dict[int, tuple[int, ...]] = {}
    for execution_id, config_id in con.execute(
        "SELECT id, job_config_id FROM job_executions WHERE status IN ('PENDING','RUNNING')"
        " ORDER BY id"
    ).fetchall():
        running[int(config_id)] = (*running.get(int(config_id), ()), int(execution_id))
    return [
        JobActivity(
            config, last.get(config.id), running.get(config.id, ()), counts.get(config.id, {})
        )
        for config in list_job_configs(con)
    ]


def data_counts(con: duckdb.DuckDBPyConnection) -> DataCounts:
    """Row counts of the main tables and executions by job type and status (one pass)."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM matches), (SELECT count(*) FROM match_participants),"
        " (SELECT count(*) FROM players), (SELECT count(DISTINCT puuid) FROM smurf_scores),"
        " (SELECT count(*) FROM account_checks),"
        " (SELECT coalesce(sum(api_requests_made), 0) FROM job_executions)"
    ).fetchone()
    runs = con.execute(
        "SELECT job_type, status, count(*) FROM job_executions GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    matches, participants, players, scored, checks, requests = (
        [int(v) for v in row] if row else [0] * 6
    )
    return DataCounts(
        matches,
        participants,
        players,
        scored,
        checks,
        requests,
        runs=[(str(t), str(s), int(n)) for t, s, n in runs],
    )
