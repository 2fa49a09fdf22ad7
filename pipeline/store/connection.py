"""Short-lived DuckDB connections with lock-conflict retry, and write-conflict retry.

``write()`` and ``read()`` take where the data lives (``pipeline.store.location``): a file
path, or a DuckLake URL, whose connections ``pipeline.store.lake`` provides.

DuckDB lets one process hold a file read-write, and a writer also blocks readers in other
processes. So nothing keeps the file open: ``write()`` and ``read()`` open a connection for
one unit of work and close it. When another process holds the file, we retry with jittered
exponential backoff up to ``timeout_s``, logging who we waited for, then raise
``DatabaseBusyError`` naming the holder. A waiter asks the holder for a turn (``turns``).

Within one process, connections share the file and their transactions run side by side;
two that write the same key collide, and DuckDB fails the second ("Conflict on update",
or a duplicate key at commit). ``transact(path, work)`` runs ``work(con)`` in a write
transaction and runs it again from the start on such a collision (tenacity: a bounded
number of attempts with jittered backoff), raising ``WriteConflictError`` if it persists.
A transaction that keeps colliding then runs alone in its process (``write_gate``).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import tenacity

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S, demo_database_beside
from pipeline.log import get_logger
from pipeline.store import lake, turns
from pipeline.store.errors import DatabaseBusyError, NotADatabaseError, WriteConflictError
from pipeline.store.interrupts import interruptible
from pipeline.store.location import (
    LakeLocation,
    Location,
    folder_is_made_on_migrate,
    location_key,
    make_database_folder,
    parse_location,
    refuse_directory,
)
from pipeline.store.transaction import transaction
from pipeline.store.utc import use_utc, without_progress_bar
from pipeline.store.write_gate import OPTIMISTIC_ATTEMPTS, GateTimeout, gate_for

log = get_logger(__name__)

_LOCK_MARKERS = ("Could not set lock on file", "Conflicting lock is held")
_NOT_A_DATABASE_MARKER = "not a valid DuckDB database file"
_HOLDER_PID = re.compile(r"\(PID (\d+)\)")
# Same process, connection already open with the other read_only setting.
_SAME_PROCESS_MARKER = "different configuration"

_OPEN_LOCK = threading.Lock()

FIRST_BACKOFF_S = 0.02
MAX_BACKOFF_S = 1.0
# A wait is logged when it begins and then every so often, however often it retries: at
# debug level while it is routine (another program's unit of work ending), as a notice once
# it has lasted WAIT_NOTICE_S. Every wait noticed shows in the commands' output, and a
# moment's wait was most of them (0.7-2.9 s under a busy scheduler).
WAIT_LOG_EVERY_S = 5.0
WAIT_NOTICE_S = 3.0
# Messages of DuckDB's TransactionException when a concurrent transaction won the race.
_CONFLICT_MARKERS = ("Conflict on", "constraint violation")
_DUPLICATE_KEY = "Duplicate key"
WRITE_CONFLICT_ATTEMPTS = 6

T = TypeVar("T")


def lock_holder(message: str) -> str | None:
    """The PID DuckDB names in a lock-conflict message, if any."""
    match = _HOLDER_PID.search(message)
    return match.group(1) if match else None


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether a DuckDB error means another process holds the file."""
    return isinstance(exc, duckdb.IOException) and any(m in str(exc) for m in _LOCK_MARKERS)


