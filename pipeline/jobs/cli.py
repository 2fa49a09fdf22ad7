"""Job commands: ``smurf untrack|tracked|run`` and the ``smurf jobs`` group (``smurf track``:
``track_cli``)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import unicodedata
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pipeline.cli_settings import SIGINT_EXIT, SIGTERM_EXIT, command_db_option, settings_of
from pipeline.config import Settings, parse_platforms
from pipeline.errors import ConfigError, shorten
from pipeline.jobs.base import BaseJob, ExecutionOutcome, JobContext, set_process_context
from pipeline.jobs.errors import JobConfigError, JobError, UnknownJobError
from pipeline.jobs.registry import job_for
from pipeline.jobs.runner import resolve_configs
from pipeline.jobs.schedule import parse_schedule
from pipeline.jobs.scheduler import read_overview
from pipeline.jobs.types import METRIC_NAMES, JobStatus, Trigger
from pipeline.log import holds_secret
from pipeline.scheduler_client import RunningScheduler, running_scheduler
from pipeline.store import Database
from pipeline.store import job_records as records
from pipeline.store.location import LakeLocation
from pipeline.store.players import untrack_players
from pipeline.words import number

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

RIOT_ID = re.compile(r"^(?P<name>[^#]{3,16})#(?P<tag>[0-9A-Za-z]{2,5})$")


def _db(ctx: click.Context) -> Database:
    settings = settings_of(ctx)
    db = Database(settings.db_path, settings.lock_timeout_s)
    db.require_schema()
    return db


def parse_riot_id(text: str) -> tuple[str, str]:
    """``"Name#TAG"`` -> (name, tag), or a clear error."""
    match = RIOT_ID.match(text.strip())
    if not match:
        raise ConfigError(
            f"{shorten(text)} is not a Riot ID: write it as Name#TAG (name 3-16 characters, "
            'tag 2-5 letters or digits), e.g. "Faker#KR1".'
        )
    return match.group("name").strip(), match.group("tag")


# ---- track / untrack ----------------------------------------------------------------
@click.command()
@click.argument("player")
@command_db_option()
@click.pass_context
def untrack(ctx: click.Context, player: str) -> None:
    """Stop tracking a player, given as Name#TAG or puuid (their stored data stays)."""
    db = _db(ctx)
    riot_id = parse_riot_id(player) if "#" in player else None
    with db.write() as con:
        rows = untrack_players(con, puuid=None if riot_id else player, riot_id=riot_id)
    if not rows:
        raise ConfigError(
            f"No tracked player matches {shorten(player)}; `smurf tracked` lists them."
        )
    click.echo(f"Stopped tracking {player} ({len(rows)} account).")


@click.command("tracked")
@command_db_option()
@click.pass_context
def tracked(ctx: click.Context) -> None:
    """List the tracked players: Riot ID, platform, since when, last update, puuid."""
    db = _db(ctx)
    with db.read() as con:
        rows = con.execute(
            "SELECT coalesce(game_name || '#' || tag_line, '(no Riot ID yet)'), platform,"
            " tracked_at, last_updated_at, puuid FROM players WHERE is_tracked"
            " ORDER BY tracked_at, puuid"
        ).fetchall()
    if not rows:
        click.echo("No player is tracked: add one with `smurf track Name#TAG`.")
        return
    width = max(24, *(display_width(str(row[0])) for row in rows))
    for riot_id, platform, since, updated, puuid in rows:
        last = f"{updated:%Y-%m-%d %H:%M}" if updated else "never"
        first = f"{since:%Y-%m-%d %H:%M}" if since else "?"
        name = str(riot_id) + " " * (width - display_width(str(riot_id)))
        click.echo(f"{name} {platform or '?':<5} since {first}  updated {last:<16}  {puuid}")


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two (a Riot ID
    in Chinese, Japanese or Korean would push the columns after it out of line)."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


# ---- run ------------------------------------------------------------------------------


