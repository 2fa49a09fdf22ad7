"""PostgreSQL advisory locks: how the processes sharing a lake take turns.

A lake has no server of its own; its catalog database does the coordinating. Each lock lives
in a PostgreSQL session, so it is freed by the server the moment its process dies (even by
``kill -9``) and never has to be cleaned up.

- **The write lock.** One transaction commits to the lake at a time. DuckLake lets
  transactions commit side by side, but it has no keys: two writers inserting the same
  player would both succeed, and an update meeting another writer's insert into the same
  table fails at commit. Under the lock, each write sees every earlier commit, so the
  store's "insert what is new" statements and id allocation stay exact. Writers hold it only
  for their commit (tens of milliseconds); they fetch from the API without it. Readers
  never take it.
- **Job locks.** One run of a job per shard at a time, across machines: the run holds the
  lock on a connection of its own for as long as it lasts.
- **Wait locks.** Held by a worker refused a job on a platform, until it gets a turn: the
  others then leave the platform to it (``pipeline.jobs.shards.Turns``).
- **The leader lock.** Held by the one worker that runs the jobs that must run once for the
  whole lake (the analyzer, the report, maintenance).

Each worker also keeps a session named after its platforms while it runs (``worker_name``):
the sessions on the catalog are the list of the lake's workers, and a killed worker's
leaves the list with it.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipeline.log import get_logger
from pipeline.store.errors import LakeBusyError, LakeExtensionError, LakeUnavailableError

if TYPE_CHECKING:
    import psycopg

log = get_logger(__name__)

# First key of every advisory lock the product takes ("SMRF"), so that other applications
# sharing the catalog database cannot collide with them.
NAMESPACE = 0x534D5246
WRITE_LOCK = 1
LEADER_LOCK = 2
JOB_NAMESPACE = NAMESPACE + 1
WAIT_NAMESPACE = NAMESPACE + 2  # a worker waiting for its turn at a job on a platform


APPLICATION_PREFIX = "smurf "


def application_name(purpose: str = "") -> str:
    """How a session of this process appears to PostgreSQL (and in "held by" messages)."""
    name = f"{APPLICATION_PREFIX}{socket.gethostname()} pid {os.getpid()}"
    return f"{name} {purpose}".strip()[:63]  # PostgreSQL keeps 63 characters


def connect(catalog_uri: str, purpose: str = "") -> psycopg.Connection[Any]:
    """An autocommit session on the catalog database, named after this process."""
    try:
        import psycopg
    except ImportError:
        raise LakeExtensionError(
            "A lake needs the PostgreSQL client psycopg: pip install 'smurf-workbench[lake]'."
        ) from None
    try:
        return psycopg.connect(
            catalog_uri,
            autocommit=True,
            application_name=application_name(purpose),
            connect_timeout=10,
        )
    except psycopg.OperationalError as exc:
        raise LakeUnavailableError(
            f"The lake's catalog {catalog_uri} cannot be reached: {_one_line(exc)}"
        ) from None


def job_lock_key(job_config_id: int, shard: str) -> int:
    """The second key of the lock of one job on one shard."""
    return zlib.crc32(f"{job_config_id}:{shard}".encode()) & 0x7FFFFFFF


def lock_holders(session: psycopg.Connection[Any], namespace: int, key: int) -> list[str]:
    """The application names of the sessions holding a lock (a clue for messages)."""
    rows = session.execute(
        "SELECT coalesce(nullif(a.application_name, ''), 'backend ' || l.pid::text)"
        " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s"
        # Advisory locks are per database: another lake's catalog on the server has its own.
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [namespace, key],
    ).fetchall()
    return [str(r[0]) for r in rows]


class WriteLock:
    """The lake's write lock as seen from this process: one session, taken turn by turn.

    Advisory locks belong to a session, and a session lets itself take its own lock again,
    so threads of this process first queue on a process-local lock, then one of them asks
    PostgreSQL.
    """

    def __init__(self, catalog_uri: str, lake: str) -> None:
        self.catalog_uri = catalog_uri
        self.lake = lake
        self._local = threading.RLock()
        self._session: psycopg.Connection[Any] | None = None

    @contextmanager
    def held(self, timeout_s: float) -> Iterator[None]:
        """Hold the write lock for the block, waiting at most ``timeout_s`` for it."""
        started = time.monotonic()
        if not self._local.acquire(timeout=max(timeout_s, 0.001)):
            raise LakeBusyError(self.lake, time.monotonic() - started, "this process")
        try:
            session = self._acquire(timeout_s - (time.monotonic() - started), started)
            try:
                yield
            finally:
                self._release(session)
        finally:
            self._local.release()

    def _acquire(self, remaining_s: float, started: float) -> psycopg.Connection[Any]:
        import psycopg

        session = self._live_session()
        row = session.execute("SELECT pg_try_advisory_lock(%s, %s)", [NAMESPACE, WRITE_LOCK])
        if row.fetchone() == (True,):
            return session
        holders = lock_holders(session, NAMESPACE, WRITE_LOCK)
        log.info("lake.waiting_for_write_lock", lake=self.lake, holders=holders)
        try:
            session.execute(f"SET lock_timeout = {max(int(remaining_s * 1000), 1)}")
            session.execute("SELECT pg_advisory_lock(%s, %s)", [NAMESPACE, WRITE_LOCK])
        except psycopg.errors.LockNotAvailable:
            holder = ", ".join(lock_holders(session, NAMESPACE, WRITE_LOCK)) or None
            raise LakeBusyError(self.lake, time.monotonic() - started, holder) from None
        finally:
            session.execute("RESET lock_timeout")
        log.info(
            "lake.write_lock_acquired",
            lake=self.lake,
            waited_s=round(time.monotonic() - started, 3),
        )
        return session

    def _release(self, session: psycopg.Connection[Any]) -> None:
        import psycopg

        try:
            session.execute("SELECT pg_advisory_unlock(%s, %s)", [NAMESPACE, WRITE_LOCK])
        except psycopg.Error:
            # The session is gone, and the server freed its locks with it.
            self._drop_session()

    def _live_session(self) -> psycopg.Connection[Any]:
        if self._session is not None and self._session.closed:
            self._session = None
        if self._session is None:
            self._session = connect(self.catalog_uri, "writes")
        return self._session

    def _drop_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def close(self) -> None:
        """Close the lock's session (after the last write of this process)."""
        with self._local:
            self._drop_session()


