"""The ASGI app: the Riot API on ``/{route}/...`` plus control endpoints on ``/__sim/``.

A request to the API goes through, in order: find the method, check the key, check that
the route host serves the method, count it against the rate limits (429 when over), inject
any configured fault, wait the simulated latency, then answer from the world.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pipeline.simulator.assumptions import Population
from pipeline.simulator.config import (
    FAULT_RATE_NAMES,
    PLATFORM_REGIONS,
    REGIONS,
    SimulatorConfig,
    check_rate,
    parse_rate_limit,
)
from pipeline.simulator.endpoints import Endpoint, find_endpoint
from pipeline.simulator.errors import SimulatorConfigError
from pipeline.simulator.ranks import rank_of
from pipeline.simulator.ratelimit import BucketResult, RateLimiter
from pipeline.simulator.responses import DroppedConnection, malformed, ok, riot_error
from pipeline.simulator.traffic import Traffic
from pipeline.simulator.world import World, build_world

SERVER_ERRORS = (500, 502, 503, 504)


@dataclass
class SimulatorState:
    """Everything the app keeps between requests."""

    config: SimulatorConfig
    world: World
    limiter: RateLimiter
    traffic: Traffic = field(default_factory=Traffic)
    faults: dict[str, float] = field(default_factory=dict)
    random: random.Random = field(default_factory=random.Random)
    clock_started_s: float = field(default_factory=time.monotonic)
    clock_origin_s: int = 0

    def fault(self, name: str) -> bool:
        """Whether to inject this kind of fault into the current request."""
        rate = self.faults.get(name, 0.0)
        return rate > 0 and self.random.random() < rate

    def tick_clock(self) -> None:
        """Let simulated time pass with real time, when a clock speed is set."""
        speed = self.config.clock_speed
        if speed <= 0:
            return
        target_s = self.clock_origin_s + (time.monotonic() - self.clock_started_s) * speed
        behind_h = (target_s - self.world.now_s) / 3600
        if behind_h > 0:
            self.world.advance(behind_h)


def create_app(config: SimulatorConfig, world: World | None = None) -> Starlette:
    """The simulator as an ASGI app (builds the world of ``config`` when none is given)."""
    world = world if world is not None else build_world(config)
    state = SimulatorState(
        config=config,
        world=world,
        limiter=RateLimiter(parse_rate_limit(config.app_limit), config.method_windows),
        faults={name: float(getattr(config, name)) for name in FAULT_RATE_NAMES},
        random=random.Random(config.seed),
        clock_origin_s=world.now_s,
    )

    async def api(request: Request) -> Response:
        return await handle_api(state, request)

    async def stats(request: Request) -> Response:
        return ok(stats_body(state))

    async def truth(request: Request) -> Response:
        population = request.query_params.get("population")
        if population is not None and population not in Population.__members__:
            names = ", ".join(Population.__members__)
            return riot_error(400, f"population must be one of {names}")
        with state.world.lock:
            return ok(truth_body(state.world, population))

    async def advance(request: Request) -> Response:
        return advance_clock(state, request.query_params.get("hours", ""))

    async def faults(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:  # not JSON, or not UTF-8: answered like a JSON body of the wrong shape
            body = None
        return set_faults(state, body)

    app = Starlette(
        routes=[
            Route("/__sim/stats", stats),
            Route("/__sim/truth", truth),
            Route("/__sim/advance", advance, methods=["POST"]),
            Route("/__sim/faults", faults, methods=["POST"]),
            Route("/{route}/{path:path}", api),
        ]
    )
    app.state.simulator = state
    return app


async def handle_api(state: SimulatorState, request: Request) -> Response:
    """Answer one Riot API request, as Riot would."""
    route = request.path_params["route"]
    found = find_endpoint("/" + request.path_params["path"])
    if found is None:
        state.traffic.record(route, "unknown", 404)
        return riot_error(404, "resource not found")
    endpoint, path_params = found
    response = await _answer(state, request, route, endpoint, path_params)
    state.traffic.record(route, endpoint.method, response.status_code)
    return response


async def _answer(
    state: SimulatorState,
    request: Request,
    route: str,
    endpoint: Endpoint,
    path_params: dict[str, str],
) -> Response:
    key = request.headers.get("x-riot-token")
    refused = _refuse_key(state.config, key)
    if refused is not None:
        return refused
    if route not in PLATFORM_REGIONS and route not in REGIONS:
        return riot_error(404, f"unknown route {route!r}")
    if route not in endpoint.hosts:
        return riot_error(403)
    app, per_method = state.limiter.hit(key or "", route, endpoint.method, time.monotonic())
    state.traffic.record_limits(endpoint.method, app, per_method)
    response = _rate_limited(state, app, per_method) or await _faulty(state)
    if response is None:
        await _latency(state)
        state.tick_clock()
        response = _from_world(state, route, endpoint, path_params, request)
    if not isinstance(response, DroppedConnection):
        _limit_headers(response, app, per_method)
    return response


def _refuse_key(config: SimulatorConfig, key: str | None) -> Response | None:
    """401 without a key and 403 with a wrong one, when the simulator expects one."""
    if config.api_key is None:
        return None
    if not key:
        return riot_error(401)
    return None if key == config.api_key else riot_error(403)


def _rate_limited(
    state: SimulatorState, app: BucketResult, per_method: BucketResult
) -> Response | None:
    """A 429 when either bucket is over its limit, naming which."""
    for kind, result in (("application", app), ("method", per_method)):
        if result.exceeded:
            state.traffic.rate_limited[kind] += 1
            response = riot_error(429)
            response.headers["Retry-After"] = str(result.retry_after_s)
            response.headers["X-Rate-Limit-Type"] = kind
            return response
    return None


async def _faulty(state: SimulatorState) -> Response | None:
    """An injected fault, if this request draws one."""
    if state.fault("service_429_rate"):
        state.traffic.rate_limited["service"] += 1
        response = riot_error(429)
        response.headers["X-Rate-Limit-Type"] = "service"
        return response
    if state.fault("fault_rate"):
        state.traffic.faults["server_error"] += 1
        return riot_error(state.random.choice(SERVER_ERRORS))
    if state.fault("drop_rate"):
        state.traffic.faults["dropped"] += 1
        return DroppedConnection()
    if state.fault("slow_rate"):
        state.traffic.faults["slow"] += 1
        await asyncio.sleep(state.config.slow_response_s)
    if state.fault("malformed_rate"):
        state.traffic.faults["malformed"] += 1
        return malformed()
    return None


async def _latency(state: SimulatorState) -> None:
    low_ms, high_ms = state.config.latency_ms
    if high_ms > 0:
        await asyncio.sleep(state.random.uniform(low_ms, high_ms) / 1000)


def _from_world(
    state: SimulatorState,
    route: str,
    endpoint: Endpoint,
    path_params: dict[str, str],
    request: Request,
) -> Response:
    """The world's answer; matches live on the world's regional route only.

    Platform methods answer on every platform: the handler knows which platform each player
    is on now (the world's own, or the one they transferred to).
    """
    if endpoint.method.startswith("match-v5") and route != state.config.region:
        if endpoint.method == "match-v5.getMatchIdsByPUUID":
            return ok([])
        return riot_error(404, "data not found on this route")
    with state.world.lock:
        return endpoint.handler(state.world, {**path_params, "route": route}, request.query_params)


def _limit_headers(response: Response, app: BucketResult, per_method: BucketResult) -> None:
    response.headers["X-App-Rate-Limit"] = app.header
    response.headers["X-App-Rate-Limit-Count"] = app.count_header
    response.headers["X-Method-Rate-Limit"] = per_method.header
    response.headers["X-Method-Rate-Limit-Count"] = per_method.count_header


def stats_body(state: SimulatorState) -> dict[str, Any]:
    """GET /__sim/stats: traffic, the world's size and clock."""
    body = state.traffic.snapshot()
    body["world"] = {
        "players": state.world.players.count,
        "matches": state.world.matches.count,
        "now_s": state.world.now_s,
    }
    body["faults"] = {**body["faults"], "rates": dict(state.faults)}
    return body


def truth_body(world: World, population: str | None = None) -> list[dict[str, Any]]:
    """GET /__sim/truth[?population=SMURF]: who every player (of a population) really is."""
    players = world.players
    chosen = (
        np.arange(players.count)
        if population is None
        else np.flatnonzero(players.population == int(Population[population]))
    )
    names, tags = world.current_riot_ids()
    true_skill = players.true_skill()
    games = np.bincount(world.matches.player.ravel(), minlength=players.count)
    banned = world.banned_now()
    return [
        {
            "puuid": str(players.puuid[i]),
            "game_name": str(names[i]),
            "tag_line": str(tags[i]),
            "population": Population(int(players.population[i])).name,
            "is_banned": bool(banned[i]),
            "platform": world.platform_of(int(i)),
            "renamed": bool(players.renamed_at_s[i] <= world.now_s),
            "true_skill": round(float(true_skill[i]), 1),
            "true_tier": rank_of(float(true_skill[i])).tier,
            "games": int(games[i]),
        }
        for i in chosen
    ]


def advance_clock(state: SimulatorState, hours_text: str) -> JSONResponse:
    """POST /__sim/advance?hours=N: move simulated time forward."""
    try:
        hours = float(hours_text)
    except ValueError:
        return riot_error(400, "hours must be a number, e.g. /__sim/advance?hours=24")
    if not 0 <= hours <= 24 * 365:
        return riot_error(400, "hours must be between 0 and 8760")
    created = state.world.advance(hours)
    state.clock_origin_s += round(hours * 3600)
    return ok({"now_s": state.world.now_s, "new_matches": created})


def set_faults(state: SimulatorState, body: Any) -> JSONResponse:
    """POST /__sim/faults: change fault shares, e.g. {"fault_rate": 0.1}."""
    if not isinstance(body, dict) or not set(body) <= set(FAULT_RATE_NAMES):
        names = ", ".join(FAULT_RATE_NAMES)
        return riot_error(400, f"send a JSON object with some of: {names}")
    try:
        for name, rate in body.items():
            # A share is a JSON number: text ("0.5"), true or null is a mistake, not a share.
            if isinstance(rate, bool) or not isinstance(rate, int | float):
                raise SimulatorConfigError(
                    f"{name} must be a share between 0 and 1, a JSON number (got {rate!r})."
                )
            check_rate(name, float(rate))
    except SimulatorConfigError as exc:
        return riot_error(400, str(exc))
    state.faults.update({name: float(rate) for name, rate in body.items()})
    return ok(dict(state.faults))
