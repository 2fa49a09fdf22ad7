"""The DuckDB extensions a lake needs, loaded from Python packages, never downloaded.

``INSTALL`` fetches extensions from DuckDB's servers, which production machines and CI may
not reach. The extensions also ship as packages pinned to a DuckDB release
(``duckdb-extension-ducklake==1.5.5``, ...; ``pip install 'smurf-workbench[lake]'``); each
holds ``extensions/v<release>/<name>.duckdb_extension``, which ``LOAD '<path>'`` loads. An
extension loads only into the DuckDB release it was built for, so a mismatch is reported
as such rather than as DuckDB's error.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

from pipeline.store.errors import LakeExtensionError

# Extension name -> the package that ships it. (The package named duckdb-extension-postgres
# has the wrong entry point; postgres-scanner is the one that loads.)
PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "httpfs": "duckdb_extension_httpfs",
}
INSTALL_HINT = "pip install 'smurf-workbench[lake]'"


def extension_file(name: str) -> Path:
    """The ``.duckdb_extension`` file of ``name`` for the DuckDB release in use."""
    package = PACKAGES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise LakeExtensionError(
            f"The DuckDB extension {name} is not installed; a lake needs it: {INSTALL_HINT}."
        )
    folder = Path(spec.origin).parent / "extensions"
    wanted = folder / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if wanted.is_file():
        return wanted
    shipped = sorted(p.parent.name.lstrip("v") for p in folder.glob(f"v*/{name}.duckdb_extension"))
    raise LakeExtensionError(
        f"The installed DuckDB extension {name} is built for DuckDB {', '.join(shipped) or '?'}"
        f" but DuckDB {duckdb.__version__} is in use; install matching releases: "
        f"{INSTALL_HINT}."
    )


def load_extensions(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    """LOAD each named extension into the connection's database, from its package."""
    for name in names:
        con.execute(f"LOAD '{extension_file(name)}'")
