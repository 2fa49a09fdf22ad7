"""What the simulator has been asked and how it answered (served at /__sim/stats)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.simulator.ratelimit import BucketResult


@dataclass
class Traffic:
    """Counters of requests and the highest rate-limit counts seen."""

    by_route: Counter[str] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    highest_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def record_limits(self, method: str, app: BucketResult, per_method: BucketResult) -> None:
        """Remember the highest count seen in every window of both buckets."""
        self._highest("application", app)
        self._highest(f"method:{method}", per_method)

    def _highest(self, prefix: str, result: BucketResult) -> None:
        for spec, count in zip(result.header.split(","), result.counts, strict=True):
            key = f"{prefix}:{spec}"
            limit = int(spec.split(":")[0])
            seen = self.highest_counts.setdefault(key, {"limit": limit, "highest_count": 0})
            seen["highest_count"] = max(seen["highest_count"], count)

    def record(self, route: str, method: str, status_code: int) -> None:
        """Count one answered request."""
        self.by_route[route] += 1
        self.by_method[method] += 1
        self.by_status[str(status_code)] += 1

    def snapshot(self) -> dict[str, Any]:
        """Everything, as JSON-ready dicts."""
        return {
            "requests": sum(self.by_status.values()),
            "by_route": dict(self.by_route),
            "by_method": dict(self.by_method),
            "by_status": dict(self.by_status),
            "rate_limited": {
                kind: self.rate_limited[kind] for kind in ("application", "method", "service")
            },
            "faults": dict(self.faults),
            "highest_counts": self.highest_counts,
        }
