"""What every benchmark returns, so `make bench` can print one summary table.

Each ``benchmarks/bench_*.py`` module has ``run() -> list[Result]`` (and a ``__main__``
block that prints its own detailed table). Ratios compare against a baseline measured in
the same run, never against a number remembered from another machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    benchmark: str  # module name, e.g. "bench_store"
    measure: str  # what was measured, e.g. "import matches/s vs executemany"
    value: float  # the measured figure
    unit: str  # its unit, e.g. "matches/s"
    ratio: float | None  # value relative to the same-run baseline, when there is one
    aim: str  # the target, in words, e.g. ">= 1000 matches/s"
    met: bool | None  # whether the aim was met (None: informational)


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """Measure wall time of a block: ``with stopwatch() as elapsed: ...; elapsed()``."""
    start = time.perf_counter()
    end: list[float] = []
    try:
        yield lambda: (end[0] if end else time.perf_counter()) - start
    finally:
        end.append(time.perf_counter())


def print_results(results: list[Result]) -> None:
    """A fixed-width table of results."""
    header = f"{'benchmark':<20} {'measure':<48} {'value':>14} {'ratio':>8} {'aim':<26} verdict"
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        verdict = {True: "MET", False: "NOT MET", None: "info"}[r.met]
        value = f"{r.value:,.2f} {r.unit}"
        print(f"{r.benchmark:<20} {r.measure:<48} {value:>14} {ratio:>8} {r.aim:<26} {verdict}")
