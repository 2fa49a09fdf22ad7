"""Stopping a report run from another thread: its kernel is interrupted, its files removed.

A scheduled report runs papermill in a worker thread, and a stopped run (Ctrl-C, a
shutdown, its timeout) cannot cancel that thread. Without a word to the kernel the notebook
would run on to its last cell and its files would appear after the run was recorded as
stopped. ``ReportStop.request()`` interrupts the kernel (SIGINT: the running cell raises
``KeyboardInterrupt``), the runner starts no further cell, and it removes what it wrote.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading


class ReportStop:
    """One report run's stop request; ``request`` may be called from any thread, repeatedly."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requested = False
        self._kernel_pid: int | None = None
        self._ready = False
        self._interrupted_cell = False  # this cell was sent its interrupt already

    @property
    def requested(self) -> bool:
        with self._lock:
            return self._requested

    def request(self) -> None:
        """Ask the run to stop, and interrupt the kernel's cell. The run asks again and again
        while it waits, but the kernel is sent one interrupt per cell: a second one landing
        while ipykernel is still handling the first (sending the interrupted cell's reply)
        escapes its handler, the reply is never sent, and the run would wait out the cell's
        whole timeout. A cell that starts after the request is refused by the runner, and
        one whose interrupt was lost runs to its end."""
        with self._lock:
            self._requested = True
        self._interrupt_kernel()

    def kernel_started(self, pid: int | None) -> None:
        """The run's kernel process exists (it may still be starting: a kernel interrupted
        then dies, so the interrupt waits for ``kernel_ready``)."""
        with self._lock:
            self._kernel_pid = pid

    def kernel_ready(self) -> None:
        """The kernel runs a cell (called as each starts): an interrupt now stops it."""
        with self._lock:
            self._ready = True
            self._interrupted_cell = False
        self._interrupt_kernel()

    def kernel_stopping(self) -> None:
        """The kernel is being shut down: its pid may soon be another process's."""
        with self._lock:
            self._kernel_pid = None
            self._ready = False

    def _interrupt_kernel(self) -> None:
        with self._lock:
            if not (self._requested and self._ready) or self._kernel_pid is None:
                return
            if self._interrupted_cell:
                return
            self._interrupted_cell = True
            pid = self._kernel_pid
        with contextlib.suppress(ProcessLookupError):  # the kernel has ended already
            os.kill(pid, signal.SIGINT)
