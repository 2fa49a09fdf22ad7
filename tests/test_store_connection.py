"""Short-lived connections across processes, migrations and schema checks."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from structlog.testing import capture_logs

from pipeline.store import (
    DatabaseBusyError,
    SchemaOutOfDateError,
    SchemaTooNewError,
    check_schema,
    current_version,
    latest_version,
    migrate,
    read,
    write,
)
from pipeline.store.write_gate import WriteGate

# Holds the file read-write until a line arrives on stdin (or stdin closes).
HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()
con.close()
print("released", flush=True)
"""


@contextmanager
def holder_process(db_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another OS process that keeps ``db_path`` open until told to let go."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "holding"
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def release_after_first_wait(process: subprocess.Popen[str]) -> None:
    """Tell the holder to let go; called the first time the waiter sleeps."""
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()
    assert process.stdout is not None and process.stdout.readline().strip() == "released"


@pytest.mark.parametrize(("notice_s", "level"), [(None, "debug"), (0.0, "info")])
def test_waiter_gets_the_file_once_the_holder_closes(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, notice_s: float | None, level: str
) -> None:
    """A writer blocked by another process succeeds after it closes, and logs whom it waited
    for: for debugging while the wait is routine (a moment's wait is not shown to someone
    at a terminal), as a notice once it has lasted WAIT_NOTICE_S (here no time passes)."""
    from pipeline.store import connection

    if notice_s is not None:
        monkeypatch.setattr(connection, "WAIT_NOTICE_S", notice_s)
    with holder_process(db_path) as holder:
        released: list[bool] = []

        def sleep_then_release(delay_s: float) -> None:
            if not released:
                release_after_first_wait(holder)
                released.append(True)

        with capture_logs() as logs:
            con = connection.connect_with_retry(
                db_path, read_only=False, timeout_s=60, sleep=sleep_then_release
            )
        con.execute("INSERT INTO players (puuid) VALUES ('after-wait')")
        con.close()
    waits = [e for e in logs if e["event"] == "db.waiting_for_lock"]
    assert released == [True]
    assert waits and waits[0]["holder_pid"] == str(holder.pid)
    acquired = [e for e in logs if e["event"] == "db.lock_acquired"]
    assert [e["log_level"] for e in waits + acquired] == [level, level]


def test_reader_waits_for_a_writer_in_another_process(db_path: Path) -> None:
    """read() also waits for a process holding the file read-write, then reads."""
    with holder_process(db_path) as holder:
        from pipeline.store.connection import connect_with_retry

        calls: list[float] = []

        def sleep_then_release(delay_s: float) -> None:
            if not calls:
                release_after_first_wait(holder)
            calls.append(delay_s)

        con = connect_with_retry(db_path, read_only=True, timeout_s=60, sleep=sleep_then_release)
        try:
            assert current_version(con) == latest_version()
        finally:
            con.close()
    assert len(calls) >= 1


def test_busy_error_names_the_holder_past_the_bound(db_path: Path) -> None:
    """Past its bound the waiter raises DatabaseBusyError naming the holder's PID."""
    with holder_process(db_path) as holder:
        with pytest.raises(DatabaseBusyError) as caught, write(db_path, timeout_s=0.2):
            pass
        assert caught.value.holder == str(holder.pid)
        assert f"process {holder.pid}" in str(caught.value)
        assert "SMURF_LOCK_TIMEOUT_S" in str(caught.value)


def test_migrations_are_idempotent(db_path: Path) -> None:
    """Migrating an up-to-date database applies nothing and keeps the seeded rows."""
    with read(db_path) as con:
        jobs_before = con.execute("SELECT count(*) FROM job_configurations").fetchone()
    assert migrate(db_path) == []
    with read(db_path) as con:
        assert current_version(con) == latest_version()
        assert con.execute("SELECT count(*) FROM job_configurations").fetchone() == jobs_before
        versions = [v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()]
    assert versions == sorted(set(versions))
    assert jobs_before is not None and jobs_before[0] >= 4


def test_a_unit_of_work_commits_to_the_log_without_a_checkpoint(db_path: Path) -> None:
    """Closing a write does not checkpoint (the write-ahead log keeps the commit), and a
    reader in another process sees what was committed."""
    wal = Path(f"{db_path}.wal")
    with write(db_path) as con:
        con.execute("CREATE TABLE notes (n INTEGER PRIMARY KEY)")
    with write(db_path) as con:
        con.execute("INSERT INTO notes VALUES (1), (2), (3)")
    assert wal.exists() and wal.stat().st_size > 0
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True);"
            " print(con.execute('SELECT count(*) FROM notes').fetchone()[0])",
            str(db_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert count.stdout.strip() == "3"


def test_the_log_every_opener_replays_stays_small(db_path: Path) -> None:
    """Units of work that together log far more than the bound leave a log near it, not
    DuckDB's default 16 MB, so no open replays more than a few commits."""
    wal = Path(f"{db_path}.wal")
    with write(db_path) as con:
        con.execute("CREATE TABLE notes (n INTEGER PRIMARY KEY, text VARCHAR)")
    largest = 0
    for batch in range(40):  # about 12 MB of incompressible text in all
        with write(db_path) as con:
            con.execute(
                "INSERT INTO notes SELECT $first + i, sha256(random()::VARCHAR) ||"
                " repeat(md5(random()::VARCHAR), 8) FROM range(1000) t(i)",
                {"first": batch * 1000},
            )
        largest = max(largest, wal.stat().st_size if wal.exists() else 0)
    assert largest < 4_000_000
    with read(db_path) as con:
        assert con.execute("SELECT count(*) FROM notes").fetchone() == (40_000,)


def test_a_schema_change_is_checkpointed_so_the_next_open_works(db_path: Path) -> None:
    """A unit of work that alters a table checkpoints it at once: DuckDB cannot replay
    ALTER TABLE .. ADD COLUMN from its log, and the next open would fail."""
    with write(db_path) as con:
        con.execute("ALTER TABLE players ADD COLUMN note VARCHAR")
    with write(db_path) as con:
        con.execute("INSERT INTO players (puuid, note) VALUES ('p', 'hello')")
    with read(db_path) as con:
        assert con.execute("SELECT note FROM players").fetchone() == ("hello",)


def test_a_migrated_file_holds_every_migration_without_its_log(tmp_path: Path) -> None:
    """After a migration the file alone is at the latest version (as a copy of it is), even
    when the last migration changed data only and left no schema change to checkpoint."""
    path = tmp_path / "smurf.duckdb"
    migrate(path)
    assert not path.with_name(path.name + ".wal").exists()
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(path.read_bytes())
    with duckdb.connect(str(copy), read_only=True) as con:
        assert current_version(con) == latest_version()


def test_seed_inserts_the_four_job_types(db_path: Path) -> None:
    """The seed migration configures the four job types of the job system."""
    with read(db_path) as con:
        types = {t for (t,) in con.execute("SELECT job_type FROM job_configurations").fetchall()}
    assert {"TRACKED_PLAYER_UPDATER", "MATCH_FETCHER", "SMURF_ANALYZER", "BAN_CHECKER"} <= types


def test_payload_migration_moves_existing_raw_json(tmp_path: Path) -> None:
    """Upgrading a database whose matches hold raw JSON moves it to match_payloads."""
    from pipeline.store.migrate import available_migrations

    path = tmp_path / "v4.duckdb"
    with write(path) as con:
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR,"
            " applied_at TIMESTAMP)"
        )
        for migration in available_migrations():
            if migration.name == "match_payloads":
                break
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now())",
                [migration.version, migration.name],
            )
        con.execute(
            "INSERT INTO matches (match_id, participant_count, raw_json) VALUES"
            " ('EUW1_1', 0, '{\"a\": 1}'), ('SIM_2', 0, NULL)"
        )
    migrate(path)
    with read(path) as con:
        payloads = con.execute("SELECT match_id, raw_json->>'a' FROM match_payloads").fetchall()
        columns = {
            c
            for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'matches'"
            ).fetchall()
        }
    assert payloads == [("EUW1_1", "1")]
    assert "raw_json" not in columns


