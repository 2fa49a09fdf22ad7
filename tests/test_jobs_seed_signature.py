"""A job written exactly as the seed's guide shows is built with its id alone and runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.jobs import (
    JOB_CLASSES,
    JobContext,
    JobError,
    JobStatus,
    JobType,
    job_for,
    run_in_process,
    set_process_context,
)
from pipeline.jobs.base import BaseJob
from pipeline.jobs.error_handling import handle_riot_api_errors  # noqa: F401  (as the guide)
from pipeline.store import Database
from pipeline.store import job_records as records

AsyncSession = Database  # the seed's database session is a Database here


# From seed/background-jobs.md, "Creating New Jobs", step 1, unchanged.
class MyJob(BaseJob):
    def __init__(self, job_config_id: int):
        super().__init__(job_config_id)

    def _load_configuration(self) -> None:
        # Load and validate config from self.job_config.config_json
        config = self.job_config.config_json or {}
        self.my_setting = config.get("my_setting")

        # Validate required fields
        if self.my_setting is None:
            raise ValueError("Missing required config: my_setting")

    async def execute(self, db: AsyncSession) -> None:
        self._load_configuration()
        # Your job logic here
        self.increment_metric("records_created")


@pytest.fixture(autouse=True)
def _no_process_context() -> Iterator[None]:
    set_process_context(None)
    yield
    set_process_context(None)


def add_config(db_path: Path, config_json: str) -> int:
    """A MY_JOB configuration, as the guide's migration seeds one; its id."""
    with Database(db_path).write() as con:
        row = con.execute(
            "INSERT INTO job_configurations (job_type, name, schedule, is_active, config_json)"
            " VALUES ('MY_JOB', 'My Job', 'interval(seconds=300)', true, ?) RETURNING id",
            [config_json],
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_guide_job_runs_with_the_process_context(db_path: Path) -> None:
    """MyJob(job_config_id) takes the process's context and records a SUCCESS execution."""
    config_id = add_config(db_path, '{"my_setting": 100}')
    set_process_context(JobContext(Settings(db_path=db_path)))
    outcome = asyncio.run(MyJob(config_id).run())
    assert (outcome.status, outcome.metrics["records_created"]) == (JobStatus.SUCCESS, 1)
    with Database(db_path).read() as con:
        execution = records.get_execution(con, outcome.execution_id)
    assert execution is not None
    assert (execution["job_type"], execution["records_created"]) == ("MY_JOB", 1)


def test_a_guide_job_missing_its_setting_fails_with_the_guide_message(db_path: Path) -> None:
    """The guide's validation error ends the run FAILED with its own message."""
    config_id = add_config(db_path, "{}")
    set_process_context(JobContext(Settings(db_path=db_path)))
    outcome = asyncio.run(MyJob(config_id).run())
    assert outcome.status is JobStatus.FAILED
    assert outcome.error_message == "ValueError: Missing required config: my_setting"


def test_the_registry_builds_guide_jobs_with_the_runners_context(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """job_for hands a guide job the runner's context, not the process's."""
    monkeypatch.setitem(JOB_CLASSES, JobType.SMURF_ANALYZER, MyJob)
    set_process_context(JobContext(Settings(db_path=tmp_path / "elsewhere.duckdb")))
    runner = JobContext(Settings(db_path=db_path))
    assert job_for("SMURF_ANALYZER", 3, runner).context is runner


def test_run_in_process_runs_a_registered_guide_job(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`smurf run`'s path builds and runs a guide job registered for a job type."""
    monkeypatch.setitem(JOB_CLASSES, JobType.SMURF_ANALYZER, MyJob)
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE id = 3", ['{"my_setting": 1}']
        )
    context = JobContext(Settings(db_path=db_path))
    [outcome] = asyncio.run(run_in_process(context, "SMURF_ANALYZER"))
    assert (outcome.status, outcome.metrics["records_created"]) == (JobStatus.SUCCESS, 1)


def test_a_job_registered_in_job_type_mapping_as_the_guide_does_runs(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class set in `job_type_mapping`, the guide's name for the registry, is the one the
    runner builds, and a type registered there after import is known to the scheduler."""
    from pipeline.jobs.registry import job_type_mapping, known_job_types

    monkeypatch.delitem(job_type_mapping, JobType.LAKE_MAINTENANCE)
    assert "LAKE_MAINTENANCE" not in known_job_types()
    monkeypatch.setitem(job_type_mapping, JobType.LAKE_MAINTENANCE, MyJob)
    assert "LAKE_MAINTENANCE" in known_job_types()
    monkeypatch.setitem(job_type_mapping, JobType.SMURF_ANALYZER, MyJob)
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE id = 3", ['{"my_setting": 1}']
        )
    [outcome] = asyncio.run(run_in_process(JobContext(Settings(db_path=db_path)), "SMURF_ANALYZER"))
    assert (outcome.status, outcome.metrics["records_created"]) == (JobStatus.SUCCESS, 1)


def test_a_job_built_without_any_context_says_how_to_get_one() -> None:
    """Outside any runner and before an entry point set one, building a job is a clear error."""
    with pytest.raises(JobError, match="set_process_context"):
        MyJob(1)


def test_smurf_jobs_set_configures_a_guide_job(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`smurf jobs set` changes the keys a guide job's seeded configuration has (it reads
    them from ``job_config.config_json``, unseen), says in words what its validation refuses
    (no traceback), and checks ``timeout_seconds`` although the job never calls super()."""
    from click.testing import CliRunner

    from pipeline.cli import cli

    monkeypatch.setitem(JOB_CLASSES, JobType.SMURF_ANALYZER, MyJob)
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET config_json = ? WHERE id = 3", ['{"my_setting": 1}']
        )

    def jobs_set(*assignments: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--db", str(db_path), "jobs", "set", "3", *assignments])
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result.exit_code, result.output

    assert jobs_set("my_setting=5") == (0, 'Job 3 (SMURF_ANALYZER) updated: {"my_setting": 5}\n')
    code, said = jobs_set("my_setting=null")
    assert code == 1 and "refuses this configuration: Missing required config: my_setting" in said
    code, said = jobs_set("timeout_seconds=-4")
    assert code == 1 and "timeout_seconds must be a positive number" in said
    code, said = jobs_set("other=1")
    assert code == 1 and "has no setting 'other'" in said and "my_setting" in said
    code, said = jobs_set("schedule=null")
    assert code == 1 and "schedule needs a value" in said
    with Database(db_path).read() as con:
        stored = con.execute("SELECT config_json FROM job_configurations WHERE id = 3").fetchone()
    assert stored is not None and json.loads(stored[0]) == {"my_setting": 5}
    # Its required key missing from the stored configuration (a seed without it): the key
    # is one of its settings, since the job refuses to run without it.
    with Database(db_path).write() as con:
        con.execute("UPDATE job_configurations SET config_json = '{}' WHERE id = 3")
    assert jobs_set("my_setting=7") == (0, 'Job 3 (SMURF_ANALYZER) updated: {"my_setting": 7}\n')
    code, said = jobs_set("my_setting=7", "other=1")
    assert code == 1 and "has no setting 'other'" in said
