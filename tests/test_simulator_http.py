"""The simulated Riot API over real HTTP on loopback: endpoints, shapes, errors and routing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from pipeline.simulator import (
    RunningSimulator,
    SimulatorConfig,
    World,
    build_world,
    serve_in_thread,
)
from pipeline.simulator.world import MATCH_NUMBER_BASE

UNLIMITED = {"app_limit": "100000:1", "method_limit": "100000:1"}
CONFIG = SimulatorConfig(seed=11, players=300, **UNLIMITED)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world() -> World:
    """One small world for the read-only tests of this module."""
    return build_world(CONFIG)


@pytest.fixture(scope="module")
def sim(world: World) -> Iterator[RunningSimulator]:
    """The simulator serving that world on loopback."""
    with serve_in_thread(CONFIG, world=world) as running:
        yield running


@pytest.fixture(scope="module")
def client(sim: RunningSimulator) -> Iterator[httpx.Client]:
    """An HTTP client pointed at the simulator."""
    with httpx.Client(base_url=sim.url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def truth(sim: RunningSimulator) -> list[dict[str, Any]]:
    """Ground truth of every player, from /__sim/truth."""
    return sim.truth()


def _active(truth: list[dict[str, Any]]) -> dict[str, Any]:
    """A player with plenty of games who is not banned."""
    return max((p for p in truth if not p["is_banned"]), key=lambda p: p["games"])


def _riot_error(response: httpx.Response, status_code: int) -> str:
    assert response.status_code == status_code
    body = response.json()
    assert body["status"]["status_code"] == status_code
    assert isinstance(body["status"]["message"], str)
    return str(body["status"]["message"])


def test_base_url_is_a_route_template(sim: RunningSimulator) -> None:
    """The base URL carries a {route} placeholder the client fills in."""
    assert sim.base_url == sim.url + "/{route}"
    assert sim.url.startswith("http://127.0.0.1:")


def test_account_by_riot_id_ignores_case(client: httpx.Client, truth: list[dict[str, Any]]) -> None:
    """account-v1 finds a Riot ID whatever the case of its letters."""
    player = truth[0]
    name, tag = player["game_name"].swapcase(), player["tag_line"].lower()
    response = client.get(f"/europe/riot/account/v1/accounts/by-riot-id/{name}/{tag}")
    assert response.status_code == 200
    assert response.json() == {
        "puuid": player["puuid"],
        "gameName": player["game_name"],
        "tagLine": player["tag_line"],
    }


def test_account_is_served_by_every_account_region(
    client: httpx.Client, truth: list[dict[str, Any]]
) -> None:
    """americas, asia and europe all answer account-v1 by PUUID; sea does not serve it."""
    puuid = truth[1]["puuid"]
    for region in ("americas", "asia", "europe"):
        response = client.get(f"/{region}/riot/account/v1/accounts/by-puuid/{puuid}")
        assert response.json()["puuid"] == puuid
    _riot_error(client.get(f"/sea/riot/account/v1/accounts/by-puuid/{puuid}"), 403)


def test_unknown_riot_id_is_a_riot_404(client: httpx.Client) -> None:
    """An unknown Riot ID answers 404 with Riot's error body."""
    message = _riot_error(
        client.get("/europe/riot/account/v1/accounts/by-riot-id/Nobody Here/ZZZZZ"), 404
    )
    assert "Nobody Here#ZZZZZ" in message


def test_summoner_and_league_entries(client: httpx.Client, truth: list[dict[str, Any]]) -> None:
    """summoner-v4 gives level and icon; league-v4 gives the solo-queue entry with its tier."""
    player = _active(truth)
    summoner = client.get(f"/euw1/lol/summoner/v4/summoners/by-puuid/{player['puuid']}").json()
    assert summoner["puuid"] == player["puuid"]
    assert summoner["summonerLevel"] >= 30
    entries = client.get(f"/euw1/lol/league/v4/entries/by-puuid/{player['puuid']}").json()
    assert [e["queueType"] for e in entries] == ["RANKED_SOLO_5x5"]
    assert entries[0]["tier"] in {
        "IRON", "BRONZE", "SILVER", "GOLD", "PLATINUM", "EMERALD", "DIAMOND",
        "MASTER", "GRANDMASTER", "CHALLENGER",
    }  # fmt: skip


