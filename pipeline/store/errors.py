"""Errors of the store::

StoreError
├── DatabaseBusyError        another process held the file past the wait bound
│   └── LakeBusyError        another writer held the lake's write lock past the bound
├── WriteConflictError       concurrent transactions of this process kept colliding
├── NotADatabaseError        the file named as the database is something else
│   └── DatabaseIsDirectoryError  the path named as the database is a directory
├── ForeignDatabaseError     a DuckDB database of another program, not Smurf Workbench's
├── SchemaOutOfDateError     migrations are pending: run `smurf db migrate`
├── SchemaTooNewError        the file was migrated by a newer Smurf Workbench
├── MigrationError           a migration's SQL failed (names its file; nothing of it applied)
├── MatchParseError          a match-v5 payload is malformed (names the match id)
└── LakeError                a DuckLake backend cannot be used as asked
    ├── LakeUrlError         SMURF_DB names a lake in a way that cannot work
    ├── LakeExtensionError   the DuckDB extension packages are missing or do not fit
    └── LakeUnavailableError the catalog cannot be reached, or holds no lake yet
"""

from __future__ import annotations

import re

from pipeline.errors import SmurfError


class StoreError(SmurfError):
    """Base class of database errors."""


class DatabaseBusyError(StoreError):
    """The database file stayed locked by another process for longer than allowed."""

    def __init__(self, path: str, waited_s: float, holder: str | None) -> None:
        self.path = path
        self.waited_s = waited_s
        self.holder = holder
        who = f"process {holder}" if holder else "another process"
        super().__init__(
            f"The database {path} is held by {who}; gave up after waiting {waited_s:.1f} s. "
            "Close the other program (a notebook kernel, `smurf scheduler`, a DuckDB shell) "
            "or raise SMURF_LOCK_TIMEOUT_S."
        )


class NotADatabaseError(StoreError):
    """The file given as the database is not a DuckDB database."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"{path} is not a DuckDB database: check --db / SMURF_DB (a new file is created "
            "by `smurf db migrate`)."
        )


class DatabaseIsDirectoryError(NotADatabaseError):
    """The path given as the database is a directory."""

    def __init__(self, path: str) -> None:
        self.path = path
        StoreError.__init__(
            self,
            f"{path} is a directory, not a database file: give the path of a .duckdb file instead.",
        )


class ForeignDatabaseError(StoreError):
    """A DuckDB database that holds tables but no ``schema_migrations``: another program's,
    which the product neither migrates nor reads as its own."""

    def __init__(self, path: str, tables: list[str]) -> None:
        self.path = path
        self.tables = tables
        shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        super().__init__(
            f"{path} is another program's DuckDB database, not a Smurf Workbench one (it "
            f"holds {shown} and no schema_migrations), so it was left as it is: name a Smurf "
            "Workbench database with --db / SMURF_DB, or a new file for `smurf db migrate` "
            "to create."
        )


class DatabaseFolderMissingError(StoreError):
    """The folder of a database file to create does not exist (most likely a typo)."""

    def __init__(self, path: str, folder: str) -> None:
        self.path = path
        super().__init__(
            f"{path} cannot be created: its folder {folder} does not exist. Check --db / "
            f"SMURF_DB for a typo, or create the folder first (mkdir -p {folder})."
        )


class WriteConflictError(StoreError):
    """A write kept colliding with concurrent writes of the same rows, through every retry."""

    def __init__(self, path: str, attempts: int, detail: str) -> None:
        self.path = path
        self.attempts = attempts
        super().__init__(
            f"A write to {path} collided with concurrent writes of the same rows "
            f"{attempts} times ({' '.join(detail.split())}); it was rolled back and can be "
            "run again."
        )


class SchemaOutOfDateError(StoreError):
    """The database has migrations pending."""

    def __init__(self, path: str, current: int, latest: int) -> None:
        self.current = current
        self.latest = latest
        super().__init__(
            f"The database {path} is at schema version {current} but this version of "
            f"Smurf Workbench needs {latest}: run `smurf db migrate`."
        )


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer release than this one."""

    def __init__(self, path: str, current: int, latest: int) -> None:
        self.current = current
        self.latest = latest
        super().__init__(
            f"The database {path} is at schema version {current}, newer than the {latest} "
            "this version of Smurf Workbench knows: upgrade smurf-workbench, or use another "
            "database file."
        )


class MigrationError(StoreError):
    """A migration's SQL failed: it was rolled back, the database stays where it was."""

    def __init__(self, file: str, version: int, current: int, detail: str) -> None:
        self.file = file
        self.version = version
        self.current = current
        super().__init__(
            f"Migration {file} failed: {' '.join(detail.split())} (nothing of it was applied; "
            f"the database stays at schema version {current}). Fix its SQL and run "
            "`smurf db migrate` again."
        )


class MatchParseError(StoreError):
    """A match-v5 payload cannot be turned into rows."""

    def __init__(self, match_id: str | None, reason: str) -> None:
        self.match_id = match_id
        self.reason = reason
        super().__init__(f"Match {match_id or '<unknown id>'} is malformed: {reason}")


class LakeBusyError(DatabaseBusyError):
    """Another process held the lake's write lock for longer than allowed."""

    def __init__(self, lake: str, waited_s: float, holder: str | None) -> None:
        StoreError.__init__(
            self,
            f"The lake {lake} is being written by {holder or 'another process'}; gave up "
            f"after waiting {waited_s:.1f} s for its commit. Writers hold the lake's write "
            "lock only while they commit: look for a stuck writer, or raise "
            "SMURF_LOCK_TIMEOUT_S.",
        )
        self.path = lake
        self.waited_s = waited_s
        self.holder = holder


class LakeError(StoreError):
    """Base class of errors of the DuckLake backend."""


LAKE_URL_EXAMPLE = "ducklake:postgresql://smurf@db-host:5432/smurf?data_path=s3://bucket/smurf/"
# user:password@ in a URL: the password is never repeated in a message.
_URL_PASSWORD = re.compile(r"(//[^/@:]*):[^/@]*@")


class LakeUrlError(LakeError):
    """A DuckLake URL that cannot work."""

    def __init__(self, url: str, reason: str) -> None:
        shown = _URL_PASSWORD.sub(r"\1:***@", url)
        super().__init__(
            f"The lake URL {shown!r} cannot be used: {reason}. Example: {LAKE_URL_EXAMPLE}"
        )


class LakeExtensionError(LakeError):
    """The DuckDB extensions a lake needs are not installed, or are for another DuckDB."""


class LakeUnavailableError(LakeError):
    """The lake's catalog cannot be reached, or holds no lake yet."""
