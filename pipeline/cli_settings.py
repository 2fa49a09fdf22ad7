"""What every area's CLI shares: the ``--db`` option and the settings the root command built."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline.config import Settings
from pipeline.errors import SmurfError

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = (
    "DuckDB file, or a lake's ducklake:postgresql://... URL, to use "
    "[env SMURF_DB; default data/smurf.duckdb]."
)


def db_option(
    help: str = DB_HELP, default: str | None = None, show_default: bool = False
) -> Callable[[F], F]:
    """The ``--db`` option (a file or a lake URL, as text), passed as ``db_path``.

    The root command takes it for every command; a few commands also take it after their
    name (``smurf analyze --db FILE``), where it overrides the root's.
    """
    return click.option(
        "--db",
        "db_path",
        default=default,
        show_default=show_default,
        help=help,
    )


class UnusableSettings:
    """What the root command keeps when the environment's settings cannot be used: the error
    is raised by the first command that needs them, so ``--help`` still works."""

    def __init__(self, error: SmurfError) -> None:
        self.error = error


def settings_of(ctx: click.Context, db_path: str | Path | None = None) -> Settings:
    """The settings built by the root ``smurf`` command (with a command's own ``--db``); a
    directory named as the database is refused here (``DatabaseIsDirectoryError``)."""
    settings = ctx.find_object(Settings)
    unusable = ctx.find_object(UnusableSettings)
    if settings is None and unusable is not None:
        raise unusable.error
    if settings is None:
        raise click.UsageError("Run this command through `smurf`, which builds its settings.")
    from pipeline.store.location import parse_location, refuse_directory

    if db_path is not None:
        settings = settings.replace(db_path=parse_location(db_path))
    refuse_directory(settings.db_path)  # one message for every command, before any opens it
    return settings


def named_database(ctx: click.Context, command_db: str | None = None) -> str | None:
    """The database the user named: the command's own --db, the root's, else SMURF_DB; None
    when none was given (the commands that pick the demo's database then do)."""
    given = command_db or ctx.find_root().params.get("db_path")
    if given is not None:
        return str(given)
    return os.environ.get("SMURF_DB", "").strip() or None
