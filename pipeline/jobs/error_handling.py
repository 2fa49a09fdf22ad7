"""``@handle_riot_api_errors``: one way for every job to treat Riot API failures.

- ``RateLimitError``                      -> ``RateLimitSignal`` (the run ends RATE_LIMITED)
- ``AuthenticationError``/``ForbiddenError`` -> always re-raised (a bad key fails the run once)
- ``RiotUnavailableError``                -> always re-raised (the client gave up on the API:
                                             every other player would fail the same way)
- ``RateLimitSignal``                     -> passes through untouched
- ``StoreError`` (e.g. ``DatabaseBusyError``) -> re-raised: work that cannot be stored must
                                             stop the run, not be skipped silently
- anything else                           -> logged with the operation and context; re-raised
                                             when ``critical``, else the call returns ``None``
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from pipeline.jobs.errors import RateLimitSignal
from pipeline.log import get_logger
from pipeline.riot import (
    AuthenticationError,
    ForbiddenError,
    RateLimitError,
    RiotUnavailableError,
)
from pipeline.store import StoreError

log = get_logger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def handle_riot_api_errors(
    operation: str = "",
    critical: bool = False,
    log_context: Callable[..., dict[str, Any]] | None = None,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R | None]]]:
    """Wrap an async job method with the product's Riot API error policy. Without an
    ``operation`` (``@handle_riot_api_errors()``, as the job guide writes it), logs name
    the method: ``_fetch_player_matches`` as "fetch player matches"."""

    def decorate(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | None]]:
        doing = operation or func.__name__.strip("_").replace("_", " ")

        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
            try:
                return await func(*args, **kwargs)
            except (RateLimitSignal, StoreError, asyncio.CancelledError):
                raise
            except RateLimitError as exc:
                context = _context(log_context, args, kwargs)
                log.info(
                    "job.rate_limited",
                    **_fields(context, operation=doing, retry_after_s=exc.retry_after_s),
                )
                raise RateLimitSignal(
                    f"Rate limited during {doing}: {exc}", exc.retry_after_s
                ) from exc
            except (AuthenticationError, ForbiddenError) as exc:
                context = _context(log_context, args, kwargs)
                log.error("job.auth_failed", **_fields(context, operation=doing, error=str(exc)))
                raise
            except RiotUnavailableError as exc:
                context = _context(log_context, args, kwargs)
                log.error(
                    "job.api_unavailable", **_fields(context, operation=doing, error=str(exc))
                )
                raise
            except Exception as exc:
                context = _context(log_context, args, kwargs)
                log.error(
                    "job.operation_failed",
                    **_fields(
                        context,
                        operation=doing,
                        critical=critical,
                        error=f"{type(exc).__name__}: {exc}",
                    ),
                )
                if critical:
                    raise
                return None

        return wrapper

    return decorate


def _fields(context: dict[str, Any], **own: Any) -> dict[str, Any]:
    """A log line's fields: the decorator's own and the context's. A context key that names
    one of the decorator's fields (``error``, ``operation``, ...) or the event is kept as
    ``context_<key>``: passed twice, it raised in place of the error being handled."""
    taken = {*own, "event"}
    fields = {(f"context_{key}" if key in taken else key): value for key, value in context.items()}
    return {**fields, **own}


def _context(
    log_context: Callable[..., dict[str, Any]] | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    if log_context is None:
        return {}
    try:
        return dict(log_context(*args, **kwargs))
    except Exception as exc:  # a broken context function must not hide the real error
        return {"log_context_error": f"{type(exc).__name__}: {exc}"}
