"""The `smurf` command: db, sql and import-matches end to end, and help for every command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import duckdb
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.store import read
from tests.conftest import FIXTURES_DIR

MATCH_FIXTURES = FIXTURES_DIR / "matches"


def smurf(db: Path, *args: str) -> Result:
    """Run `smurf --db DB ARGS...` in-process, stderr kept apart from stdout."""
    return CliRunner().invoke(cli, ["--db", str(db), "--log-json", *args], env={})


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """Every command and group below ``command``, with its full name."""
    yield " ".join(path) or "smurf", command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


@pytest.mark.parametrize(("name", "command"), list(walk(cli)), ids=lambda v: str(v))
def test_every_command_and_option_has_help(name: str, command: click.Command) -> None:
    """Each command and group explains itself, and so does each of its options."""
    assert (command.help or command.short_help or "").strip(), f"{name} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"{name} {param.opts[0]} has no help text"


def test_no_commands_one_line_help_stops_inside_brackets() -> None:
    """A group's list of commands shows each one's first sentence: one cut at the full stop
    of "(e.g." read "Run a job once in the foreground, by job type (e.g."."""
    for name, command in walk(cli):
        line = command.get_short_help_str(limit=500)
        assert line.count("(") == line.count(")"), f"{name}: {line!r}"


def test_an_options_help_speaks_of_its_own_command() -> None:
    """`smurf evaluate --help` and `smurf explain --help` said their --db default was "not
    for sql --write", a command they do not have; only `smurf sql` says what --write does to
    its database's default."""
    speaking_of_sql = [
        f"{name} {param.opts[0]}"
        for name, command in walk(cli)
        for param in command.params
        if isinstance(param, click.Option) and "sql --write" in (param.help or "")
    ]
    assert speaking_of_sql == []
    sql_db = next(p for p in walk_command("sql").params if "--db" in p.opts)
    assert "(with --write: data/smurf.duckdb)" in (getattr(sql_db, "help", "") or "")


def walk_command(name: str) -> click.Command:
    """The command called ``name`` ("jobs status"), found as `walk` finds it."""
    return dict(walk(cli))[name]


def test_every_command_prints_its_help() -> None:
    """`--help` works for each command and group, without needing a database."""
    for name, _command in walk(cli):
        args = [*([] if name == "smurf" else name.split()), "--help"]
        result = CliRunner().invoke(cli, args, env={})
        assert result.exit_code == 0, f"{name}: {result.output}"
        assert "Usage:" in result.output


# The commands that never open a database: the simulator serves its own world.
NO_DATABASE = {"simulator serve"}


def test_every_command_that_opens_the_database_takes_db_after_its_name() -> None:
    """`smurf COMMAND --db FILE` works wherever `smurf --db FILE COMMAND` does."""
    lacking = [
        name
        for name, command in walk(cli)
        if not isinstance(command, click.Group)
        and name not in NO_DATABASE
        and not any("--db" in param.opts for param in command.params)
    ]
    assert lacking == []


