"""``RiotClient``: the endpoints the product uses, with arguments checked before sending.

Use one client per unit of work and one ``RateLimiter`` per process::

    async with RiotClient(api_key, limiter=limiter, max_wait_s=30) as client:
        account = await client.get_account_by_riot_id("Faker", "KR1", platform="kr")
        async for match_id in client.iter_match_ids(account["puuid"], platform="kr"):
            match = await client.get_match(match_id)

Every method accepts ``max_wait_s``: how long that call may wait for the rate limit
(``None``: as long as it takes); omitted, the client's default applies.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Literal, cast
from urllib.parse import quote

import httpx

from pipeline.config import MISSING_KEY_MESSAGE, REAL_API_HOST, api_base_problem
from pipeline.log import redact_text
from pipeline.riot.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    RiotAPIError,
    RiotTransportError,
    RiotUnavailableError,
    ServiceUnavailableError,
    UnconfirmedNotFoundError,
    UnexpectedResponseError,
)
from pipeline.riot.limiter import RateLimiter
from pipeline.riot.pace import Pace
from pipeline.riot.routing import (
    account_region_of,
    normalise_platform,
    platform_of_match,
    region_of,
)
from pipeline.riot.sender import Call, Payload, RetryPolicy, Sender
from pipeline.riot.types import (
    AccountDto,
    AccountRegionDto,
    LeagueEntryDto,
    MatchDto,
    SummonerDto,
)

DEFAULT_BASE_URL: Final = "https://{route}.api.riotgames.com"
MAX_MATCH_IDS_PER_PAGE: Final = 100
MATCH_TYPES: Final = ("ranked", "normal", "tourney", "tutorial")
# A call waiting for the client's pace looks this often whether pacing was stopped.
_PACE_LOOK_S: Final = 1.0


@dataclass(frozen=True)
class MatchResponse:
    """A match as getMatch answered it: the payload, and its JSON bytes."""

    match: MatchDto
    body: bytes


class _Default(enum.Enum):
    """Marks an argument the caller left out (``None`` has a meaning of its own)."""

    TOKEN = enum.auto()


DEFAULT: Final = _Default.TOKEN
WaitBudget = float | None | Literal[_Default.TOKEN]


class RiotClient:
    """Async client of the Riot API (or of the bundled simulator, via ``base_url``).

    ``api_key`` travels in the ``X-Riot-Token`` header (none is sent for ``None``);
    ``base_url`` is a template with ``{route}``; ``limiter`` should be the process's shared
    one (a private one is made otherwise); ``timeout_s`` bounds each request;
    ``max_retries`` bounds the retries of 429, 5xx, transport errors and broken bodies,
    which back off from ``backoff_base_s`` doubling up to ``backoff_cap_s``; ``max_wait_s``
    is the default wait budget of a call.

    Two guards for a job's unattended runs (a person calling the client wants neither):
    ``doubt_early_not_found`` turns a 404 into ``UnconfirmedNotFoundError`` until some
    request has succeeded (behind a wrong base URL every answer is 404, which must not read
    as every account gone); the first such 404 asks once for the match
    ``find_known_match_id()`` names (one the API served before, looked up only then) and a
    success there confirms the base at once, so a run that only asks about gone accounts
    still learns they are gone. ``give_up_after_failed_calls``
    raises ``RiotUnavailableError`` once that many calls in a row failed after their retries
    (5xx, no answer, unreadable answer), and for every call after it.
    """

    def __init__(
        self,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        *,
        limiter: RateLimiter | None = None,
        timeout_s: float = 10.0,
        max_retries: int = 3,
        max_wait_s: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        doubt_early_not_found: bool = False,
        give_up_after_failed_calls: int | None = None,
        find_known_match_id: Callable[[], str | None] | None = None,
    ) -> None:
        if "{route}" not in base_url:
            shown = redact_text(base_url, [api_key])
            raise InvalidRequestError(
                f"The base URL must contain '{{route}}' (got {shown!r}); "
                "for example https://{route}.api.riotgames.com"
            )
        problem = api_base_problem(base_url)
        if problem is not None:
            raise InvalidRequestError(
                redact_text(
                    f"The base URL is not a usable URL (got {base_url!r}): {problem}; "
                    "for example https://{route}.api.riotgames.com",
                    [api_key],
                )
            )
        if max_retries < 0:
            raise InvalidRequestError(f"max_retries must be >= 0 (got {max_retries}).")
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter if limiter is not None else RateLimiter()
        self.max_wait_s = max_wait_s
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._transport = transport
        self._retry = RetryPolicy(max_retries, backoff_base_s, backoff_cap_s)
        self._sender: Sender | None = None
        self._http: httpx.AsyncClient | None = None
        self._doubt_early_not_found = doubt_early_not_found
        self._find_known_match_id = find_known_match_id
        self._base_probed = False
        self._probe_lock = asyncio.Lock()
        self._give_up_after = give_up_after_failed_calls
        self._failed_in_a_row = 0
        self._gave_up = False
        self._opened_at = time.monotonic()
        self._pace: Pace | None = None
        self._stop_pacing: Callable[[], bool] | None = None

    def __repr__(self) -> str:
        key = "***" if self._api_key else None
        base = redact_text(self.base_url, [self._api_key])
        return f"RiotClient(base_url={base!r}, api_key={key}, sent={self.requests_sent})"

    async def __aenter__(self) -> RiotClient:
        headers = {"X-Riot-Token": self._api_key} if self._api_key else {}
        self._http = httpx.AsyncClient(
            headers=headers, timeout=self._timeout_s, transport=self._transport
        )
        self._opened_at = time.monotonic()
        self._sender = Sender(
            self._http,
            base_url=self.base_url,
            limiter=self.limiter,
            retry=self._retry,
            secret=self._api_key,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.aclose()
        self._http = None

    def sustained_rate(
        self, platform: str, method: str | None = None, *, regional: bool = False
    ) -> float | None:
        """Requests a second the key's stated limits allow over a long stretch on
        ``platform``'s host (its region's, as match-v5 uses it, when ``regional``): its
        application limit, or ``method``'s limit there. ``None`` until an answer of that
        host (and method) stated them."""
        route = region_of(platform) if regional else normalise_platform(platform)
        host = self.base_url.format(route=route)
        return self.limiter.sustained_rate(host, method)

    def pace(
        self,
        requests_per_s: float,
        *,
        burst_s: float,
        stop_pacing: Callable[[], bool] | None = None,
    ) -> None:
        """Spread this client's requests from now on: counted from when it was opened, at
        most ``requests_per_s`` a second, ``burst_s`` seconds' worth ahead (see
        ``pipeline.riot.pace``). Called again, the new rate holds, with every request so far
        counted. Once ``stop_pacing()`` is true (looked at every second of a wait) calls no
        longer wait for the pace: a job asked to stop ends the unit in hand at the key's
        pace instead of sleeping past its grace time."""
        counted = self.requests_sent if self._pace is None else self._pace.reserved
        self._pace = Pace(
            requests_per_s, burst_s=burst_s, started_at=self._opened_at, already_sent=counted
        )
        self._stop_pacing = stop_pacing

    def pace_wait_s(self) -> float:
        """How long the next call would wait for the client's pace (0 when it has none)."""
        return 0.0 if self._pace is None else self._pace.wait_s(self.requests_sent)

    @property
    def requests_sent(self) -> int:
        """Every request sent so far, whatever became of it."""
        return sum(self.request_counts().values())

    def request_counts(self) -> dict[str, int]:
        """Requests sent, by outcome: the status ("200", "429"), "transport_error",
        "cancelled", or "malformed_body" (a 2xx whose body is not JSON)."""
        return dict(self._sender.counts) if self._sender is not None else {}

    def has_succeeded(self) -> bool:
        """Whether any request so far got a 2xx answer with a readable body."""
        return any(_succeeded(outcome) for outcome in self.request_counts())

    # account-v1 ---------------------------------------------------------------------

    async def get_account_by_riot_id(
        self, game_name: str, tag_line: str, *, platform: str, max_wait_s: WaitBudget = DEFAULT
    ) -> AccountDto:
        """The account of a Riot ID (``gameName#tagLine``)."""
        name, tag = _required("game_name", game_name), _required("tag_line", tag_line)
        path = f"/riot/account/v1/accounts/by-riot-id/{_segment(name)}/{_segment(tag)}"
        call = Call(account_region_of(platform), "account-v1.getByRiotId", path)
        return cast(AccountDto, _object(await self._get(call, max_wait_s), call))

    async def get_account_by_puuid(
        self, puuid: str, *, platform: str, max_wait_s: WaitBudget = DEFAULT
    ) -> AccountDto:
        """The account of a puuid (its current Riot ID)."""
        path = f"/riot/account/v1/accounts/by-puuid/{_segment(_required('puuid', puuid))}"
        call = Call(account_region_of(platform), "account-v1.getByPuuid", path)
        return cast(AccountDto, _object(await self._get(call, max_wait_s), call))

    async def get_active_region(
        self, puuid: str, *, platform: str, max_wait_s: WaitBudget = DEFAULT
    ) -> AccountRegionDto:
        """The platform a puuid plays League on now (after a transfer, the new one).

        ``platform`` only picks the account-v1 host; any of them answers for any account.
        (account-v1's active-shards endpoint serves other games, not League.)
        """
        puuid_segment = _segment(_required("puuid", puuid))
        path = f"/riot/account/v1/region/by-game/lol/by-puuid/{puuid_segment}"
        call = Call(account_region_of(platform), "account-v1.getActiveRegion", path)
        return cast(AccountRegionDto, _object(await self._get(call, max_wait_s), call))

    # summoner-v4 and league-v4 ----------------------------------------------------------

    async def get_summoner_by_puuid(
        self, puuid: str, *, platform: str, max_wait_s: WaitBudget = DEFAULT
    ) -> SummonerDto:
        """The League profile of a puuid on one platform (level, icon)."""
        path = f"/lol/summoner/v4/summoners/by-puuid/{_segment(_required('puuid', puuid))}"
        call = Call(normalise_platform(platform), "summoner-v4.getByPUUID", path)
        return cast(SummonerDto, _object(await self._get(call, max_wait_s), call))

    async def get_league_entries_by_puuid(
        self, puuid: str, *, platform: str, max_wait_s: WaitBudget = DEFAULT
    ) -> list[LeagueEntryDto]:
        """The ranked standings of a puuid on one platform (empty when unranked)."""
        path = f"/lol/league/v4/entries/by-puuid/{_segment(_required('puuid', puuid))}"
        call = Call(normalise_platform(platform), "league-v4.getLeagueEntriesByPUUID", path)
        return cast(list[LeagueEntryDto], _list(await self._get(call, max_wait_s), call))

    # match-v5 -----------------------------------------------------------------------------

    async def get_match_ids(
        self,
        puuid: str,
        *,
        platform: str,
        start: int = 0,
        count: int = 20,
        queue: int | None = None,
        type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        max_wait_s: WaitBudget = DEFAULT,
    ) -> list[str]:
        """One page of a player's match ids, newest first (times in epoch seconds)."""
        params = _match_id_params(start, count, queue, type, start_time, end_time)
        path = f"/lol/match/v5/matches/by-puuid/{_segment(_required('puuid', puuid))}/ids"
        call = Call(region_of(platform), "match-v5.getMatchIdsByPUUID", path, params)
        ids = _list(await self._get(call, max_wait_s), call)
        if not all(isinstance(i, str) for i in ids):
            raise _unexpected(call, "a list of match ids")
        return cast(list[str], ids)

    async def iter_match_ids(
        self,
        puuid: str,
        *,
        platform: str,
        page_size: int = MAX_MATCH_IDS_PER_PAGE,
        limit: int | None = None,
        queue: int | None = None,
        type: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        max_wait_s: WaitBudget = DEFAULT,
    ) -> AsyncIterator[str]:
        """All of a player's match ids, newest first, page by page (at most ``limit``)."""
        if not 1 <= page_size <= MAX_MATCH_IDS_PER_PAGE:
            raise InvalidRequestError(f"page_size must be 1-100 (got {page_size}).")
        if limit is not None and limit < 0:
            raise InvalidRequestError(f"limit must be >= 0 (got {limit}).")
        start = 0
        while limit is None or start < limit:
            count = page_size if limit is None else min(page_size, limit - start)
            page = await self.get_match_ids(
                puuid,
                platform=platform,
                start=start,
                count=count,
                queue=queue,
                type=type,
                start_time=start_time,
                end_time=end_time,
                max_wait_s=max_wait_s,
            )
            for match_id in page:
                yield match_id
            if len(page) < count:
                return
            start += len(page)

    async def get_match(self, match_id: str, *, max_wait_s: WaitBudget = DEFAULT) -> MatchDto:
        """A finished match; the route comes from the id's platform prefix."""
        return (await self.get_match_with_body(match_id, max_wait_s=max_wait_s)).match

    async def get_match_with_body(
        self, match_id: str, *, max_wait_s: WaitBudget = DEFAULT
    ) -> MatchResponse:
        """A finished match, with the response's bytes to store as they came."""
        call = _get_match_call(match_id)
        payload = await self._payload(call, max_wait_s)
        return MatchResponse(cast(MatchDto, _object(payload.value, call)), payload.body)

    async def get_match_timeline(
        self, match_id: str, *, max_wait_s: WaitBudget = DEFAULT
    ) -> dict[str, Any]:
        """The minute-by-minute timeline of a finished match."""
        path = f"/lol/match/v5/matches/{_segment(_required('match_id', match_id))}/timeline"
        call = Call(region_of(platform_of_match(match_id)), "match-v5.getTimeline", path)
        return _object(await self._get(call, max_wait_s), call)

    async def _get(self, call: Call, max_wait_s: WaitBudget) -> Any:
        return (await self._payload(call, max_wait_s)).value

    async def _payload(self, call: Call, max_wait_s: WaitBudget) -> Payload:
        """``call``'s answer, through the guards the client was made with."""
        sender = self._ready_sender(call)
        if self._pace is not None:
            await self._keep_pace(self._pace.reserve(self.requests_sent))
        if self._gave_up:
            raise self._unavailable(call)
        budget_s = self.max_wait_s if max_wait_s is DEFAULT else max_wait_s
        try:
            payload = await sender.get_payload(call, max_wait_s=budget_s)
        except NotFoundError as exc:
            self._failed_in_a_row = 0  # an answer, whatever it means
            if self._doubt_early_not_found and not await self._base_confirmed():
                raise UnconfirmedNotFoundError(
                    f"The Riot API answered 404 for {call.method} {call.path} before any "
                    "request of this run succeeded, so it is not taken to mean the account "
                    "or match is gone: it is asked again at the next run. If every request "
                    "answers 404, RIOT_API_BASE is not the Riot API's address.",
                    method=call.method,
                    path=call.path,
                ) from exc
            raise
        except (ServiceUnavailableError, RiotTransportError, UnexpectedResponseError) as exc:
            self._failed_in_a_row += 1
            if self._give_up_after is not None and self._failed_in_a_row >= self._give_up_after:
                self._gave_up = True
                raise self._unavailable(call) from exc
            raise
        self._failed_in_a_row = 0
        return payload

    async def wait_for_pace(self) -> None:
        """Wait until the client's pace lets its next request go (at once without a pace),
        ending the wait once pacing is stopped: a job waits so between its units, so that a
        stop request ends the run between them."""
        await self._keep_pace(self.pace_wait_s())

    async def _keep_pace(self, wait_s: float) -> None:
        """Wait ``wait_s`` for the pace, a second at a time while pacing may be stopped."""
        if self._stop_pacing is None:
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            return
        until = time.monotonic() + wait_s
        while (left_s := until - time.monotonic()) > 0 and not self._stop_pacing():
            await asyncio.sleep(min(left_s, _PACE_LOOK_S))

    async def _base_confirmed(self) -> bool:
        """Whether the base URL is known to reach the API: some request succeeded, or (asked
        once per client) the known match is served."""
        async with self._probe_lock:
            if self.has_succeeded() or self._base_probed or self._find_known_match_id is None:
                return self.has_succeeded()
            self._base_probed = True
            match_id = await asyncio.to_thread(self._find_known_match_id)
            if match_id is None:
                return False
            try:
                probe = _get_match_call(match_id)
                await self._ready_sender(probe).get_payload(probe, max_wait_s=self.max_wait_s)
            except RiotAPIError:
                return False
            return True

    def _unavailable(self, call: Call) -> RiotUnavailableError:
        return RiotUnavailableError(
            f"{self._failed_in_a_row} Riot API calls in a row failed after their retries "
            "(server errors, no answer or unreadable answers), the last one "
            f"{call.method} {call.path}; the run stops here and tries again at its next run. "
            "Check that RIOT_API_BASE is right and the API is up.",
            method=call.method,
            path=call.path,
        )

    def _ready_sender(self, call: Call) -> Sender:
        """The sender, once the client is open and has what the API needs to answer (a
        transport given in place of the network, as tests give, is answered as it likes)."""
        if self._sender is None:
            raise RuntimeError("Use the client inside `async with RiotClient(...) as client:`.")
        if not self._api_key and self._transport is None and REAL_API_HOST in self.base_url:
            # Refused before sending: the real API answers 401 to a request without a key,
            # and without a network each request would fail as if the network were at fault.
            raise AuthenticationError(MISSING_KEY_MESSAGE, method=call.method, path=call.path)
        return self._sender


