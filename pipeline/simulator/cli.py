"""``smurf simulator``: serve the simulated Riot API, export its world into a database, or
crawl it with the product's own jobs."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import duckdb

from pipeline.cli_settings import (
    SIGINT_EXIT,
    SIGTERM_EXIT,
    FiniteFloatRange,
    Terminated,
    by_ctrl_c,
    db_option,
    settings_of,
    sigterm_interrupts,
)
from pipeline.errors import ConfigError
from pipeline.simulator.assumptions import FAMILIES, family
from pipeline.simulator.config import MAX_WORLD_PLAYERS, MIN_WORLD_PLAYERS, SimulatorConfig
from pipeline.store.location import Location
from pipeline.words import counted

if TYPE_CHECKING:  # the export's modules (numpy, pandas) load when a world is exported
    from pipeline.simulator.export import ExportReport


@click.group()
def simulator() -> None:
    """Run the bundled Riot API simulator (no key or internet needed)."""


class PlayerCount(click.IntRange):
    """A world's number of players: a whole number within the bounds, else a message that
    says which to give (a huge world ended in a MemoryError after a long wait)."""

    def __init__(self) -> None:
        super().__init__(MIN_WORLD_PLAYERS, MAX_WORLD_PLAYERS)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.INT.convert(value, param, ctx)
        if number > MAX_WORLD_PLAYERS:
            self.fail(
                f"{number:,} players are more than a simulated world holds: give at most "
                f"{MAX_WORLD_PLAYERS:,} (that many take about 3 GB of memory and minutes to "
                "build).",
                param,
                ctx,
            )
        if number < MIN_WORLD_PLAYERS:
            self.fail(
                f"{number:,} players cannot fill a match: give at least {MIN_WORLD_PLAYERS}.",
                param,
                ctx,
            )
        return number


def _world_options(command: click.decorators.FC) -> click.decorators.FC:
    command = click.option(
        "--family",
        "family_name",
        type=click.Choice(list(FAMILIES)),
        default="standard",
        show_default=True,
        help="Which story the world tells: who plays, how noisy their numbers are, how "
        "matchmaking pairs them (see pipeline.simulator.assumptions).",
    )(command)
    command = click.option(
        "--players",
        type=PlayerCount(),
        default=2000,
        show_default=True,
        help="Number of players in the world (memory grows with them: about 3 GB at 200,000).",
    )(command)
    command = click.option(
        "--seed", default=0, show_default=True, help="World seed: the same seed, the same world."
    )(command)
    return click.option(
        "--platform",
        default="euw1",
        show_default=True,
        help="Platform the world lives on (its region serves account-v1 and match-v5).",
    )(command)


def _event_options(command: click.decorators.FC) -> click.decorators.FC:
    """Accounts banned, suspended or transferred in the 14 days after the world's "now"."""
    for name, what in (
        ("ban", "banned for good"),
        ("suspension", "suspended for 3-10 days"),
        ("transfer", "transferred to another platform"),
    ):
        command = _share_option(
            f"--{name}-share", f"Share of accounts {what} in the 14 days after the world's now."
        )(command)
    return command


