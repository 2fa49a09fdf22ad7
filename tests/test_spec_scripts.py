"""The commands the job-system guide names (`./scripts/logs.sh backend`, `./scripts/alembic.sh
current`) work, as the smurf commands they stand for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipeline.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def _script(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The smurf of this interpreter's environment, running this checkout's code.
    env = {
        **os.environ,
        "SMURF_DB": str(db_path),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        ["bash", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_alembic_current_and_upgrade_head_are_the_schema_commands(tmp_path: Path) -> None:
    db_path = tmp_path / "fresh.duckdb"
    upgraded = _script(db_path, "scripts/alembic.sh", "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    current = _script(db_path, "scripts/alembic.sh", "current")
    assert current.returncode == 0, current.stderr
    same = CliRunner().invoke(cli, ["--db", str(db_path), "db", "current"])
    assert current.stdout == same.output and "up to date" in current.stdout
    wrong = _script(db_path, "scripts/alembic.sh", "downgrade", "-1")
    assert wrong.returncode == 2 and "usage:" in wrong.stderr


def test_logs_backend_shows_the_newest_lines_of_every_run(db_path: Path) -> None:
    ran = CliRunner().invoke(cli, ["--db", str(db_path), "--log-json", "run", "SMURF_ANALYZER"])
    assert ran.exit_code == 0, ran.output
    logs = _script(db_path, "scripts/logs.sh", "backend", "--lines", "3")
    assert logs.returncode == 0, logs.stderr
    shown = logs.stdout.splitlines()
    assert len(shown) == 3
    assert all(" SMURF_ANALYZER #1 " in line for line in shown)
    assert "job.finished" in shown[-1]
    assert _script(db_path, "scripts/logs.sh").returncode == 2


def test_alembic_revision_creates_the_next_numbered_migration(tmp_path: Path) -> None:
    """`./scripts/alembic.sh revision -m MESSAGE` (the guide's step 3) writes the next
    migration file, named after the message, saying how to write and apply it."""
    import shutil

    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "alembic.sh", tmp_path / "scripts" / "alembic.sh")
    migrations = tmp_path / "pipeline" / "store" / "migrations"
    migrations.mkdir(parents=True)
    for name in ("001_initial_schema.sql", "009_rejected_matches.sql", "README.txt"):
        (migrations / name).write_text("-- a migration\n")
    script = str(tmp_path / "scripts" / "alembic.sh")
    made = _script(tmp_path / "x.duckdb", script, "revision", "-m", "Add my_job config")
    assert made.returncode == 0, made.stderr
    created = migrations / "010_add_my_job_config.sql"
    assert created.is_file() and str(created) in made.stdout
    text = created.read_text()
    assert text.startswith("-- Add my_job config\n") and "INSERT INTO job_configurations" in text
    # Until its SQL is written, applying it fails: it is never recorded as applied empty.
    with pytest.raises(duckdb.Error, match="not written yet"):
        duckdb.connect().execute(text)
    assert _script(tmp_path / "x.duckdb", script, "revision", "-m", "next").returncode == 0
    assert (migrations / "011_next.sql").is_file()
    missing = _script(tmp_path / "x.duckdb", script, "revision")
    assert missing.returncode == 2 and "revision -m" in missing.stderr
    for made_before in migrations.glob("*.sql"):
        made_before.unlink()
    assert _script(tmp_path / "x.duckdb", script, "revision", "-m", "first").returncode == 0
    assert (migrations / "001_first.sql").is_file()