def run_in_foreground(work: Coroutine[Any, Any, T]) -> T:
    """Run jobs in this process until they end; SIGTERM stops them as Ctrl-C does.

    asyncio turns Ctrl-C into a cancellation that each run records as stopped (FAILED, the
    reason given); without the same for SIGTERM, ``kill`` or a service manager's stop would
    end the process at once and leave its run RUNNING until another run noticed.
    """

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await work
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        click.echo("Stopped by SIGTERM: the run is recorded as stopped.", err=True)
        raise click.exceptions.Exit(SIGTERM_EXIT) from None
    except KeyboardInterrupt:
        # asyncio.run has let the run record itself as stopped before this is raised.
        click.echo("\nStopped by Ctrl-C: the run is recorded as stopped.", err=True)
        raise click.exceptions.Exit(SIGINT_EXIT) from None


def _label(config: records.JobConfiguration, configs: list[records.JobConfiguration]) -> str:
    """The job type, with the job's id when the type names several jobs."""
    return config.job_type if len(configs) == 1 else f"{config.job_type} (job {config.id})"


# What follows a RATE_LIMITED run, said beside its message: true of a run the scheduler
# started (its next run goes on by itself) and of one run from the command line alike.
RATE_LIMITED_NEXT = (
    "Not a failure: what the run fetched is committed, and the job's next run goes on from there."
)


def _print_ending(status: str, error_message: str | None) -> None:
    """A run's message under its status line, and what comes next when it was rate-limited."""
    if error_message:
        click.echo(f"  {error_message}")
    if status == "RATE_LIMITED":
        click.echo(f"  {RATE_LIMITED_NEXT}")


def _print_outcome(outcome: ExecutionOutcome, job_type: str) -> None:
    colour = {"SUCCESS": "green", "RATE_LIMITED": "yellow"}.get(outcome.status.value, "red")
    metrics = ", ".join(f"{k}={v}" for k, v in outcome.metrics.items())
    click.secho(
        f"{job_type} execution {outcome.execution_id}: {outcome.status.value} in "
        f"{outcome.duration_s:.1f} s ({metrics})",
        fg=colour,
    )
    _print_ending(outcome.status.value, outcome.error_message)


def _progress_printer(job_label: str) -> Any:
    """A progress line rewritten in place on a terminal; none where stderr is a file or a
    pipe, nor with --log-json (the log lines say how a run went, and JSON lines stay one
    object a line)."""
    context = click.get_current_context(silent=True)
    json_lines = bool(context and context.find_root().params.get("log_json"))
    if json_lines or not sys.stderr.isatty():
        return None

    def show(stage: str, fields: dict[str, Any]) -> None:
        done, total = fields.get("done"), fields.get("total")
        if done is not None and total:
            sys.stderr.write(f"\r{job_label}: {stage} {done}/{total}   ")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return show


@click.command("run", short_help="Run a job once in the foreground, by job type or job id.")
@click.argument("job")
@click.option(
    "--api-token",
    default=None,
    help="Token for a scheduler API reached beyond loopback [env SMURF_API_TOKEN].",
)
@click.option(
    "--platforms",
    default=None,
    help="Run a platform job (updater, fetcher, profile refresher, ban checker) on the "
    "players of these platforms only, e.g. euw1,eun1 [env SMURF_PLATFORMS; default: all].",
)
@command_db_option()
@click.pass_context
def run_job(ctx: click.Context, job: str, api_token: str | None, platforms: str | None) -> None:
    """Run a job once in the foreground, by job type (e.g. MATCH_FETCHER) or job id.

    A type with several jobs runs each in turn, naming each by id. Ctrl-C stops the run and
    records it as stopped (exit status 130). When a scheduler serves the database, the run
    is handed to it (one rate limiter per key) and this command waits for it to end; Ctrl-C
    then stops the waiting, not the run. On a lake, a platform job runs on the platforms no
    other run of it holds, of --platforms (default: all).
    """
    settings = settings_of(ctx)
    if api_token:
        settings = settings.replace(api_token=api_token)
    if platforms is not None:
        settings = settings.replace(platforms=parse_platforms(platforms))
    db = Database(settings.db_path, settings.lock_timeout_s)
    configs = resolve_configs(db, job)
    running = running_scheduler(db.path)
    if running is not None and platforms is not None:
        raise ConfigError(
            f"A scheduler (pid {running.pid or '?'}) serves {db.path}: a run is handed to it "
            "and works on its platforms. Leave out --platforms, or stop the scheduler to "
            "run the job here."
        )
    if running is not None:
        statuses = _each_job(
            configs,
            lambda config: _run_through(
                running, config, settings.api_token, _label(config, configs)
            ),
        )
    else:
        statuses = _run_here(settings, configs)
    if JobStatus.FAILED.value in statuses or None in statuses:
        ctx.exit(1)