def _share_option(name: str, help: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    """An option for a share of something, 0 to 1 (nan refused), 0 by default."""
    return click.option(
        name, type=FiniteFloatRange(0, 1), default=0.0, show_default=True, help=help
    )


@simulator.command("serve")
@_world_options
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="TCP port on 127.0.0.1.",
)
@click.option(
    "--app-limit",
    default="20:1,100:120",
    show_default=True,
    help="Application rate limit, LIMIT:SECONDS pairs (Riot's development-key default).",
)
@click.option(
    "--method-limit",
    default="2000:10",
    show_default=True,
    help="Rate limit of every API method, LIMIT:SECONDS pairs.",
)
@click.option(
    "--latency-ms",
    nargs=2,
    type=FiniteFloatRange(min=0),
    default=(0.0, 0.0),
    show_default=True,
    help="Added latency per request, drawn uniformly between MIN and MAX milliseconds.",
)
@_share_option("--fault-rate", "Share of 5xx answers.")
@_share_option("--slow-rate", "Share of answers delayed by --slow-s.")
@click.option(
    "--slow-s",
    type=FiniteFloatRange(0, 3600),
    default=15.0,
    show_default=True,
    help="Delay of a slow answer, seconds.",
)
@_share_option("--malformed-rate", "Share of 200s with broken JSON.")
@_share_option("--drop-rate", "Share of connections dropped mid-body.")
@_share_option("--service-429-rate", "Share of service 429s (no Retry-After header).")
@click.option(
    "--api-key",
    default=None,
    help="Require this X-Riot-Token (others get 403, none 401) [default: accept any].",
)
@click.option(
    "--clock-speed",
    type=FiniteFloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Simulated seconds per real second (0: time moves only via POST /__sim/advance).",
)
@click.option(
    "--fixed-clock",
    is_flag=True,
    help="Keep the world's clock at 2026-11-20, as export and crawl do. By default it is "
    "moved on by whole weeks to within a week before today: the same games, each as much "
    "later, so that the product's jobs, which go by the real clock, find them recent.",
)
@_event_options
def serve(
    family_name: str,
    players: int,
    seed: int,
    platform: str,
    port: int,
    app_limit: str,
    method_limit: str,
    latency_ms: tuple[float, float],
    fault_rate: float,
    slow_rate: float,
    slow_s: float,
    malformed_rate: float,
    drop_rate: float,
    service_429_rate: float,
    api_key: str | None,
    clock_speed: float,
    fixed_clock: bool,
    ban_share: float,
    suspension_share: float,
    transfer_share: float,
) -> None:
    """Serve the Riot API on 127.0.0.1 until Ctrl-C."""
    from pipeline.simulator.server import HOST, bind_port, make_server
    from pipeline.simulator.world import DEFAULT_NOW, build_world, weeks_to_reach

    sock = bind_port(port)

    config = SimulatorConfig(
        seed=seed,
        players=players,
        platform=platform,
        app_limit=app_limit,
        method_limit=method_limit,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        slow_rate=slow_rate,
        slow_response_s=slow_s,
        malformed_rate=malformed_rate,
        drop_rate=drop_rate,
        service_429_rate=service_429_rate,
        api_key=api_key,
        clock_speed=clock_speed,
        clock_shift_weeks=0 if fixed_clock else weeks_to_reach(datetime.now(UTC)),
        ban_share=ban_share,
        suspension_share=suspension_share,
        transfer_share=transfer_share,
        assumptions=family(family_name),
    )
    click.echo(
        f"Building a world of {counted(players, 'player', 'players')} (seed {seed}, family "
        f"{family_name})...",
        err=True,
    )
    world = build_world(config)
    now = datetime.fromtimestamp(world.now_s, UTC)
    weeks = config.clock_shift_weeks
    moved = f"{counted(weeks, 'week', 'weeks')} after {DEFAULT_NOW:%Y-%m-%d}" if weeks else "fixed"
    click.echo(
        f"{counted(world.matches.count, 'match', 'matches')} of history up to "
        f"{now:%Y-%m-%d %H:%M} UTC (the world's clock: {moved}).",
        err=True,
    )
    click.echo(f"Serving the Riot API on http://{HOST}:{port}  (Ctrl-C stops)", err=True)
    click.echo(f"Set RIOT_API_BASE=http://{HOST}:{port}/{{route}}", err=True)
    click.echo(f"Ground truth: http://{HOST}:{port}/__sim/truth", err=True)
    click.echo(f"http://{HOST}:{port}/{{route}}")
    # uvicorn shuts down gracefully on Ctrl-C, then re-raises it: that is a normal stop.
    with contextlib.suppress(KeyboardInterrupt), sock:
        make_server(config, world, port).run(sockets=[sock])
    click.echo("Simulator stopped.", err=True)


def _replace_option(command: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--replace",
        is_flag=True,
        help=(
            "Replace the database file when it exists, its data lost (a crawl deletes it "
            "first, an export once its world is written whole); refused while a scheduler "
            "serves it."
        ),
    )(command)


def _stored_data(location: Location, timeout_s: float) -> tuple[int, bool]:
    """(matches and players stored, whether a simulated world's truth is there) of the
    database at ``location``; (0, False) when there is none yet."""
    from pipeline.store import read
    from pipeline.store.errors import LakeUnavailableError

    if isinstance(location, Path) and not location.exists():
        return 0, False
    try:
        with read(location, timeout_s=timeout_s) as con:
            tables = {
                str(r[0])
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables()"
                    " WHERE database_name = current_database()"
                ).fetchall()
            }
            stored = 0
            for table in ("matches", "players") if "players" in tables else ():
                row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
                stored += int(row[0]) if row else 0
    except LakeUnavailableError:  # a lake not made yet
        return 0, False
    return stored, "sim_truth" in tables


