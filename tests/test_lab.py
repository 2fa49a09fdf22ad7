"""`smurf lab` and how notebooks find their database: working copies, the database picked,
a real JupyterLab server, and every notebook run by its own kernel from its folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import httpx
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from pipeline.errors import ConfigError
from pipeline.lab import (
    ORIGIN_KEY,
    lab_command,
    lab_environment,
    notebook_to_open,
    prepare_working_copies,
)
from pipeline.reports import NOTEBOOKS_DIR, NotebookNotFoundError, available_notebooks
from pipeline.workspace import (
    READ_ANOTHER_IN_A_NOTEBOOK,
    DatabaseChoice,
    DatabaseNotFoundError,
    demo_fallback,
    lab_choice,
    notebook_choice,
    notebook_database,
    notebook_lock_timeout,
)
from tests.lab_server import TOKEN, running_lab
from tests.notebook_world import build_world, clock_now

SECRET = "RGAPI-00000000-lab-secret"


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("lab-world") / "world.duckdb", now=clock_now())


# ---- which database ------------------------------------------------------------------


def test_a_notebook_takes_its_parameter_then_smurf_db_then_the_default(tmp_path: Path) -> None:
    """db_path wins over SMURF_DB, which wins over data/smurf.duckdb; relative paths are
    taken from the project root, not the kernel's folder."""
    env = {"SMURF_DB": "data/from-env.duckdb"}
    assert notebook_choice("x.duckdb", env, tmp_path).path == tmp_path / "x.duckdb"
    assert notebook_choice("", env, tmp_path).path == tmp_path / "data" / "from-env.duckdb"
    assert notebook_choice("", {}, tmp_path).path == tmp_path / "data" / "smurf.duckdb"
    assert notebook_choice("/abs/y.duckdb", env, tmp_path).path == Path("/abs/y.duckdb")


def test_a_notebook_waits_as_its_parameter_then_smurf_lock_timeout_s_says() -> None:
    """lock_timeout_s wins over SMURF_LOCK_TIMEOUT_S, which wins over the default; values
    out of bounds are refused as the commands refuse them."""
    env = {"SMURF_LOCK_TIMEOUT_S": "2.5", "RIOT_API_BASE": "not read here"}
    assert notebook_lock_timeout(7.0, env) == 7.0
    assert notebook_lock_timeout(0.0, env) == 0.0
    assert notebook_lock_timeout(-1.0, env) == 2.5
    assert notebook_lock_timeout(-1.0, {}) == 30.0
    for bad_parameter in (float("nan"), 1e308):
        with pytest.raises(ConfigError, match="lock timeout"):
            notebook_lock_timeout(bad_parameter, {})
    with pytest.raises(ConfigError, match="SMURF_LOCK_TIMEOUT_S"):
        notebook_lock_timeout(-1.0, {"SMURF_LOCK_TIMEOUT_S": "soon"})


def test_a_missing_database_names_what_was_looked_for_and_how_to_build_it(
    tmp_path: Path,
) -> None:
    """The error gives the path, where it came from, and the command that builds one."""
    with pytest.raises(DatabaseNotFoundError) as caught:
        notebook_database("", {}, tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "data" / "smurf.duckdb") in message
    assert "SMURF_DB is not set" in message
    assert "`make demo`" in message
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo.duckdb").touch()
    # Named but missing, beside the demo's: how to read that one instead.
    with pytest.raises(DatabaseNotFoundError, match="open the notebooks with `smurf lab`"):
        notebook_database("", {"SMURF_DB": "data/smurf.duckdb"}, tmp_path)
    # A folder given as the notebook's database is said to be one, not to be missing.
    from pipeline.store.errors import DatabaseIsDirectoryError

    with pytest.raises(DatabaseIsDirectoryError, match="is a directory, not a database file"):
        notebook_database(str(tmp_path / "data"), {}, tmp_path)


