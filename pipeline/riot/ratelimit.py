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
- when the server counts more than this process can account for (another process uses the
  same key), the excess holds slots until it must have left the server's window.

This rule guarantees that any interval of ``span`` seconds sees at most ``limit`` arrivals.
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
class _Excess:
    """Requests the server counted that this process did not send, until ``expires_at``."""

    count: int
    expires_at: float


@dataclass
class Bucket:
    """One rate-limit bucket (an application or a method on one route host).

    ``windows is None`` until the first response with this bucket's headers arrives; until
    then the caller limits the bucket to a few requests in flight.
    """

    margin_s: float
    windows: tuple[Window, ...] | None = None
    in_flight: int = 0
    blocked_until: float = 0.0
    # Times responses arrived, in order (appended as they happen, so already sorted).
    completions: deque[float] = field(default_factory=deque)
    excess: dict[float, list[_Excess]] = field(default_factory=dict)

    def wait_s(self, now: float) -> float:
        """How long until one more request fits every known window (0: it fits now)."""
        waits = [self.blocked_until - now]
        for window in self.windows or ():
            waits.append(self._window_wait_s(window, now))
        return max(0.0, *waits)

    def used(self, window: Window, now: float) -> int:
        """Slots of ``window`` held right now: in flight, recently answered, and excess."""
        first_live = bisect.bisect_right(self.completions, now - window.span_s - self.margin_s)
        return self.in_flight + len(self.completions) - first_live + self._excess(window, now)

    def _excess(self, window: Window, now: float) -> int:
        live = [e.count for e in self.excess.get(window.span_s, ()) if e.expires_at > now]
        return max(live, default=0)

    def _window_wait_s(self, window: Window, now: float) -> float:
        to_free = self.used(window, now) - window.limit + 1
        if to_free <= 0:
            return 0.0
        hold_s = window.span_s + self.margin_s
        first_live = bisect.bisect_right(self.completions, now - hold_s)
        oldest = itertools.islice(self.completions, first_live, first_live + to_free)
        frees = [t + hold_s for t in oldest]
        frees += [e.expires_at for e in self.excess.get(window.span_s, ()) if e.expires_at > now]
        # A request still in flight frees its slot no sooner than a full window from now.
        frees += [now + hold_s] * min(self.in_flight, to_free)
        frees.sort()
        return frees[to_free - 1] - now if len(frees) >= to_free else hold_s

    def record_response(
        self, *, sent_at: float, now: float, limits: str | None, counts: str | None
    ) -> None:
        """A request sent at ``sent_at`` got an answer now; learn from its headers."""
        self.in_flight -= 1
        self.completions.append(now)
        if limits is not None:
            self.windows = parse_limits(limits)
        self._note_server_counts(parse_counts(counts), sent_at=sent_at, now=now)
        self._prune(now)

    def _note_server_counts(self, counts: dict[float, int], *, sent_at: float, now: float) -> None:
        for window in self.windows or ():
            server_count = counts.get(window.span_s)
            if server_count is None:
                continue
            # Every request of ours the server can have counted was answered after
            # sent_at - span, or is still in flight; anything beyond that is someone else's.
            ours = self.in_flight + len(self.completions)
            ours -= bisect.bisect_right(self.completions, sent_at - window.span_s)
            if server_count > ours:
                self._add_excess(window, server_count - ours, now + window.span_s + self.margin_s)

    def _add_excess(self, window: Window, count: int, expires_at: float) -> None:
        kept = [
            e
            for e in self.excess.get(window.span_s, [])
            if not (e.count <= count and e.expires_at <= expires_at)
        ]
        self.excess[window.span_s] = [*kept, _Excess(count, expires_at)]

    def _prune(self, now: float) -> None:
        if self.windows is None:
            return  # The windows are not known yet, so neither is how much history matters.
        horizon_s = max((w.span_s for w in self.windows), default=0.0) + self.margin_s
        while self.completions and self.completions[0] <= now - horizon_s:
            self.completions.popleft()
        for span, entries in list(self.excess.items()):
            self.excess[span] = [e for e in entries if e.expires_at > now]

    def record_no_response(self, now: float) -> None:
        """A request failed without an answer; the server may still have counted it."""
        self.in_flight -= 1
        self.completions.append(now)

    def block(self, until: float) -> None:
        """Send nothing on this bucket before ``until`` (the server said so with a 429)."""
        self.blocked_until = max(self.blocked_until, until)
