"""Jobs on a lake: the maintenance job, and runs recorded through the same store verbs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from pathlib import Path

from pipeline.config import Settings
from pipeline.jobs import JobContext, JobStatus, run_in_process, shards
from pipeline.jobs.executions import (
    LIVE_RUNS,
    db_key,
    start_execution,
    start_execution_in_thread,
)
from pipeline.jobs.types import Trigger
from pipeline.store import Database, read, write
from pipeline.store import job_records as records
from pipeline.store.location import LakeLocation, parse_location
from pipeline.store.locks import JOB_NAMESPACE, WriteLock, connect, job_lock_key


def data_files(location: LakeLocation) -> int:
    assert location.data_path is not None
    return sum(len(files) for _, _, files in os.walk(location.data_path))


def run_maintenance(db: Path | str, **config: float) -> dict[str, object]:
    """Run LAKE_MAINTENANCE once on ``db`` with these settings; its execution row."""
    with write(db) as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE job_type = 'LAKE_MAINTENANCE'",
            [json.dumps({"timeout_seconds": 600, **config})],
        )
    context = JobContext(Settings(db_path=parse_location(db)))
    (outcome,) = asyncio.run(run_in_process(context, "LAKE_MAINTENANCE"))
    assert outcome.status is JobStatus.SUCCESS, outcome.error_message
    with read(db) as con:
        row = records.get_execution(con, outcome.execution_id)
    assert row is not None
    return row


def store_players_in_commits(lake_url: str, commits: int) -> None:
    """150 new players in each of ``commits`` commits: a Parquet file each."""
    for batch in range(commits):
        with write(lake_url) as con:
            con.execute(
                "INSERT INTO players (puuid, platform) SELECT 'p' || range || '-' || ?, 'euw1'"
                " FROM range(150)",
                [batch],
            )


def test_maintenance_compacts_and_deletes_what_nothing_needs(lake_url: str) -> None:
    """Many small commits and updates become few files; replaced files are deleted."""
    location = parse_location(lake_url)
    assert isinstance(location, LakeLocation)
    store_players_in_commits(lake_url, 4)
    with write(lake_url) as con:
        con.execute("UPDATE players SET summoner_level = 30 WHERE puuid LIKE 'p1%'")
    before = data_files(location)
    row = run_maintenance(lake_url, expire_snapshots_after_hours=0, delete_files_after_hours=0.1)
    details = json.loads(str(row["details"]))
    assert details["files_rewritten"] + details["files_merged"] == row["records_updated"] > 0
    assert details["snapshots_expired"] > 0
    updated = 4 * sum(1 for i in range(150) if str(i).startswith("1"))
    with read(lake_url) as con:
        assert con.execute("SELECT count(*), count(summoner_level) FROM players").fetchone() == (
            600,
            updated,
        )
    # Replaced files wait delete_files_after_hours before they go (nothing is deleted yet);
    # with no writer about, a pass without the wait removes them.
    assert details["files_deleted"] == 0
    run_maintenance(lake_url, expire_snapshots_after_hours=0, delete_files_after_hours=0)
    assert data_files(location) < before


def test_a_table_duckdb_cannot_compact_does_not_stop_the_pass(lake_url: str) -> None:
    """DuckLake cannot commit a compaction of a table holding inlined rows (a small commit)
    that had a column added since it was made, as rank_snapshots had (migration 019): the
    pass failed there, on every run of a lake jobs write to, leaving the other tables and
    every snapshot as they were. It now names the table and does the rest."""
    with write(lake_url) as con:
        con.execute(
            "INSERT INTO rank_snapshots (puuid, queue_type, observed_at)"
            " SELECT 'p' || range, 'RANKED_SOLO_5x5', now()::TIMESTAMP FROM range(200)"
        )
    with write(lake_url) as con:
        con.execute("UPDATE rank_snapshots SET folded = true WHERE puuid < 'p5'")
    with write(lake_url) as con:  # a few rows: inlined in the catalog
        con.execute(
            "INSERT INTO rank_snapshots (puuid, queue_type, observed_at)"
            " VALUES ('late', 'RANKED_SOLO_5x5', now()::TIMESTAMP)"
        )
    store_players_in_commits(lake_url, 3)
    row = run_maintenance(lake_url, expire_snapshots_after_hours=0, delete_files_after_hours=1)
    details = json.loads(str(row["details"]))
    assert set(details["tables_not_compacted"]) == {"rank_snapshots"}, details
    assert details["files_merged"] > 0  # players' three files, after rank_snapshots
    assert details["snapshots_expired"] > 0
    with read(lake_url) as con:
        assert con.execute("SELECT count(*) FROM rank_snapshots").fetchone() == (201,)


def test_maintenance_on_a_file_does_nothing_and_says_so(db_path: Path) -> None:
    """On a DuckDB file the job succeeds without work, its details saying why."""
    row = run_maintenance(db_path)
    assert json.loads(str(row["details"])) == {"skipped": "a DuckDB file needs no maintenance"}
    assert Database(db_path).is_lake is False


def test_runs_of_a_job_share_out_platforms_and_global_jobs_run_once(lake_url: str) -> None:
    """Two claims of a platform job split the platforms; a global job's second claim fails."""
    db = Database(parse_location(lake_url))
    first = shards.claim_run(db, 2, sharded=True, platforms=("euw1", "kr"))
    second = shards.claim_run(db, 2, sharded=True, platforms=("kr", "na1"))
    third = shards.claim_run(db, 2, sharded=True, platforms=("euw1",))
    analyzer = shards.claim_run(db, 3, sharded=False, platforms=("euw1",))
    again = shards.claim_run(db, 3, sharded=False, platforms=None)
    try:
        assert first is not None and first.platforms == ("euw1", "kr")
        assert second is not None and second.platforms == ("na1",)
        assert third is None and again is None
        assert analyzer is not None and analyzer.shard == "*"
        assert any("runs job 2 for euw1" in h for h in shards.holders(db, 2, ("euw1",)))
    finally:
        for claim in (first, second, analyzer):
            if claim is not None:
                claim.release()
    assert shards.claim_run(db, 2, sharded=True, platforms=("euw1",)) is not None


