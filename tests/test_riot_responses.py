"""Responses no simulator sends (proxy pages, odd statuses) and what the client sends.

These use ``httpx.MockTransport``: the behaviour under test is the client's reading of a
response, or the headers it passes, not any server's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from pipeline.riot import (
    BadRequestError,
    NotFoundError,
    RiotClient,
    ServiceUnavailableError,
    UnexpectedResponseError,
)

KEY = "RGAPI-00000000-aaaa-bbbb-cccc-000000000000"
LIMITS = {"X-App-Rate-Limit": "100:1", "X-Method-Rate-Limit": "100:1"}


def answer(
    status: int, body: bytes, seen: list[httpx.Request] | None = None, **headers: str
) -> httpx.MockTransport:
    """A transport answering every request with the same response."""

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=body, headers={**LIMITS, **headers})

    return httpx.MockTransport(handler)


def run(
    transport: httpx.MockTransport,
    call: Callable[[RiotClient], Awaitable[Any]],
    key: str | None = KEY,
) -> Any:
    async def main() -> Any:
        async with RiotClient(key, transport=transport, backoff_base_s=0.001) as client:
            return await call(client)

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(404, NotFoundError), (400, BadRequestError), (418, UnexpectedResponseError)],
)
def test_html_error_pages_become_clear_errors(status: int, error_type: type[Exception]) -> None:
    """An error whose body is an HTML page raises the status's error with a short excerpt."""
    page = b"<html><body>\n  <h1>Gateway says no</h1>\n" + b"x" * 5000 + b"</body></html>"
    with pytest.raises(error_type) as caught:
        run(answer(status, page), lambda c: c.get_match("EUW1_1"))
    assert "<h1>Gateway says no</h1>" in str(caught.value)
    assert len(str(caught.value)) < 500


def test_binary_error_body_does_not_crash() -> None:
    """An error body that is not even text still yields the status's error."""
    with pytest.raises(NotFoundError):
        run(answer(404, b"\xff\xfe\x00\x81"), lambda c: c.get_match("EUW1_1"))


def test_empty_5xx_bodies_are_retried_then_reported() -> None:
    """A 503 with an empty body is retried and then raises ServiceUnavailableError."""
    seen: list[httpx.Request] = []
    with pytest.raises(ServiceUnavailableError) as caught:
        run(answer(503, b"", seen), lambda c: c.get_match("EUW1_1"))
    assert (caught.value.status_code, len(seen)) == (503, 4)


def test_wrong_json_shape_is_unexpected() -> None:
    """A 200 whose JSON is not the shape the endpoint returns raises UnexpectedResponseError."""
    with pytest.raises(UnexpectedResponseError, match="JSON object"):
        run(answer(200, b"[1, 2]"), lambda c: c.get_match("EUW1_1"))
    with pytest.raises(UnexpectedResponseError, match="match ids"):
        run(answer(200, b"[1, 2]"), lambda c: c.get_match_ids("p" * 78, platform="euw1"))


@pytest.mark.parametrize(
    "echoed",
    [
        KEY,
        KEY.replace("-", "%2D"),  # URL-encoded, in part or whole: it was shown whole
        "".join(f"%{ord(c):02X}" for c in KEY),
    ],
)
def test_an_echoed_key_is_redacted_from_messages(echoed: str) -> None:
    """Even if a proxy echoes the key in an error body, the error message hides it."""
    body = f'{{"status": {{"message": "bad token {echoed}", "status_code": 400}}}}'.encode()
    with pytest.raises(BadRequestError) as caught:
        run(answer(400, body), lambda c: c.get_match("EUW1_1"))
    assert echoed not in str(caught.value)
    assert "bad token ***" in str(caught.value)


