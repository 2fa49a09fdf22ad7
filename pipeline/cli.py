"""The ``smurf`` command.

Every command builds its ``Settings`` here, from the environment and its options, and
configures logging once. Errors the product raises on purpose (``SmurfError``) print as one
line on stderr with exit code 1 (a query DuckDB refuses keeps DuckDB's lines, whose caret
points into the query); ``--debug`` shows the traceback instead. A command whose reader
closed stdout (``smurf jobs status | head -1``) ends quietly with status 141, as a command
stopped by SIGPIPE does.
"""

from __future__ import annotations

import os
import select
import shlex
import sys
from pathlib import Path
from typing import Any

import click
import duckdb

from pipeline import __version__
from pipeline.analysis.cli import analyze, evaluate
from pipeline.analysis.explain_cli import explain
from pipeline.cli_settings import (
    SIGINT_EXIT,
    SQL_DB_HELP,
    FiniteFloatRange,
    UnusableSettings,
    by_ctrl_c,
    command_db_option,
    db_option,
    one_folder_deep,
    reading_settings,
    settings_of,
)
from pipeline.config import DEMO_DB_PATH, Settings
from pipeline.errors import SmurfError
from pipeline.jobs.cli import COMMANDS as JOB_COMMANDS
from pipeline.jobs.track_cli import track
from pipeline.lab import lab
from pipeline.log import configure_logging, redact_text
from pipeline.reports.cli import report
from pipeline.scheduler_process import scheduler
from pipeline.simulator.cli import simulator
from pipeline.simulator.config import MAX_WORLD_PLAYERS
from pipeline.store.lake_cli import lake
from pipeline.store.sql import DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S


class SmurfGroup(click.Group):
    """A click group that turns product errors, and what the system or DuckDB refuse (a
    read-only folder, a directory named as the database), into one clear line."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        typed = list(args)
        try:  # `smurf --help` and `--version` print while the arguments are parsed
            ctx = super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:
            _end_if_stdout_closed()
            raise
        except click.ClickException as exc:
            raise _without_the_key(exc) from None
        ctx.meta[_TYPED] = typed
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:  # a usage error, which click prints itself
            raise _without_the_key(_with_dash_hint(exc, ctx.meta.get(_TYPED, []))) from None
        except (SmurfError, OSError, duckdb.IOException) as exc:
            if isinstance(exc, BrokenPipeError):
                _end_if_stdout_closed()  # else another pipe (a child's): a real error
            if ctx.find_root().params.get("debug"):
                raise
            click.secho(f"Error: {_error_line(exc)}", fg="red", err=True)
            ctx.exit(1)
        except (KeyboardInterrupt, RuntimeError, duckdb.Error) as exc:
            if ctx.find_root().params.get("debug"):
                raise
            if by_ctrl_c(exc):
                # The commands that work in units say where they stopped themselves; a query
                # DuckDB was running is rolled back with its transaction.
                click.secho(INTERRUPTED, fg="red", err=True)
                ctx.exit(SIGINT_EXIT)
            if _cannot_write_beside(exc):
                click.secho(f"Error: {_error_line(exc)}", fg="red", err=True)
                ctx.exit(1)
            raise


INTERRUPTED = "Interrupted: what the command had committed stays; the rest was rolled back."
WRITE_BESIDE_HINT = (
    "DuckDB writes its log (FILE.wal) beside the database: the folder must be writable by "
    "you, as must the file."
)


def _error_line(exc: BaseException) -> str:
    """The error in one line, the key redacted; where DuckDB was refused a file, what to fix."""
    said = redact_text(_one_line(exc), [_riot_api_key()])
    return f"{said.rstrip('.')}. {WRITE_BESIDE_HINT}" if _cannot_write_beside(exc) else said


def _cannot_write_beside(exc: BaseException) -> bool:
    """DuckDB could not write the database's log: a folder the user cannot write to."""
    return isinstance(exc, duckdb.Error) and "Permission denied" in str(exc)


# The arguments as typed, kept for a usage error's hint (click has consumed them by then).
_TYPED = "smurf.typed_arguments"
# A puuid is 78 characters of base64url, so one in 64 begins with '-'; no option is this long.
_PUUID_LIKE_CHARS = 20


