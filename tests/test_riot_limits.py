"""Rate limiting against the simulator's Riot-style limits, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from pipeline.riot import RateLimiter, RateLimitError, RiotClient
from pipeline.simulator import (
    RunningSimulator,
    SimulatorConfig,
    World,
    build_world,
    serve_in_thread,
)

SEED, PLAYERS = 5, 60
SUMMONER = "summoner-v4.getByPUUID"


@pytest.fixture(scope="module")
def world() -> World:
    """One simulated world shared by this module's servers."""
    return build_world(SimulatorConfig(seed=SEED, players=PLAYERS))


@pytest.fixture(scope="module")
def puuids(world: World) -> list[str]:
    """Players every endpoint answers for (not banned)."""
    with serve_in_thread(SimulatorConfig(seed=SEED, players=PLAYERS), world=world) as sim:
        return [p["puuid"] for p in sim.truth() if not p["is_banned"]]


def serve(world: World, **limits: Any) -> Any:
    """A simulator of the shared world with the given limits."""
    return serve_in_thread(SimulatorConfig(seed=SEED, players=PLAYERS, **limits), world=world)


@pytest.fixture
def tight_app(world: World) -> Iterator[RunningSimulator]:
    """A simulator whose application limit is 4 requests per 2 s."""
    with serve(world, app_limit="4:2", method_limit="1000:1") as sim:
        yield sim


async def fill_window(sim: RunningSimulator, key: str, puuids: list[str], n: int) -> None:
    """Use up n requests of the key's windows from another "process" (its own limiter)."""
    async with RiotClient(key, sim.base_url, limiter=RateLimiter()) as other:
        for puuid in puuids[:n]:
            await other.get_summoner_by_puuid(puuid, platform="euw1")


def test_application_429_honours_retry_after(
    tight_app: RunningSimulator, puuids: list[str]
) -> None:
    """A 429 for the application limit waits Retry-After, then the retry succeeds."""
    key = f"RGAPI-{uuid.uuid4()}"

    async def main() -> tuple[Any, dict[str, int]]:
        await fill_window(tight_app, key, puuids, 4)
        limiter = RateLimiter(initial_in_flight=1)
        async with RiotClient(key, tight_app.base_url, limiter=limiter) as client:
            summoner = await client.get_summoner_by_puuid(puuids[5], platform="euw1")
            return summoner, client.request_counts()

    with capture_logs() as events:
        summoner, counts = asyncio.run(main())
    assert summoner["puuid"] == puuids[5]
    assert counts == {"429": 1, "200": 1}
    limited = [e for e in events if e["event"] == "riot.rate_limited"]
    assert [(e["limit_type"], e["method"]) for e in limited] == [("application", SUMMONER)]
    assert limited[0]["retry_after_s"] >= 1


def test_method_429_blocks_only_that_method(world: World, puuids: list[str]) -> None:
    """A 429 for a method limit blocks that method; other methods on the host carry on."""
    key = f"RGAPI-{uuid.uuid4()}"
    limiter = RateLimiter(initial_in_flight=1)

    async def main(sim: RunningSimulator) -> tuple[dict[str, int], dict[str, int]]:
        await fill_window(sim, key, puuids, 3)
        async with RiotClient(key, sim.base_url, limiter=limiter, max_wait_s=0.5) as client:
            with pytest.raises(RateLimitError) as caught:
                await client.get_summoner_by_puuid(puuids[5], platform="euw1")
            assert (caught.value.limit_type, caught.value.method) == ("method", SUMMONER)
            await client.get_league_entries_by_puuid(puuids[5], platform="euw1")
            return client.request_counts(), sim.stats()["rate_limited"]

    with serve(world, app_limit="1000:1", method_limits={SUMMONER: "3:2"}) as sim:
        counts, rate_limited = asyncio.run(main(sim))
    assert counts == {"429": 1, "200": 1}
    assert rate_limited == {"application": 0, "method": 1, "service": 0}


