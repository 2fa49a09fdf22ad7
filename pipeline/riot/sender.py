"""One API call: wait for a slot, send, retry what is worth retrying, count everything.

Retried (a bounded number of times, with capped exponential backoff and jitter): 429,
5xx, transport errors and timeouts, and 2xx bodies that are not JSON. Never retried: any
other 4xx. A 429 with ``Retry-After`` for the application or method limit blocks that
bucket in the limiter, so every caller waits, not only this one; other 429s (service
limits, usually without ``Retry-After``) back off for this call only.

Waiting for the rate limit is charged to the call's wait budget (``max_wait_s``); when the
next wait would exceed it, the call raises ``RateLimitError`` without sleeping.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from pipeline.log import get_logger
from pipeline.riot.errors import (
    RateLimitError,
    RiotAPIError,
    RiotTransportError,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from pipeline.riot.limiter import RateLimiter, Ticket
from pipeline.riot.ratelimit import parse_retry_after_s
from pipeline.riot.responses import MalformedBody, error_for_response, payload_of

log = get_logger("pipeline.riot")


@dataclass(frozen=True)
class Call:
    """What one endpoint call needs: where to send it and what to name it in errors."""

    route: str
    method: str  # endpoint name, e.g. "match-v5.getMatch"
    path: str  # URL path, already percent-encoded
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass
class RetryPolicy:
    """How many times and how patiently to retry a call."""

    max_retries: int = 3
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0

    def backoff_s(self, attempt: int) -> float:
        """Capped exponential backoff with jitter, so retrying callers spread out."""
        ceiling_s = min(self.backoff_cap_s, self.backoff_base_s * 2.0**attempt)
        return ceiling_s * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class Payload:
    """A response's JSON, and the bytes it was read from (kept, not encoded again)."""

    value: Any
    body: bytes


@dataclass(frozen=True)
class _Retryable:
    reason: str  # for the log line: "503", "429", "transport_error", "malformed_body"
    error: RiotAPIError  # raised when no attempt is left


class _Budget:
    """The part of a call's wait budget not yet spent on rate-limit waits."""

    def __init__(self, max_wait_s: float | None) -> None:
        self.max_wait_s = max_wait_s
        self.spent_s = 0.0

    def remaining_s(self) -> float | None:
        return None if self.max_wait_s is None else max(0.0, self.max_wait_s - self.spent_s)


