"""The job framework without the Riot API: lifecycle, metrics, logs, timeouts, errors."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import structlog

from pipeline.config import Settings
from pipeline.jobs import (
    BaseJob,
    JobAlreadyRunningError,
    JobConfigError,
    JobContext,
    JobStatus,
    JobType,
    RateLimitSignal,
    handle_riot_api_errors,
)
from pipeline.jobs.executions import close_orphans
from pipeline.jobs.log_capture import ExecutionLogCapture
from pipeline.jobs.schedule import (
    interval_seconds,
    parse_interval_args,
    parse_schedule,
    seconds_between_runs,
)
from pipeline.log import configure_logging, get_logger
from pipeline.riot import AuthenticationError, ForbiddenError, NotFoundError, RateLimitError
from pipeline.store import Database
from pipeline.store import job_records as records
from tests.sim_helpers import add_execution

log = get_logger("tests")
ANALYZER_ID = 3  # SMURF_ANALYZER in the seed migration


class ScriptedJob(BaseJob):
    """A job whose execute() runs a test-provided coroutine; no Riot API."""

    job_type = JobType.SMURF_ANALYZER
    uses_riot_api = False
    script: Any = None

    async def execute(self, db: Database) -> None:
        await type(self).script(self, db)


def context_for(db_path: Path) -> JobContext:
    return JobContext(Settings(db_path=db_path))


def set_config(db_path: Path, config_id: int, config: Any) -> None:
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE id = ?",
            [json.dumps(config) if not isinstance(config, str) else config, config_id],
        )


def execution_row(db_path: Path, execution_id: int) -> dict[str, Any]:
    with Database(db_path).read() as con:
        row = records.get_execution(con, execution_id)
    assert row is not None
    return row


def run_scripted(db_path: Path, script: Any) -> Any:
    ScriptedJob.script = script
    configure_logging(json_lines=True)
    return asyncio.run(ScriptedJob(ANALYZER_ID, context_for(db_path)).run())


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [
        ("interval(seconds=30)", 30),
        ("interval(minutes=2)", 120),
        ("interval(hours=1, minutes=30)", 5400),
        ("interval( seconds = 5 )", 5),
    ],
)
def test_interval_schedules_parse_to_their_length(schedule: str, seconds: float) -> None:
    """Interval schedules of any unit parse to the right number of seconds."""
    args = schedule[schedule.index("(") + 1 : -1]
    assert interval_seconds(parse_interval_args(args)) == seconds
    assert parse_schedule(schedule).interval.total_seconds() == seconds


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [
        ("interval(minutes=2)", 120.0),
        ("cron(*/5 * * * *)", 300.0),
        ("cron(30 4 * * *)", 86400.0),
        ("cron(0 0 * * 1)", 7 * 86400.0),
    ],
)
def test_the_time_between_runs_of_a_schedule(schedule: str, seconds: float) -> None:
    """An interval's length; a cron schedule's gap between its next two firings."""
    assert seconds_between_runs(schedule, datetime(2026, 3, 4, 5, 6, tzinfo=UTC)) == seconds


@pytest.mark.parametrize(
    "schedule",
    [
        "every 5 minutes",
        "interval()",
        "interval(seconds=0)",
        "interval(secs=5)",
        "interval(seconds=-3)",
        "interval(seconds=abc)",
        "cron(0 4 * *)",
        "cron(61 * * * *)",
        "",
    ],
)
def test_bad_schedules_are_clear_errors(schedule: str) -> None:
    """Every malformed schedule raises JobConfigError with an example of a good one or the cause."""
    with pytest.raises(JobConfigError) as caught:
        parse_schedule(schedule)
    assert str(caught.value)


def test_cron_schedule_fires_at_the_given_time() -> None:
    """cron(0 4 * * *) fires at 04:00 UTC."""
    from datetime import UTC, datetime

    trigger = parse_schedule("cron(0 4 * * *)")
    fire = trigger.get_next_fire_time(None, datetime(2026, 1, 1, 5, 0, tzinfo=UTC))
    assert (fire.hour, fire.minute, fire.day) == (4, 0, 2)


def test_successful_run_records_status_metrics_and_logs(db_path: Path) -> None:
    """A run that commits work ends SUCCESS with its metrics, log lines and finished line."""

    async def script(job: BaseJob, db: Database) -> None:
        log.info("step.one", answer=42)
        await job.safe_commit(lambda con: con.execute("SELECT 1"))
        job.increment_metric("records_created", 7)
        job.increment_metric("records_updated", 2)

    outcome = run_scripted(db_path, script)
    assert outcome.status is JobStatus.SUCCESS
    row = execution_row(db_path, outcome.execution_id)
    assert (row["status"], row["records_created"], row["records_updated"]) == ("SUCCESS", 7, 2)
    assert row["started_at"] is not None and row["finished_at"] is not None
    with Database(db_path).read() as con:
        events = [
            e
            for (e,) in con.execute(
                "SELECT event FROM job_execution_logs WHERE execution_id = ? ORDER BY seq",
                [outcome.execution_id],
            ).fetchall()
        ]
    assert events[0] == "job.started"
    assert "step.one" in events
    assert events[-1] == "job.finished"


def test_rate_limit_signal_ends_rate_limited_and_keeps_committed_work(db_path: Path) -> None:
    """RateLimitSignal after a commit ends RATE_LIMITED, not FAILED, and keeps the commit."""

    async def script(job: BaseJob, db: Database) -> None:
        await job.safe_commit(
            lambda con: con.execute("INSERT INTO players (puuid) VALUES ('kept-before-limit')")
        )
        raise RateLimitSignal("Rate limited during fetch", 3.0)

    outcome = run_scripted(db_path, script)
    assert outcome.status is JobStatus.RATE_LIMITED
    assert "Rate limited" in (outcome.error_message or "")
    with Database(db_path).read() as con:
        assert con.execute("SELECT count(*) FROM players").fetchone() == (1,)


def test_timeout_seconds_is_enforced(db_path: Path) -> None:
    """A run past timeout_seconds is cancelled, keeps its commits and ends FAILED 'timed out'."""
    set_config(
        db_path,
        ANALYZER_ID,
        {"unanalyzed_players_per_run": 5, "min_matches_required": 1, "timeout_seconds": 0.3},
    )

    async def script(job: BaseJob, db: Database) -> None:
        await job.safe_commit(lambda con: con.execute("INSERT INTO players (puuid) VALUES ('a')"))
        await asyncio.sleep(30)

    outcome = run_scripted(db_path, script)
    assert outcome.status is JobStatus.FAILED
    assert outcome.error_message == "timed out after 0.3 s"
    with Database(db_path).read() as con:
        assert con.execute("SELECT count(*) FROM players").fetchone() == (1,)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[1, 2]", "config_json must be a JSON object"),
        ({"timeout_seconds": -5}, "timeout_seconds must be a positive number"),
        ({"timeout_seconds": "soon"}, "timeout_seconds must be a positive number"),
    ],
)
def test_bad_config_json_fails_the_run_with_a_clear_message(
    db_path: Path, config: Any, message: str
) -> None:
    """A configuration that fails validation ends the run FAILED naming the problem."""
    set_config(db_path, ANALYZER_ID, config)

    async def script(job: BaseJob, db: Database) -> None:
        raise AssertionError("execute must not run with a bad configuration")

    outcome = run_scripted(db_path, script)
    assert outcome.status is JobStatus.FAILED
    assert message in (outcome.error_message or "")


def test_unexpected_exception_fails_the_run_and_is_recorded(db_path: Path) -> None:
    """An unexpected error ends FAILED with its type and message stored."""

    async def script(job: BaseJob, db: Database) -> None:
        raise ValueError("something broke")

    outcome = run_scripted(db_path, script)
    assert outcome.status is JobStatus.FAILED
    assert execution_row(db_path, outcome.execution_id)["error_message"] == (
        "ValueError: something broke"
    )


def test_log_capture_is_bounded_per_execution_and_says_so(db_path: Path) -> None:
    """Past its bound a capture stores no more lines but records how many it dropped."""
    capture = ExecutionLogCapture(max_lines=3)
    for i in range(5):
        capture({"event": f"e{i}", "level": "info"})
    assert [line["event"] for line in capture.take()] == ["e0", "e1", "e2"]
    overflow = capture.overflow_line()
    assert overflow is not None and overflow["fields"]["lines_not_stored"] == 2


def test_concurrent_runs_keep_their_log_lines_apart(db_path: Path) -> None:
    """Two runs at once each store only their own log lines."""
    configure_logging(json_lines=True)

    async def script(job: BaseJob, db: Database) -> None:
        for i in range(20):
            log.info("tick", job_marker=job.job_config_id, i=i)
            await asyncio.sleep(0)

    class Fetcher(ScriptedJob):
        job_type = JobType.MATCH_FETCHER

        def _load_configuration(self) -> None:
            BaseJob._load_configuration(self)

    ScriptedJob.script = script

    async def both() -> list[Any]:
        ctx = context_for(db_path)
        return list(
            await asyncio.gather(ScriptedJob(ANALYZER_ID, ctx).run(), Fetcher(2, ctx).run())
        )

    outcomes = asyncio.run(both())
    with Database(db_path).read() as con:
        for outcome, marker in zip(outcomes, (ANALYZER_ID, 2), strict=True):
            markers = {
                json.loads(f).get("job_marker")
                for (f,) in con.execute(
                    "SELECT fields FROM job_execution_logs"
                    " WHERE execution_id = ? AND event = 'tick'",
                    [outcome.execution_id],
                ).fetchall()
            }
            assert markers == {marker}


class Owner:
    """Stands in for a job instance in decorator tests."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error
        self.calls = 0

    @handle_riot_api_errors(
        "fetch x", critical=False, log_context=lambda self, puuid: {"puuid": puuid}
    )
    async def lenient(self, puuid: str) -> str:
        self.calls += 1
        if self.error:
            raise self.error
        return "ok"

    @handle_riot_api_errors("fetch y", critical=True)
    async def strict(self, puuid: str) -> str:
        if self.error:
            raise self.error
        return "ok"


