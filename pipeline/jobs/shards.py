"""Which worker runs what, when several share one lake.

Rate limits are per key and route, so a lake is crawled by one worker per (key, region):
``smurf scheduler --platforms euw1,eun1`` (or ``SMURF_PLATFORMS``). Players belong to the
shard of their platform.

- **Platform jobs** (``BaseJob.sharded``: the updater, the fetcher, the profile refresher,
  the ban checker) work on the players of their worker's platforms. A run holds the job's
  lock for each platform it covers (PostgreSQL advisory locks, ``pipeline.store.locks``):
  one run of a job per platform at a time, across machines. A run covers the worker's
  platforms whose locks are free, and does not start when none is.
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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.riot.routing import PLATFORMS
from pipeline.store import Database
from pipeline.store.location import LakeLocation
from pipeline.store.locks import (
    JOB_NAMESPACE,
    LEADER_LOCK,
    NAMESPACE,
    SessionLock,
    connect,
    job_lock_key,
    worker_name,
)

if TYPE_CHECKING:
    import psycopg

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


def claim_run(
    db: Database, config_id: int, *, sharded: bool, platforms: tuple[str, ...] | None
) -> Claim | None:
    """Reserve what a run of job ``config_id`` works on; None when another run holds it all."""
    wanted = (platforms or PLATFORMS) if sharded else None
    if not isinstance(db.path, LakeLocation):
        return Claim(platforms if sharded else None)
    keys = list(wanted) if wanted is not None else [GLOBAL_SHARD]
    claim = Claim(tuple(wanted) if wanted is not None else None)
    taken: list[str] = []
    for key in keys:
        lock = SessionLock(
            db.path.catalog_uri,
            JOB_NAMESPACE,
            job_lock_key(config_id, key),
            f"runs job {config_id} for {key}",
        )
        if lock.try_acquire():
            claim.locks.append(lock)
            taken.append(key)
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
    for key in platforms or [GLOBAL_SHARD]:
        lock = SessionLock(db.path.catalog_uri, JOB_NAMESPACE, job_lock_key(config_id, key), "")
        found += [h for h in lock.holders() if h not in found]
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
