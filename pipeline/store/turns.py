"""Taking turns at a database file with other processes.

DuckDB lets one process hold a file read-write, and a writer blocks readers elsewhere.
Nothing here keeps the file open, but a process whose threads' units of work overlap holds
it without a break all the same: a scheduler running several jobs can keep an analyst's
notebook waiting for many seconds although none of its units takes long. So a process kept
waiting says so in ``<db>.waiting`` (its pid; the file's age says how recently it asked),
and tries again often; a process about to open the file while another waits holds back for
a moment first (up to ``HOLD_BACK_S``): its units in flight end, the file comes free, and
the waiter gets its turn. A thread that already has the file open never holds back: its own
connection keeps the file, so waiting would only delay it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

# A note older than this is from a waiter that got in, gave up or died.
FRESH_S = 1.0
# The longest an opener holds back for a waiter before it goes ahead anyway.
HOLD_BACK_S = 2.0
# How often an opener holding back looks whether the waiter got in.
LOOK_S = 0.01
# How often a waiter who has asked for a turn tries the file: soon after it comes free.
WAITER_RETRY_S = 0.05

_open_here = threading.local()


def waiting_path(path: Path) -> Path:
    """Where processes waiting for ``path`` say so."""
    return Path(f"{path}.waiting")


def ask_for_turn(path: Path) -> None:
    """Say (again) that this process waits for ``path``; where the folder is read-only,
    wait without asking."""
    with suppress(OSError):
        waiting_path(path).write_text(str(os.getpid()))


def stop_asking(path: Path) -> None:
    """Withdraw this process's request, unless another waiter has written its own since."""
    note = waiting_path(path)
    with suppress(OSError):
        if note.read_text().strip() == str(os.getpid()):
            note.unlink()


def another_waits(path: Path) -> bool:
    """Whether another process has asked for ``path`` within the last ``FRESH_S``."""
    note = waiting_path(path)
    try:
        asked_at = note.stat().st_mtime
        if time.time() - asked_at > FRESH_S:
            return False
        return note.read_text().strip() != str(os.getpid())
    except OSError:
        return False


def _held_here() -> dict[Path, int]:
    held: dict[Path, int] | None = getattr(_open_here, "held", None)
    if held is None:
        held = _open_here.held = {}
    return held


def hold_back(
    path: Path, limit_s: float = HOLD_BACK_S, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Before opening ``path``: while another process waits for it, give it a moment (at
    most ``limit_s``: an opener with a shorter bound on its wait holds back no longer)."""
    held = _held_here()
    if held and held.get(path.resolve()):  # resolved only when this thread holds a file
        return
    deadline = time.monotonic() + min(HOLD_BACK_S, limit_s)
    while another_waits(path) and time.monotonic() < deadline:
        sleep(LOOK_S)


@contextmanager
def holding(path: Path) -> Iterator[None]:
    """Mark the current thread as having ``path`` open for the block (however its path is
    spelled when the thread opens it again)."""
    held, key = _held_here(), path.resolve()
    held[key] = held.get(key, 0) + 1
    try:
        yield
    finally:
        held[key] -= 1
