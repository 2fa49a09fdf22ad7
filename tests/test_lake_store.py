"""The store on a lake: the same schema, migrations and writes as a file, shared by processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.analysis.spread import STATE_COLUMNS as SPREAD_STATE_COLUMNS
from pipeline.cli import cli
from pipeline.config import Settings
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import export_world
from pipeline.store import (
    current_version,
    lake,
    latest_version,
    migrate,
    parse_match,
    read,
    write,
    write_matches,
)
from pipeline.store import job_records as records
from pipeline.store.errors import LakeUnavailableError, LakeUrlError
from pipeline.store.extensions import extension_file
from pipeline.store.lake_admin import copy_from_file
from pipeline.store.lake_schema import declared_keys, duplicate_keys, next_id
from pipeline.store.location import LakeLocation, parse_location
from tests.conftest import FIXTURES_DIR
from tests.lake_fixtures import Postgres, copy_lake


def schema_of(location: Path | str) -> list[tuple[str, str, str]]:
    """(table, column, type) of every table and view, in order."""
    with read(location) as con:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns()"
            " WHERE database_name = current_database() AND schema_name = 'main'"
            " ORDER BY table_name, column_index"
        ).fetchall()
    return [(str(t), str(c), str(d)) for t, c, d in rows]


def fixture_matches() -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted((FIXTURES_DIR / "matches").glob("*.json"))]


@pytest.mark.parametrize(
    ("url", "catalog", "data_path"),
    [
        (
            "ducklake:postgresql://smurf@db:5432/smurf?data_path=s3://bucket/lake/",
            "postgresql://smurf@db:5432/smurf",
            "s3://bucket/lake/",
        ),
        (
            "ducklake:postgres://u@/lake?host=/run/pg&data_path=/srv/lake",
            "postgresql://u@/lake?host=/run/pg",
            "/srv/lake",
        ),
        ("DuckLake:postgresql://u@db/lake", "postgresql://u@db/lake", None),
    ],
)
def test_lake_urls_name_a_catalog_and_a_data_path(
    url: str, catalog: str, data_path: str | None
) -> None:
    """A lake URL splits into the catalog's libpq URI and the data path."""
    assert parse_location(url) == LakeLocation(catalog, data_path)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ducklake:postgresql://u:hunter22@db/lake", "PGPASSWORD"),
        ("ducklake:mysql://db/lake", "PostgreSQL"),
        ("ducklake:postgresql://db", "names no catalog database"),
        ("ducklake:postgresql://db/lake?data_path=", "data_path is empty"),
    ],
)
def test_bad_lake_urls_are_refused_with_what_to_fix(url: str, says: str) -> None:
    """A lake URL that cannot work is refused naming the fix, never repeating a password."""
    with pytest.raises(LakeUrlError) as caught:
        parse_location(url)
    assert says in str(caught.value)
    assert "hunter22" not in str(caught.value)


def test_settings_keep_a_lake_url_whole() -> None:
    """SMURF_DB may name a lake; a file path stays a path."""
    lake = Settings.from_env({"SMURF_DB": "ducklake:postgresql://u@db/lake?data_path=s3://b/x/"})
    assert lake.db_path == LakeLocation("postgresql://u@db/lake", "s3://b/x/")
    assert Settings.from_env({"SMURF_DB": "data/x.duckdb"}).db_path == Path("data/x.duckdb")


def test_extensions_come_from_the_pinned_packages() -> None:
    """Each extension a lake needs is a file inside its package, for this DuckDB release."""
    import duckdb

    for name in ("ducklake", "postgres_scanner", "httpfs"):
        path = extension_file(name)
        assert path.is_file() and f"v{duckdb.__version__}" in path.parts


def test_lake_schema_is_the_file_schema(lake_url: str, db_path: Path) -> None:
    """Migrations give a lake the same tables, views, columns and types as a file."""
    assert schema_of(lake_url) == schema_of(db_path)