def test_decorator_turns_rate_limit_error_into_signal() -> None:
    """RateLimitError becomes RateLimitSignal carrying retry_after_s."""
    owner = Owner(RateLimitError("slow down", retry_after_s=7.0, limit_type="application"))
    with pytest.raises(RateLimitSignal) as caught:
        asyncio.run(owner.lenient("p1"))
    assert caught.value.retry_after_s == 7.0


@pytest.mark.parametrize("error", [AuthenticationError("no key"), ForbiddenError("bad key")])
def test_decorator_always_reraises_auth_errors(error: Exception) -> None:
    """401/403 errors are re-raised even when the operation is not critical."""
    with pytest.raises(type(error)):
        asyncio.run(Owner(error).lenient("p1"))


def test_decorator_swallows_other_errors_when_not_critical_and_logs_context() -> None:
    """A non-critical failure returns None and logs operation, error and log_context."""
    with structlog.testing.capture_logs() as logs:
        result = asyncio.run(Owner(NotFoundError("gone")).lenient("p9"))
    assert result is None
    failed = [e for e in logs if e["event"] == "job.operation_failed"]
    assert failed and failed[0]["puuid"] == "p9" and failed[0]["operation"] == "fetch x"


def test_decorator_with_empty_brackets_names_the_operation_after_the_method() -> None:
    """`@handle_riot_api_errors()`, as the job guide writes it, works: the logs name the
    operation after the method, and a rate limit's message does too."""
    from pipeline.jobs import handle_riot_api_errors

    class Guide:
        def __init__(self, error: Exception) -> None:
            self.error = error

        @handle_riot_api_errors()
        async def _fetch_player_matches(self, puuid: str) -> str:
            raise self.error

    with structlog.testing.capture_logs() as logs:
        assert asyncio.run(Guide(NotFoundError("gone"))._fetch_player_matches("p1")) is None
    [failed] = [e for e in logs if e["event"] == "job.operation_failed"]
    assert failed["operation"] == "fetch player matches"
    limited = Guide(RateLimitError("slow down", retry_after_s=1.0, limit_type="application"))
    with pytest.raises(RateLimitSignal, match=r"^Rate limited during fetch player matches: "):
        asyncio.run(limited._fetch_player_matches("p1"))