def test_a_notebook_given_no_database_reads_the_demos_as_the_commands_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Opened outside `smurf lab` (no db_path, no SMURF_DB), a notebook reads the demo's
    database when the default is missing or older, as `smurf sql` does, and says so in the
    sentence the commands say (naming the notebook's own ways to read another)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "demo.duckdb").touch()
    assert notebook_database("", {}, tmp_path) == data / "demo.duckdb"
    said = (
        f"Reading {data / 'demo.duckdb'}, the demo's database, since {data / 'smurf.duckdb'}"
        " does not exist; to read another, set the db_path parameter or SMURF_DB.\n"
    )
    assert capsys.readouterr().out == said
    assert said.rstrip("\n") == demo_fallback(
        data / "smurf.duckdb", data / "demo.duckdb", READ_ANOTHER_IN_A_NOTEBOOK
    )
    (data / "smurf.duckdb").touch()
    os.utime(data / "demo.duckdb", (10, 10))
    assert notebook_database("", {}, tmp_path) == data / "smurf.duckdb"
    assert capsys.readouterr().out == ""
    # Named, it is read, whichever is newer.
    os.utime(data / "smurf.duckdb", (10, 10))
    os.utime(data / "demo.duckdb", (1000, 1000))
    assert notebook_database("data/smurf.duckdb", {}, tmp_path) == data / "smurf.duckdb"
    assert notebook_choice("", {"SMURF_DB": "data/smurf.duckdb"}, tmp_path).said is None
    assert notebook_database("", {}, tmp_path) == data / "demo.duckdb"
    assert "since it was written after" in capsys.readouterr().out


def test_lab_opens_the_demo_database_when_it_was_built_last(tmp_path: Path) -> None:
    """Without --db/SMURF_DB, lab picks whichever of the demo's and the default database
    was written last; an explicit one always wins."""
    data = tmp_path / "data"
    data.mkdir()
    assert lab_choice(None, tmp_path).path == data / "smurf.duckdb"
    (data / "smurf.duckdb").touch()
    os.utime(data / "smurf.duckdb", (1000, 1000))
    (data / "demo.duckdb").touch()
    assert lab_choice(None, tmp_path).path == data / "demo.duckdb"
    os.utime(data / "demo.duckdb", (10, 10))
    assert lab_choice(None, tmp_path).path == data / "smurf.duckdb"
    assert lab_choice(tmp_path / "mine.duckdb", tmp_path).path == tmp_path / "mine.duckdb"


def test_lab_hands_the_database_on_without_the_key(tmp_path: Path) -> None:
    """JupyterLab's environment (so every kernel's) has SMURF_DB and no Riot API key, and
    finds our kernelspec and lab defaults before the user's."""
    env = lab_environment(
        {"RIOT_API_KEY": SECRET, "PATH": "/bin", "JUPYTER_CONFIG_PATH": "/mine"},
        DatabaseChoice(tmp_path / "db.duckdb", "test"),
        tmp_path / "jupyter",
    )
    assert env["SMURF_DB"] == str(tmp_path / "db.duckdb")
    assert "RIOT_API_KEY" not in env
    assert env["JUPYTER_PATH"] == str(tmp_path / "jupyter")
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(tmp_path / "jupyter"), "/mine"]


# ---- working copies ------------------------------------------------------------------


def test_working_copies_are_made_once_and_keep_their_outputs(tmp_path: Path) -> None:
    """A first run creates every copy; a second keeps them as they are (outputs too)."""
    states = prepare_working_copies(NOTEBOOKS_DIR, tmp_path)
    assert [(s.name, s.action) for s in states] == [(n, "created") for n in available_notebooks()]
    copy = tmp_path / "04-sql.ipynb"
    nb = nbformat.read(str(copy), as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="kept\n")]
    nbformat.write(nb, str(copy))
    assert {s.action for s in prepare_working_copies(NOTEBOOKS_DIR, tmp_path)} == {"kept"}
    assert "kept" in copy.read_text()


