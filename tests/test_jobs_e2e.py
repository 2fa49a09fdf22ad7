"""The four jobs end to end against the simulator over real HTTP, on real DuckDB files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from pipeline.analysis.scoring import NO_PROFILE_REASON
from pipeline.jobs import JobStatus
from pipeline.log import configure_logging
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from pipeline.store.job_records import utcnow
from tests.sim_helpers import (
    TEST_KEY,
    count,
    job_context,
    requests_seen,
    run_job,
    set_job_config,
    store_served_match,
    track,
)

WORLD = SimulatorConfig(seed=11, players=300, app_limit="200:1,5000:120")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


@pytest.fixture(scope="module")
def truth(sim: RunningSimulator) -> list[dict[str, Any]]:
    return sim.truth()


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="warning")


def most_active(truth: list[dict[str, Any]], n: int) -> list[str]:
    ranked = sorted(
        (t for t in truth if not t["is_banned"]), key=lambda t: (-t["games"], t["puuid"])
    )
    return [t["puuid"] for t in ranked[:n]]


def no_duplicates(db_path: Path) -> None:
    assert count(db_path, "SELECT count(*) - count(DISTINCT match_id) FROM matches") == 0
    assert (
        count(
            db_path, "SELECT count(*) - count(DISTINCT (match_id, puuid)) FROM match_participants"
        )
        == 0
    )


def test_full_cycle_of_the_four_jobs(
    db_path: Path, sim: RunningSimulator, truth: list[dict[str, Any]]
) -> None:
    """Tracked updater, fetcher, analyzer and ban checker each succeed and store their work."""
    track(db_path, most_active(truth, 2))
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=10)
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=6,
        matches_per_player_per_run=5,
    )
    context = job_context(db_path, sim)
    before = requests_seen(sim)
    outcomes = {
        job: run_job(context, job)
        for job in ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER", "SMURF_ANALYZER", "BAN_CHECKER")
    }
    assert {job: o.status for job, o in outcomes.items()} == dict.fromkeys(
        outcomes, JobStatus.SUCCESS
    )
    sent = sum(o.metrics["api_requests_made"] for o in outcomes.values())
    assert sent == requests_seen(sim) - before  # every request counted, none invented
    assert outcomes["SMURF_ANALYZER"].metrics["api_requests_made"] == 0
    assert count(db_path, "SELECT count(*) FROM matches") > 0
    assert count(db_path, "SELECT count(*) FROM players WHERE summoner_level IS NOT NULL") > 0
    assert count(db_path, "SELECT count(*) FROM rank_snapshots") > 0
    assert (
        count(db_path, "SELECT count(*) FROM smurf_scores")
        == (outcomes["SMURF_ANALYZER"].metrics["records_created"])
    )
    no_duplicates(db_path)


def test_the_analyzer_counts_the_players_awaiting_a_profile(
    db_path: Path, sim: RunningSimulator, truth: list[dict[str, Any]]
) -> None:
    """The analyzer's log says how many players it scored that only a profile keeps from a
    label: the co-players the fetcher stored games of, never profiled."""
    track(db_path, most_active(truth, 2))
    set_job_config(db_path, "SMURF_ANALYZER", min_matches_required=1)
    context = job_context(db_path, sim)
    for job in ("TRACKED_PLAYER_UPDATER", "MATCH_FETCHER"):
        assert run_job(context, job).status == JobStatus.SUCCESS
    with capture_logs() as events:
        assert run_job(context, "SMURF_ANALYZER").status == JobStatus.SUCCESS
    (scored,) = [e for e in events if e["event"] == "analyzer.scored"]
    waiting = count(
        db_path, "SELECT count(*) FROM latest_smurf_scores WHERE reason = ?", [NO_PROFILE_REASON]
    )
    assert waiting > 0
    assert scored["awaiting_profile"] == waiting


def test_tracked_updater_honours_max_new_matches(
    db_path: Path, sim: RunningSimulator, truth: list[dict[str, Any]]
) -> None:
    """No tracked player gets more than max_new_matches_per_player new matches in one run."""
    players = most_active(truth, 3)
    track(db_path, players)
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=4)
    outcome = run_job(job_context(db_path, sim), "TRACKED_PLAYER_UPDATER")
    assert outcome.status is JobStatus.SUCCESS
    assert count(db_path, "SELECT count(*) FROM matches") <= 3 * 4
    for puuid in players:  # shared games may give a player more than its own four
        games = count(db_path, "SELECT count(*) FROM match_participants WHERE puuid = ?", [puuid])
        assert games >= 4


def test_rerunning_the_updater_duplicates_nothing(
    db_path: Path, sim: RunningSimulator, truth: list[dict[str, Any]]
) -> None:
    """A second run with no new games upstream writes no new match and no duplicate row."""
    track(db_path, most_active(truth, 2))
    context = job_context(db_path, sim)
    run_job(context, "TRACKED_PLAYER_UPDATER")
    matches = count(db_path, "SELECT count(*) FROM matches")
    snapshots = count(db_path, "SELECT count(*) FROM rank_snapshots")
    second = run_job(context, "TRACKED_PLAYER_UPDATER")
    assert second.status is JobStatus.SUCCESS
    assert count(db_path, "SELECT count(*) FROM matches") == matches
    assert count(db_path, "SELECT count(*) FROM rank_snapshots") == snapshots  # unchanged rank
    no_duplicates(db_path)


def test_match_fetcher_marks_exhausted_only_at_history_end_or_target(
    db_path: Path, sim: RunningSimulator, truth: list[dict[str, Any]]
) -> None:
    """Players are exhausted with a reason that the stored games justify."""
    track(db_path, most_active(truth, 1))
    context = job_context(db_path, sim)
    run_job(context, "TRACKED_PLAYER_UPDATER")
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=5)
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=8,
        matches_per_player_per_run=6,
        target_matches_per_player=8,
    )
    for _ in range(3):
        assert run_job(context, "MATCH_FETCHER").status is JobStatus.SUCCESS
    with Database(db_path).read() as con:
        rows = con.execute(
            "SELECT p.exhausted_reason, count(mp.match_id) FROM players p"
            " LEFT JOIN match_participants mp USING (puuid)"
            " WHERE p.history_exhausted GROUP BY p.puuid, p.exhausted_reason"
        ).fetchall()
    assert rows
    for reason, games in rows:
        assert reason in ("HISTORY_END", "TARGET_REACHED")
        if reason == "TARGET_REACHED":
            assert games >= 8
    no_duplicates(db_path)


def test_rate_limit_mid_run_ends_rate_limited_and_the_next_run_resumes(
    db_path: Path, truth: list[dict[str, Any]]
) -> None:
    """A spent wait budget ends RATE_LIMITED with progress kept; later runs finish the work."""
    tight = SimulatorConfig(seed=11, players=300, app_limit="15:1,60:4")
    with serve_in_thread(tight) as limited:
        track(db_path, most_active(truth, 3))
        set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=20)
        impatient = job_context(db_path, limited, max_wait_s=0.05)
        first = run_job(impatient, "TRACKED_PLAYER_UPDATER")
        assert first.status is JobStatus.RATE_LIMITED
        assert first.metrics["records_created"] > 0
        # The player is named by the Riot ID a reader knows, not by the 78-character key.
        with Database(db_path).read() as con:
            names = {
                f"{name}#{tag}"
                for name, tag in con.execute(
                    "SELECT game_name, tag_line FROM players WHERE is_tracked"
                ).fetchall()
            }
        doing = (first.error_message or "").split(":")[0]
        assert doing.removeprefix("Rate limited while updating ") in names, doing
        kept = count(db_path, "SELECT count(*) FROM matches")
        assert kept > 0
        # The same process-wide limiter, as in the scheduler: it remembers the first run.
        patient = job_context(db_path, limited, max_wait_s=30, limiter=impatient.limiter)
        second = run_job(patient, "TRACKED_PLAYER_UPDATER")
        assert second.status is JobStatus.SUCCESS
        assert count(db_path, "SELECT count(*) FROM matches") > kept
        stats = limited.stats()
    assert stats["rate_limited"]["application"] == 0  # the limiter stopped before the server did
    no_duplicates(db_path)
    for puuid in most_active(truth, 3):
        assert (
            count(db_path, "SELECT count(*) FROM match_participants WHERE puuid = ?", [puuid]) >= 20
        )


def test_wrong_key_fails_once_without_hammering_the_api(db_path: Path, truth: list[Any]) -> None:
    """A rejected key (403) fails the run at the first request, with an actionable message."""
    with serve_in_thread(SimulatorConfig(seed=11, players=300, api_key=TEST_KEY)) as guarded:
        track(db_path, most_active(truth, 3))
        outcome = run_job(
            job_context(db_path, guarded, api_key="RGAPI-expired-key-000000000"),
            "TRACKED_PLAYER_UPDATER",
        )
        assert outcome.status is JobStatus.FAILED
        assert outcome.metrics["api_requests_made"] == 1
        assert "key" in (outcome.error_message or "").lower()
        assert "RGAPI-expired" not in (outcome.error_message or "")


def test_ban_checker_records_evidence_and_confirms_unavailable_on_second_check(
    db_path: Path, sim: RunningSimulator, truth: list[dict[str, Any]]
) -> None:
    """Banned accounts go NOT_FOUND_ONCE then UNAVAILABLE; renamed ones RENAMED; others found."""
    banned = next(t for t in truth if t["is_banned"])
    renamed = next(t for t in truth if t["renamed"] and not t["is_banned"])
    now = utcnow()
    with Database(db_path).write() as con:
        for t, name in ((banned, str(banned["game_name"])), (renamed, "OldName")):
            con.execute(
                "INSERT INTO players (puuid, platform, game_name, tag_line)"
                " VALUES (?, 'euw1', ?, ?)",
                [t["puuid"], name, t["tag_line"]],
            )
            con.execute(
                "INSERT INTO smurf_scores (puuid, scored_at, model_version, smurf_score,"
                " boosted_score, label, games_analyzed, matches_stored)"
                " VALUES (?, ?, 'test', 0.9, 0.1, 'SMURF', 20, 20)",
                [t["puuid"], now],
            )
    store_served_match(db_path, sim, renamed["puuid"])  # as the crawl left it
    with Database(db_path).write() as con:  # the crawl saw the name before the rename
        con.execute("UPDATE players SET game_name = 'OldName' WHERE puuid = ?", [renamed["puuid"]])
    context = job_context(db_path, sim)
    assert run_job(context, "BAN_CHECKER").status is JobStatus.SUCCESS
    assert run_job(context, "BAN_CHECKER").status is JobStatus.SUCCESS
    with Database(db_path).read() as con:
        statuses = {
            puuid: [
                s
                for (s,) in con.execute(
                    "SELECT status FROM account_checks WHERE puuid = ? ORDER BY id", [puuid]
                ).fetchall()
            ]
            for puuid in (banned["puuid"], renamed["puuid"])
        }
        new_name = con.execute(
            "SELECT game_name FROM players WHERE puuid = ?", [renamed["puuid"]]
        ).fetchone()
    assert statuses[banned["puuid"]] == ["NOT_FOUND_ONCE", "UNAVAILABLE"]
    assert statuses[renamed["puuid"]] == ["RENAMED"]  # not re-checked within ban_check_days
    assert new_name == (renamed["game_name"],)


def test_new_games_upstream_are_found_after_the_clock_advances(
    db_path: Path, truth: list[dict[str, Any]]
) -> None:
    """After simulated time passes, the tracked updater stores the games played meanwhile."""
    with serve_in_thread(WORLD) as own:
        players = most_active(truth, 2)
        track(db_path, players)
        context = job_context(db_path, own)
        run_job(context, "TRACKED_PLAYER_UPDATER")
        before = count(db_path, "SELECT count(*) FROM matches")
        own.advance(hours=48)
        assert run_job(context, "TRACKED_PLAYER_UPDATER").status is JobStatus.SUCCESS
        assert count(db_path, "SELECT count(*) FROM matches") > before
    no_duplicates(db_path)
