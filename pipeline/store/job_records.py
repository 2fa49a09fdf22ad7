"""Job-facing queries: configurations, executions and their captured log lines.

Plain functions over a DuckDB connection; the caller decides the transaction (a
``Database.write()`` block). Timestamps are naive UTC.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from pipeline.store.lake_schema import next_id

# The most executions one page shows, in the API and `smurf jobs executions` alike.
MAX_EXECUTIONS_PAGE = 500


def utcnow() -> datetime:
    """Now, as the naive UTC timestamp the schema stores."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class JobConfiguration:
    id: int
    job_type: str
    name: str
    schedule: str
    is_active: bool
    config_json: Any  # parsed JSON; validated by the job's _load_configuration()
    updated_at: datetime | None = None


_CONFIG_COLUMNS = "id, job_type, name, schedule, is_active, config_json, updated_at"


def _config_from_row(row: Sequence[Any]) -> JobConfiguration:
    raw = row[5]
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        parsed = raw  # kept as text: the job's validation reports it clearly
    return JobConfiguration(row[0], row[1], row[2], row[3], bool(row[4]), parsed, row[6])


def list_job_configs(con: duckdb.DuckDBPyConnection) -> list[JobConfiguration]:
    rows = con.execute(f"SELECT {_CONFIG_COLUMNS} FROM job_configurations ORDER BY id").fetchall()
    return [_config_from_row(r) for r in rows]


def get_job_config(con: duckdb.DuckDBPyConnection, config_id: int) -> JobConfiguration | None:
    row = con.execute(
        f"SELECT {_CONFIG_COLUMNS} FROM job_configurations WHERE id = ?", [config_id]
    ).fetchone()
    return _config_from_row(row) if row else None


def find_job_configs(con: duckdb.DuckDBPyConnection, id_or_type: str) -> list[JobConfiguration]:
    """Configurations matching an id (ASCII digits only) or a job type (case-insensitive)."""
    text = id_or_type.strip()
    if text.isascii() and text.isdigit():
        found = get_job_config(con, int(text)) if len(text) <= 18 else None
        return [found] if found else []
    rows = con.execute(
        f"SELECT {_CONFIG_COLUMNS} FROM job_configurations WHERE job_type = ? ORDER BY id",
        [id_or_type.strip().upper()],
    ).fetchall()
    return [_config_from_row(r) for r in rows]


def update_job_config(
    con: duckdb.DuckDBPyConnection,
    config_id: int,
    *,
    schedule: str | None = None,
    is_active: bool | None = None,
    config_json: Any = None,
) -> None:
    sets: list[str] = ["updated_at = ?"]
    values: list[Any] = [utcnow()]
    if schedule is not None:
        sets.append("schedule = ?")
        values.append(schedule)
    if is_active is not None:
        sets.append("is_active = ?")
        values.append(is_active)
    if config_json is not None:
        sets.append("config_json = ?")
        values.append(json.dumps(config_json, sort_keys=True))
    con.execute(
        f"UPDATE job_configurations SET {', '.join(sets)} WHERE id = ?", [*values, config_id]
    )


@dataclass(frozen=True)
class ExecutionStart:
    """What ``start_execution`` found, and the execution it started when it could."""

    config: JobConfiguration | None  # None: no configuration has that id
    execution_id: int | None = None  # the new PENDING execution
    live_execution_id: int | None = None  # the job's run in progress that stood in the way
    closed: tuple[int, ...] = ()  # the job's unfinished executions closed as ended


def start_execution(
    con: duckdb.DuckDBPyConnection,
    config_id: int,
    *,
    trigger: str,
    pid: int,
    correlation_id: str,
    job_types: Collection[str] | None,
    is_live: Callable[[int, int | None], bool],
    ended_message: Callable[[int | None], str],
    host: str | None = None,
    shard: str | None = None,
    judges: Callable[[str | None], bool] | None = None,
) -> ExecutionStart:
    """Start a run of job ``config_id`` in one transaction, if nothing stands in the way.

    Reads the configuration; a job that is inactive, or of a type not in ``job_types`` (the
    types the caller can run; None: any), starts nothing. The job's unfinished executions
    are asked ``is_live(execution_id, host_pid)``: a live one means the job is already running
    (nothing starts); the others ended without recording it and are closed FAILED with
    ``ended_message(host_pid)``. Then a PENDING execution is inserted with this process's pid,
    its ``host`` and its ``shard`` (the platforms it works on); ``begin_execution`` makes it
    RUNNING when the run begins. When runs of one job may run
    side by side (on a lake, one per shard), ``judges(shard)`` says which of the job's
    unfinished executions this start answers for; the others are another shard's business.
    One writer at a time (per database file; per lake, its write lock) makes the check and
    the insert atomic between processes; within a process the caller serialises its calls.
    """
    config = get_job_config(con, config_id)
    if config is None or not config.is_active:
        return ExecutionStart(config)
    if job_types is not None and config.job_type not in job_types:
        return ExecutionStart(config)
    unfinished = [
        (execution_id, pid_of)
        for execution_id, shard_of, _, pid_of in unfinished_shards(con, config_id)
        if judges is None or judges(shard_of)
    ]
    live = next((e for e, p in unfinished if is_live(e, p)), None)
    if live is not None:
        return ExecutionStart(config, live_execution_id=live)
    for execution_id, pid_of in unfinished:
        close_executions(con, [execution_id], ended_message(pid_of))
    # An id taken before the insert (a lake has no sequences, nor RETURNING).
    execution_id = next_id(con, "job_executions")
    con.execute(
        "INSERT INTO job_executions (id, job_config_id, job_type, status, trigger, created_at,"
        " correlation_id, host_pid, host, shard)"
        " VALUES (?, ?, ?, 'PENDING', ?, ?, ?, ?, ?, ?)",
        [
            execution_id,
            config.id,
            config.job_type,
            trigger,
            utcnow(),
            correlation_id,
            pid,
            host,
            shard,
        ],
    )
    return ExecutionStart(config, execution_id=execution_id, closed=tuple(e for e, _ in unfinished))


