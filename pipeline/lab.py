"""``smurf lab``: JupyterLab on working copies of the notebooks, on the right database.

The recipe::

    pick the database (--db / SMURF_DB, else the demo's when it was built last)
    -> refresh the working copies in data/notebooks/ from the scripts in notebooks/
    -> start JupyterLab there, with SMURF_DB set, without the Riot API key, and with
       JupyterLab's own calls to the internet (news, update checks) off by default

The working copies are ordinary .ipynb files under data/ (never tracked), so running,
saving outputs or adding cells never touches the repository; reports keep running the
pristine scripts in notebooks/. A copy whose cells were never edited follows its script
when the script changes; an edited copy is kept (``--reset`` replaces it, keeping the
edited one beside it).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from pipeline.cli_settings import (
    command_db_option,
    named_database,
    one_folder_deep,
    settings_of,
)
from pipeline.reports.sources import NOTEBOOKS_DIR, available_notebooks, find_notebook
from pipeline.reports.sources import load_notebook as load_source
from pipeline.store.location import parse_location
from pipeline.workspace import PROJECT_ROOT, DatabaseChoice, lab_choice

WORK_DIR = PROJECT_ROOT / "data" / "notebooks"
# Where the copy came from and what its cells were, kept in the copy's metadata.
ORIGIN_KEY = "smurf_workbench"


@dataclass(frozen=True)
class CopyState:
    """What ``prepare_working_copies`` did with one notebook."""

    name: str
    action: str  # created, updated, kept, edited (kept, the script changed), reset
    path: Path


def cells_digest(nb: Any) -> str:
    """A digest of a notebook's cells (type and source): what a person edits."""
    cells = [[cell.cell_type, cell.source] for cell in nb.cells]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def prepare_working_copies(
    sources_dir: Path = NOTEBOOKS_DIR, work_dir: Path = WORK_DIR, *, reset: bool = False
) -> list[CopyState]:
    """Make or refresh an .ipynb working copy of every notebook in ``work_dir``."""
    import nbformat

    work_dir.mkdir(parents=True, exist_ok=True)
    language = kernel_language()
    states = []
    for name in available_notebooks(sources_dir):
        source = load_source(find_notebook(name, sources_dir))
        digest = cells_digest(source)
        source.metadata[ORIGIN_KEY] = {"source": name, "cells_sha256": digest}
        path = work_dir / f"{name}.ipynb"
        action = _action(path, digest, reset)
        if action == "reset":
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            path.rename(path.with_name(f"{name}.edited-{stamp}.ipynb"))
        if action in {"created", "updated", "reset"}:
            source.metadata["language_info"] = language
            nbformat.write(source, str(path))  # type: ignore[no-untyped-call]
        else:
            _describe_kernel(path, language)
        states.append(CopyState(name, action, path))
    return states


def kernel_language() -> dict[str, Any]:
    """The ``language_info`` our kernel reports (it runs this interpreter).

    JupyterLab writes the kernel's language_info into a notebook as the kernel starts and
    marks it modified when that changes anything, so a copy without it read "unsaved" the
    moment it was opened, before anyone touched it."""
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)


def _describe_kernel(path: Path, language: dict[str, Any]) -> None:
    """Give a kept copy the kernel's language_info (an interpreter upgraded since, or a copy
    made before copies carried it); cells and outputs stay as they are."""
    import nbformat

    copy = nbformat.read(str(path), as_version=4)  # type: ignore[no-untyped-call]
    if copy.metadata.get("language_info") != language:
        copy.metadata["language_info"] = language
        nbformat.write(copy, str(path))  # type: ignore[no-untyped-call]


def _action(path: Path, digest: str, reset: bool) -> str:
    import nbformat

    if not path.is_file():
        return "created"
    copy = nbformat.read(str(path), as_version=4)  # type: ignore[no-untyped-call]
    recorded = copy.metadata.get(ORIGIN_KEY, {}).get("cells_sha256")
    edited = cells_digest(copy) != recorded
    if edited and reset:
        return "reset"  # whether or not the script changed since
    if recorded == digest:
        return "kept"
    return "edited" if edited else "updated"