def connect_with_retry(
    path: Path | str,
    *,
    read_only: bool,
    timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
    config: Mapping[str, Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open ``path``, waiting up to ``timeout_s`` for another process to let go of it.

    ``config`` holds DuckDB settings for the connection; a connection with settings of its
    own never shares an instance this process already has open with other settings.
    """
    path = Path(path)
    refuse_directory(path)
    if not read_only:
        make_database_folder(path)
    started = time.monotonic()
    backoff_s = FIRST_BACKOFF_S
    attempts = 0
    logged_at = -WAIT_LOG_EVERY_S
    noticed = False
    asked = False
    turns.hold_back(path, timeout_s, sleep)
    try:
        while True:
            attempts += 1
            try:
                con = _connect(path, read_only=read_only, config=config)
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if _NOT_A_DATABASE_MARKER in str(exc):
                    raise NotADatabaseError(str(path)) from None
                if is_lock_conflict(exc):
                    holder = lock_holder(str(exc))
                    # Another process holds the file: ask it for a turn, and try often.
                    turns.ask_for_turn(path)
                    asked = True
                    backoff_s = min(backoff_s, turns.WAITER_RETRY_S)
                elif _SAME_PROCESS_MARKER in str(exc):
                    # A read-only connection of this process is open; it is short-lived.
                    holder = f"{os.getpid()} (this process, reading)"
                else:
                    raise
                waited_s = time.monotonic() - started
                if waited_s >= timeout_s:
                    raise DatabaseBusyError(str(path), waited_s, holder) from None
                delay_s = min(backoff_s * random.uniform(0.5, 1.5), timeout_s - waited_s)
                notice = not noticed and waited_s >= WAIT_NOTICE_S
                if notice or waited_s - logged_at >= WAIT_LOG_EVERY_S:
                    logged_at = waited_s
                    noticed = noticed or notice
                    (log.info if noticed else log.debug)(
                        "db.waiting_for_lock",
                        path=str(path),
                        holder_pid=holder,
                        waited_s=round(waited_s, 2),
                        read_only=read_only,
                    )
                sleep(max(delay_s, 0.0))
                backoff_s = min(backoff_s * 2, MAX_BACKOFF_S)
                continue
            if attempts > 1:
                (log.info if noticed else log.debug)(
                    "db.lock_acquired",
                    path=str(path),
                    attempts=attempts,
                    waited_s=round(time.monotonic() - started, 2),
                )
            return con
    finally:
        if asked:
            turns.stop_asking(path)


def missing_database_message(path: Path) -> str:
    """Why a database cannot be read and what to do: create it, or read the demo's database
    when one sits beside it."""
    if not folder_is_made_on_migrate(path):  # `db migrate` would refuse it: likely a typo
        return (
            f"The database {path} does not exist, nor does its folder {path.parent}. Check "
            f"--db / SMURF_DB for a typo, or create the folder first (mkdir -p {path.parent}) "
            "and run `smurf db migrate`."
        )
    message = f"The database {path} does not exist: run `smurf db migrate` to create it"
    demo = demo_database_beside(path)
    if demo is not None:
        return f"{message}, or read the demo's database with --db {demo} (or SMURF_DB={demo})."
    return f"{message}."


def require_file(location: Location) -> None:
    """Raise ``FileNotFoundError`` (what to run) when ``location`` is a file that does not
    exist: DuckDB would create an empty one, which only ``migrate`` should."""
    if isinstance(location, Path) and not location.exists():
        raise FileNotFoundError(missing_database_message(location))


def _connect(
    path: Path, *, read_only: bool, config: Mapping[str, Any] | None
) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise FileNotFoundError(missing_database_message(path))
    if not _holds_duckdb_header(path):
        # DuckDB reads a file of another kind by its name (x.csv, x.json) as something else
        # to query, and fails later with an error about that.
        raise NotADatabaseError(str(path))
    # DuckDB's per-process instance cache races when two threads open the same file at
    # once ("Unique file handle conflict"); opening is quick, so opens take turns.
    with _OPEN_LOCK:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(config or {}))
        except duckdb.ConnectionException as exc:
            # This process already has the file open read-write (the scheduler's API reading
            # while a job writes): share that instance instead of failing, unless this
            # connection needs settings of its own (then it waits, like for another process).
            if read_only and config is None and _SAME_PROCESS_MARKER in str(exc):
                con = duckdb.connect(str(path), read_only=False)
            else:
                raise
        # Under the lock: a read-mode connection sharing this instance locks its settings.
        use_utc(con)
        without_progress_bar(con)
    return con


# A DuckDB file starts with an 8-byte checksum, then its magic bytes.
_DUCKDB_MAGIC = b"DUCK"
_MAGIC_AT = 8


def _holds_duckdb_header(path: Path) -> bool:
    """Whether ``path`` is missing, empty (left to DuckDB: a writer makes a database of it)
    or a DuckDB file."""
    try:
        with path.open("rb") as file:
            head = file.read(_MAGIC_AT + len(_DUCKDB_MAGIC))
    except FileNotFoundError:
        return True
    return not head or head[_MAGIC_AT:] == _DUCKDB_MAGIC


# Every opener replays the log, so its size is paid by each connection until the next
# checkpoint: with DuckDB's default (16 MB) a log of 12 MB took 3.5 s to open. Measured on
# 40 commits of 10 matches into 1.5 M stored games: 2 MB made the commits 32 % and the
# opens 55 % quicker than 16 MB (1 MB checkpointed nearly every commit; 4 MB sat between).
WAL_CHECKPOINT_SIZE = "2MB"


@contextmanager
def write(
    path: Location | str, *, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection for one unit of work, in one transaction.

    Commits when the block ends normally, rolls back (writing nothing) when it raises;
    Ctrl-C and SIGTERM stop the statement it runs (``interrupts``), so the rollback comes at once.
    """
    location = parse_location(path)
    if isinstance(location, LakeLocation):
        with lake.write(location, timeout_s=timeout_s) as lake_con:
            yield lake_con
        return
    con = connect_with_retry(location, read_only=False, timeout_s=timeout_s)
    with turns.holding(location), closing(con), interruptible(con):
        # Closing the last connection checkpoints by default: every index is written back
        # to the file, about a second per unit of work once a crawl holds a few hundred
        # thousand rows. Committed rows are safe in the write-ahead log (each commit syncs
        # it), the next opener replays it, and DuckDB checkpoints at a commit once the log
        # passes WAL_CHECKPOINT_SIZE. Schema changes are checkpointed at once: DuckDB 1.5
        # cannot replay some of them (ALTER TABLE .. ADD COLUMN) from the log.
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        con.execute(f"SET checkpoint_threshold = '{WAL_CHECKPOINT_SIZE}'")
        schema = _schema_fingerprint(con)
        with transaction(con):
            yield con
        if _schema_fingerprint(con) != schema:
            con.execute("CHECKPOINT")


_SCHEMA_FINGERPRINT = """
SELECT hash(string_agg(definition, ';' ORDER BY definition)) FROM (
    SELECT sql AS definition FROM duckdb_tables()
    WHERE NOT temporary AND database_name = current_database()
    UNION ALL SELECT sql FROM duckdb_views()
    WHERE NOT internal AND NOT temporary AND database_name = current_database()
    UNION ALL SELECT coalesce(sql, index_name) FROM duckdb_indexes()
    WHERE database_name = current_database()
    UNION ALL SELECT sequence_name FROM duckdb_sequences()
    WHERE NOT temporary AND database_name = current_database()
)"""


def _schema_fingerprint(con: duckdb.DuckDBPyConnection) -> int:
    """A hash of the persistent schema: tables, views, indexes and sequences."""
    row = con.execute(_SCHEMA_FINGERPRINT).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


@contextmanager
def read(
    path: Location | str,
    *,
    timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    config: Mapping[str, Any] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for one unit of work; Ctrl-C and SIGTERM stop the statement
    it runs (``interrupts``).

    ``config`` holds DuckDB settings for a file's connection; a lake's connections come from
    the one instance this process attaches, whose settings stay as the lake needs them.
    """
    location = parse_location(path)
    if isinstance(location, LakeLocation):
        with lake.read(location) as lake_con:
            yield lake_con
        return
    con = connect_with_retry(location, read_only=True, timeout_s=timeout_s, config=config)
    with turns.holding(location), closing(con), interruptible(con):
        yield con


def is_write_conflict(exc: BaseException) -> bool:
    """Whether a DuckDB error means a concurrent transaction of this process wrote first.

    The conflict may hide behind a later error of the same transaction (cleaning up after a
    failed statement meets "Current transaction is aborted"), so the chain is searched. A
    key inserted by a transaction that committed meanwhile counts too.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, duckdb.TransactionException) and any(
            m in str(seen) for m in _CONFLICT_MARKERS
        ):
            return True
        # Two transactions adding the same new key (a player first met by two jobs at once):
        # the second meets the first's committed row, which its snapshot did not show when it
        # checked the key was new. Run again, it sees the row and skips it.
        if isinstance(seen, duckdb.ConstraintException) and _DUPLICATE_KEY in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def transact(
    path: Location | str,
    work: Callable[[duckdb.DuckDBPyConnection], T],
    *,
    timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    attempts: int = WRITE_CONFLICT_ATTEMPTS,
    alone: bool = False,
) -> T:
    """``work(con)`` in one write transaction, run again whole when a concurrent one collides.

    ``work`` must be safe to repeat: each attempt starts from what is committed, and a
    failed attempt leaves nothing behind (its transaction is rolled back). Past
    ``OPTIMISTIC_ATTEMPTS`` collisions, attempts run alone among this process's transactions
    on the database, so a large one cannot lose to small ones for ever; ``alone`` runs every
    attempt so, for work that must see every write of this process committed before it and
    none beside it (a rebuild of what the writers derive from what they read), and the other
    writes wait for it past their lock timeout (``write_gate.PATIENT_WAIT_S``).
    """
    gate = gate_for(location_key(parse_location(path)))
    tried = 0

    def attempt() -> T:
        nonlocal tried
        tried += 1
        try:
            with gate.held(
                alone=alone or tried > OPTIMISTIC_ATTEMPTS, timeout_s=timeout_s, patient=alone
            ):
                return _in_write_transaction(path, work, timeout_s)
        except GateTimeout as exc:
            raise DatabaseBusyError(
                str(path), exc.waited_s, f"{os.getpid()} (this process, another write)"
            ) from None

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_write_conflict),
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_random_exponential(multiplier=FIRST_BACKOFF_S, max=MAX_BACKOFF_S),
        before_sleep=_log_conflict,
        reraise=True,
    )
    try:
        result: T = retrying(attempt)
        return result
    except duckdb.Error as exc:
        if is_write_conflict(exc):
            raise WriteConflictError(str(path), attempts, str(exc)) from exc
        raise


def _in_write_transaction(
    path: Location | str, work: Callable[[duckdb.DuckDBPyConnection], T], timeout_s: float
) -> T:
    with write(path, timeout_s=timeout_s) as con:
        return work(con)


def _log_conflict(state: tenacity.RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.info(
        "db.write_conflict_retried",
        attempt=state.attempt_number,
        alone=state.attempt_number >= OPTIMISTIC_ATTEMPTS,
        error=str(error),
    )