def _each_job(
    configs: list[records.JobConfiguration],
    start: Callable[[records.JobConfiguration], str],
) -> list[str | None]:
    """``start(config)`` for each job a type names, whatever the others did: a job that is
    refused (disabled, already running, its settings) is said as an error naming it, and
    its status is None. A single job's refusal is the command's error, as before."""
    statuses: list[str | None] = []
    for config in configs:
        try:
            statuses.append(start(config))
        except JobError as exc:
            _say_refused(config, configs, exc)
            statuses.append(None)
    return statuses


def _say_refused(
    config: records.JobConfiguration, configs: list[records.JobConfiguration], exc: JobError
) -> None:
    """One job's refusal among several, naming the job unless the message does; a single
    job's refusal is raised again, the command's error."""
    if len(configs) == 1:
        raise exc
    said = str(exc)
    named = (
        said
        if said.startswith(f"Job {config.id} ")
        else f"Job {config.id} ({config.job_type}): {said}"
    )
    click.echo(f"Error: {named}", err=True)


def _run_here(settings: Settings, configs: list[records.JobConfiguration]) -> list[str | None]:
    """Run the jobs one after the other in this process, each outcome said as it ends."""
    context = JobContext(settings, progress=_progress_printer(configs[0].job_type))

    async def each() -> list[str | None]:
        set_process_context(context)
        statuses: list[str | None] = []
        for config in configs:
            try:
                outcome = await job_for(config.job_type, config.id, context).run(Trigger.MANUAL)
            except JobError as exc:
                _say_refused(config, configs, exc)
                statuses.append(None)
                continue
            _print_outcome(outcome, _label(config, configs))
            statuses.append(outcome.status.value)
        return statuses

    return run_in_foreground(each())


def _run_through(
    running: RunningScheduler, config: records.JobConfiguration, token: str | None, label: str
) -> str:
    """Have the running scheduler run ``config``, wait for the end, print it; its status."""
    execution_id = running.trigger(config.id, token)
    click.echo(
        f"Running {label} through the scheduler (pid {running.pid}) as execution "
        f"{execution_id}; `smurf jobs logs {execution_id}` shows its log lines."
    )
    try:
        ended = running.wait_for(execution_id, token)
    except KeyboardInterrupt:
        click.echo(
            f"\nStopped waiting; execution {execution_id} goes on in the scheduler "
            f"(`smurf jobs executions {config.id}` shows how it ends).",
            err=True,
        )
        raise click.exceptions.Exit(130) from None
    status = str(ended.get("status"))
    metrics = ", ".join(f"{k}={ended.get(k)}" for k in METRIC_NAMES)
    colour = {"SUCCESS": "green", "RATE_LIMITED": "yellow"}.get(status, "red")
    click.secho(f"{label} execution {execution_id}: {status} ({metrics})", fg=colour)
    _print_ending(status, ended.get("error_message"))
    return status


# ---- jobs group -----------------------------------------------------------------------
@click.group()
def jobs() -> None:
    """Inspect and control the scheduled jobs."""