def test_429_beyond_the_wait_budget_raises_at_once(
    tight_app: RunningSimulator, puuids: list[str]
) -> None:
    """When Retry-After exceeds the call's budget, RateLimitError carries the wait needed."""
    key = f"RGAPI-{uuid.uuid4()}"

    async def main() -> dict[str, int]:
        await fill_window(tight_app, key, puuids, 4)
        async with RiotClient(key, tight_app.base_url, limiter=RateLimiter()) as client:
            with pytest.raises(RateLimitError) as caught:
                await client.get_summoner_by_puuid(puuids[5], platform="euw1", max_wait_s=0.5)
            assert caught.value.limit_type == "application"
            assert caught.value.retry_after_s is not None and caught.value.retry_after_s >= 1
            assert caught.value.status_code == 429
            return client.request_counts()

    assert asyncio.run(main()) == {"429": 1}


def test_proactive_wait_beyond_budget_raises_without_sending(
    world: World, puuids: list[str]
) -> None:
    """A full window and a short budget raise RateLimitError before any 429 is provoked."""

    async def main(sim: RunningSimulator) -> dict[str, int]:
        async with RiotClient(f"RGAPI-{uuid.uuid4()}", sim.base_url, max_wait_s=1.0) as client:
            for puuid in puuids[:3]:
                await client.get_summoner_by_puuid(puuid, platform="euw1")
            with pytest.raises(RateLimitError) as caught:
                await client.get_summoner_by_puuid(puuids[3], platform="euw1")
            assert caught.value.status_code is None
            assert caught.value.retry_after_s is not None and caught.value.retry_after_s > 5
            return client.request_counts()

    with serve(world, app_limit="3:10", method_limit="1000:1") as sim:
        assert asyncio.run(main(sim)) == {"200": 3}


def test_callers_beyond_a_window_wait_their_turn(world: World, puuids: list[str]) -> None:
    """Three windows' worth of concurrent callers all get through, none refused."""

    async def main(sim: RunningSimulator) -> tuple[int, dict[str, int]]:
        async with RiotClient(f"RGAPI-{uuid.uuid4()}", sim.base_url) as client:
            calls = [client.get_summoner_by_puuid(p, platform="euw1") for p in puuids[:24]]
            return len(await asyncio.gather(*calls)), client.request_counts()

    with serve(world, app_limit="8:1", method_limit="1000:1") as sim:
        done, counts = asyncio.run(main(sim))
        stats = sim.stats()
    assert (done, counts) == (24, {"200": 24})
    assert stats["highest_counts"]["application:8:1"]["highest_count"] <= 8


@pytest.mark.slow
def test_many_concurrent_requests_never_exceed_a_window(world: World, puuids: list[str]) -> None:
    """300 concurrent calls over two hosts and three methods draw no 429 and fit every window."""
    targets = (puuids * 10)[:100]

    async def main(sim: RunningSimulator) -> tuple[list[Any], dict[str, int]]:
        async with RiotClient(f"RGAPI-{uuid.uuid4()}", sim.base_url) as client:
            calls = [client.get_summoner_by_puuid(p, platform="euw1") for p in targets]
            calls += [client.get_league_entries_by_puuid(p, platform="euw1") for p in targets]
            calls += [client.get_account_by_puuid(p, platform="euw1") for p in targets]
            return await asyncio.gather(*calls), client.request_counts()

    limits = {"app_limit": "30:1,80:3", "method_limits": {SUMMONER: "12:1"}}
    with serve(world, method_limit="1000:1", **limits) as sim:
        results, counts = asyncio.run(main(sim))
        stats = sim.stats()
    assert len(results) == 300
    assert counts == {"200": 300}
    assert stats["rate_limited"] == {"application": 0, "method": 0, "service": 0}
    windows = stats["highest_counts"]
    assert {"application:30:1", "application:80:3", f"method:{SUMMONER}:12:1"} <= set(windows)
    assert all(w["highest_count"] <= w["limit"] for w in windows.values())