def _with_dash_hint(exc: click.ClickException, typed: list[str]) -> click.ClickException:
    """A puuid that begins with '-' reads as a cluster of short options ("No such option
    '-6'"): the error then says to put ``--`` before it (the command's options before that);
    options given after ``--`` are read as arguments: it says to put them before."""
    usage_ctx = exc.ctx if isinstance(exc, click.UsageError) else None
    command = usage_ctx.command_path if usage_ctx else "smurf"
    start, own = _command_words(typed, command)
    if isinstance(exc, click.UsageError) and "--" in own and "extra argument" in exc.message:
        before, after = own[: own.index("--")], own[own.index("--") + 1 :]
        options = after[1:]
        if after and options and options[0].startswith("-"):
            suggested = " ".join([start, shlex.join([*before, *options, "--", after[0]])])
            exc.message += (  # type: ignore[misc]
                ". Everything after -- is read as arguments: put options before it, as in "
                f"{suggested}"
            )
        return exc
    if not isinstance(exc, click.NoSuchOption):
        return exc
    # The option click names is the typed word itself ("--Xv..."), or the first letter of a
    # cluster it could not read ("-X" of "-hXv...": -h was read as help's flag).
    letters = exc.option_name.lstrip("-")
    dashed = [
        a
        for a in typed
        if a.startswith("-") and len(a) >= _PUUID_LIKE_CHARS and letters and letters in a
    ]
    if dashed:
        others = [word for word in own if word not in (dashed[0], "--")]
        suggested = " ".join([start, shlex.join([*others, "--", dashed[0]])])
        # click marks the attribute Final for its own code; the message is still read from it.
        exc.message += (  # type: ignore[misc]
            f" A puuid may begin with '-': put -- before it, as in {suggested}"
        )
    return exc


def _command_words(typed: list[str], command_path: str) -> tuple[str, list[str]]:
    """``typed`` (every word after ``smurf``) split where the command's own words begin: the
    command as typed so far (``smurf --db X explain``) and the words given to it."""
    names = command_path.split()[1:]
    for at in range(len(typed) - len(names) + 1):
        if names and typed[at : at + len(names)] == names:
            end = at + len(names)
            return shlex.join(["smurf", *typed[:end]]), typed[end:]
    return command_path, typed


def _riot_api_key() -> str | None:
    """The key as settings read it (``Settings`` may be unusable when a command fails)."""
    key = os.environ.get("RIOT_API_KEY")
    return key.strip() if key else None


def _without_the_key(exc: click.ClickException) -> click.ClickException:
    """``exc`` with the key redacted from its message: an error repeats what the user typed,
    the key pasted by mistake included."""
    # click marks the attribute Final for its own code; the message is still read from it.
    exc.message = redact_text(exc.message, [_riot_api_key()])  # type: ignore[misc]
    return exc


