"""Schedule strings -> APScheduler triggers.

Two forms, as stored in ``job_configurations.schedule``::

    interval(seconds=30)      also minutes=, hours=, days= (combinable), 1 s to 366 days
    cron(*/5 * * * *)         a five-field crontab: minute hour day month day-of-week
"""

from __future__ import annotations

import math
import re
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pipeline.errors import shorten
from pipeline.jobs.errors import JobConfigError

_FORM = re.compile(r"^\s*(interval|cron)\s*\((.*)\)\s*$", re.DOTALL)
_INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds")
_EXAMPLES = "use interval(seconds=300), interval(minutes=5) or cron(*/5 * * * *)"
# Shorter would flood the log with skipped runs; longer is a mistake, not a schedule.
MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 366 * 86400.0


def parse_interval_args(args: str) -> dict[str, float]:
    """``"minutes=5, seconds=30"`` -> ``{"minutes": 5.0, "seconds": 30.0}``."""
    parts: dict[str, float] = {}
    for item in filter(None, (a.strip() for a in args.split(","))):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or key not in _INTERVAL_UNITS:
            raise JobConfigError(
                f"Bad interval argument {item!r}: expected one of "
                f"{', '.join(_INTERVAL_UNITS)} = number; {_EXAMPLES}."
            )
        try:
            value = float(raw)
        except ValueError:
            raise JobConfigError(
                f"Bad interval value {shorten(raw.strip())}: {_EXAMPLES}."
            ) from None
        if not math.isfinite(value):
            raise JobConfigError(f"Bad interval value {shorten(raw.strip())}: {_EXAMPLES}.")
        if value < 0:
            raise JobConfigError(f"Interval values must not be negative (got {shorten(item)}).")
        parts[key] = value
    if not parts or sum(parts.values()) <= 0:
        raise JobConfigError(f"An interval must be longer than zero; {_EXAMPLES}.")
    total_s = interval_seconds(parts)
    if total_s < MIN_INTERVAL_S:
        raise JobConfigError(
            f"An interval must be at least {MIN_INTERVAL_S:g} s (got {total_s:g} s); {_EXAMPLES}."
        )
    if total_s > MAX_INTERVAL_S:
        raise JobConfigError(
            f"An interval must be at most 366 days (got {total_s / 86400:.3g} days); {_EXAMPLES}."
        )
    return parts


def interval_seconds(parts: dict[str, float]) -> float:
    factors = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
    return sum(factors[k] * v for k, v in parts.items())


def parse_schedule(schedule: str) -> Any:
    """An APScheduler trigger for a schedule string, or ``JobConfigError`` saying what to fix."""
    match = _FORM.match(schedule or "")
    if not match:
        raise JobConfigError(f"Unrecognised schedule {shorten(schedule)}: {_EXAMPLES}.")
    kind, args = match.group(1), match.group(2).strip()
    if kind == "interval":
        return IntervalTrigger(seconds=interval_seconds(parse_interval_args(args)))
    fields = args.split()
    if len(fields) != 5:
        raise JobConfigError(
            f"A cron schedule needs five fields (minute hour day month day-of-week); "
            f"got {len(fields)} in {shorten(schedule)}."
        )
    try:
        return CronTrigger.from_crontab(args, timezone="UTC")
    except ValueError as exc:
        raise JobConfigError(f"Bad cron schedule {shorten(schedule)}: {exc}.") from None
