"""The process-wide rate limiter every ``RiotClient`` sends through.

Per route host (``https://euw1.api.riotgames.com``) there is an application bucket, and per
(host, endpoint) a method bucket; see ``pipeline.riot.ratelimit`` for the window maths.
A request is sent only when both of its buckets have a free slot in every known window,
counting requests in flight. Until a bucket's first headers arrive, one request at a time
uses it (``initial_in_flight``), and the bucket opens fully once that is answered: another
process may already have used the key's window, and every request sent before the
headers say so would draw a 429.

Checking and reserving a slot happen in one synchronous step, so no lock is needed under
asyncio and nothing is held while a caller sleeps: a caller that finds no slot takes a
place in line and sleeps until its turn should come (or until a response arrives, while a
bucket is still unknown), then checks again. A caller whose turn would come after its
wait budget raises ``RateLimitError`` at once.

Riot's limits belong to an API key, so use one limiter per key and event loop (one per
process, in practice).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.riot.errors import RateLimitError
from pipeline.riot.ratelimit import Bucket, parse_retry_after_s

DEFAULT_MARGIN_S = 0.1
# Sleeping a hair past the computed instant avoids waking just before a slot frees.
_OVERSLEEP_S = 0.002
# A caller waiting for a response re-checks at least this often, whatever happens.
_RESPONSE_POLL_S = 1.0


@dataclass(frozen=True)
class Ticket:
    """A reserved slot: hand it back to ``RateLimiter.release`` when the request ends."""

    host: str
    method: str
    app_sequence: int  # the request's number in its application bucket
    method_sequence: int  # and in its method bucket


@dataclass(frozen=True)
class _Wait:
    seconds: float
    limit_type: str  # "application" or "method": which bucket is full
    until_response: bool = False  # a still-unknown bucket waits for its first headers


class RateLimiter:
    """Proactive limiter for Riot's application and method rate limits; asyncio-safe."""

    def __init__(
        self,
        *,
        initial_in_flight: int = 1,
        clock: Callable[[], float] = time.monotonic,
        margin_s: float = DEFAULT_MARGIN_S,
    ) -> None:
        if initial_in_flight < 1:
            raise ValueError(f"initial_in_flight must be >= 1 (got {initial_in_flight}).")
        self._initial_in_flight = initial_in_flight
        self._clock = clock
        self._margin_s = margin_s
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._response_waiters: set[asyncio.Future[None]] = set()
        self._places = itertools.count()

    def __repr__(self) -> str:
        return f"RateLimiter(buckets={len(self._buckets)}, margin_s={self._margin_s})"

    def bucket(self, host: str, method: str | None = None) -> Bucket:
        """The application bucket of ``host``, or the method bucket of (host, method)."""
        key = (host, "" if method is None else method)
        if key not in self._buckets:
            self._buckets[key] = Bucket(margin_s=self._margin_s)
        return self._buckets[key]

    def sustained_rate(self, host: str, method: str | None = None) -> float | None:
        """Requests a second the stated limits of ``host`` (or of ``method`` on it) allow over
        a long stretch; ``None`` until an answer stated them."""
        known = self._buckets.get((host, "" if method is None else method))
        return None if known is None else known.sustained_rate()

    def try_acquire(self, host: str, method: str) -> Ticket | _Wait:
        """Reserve a slot now, or say how long to wait for one."""
        now = self._clock()
        pair = (("application", self.bucket(host)), ("method", self.bucket(host, method)))
        waits = [_Wait(b.wait_s(now), kind) for kind, b in pair]
        longest = max(waits, key=lambda w: w.seconds)
        if longest.seconds > 0:
            return longest
        for kind, b in pair:
            if (b.windows is None and b.in_flight >= self._initial_in_flight) or (
                b.windows is not None and b.learning
            ):
                return _Wait(0.0, kind, until_response=True)
        return Ticket(host, method, pair[0][1].reserve(now), pair[1][1].reserve(now))

    async def acquire(self, host: str, method: str, *, max_wait_s: float | None = None) -> Ticket:
        """Wait for a slot; ``RateLimitError`` at once if that would exceed ``max_wait_s``."""
        deadline = None if max_wait_s is None else self._clock() + max_wait_s
        place: int | None = None  # in the line of waiting callers, once this one waits
        while True:
            outcome = self.try_acquire(host, method)
            if isinstance(outcome, Ticket):
                return outcome
            remaining_s = None if deadline is None else deadline - self._clock()
            if outcome.until_response:
                if remaining_s is not None and remaining_s <= 0:
                    raise _budget_error(outcome, method, max_wait_s)
                await self._wait_for_response(remaining_s)
                continue
            place = next(self._places) if place is None else place
            wait = self._wait_in_line(host, method, place)
            if remaining_s is not None and wait.seconds > remaining_s:
                raise _budget_error(wait, method, max_wait_s)
            await self._sleep_in_line(host, method, place, wait.seconds)

    def _wait_in_line(self, host: str, method: str, place: int) -> _Wait:
        """How long until a slot should be free for the caller at ``place`` in line, and
        which limit makes it wait that long (the one a message should name).

        Waking every waiter whenever one slot frees would cost CPU in proportion to the
        waiters; each sleeps instead until as many slots as callers ahead of it (by
        ``place``, taken when it first had to wait), plus one, have freed, then looks again.
        """
        now = self._clock()
        pair = (("application", self.bucket(host)), ("method", self.bucket(host, method)))
        waits = [
            _Wait(b.wait_s(now, queued=bisect.bisect_left(b.line, place)), kind) for kind, b in pair
        ]
        return max(waits, key=lambda w: w.seconds)

    async def _sleep_in_line(self, host: str, method: str, place: int, wait_s: float) -> None:
        buckets = (self.bucket(host), self.bucket(host, method))
        for b in buckets:
            bisect.insort(b.line, place)
        try:
            await asyncio.sleep(wait_s + _OVERSLEEP_S)
        finally:
            for b in buckets:
                b.line.remove(place)

    async def _wait_for_response(self, remaining_s: float | None) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._response_waiters.add(waiter)
        timeout_s = _RESPONSE_POLL_S if remaining_s is None else min(_RESPONSE_POLL_S, remaining_s)
        try:
            await asyncio.wait([waiter], timeout=timeout_s)
        finally:
            self._response_waiters.discard(waiter)
            waiter.cancel()

    def release(
        self, ticket: Ticket, *, status_code: int | None, headers: Mapping[str, str] | None
    ) -> None:
        """The request of ``ticket`` ended, with a response (status and headers) or without."""
        now = self._clock()
        app, method = self.bucket(ticket.host), self.bucket(ticket.host, ticket.method)
        if status_code is None or headers is None:
            app.record_no_response(ticket.app_sequence, now)
            method.record_no_response(ticket.method_sequence, now)
        else:
            buckets = (
                ("X-App-Rate-Limit", app, ticket.app_sequence),
                ("X-Method-Rate-Limit", method, ticket.method_sequence),
            )
            for prefix, b, sequence in buckets:
                limits = headers.get(prefix)
                if limits is None and b.windows is None and _is_ordinary(status_code):
                    limits = ""  # The API does not limit this bucket: stop being cautious.
                b.record_response(
                    sequence=sequence,
                    now=now,
                    limits=limits,
                    counts=headers.get(f"{prefix}-Count"),
                )
            if status_code == 429:
                self._obey_429(headers, app, method, now)
        self._wake_response_waiters()

    @staticmethod
    def _obey_429(headers: Mapping[str, str], app: Bucket, method: Bucket, now: float) -> None:
        retry_after_s = parse_retry_after_s(headers.get("Retry-After"))
        if retry_after_s is None:
            return  # A service 429: the caller backs off; the buckets are not at fault.
        limit_type = (headers.get("X-Rate-Limit-Type") or "").lower()
        if limit_type == "application":
            app.block(now + retry_after_s)
        elif limit_type == "method":
            method.block(now + retry_after_s)

    def _wake_response_waiters(self) -> None:
        for waiter in self._response_waiters:
            if not waiter.done():
                waiter.set_result(None)


