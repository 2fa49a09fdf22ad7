"""The DuckDB store: short-lived connections, migrations, match parsing and bulk writes.

Public surface (notebooks and jobs import only these names)::

    write(path)        read-write connection for one unit of work, one transaction
    read(path)         read-only connection for one unit of work
    Database(path)     a file + lock timeout; .read()/.write() for jobs and notebooks
    migrate(path)      apply pending migrations; check_schema(con, path) to require them
"""

from pipeline.store.connection import read, write
from pipeline.store.database import Database
from pipeline.store.errors import (
    DatabaseBusyError,
    MatchParseError,
    SchemaOutOfDateError,
    SchemaTooNewError,
    StoreError,
)
from pipeline.store.migrate import check_schema, current_version, latest_version, migrate

__all__ = [
    "Database",
    "DatabaseBusyError",
    "MatchParseError",
    "SchemaOutOfDateError",
    "SchemaTooNewError",
    "StoreError",
    "check_schema",
    "current_version",
    "latest_version",
    "migrate",
    "read",
    "write",
]
