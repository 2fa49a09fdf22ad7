"""Every simulated endpoint's responses validate against the community OpenAPI description."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from pipeline.simulator import RunningSimulator, SimulatorConfig, serve_in_thread
from pipeline.simulator.endpoints import ENDPOINTS
from tests.conftest import SHARED_DIR

SPEC_PATH = SHARED_DIR / "riot" / "openapi-3.0.0.json"
pytestmark = pytest.mark.skipif(not SPEC_PATH.exists(), reason="../shared/riot has no OpenAPI file")

# Our method name -> the spec's path of it.
SPEC_PATHS = {
    "account-v1.getByRiotId": "/riot/account/v1/accounts/by-riot-id/{gameName}/{tagLine}",
    "account-v1.getByPuuid": "/riot/account/v1/accounts/by-puuid/{puuid}",
    "account-v1.getActiveRegion": "/riot/account/v1/region/by-game/{game}/by-puuid/{puuid}",
    "summoner-v4.getByPUUID": "/lol/summoner/v4/summoners/by-puuid/{encryptedPUUID}",
    "league-v4.getLeagueEntriesByPUUID": "/lol/league/v4/entries/by-puuid/{encryptedPUUID}",
    "match-v5.getMatchIdsByPUUID": "/lol/match/v5/matches/by-puuid/{puuid}/ids",
    "match-v5.getMatch": "/lol/match/v5/matches/{matchId}",
    "match-v5.getTimeline": "/lol/match/v5/matches/{matchId}/timeline",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The OpenAPI document, adjusted for the documented deviations of real data."""
    document: dict[str, Any] = json.loads(Path(SPEC_PATH).read_text())
    schemas = document["components"]["schemas"]
    # Real challenges values are floats where the spec says integers: any number will do.
    challenges = schemas["match-v5.ChallengesDto"]
    challenges["properties"] = {name: {"type": "number"} for name in challenges["properties"]}
    challenges["additionalProperties"] = True
    # Real participant frames are keyed "1".."10", not the spec's placeholder key "1-9".
    frames = schemas["match-v5.ParticipantFramesDto"]
    frames["additionalProperties"] = frames["properties"].pop("1-9")
    frames.pop("required")
    return document


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A small simulator without limits."""
    config = SimulatorConfig(seed=9, players=120, app_limit="10000:1", method_limit="10000:1")
    with serve_in_thread(config) as running:
        yield running


def _validate(spec: dict[str, Any], method: str, body: Any) -> None:
    response_schema = spec["paths"][SPEC_PATHS[method]]["get"]["responses"]["200"]
    schema = copy.deepcopy(response_schema["content"]["application/json"]["schema"])
    schema["components"] = spec["components"]
    jsonschema.Draft4Validator(schema).validate(body)


def _sample_responses(sim: RunningSimulator) -> Iterator[tuple[str, Any]]:
    """One 200 body of every method, for a few players of different kinds."""
    truth = sim.truth()
    chosen = {p["population"]: p for p in truth if not p["is_banned"] and p["games"] > 5}
    with httpx.Client(base_url=sim.url) as http:
        for player in chosen.values():
            puuid, name, tag = player["puuid"], player["game_name"], player["tag_line"]
            yield (
                "account-v1.getByRiotId",
                http.get(f"/europe/riot/account/v1/accounts/by-riot-id/{name}/{tag}"),
            )
            yield (
                "account-v1.getByPuuid",
                http.get(f"/europe/riot/account/v1/accounts/by-puuid/{puuid}"),
            )
            yield (
                "account-v1.getActiveRegion",
                http.get(f"/europe/riot/account/v1/region/by-game/lol/by-puuid/{puuid}"),
            )
            yield (
                "summoner-v4.getByPUUID",
                http.get(f"/euw1/lol/summoner/v4/summoners/by-puuid/{puuid}"),
            )
            yield (
                "league-v4.getLeagueEntriesByPUUID",
                http.get(f"/euw1/lol/league/v4/entries/by-puuid/{puuid}"),
            )
            ids = http.get(f"/europe/lol/match/v5/matches/by-puuid/{puuid}/ids")
            yield "match-v5.getMatchIdsByPUUID", ids
            for queue in (420, 450):
                picked = http.get(
                    f"/europe/lol/match/v5/matches/by-puuid/{puuid}/ids",
                    params={"queue": queue, "count": 1},
                ).json()
                for match_id in picked:
                    yield "match-v5.getMatch", http.get(f"/europe/lol/match/v5/matches/{match_id}")
            yield (
                "match-v5.getTimeline",
                http.get(f"/europe/lol/match/v5/matches/{ids.json()[0]}/timeline"),
            )


def test_every_endpoint_validates_against_the_spec(
    spec: dict[str, Any], sim: RunningSimulator
) -> None:
    """Bodies of every method (solo queue and ARAM matches too) satisfy the OpenAPI schemas."""
    seen = set()
    for method, response in _sample_responses(sim):
        assert response.status_code == 200, (method, response.text)
        _validate(spec, method, response.json())
        seen.add(method)
    assert seen == set(SPEC_PATHS)


def test_hosts_match_the_spec(spec: dict[str, Any]) -> None:
    """Each method is served by exactly the route hosts the spec lists for it."""
    for endpoint in ENDPOINTS:
        listed = spec["paths"][SPEC_PATHS[endpoint.method]]["x-platforms-available"]
        assert set(listed) == endpoint.hosts, endpoint.method


def test_validation_catches_a_missing_field(spec: dict[str, Any], sim: RunningSimulator) -> None:
    """The schema check fails for a match missing a required participant field."""
    match_id = sim.world.match_id(0)
    body = httpx.get(f"{sim.url}/europe/lol/match/v5/matches/{match_id}").json()
    del body["info"]["participants"][3]["goldEarned"]
    with pytest.raises(jsonschema.ValidationError):
        _validate(spec, "match-v5.getMatch", body)
