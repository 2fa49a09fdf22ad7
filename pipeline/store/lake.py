"""Connections to a DuckLake: one DuckDB instance per process and lake, a cursor per unit of work.

Attaching a lake costs ~0.4 s (loading two extensions, reading the catalog), so unlike the
embedded file, which no process may keep open, a lake stays attached for the life of the
process: each ``read()``/``write()`` takes a cursor of that instance (its own connection and
transaction) and closes it. Readers use a read-only attachment and read one snapshot per
unit of work; they take no lock, so they never hold up writers. Writers hold the lake's
write lock (``pipeline.store.locks``) from the start of their transaction to its commit.

Small commits (job bookkeeping, a few players: up to ``INLINING_ROW_LIMIT`` rows) are kept
in the catalog instead of a Parquet file each (DuckLake's data inlining): several times
quicker than writing a file, and the lake's write lock is held for less. They stay there:
moving inlined rows into files ("flushing") drops catalog tables that other processes'
attachments still list, and those then fail on every query until they re-attach (DuckLake
1.5.5), so nothing here flushes. Larger commits write Parquet files, which the maintenance
job merges.
S3 data paths use DuckDB's httpfs, which reads the usual ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION`` and, for S3-compatible
stores, ``DUCKDB_S3_ENDPOINT`` / ``DUCKDB_S3_USE_SSL`` from the environment. DuckDB does not
read the URL style itself, which most S3-compatible stores need as ``path``: the store applies
``DUCKDB_S3_URL_STYLE`` (``path`` or ``vhost``) when it attaches a lake on such a data path.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.store.errors import LakeUnavailableError
from pipeline.store.extensions import load_extensions
from pipeline.store.interrupts import interruptible
from pipeline.store.location import LakeLocation
from pipeline.store.locks import WriteLock
from pipeline.store.transaction import transaction
from pipeline.store.utc import use_utc

CATALOG = "lake"  # the name the lake is attached under in every instance
# A commit's inserts into a table of at most this many rows are kept in the catalog.
INLINING_ROW_LIMIT = 50
REMOTE_SCHEMES = ("s3://", "s3a://", "gcs://", "gs://", "r2://", "http://", "https://")
S3_URL_STYLES = ("path", "vhost")

_INSTANCES: dict[tuple[LakeLocation, bool], duckdb.DuckDBPyConnection] = {}
_SANDBOXES: dict[LakeLocation, duckdb.DuckDBPyConnection] = {}
# A sandbox loads the lake's extensions itself and no others, nor installs any.
_NO_EXTENSIONS_LOADED = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_WRITE_LOCKS: dict[LakeLocation, WriteLock] = {}
_REGISTRY_LOCK = threading.Lock()


@dataclass(frozen=True)
class AttachOptions:
    """How to attach: read-only, or read-write and allowed to create the lake."""

    read_only: bool
    create: bool = False


def is_remote(data_path: str) -> bool:
    return data_path.lower().startswith(REMOTE_SCHEMES)


def data_path_for_attach(data_path: str) -> str:
    """A local data folder as an absolute path ending in '/', remote prefixes as given."""
    if is_remote(data_path):
        return data_path if data_path.endswith("/") else data_path + "/"
    return str(Path(data_path).expanduser().resolve()) + "/"


def attach(con: duckdb.DuckDBPyConnection, lake: LakeLocation, options: AttachOptions) -> None:
    """Load the extensions the lake needs and attach it as ``lake`` (the default catalog)."""
    remote = lake.data_path is not None and is_remote(lake.data_path)
    load_extensions(con, ("postgres_scanner", "ducklake", *(("httpfs",) if remote else ())))
    if remote:
        _set_s3_url_style(con, os.environ.get("DUCKDB_S3_URL_STYLE"))
    clauses = [f"DATA_INLINING_ROW_LIMIT {INLINING_ROW_LIMIT}"]
    if lake.data_path is not None:
        clauses.append(f"DATA_PATH {_quoted(data_path_for_attach(lake.data_path))}")
    if options.read_only:
        clauses.append("READ_ONLY")
    if not options.create:
        clauses.append("CREATE_IF_NOT_EXISTS false")
    try:
        con.execute(
            f"ATTACH {_quoted('ducklake:postgres:' + lake.catalog_uri)} AS {CATALOG}"
            f" ({', '.join(clauses)})"
        )
    except duckdb.Error as exc:
        raise LakeUnavailableError(_attach_failure(lake, exc)) from None
    con.execute(f"USE {CATALOG}")
    if not options.create:
        _require_data_folder(con, lake)


def _require_data_folder(con: duckdb.DuckDBPyConnection, lake: LakeLocation) -> None:
    """Refuse a lake whose local data folder is missing or empty while its catalog lists
    data files: a volume not mounted, or a folder moved. DuckDB would make the folder anew
    and write new files into it, splitting the lake between two places; and every read of
    the missing files fails."""
    data_path = lake.data_path  # DuckLake refuses another folder than the catalog's
    if data_path is None:
        row = con.execute(
            f"SELECT value FROM ducklake_options('{CATALOG}') WHERE option_name = 'data_path'"
        ).fetchone()
        data_path = str(row[0]) if row and row[0] else None
    if data_path is None or is_remote(data_path):
        return
    folder = Path(data_path).expanduser()
    try:
        if folder.is_dir() and any(folder.iterdir()):
            return
    except OSError:
        return  # there but unreadable: reading the lake says so
    listed = con.execute(
        f"SELECT coalesce(sum(file_count), 0) FROM ducklake_table_info('{CATALOG}')"
    ).fetchone()
    files = int(listed[0]) if listed else 0
    if files == 0:
        return  # a lake whose rows are all in the catalog yet (small commits)
    state = "is empty" if folder.is_dir() else "does not exist"
    raise LakeUnavailableError(
        f"The lake's data folder {folder} {state}, but its catalog lists {files:,} data "
        "files there: mount or restore the folder (an unmounted volume looks like this). "
        "Nothing was read or written."
    )


def _set_s3_url_style(con: duckdb.DuckDBPyConnection, style: str | None) -> None:
    """Apply ``DUCKDB_S3_URL_STYLE``, read beside the S3 variables DuckDB reads itself."""
    if not style:
        return
    if style.strip().lower() not in S3_URL_STYLES:
        raise LakeUnavailableError(
            f"DUCKDB_S3_URL_STYLE must be path or vhost (got {style!r}); S3-compatible stores "
            "such as MinIO usually need path."
        )
    con.execute(f"SET GLOBAL s3_url_style = '{style.strip().lower()}'")


def _attach_failure(lake: LakeLocation, exc: duckdb.Error) -> str:
    message = " ".join(str(exc).split())
    if "does not exist - and creating a new DuckLake is explicitly disabled" in message:
        return f"There is no lake in {lake.catalog_uri} yet: create it with `smurf lake init`."
    if "data_path is not set" in message:
        return f"The lake {lake} does not exist yet; give its data_path to create it."
    if "password authentication failed" in message or "no password supplied" in message:
        return (
            f"The lake's catalog {lake.catalog_uri} refused the password: set PGPASSWORD to "
            "the password of the URL's user (never in the URL, which logs and reports show)."
        )
    missing = re.search(r'database "([^"]+)" does not exist', message)
    if missing:
        return (
            f"The lake's catalog database {missing.group(1)} does not exist on that server: "
            "create the lake with `smurf lake init` (or check the database name in the URL)."
        )
    if "Unable to connect to Postgres" in message:
        return f"The lake's catalog {lake.catalog_uri} cannot be reached: {message}"
    return f"The lake {lake} cannot be attached: {message}"


def _attached(
    lake: LakeLocation,
    *,
    read_only: bool,
    config: dict[str, Any] | None = None,
    then: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A new DuckDB instance (``config``) with the lake attached and ``then`` done on it;
    closed again if any of that fails."""
    con = duckdb.connect(config=config or {})
    try:
        use_utc(con)
        attach(con, lake, AttachOptions(read_only=read_only))
        if then is not None:
            then(con)
    except BaseException:
        con.close()
        raise
    return con