def test_banned_accounts_disappear(
    client: httpx.Client, truth: list[dict[str, Any]], world: World
) -> None:
    """A banned account answers 404 on account-v1 and summoner-v4, with no rank entries."""
    banned = next(p for p in truth if p["is_banned"])
    puuid = banned["puuid"]
    _riot_error(client.get(f"/europe/riot/account/v1/accounts/by-puuid/{puuid}"), 404)
    _riot_error(client.get(f"/euw1/lol/summoner/v4/summoners/by-puuid/{puuid}"), 404)
    assert client.get(f"/euw1/lol/league/v4/entries/by-puuid/{puuid}").json() == []
    name, tag = banned["game_name"], banned["tag_line"]
    _riot_error(client.get(f"/europe/riot/account/v1/accounts/by-riot-id/{name}/{tag}"), 404)


def test_match_ids_are_newest_first_and_page(
    client: httpx.Client, truth: list[dict[str, Any]]
) -> None:
    """Match ids come newest first, 20 by default, and pages join up without gaps."""
    puuid = _active(truth)["puuid"]
    url = f"/europe/lol/match/v5/matches/by-puuid/{puuid}/ids"
    first_page = client.get(url).json()
    assert len(first_page) == 20
    numbers = [int(match_id.split("_")[1]) for match_id in first_page]
    assert numbers == sorted(numbers, reverse=True)
    assert all(match_id.startswith("EUW1_") for match_id in first_page)
    halves = (
        client.get(url, params={"count": 10}).json()
        + client.get(url, params={"start": 10, "count": 10}).json()
    )
    assert halves == first_page
    assert client.get(url, params={"count": 0}).json() == []


@pytest.mark.parametrize(
    "params",
    [{"count": 101}, {"count": -1}, {"start": -1}, {"count": "ten"}, {"type": "casual"},
     {"startTime": "yesterday"}, {"queue": "solo"}],
)  # fmt: skip
def test_bad_match_id_parameters_are_400(
    client: httpx.Client, truth: list[dict[str, Any]], params: dict[str, Any]
) -> None:
    """Out-of-range or malformed paging and filter parameters answer Riot's 400 body."""
    puuid = truth[0]["puuid"]
    response = client.get(f"/europe/lol/match/v5/matches/by-puuid/{puuid}/ids", params=params)
    assert _riot_error(response, 400).startswith("Bad Request")


def test_match_ids_filter_by_queue_type_and_time(
    client: httpx.Client, truth: list[dict[str, Any]], world: World
) -> None:
    """queue, type, startTime and endTime keep only the matching games."""
    puuid = _active(truth)["puuid"]
    numbers = world.matches_of(world.player_of(puuid) or 0)
    queues, starts = world.matches.queue_id[numbers], world.matches.start_s[numbers]
    middle = int(np.median(starts))

    def ids(params: dict[str, Any]) -> list[str]:
        url = f"/europe/lol/match/v5/matches/by-puuid/{puuid}/ids"
        return list(client.get(url, params={"count": 100, **params}).json())

    def expected(keep: np.ndarray) -> list[str]:
        return [world.match_id(int(n)) for n in numbers[keep][:100]]

    assert ids({"queue": 420}) == expected(queues == 420)
    assert ids({"type": "ranked"}) == expected(np.isin(queues, (420, 440)))
    assert ids({"type": "normal", "queue": 450}) == expected(queues == 450)
    assert ids({"startTime": middle}) == expected(starts >= middle)
    assert ids({"endTime": middle}) == expected(starts <= middle)


def test_match_lists_its_participants(client: httpx.Client, truth: list[dict[str, Any]]) -> None:
    """A match names ten participants, the player among them, in metadata and info alike."""
    puuid = _active(truth)["puuid"]
    match_id = client.get(f"/europe/lol/match/v5/matches/by-puuid/{puuid}/ids").json()[0]
    match = client.get(f"/europe/lol/match/v5/matches/{match_id}").json()
    assert match["metadata"]["matchId"] == match_id
    participants = match["info"]["participants"]
    assert [p["puuid"] for p in participants] == match["metadata"]["participants"]
    assert puuid in match["metadata"]["participants"]
    assert len(participants) == 10
    assert [p["teamId"] for p in participants] == [100] * 5 + [200] * 5
    assert {t["win"] for t in match["info"]["teams"]} == {True, False}
    assert match["info"]["platformId"] == "EUW1"


