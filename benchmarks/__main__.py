"""Run every benchmark in this folder and print one summary table (`make bench`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from pathlib import Path

from benchmarks._common import Result, print_results


def main() -> int:
    folder = Path(__file__).parent
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_")
    )
    only = set(sys.argv[1:])
    results: list[Result] = []
    failed: list[str] = []
    for name in names:
        if only and name not in only:
            continue
        print(f"\n=== {name} ===", flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            results.extend(module.run())
        except Exception:
            traceback.print_exc()
            failed.append(name)
    print("\n=== summary ===")
    print_results(results)
    if failed:
        print(f"\nBenchmarks that crashed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
