"""Job types and execution statuses (UPPERCASE values, as stored)."""

from __future__ import annotations

from enum import StrEnum


class JobType(StrEnum):
    TRACKED_PLAYER_UPDATER = "TRACKED_PLAYER_UPDATER"
    MATCH_FETCHER = "MATCH_FETCHER"
    SMURF_ANALYZER = "SMURF_ANALYZER"
    BAN_CHECKER = "BAN_CHECKER"
    PROFILE_REFRESHER = "PROFILE_REFRESHER"
    NOTEBOOK_REPORT = "NOTEBOOK_REPORT"
    LAKE_MAINTENANCE = "LAKE_MAINTENANCE"


class JobStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    RATE_LIMITED = "RATE_LIMITED"  # not a failure: progress kept, the next run resumes

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.SUCCESS, JobStatus.FAILED, JobStatus.RATE_LIMITED)


class Trigger(StrEnum):
    SCHEDULE = "SCHEDULE"
    MANUAL = "MANUAL"  # `smurf run` / `smurf jobs trigger` in this process
    API = "API"  # POST /api/v1/jobs/{id}/trigger


METRIC_NAMES = ("api_requests_made", "records_created", "records_updated")