def test_api_key_never_reaches_logs_errors_or_reprs(
    world: World, puuids: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The key is sent (the server accepts it) but appears in no log, error or repr."""
    key = "RGAPI-0123456789abcdef-secret-key"
    caplog.set_level(logging.DEBUG)

    async def main(sim: RunningSimulator) -> list[str]:
        seen: list[str] = []
        limiter = RateLimiter(initial_in_flight=1)
        await fill_window(sim, key, puuids, 4)
        async with RiotClient(key, sim.base_url, limiter=limiter, max_wait_s=0.1) as client:
            seen += [repr(client), repr(limiter)]
            for call in (
                client.get_summoner_by_puuid(puuids[5], platform="euw1"),  # 429
                client.get_match("EUW1_1"),  # budget exceeded before sending
            ):
                try:
                    await call
                except Exception as exc:
                    seen += [str(exc), repr(exc), repr(exc.__dict__)]
            seen.append(repr(client.request_counts()))
        return seen

    with capture_logs() as events, serve(world, app_limit="4:2", api_key=key) as sim:
        seen = asyncio.run(main(sim))
        accepted = sim.stats()["by_status"].get("200", 0)
    assert accepted == 4  # the key was sent, and right
    assert any(e["event"] == "riot.rate_limited" for e in events)
    for text in [*seen, *(repr(e) for e in events), caplog.text]:
        assert key not in text


def test_a_new_process_learns_a_used_window_from_one_request(
    tight_app: RunningSimulator, puuids: list[str]
) -> None:
    """With the key's window already used elsewhere, 16 calls at once draw a single 429."""
    key = f"RGAPI-{uuid.uuid4()}"

    async def main() -> dict[str, int]:
        await fill_window(tight_app, key, puuids, 4)
        async with RiotClient(key, tight_app.base_url, limiter=RateLimiter()) as client:
            calls = [
                client.get_summoner_by_puuid(puuid, platform="euw1", max_wait_s=0.2)
                for puuid in puuids[4:20]
            ]
            results = await asyncio.gather(*calls, return_exceptions=True)
            assert all(isinstance(r, RateLimitError) for r in results)
            return client.request_counts()

    assert asyncio.run(main()) == {"429": 1}


@pytest.mark.parametrize(
    ("needed", "says"),
    [
        (7.7, "needs a wait of 7.7 s, more than the 2.0 s allowed"),
        (2.04, "needs a wait of 2.04 s, more than the 2.00 s allowed"),
        (2.004, "needs a wait of 2.004 s, more than the 2.000 s allowed"),
    ],
)
def test_a_wait_over_the_budget_never_reads_as_equal_to_it(needed: float, says: str) -> None:
    """The refusal shows as many decimals (up to three) as the wait needs to differ from
    the budget: "2.0 s, more than the 2.0 s allowed" reads as a contradiction."""
    from pipeline.riot.limiter import _budget_error, _Wait

    error = _budget_error(_Wait(needed, "application"), "match-v5.getMatch", 2.0)
    assert says in str(error)
    # No setting lets a job's user lengthen the wait, so the message does not ask for one;
    # nor does it say to try again: a scheduled job's next run goes on by itself (the jobs'
    # commands say so beside a RATE_LIMITED run).
    assert str(error).endswith(" allowed.")
    assert "try again" not in str(error)


def test_a_refusal_names_the_bucket_that_is_full() -> None:
    """The application limit covers every method of the key, so its refusal does not read
    as a limit of the method that waited; a method limit's names its method."""
    from pipeline.riot.limiter import _budget_error, _Wait

    app = str(_budget_error(_Wait(9.0, "application"), "league-v4.getLeagueEntries", 2.0))
    assert app.startswith("The application rate limit (every method; next: league-v4.")
    method = str(_budget_error(_Wait(9.0, "method"), "league-v4.getLeagueEntries", 2.0))
    assert method.startswith("The method rate limit of league-v4.getLeagueEntries needs")


def test_a_refusal_names_the_limit_that_makes_the_caller_wait() -> None:
    """A caller first held by a method limit, but whose turn in line the application limit
    puts further off, is refused naming the application limit (the one to raise)."""
    from pipeline.riot.limiter import _Wait

    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0], margin_s=0.0)
    host, method = "europe", "match-v5.getMatch"
    for used in (1, 2):
        ticket = limiter.try_acquire(host, method)
        assert not isinstance(ticket, _Wait)
        limiter.release(
            ticket,
            status_code=200,
            headers={
                "X-App-Rate-Limit": "3:100",
                "X-App-Rate-Limit-Count": f"{used}:100",
                "X-Method-Rate-Limit": "2:10",
                "X-Method-Rate-Limit-Count": f"{used}:10",
            },
        )
    held = limiter.try_acquire(host, method)
    assert isinstance(held, _Wait) and held.limit_type == "method"  # 2 per 10 s used up
    limiter.bucket(host).line.append(-1)  # another caller waits ahead for the app's last slot
    with pytest.raises(RateLimitError) as caught:
        asyncio.run(limiter.acquire(host, method, max_wait_s=30.0))
    assert caught.value.limit_type == "application"
    assert str(caught.value).startswith("The application rate limit")
