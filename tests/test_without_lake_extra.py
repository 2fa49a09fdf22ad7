"""The product on a DuckDB file needs none of the lake extra: with psycopg missing (a plain
`pip install`, as `make demo` does), what a scheduler does on a file never imports it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline.jobs.shards import Presence
from pipeline.store import Database, migrate
from pipeline.store.locks import SessionLock


@pytest.fixture
def no_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import psycopg`` fails, as where the lake extra is not installed."""
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ImportError):
        import psycopg  # noqa: F401


@pytest.mark.usefixtures("no_psycopg")
def test_a_scheduler_on_a_file_keeps_and_leaves_its_presence_without_psycopg(
    tmp_path: Path,
) -> None:
    """A worker's presence is a lake's list of sessions: on a file it is nothing to keep."""
    path = tmp_path / "file.duckdb"
    migrate(path)
    presence = Presence(Database(path), None)
    presence.keep()
    presence.keep()
    presence.leave()


@pytest.mark.usefixtures("no_psycopg")
def test_a_session_lock_never_taken_needs_no_psycopg() -> None:
    """Asking a lock that holds no session whether it lives, or releasing it, touches no
    server."""
    lock = SessionLock("postgresql://nowhere/none", 1, 2, "test")
    assert not lock.alive()
    lock.release()
