"""The scheduler process (`smurf scheduler`): the job scheduler and its monitoring API.

One long-lived process per database: ``JobScheduler`` runs the jobs on their schedules and
uvicorn serves ``pipeline.api`` beside it on the same event loop. SIGINT and SIGTERM stop
scheduling, give running jobs their grace period to commit and record, then stop the API.
Either is a clean shutdown, so the command then exits 0, as a service stopped on purpose
does (a service manager reads a non-zero status, 130 or 143, as a failure); the one-shot
commands exit 130 or 143 because their work was cut short.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import click

from pipeline.cli_settings import FiniteFloatRange, command_db_option, settings_of
from pipeline.config import LOOPBACK_HOSTS, parse_platforms
from pipeline.errors import ConfigError
from pipeline.jobs import JobContext, JobScheduler
from pipeline.jobs.scheduler import DEFAULT_SHUTDOWN_GRACE_S, DEFAULT_SYNC_INTERVAL_S
from pipeline.store import job_records as records


async def serve_scheduler(
    context: JobContext,
    *,
    api_host: str,
    api_port: int,
    api_token: str | None,
    duration_s: float | None = None,
    sync_interval_s: float = DEFAULT_SYNC_INTERVAL_S,
    shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S,
    on_started: Callable[[JobScheduler], None] | None = None,
    on_stopping: Callable[[JobScheduler], None] | None = None,
    run_immediately: bool = False,
    first_runs_in_data_order: bool = True,
) -> JobScheduler:
    """Run the scheduler and its monitoring API until a signal (or ``duration_s``);
    ``first_runs_in_data_order``: see ``JobScheduler``."""
    import uvicorn

    from pipeline.api import create_api

    if api_host not in LOOPBACK_HOSTS and not api_token:
        raise ConfigError(
            f"The monitoring API would listen on {api_host}, beyond this machine: "
            "set --api-token (or SMURF_API_TOKEN) so that only you can trigger jobs."
        )
    scheduler = JobScheduler(
        context,
        sync_interval_s=sync_interval_s,
        shutdown_grace_s=shutdown_grace_s,
        run_immediately=run_immediately,
        first_runs_in_data_order=first_runs_in_data_order,
        api_url=f"http://{api_host}:{api_port}" if api_port else None,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_api(scheduler, token=api_token),
            host=api_host,
            port=api_port,
            log_level="warning",
            lifespan="off",
        )
    )
    # Our own handlers: stop scheduling, let running jobs commit and record, then exit.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set() and scheduler.state == "STOPPING":
            scheduler.cancel_running()  # asked again: stop the running jobs now
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    sockets: list[socket.socket] = []
    try:
        await scheduler.start()  # the database first: a second scheduler is refused as such
        try:
            # Then the API's port: one in use is refused in words (uvicorn would exit the
            # process once serving).
            sockets = _listening_sockets(api_host, api_port) if api_port else []
        except ConfigError:
            await scheduler.stop()
            raise
        serving = asyncio.create_task(server.serve(sockets=sockets)) if api_port else None
        if on_started is not None:
            on_started(scheduler)
        try:
            await asyncio.wait_for(stop.wait(), timeout=duration_s)
            scheduler.stop_reason = "signal"
        except TimeoutError:
            scheduler.stop_reason = "duration"
        finally:
            if on_stopping is not None:
                on_stopping(scheduler)
            # Stopped by a signal, someone waits: running jobs end after their unit of work.
            # At the end of a set duration they may finish within the grace period.
            await scheduler.stop(promptly=scheduler.stop_reason != "duration")
            if serving is not None:
                server.should_exit = True
                await serving
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for sock in sockets:
            sock.close()
    return scheduler


def _listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on ``host``:``port`` for the monitoring API, one per address the
    host has (``localhost`` may be ::1 and 127.0.0.1), or a clear error."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise ConfigError(f"Cannot serve the monitoring API on {host}: {exc}.") from exc
    sockets: list[socket.socket] = []
    failures: list[OSError] = []
    for family, kind, proto, _, address in dict.fromkeys(
        (a[0], a[1], a[2], "", a[4]) for a in addresses
    ):
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # beside, not over, an IPv4 socket on the port
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen()
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                for taken in sockets:
                    taken.close()
                raise ConfigError(
                    f"Cannot serve the monitoring API on {host}:{port}: {exc.strerror} "
                    "(another scheduler or program may be using it); choose another port "
                    "with --api-port (0: no API)."
                ) from exc
            failures.append(exc)  # an address family this machine lacks: the others serve
            continue
        sockets.append(sock)
    if not sockets:
        reason = failures[0].strerror if failures else "no address"
        raise ConfigError(f"Cannot serve the monitoring API on {host}:{port}: {reason}.")
    return sockets


def first_runs(scheduler: JobScheduler) -> str:
    """When each scheduled job first runs, soonest first, and which are not scheduled here:
    an interval job waits a whole interval after the start, which a user who just set one
    up does not expect. A job type configured twice is told apart by its name."""
    now = datetime.now(UTC).replace(tzinfo=None)  # next_run_time is naive UTC
    due: list[tuple[datetime, records.JobConfiguration]] = []
    paused = refused = elsewhere = 0
    for job in scheduler.jobs.values():
        when = scheduler.next_run_time(job.config.id)
        if when is not None:
            due.append((when, job.config))
        elif not job.config.is_active:
            paused += 1
        elif job.error is not None:
            refused += 1
        else:
            elsewhere += 1  # on a lake, the leading worker runs it
    left_out = [
        f"{paused} paused" if paused else "",
        f"{refused} refused (`smurf jobs list` says why)" if refused else "",
        f"{elsewhere} run by the lake's leading worker" if elsewhere else "",
    ]
    others = "; ".join(part for part in left_out if part)
    others = f" Not here: {others}." if others else ""
    if not due:
        return f"No job runs here on a schedule.{others}"
    due.sort(key=lambda pair: (pair[0], pair[1].id))
    types = [config.job_type for _, config in due]

    def named(config: records.JobConfiguration) -> str:
        twice = types.count(config.job_type) > 1
        return f"{config.job_type} ({config.name})" if twice else config.job_type

    soonest = ", ".join(f"{named(c)} in {readable_wait(when - now)}" for when, c in due[:4])
    more = f" and {len(due) - 4} more" if len(due) > 4 else ""
    return f"First runs: {soonest}{more} (--run-now runs every active job at the start).{others}"


def readable_wait(delta: timedelta) -> str:
    """A wait as a person reads it: 45 s, 3 min, 2 h 5 min, 2 h, 3 days 4 h."""
    seconds = max(0, round(delta.total_seconds()))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


@click.command()
@click.option(
    "--api-host",
    default="127.0.0.1",
    show_default=True,
    help="Interface the monitoring API listens on.",
)
@click.option(
    "--api-port",
    default=8700,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the monitoring API (0: no API).",
)
@click.option(
    "--api-token",
    default=None,
    help="Token every request must carry when the API is reached beyond loopback "
    "[env SMURF_API_TOKEN].",
)
@click.option(
    "--duration-s",
    type=FiniteFloatRange(min=0, max=10 * 365 * 86400),
    default=None,
    help="Stop after this many seconds (default: run until Ctrl-C or SIGTERM).",
)
@click.option(
    "--sync-interval-s",
    type=FiniteFloatRange(min=0.1, max=3600),
    default=DEFAULT_SYNC_INTERVAL_S,
    show_default=True,
    help="How often configuration changes are picked up.",
)
@click.option(
    "--shutdown-grace-s",
    type=FiniteFloatRange(min=0, max=3600),
    default=DEFAULT_SHUTDOWN_GRACE_S,
    show_default=True,
    help="When stopping (Ctrl-C, SIGTERM, the end of --duration-s), how long running jobs "
    "may take to end and record before they are cancelled (a second Ctrl-C cancels them at "
    "once).",
)
@click.option(
    "--platforms",
    default=None,
    help="Run the platform jobs for these platforms only, e.g. euw1,eun1: a worker's shard "
    "of a lake [env SMURF_PLATFORMS; default: all].",
)
@click.option(
    "--run-now",
    is_flag=True,
    help="Run every active job once as soon as the scheduler starts, then on its schedule; "
    "where nothing is stored yet (on a lake: for this worker's platforms) in the order the "
    "data flows, each once the first run of the job "
    "whose finds it works on has ended or at its own schedule if sooner "
    "(TRACKED_PLAYER_UPDATER, MATCH_FETCHER, PROFILE_REFRESHER, SMURF_ANALYZER). Default: "
    "each job's first run comes when its schedule next falls due, for an interval one whole "
    "interval after the start.",
)
@command_db_option()
@click.pass_context
def scheduler(
    ctx: click.Context,
    api_host: str,
    api_port: int,
    api_token: str | None,
    duration_s: float | None,
    sync_interval_s: float,
    shutdown_grace_s: float,
    platforms: str | None,
    run_now: bool,
) -> None:
    """Run the job scheduler (and its monitoring API) until interrupted.

    Ctrl-C or SIGTERM stops it cleanly: no new runs, and running jobs get
    --shutdown-grace-s to end and be recorded (a second Ctrl-C cancels them at once); it
    then prints "Scheduler stopped." and exits 0.

    On a lake, run one per (API key, region): each worker has its own rate limiter, runs the
    platform jobs (updater, fetcher, ban checker) for its --platforms, and one of them (the
    leader) runs the analyzer, the report and maintenance for the whole lake.
    """
    settings = settings_of(ctx)
    if api_token:
        settings = settings.replace(api_token=api_token)
    if platforms is not None:
        settings = settings.replace(platforms=parse_platforms(platforms))
    context = JobContext(settings)
    context.db.require_schema()
    settings.require_riot_key()
    shard = ",".join(settings.platforms) if settings.platforms else "all platforms"
    api = f"API http://{api_host}:{api_port}/api/v1/jobs" if api_port else "no API"

    def started(running: JobScheduler) -> None:
        # Said once the scheduler holds the database: a second one is refused before this.
        click.echo(f"Scheduler on {settings.db_path} for {shard}; {api}")
        if not run_now:
            click.echo(first_runs(running))
        elif held := running.held_first_runs():
            after = [f"{job} after {feeder}'s" for job, feeder in held]
            after[0] += " first run"
            click.echo(
                "First runs now, where nothing is stored yet in the order the data flows:"
                f" {', '.join(after)} (or at its own schedule, if sooner)."
            )

    def stopping(scheduler: JobScheduler) -> None:
        if scheduler.running:
            ending = (
                "to end their unit of work and record; Ctrl-C again stops them now"
                if scheduler.stop_reason != "duration"
                else "to finish and record"
            )
            click.echo(
                f"Stopping: no new runs; waiting up to {scheduler.shutdown_grace_s:g} s for "
                f"{len(scheduler.running)} running job(s) {ending}...",
                err=True,
            )

    asyncio.run(
        serve_scheduler(
            context,
            api_host=api_host,
            api_port=api_port,
            api_token=settings.api_token,
            duration_s=duration_s,
            sync_interval_s=sync_interval_s,
            shutdown_grace_s=shutdown_grace_s,
            on_started=started,
            on_stopping=stopping,
            run_immediately=run_now,
        )
    )
    click.echo("Scheduler stopped.")