@pytest.mark.parametrize("key", ["operation", "error", "critical", "event", "retry_after_s"])
def test_decorator_keeps_a_log_context_that_names_its_own_fields(key: str) -> None:
    """A log_context naming one of the decorator's fields (e.g. {"error": ...}) is kept as
    context_<key>; the handled error stays what the caller sees (it raised TypeError or
    KeyError instead, a non-critical failure ending the whole run)."""

    class Named:
        @handle_riot_api_errors(
            "fetch z", critical=False, log_context=lambda self, puuid: {key: puuid}
        )
        async def lenient(self, puuid: str) -> str:
            raise NotFoundError("gone")

        @handle_riot_api_errors("fetch w", log_context=lambda self, puuid: {key: puuid})
        async def limited(self, puuid: str) -> str:
            raise RateLimitError("slow down", retry_after_s=3.0, limit_type="application")

    with structlog.testing.capture_logs() as logs:
        assert asyncio.run(Named().lenient("p7")) is None
        with pytest.raises(RateLimitSignal):
            asyncio.run(Named().limited("p8"))
    failed = [e for e in logs if e["event"] == "job.operation_failed"]
    assert failed and failed[0]["operation"] == "fetch z"
    assert failed[0][key if key == "retry_after_s" else f"context_{key}"] == "p7"
    assert "NotFoundError" in failed[0]["error"]
    limited = [e for e in logs if e["event"] == "job.rate_limited"]
    assert limited and limited[0]["retry_after_s"] == 3.0
    assert limited[0][key if key in ("error", "critical") else f"context_{key}"] == "p8"


