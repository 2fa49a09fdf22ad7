"""bench_quality's --config: a crawl job's seeded setting changed for one measurement."""

from __future__ import annotations

import pytest

from benchmarks.bench_quality import crawl_configs
from pipeline.jobs.errors import JobConfigError


def test_config_assignments_become_per_job_changes() -> None:
    configs = crawl_configs(
        [
            "MATCH_FETCHER.suspect_score_percent=15",
            "MATCH_FETCHER.suspects_per_run=20",
            "PROFILE_REFRESHER.max_profiles_per_run=50",
        ]
    )
    assert configs == {
        "MATCH_FETCHER": {"suspect_score_percent": 15, "suspects_per_run": 20},
        "PROFILE_REFRESHER": {"max_profiles_per_run": 50},
    }


@pytest.mark.parametrize(
    ("assignment", "named"),
    [
        ("suspects_per_run=20", "JOB_TYPE.KEY=VALUE"),
        ("BAN_CHECKER.max_checks_per_run=5", "JOB_TYPE.KEY=VALUE"),
        ("MATCH_FETCHER.suspects=20", "no setting suspects"),
        ("MATCH_FETCHER.suspects_per_run", "Expected key=value"),
    ],
)
def test_a_bad_assignment_is_refused_by_name(assignment: str, named: str) -> None:
    with pytest.raises(JobConfigError, match=named):
        crawl_configs([assignment])
