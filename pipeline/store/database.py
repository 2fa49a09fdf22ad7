"""``Database``: where a unit of work gets its short-lived connections.

Jobs receive a ``Database`` rather than a connection, so they never hold the file while they
wait on HTTP: each ``read()``/``write()`` opens a connection for one unit of work and closes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import duckdb

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.store import connection
from pipeline.store.location import LakeLocation, Location
from pipeline.store.migrate import check_schema

T = TypeVar("T")


@dataclass(frozen=True)
class Database:
    """A DuckDB file or a lake, and how long to wait for another process's lock on it."""

    path: Location
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S

    @property
    def is_lake(self) -> bool:
        """Whether this database is a lake shared by many processes."""
        return isinstance(self.path, LakeLocation)

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection in one transaction (commit on success, rollback on error)."""
        with connection.write(self.path, timeout_s=self.lock_timeout_s) as con:
            yield con

    def transact(self, work: Callable[[duckdb.DuckDBPyConnection], T], *, alone: bool = False) -> T:
        """``work(con)`` in one write transaction, run again if a concurrent write collides;
        ``alone``: with no other write transaction of this process beside it."""
        return connection.transact(self.path, work, timeout_s=self.lock_timeout_s, alone=alone)

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection."""
        with connection.read(self.path, timeout_s=self.lock_timeout_s) as con:
            yield con

    def require_schema(self) -> None:
        """Raise a clear error unless the database exists at this release's schema version."""
        connection.require_file(self.path)
        with self.read() as con:
            check_schema(con, self.path)