def test_decorator_reraises_other_errors_when_critical() -> None:
    """A critical operation re-raises what it caught."""
    with pytest.raises(NotFoundError):
        asyncio.run(Owner(NotFoundError("gone")).strict("p1"))


def test_decorator_passes_results_through() -> None:
    """Without an error the wrapped method's result comes back unchanged."""
    assert asyncio.run(Owner(None).lenient("p1")) == "ok"


def test_orphaned_running_rows_are_closed_with_a_clear_message(db_path: Path) -> None:
    """A RUNNING row whose process is gone is closed FAILED; a live one is left alone."""
    import os

    db = Database(db_path)
    orphan = add_execution(db_path, ANALYZER_ID, pid=2**22 + 12345)  # no such pid
    live = add_execution(db_path, ANALYZER_ID, pid=os.getppid())  # alive: the runner's parent
    # The orphan's process died two hours ago, after its last log line; it ends there, not
    # at the close (which would count the hours the scheduler was down as its duration).
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_executions SET started_at = now()::TIMESTAMP - INTERVAL 3 HOUR"
            " WHERE id = ?",
            [orphan],
        )
        con.execute(
            "INSERT INTO job_execution_logs VALUES"
            " (?, 1, now()::TIMESTAMP - INTERVAL 2 HOUR, 'info', 'progress', NULL)",
            [orphan],
        )
    assert close_orphans(db) == [orphan]
    closed = execution_row(db_path, orphan)
    assert closed["status"] == "FAILED"
    assert "ended before the run finished" in closed["error_message"]
    assert closed["finished_at"] - closed["started_at"] == timedelta(hours=1)
    assert execution_row(db_path, live)["status"] == "RUNNING"
    with pytest.raises(JobAlreadyRunningError, match=f"already running as execution {live}"):
        run_scripted(db_path, None)


def test_concurrent_commits_of_the_same_key_are_retried_and_counted_once(db_path: Path) -> None:
    """Two runs upserting one player at once both succeed; each counts its row once."""
    configure_logging(json_lines=True)
    both_inserted = threading.Barrier(2, timeout=10)
    first_attempts: set[int] = set()

    async def script(job: BaseJob, db: Database) -> None:
        def work(con: Any) -> None:
            con.execute(
                "INSERT INTO players (puuid, game_name) VALUES ('p-shared', ?)"
                " ON CONFLICT (puuid) DO UPDATE SET game_name = excluded.game_name",
                [f"job{job.job_config_id}"],
            )
            job.increment_metric("records_created")
            if job.job_config_id not in first_attempts:  # both hold the row before committing
                first_attempts.add(job.job_config_id)
                both_inserted.wait()

        await job.safe_commit(work)

    class Fetcher(ScriptedJob):
        job_type = JobType.MATCH_FETCHER

        def _load_configuration(self) -> None:
            BaseJob._load_configuration(self)

    ScriptedJob.script = script

    async def both() -> list[Any]:
        ctx = context_for(db_path)
        return list(
            await asyncio.gather(ScriptedJob(ANALYZER_ID, ctx).run(), Fetcher(2, ctx).run())
        )

    outcomes = asyncio.run(both())
    assert [o.status for o in outcomes] == [JobStatus.SUCCESS, JobStatus.SUCCESS]
    assert [o.metrics["records_created"] for o in outcomes] == [1, 1]
    for outcome in outcomes:
        assert execution_row(db_path, outcome.execution_id)["records_created"] == 1
    with Database(db_path).read() as con:
        assert con.execute("SELECT count(*) FROM players").fetchall() == [(1,)]