def test_schema_behind_asks_to_migrate(tmp_path: Path) -> None:
    """A database behind this release raises SchemaOutOfDateError telling to migrate."""
    path = tmp_path / "old.duckdb"
    with write(path) as con:
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER, name VARCHAR, applied_at TIMESTAMP)"
        )
        con.execute("INSERT INTO schema_migrations VALUES (1, 'initial_schema', now())")
    with read(path) as con, pytest.raises(SchemaOutOfDateError) as caught:
        check_schema(con, path)
    assert "run `smurf db migrate`" in str(caught.value)
    assert caught.value.current == 1


def test_schema_too_new_is_refused(db_path: Path) -> None:
    """A database migrated by a newer release raises SchemaTooNewError, even on migrate."""
    with write(db_path) as con:
        con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    with read(db_path) as con, pytest.raises(SchemaTooNewError):
        check_schema(con, db_path)
    with pytest.raises(SchemaTooNewError):
        migrate(db_path)


def test_read_of_a_missing_file_says_to_migrate(tmp_path: Path) -> None:
    """Reading a database that does not exist fails with the migrate hint, creating nothing."""
    path = tmp_path / "missing.duckdb"
    with pytest.raises(FileNotFoundError, match="smurf db migrate") as caught, read(path):
        pass
    assert not path.exists()
    assert "demo" not in str(caught.value)


