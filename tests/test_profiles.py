"""Player profiles: how they are stored, how PROFILE_REFRESHER collects them against the
simulator over real HTTP, and that a crawl by the product's own jobs labels only players
with a profile."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.crawl import CrawlPlan, crawl_world
from pipeline.jobs import ExecutionOutcome, JobStatus
from pipeline.jobs.data_manager import RiotDataManager
from pipeline.jobs.profile_refresher import run_budget
from pipeline.jobs.schedule import budget_window_s
from pipeline.log import configure_logging
from pipeline.riot import RiotClient
from pipeline.riot.limiter import RateLimiter, Ticket
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from pipeline.store.profiles import ProfileAnswer, record_profiles
from tests.sim_helpers import (
    TEST_KEY,
    config_after_upgrade,
    count,
    job_context,
    run_job,
    set_job_config,
    track,
)

NOW = datetime(2026, 11, 20, 12, 0)
SOLO = {
    "queueType": "RANKED_SOLO_5x5",
    "tier": "GOLD",
    "rank": "II",
    "leaguePoints": 40,
    "wins": 30,
    "losses": 25,
}


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="warning")


def _profile(db_path: Path, puuid: str) -> dict[str, Any]:
    columns = (
        "summoner_level, summoner_checked_at, profile_found, solo_tier, solo_division,"
        " solo_league_points, solo_wins, solo_losses"
    )
    with Database(db_path).read() as con:
        row = con.execute(f"SELECT {columns} FROM players WHERE puuid = ?", [puuid]).fetchone()
    assert row is not None
    return dict(zip([c.strip() for c in columns.split(",")], row, strict=True))


def _record(db_path: Path, answers: list[ProfileAnswer], at: datetime) -> tuple[int, int]:
    with Database(db_path).write() as con:
        return record_profiles(con, answers, at)


def test_a_profile_stores_level_and_solo_entry(db_path: Path) -> None:
    """summoner-v4's level and the solo entry's tier, LP, wins and losses land on the player."""
    answer = ProfileAnswer("p1", "euw1", {"summonerLevel": 87}, [SOLO])
    created, _ = _record(db_path, [answer], NOW)
    stored = _profile(db_path, "p1")
    assert stored["summoner_level"] == 87
    assert stored["summoner_checked_at"] == NOW
    assert stored["profile_found"]
    assert (stored["solo_tier"], stored["solo_division"], stored["solo_league_points"]) == (
        "GOLD",
        "II",
        40,
    )
    assert (stored["solo_wins"], stored["solo_losses"]) == (30, 25)
    assert created == 2  # the new player and its first rank snapshot


def test_an_entry_that_disappears_is_gone_from_the_profile(db_path: Path) -> None:
    """A later answer without a solo entry clears the solo columns (unranked now)."""
    _record(db_path, [ProfileAnswer("p1", "euw1", {"summonerLevel": 87}, [SOLO])], NOW)
    later = NOW + timedelta(days=1)
    _record(db_path, [ProfileAnswer("p1", "euw1", {"summonerLevel": 88}, [])], later)
    stored = _profile(db_path, "p1")
    assert stored["solo_tier"] is None
    assert stored["solo_wins"] is None
    assert stored["summoner_level"] == 88
    assert stored["summoner_checked_at"] == later


def test_an_account_that_no_longer_answers_keeps_its_level(db_path: Path) -> None:
    """A 404 from summoner-v4 marks the profile not found and keeps the last known level."""
    _record(db_path, [ProfileAnswer("p1", "euw1", {"summonerLevel": 87}, [SOLO])], NOW)
    _record(db_path, [ProfileAnswer("p1", "euw1", None, None)], NOW + timedelta(hours=1))
    stored = _profile(db_path, "p1")
    assert not stored["profile_found"]
    assert stored["summoner_level"] == 87
    assert stored["solo_tier"] is None


# ---- PROFILE_REFRESHER against the simulator ------------------------------------------------
WORLD = SimulatorConfig(seed=21, players=400, app_limit="200:1,5000:120")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


def _crawl_some(db_path: Path, sim: RunningSimulator) -> None:
    """Store some matches the way the jobs do, so players appear in several games."""
    active = sorted(
        (t for t in sim.truth() if not t["is_banned"]), key=lambda t: (-t["games"], t["puuid"])
    )
    track(db_path, [t["puuid"] for t in active[:3]])
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=30)
    assert run_job(job_context(db_path, sim), "TRACKED_PLAYER_UPDATER").status is JobStatus.SUCCESS
    # What the updater fetched for its tracked players is not the refresher's concern here.
    with Database(db_path).write() as con:
        con.execute("UPDATE players SET summoner_checked_at = NULL, profile_found = NULL")


def _due(db_path: Path, min_matches: int = 2) -> int:
    return count(
        db_path,
        "SELECT count(*) FROM (SELECT puuid FROM match_participants GROUP BY puuid"
        " HAVING count(*) >= ?) s JOIN players p USING (puuid)"
        " WHERE p.summoner_checked_at IS NULL",
        [min_matches],
    )


@pytest.mark.parametrize("budget", [500, 5])
def test_the_refresher_profiles_players_about_to_be_scored(
    db_path: Path, sim: RunningSimulator, budget: int
) -> None:
    """Every player with enough stored games gets a profile; the others are left alone. With
    a budget of five too: the key's stated limits (200 a second, 5,000 per 2 minutes) allow
    thousands of profiles every 5 minutes, and the run learns them on its first answers."""
    _crawl_some(db_path, sim)
    set_job_config(
        db_path, "PROFILE_REFRESHER", min_matches_required=2, max_profiles_per_run=budget
    )
    due = _due(db_path)
    assert due > 20
    outcome = run_job(job_context(db_path, sim), "PROFILE_REFRESHER")
    assert outcome.status is JobStatus.SUCCESS
    assert _due(db_path) == 0
    profiled = count(db_path, "SELECT count(*) FROM players WHERE summoner_checked_at IS NOT NULL")
    assert profiled == due
    # One summoner-v4 and one league-v4 call per player the API still knows.
    assert outcome.metrics["api_requests_made"] <= 2 * due
    assert count(db_path, "SELECT count(*) FROM players WHERE solo_wins IS NOT NULL") > 0


def _budget_of_five(db_path: Path) -> None:
    """Five profiles a run, whatever the key's limits would allow."""
    set_job_config(
        db_path,
        "PROFILE_REFRESHER",
        min_matches_required=2,
        max_profiles_per_run=5,
        key_share_percent=0,
    )


