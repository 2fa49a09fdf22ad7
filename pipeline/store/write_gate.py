"""Write transactions of one process take turns once one of them keeps losing.

DuckDB runs a process's write transactions side by side and fails the later of two that
touch the same key at commit; ``transact`` then runs it again. Retries alone can starve a
large transaction: a crawl storing a hundred matches in one commit meets, on every attempt,
a new player some smaller, quicker transaction committed meanwhile. So a transaction that
has collided ``OPTIMISTIC_ATTEMPTS`` times runs alone: it waits for the transactions in
flight to end, and new ones wait for it. Nothing in this process can then collide with it.
Other processes sharing a lake are not held back; their collisions are still retried.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Attempts run side by side with others before a transaction runs alone.
OPTIMISTIC_ATTEMPTS = 2


class WriteGate:
    """A readers-writer lock over one database's write transactions in this process:
    "shared" for ordinary attempts, "alone" for one that kept colliding. A waiting "alone"
    holder goes before shared ones that arrive after it, so it cannot be starved either."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._shared = 0
        self._alone = False
        self._waiting_alone = 0
        self._held = threading.local()

    @contextmanager
    def held(self, *, alone: bool) -> Iterator[None]:
        """Hold the gate for one attempt; re-entered by its own thread, it holds nothing more
        (a transaction started inside another's work must not wait for that one to end)."""
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self._acquire(alone)
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            self._release(alone)

    def _acquire(self, alone: bool) -> None:
        with self._changed:
            if alone:
                self._waiting_alone += 1
                try:
                    self._changed.wait_for(lambda: not self._alone and self._shared == 0)
                finally:
                    self._waiting_alone -= 1
                self._alone = True
            else:
                self._changed.wait_for(lambda: not self._alone and self._waiting_alone == 0)
                self._shared += 1

    def _release(self, alone: bool) -> None:
        with self._changed:
            if alone:
                self._alone = False
            else:
                self._shared -= 1
            self._changed.notify_all()


_GATES: dict[str, WriteGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(location: str) -> WriteGate:
    """The one gate of the database at ``location`` in this process."""
    with _GATES_LOCK:
        return _GATES.setdefault(location, WriteGate())
