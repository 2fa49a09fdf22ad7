"""MATCH_FETCHER goes on past ``discovered_players_per_run`` while the key's stated limits
allow: ``key_share_percent`` of the requests they allow until the next run."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.jobs import JobStatus
from pipeline.jobs.data_manager import RiotDataManager
from pipeline.log import configure_logging
from pipeline.riot import RiotClient
from pipeline.riot.limiter import RateLimiter, Ticket
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from tests.sim_helpers import (
    TEST_KEY,
    config_after_upgrade,
    count,
    job_context,
    requests_seen,
    run_job,
    set_job_config,
    track,
)

WORLD = SimulatorConfig(seed=31, players=400, app_limit="200:1,5000:120")
PER_PLAYER = 2  # players a selection takes (discovered_players_per_run)
MATCHES = 4  # matches_per_player_per_run
# A player's requests at most: a profile (2), a page of ids (1), its matches.
MOST_PER_PLAYER = 2 + 1 + MATCHES


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="warning")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


def _discover(db_path: Path, sim: RunningSimulator, schedule: str, share: int) -> None:
    """Store a busy player's games, so that many players wait for the fetcher, and set the
    fetcher's budget: two players a selection, ``share`` % of the key, ``schedule``."""
    busiest = max((t for t in sim.truth() if not t["is_banned"]), key=lambda t: t["games"])
    track(db_path, [busiest["puuid"]])
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=10)
    assert run_job(job_context(db_path, sim), "TRACKED_PLAYER_UPDATER").status is JobStatus.SUCCESS
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        discovered_players_per_run=PER_PLAYER,
        matches_per_player_per_run=MATCHES,
        key_share_percent=share,
    )
    with Database(db_path).write() as con:
        con.execute(
            "UPDATE job_configurations SET schedule = ? WHERE job_type = 'MATCH_FETCHER'",
            [schedule],
        )
    assert _fetched(db_path) == 0
    assert count(db_path, "SELECT count(*) FROM players WHERE NOT is_tracked") > 40


def _fetched(db_path: Path) -> int:
    return count(db_path, "SELECT count(*) FROM players WHERE last_fetched_at IS NOT NULL")


def test_past_its_players_a_run_keeps_to_its_share_of_the_keys_rate_until_the_next_run(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A key of 40 requests a second, runs 10 s apart, a share of 25 %: 10 requests a second,
    a second's worth ahead at most. Past its two players the run goes on at that pace (the
    key would let it send four times as fast: its share, 100 requests, in under 3 s) and
    ends before the next run is due."""
    _discover(db_path, sim, "interval(seconds=10)", 25)
    with serve_in_thread(
        SimulatorConfig(seed=31, players=400, app_limit="40:1"), world=sim.world
    ) as keyed:
        outcome = run_job(job_context(db_path, keyed), "MATCH_FETCHER")
        sent = requests_seen(keyed)
    assert outcome.status is JobStatus.SUCCESS
    assert outcome.duration_s < 10
    assert 40 < sent <= 10 * (outcome.duration_s + 1) + 1
    assert _fetched(db_path) > 3 * PER_PLAYER


def test_a_stop_request_ends_a_wait_for_the_pace(db_path: Path, sim: RunningSimulator) -> None:
    """1 % of 40 requests a second, runs a minute apart: once its two players are fetched
    (about 14 requests) the run waits some 29 s for its pace (14 / 0.4 - 6) before it may
    select more. A stop request a second into that wait ends it and the run, its work done."""
    _discover(db_path, sim, "interval(seconds=60)", 1)
    with serve_in_thread(
        SimulatorConfig(seed=31, players=400, app_limit="40:1"), world=sim.world
    ) as keyed:
        context = job_context(db_path, keyed)
        stopper = threading.Timer(1.0, lambda: setattr(context, "stop_requested", True))

        def progress(stage: str, fields: dict[str, Any]) -> None:
            if fields["done"] == PER_PLAYER:
                stopper.start()

        context.progress = progress
        try:
            outcome = run_job(context, "MATCH_FETCHER")
        finally:
            stopper.cancel()
    assert outcome.status is JobStatus.SUCCESS
    assert outcome.duration_s < 15
    assert _fetched(db_path) == PER_PLAYER


IDS_PATH = re.compile(r"/lol/match/v5/matches/by-puuid/(?P<puuid>[^/]+)/ids$")


class BrokenHistory(httpx.AsyncBaseTransport):
    """Real HTTP to the simulator, except the history pages of the first player whose page
    is asked for: always 400, so that player's fetch fails (at once: a 503 would be retried
    for seconds) and nothing of it is stored."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.broken: str | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        found = IDS_PATH.search(request.url.path)
        if found and self.broken in (None, found["puuid"]):
            self.broken = found["puuid"]
            return httpx.Response(400, json={"status": {"status_code": 400, "message": "bad"}})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
        self.inner = httpx.AsyncHTTPTransport()


