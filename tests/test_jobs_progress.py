"""No lost work: what a job fetched is committed before a later step of the same player fails.

The jobs talk to the simulator over real HTTP; limits and failures are set where a player's
matches are already fetched and its profile (summoner-v4, league-v4) is still to come.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.jobs import JobStatus
from pipeline.jobs.data_manager import RiotDataManager
from pipeline.log import configure_logging
from pipeline.riot import ForbiddenError, RiotClient
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from tests.sim_helpers import count, job_context, run_job, set_job_config, track

SUMMONER_PATH = re.compile(r"/lol/summoner/v4/summoners/by-puuid/(?P<puuid>[^/]+)$")
# summoner-v4 answers once a minute: the second player's profile call waits past any budget.
SCARCE_PROFILES = SimulatorConfig(
    seed=23,
    players=80,
    history_days=14,
    method_limits={"summoner-v4.getByPUUID": "1:60"},
)
WORLD = SimulatorConfig(seed=23, players=80, history_days=14)
MATCHES_PER_PLAYER = 5


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="critical")


@pytest.fixture
def scarce_sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(SCARCE_PROFILES) as running:
        yield running


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


class BrokenProfiles(httpx.AsyncBaseTransport):
    """Real HTTP to the simulator, except summoner-v4 for ``puuid``: always 503."""

    def __init__(self, puuid: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.puuid = puuid
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        found = SUMMONER_PATH.search(request.url.path)
        if found and found["puuid"] == self.puuid:
            self.refused += 1
            return httpx.Response(503, json={"status": {"status_code": 503, "message": "down"}})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
        self.inner = httpx.AsyncHTTPTransport()


def active_players(sim: RunningSimulator, n: int) -> list[str]:
    ranked = sorted(
        (t for t in sim.truth() if not t["is_banned"] and t["games"] >= 3 * MATCHES_PER_PLAYER),
        key=lambda t: (-t["games"], t["puuid"]),
    )
    return [t["puuid"] for t in ranked[:n]]


def games_stored(db_path: Path, puuid: str) -> int:
    return count(db_path, "SELECT count(*) FROM match_participants WHERE puuid = ?", [puuid])


def matches_served(sim: RunningSimulator) -> int:
    """getMatch requests the simulator answered so far."""
    return int(sim.stats()["by_method"].get("match-v5.getMatch", 0))


def discover(db_path: Path, puuids: list[str]) -> None:
    """Players known from matches (not tracked): MATCH_FETCHER's to fetch."""
    with Database(db_path).write() as con:
        for puuid in puuids:
            con.execute("INSERT INTO players (puuid, platform) VALUES (?, 'euw1')", [puuid])


def test_updater_commits_fetched_matches_before_a_rate_limited_profile_call(
    db_path: Path, scarce_sim: RunningSimulator
) -> None:
    """The run ends RATE_LIMITED at the second profile, and every match it fetched is stored."""
    players = active_players(scarce_sim, 2)
    track(db_path, players)
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=MATCHES_PER_PLAYER)
    outcome = run_job(job_context(db_path, scarce_sim, max_wait_s=0.5), "TRACKED_PLAYER_UPDATER")
    assert outcome.status is JobStatus.RATE_LIMITED
    assert matches_served(scarce_sim) >= MATCHES_PER_PLAYER
    assert count(db_path, "SELECT count(*) FROM matches") == matches_served(scarce_sim)
    assert max(games_stored(db_path, p) for p in players) >= MATCHES_PER_PLAYER


