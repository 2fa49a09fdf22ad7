"""Read mode of ad hoc SQL is enforced by DuckDB itself, not by reading the statements.

`smurf sql` without --write, and the notebooks' ``explorer.sql.query``, open the database
read-only with external access off (only the database file is reachable), the configuration
locked, and a time limit per statement. Each attack below was reproduced against a release
that only looked at statement types.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.explorer import sql
from pipeline.store import StoreError, write
from tests.sim_helpers import count

SECRET_FILE_TEXT = "root:x:0:0:not-for-smurf-sql\n"


def smurf(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), "--log-json", *args], env={})


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the database that no read may reach."""
    path = tmp_path / "outside" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET_FILE_TEXT)
    return path


def attacks(db: Path, outside: Path, tmp: Path) -> dict[str, str]:
    return {
        "copy over the database": (
            f"EXPLAIN ANALYZE COPY (select 'x' as x) TO '{db}' (FORMAT csv)"
        ),
        "copy to a file": f"COPY (select 42 as x) TO '{tmp / 'copied.csv'}' (FORMAT csv)",
        "profiling output": (
            f"PRAGMA enable_profiling; PRAGMA profiling_output='{tmp / 'profile.txt'}'; select 1"
        ),
        "query log": f"SET log_query_path='{tmp / 'queries.log'}'; select 1",
        "read a file": f"select * from read_csv('{outside}')",
        "read a file as text": f"select * from read_text('{outside}')",
        "list files": f"select * from glob('{outside.parent}/*')",
        "attach another database": f"ATTACH '{tmp / 'other.duckdb'}' AS other",
        "turn external access back on": "SET enable_external_access = true; select 1",
    }


# What a lake's read mode is tried with too (the others aim at the database file).
LAKE_ATTACKS = [
    "copy to a file",
    "query log",
    "read a file",
    "read a file as text",
    "list files",
    "attach another database",
    "turn external access back on",
]


@pytest.mark.parametrize("attack", ["copy over the database", "profiling output", *LAKE_ATTACKS])
def test_read_mode_reaches_nothing_but_the_database(
    db_path: Path, outside: Path, tmp_path: Path, attack: str
) -> None:
    """Each attack fails with one line saying why (under it at most DuckDB's quote of the
    query, with its caret); the database is intact and no file was written."""
    before = {p for p in tmp_path.rglob("*")}
    jobs = count(db_path, "SELECT count(*) FROM job_configurations")
    result = smurf(db_path, "sql", attacks(db_path, outside, tmp_path)[attack])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: "), result.output
    quoted = result.output.strip().splitlines()[1:]
    assert all(line.startswith(("LINE 1: ", " ")) for line in quoted if line), result.output
    assert SECRET_FILE_TEXT.strip() not in result.output
    assert {p for p in tmp_path.rglob("*")} - before <= {
        p for p in tmp_path.rglob("*.wal") if p.name.startswith(db_path.name)
    }
    assert count(db_path, "SELECT count(*) FROM job_configurations") == jobs > 0


def test_read_mode_stops_a_statement_at_its_time_limit(db_path: Path) -> None:
    """A statement running past --time-limit-s is interrupted and said so in one line."""
    result = smurf(
        db_path, "sql", "--time-limit-s", "0.5", "select count(*) from range(100000000000)"
    )
    assert result.exit_code == 1
    assert "time limit of 0.5 s" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_writing_mode_still_writes(db_path: Path, tmp_path: Path) -> None:
    """With --write the statement changes the database, and COPY still exports a file; the
    refusal without it says that --write also puts other files in reach."""
    target = tmp_path / "configs.csv"
    assert smurf(db_path, "sql", "--write", "create table notes as select 1 as n").exit_code == 0
    export = f"COPY (select * from notes) TO '{target}' (FORMAT csv)"
    refused = smurf(db_path, "sql", export)
    assert refused.exit_code == 1 and not target.exists()
    assert "change the database or reach other files" in refused.output
    assert "with other files in reach" in refused.output
    copied = smurf(db_path, "sql", "--write", export)
    assert copied.exit_code == 0, copied.output
    assert target.read_text().splitlines() == ["n", "1"]


def test_the_notebook_helper_is_read_only_in_the_same_way(
    db_path: Path, outside: Path, tmp_path: Path
) -> None:
    """explorer.sql.query reads the database, but no other file and nothing past its limit."""
    jobs = count(db_path, "SELECT count(*) FROM job_configurations")
    assert sql.query(db_path, "select count(*) AS n from job_configurations")["n"][0] == jobs
    for attack in ("read a file", "copy to a file", "query log", "list files"):
        with pytest.raises(StoreError):
            sql.query(db_path, attacks(db_path, outside, tmp_path)[attack])
    with pytest.raises(StoreError, match="time limit"):
        sql.query(db_path, "select count(*) from range(100000000000)", time_limit_s=0.5)
    assert not (tmp_path / "copied.csv").exists()
    assert not (tmp_path / "queries.log").exists()


