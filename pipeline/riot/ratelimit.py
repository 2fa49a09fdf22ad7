"""Rate-limit headers and window maths, with no I/O and no clock of their own.

Riot sends ``X-App-Rate-Limit: 20:1,100:120`` (20 requests per 1 s and 100 per 120 s) and
``X-App-Rate-Limit-Count: 3:1,41:120`` (how many the server has counted in each window,
this request included), and the same pair for the method. Its windows are fixed windows
that open at the first request; a client cannot see where they start, so a ``Bucket``
keeps a conservative log instead:

- a request occupies a slot from the moment it is sent until ``span + margin`` after its
  response arrived (the server saw it somewhere between send and response, so no window
  of the server, fixed or sliding, can count it once the slot is free);
- requests in flight hold slots too; a request whose result is unknown (a transport error)
  is treated as counted;
- the server's count reveals requests made with the same key by someone else (another
  process, or this one before a restart): the count minus every request of ours it could
  possibly include is someone else's, and holds slots until it must have left the server's
  window. (Never more than that: with jittery latency, requests sent later often arrive
  first, and taking them for someone else's would waste slots.) Right after the limits
  become known, a bucket waits for the answers to its first few requests, so the last of
  them measures others' use exactly.

The log alone guarantees that any interval of ``span`` seconds sees at most ``limit`` of
our own arrivals; the estimate of others' requests keeps room for them.
"""

from __future__ import annotations

import bisect
import itertools
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Window:
    """At most ``limit`` requests per ``span_s`` seconds."""

    limit: int
    span_s: float


def parse_limits(header: str | None) -> tuple[Window, ...]:
    """Windows of an ``X-*-Rate-Limit`` header; malformed entries are skipped."""
    return tuple(Window(n, span) for n, span in _pairs(header) if n > 0 and span > 0)


def parse_counts(header: str | None) -> dict[float, int]:
    """Counts of an ``X-*-Rate-Limit-Count`` header, keyed by window span in seconds."""
    return {span: n for n, span in _pairs(header) if n >= 0 and span > 0}


def _pairs(header: str | None) -> list[tuple[int, float]]:
    pairs: list[tuple[int, float]] = []
    for part in (header or "").split(","):
        number, _, span = part.strip().partition(":")
        try:
            pairs.append((int(number), float(span)))
        except ValueError:
            continue  # A header we cannot read must not break the request that carried it.
    return pairs