def test_lake_migrations_are_idempotent(lake_url: str) -> None:
    """Migrating a migrated lake again applies nothing and keeps one row per seeded job."""
    assert migrate(lake_url) == []
    with read(lake_url) as con:
        assert current_version(con) == latest_version()
        ids = [
            r[0] for r in con.execute("SELECT id FROM job_configurations ORDER BY id").fetchall()
        ]
    assert ids == list(range(1, len(ids) + 1))


def test_a_migration_that_only_drops_keys_is_skipped_on_a_lake(lake_url: str) -> None:
    """A lake never had keys: a migration marked file-only runs nothing there."""
    from pipeline.store.lake_schema import FILE_ONLY_MARK, run_ddl

    with write(lake_url) as con:
        run_ddl(con, f"{FILE_ONLY_MARK} drops a key.\nDROP TABLE no_such_table;")


def test_ids_are_allocated_without_sequences(lake_url: str) -> None:
    """Executions created on a lake get consecutive ids, as a sequence would give them."""
    with read(lake_url) as con:
        config = records.list_job_configs(con)[0]
    created = []
    for _ in range(3):
        with write(lake_url) as con:
            started = records.start_execution(
                con,
                config.id,
                trigger="MANUAL",
                pid=os.getpid(),
                correlation_id="c",
                job_types=None,
                is_live=lambda _execution_id, _pid: False,
                ended_message=lambda _pid: "ended",
            )
            created.append(started.execution_id)
    assert created == [1, 2, 3]
    with write(lake_url) as con:
        assert next_id(con, "job_executions") == 4


def test_an_uninitialised_catalog_says_to_run_lake_init(postgres: Postgres, tmp_path: Path) -> None:
    """A catalog database with no lake in it is refused with the command that creates one."""
    postgres.execute("postgres", 'CREATE DATABASE "empty_catalog"')
    url = postgres.lake("empty_catalog", tmp_path / "data").url
    with pytest.raises(LakeUnavailableError, match="smurf lake init"), read(url):
        pass


def test_a_catalog_database_that_does_not_exist_says_to_run_lake_init(
    postgres: Postgres, tmp_path: Path
) -> None:
    """A URL naming a database the server does not have is refused with the command that
    creates it (it quoted PostgreSQL's FATAL line and stopped there)."""
    url = postgres.lake("never_made", tmp_path / "data").url
    with (
        pytest.raises(
            LakeUnavailableError, match=r"database never_made does not exist.*smurf lake init"
        ),
        read(url),
    ):
        pass


def test_a_refused_password_names_pgpassword() -> None:
    """PostgreSQL's refusal of the password, as DuckDB's attach reports it, says where the
    password goes (the test server trusts every local user, so the text is DuckDB 1.5's)."""
    import duckdb

    from pipeline.store.lake import _attach_failure

    refused = duckdb.IOException(
        'IO Error: Failed to attach DuckLake MetaData "__ducklake_metadata_lake" at path + '
        '"postgres:host=db user=smurf dbname=smurf"Unable to connect to Postgres at "host=db": '
        'connection to server at "db", port 5432 failed: FATAL:  password authentication '
        'failed for user "smurf"'
    )
    location = LakeLocation("postgresql://smurf@db:5432/smurf", "/data/lake")
    said = _attach_failure(location, refused)
    assert "set PGPASSWORD" in said and "never in the URL" in said


def test_lake_init_creates_and_migrates_and_status_reports(
    postgres: Postgres, tmp_path: Path
) -> None:
    """`smurf lake init` creates catalog and data folder and migrates; `status` describes it."""
    url = postgres.lake("made_by_init", tmp_path / "made").url
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", url, "lake", "init"])
    assert first.exit_code == 0, first.output
    assert f"schema version {latest_version()}" in first.output
    again = runner.invoke(cli, ["--db", url, "lake", "init"])
    assert "(0 migration(s) applied)" in again.output
    status = runner.invoke(cli, ["--db", url, "lake", "status"])
    assert status.exit_code == 0, status.output
    assert "job_configurations" in status.output and str(tmp_path / "made") in status.output