def lab_environment(
    env: dict[str, str], choice: DatabaseChoice, jupyter_dir: Path
) -> dict[str, str]:
    """The environment JupyterLab (and so every kernel) starts with: no Riot API key, and
    ``jupyter_dir`` (our kernelspec and lab defaults) ahead of the user's Jupyter folders."""
    from pipeline.reports.kernel import scrubbed_environment  # imports jupyter_client

    lab_env = scrubbed_environment(env)
    lab_env["SMURF_DB"] = str(choice.path)
    # Our python3 kernelspec first: kernels run this interpreter, where `pipeline` imports.
    for variable in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH"):
        lab_env[variable] = os.pathsep.join(
            p for p in (str(jupyter_dir), env.get(variable, "")) if p
        )
    return lab_env


# JupyterLab's defaults that the workbench changes (users can still change them back in
# Settings): no "fetch Jupyter news?" prompt over the notebooks, no calls to the internet.
LAB_DEFAULTS = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def write_lab_defaults(folder: Path) -> Path:
    """``LAB_DEFAULTS`` where JupyterLab reads defaults, under ``folder`` (a config path)."""
    config_dir = folder / "labconfig"
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "default_setting_overrides.json"
    path.write_text(json.dumps(LAB_DEFAULTS, indent=1))
    return folder


def write_kernelspec(folder: Path) -> Path:
    """A python3 kernelspec for this interpreter under ``folder`` (a JUPYTER_PATH entry)."""
    spec_dir = folder / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": True},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def running_lab(work_dir: Path) -> str | None:
    """The address of a Jupyter server of this user already serving ``work_dir`` (its root
    is the folder or holds it), by the runtime files `jupyter server list` reads; None when
    there is none or they cannot be read (a server stopping meanwhile)."""
    from jupyter_server.serverapp import list_running_servers

    try:
        servers = list(list_running_servers())
    except OSError:
        return None
    for info in servers:
        root = info.get("root_dir") or info.get("notebook_dir")
        if root and work_dir.is_relative_to(Path(str(root)).resolve()):
            url, token = str(info.get("url") or ""), info.get("token")
            shown = f"{url}lab?token={token}" if token else f"{url}lab"
            return f"{shown} (pid {info.get('pid')})"
    return None


def notebook_to_open(
    args: tuple[str, ...], work_dir: Path, sources_dir: Path = NOTEBOOKS_DIR
) -> tuple[Path | None, tuple[str, ...]]:
    """The working copy in ``work_dir`` that a notebook named among ``args`` (with or without
    suffix, as `smurf report -n` takes it) opens, and the arguments left for jupyter lab.

    A word not starting with ``-`` names a notebook, unless it follows an option given
    without ``=`` (``--port 8890``) and names no notebook. Raises ``NotebookNotFoundError``
    (listing the notebooks) for an unknown name, ``click.UsageError`` for two names.
    """
    available = available_notebooks(sources_dir)
    names: list[str] = []
    rest: list[str] = []
    for index, arg in enumerate(args):
        previous = args[index - 1] if index else ""
        option_value = previous.startswith("-") and "=" not in previous
        stem = arg.removesuffix(".ipynb").removesuffix(".py")
        named = arg.endswith((".ipynb", ".py")) or stem in available
        if arg.startswith("-") or (option_value and not named):
            rest.append(arg)
        else:
            names.append(arg)
    if len(names) > 1:
        raise click.UsageError(
            f"smurf lab opens one notebook at a time (got {', '.join(names)}); "
            "open the others from JupyterLab's file browser."
        )
    if not names:
        return None, tuple(rest)
    name = find_notebook(names[0], sources_dir).stem  # unknown names raise, listing them
    return work_dir / f"{name}.ipynb", tuple(rest)


# JupyterLab's workspaces (open tabs, layout), in the working copies' folder.
WORKSPACES = ".workspaces"