class Sender:
    """Sends calls through the limiter over one ``httpx.AsyncClient``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        limiter: RateLimiter,
        retry: RetryPolicy,
        secret: str | None,
    ) -> None:
        self._http = http
        self._base_url = base_url
        self._limiter = limiter
        self._retry = retry
        self._secret = secret
        self.counts: Counter[str] = Counter()

    async def get_json(self, call: Call, *, max_wait_s: float | None) -> Any:
        """The JSON payload of ``call``, after whatever waits and retries it takes."""
        return (await self.get_payload(call, max_wait_s=max_wait_s)).value

    async def get_payload(self, call: Call, *, max_wait_s: float | None) -> Payload:
        """``call``'s JSON and the response bytes, after whatever waits and retries it takes."""
        host = self._base_url.format(route=call.route)
        budget = _Budget(max_wait_s)
        attempts = self._retry.max_retries + 1
        for attempt in range(attempts):
            response = await self._send_once(host, call, budget)
            verdict = self._judge(call, response, attempts)
            if isinstance(verdict, Payload):
                return verdict
            final = attempt == attempts - 1
            if response is not None and response.status_code == 429:
                _log_429(call, response, attempt)
                if not final:
                    await self._after_429(response, call, attempt, budget)
                    continue
            if final:
                raise verdict.error
            await self._back_off(call, attempt, reason=verdict.reason)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _judge(
        self, call: Call, response: httpx.Response | None, attempts: int
    ) -> Payload | _Retryable:
        """The payload, or what went wrong and is worth retrying; raises what is not."""
        if response is None:
            return _Retryable(
                "transport_error",
                RiotTransportError(
                    f"Could not reach the Riot API for {call.method} {call.path} after "
                    f"{attempts} attempts; check the network and RIOT_API_BASE.",
                    method=call.method,
                    path=call.path,
                ),
            )
        status = response.status_code
        if 200 <= status < 300:
            try:
                return Payload(payload_of(response), response.content)
            except MalformedBody:
                # Not an answer this client can read (a web page where the API should be):
                # counted apart from the readable ones, so that a run that got nothing else
                # does not pass for one that was answered.
                self.counts[str(status)] -= 1
                if self.counts[str(status)] <= 0:
                    del self.counts[str(status)]
                self.counts["malformed_body"] += 1
                return _Retryable("malformed_body", self._malformed(call, status))
        if status == 429:
            return _Retryable("429", _rate_limit_error(call, response, None))
        if status >= 500:
            return _Retryable(
                str(status),
                ServiceUnavailableError(
                    f"The Riot API answered {status} for {call.method} {call.path} "
                    f"{attempts} times; the service is unavailable, try again later.",
                    method=call.method,
                    path=call.path,
                    status_code=status,
                ),
            )
        raise error_for_response(response, method=call.method, path=call.path, secret=self._secret)

    async def _send_once(self, host: str, call: Call, budget: _Budget) -> httpx.Response | None:
        """One request through the limiter; ``None`` when no response came back."""
        waited_from = time.monotonic()
        try:
            ticket = await self._limiter.acquire(host, call.method, max_wait_s=budget.remaining_s())
        except RateLimitError as exc:
            exc.path = call.path
            raise
        budget.spent_s += time.monotonic() - waited_from
        return await self._exchange(ticket, host + call.path, call.params)

    async def _exchange(
        self, ticket: Ticket, url: str, params: dict[str, str | int]
    ) -> httpx.Response | None:
        try:
            response = await self._http.get(url, params=params)
        except httpx.RequestError:  # Connection failures and timeouts.
            self._limiter.release(ticket, status_code=None, headers=None)
            self.counts["transport_error"] += 1
            return None
        except BaseException:
            # Cancelled mid-request: free the slot as if the server counted the request.
            self._limiter.release(ticket, status_code=None, headers=None)
            self.counts["cancelled"] += 1
            raise
        self._limiter.release(ticket, status_code=response.status_code, headers=response.headers)
        self.counts[str(response.status_code)] += 1
        return response

    async def _after_429(
        self, response: httpx.Response, call: Call, attempt: int, budget: _Budget
    ) -> None:
        retry_after_s = parse_retry_after_s(response.headers.get("Retry-After"))
        limit_type = _limit_type(response)
        wait_s = retry_after_s if retry_after_s is not None else self._retry.backoff_s(attempt)
        remaining_s = budget.remaining_s()
        if remaining_s is not None and wait_s > remaining_s:
            raise _rate_limit_error(call, response, wait_s)
        if retry_after_s is not None and limit_type in ("application", "method"):
            return  # The limiter now blocks the bucket; the next acquire waits and is charged.
        budget.spent_s += wait_s
        await asyncio.sleep(wait_s)

    async def _back_off(self, call: Call, attempt: int, *, reason: str) -> None:
        backoff_s = self._retry.backoff_s(attempt)
        log.info(
            "riot.retry",
            method=call.method,
            path=call.path,
            reason=reason,
            attempt=attempt + 1,
            backoff_s=round(backoff_s, 3),
        )
        await asyncio.sleep(backoff_s)

    def _malformed(self, call: Call, status: int) -> UnexpectedResponseError:
        return UnexpectedResponseError(
            f"The Riot API answered {call.method} {call.path} with a body that is not JSON, "
            "every time it was asked; check RIOT_API_BASE points at the Riot API.",
            method=call.method,
            path=call.path,
            status_code=status,
        )


def _limit_type(response: httpx.Response) -> str:
    return response.headers.get("X-Rate-Limit-Type") or "unknown"


def _rate_limit_error(call: Call, response: httpx.Response, wait_s: float | None) -> RateLimitError:
    """The error for a 429: ``wait_s`` is the wait needed (default: Retry-After)."""
    if wait_s is None:
        wait_s = parse_retry_after_s(response.headers.get("Retry-After"))
    limit_type = _limit_type(response)
    when = f"retry in {wait_s:.1f} s" if wait_s is not None else "retry later"
    return RateLimitError(
        f"The Riot API rate-limited {call.method} {call.path} ({limit_type} limit); {when}.",
        retry_after_s=wait_s,
        limit_type=limit_type,
        method=call.method,
        path=call.path,
    )


def _log_429(call: Call, response: httpx.Response, attempt: int) -> None:
    log.warning(
        "riot.rate_limited",
        method=call.method,
        path=call.path,
        limit_type=_limit_type(response),
        retry_after_s=parse_retry_after_s(response.headers.get("Retry-After")),
        attempt=attempt + 1,
    )