def save_metrics(
    con: duckdb.DuckDBPyConnection, execution_id: int, metrics: dict[str, int]
) -> None:
    """Record the metrics so far (a run that dies later still shows its committed work)."""
    con.execute(
        "UPDATE job_executions SET api_requests_made = ?, records_created = ?,"
        " records_updated = ? WHERE id = ?",
        [
            metrics.get("api_requests_made", 0),
            metrics.get("records_created", 0),
            metrics.get("records_updated", 0),
            execution_id,
        ],
    )


def begin_execution(con: duckdb.DuckDBPyConnection, execution_id: int) -> bool:
    """Mark a PENDING execution RUNNING from now: its run has begun. Whether it was PENDING."""
    row = con.execute(
        "UPDATE job_executions SET status = 'RUNNING', started_at = ?"
        " WHERE id = ? AND status = 'PENDING'",
        [utcnow(), execution_id],
    ).fetchone()
    return bool(row and row[0])


def discard_unbegun_execution(con: duckdb.DuckDBPyConnection, execution_id: int) -> bool:
    """Delete the row of a run that was started but never began (still PENDING: nothing
    logged, nothing counted): taken back when its process shut down first. Whether it was
    deleted."""
    row = con.execute(
        "DELETE FROM job_executions WHERE id = ? AND status = 'PENDING'", [execution_id]
    ).fetchone()
    return bool(row and row[0])


