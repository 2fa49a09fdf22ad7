"""The client against a misbehaving simulator: 5xx, broken bodies, drops, timeouts, 429s."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from structlog.testing import capture_logs

from pipeline.riot import (
    NotFoundError,
    RateLimiter,
    RateLimitError,
    RiotClient,
    RiotTransportError,
    RiotUnavailableError,
    ServiceUnavailableError,
    UnconfirmedNotFoundError,
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
    base_url = options.pop("base_url", sim.base_url)

    async def main() -> tuple[T | BaseException, dict[str, int]]:
        options.setdefault("backoff_base_s", 0.01)
        async with RiotClient(key, base_url, **options) as client:
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


def errors_of(*calls: Callable[[RiotClient], Awaitable[Any]]) -> Callable[..., Any]:
    """A call for ``run``: each of ``calls`` in turn, returning the name of what each raised
    ("ok" when it answered) and the requests sent before the last one."""

    async def in_turn(client: RiotClient) -> tuple[list[str], int]:
        names: list[str] = []
        sent_before_last = 0
        for call in calls:
            sent_before_last = client.requests_sent
            try:
                await call(client)
                names.append("ok")
            except Exception as exc:
                names.append(type(exc).__name__)
        return names, sent_before_last

    return in_turn


def test_a_job_client_stops_calling_an_api_that_keeps_failing(
    faulty: Callable[..., RunningSimulator],
) -> None:
    """give_up_after_failed_calls=3: the third call in a row to fail after its retries raises
    RiotUnavailableError, and so does every later one, without sending anything."""
    match = lambda c: c.get_match(MATCH_ID)  # noqa: E731
    outcome, counts, _ = run(
        faulty(fault_rate=1.0),
        errors_of(match, match, match, match),
        max_retries=1,
        give_up_after_failed_calls=3,
    )
    assert not isinstance(outcome, BaseException)
    names, sent_before_last = outcome
    assert names == [
        "ServiceUnavailableError",
        "ServiceUnavailableError",
        "RiotUnavailableError",
        "RiotUnavailableError",
    ]
    assert sent_before_last == sum(counts.values()) == 6  # 3 calls, 2 attempts each
    unguarded, _, _ = run(faulty(fault_rate=1.0), errors_of(match, match, match), max_retries=0)
    assert not isinstance(unguarded, BaseException)
    assert unguarded[0] == ["ServiceUnavailableError"] * 3


def test_an_answer_between_failures_restarts_the_count(sim: RunningSimulator) -> None:
    """Two failed calls, an answer (a 404 is one), two failed calls: never three in a row."""

    async def failing(client: RiotClient) -> None:
        sim.set_faults(fault_rate=1.0)
        try:
            await client.get_match(MATCH_ID)
        finally:
            sim.set_faults(fault_rate=0)

    def answered(client: RiotClient) -> Awaitable[Any]:
        return client.get_match(MATCH_ID)

    outcome, _, _ = run(
        sim,
        errors_of(failing, failing, answered, failing, failing),
        max_retries=0,
        give_up_after_failed_calls=3,
    )
    assert not isinstance(outcome, BaseException)
    assert outcome[0] == [
        "ServiceUnavailableError",
        "ServiceUnavailableError",
        "NotFoundError",
        "ServiceUnavailableError",
        "ServiceUnavailableError",
    ]


def test_a_404_is_doubted_until_the_base_url_is_known_to_reach_the_api(
    sim: RunningSimulator,
) -> None:
    """Behind a wrong path every answer is 404: a job's client (doubt_early_not_found) does
    not take it for "gone" until a request succeeded, or the stored match it knows is served
    (asked once). A person's client keeps the plain 404."""
    player = sim.truth()[0]
    served = run(sim, lambda c: c.get_match_ids(player["puuid"], platform=player["platform"]))[0]
    assert isinstance(served, list) and served
    known = str(served[0])
    nobody = "Q" * len(player["puuid"])  # shaped like a puuid, nobody's

    def gone(client: RiotClient) -> Awaitable[Any]:
        return client.get_account_by_puuid(nobody, platform="euw1")

    def listed(client: RiotClient) -> Awaitable[Any]:
        return client.get_match_ids(player["puuid"], platform=player["platform"], count=1)

    plain, _, _ = run(sim, errors_of(gone))
    doubted, _, _ = run(sim, errors_of(gone), doubt_early_not_found=True)
    after_success, _, _ = run(sim, errors_of(listed, gone), doubt_early_not_found=True)
    confirmed, confirmed_counts, _ = run(
        sim, errors_of(gone, gone), doubt_early_not_found=True, find_known_match_id=lambda: known
    )
    wrong_base = sim.base_url.replace("{route}", "oops/{route}")
    behind_typo, typo_counts, _ = run(
        sim,
        errors_of(gone, listed),
        base_url=wrong_base,
        doubt_early_not_found=True,
        find_known_match_id=lambda: known,
    )
    assert plain == (["NotFoundError"], 0)
    assert doubted == (["UnconfirmedNotFoundError"], 0)
    assert after_success[0] == ["ok", "NotFoundError"]
    assert confirmed[0] == ["NotFoundError", "NotFoundError"]
    assert confirmed_counts == {"200": 1, "404": 2}  # the known match, asked once
    assert behind_typo[0] == ["UnconfirmedNotFoundError", "UnconfirmedNotFoundError"]
    assert typo_counts == {"404": 3}  # the probe is not asked again
    assert issubclass(UnconfirmedNotFoundError, UnexpectedResponseError)
    assert not issubclass(UnconfirmedNotFoundError, NotFoundError)
    assert RiotUnavailableError.stops_the_run and not NotFoundError.stops_the_run