def test_lake_commands_refuse_a_file() -> None:
    """`smurf lake status` on a file says a lake URL is needed."""
    result = CliRunner().invoke(cli, ["--db", "data/x.duckdb", "lake", "status"])
    assert result.exit_code == 1
    assert "give a lake URL" in result.output


def test_a_file_copied_into_a_lake_keeps_every_row(lake_url: str, tmp_path: Path) -> None:
    """Every table of an embedded file arrives in the lake whole, its keys still unique."""
    source = tmp_path / "world.duckdb"
    export_world(SimulatorConfig(seed=3, players=40, history_days=5), source)
    report = copy_from_file(source, parse_location(lake_url))  # type: ignore[arg-type]
    with read(source) as con:
        keys = declared_keys(con)
        expected = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in report.rows
        }
    assert report.rows == expected and expected["match_participants"] > 0
    with read(lake_url) as con:
        assert duplicate_keys(con, keys) == {}
        assert con.execute("SELECT count(*) FROM sim_truth").fetchone() == (40,)


WRITER = """
import json, sys
from pipeline.store import parse_match, write, write_matches
url, rounds = sys.argv[1], int(sys.argv[2])
matches = [parse_match(m) for m in json.load(sys.stdin)]
for _ in range(rounds):
    with write(url) as con:
        write_matches(con, matches)
print("done", flush=True)
"""


def test_concurrent_writers_never_duplicate_a_key(lake_url: str) -> None:
    """Three processes writing the same matches at once store each match and player once."""
    payload = json.dumps(fixture_matches())
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, lake_url, "3"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for writer in writers:
        out, _ = writer.communicate(payload, timeout=240)
        assert writer.returncode == 0 and out.strip() == "done"
    with read(lake_url) as con:
        assert (
            duplicate_keys(
                con,
                [
                    ("matches", ("match_id",)),
                    ("match_participants", ("match_id", "puuid")),
                    ("players", ("puuid",)),
                ],
            )
            == {}
        )
        assert con.execute("SELECT count(*) FROM matches").fetchone() == (3,)


HOLDER = """
import sys, time
from pipeline.store import write
with write(sys.argv[1]) as con:
    con.execute("INSERT INTO players (puuid) VALUES ('never-committed')")
    print("holding", flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_mid_commit_loses_nothing_committed(lake_url: str) -> None:
    """kill -9 of a writer holding the write lock frees it; committed rows stay, its rows don't."""
    with write(lake_url) as con:
        write_matches(con, [parse_match(m) for m in fixture_matches()])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, lake_url], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    started = time.monotonic()
    with write(lake_url, timeout_s=30) as con:
        con.execute("INSERT INTO players (puuid) VALUES ('after-the-kill')")
    assert time.monotonic() - started < 30
    with read(lake_url) as con:
        assert con.execute("SELECT count(*) FROM matches").fetchone() == (3,)
        puuids = {r[0] for r in con.execute("SELECT puuid FROM players").fetchall()}
    assert "after-the-kill" in puuids and "never-committed" not in puuids


