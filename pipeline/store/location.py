"""Where the data lives: an embedded DuckDB file, or a DuckLake shared by many processes.

``SMURF_DB`` (and ``--db``) is either a file path (the default, ``data/smurf.duckdb``) or a
DuckLake URL: a PostgreSQL catalog database and the folder or ``s3://`` prefix that holds
the lake's Parquet files::

    ducklake:postgresql://smurf@db.internal:5432/smurf?data_path=s3://smurf-lake/data/
    ducklake:postgresql://smurf@/smurf?host=/run/postgresql&data_path=/srv/smurf-lake/

Every query parameter except ``data_path`` goes to PostgreSQL's client as it is (``host``
for a socket folder, ``sslmode``, ...). The password never goes in the URL, which is shown
in logs, execution records and reports: PostgreSQL's client reads it from ``PGPASSWORD`` or
``~/.pgpass``. ``data_path`` may be left out once the lake exists (the catalog remembers it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.config import DEFAULT_DB_PATH
from pipeline.errors import ConfigError
from pipeline.store.errors import (
    LAKE_URL_EXAMPLE,
    DatabaseFolderMissingError,
    DatabaseIsDirectoryError,
    LakeUrlError,
)

LAKE_PREFIX = "ducklake:"
CATALOG_SCHEMES = ("postgresql", "postgres")
EXAMPLE_URL = LAKE_URL_EXAMPLE


@dataclass(frozen=True)
class LakeLocation:
    """A DuckLake: its PostgreSQL catalog (a libpq URI, no password) and its data path."""

    catalog_uri: str
    data_path: str | None = None

    @property
    def url(self) -> str:
        """The lake as ``SMURF_DB`` spells it."""
        if self.data_path is None:
            return LAKE_PREFIX + self.catalog_uri
        parts = urlsplit(self.catalog_uri)
        query = [*parse_qsl(parts.query, keep_blank_values=True), ("data_path", self.data_path)]
        return LAKE_PREFIX + urlunsplit(parts._replace(query=urlencode(query, safe="/:")))

    @property
    def database_name(self) -> str:
        """The catalog's PostgreSQL database."""
        return urlsplit(self.catalog_uri).path.lstrip("/")

    def catalog_uri_for(self, database: str) -> str:
        """The catalog's server with another database (``postgres`` to create the catalog)."""
        return urlunsplit(urlsplit(self.catalog_uri)._replace(path="/" + database))

    def __str__(self) -> str:
        return self.url


# An embedded DuckDB file or a lake.
Location: TypeAlias = Path | LakeLocation


def location_key(location: Location) -> str:
    """One name per database, however its path is spelled (a file) or a lake's own."""
    return str(location.resolve()) if isinstance(location, Path) else str(location)


def is_lake_url(value: object) -> bool:
    """Whether a ``SMURF_DB`` value names a lake rather than a file."""
    return isinstance(value, LakeLocation) or (
        isinstance(value, str) and value.strip().lower().startswith(LAKE_PREFIX)
    )


def make_database_folder(path: Path) -> None:
    """Make sure the folder of a database file to write exists.

    The default's folder (``data/``, missing in a fresh clone) is created; any other
    missing folder is refused with ``DatabaseFolderMissingError``: it is most likely a typo
    in ``--db`` / ``SMURF_DB``, and creating it would start a new, empty database where
    nobody will look for it.
    """
    folder = path.parent
    if folder.is_dir():
        return
    if folder_is_made_on_migrate(path):
        folder.mkdir(exist_ok=True)
        return
    raise DatabaseFolderMissingError(str(path), str(folder))


def folder_is_made_on_migrate(path: Path) -> bool:
    """Whether ``path``'s folder exists or is one ``make_database_folder`` creates (a
    ``data/`` folder in a folder that exists)."""
    folder = path.parent
    return folder.is_dir() or (
        folder.name == DEFAULT_DB_PATH.parent.name and folder.parent.is_dir()
    )


def refuse_directory(location: Location) -> None:
    """Raise ``DatabaseIsDirectoryError`` when ``location`` is a directory: DuckDB would say
    only that it cannot read it, and a check for a missing file would call it missing."""
    if isinstance(location, Path) and location.is_dir():
        raise DatabaseIsDirectoryError(str(location))


def parse_location(value: str | Path | LakeLocation) -> Location:
    """A file path or a lake from a ``SMURF_DB`` value (a clear error for a bad lake URL)."""
    if isinstance(value, LakeLocation | Path):
        return value
    if not value.strip():
        # Path("") is the working folder: DuckDB would then fail to read a directory.
        raise ConfigError(
            "The database is empty text: give --db (or SMURF_DB) a DuckDB file or a lake URL."
        )
    if not is_lake_url(value):
        return Path(value)
    text = value.strip()[len(LAKE_PREFIX) :]
    parts = urlsplit(text)
    if parts.scheme not in CATALOG_SCHEMES:
        raise LakeUrlError(
            value, "the catalog must be a PostgreSQL database (ducklake:postgresql://...)"
        )
    if parts.password is not None:
        raise LakeUrlError(
            value,
            "it holds a password; put it in PGPASSWORD or ~/.pgpass instead, since the URL "
            "is shown in logs and reports",
        )
    if not parts.path.strip("/"):
        raise LakeUrlError(value, "it names no catalog database (…@host:5432/DATABASE)")
    query = parse_qsl(parts.query, keep_blank_values=True)
    data_paths = [v for k, v in query if k == "data_path"]
    if data_paths and not data_paths[-1].strip():
        raise LakeUrlError(value, "data_path is empty; give a folder or an s3:// prefix")
    catalog = urlunsplit(
        parts._replace(
            scheme="postgresql",
            query=urlencode([(k, v) for k, v in query if k != "data_path"], safe="/:"),
        )
    )
    return LakeLocation(catalog, data_paths[-1].strip() if data_paths else None)
