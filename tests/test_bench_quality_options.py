"""bench_quality's --config (a crawl job's seeded setting changed for one measurement), and
the full export brought to the state a deployed database is judged in."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from benchmarks.bench_quality import crawl_configs, export_as_deployed
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


def test_an_export_is_judged_with_its_lobby_reference_up_to_date(tmp_path: Path) -> None:
    """A fresh export has no lobby reference (its games were judged with the default role
    norms); before it is evaluated the benchmark refreshes it as the analyzer's first run
    would, and doing so again changes nothing."""
    from pipeline.simulator import SimulatorConfig
    from pipeline.simulator.export import export_world
    from pipeline.store.aggregates import reference_is_stale

    path = tmp_path / "export.duckdb"
    export_world(SimulatorConfig(seed=12, players=300), path)
    with duckdb.connect(str(path), read_only=True) as con:
        assert reference_is_stale(con)

    export_as_deployed(path)
    with duckdb.connect(str(path), read_only=True) as con:
        assert not reference_is_stale(con)
        reference = con.execute("SELECT * FROM lobby_reference ORDER BY role").fetchall()
    export_as_deployed(path)
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT * FROM lobby_reference ORDER BY role").fetchall() == reference


def test_the_pooled_populations_show_the_carried_list_beside_the_labels() -> None:
    """Over every crawl, the share of duo-boosted accounts and duo friends the report's list
    of players carried by a suspected smurf names, pooled by players; the aims stay on the
    model's flags."""
    import pandas as pd

    from benchmarks.bench_quality import _population_results
    from pipeline.analysis.evaluation import EvaluationReport

    def report(rows: list[tuple[str, int, float, float]]) -> EvaluationReport:
        rates = pd.DataFrame(rows, columns=["population", "players", "model", "carried"])
        return EvaluationReport(
            metrics=pd.DataFrame(), flag_rates=rates, players=0, model_version="test"
        )

    results = _population_results(
        [
            report([("DUO_BOOSTED", 10, 0.0, 0.8), ("STRONG_DUO", 20, 0.05, 0.0)]),
            report([("DUO_BOOSTED", 30, 0.1, 0.4), ("DUO_FRIEND", 4, 0.0, 0.25)]),
        ]
    )
    by_measure = {r.measure: r for r in results}
    carried = by_measure["held-out pooled: DUO_BOOSTED (40) listed as carried"]
    assert carried.value == pytest.approx((8 + 12) / 40)
    assert carried.met is None
    assert by_measure["held-out pooled: DUO_FRIEND (4) listed as carried"].value == 0.25
    strong = by_measure["held-out pooled: STRONG_DUO (20)"]
    assert strong.value == pytest.approx(0.05) and strong.met is True