class SessionLock:
    """A lock held on a session of its own until released (a run's job lock, the leader's).

    ``try_acquire`` never waits: a lock another process holds is that process's turn.
    """

    def __init__(self, catalog_uri: str, namespace: int, key: int, purpose: str) -> None:
        self.catalog_uri = catalog_uri
        self.namespace = namespace
        self.key = key
        self.purpose = purpose  # shown to PostgreSQL, e.g. "runs job 2 for euw1"
        self._session: psycopg.Connection[Any] | None = None

    @property
    def held(self) -> bool:
        return self._session is not None and not self._session.closed

    def try_acquire(self) -> bool:
        """Take the lock if it is free; whether this process now holds it."""
        if self.held:
            return True
        session = connect(self.catalog_uri, self.purpose)
        row = session.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [self.namespace, self.key]
        ).fetchone()
        if row != (True,):
            session.close()
            return False
        self._session = session
        return True

    def alive(self) -> bool:
        """Whether the lock's session still answers (a lost session lost the lock)."""
        if self._session is None or self._session.closed:
            return False
        import psycopg

        try:
            self._session.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def holders(self) -> list[str]:
        """Who holds the lock now (this process included)."""
        with connect(self.catalog_uri) as session:
            return lock_holders(session, self.namespace, self.key)

    def release(self) -> None:
        """Let go of the lock, then close its session.

        Unlocked first: closing alone frees the lock only once the server has ended the
        session's backend, a moment later, and a run started meanwhile would find its
        job still held.
        """
        if self._session is None:
            return
        import psycopg

        try:
            if not self._session.closed:
                self._session.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [self.namespace, self.key]
                )
        except psycopg.Error:
            pass  # the session is gone, and the server freed its locks with it
        finally:
            self._session.close()
            self._session = None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def smurf_sessions(catalog_uri: str) -> list[dict[str, Any]]:
    """The sessions of Smurf Workbench processes on the catalog: who is connected, doing what."""
    with connect(catalog_uri, "status") as session:
        rows = session.execute(
            "SELECT application_name, client_addr::text, backend_start::timestamp,"
            " state_change::timestamp FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE %s"
            " AND pid <> pg_backend_pid() ORDER BY application_name",
            [APPLICATION_PREFIX + "%"],
        ).fetchall()
    return [
        {"session": r[0], "client": r[1] or "local", "since": r[2], "last_active": r[3]}
        for r in rows
    ]


WORKER_PURPOSE = "worker"
ALL_PLATFORMS = "all"
_WORKER_NAME = re.compile(
    rf"^{APPLICATION_PREFIX}(?P<host>.+) pid (?P<pid>\d+) {WORKER_PURPOSE} (?P<platforms>.*)$"
)


def worker_name(platforms: tuple[str, ...] | None) -> str:
    """The purpose a worker's presence session is named with: its platforms."""
    return f"{WORKER_PURPOSE} {','.join(platforms) if platforms else ALL_PLATFORMS}"


@dataclass(frozen=True)
class WorkerSession:
    """A worker (``smurf scheduler``) serving the lake, as its presence session names it."""

    host: str
    pid: int
    platforms: str  # comma-separated, "all", or cut short where the name ran past 63 characters
    since: datetime


def lake_workers(catalog_uri: str) -> list[WorkerSession]:
    """The workers connected to the lake's catalog now, by host and pid."""
    found = []
    for session in smurf_sessions(catalog_uri):
        match = _WORKER_NAME.match(str(session["session"]))
        if match:
            found.append(
                WorkerSession(
                    match["host"], int(match["pid"]), match["platforms"], session["since"]
                )
            )
    return sorted(found, key=lambda w: (w.host, w.pid))