def test_match_kills_and_deaths_add_up(client: httpx.Client, truth: list[dict[str, Any]]) -> None:
    """Each team's deaths are at least the other team's kills, and challenges agree with stats."""
    puuid = _active(truth)["puuid"]
    ids = client.get(f"/europe/lol/match/v5/matches/by-puuid/{puuid}/ids").json()
    for match_id in ids[:5]:
        participants = client.get(f"/europe/lol/match/v5/matches/{match_id}").json()["info"][
            "participants"
        ]
        blue, red = participants[:5], participants[5:]
        assert sum(p["deaths"] for p in red) >= sum(p["kills"] for p in blue)
        assert sum(p["deaths"] for p in blue) >= sum(p["kills"] for p in red)
        for p in participants:
            minutes = p["timePlayed"] / 60
            assert p["challenges"]["goldPerMinute"] == pytest.approx(p["goldEarned"] / minutes)
            assert 0 <= p["challenges"]["killParticipation"] <= 1


def test_unknown_match_is_a_riot_404(client: httpx.Client) -> None:
    """Unknown match ids and ids of another platform answer 404 with Riot's body."""
    _riot_error(client.get("/europe/lol/match/v5/matches/EUW1_1"), 404)
    _riot_error(client.get(f"/europe/lol/match/v5/matches/NA1_{MATCH_NUMBER_BASE}"), 404)
    _riot_error(client.get("/europe/lol/match/v5/matches/EUW1_1/timeline"), 404)


def test_timeline_has_a_frame_a_minute(client: httpx.Client, world: World) -> None:
    """The timeline has one frame per minute with all ten participants, and a game end event."""
    match_id = world.match_id(0)
    timeline = client.get(f"/europe/lol/match/v5/matches/{match_id}/timeline").json()
    frames = timeline["info"]["frames"]
    assert len(frames) == int(world.matches.duration_s[0]) // 60 + 1
    assert set(frames[-1]["participantFrames"]) == {str(i) for i in range(1, 11)}
    assert frames[-1]["events"][-1]["type"] == "GAME_END"
    assert timeline["metadata"]["participants"] == [
        world.players.puuid[p] for p in world.matches.player[0]
    ]


@pytest.mark.parametrize(
    ("path", "status_code"),
    [
        ("/euw1/lol/match/v5/matches/EUW1_1", 403),  # match-v5 needs a regional route
        ("/europe/lol/summoner/v4/summoners/by-puuid/" + "x" * 78, 403),  # summoner: platform
        ("/mars/lol/match/v5/matches/EUW1_1", 404),  # not a Riot route at all
        ("/europe/lol/nothing/v1/here", 404),  # no such API method
    ],
)
def test_wrong_routes_are_refused(client: httpx.Client, path: str, status_code: int) -> None:
    """A method asked of a host that does not serve it is refused like Riot does."""
    _riot_error(client.get(path), status_code)


def test_other_region_has_no_data(client: httpx.Client, truth: list[dict[str, Any]]) -> None:
    """match-v5 of another region knows none of this platform's games."""
    puuid = _active(truth)["puuid"]
    assert client.get(f"/americas/lol/match/v5/matches/by-puuid/{puuid}/ids").json() == []
    _riot_error(
        client.get(f"/euw1/lol/summoner/v4/summoners/by-puuid/{puuid}".replace("euw1", "kr")), 404
    )


def test_malformed_puuid_is_a_400(client: httpx.Client) -> None:
    """A PUUID of the wrong length cannot be decrypted: 400, as Riot answers."""
    _riot_error(client.get("/euw1/lol/summoner/v4/summoners/by-puuid/short"), 400)


def test_truth_lists_every_player(truth: list[dict[str, Any]]) -> None:
    """/__sim/truth names every player with a population, including smurfs and boosted."""
    assert len(truth) == CONFIG.players
    populations = {p["population"] for p in truth}
    assert {"NORMAL", "SMURF", "BOOSTED"} <= populations