def test_the_refresher_takes_never_profiled_players_first_within_its_budget(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A small budget profiles that many players, all of them among those never profiled."""
    _crawl_some(db_path, sim)
    _budget_of_five(db_path)
    due = _due(db_path)
    run_job(job_context(db_path, sim), "PROFILE_REFRESHER")
    assert _due(db_path) == due - 5


def test_the_refresher_asks_first_for_the_most_suspicious_unprofiled_players(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Scored from their games alone, the players whose profile would decide a label come
    first: a budget of five profiles the five highest provisional scores."""
    from datetime import datetime

    from pipeline.analysis import score_players, write_scores

    _crawl_some(db_path, sim)
    with Database(db_path).write() as con:
        write_scores(con, score_players(con), datetime(2026, 1, 1))
        due = con.execute(
            "SELECT l.puuid FROM latest_smurf_scores l JOIN players p USING (puuid)"
            " WHERE p.summoner_checked_at IS NULL AND l.games_analyzed >= 2"
            " ORDER BY greatest(l.smurf_score, l.boosted_score) DESC, l.puuid"
        ).fetchall()
    _budget_of_five(db_path)
    run_job(job_context(db_path, sim), "PROFILE_REFRESHER")
    with Database(db_path).read() as con:
        profiled = con.execute(
            "SELECT puuid FROM players WHERE summoner_checked_at IS NOT NULL"
        ).fetchall()
    assert {p for (p,) in profiled} == {p for (p,) in due[:5]}


def test_a_rate_limited_refresh_keeps_the_profiles_it_fetched(
    db_path: Path, sim: RunningSimulator
) -> None:
    """When the key's window runs out mid-run, the run ends RATE_LIMITED with what it fetched
    committed, and the next run goes on from there."""
    _crawl_some(db_path, sim)
    set_job_config(db_path, "PROFILE_REFRESHER", min_matches_required=2, max_profiles_per_run=500)
    due = _due(db_path)
    with serve_in_thread(
        SimulatorConfig(seed=21, players=400, app_limit="30:10"), world=sim.world
    ) as tight:
        outcome = run_job(job_context(db_path, tight, max_wait_s=0.0), "PROFILE_REFRESHER")
    assert outcome.status is JobStatus.RATE_LIMITED
    left = _due(db_path)
    assert 0 < due - left < due
    assert run_job(job_context(db_path, sim), "PROFILE_REFRESHER").status is JobStatus.SUCCESS
    assert _due(db_path) == 0


def _every(db_path: Path, seconds: int) -> None:
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET schedule = ? WHERE job_type = 'PROFILE_REFRESHER'",
            [f"interval(seconds={seconds})"],
        )


