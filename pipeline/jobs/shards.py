"""Which worker runs what, when several share one lake.

Rate limits are per key and route, so a lake is crawled by one worker per (key, region):
``smurf scheduler --platforms euw1,eun1`` (or ``SMURF_PLATFORMS``). Players belong to the
shard of their platform.

- **Platform jobs** (``BaseJob.sharded``: the updater, the fetcher, the profile refresher,
  the ban checker) work on the players of their worker's platforms. A run holds the job's
  lock for each platform it covers (PostgreSQL advisory locks, ``pipeline.store.locks``):
  one run of a job per platform at a time, across machines. A run covers the worker's
  platforms whose locks are free, and does not start when none is.
- **Turns.** Workers serving the same platform take turns at it (``Turns``): a worker
  refused a platform waits for it, and the others leave it free for that worker's next run.
  Without this, a worker given several platforms, firing a moment earlier each time, would
  keep a platform from a worker given only that one for as long as both run.
- **Global jobs** (the analyzer, the report, maintenance) run once for the whole lake: only
  the worker holding the leader lock schedules them, and a run (scheduled or by hand) holds
  the job's lock for ``*``.

A run holds its locks while it is live (``pipeline.jobs.executions``: until its worker
threads are done too). A lock dies with its process, so a run whose process was killed
leaves its platforms free at once; the next start that takes one of them closes the dead
run's execution, since a live run would still hold all of its platforms. On a DuckDB file
there is one scheduler per database and no locks: a claim only narrows the platforms a run
works on.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.log import get_logger
from pipeline.riot.routing import PLATFORMS
from pipeline.store import Database
from pipeline.store.location import LakeLocation
from pipeline.store.locks import (
    JOB_NAMESPACE,
    LEADER_LOCK,
    NAMESPACE,
    WAIT_NAMESPACE,
    SessionLock,
    connect,
    job_lock_key,
    lock_holders,
    worker_name,
)

if TYPE_CHECKING:
    import psycopg

log = get_logger(__name__)

GLOBAL_SHARD = "*"


@dataclass
class Claim:
    """The platforms a run may work on, and the locks that reserve them until released."""

    platforms: tuple[str, ...] | None  # None: every platform (a global job, or no shard)
    locks: list[SessionLock] = field(default_factory=list)

    @property
    def shard(self) -> str:
        """The claim as job_executions.shard stores it."""
        return GLOBAL_SHARD if self.platforms is None else ",".join(self.platforms)

    def covers(self, shard: str | None) -> bool:
        """Whether a run on ``shard`` (as stored; None or "*": every platform) worked on any
        platform of this claim."""
        if self.platforms is None or shard in (None, GLOBAL_SHARD):
            return True
        return bool(set(str(shard).split(",")) & set(self.platforms))

    def release(self) -> None:
        for lock in self.locks:
            lock.release()
        self.locks.clear()


class Turns:
    """The platforms one worker waits for, so that workers sharing a platform take turns.

    A run refused a platform (another run holds it) leaves a wait lock on it, held until a
    run of this worker gets the platform. A run leaves alone, even when free, a platform
    another worker waits for and this one does not; its own refusal then makes it the
    waiting one. A process is one worker (``PROCESS_TURNS``); a wait dies with its process,
    and a stopping scheduler lets go of its waits (``stop_waiting``).
    """

    def __init__(self) -> None:
        self._waits: dict[tuple[str, int, str], SessionLock] = {}
        self._lock = threading.Lock()

    def waits_elsewhere(self, catalog_uri: str, config_id: int, platforms: list[str]) -> set[str]:
        """The platforms of ``platforms`` another worker waits to run job ``config_id`` on."""
        with self._lock:
            mine = {p for (uri, job, p) in self._waits if uri == catalog_uri and job == config_id}
        others = [p for p in platforms if p not in mine]
        if not others:
            return set()
        with connect(catalog_uri) as session:
            return {
                p
                for p in others
                if lock_holders(session, WAIT_NAMESPACE, job_lock_key(config_id, p))
            }

    def wait(self, catalog_uri: str, config_id: int, platform: str) -> None:
        """Wait for a turn at job ``config_id`` on ``platform`` (unless another waits first)."""
        with self._lock:
            if (catalog_uri, config_id, platform) in self._waits:
                return
            lock = _job_lock(catalog_uri, WAIT_NAMESPACE, config_id, platform, "waits to run")
            if lock.try_acquire():
                self._waits[(catalog_uri, config_id, platform)] = lock

    def served(self, catalog_uri: str, config_id: int, platform: str) -> None:
        """This worker got its turn: stop waiting for it."""
        with self._lock:
            lock = self._waits.pop((catalog_uri, config_id, platform), None)
        if lock is not None:
            lock.release()

    def stop_waiting(self) -> None:
        with self._lock:
            locks = list(self._waits.values())
            self._waits.clear()
        for lock in locks:
            lock.release()


PROCESS_TURNS = Turns()


def _job_lock(
    catalog_uri: str, namespace: int, config_id: int, shard: str, does: str
) -> SessionLock:
    """The lock of job ``config_id`` on ``shard`` in ``namespace`` (a run's, a waiting
    worker's), shown to PostgreSQL as what its holder ``does`` ("runs job 2 for euw1")."""
    purpose = f"{does} job {config_id} for {shard}" if does else ""
    return SessionLock(catalog_uri, namespace, job_lock_key(config_id, shard), purpose)


def claim_run(
    db: Database,
    config_id: int,
    *,
    sharded: bool,
    platforms: tuple[str, ...] | None,
    turns: Turns = PROCESS_TURNS,
) -> Claim | None:
    """Reserve what a run of job ``config_id`` works on; None when another run holds it all,
    or it is another worker's turn at what is free (``Turns``)."""
    wanted = (platforms or PLATFORMS) if sharded else None
    if not isinstance(db.path, LakeLocation):
        return Claim(platforms if sharded else None)
    catalog_uri = db.path.catalog_uri
    keys = list(wanted) if wanted is not None else [GLOBAL_SHARD]
    their_turn = turns.waits_elsewhere(catalog_uri, config_id, keys) if sharded else set()
    if their_turn:
        log.info("job.turn_left", job_config_id=config_id, platforms=sorted(their_turn))
    claim = Claim(tuple(wanted) if wanted is not None else None)
    taken: list[str] = []
    for key in keys:
        if key in their_turn:
            continue
        lock = _job_lock(catalog_uri, JOB_NAMESPACE, config_id, key, "runs")
        if lock.try_acquire():
            claim.locks.append(lock)
            taken.append(key)
    if sharded:
        for key in keys:
            if key in taken:
                turns.served(catalog_uri, config_id, key)
            else:
                turns.wait(catalog_uri, config_id, key)
    if not taken:
        return None
    if wanted is not None:
        claim.platforms = tuple(taken)
    return claim


def holders(db: Database, config_id: int, platforms: tuple[str, ...] | None) -> list[str]:
    """Who holds the locks of a job on these platforms (for "already running" messages)."""
    if not isinstance(db.path, LakeLocation):
        return []
    found: list[str] = []
    for namespace in (JOB_NAMESPACE, WAIT_NAMESPACE):
        for key in platforms or [GLOBAL_SHARD]:
            lock = _job_lock(db.path.catalog_uri, namespace, config_id, key, "")
            found += [h for h in lock.holders() if h not in found]
        if found:
            break  # a worker waiting for its turn is named only when no run holds the job
    return found


def this_host() -> str:
    return socket.gethostname()


class Leadership:
    """The leader lock of one worker: held, it schedules the jobs that run once per lake."""

    def __init__(self, db: Database) -> None:
        self.lock = (
            SessionLock(db.path.catalog_uri, NAMESPACE, LEADER_LOCK, "leads the global jobs")
            if isinstance(db.path, LakeLocation)
            else None
        )

    def is_leader(self) -> bool:
        """Whether this worker leads now (taking the lead when it is free); always on a file."""
        if self.lock is None:
            return True
        if self.lock.held and not self.lock.alive():
            self.lock.release()  # the session died, and its lock with it
        return self.lock.held or self.lock.try_acquire()

    def resign(self) -> None:
        if self.lock is not None:
            self.lock.release()


class Presence:
    """A worker's own session on the lake's catalog, named after its platforms, while it
    runs: how `smurf lake status` and `smurf jobs status` list the workers of a lake. The
    server ends the session with its process, so a killed worker drops off the list."""

    def __init__(self, db: Database, platforms: tuple[str, ...] | None) -> None:
        self.catalog_uri = db.path.catalog_uri if isinstance(db.path, LakeLocation) else None
        self.name = worker_name(platforms)
        self._session: psycopg.Connection[Any] | None = None

    def keep(self) -> None:
        """Be on the list: open the session, or open it again if it was lost."""
        if self.catalog_uri is None:
            return
        # Only a lake needs it: psycopg comes with the lake extra, not with the product.
        import psycopg

        if self._session is not None:
            try:
                self._session.execute("SELECT 1")
                return
            except psycopg.Error:
                self.leave()
        self._session = connect(self.catalog_uri, self.name)

    def leave(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