def _refuse_to_overwrite(
    location: Location, *, replace: bool, crawl: bool, timeout_s: float
) -> None:
    """Stop a simulated world from replacing, or mixing into, a database of real data: the
    default database is the user's own (``--db``/``SMURF_DB``). With ``replace`` nothing is
    refused; the caller replaces the file once every option is valid."""
    if replace:
        if not isinstance(location, Path):
            raise click.UsageError("--replace deletes a DuckDB file; a lake is not replaced.")
        return
    if crawl:
        if isinstance(location, Path) and location.exists():
            raise click.UsageError(
                f"{location} already exists, and a crawl builds its database afresh: give "
                "--db a new file (e.g. --db data/crawl.duckdb), or add --replace to delete it."
            )
        return
    stored, simulated = _stored_data(location, timeout_s)
    if stored and not simulated:
        raise click.UsageError(
            f"{location} holds {stored:,} matches and players but no simulated world "
            "(no sim_truth), and an export would mix one into them: give --db a new file "
            "(e.g. --db data/sim.duckdb), or add --replace to delete this one."
        )


@simulator.command("export")
@_world_options
@db_option(help="DuckDB file to write [default: the --db/SMURF_DB of `smurf`].")
@_replace_option
@click.pass_context
def export(
    ctx: click.Context,
    family_name: str,
    players: int,
    seed: int,
    platform: str,
    db_path: Path | None,
    replace: bool,
) -> None:
    """Write a world's players, ranks, matches and ground truth (sim_truth) into a database.

    Everything is known in an export (every game, every rank); `smurf simulator crawl` gives
    what the product's jobs really see. A database already holding data other than a
    simulated world's is refused (give a new file, or --replace); running an export again
    into its own database completes it. A new file (or one --replace replaces) is written
    beside it under a hidden name and moved into place once whole: an export stopped by
    Ctrl-C, SIGTERM or an error leaves no file at --db (with --replace, the old one as it
    was).
    """
    from pipeline.scheduler_client import refuse_to_delete
    from pipeline.simulator.export import export_world

    settings = settings_of(ctx, db_path)
    location = settings.db_path
    timeout_s = settings.lock_timeout_s
    _refuse_to_overwrite(location, replace=replace, crawl=False, timeout_s=timeout_s)
    config = SimulatorConfig(
        seed=seed, players=players, platform=platform, assumptions=family(family_name)
    )
    if replace and isinstance(location, Path):  # a lake was refused above
        refuse_to_delete(location, timeout_s=timeout_s)  # asked again before it is replaced
    # A new file, or one replaced, is made beside it and moved into place once whole.
    afresh = location if isinstance(location, Path) and (replace or not location.exists()) else None
    left = (
        f"{location} keeps what was written; export the same world again to complete it"
        if afresh is None
        else f"nothing was exported, and {afresh} is as it was"
        if afresh.exists()
        else f"nothing was exported, and no {afresh} was made"
    )
    started_s = time.monotonic()

    def progress(stage: str, done: int, total: int) -> None:
        elapsed_s = time.monotonic() - started_s
        click.echo(f"  {stage}: {done}/{total}  ({elapsed_s:.1f} s)", err=True)

    try:
        with sigterm_interrupts():
            if afresh is not None:
                report = _export_afresh(config, afresh, replace, progress, timeout_s)
            else:
                report = export_world(config, location, progress=progress, lock_timeout_s=timeout_s)
    except (Terminated, KeyboardInterrupt, RuntimeError, duckdb.Error) as exc:
        # DuckDB stops its statement at a signal and raises its own error, caused by it.
        if isinstance(exc, Terminated) or isinstance(exc.__cause__, Terminated):
            click.echo(f"Stopped by SIGTERM: {left}.", err=True)
            raise click.exceptions.Exit(SIGTERM_EXIT) from None
        if not by_ctrl_c(exc):
            raise
        click.echo(f"Interrupted: {left}.", err=True)
        raise click.exceptions.Exit(SIGINT_EXIT) from None
    click.echo(
        f"Exported seed {seed} into {settings.db_path}: "
        f"{counted(report.players, 'player', 'players')}, "
        f"{counted(report.matches, 'match', 'matches')}, "
        f"{counted(report.participants, 'participant row', 'participant rows')}, "
        f"{counted(report.rank_snapshots, 'rank snapshot', 'rank snapshots')}, "
        f"{counted(report.truth_rows, 'sim_truth row', 'sim_truth rows')} "
        f"in {time.monotonic() - started_s:.1f} s."
    )
    if report.matches == 0 and report.players:
        click.echo(
            f"Warning: the world's {counted(report.players, 'player', 'players')} played no "
            "match (too few to fill "
            "lobbies within the matchmaking's spread): use --players 20 or more.",
            err=True,
        )