@pytest.mark.parametrize(
    "echoed",
    [
        KEY,
        KEY.replace("-", "%2D"),
        "".join(f"%{ord(c):02X}" for c in KEY),  # every character encoded
        KEY.replace("-", "%252D"),  # encoded twice
        KEY.replace("RGAPI", "RGApi"),
    ],
)
def test_a_key_nobody_configured_is_redacted_from_messages(echoed: str) -> None:
    """Without RIOT_API_KEY (a proxy holding the key), a Riot-shaped key echoed in an
    error body, however encoded, never reaches the message."""
    body = f'{{"status": {{"message": "bad token {echoed}", "status_code": 400}}}}'.encode()
    with pytest.raises(BadRequestError) as caught:
        run(answer(400, body), lambda c: c.get_match("EUW1_1"), key=None)
    assert echoed not in str(caught.value)
    assert KEY[6:14] not in str(caught.value)
    assert "***" in str(caught.value)


@pytest.mark.parametrize("json_body", [True, False])
def test_a_key_across_the_messages_cut_is_redacted_whole(json_body: bool) -> None:
    """A message is cut at 200 characters after the key is redacted: cut first, a key that
    crossed the cut kept all but its tail and was no longer the key to replace."""
    text = "x" * (200 - len(" token ") - len(KEY) + 3) + " token " + KEY
    body = (
        f'{{"status": {{"message": "{text}", "status_code": 404}}}}' if json_body else text
    ).encode()
    with pytest.raises(NotFoundError) as caught:
        run(answer(404, body), lambda c: c.get_match("EUW1_1"))
    assert KEY[:12] not in str(caught.value)
    assert " token ***" in str(caught.value)


def test_key_travels_in_the_riot_token_header_only() -> None:
    """The key is sent as X-Riot-Token, never in the URL; without a key no header is sent."""
    seen: list[httpx.Request] = []
    run(answer(200, b"{}", seen), lambda c: c.get_match("EUW1_1"))
    run(answer(200, b"{}", seen), lambda c: c.get_match("EUW1_1"), key=None)
    assert seen[0].headers["X-Riot-Token"] == KEY
    assert KEY not in str(seen[0].url)
    assert "X-Riot-Token" not in seen[1].headers


def test_requests_go_to_the_route_host_with_riot_parameter_names() -> None:
    """Match ids go to the platform's regional host with Riot's query parameter names."""
    seen: list[httpx.Request] = []
    run(
        answer(200, b"[]", seen),
        lambda c: c.get_match_ids(
            "p" * 78, platform="kr", start=5, count=7, queue=420, start_time=1, end_time=2
        ),
    )
    url = seen[0].url
    assert url.host == "asia.api.riotgames.com"
    assert url.path == f"/lol/match/v5/matches/by-puuid/{'p' * 78}/ids"
    expected = {"start": "5", "count": "7", "queue": "420", "startTime": "1", "endTime": "2"}
    assert dict(url.params) == expected


def test_sea_accounts_are_asked_of_asia() -> None:
    """account-v1 for a sea platform (oc1) goes to the asia host."""
    seen: list[httpx.Request] = []
    run(answer(200, b'{"puuid": "p"}', seen), lambda c: c.get_account_by_puuid("p", platform="oc1"))
    assert seen[0].url.host == "asia.api.riotgames.com"


@pytest.mark.parametrize("limit_type", ["weird-new-limit", None])
def test_429_of_an_unknown_type_is_waited_out_and_retried(limit_type: str | None) -> None:
    """A 429 naming no known limit (or none) waits its Retry-After and is retried."""
    replies = iter([429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(replies)
        headers = {**LIMITS, "Retry-After": "0"} if status == 429 else LIMITS
        if status == 429 and limit_type is not None:
            headers["X-Rate-Limit-Type"] = limit_type
        return httpx.Response(status, content=b"{}", headers=headers)

    with capture_logs() as events:
        assert run(httpx.MockTransport(handler), lambda c: c.get_match("EUW1_1")) == {}
    limited = [e for e in events if e["event"] == "riot.rate_limited"]
    assert [e["limit_type"] for e in limited] == [limit_type or "unknown"]
