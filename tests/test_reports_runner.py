"""The report runner and `smurf report`: real papermill runs of a tiny fixture notebook."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_notebook

from pipeline.cli import cli
from pipeline.reports import NotebookExecutionError, NotebookNotFoundError, run_report
from pipeline.reports.runner import ReportResult
from pipeline.store import StoreError, latest_version, migrate

SECRET = "RGAPI-00000000-test-secret-never-in-reports"
HOSTILE = "x'); DROP TABLE t; --"

PARAMETERS = """
db_path: str = "data/smurf.duckdb"  # DuckDB file to read
count: int = 1  # how many
name: str = "nobody"  # a name to look up
since: str = ""  # previous report time (ISO 8601)
as_of: str = ""  # report time (ISO 8601)
"""
BODY = """
import os
import duckdb
with duckdb.connect(db_path, read_only=True) as con:
    found = con.execute("SELECT count(*) FROM t WHERE name = ?", [name]).fetchone()[0]
print(f"count={count!r} type={type(count).__name__} found={found} db={db_path}")
print(f"since={since} key={os.environ.get('RIOT_API_KEY')}")
print("secret variables:", sorted(n for n, v in os.environ.items() if "test-secret" in v
      or n in ("RIOT_API_BASE", "SMURF_API_TOKEN")))
import sys
print(f"python={sys.executable}")
"""


def _write_notebook(folder: Path, name: str, body: str, parameters_cell: str = PARAMETERS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    parameters = new_code_cell(parameters_cell.strip(), metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[parameters, new_code_cell(body.strip())])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(folder / f"{name}.ipynb"))


def _stdout(path: Path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    return "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A notebooks folder with a passing and a failing notebook, and a tiny database."""
    root = tmp_path_factory.mktemp("reports")
    _write_notebook(root / "notebooks", "echo", BODY)
    _write_notebook(root / "notebooks", "broken", "print('before')\n1 / 0")
    with duckdb.connect(str(root / "tiny.duckdb")) as con:
        con.execute("CREATE TABLE t AS SELECT 'alice' AS name")
    return root


def _foreign_kernelspec(workspace: Path) -> Path:
    spec_dir = workspace / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": ["/nonexistent/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Another Python",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return workspace / "jupyter"


