"""Several simulated worlds behind one server: each region answers from its own world."""

from __future__ import annotations

import httpx
import pytest

from pipeline.simulator import SimulatorConfig, SimulatorConfigError
from pipeline.simulator.regions import RegionsApp, serve_regions_in_thread
from pipeline.simulator.world import build_world

EUW = SimulatorConfig(seed=1, players=30, platform="euw1", app_limit="5:10")
KR = SimulatorConfig(seed=2, players=30, platform="kr", app_limit="5:10")


def test_each_route_reaches_the_world_of_its_region() -> None:
    """Platform, match-v5 and account-v1 requests are answered by the world they belong to."""
    with serve_regions_in_thread([EUW, KR]) as sim:
        euw_puuid = sim.worlds["euw1"].truth()[0]["puuid"]
        kr_puuid = sim.worlds["kr"].truth()[0]["puuid"]
        with httpx.Client(base_url=sim.url) as client:
            summoner = client.get(f"/euw1/lol/summoner/v4/summoners/by-puuid/{euw_puuid}")
            foreign = client.get(f"/kr/lol/summoner/v4/summoners/by-puuid/{euw_puuid}")
            ids = client.get(f"/asia/lol/match/v5/matches/by-puuid/{kr_puuid}/ids")
            # account-v1: any regional host answers for any account.
            account = client.get(f"/americas/riot/account/v1/accounts/by-puuid/{kr_puuid}")
            nowhere = client.get("/na1/lol/summoner/v4/summoners/by-puuid/x")
    assert summoner.status_code == 200 and summoner.json()["puuid"] == euw_puuid
    assert foreign.status_code == 404
    assert ids.status_code == 200 and all(i.startswith("KR_") for i in ids.json())
    assert account.status_code == 200 and account.json()["puuid"] == kr_puuid
    assert nowhere.status_code == 404


def test_each_region_has_its_own_rate_limits() -> None:
    """Spending one region's application limit leaves another region's untouched."""
    with serve_regions_in_thread([EUW, KR]) as sim:
        euw_puuid = sim.worlds["euw1"].truth()[0]["puuid"]
        kr_puuid = sim.worlds["kr"].truth()[0]["puuid"]
        with httpx.Client(base_url=sim.url) as client:
            statuses = [
                client.get(f"/euw1/lol/league/v4/entries/by-puuid/{euw_puuid}").status_code
                for _ in range(6)
            ]
            other = client.get(f"/kr/lol/league/v4/entries/by-puuid/{kr_puuid}")
        stats = sim.stats()
    assert statuses[:5] == [200] * 5 and statuses[5] == 429
    assert other.status_code == 200 and other.headers["X-App-Rate-Limit-Count"] == "1:10"
    assert stats["euw1"]["requests"] == 6 and stats["kr"]["requests"] == 1


def test_a_transferred_account_answers_on_its_new_platform_from_its_own_world() -> None:
    """After a transfer, summoner-v4 answers on the new platform, served or not by a world."""
    moving = SimulatorConfig(seed=1, players=60, platform="euw1", transfer_share=1.0, event_days=1)
    with serve_regions_in_thread([moving, KR]) as sim:
        world = sim.worlds["euw1"]
        world.advance(hours=48)
        events = world.world.lifecycle
        assert events is not None
        puuid_to = {
            str(events.transfer_platform[p]): str(world.world.players.puuid[p]) for p in range(60)
        }
        with httpx.Client(base_url=sim.url) as client:
            for platform in ("kr", "eun1"):
                path = f"/lol/summoner/v4/summoners/by-puuid/{puuid_to[platform]}"
                assert client.get(f"/{platform}{path}").status_code == 200
                assert client.get(f"/euw1{path}").status_code == 404


def test_two_worlds_of_one_region_are_refused() -> None:
    """One world per region: two platforms of one region would share its match-v5 host."""
    eun = SimulatorConfig(seed=3, players=20, platform="eun1")
    with pytest.raises(SimulatorConfigError, match="share a region"):
        RegionsApp([EUW, eun], [build_world(EUW), build_world(eun)])