def forbid_status(db_path: Path, status: str) -> None:
    """Make the database itself refuse execution rows in ``status`` (a real write failure)."""
    with Database(db_path).write() as con:
        row = con.execute(
            "SELECT sql FROM duckdb_tables() WHERE table_name = 'job_executions'"
        ).fetchone()
        assert row is not None
        ddl = str(row[0]).rstrip().rstrip(";").rstrip()
        assert ddl.endswith(")")
        con.execute("ALTER TABLE job_executions RENAME TO job_executions_before")
        con.execute(f"{ddl[:-1]}, CHECK (status <> '{status}'))")
        con.execute("INSERT INTO job_executions SELECT * FROM job_executions_before")
        con.execute("DROP TABLE job_executions_before")


async def _nothing(job: BaseJob, db: Database) -> None:
    return None


def test_a_run_that_cannot_start_keeps_the_cause(db_path: Path) -> None:
    """When the PENDING row cannot be written, the error names why and no row is left
    FAILED without a message."""
    forbid_status(db_path, "PENDING")
    logs = io.StringIO()
    configure_logging(json_lines=True, stream=logs)
    ScriptedJob.script = _nothing
    with pytest.raises(Exception, match="CHECK constraint") as raised:
        asyncio.run(ScriptedJob(ANALYZER_ID, context_for(db_path)).run())
    assert "PENDING" in str(raised.value)
    with Database(db_path).read() as con:
        silent = con.execute(
            "SELECT count(*) FROM job_executions WHERE status = 'FAILED'"
            " AND coalesce(error_message, '') = ''"
        ).fetchall()
    assert silent == [(0,)]
    [line] = [json.loads(x) for x in logs.getvalue().splitlines() if "job.not_started" in x]
    assert "CHECK constraint" in line["error"]


def test_a_run_moves_from_pending_to_running_when_it_begins(db_path: Path) -> None:
    """The start leaves a PENDING row without a start time; the run makes it RUNNING with
    its start time before its work, and ends it."""
    from pipeline.jobs.executions import start_execution
    from pipeline.jobs.types import Trigger

    db = Database(db_path)
    started = start_execution(db, ANALYZER_ID, Trigger.MANUAL, None)
    pending = execution_row(db_path, started.execution_id)
    assert pending["status"] == "PENDING"
    assert pd.isna(pending["started_at"])
    assert pending["created_at"] is not None
    seen: list[dict[str, Any]] = []

    async def script(job: BaseJob, db: Database) -> None:
        seen.append(execution_row(db_path, started.execution_id))

    ScriptedJob.script = script
    configure_logging(json_lines=True)
    outcome = asyncio.run(ScriptedJob(ANALYZER_ID, context_for(db_path)).run(started=started))
    assert outcome.status is JobStatus.SUCCESS
    [during] = seen
    assert during["status"] == "RUNNING"
    assert during["started_at"] >= pending["created_at"]
    assert execution_row(db_path, started.execution_id)["status"] == "SUCCESS"


