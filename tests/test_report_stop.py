"""A stopped report sends its kernel one interrupt per cell, however often the run asks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from pipeline.reports.stopping import ReportStop

# Counts the SIGINTs it gets until stdin closes, then prints the count.
COUNTER = textwrap.dedent(
    """
    import signal, sys
    got = []
    signal.signal(signal.SIGINT, lambda *_: got.append(1))
    print("ready", flush=True)
    sys.stdin.read()
    print(len(got), flush=True)
    """
)


def test_one_interrupt_per_cell_however_often_the_run_asks() -> None:
    """A second SIGINT while ipykernel still handles the first escapes its handler and the
    cell's reply is never sent; so repeated requests send one per cell, and a cell started
    after the request gets its own."""
    kernel = subprocess.Popen(
        [sys.executable, "-c", COUNTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert kernel.stdout is not None and kernel.stdout.readline().strip() == "ready"
    stop = ReportStop()
    stop.kernel_started(kernel.pid)
    stop.request()  # before the kernel runs a cell: nothing to interrupt yet
    stop.kernel_ready()  # a cell starts: interrupted
    for _ in range(5):
        stop.request()
        time.sleep(0.05)
    stop.kernel_ready()  # the next cell (were it to start): interrupted too
    stop.request()
    time.sleep(0.3)
    output, _ = kernel.communicate("", timeout=10)
    assert stop.requested
    assert output.strip() == "2"