def _get_match_call(match_id: str) -> Call:
    """match-v5 getMatch of ``match_id``, routed by the id's platform prefix."""
    path = f"/lol/match/v5/matches/{_segment(_required('match_id', match_id))}"
    return Call(region_of(platform_of_match(match_id)), "match-v5.getMatch", path)


def _succeeded(outcome: str) -> bool:
    """Whether a request outcome (``request_counts``' key) is a readable 2xx answer."""
    return outcome.isdigit() and 200 <= int(outcome) < 300


def _required(name: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{name} must be a non-empty string (got {value!r}).")
    return value


def _segment(value: str) -> str:
    """A path segment, percent-encoded (Riot IDs hold spaces, '#', '/', any script)."""
    return quote(value, safe="")


def _match_id_params(
    start: int,
    count: int,
    queue: int | None,
    type: str | None,
    start_time: int | None,
    end_time: int | None,
) -> dict[str, str | int]:
    if start < 0:
        raise InvalidRequestError(f"start must be >= 0 (got {start}).")
    if not 0 <= count <= MAX_MATCH_IDS_PER_PAGE:
        raise InvalidRequestError(f"count must be 0-100 (got {count}).")
    if type is not None and type not in MATCH_TYPES:
        raise InvalidRequestError(f"type must be one of {', '.join(MATCH_TYPES)} (got {type!r}).")
    for name, seconds in (("start_time", start_time), ("end_time", end_time)):
        if seconds is not None and seconds < 0:
            raise InvalidRequestError(f"{name} must be epoch seconds >= 0 (got {seconds}).")
    if start_time is not None and end_time is not None and start_time > end_time:
        raise InvalidRequestError(
            f"start_time ({start_time}) must not be after end_time ({end_time})."
        )
    params: dict[str, str | int] = {"start": start, "count": count}
    optional = {"queue": queue, "type": type, "startTime": start_time, "endTime": end_time}
    params.update({k: v for k, v in optional.items() if v is not None})
    return params


def _object(payload: Any, call: Call) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise _unexpected(call, "a JSON object")
    return payload


def _list(payload: Any, call: Call) -> list[Any]:
    if not isinstance(payload, list):
        raise _unexpected(call, "a JSON list")
    return payload


def _unexpected(call: Call, expected: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"The Riot API answered {call.method} {call.path} with something other than "
        f"{expected}; check RIOT_API_BASE points at the Riot API.",
        method=call.method,
        path=call.path,
        status_code=200,
    )