# Another program writing the database: no other process may open the file meanwhile.
HOLD_THE_FILE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()
con.close()
"""


def test_a_run_stopped_while_waiting_to_begin_says_it_never_began(db_path: Path) -> None:
    """Shut down while it waits for the database to begin (another program holds it), a
    run ends FAILED saying it stopped before its work began."""
    from pipeline.jobs.executions import start_execution
    from pipeline.jobs.types import Trigger

    started = start_execution(Database(db_path), ANALYZER_ID, Trigger.MANUAL, None)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FILE, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    ScriptedJob.script = _nothing
    configure_logging(json_lines=True)

    async def scenario() -> None:
        run = asyncio.create_task(
            ScriptedJob(ANALYZER_ID, context_for(db_path)).run(started=started)
        )
        await asyncio.sleep(1.0)  # waiting for the file to begin
        run.cancel()
        holder.communicate("done\n", timeout=30)  # the end can be written now
        with pytest.raises(asyncio.CancelledError):
            await run

    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        asyncio.run(scenario())
    finally:
        if holder.poll() is None:
            holder.communicate("done\n", timeout=30)
    row = execution_row(db_path, started.execution_id)
    assert row["status"] == "FAILED"
    assert row["error_message"].startswith("stopped before its work began")


def test_a_run_whose_begin_cannot_be_recorded_ends_failed_with_the_cause(db_path: Path) -> None:
    """When the RUNNING status cannot be written, the run does none of its work and its
    PENDING row ends FAILED naming why."""
    forbid_status(db_path, "RUNNING")
    worked: list[bool] = []

    async def script(job: BaseJob, db: Database) -> None:
        worked.append(True)

    outcome = run_scripted(db_path, script)
    assert outcome.status is JobStatus.FAILED
    assert worked == []
    row = execution_row(db_path, outcome.execution_id)
    assert row["status"] == "FAILED"
    assert "CHECK constraint" in row["error_message"]
    assert pd.isna(row["started_at"])


def test_a_run_whose_end_cannot_be_recorded_does_not_block_the_next(db_path: Path) -> None:
    """A run whose SUCCESS cannot be written leaves no live row behind: the next run starts,
    and the first row ends FAILED saying its end was not recorded."""
    forbid_status(db_path, "SUCCESS")
    configure_logging(json_lines=True)
    ScriptedJob.script = _nothing
    first = asyncio.run(ScriptedJob(ANALYZER_ID, context_for(db_path)).run())
    assert first.status is JobStatus.SUCCESS  # the work itself succeeded
    second = asyncio.run(ScriptedJob(ANALYZER_ID, context_for(db_path)).run())
    assert second.execution_id != first.execution_id
    row = execution_row(db_path, first.execution_id)
    assert row["status"] == "FAILED"
    assert "without recording its end" in row["error_message"]


@pytest.mark.parametrize(
    ("days", "weekdays"),
    [
        ("1-5", [0, 1, 2, 3, 4]),  # Monday to Friday (Python's weekday(): Monday is 0)
        ("0", [6]),
        ("7", [6]),
        ("*/2", [1, 3, 5, 6]),  # crontab's 0, 2, 4, 6: Sunday, Tuesday, Thursday, Saturday
        ("5-7", [4, 5, 6]),
        ("7-7", [6]),
        ("sun-sun", [6]),
        ("0-sun", [6]),
        ("fri-sun", [4, 5, 6]),
        ("sat-sun", [5, 6]),
        ("3/2", [2, 4, 6]),  # from Wednesday every second day up to 7: Wed, Fri, Sun
        ("mon,wed", [0, 2]),
        ("*", [0, 1, 2, 3, 4, 5, 6]),
    ],
)
def test_cron_day_of_week_reads_as_crontab(days: str, weekdays: list[int]) -> None:
    """Day-of-week numbers count from Sunday = 0 (APScheduler alone counts from Monday)."""
    from datetime import UTC, datetime, timedelta

    trigger = parse_schedule(f"cron(0 4 * * {days})")
    fire, seen = datetime(2026, 1, 1, tzinfo=UTC), set()
    for _ in range(14):
        fire = trigger.get_next_fire_time(None, fire + timedelta(seconds=1))
        seen.add(fire.weekday())
    assert sorted(seen) == weekdays


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ("cron(0 4 31 2 *)", "never fires"),
        ("cron(0 4 1 * 1)", "restricts both"),
        ("cron(0 4 * * 8)", "not a day of the week"),
        ("cron(0 4 * * 5-1)", "runs backwards"),
        ("interval(seconds=300, seconds=5)", "given twice"),
    ],
)
def test_schedules_that_would_fire_wrongly_are_refused(schedule: str, words: str) -> None:
    """A schedule that never fires, or would not fire when crontab would, is refused."""
    with pytest.raises(JobConfigError, match=words):
        parse_schedule(schedule)


def test_a_day_field_starting_with_a_star_needs_both_as_in_crontab() -> None:
    """crontab reads "every second day of the month, on Mondays" as both (the day field
    starts with "*"), as APScheduler does: such a schedule is taken."""
    from datetime import UTC, datetime, timedelta

    trigger = parse_schedule("cron(0 4 */2 * 1)")
    fire = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(6):
        fire = trigger.get_next_fire_time(None, fire + timedelta(seconds=1))
        assert fire.weekday() == 0 and fire.day % 2 == 1


def test_a_run_asked_to_stop_ends_between_its_units_of_work_keeping_them(
    db_path: Path,
) -> None:
    """Once the process is asked to stop, a run ends at its next ``stop_if_asked`` (its
    commits and metrics kept, the rest left for the next run), recorded as stopped; a job's
    own ``except Exception`` does not swallow the stop, and with nothing left it ends as
    usual."""
    from pipeline.jobs.base import STOPPED_AT_SHUTDOWN

    async def script(job: BaseJob, db: Database) -> None:
        await job.safe_commit(lambda con: job.increment_metric("records_created", 3))
        job.stop_if_asked(remaining=2)  # not asked yet: goes on
        await job.safe_commit(lambda con: job.increment_metric("records_created", 4))
        job.context.stop_requested = True  # Ctrl-C arrives while the unit runs
        with contextlib.suppress(Exception):  # a job catching broadly must not keep going
            job.stop_if_asked(remaining=1)
        await job.safe_commit(lambda con: job.increment_metric("records_updated", 9))

    outcome = run_scripted(db_path, script)
    assert outcome.status is JobStatus.FAILED
    assert outcome.error_message == f"{STOPPED_AT_SHUTDOWN} (1 left undone)"
    row = execution_row(db_path, outcome.execution_id)
    assert (row["status"], row["records_created"], row["records_updated"]) == ("FAILED", 7, 0)
    assert row["error_message"] == outcome.error_message

    async def last_unit(job: BaseJob, db: Database) -> None:
        job.context.stop_requested = True
        await job.safe_commit(lambda con: job.increment_metric("records_created", 1))
        job.stop_if_asked(remaining=0)  # the work is done: nothing to stop

    assert run_scripted(db_path, last_unit).status is JobStatus.SUCCESS

    async def in_tasks(job: BaseJob, db: Database) -> None:
        job.context.stop_requested = True

        async def unit() -> None:
            await job.safe_commit(lambda con: job.increment_metric("records_created", 1))
            job.stop_if_asked(remaining=1)

        async with asyncio.TaskGroup() as group:
            group.create_task(unit())

    grouped = run_scripted(db_path, in_tasks)
    assert (grouped.status, grouped.error_message) == (
        JobStatus.FAILED,
        f"{STOPPED_AT_SHUTDOWN} (1 left undone)",
    )

    async def failing_tasks(job: BaseJob, db: Database) -> None:
        async def broken() -> None:
            raise ValueError("bad row")

        async with asyncio.TaskGroup() as group:
            group.create_task(broken())

    failed = run_scripted(db_path, failing_tasks)  # a group of errors fails the run as before
    assert failed.status is JobStatus.FAILED
    assert (failed.error_message or "").startswith("ExceptionGroup: unhandled errors")

    async def stop_beside_an_error(job: BaseJob, db: Database) -> None:
        job.context.stop_requested = True

        async def stopping() -> None:
            job.stop_if_asked(remaining=1)

        async def broken() -> None:
            raise ValueError("bad row")

        async with asyncio.TaskGroup() as group:
            group.create_task(stopping())
            group.create_task(broken())

    mixed = run_scripted(db_path, stop_beside_an_error)  # the error is not hidden by the stop
    assert (mixed.status, mixed.error_message) == (JobStatus.FAILED, "ValueError: bad row")


def test_jobs_reach_the_riot_api_only_through_the_data_manager() -> None:
    """The guide's rule, as far as the job modules' text shows it: every ``self.riot()`` in
    them is the client handed to a ``RiotDataManager`` (the ban checker's lookups live in
    ``account_lookup``, behind ``RiotDataManager.observe_account``)."""
    import pipeline.jobs as jobs_package

    folder = Path(jobs_package.__file__).parent
    for module in sorted(folder.glob("*.py")):
        text = module.read_text()
        calls = text.count("self.riot()")
        handed = text.count("RiotDataManager(self.riot(), db)")
        if module.name != "base.py":  # where self.riot() is defined
            assert calls == handed, f"{module.name} calls the Riot client directly"
