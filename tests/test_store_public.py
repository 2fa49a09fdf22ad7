"""The store's public surface: what jobs, notebooks and the simulator import."""

from __future__ import annotations

import pipeline.store

FOUNDATION_NAMES = {
    "DatabaseBusyError",
    "ImportReport",
    "MatchParseError",
    "ParsedMatch",
    "SchemaOutOfDateError",
    "SchemaTooNewError",
    "StoreError",
    "WriteCounts",
    "check_schema",
    "current_version",
    "import_paths",
    "latest_version",
    "load_match_payload",
    "migrate",
    "parse_match",
    "read",
    "record_rank_snapshots",
    "upsert_players",
    "write",
    "write_match_frames",
    "write_matches",
    "write_migrated",
}


def test_public_names_are_exported() -> None:
    """Every name other areas code against is in pipeline.store.__all__."""
    assert FOUNDATION_NAMES - set(pipeline.store.__all__) == set()


def test_every_exported_name_exists() -> None:
    """Each name in __all__ resolves to an object of the package."""
    missing = [name for name in pipeline.store.__all__ if not hasattr(pipeline.store, name)]
    assert missing == []


def test_store_errors_share_one_root() -> None:
    """Every store error derives from StoreError, itself a SmurfError."""
    from pipeline.errors import SmurfError

    errors = [getattr(pipeline.store, n) for n in pipeline.store.__all__ if n.endswith("Error")]
    assert all(issubclass(e, pipeline.store.StoreError) for e in errors)
    assert issubclass(pipeline.store.StoreError, SmurfError)
