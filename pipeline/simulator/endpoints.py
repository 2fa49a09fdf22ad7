"""The Riot API methods the simulator serves, and which hosts serve them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

import numpy as np
from starlette.responses import JSONResponse

from pipeline.simulator import payloads
from pipeline.simulator.config import ACCOUNT_REGIONS, PLATFORM_REGIONS, REGIONS
from pipeline.simulator.identity import PUUID_LENGTH
from pipeline.simulator.responses import ok, riot_error
from pipeline.simulator.world import World

Handler = Callable[[World, dict[str, str], Mapping[str, str]], JSONResponse]
MATCH_TYPES = {"ranked": (420, 440), "normal": (400, 430, 450, 490), "tourney": (), "tutorial": ()}
ACTIVE_REGION_GAMES = ("lol", "tft")
MAX_COUNT = 100


@dataclass(frozen=True)
class Endpoint:
    """One API method: its name (as rate limits use it), hosts and path."""

    method: str
    hosts: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler


def _account_by_riot_id(
    world: World, path: dict[str, str], query: Mapping[str, str]
) -> JSONResponse:
    player = world.player_by_riot_id(unquote(path["game_name"]), unquote(path["tag_line"]))
    if player is None or world.is_banned(player):
        riot_id = f"{unquote(path['game_name'])}#{unquote(path['tag_line'])}"
        return riot_error(404, f"No results found for player with riot id {riot_id}")
    return ok(payloads.account(world, player))


def _account_by_puuid(world: World, path: dict[str, str], query: Mapping[str, str]) -> JSONResponse:
    player = _known_player(world, path["puuid"])
    if isinstance(player, JSONResponse):
        return player
    if player is None or world.is_banned(player):
        return riot_error(404, "No results found for player with puuid")
    return ok(payloads.account(world, player))


def _active_region(world: World, path: dict[str, str], query: Mapping[str, str]) -> JSONResponse:
    if path["game"] not in ACTIVE_REGION_GAMES:
        return riot_error(400, f"game must be one of {', '.join(ACTIVE_REGION_GAMES)}")
    if not world.config.serve_active_region:
        return riot_error(404, "resource not found")
    player = _known_player(world, path["puuid"])
    if isinstance(player, JSONResponse):
        return player
    if player is None or world.is_banned(player):
        return riot_error(404, "No results found for player with puuid")
    return ok({"puuid": path["puuid"], "game": path["game"], "region": world.platform_of(player)})


# Platform methods get the route host in path["route"]: a player's profile and rank live on
# the platform they play on now (another one after a transfer).
def _summoner(world: World, path: dict[str, str], query: Mapping[str, str]) -> JSONResponse:
    player = _known_player(world, path["puuid"])
    if isinstance(player, JSONResponse):
        return player
    if player is None or world.is_banned(player) or world.platform_of(player) != path["route"]:
        return riot_error(404, "summoner not found")
    return ok(payloads.summoner(world, player))


def _league_entries(world: World, path: dict[str, str], query: Mapping[str, str]) -> JSONResponse:
    player = _known_player(world, path["puuid"])
    if isinstance(player, JSONResponse):
        return player
    if player is None or world.platform_of(player) != path["route"]:
        return ok([])
    return ok(payloads.league_entries(world, player))


def _match_ids(world: World, path: dict[str, str], query: Mapping[str, str]) -> JSONResponse:
    player = _known_player(world, path["puuid"])
    if isinstance(player, JSONResponse):
        return player
    filters = _match_filters(query)
    if isinstance(filters, JSONResponse):
        return filters
    start, count, queues, start_time_s, end_time_s = filters
    if player is None:
        return ok([])
    numbers = world.matches_of(player)
    block = world.matches
    keep = np.ones(len(numbers), dtype=bool)
    if queues is not None:
        keep &= np.isin(block.queue_id[numbers], queues)
    if start_time_s is not None:
        keep &= block.start_s[numbers] >= start_time_s
    if end_time_s is not None:
        keep &= block.start_s[numbers] <= end_time_s
    page = numbers[keep][start : start + count]
    return ok(payloads.match_ids(world, page))


def _match(world: World, path: dict[str, str], query: Mapping[str, str]) -> JSONResponse:
    number = world.match_number(path["match_id"])
    if number is None:
        return riot_error(404, "match file not found")
    return ok(payloads.match(world, number))


def _timeline(world: World, path: dict[str, str], query: Mapping[str, str]) -> JSONResponse:
    number = world.match_number(path["match_id"])
    if number is None:
        return riot_error(404, "match file not found")
    return ok(payloads.timeline(world, number))


def _known_player(world: World, puuid: str) -> int | JSONResponse | None:
    """The player of a PUUID; None for a well-formed unknown one; 400 for a malformed one."""
    if len(puuid) != PUUID_LENGTH:
        return riot_error(400, f"Exception decrypting {puuid}")
    return world.player_of(puuid)


Filters = tuple[int, int, list[int] | None, int | None, int | None]


def _match_filters(query: Mapping[str, str]) -> Filters | JSONResponse:
    """Parse and check start, count, queue, type, startTime and endTime."""
    try:
        start = _int_param(query, "start", 0)
        count = _int_param(query, "count", 20)
        queue = query.get("queue")
        start_time_s = _optional_int(query, "startTime")
        end_time_s = _optional_int(query, "endTime")
    except ValueError as exc:
        return riot_error(400, str(exc))
    if start < 0:
        return riot_error(400, "start must be greater than or equal to 0")
    if not 0 <= count <= MAX_COUNT:
        return riot_error(400, f"count must be between 0 and {MAX_COUNT}")
    queues: list[int] | None = None
    if "type" in query:
        if query["type"] not in MATCH_TYPES:
            return riot_error(400, f"type must be one of {', '.join(MATCH_TYPES)}")
        queues = list(MATCH_TYPES[query["type"]])
    if queue is not None:
        queue_id = int(queue) if queue.lstrip("-").isdigit() else None
        if queue_id is None:
            return riot_error(400, f"queue must be an integer (got {queue!r})")
        queues = [queue_id] if queues is None else [q for q in queues if q == queue_id]
    return start, count, queues, start_time_s, end_time_s


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    value = _optional_int(query, name)
    return default if value is None else value


def _optional_int(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer (got {text!r})") from None


PLATFORM_HOSTS = frozenset(PLATFORM_REGIONS)
REGIONAL_HOSTS = frozenset(REGIONS)
ENDPOINTS = (
    Endpoint(
        "account-v1.getByRiotId",
        ACCOUNT_REGIONS,
        re.compile(
            r"/riot/account/v1/accounts/by-riot-id/(?P<game_name>[^/]+)/(?P<tag_line>[^/]+)"
        ),
        _account_by_riot_id,
    ),
    Endpoint(
        "account-v1.getByPuuid",
        ACCOUNT_REGIONS,
        re.compile(r"/riot/account/v1/accounts/by-puuid/(?P<puuid>[^/]+)"),
        _account_by_puuid,
    ),
    Endpoint(
        "account-v1.getActiveRegion",
        ACCOUNT_REGIONS,
        re.compile(r"/riot/account/v1/region/by-game/(?P<game>[^/]+)/by-puuid/(?P<puuid>[^/]+)"),
        _active_region,
    ),
    Endpoint(
        "summoner-v4.getByPUUID",
        PLATFORM_HOSTS,
        re.compile(r"/lol/summoner/v4/summoners/by-puuid/(?P<puuid>[^/]+)"),
        _summoner,
    ),
    Endpoint(
        "league-v4.getLeagueEntriesByPUUID",
        PLATFORM_HOSTS,
        re.compile(r"/lol/league/v4/entries/by-puuid/(?P<puuid>[^/]+)"),
        _league_entries,
    ),
    Endpoint(
        "match-v5.getMatchIdsByPUUID",
        REGIONAL_HOSTS,
        re.compile(r"/lol/match/v5/matches/by-puuid/(?P<puuid>[^/]+)/ids"),
        _match_ids,
    ),
    Endpoint(
        "match-v5.getTimeline",
        REGIONAL_HOSTS,
        re.compile(r"/lol/match/v5/matches/(?P<match_id>[^/]+)/timeline"),
        _timeline,
    ),
    Endpoint(
        "match-v5.getMatch",
        REGIONAL_HOSTS,
        re.compile(r"/lol/match/v5/matches/(?P<match_id>[^/]+)"),
        _match,
    ),
)


def find_endpoint(path: str) -> tuple[Endpoint, dict[str, str]] | None:
    """The endpoint whose path matches (without the route segment), with its parameters."""
    for endpoint in ENDPOINTS:
        found = endpoint.pattern.fullmatch(path)
        if found:
            return endpoint, found.groupdict()
    return None