def test_workers_sharing_a_platform_take_turns_at_it(lake_url: str) -> None:
    """A worker given one platform is not starved of it by a worker given it and another
    that claims first every time: refused once, it waits, and the other leaves the platform
    to its next run; two workers given only that platform alternate."""
    db = Database(parse_location(lake_url))
    both, kr_only, kr_too = shards.Turns(), shards.Turns(), shards.Turns()

    def rounds(first: shards.Turns, second: shards.Turns, platforms: tuple[str, ...]) -> list:
        """Both workers fire at once each round, the first always a moment earlier; each
        round's runs end before the next."""
        seen = []
        for _ in range(6):
            one = shards.claim_run(db, 2, sharded=True, platforms=platforms, turns=first)
            two = shards.claim_run(db, 2, sharded=True, platforms=("kr",), turns=second)
            seen.append(tuple(None if c is None else c.platforms for c in (one, two)))
            for c in (one, two):
                if c is not None:
                    c.release()
        return seen

    try:
        mixed = rounds(both, kr_only, ("euw1", "kr"))
        assert mixed == [(("euw1", "kr"), None), (("euw1",), ("kr",))] * 3
        # A refused run names who holds the platform; with no run on it, who waits for it.
        holding = shards.claim_run(db, 2, sharded=True, platforms=("kr",), turns=both)
        assert holding is not None
        assert shards.claim_run(db, 2, sharded=True, platforms=("kr",), turns=kr_only) is None
        assert any("runs job 2 for kr" in h for h in shards.holders(db, 2, ("kr",)))
        holding.release()
        assert shards.claim_run(db, 2, sharded=True, platforms=("kr",), turns=both) is None
        assert [h for h in shards.holders(db, 2, ("kr",)) if "waits to run job 2 for kr" in h]
        both.stop_waiting()
        # Two workers given only kr alternate; the second still waits from above: it starts.
        alike = rounds(kr_too, kr_only, ("kr",))
        assert alike == [(None, ("kr",)), (("kr",), None)] * 3
    finally:
        for turns in (both, kr_only, kr_too):
            turns.stop_waiting()


def test_a_released_run_frees_its_job_at_once(lake_url: str) -> None:
    """The next run may claim a job the moment the last one released it: the lock goes
    with the release, not when the server has ended the released session's backend."""
    db = Database(parse_location(lake_url))
    refused = 0
    for _ in range(100):
        claim = shards.claim_run(db, 2, sharded=True, platforms=("euw1",))
        assert claim is not None
        claim.release()
        location = parse_location(lake_url)
        assert isinstance(location, LakeLocation)
        with connect(location.catalog_uri) as session:
            key = [JOB_NAMESPACE, job_lock_key(2, "euw1")]
            taken = session.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()
            refused += taken != (True,)
            # Give the probe's lock back now: a closed session's locks go only when the
            # server has ended its backend, which the next claim would race on a busy machine.
            if taken == (True,):
                session.execute("SELECT pg_advisory_unlock(%s, %s)", key)
    assert refused == 0


