"""Blocking work of a run, in worker threads that belong to the run.

A job's database work (DuckDB) and a report's papermill run block, so they run in threads
while the event loop serves other jobs and the API. Cancelling the run's coroutine (its
timeout, a shutdown) does not stop a thread; so each thread is registered with the run,
which stays live, and keeps its job from starting again, until the thread has returned.
Work that can stop early says how: a DuckDB connection inside ``interruptible(con)`` is
interrupted when the run is cancelled (DuckDB's ``interrupt()`` is meant to be called from
another thread), as is any work inside ``stopping_with(stop)`` (a report's kernel), and the
run waits a short grace for the thread before it ends.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import duckdb

from pipeline.jobs.executions import LIVE_RUNS, LiveRun

T = TypeVar("T")

# How long a cancelled run waits for its thread to stop before recording its end.
THREAD_GRACE_S = 2.0
_POLL_S = 0.05

_EXECUTOR = ThreadPoolExecutor(thread_name_prefix="job-work")


def for_a_worker(context: contextvars.Context) -> contextvars.Context:
    """``context``'s variables, less those holding an event loop, for a worker thread.

    A loop belongs to the thread that runs it. jupyter_core keeps the loop its ``run_sync``
    drives (papermill's, via nbclient) in a context variable: inherited, a report run in a
    worker would drive the loop of the thread that started it (any thread that had run a
    notebook itself), and two reports at once one and the same loop ("This event loop is
    already running"); a report still stopping would hold it from its owner.
    """
    kept = contextvars.Context()
    for variable, value in context.items():
        if not isinstance(value, asyncio.AbstractEventLoop):
            kept.run(variable.set, value)
    return kept


class RunThreads:
    """The worker threads of one run, and how to stop their work early."""

    def __init__(self, live: LiveRun) -> None:
        self.live = live
        self._lock = threading.Lock()
        self._interrupts: set[Callable[[], None]] = set()
        self._cancelled = False

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread of this run (with the caller's context variables,
        less any event loop: see ``for_a_worker``)."""
        context = for_a_worker(contextvars.copy_context())
        work: Future[T] = _EXECUTOR.submit(context.run, fn, *args)
        LIVE_RUNS.add_thread(self.live, work)
        waiting = asyncio.wrap_future(work)
        # If this run stops waiting, the outcome is still read, so it is never reported lost.
        waiting.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            return await asyncio.shield(waiting)
        except asyncio.CancelledError:
            await self._stop(waiting)
            raise

    def interruptible(self, con: duckdb.DuckDBPyConnection) -> AbstractContextManager[None]:
        """Interrupt ``con``'s queries if the run is cancelled while the block runs."""
        return self.stopping_with(con.interrupt)

    @contextmanager
    def stopping_with(self, stop: Callable[[], None]) -> Iterator[None]:
        """Call ``stop`` (from the event loop's thread, maybe more than once) if the run is
        cancelled while the block runs."""
        with self._lock:
            self._interrupts.add(stop)
            cancelled = self._cancelled
        if cancelled:
            stop()
        try:
            yield
        finally:
            with self._lock:
                self._interrupts.discard(stop)

    async def _stop(self, waiting: asyncio.Future[Any]) -> None:
        """Interrupt what can be, then wait up to the grace for the thread to return."""
        with self._lock:
            self._cancelled = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + THREAD_GRACE_S
        while not waiting.done() and loop.time() < deadline:
            # Again and again: work between two queries is not interrupted by the first.
            with self._lock:
                interrupts = list(self._interrupts)
            for interrupt in interrupts:
                interrupt()
            await asyncio.wait([waiting], timeout=_POLL_S)
