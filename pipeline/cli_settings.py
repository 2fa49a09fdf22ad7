"""What every area's CLI shares: the ``--db`` option and the settings the root command built."""

from __future__ import annotations

import math
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline.config import DEMO_DB_PATH, Settings
from pipeline.errors import SmurfError
from pipeline.store.interrupts import interrupt_open_connections

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = (
    "DuckDB file, or a lake's ducklake:postgresql://... URL, to use "
    "[env SMURF_DB; default data/smurf.duckdb]."
)
# The same option given after a command's name, where it overrides the root's.
COMMAND_DB_HELP = "DuckDB file or lake URL to use [default: the global --db, env SMURF_DB]."
# The same for a command that only reads (``reading_settings``).
_DEMO_FALLBACK = (
    "[default: the global --db, env SMURF_DB; else, as `smurf lab` chooses, data/demo.duckdb"
    " when written after data/smurf.duckdb or that does not exist"
)
READING_DB_HELP = f"DuckDB file or lake URL to read {_DEMO_FALLBACK}]."
# `smurf sql`, which reads as the others do unless --write, which never writes the demo's.
SQL_DB_HELP = f"DuckDB file or lake URL to use {_DEMO_FALLBACK} (with --write: data/smurf.duckdb)]."

# The shell's exit statuses for a process ended by SIGINT (Ctrl-C) and SIGTERM: 128 + 2, + 15.
SIGINT_EXIT, SIGTERM_EXIT = 130, 143


def by_ctrl_c(exc: BaseException) -> bool:
    """Ctrl-C, whether Python saw it or DuckDB, which stops its query and raises its own
    error (RuntimeError "Query interrupted") with the KeyboardInterrupt as the cause."""
    return isinstance(exc, KeyboardInterrupt) or isinstance(exc.__cause__, KeyboardInterrupt)


class Terminated(SystemExit):
    """SIGTERM, raised where a command is (``sigterm_interrupts``), so that it stops as on
    Ctrl-C and cleans up what it would leave half made.

    A ``SystemExit``, not a bare ``BaseException``: the handler raises it wherever the main
    thread is, and asyncio, which a report's notebook runs in (nbclient, zmq), lets only
    ``SystemExit`` and ``KeyboardInterrupt`` through wherever it catches what a callback
    raises; any other exception in a callback it logs ("Exception in callback") and goes on,
    and `smurf report` ran on to the cell's timeout. Raising the signal again later, outside
    the callback, would need a place to raise it from that the command does not own. Not a
    ``KeyboardInterrupt``: every ``except KeyboardInterrupt`` (the root command's,
    ``by_ctrl_c``, click's "Aborted!") would take SIGTERM for Ctrl-C, where nothing in the
    product catches ``SystemExit``. Its code is the shell's status for SIGTERM, so one that
    no command catches ends the process as SIGTERM would (143, no traceback), never with a
    bare ``SystemExit``'s 0.
    """

    def __init__(self) -> None:
        super().__init__(SIGTERM_EXIT)


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM raises ``Terminated`` in the main thread (a command run from
    a test's thread keeps the handler it has: only the main thread may set one), having
    interrupted the statements the main thread's connections run (``store.interrupts``)."""

    def terminate(_signum: int, _frame: object) -> None:
        interrupt_open_connections()
        raise Terminated

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# Where a command's own --db waits for ``settings_of`` when the command takes no argument for it.
_COMMAND_DB = "smurf.command_db"


class FiniteFloatRange(click.FloatRange):
    """``click.FloatRange`` that also refuses nan and infinity, which its bounds let through
    (a comparison with nan is never true): ``--time-limit-s nan`` turned the limit off."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number; give one such as 1.5.", param, ctx)
        return number


def one_folder_deep(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A folder option's callback: a folder given is made in one that exists, never a chain
    of them (a typo would leave stray folders behind, even at the root); as for --db. The
    default is made as needed."""
    given = ctx.get_parameter_source(str(param.name)) is not click.core.ParameterSource.DEFAULT
    if given and not value.exists() and not value.parent.exists():
        raise click.BadParameter(
            f"{value} would be made in {value.parent}, which does not exist: check for a "
            f"typo, or create it first (mkdir -p {value.parent})."
        )
    return value


def db_option(
    help: str = DB_HELP,
    default: str | None = None,
    show_default: bool = False,
    expose_value: bool = True,
) -> Callable[[F], F]:
    """The ``--db`` option (a file or a lake URL, as text), passed as ``db_path``.

    The root command takes it for every command; every command that opens the database also
    takes it after its name (``smurf analyze --db FILE``), where it overrides the root's.
    With ``expose_value=False`` the command gets no ``db_path`` argument: ``settings_of``
    and ``named_database`` find the value themselves.
    """
    return click.option(
        "--db",
        "db_path",
        default=default,
        show_default=show_default,
        help=help,
        expose_value=expose_value,
        callback=None if expose_value else _keep_command_db,
    )


def command_db_option(help: str = COMMAND_DB_HELP) -> Callable[[F], F]:
    """``--db`` after a command's name, for a command that reads it through ``settings_of``."""
    return db_option(help=help, expose_value=False)


def _keep_command_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[_COMMAND_DB] = value


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

    if db_path is None:
        db_path = ctx.meta.get(_COMMAND_DB)
    if db_path is not None:
        settings = settings.replace(db_path=parse_location(db_path))
    refuse_directory(settings.db_path)  # one message for every command, before any opens it
    return settings


def reading_settings(ctx: click.Context, db_path: str | None = None) -> Settings:
    """``settings_of`` for a command that only reads: when no database was named, the
    demo's beside the default one when it was written after it or the default does not
    exist (what `smurf lab` opens: a new user's database after `make demo`), said on stderr
    so that stdout stays the command's own."""
    settings = settings_of(ctx, db_path)
    default = settings.db_path
    if named_database(ctx, db_path) is not None or not isinstance(default, Path):
        return settings
    from pipeline.workspace import demo_fallback

    demo = default.with_name(DEMO_DB_PATH.name)
    said = demo_fallback(default, demo)
    if said is None:
        return settings
    click.echo(said, err=True)
    return settings.replace(db_path=demo)


def named_database(ctx: click.Context, command_db: str | None = None) -> str | None:
    """The database the user named: the command's own --db, the root's, else SMURF_DB; None
    when none was given (the commands that pick the demo's database then do)."""
    given = command_db or ctx.meta.get(_COMMAND_DB) or ctx.find_root().params.get("db_path")
    if given is not None:
        return str(given)
    return os.environ.get("SMURF_DB", "").strip() or None
