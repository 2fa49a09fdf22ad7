"""A lake whose data path is an S3 bucket: a local S3 stand-in (moto's server) on loopback.

The bucket is reached over real HTTP through DuckDB's httpfs, configured only by the
environment variables the README names (AWS keys and region, ``DUCKDB_S3_ENDPOINT``,
``DUCKDB_S3_USE_SSL``, ``DUCKDB_S3_URL_STYLE``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import export_world
from pipeline.store import lake, read
from pipeline.store.errors import LakeUnavailableError
from pipeline.store.lake_schema import declared_keys, duplicate_keys
from pipeline.store.location import LakeLocation
from tests.lake_fixtures import Postgres
from tests.test_lake_jobs import run_maintenance

BUCKET = "smurf-lake"


class S3:
    """A running S3 stand-in and a client of it."""

    def __init__(self, endpoint: str, client: Any) -> None:
        self.endpoint = endpoint
        self.client = client

    def keys(self, prefix: str) -> list[str]:
        found = self.client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
        return [str(item["Key"]) for item in found]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 server on a free loopback port (skips when moto is not installed)."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        pytest.skip("moto is not installed; `make test` installs it with the dev extras")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> S3:
    """An empty bucket, and the environment that points DuckDB at it."""
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "smurf-test",
        "AWS_SECRET_ACCESS_KEY": "smurf-test-secret",
        "AWS_REGION": "us-east-1",
        "DUCKDB_S3_ENDPOINT": s3_server,
        "DUCKDB_S3_USE_SSL": "false",
        "DUCKDB_S3_URL_STYLE": "path",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=f"http://{s3_server}", region_name="us-east-1")
    existing = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
    if BUCKET not in existing:
        client.create_bucket(Bucket=BUCKET)
    return S3(s3_server, client)


@pytest.fixture
def s3_lake(postgres: Postgres, s3: S3) -> Iterator[LakeLocation]:
    """A lake not created yet: a catalog database name and an S3 prefix of its own."""
    name = f"s3lake_{uuid.uuid4().hex[:10]}"
    location = postgres.lake(name, Path("unused"))
    location = LakeLocation(location.catalog_uri, f"s3://{BUCKET}/{name}/")
    yield location
    lake.forget(location)


def smurf(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def counts(db: Path | LakeLocation, tables: list[str]) -> dict[str, int]:
    with read(db) as con:
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}  # type: ignore[index]


@pytest.mark.slow
def test_a_file_moved_into_an_s3_lake_keeps_every_row_and_survives_maintenance(
    s3: S3, s3_lake: LakeLocation, tmp_path: Path
) -> None:
    """`smurf lake init --from` into an S3 data path writes Parquet objects to the bucket,
    every row arrives, and a maintenance pass merges files without losing any."""
    source = tmp_path / "world.duckdb"
    export_world(SimulatorConfig(seed=5, players=80, history_days=10), source)
    tables = ["matches", "match_participants", "players", "sim_truth"]

    said = smurf("--db", s3_lake.url, "lake", "init", "--from", str(source))

    assert "Copied" in said
    assert counts(s3_lake, tables) == counts(source, tables)
    prefix = s3_lake.data_path.removeprefix(f"s3://{BUCKET}/")  # type: ignore[union-attr]
    assert any(key.endswith(".parquet") for key in s3.keys(prefix))
    with read(source) as con:
        keys = declared_keys(con)
    with read(s3_lake) as con:
        assert duplicate_keys(con, keys) == {}

    run_maintenance(s3_lake.url, expire_snapshots_after_hours=0, delete_files_after_hours=0)

    assert counts(s3_lake, tables) == counts(source, tables)
    assert f"s3://{BUCKET}/" in smurf("--db", s3_lake.url, "lake", "status")
    # Ad hoc SQL reads the bucket's objects of the lake, and nothing outside its prefix.
    rows = counts(source, ["match_participants"])["match_participants"]
    read_mode = smurf("--db", s3_lake.url, "sql", "select count(*) from match_participants")
    assert f"{rows:,}" in read_mode or str(rows) in read_mode
    s3.client.put_object(Bucket=BUCKET, Key="elsewhere/secret.csv", Body=b"a\nnot-for-sql\n")
    outside = CliRunner().invoke(
        cli,
        [
            "--db",
            s3_lake.url,
            "sql",
            f"select * from read_csv('s3://{BUCKET}/elsewhere/secret.csv')",
        ],
    )
    assert outside.exit_code == 1 and "not-for-sql" not in outside.output, outside.output
    settings = smurf(
        "--db",
        s3_lake.url,
        "sql",
        "select name, value from duckdb_settings() where value like '%smurf-test%'",
    )
    assert "smurf-test-secret" not in settings, settings
    secrets = smurf("--db", s3_lake.url, "sql", "select secret_string from duckdb_secrets()")
    assert "smurf-test-secret" not in secrets and "redacted" in secrets, secrets


def test_a_bad_url_style_is_refused_with_what_to_fix(
    s3_lake: LakeLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown DUCKDB_S3_URL_STYLE stops the attach with the values it takes."""
    monkeypatch.setenv("DUCKDB_S3_URL_STYLE", "sideways")
    with pytest.raises(LakeUnavailableError, match="must be path or vhost"), read(s3_lake):
        pass