def _is_ordinary(status_code: int) -> bool:
    """A response that would carry rate-limit headers if the API had any for the bucket.

    Only successes count: errors (401, 403, 5xx, 429 from a service) often come from layers
    in front of the rate limiter and say nothing about it.
    """
    return 200 <= status_code < 300


def _apart(needed: float, allowed: float) -> tuple[str, str]:
    """Both waits to one decimal, or to as many more (up to three) as it takes for a wait
    just over the budget not to read as equal to it ("2.0 s, more than the 2.0 s")."""
    for places in (1, 2, 3):
        shown = f"{needed:.{places}f}", f"{allowed:.{places}f}"
        if shown[0] != shown[1]:
            return shown
    return shown


def _budget_error(wait: _Wait, method: str, max_wait_s: float | None) -> RateLimitError:
    if wait.until_response:
        message = (
            f"No slot for {method} opened within the {max_wait_s:.1f} s wait budget while "
            "learning the rate limits; try again shortly."
        )
        return RateLimitError(
            message, retry_after_s=None, limit_type=wait.limit_type, method=method, status_code=None
        )
    needed, allowed = _apart(wait.seconds, max_wait_s or 0.0)
    # The application limit covers every method of the key; a method limit, the one named.
    scope = (
        f"application rate limit (every method; next: {method})"
        if wait.limit_type == "application"
        else f"{wait.limit_type} rate limit of {method}"
    )
    # No advice on what to do next: a job's run ends RATE_LIMITED on it, and the scheduler's
    # next run goes on by itself (the job commands say so beside the run).
    message = f"The {scope} needs a wait of {needed} s, more than the {allowed} s allowed."
    return RateLimitError(
        message,
        retry_after_s=wait.seconds,
        limit_type=wait.limit_type,
        method=method,
        status_code=None,
    )
