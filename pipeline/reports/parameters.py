"""Report parameters: read what a notebook declares, check and type what the user gives.

A notebook declares its parameters in its one ``parameters``-tagged cell, each with a type
annotation and a comment; a number's comment ends with its bounds
(``top_n: int = 20  # suspects to list [1, 1000]``), a text's may end with the values it
takes besides its default (``label: str = ""  # ... {SMURF, BOOSTED}``; upper-case names
are taken in any case and passed on in upper case), and a text that
holds a time says "(ISO 8601)" (it must then read as one, or be its default); a text
that names a League platform says "(euw1, na1, ...)" (it must then be one, in any case, and
is passed on in the API's lower case, or be its default). A notebook
that declares both ``since`` and ``as_of`` reads the changes between them, so ``since`` may
not be after ``as_of`` (now, when ``as_of`` is empty). All are checked before a kernel
starts. Values from the command line arrive as text and are coerced to the declared type;
values from a job configuration arrive as JSON and are checked the same way, bounds
included. Values then travel to the kernel as papermill parameters (data), and notebooks
bind them to SQL with ``?`` placeholders.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import shorten
from pipeline.log import holds_secret
from pipeline.reports.errors import (
    ParameterChoiceError,
    ParameterError,
    ParameterOrderError,
    ParameterRangeError,
    ParameterTimeError,
    ParameterTypeError,
    UnknownParameterError,
)
from pipeline.workspace import spelled_as_choices, utc_time

_BOUNDS = re.compile(r"\[\s*(?P<low>-?\d+(?:\.\d+)?)\s*,\s*(?P<high>-?\d+(?:\.\d+)?)\s*\]\s*$")
_CHOICES = re.compile(r"\{(?P<values>[^{}]+)\}\s*$")
_TIME_MARK = "(ISO 8601)"
_PLATFORM_MARK = "(euw1, na1, ...)"
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class DeclaredParameter:
    """One line of a notebook's parameters cell."""

    name: str
    type_name: str  # the annotation as written: int, float, bool, str (others pass through)
    default: str  # the default as Python source
    help: str

    @property
    def bounds(self) -> tuple[float, float] | None:
        """The ``[low, high]`` the comment ends with, for a number; None when it has none."""
        found = _BOUNDS.search(self.help)
        return (float(found["low"]), float(found["high"])) if found else None

    @property
    def choices(self) -> tuple[str, ...] | None:
        """The ``{A, B}`` a text's comment ends with (its default is taken too); None when
        it has none."""
        found = _CHOICES.search(self.help)
        if found is None or self.type_name != "str":
            return None
        return tuple(v.strip() for v in found["values"].split(",") if v.strip())

    @property
    def is_time(self) -> bool:
        """Whether the text holds a time (its comment says "(ISO 8601)")."""
        return self.type_name == "str" and _TIME_MARK in self.help

    @property
    def is_platform(self) -> bool:
        """Whether the text names a League platform (its comment says "(euw1, na1, ...)")."""
        return self.type_name == "str" and _PLATFORM_MARK in self.help

    @property
    def default_value(self) -> object:
        """The default as a value (the cell holds it as Python source)."""
        try:
            return ast.literal_eval(self.default)
        except (ValueError, SyntaxError):
            return self.default