def test_one_worker_leads_and_another_takes_over(lake_url: str) -> None:
    """The leader lock is held by one worker at a time and passes on when it resigns."""
    db = Database(parse_location(lake_url))
    one, two = shards.Leadership(db), shards.Leadership(db)
    assert one.is_leader() and not two.is_leader()
    one.resign()
    assert two.is_leader() and not one.is_leader()
    two.resign()


def test_a_dead_runs_execution_is_closed_by_the_next_start_on_its_platforms(
    lake_url: str,
) -> None:
    """An execution left RUNNING on a platform by a worker that died is closed when a run
    of its job starts on that platform; one on another platform is left to its own."""
    db = Database(parse_location(lake_url))
    with write(lake_url) as con:
        for execution_id, shard in ((1, "euw1"), (2, "kr")):
            con.execute(
                "INSERT INTO job_executions (id, job_config_id, job_type, status, trigger,"
                " created_at, started_at, correlation_id, host_pid, host, shard) VALUES (?, 2,"
                " 'MATCH_FETCHER', 'RUNNING', 'SCHEDULE', now()::TIMESTAMP, now()::TIMESTAMP,"
                " 'gone', 999999, 'gone', ?)",
                [execution_id, shard],
            )
    started = start_execution(db, 2, Trigger.MANUAL, None, sharded=True, platforms=("euw1",))
    LIVE_RUNS.finish(started.live)  # no run follows: the start alone is under test
    assert started.platforms == ("euw1",)
    with read(lake_url) as con:
        states = con.execute("SELECT shard, status FROM job_executions ORDER BY id").fetchall()
    # The new start is PENDING: no run followed it to make it RUNNING.
    assert states == [("euw1", "FAILED"), ("kr", "RUNNING"), ("euw1", "PENDING")]


def test_an_execution_left_pending_is_closed_by_the_next_run_of_its_job(lake_url: str) -> None:
    """A run left PENDING without a host or pid (as older versions recorded a run before it
    began) is closed when the job next runs on the lake, and the new run succeeds."""
    with write(lake_url) as con:
        con.execute(
            "INSERT INTO job_executions (id, job_config_id, job_type, status, trigger,"
            " created_at, correlation_id) SELECT 900, id, job_type, 'PENDING', 'MANUAL',"
            " now()::TIMESTAMP, 'gone' FROM job_configurations"
            " WHERE job_type = 'SMURF_ANALYZER'"
        )
    context = JobContext(Settings(db_path=parse_location(lake_url)))
    (outcome,) = asyncio.run(run_in_process(context, "SMURF_ANALYZER"))
    assert outcome.status is JobStatus.SUCCESS, outcome.error
    with read(lake_url) as con:
        left = con.execute(
            "SELECT status, error_message FROM job_executions WHERE id = 900"
        ).fetchone()
    assert left is not None and left[0] == "FAILED"
    assert "never recorded the process" in str(left[1])


def test_a_start_cancelled_twice_while_it_waits_is_still_ended(lake_url: str) -> None:
    """A start that waits for the lake's write lock when its caller is cancelled, and
    cancelled again while it waits for the start to end it (a scheduler shutting down), is
    recorded as stopped, and the job is free again."""
    location = parse_location(lake_url)
    assert isinstance(location, LakeLocation)
    db = Database(location)
    with read(lake_url) as con:
        (analyzer,) = records.find_job_configs(con, "SMURF_ANALYZER")
    other_writer = WriteLock(location.catalog_uri, "another process")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other_writer.held(timeout_s=30):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(30)

    async def cancel_twice() -> None:
        task = asyncio.create_task(
            start_execution_in_thread(db, analyzer.id, Trigger.SCHEDULE, None)
        )
        await asyncio.sleep(0.5)  # the start now waits for the write lock
        task.cancel()
        await asyncio.sleep(0.2)
        task.cancel()
        release.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(cancel_twice())
    holder.join(30)
    deadline = time.monotonic() + 60
    # The start ends once the lock is free, and is taken back: its row deleted, the job
    # no longer live.
    while time.monotonic() < deadline and LIVE_RUNS.of_job(db_key(db), analyzer.id) is not None:
        time.sleep(0.2)
    assert LIVE_RUNS.of_job(db_key(db), analyzer.id) is None
    with read(lake_url) as con:
        assert con.execute("SELECT status FROM job_executions").fetchall() == []
    started = start_execution(db, analyzer.id, Trigger.MANUAL, None)  # the job is free
    LIVE_RUNS.finish(started.live)
