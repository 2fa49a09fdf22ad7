"""The Riot API client against the simulator over real HTTP on loopback: endpoints, errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

import pipeline.riot
from pipeline.riot import (
    AuthenticationError,
    BadRequestError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    RateLimiter,
    RiotClient,
    UnknownPlatformError,
)
from pipeline.simulator import (
    RunningSimulator,
    SimulatorConfig,
    World,
    build_world,
    serve_in_thread,
)

T = TypeVar("T")
SEED, PLAYERS = 11, 120
UNKNOWN_PUUID = "x" * 78  # well formed (78 characters) but nobody's
GENEROUS = {"app_limit": "1000:1", "method_limit": "1000:1"}


@pytest.fixture(scope="module")
def world() -> World:
    """One simulated world shared by this module's servers."""
    return build_world(SimulatorConfig(seed=SEED, players=PLAYERS))


@pytest.fixture(scope="module")
def sim(world: World) -> Iterator[RunningSimulator]:
    """A simulator with limits too generous to matter."""
    with serve_in_thread(SimulatorConfig(seed=SEED, players=PLAYERS, **GENEROUS), world=world) as s:
        yield s


@pytest.fixture
def key() -> str:
    """A key of this test's own: the simulator keeps rate-limit buckets per key."""
    return f"RGAPI-{uuid.uuid4()}"


@pytest.fixture(scope="module")
def player(sim: RunningSimulator) -> dict[str, Any]:
    """An active player with a long match history."""
    active = [p for p in sim.truth() if not p["is_banned"] and not p["renamed"]]
    return max(active, key=lambda p: int(p["games"]))


def run(sim: RunningSimulator, key: str, call: Callable[[RiotClient], Awaitable[T]]) -> T:
    """Run one coroutine against the simulator with a fresh client."""

    async def main() -> T:
        async with RiotClient(key, sim.base_url, backoff_base_s=0.01) as client:
            return await call(client)

    return asyncio.run(main())


def test_account_by_riot_id_and_by_puuid(
    sim: RunningSimulator, key: str, player: dict[str, Any]
) -> None:
    """A Riot ID resolves to the account, and its puuid back to the same Riot ID."""

    async def both(client: RiotClient) -> tuple[Any, Any]:
        by_id = await client.get_account_by_riot_id(
            player["game_name"], player["tag_line"], platform="euw1"
        )
        return by_id, await client.get_account_by_puuid(by_id["puuid"], platform="euw1")

    by_id, by_puuid = run(sim, key, both)
    assert by_id["puuid"] == player["puuid"]
    assert (by_puuid["gameName"], by_puuid["tagLine"]) == (player["game_name"], player["tag_line"])


def test_active_region_names_the_platform_a_player_is_on(
    sim: RunningSimulator, key: str, player: dict[str, Any]
) -> None:
    """account-v1 getActiveRegion answers with the player's platform, from any account host."""
    body = run(sim, key, lambda c: c.get_active_region(player["puuid"], platform="na1"))
    assert body == {"puuid": player["puuid"], "game": "lol", "region": "euw1"}


def test_summoner_and_league_entries(
    sim: RunningSimulator, key: str, player: dict[str, Any]
) -> None:
    """summoner-v4 and league-v4 answer with the player's profile and ranked entries."""

    async def both(client: RiotClient) -> tuple[Any, Any]:
        summoner = await client.get_summoner_by_puuid(player["puuid"], platform="euw1")
        return summoner, await client.get_league_entries_by_puuid(player["puuid"], platform="euw1")

    summoner, entries = run(sim, key, both)
    assert summoner["puuid"] == player["puuid"]
    assert summoner["summonerLevel"] >= 1
    assert all(e["puuid"] == player["puuid"] for e in entries)
    assert {"RANKED_SOLO_5x5"} >= {e["queueType"] for e in entries}


def test_match_ids_match_and_timeline(
    sim: RunningSimulator, key: str, player: dict[str, Any]
) -> None:
    """Match ids route to the match and its timeline, which include the player."""

    async def fetch(client: RiotClient) -> tuple[list[str], Any, Any]:
        ids = await client.get_match_ids(player["puuid"], platform="euw1", count=5)
        match = await client.get_match(ids[0])
        return ids, match, await client.get_match_timeline(ids[0])

    ids, match, timeline = run(sim, key, fetch)
    assert len(ids) == min(5, player["games"])
    assert all(i.startswith("EUW1_") for i in ids)
    assert match["metadata"]["matchId"] == ids[0]
    assert player["puuid"] in match["metadata"]["participants"]
    assert isinstance(timeline, dict)