@pytest.mark.parametrize(
    "args",
    [
        ("jobs", "status"),
        ("jobs", "list"),
        ("sql", "select count(*) AS jobs from job_configurations"),
        ("db", "current"),
        ("tracked",),
    ],
    ids=" ".join,
)
def test_db_after_the_command_overrides_the_root_one(
    db_path: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """A --db after the command's name is the database used, over one given before it."""
    missing = tmp_path / "elsewhere" / "missing.duckdb"
    result = CliRunner().invoke(cli, ["--db", str(missing), *args, "--db", str(db_path)], env={})
    assert result.exit_code == 0, result.output
    assert "does not exist" not in result.output


def test_db_migrate_then_current(tmp_path: Path) -> None:
    """`db migrate` creates and migrates the file; repeating it is a no-op; `current` agrees."""
    db = tmp_path / "x.duckdb"
    first = smurf(db, "db", "migrate")
    second = smurf(db, "db", "migrate")
    current = smurf(db, "db", "current")
    assert first.exit_code == 0 and "Applied" in first.stdout
    assert second.exit_code == 0 and "is up to date" in second.stdout
    assert current.exit_code == 0 and "up to date" in current.stdout
    # The upgrade logs one line, not one per migration beside the summary listing them.
    events = [json.loads(line)["event"] for line in first.stderr.splitlines() if line.strip()]
    assert events == ["db.migrated"]


def test_db_migrate_refuses_another_programs_duckdb_file_and_leaves_it_as_it_is(
    tmp_path: Path,
) -> None:
    """A DuckDB file of another program (tables, no schema_migrations) is refused by `db
    migrate`, `db current` and a command that reads, in one line saying what the file is and
    what to do, and is left byte for byte as it was: `db migrate` filled it with the
    product's tables. An empty DuckDB file is still migrated."""
    path = tmp_path / "sales.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE sales (id INTEGER, amount DOUBLE)")
        con.execute("INSERT INTO sales VALUES (1, 2.5)")
        con.execute("CREATE VIEW big_sales AS SELECT * FROM sales WHERE amount > 2")
    before = path.read_bytes()
    said = (
        f"Error: {path} is another program's DuckDB database, not a Smurf Workbench one (it "
        "holds big_sales, sales and no schema_migrations), so it was left as it is: name a "
        "Smurf Workbench database with --db / SMURF_DB, or a new file for `smurf db migrate` "
        "to create."
    )
    for args in (("db", "migrate"), ("db", "current"), ("sql", "select 1")):
        result = smurf(path, *args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.splitlines() == [said], args
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["sales.duckdb"]
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert smurf(empty, "db", "migrate").exit_code == 0


def test_import_matches_logs_nothing_beside_its_progress_and_summary(
    db_path: Path, tmp_path: Path
) -> None:
    """An import's counts are printed once, as the summary: no info line joins the bar."""
    result = smurf(db_path, "import-matches", str(MATCH_FIXTURES))
    assert result.exit_code == 0, result.output
    assert "3 match(es)" in result.stdout
    assert not [line for line in result.stderr.splitlines() if line.startswith("{")]


def test_import_matches_reports_counts_and_is_idempotent(db_path: Path, tmp_path: Path) -> None:
    """`import-matches` loads a folder, lists rejected files with why, and changes nothing twice."""
    folder = tmp_path / "in"
    shutil.copytree(MATCH_FIXTURES, folder)
    (folder / "broken.json").write_text("{", encoding="utf-8")
    first = smurf(db_path, "import-matches", str(folder))
    second = smurf(db_path, "import-matches", str(folder))
    assert first.exit_code == 1, first.output  # a file was rejected
    assert "3 match(es), 6 participant row(s), 5 new player(s)" in first.stdout
    assert "Rejected 1 file(s)" in first.stdout and "broken.json: is not valid JSON" in first.stdout
    assert "0 match(es) (3 already stored), 0 participant row(s), 0 new player(s)" in second.stdout


def test_import_matches_exits_1_after_storing_the_good_matches_when_any_was_rejected(
    db_path: Path, tmp_path: Path
) -> None:
    """A rejected file makes the import exit 1, with one error line counting what was left
    out, after the good files are stored and every rejection is listed with why on stdout."""
    folder = tmp_path / "in"
    shutil.copytree(MATCH_FIXTURES, folder)
    (folder / "broken.json").write_text("{", encoding="utf-8")
    (folder / "shape.json").write_text('{"metadata": {}}', encoding="utf-8")
    result = smurf(db_path, "import-matches", str(folder))
    assert result.exit_code == 1, result.output
    assert "3 match(es), 6 participant row(s)" in result.stdout
    assert "Rejected 2 file(s):" in result.stdout
    assert f"{folder / 'broken.json'}: is not valid JSON" in result.stdout
    assert f"{folder / 'shape.json'}: " in result.stdout
    assert result.stderr.splitlines() == [
        "Error: Rejected 2 file(s), each listed with why after the counts; the rest was "
        "stored. Fix or leave them out and import again: matches already stored are skipped."
    ]
    with read(db_path) as con:
        assert con.execute("SELECT count(*) FROM matches").fetchone() == (3,)
    # Once the bad files are left out, the same import succeeds, storing nothing twice.
    (folder / "broken.json").unlink()
    (folder / "shape.json").unlink()
    again = smurf(db_path, "import-matches", str(folder))
    assert again.exit_code == 0, again.output
    assert "0 match(es) (3 already stored)" in again.stdout


def test_import_matches_needs_a_migrated_database(tmp_path: Path) -> None:
    """Importing into a missing database fails with one line saying to migrate (off a
    terminal, no progress bar's label before it)."""
    result = smurf(tmp_path / "none.duckdb", "import-matches", str(MATCH_FIXTURES))
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and "smurf db migrate" in line


@pytest.fixture
def loaded_db(db_path: Path) -> Path:
    assert smurf(db_path, "import-matches", str(MATCH_FIXTURES)).exit_code == 0
    return db_path


def test_sql_prints_a_readable_table(loaded_db: Path) -> None:
    """`sql` prints column names, the rows, and the row count."""
    result = smurf(loaded_db, "sql", "select match_id, queue_id from matches order by 1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["match_id", "queue_id"]
    assert lines[1].split() == ["EUW1_1000000002", "420"]
    assert lines[-1] == "(3 rows)"


def test_sql_shows_the_first_thousand_rows_and_counts_the_rest(loaded_db: Path) -> None:
    """A long result shows its first 1,000 rows and says how many there are and how to get
    them all; the rest are counted as they stream past, not held (6 M rows took 3 GB to
    show a thousand of them)."""
    result = smurf(loaded_db, "sql", "select * from range(2500)")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.strip() for line in lines[:2]] == ["range", "0"]
    assert lines[-2].strip() == "999" and len(lines) == 1 + 1000 + 1
    assert lines[-1] == "(2,500 rows; the first 1,000 shown: --format csv or json prints them all)"
    every = smurf(loaded_db, "sql", "select * from range(2500)", "--format", "csv")
    assert len(every.stdout.splitlines()) == 2501


_SUMS = (
    "select sum(queue_id) s, sum(queue_id)::DECIMAL(38,0) d, NULL::HUGEINT n,"
    " sum(queue_id) / 2 half, (2::HUGEINT ** 60)::HUGEINT big from matches"
)


@pytest.mark.parametrize(
    ("fmt", "first_four"),
    [
        ("table", ["2540", "2540", "NULL", "1270.0"]),
        ("csv", ["2540", "2540", "", "1270.0"]),
    ],
)
def test_sql_prints_a_sum_of_integers_as_a_whole_number(
    loaded_db: Path, fmt: str, first_four: list[str]
) -> None:
    """A sum of integers (DuckDB's HUGEINT, which pandas receives as a float) prints 2540,
    not 2540.0; a NULL stays NULL, a fraction stays a fraction, and a number a float cannot
    hold exactly (2**60) is left as DuckDB hands it over."""
    result = smurf(loaded_db, "sql", _SUMS, "--format", fmt)
    assert result.exit_code == 0, result.output
    row = result.stdout.splitlines()[1]
    values = row.split(",") if fmt == "csv" else row.split()
    assert values[:4] == first_four
    assert "e+18" in values[4]


def test_sql_json_gives_a_sum_of_integers_as_an_integer(loaded_db: Path) -> None:
    """In JSON too: 2540, not 2540.0."""
    result = smurf(loaded_db, "sql", _SUMS, "--format", "json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["s"], row["d"], row["n"], row["half"]) == (2540, 2540, None, 1270.0)
    assert isinstance(row["s"], int) and isinstance(row["big"], float)


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("select 1 where false", "(no rows; column: 1)"),
        (
            "select match_id, queue_id from matches where false",
            "(no rows; columns: match_id, queue_id)",
        ),
    ],
)
def test_sql_says_when_there_are_no_rows(loaded_db: Path, query: str, said: str) -> None:
    """An empty result says so first, then the columns it would have had (a column named
    1 does not read as a statement's number)."""
    result = smurf(loaded_db, "sql", query)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == said