def test_a_player_whose_fetch_failed_does_not_shrink_the_next_selections(
    db_path: Path, sim: RunningSimulator
) -> None:
    """A failed fetch leaves the player at the front of the queue; a run that goes on leaves
    it out and still takes two new players a selection (the totals it reports grow by two)."""
    _discover(db_path, sim, "interval(seconds=10)", 50)
    totals: list[int] = []
    done: list[int] = []

    def progress(stage: str, fields: dict[str, Any]) -> None:
        totals.append(fields["total"])
        done.append(fields["done"])

    transport = BrokenHistory()
    with serve_in_thread(
        SimulatorConfig(seed=31, players=400, app_limit="40:1"), world=sim.world
    ) as keyed:
        context = job_context(
            db_path,
            keyed,
            riot_transport=transport,
            progress=progress,
        )
        assert run_job(context, "MATCH_FETCHER").status is JobStatus.SUCCESS
    assert transport.broken is not None
    selections = sorted(set(totals))
    assert len(selections) > 3
    assert {b - a for a, b in pairwise(selections)} == {PER_PLAYER}
    # All it tried but the broken player (the last selection may end part-way, in time
    # for the next run).
    assert _fetched(db_path) == done[-1] - 1


def test_a_run_without_a_key_share_stops_at_its_players(
    db_path: Path, sim: RunningSimulator
) -> None:
    _discover(db_path, sim, "interval(seconds=10)", 0)
    assert run_job(job_context(db_path, sim), "MATCH_FETCHER").status is JobStatus.SUCCESS
    assert _fetched(db_path) == PER_PLAYER


def test_a_run_stops_going_on_when_the_next_run_is_due(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Every request answered after 100-120 ms, runs a second apart: the first two players
    take at least 0.6 s (three requests one after another each, at least), so two more as
    long would end after the next run is due, however much of the key is left."""
    _discover(db_path, sim, "interval(seconds=1)", 100)
    with serve_in_thread(
        SimulatorConfig(seed=31, players=400, app_limit="200:1", latency_ms=(100.0, 120.0)),
        world=sim.world,
    ) as slow:
        outcome = run_job(job_context(db_path, slow), "MATCH_FETCHER")
        sent = requests_seen(slow)
    assert outcome.status is JobStatus.SUCCESS
    assert _fetched(db_path) == PER_PLAYER
    assert sent < 200  # the key's share (200 a second, 1 s) was far from spent


def _answered(limiter: RateLimiter, host: str, headers: dict[str, str]) -> None:
    ticket = limiter.try_acquire(host, "match-v5.getMatch")
    assert isinstance(ticket, Ticket)
    limiter.release(ticket, status_code=200, headers=headers)


def test_a_fetchs_requests_a_second_follow_the_tightest_known_host(db_path: Path) -> None:
    """The platform's host (profiles) and its region's (matches) each have an application
    limit; the tightest known counts, and nothing known gives no rate."""
    limiter = RateLimiter(clock=lambda: 0.0)
    client = RiotClient(TEST_KEY, "http://127.0.0.1:9/{route}", limiter=limiter)
    manager = RiotDataManager(client, Database(db_path))
    assert manager.fetch_requests_per_second(["euw1"]) is None
    _answered(limiter, "http://127.0.0.1:9/europe", {"X-App-Rate-Limit": "500:10"})
    assert manager.fetch_requests_per_second(["euw1"]) == pytest.approx(50.0)
    assert manager.fetch_requests_per_second(["na1"]) is None  # americas not asked yet
    _answered(limiter, "http://127.0.0.1:9/euw1", {"X-App-Rate-Limit": "20:1,100:120"})
    assert manager.fetch_requests_per_second(["euw1"]) == pytest.approx(100 / 120)
    _answered(limiter, "http://127.0.0.1:9/americas", {"X-App-Rate-Limit": "30:10"})
    assert manager.fetch_requests_per_second(["euw1", "na1"]) == pytest.approx(100 / 120)
    assert manager.fetch_requests_per_second(["na1"]) == pytest.approx(3.0)


@pytest.mark.parametrize(("before", "after"), [({}, 40), ({"key_share_percent": 5}, 5)])
def test_the_upgrade_seeds_the_fetchers_key_share_and_keeps_a_choice(
    db_path: Path, before: dict[str, Any], after: int
) -> None:
    """Migration 029: a MATCH_FETCHER configuration without key_share_percent gets 40; one
    that names it keeps its value."""
    config = {"discovered_players_per_run": 7, **before}
    applied, upgraded = config_after_upgrade(db_path, "MATCH_FETCHER", config, 29)
    assert applied == [29]
    assert upgraded == {"discovered_players_per_run": 7, "key_share_percent": after}