@jobs.command("list")
@command_db_option()
@click.pass_context
def jobs_list(ctx: click.Context) -> None:
    """List job configurations: id, type, schedule, active, config_json."""
    db = _db(ctx)
    with db.read() as con:
        configs = records.list_job_configs(con)
    for c in configs:
        state = "active" if c.is_active else "disabled"
        click.echo(
            f"{c.id:>3}  {c.job_type:<24} {c.schedule:<24} {state:<8} "
            f"{json.dumps(c.config_json, sort_keys=True)}"
        )


@jobs.command("status")
@command_db_option()
@click.pass_context
def jobs_status(ctx: click.Context) -> None:
    """Show each job's last execution, next run, running state and 24 h counts (and the
    scheduler's); under a job whose first run --run-now holds, the job it waits for."""
    db = _db(ctx)
    running = running_scheduler(db.path)
    overview = running.overview() if running else None
    gone: dict[int, int] = {}  # execution id -> the pid of its process, which has ended
    if overview is None:
        with db.read() as con:
            overview = read_overview(con, None)
            if not isinstance(db.path, LakeLocation):  # a lake's runs may be on other hosts
                gone = records.runs_whose_process_ended(con)
        if running:
            overview["scheduler"]["state"] = f"RUNNING (pid {running.pid})"
    if isinstance(db.path, LakeLocation):
        _echo_lake_workers(db.path)
    else:
        click.echo(f"Scheduler: {overview['scheduler']['state']}")
    for job in overview["jobs"]:
        last = job["last_execution"] or {}
        counts = ", ".join(f"{k}={v}" for k, v in sorted(job["counts_24h"].items())) or "none"
        click.echo(
            f"{job['id']:>3}  {job['job_type']:<24} "
            f"{'active' if job['is_active'] else 'disabled':<8} "
            f"next={_moment(job['next_run_time']):<23} last={last.get('status', '-'):<12} "
            f"24h: {counts}"
        )
        if job.get("first_run_after"):
            click.echo(
                f"     first run waits for {job['first_run_after']}'s first run to end"
                " (or runs at next=, if sooner)"
            )
        if job.get("configuration_error"):
            click.secho(f"     configuration error: {job['configuration_error']}", fg="red")
        if last.get("id") in gone:
            ended = records.process_ended_text(last["id"], last["status"], gone[last["id"]])
            click.secho(f"     {ended}", fg="yellow")


def _moment(iso: str | None) -> str:
    """An ISO 8601 time of the overview, to the second and marked UTC ("-" for none)."""
    if not iso:
        return "-"
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _echo_lake_workers(lake: LakeLocation) -> None:
    """A lake has no one scheduler but the workers connected to its catalog: list them."""
    from pipeline.store.locks import lake_workers

    workers = lake_workers(lake.catalog_uri)
    if not workers:
        click.echo("Scheduler: no worker (`smurf scheduler`) is connected to this lake")
        return
    click.echo(
        f"Scheduler: {len(workers)} worker(s) serve this lake (`smurf lake status` has more):"
    )
    for worker in workers:
        click.echo(
            f"  {worker.host} pid {worker.pid}  platforms {worker.platforms}"
            f"  (since {worker.since:%Y-%m-%d %H:%M:%S})"
        )


class StatusChoice(click.Choice[str]):
    """A choice typed in any case whose refusal lists the choices as they are written (click
    lists a case-insensitive choice's in lower case: 'rate_limited' for RATE_LIMITED)."""

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        return f"{value!r} is not one of {', '.join(map(repr, self.choices))}."