def _language_the_kernel_reports() -> dict[str, object]:
    """What a started python3 kernel answers for language_info: what JupyterLab writes into
    a notebook as its kernel starts."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        client.kernel_info()
        reply = client.get_shell_msg(timeout=60)
        return dict(reply["content"]["language_info"])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_copies_carry_the_kernels_language_info_so_opening_changes_nothing(
    tmp_path: Path,
) -> None:
    """JupyterLab marks a notebook modified as its kernel starts when the kernel's
    language_info differs from the notebook's: every copy read "unsaved" on opening. New
    copies carry it; a kept copy without it (an older copy, an interpreter upgraded since)
    gets it, its cells and outputs unchanged."""
    language = _language_the_kernel_reports()
    prepare_working_copies(NOTEBOOKS_DIR, tmp_path)
    for name in available_notebooks():
        nb = nbformat.read(str(tmp_path / f"{name}.ipynb"), as_version=4)
        assert nb.metadata["language_info"] == language, name
    copy = tmp_path / "04-sql.ipynb"
    nb = nbformat.read(str(copy), as_version=4)
    del nb.metadata["language_info"]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="an output\n")]
    nbformat.write(nb, str(copy))
    states = {s.name: s.action for s in prepare_working_copies(NOTEBOOKS_DIR, tmp_path)}
    assert states["04-sql"] == "kept"
    again = nbformat.read(str(copy), as_version=4)
    assert again.metadata["language_info"] == language
    assert again.cells == nb.cells


def test_a_copy_follows_its_script_unless_someone_edited_it(tmp_path: Path) -> None:
    """An unedited copy is replaced when its script changes; an edited one is kept until
    --reset, which keeps the edited copy beside the new one."""
    sources = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, sources)
    work = tmp_path / "work"
    prepare_working_copies(sources, work)
    edited = work / "04-sql.ipynb"
    nb = nbformat.read(str(edited), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("q('SELECT 42')"))
    nbformat.write(nb, str(edited))
    for name in ("03-job-monitor", "04-sql"):
        script = sources / f"{name}.py"
        script.write_text(script.read_text() + "\n# %%\nprint('new cell')\n")
    actions = {s.name: s.action for s in prepare_working_copies(sources, work)}
    assert (actions["03-job-monitor"], actions["04-sql"]) == ("updated", "edited")
    assert "SELECT 42" in edited.read_text()
    assert "new cell" in (work / "03-job-monitor.ipynb").read_text()
    actions = {s.name: s.action for s in prepare_working_copies(sources, work, reset=True)}
    assert actions["04-sql"] == "reset"
    assert "new cell" in edited.read_text()
    [backup] = work.glob("04-sql.edited-*.ipynb")
    assert "SELECT 42" in backup.read_text()
    origin = nbformat.read(str(edited), as_version=4).metadata[ORIGIN_KEY]
    assert origin["source"] == "04-sql"


def test_reset_replaces_an_edited_copy_whose_script_did_not_change(tmp_path: Path) -> None:
    """--reset replaces every edited copy, also one whose script is as it was (it was kept,
    edits and all); copies with only outputs are not edits and stay as they are."""
    prepare_working_copies(NOTEBOOKS_DIR, tmp_path)
    edited, run = tmp_path / "04-sql.ipynb", tmp_path / "03-job-monitor.ipynb"
    nb = nbformat.read(str(edited), as_version=4)
    nb.cells[0].source = "# my own notes"
    nbformat.write(nb, str(edited))
    nb = nbformat.read(str(run), as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="an output\n")]
    nbformat.write(nb, str(run))
    actions = {s.name: s.action for s in prepare_working_copies(NOTEBOOKS_DIR, tmp_path)}
    assert (actions["04-sql"], actions["03-job-monitor"]) == ("kept", "kept")
    actions = {
        s.name: s.action for s in prepare_working_copies(NOTEBOOKS_DIR, tmp_path, reset=True)
    }
    assert (actions["04-sql"], actions["03-job-monitor"]) == ("reset", "kept")
    assert "my own notes" not in edited.read_text()
    [backup] = tmp_path.glob("04-sql.edited-*.ipynb")
    assert "my own notes" in backup.read_text()
    assert "an output" in run.read_text()


# ---- which notebook opens ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "opened", "rest"),
    [
        ((), None, ()),
        (("01-smurf-report",), "01-smurf-report.ipynb", ()),
        (("01-smurf-report.ipynb",), "01-smurf-report.ipynb", ()),
        (("04-sql.py", "--port=8890"), "04-sql.ipynb", ("--port=8890",)),
        (("--port", "8890", "03-job-monitor"), "03-job-monitor.ipynb", ("--port", "8890")),
        (("--debug", "02-player-explorer"), "02-player-explorer.ipynb", ("--debug",)),
        (("--ServerApp.port", "8890"), None, ("--ServerApp.port", "8890")),
    ],
)
def test_a_notebook_name_opens_its_working_copy(
    args: tuple[str, ...], opened: str | None, rest: tuple[str, ...], tmp_path: Path
) -> None:
    """A notebook named as `smurf report -n` takes it (with or without suffix) opens its
    working copy; option values and other options go on to jupyter lab."""
    expected = (tmp_path / opened if opened else None, rest)
    assert expected == notebook_to_open(args, tmp_path)


def test_an_unknown_notebook_name_lists_the_notebooks(tmp_path: Path) -> None:
    """A name that is no notebook is refused with the names there are; so are two names."""
    with pytest.raises(NotebookNotFoundError, match="choose one of: 01-smurf-report, 02-"):
        notebook_to_open(("01-smurf-reprot",), tmp_path)
    with pytest.raises(click.UsageError, match="one notebook at a time"):
        notebook_to_open(("01-smurf-report", "04-sql"), tmp_path)


def test_smurf_lab_refuses_an_unknown_notebook_before_starting(tmp_path: Path) -> None:
    """`smurf lab NAME` with an unknown name exits with one `Error:` line naming the
    notebooks there are, before any working copy is made or server started."""
    db = tmp_path / "db.duckdb"
    db.touch()
    work = tmp_path / "work"
    command = ["--db", str(db), "lab", "--dir", str(work), "--no-browser", "99-nothing.ipynb"]
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: There is no notebook '99-nothing.ipynb' in ")
    assert "choose one of: " + ", ".join(available_notebooks()) in line
    assert not work.exists()


# ---- running them --------------------------------------------------------------------


@pytest.mark.parametrize("name", available_notebooks())
def test_every_notebook_runs_as_opened(
    name: str, world_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each working copy runs top to bottom through its own kernel from its own folder,
    with no parameter edited: the database comes from SMURF_DB, as `smurf lab` sets it."""
    prepare_working_copies(NOTEBOOKS_DIR, tmp_path)
    monkeypatch.setenv("SMURF_DB", str(world_db))
    monkeypatch.delenv("RIOT_API_KEY", raising=False)
    nb = nbformat.read(str(tmp_path / f"{name}.ipynb"), as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=nb.metadata["kernelspec"]["name"],
        resources={"metadata": {"path": str(tmp_path)}},
        timeout=300,
    )
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert outputs
    assert [o for o in outputs if o.get("output_type") == "error"] == []
    assert [o.get("text") for o in outputs if o.get("name") == "stderr"] == []