def test_renamed_players_keep_their_old_name_in_old_games() -> None:
    """After a rename, account-v1 answers to the new Riot ID only; old games keep the old one."""
    world = build_world(SimulatorConfig(seed=2, players=400, **UNLIMITED))  # type: ignore[arg-type]
    players = world.players
    renamed = [
        p for p in np.flatnonzero(players.renamed_at_s <= world.now_s)
        if not world.is_banned(int(p)) and len(world.matches_of(int(p)))
        and world.matches.start_s[world.matches_of(int(p))[-1]] < players.renamed_at_s[p]
    ]  # fmt: skip
    player = int(renamed[0])
    old_name, old_tag = players.game_name[player], players.tag_line[player]
    with serve_in_thread(world.config, world=world) as sim, httpx.Client(base_url=sim.url) as http:
        account = http.get(f"/europe/riot/account/v1/accounts/by-puuid/{players.puuid[player]}")
        assert account.json()["gameName"] == players.new_game_name[player]
        old = http.get(f"/europe/riot/account/v1/accounts/by-riot-id/{old_name}/{old_tag}")
        assert old.status_code == 404
        oldest = world.match_id(int(world.matches_of(player)[-1]))
        match = http.get(f"/europe/lol/match/v5/matches/{oldest}").json()
        me = next(p for p in match["info"]["participants"] if p["puuid"] == players.puuid[player])
        assert (me["riotIdGameName"], me["riotIdTagline"]) == (old_name, old_tag)


def test_advancing_the_clock_adds_new_games() -> None:
    """POST /__sim/advance plays new matches that then head an active player's match list."""
    config = SimulatorConfig(seed=4, players=200, history_days=5, **UNLIMITED)  # type: ignore[arg-type]
    with serve_in_thread(config) as sim, httpx.Client(base_url=sim.url) as http:
        puuid = _active(sim.truth())["puuid"]
        url = f"/europe/lol/match/v5/matches/by-puuid/{puuid}/ids"
        before = http.get(url, params={"count": 100}).json()
        result = sim.advance(72)
        after = http.get(url, params={"count": 100}).json()
    assert result["new_matches"] > 0
    assert len(after) > len(before)
    assert after[len(after) - len(before) :] == before


def test_advance_refuses_a_bad_number_of_hours(sim: RunningSimulator) -> None:
    """POST /__sim/advance with a non-number answers 400."""
    response = httpx.post(sim.url + "/__sim/advance?hours=soon")
    assert response.status_code == 400


def test_api_key_is_checked_when_configured() -> None:
    """With a key configured, no key is 401, another key 403, the right key 200."""
    config = SimulatorConfig(seed=1, players=50, api_key="RGAPI-right")
    world = build_world(config)
    path = f"/europe/riot/account/v1/accounts/by-puuid/{world.players.puuid[0]}"
    with serve_in_thread(config, world=world) as sim, httpx.Client(base_url=sim.url) as http:
        assert http.get(path).status_code == 401
        assert http.get(path, headers={"X-Riot-Token": "RGAPI-wrong"}).status_code == 403
        assert http.get(path, headers={"X-Riot-Token": "RGAPI-right"}).status_code == 200


def test_clock_speed_lets_time_pass_with_real_time() -> None:
    """With a clock speed, simulated time moves on by itself as requests arrive."""
    config = SimulatorConfig(seed=4, players=100, history_days=3, clock_speed=36_000.0)
    with serve_in_thread(config) as sim, httpx.Client(base_url=sim.url) as http:
        started_s = sim.world.now_s
        puuid = sim.world.players.puuid[0]
        deadline_s = time.monotonic() + 30
        while sim.world.now_s < started_s + 3600 and time.monotonic() < deadline_s:
            http.get(f"/europe/lol/match/v5/matches/by-puuid/{puuid}/ids")
            time.sleep(0.05)
    assert sim.world.now_s >= started_s + 3600


def test_truth_filters_by_population(sim: RunningSimulator, truth: list[dict[str, Any]]) -> None:
    """/__sim/truth?population=SMURF lists exactly the smurfs; an unknown population is a 400."""
    smurfs = sim.truth("SMURF")
    assert smurfs == [p for p in truth if p["population"] == "SMURF"]
    assert httpx.get(sim.url + "/__sim/truth?population=ELF").status_code == 400