@jobs.command("executions")
@click.argument("job")
@click.option(
    "--status",
    type=StatusChoice([s.value for s in JobStatus], case_sensitive=False),
    # Click shows a case-insensitive choice in lower case; statuses are stored in upper.
    metavar=f"[{'|'.join(s.value for s in JobStatus)}]",
    default=None,
    help="Only executions with this status.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, records.MAX_EXECUTIONS_PAGE),
    default=20,
    show_default=True,
    help="How many executions to show, newest first.",
)
@command_db_option()
@click.pass_context
def jobs_executions(ctx: click.Context, job: str, status: str | None, limit: int) -> None:
    """Show a job's recent executions (the job by id or type) with their metrics."""
    config = _one_job(ctx, job)
    db = _db(ctx)
    with db.read() as con:
        frame = records.list_executions(con, config.id, status=status, limit=limit)
        # A lake's runs may be on other hosts: whether their process lives is not known here.
        gone = {} if isinstance(db.path, LakeLocation) else records.runs_whose_process_ended(con)
    if frame.empty:
        click.echo(
            f"No {status.upper()} executions of job {config.id} ({config.job_type})."
            if status
            else "No executions yet."
        )
        return
    shown = _executions_for_terminal(frame)
    left = f"{{:<{ERROR_SHOWN_CHARS}}}".format  # a message reads from its start
    click.echo(shown.to_string(index=False, formatters={"error": left}).rstrip())
    for execution_id, status_now in zip(frame["id"].astype(int), frame["status"], strict=True):
        if execution_id in gone:
            ended = records.process_ended_text(execution_id, status_now, gone[execution_id])
            click.secho(ended, fg="yellow")


def _count(value: float | None) -> str:
    """A count with thousands separators, nothing where none was recorded."""
    import pandas as pd

    return "" if pd.isna(value) else number(int(value))  # type: ignore[arg-type]


# An error message cut to this many characters keeps a row on one terminal line; `smurf
# jobs logs ID` shows it whole.
ERROR_SHOWN_CHARS = 40


def _executions_for_terminal(frame: pd.DataFrame) -> pd.DataFrame:
    """Executions as a terminal reads them: start to the second and how long it took, short
    titles, a pid not a float, and the error (cut short) or nothing."""
    import pandas as pd

    def moment(column: str) -> pd.Series:
        return pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")

    took = pd.to_datetime(frame["finished_at"]) - pd.to_datetime(frame["started_at"])
    took_s = took.dt.total_seconds().map(lambda s: "" if pd.isna(s) else f"{s:.1f}")

    def error(message: object) -> str:
        if not isinstance(message, str) or not message:
            return ""
        if len(message) <= ERROR_SHOWN_CHARS:
            return message
        return message[: ERROR_SHOWN_CHARS - 1] + "…"

    return pd.DataFrame(
        {
            "id": frame["id"],
            "status": frame["status"],
            "trigger": frame["trigger"],
            "started": moment("started_at"),
            "took s": took_s,
            "requests": frame["api_requests_made"].map(_count),
            "created": frame["records_created"].map(_count),
            "updated": frame["records_updated"].map(_count),
            "shard": frame["shard"].fillna(""),
            "pid": frame["host_pid"].map(lambda pid: "" if pd.isna(pid) else str(int(pid))),
            "error": frame["error_message"].map(error),
        }
    )


@jobs.command("logs")
@click.argument("execution_id", type=int, required=False)
@click.option(
    "--lines",
    type=click.IntRange(1, 100_000),
    default=50,
    show_default=True,
    help="How many of the newest lines to show (of one execution, or of every one).",
)
@command_db_option()
@click.pass_context
def jobs_logs(ctx: click.Context, execution_id: int | None, lines: int) -> None:
    """Print the log lines captured for one execution; without an id, the newest lines of
    every execution (what the job system logged lately, job type and execution id first)."""
    db = _db(ctx)
    if execution_id is None:
        with db.read() as con:
            recent = records.recent_logs(con, lines)
        if recent.empty:
            click.echo("No job has logged anything yet.")
        for row in recent.itertuples():
            click.echo(
                f"{row.logged_at} {row.level:<7} {row.job_type} #{row.execution_id}"
                f" {row.event} {row.fields}"
            )
        return
    with db.read() as con:
        execution = records.get_execution(con, execution_id)
        if execution is None:
            raise UnknownJobError(
                f"There is no execution {execution_id}: `smurf jobs executions JOB` lists a"
                " job's executions (`smurf jobs list` names the jobs)."
            )
        logs = records.execution_logs(con, execution_id)
    click.echo(
        f"Execution {execution_id} ({execution['job_type']}): {execution['status']}"
        + (f" - {execution['error_message']}" if execution["error_message"] else "")
    )
    if execution["status"] == "RATE_LIMITED":
        click.echo(RATE_LIMITED_NEXT)
    if len(logs) > lines:
        click.echo(f"(the newest {lines:,} of {len(logs):,} lines; --lines shows more)")
        logs = logs.tail(lines)
    for row in logs.itertuples():
        click.echo(f"{row.logged_at} {row.level:<7} {row.event} {row.fields}")