def test_match_id_filters_are_sent(sim: RunningSimulator, key: str, player: dict[str, Any]) -> None:
    """queue, type and time filters narrow the ids the API returns."""

    async def fetch(client: RiotClient) -> tuple[list[str], list[str], list[str]]:
        ranked = await client.get_match_ids(player["puuid"], platform="euw1", count=100, queue=420)
        typed = await client.get_match_ids(
            player["puuid"], platform="euw1", count=100, type="ranked"
        )
        future = await client.get_match_ids(
            player["puuid"], platform="euw1", count=100, start_time=4_000_000_000
        )
        return ranked, typed, future

    ranked, typed, future = run(sim, key, fetch)
    assert set(ranked) <= set(typed)
    assert future == []


def test_paging_yields_every_id_once_in_order(
    sim: RunningSimulator, key: str, player: dict[str, Any]
) -> None:
    """iter_match_ids pages through the whole history, newest first, without duplicates."""

    async def fetch(client: RiotClient) -> tuple[list[str], list[str], list[str]]:
        history: list[str] = []
        for start in (0, 100, 200, 300):
            history += await client.get_match_ids(
                player["puuid"], platform="euw1", start=start, count=100
            )
        paged = [
            i async for i in client.iter_match_ids(player["puuid"], platform="euw1", page_size=3)
        ]
        limited = [
            i
            async for i in client.iter_match_ids(
                player["puuid"], platform="euw1", page_size=2, limit=5
            )
        ]
        return history, paged, limited

    history, paged, limited = run(sim, key, fetch)
    assert len(history) > 5
    assert paged == history
    assert len(set(paged)) == len(paged)
    assert limited == history[:5]


def test_unknown_puuid_and_match_are_not_found(sim: RunningSimulator, key: str) -> None:
    """An unknown puuid or match id raises NotFoundError naming the method and path."""
    with pytest.raises(NotFoundError) as account:
        run(sim, key, lambda c: c.get_account_by_puuid(UNKNOWN_PUUID, platform="euw1"))
    with pytest.raises(NotFoundError) as match:
        run(sim, key, lambda c: c.get_match("EUW1_1"))
    assert (account.value.status_code, account.value.method) == (404, "account-v1.getByPuuid")
    assert match.value.path == "/lol/match/v5/matches/EUW1_1"


def test_malformed_puuid_is_a_bad_request(sim: RunningSimulator, key: str) -> None:
    """A puuid the API cannot decrypt raises BadRequestError carrying the API's message."""
    with pytest.raises(BadRequestError) as caught:
        run(sim, key, lambda c: c.get_summoner_by_puuid("short", platform="euw1"))
    assert caught.value.status_code == 400
    assert "decrypting" in str(caught.value)


def test_riot_id_parts_are_url_encoded(sim: RunningSimulator, key: str) -> None:
    """Riot IDs with spaces, '#' and '?' reach the API intact (a 404, not a wrong route)."""
    with pytest.raises(NotFoundError) as caught:
        run(sim, key, lambda c: c.get_account_by_riot_id("a b#c?d", "ÉÜ W", platform="euw1"))
    assert (
        caught.value.path == "/riot/account/v1/accounts/by-riot-id/a%20b%23c%3Fd/%C3%89%C3%9C%20W"
    )
    assert "a b#c?d" in str(caught.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_match_ids("p" * 78, platform="euw1", count=101),
        lambda c: c.get_match_ids("p" * 78, platform="euw1", count=-1),
        lambda c: c.get_match_ids("p" * 78, platform="euw1", start=-1),
        lambda c: c.get_match_ids("p" * 78, platform="euw1", type="casual"),
        lambda c: c.get_match_ids("p" * 78, platform="euw1", start_time=10, end_time=5),
        lambda c: c.get_account_by_riot_id("", "EUW", platform="euw1"),
        lambda c: c.get_account_by_riot_id("name", "  ", platform="euw1"),
        lambda c: c.get_summoner_by_puuid("", platform="euw1"),
        lambda c: c.get_match("7345123456"),
    ],
)
def test_invalid_arguments_are_refused_before_sending(
    sim: RunningSimulator, key: str, call: Callable[[RiotClient], Awaitable[Any]]
) -> None:
    """Arguments the API would reject raise InvalidRequestError and send nothing."""

    async def attempt(client: RiotClient) -> int:
        with pytest.raises(InvalidRequestError):
            await call(client)
        return client.requests_sent

    assert run(sim, key, attempt) == 0