def _refresh_with_key(
    db_path: Path,
    sim: RunningSimulator,
    *,
    budget: int,
    share: int,
    every_s: int,
    app_limit: str,
    latency_ms: tuple[float, float] = (0.0, 0.0),
) -> tuple[int, ExecutionOutcome]:
    """One refresher run, ``budget`` profiles and ``share`` % of the key a run, runs
    ``every_s`` apart, against the world served with ``app_limit`` and ``latency_ms``: the
    players due before it, and the run."""
    _crawl_some(db_path, sim)
    set_job_config(
        db_path,
        "PROFILE_REFRESHER",
        min_matches_required=2,
        max_profiles_per_run=budget,
        key_share_percent=share,
    )
    _every(db_path, every_s)
    due = _due(db_path)
    assert due > 100
    served = SimulatorConfig(seed=21, players=400, app_limit=app_limit, latency_ms=latency_ms)
    with serve_in_thread(served, world=sim.world) as keyed:
        return due, run_job(job_context(db_path, keyed), "PROFILE_REFRESHER")


@pytest.mark.parametrize(
    ("budget", "share", "profiled"),
    [
        (5, 50, 15),  # 20 requests a second, 2 a profile, 3 s between runs: half is 15
        (5, 100, 30),
        (20, 50, 20),  # the key allows less than the budget set: the budget stands
        (5, 0, 5),  # the key's limits ignored
    ],
)
def test_the_key_share_of_a_run_follows_the_stated_limits_and_the_schedule(
    db_path: Path, sim: RunningSimulator, budget: int, share: int, profiled: int
) -> None:
    """Runs 3 s apart: a run sized by its share is paced over some 2.7 s and checks once,
    before its second chunk (a few tenths of a second in), whether it has time left; a
    second between runs left a slow machine too little (it stopped after its first 5)."""
    due, outcome = _refresh_with_key(
        db_path, sim, budget=budget, share=share, every_s=3, app_limit="20:1"
    )
    assert outcome.status is JobStatus.SUCCESS
    assert _due(db_path) == due - profiled


def test_a_run_sized_by_its_key_share_is_spread_at_the_shares_pace(
    db_path: Path, sim: RunningSimulator
) -> None:
    """200 requests a second, runs 3 s apart, 5 %: 15 profiles, 30 requests at 10 a second,
    0.3 s ahead. The last is not sent before 2.6 s (29 / 10 - 0.3); at the key's own pace
    all 30 would go in a few tenths of a second."""
    due, outcome = _refresh_with_key(db_path, sim, budget=5, share=5, every_s=3, app_limit="200:1")
    assert outcome.status is JobStatus.SUCCESS
    assert _due(db_path) == due - 15
    assert outcome.duration_s >= 2.6