@jobs.command("trigger")
@click.argument("job")
@click.option(
    "--api-token",
    default=None,
    help="Token for a scheduler API reached beyond loopback [env SMURF_API_TOKEN].",
)
@command_db_option()
@click.pass_context
def jobs_trigger(ctx: click.Context, job: str, api_token: str | None) -> None:
    """Run a job now: through the running scheduler if there is one, else in this process
    (a type with several jobs: each in turn, named by id)."""
    settings = settings_of(ctx)
    db = _db(ctx)
    configs = resolve_configs(db, job)
    running = running_scheduler(db.path)
    if running is not None:

        def trigger(config: records.JobConfiguration) -> str:
            execution_id = running.trigger(config.id, api_token or settings.api_token)
            click.echo(
                f"Triggered {_label(config, configs)} through the scheduler: "
                f"execution {execution_id}."
            )
            return JobStatus.PENDING.value

        statuses = _each_job(configs, trigger)
    else:
        statuses = _run_here(settings, configs)
    # Run here, a FAILED run is the command's failure, as for `smurf run`; handed to a
    # scheduler, the run has only begun.
    if JobStatus.FAILED.value in statuses or None in statuses:
        ctx.exit(1)


def _one_job(ctx: click.Context, job: str) -> records.JobConfiguration:
    """The one configuration ``job`` (an id, or a type with a single configuration) names."""
    found = resolve_configs(_db(ctx), job)
    if len(found) > 1:
        ids = ", ".join(str(config.id) for config in found)
        raise UnknownJobError(
            f"{shorten(job)} names {len(found)} jobs (ids {ids}): give one id "
            "(see `smurf jobs list`)."
        )
    return found[0]


def _set_active(ctx: click.Context, job: str, active: bool) -> None:
    config = _one_job(ctx, job)
    with _db(ctx).write() as con:
        records.update_job_config(con, config.id, is_active=active)
    click.echo(f"Job {config.id} ({config.job_type}) {'enabled' if active else 'disabled'}.")


@jobs.command("enable")
@click.argument("job")
@command_db_option()
@click.pass_context
def jobs_enable(ctx: click.Context, job: str) -> None:
    """Enable a job, by id or type (a running scheduler picks it up within seconds)."""
    _set_active(ctx, job, True)


@jobs.command("disable")
@click.argument("job")
@command_db_option()
@click.pass_context
def jobs_disable(ctx: click.Context, job: str) -> None:
    """Disable a job, by id or type (a running scheduler stops scheduling it within
    seconds)."""
    _set_active(ctx, job, False)


