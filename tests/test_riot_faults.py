"""The client against a misbehaving simulator: 5xx, broken bodies, drops, timeouts, 429s."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from structlog.testing import capture_logs

from pipeline.riot import (
    RateLimiter,
    RateLimitError,
    RiotClient,
    RiotTransportError,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread

T = TypeVar("T")
MATCH_ID = "EUW1_1"  # nobody's: a healthy answer is a 404, which is never retried


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A simulator whose slow responses outlast a short client timeout."""
    config = SimulatorConfig(
        seed=3, players=30, app_limit="1000:1", method_limit="1000:1", slow_response_s=1.0
    )
    with serve_in_thread(config) as s:
        yield s


@pytest.fixture
def faulty(sim: RunningSimulator) -> Iterator[Callable[..., RunningSimulator]]:
    """Sets fault shares for one test and clears them afterwards."""

    def set_faults(**rates: float) -> RunningSimulator:
        sim.set_faults(**rates)
        return sim

    yield set_faults
    sim.set_faults(fault_rate=0, slow_rate=0, malformed_rate=0, drop_rate=0, service_429_rate=0)


def run(
    sim: RunningSimulator, call: Callable[[RiotClient], Awaitable[T]], **options: Any
) -> tuple[T | BaseException, dict[str, int], list[dict[str, Any]]]:
    """Run a call with a fresh client; return its result or error, counts and log events."""
    key = f"RGAPI-{uuid.uuid4()}"

    async def main() -> tuple[T | BaseException, dict[str, int]]:
        options.setdefault("backoff_base_s", 0.01)
        async with RiotClient(key, sim.base_url, **options) as client:
            try:
                outcome: T | BaseException = await call(client)
            except Exception as exc:
                outcome = exc
            return outcome, client.request_counts()

    with capture_logs() as events:
        outcome, counts = asyncio.run(main())
    for event in events:
        assert key not in repr(event)
    return outcome, counts, events


def test_server_errors_are_retried_then_reported(faulty: Callable[..., RunningSimulator]) -> None:
    """5xx answers are retried max_retries times, then raise ServiceUnavailableError."""
    outcome, counts, events = run(faulty(fault_rate=1.0), lambda c: c.get_match(MATCH_ID))
    assert isinstance(outcome, ServiceUnavailableError)
    assert outcome.status_code in (500, 502, 503, 504)
    assert sum(counts.values()) == 4
    assert [e["attempt"] for e in events if e["event"] == "riot.retry"] == [1, 2, 3]


def test_malformed_bodies_are_retried_then_reported(
    faulty: Callable[..., RunningSimulator],
) -> None:
    """A 200 whose body is not JSON is retried, then raises UnexpectedResponseError."""
    outcome, counts, _ = run(
        faulty(malformed_rate=1.0), lambda c: c.get_match(MATCH_ID), max_retries=1
    )
    assert isinstance(outcome, UnexpectedResponseError)
    assert counts == {"malformed_body": 2}  # counted apart: not an answer it could read


def test_dropped_connections_are_transport_errors(faulty: Callable[..., RunningSimulator]) -> None:
    """Connections dropped mid-response are retried, then raise RiotTransportError."""
    outcome, counts, _ = run(faulty(drop_rate=1.0), lambda c: c.get_match(MATCH_ID), max_retries=2)
    assert isinstance(outcome, RiotTransportError)
    assert counts == {"transport_error": 3}


def test_timeouts_are_transport_errors(faulty: Callable[..., RunningSimulator]) -> None:
    """Responses slower than timeout_s are abandoned, retried, then raise RiotTransportError."""
    outcome, counts, events = run(
        faulty(slow_rate=1.0), lambda c: c.get_match(MATCH_ID), max_retries=1, timeout_s=0.2
    )
    assert isinstance(outcome, RiotTransportError)
    assert "RIOT_API_BASE" in str(outcome)
    assert counts == {"transport_error": 2}
    assert [e["reason"] for e in events if e["event"] == "riot.retry"] == ["transport_error"]


def test_intermittent_faults_are_absorbed(faulty: Callable[..., RunningSimulator]) -> None:
    """With a share of faults, retries still bring every call to its real answer."""
    sim = faulty(fault_rate=0.3, drop_rate=0.1, malformed_rate=0.1)
    ids = [p["puuid"] for p in sim.truth() if not p["is_banned"]][:20]

    async def fetch(client: RiotClient) -> list[Any]:
        return await asyncio.gather(
            *(client.get_summoner_by_puuid(i, platform="euw1") for i in ids)
        )

    outcome, counts, _ = run(sim, fetch, max_retries=8)
    assert not isinstance(outcome, BaseException)
    assert [s["puuid"] for s in outcome] == ids
    assert sum(counts.values()) > len(ids)


def test_service_429_backs_off_then_reports(faulty: Callable[..., RunningSimulator]) -> None:
    """A 429 without Retry-After is retried with backoff, then raises RateLimitError."""
    outcome, counts, events = run(
        faulty(service_429_rate=1.0), lambda c: c.get_match(MATCH_ID), max_retries=2
    )
    assert isinstance(outcome, RateLimitError)
    assert (outcome.limit_type, outcome.status_code) == ("service", 429)
    assert counts == {"429": 3}
    limited = [e for e in events if e["event"] == "riot.rate_limited"]
    assert [(e["limit_type"], e["retry_after_s"]) for e in limited] == [("service", None)] * 3


def test_service_429_within_budget_raises_at_once(faulty: Callable[..., RunningSimulator]) -> None:
    """When the backoff after a 429 exceeds the call's wait budget, the call stops at once."""
    outcome, counts, _ = run(
        faulty(service_429_rate=1.0),
        lambda c: c.get_match(MATCH_ID, max_wait_s=0.0),
        backoff_base_s=5.0,
    )
    assert isinstance(outcome, RateLimitError)
    assert outcome.retry_after_s is not None and outcome.retry_after_s >= 2.5
    assert counts == {"429": 1}


def test_cancelled_call_frees_its_slot(faulty: Callable[..., RunningSimulator]) -> None:
    """A call cancelled while its request is in flight gives its rate-limit slot back."""
    sim = faulty(slow_rate=1.0)
    limiter = RateLimiter()
    app_bucket = limiter.bucket(sim.base_url.format(route="europe"))

    async def main() -> dict[str, int]:
        async with RiotClient(f"RGAPI-{uuid.uuid4()}", sim.base_url, limiter=limiter) as client:
            task = asyncio.create_task(client.get_match(MATCH_ID))
            while app_bucket.in_flight == 0:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return client.request_counts()

    assert asyncio.run(main()) == {"cancelled": 1}
    assert app_bucket.in_flight == 0
