"""Job type -> class. Adding a job type: subclass ``BaseJob``, add an UPPERCASE ``JobType``
value, seed its configuration in a migration, and register the class here.

Jobs are built as ``cls(job_config_id)``, the seed's signature, with the runner's context
bound for the job to pick up."""

from __future__ import annotations

from typing import Any

from pipeline.jobs.ban_checker import BanChecker
from pipeline.jobs.base import BaseJob, JobContext, bound_context
from pipeline.jobs.errors import UnknownJobError
from pipeline.jobs.lake_maintenance import LakeMaintenance
from pipeline.jobs.match_fetcher import MatchFetcher
from pipeline.jobs.notebook_report import NotebookReport
from pipeline.jobs.profile_refresher import ProfileRefresher
from pipeline.jobs.settings import load_settings
from pipeline.jobs.smurf_analyzer import SmurfAnalyzer
from pipeline.jobs.tracked_player_updater import TrackedPlayerUpdater
from pipeline.jobs.types import JobType

JOB_CLASSES: dict[JobType, type[BaseJob]] = {
    JobType.TRACKED_PLAYER_UPDATER: TrackedPlayerUpdater,
    JobType.MATCH_FETCHER: MatchFetcher,
    JobType.SMURF_ANALYZER: SmurfAnalyzer,
    JobType.BAN_CHECKER: BanChecker,
    JobType.PROFILE_REFRESHER: ProfileRefresher,
    JobType.NOTEBOOK_REPORT: NotebookReport,
    JobType.LAKE_MAINTENANCE: LakeMaintenance,
}
# The seed's guide registers a job type in ``job_type_mapping``: the same dictionary, so a
# class added under either name (``job_type_mapping[JobType.MY_JOB] = MyJob``, its
# ``JobType`` value added first) is known to the API, the scheduler and the CLI alike.
job_type_mapping = JOB_CLASSES


def known_job_types() -> frozenset[str]:
    """The job types a class is registered for now (read when asked: a module may register
    one after this one was imported)."""
    return frozenset(t.value for t in JOB_CLASSES)


def check_settings(job_type: str, config_json: Any) -> None:
    """Raise the ``JobConfigError`` a run of this configuration would fail with at once (its
    settings do not validate); nothing for a type without a settings model or not known
    here (starting it says why)."""
    try:
        cls = JOB_CLASSES[JobType(job_type)]
    except (ValueError, KeyError):
        return
    if cls.settings_model is not None:
        load_settings(cls.settings_model, config_json, job_type)


def job_for(job_type: str, job_config_id: int, context: JobContext) -> BaseJob:
    """An instance of the class registered for ``job_type``."""
    try:
        cls = JOB_CLASSES[JobType(job_type)]
    except (ValueError, KeyError):
        known = ", ".join(t.value for t in JOB_CLASSES)
        raise UnknownJobError(
            f"Unknown job type {job_type!r} (job configuration {job_config_id}); "
            f"known types: {known}."
        ) from None
    with bound_context(context):
        return cls(job_config_id)