def test_read_of_a_missing_default_names_the_demo_database_beside_it(tmp_path: Path) -> None:
    """After `make demo`, the default database is missing but the demo's is there: the
    error says how to read it, and still how to create the default."""
    migrate(tmp_path / "demo.duckdb")
    path = tmp_path / "smurf.duckdb"
    with pytest.raises(FileNotFoundError) as caught, read(path):
        pass
    message = str(caught.value)
    assert "smurf db migrate" in message
    assert f"--db {tmp_path / 'demo.duckdb'}" in message
    assert not path.exists()


def test_read_connection_refuses_writes(db_path: Path) -> None:
    """read() hands out a read-only connection."""
    with read(db_path) as con, pytest.raises(duckdb.Error):
        con.execute("INSERT INTO players (puuid) VALUES ('x')")


def test_concurrent_updates_of_one_player_in_one_process_are_retried(db_path: Path) -> None:
    """Two transactions updating the same player row at once both land: the one DuckDB
    refuses ("Conflict on update", met inside a bulk upsert) runs again."""
    from pipeline.store import transact
    from pipeline.store.writers import upsert_players

    with write(db_path) as con:
        con.execute("INSERT INTO players (puuid, game_name) VALUES ('p1', 'before')")
    first_updated, second_tried = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first(con: duckdb.DuckDBPyConnection) -> None:
        upsert_players(con, [{"puuid": "p1", "game_name": "first"}])
        first_updated.set()
        second_tried.wait(5)  # hold the row until the other transaction has met it

    def second(con: duckdb.DuckDBPyConnection) -> None:
        first_updated.wait(5)
        try:
            upsert_players(con, [{"puuid": "p1", "game_name": "second"}])
        finally:
            second_tried.set()

    def run(work: Any) -> None:
        try:
            transact(db_path, work)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with read(db_path) as con:
        assert con.execute("SELECT game_name FROM players").fetchall() == [("second",)]


def test_a_large_transaction_that_keeps_colliding_runs_alone_and_lands(db_path: Path) -> None:
    """A batch of new players that small transactions keep adding first (a crawl's large
    commit beside a busy fetcher) is not starved: after its optimistic attempts it runs
    alone, and lands on the next attempt."""
    from pipeline.store import transact

    keys = [f"p{i:03d}" for i in range(300)]
    add_new = "INSERT INTO players (puuid) SELECT k FROM unnest(?) t(k)" + (
        " WHERE k NOT IN (SELECT puuid FROM players)"
    )
    attempts: list[int] = []
    big_done = threading.Event()

    def big(con: duckdb.DuckDBPyConnection) -> None:
        attempts.append(len(attempts) + 1)
        con.execute(add_new, [keys])
        time.sleep(0.3)  # a large batch takes a while: the small ones commit meanwhile

    def small_ones() -> None:
        for key in keys:
            if big_done.is_set():
                return
            transact(db_path, lambda con, k=key: con.execute(add_new, [[k]]))
            time.sleep(0.01)

    adder = threading.Thread(target=small_ones)
    with capture_logs() as logs:
        adder.start()
        try:
            time.sleep(0.05)
            transact(db_path, big)
        finally:
            big_done.set()
            adder.join(60)
    retried = {
        (e["attempt"], e["alone"]) for e in logs if e["event"] == "db.write_conflict_retried"
    }
    assert {(1, False), (2, True)} <= retried  # the log says when a transaction goes alone
    assert attempts == [1, 2, 3]  # two collisions, then one attempt alone that lands
    with read(db_path) as con:
        assert con.execute("SELECT count(*), count(DISTINCT puuid) FROM players").fetchone() == (
            300,
            300,
        )