# What a shell reports for a command stopped by SIGPIPE (128 + 13), e.g. `yes | head -1`.
EXIT_STDOUT_CLOSED = 128 + 13


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader went away (poll reports an error on it)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no file descriptor (a test's buffer)
        return False


def _end_if_stdout_closed() -> None:
    """End quietly, with ``EXIT_STDOUT_CLOSED``, if the reader of stdout went away; stdout
    then points at /dev/null, so that the interpreter's flush at exit of what is left
    unwritten does not fail again with a message on stderr."""
    if not _stdout_closed():
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
    raise click.exceptions.Exit(EXIT_STDOUT_CLOSED)


# A reader that leaves during one large write cuts it short without an error (the kernel
# reports the bytes it took); the next write fails, so a long text goes out in pieces.
ECHO_CHUNK = 64 * 1024


def echo_in_chunks(text: str) -> None:
    """``click.echo(text)`` in pieces, so that a reader leaving part way (`| head -1`)
    ends the command with ``EXIT_STDOUT_CLOSED`` rather than unnoticed."""
    text += "\n"  # in the last piece: a short text is still one write
    for start in range(0, len(text), ECHO_CHUNK):
        click.echo(text[start : start + ECHO_CHUNK], nl=False)


def _one_line(exc: BaseException) -> str:
    """The error as one line: an operating-system error as its reason and the file it
    concerns ("Read-only file system: data/x.duckdb"), without the errno."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__  # a bare TimeoutError() says at least what it is


@click.group(cls=SmurfGroup, context_settings={"help_option_names": ["-h", "--help"]})
@db_option()
@click.option(
    "--platform",
    default=None,
    help="Default platform for Riot API lookups, e.g. euw1 [env SMURF_PLATFORM].",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug log lines.")
@click.option(
    "--log-json/--log-console",
    default=None,
    help="Log as JSON lines or for a terminal [default: console on a terminal].",
)
@click.version_option(__version__, prog_name="smurf")
@click.pass_context
def cli(
    ctx: click.Context,
    db_path: str | None,
    platform: str | None,
    debug: bool,
    log_json: bool | None,
) -> None:
    """Smurf Workbench: find smurfs and boosted accounts in League of Legends.

    Fetch match history from the Riot API (or the bundled simulator) into DuckDB, score
    every player, and explore the results in notebooks or with `smurf sql`.
    """
    try:
        settings: Settings | None = Settings.from_env(
            os.environ, db_path=db_path, platform=platform
        )
    except SmurfError as error:  # a bad setting, a lake URL that cannot work
        settings = None
        ctx.obj = UnusableSettings(error)  # raised by the command, after any --help
    else:
        ctx.obj = settings
    # The demo prints its own live status; its jobs' info lines still reach their executions.
    quiet = ctx.invoked_subcommand == "demo"
    configure_logging(
        secrets=[settings.riot_api_key if settings else os.environ.get("RIOT_API_KEY")],
        json_lines=log_json,
        level="debug" if debug else "warning" if quiet else "info",
    )


@cli.group()
def db() -> None:
    """Create and upgrade the database schema; rebuild what is derived from the games."""


@db.command("migrate")
@command_db_option()
@click.pass_context
def db_migrate(ctx: click.Context) -> None:
    """Apply pending schema migrations (creates the database if missing; safe to repeat).

    A DuckDB file of another program (tables, but no schema_migrations) is refused and left
    as it is.
    """
    from pipeline.store import current_version, migrate, read

    settings = settings_of(ctx)
    applied = migrate(settings.db_path, timeout_s=settings.lock_timeout_s)
    with read(settings.db_path, timeout_s=settings.lock_timeout_s) as con:
        version = current_version(con)
    if applied:
        names = ", ".join(f"{m.version:03d}_{m.name}" for m in applied)
        click.echo(f"Applied {len(applied)} migration(s) to {settings.db_path}: {names}")
    else:
        click.echo(f"{settings.db_path} is up to date.")
    click.echo(f"Schema version: {version}")


@db.command("current")
@command_db_option()
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the schema version applied to the database and the latest one available."""
    from pipeline.store import current_version, latest_version, read
    from pipeline.store.migrate import refuse_foreign_database

    settings = settings_of(ctx)
    with read(settings.db_path, timeout_s=settings.lock_timeout_s) as con:
        refuse_foreign_database(con, settings.db_path)  # not one to migrate
        version = current_version(con)
    latest = latest_version()
    state = "up to date" if version == latest else "run `smurf db migrate`"
    if version > latest:
        state = "newer than this release of smurf-workbench"
    click.echo(f"{version} (latest {latest}: {state})")


@db.command("rebuild-aggregates")
@click.option(
    "--keep-reference",
    is_flag=True,
    help="Keep the stored lobby reference (the role norms stomps are judged with) instead of "
    "recomputing it from every stored game.",
)
@command_db_option()
@click.pass_context
def db_rebuild_aggregates(ctx: click.Context, keep_reference: bool) -> None:
    """Recompute the per-player sums scoring reads from the stored games, in one transaction.

    The jobs keep them current as they store games; rebuild after changing games by hand
    (SQL) or to refresh the lobby reference now (the analyzer does it when the games of a
    role have doubled). Every player is queued for scoring again, and the analyzer sums its
    score inputs and its rank summary again (from the rank snapshots) on its next run.
    Safe to repeat.
    """
    import time

    from pipeline.store import write_migrated
    from pipeline.store.aggregates import (
        enqueue_players,
        forget_rank_summary,
        rebuild_aggregates,
    )

    settings = settings_of(ctx)
    started = time.perf_counter()
    with write_migrated(settings.db_path, timeout_s=settings.lock_timeout_s) as con:
        games = rebuild_aggregates(con, renorm=not keep_reference)
        forget_rank_summary(con)
        enqueue_players(con, "SELECT DISTINCT puuid FROM player_game_sums", note_queued=False)
        row = con.execute("SELECT count(DISTINCT puuid) FROM player_game_sums").fetchone()
    players = int(row[0]) if row else 0
    reference = "kept" if keep_reference else "recomputed"
    click.echo(
        f"Rebuilt the sums of {games:,} games of {players:,} players in "
        f"{time.perf_counter() - started:.1f} s (lobby reference {reference}); "
        "every player is queued for scoring."
    )


@cli.command("sql")
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="How to print the result rows.",
)
@click.option(
    "--write",
    "allow_write",
    is_flag=True,
    help="Allow statements that change the database or write files (opens it read-write).",
)
@click.option(
    "--time-limit-s",
    type=FiniteFloatRange(0.1, MAX_TIME_LIMIT_S),
    default=DEFAULT_TIME_LIMIT_S,
    show_default=True,
    help="Stop a statement that reads for longer than this (not with --write).",
)
@command_db_option(SQL_DB_HELP)
@click.pass_context
def sql(ctx: click.Context, query: str, fmt: str, allow_write: bool, time_limit_s: float) -> None:
    """Run SQL against the database and print the result (read-only unless --write).

    Without --write, DuckDB opens the file read-only and reaches no other file (no COPY TO,
    read_csv, ATTACH, ...). With --write, QUERY runs as one transaction: all of it is
    committed to the database, or none of it when a statement fails (a file written by COPY
    TO stays). QUERY may hold several statements
    separated by ';'; the rows of the last one are printed. Example: smurf sql "select
    queue_id, count(*) from matches group by 1"

    The tables asked about most: latest_smurf_scores (each player's newest label and
    scores), smurf_scores (every score kept), players, matches, match_participants
    (a player's game), job_executions. smurf sql "show tables" lists them all, smurf sql
    "describe latest_smurf_scores" one's columns.
    """
    from pipeline.store import check_schema, write_migrated
    from pipeline.store.sql import (
        TABLE_ROWS,
        WriteRefusedError,
        read_mode,
        refuse_lake_escapes,
        render,
        run_statements,
        split_statements,
        writing_statements,
    )

    limit_given = ctx.get_parameter_source("time_limit_s") is not click.core.ParameterSource.DEFAULT
    if allow_write and limit_given:
        raise click.UsageError(
            "--time-limit-s bounds read-only queries; a --write statement runs to its end."
        )
    # A write goes only where it was sent, never to the demo's database unasked.
    settings = settings_of(ctx) if allow_write else reading_settings(ctx)
    timeout_s = settings.lock_timeout_s
    connection = (
        write_migrated(settings.db_path, timeout_s=timeout_s)
        if allow_write
        else read_mode(settings.db_path, timeout_s=timeout_s)
    )
    with connection as con:
        if not allow_write:  # write_migrated has checked it
            check_schema(con, settings.db_path)
        statements = split_statements(con, query)
        if not allow_write:
            refuse_lake_escapes(settings.db_path, query)
        writes = writing_statements(statements)
        if duckdb.StatementType.TRANSACTION.name in writes:
            raise WriteRefusedError(
                "A query runs as one transaction (with --write, committed at its end; none of "
                "it when a statement fails): leave out BEGIN, COMMIT and ROLLBACK."
            )
        if writes and not allow_write:
            raise WriteRefusedError(
                f"The query contains {', '.join(sorted(set(writes)))} statement(s), which can "
                "change the database or reach other files; run it again with --write if that "
                "is intended (it opens the database read-write, with other files in reach)."
            )
        result = run_statements(
            con,
            statements,
            time_limit_s=None if allow_write else time_limit_s,
            keep=TABLE_ROWS if fmt == "table" else None,
        )
    echo_in_chunks(render(result, fmt) if result is not None else "OK")