def instance(lake: LakeLocation, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """This process's DuckDB instance with the lake attached (created on first use)."""
    key = (lake, read_only)
    with _REGISTRY_LOCK:
        found = _INSTANCES.get(key)
        if found is None:
            found = _INSTANCES[key] = _attached(lake, read_only=read_only)
        return found


def sandbox(lake: LakeLocation) -> duckdb.DuckDBPyConnection:
    """This process's read-only instance of the lake for ad hoc SQL (``sql.read_mode``): it
    reaches the lake and nothing else. External access is off but for the lake's data path
    (no ``read_csv`` of another file, no ``glob``, no ATTACH), no extension is installed or
    loaded past the lake's own, and the configuration is locked. The jobs' instance cannot
    be: its writers need what a reader must not have."""

    def lock_down(con: duckdb.DuckDBPyConnection) -> None:
        if lake.data_path is not None:
            allowed = _quoted(data_path_for_attach(lake.data_path))
            con.execute(f"SET allowed_directories = [{allowed}]")
            if lake.data_path.lower().startswith(("s3://", "s3a://")):
                _credentials_into_a_secret(con)
        con.execute("SET enable_external_access = false")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET lock_configuration = true")

    with _REGISTRY_LOCK:
        found = _SANDBOXES.get(lake)
        if found is None:
            found = _SANDBOXES[lake] = _attached(
                lake, read_only=True, config=_NO_EXTENSIONS_LOADED, then=lock_down
            )
        return found


# The S3 settings DuckDB fills from the environment, and the secret parameter each becomes.
_S3_SETTINGS = {
    "s3_access_key_id": "KEY_ID",
    "s3_secret_access_key": "SECRET",
    "s3_session_token": "SESSION_TOKEN",
    "s3_region": "REGION",
    "s3_endpoint": "ENDPOINT",
    "s3_url_style": "URL_STYLE",
    "s3_use_ssl": "USE_SSL",
}
# Of those, what no query may read back.
_S3_CREDENTIALS = ("s3_access_key_id", "s3_secret_access_key", "s3_session_token")


def _credentials_into_a_secret(con: duckdb.DuckDBPyConnection) -> None:
    """Move the S3 credentials DuckDB read from the environment out of its settings, which
    any query can list (``duckdb_settings()``), into a secret, whose values it never shows."""
    names = ", ".join(_quoted(name) for name in _S3_SETTINGS)
    rows = con.execute(
        f"SELECT name, value FROM duckdb_settings() WHERE name IN ({names})"
    ).fetchall()
    values = {name: value for name, value in rows if value not in (None, "")}
    if not any(name in values for name in _S3_CREDENTIALS):
        return
    params = ", ".join(
        f"{_S3_SETTINGS[name]} {value if name == 's3_use_ssl' else _quoted(str(value))}"
        for name, value in values.items()
    )
    con.execute(f"CREATE SECRET lake_s3 (TYPE s3, {params})")
    for name in _S3_CREDENTIALS:
        con.execute(f"SET GLOBAL {name} = ''")


def write_lock(lake: LakeLocation) -> WriteLock:
    with _REGISTRY_LOCK:
        found = _WRITE_LOCKS.get(lake)
        if found is None:
            found = _WRITE_LOCKS[lake] = WriteLock(lake.catalog_uri, str(lake))
        return found


def forget(lake: LakeLocation) -> None:
    """Close this process's instances of a lake and its lock session (until next used)."""
    with _REGISTRY_LOCK:
        for read_only in (True, False):
            con = _INSTANCES.pop((lake, read_only), None)
            if con is not None:
                con.close()
        con = _SANDBOXES.pop(lake, None)
        if con is not None:
            con.close()
        lock = _WRITE_LOCKS.pop(lake, None)
    if lock is not None:
        lock.close()


def cursor(lake: LakeLocation, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection of its own to this process's instance, with the lake as default catalog."""
    return _on_the_lake(instance(lake, read_only=read_only).cursor())


def _on_the_lake(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(f"USE {CATALOG}")
    return con


@contextmanager
def write(
    lake: LakeLocation, *, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction on the lake under its write lock: commit on success, rollback on error."""
    con = cursor(lake, read_only=False)
    try:
        with write_lock(lake).held(timeout_s), interruptible(con), transaction(con):
            yield con
    finally:
        con.close()


@contextmanager
def read(lake: LakeLocation, *, sandboxed: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only view of the lake: one snapshot for the whole unit of work, no locks;
    ``sandboxed``, from the instance that reaches nothing else (``sandbox``)."""
    con = _on_the_lake(sandbox(lake).cursor()) if sandboxed else cursor(lake, read_only=True)
    try:
        con.begin()
        try:
            with interruptible(con):
                yield con
        finally:
            con.rollback()
    finally:
        con.close()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