# Keeps the file busy from three threads whose units of work overlap, as a scheduler running
# several jobs does; each unit opens and closes its own connection. Stops after argv[2] s.
BUSY_PROCESS = """
import sys, threading, time
from pathlib import Path
from pipeline.log import configure_logging
from pipeline.store.connection import write
configure_logging(json_lines=True, level="critical", stream=sys.stderr)  # stdout: the counts
path, until = Path(sys.argv[1]), time.monotonic() + float(sys.argv[2])
units, finished = [], []
def work(offset):
    time.sleep(offset)
    while time.monotonic() < until:
        with write(path) as con:
            con.execute("INSERT INTO players (puuid) VALUES (uuid()::VARCHAR)")
            time.sleep(0.15)
        units.append(1)
    finished.append(1)  # not reached by a thread that failed
threads = [threading.Thread(target=work, args=(o,)) for o in (0.0, 0.05, 0.1)]
for t in threads:
    t.start()
time.sleep(0.5)
print("busy", flush=True)
for t in threads:
    t.join()
print(len(units), len(finished), flush=True)
"""


@pytest.mark.slow
def test_a_process_kept_waiting_gets_its_turn_from_one_whose_units_overlap(
    db_path: Path,
) -> None:
    """A process whose threads keep the file open without a break (each unit short, but
    always one in flight) lets a waiting reader in: the reader asks for a turn, the busy
    process holds back its next units until the reader is in, then goes on."""
    busy = subprocess.Popen(
        [sys.executable, "-c", BUSY_PROCESS, str(db_path), "12"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert busy.stdout is not None and busy.stdout.readline().strip() == "busy"
        reads = []
        for _ in range(3):
            with read(db_path, timeout_s=8) as con:
                row = con.execute("SELECT count(*) FROM players").fetchone()
            assert row is not None
            reads.append(int(row[0]))
        units_done, finished = busy.stdout.readline().split()
        assert busy.wait(timeout=60) == 0
    finally:
        if busy.poll() is None:
            busy.kill()
    assert finished == "3"  # no busy thread failed
    assert reads == sorted(reads) and reads[-1] > 0  # the busy process kept writing
    with read(db_path) as con:
        stored = con.execute("SELECT count(*) FROM players").fetchone()
    assert stored == (int(units_done),)  # and lost nothing while it held back


def test_an_opener_holds_back_for_a_waiter_only_within_its_bound_and_never_over_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's fresh request makes an opener hold back; not past the opener's own
    bound on waiting, and not in a thread that has the file open already (however the path
    is spelled there)."""
    from pipeline.store import turns

    monkeypatch.chdir(tmp_path)
    path = Path("smurf.duckdb")
    turns.waiting_path(path).write_text("999999999")  # another process asks for a turn
    looks: list[float] = []
    turns.hold_back(path, 0.1, looks.append)
    assert looks  # held back: looked again and again until its bound
    looks.clear()
    turns.hold_back(path, 0.0, looks.append)
    assert looks == []  # an opener that may not wait does not hold back
    with turns.holding(path):
        turns.hold_back((tmp_path / "smurf.duckdb").resolve(), 5.0, looks.append)
    assert looks == []  # this thread keeps the file open anyway: waiting would only delay it
    turns.ask_for_turn(path)  # now the request is this process's own
    turns.hold_back(path, 5.0, looks.append)
    assert looks == []
    turns.stop_asking(path)
    assert not turns.waiting_path(path).exists()


@contextmanager
def _held_alone_elsewhere(gate: WriteGate) -> Iterator[None]:
    """For the block, another thread holds ``gate`` alone (and lets go afterwards)."""
    inside, leave = threading.Event(), threading.Event()

    def alone() -> None:
        with gate.held(alone=True, timeout_s=5):
            inside.set()
            leave.wait(5)

    runner = threading.Thread(target=alone)
    runner.start()
    try:
        assert inside.wait(5)
        yield
    finally:
        leave.set()
        runner.join(5)


def test_a_write_kept_from_the_gate_past_its_bound_is_busy_not_stuck() -> None:
    """While one write runs alone, another that may wait 0.2 s, shared or alone, gives up
    with ``GateTimeout`` instead of waiting on, and the gate is free afterwards."""
    from pipeline.store.write_gate import GateTimeout

    gate = WriteGate()
    with _held_alone_elsewhere(gate):
        with pytest.raises(GateTimeout), gate.held(alone=False, timeout_s=0.2):
            pass
        with pytest.raises(GateTimeout), gate.held(alone=True, timeout_s=0.2):
            pass
    with gate.held(alone=False, timeout_s=1):  # nobody left holding or waiting
        pass


def test_writes_wait_past_their_bound_for_a_patient_pass_run_alone() -> None:
    """A pass that asked to run alone from the start (the analyzer rebuilding the lobby
    reference, which can take a while) keeps the other writes waiting past their own bound
    until it is done, rather than failing them as busy."""
    gate = WriteGate()
    inside, leave = threading.Event(), threading.Event()

    def patient_pass() -> None:
        with gate.held(alone=True, timeout_s=5, patient=True):
            inside.set()
            leave.wait(5)

    runner = threading.Thread(target=patient_pass)
    runner.start()
    assert inside.wait(5)
    started = time.monotonic()  # before the timer: its 0.6 s all fall within the wait
    threading.Timer(0.6, leave.set).start()
    with gate.held(alone=False, timeout_s=0.2):
        waited_s = time.monotonic() - started
    runner.join(5)
    assert waited_s >= 0.5


def test_transact_reports_a_gate_timeout_as_a_busy_database(db_path: Path) -> None:
    """Waiting for this process's other writes counts against the lock timeout: while one
    runs alone, a transaction that may wait 0.3 s says the database is busy, and why."""
    from pipeline.store import transact
    from pipeline.store.location import location_key
    from pipeline.store.write_gate import gate_for

    gate = gate_for(location_key(db_path))
    with _held_alone_elsewhere(gate), pytest.raises(DatabaseBusyError) as caught:
        transact(db_path, lambda con: None, timeout_s=0.3)
    assert "this process, another write" in str(caught.value)
    assert transact(db_path, lambda con: 1) == 1  # the gate is free again


# Run with the host at UTC+9: the stored-at columns' defaults and now() must read UTC, as
# every time the product writes from Python does. Prints hours ahead of UTC for each.
_ZONE_PROBE = """
import sys
from datetime import UTC, datetime
from pipeline.store import migrate, read, write
path = sys.argv[1]
migrate(path)
with write(path) as con:
    con.execute("INSERT INTO players (puuid) VALUES ('p')")
    stored = con.execute("SELECT discovered_at FROM players").fetchone()[0]
    queued = con.execute("SELECT now()::TIMESTAMP").fetchone()[0]
with read(path) as con:
    read_now = con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]
now = datetime.now(UTC).replace(tzinfo=None)
print(" ".join(str(round((t - now).total_seconds() / 3600)) for t in (stored, queued, read_now)))
"""


def test_times_are_stored_in_utc_on_a_host_in_another_zone(tmp_path: Path) -> None:
    """On a host at UTC+9, a row's stored-at default and now() read as UTC, not local."""
    result = subprocess.run(
        [sys.executable, "-c", _ZONE_PROBE, str(tmp_path / "zone.duckdb")],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "Asia/Tokyo"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["0", "0", "0"]  # logs come first


def test_no_connection_draws_a_progress_bar(db_path: Path) -> None:
    """DuckDB draws a progress bar for a query past two seconds: a black bar above a
    notebook's table and its text ("FloatProgress(value=0.0, ...)") in a report's page on a
    large database. Every connection the store opens has it off."""
    query = "SELECT current_setting('enable_progress_bar')"
    with read(db_path) as con:
        assert con.execute(query).fetchone() == (False,)
    with write(db_path) as con:
        assert con.execute(query).fetchone() == (False,)