def finish_execution(
    con: duckdb.DuckDBPyConnection,
    execution_id: int,
    *,
    status: str,
    metrics: dict[str, int],
    error_message: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    save_metrics(con, execution_id, metrics)
    con.execute(
        "UPDATE job_executions SET status = ?, finished_at = ?, error_message = ?, details = ?"
        " WHERE id = ?",
        [
            status,
            utcnow(),
            error_message,
            json.dumps(details, default=str) if details else None,
            execution_id,
        ],
    )


def append_log_lines(
    con: duckdb.DuckDBPyConnection, execution_id: int, lines: Sequence[dict[str, Any]]
) -> int:
    """Store captured log lines (dicts with seq, logged_at, level, event, fields) in bulk."""
    if not lines:
        return 0
    frame = pd.DataFrame(
        {
            "execution_id": [execution_id] * len(lines),
            "seq": [line["seq"] for line in lines],
            "logged_at": [line["logged_at"] for line in lines],
            "level": [line["level"] for line in lines],
            "event": [line["event"] for line in lines],
            "fields": [json.dumps(line["fields"], default=str) for line in lines],
        }
    )
    con.register("log_lines_frame", frame)
    try:
        con.execute(
            "INSERT INTO job_execution_logs SELECT execution_id, seq, logged_at, level, event,"
            " fields::JSON FROM log_lines_frame f WHERE NOT EXISTS (SELECT 1 FROM"
            " job_execution_logs l WHERE l.execution_id = f.execution_id AND l.seq = f.seq)"
        )
    finally:
        con.unregister("log_lines_frame")
    return len(lines)


def unfinished_executions(
    con: duckdb.DuckDBPyConnection,
) -> list[tuple[int, int, int | None, str | None]]:
    """(execution id, job config id, host pid, host) of every PENDING or RUNNING execution."""
    rows = con.execute(
        "SELECT id, job_config_id, host_pid, host FROM job_executions"
        " WHERE status IN ('PENDING', 'RUNNING') ORDER BY id"
    ).fetchall()
    return [(int(r[0]), int(r[1]), None if r[2] is None else int(r[2]), r[3]) for r in rows]


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this pid exists on this machine."""
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def runs_whose_process_ended(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """The executions still PENDING or RUNNING whose process is gone from this machine (a
    kill -9, a crash): execution id -> pid. Only a database one machine writes can tell
    (a lake's runs may be on other hosts)."""
    return {
        execution_id: pid
        for execution_id, _, pid, _ in unfinished_executions(con)
        if pid is not None and not pid_alive(pid)
    }


def process_ended_text(execution_id: int, status: str, pid: int) -> str:
    """That an execution lost its process, and what becomes of it."""
    return (
        f"execution {execution_id} is recorded {status}, but its process (pid {pid}) has "
        "ended: it is closed FAILED when the job or the scheduler next starts."
    )


def unfinished_shards(
    con: duckdb.DuckDBPyConnection, config_id: int
) -> list[tuple[int, str | None, str | None, int | None]]:
    """(execution id, shard, host, pid) of each PENDING or RUNNING execution of a job."""
    rows = con.execute(
        "SELECT id, shard, host, host_pid FROM job_executions"
        " WHERE job_config_id = ? AND status IN ('PENDING', 'RUNNING') ORDER BY id",
        [config_id],
    ).fetchall()
    return [(int(r[0]), r[1], r[2], None if r[3] is None else int(r[3])) for r in rows]


def close_executions(
    con: duckdb.DuckDBPyConnection, execution_ids: Sequence[int], message: str
) -> None:
    """Mark the given unfinished executions FAILED with ``message``, finished at their last
    sign of life: the last log line they committed, else their start (a run closed at the
    next start of the scheduler would otherwise count the hours it was down as its own)."""
    if not execution_ids:
        return
    last_seen = con.execute(
        "SELECT e.id, coalesce(max(l.logged_at), e.started_at, e.created_at)"
        " FROM job_executions e LEFT JOIN job_execution_logs l ON l.execution_id = e.id"
        " WHERE e.id IN (SELECT unnest(?)) AND e.status IN ('PENDING', 'RUNNING')"
        " GROUP BY e.id, e.started_at, e.created_at",
        [list(execution_ids)],
    ).fetchall()
    for execution_id, finished_at in last_seen:
        con.execute(
            "UPDATE job_executions SET status = 'FAILED', finished_at = ?, error_message = ?"
            " WHERE id = ?",
            [finished_at, message, execution_id],
        )


def _execution_filter(config_id: int | None, status: str | None) -> tuple[str, list[Any]]:
    """A WHERE condition and its values selecting executions by job and status."""
    where: list[str] = ["true"]
    values: list[Any] = []
    if config_id is not None:
        where.append("job_config_id = ?")
        values.append(config_id)
    if status is not None:
        where.append("status = ?")
        values.append(status.upper())
    return " AND ".join(where), values


# Where a run ran (host, host_pid, shard) tells the workers sharing a lake apart.
EXECUTION_COLUMNS = (
    "id, job_config_id, job_type, status, trigger, created_at, started_at, finished_at,"
    " api_requests_made, records_created, records_updated, error_message, correlation_id,"
    " host, host_pid, shard"
)


def list_executions(
    con: duckdb.DuckDBPyConnection,
    config_id: int | None = None,
    *,
    status: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> pd.DataFrame:
    where, values = _execution_filter(config_id, status)
    return con.execute(
        f"SELECT {EXECUTION_COLUMNS} FROM job_executions WHERE {where}"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        [*values, limit, offset],
    ).df()


def count_executions(
    con: duckdb.DuckDBPyConnection, config_id: int | None = None, *, status: str | None = None
) -> int:
    where, values = _execution_filter(config_id, status)
    row = con.execute(f"SELECT count(*) FROM job_executions WHERE {where}", values).fetchone()
    return int(row[0]) if row else 0


def get_execution(con: duckdb.DuckDBPyConnection, execution_id: int) -> dict[str, Any] | None:
    frame = con.execute(
        f"SELECT {EXECUTION_COLUMNS}, details FROM job_executions WHERE id = ?", [execution_id]
    ).df()
    if frame.empty:
        return None
    return {str(k): v for k, v in frame.iloc[0].to_dict().items()}


def execution_logs(con: duckdb.DuckDBPyConnection, execution_id: int) -> pd.DataFrame:
    return con.execute(
        "SELECT seq, logged_at, level, event, fields FROM job_execution_logs"
        " WHERE execution_id = ? ORDER BY seq",
        [execution_id],
    ).df()


def recent_logs(con: duckdb.DuckDBPyConnection, limit: int) -> pd.DataFrame:
    """The newest ``limit`` log lines of every execution, oldest first, with the execution's
    id and job type: what the job system logged lately."""
    return con.execute(
        """
        SELECT * FROM (
            SELECT l.execution_id, e.job_type, l.seq, l.logged_at, l.level, l.event, l.fields
            FROM job_execution_logs l JOIN job_executions e ON e.id = l.execution_id
            ORDER BY l.logged_at DESC, l.execution_id DESC, l.seq DESC
            LIMIT ?
        ) ORDER BY logged_at, execution_id, seq
        """,
        [limit],
    ).df()