def declared_parameters(notebook: Path) -> dict[str, DeclaredParameter]:
    """The parameters a notebook declares, by name, in the order of its parameters cell."""
    import papermill  # slow to import: only when a notebook is inspected

    from pipeline.reports.sources import as_ipynb

    with as_ipynb(notebook) as readable:
        found = papermill.inspect_notebook(str(readable))
    return {
        name: DeclaredParameter(
            name=name,
            type_name=str(spec.get("inferred_type_name") or "None"),
            default=str(spec.get("default") or ""),
            help=str(spec.get("help") or ""),
        )
        for name, spec in found.items()
    }


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """Turn ``key=value`` strings (from ``-p``) into a mapping; a key given twice is refused
    (which value was meant is not for us to guess)."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ParameterError(
                f"Report parameters are written key=value (got {shorten(pair)}); for example "
                "-p top_n=20."
            )
        if name.strip() in parsed:
            raise ParameterError(
                f"The parameter {shorten(name.strip())} is given twice: give each parameter once."
            )
        parsed[name.strip()] = value
    return parsed


def coerce(name: str, value: object, type_name: str) -> object:
    """``value`` as the declared type, or ``ParameterTypeError`` when it does not fit."""
    if type_name == "int":
        return _as_int(name, value)
    if type_name == "float":
        return _as_float(name, value)
    if type_name == "bool":
        return _as_bool(name, value)
    if type_name == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return str(value)
        raise ParameterTypeError(name, value, type_name)
    # Unannotated or complex annotations: papermill passes the value on unchanged.
    return value


def check_parameters(
    notebook: Path,
    given: Mapping[str, object],
    declared: Mapping[str, DeclaredParameter],
    *,
    now: datetime | None = None,
    secret: str | None = None,
) -> dict[str, object]:
    """``given`` with every name known to the notebook and every value of its declared type;
    ``now`` stands for an empty ``as_of`` (default: the clock). A value holding ``secret``
    (the Riot API key, pasted by mistake) is refused: a report keeps its parameters in the
    notebook and on its page, and the key is never kept anywhere."""
    checked: dict[str, object] = {}
    for name, value in given.items():
        spec = declared.get(name)
        if spec is None:
            raise UnknownParameterError(name, notebook.name, list(declared))
        if holds_secret(str(value), secret):
            raise ParameterError(
                f"Parameter {name!r} holds the Riot API key: reports keep their parameters "
                "in the notebook and its page, and never the key. Give another value."
            )
        checked[name] = _within(spec, coerce(name, value, spec.type_name))
    _in_order(checked, declared, now or datetime.now(UTC))
    return checked


def _in_order(
    checked: Mapping[str, object], declared: Mapping[str, DeclaredParameter], now: datetime
) -> None:
    """Refuse a ``since`` after ``as_of`` (or after ``now`` when ``as_of`` is empty)."""
    if not all(name in declared and declared[name].is_time for name in ("since", "as_of")):
        return
    since = _time_or_none(checked.get("since"))
    if since is None:
        return
    as_of = _time_or_none(checked.get("as_of"))
    until = as_of or now.astimezone(UTC).replace(tzinfo=None)
    if since > until:
        raise ParameterOrderError(since, until, as_of_given=as_of is not None)


def _within(spec: DeclaredParameter, value: object) -> object:
    """``value``, when inside the bounds, among the choices, read as the time its parameter
    declares, or (lower case) a platform (NaN is never inside bounds; the default is always
    taken)."""
    if isinstance(value, str) and value != spec.default_value:
        if spec.is_platform:
            return _platform(spec, value)
        choices = spec.choices
        if choices is not None:
            value = _choice(spec, value, choices)
        if spec.is_time and not _reads_as_time(value):
            raise ParameterTimeError(spec.name, value)
    bounds = spec.bounds
    if bounds is None or not isinstance(value, int | float) or isinstance(value, bool):
        return value
    low, high = bounds
    if not low <= value <= high:
        raise ParameterRangeError(spec.name, value, low, high)
    return value


def _choice(spec: DeclaredParameter, value: str, choices: tuple[str, ...]) -> str:
    """``value`` as ``choices`` spell it (``ban_checker`` -> ``BAN_CHECKER`` when they are
    upper-case names), or an error listing them."""
    spelled = spelled_as_choices(value, choices)
    if spelled not in (*choices, spec.default_value):
        raise ParameterChoiceError(spec.name, value, choices, spec.default_value)
    return spelled


def _platform(spec: DeclaredParameter, value: str) -> str:
    """``value`` as the API spells the platform (``EUW1`` -> ``euw1``), or an error listing
    the platforms."""
    from pipeline.riot.routing import PLATFORMS  # the riot package imports its HTTP client

    platform = value.strip().lower()
    if platform not in PLATFORMS:
        raise ParameterChoiceError(spec.name, value, PLATFORMS, spec.default_value)
    return platform


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ParameterTypeError(name, value, "int")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ParameterTypeError(name, value, "int")


def _as_float(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise ParameterTypeError(name, value, "float")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ParameterTypeError(name, value, "float")


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ParameterTypeError(name, value, "bool")


def _time_or_none(value: object) -> datetime | None:
    """A time parameter's value as naive UTC; None when empty or not a time."""
    if not isinstance(value, str):
        return None
    try:
        return utc_time(value)
    except ValueError:
        return None


def _reads_as_time(value: str) -> bool:
    try:
        utc_time(value)
    except ValueError:
        return False
    return True
