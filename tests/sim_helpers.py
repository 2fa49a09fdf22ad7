"""Helpers for tests that run jobs against the simulator over real HTTP."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from pipeline.config import Settings
from pipeline.jobs import ExecutionOutcome, JobContext, run_in_process
from pipeline.simulator import RunningSimulator
from pipeline.store import Database, parse_match, write_matches

TEST_KEY = "RGAPI-00000000-test-key-never-logged-0000"


class PausedClock:
    """A rate limiter's clock that stands still until ``resume()``, then goes on from there.

    A run limited under it fills a window however slowly this machine sends its requests
    (the window's time never passes while it runs); after ``resume()`` a later run sharing
    the limiter waits the window out in real time, as the server counts it.
    """

    def __init__(self) -> None:
        self._paused_at: float | None = time.monotonic()
        self._lag_s = 0.0

    def __call__(self) -> float:
        if self._paused_at is not None:
            return self._paused_at
        return time.monotonic() - self._lag_s

    def resume(self) -> None:
        if self._paused_at is not None:
            self._lag_s = time.monotonic() - self._paused_at
            self._paused_at = None


def job_context(db_path: Path, sim: RunningSimulator, **overrides: Any) -> JobContext:
    settings = Settings(
        db_path=db_path,
        riot_api_key=overrides.pop("api_key", TEST_KEY),
        riot_api_base=sim.base_url,
    )
    return JobContext(settings, **overrides)


def run_job(context: JobContext, job: str) -> ExecutionOutcome:
    outcomes = asyncio.run(run_in_process(context, job))
    assert len(outcomes) == 1
    return outcomes[0]


def track(db_path: Path, puuids: list[str], platform: str = "euw1") -> None:
    with Database(db_path).write() as con:
        for puuid in puuids:
            con.execute(
                "INSERT INTO players (puuid, platform, is_tracked, tracked_at)"
                " VALUES (?, ?, true, now()::TIMESTAMP)",
                [puuid, platform],
            )


def store_served_match(db_path: Path, sim: RunningSimulator, puuid: str) -> str:
    """Store ``puuid``'s newest match as the API serves it, as a crawl leaves a database (a
    job's client checks its base URL against a stored match before it believes a 404)."""
    base = sim.base_url.format(route="europe")
    headers = {"X-Riot-Token": TEST_KEY}
    ids_path = f"{base}/lol/match/v5/matches/by-puuid/{puuid}/ids"
    match_id = str(httpx.get(ids_path, params={"count": 1}, headers=headers).json()[0])
    payload = httpx.get(f"{base}/lol/match/v5/matches/{match_id}", headers=headers).json()
    with Database(db_path).write() as con:
        write_matches(con, [parse_match(payload)])
    return match_id


def set_job_config(db_path: Path, job_type: str, **values: Any) -> None:
    with Database(db_path).write() as con:
        row = con.execute(
            "SELECT config_json FROM job_configurations WHERE job_type = ?", [job_type]
        ).fetchone()
        assert row is not None
        config = {**json.loads(row[0]), **values}
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE job_type = ?",
            [json.dumps(config), job_type],
        )


def count(db_path: Path, sql: str, params: list[Any] | None = None) -> int:
    with Database(db_path).read() as con:
        row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row else 0


def requests_seen(sim: RunningSimulator) -> int:
    """Requests the simulator answered on Riot routes (control endpoints excluded)."""
    stats = sim.stats()
    return int(stats["requests"])


def add_execution(
    db_path: Path, config_id: int, *, pid: int | None, status: str = "RUNNING"
) -> int:
    """An execution row of job ``config_id`` as another process would have left it."""
    with Database(db_path).write() as con:
        row = con.execute(
            "INSERT INTO job_executions (job_config_id, job_type, status, correlation_id,"
            " started_at, host_pid) SELECT id, job_type, ?, 'test', now()::TIMESTAMP, ?"
            " FROM job_configurations WHERE id = ? RETURNING id",
            [status, pid, config_id],
        ).fetchone()
    assert row is not None
    return int(row[0])


def copy_database(source: Path, target: Path) -> None:
    """Copy a database file with its write-ahead log: a commit that changed no schema (a
    migration's UPDATE) may be there and not yet in the file."""
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    target_wal = target.with_name(target.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target_wal)
    else:
        # A log left beside the target by an earlier database would be replayed onto this
        # file (DuckDB fails on it with an internal error).
        target_wal.unlink(missing_ok=True)


def profile_checked_at(db_path: Path, puuid: str) -> datetime | None:
    """When the stored profile of ``puuid`` was asked for (None: never)."""
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT summoner_checked_at FROM players WHERE puuid = ?", [puuid]
        ).fetchone()
    assert row is not None
    return row[0]


def config_after_upgrade(
    db_path: Path,
    job_type: str,
    config: dict[str, Any],
    since_version: int,
    undo_later: tuple[str, ...] = (),
) -> tuple[list[int], dict[str, Any]]:
    """``job_type``'s configuration as an upgrade leaves it: ``config`` is stored as a
    database before migration ``since_version`` held it (the migrations from it on are
    forgotten, ``undo_later`` takes back the schema changes of later ones that cannot run
    twice), then the database is migrated. The migrations applied and the configuration."""
    from pipeline.store import migrate

    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE job_type = ?",
            [json.dumps(config), job_type],
        )
        con.execute("DELETE FROM schema_migrations WHERE version >= ?", [since_version])
        for statement in undo_later:
            con.execute(statement)
    applied = [m.version for m in migrate(db_path)]
    with Database(db_path).read() as con:
        row = con.execute(
            "SELECT config_json FROM job_configurations WHERE job_type = ?", [job_type]
        ).fetchone()
    assert row is not None
    return applied, json.loads(row[0])