@pytest.mark.parametrize("attack", LAKE_ATTACKS)
def test_read_mode_on_a_lake_reaches_nothing_but_the_lake(
    lake_url: str, outside: Path, tmp_path: Path, attack: str
) -> None:
    """On a lake too (its instance was the jobs' own, with everything in reach: a notebook's
    query read /etc/passwd and listed folders): only the lake's catalog and data path."""
    before = {p for p in tmp_path.rglob("*")}
    result = CliRunner().invoke(
        cli,
        ["--db", lake_url, "--log-json", "sql", attacks(tmp_path / "x", outside, tmp_path)[attack]],
    )
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: "), result.output
    assert SECRET_FILE_TEXT.strip() not in result.output
    assert {p for p in tmp_path.rglob("*") if "lake-data" not in p.parts} - before == set()


def test_read_mode_on_a_lake_reads_the_lake(lake_url: str) -> None:
    """The lake's tables read as before, rows in its Parquet files and in its catalog, and a
    new cursor sees what was committed since."""
    with write(lake_url) as con:  # a file ...
        con.execute(
            "INSERT INTO players (puuid, platform) SELECT 'p' || range, 'euw1' FROM range(300)"
        )
    with write(lake_url) as con:  # ... and a few rows kept in the catalog
        con.execute("INSERT INTO players (puuid, platform) VALUES ('small', 'euw1')")
    assert sql.query(lake_url, "SELECT count(*) AS n FROM players")["n"].tolist() == [301]
    with write(lake_url) as con:
        con.execute("INSERT INTO players (puuid, platform) VALUES ('later', 'euw1')")
    result = CliRunner().invoke(cli, ["--db", lake_url, "sql", "SELECT count(*) AS n FROM players"])
    assert result.exit_code == 0, result.output
    assert "302" in result.output


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM ducklake_rewrite_data_files('lake', 'players', delete_threshold => 0.0)",
        "SELECT * FROM \"DuckLake_Merge_Adjacent_Files\"('lake')",
        "SELECT * FROM postgres_query('__ducklake_metadata_lake', 'SELECT 1')",
        "SELECT * FROM query('SELECT * FROM ducklake_cleanup_old_files(''lake'')')",
    ],
)
def test_read_mode_on_a_lake_runs_no_upkeep_and_no_catalog_sql(
    lake_url: str, tmp_path: Path, query: str
) -> None:
    """The data path is in reach (the lake is read from it), so what would write there or
    run SQL on the catalog's server is refused by name: a rewrite left a Parquet file
    behind, and postgres_query read the server's files with the lake's credentials."""
    with write(lake_url) as con:
        con.execute(
            "INSERT INTO players (puuid, platform) SELECT 'p' || range, 'euw1' FROM range(300)"
        )
    with write(lake_url) as con:
        con.execute("DELETE FROM players WHERE puuid < 'p2'")
    data = tmp_path / "lake-data"
    before = sorted(p for p in data.rglob("*") if p.is_file())
    result = CliRunner().invoke(cli, ["--db", lake_url, "sql", query])
    assert result.exit_code == 1, result.output
    assert "Read mode on a lake does not run" in result.output
    with pytest.raises(StoreError, match="Read mode on a lake does not run"):
        sql.query(lake_url, query)
    assert sorted(p for p in data.rglob("*") if p.is_file()) == before


def test_a_lake_escape_is_a_call_not_a_word_in_a_string() -> None:
    """Names in strings, comments or column names are not calls; DuckLake's reading
    functions are allowed."""
    from pipeline.store.sql import lake_escapes

    assert lake_escapes("SELECT 'postgres_query(' AS x -- ducklake_rewrite_data_files(\n") == []
    assert lake_escapes("SELECT query FROM t") == []
    assert lake_escapes("SELECT * FROM ducklake_snapshots('lake')") == []
    assert lake_escapes("SELECT * FROM postgres_scan ( 'a', 'b', 'c' )") == ["postgres_scan"]


def test_the_tables_its_help_names_are_there_to_read(db_path: Path) -> None:
    """`smurf sql --help` names the tables asked about most; each of them, and the two
    statements it suggests, answer on a migrated database."""
    shown = CliRunner().invoke(cli, ["sql", "--help"])
    assert shown.exit_code == 0, shown.output
    help_text = " ".join(shown.output.split())
    named = help_text.split("The tables asked about most: ")[1].split(". smurf sql")[0]
    tables = [part.split(" (")[0].strip() for part in named.split(", ")]
    assert "latest_smurf_scores" in tables and len(tables) == 6
    for table in tables:
        result = smurf(db_path, "sql", f"describe {table}")
        assert result.exit_code == 0, (table, result.output)
    listed = smurf(db_path, "sql", "--format", "csv", "show tables")
    assert listed.exit_code == 0, listed.output
    assert set(tables) <= set(listed.stdout.split())
