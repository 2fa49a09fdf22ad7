"""Surprises from the API: answers that change or grow without notice.

The jobs talk to the simulator over real HTTP through a transport that edits some answers
on the way back, as Riot's API does now and then: a listed match that is gone (404), a match
in a queue and mode nobody knows, fields nobody documented, an unranked (empty) league
answer and league entries of an unknown queue. A renamed player comes from the world itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.jobs import JobStatus
from pipeline.log import configure_logging
from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.store import Database
from tests.sim_helpers import count, job_context, run_job, set_job_config, track

WORLD = SimulatorConfig(seed=71, players=60, history_days=21)
MATCH_PATH = re.compile(r"/lol/match/v5/matches/(?P<id>[A-Z0-9]+_(?P<n>\d+))$")
LEAGUE_PATH = re.compile(r"/lol/league/v4/entries/by-puuid/(?P<puuid>[^/]+)$")
UNKNOWN_QUEUE = 9999
UNKNOWN_MODE = "ARENA_2077"
FUTURE_MS = 4_102_444_800_000  # 2100-01-01
EXTRA = {"futureField": {"nested": [1, "two", None]}, "anotherNewFlag": True}


class SurprisingTransport(httpx.AsyncBaseTransport):
    """Real HTTP to the simulator, with some answers changed on the way back."""

    def __init__(
        self,
        gone: set[str],
        odd: set[str],
        unranked: str = "",
        odd_league: str = "",
        future: set[str] | None = None,
    ) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.gone, self.odd, self.future = gone, odd, future or set()
        self.unranked, self.odd_league = unranked, odd_league
        self.edited: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        path = request.url.path
        match = MATCH_PATH.search(path)
        if match and match["id"] in self.gone:
            return self._answer(response, 404, {"status": {"status_code": 404, "message": "gone"}})
        if response.status_code != 200:
            return response
        body = json.loads(response.content)
        league = LEAGUE_PATH.search(path)
        if match:
            body = self._odd_match(body, match["id"])
        elif league and league["puuid"] == self.unranked:
            body = self._count("unranked", [])
        elif league and league["puuid"] == self.odd_league:
            body = self._count(
                "league", [{**e, **EXTRA} for e in body] + [{**EXTRA, "queueType": "RANKED_2V2"}]
            )
        elif isinstance(body, dict):
            body = {**body, **EXTRA}
        return self._answer(response, 200, body)

    def _odd_match(self, body: dict[str, Any], match_id: str) -> dict[str, Any]:
        body["metadata"].update(EXTRA)
        body["info"].update(EXTRA)
        for participant in body["info"]["participants"]:
            participant.update(EXTRA)
        if match_id in self.future:  # a clock far ahead of everyone else's
            body["info"]["gameStartTimestamp"] = FUTURE_MS
            body["info"]["gameEndTimestamp"] = FUTURE_MS + 1_800_000
            self._count("future", None)
        if match_id in self.odd:
            body["info"]["queueId"] = UNKNOWN_QUEUE
            body["info"]["gameMode"] = UNKNOWN_MODE
            self._count("odd_match", None)
        return body

    def _count(self, kind: str, body: Any) -> Any:
        self.edited[kind] = self.edited.get(kind, 0) + 1
        return body

    def _answer(self, original: httpx.Response, status: int, body: Any) -> httpx.Response:
        headers = [
            (k, v)
            for k, v in original.headers.items()
            if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        ]
        if status == 404:
            self._count("gone", None)
        return httpx.Response(status, headers=headers, content=json.dumps(body).encode())

    async def aclose(self) -> None:
        # Each run closes its client; the next run gets a fresh connection pool.
        await self.inner.aclose()
        self.inner = httpx.AsyncHTTPTransport()


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with serve_in_thread(WORLD) as running:
        yield running


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    configure_logging(json_lines=True, level="critical")


def match_ids_of(sim: RunningSimulator, puuid: str) -> list[str]:
    response = httpx.get(
        f"{sim.url}/europe/lol/match/v5/matches/by-puuid/{puuid}/ids", params={"count": 100}
    )
    return list(response.json())


def test_surprising_answers_do_not_cost_the_rest_of_the_run(
    db_path: Path, sim: RunningSimulator
) -> None:
    """Gone matches are skipped, odd ones stored as they are, the run succeeds with the rest."""
    truth = sim.truth()
    renamed = next(t for t in truth if t["renamed"] and not t["is_banned"] and t["games"] >= 3)
    other = next(
        t for t in sorted(truth, key=lambda t: -t["games"]) if t["puuid"] != renamed["puuid"]
    )
    listed = {p: match_ids_of(sim, p) for p in (renamed["puuid"], other["puuid"])}
    everything = sorted({i for ids in listed.values() for i in ids})
    gone = {everything[0], everything[len(everything) // 2]}
    odd = {i for i in everything if i not in gone}
    odd = set(sorted(odd)[:3])
    transport = SurprisingTransport(gone, odd, renamed["puuid"], other["puuid"])
    track(db_path, [renamed["puuid"], other["puuid"]])
    set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=100)
    context = job_context(db_path, sim, riot_transport=transport)

    first = run_job(context, "TRACKED_PLAYER_UPDATER")
    second = run_job(context, "TRACKED_PLAYER_UPDATER")

    assert (first.status, second.status) == (JobStatus.SUCCESS, JobStatus.SUCCESS)
    assert transport.edited["gone"] >= 2 and transport.edited["odd_match"] == 3
    with Database(db_path).read() as con:
        stored = {r[0] for r in con.execute("SELECT match_id FROM matches").fetchall()}
        queues = dict(con.execute("SELECT match_id, queue_id FROM matches").fetchall())
        modes = dict(con.execute("SELECT match_id, game_mode FROM matches").fetchall())
        names = dict(con.execute("SELECT puuid, game_name FROM players").fetchall())
        ranks = con.execute("SELECT puuid, queue_type FROM rank_snapshots ORDER BY ALL").fetchall()
    assert stored == set(everything) - gone  # nothing else lost, nothing invented
    assert {queues[i] for i in odd} == {UNKNOWN_QUEUE}
    assert {modes[i] for i in odd} == {UNKNOWN_MODE}
    assert names[renamed["puuid"]] == renamed["game_name"]  # the current Riot ID wins
    assert [r for r in ranks if r[0] == renamed["puuid"]] == [(renamed["puuid"], "UNRANKED")]
    assert "RANKED_2V2" not in {queue for _, queue in ranks}
    assert count(db_path, "SELECT count(*) - count(DISTINCT match_id) FROM matches") == 0
    assert second.metrics["records_created"] == 0  # the rerun found nothing new to add


def players_of_the_next_days(hours: float) -> list[str]:
    """Players of WORLD who play in the ``hours`` after its start (the world is seeded)."""
    with serve_in_thread(WORLD) as probe:
        before = {t["puuid"]: t["games"] for t in probe.truth()}
        probe.advance(hours=hours)
        return sorted(
            t["puuid"]
            for t in probe.truth()
            if t["games"] > before[t["puuid"]] and not t["is_banned"] and before[t["puuid"]] > 0
        )


def test_a_match_dated_in_the_future_does_not_stop_later_updates(db_path: Path) -> None:
    """A match whose clock is far ahead does not move the watermark past the games to come."""
    player = players_of_the_next_days(72)[0]
    with serve_in_thread(WORLD) as own:
        transport = SurprisingTransport(set(), set(), future={match_ids_of(own, player)[0]})
        track(db_path, [player])
        set_job_config(db_path, "TRACKED_PLAYER_UPDATER", max_new_matches_per_player=100)
        context = job_context(db_path, own, riot_transport=transport)
        assert run_job(context, "TRACKED_PLAYER_UPDATER").status is JobStatus.SUCCESS
        assert transport.edited["future"] == 1
        own.advance(hours=72)
        listed = set(match_ids_of(own, player))
        assert listed - stored_ids(db_path)  # games were played meanwhile
        assert run_job(context, "TRACKED_PLAYER_UPDATER").status is JobStatus.SUCCESS
        assert listed - stored_ids(db_path) == set()


def stored_ids(db_path: Path) -> set[str]:
    with Database(db_path).read() as con:
        return {r[0] for r in con.execute("SELECT match_id FROM matches").fetchall()}
