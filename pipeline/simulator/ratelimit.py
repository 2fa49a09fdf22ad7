"""Riot-style rate limiting on the server side.

Each key (the X-Riot-Token value) has an application bucket per route host and a method
bucket per (host, method). A bucket has one fixed window per configured limit; a window
opens with its first request and resets when its time is up, as Riot's do. Every request
counts, rejected ones included, and the counts returned include the current request.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.simulator.config import RateWindow


@dataclass
class WindowCounter:
    """Requests counted in the current fixed window."""

    window: RateWindow
    opened_at_s: float = -math.inf
    count: int = 0

    def hit(self, now_s: float) -> int:
        """Count one request; return the count including it."""
        if now_s - self.opened_at_s >= self.window.window_s:
            self.opened_at_s = now_s
            self.count = 0
        self.count += 1
        return self.count

    def retry_after_s(self, now_s: float) -> int:
        """Whole seconds until this window resets."""
        return max(1, math.ceil(self.opened_at_s + self.window.window_s - now_s))


@dataclass
class BucketResult:
    """The outcome of counting one request in one bucket."""

    header: str  # e.g. "20:1,100:120"
    count_header: str  # e.g. "3:1,3:120"
    exceeded: bool
    retry_after_s: int
    counts: tuple[int, ...]


@dataclass
class Bucket:
    """All windows of one limit (application or one method)."""

    windows: tuple[RateWindow, ...]
    counters: list[WindowCounter] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.counters = [WindowCounter(w) for w in self.windows]

    def hit(self, now_s: float) -> BucketResult:
        """Count one request in every window."""
        counts = tuple(c.hit(now_s) for c in self.counters)
        over = [c for c, n in zip(self.counters, counts, strict=True) if n > c.window.limit]
        return BucketResult(
            header=",".join(w.header() for w in self.windows),
            count_header=",".join(
                f"{n}:{w.window_s}" for n, w in zip(counts, self.windows, strict=True)
            ),
            exceeded=bool(over),
            retry_after_s=max((c.retry_after_s(now_s) for c in over), default=0),
            counts=counts,
        )


@dataclass
class RateLimiter:
    """Application and method buckets per key and host, created on first use."""

    app_windows: tuple[RateWindow, ...]
    method_windows: Callable[[str], tuple[RateWindow, ...]]
    buckets: dict[tuple[str, ...], Bucket] = field(default_factory=dict)

    def hit(
        self, key: str, host: str, method: str, now_s: float
    ) -> tuple[BucketResult, BucketResult]:
        """Count one request against its application and method buckets."""
        app = self._bucket((key, host), self.app_windows)
        per_method = self._bucket((key, host, method), self.method_windows(method))
        return app.hit(now_s), per_method.hit(now_s)

    def _bucket(self, name: tuple[str, ...], windows: tuple[RateWindow, ...]) -> Bucket:
        bucket = self.buckets.get(name)
        if bucket is None:
            bucket = self.buckets[name] = Bucket(windows)
        return bucket
