"""A client's own pace: a run's share of the key, spread over the run instead of spent at once.

The process's ``RateLimiter`` keeps every request under the key's stated limits, but lets a
caller spend a whole window at once. A key that states only a long window (1,200 requests per
2 minutes) let a run send its share of the window in 70 s; every request of every job then
waited for the window to turn, longer than a call may wait, and the runs ended RATE_LIMITED.
A ``Pace`` spaces one client's requests instead: counted from ``started_at``, the n-th request
is not sent before ``n / requests_per_s - burst_s`` seconds have passed, so at any time the
client has sent at most ``requests_per_s`` x (seconds since + ``burst_s``), plus one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Pace:
    """At most ``requests_per_s`` a second on average since ``started_at``, ``burst_s``
    seconds' worth ahead of that; ``already_sent`` requests count as sent at the start."""

    def __init__(
        self,
        requests_per_s: float,
        *,
        burst_s: float,
        started_at: float,
        already_sent: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(requests_per_s) and requests_per_s > 0):
            raise ValueError(f"requests_per_s must be a positive number (got {requests_per_s}).")
        if not (math.isfinite(burst_s) and burst_s >= 0):
            raise ValueError(f"burst_s must be a number >= 0 (got {burst_s}).")
        self.requests_per_s = requests_per_s
        self.burst_s = burst_s
        self._started_at = started_at
        self._reserved = already_sent
        self._clock = clock

    def __repr__(self) -> str:
        return f"Pace({self.requests_per_s:.2f}/s, burst {self.burst_s:.0f} s, {self._reserved})"

    @property
    def reserved(self) -> int:
        """Requests counted so far: those sent before the pace, and every slot handed out."""
        return self._reserved

    def wait_s(self, sent: int = 0) -> float:
        """How long the next request would wait for its slot, ``sent`` being the requests the
        client has sent so far: retries are sent without a slot, and push the next slot back
        once they bring ``sent`` past the slots handed out."""
        position = max(self._reserved, sent)
        due = self._started_at + position / self.requests_per_s - self.burst_s
        return max(0.0, due - self._clock())

    def reserve(self, sent: int = 0) -> float:
        """Take the next request's slot; how long to wait before sending it."""
        wait = self.wait_s(sent)
        self._reserved = max(self._reserved, sent) + 1
        return wait
