"""structlog, configured once at the entry point.

Console rendering on a terminal, JSON lines otherwise. Every event passes through
``redact_secrets`` (the API key and anything else registered as secret is replaced by
``***`` wherever it appears, nested values included, as is anything shaped like a Riot API
key) before any renderer or sink sees it.
A message built outside logging (an execution's error, a URL echoed back) goes through
``redact_text``, which also hides the user and password of a URL.

Sinks: a unit of work (a job execution) can collect the events logged inside it by setting
``event_sink`` for its task; ``pipeline.jobs.log_capture`` uses this to store log lines per
execution without a global buffer.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable, MutableMapping
from contextvars import ContextVar
from typing import Any, TextIO

import structlog

REDACTED = "***"

EventDict = MutableMapping[str, Any]
Sink = Callable[[dict[str, Any]], None]

# The sink of the unit of work running in this task (None outside of one).
event_sink: ContextVar[Sink | None] = ContextVar("event_sink", default=None)


# The user[:password]@ of a URL: after its scheme's //, up to the last @ before the path
# (a password may hold an @ of its own).
_URL_USERINFO = re.compile(r"//[^/\s]*@")
# A Riot API key (RGAPI- and a UUID), each dash as is or percent-encoded: hidden wherever it
# appears, configured or not (a key written into RIOT_API_BASE's path while RIOT_API_KEY
# is unset, pasted into a report parameter, echoed by a proxy).
_DASH = "(?:-|%2d)"
RIOT_KEY_PATTERN = re.compile(
    rf"rgapi{_DASH}[0-9a-f]{{8}}{_DASH}[0-9a-f]{{4}}{_DASH}[0-9a-f]{{4}}{_DASH}[0-9a-f]{{4}}"
    rf"{_DASH}[0-9a-f]{{12}}",
    re.IGNORECASE,
)


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        if "@" in value and "//" in value:
            value = _URL_USERINFO.sub(f"//{REDACTED}@", value)
        value = RIOT_KEY_PATTERN.sub(REDACTED, value)  # linear: about 0.06 s on 3 MB
        return value
    if isinstance(value, dict):
        return {k: _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v, secrets) for v in value)
    if isinstance(value, BaseException):
        return _redact(repr(value), secrets)
    return value


def _kept(secrets: Iterable[str | None]) -> tuple[str, ...]:
    # Short strings would redact ordinary words; a real key is ~42 characters.
    return tuple(s for s in secrets if s and len(s) >= 8)


def holds_secret(text: str, secret: str | None) -> bool:
    """Whether ``text`` holds ``secret`` (one long enough to be one, as redaction keeps), or
    anything shaped like a Riot API key."""
    return any(kept in text for kept in _kept([secret.strip() if secret else None])) or bool(
        RIOT_KEY_PATTERN.search(text)
    )


def redact_text(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with each secret (as ``make_redactor`` keeps them) replaced by ``***``, and
    the user and password of any URL in it too: for a message stored or shown outside
    logging, such as an execution's error."""
    redacted: str = _redact(text, _kept(secrets))
    return redacted


def redact_values(value: Any, secrets: Iterable[str | None]) -> Any:
    """``value`` (text, or a dict or list of them, nested) redacted as ``redact_text`` does
    text: for what a run stores beside its error, such as its details."""
    return _redact(value, _kept(secrets))


def make_redactor(secrets: Iterable[str | None]) -> Callable[[Any, str, EventDict], EventDict]:
    """A processor replacing each secret (ignoring empty ones) by ``***`` in every value,
    and the user and password of any URL."""
    kept = _kept(secrets)

    def redact_secrets(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
        for key, value in list(event_dict.items()):
            event_dict[key] = _redact(value, kept)
        return event_dict

    return redact_secrets


def _stringify_exception(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    # Exceptions become text before redaction so a key inside a message or traceback is
    # caught too; a renderer given the live exception would format it after redaction.
    exc_info = event_dict.pop("exc_info", None)
    if isinstance(exc_info, BaseException):
        exc: BaseException | None = exc_info
    elif exc_info is True:
        exc = sys.exc_info()[1]  # log.exception(...) inside an except block
    elif isinstance(exc_info, tuple):
        exc = exc_info[1]
    else:
        exc = None
    if exc is not None:
        event_dict["error"] = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc_info, BaseException):
            event_dict["exception"] = "".join(traceback.format_exception(exc)).rstrip()
    return event_dict


def _send_to_sink(_logger: Any, method: str, event_dict: EventDict) -> EventDict:
    sink = event_sink.get()
    if sink is not None:
        sink({"level": method, **event_dict})
    return event_dict


def _make_level_filter(level: str) -> Callable[[Any, str, EventDict], EventDict]:
    minimum = logging.getLevelNamesMapping()[level.upper()]

    def filter_by_level(_logger: Any, method: str, event_dict: EventDict) -> EventDict:
        # After the sink: executions keep their info lines even when the console is quieter.
        if logging.getLevelNamesMapping().get(method.upper(), logging.INFO) < minimum:
            raise structlog.DropEvent
        return event_dict

    return filter_by_level


def configure_logging(
    *,
    secrets: Iterable[str | None] = (),
    json_lines: bool | None = None,
    level: str = "info",
    stream: TextIO | None = None,
) -> None:
    """Configure structlog for this process. Call once, from an entry point."""
    out = stream if stream is not None else sys.stderr
    if json_lines is None:
        json_lines = not out.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _stringify_exception,
            make_redactor(secrets),
            _send_to_sink,
            _make_level_filter(level),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            min(logging.INFO, logging.getLevelNamesMapping()[level.upper()])
        ),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written: a kernel routes each cell's output
    through its own stream."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return False


def configure_notebook_logging() -> None:
    """In a Jupyter kernel, show the product's warnings and errors as plain lines on
    stderr, and nothing below them. Unconfigured, structlog prints every line in colour:
    an info line about a moment's wait for the database landed in the middle of a report.
    Outside a kernel (a test, a script) the process's own configuration stands."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:
        return
    configure_logging(
        secrets=[os.environ.get("RIOT_API_KEY")],
        json_lines=False,
        level="warning",
        stream=_CurrentStderr(),  # type: ignore[arg-type]
    )


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A structlog logger; ``name`` becomes the ``logger_name`` field."""
    if name is not None:
        initial["logger_name"] = name
    return structlog.get_logger(**initial)
