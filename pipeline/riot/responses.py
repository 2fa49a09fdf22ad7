"""Turning an HTTP response the client will not retry into a payload or an error."""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import unquote

import httpx
import orjson

from pipeline.log import REDACTED, RIOT_KEY_PATTERN, holds_secret
from pipeline.riot.errors import (
    AuthenticationError,
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    RiotAPIError,
    UnexpectedResponseError,
)

_MESSAGE_MAX_CHARS = 200


class MalformedBody(ValueError):
    """A 2xx response whose body is not JSON (retried, then reported)."""


def payload_of(response: httpx.Response) -> Any:
    """The JSON body of a successful response; ``MalformedBody`` when it is not JSON."""
    try:
        # orjson: a match is ~70 KB of JSON, and orjson reads it several times faster.
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(str(exc)) from None


def api_message(response: httpx.Response, secret: str | None) -> str:
    """Riot's explanation from an error body (``{"status": {"message": ...}}``), if any.

    Error bodies are not always JSON (proxies, outages); whatever they hold, this returns a
    short single-line text and never raises.
    """
    try:
        message = str(json.loads(response.content)["status"]["message"])
    except (ValueError, UnicodeDecodeError, KeyError, TypeError):
        message = response.content.decode("utf-8", "replace")
    message = " ".join(message.split())
    # Riot does not echo the key, but a proxy in between might, even URL-encoded. Redacted
    # before the message is cut short: a key across the cut left all but its tail.
    if holds_secret(_decoded(message), secret):
        message = RIOT_KEY_PATTERN.sub(REDACTED, message)
        if holds_secret(secret or "", secret):  # configured, and long enough to be a key
            message = _echoed(str(secret).strip()).sub(REDACTED, message)
        if holds_secret(_decoded(message), secret):  # encoded some other way: none of it
            message = f"{REDACTED} (the body held the API key, encoded)"
    return message[:_MESSAGE_MAX_CHARS]


def _decoded(text: str, times: int = 3) -> str:
    """``text`` percent-decoded until it stops changing (a proxy may encode twice)."""
    for _ in range(times):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


@functools.cache
def _echoed(secret: str) -> re.Pattern[str]:
    """``secret`` as text may echo it: each character as is or percent-encoded."""
    return re.compile(
        "".join(
            f"(?:{re.escape(c)}|%{ord(c):02x})" if ord(c) < 128 else re.escape(c) for c in secret
        ),
        re.IGNORECASE,
    )


def error_for_response(
    response: httpx.Response, *, method: str, path: str, secret: str | None
) -> RiotAPIError:
    """The error for a final non-2xx response (the caller handled 429 and 5xx retries)."""
    status = response.status_code
    detail = api_message(response, secret)
    said = f" (the API said: {detail})" if detail else ""
    if status == 400:
        error_type: type[RiotAPIError] = BadRequestError
        message = (
            f"The Riot API rejected {method} {path} as a bad request{said}; check the parameters."
        )
    elif status == 401:
        error_type = AuthenticationError
        message = (
            f"The Riot API answered 401 Unauthorized for {method}: no API key was sent; "
            "set RIOT_API_KEY."
        )
    elif status == 403:
        error_type = ForbiddenError
        message = (
            f"The Riot API answered 403 Forbidden for {method}: the API key is invalid, "
            "expired (development keys last 24 h) or not allowed this endpoint; "
            "set RIOT_API_KEY to a current key."
        )
    elif status == 404:
        error_type = NotFoundError
        message = (
            f"The Riot API has no data for {method} {path}{said}; check the id and the platform."
        )
    else:
        error_type = UnexpectedResponseError
        message = (
            f"The Riot API answered {status} for {method} {path}{said}, which this client "
            "does not handle; check the base URL (RIOT_API_BASE)."
        )
    return error_type(message, method=method, path=path, status_code=status)
