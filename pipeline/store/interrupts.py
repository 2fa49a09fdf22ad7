"""Ctrl-C and SIGTERM stop the statement DuckDB runs, not only Python's wait for it.

DuckDB's Python client meets a signal whose handler raises (Ctrl-C's ``KeyboardInterrupt``,
SIGTERM's ``Terminated`` where a command handles it) by ceasing to wait for the statement,
but leaves it running: when one of DuckDB's worker threads had taken its task, the rollback
or close that follows waits for the whole statement to end (for ever, on a long one). So
every connection ``read()`` and ``write()`` open in the main thread is kept here while it
is open (``interruptible``), and the handlers interrupt each: Ctrl-C's, installed while one
is open, and SIGTERM's (``cli_settings.sigterm_interrupts``) through
``interrupt_open_connections``. A connection interrupted between statements runs the next
one (the rollback) as usual: DuckDB clears an idle interrupt when the next query starts.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import duckdb

# The main thread's open connections, innermost last (only the main thread handles signals).
_OPEN: list[duckdb.DuckDBPyConnection] = []


def interrupt_open_connections() -> None:
    """Interrupt whatever the main thread's open connections run (from a signal handler)."""
    for con in list(_OPEN):
        with contextlib.suppress(duckdb.Error):  # closed meanwhile: nothing runs on it
            con.interrupt()


def _interrupt_then_raise(signum: int, frame: FrameType | None) -> None:
    interrupt_open_connections()
    signal.default_int_handler(signum, frame)


@contextmanager
def interruptible(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within the block, Ctrl-C (SIGINT) and a SIGTERM a command handles also interrupt what
    ``con`` runs; Ctrl-C then raises ``KeyboardInterrupt`` as Python's own handler does.

    Only the main thread may set a handler, so a connection of another thread is left as it
    is; a Ctrl-C handler set by someone else (or SIGINT ignored) stays, and the connections
    are interrupted only by SIGTERM's.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    installed = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if installed:
        signal.signal(signal.SIGINT, _interrupt_then_raise)
    _OPEN.append(con)
    try:
        yield
    finally:
        # By identity: connections do not compare as equal values.
        del _OPEN[next(i for i in reversed(range(len(_OPEN))) if _OPEN[i] is con)]
        if installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