def parse_retry_after_s(header: str | None) -> float | None:
    """Seconds of a ``Retry-After`` header, or ``None`` when absent or unreadable."""
    if header is None:
        return None
    try:
        seconds = float(header.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


@dataclass
class _Others:
    """Estimates of others' requests in one window, as a sliding maximum over live ones.

    Estimates arrive in expiry order, so keeping counts strictly decreasing from the front
    makes the front the live maximum (the classic monotonic-queue sliding maximum).
    """

    estimates: deque[tuple[float, int]] = field(default_factory=deque)  # (expires_at, count)

    def add(self, expires_at: float, count: int) -> None:
        while self.estimates and self.estimates[-1][1] <= count:
            self.estimates.pop()
        self.estimates.append((expires_at, count))

    def levels(self, now: float) -> list[tuple[float, int]]:
        """``(from_time, count)`` steps of the live maximum, ending with a step to 0."""
        while self.estimates and self.estimates[0][0] <= now:
            self.estimates.popleft()
        steps, since = [], now
        for expires_at, count in self.estimates:
            steps.append((since, count))
            since = expires_at
        steps.append((since, 0))
        return steps


@dataclass
class Bucket:
    """One rate-limit bucket (an application or a method on one route host).

    ``windows is None`` until the first response with this bucket's headers arrives; until
    then the caller limits the bucket to one request in flight.
    """

    margin_s: float
    windows: tuple[Window, ...] | None = None
    sent_total: int = 0
    blocked_until: float = 0.0
    # Places of the callers sleeping until a slot frees, in order (see RateLimiter).
    line: list[int] = field(default_factory=list)
    # Unanswered requests: sequence number -> slots of ours in use when it was sent, per
    # window span (key None while the windows are unknown: every request so far).
    pending: dict[int, dict[float | None, int]] = field(default_factory=dict)
    # Times responses arrived, in order (appended as they happen, so already sorted).
    completions: deque[float] = field(default_factory=deque)
    others: dict[float, _Others] = field(default_factory=dict)

    def sustained_rate(self) -> float | None:
        """Requests a second the stated windows allow over a long stretch (the tightest
        window's limit over its span); ``None`` while the windows are unknown, infinite for a
        bucket the API does not limit."""
        if self.windows is None:
            return None
        return min((w.limit / w.span_s for w in self.windows), default=float("inf"))

    @property
    def in_flight(self) -> int:
        """Requests sent and not answered yet."""
        return len(self.pending)

    @property
    def learning(self) -> bool:
        """Requests sent before the windows were known are still unanswered."""
        return any(None in in_use for in_use in self.pending.values())

    def reserve(self, now: float) -> int:
        """Take a slot for a request about to be sent; returns its sequence number."""
        if self.windows is None:
            in_use: dict[float | None, int] = {None: self.in_flight + len(self.completions)}
        else:
            in_use = {w.span_s: self.ours(w, now) for w in self.windows}
        self.sent_total += 1
        self.pending[self.sent_total] = in_use
        return self.sent_total

    def ours(self, window: Window, now: float) -> int:
        """Slots of ``window`` our own requests hold: in flight or answered recently."""
        first_live = bisect.bisect_right(self.completions, now - window.span_s - self.margin_s)
        return self.in_flight + len(self.completions) - first_live

    def used(self, window: Window, now: float) -> int:
        """Slots of ``window`` held right now: ours plus the live estimate of others'."""
        others = self.others.get(window.span_s)
        return self.ours(window, now) + (others.levels(now)[0][1] if others else 0)

    def wait_s(self, now: float, queued: int = 0) -> float:
        """How long until one more request fits every known window (0: it fits now).

        ``queued`` callers already waiting go first: the answer is when one more than
        they need will fit (capped at a full window, after which callers look again).
        """
        waits = [self.blocked_until - now]
        waits += [self._window_wait_s(window, now, queued) for window in self.windows or ()]
        return max(0.0, *waits)

    def _window_wait_s(self, window: Window, now: float, queued: int) -> float:
        others = self.others.get(window.span_s)
        levels = others.levels(now) if others else [(now, 0)]
        # For each level of others' requests, from when it holds and when ours leave room.
        return min(
            max(since, self._ours_fit_at(window, now, _allowed(window, count, queued))) - now
            for since, count in levels
        )

    def _ours_fit_at(self, window: Window, now: float, allowed: int) -> float:
        """When at most ``allowed`` of our slots in ``window`` are held (inf: never)."""
        if allowed < 0:
            return float("inf")
        hold_s = window.span_s + self.margin_s
        first_live = bisect.bisect_right(self.completions, now - hold_s)
        to_free = self.in_flight + len(self.completions) - first_live - allowed
        if to_free <= 0:
            return now
        oldest = itertools.islice(self.completions, first_live, first_live + to_free)
        frees = [t + hold_s for t in oldest]
        # A request still in flight frees its slot no sooner than a full window from now.
        return frees[-1] if len(frees) == to_free else now + hold_s

    def record_response(
        self, *, sequence: int, now: float, limits: str | None, counts: str | None
    ) -> None:
        """Our ``sequence``-th request got an answer now; learn from its headers."""
        in_use_when_sent = self.pending.pop(sequence, {})
        self.completions.append(now)
        if limits is not None:
            self.windows = parse_limits(limits)
        # The count may include every request of ours in use when this one was sent, this
        # one, and every one sent since (a later request can arrive first).
        ours_at_most = 1 + self.sent_total - sequence
        server_counts = parse_counts(counts)
        for window in self.windows or ():
            server_count = server_counts.get(window.span_s)
            ours_then = in_use_when_sent.get(window.span_s, in_use_when_sent.get(None))
            if server_count is None or ours_then is None:
                continue
            others_count = server_count - ours_then - ours_at_most
            if others_count > 0:
                expires_at = now + window.span_s + self.margin_s
                self.others.setdefault(window.span_s, _Others()).add(expires_at, others_count)
        self._prune(now)

    def _prune(self, now: float) -> None:
        if self.windows is None:
            return  # The windows are not known yet, so neither is how much history matters.
        horizon_s = max((w.span_s for w in self.windows), default=0.0) + self.margin_s
        while self.completions and self.completions[0] <= now - horizon_s:
            self.completions.popleft()

    def record_no_response(self, sequence: int, now: float) -> None:
        """A request failed without an answer; the server may still have counted it."""
        self.pending.pop(sequence, None)
        self.completions.append(now)

    def block(self, until: float) -> None:
        """Send nothing on this bucket before ``until`` (the server said so with a 429)."""
        self.blocked_until = max(self.blocked_until, until)


def _allowed(window: Window, others: int, queued: int) -> int:
    """How many of our slots may be held for one more request to fit behind ``queued``."""
    room = window.limit - 1 - others
    return room if room < 0 else max(0, room - queued)