@pytest.fixture(scope="module")
def echo_report(workspace: Path) -> Iterator[ReportResult]:
    """One run of the echo notebook, with the API key in this process's environment and a
    foreign python3 kernelspec installed."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RIOT_API_KEY", SECRET)
        # The key in the API's URL and in a variable of the user's; the scheduler's token.
        env.setenv("RIOT_API_BASE", f"http://user:{SECRET}@127.0.0.1:9/{{route}}")
        env.setenv("MY_NOTES", f"key {SECRET}")
        env.setenv("SMURF_API_TOKEN", "scheduler-token-0123")
        # A user's python3 kernelspec of another Python, found before this environment's.
        env.setenv("JUPYTER_PATH", str(_foreign_kernelspec(workspace)))
        yield run_report(
            "echo",
            {"count": "3", "name": HOSTILE},
            out_dir=workspace / "out",
            db_path=workspace / "tiny.duckdb",
            notebooks_dir=workspace / "notebooks",
        )


def test_run_report_writes_the_executed_notebook_and_html(echo_report: ReportResult) -> None:
    """A report is an executed .ipynb and an .html with the same timestamped name."""
    assert echo_report.executed_path.is_file()
    assert echo_report.html_path.is_file()
    assert echo_report.executed_path.stem == echo_report.html_path.stem
    assert echo_report.executed_path.stem.startswith("echo-20")
    assert "count=3" in echo_report.html_path.read_text()


def test_a_page_cut_off_mid_write_leaves_no_page(echo_report: ReportResult, tmp_path: Path) -> None:
    """The page marks a report finished, so it appears whole or not at all: a write that
    stops half way (here a full disk; a killed process alike) left half a page under the
    report's name."""
    from unittest.mock import patch

    from pipeline.reports.html import export_html

    executed = tmp_path / echo_report.executed_path.name
    shutil.copy(echo_report.executed_path, executed)
    real_write = Path.write_text

    def half_then_full_disk(self: Path, text: str, *args: object, **kwargs: object) -> int:
        real_write(self, text[: len(text) // 2], encoding="utf-8")
        raise OSError(28, "No space left on device")

    with patch.object(Path, "write_text", half_then_full_disk), pytest.raises(OSError):
        export_html(executed)
    assert sorted(p.name for p in tmp_path.iterdir()) == [executed.name]
    assert export_html(executed).read_text().rstrip().endswith("</html>")


def test_parameters_reach_the_kernel_typed(echo_report: ReportResult) -> None:
    """A text value for an int parameter arrives in the notebook as an int."""
    assert "count=3 type=int" in _stdout(echo_report.executed_path)


def test_values_are_data_not_sql(echo_report: ReportResult, workspace: Path) -> None:
    """A value shaped like SQL injection is bound as data: it matches nothing, drops nothing."""
    assert "found=0" in _stdout(echo_report.executed_path)
    with duckdb.connect(str(workspace / "tiny.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_the_api_key_never_reaches_the_kernel(echo_report: ReportResult) -> None:
    """The kernel's environment has no RIOT_API_KEY, so no report can print it; nor the
    API's URL (it may carry the key as a password: it did), the scheduler API's token, or
    any variable holding the key."""
    assert "key=None" in _stdout(echo_report.executed_path)
    assert "secret variables: []" in _stdout(echo_report.executed_path)
    assert SECRET not in echo_report.executed_path.read_text()
    assert SECRET not in echo_report.html_path.read_text()


def test_the_kernel_is_this_interpreter(echo_report: ReportResult) -> None:
    """Reports run on the Python that runs the product, so `pipeline` imports in notebooks."""
    assert f"python={sys.executable}\n" in _stdout(echo_report.executed_path)


def test_db_path_defaults_to_the_given_database(echo_report: ReportResult, workspace: Path) -> None:
    """Without -p db_path the notebook reads the database the runner was given, absolute."""
    assert f"db={(workspace / 'tiny.duckdb').resolve()}" in _stdout(echo_report.executed_path)


def test_a_timeout_in_fractions_of_a_second_runs(workspace: Path) -> None:
    """A job's timeout_seconds may be any positive number; the kernel client counts whole
    seconds and refused 100.5 on every run (a TraitError naming none of the settings)."""
    result = run_report(
        "echo",
        {"count": "1"},
        out_dir=workspace / "out-timeout",
        db_path=workspace / "tiny.duckdb",
        notebooks_dir=workspace / "notebooks",
        execution_timeout_s=100.5,
    )
    assert result.html_path.is_file()


@pytest.mark.parametrize("kernelspec", ["absent", "null"])
def test_a_notebook_naming_no_kernel_runs_on_ours(workspace: Path, kernelspec: str) -> None:
    """A notebook without a kernelspec (written by a tool, or by hand), or with a null one,
    is read and run on the reports' kernel: reading its parameters failed with papermill's
    traceback."""
    folder = workspace / f"notebooks-no-kernel-{kernelspec}"
    folder.mkdir()
    parameters = new_code_cell("count: int = 1", metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[parameters, new_code_cell("print(f'count={count}')")])
    if kernelspec == "null":
        nb.metadata["kernelspec"] = None
    nbformat.write(nb, str(folder / "bare.ipynb"))
    result = run_report(
        "bare", {"count": "4"}, out_dir=workspace / f"out-bare-{kernelspec}", notebooks_dir=folder
    )
    assert "count=4" in _stdout(result.executed_path)


def test_a_failing_cell_is_named_in_the_error(workspace: Path) -> None:
    """A raising cell becomes NotebookExecutionError with the source cell index and error."""
    out = workspace / "out-broken"
    with pytest.raises(NotebookExecutionError) as caught:
        run_report("broken", {}, out_dir=out, notebooks_dir=workspace / "notebooks")
    error = caught.value
    assert (error.cell_index, error.error_name) == (1, "ZeroDivisionError")
    assert "failed in cell 1" in str(error)
    assert "print('before')" in str(error)
    assert Path(error.output_path).is_file()


def test_ctrl_c_during_a_report_leaves_no_half_written_notebook(workspace: Path) -> None:
    """Ctrl-C while a cell runs (the cell itself sends the runner SIGINT, as a terminal
    would): the run stops and no half-executed .ipynb is left without its HTML page."""
    notebooks = workspace / "notebooks-interrupted"
    _write_notebook(
        notebooks,
        "interrupted",
        "import os, signal, time\nos.kill(os.getppid(), signal.SIGINT)\ntime.sleep(60)",
    )
    out = workspace / "out-interrupted"
    script = (
        "from pathlib import Path\nfrom pipeline.reports import run_report\n"
        f"run_report('interrupted', {{}}, out_dir=Path({str(out)!r}), "
        f"notebooks_dir=Path({str(notebooks)!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "KeyboardInterrupt" in done.stderr
    assert out.is_dir() and not list(out.iterdir())


def _smurf_report_of(
    workspace: Path, name: str, body: str, out: Path
) -> subprocess.CompletedProcess[str]:
    """`smurf report` of a notebook ``name`` running ``body``, as a process of its own (so
    it can be signalled, and its own stderr read), into the new folder ``out``."""
    notebooks = workspace / f"notebooks-{name}"
    _write_notebook(notebooks, name, body)
    out.mkdir()
    smurf = Path(sys.executable).parent / "smurf"
    arguments = ["--db", str(workspace / "tiny.duckdb"), "report", "-n", name]
    return subprocess.run(
        [str(smurf), *arguments, "--notebooks-dir", str(notebooks), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("signal_name", "status", "said"), [("SIGTERM", 143, "SIGTERM"), ("SIGINT", 130, "Ctrl-C")]
)
def test_smurf_report_stopped_says_so_and_keeps_no_file(
    workspace: Path, signal_name: str, status: int, said: str
) -> None:
    """`smurf report` stopped by Ctrl-C or SIGTERM exits as `smurf run` does (130, 143),
    says no report was written, and leaves none of its files (it said "Aborted!", exited 1
    and left a notebook, or died of SIGTERM leaving one)."""
    out = workspace / f"out-{signal_name}"
    done = _smurf_report_of(
        workspace,
        f"stopped-{signal_name}",
        f"import os, signal, time\nos.kill(os.getppid(), signal.{signal_name})\ntime.sleep(60)",
        out,
    )
    assert done.returncode == status, done.stderr
    assert f"Stopped by {said}: no report was written." in done.stderr
    # The kernel's own stderr stays off the terminal: ipykernel, stopped mid-cell, printed
    # a zmq traceback there now and then.
    assert "Traceback" not in done.stderr
    assert list(out.iterdir()) == []


def test_a_kernel_killed_mid_cell_is_said_with_its_cell_and_why(workspace: Path) -> None:
    """A kernel that dies while a cell runs (killed by the system for memory, a crash) is
    one error naming the cell, the signal and the kernel's last words on stderr; it was
    nbclient's DeadKernelError traceback. The kernel's stderr is not on the command's own:
    its words come once, in the error. The partly executed notebook is kept, as a failing
    cell's is, with no page."""
    out = workspace / "out-killed"
    done = _smurf_report_of(
        workspace,
        "killed",
        # What the process writes to its stderr's descriptor, as a crash report would.
        "import os, signal\nos.write(2, b'kernel-last-words\\n')\n"
        "os.kill(os.getpid(), signal.SIGKILL)",
        out,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    error = next(line for line in done.stderr.splitlines() if line.startswith("Error: "))
    assert "The notebook killed failed in cell 1 ('import os, signal'" in error
    assert "was killed by signal 9 (SIGKILL; most often the system, out of memory)" in error
    # Its last lines, the newest at the end (the kernel may have logged others before).
    said = error.split("Its last words on stderr: ", 1)[1]
    assert said.split(". The partly executed notebook")[0].endswith("kernel-last-words")
    assert done.stderr.count("kernel-last-words") == 1
    assert [p.suffix for p in out.iterdir()] == [".ipynb"]


def test_smurf_report_without_a_database_reads_the_one_lab_opens(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --db and no SMURF_DB: the report reads the database `smurf lab` would open (the
    demo's, built after the default one), and says which on stderr; stdout keeps to the two
    paths."""
    import pipeline.workspace

    (tmp_path / "data").mkdir()
    with duckdb.connect(str(tmp_path / "data" / "demo.duckdb")) as con:
        con.execute("CREATE TABLE t AS SELECT 'nobody' AS name")
    monkeypatch.setattr(pipeline.workspace, "PROJECT_ROOT", tmp_path)
    monkeypatch.delenv("SMURF_DB", raising=False)
    out = tmp_path / "reports"
    notebooks = str(workspace / "notebooks")
    result = CliRunner().invoke(
        cli, ["report", "-n", "echo", "--notebooks-dir", notebooks, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    demo = tmp_path / "data" / "demo.duckdb"
    # The sentence `smurf sql` says when it reads the demo's database: one, not two twins.
    said = (
        f"Reading {demo}, the demo's database, since {tmp_path / 'data' / 'smurf.duckdb'} does"
        " not exist; to read another, give --db or set SMURF_DB."
    )
    assert said in result.stderr
    assert "Database: " not in result.stderr
    executed, html = result.stdout.splitlines()
    assert f"found=1 db={demo}" in _stdout(Path(executed)) and Path(html).is_file()


def test_smurf_report_prints_the_csv_it_wrote_after_the_two_paths(
    workspace: Path, tmp_path: Path
) -> None:
    """A notebook with ``csv_path`` gets a CSV beside the report by default: its path is
    printed on a third line. Asked for none (``-p csv_path=``), only the two are."""
    notebooks = tmp_path / "notebooks"
    _write_notebook(
        notebooks,
        "writer",
        "if csv_path:\n    open(csv_path, 'w').write('a,b\\n')",
        'csv_path: str = ""  # where to write a CSV; empty for none',
    )
    out = tmp_path / "reports"
    args = ["--db", str(workspace / "tiny.duckdb"), "report", "-n", "writer"]
    args += ["--notebooks-dir", str(notebooks), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    executed, html, csv = result.stdout.splitlines()
    assert Path(html).is_file()
    assert csv == str(out / f"{Path(executed).stem}-suspects.csv")
    assert Path(csv).read_text() == "a,b\n"
    none = CliRunner().invoke(cli, [*args, "-p", "csv_path="])
    assert none.exit_code == 0, none.output
    assert len(none.stdout.splitlines()) == 2


def test_smurf_report_makes_an_out_folder_only_in_one_that_exists(
    workspace: Path, tmp_path: Path
) -> None:
    """--out may name a new folder in an existing one; a chain of missing folders is a typo
    more likely than a wish, and is refused before anything is made."""
    notebooks = str(workspace / "notebooks")
    args = ["--db", str(workspace / "tiny.duckdb"), "report", "-n", "echo"]
    args += ["--notebooks-dir", notebooks]
    typo = tmp_path / "reprots" / "december"
    refused = CliRunner().invoke(cli, [*args, "--out", str(typo)])
    assert refused.exit_code == 2
    assert (
        f"which does not exist: check for a typo, or create it first (mkdir -p {typo.parent})"
        in (refused.stderr)
    )
    assert not typo.parent.exists()
    made = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "december")])
    assert made.exit_code == 0, made.output
    assert Path(made.stdout.splitlines()[0]).parent == tmp_path / "december"


def test_smurf_report_of_the_projects_database_writes_into_the_project(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from another folder without --db or --out, the report reads the project's
    database and writes into the project's data/reports, not a new data/ where it was run."""
    import pipeline.workspace

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "data").mkdir(parents=True)
    elsewhere.mkdir()
    with duckdb.connect(str(project / "data" / "smurf.duckdb")) as con:
        con.execute("CREATE TABLE t AS SELECT 'nobody' AS name")
    monkeypatch.setattr(pipeline.workspace, "PROJECT_ROOT", project)
    monkeypatch.delenv("SMURF_DB", raising=False)
    monkeypatch.chdir(elsewhere)
    notebooks = str(workspace / "notebooks")
    result = CliRunner().invoke(cli, ["report", "-n", "echo", "--notebooks-dir", notebooks])
    assert result.exit_code == 0, result.output
    executed, html = map(Path, result.stdout.splitlines())
    assert executed.parent == html.parent == project / "data" / "reports"
    assert list(elsewhere.iterdir()) == []
    # Named with --db from elsewhere, the project's database reports into the project too;
    # another database into data/reports where the command runs.
    other = elsewhere / "other.duckdb"
    shutil.copy(project / "data" / "smurf.duckdb", other)
    for database, folder in (
        (project / "data" / "smurf.duckdb", project / "data" / "reports"),
        (other, elsewhere / "data" / "reports"),
    ):
        named = CliRunner().invoke(
            cli, ["report", "-n", "echo", "--notebooks-dir", notebooks, "--db", str(database)]
        )
        assert named.exit_code == 0, named.output
        assert Path(named.stdout.splitlines()[0]).parent == folder


def test_a_missing_database_is_refused_before_any_folder_is_made(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report on a database that does not exist makes no data/reports where it was run."""
    missing = tmp_path / "x" / "missing.duckdb"
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    notebooks = str(workspace / "notebooks")
    result = CliRunner().invoke(
        cli, ["--db", str(missing), "report", "-n", "echo", "--notebooks-dir", notebooks]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: The database {missing} does not exist")
    assert list(here.iterdir()) == []


def test_an_unknown_notebook_lists_the_available_ones(workspace: Path) -> None:
    """Asking for a notebook that does not exist names the ones that do."""
    with pytest.raises(NotebookNotFoundError, match="broken, echo"):
        run_report("nope", {}, out_dir=workspace / "x", notebooks_dir=workspace / "notebooks")


def test_a_report_folder_that_cannot_be_made_is_one_clear_error(workspace: Path) -> None:
    """An --out (or output_dir) under a file cannot be made: the error names the folder and
    what to change, before any kernel starts; nothing is written."""
    blocker = workspace / "a-file"
    blocker.write_text("not a folder")
    code, _out, err = _smurf(workspace, blocker / "reports", "-n", "echo")
    assert code == 1
    assert err.startswith(f"Error: The report folder {blocker / 'reports'} cannot be made (")
    assert "choose another one (`smurf report --out`, or NOTEBOOK_REPORT's output_dir)" in err
    assert "Traceback" not in err


def _smurf(workspace: Path, out: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            str(workspace / "tiny.duckdb"),
            "report",
            "--notebooks-dir",
            str(workspace / "notebooks"),
            "--out",
            str(out),
            *args,
        ],
    )
    return result.exit_code, result.stdout, result.stderr


def test_smurf_report_prints_both_paths_and_passes_since(workspace: Path) -> None:
    """`smurf report` prints the .ipynb and .html paths; `since` is the previous report's time."""
    out = workspace / "cli-out"
    out.mkdir()
    (out / "echo-20260101T000000Z.ipynb").write_text("{}")
    (out / "echo-20260101T000000Z.html").write_text("<html></html>")
    code, stdout, stderr = _smurf(workspace, out, "-n", "echo", "-p", "count=2")
    assert code == 0, stderr
    ipynb, html = (Path(line) for line in stdout.split())
    assert (ipynb.suffix, html.suffix) == (".ipynb", ".html")
    assert ipynb.is_file() and html.is_file()
    assert "since=2026-01-01T00:00:00" in _stdout(ipynb)


def test_a_report_of_an_earlier_time_keeps_the_default_since(workspace: Path) -> None:
    """A report as of a time before the previous report was made leaves `since` empty (the
    notebook's 24 hours before as_of) rather than a since after its as_of; a report after it
    starts its window at the last report that stood at its own time, not at the one of an
    earlier time."""
    out = workspace / "earlier-out"
    out.mkdir()
    (out / "echo-20261202T054200Z.ipynb").write_text("{}")
    (out / "echo-20261202T054200Z.html").write_text("<html></html>")
    earlier = run_report(
        "echo",
        {"as_of": "2026-12-02T05:29"},
        out_dir=out,
        db_path=workspace / "tiny.duckdb",
        notebooks_dir=workspace / "notebooks",
        now=datetime(2026, 12, 2, 5, 45, tzinfo=UTC),
    )
    assert earlier.parameters.get("since") is None
    assert "since= key=" in _stdout(earlier.executed_path)
    later = run_report(
        "echo",
        {"as_of": "2026-12-02T07:30+01:00"},
        out_dir=out,
        db_path=workspace / "tiny.duckdb",
        notebooks_dir=workspace / "notebooks",
    )
    # The report made at 05:45 stood at 05:29, a time of its own: the window goes on from
    # the last report of its time, 05:42 (from 05:45 the news of 05:42-05:45 would be lost).
    assert later.parameters["since"] == "2026-12-02T05:42:00"


def test_a_report_stands_at_its_stamp_and_the_next_starts_there(workspace: Path) -> None:
    """An empty as_of becomes the moment the report started, to the microsecond (its file
    name says the second), and the next report's since: a score written earlier in that
    second is this report's, one written later the next report's news, never both."""
    out = workspace / "stamp-out"
    made = datetime(2026, 12, 2, 14, 51, 19, 534_000, tzinfo=UTC)
    first = run_report(
        "echo",
        {},
        out_dir=out,
        db_path=workspace / "tiny.duckdb",
        notebooks_dir=workspace / "notebooks",
        now=made,
    )
    assert first.parameters["as_of"] == "2026-12-02T14:51:19.534000"
    assert first.executed_path.name == "echo-20261202T145119Z.ipynb"
    second = run_report(
        "echo",
        {},
        out_dir=out,
        db_path=workspace / "tiny.duckdb",
        notebooks_dir=workspace / "notebooks",
        now=made + timedelta(minutes=5),
    )
    assert second.parameters["since"] == first.parameters["as_of"]
    given = run_report(
        "echo",
        {"as_of": "2026-12-02T14:55"},
        out_dir=out,
        db_path=workspace / "tiny.duckdb",
        notebooks_dir=workspace / "notebooks",
        now=made + timedelta(minutes=6),
    )
    assert given.parameters["as_of"] == "2026-12-02T14:55"  # a given as_of stays


def test_since_comes_from_a_report_on_the_same_database(workspace: Path, tmp_path: Path) -> None:
    """One folder may hold reports of several databases: the newest report papermill
    records as made on another database does not start this one's window; the newest made
    on this one does."""
    out = workspace / "shared-out"
    this_db, other_db = workspace / "tiny.duckdb", tmp_path / "copy.duckdb"
    shutil.copy(this_db, other_db)
    common = {"out_dir": out, "notebooks_dir": workspace / "notebooks"}
    on_this = run_report(
        "echo", {}, db_path=this_db, now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC), **common
    )
    on_other = run_report(
        "echo", {}, db_path=other_db, now=datetime(2026, 12, 2, 10, 0, tzinfo=UTC), **common
    )
    assert on_other.parameters.get("since") is None  # the 09:00 report read tiny.duckdb
    again = run_report(
        "echo", {}, db_path=this_db, now=datetime(2026, 12, 2, 11, 0, tzinfo=UTC), **common
    )
    assert again.parameters["since"] == on_this.parameters["as_of"] == "2026-12-02T09:00:00"


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("count=abc", "must be a whole number"),
        ("cuont=2", "has no parameter 'cuont'"),
    ],
)
def test_smurf_report_rejects_bad_parameters_before_running(
    workspace: Path, pair: str, message: str
) -> None:
    """A bad -p is one clear error line, exit code 1, and no report files."""
    out = workspace / f"rejected-{abs(hash(pair))}"
    code, _stdout_text, stderr = _smurf(workspace, out, "-n", "echo", "-p", pair)
    assert code == 1
    assert message in stderr
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["count=2", "count=3"], "The parameter 'count' is given twice: give each parameter once."),
        (["count"], "Report parameters are written key=value (got 'count')"),
    ],
    ids=["key-given-twice", "no-equals-sign"],
)
def test_smurf_report_refuses_a_misused_param_option_as_usage(
    workspace: Path, pairs: list[str], message: str
) -> None:
    """-p written wrongly (a key given twice, which kept the last value; no key=value) is a
    usage error, exit 2, naming the key, before any kernel starts or file is written."""
    out = workspace / f"misused-{'-'.join(pairs)}"
    options = [word for pair in pairs for word in ("-p", pair)]
    code, stdout, stderr = _smurf(workspace, out, "-n", "echo", *options)
    assert code == 2, stdout + stderr
    assert "report [OPTIONS]" in stderr  # click's usage line
    assert f"Error: Invalid value for '-p' / '--param': {message}" in stderr
    assert stdout == ""
    assert not out.exists() or not any(out.iterdir())


def test_smurf_report_refuses_a_since_after_as_of_before_running(workspace: Path) -> None:
    """A window that ends before it starts is one clear error naming both times, no files."""
    out = workspace / "since-after-as-of"
    code, _stdout_text, stderr = _smurf(
        workspace, out, "-n", "echo", "-p", "since=2026-12-02T05:42", "-p", "as_of=2026-12-02T05:29"
    )
    assert code == 1
    assert "'since' (2026-12-02 05:42:00 UTC) is after as_of (2026-12-02 05:29:00 UTC)" in stderr
    assert not out.exists() or not any(out.iterdir())


def test_a_missing_database_is_reported_before_any_kernel_starts(workspace: Path) -> None:
    """Pointing a report at a database that does not exist is one clear error, no files."""
    out = workspace / "missing-db"
    code, _stdout_text, stderr = _smurf(
        workspace, out, "-n", "echo", "-p", f"db_path={workspace / 'nope.duckdb'}"
    )
    assert code == 1
    assert "nope.duckdb does not exist" in stderr
    assert not out.exists() or not any(out.iterdir())
    # With the demo's database beside it, the error says how to report on that one.
    (workspace / "demo.duckdb").touch()
    code, _stdout_text, stderr = _smurf(
        workspace, out, "-n", "echo", "-p", f"db_path={workspace / 'nope.duckdb'}"
    )
    assert code == 1
    assert f"smurf --db {workspace / 'demo.duckdb'} report" in stderr
    # --db after `report`, as the error's advice reads, names the database too.
    code, _stdout_text, stderr = _smurf(
        workspace, out, "-n", "echo", "--db", str(workspace / "other.duckdb")
    )
    assert code == 1
    assert "other.duckdb does not exist" in stderr


def test_smurf_report_list_shows_notebooks_and_parameters(workspace: Path) -> None:
    """`--list` names each notebook with its typed parameters and their comments."""
    code, stdout, stderr = _smurf(workspace, workspace / "unused", "--list")
    assert code == 0, stderr
    assert "broken\n" in stdout
    assert "  count: int = 1  # how many" in stdout


def test_a_database_behind_this_release_is_refused_before_any_kernel(workspace: Path) -> None:
    """A database an older release migrated lacks what the notebooks read: the report says
    to migrate it, before a kernel starts and without writing files."""
    old = workspace / "old.duckdb"
    migrate(old)
    with duckdb.connect(str(old)) as con:
        con.execute("DELETE FROM schema_migrations WHERE version = ?", [latest_version()])
    out = workspace / "old-db"
    code, _stdout_text, stderr = _smurf(workspace, out, "-n", "echo", "-p", f"db_path={old}")
    assert code == 1
    assert f"needs {latest_version()}: run `smurf db migrate`" in stderr
    assert "Traceback" not in stderr
    assert not out.exists() or not any(out.iterdir())


def test_a_database_without_the_schema_is_refused_for_the_products_notebooks(
    workspace: Path,
) -> None:
    """The product's notebooks read its tables: a DuckDB file without them is refused before
    a kernel starts (it failed in cell 6 with "Table with name smurf_scores does not
    exist"); a notebook of the user's may still read any DuckDB file (the echo notebook
    reads tiny.duckdb, which has no schema of ours)."""
    bare = workspace / "bare.duckdb"
    duckdb.connect(str(bare)).close()
    out = workspace / "bare-db"
    with pytest.raises(StoreError, match=r"schema version 0 .* run `smurf db migrate`"):
        run_report("01-smurf-report", {}, out_dir=out, db_path=bare)
    assert not out.exists()


def test_a_report_kernel_is_shut_down_without_an_interrupt() -> None:
    """jupyter_client interrupts a kernel before shutting it down; ipykernel then now and
    then logs an ERROR line on the terminal after a report that went well. The report's
    kernel is asked to shut down without it, and does."""
    import asyncio
    import signal

    from pipeline.reports.kernel import ReportKernelManager
    from pipeline.reports.sources import KERNEL_NAME

    async def start_and_shut_down() -> tuple[list[int], bool]:
        manager = ReportKernelManager(kernel_name=KERNEL_NAME)
        await manager.start_kernel()
        sent: list[int] = []
        send_signal = manager.provisioner.send_signal

        async def record(signum: int) -> None:
            sent.append(signum)
            await send_signal(signum)

        manager.provisioner.send_signal = record
        await manager.shutdown_kernel()
        return sent, await manager.is_alive()

    sent, alive = asyncio.run(start_and_shut_down())
    assert signal.SIGINT not in sent
    assert not alive


@pytest.mark.parametrize(
    "args",
    [("lab", "--no-browser", "--dir"), ("demo", "--reports-dir")],
    ids=["lab", "demo"],
)
def test_every_folder_option_makes_a_folder_only_in_one_that_exists(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """`smurf lab --dir` and `smurf demo --reports-dir` made a whole chain of missing
    folders; like `report --out`, they refuse it as usage before anything starts."""
    typo = tmp_path / "notebokos" / "mine"
    refused = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.duckdb"), *args, str(typo)])
    assert refused.exit_code == 2, refused.output
    assert f"mkdir -p {typo.parent}" in refused.stderr
    assert not typo.parent.exists()