def test_sql_prints_every_missing_value_as_null(loaded_db: Path) -> None:
    """A NULL reads NULL in the table whatever its column's type (pandas would print
    None, <NA>, NaN and NaT)."""
    query = (
        "select null::varchar a, null::int b, null::double c, null::timestamp d,"
        " null::boolean e, null::int[] f, 7 g"
    )
    result = smurf(loaded_db, "sql", query)
    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()[:2]
    assert header.split() == ["a", "b", "c", "d", "e", "f", "g"]
    assert row.split() == ["NULL"] * 6 + ["7"]


def test_sql_csv_and_json_formats(loaded_db: Path) -> None:
    """`--format csv` and `--format json` print the same rows machine-readably."""
    query = "select match_id, patch, game_start from matches order by 1 limit 2"
    csv_out = smurf(loaded_db, "sql", query, "--format", "csv").stdout.splitlines()
    json_out = json.loads(smurf(loaded_db, "sql", query, "--format", "json").stdout)
    assert csv_out == [
        "match_id,patch,game_start",
        "EUW1_1000000002,11.10,2020-09-13 12:27:40",
        "KR_1000000003,14.5,2024-03-09 16:00:10",
    ]
    assert json_out[0] == {
        "match_id": "EUW1_1000000002",
        "patch": "11.10",
        "game_start": "2020-09-13T12:27:40.000",
    }


