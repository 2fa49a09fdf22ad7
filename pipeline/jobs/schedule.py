"""Schedule strings -> APScheduler triggers.

Two forms, as stored in ``job_configurations.schedule``::

    interval(seconds=30)      also minutes=, hours=, days= (combinable), 1 s to 366 days
    cron(*/5 * * * *)         a five-field crontab: minute hour day month day-of-week

Day-of-week numbers read as crontab reads them (0 and 7 Sunday, 1 Monday, ... 6 Saturday);
APScheduler counts 0 as Monday, so the field is handed to it as day names.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
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
# crontab's day numbers: 0 (and 7) Sunday .. 6 Saturday.
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_ITEM = re.compile(r"^(?:(\*)|([0-9a-z]+)(?:-([0-9a-z]+))?)(?:/([0-9]+))?$")


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
        if key in parts:
            raise JobConfigError(f"Interval argument {key!r} is given twice; {_EXAMPLES}.")
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
    if not fields[2].startswith("*") and not fields[4].startswith("*"):
        # crontab fires when either matches; APScheduler would need both. (A field that
        # starts with "*", as "*/2" does, makes crontab need both too.)
        raise JobConfigError(
            f"The cron schedule {shorten(schedule)} restricts both the day of the month and "
            "the day of the week, which crontab reads as either; keep one of them '*'."
        )
    try:
        fields[4] = crontab_days(fields[4])
        trigger = CronTrigger.from_crontab(" ".join(fields), timezone="UTC")
    except ValueError as exc:
        raise JobConfigError(f"Bad cron schedule {shorten(schedule)}: {exc}.") from None
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise JobConfigError(
            f"The cron schedule {shorten(schedule)} never fires (no such date); check its "
            "day and month fields."
        )
    return trigger


def _day_number(text: str, *, ending: bool = False) -> int:
    """crontab's number of a day, 0-7 (both 0 and 7 Sunday); Sunday by name is 7 where it
    ends a range ("fri-sun")."""
    if text in _DAY_NAMES:
        number = _DAY_NAMES.index(text)
        return 7 if ending and number == 0 else number
    if text.isdigit() and int(text) <= 7:
        return int(text)
    raise ValueError(f"{text!r} is not a day of the week (0-7 or sun-sat)")


def crontab_days(field: str) -> str:
    """A crontab day-of-week field as APScheduler day names: ``"1-5"`` -> ``"mon,...,fri"``,
    ``"0"`` and ``"7"`` -> ``"sun"``, ``"*/2"`` -> Sunday, Tuesday, Thursday, Saturday,
    ``"fri-sun"`` -> Friday to Sunday. Days run 0-7 as in crontab, so a step from a day
    (``"3/2"``) can reach 7, Sunday."""
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.lower().split(","):
        match = _DAY_ITEM.match(item)
        if not match:
            raise ValueError(f"bad day-of-week {item!r}")
        every, first, last, step = match.groups()
        if every:
            start, end = 0, 7
        else:
            start = _day_number(first)
            # "fri-sun" ends on day 7; "sun-sun" and "0-sun" are Sunday alone.
            end = _day_number(last, ending=start > 0) if last else (7 if step else start)
        if end < start:
            raise ValueError(f"the day-of-week range {item!r} runs backwards")
        if step is not None and int(step) == 0:
            raise ValueError(f"the step in {item!r} must be at least 1")
        days.update(d % 7 for d in range(start, end + 1, int(step or 1)))
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def seconds_between_runs(schedule: str, now: datetime | None = None) -> float:
    """How long ``schedule`` leaves between one run and the next: an interval's length, or
    the gap between a cron schedule's next two firings after ``now``."""
    trigger = parse_schedule(schedule)
    if isinstance(trigger, IntervalTrigger):
        return float(trigger.interval.total_seconds())
    first = trigger.get_next_fire_time(None, now or datetime.now(UTC))
    second = trigger.get_next_fire_time(first, first)
    return (second - first).total_seconds() if second is not None else MAX_INTERVAL_S


def budget_window_s(schedule: str, timeout_s: float) -> float:
    """The time a run's key share is counted over: until the next run, or until the run's
    timeout when that comes first (a run sized past it would fail with the rest undone: a
    daily schedule would otherwise size it for a whole day of the key)."""
    return min(seconds_between_runs(schedule), timeout_s)