@pytest.mark.slow
def test_smurf_lab_serves_the_working_copies(world_db: Path, tmp_path: Path) -> None:
    """`smurf lab` starts a real JupyterLab on the working copies, with a python3 kernel of
    this interpreter, that never asks to fetch news from the internet, opening the working
    copy of the notebook named; the repository's notebooks/ is left as it was."""
    before = sorted(p.name for p in NOTEBOOKS_DIR.iterdir())
    env = {**os.environ, "RIOT_API_KEY": SECRET}
    with running_lab(world_db, tmp_path / "work", "01-smurf-report", env=env) as lab:
        contents = lab.api("/api/contents")
        assert isinstance(contents, dict)
        names = sorted(item["name"] for item in contents["content"] if item["type"] == "notebook")
        assert names == [f"{n}.ipynb" for n in available_notebooks()]
        specs = lab.api("/api/kernelspecs")
        assert isinstance(specs, dict)
        assert specs["kernelspecs"]["python3"]["spec"]["argv"][0] == sys.executable
        notification = lab.api("/lab/api/settings/@jupyterlab/apputils-extension:notification")
        assert isinstance(notification, dict)
        defaults = notification["schema"]["properties"]  # what a new user's settings are
        assert (defaults["fetchNews"]["default"], defaults["checkForUpdates"]["default"]) == (
            "false",
            False,
        )
        # A second lab on the same copies would save over the first's edits: refused,
        # pointing at the one running.
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipeline.cli",
                "--db",
                str(world_db),
                "lab",
                "--dir",
                str(tmp_path / "work"),
                "--no-browser",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert second.returncode == 1, second.stdout + second.stderr
        assert "A Jupyter server already serves the working copies in" in second.stderr
        assert f":{lab.port}/" in second.stderr
    output = "".join(lab.output)
    assert f"Database: {world_db}" in output
    assert SECRET not in output
    assert sorted(p.name for p in NOTEBOOKS_DIR.iterdir()) == before