@pytest.mark.parametrize(
    "query",
    [
        "delete from matches",
        "select 1; drop table players",
        "create table t as select 1 as x",
        "update players set game_name = 'x'",
        "copy matches to 'out.csv'",
    ],
)
def test_sql_refuses_writes_without_the_flag(loaded_db: Path, query: str) -> None:
    """A statement that could write is refused with a one-line hint about --write."""
    result = smurf(loaded_db, "sql", query)
    assert result.exit_code == 1
    assert "--write" in result.stderr
    with read(loaded_db) as con:
        assert con.execute("select count(*) from matches").fetchone() == (3,)


def test_sql_writes_with_the_flag(loaded_db: Path) -> None:
    """With --write the statement runs and its effect is stored."""
    result = smurf(loaded_db, "sql", "update players set is_tracked = true", "--write")
    assert result.exit_code == 0, result.output
    with read(loaded_db) as con:
        assert con.execute("select count(*) from players where is_tracked").fetchone() == (5,)


@pytest.mark.parametrize(
    "query",
    [
        "begin; update players set is_tracked = true; commit",
        "commit; update players set is_tracked = true; select * from nowhere",
        "rollback; update players set is_tracked = true",
    ],
)
def test_sql_write_is_one_transaction_and_refuses_its_own(loaded_db: Path, query: str) -> None:
    """--write runs the query as one transaction: BEGIN, COMMIT or ROLLBACK in it are refused
    in words before anything runs (a COMMIT let the statements before a failure stay)."""
    result = smurf(loaded_db, "sql", query, "--write")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: A query runs as one transaction")
    assert "Traceback" not in result.output
    with read(loaded_db) as con:
        assert con.execute("select count(*) from players where is_tracked").fetchone() == (0,)
    # Read-only, the same words: not "run it again with --write", which would refuse it too.
    plain = smurf(loaded_db, "sql", "begin; select 1; commit")
    assert plain.stderr.startswith("Error: A query runs as one transaction"), plain.output
    failing = smurf(loaded_db, "sql", "update players set is_tracked = true; selec 1", "--write")
    assert failing.exit_code == 1
    with read(loaded_db) as con:
        assert con.execute("select count(*) from players where is_tracked").fetchone() == (0,)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("selec 1", "could not be parsed"),
        ("select * from nowhere", "The query failed"),
        ("", "empty"),
    ],
)
def test_sql_errors_are_clear(loaded_db: Path, query: str, message: str) -> None:
    """Bad SQL gives exit code 1 and a message saying what went wrong, no traceback."""
    result = smurf(loaded_db, "sql", query)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("query", "wrong"),
    [
        ("select puuid from players where game_nam = 'x'", "game_nam"),
        ("select puuid frm players", "players"),
    ],
    ids=["failed", "unparsed"],
)
def test_sql_errors_keep_duckdbs_lines(loaded_db: Path, query: str, wrong: str) -> None:
    """DuckDB's message keeps its lines, as the notebooks' helper does, so its caret stands
    under the place in the query where DuckDB stopped."""
    result = smurf(loaded_db, "sql", query)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    quoted = next(i for i, line in enumerate(lines) if line.startswith("LINE 1: "))
    assert lines[quoted] == f"LINE 1: {query}"
    assert lines[quoted + 1].index("^") == lines[quoted].index(wrong)


def test_sql_requires_a_current_schema(tmp_path: Path) -> None:
    """`sql` on a database that was never migrated says to run `smurf db migrate`."""
    db = tmp_path / "raw.duckdb"
    duckdb.connect(str(db)).close()
    result = smurf(db, "sql", "select 1")
    assert result.exit_code == 1
    assert "run `smurf db migrate`" in result.stderr


