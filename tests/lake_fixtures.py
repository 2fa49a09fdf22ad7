"""A real PostgreSQL (from the pgserver wheel) and migrated lakes on it, for the lake tests.

The server runs for the whole session on a socket in a temporary folder. Migrating a lake
takes seconds, so one migrated lake is the template: each test gets a copy of its catalog
database (``CREATE DATABASE .. TEMPLATE``) pointed at a data folder of its own. When the
server cannot start here, the lake tests are skipped with the reason.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pipeline.store import lake, migrate
from pipeline.store.lake_admin import create_lake
from pipeline.store.location import LakeLocation

TEMPLATE_DATABASE = "smurf_lake_template"


class Postgres:
    """A running server and how to reach its databases."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.socket_dir = str(server.get_postmaster_info().socket_dir)

    def catalog_uri(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def lake(self, database: str, data_path: Path) -> LakeLocation:
        return LakeLocation(self.catalog_uri(database), str(data_path))

    def execute(self, database: str, sql: str, params: list[Any] | None = None) -> None:
        import psycopg

        with psycopg.connect(self.catalog_uri(database), autocommit=True) as session:
            session.execute(sql.encode(), params)


class PostgresUnavailable(Exception):
    """No PostgreSQL server could be started on this machine (the message says why)."""


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """A PostgreSQL server in a temporary folder for the block's length."""
    try:
        import pgserver
    except ImportError:
        raise PostgresUnavailable(
            "pgserver is not installed; `make test` installs it with the dev extras"
        ) from None
    # Not under pytest's folder: the server runs as another user when tests run as root, and
    # must reach its data folder until it stops.
    folder = Path(tempfile.mkdtemp(prefix="smurf-pg-"))
    try:
        server = pgserver.get_server(folder / "data", cleanup_mode="delete")
    except Exception as exc:  # any failure to start means: no server on this machine
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresUnavailable(
            f"PostgreSQL (pgserver) could not start here: {type(exc).__name__}: {exc}"
        ) from None
    try:
        yield Postgres(server)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def new_lake(postgres: Postgres, database: str, data_path: Path) -> LakeLocation:
    """A new, migrated lake."""
    location = postgres.lake(database, data_path)
    create_lake(location)
    migrate(location)
    return location


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server for this session (skips the test when none can start)."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def lake_template(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> LakeLocation:
    """One migrated lake, the template of every test's lake."""
    location = new_lake(postgres, TEMPLATE_DATABASE, tmp_path_factory.mktemp("template-lake"))
    # A template database may have no open sessions when it is copied.
    lake.forget(location)
    return location


def copy_lake(postgres: Postgres, template: LakeLocation, data_path: Path) -> LakeLocation:
    """A migrated lake of its own: a copy of the template's catalog, its own data folder."""
    database = f"lake_{uuid.uuid4().hex[:12]}"
    postgres.execute("postgres", f'CREATE DATABASE "{database}" TEMPLATE "{TEMPLATE_DATABASE}"')
    assert template.data_path is not None
    # The files of the template's rows (paths in the catalog are relative to the folder).
    shutil.copytree(template.data_path, data_path)
    # The catalog remembers its data folder (DuckLake's ducklake_metadata table).
    postgres.execute(
        database,
        "UPDATE ducklake_metadata SET value = %s WHERE key = 'data_path'",
        [str(data_path.resolve()) + "/"],
    )
    return postgres.lake(database, data_path)


@pytest.fixture
def lake_url(postgres: Postgres, lake_template: LakeLocation, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty lake of this test's own, as SMURF_DB would name it."""
    location = copy_lake(postgres, lake_template, tmp_path / "lake-data")
    yield location.url
    lake.forget(location)
