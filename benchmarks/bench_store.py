"""Store throughput: import real-shaped matches end to end, against row-by-row inserts.

End to end means what the importer does per match: ``orjson.loads`` the payload text,
``parse_match`` it, and write batches of 500 with ``write_matches`` (matches with their raw
JSON, participants, players), one short-lived connection and transaction per batch. The
baseline inserts the same participant rows one ``executemany`` row at a time into a fresh
database, in the same run. A second figure leaves the raw JSON out (what the
simulator's export writes) to show what storing the payload costs.

Matches are copies of one real payload (a shared example, or the hand-made fixture when the
shared folder is absent) with fresh match ids and puuids drawn from a pool, so players
recur across matches as they do in real histories. A third figure leaves out the per-player
sums the writers keep for scoring (``store.aggregates``), to show what keeping them costs:
imports with and without alternate ``SUMS_REPEATS`` times, each into a fresh database, and
the median of each is compared (one pair of runs differed by up to a fifth between runs of
the benchmark on a busy machine). The same comparison is made again in the batches the jobs
commit (``FETCHER_BATCH`` matches, a page of one player's history), where what a commit
costs, checkpoints included, weighs more than in batches of 500.

Run: ``.venv/bin/python -m benchmarks.bench_store``
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from unittest.mock import patch

import duckdb
import orjson

from benchmarks._common import Result, print_results, stopwatch
from pipeline.store import ParsedMatch, migrate, parse_match, write, write_matches, writers
from pipeline.store.parser import PARTICIPANT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
SHARED_EXAMPLE = ROOT.parent / "shared" / "riot" / "examples" / "match" / "JP1_497158018.json"
FIXTURE_EXAMPLE = ROOT / "tests" / "fixtures" / "matches" / "NA1_1000000001.json"

MATCH_COUNT = 2000
BATCH_SIZE = 500
PLAYER_POOL = 5000
BASELINE_ROWS = 1500  # row-by-row is slow; its rate is measured on a sample
SUMS_REPEATS = 3
# MATCH_FETCHER's seeded matches_per_player_per_run: the matches one commit of a job stores.
FETCHER_BATCH = 20
FETCHER_MATCH_COUNT = 400
AIM_MATCHES_PER_S = 1000.0
NAME = "bench_store"


def example_text() -> str:
    path = SHARED_EXAMPLE if SHARED_EXAMPLE.exists() else FIXTURE_EXAMPLE
    return path.read_text(encoding="utf-8")


def synthetic_texts(template: str, count: int, first: int = 0) -> list[str]:
    """``count`` payload texts: the template with new match ids (numbered from ``first``)
    and recurring puuids."""
    payload = json.loads(template)
    match_id = payload["metadata"]["matchId"]
    puuids = [p["puuid"] for p in payload["info"]["participants"]]
    prefix = match_id.split("_")[0]
    texts = []
    for i in range(first, first + count):
        text = template.replace(match_id, f"{prefix}_{9_000_000_000 + i}")
        for j, puuid in enumerate(puuids):
            text = text.replace(puuid, f"bench-puuid-{(i * 7 + j * 131) % PLAYER_POOL:06d}")
        texts.append(text)
    return texts


def import_texts(
    db_path: Path, texts: Sequence[str], *, keep_raw: bool, batch_size: int = BATCH_SIZE
) -> int:
    """Parse and write ``texts`` in batches; the number of participant rows created."""
    created = 0
    for start in range(0, len(texts), batch_size):
        parsed: list[ParsedMatch] = []
        for text in texts[start : start + batch_size]:
            match = parse_match(orjson.loads(text), raw_json=text)
            if not keep_raw:
                match.match["raw_json"] = None
            parsed.append(match)
        with write(db_path) as con:
            created += write_matches(con, parsed).participants_created
    return created


def executemany_baseline(db_path: Path, texts: Sequence[str]) -> tuple[int, float]:
    """Insert participant rows one by one with executemany: (rows, seconds)."""
    rows = [
        tuple(r[c] for c in PARTICIPANT_COLUMNS)
        for text in texts
        for r in parse_match(json.loads(text)).participants
    ][:BASELINE_ROWS]
    placeholders = ", ".join("?" for _ in PARTICIPANT_COLUMNS)
    sql = (
        f"INSERT INTO match_participants ({', '.join(PARTICIPANT_COLUMNS)}) VALUES ({placeholders})"
    )
    con = duckdb.connect(str(db_path))
    try:
        with stopwatch() as elapsed:
            con.begin()
            con.executemany(sql, rows)
            con.commit()
        return len(rows), elapsed()
    finally:
        con.close()


def sums_cost(
    folder: Path,
    texts: Sequence[str],
    first_kept_s: float | None = None,
    *,
    batch_size: int = BATCH_SIZE,
) -> tuple[float, float]:
    """Median seconds of an import keeping the per-player sums, and of the same writes
    without them (what keeping them costs), alternating runs into fresh databases;
    ``first_kept_s``, when given, is a run with them already made."""
    kept = [] if first_kept_s is None else [first_kept_s]
    without: list[float] = []
    for rep in range(SUMS_REPEATS):
        bare = folder / f"no_sums_{batch_size}_{rep}.duckdb"
        migrate(bare)
        with patch.object(writers, "add_games", lambda con, source: None), stopwatch() as took:
            import_texts(bare, texts, keep_raw=True, batch_size=batch_size)
        without.append(took())
        if len(kept) < SUMS_REPEATS:
            again = folder / f"sums_{batch_size}_{rep}.duckdb"
            migrate(again)
            with stopwatch() as took:
                import_texts(again, texts, keep_raw=True, batch_size=batch_size)
            kept.append(took())
    return statistics.median(kept), statistics.median(without)


def run() -> list[Result]:
    texts = synthetic_texts(example_text(), MATCH_COUNT)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("warmup", "full", "no_raw", "baseline"):
            migrate(folder / f"{name}.duckdb")
        # First-time costs (imports, caches) kept out of the first timed figure.
        import_texts(folder / "warmup.duckdb", texts[:BATCH_SIZE], keep_raw=True)
        cpu_start_s = time.process_time()
        with stopwatch() as full_s:
            rows = import_texts(folder / "full.duckdb", texts, keep_raw=True)
        # CPU seconds (all threads): the "one core" figure, fair on a busy machine too.
        full_cpu_s = time.process_time() - cpu_start_s
        with stopwatch() as no_raw_s:
            import_texts(folder / "no_raw.duckdb", texts, keep_raw=False)
        kept_s, without_s = sums_cost(folder, texts, full_s())
        small_kept_s, small_without_s = sums_cost(
            folder, texts[:FETCHER_MATCH_COUNT], batch_size=FETCHER_BATCH
        )
        baseline_rows, baseline_s = executemany_baseline(
            folder / "baseline.duckdb", texts[: BASELINE_ROWS // 5 + 1]
        )
    matches_per_s = MATCH_COUNT / full_s()
    rows_per_s = rows / full_s()
    baseline_rows_per_s = baseline_rows / baseline_s
    no_raw_per_s = MATCH_COUNT / no_raw_s()
    per_cpu_s = MATCH_COUNT / full_cpu_s
    kept_per_s = MATCH_COUNT / kept_s
    without_sums_per_s = MATCH_COUNT / without_s
    small_kept_per_s = FETCHER_MATCH_COUNT / small_kept_s
    small_without_per_s = FETCHER_MATCH_COUNT / small_without_s
    aim = f">= {AIM_MATCHES_PER_S:,.0f} matches/s"
    return [
        Result(NAME, "import end to end (parse+write, raw JSON kept)", matches_per_s,
               "matches/s", None, aim, matches_per_s >= AIM_MATCHES_PER_S),
        Result(NAME, "import end to end per CPU second (raw JSON kept)", per_cpu_s,
               "matches/s", per_cpu_s / matches_per_s, aim, per_cpu_s >= AIM_MATCHES_PER_S),
        Result(NAME, "import end to end, raw JSON left out", no_raw_per_s, "matches/s",
               no_raw_per_s / matches_per_s, aim, no_raw_per_s >= AIM_MATCHES_PER_S),
        Result(NAME, f"import keeping the per-player sums vs without (median of {SUMS_REPEATS})",
               kept_per_s, "matches/s", kept_per_s / without_sums_per_s,
               ">= 90% of the import without", kept_per_s >= 0.9 * without_sums_per_s),
        Result(NAME, f"the same, {FETCHER_BATCH} matches a commit as the jobs store them",
               small_kept_per_s, "matches/s", small_kept_per_s / small_without_per_s,
               ">= 90% of the import without", small_kept_per_s >= 0.9 * small_without_per_s),
        Result(NAME, "participant rows end to end vs executemany", rows_per_s, "rows/s",
               rows_per_s / baseline_rows_per_s, "faster than row by row",
               rows_per_s > baseline_rows_per_s),
        Result(NAME, "executemany row by row (baseline)", baseline_rows_per_s, "rows/s",
               1.0, "-", None),
    ]  # fmt: skip


if __name__ == "__main__":
    print_results(run())