def test_unknown_platform_is_refused_with_the_valid_ones(sim: RunningSimulator, key: str) -> None:
    """An unknown platform raises UnknownPlatformError (a bad request) listing valid ones."""
    with pytest.raises(UnknownPlatformError, match="euw1") as caught:
        run(sim, key, lambda c: c.get_summoner_by_puuid("p" * 78, platform="euw"))
    assert isinstance(caught.value, BadRequestError)


def test_request_counts_by_status(sim: RunningSimulator, key: str, player: dict[str, Any]) -> None:
    """The client counts every request it sends, by status."""

    async def calls(client: RiotClient) -> dict[str, int]:
        await client.get_summoner_by_puuid(player["puuid"], platform="euw1")
        with pytest.raises(NotFoundError):
            await client.get_match("EUW1_1")
        assert client.requests_sent == 2
        return client.request_counts()

    assert run(sim, key, calls) == {"200": 1, "404": 1}


@pytest.fixture(scope="module")
def keyed_sim(world: World) -> Iterator[RunningSimulator]:
    """A simulator that accepts exactly one API key."""
    config = SimulatorConfig(seed=SEED, players=PLAYERS, api_key="RGAPI-the-right-key", **GENEROUS)
    with serve_in_thread(config, world=world) as s:
        yield s


def test_missing_key_is_unauthenticated(keyed_sim: RunningSimulator) -> None:
    """No key raises AuthenticationError (401), which is not retried."""

    async def attempt(client: RiotClient) -> int:
        with pytest.raises(AuthenticationError) as caught:
            await client.get_match("EUW1_1")
        assert caught.value.status_code == 401
        return client.requests_sent

    assert run(keyed_sim, "", attempt) == 1


def test_wrong_key_is_forbidden(keyed_sim: RunningSimulator) -> None:
    """A wrong key raises ForbiddenError (403) telling the user to set a current key."""
    with pytest.raises(ForbiddenError, match="RIOT_API_KEY"):
        run(keyed_sim, "RGAPI-wrong-key-000000", lambda c: c.get_match("EUW1_1"))


def test_right_key_is_accepted(keyed_sim: RunningSimulator) -> None:
    """The configured key gets through to the data (a 404 for a match nobody played)."""
    with pytest.raises(NotFoundError):
        run(keyed_sim, "RGAPI-the-right-key", lambda c: c.get_match("EUW1_1"))


def test_client_must_be_entered() -> None:
    """Calling outside `async with` says how to use the client."""
    client = RiotClient("RGAPI-x", "http://127.0.0.1:9/{route}", limiter=RateLimiter())
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(client.get_match("EUW1_1"))


def test_base_url_must_hold_route() -> None:
    """A base URL without {route} is refused with an example of a good one."""
    with pytest.raises(InvalidRequestError, match=r"\{route\}"):
        RiotClient("RGAPI-x", "https://euw1.api.riotgames.com")


def test_public_surface_is_pinned() -> None:
    """The package exports exactly the names the rest of the product codes against."""
    expected = {
        "DEFAULT_BASE_URL", "PLATFORMS", "REGIONS", "AccountDto", "AccountRegionDto",
        "AuthenticationError",
        "BadRequestError", "ForbiddenError", "InvalidRequestError", "LeagueEntryDto", "MatchDto",
        "MatchInfoDto", "MatchMetadataDto", "NotFoundError", "ParticipantDto", "RateLimitError",
        "RateLimiter", "RiotAPIError", "RiotClient", "RiotTransportError", "RiotUnavailableError",
        "ServiceUnavailableError", "SummonerDto", "UnconfirmedNotFoundError",
        "UnexpectedResponseError",
        "UnknownPlatformError", "account_region_of", "platform_of_match", "region_of",
    }  # fmt: skip
    assert set(pipeline.riot.__all__) == expected
    assert all(hasattr(pipeline.riot, name) for name in expected)


def test_every_error_is_a_product_error() -> None:
    """Every Riot API error derives from RiotAPIError, itself a SmurfError."""
    from pipeline.errors import SmurfError
    from pipeline.riot import errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert all(issubclass(c, pipeline.riot.RiotAPIError) for c in classes if c is not SmurfError)
    assert issubclass(pipeline.riot.RiotAPIError, SmurfError)
