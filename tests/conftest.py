"""Shared fixtures: a fresh migrated DuckDB file per test, and clean logging state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from pipeline.store import migrate
from tests.lake_fixtures import lake_template, lake_url, postgres
from tests.sim_helpers import copy_database

__all__ = ["lake_template", "lake_url", "postgres"]  # fixtures for every test module

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
RIOT_EXAMPLES_DIR = SHARED_DIR / "riot" / "examples" / "match"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    """Each test starts with structlog's defaults and no bound context."""
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One freshly migrated database per test session, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "smurf.duckdb"
    migrate(path)
    return path


@pytest.fixture
def db_path(tmp_path: Path, migrated_template: Path) -> Path:
    """A migrated, empty database file of this test's own (a copy: quicker than migrating)."""
    path = tmp_path / "smurf.duckdb"
    copy_database(migrated_template, path)
    return path


@pytest.fixture(params=["file", "lake"])
def file_or_lake(request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Path) -> Any:
    """A migrated, empty database of this test's own: a file, and in a second run a lake.

    A module runs its tests on both backends by defining ``db_path`` as this fixture.
    """
    if request.param == "lake":
        return request.getfixturevalue("lake_url")
    path = tmp_path / "smurf.duckdb"
    copy_database(migrated_template, path)
    return path


def riot_example_files() -> list[Path]:
    """The real match-v5 payloads in ../shared, or none when that folder is absent."""
    return sorted(RIOT_EXAMPLES_DIR.glob("*.json")) if RIOT_EXAMPLES_DIR.is_dir() else []


requires_shared = pytest.mark.skipif(
    not RIOT_EXAMPLES_DIR.is_dir(), reason="../shared/riot is not beside this checkout"
)