def smurf_executable() -> list[str]:
    script = Path(sys.executable).parent / "smurf"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pipeline.cli"]


def test_smurf_runs_as_a_real_process(tmp_path: Path) -> None:
    """The installed `smurf` program migrates, imports and queries a database."""
    db = str(tmp_path / "proc.duckdb")
    env = {"PATH": "/usr/bin:/bin", "SMURF_DB": db}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*smurf_executable(), *args], env=env, capture_output=True, text=True, timeout=120
        )

    assert run("db", "migrate").returncode == 0
    assert run("import-matches", str(MATCH_FIXTURES)).returncode == 0
    result = run("sql", "select count(*) as n from match_participants", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", "6"]


@pytest.mark.parametrize(
    "args",
    [["jobs", "status"], ["jobs", "list"], ["sql", "select * from range(100000)"], ["--help"]],
    ids=" ".join,
)
def test_a_closed_stdout_ends_quietly(db_path: Path, args: list[str]) -> None:
    """Output to a pipe whose reader has gone (`smurf jobs status | head -1`) ends the command
    with nothing on stderr and status 141, as SIGPIPE ends other commands."""
    import os

    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the first line: every write fails
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "--db", str(db_path), *args],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={**os.environ, "SMURF_DB": ""},
        )
    finally:
        os.close(writer)
    assert (result.returncode, result.stderr) == (141, "")


def test_a_reader_leaving_during_a_large_result_ends_it_with_141(db_path: Path) -> None:
    """`smurf sql "..." | head -1` on a result of megabytes: the reader leaves during the
    one large write, which the kernel cuts short without an error; the status says so."""
    import os

    query = ["sql", "select * from range(2000000)", "--format", "csv"]
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--db", str(db_path), *query],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "SMURF_DB": ""},
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"range\n"
    process.stdout.close()
    assert process.wait(timeout=120) == 141
    assert process.stderr.read() == b""


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        (
            "CREATE TABLE half_done (x INTEGER);\n"
            "SELECT error('This migration is not written yet: replace its SELECT error(...)"
            " line.');",
            "This migration is not written yet",
        ),
        ("CREATE TABLE half_done (x INTEGER);\nCREATE TABL oops (x INTEGER);", "Parser Error"),
    ],
    ids=["unwritten", "bad-sql"],
)
def test_a_failing_migration_is_one_line_naming_its_file_and_applies_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql: str, reason: str
) -> None:
    """A migration DuckDB refuses (the template's SELECT error(...), bad SQL) is one `Error:`
    line naming its file and DuckDB's reason, exit 1, and none of its statements stay: by
    `db migrate`, and by a command that migrates before it writes (`simulator export`)."""
    import importlib

    migrate_module = importlib.import_module("pipeline.store.migrate")
    shipped = migrate_module.available_migrations()
    file = str(tmp_path / f"{shipped[-1].version + 1:03d}_add_my_job_config.sql")
    bad = migrate_module.Migration(shipped[-1].version + 1, "add_my_job_config", sql, file)
    monkeypatch.setattr(migrate_module, "available_migrations", lambda: [*shipped, bad])
    db = tmp_path / "x.duckdb"
    for args in (["db", "migrate"], ["simulator", "export", "--players", "20"]):
        result = smurf(db, *args)
        assert result.exit_code == 1, result.output
        errors = [line for line in result.stderr.splitlines() if not line.startswith("{")]
        assert len(errors) == 1 and errors[0].startswith("Error: Migration "), result.stderr
        assert file in errors[0] and reason in errors[0]
        assert f"schema version {shipped[-1].version}" in errors[0]
        assert "Traceback" not in result.output
        with read(db) as con:
            assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (
                shipped[-1].version,
            )
            half = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'"
            assert con.execute(half).fetchone() == (0,)


def test_a_broken_pipe_that_is_not_stdout_is_an_error() -> None:
    """A BrokenPipeError from another pipe (a child process's) while stdout is open is an
    error like any other: one `Error:` line and status 1, not a silent exit."""
    from pipeline.cli import SmurfGroup

    @click.group(cls=SmurfGroup)
    def root() -> None:
        pass

    @root.command()
    def child() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    result = CliRunner().invoke(root, ["child"])
    assert (result.exit_code, result.stderr) == (1, "Error: Broken pipe\n")