def test_fetcher_commits_fetched_matches_before_a_rate_limited_profile_call(
    db_path: Path, scarce_sim: RunningSimulator
) -> None:
    """MATCH_FETCHER stores every match it fetched when the second profile call must wait."""
    players = active_players(scarce_sim, 2)
    discover(db_path, players)
    set_job_config(
        db_path,
        "MATCH_FETCHER",
        key_share_percent=0,
        discovered_players_per_run=2,
        matches_per_player_per_run=MATCHES_PER_PLAYER,
    )
    outcome = run_job(job_context(db_path, scarce_sim, max_wait_s=0.5), "MATCH_FETCHER")
    assert outcome.status is JobStatus.RATE_LIMITED
    assert matches_served(scarce_sim) >= MATCHES_PER_PLAYER
    assert count(db_path, "SELECT count(*) FROM matches") == matches_served(scarce_sim)
    assert count(db_path, "SELECT count(*) FROM players WHERE history_start_index = ?", [5]) >= 1


@pytest.mark.parametrize("job", ["TRACKED_PLAYER_UPDATER", "MATCH_FETCHER"])
def test_a_profile_failing_after_retries_costs_the_player_no_matches(
    db_path: Path, sim: RunningSimulator, job: str
) -> None:
    """summoner-v4 answering 503 through every retry leaves the player's matches stored."""
    [puuid] = active_players(sim, 1)
    if job == "TRACKED_PLAYER_UPDATER":
        track(db_path, [puuid])
        set_job_config(db_path, job, max_new_matches_per_player=MATCHES_PER_PLAYER)
    else:
        discover(db_path, [puuid])
        set_job_config(
            db_path, job, matches_per_player_per_run=MATCHES_PER_PLAYER, key_share_percent=0
        )
    transport = BrokenProfiles(puuid)
    served_before = matches_served(sim)
    outcome = run_job(job_context(db_path, sim, riot_transport=transport), job)
    assert transport.refused >= 2  # retried, then given up
    assert outcome.status is JobStatus.SUCCESS
    assert count(db_path, "SELECT count(*) FROM matches") == matches_served(sim) - served_before
    assert games_stored(db_path, puuid) == MATCHES_PER_PLAYER
    assert outcome.metrics["records_created"] > MATCHES_PER_PLAYER


KEYED = SimulatorConfig(seed=23, players=80, history_days=14, api_key="RGAPI-the-right-key-0000")


@pytest.fixture
def keyed_sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(KEYED) as running:
        yield running


def test_a_refused_key_stops_every_fetch_worker(db_path: Path, keyed_sim: RunningSimulator) -> None:
    """After a 403 in one worker, the batch ends with no worker left running or sending."""
    puuid = active_players(keyed_sim, 1)[0]
    match_ids = httpx.get(
        f"{keyed_sim.url}/europe/lol/match/v5/matches/by-puuid/{puuid}/ids",
        params={"count": 20},
        headers={"X-Riot-Token": KEYED.api_key or ""},
    ).json()

    async def fetch() -> tuple[list[asyncio.Task[Any]], int]:
        async with RiotClient("RGAPI-a-revoked-key-0000", keyed_sim.base_url) as client:
            manager = RiotDataManager(client, Database(db_path))
            with pytest.raises(ForbiddenError):
                await manager.fetch_matches(match_ids)
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            sent = keyed_sim.stats()["requests"]
            await asyncio.sleep(0.5)
            return left, keyed_sim.stats()["requests"] - sent

    left, sent_after = asyncio.run(fetch())
    assert left == []
    assert sent_after == 0


MATCH_PATH = re.compile(r"/lol/match/v5/matches/(?P<id>[A-Z0-9]+_\d+)$")