def test_the_address_a_lab_prints_opens_the_notebook_named(world_db: Path, tmp_path: Path) -> None:
    """`smurf lab --no-browser 02-player-explorer` prints addresses that open that notebook's
    working copy (JupyterLab's /lab/tree/...), not the launcher, so a lab reached from
    another machine opens where one started with a browser does; the page answers."""
    with running_lab(world_db, tmp_path / "work", "02-player-explorer") as lab:
        page = httpx.get(
            f"{lab.url}/lab/tree/02-player-explorer.ipynb", params={"token": TOKEN}, timeout=30
        )
        assert page.status_code == 200
    output = "".join(lab.output)
    # A token given on the command line is printed as "token=...".
    assert f"{lab.url}/lab/tree/02-player-explorer.ipynb?token=" in output
    assert f"{lab.url}/lab?token=" not in output


def test_a_product_error_reads_in_a_notebook_as_its_message(tmp_path: Path) -> None:
    """A notebook opened outside `smurf lab` on a missing database shows the error's one
    line, what to do included, not a traceback through the product's code."""
    code = (
        "from pipeline.workspace import notebook_database\n"
        f"notebook_database({str(tmp_path / 'nope.duckdb')!r}, {{}})"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    with pytest.raises(CellExecutionError):
        NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    (error,) = [o for o in nb.cells[0].outputs if o.get("output_type") == "error"]
    assert error["ename"] == "DatabaseNotFoundError"
    assert len(error["traceback"]) == 1
    assert error["traceback"][0].startswith("DatabaseNotFoundError: No database at ")
    assert "nope.duckdb" in error["traceback"][0]


def test_a_notebook_shows_the_products_warnings_but_not_its_info_lines(world_db: Path) -> None:
    """Unconfigured, structlog printed every line in colour: a lock wait's info lines landed
    in the middle of a scheduled report. Once a notebook has found its database, a kernel
    shows warnings and errors as plain lines on stderr, and nothing below them."""
    code = (
        "from pipeline.log import get_logger\n"
        "from pipeline.workspace import notebook_database\n"
        f"notebook_database({str(world_db)!r}, {{}})\n"
        "log = get_logger('a.notebook')\n"
        "log.debug('notebook.debug_line')\n"
        "log.info('notebook.info_line', waited_s=0.7)\n"
        "log.warning('notebook.warning_line', rows=3)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    shown = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "notebook.warning_line" in shown and "rows=3" in shown
    assert "notebook.info_line" not in shown and "notebook.debug_line" not in shown
    assert "\x1b[" not in shown  # no terminal colours in a notebook
    assert {o.get("name") for o in nb.cells[0].outputs} == {"stderr"}


def test_the_lab_keeps_its_workspace_beside_its_working_copies(tmp_path: Path) -> None:
    """JupyterLab reopens the tabs of its workspace: kept in the user's Jupyter folder, one
    project's lab reopened another's notebooks (a kernel each). A user's own choice, given
    after, still wins."""
    command = lab_command(tmp_path, (), open_browser=False)
    assert f"--LabApp.workspaces_dir={tmp_path / '.workspaces'}" in command
    theirs = lab_command(tmp_path, ("--LabApp.workspaces_dir=/elsewhere",), open_browser=False)
    assert [a for a in theirs if "workspaces_dir" in a] == ["--LabApp.workspaces_dir=/elsewhere"]