def _export_afresh(
    config: SimulatorConfig,
    target: Path,
    replace: bool,
    progress: Callable[[str, int, int], None],
    timeout_s: float,
) -> ExportReport:
    """Export into a hidden folder beside ``target``, then move the file into place (over
    the old one with ``replace``); the folder goes whatever happens, so a stopped or failed
    export leaves nothing at ``target``."""
    from pipeline.scheduler_client import delete_database_file
    from pipeline.simulator.export import export_world
    from pipeline.store import write
    from pipeline.store.location import make_database_folder

    make_database_folder(target)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        partial = folder / target.name
        report = export_world(config, partial, progress=progress, lock_timeout_s=timeout_s)
        with write(partial, timeout_s=timeout_s) as con:
            con.execute("CHECKPOINT")  # all of it in the file, none in its log
        if replace:
            delete_database_file(target, timeout_s=timeout_s)
        elif target.exists():
            raise ConfigError(
                f"{target} was made by another program during the export, so the export "
                "was not moved over it: give --db another file, or add --replace."
            )
        partial.replace(target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return report


@simulator.command("crawl")
@_world_options
@db_option(help="DuckDB file to build afresh [default: the --db/SMURF_DB of `smurf`].")
@_replace_option
@click.option("--tracked", default=8, show_default=True, help="Random active players to track.")
@click.option(
    "--cycles",
    default=60,
    show_default=True,
    help="Rounds of the jobs; one round stands for five minutes of the default schedules.",
)
@click.pass_context
def crawl(
    ctx: click.Context,
    family_name: str,
    players: int,
    seed: int,
    platform: str,
    db_path: str | None,
    replace: bool,
    tracked: int,
    cycles: int,
) -> None:
    """Crawl a world with the product's own jobs into a fresh database, with sim_truth.

    Tracks random active players, then runs TRACKED_PLAYER_UPDATER, MATCH_FETCHER,
    PROFILE_REFRESHER and SMURF_ANALYZER with their configured budgets over real HTTP, round
    after round, while the world's clock moves on (PROFILE_REFRESHER at its fixed
    max_profiles_per_run and MATCH_FETCHER at its discovered_players_per_run: the crawl's
    key would let them take everyone each round).
    `smurf evaluate --db FILE` then measures detection on what the product really sees.
    FILE must be new (or --replace it).
    """
    from pipeline.crawl import CrawlPlan, crawl_world

    settings = settings_of(ctx, db_path)
    location = settings.db_path
    if not isinstance(location, Path):
        raise click.UsageError(
            "A crawl builds a fresh DuckDB file: give --db a file path, not a lake."
        )
    if tracked < 1 or cycles < 1:
        raise click.BadParameter("--tracked and --cycles must be at least 1.")
    # No deletion here with --replace: crawl_world starts its file afresh itself.
    _refuse_to_overwrite(location, replace=replace, crawl=True, timeout_s=settings.lock_timeout_s)
    config = SimulatorConfig(
        seed=seed, players=players, platform=platform, assumptions=family(family_name)
    )
    started_s = time.monotonic()

    def progress(cycle: int, total: int, counts: dict[str, int]) -> None:
        figures = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        elapsed_s = time.monotonic() - started_s
        click.echo(f"  round {cycle}/{total}: {figures}  ({elapsed_s:.0f} s)", err=True)

    click.echo(
        f"Crawling a {family_name} world of {players:,} players (seed {seed}) into {location}...",
        err=True,
    )
    try:
        report = crawl_world(
            config,
            location,
            CrawlPlan(tracked=tracked, cycles=cycles),
            progress=progress,
            lock_timeout_s=settings.lock_timeout_s,
        )
    except KeyboardInterrupt:
        click.echo(
            f"Interrupted: {location} holds what the rounds so far committed, without the "
            "world's ground truth (sim_truth), so `evaluate` cannot read it; crawl again "
            "with --replace.",
            err=True,
        )
        sys.exit(130)
    click.echo(
        f"Crawled {counted(report.matches, 'match', 'matches')} and "
        f"{counted(report.players, 'player', 'players')} ({report.profiled:,} "
        f"with a profile, {report.scored:,} scored) with "
        f"{counted(report.requests, 'API request', 'API requests')} in "
        f"{time.monotonic() - started_s:.0f} s. Next: smurf --db {location} evaluate"
    )