class OneBrokenMatch(httpx.AsyncBaseTransport):
    """Real HTTP to the simulator, except one match: always a payload with no participants."""

    def __init__(self, match_id: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.match_id = match_id
        self.served = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        found = MATCH_PATH.search(request.url.path)
        if not found or found["id"] != self.match_id:
            return response
        await response.aread()
        self.served += 1
        payload = json.loads(response.content)
        payload["info"]["participants"] = []
        return httpx.Response(200, headers=_kept(response.headers), json=payload)

    async def aclose(self) -> None:
        await self.inner.aclose()
        self.inner = httpx.AsyncHTTPTransport()


def _kept(headers: httpx.Headers) -> list[tuple[str, str]]:
    dropped = ("content-length", "content-encoding", "transfer-encoding", "content-type")
    return [(k, v) for k, v in headers.items() if k.lower() not in dropped]


@pytest.mark.parametrize("job", ["TRACKED_PLAYER_UPDATER", "MATCH_FETCHER"])
def test_a_malformed_match_is_recorded_as_rejected_and_the_player_moves_on(
    db_path: Path, sim: RunningSimulator, job: str
) -> None:
    """A match whose payload is always malformed is stored as rejected with why; the
    player's watermark or history page moves past it, and later runs do not ask again."""
    [puuid] = active_players(sim, 1)
    newest = httpx.get(
        f"{sim.url}/europe/lol/match/v5/matches/by-puuid/{puuid}/ids",
        params={"count": MATCHES_PER_PLAYER},
    ).json()
    broken = newest[2]
    if job == "TRACKED_PLAYER_UPDATER":
        track(db_path, [puuid])
        set_job_config(db_path, job, max_new_matches_per_player=MATCHES_PER_PLAYER)
    else:
        discover(db_path, [puuid])
        set_job_config(
            db_path, job, matches_per_player_per_run=MATCHES_PER_PLAYER, key_share_percent=0
        )
    transport = OneBrokenMatch(broken)
    context = job_context(db_path, sim, riot_transport=transport)
    assert run_job(context, job).status is JobStatus.SUCCESS
    assert run_job(context, job).status is JobStatus.SUCCESS
    assert transport.served == 1
    with Database(db_path).read() as con:
        rejected = con.execute(
            "SELECT match_id, reason FROM rejected_matches WHERE match_id = ?", [broken]
        ).fetchall()
        moved = con.execute(
            "SELECT update_watermark IS NOT NULL OR history_start_index > 0 FROM players"
            " WHERE puuid = ?",
            [puuid],
        ).fetchone()
    assert len(rejected) == 1 and "no participants" in rejected[0][1]
    assert moved == (True,)
    if job == "TRACKED_PLAYER_UPDATER":  # the fetcher goes on to older pages
        assert games_stored(db_path, puuid) == MATCHES_PER_PLAYER - 1


def test_a_rate_limited_batch_names_its_player_even_when_the_database_cannot_be_read(
    db_path: Path, tmp_path: Path
) -> None:
    """The run's message names the player by the stored Riot ID; a database that cannot be
    read at that moment leaves the puuid, and the run still ends rate limited (not failed)."""
    from pipeline.jobs.data_manager import MatchBatch
    from pipeline.jobs.errors import RateLimitSignal
    from pipeline.riot import RateLimitError

    with Database(db_path).write() as con:
        con.execute(
            "INSERT INTO players (puuid, game_name, tag_line, platform) "
            "VALUES ('p-named', 'Faker', 'KR1', 'kr')"
        )
    spent = RateLimitError("window spent", retry_after_s=2.0, limit_type="application")
    limited = MatchBatch(rate_limited=spent)

    async def message(database: Database, puuid: str) -> str:
        async with RiotClient("RGAPI-unused", "http://127.0.0.1:9/{route}") as client:
            manager = RiotDataManager(client, database)
            await manager.stop_if_rate_limited(MatchBatch(), "fetching", puuid)  # not limited
            with pytest.raises(RateLimitSignal) as stopped:
                await manager.stop_if_rate_limited(limited, "fetching", puuid)
            return str(stopped.value)

    assert asyncio.run(message(Database(db_path), "p-named")).startswith(
        "Rate limited while fetching Faker#KR1: window spent"
    )
    gone = Database(tmp_path / "moved-away.duckdb")
    assert asyncio.run(message(gone, "p-named")).startswith(
        "Rate limited while fetching p-named: window spent"
    )
