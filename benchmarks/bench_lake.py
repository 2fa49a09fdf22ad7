"""A lake against the embedded file: import rate, scoring time, and reads during heavy writes.

Everything runs in the same run on the same machine, against a real PostgreSQL catalog
(started from the pgserver wheel) with the lake's data in a local folder:

- **import**: the same synthetic matches as ``bench_store`` (parse + ``write_matches`` in
  batches of 500) into a file and into a lake; the ratio is lake matches/s over file's.
- **scoring**: ``score_players`` for everyone of one exported world, read from a file and
  from a lake holding the same rows; the ratio is lake time over file time.
- **reads during writes**: one process imports batches without pause while this process
  runs a notebook's query (``explorer.sql.table_counts``) every ``POLL_INTERVAL_S``. On the
  file every read waits for the writer's lock; on the lake it reads its snapshot. Reported:
  p50/p95 latency, how many reads waited for a lock, how many failed.

Run: ``.venv/bin/python -m benchmarks.bench_lake``
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from benchmarks._common import Result, print_results, stopwatch
from benchmarks.bench_store import example_text, import_texts, synthetic_texts
from pipeline.analysis import score_players
from pipeline.explorer.sql import table_counts
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import export_world
from pipeline.store import migrate, read
from pipeline.store.lake_admin import copy_from_file
from tests.lake_fixtures import PostgresUnavailable, new_lake, running_postgres

NAME = "bench_lake"
IMPORT_MATCHES = 2000
SCORING_PLAYERS = 10_000
WRITE_PHASE_S = 30.0
POLL_INTERVAL_S = 0.25
WAIT_EVENTS = ("db.waiting_for_lock", "lake.waiting_for_write_lock")

# A writer that imports batches of synthetic matches until its time is up.
WRITER = """
import sys, time
from benchmarks.bench_store import example_text, synthetic_texts, import_texts
target, duration_s = sys.argv[1], float(sys.argv[2])
template, batches = example_text(), 0
print("ready", flush=True)
deadline = time.monotonic() + duration_s
while time.monotonic() < deadline:
    import_texts(target, synthetic_texts(template, 500, first=batches * 500), keep_raw=True)
    batches += 1
print(batches, flush=True)
"""


def _import_rate(target: Path | str, texts: list[str]) -> float:
    with stopwatch() as elapsed:
        import_texts(target, texts, keep_raw=True)  # type: ignore[arg-type]
    return len(texts) / elapsed()


def _scoring_s(target: Path | str) -> float:
    with read(target) as con, stopwatch() as elapsed:
        score_players(con)
    return elapsed()


def _reads_during_writes(target: Path | str) -> dict[str, Any]:
    """Poll a notebook query while another process writes; latency and waits."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), str(WRITE_PHASE_S)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert writer.stdout is not None and writer.stdout.readline().strip().endswith("ready")
    latencies: list[float] = []
    waited = failed = 0
    deadline = time.monotonic() + WRITE_PHASE_S
    while time.monotonic() < deadline:
        with capture_logs() as logs, stopwatch() as elapsed:
            try:
                table_counts(target)
            except Exception:
                failed += 1
        latencies.append(elapsed())
        waited += any(e["event"] in WAIT_EVENTS for e in logs)
        time.sleep(POLL_INTERVAL_S)
    # The writer's last line is its count (log lines come before it).
    batches = int(writer.communicate(timeout=600)[0].strip().splitlines()[-1])
    latencies.sort()
    return {
        "reads": len(latencies),
        "p50_s": statistics.median(latencies),
        "p95_s": latencies[int(0.95 * (len(latencies) - 1))],
        "waited": waited,
        "failed": failed,
        "batches_written": batches,
    }


def run() -> list[Result]:
    try:
        with running_postgres() as postgres, tempfile.TemporaryDirectory() as tmp:
            return _run(postgres, Path(tmp))
    except PostgresUnavailable as exc:
        print(f"bench_lake skipped: {exc}")
        return []


def _run(postgres: Any, folder: Path) -> list[Result]:
    texts = synthetic_texts(example_text(), IMPORT_MATCHES)
    file_db = folder / "import.duckdb"
    migrate(file_db)
    lake = new_lake(postgres, "bench_import", folder / "import-lake").url
    file_rate, lake_rate = _import_rate(file_db, texts), _import_rate(lake, texts)
    print(f"import: file {file_rate:,.0f} matches/s, lake {lake_rate:,.0f} matches/s", flush=True)

    world = folder / "world.duckdb"
    export_world(SimulatorConfig(seed=7, players=SCORING_PLAYERS), world)
    scoring_lake = new_lake(postgres, "bench_scoring", folder / "scoring-lake")
    copy_from_file(world, scoring_lake)
    file_score_s, lake_score_s = _scoring_s(world), _scoring_s(scoring_lake.url)
    print(f"scoring: file {file_score_s:.2f} s, lake {lake_score_s:.2f} s", flush=True)

    busy_file = folder / "busy.duckdb"
    migrate(busy_file)
    busy_lake = new_lake(postgres, "bench_busy", folder / "busy-lake").url
    on_file, on_lake = _reads_during_writes(busy_file), _reads_during_writes(busy_lake)
    print(f"reads during writes: file {on_file}\n                     lake {on_lake}", flush=True)

    return [
        Result(NAME, "import on a lake (parse+write, raw JSON kept)", lake_rate, "matches/s",
               lake_rate / file_rate, "ratio to the file: info", None),
        Result(NAME, f"score {SCORING_PLAYERS:,} players read from a lake", lake_score_s, "s",
               lake_score_s / file_score_s, "ratio to the file: info", None),
        Result(NAME, "notebook query p95 during writes, file", on_file["p95_s"], "s", 1.0,
               "baseline", None),
        Result(NAME, "notebook query p95 during writes, lake", on_lake["p95_s"], "s",
               on_lake["p95_s"] / on_file["p95_s"], "below the file's",
               on_lake["p95_s"] < on_file["p95_s"]),
        Result(NAME, "reads that waited for a lock, file", on_file["waited"], "reads", None,
               "info", None),
        Result(NAME, "reads that waited or failed, lake", on_lake["waited"] + on_lake["failed"],
               "reads", None, "0", on_lake["waited"] + on_lake["failed"] == 0),
    ]  # fmt: skip


if __name__ == "__main__":
    print_results(run())
