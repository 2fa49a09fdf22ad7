"""The ``smurf`` command.

Every command builds its ``Settings`` here, from the environment and its options, and
configures logging once. Errors the product raises on purpose (``SmurfError``) print as one
line on stderr with exit code 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from pipeline import __version__
from pipeline.config import Settings
from pipeline.errors import SmurfError
from pipeline.log import configure_logging


class SmurfGroup(click.Group):
    """A click group that turns product errors into one clear line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SmurfError, FileNotFoundError, PermissionError) as exc:
            if ctx.find_root().params.get("debug"):
                raise
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(1)


def settings_of(ctx: click.Context) -> Settings:
    """The settings built by the root command."""
    settings = ctx.find_object(Settings)
    assert settings is not None, "the root command always builds settings"
    return settings


@click.group(cls=SmurfGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB file to use [env SMURF_DB; default data/smurf.duckdb].",
)
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
    db_path: Path | None,
    platform: str | None,
    debug: bool,
    log_json: bool | None,
) -> None:
    """Smurf Workbench: find smurfs and boosted accounts in League of Legends.

    Fetch match history from the Riot API (or the bundled simulator) into DuckDB, score
    every player, and explore the results in notebooks or with `smurf sql`.
    """
    settings = Settings.from_env(os.environ, db_path=db_path, platform=platform)
    ctx.obj = settings
    configure_logging(
        secrets=[settings.riot_api_key],
        json_lines=log_json,
        level="debug" if debug else "info",
    )


@cli.group()
def db() -> None:
    """Create and upgrade the database schema."""


@db.command("migrate")
@click.pass_context
def db_migrate(ctx: click.Context) -> None:
    """Apply pending schema migrations (creates the database if missing; safe to repeat)."""
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
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the schema version applied to the database and the latest one available."""
    from pipeline.store import current_version, latest_version, read

    settings = settings_of(ctx)
    with read(settings.db_path, timeout_s=settings.lock_timeout_s) as con:
        version = current_version(con)
    latest = latest_version()
    state = "up to date" if version == latest else "run `smurf db migrate`"
    if version > latest:
        state = "newer than this release of smurf-workbench"
    click.echo(f"{version} (latest {latest}: {state})")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="smurf")


if __name__ == "__main__":  # pragma: no cover
    main()