@cli.command("import-matches")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@command_db_option()
@click.pass_context
def import_matches(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Load match-v5 JSON files, or folders of them, into the database (safe to repeat).

    Each file holds one match as the Riot API's getMatch returns it (or a JSON array of
    them). Files that cannot be read or parsed, and matches of an array that cannot (by
    their place in it), are listed with the reason and skipped: the others are stored, and
    the command then exits 1, so that a script sees something was left out. A match already
    stored, by an earlier import or an earlier file of this one, is counted as such and
    left as it is.
    """
    from pipeline.store.connection import require_file
    from pipeline.store.importer import import_paths, match_files
    from pipeline.store.location import parse_location

    settings = settings_of(ctx)
    require_file(parse_location(settings.db_path))  # before the files are counted
    total = sum(1 for _ in match_files(paths))
    # Progress goes to stderr so stdout stays the summary (scripts may parse it); off a
    # terminal a bar cannot move, and Click would leave its label alone on a line.
    with click.progressbar(
        length=total, label="Importing", file=sys.stderr, hidden=not sys.stderr.isatty()
    ) as bar:
        report = import_paths(
            settings.db_path,
            paths,
            timeout_s=settings.lock_timeout_s,
            on_file=lambda _path: bar.update(1),
        )
    empty = report.files_without_matches
    held = report.matches_already_stored
    click.echo(
        f"Read {total:,} file(s), {empty:,} without a match: {report.matches_created:,} "
        f"match(es){f' ({held:,} already stored)' if held else ''}, "
        f"{report.participants_created:,} participant row(s), "
        f"{report.players_created:,} new player(s), {report.players_updated:,} player(s) updated."
    )
    files = len({path for path, _ in report.rejected})
    entries = len(report.rejected)
    rejected = f"{files} file(s)" if entries == files else f"{entries} entries, in {files} file(s)"
    if report.rejected:
        click.echo(f"Rejected {rejected}:")
        for path, reason in report.rejected:
            click.echo(f"  {path}: {reason}")
    if not total:
        raise click.ClickException(
            "No .json file was found there: give match-v5 JSON files, or folders holding them."
        )
    if empty == total:
        raise click.ClickException("No file held a match to import; see the reasons above.")
    if report.rejected:
        # After the summary: the good matches are stored, but a script must see the rest.
        raise click.ClickException(
            f"Rejected {rejected}, each listed with why after the counts; the rest was "
            "stored. Fix or leave them out and import again: matches already stored are "
            "skipped."
        )


@cli.command()
@click.option(
    "--world-size",
    type=click.IntRange(50, MAX_WORLD_PLAYERS),
    default=2000,
    show_default=True,
    help="Players in the simulated world.",
)
@click.option(
    "--minutes",
    type=FiniteFloatRange(0.05, 120),
    default=3.0,
    show_default=True,
    help="How long the scheduler runs the jobs.",
)
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="Seed of the simulated world (same seed, same world).",
)
@click.option("--keep", is_flag=True, help="Keep the demo database instead of starting fresh.")
@db_option(
    help="DuckDB file the demo builds (also given as `smurf --db FILE demo`; SMURF_DB is not "
    "used).",
    default=str(DEMO_DB_PATH),
    show_default=True,
)
@click.option(
    "--reports-dir",
    type=click.Path(file_okay=False, path_type=Path),
    callback=one_folder_deep,
    default=Path("data/reports"),
    show_default=True,
    help="Where the report notebook and its HTML go.",
)
@click.option("--no-report", is_flag=True, help="Skip running the report notebook at the end.")
@click.pass_context
def demo(
    ctx: click.Context,
    world_size: int,
    minutes: float,
    seed: int,
    keep: bool,
    db_path: str,
    reports_dir: Path,
    no_report: bool,
) -> None:
    """Run the whole product against the bundled simulator: no Riot key needed.

    Builds a fresh demo database, starts the simulated Riot API on loopback, tracks a few
    players, runs the real scheduler under real rate limits, runs the report notebook and
    prints the top suspects and the detection quality against the simulator's ground truth.
    """
    from pipeline.demo import DemoOptions, run_demo
    from pipeline.store.location import refuse_directory

    typed_root_db = ctx.find_root().params.get("db_path")
    if ctx.get_parameter_source("db_path") is click.core.ParameterSource.DEFAULT and typed_root_db:
        # `smurf --db X demo`: the database typed is meant (SMURF_DB, which names the
        # database of real work, is not: the demo builds its own beside it).
        db_path = str(typed_root_db)
    if db_path.startswith("ducklake:"):
        raise click.BadParameter(
            "the demo builds a DuckDB file of its own, not a lake: give a file, e.g. "
            f"{DEMO_DB_PATH} (a lake is crawled with `smurf lake init` and the scheduler).",
            param_hint="'--db'",
        )
    refuse_directory(Path(db_path))  # the demo replaces a file, never a folder
    result = run_demo(
        DemoOptions(
            world_size=world_size,
            minutes=minutes,
            seed=seed,
            keep=keep,
            db_path=Path(db_path),
            reports_dir=reports_dir,
            run_report=not no_report,
            lock_timeout_s=settings_of(ctx).lock_timeout_s,
        )
    )
    if result.interrupted:
        sys.exit(130)


# Each area defines its commands beside its code; the root command gathers them here.
for _command in (
    track,
    *JOB_COMMANDS,
    scheduler,
    analyze,
    evaluate,
    explain,
    lab,
    report,
    simulator,
    lake,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="smurf")


if __name__ == "__main__":  # pragma: no cover
    main()
