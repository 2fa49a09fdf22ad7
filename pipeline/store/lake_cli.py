"""``smurf lake``: create a lake (optionally from an embedded file) and see how it is doing."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli_settings import command_db_option, settings_of
from pipeline.errors import ConfigError
from pipeline.store.location import EXAMPLE_URL, LakeLocation


@click.group()
def lake() -> None:
    """Run on a DuckLake shared by many workers and analysts (--db ducklake:postgresql://...)."""


def lake_of(ctx: click.Context) -> LakeLocation:
    """The lake named by --db / SMURF_DB (a clear error when it names a file)."""
    location = settings_of(ctx).db_path
    if not isinstance(location, LakeLocation):
        raise ConfigError(
            f"`smurf lake` works on a lake, and {location} is a file: give a lake URL in "
            f"--db or SMURF_DB, e.g. {EXAMPLE_URL}"
        )
    return location


@lake.command("init")
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="An embedded database file to copy into the new lake (migrated first if needed).",
)
@command_db_option()
@click.pass_context
def lake_init(ctx: click.Context, source: Path | None) -> None:
    """Create the lake (catalog database, data folder), migrate it; safe to repeat.

    With --from, every table of an embedded DuckDB file is copied into the new lake in one
    transaction. Stop the scheduler writing that file first.
    """
    from pipeline.store import current_version, migrate, read
    from pipeline.store.lake_admin import copy_from_file, create_lake

    location = lake_of(ctx)
    timeout_s = settings_of(ctx).lock_timeout_s
    create_lake(location)
    applied = migrate(location, timeout_s=timeout_s)
    with read(location, timeout_s=timeout_s) as con:
        version = current_version(con)
    click.echo(f"Lake {location}: schema version {version} ({len(applied)} migration(s) applied).")
    if source is not None:
        migrate(source, timeout_s=timeout_s)
        report = copy_from_file(source, location, timeout_s=timeout_s)
        copied = ", ".join(f"{table} {n}" for table, n in report.rows.items() if n)
        click.echo(f"Copied {source} into the lake: {copied or 'no rows'}.")
        with read(location, timeout_s=timeout_s) as con:
            disabled = con.execute(
                "SELECT id, job_type FROM job_configurations WHERE NOT is_active ORDER BY id"
            ).fetchall()
        # The file's job settings came along; a demo's leave lake maintenance off.
        for job_id, job_type in disabled:
            click.echo(
                f"Job {job_id} ({job_type}) came disabled from {source.name}: "
                f"`smurf jobs enable {job_id}` turns it on."
            )


@lake.command("status")
@command_db_option()
@click.pass_context
def lake_status(ctx: click.Context) -> None:
    """Show the lake's tables, files, snapshots and the workers connected to its catalog."""
    from pipeline.store import current_version, latest_version, read
    from pipeline.store.lake_admin import lake_status as status_of
    from pipeline.store.locks import lake_workers, smurf_sessions

    location = lake_of(ctx)
    with read(location, timeout_s=settings_of(ctx).lock_timeout_s) as con:
        version = current_version(con)
        status = status_of(con)
    click.echo(f"Lake:       {location}")
    click.echo(f"Data path:  {status.data_path}")
    click.echo(f"Schema:     version {version} (latest {latest_version()})")
    click.echo(
        f"Snapshots:  {status.snapshots} (oldest {status.oldest_snapshot_at:%Y-%m-%d %H:%M:%S},"
        f" newest {status.newest_snapshot_at:%Y-%m-%d %H:%M:%S} UTC)"
    )
    click.echo(
        f"Files:      {status.data_files} data file(s), "
        f"{status.files_awaiting_cleanup} awaiting cleanup"
    )
    click.echo("")
    click.echo(f"{'table':<22} {'rows':>10} {'files':>6} {'deletes':>8} {'MB':>9}")
    for table in status.tables:
        click.echo(
            f"{table['table_name']:<22} {table['rows']:>10,} {table['data_files']:>6}"
            f" {table['delete_files']:>8} {table['data_bytes'] / 1e6:>9.1f}"
        )
    workers = lake_workers(location.catalog_uri)
    click.echo("")
    click.echo(f"Workers (smurf scheduler): {len(workers)}")
    for worker in workers:
        click.echo(
            f"  {worker.host} pid {worker.pid}  platforms {worker.platforms}"
            f"  (since {worker.since:%H:%M:%S})"
        )
    sessions = smurf_sessions(location.catalog_uri)
    click.echo("")
    click.echo(f"Connected Smurf Workbench sessions: {len(sessions)}")
    for session in sessions:
        click.echo(
            f"  {session['session']}  (from {session['client']}, since {session['since']:%H:%M:%S})"
        )