def lab_command(
    work_dir: Path, extra: tuple[str, ...], *, open_browser: bool, notebook: Path | None = None
) -> list[str]:
    """The command that starts JupyterLab on ``work_dir``, keeping its workspace (the tabs
    it reopens) there too: in the user's Jupyter folder it was every lab's, and a lab
    opened another project's notebooks, starting a kernel for each.

    A ``notebook`` (a working copy in ``work_dir``) is the file JupyterLab opens in the
    browser it starts, and the page its printed addresses lead to: with ``--no-browser``
    they led to the launcher, and the notebook named was opened nowhere."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={work_dir}"]
    # Only when not given: with the option twice, the browser tests' lab did not apply the
    # settings folder given beside it (its notebooks rendered only the cells in view).
    if not any(arg.startswith("--LabApp.workspaces_dir") for arg in extra):
        command.append(f"--LabApp.workspaces_dir={work_dir / WORKSPACES}")
    if notebook is not None:
        command.append(str(notebook))  # jupyter lab opens its first file in the browser
        if not any(arg.startswith("--LabApp.default_url") for arg in extra):
            command.append(f"--LabApp.default_url=/lab/tree/{quote(notebook.name)}")
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Containers and CI machines run as root; the server still listens on localhost
        # behind its token, so refusing to start would only stop the analyst.
        command.append("--allow-root")
    return [*command, *extra]


@click.command("lab", context_settings={"ignore_unknown_options": True})
@click.option("--reset", is_flag=True, help="Replace edited working copies (kept beside them).")
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    callback=one_folder_deep,
    default=WORK_DIR,
    help="Folder of the working copies [default: data/notebooks].",
)
@click.option("--no-browser", is_flag=True, help="Start the server without opening a browser.")
@click.argument(
    "jupyter_args", nargs=-1, type=click.UNPROCESSED, metavar="[NOTEBOOK] [JUPYTER_ARGS]..."
)
@command_db_option()
@click.pass_context
def lab(
    ctx: click.Context,
    reset: bool,
    work_dir: Path,
    no_browser: bool,
    jupyter_args: tuple[str, ...],
) -> None:
    """Open JupyterLab on working copies of the notebooks, reading the right database.

    The database is --db or SMURF_DB, else data/demo.duckdb when the demo built it after
    data/smurf.duckdb was last written, else data/smurf.duckdb; the notebooks find it
    through SMURF_DB. Working copies live in data/notebooks/ (never tracked), so exploring
    never changes the repository. NOTEBOOK (e.g. 01-smurf-report, with or without .py or
    .ipynb) opens that notebook's working copy, where the printed addresses lead too (also
    with --no-browser). Other arguments go to jupyter lab (e.g. --port 8890).
    """
    settings_of(ctx)  # an unusable setting (or an empty --db) is named here, as elsewhere
    explicit = named_database(ctx)
    choice = lab_choice(parse_location(explicit) if explicit else None)
    if isinstance(choice.path, Path) and not choice.path.is_file():
        from pipeline.workspace import DatabaseNotFoundError

        raise DatabaseNotFoundError(choice)
    work_dir = work_dir.resolve()
    notebook, jupyter_args = notebook_to_open(jupyter_args, work_dir)
    running = running_lab(work_dir)
    if running is not None:
        raise click.ClickException(
            f"A Jupyter server already serves the working copies in {work_dir}: {running}. Open "
            "that one, or stop it first: two labs on the same copies save over each other's "
            "edits (`--dir` gives this one copies of its own)."
        )
    for state in prepare_working_copies(NOTEBOOKS_DIR, work_dir, reset=reset):
        if state.action == "edited":
            click.echo(
                f"{state.path.name} keeps your edits; notebooks/{state.name} has changed "
                "since: `smurf lab --reset` replaces it (yours is kept beside it)."
            )
    jupyter_dir = write_lab_defaults(write_kernelspec(work_dir / ".jupyter"))
    click.echo(choice.announcement)
    click.echo(f"Notebooks: working copies in {work_dir}")
    env = lab_environment(dict(os.environ), choice, jupyter_dir)
    command = lab_command(work_dir, jupyter_args, open_browser=not no_browser, notebook=notebook)
    sys.stdout.flush()
    os.execve(command[0], command, env)