def test_reading_commands_read_the_demos_database_when_the_default_is_missing(
    loaded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `make demo` (data/demo.duckdb, no data/smurf.duckdb, no --db): `sql`,
    `explain` and `evaluate` read the demo's database and say so on stderr; a --write
    statement is never sent there unasked, and an existing default is read as before."""
    from tests.sim_helpers import copy_database

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMURF_DB", raising=False)
    (tmp_path / "data").mkdir()
    copy_database(loaded_db, tmp_path / "data" / "demo.duckdb")
    runner = CliRunner()
    read = runner.invoke(cli, ["--log-json", "sql", "select count(*) AS n from matches"])
    assert read.exit_code == 0, read.output
    assert read.stdout.splitlines()[1].split() == ["3"]
    note = (
        "Reading data/demo.duckdb, the demo's database, since data/smurf.duckdb does not exist;"
        " to read another, give --db or set SMURF_DB."
    )
    assert read.stderr.strip() == note
    for args in (["explain", "Nobody#EUW"], ["evaluate"]):
        result = runner.invoke(cli, ["--log-json", *args])
        assert note in result.stderr, args
        assert "does not exist: run" not in result.stderr, args
    written = runner.invoke(cli, ["--log-json", "sql", "--write", "delete from matches"])
    assert written.exit_code == 1
    assert "smurf db migrate" in written.stderr
    assert not (tmp_path / "data" / "smurf.duckdb").exists()
    assert smurf(tmp_path / "data" / "demo.duckdb", "sql", "select count(*) from matches").stdout
    copy_database(loaded_db, tmp_path / "data" / "smurf.duckdb")
    with duckdb.connect(str(tmp_path / "data" / "smurf.duckdb")) as con:
        con.execute("DELETE FROM match_participants")
        con.execute("DELETE FROM matches")
    default = runner.invoke(cli, ["--log-json", "sql", "select count(*) AS n from matches"])
    assert default.exit_code == 0 and default.stderr == ""
    assert default.stdout.splitlines()[1].split() == ["0"]
    # A demo built after the default was last written is what `smurf lab` opens: read too.
    later = (tmp_path / "data" / "smurf.duckdb").stat().st_mtime + 10
    os.utime(tmp_path / "data" / "demo.duckdb", (later, later))
    newer = runner.invoke(cli, ["--log-json", "sql", "select count(*) AS n from matches"])
    assert newer.stdout.splitlines()[1].split() == ["3"]
    assert newer.stderr.strip() == (
        "Reading data/demo.duckdb, the demo's database, since it was written after"
        " data/smurf.duckdb; to read another, give --db or set SMURF_DB."
    )


@pytest.mark.parametrize(
    "args",
    [
        ["sql", "--time-limit-s", "120", "select count(*) from range(100000000000)"],
        ["sql", "--write", "create table t as select count(*) n from range(100000000000)"],
        # Two scans side by side: one runs on a DuckDB worker thread whichever thread
        # takes the first, which Ctrl-C must stop too (a lone scan runs there only at times).
        [
            "sql",
            "--time-limit-s",
            "120",
            "select count(*) from (select * from range(100000000000)"
            " union all select * from range(100000000000))",
        ],
    ],
    ids=["read", "write", "read-on-a-worker-thread"],
)
def test_ctrl_c_during_a_query_says_so_in_one_line(db_path: Path, args: list[str]) -> None:
    """Ctrl-C while DuckDB runs a statement (on one of its worker threads too): one line
    and exit 130 (a shell's code for SIGINT), no traceback, and nothing of the statement kept."""
    import signal

    returncode, stderr = _stopped_mid_statement(db_path, args, signal.SIGINT)
    assert returncode == 130, stderr
    assert stderr.strip() == (
        "Interrupted: what the command had committed stays; the rest was rolled back."
    )
    with read(db_path) as con:
        assert con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 't'"
        ).fetchone() == (0,)


def _stopped_mid_statement(
    db_path: Path, args: list[str], signum: int, command: list[str] | None = None
) -> tuple[int, str]:
    """Run `smurf --db DB ARGS...` (or ``command``) as a real process, send it ``signum``
    once it has run a statement on DB for a while, and return its exit status and stderr;
    fail if it still runs 60 s later (the statement was left running: the rollback waited
    for it)."""
    import time

    process = subprocess.Popen(
        command or [*smurf_executable(), "--db", str(db_path), *args],
        env={"PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Past the imports (a SIGINT there is Python's own) and into the statement: the process
    # holds the database file open, then runs the statement at once.
    fds = Path(f"/proc/{process.pid}/fd")
    deadline = time.monotonic() + 120
    while not any(_points_to(fd, db_path) for fd in fds.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.1)
    time.sleep(1.5)
    process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()  # else it runs on beside the tests that follow
        process.communicate()
        pytest.fail("The statement still ran 60 s after the signal.")
    return process.returncode, stderr


# The columns of match_participants, over a row number ``i``: ten rows a match, two teams
# of the five standard roles, a hundred players.
_PARTICIPANT_COLUMNS = """
    'm' || (i // 10) AS match_id, 'p' || (i % 100) AS puuid, 420 AS queue_id,
    TIMESTAMP '2026-01-01' + to_seconds(i) AS game_start, 1800 AS game_duration_s,
    (i % 10 + 1)::INTEGER AS participant_id, CASE WHEN i % 10 < 5 THEN 100 ELSE 200 END
    AS team_id, 1 AS champion_id, 'Annie' AS champion_name,
    ['TOP', 'JUNGLE', 'MIDDLE', 'BOTTOM', 'UTILITY'][i % 5 + 1] AS team_position,
    'x' AS individual_position, i % 10 < 5 AS win, 0 AS placement, 5 AS kills, 5 AS deaths,
    5 AS assists, 200 AS cs, 10000 AS gold_earned, 20000 AS damage_to_champions,
    20 AS vision_score, 100 AS summoner_level, 16 AS champ_level, 1800 AS time_played_s,
    'n' AS riot_id_game_name, 't' AS riot_id_tagline, 0.5 AS kill_participation,
    2.0 AS kda, 600.0 AS damage_per_minute, 400.0 AS gold_per_minute,
    0.2 AS team_damage_percentage, 1.0 AS vision_score_per_minute, 0 AS solo_kills,
    false AS early_surrender"""


def _endless_games(db_path: Path) -> None:
    """Make ``db_path``'s stored games endless: 400 matches summed as the writers sum them,
    then match_participants a view of 2 x 10^11 rows, scanned as two halves side by side,
    one on a DuckDB worker thread (a database so large that summing it never ends)."""
    from pipeline.store import write
    from pipeline.store.aggregates import add_games

    def rows(n: int) -> str:
        return f"SELECT {_PARTICIPANT_COLUMNS} FROM (SELECT range AS i FROM range({n}))"

    with write(db_path) as con:
        con.execute(f"CREATE TEMP VIEW few_games AS {rows(4000)}")
        add_games(con, "few_games")
        con.execute("DROP TABLE match_participants")
        endless = rows(100_000_000_000)
        con.execute(f"CREATE VIEW match_participants AS {endless} UNION ALL {endless}")


@pytest.mark.parametrize(
    "args",
    [
        # Its sums are deleted before they are summed again, so what it keeps is seen.
        ["db", "rebuild-aggregates", "--keep-reference"],
        # The games outgrew the (missing) lobby reference: the analyzer rebuilds first.
        ["analyze", "--all"],
    ],
    ids=["rebuild-aggregates", "analyze-all"],
)
def test_ctrl_c_stops_a_long_statement_of_any_command(db_path: Path, args: list[str]) -> None:
    """Ctrl-C while a command's statement runs on a DuckDB worker thread stops the statement
    too: the one line comes at once and the transaction is rolled back, every sum kept."""
    import signal

    _endless_games(db_path)
    returncode, stderr = _stopped_mid_statement(db_path, args, signal.SIGINT)
    assert returncode == 130, stderr
    assert stderr.strip() == (
        "Interrupted: what the command had committed stays; the rest was rolled back."
    )
    with read(db_path) as con:
        assert con.execute("SELECT sum(games) FROM player_game_sums").fetchone() == (4000,)
        assert con.execute("SELECT count(*) FROM lobby_reference").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM smurf_scores").fetchone() == (0,)


# A command's work under the SIGTERM handler a command installs (simulator export and crawl,
# report): a write transaction that deletes rows, then a statement that never ends.
_TERMINATED_MID_STATEMENT = """
import sys
from pipeline.cli_settings import Terminated, sigterm_interrupts
from pipeline.store import write
endless = "SELECT hash(range) AS h FROM range(100000000000)"
try:
    with sigterm_interrupts(), write(sys.argv[1]) as con:
        con.execute("DELETE FROM job_configurations")
        con.execute(f"CREATE TABLE t AS SELECT sum(h) FROM ({endless} UNION ALL {endless})")
except (Terminated, RuntimeError) as exc:
    if isinstance(exc, Terminated) or isinstance(exc.__cause__, Terminated):
        print("Stopped by SIGTERM.", file=sys.stderr)
        sys.exit(143)
    raise
"""


def test_sigterm_where_a_command_handles_it_stops_the_statement_too(db_path: Path) -> None:
    """SIGTERM, where a command turns it into ``Terminated``, stops the statement DuckDB
    runs on its worker threads as Ctrl-C does, and the transaction is rolled back."""
    import signal

    with read(db_path) as con:
        configurations = con.execute("SELECT count(*) FROM job_configurations").fetchone()
    assert configurations is not None and configurations[0] > 0
    command = [sys.executable, "-c", _TERMINATED_MID_STATEMENT, str(db_path)]
    returncode, stderr = _stopped_mid_statement(db_path, [], signal.SIGTERM, command)
    assert (returncode, stderr.strip()) == (143, "Stopped by SIGTERM.")
    with read(db_path) as con:
        assert con.execute("SELECT count(*) FROM job_configurations").fetchone() == configurations
        assert con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 't'"
        ).fetchone() == (0,)


def test_sigterm_inside_an_asyncio_callback_still_stops_the_command() -> None:
    """SIGTERM that lands while the main thread runs an asyncio callback (a report's
    notebook runs in an event loop, zmq's ``on_poll_ready`` among its callbacks) stops the
    command all the same: asyncio logged any other exception there ("Exception in
    callback") and went on, and `smurf report` ran on to the cell's timeout."""
    import asyncio
    import signal
    import threading

    from pipeline.cli_settings import SIGTERM_EXIT, Terminated, sigterm_interrupts

    assert threading.current_thread() is threading.main_thread()  # else SIGTERM ends pytest
    loop = asyncio.new_event_loop()
    try:
        # The callback signals this very process; os.kill runs the handler before it
        # returns, so Terminated is raised inside the callback. Were it swallowed, the next
        # callback stops the loop: run_until_complete then raises RuntimeError, not hangs.
        loop.call_soon(os.kill, os.getpid(), signal.SIGTERM)
        loop.call_soon(loop.stop)
        with pytest.raises(Terminated) as stopped, sigterm_interrupts():
            loop.run_until_complete(loop.create_future())
    finally:
        loop.close()
    # Uncaught, it would end the process as SIGTERM does, with the shell's status for it.
    assert stopped.value.code == SIGTERM_EXIT


def test_sigterm_a_command_does_not_catch_still_ends_it_with_143() -> None:
    """A command that lets ``Terminated`` through ends as a process SIGTERM kills: status
    143, no traceback (and never 0, as a bare SystemExit would)."""
    script = (
        "import os, signal\nfrom pipeline.cli_settings import sigterm_interrupts\n"
        "with sigterm_interrupts():\n    os.kill(os.getpid(), signal.SIGTERM)\n"
        "print('went on')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (143, "", "")


def _points_to(fd: Path, target: Path) -> bool:
    try:
        return Path(os.readlink(fd)) == target
    except OSError:  # closed meanwhile
        return False


def test_a_folder_duckdb_cannot_write_its_log_in_says_what_to_fix() -> None:
    """DuckDB refused the log beside the database (a folder the user cannot write to; as
    root, permissions cannot be shown failing): the line says the folder must be writable."""
    from pipeline.cli import _error_line

    refused = duckdb.TransactionException(
        'Failed to commit: Cannot open file "/data/ro/x.duckdb.wal": Permission denied'
    )
    line = _error_line(refused)
    assert line.startswith('Failed to commit: Cannot open file "/data/ro/x.duckdb.wal"')
    assert "the folder must be writable by you" in line
    assert "writable" not in _error_line(duckdb.CatalogException("Table t does not exist"))
