"""Write transactions of one process take turns once one of them keeps losing.

DuckDB runs a process's write transactions side by side and fails the later of two that
touch the same key at commit; ``transact`` then runs it again. Retries alone can starve a
large transaction: a crawl storing a hundred matches in one commit meets, on every attempt,
a new player some smaller, quicker transaction committed meanwhile. So a transaction that
has collided ``OPTIMISTIC_ATTEMPTS`` times runs alone: it waits for the ``transact`` calls
in flight to end, and new ones wait for it. None of them can then collide with it; writes
that bypass ``transact`` (migrations, imports, a run's own bookkeeping) and other processes
sharing a lake are not held back, and their rare collisions are still retried. A wait for
the gate counts against the caller's lock timeout, except behind a transaction that asked
to run alone from the start (``patient``: an analyzer pass rebuilding the lobby reference),
which the others wait for up to ``PATIENT_WAIT_S``. A transaction's work must not wait for
another thread's ``transact`` on the same database: with one waiting to run alone, neither
would move.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Attempts run side by side with others before a transaction runs alone.
OPTIMISTIC_ATTEMPTS = 2
# How long writes wait for a holder that asked to run alone from the start (``patient``: an
# analyzer pass rebuilding what the writers derive, which may take minutes on a large
# database and is bounded by its job's timeout) before they give up as busy.
PATIENT_WAIT_S = 3600.0


class GateTimeout(TimeoutError):
    """A write waited longer than its bound for the others of its process to let it in."""

    def __init__(self, waited_s: float) -> None:
        super().__init__(f"waited {waited_s:.1f} s for this process's other writes")
        self.waited_s = waited_s


class WriteGate:
    """A readers-writer lock over one database's write transactions in this process:
    "shared" for ordinary attempts, "alone" for one that kept colliding. A waiting "alone"
    holder goes before shared ones that arrive after it, so it cannot be starved either."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._shared = 0
        self._alone = False
        self._waiting_alone = 0
        self._patient = False  # the holder alone asks the others to wait for it
        self._held = threading.local()

    @contextmanager
    def held(self, *, alone: bool, timeout_s: float, patient: bool = False) -> Iterator[None]:
        """Hold the gate for one attempt; re-entered by its own thread, it holds nothing more
        (a transaction started inside another's work must not wait for that one to end).
        Waiting longer than ``timeout_s`` for it raises ``GateTimeout``; while a ``patient``
        holder has it alone, the others wait up to ``PATIENT_WAIT_S`` instead."""
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self._acquire(alone, timeout_s, patient)
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            self._release(alone)

    def _acquire(self, alone: bool, timeout_s: float, patient: bool) -> None:
        started = time.monotonic()
        with self._changed:
            if alone:
                self._waiting_alone += 1
                try:
                    free = self._changed.wait_for(
                        lambda: not self._alone and self._shared == 0, timeout_s
                    )
                finally:
                    self._waiting_alone -= 1
                    self._changed.notify_all()  # shared attempts may wait for no one alone
                if not free:
                    raise GateTimeout(time.monotonic() - started)
                self._alone = True
                self._patient = patient
            else:
                while self._alone or self._waiting_alone:
                    patient = self._alone and self._patient
                    bound = max(PATIENT_WAIT_S, timeout_s) if patient else timeout_s
                    remaining = started + bound - time.monotonic()
                    if remaining <= 0:
                        raise GateTimeout(time.monotonic() - started)
                    self._changed.wait(remaining)
                self._shared += 1

    def _release(self, alone: bool) -> None:
        with self._changed:
            if alone:
                self._alone = False
                self._patient = False
            else:
                self._shared -= 1
            self._changed.notify_all()


_GATES: dict[str, WriteGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(location: str) -> WriteGate:
    """The one gate of the database at ``location`` in this process."""
    with _GATES_LOCK:
        return _GATES.setdefault(location, WriteGate())
