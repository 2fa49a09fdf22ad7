"""Rate limits, service 429s, faults and traffic statistics of the simulator, over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pipeline.simulator import (
    RunningSimulator,
    SimulatorConfig,
    World,
    build_world,
    serve_in_thread,
)
from pipeline.simulator.config import RateWindow
from pipeline.simulator.ratelimit import Bucket


@pytest.fixture(scope="module")
def world() -> World:
    """A tiny world: these tests are about the server, not the data."""
    return build_world(SimulatorConfig(seed=1, players=60))


@pytest.fixture
def serve(world: World) -> Iterator[Any]:
    """Start a simulator with some settings; stops them all at the end of the test."""
    stack: list[Any] = []

    def start(**settings: Any) -> RunningSimulator:
        config = SimulatorConfig(seed=1, players=60, **settings)
        context = serve_in_thread(config, world=world)
        stack.append(context)
        return context.__enter__()

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


def _account_path(world: World, player: int = 0) -> str:
    return f"/europe/riot/account/v1/accounts/by-puuid/{world.players.puuid[player]}"


def _match_path(world: World) -> str:
    return f"/europe/lol/match/v5/matches/{world.match_id(0)}"


def test_every_answer_carries_limit_and_count_headers(serve: Any, world: World) -> None:
    """Each response names the limits and the counts so far, including this request."""
    sim = serve(app_limit="20:1,100:120", method_limit="50:10")
    with httpx.Client(base_url=sim.url) as http:
        first = http.get(_account_path(world))
        second = http.get("/europe/riot/account/v1/accounts/by-riot-id/No/Body")
    assert first.headers["X-App-Rate-Limit"] == "20:1,100:120"
    assert first.headers["X-App-Rate-Limit-Count"] == "1:1,1:120"
    assert first.headers["X-Method-Rate-Limit"] == "50:10"
    assert first.headers["X-Method-Rate-Limit-Count"] == "1:10"
    assert second.status_code == 404
    assert second.headers["X-App-Rate-Limit-Count"] == "2:1,2:120"
    assert second.headers["X-Method-Rate-Limit-Count"] == "1:10"  # another method


def test_application_limit_answers_429_and_counts_rejected_requests(
    serve: Any, world: World
) -> None:
    """Past the application limit: 429, Retry-After, type application; rejections still count."""
    sim = serve(app_limit="3:60", method_limit="100:60")
    with httpx.Client(base_url=sim.url) as http:
        statuses = [http.get(_account_path(world)).status_code for _ in range(3)]
        refused = http.get(_match_path(world))
        again = http.get(_match_path(world))
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json() == {"status": {"message": "Rate limit exceeded", "status_code": 429}}
    assert refused.headers["X-Rate-Limit-Type"] == "application"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-App-Rate-Limit-Count"] == "4:60"
    assert again.headers["X-App-Rate-Limit-Count"] == "5:60"


def test_method_limit_applies_per_method(serve: Any, world: World) -> None:
    """A method over its own limit gets a method 429 while other methods still answer."""
    sim = serve(app_limit="100:60", method_limits={"match-v5.getMatch": "2:60"})
    with httpx.Client(base_url=sim.url) as http:
        matches = [http.get(_match_path(world)) for _ in range(3)]
        account = http.get(_account_path(world))
    assert [r.status_code for r in matches] == [200, 200, 429]
    assert matches[2].headers["X-Rate-Limit-Type"] == "method"
    assert matches[2].headers["X-Method-Rate-Limit"] == "2:60"
    assert account.status_code == 200
    assert account.headers["X-Method-Rate-Limit"] == "2000:10"


def test_limits_are_per_key_and_per_route_host(serve: Any, world: World) -> None:
    """Another API key, or another route host, has buckets of its own."""
    sim = serve(app_limit="1:60")
    path = _account_path(world)
    with httpx.Client(base_url=sim.url) as http:
        assert http.get(path, headers={"X-Riot-Token": "key-a"}).status_code == 200
        assert http.get(path, headers={"X-Riot-Token": "key-a"}).status_code == 429
        assert http.get(path, headers={"X-Riot-Token": "key-b"}).status_code == 200
        other_host = path.replace("/europe/", "/americas/")
        assert http.get(other_host, headers={"X-Riot-Token": "key-a"}).status_code == 200


def test_window_resets_after_its_length(serve: Any, world: World) -> None:
    """Once a window's time is up, its count starts again and requests succeed."""
    sim = serve(app_limit="1:1")
    with httpx.Client(base_url=sim.url) as http:
        assert http.get(_account_path(world)).status_code == 200
        refused = http.get(_account_path(world))
        assert refused.status_code == 429
        time.sleep(float(refused.headers["Retry-After"]) + 0.05)
        assert http.get(_account_path(world)).status_code == 200


def test_service_429_has_no_retry_after(serve: Any, world: World) -> None:
    """A service 429 says type service and carries no Retry-After."""
    sim = serve(service_429_rate=1.0)
    response = httpx.get(sim.url + _account_path(world))
    assert response.status_code == 429
    assert response.headers["X-Rate-Limit-Type"] == "service"
    assert "Retry-After" not in response.headers


def test_server_errors_have_riot_bodies(serve: Any, world: World) -> None:
    """An injected fault is a 5xx with Riot's error body."""
    sim = serve(fault_rate=1.0)
    response = httpx.get(sim.url + _account_path(world))
    assert response.status_code in (500, 502, 503, 504)
    assert response.json()["status"]["status_code"] == response.status_code


