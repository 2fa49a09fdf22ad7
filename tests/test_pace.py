"""A client's pace spreads its requests: at most a rate on average since it opened, a burst
ahead of it (``pipeline.riot.pace``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from pipeline.riot import RiotClient
from pipeline.riot.pace import Pace
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from tests.sim_helpers import TEST_KEY


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_pace_lets_its_burst_go_at_once_then_spaces_the_rest() -> None:
    """10 a second, a second ahead: 11 requests at once (the 11th is due at the start), then
    one every 0.1 s; time passing frees the slots it covers."""
    clock = Clock()
    pace = Pace(10.0, burst_s=1.0, started_at=clock.now, clock=clock)
    assert [pace.reserve() for _ in range(11)] == [0.0] * 11
    assert pace.reserve() == pytest.approx(0.1)
    assert pace.reserve() == pytest.approx(0.2)
    clock.now += 0.2
    assert pace.wait_s() == pytest.approx(0.1)  # reserved, not taken again
    clock.now += 5.0  # 5 s more: 50 slots more, counted from the start
    assert [pace.reserve() for _ in range(50)] == pytest.approx([0.0] * 50)
    assert pace.reserve() == pytest.approx(0.1)


def test_requests_sent_before_the_pace_and_outside_it_count() -> None:
    """A run paced part-way counts what it sent before from its start; requests sent without
    a slot (a retry) push the next slot later."""
    clock = Clock()
    pace = Pace(4.0, burst_s=0.0, started_at=clock.now - 10.0, already_sent=60, clock=clock)
    assert pace.wait_s() == pytest.approx(5.0)  # 60 requests are 15 s at 4 a second
    assert pace.wait_s(sent=80) == pytest.approx(10.0)
    assert pace.reserve(sent=80) == pytest.approx(10.0)
    assert pace.reserved == 81


@pytest.mark.parametrize(
    ("rate", "burst_s"), [(0.0, 1.0), (-1.0, 1.0), (float("inf"), 1.0), (1.0, -1.0)]
)
def test_a_pace_refuses_a_rate_or_burst_that_means_nothing(rate: float, burst_s: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        Pace(rate, burst_s=burst_s, started_at=0.0)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(SimulatorConfig(seed=5, players=50, app_limit="500:1")) as running:
        yield running


def test_a_paced_client_spreads_its_calls_over_real_http(sim: RunningSimulator) -> None:
    """20 calls at 20 a second, a quarter of a second ahead: the last cannot be sent before
    0.7 s have passed (19 / 20 - 0.25), where the key alone would let all 20 go at once."""
    puuid = next(t["puuid"] for t in sim.truth() if not t["is_banned"])

    async def calls() -> tuple[float, float]:
        client = RiotClient(TEST_KEY, sim.base_url)
        async with client:
            opened = time.monotonic()
            client.pace(20.0, burst_s=0.25)
            await client.get_summoner_by_puuid(puuid, platform="euw1")
            await asyncio.gather(
                *(client.get_summoner_by_puuid(puuid, platform="euw1") for _ in range(19))
            )
            assert client.requests_sent == 20
            return time.monotonic() - opened, client.pace_wait_s()

    took_s, wait_s = asyncio.run(calls())
    assert took_s >= 0.7
    assert wait_s <= 0.05 + 1e-9  # the 21st: due at 20 / 20 - 0.25 s, 0.75 s


def test_calls_stop_waiting_for_the_pace_once_pacing_is_stopped(sim: RunningSimulator) -> None:
    """Ten calls at 2 a second would take 4.5 s; pacing stopped half a second in (a job asked
    to stop), the calls left go at once (the key's own limits still hold them)."""
    puuid = next(t["puuid"] for t in sim.truth() if not t["is_banned"])
    stopped_at: list[float] = []

    async def calls() -> float:
        client = RiotClient(TEST_KEY, sim.base_url)
        async with client:
            opened = time.monotonic()
            client.pace(2.0, burst_s=0.0, stop_pacing=lambda: bool(stopped_at))
            asyncio.get_running_loop().call_later(0.5, stopped_at.append, 0.5)
            for _ in range(10):
                await client.get_summoner_by_puuid(puuid, platform="euw1")
            return time.monotonic() - opened

    took_s = asyncio.run(calls())
    assert stopped_at
    assert took_s < 3.0


@pytest.mark.parametrize(("stopped", "least_s", "most_s"), [(False, 1.9, 4.0), (True, 0.0, 1.0)])
def test_a_wait_for_the_pace_between_units_holds_until_the_next_slot_or_a_stop(
    sim: RunningSimulator, stopped: bool, least_s: float, most_s: float
) -> None:
    """Four requests at 2 a second, none ahead, the last sent 1.5 s after the client opened:
    a job waiting for the pace between two units waits until the fifth is due, 2 s after;
    pacing stopped, none of it waits."""
    puuid = next(t["puuid"] for t in sim.truth() if not t["is_banned"])

    async def wait_after_four() -> float:
        client = RiotClient(TEST_KEY, sim.base_url)
        async with client:
            opened = time.monotonic()
            client.pace(2.0, burst_s=0.0, stop_pacing=lambda: stopped)
            for _ in range(4):
                await client.get_summoner_by_puuid(puuid, platform="euw1")
            await client.wait_for_pace()
            assert stopped or client.pace_wait_s() == 0
            return time.monotonic() - opened

    took_s = asyncio.run(wait_after_four())
    assert least_s <= took_s < most_s