def parse_assignments(pairs: Sequence[str]) -> dict[str, Any]:
    """``["a=5", "b=true", "c=x"]`` -> ``{"a": 5, "b": True, "c": "x"}`` (JSON, else text);
    a key given twice is refused (which value was meant is not for us to guess)."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise JobConfigError(f"Expected key=value, got {shorten(pair)}.")
        if key in values:
            raise JobConfigError(f"{shorten(key)} is given twice: give each key once.")
        try:
            values[key] = json.loads(raw, parse_float=_whole_if_exponent)
        except json.JSONDecodeError:
            values[key] = raw
    return values


def _whole_if_exponent(text: str) -> float | int:
    """A JSON number written with an exponent and no point (``1e3``) as the whole number it
    is, so that ``max_checks_per_run=1e3`` means 1000 (not a refused 1000.0); ``1000.0``
    stays a float, refused where a whole number is asked, as it was typed."""
    value = float(text)
    if "." not in text and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def _refused(configured: Callable[[dict[str, Any]], object], values: dict[str, Any]) -> bool:
    """Whether ``configured`` refuses ``values`` (a configuration already stored, or one
    without a key)."""
    try:
        configured(values)
    except (JobConfigError, ValueError, TypeError, KeyError):
        return True
    return False


@jobs.command("set")
@click.argument("job")
@click.argument("assignments", nargs=-1, required=True)
@command_db_option()
@click.pass_context
def jobs_set(ctx: click.Context, job: str, assignments: tuple[str, ...]) -> None:
    """Change a job's (by id or type) config_json keys (key=value ...); `schedule=...`
    changes its schedule.

    Values are JSON (numbers, true/false) or text. The new configuration is validated by the
    job itself before it is saved; a running scheduler applies it within seconds.
    """
    try:
        changes = parse_assignments(assignments)
    except JobConfigError as exc:  # how the command was written, not the job: a usage error
        raise click.BadParameter(str(exc), param_hint="'ASSIGNMENTS...'") from None
    settings = settings_of(ctx)
    if holds_secret(json.dumps(changes), settings.riot_api_key):
        raise JobConfigError(
            "A setting would hold the Riot API key: job settings are stored and shown "
            "(`smurf jobs list`, the API), the key never is. It belongs in RIOT_API_KEY only; "
            "give another value."
        )
    db = _db(ctx)
    if "schedule" in changes and changes["schedule"] is None:
        raise JobConfigError(
            "schedule needs a value, e.g. schedule='interval(seconds=300)' or "
            "schedule='cron(0 4 * * *)'; to stop a job, use `smurf jobs disable`."
        )
    schedule = changes.pop("schedule", None)
    config = _one_job(ctx, job)
    job_id = config.id
    if schedule is not None:
        parse_schedule(str(schedule))
    current = config.config_json if isinstance(config.config_json, dict) else {}
    new_config = {**current, **changes}

    def configured(values: dict[str, Any]) -> BaseJob:
        job = job_for(config.job_type, job_id, JobContext(settings))
        job.job_config = records.JobConfiguration(
            config.id,
            config.job_type,
            config.name,
            str(schedule or config.schedule),
            config.is_active,
            values,
        )
        job.configure()  # raises JobConfigError naming the bad keys
        return job

    try:
        checked = configured(new_config)
    except JobConfigError as exc:
        if not _refused(configured, current):
            raise
        # The keys already stored are refused too: fixing one at a time would be refused
        # for the others, so say to give them all at once.
        raise JobConfigError(
            f"{exc} The stored configuration has these problems already: give the new value"
            " of every key named here in this one command."
        ) from None
    except (ValueError, TypeError) as exc:  # a guide-style job's own validation
        raise JobConfigError(f"{config.job_type} refuses this configuration: {exc}") from None
    # A declared model refuses unknown keys itself; a seed-style job knows the keys it read
    # through ``self.config`` and those its seeded configuration has (a job that reads
    # ``job_config.config_json`` directly, as the guide's example does, names none).
    known = checked.settings_read | set(current)
    unknown = [] if checked.settings_model else sorted(set(changes) - known)
    # A key the job cannot do without is one of its settings, however it reads it: a job
    # written as the guide's example refuses its configuration when the key is left out.
    unknown = [
        key
        for key in unknown
        if not _refused(configured, {k: v for k, v in new_config.items() if k != key})
    ]
    if unknown:
        raise JobConfigError(
            f"{config.job_type} has no setting {', '.join(map(shorten, unknown))}; "
            f"its settings are: {', '.join(sorted(known))} (and schedule)."
        )
    with db.write() as con:
        records.update_job_config(
            con,
            job_id,
            schedule=str(schedule) if schedule is not None else None,
            config_json=new_config if changes else None,
        )
    click.echo(
        f"Job {job_id} ({config.job_type}) updated: "
        + json.dumps(
            {**({"schedule": schedule} if schedule is not None else {}), **changes}, sort_keys=True
        )
    )


COMMANDS = (untrack, tracked, run_job, jobs)