def test_a_run_sized_by_its_key_share_ends_before_the_next_run_is_due(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Answers after 100-120 ms, runs a second apart, the whole key (200 requests a second):
    100 profiles, which take some 3 s at 8 in flight. The run stops between chunks of 50
    when another as long as its longest would end after the next run is due."""
    due, outcome = _refresh_with_key(
        db_path,
        sim,
        budget=5,
        share=100,
        every_s=1,
        app_limit="200:1",
        latency_ms=(100.0, 120.0),
    )
    assert outcome.status is JobStatus.SUCCESS
    assert 5 <= due - _due(db_path) <= 55  # the first 5 (limits unknown), a chunk of 50 more


@pytest.mark.parametrize(
    ("floor", "share", "per_second", "between_s", "budget"),
    [
        (200, 50, 100 / 120 / 2, 300.0, 200),  # a development key: 62 allowed, 200 stand
        (200, 50, 25.0, 300.0, 3750),  # a production key (500 per 10 s)
        (200, 0, 25.0, 300.0, 200),
        (200, 100, 1_000.0, 900.0, 100_000),  # the ceiling
        (200, 50, float("inf"), 300.0, 200),  # no limit stated: nothing known of the key
        (200, 0, float("inf"), 300.0, 200),
        (5, 50, 20.0, 1.0, 10),
    ],
)
def test_a_runs_budget_is_the_larger_of_the_floor_and_the_keys_share(
    floor: int, share: int, per_second: float, between_s: float, budget: int
) -> None:
    assert run_budget(floor, share, per_second, between_s) == budget


def _answered(limiter: RateLimiter, host: str, method: str, headers: dict[str, str]) -> None:
    ticket = limiter.try_acquire(host, method)
    assert isinstance(ticket, Ticket)
    limiter.release(ticket, status_code=200, headers=headers)


def test_profiles_a_second_follow_the_tightest_known_limit(db_path: Path) -> None:
    """Two requests of the application limit a profile, one of each method's; a platform
    not asked yet does not hold the others back; nothing known, no rate."""
    limiter = RateLimiter(clock=lambda: 0.0)
    client = RiotClient(TEST_KEY, "http://127.0.0.1:9/{route}", limiter=limiter)
    manager = RiotDataManager(client, Database(db_path))
    assert manager.profiles_per_second(["euw1"]) is None
    summoner, league = "summoner-v4.getByPUUID", "league-v4.getLeagueEntriesByPUUID"
    euw = "http://127.0.0.1:9/euw1"
    _answered(limiter, euw, summoner, {"X-App-Rate-Limit": "100:10", "X-Method-Rate-Limit": "30:1"})
    assert manager.profiles_per_second(["euw1"]) == pytest.approx(5.0)  # 10 a second, 2 each
    assert manager.profiles_per_second(["euw1", "kr"]) == pytest.approx(5.0)  # kr not asked
    _answered(limiter, euw, league, {"X-App-Rate-Limit": "100:10", "X-Method-Rate-Limit": "20:10"})
    assert manager.profiles_per_second(["euw1"]) == pytest.approx(2.0)  # league-v4 binds
    kr = "http://127.0.0.1:9/kr"
    _answered(limiter, kr, summoner, {"X-App-Rate-Limit": "20:10", "X-Method-Rate-Limit": "9:1"})
    assert manager.profiles_per_second(["euw1", "kr"]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("schedule", "timeout_s", "window_s"),
    [
        ("interval(seconds=300)", 900.0, 300.0),
        ("cron(0 4 * * *)", 900.0, 900.0),  # daily: the run's timeout, not a day
        ("interval(seconds=300)", 60.0, 60.0),
    ],
)
def test_a_runs_key_share_counts_until_the_next_run_or_its_timeout(
    schedule: str, timeout_s: float, window_s: float
) -> None:
    assert budget_window_s(schedule, timeout_s) == window_s


@pytest.mark.parametrize(("before", "after"), [({}, 50), ({"key_share_percent": 10}, 10)])
def test_the_upgrade_seeds_key_share_percent_and_keeps_a_choice(
    db_path: Path, before: dict[str, Any], after: int
) -> None:
    """Migration 028: a PROFILE_REFRESHER configuration without key_share_percent gets 50;
    one that names it keeps its value, its other keys untouched."""
    config = {"max_profiles_per_run": 7, **before}
    applied, upgraded = config_after_upgrade(db_path, "PROFILE_REFRESHER", config, 28)
    assert applied == [28, 29]
    assert upgraded == {"max_profiles_per_run": 7, "key_share_percent": after}


def test_every_player_a_crawl_labels_has_a_profile(tmp_path: Path) -> None:
    """Crawled by the product's own jobs, a small world's labelled players all have a fresh
    profile found by the API, and everyone without one is INSUFFICIENT_DATA with a reason."""
    db_path = tmp_path / "crawl.duckdb"
    report = crawl_world(
        SimulatorConfig(seed=5, players=600),
        db_path,
        CrawlPlan(
            tracked=3, cycles=3, configs={"MATCH_FETCHER": {"discovered_players_per_run": 8}}
        ),
    )
    assert report.scored > 20
    assert count(db_path, "SELECT count(*) FROM sim_truth") == 600
    with Database(db_path).read() as con:
        scores = con.execute(
            "SELECT s.label, s.reason, p.summoner_checked_at, p.profile_found"
            " FROM latest_smurf_scores s JOIN players p USING (puuid)"
        ).df()
    labelled = scores[scores["label"] != "INSUFFICIENT_DATA"]
    assert len(labelled) > 10
    assert labelled["summoner_checked_at"].notna().all()
    assert labelled["profile_found"].astype(bool).all()
    assert labelled["reason"].isna().all()
    unlabelled = scores[scores["label"] == "INSUFFICIENT_DATA"]
    assert unlabelled["reason"].notna().all()
    # The crawl's key allows 3,000 requests a second: its refresher and fetcher keep their
    # fixed budgets (a plan's own configs merged over that).
    with Database(db_path).read() as con:
        rows = con.execute(
            "SELECT job_type, config_json FROM job_configurations"
            " WHERE job_type IN ('PROFILE_REFRESHER', 'MATCH_FETCHER')"
        ).fetchall()
    configs = {job_type: json.loads(config) for job_type, config in rows}
    assert configs["PROFILE_REFRESHER"]["key_share_percent"] == 0
    assert configs["MATCH_FETCHER"]["key_share_percent"] == 0
    assert configs["MATCH_FETCHER"]["discovered_players_per_run"] == 8
