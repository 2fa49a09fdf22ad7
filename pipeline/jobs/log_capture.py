"""Structured log lines captured per job execution.

Each execution owns one ``ExecutionLogCapture``: a bounded buffer that receives every event
logged inside the run (through ``pipeline.log.event_sink``, so concurrent runs never mix their
lines) and is flushed into ``job_execution_logs`` at each ``safe_commit`` and at the end.
Past ``max_lines`` the capture keeps counting but stores no more, and says so in one final
line: the bound is per execution, so one noisy run never costs another run its lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pipeline.log import event_sink
from pipeline.store.job_records import utcnow

DEFAULT_MAX_LINES = 2000

# Keys that structlog adds and that have columns of their own.
_RESERVED = {"event", "level", "timestamp"}


class ExecutionLogCapture:
    """Collects one execution's log events, bounded, in order."""

    def __init__(self, max_lines: int = DEFAULT_MAX_LINES) -> None:
        self.max_lines = max_lines
        self.total = 0
        self._pending: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.total += 1
        if self.total > self.max_lines:
            return
        self._pending.append(
            {
                "seq": self.total,
                "logged_at": _timestamp(event.get("timestamp")),
                "level": str(event.get("level", "info")),
                "event": str(event.get("event", "")),
                "fields": {k: v for k, v in event.items() if k not in _RESERVED},
            }
        )

    @property
    def dropped(self) -> int:
        return max(0, self.total - self.max_lines)

    def take(self) -> list[dict[str, Any]]:
        """The lines not yet stored; the caller stores them (or gives them back)."""
        lines, self._pending = self._pending, []
        return lines

    def give_back(self, lines: list[dict[str, Any]]) -> None:
        """Lines taken whose transaction failed: stored with the next ones, in order."""
        self._pending[:0] = lines

    def overflow_line(self) -> dict[str, Any] | None:
        """A closing line saying how many lines were not stored, if any."""
        if not self.dropped:
            return None
        return {
            "seq": self.max_lines + 1,
            "logged_at": utcnow(),
            "level": "warning",
            "event": "log_capture.truncated",
            "fields": {"lines_not_stored": self.dropped, "max_lines": self.max_lines},
        }

    @contextmanager
    def active(self) -> Iterator[ExecutionLogCapture]:
        """Route this task's log events (and tasks it creates) into this capture."""
        token = event_sink.set(self)
        try:
            yield self
        finally:
            event_sink.reset(token)


def _timestamp(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            pass
    return utcnow()
