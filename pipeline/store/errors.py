"""Errors of the store::

StoreError
├── DatabaseBusyError        another process held the file past the wait bound
├── SchemaOutOfDateError     migrations are pending: run `smurf db migrate`
├── SchemaTooNewError        the file was migrated by a newer Smurf Workbench
└── MatchParseError          a match-v5 payload is malformed (names the match id)
"""

from __future__ import annotations

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


class MatchParseError(StoreError):
    """A match-v5 payload cannot be turned into rows."""

    def __init__(self, match_id: str | None, reason: str) -> None:
        self.match_id = match_id
        self.reason = reason
        super().__init__(f"Match {match_id or '<unknown id>'} is malformed: {reason}")