def test_malformed_bodies_are_not_json(serve: Any, world: World) -> None:
    """A malformed answer is a 200 whose body does not parse as JSON."""
    sim = serve(malformed_rate=1.0)
    response = httpx.get(sim.url + _match_path(world))
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_dropped_connections_break_the_transfer(serve: Any, world: World) -> None:
    """A dropped connection ends the response before its body is complete."""
    sim = serve(drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        httpx.get(sim.url + _match_path(world))


def test_slow_answers_outlast_a_client_timeout(serve: Any, world: World) -> None:
    """A slow answer takes longer than a client willing to wait a fraction of it."""
    sim = serve(slow_rate=1.0, slow_response_s=1.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(sim.url + _account_path(world), timeout=0.2)


def test_faults_can_be_changed_while_running(serve: Any, world: World) -> None:
    """POST /__sim/faults switches faults on and off; unknown names are refused."""
    sim = serve()
    assert httpx.get(sim.url + _account_path(world)).status_code == 200
    sim.set_faults(fault_rate=1.0)
    assert httpx.get(sim.url + _account_path(world)).status_code >= 500
    sim.set_faults(fault_rate=0.0)
    assert httpx.get(sim.url + _account_path(world)).status_code == 200
    assert httpx.post(sim.url + "/__sim/faults", json={"meteor_rate": 1}).status_code == 400
    assert httpx.post(sim.url + "/__sim/faults", json={"fault_rate": 2}).status_code == 400


@pytest.mark.parametrize("body", [b"fault_rate=1", b"", b"\xff\xfe", b"[1]", b"null", b"0.5"])
def test_a_faults_body_that_is_not_a_json_object_is_a_bad_request(
    serve: Any, world: World, body: bytes
) -> None:
    """POST /__sim/faults with a body that is not JSON, or not an object, is a 400 saying
    what to send, as a bad rate inside one is, and changes nothing."""
    sim = serve()
    answer = httpx.post(
        sim.url + "/__sim/faults", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert "send a JSON object with some of: fault_rate" in answer.json()["status"]["message"]
    assert sim.set_faults() == dict.fromkeys(sim.set_faults(), 0.0)


def test_stats_count_requests_429s_and_highest_counts(serve: Any, world: World) -> None:
    """/__sim/stats counts by route, method and status, 429s by type, and peak window counts."""
    sim = serve(app_limit="2:60")
    with httpx.Client(base_url=sim.url) as http:
        for _ in range(3):
            http.get(_account_path(world))
    stats = sim.stats()
    assert stats["by_route"] == {"europe": 3}
    assert stats["by_method"] == {"account-v1.getByPuuid": 3}
    assert stats["by_status"] == {"200": 2, "429": 1}
    assert stats["rate_limited"] == {"application": 1, "method": 0, "service": 0}
    assert stats["highest_counts"]["application:2:60"] == {"limit": 2, "highest_count": 3}


def test_control_endpoints_are_exempt_from_limits(serve: Any, world: World) -> None:
    """/__sim endpoints never count against the API limits."""
    sim = serve(app_limit="1:60")
    for _ in range(5):
        sim.stats()
    assert httpx.get(sim.url + _account_path(world)).status_code == 200


@pytest.mark.parametrize(
    ("windows", "times", "expected_counts", "exceeded"),
    [
        ((RateWindow(2, 1),), [0.0, 0.1, 0.2], [(1,), (2,), (3,)], [False, False, True]),
        ((RateWindow(2, 1),), [0.0, 0.5, 1.0], [(1,), (2,), (1,)], [False, False, False]),
        ((RateWindow(2, 1), RateWindow(3, 10)), [0.0, 1.5, 3.0, 4.0],
         [(1, 1), (1, 2), (1, 3), (1, 4)], [False, False, False, True]),
        ((RateWindow(2, 1), RateWindow(3, 10)), [0.0, 10.0, 10.5, 10.7],
         [(1, 1), (1, 1), (2, 2), (3, 3)], [False, False, False, True]),
    ],
)  # fmt: skip
def test_bucket_window_arithmetic(
    windows: tuple[RateWindow, ...],
    times: list[float],
    expected_counts: list[tuple[int, ...]],
    exceeded: list[bool],
) -> None:
    """Fixed windows open at their first request and reset when their length has passed."""
    bucket = Bucket(windows)
    results = [bucket.hit(t) for t in times]
    assert [r.counts for r in results] == expected_counts
    assert [r.exceeded for r in results] == exceeded


@pytest.mark.parametrize("rate", ["0.5", True, None, [0.5]])
def test_a_fault_share_that_is_not_a_json_number_is_a_bad_request(
    serve: Any, world: World, rate: Any
) -> None:
    """A share given as text, true or null is refused with a 400 naming it, and changes
    nothing (it was read as 0.5 or 1.0: faults switched on that were never asked for)."""
    sim = serve()
    answer = httpx.post(sim.url + "/__sim/faults", json={"fault_rate": rate})
    assert answer.status_code == 400
    assert "fault_rate must be a share between 0 and 1" in answer.json()["status"]["message"]
    assert httpx.get(sim.url + _account_path(world)).status_code == 200


@pytest.mark.parametrize("delay_s", [-3.0, float("nan"), float("inf")])
def test_a_slow_answer_delay_that_is_not_a_time_is_refused(delay_s: float) -> None:
    """`--slow-s -3` (or NaN) was accepted and made slow answers quick: refused in words."""
    from pipeline.simulator import SimulatorConfig
    from pipeline.simulator.errors import SimulatorConfigError

    with pytest.raises(SimulatorConfigError, match="delay of a slow answer"):
        SimulatorConfig(players=20, slow_rate=0.5, slow_response_s=delay_s)
