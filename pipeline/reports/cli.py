"""``smurf report``: run a notebook with papermill and export it to HTML."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli_settings import (
    SIGINT_EXIT,
    SIGTERM_EXIT,
    Terminated,
    db_option,
    named_database,
    one_folder_deep,
    settings_of,
    sigterm_interrupts,
)
from pipeline.reports.runner import DEFAULT_NOTEBOOK, DEFAULT_OUT_DIR, OUTPUT_PARAMETERS
from pipeline.reports.sources import NOTEBOOKS_DIR
from pipeline.store.location import Location


@click.command("report")
@click.option(
    "--notebook",
    "-n",
    "name",
    default=DEFAULT_NOTEBOOK,
    show_default=True,
    help="Notebook to run, by name (e.g. 03-job-monitor).",
)
@click.option(
    "--param",
    "-p",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set a parameter of the notebook's parameters cell; repeatable, each key once.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    callback=one_folder_deep,
    default=DEFAULT_OUT_DIR,
    help="Folder for the executed notebook and its HTML export [default: data/reports, in "
    "the project for a database of the project's data/ folder].",
)
@click.option(
    "--notebooks-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=NOTEBOOKS_DIR,
    help="Folder holding the notebooks [default: the repository's notebooks/].",
)
@click.option(
    "--show-code",
    is_flag=True,
    help="Keep the code cells in the HTML page (hidden by default: the page is for readers).",
)
@click.option("--list", "list_only", is_flag=True, help="List the notebooks and their parameters.")
@db_option(
    help="Database the notebook reads [default: the --db/SMURF_DB of `smurf`, else the one "
    "`smurf lab` opens: the demo's when it was built last]."
)
@click.pass_context
def report(
    ctx: click.Context,
    db_path: str | None,
    name: str,
    pairs: tuple[str, ...],
    out_dir: Path,
    notebooks_dir: Path,
    show_code: bool,
    list_only: bool,
) -> None:
    """Run a notebook as a report: writes <notebook>-<UTC time>.ipynb and .html (and the
    suspects CSV of a notebook that writes one) and prints their paths, one a line.

    The notebook reads the database given by --db (before or after `report`) / SMURF_DB,
    else the one `smurf lab` opens (data/demo.duckdb when the demo built it after
    data/smurf.duckdb was last written), unless -p db_path=... says otherwise. Parameters
    are checked against the notebook's parameters cell. Reports always run the pristine
    notebooks of notebooks/, never the working copies `smurf lab` opens, and the HTML page
    shows outputs only unless --show-code is given.
    """
    from pipeline.reports import (
        ParameterError,
        available_notebooks,
        declared_parameters,
        find_notebook,
        parse_assignments,
        run_report,
    )

    if list_only:
        for stem in available_notebooks(notebooks_dir):
            click.echo(stem)
            for spec in declared_parameters(find_notebook(stem, notebooks_dir)).values():
                click.echo(f"  {spec.name}: {spec.type_name} = {spec.default}  # {spec.help}")
        return
    try:
        parameters = parse_assignments(pairs)
    except ParameterError as exc:  # how the command was written: a usage error
        raise click.BadParameter(str(exc), param_hint="'-p' / '--param'") from None
    settings = settings_of(ctx, db_path)
    database = settings.db_path
    if named_database(ctx, db_path) is None:
        from pipeline import workspace

        choice = workspace.lab_choice(None, workspace.PROJECT_ROOT)
        database = choice.path
        # On stderr: stdout keeps to the paths of the files written, for scripts. The
        # demo's is said in the words `smurf sql` says it.
        click.echo(choice.announcement, err=True)
    if ctx.get_parameter_source("out_dir") is click.core.ParameterSource.DEFAULT:
        out_dir = _default_out_dir(database)
    result = None
    try:
        with sigterm_interrupts():
            result = run_report(
                name,
                parameters,
                out_dir=out_dir,
                db_path=database,
                notebooks_dir=notebooks_dir,
                show_code=show_code,
                lock_timeout_s=settings.lock_timeout_s,
                secret=settings.riot_api_key,
            )
    except Terminated:
        # Past run_report's return the report is whole: it is kept, and said so.
        outcome = f"the report is {result.html_path}" if result else "no report was written"
        click.echo(f"Stopped by SIGTERM: {outcome}.", err=True)
        raise click.exceptions.Exit(SIGTERM_EXIT) from None
    except KeyboardInterrupt:
        click.echo("\nStopped by Ctrl-C: no report was written.", err=True)
        raise click.exceptions.Exit(SIGINT_EXIT) from None
    assert result is not None
    click.echo(str(result.executed_path))
    click.echo(str(result.html_path))
    for parameter in OUTPUT_PARAMETERS:  # what else the notebook wrote (the suspects CSV)
        written = result.parameters.get(parameter)
        if isinstance(written, str) and written and Path(written).is_file():
            click.echo(written)


def _default_out_dir(database: Location) -> Path:
    """A database of the project's data/ folder (the one `smurf lab` opens, or named with
    --db from anywhere) reports into the project's data/reports, from whatever folder the
    command runs in; any other database into data/reports of the current folder."""
    from pipeline import workspace

    project_data = (workspace.PROJECT_ROOT / DEFAULT_OUT_DIR).parent
    if isinstance(database, Path) and database.resolve().is_relative_to(project_data.resolve()):
        return workspace.PROJECT_ROOT / DEFAULT_OUT_DIR
    return DEFAULT_OUT_DIR
