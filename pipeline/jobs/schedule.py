"""Schedule strings -> APScheduler triggers.

Two forms, as stored in ``job_configurations.schedule``::

    interval(seconds=30)      also minutes=, hours=, days= (combinable, all > 0 in total)
    cron(*/5 * * * *)         a five-field crontab: minute hour day month day-of-week
"""

from __future__ import annotations

import re
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pipeline.jobs.errors import JobConfigError

_FORM = re.compile(r"^\s*(interval|cron)\s*\((.*)\)\s*$", re.DOTALL)
_INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds")
_EXAMPLES = "use interval(seconds=300), interval(minutes=5) or cron(*/5 * * * *)"


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
            raise JobConfigError(f"Bad interval value {raw.strip()!r}: {_EXAMPLES}.") from None
        if value < 0:
            raise JobConfigError(f"Interval values must not be negative (got {item!r}).")
        parts[key] = value
    if not parts or sum(parts.values()) <= 0:
        raise JobConfigError(f"An interval must be longer than zero; {_EXAMPLES}.")
    return parts


def interval_seconds(parts: dict[str, float]) -> float:
    factors = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
    return sum(factors[k] * v for k, v in parts.items())


def parse_schedule(schedule: str) -> Any:
    """An APScheduler trigger for a schedule string, or ``JobConfigError`` saying what to fix."""
    match = _FORM.match(schedule or "")
    if not match:
        raise JobConfigError(f"Unrecognised schedule {schedule!r}: {_EXAMPLES}.")
    kind, args = match.group(1), match.group(2).strip()
    if kind == "interval":
        return IntervalTrigger(seconds=interval_seconds(parse_interval_args(args)))
    fields = args.split()
    if len(fields) != 5:
        raise JobConfigError(
            f"A cron schedule needs five fields (minute hour day month day-of-week); "
            f"got {len(fields)} in {schedule!r}."
        )
    try:
        return CronTrigger.from_crontab(args, timezone="UTC")
    except ValueError as exc:
        raise JobConfigError(f"Bad cron schedule {schedule!r}: {exc}.") from None