def test_a_lake_holding_games_gains_the_weeks_lobby_sums_as_the_writers_keep_them(
    lake_url: str, tmp_path: Path
) -> None:
    """Migrations 022 and 026 on a lake that already holds games (its weeks without their
    lobby sums, its sums without the lobby z squared) sum them from the stored games: the
    aggregates end equal to those the writers keep, bit for bit."""
    from pipeline.store.aggregates import canonical_sums

    source = tmp_path / "world.duckdb"
    export_world(SimulatorConfig(seed=5, players=60, history_days=10), source)
    copy_from_file(source, parse_location(lake_url))  # type: ignore[arg-type]
    with read(lake_url) as con:
        kept = canonical_sums(con)
        lobby_weeks = con.execute(
            "SELECT count(*) FROM player_game_weeks WHERE lobby_games > 0"
        ).fetchone()
    assert lobby_weeks is not None and lobby_weeks[0] > 0
    with write(lake_url) as con:  # as a release before 022 left it
        for column in ("lobby_games", "lobby_z_sum"):
            con.execute(f"ALTER TABLE player_game_weeks DROP COLUMN {column}")
        for column in ("week_lobby_games", "week_lobby_z", "lobby_z_sq"):
            con.execute(f"ALTER TABLE player_score_inputs DROP COLUMN {column}")
        con.execute("ALTER TABLE player_game_sums DROP COLUMN lobby_z_sq")
        for column in SPREAD_STATE_COLUMNS:  # migration 027
            con.execute(f"ALTER TABLE scoring_state DROP COLUMN {column}")
        con.execute("DELETE FROM schema_migrations WHERE version >= 22")
    applied = migrate(lake_url)
    assert [m.version for m in applied] == list(range(22, latest_version() + 1))
    with read(lake_url) as con:
        assert current_version(con) == latest_version()
        assert canonical_sums(con) == kept


def test_lake_init_from_a_file_names_the_jobs_that_came_disabled(
    lake_url: str, tmp_path: Path
) -> None:
    """The file's job settings come along; a job they had disabled (a demo's lake
    maintenance) is named with the command that turns it on, an active one is not."""
    source = tmp_path / "small.duckdb"
    migrate(source)
    with write(source) as con:
        con.execute(
            "UPDATE job_configurations SET is_active = false WHERE job_type = 'LAKE_MAINTENANCE'"
        )
        (job_id,) = con.execute(
            "SELECT id FROM job_configurations WHERE job_type = 'LAKE_MAINTENANCE'"
        ).fetchone() or (None,)
    result = CliRunner().invoke(cli, ["--db", lake_url, "lake", "init", "--from", str(source)])
    assert result.exit_code == 0, result.output
    assert (
        f"Job {job_id} (LAKE_MAINTENANCE) came disabled from small.duckdb: "
        f"`smurf jobs enable {job_id}` turns it on." in result.output
    )
    assert "(MATCH_FETCHER) came disabled" not in result.output


def test_a_missing_or_empty_data_folder_is_refused_not_made_anew(
    postgres: Postgres, lake_template: LakeLocation, tmp_path: Path
) -> None:
    """A lake whose data folder is gone (moved) or empty (a volume not mounted) while its
    catalog lists files there is refused with what to do; DuckDB made the folder anew and
    the next write split the lake. Restored, the lake reads as before."""
    location = copy_lake(postgres, lake_template, tmp_path / "lake-data")
    folder = Path(str(location.data_path))
    # A lake whose rows are all in the catalog yet (small commits) lists no file there: a
    # missing folder is no loss, and DuckDB makes it with the first file.
    shutil.rmtree(folder)
    with write(location.url) as con:
        write_matches(con, [parse_match(m) for m in fixture_matches()])
        # More rows than a commit keeps in the catalog: a data file.
        con.execute("INSERT INTO players (puuid) SELECT 'p' || i FROM range(100) t(i)")
    lake.forget(location)
    folder.rename(tmp_path / "elsewhere")
    missing = pytest.raises(LakeUnavailableError, match=r"data folder .* does not exist.*mount")
    with missing, write(location.url) as con:
        con.execute("INSERT INTO players (puuid) VALUES ('split')")
    assert not folder.exists()
    folder.mkdir()  # the mount point of a volume not mounted
    empty = pytest.raises(LakeUnavailableError, match=r"is empty, but its catalog lists \d+")
    with empty, read(location.url):
        pass
    folder.rmdir()
    (tmp_path / "elsewhere").rename(folder)
    with read(location.url) as con:
        assert con.execute("SELECT count(*) FROM matches").fetchone() == (3,)
    lake.forget(location)
