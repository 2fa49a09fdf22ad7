"""How long scoring everyone takes, and how the cost grows with the number of players.

For each size in ``SIZES`` a simulated world is exported (about 55 games per player) and, in
the same run:

- a bare ``GROUP BY puuid`` aggregation over match_participants (the floor: one pass over
  the games) is timed, then ``score_players`` for everyone; the ratio is the cost of the
  real features (baselines, tier at game time, windows, per-champion sums) over that floor;
- on the smallest world, a per-player Python loop (one query per player, features in
  pandas) is timed on ``LOOP_SAMPLE`` players and extrapolated to everyone, to show what
  the vectorised query saves.

Aim (from the analysis issue): scoring everyone within 3x the bare aggregation.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from benchmarks._common import Result, print_results, stopwatch
from pipeline.analysis import ScoringParams, score_players
from pipeline.analysis.baselines import METRICS
from pipeline.analysis.features import baseline_frame
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import export_world

SIZES = (25_000, 50_000, 100_000)
SEED = 7
LOOP_SAMPLE = 200
REPEATS = 2
NAME = "bench_analysis"

BARE_AGGREGATION = """SELECT puuid, count(*), avg(win::INTEGER), avg(kills), avg(deaths),
    avg(assists), avg(cs), avg(gold_earned), avg(damage_to_champions), avg(vision_score)
FROM match_participants GROUP BY puuid"""

PLAYER_GAMES = """SELECT * FROM match_participants
WHERE puuid = ? AND queue_id = 420 ORDER BY game_start DESC LIMIT 50"""


def _best_of(repeats: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        with stopwatch() as elapsed:
            action()
        times.append(elapsed())
    return min(times)


def _one_player(
    con: duckdb.DuckDBPyConnection, puuid: str, baselines: pd.DataFrame
) -> dict[str, object]:
    """What a straightforward implementation does: fetch a player's games, then compute."""
    games = con.execute(PLAYER_GAMES, [puuid]).df()
    minutes = (games["game_duration_s"].fillna(1800) / 60).clip(lower=5)
    role = games["team_position"].fillna("UNKNOWN")
    rows = baselines[baselines["tier"] == "UNRANKED"].set_index("role").reindex(role)
    metric_values: dict[str, pd.Series] = {
        "cs_pm": games["cs"] / minutes,
        "gold_pm": games["gold_earned"] / minutes,
        "damage_pm": games["damage_to_champions"] / minutes,
        "kill_participation": games["kill_participation"],
        "deaths_pm": games["deaths"] / minutes,
        "vision_pm": games["vision_score"] / minutes,
        "kda": pd.Series(
            np.log1p((games["kills"] + games["assists"]) / games["deaths"].clip(lower=1))
        ),
    }
    z = [
        m.direction
        * (metric_values[m.name].to_numpy() - rows[f"{m.name}_mean"].to_numpy())
        / rows[f"{m.name}_sd"].to_numpy()
        for m in METRICS
    ]
    wins = int(games["win"].sum())
    return {
        "puuid": puuid,
        "win_rate_shrunk": (wins + 10) / (len(games) + 20),
        "perf_z": float(np.nansum(np.nanmean(z, axis=0))) / (len(games) + 5),
        "champions": games["champion_id"].nunique(),
    }


def _python_loop_s(con: duckdb.DuckDBPyConnection, players: int) -> float:
    """Per-player loop time on a sample, extrapolated to every player."""
    baselines = baseline_frame(con, ScoringParams())
    sample = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT puuid FROM match_participants ORDER BY puuid LIMIT ?", [LOOP_SAMPLE]
        ).fetchall()
    ]
    with stopwatch() as elapsed:
        for puuid in sample:
            _one_player(con, puuid, baselines)
    return elapsed() / len(sample) * players


def _measure(path: Path, players: int) -> tuple[int, float, float]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows_found = con.execute("SELECT count(*) FROM match_participants").fetchone()
        rows = int(rows_found[0]) if rows_found else 0
        bare_s = _best_of(REPEATS + 1, lambda: con.execute(BARE_AGGREGATION).df())
        score_s = _best_of(REPEATS, lambda: score_players(con))
    return rows, bare_s, score_s


def run() -> list[Result]:
    """Export each size, time the bare aggregation and scoring, and the loop on a sample."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench_analysis_") as folder:
        for players in SIZES:
            path = Path(folder) / f"world_{players}.duckdb"
            export_world(SimulatorConfig(seed=SEED, players=players), path)
            rows, bare_s, score_s = _measure(path, players)
            ratio = score_s / bare_s
            print(
                f"{players:,} players, {rows:,} rows: GROUP BY {bare_s:.2f} s, "
                f"score_players {score_s:.2f} s ({ratio:.1f}x)",
                flush=True,
            )
            results.append(
                Result(
                    NAME,
                    f"score {players:,} players ({rows / 1e6:.1f}M rows) vs GROUP BY",
                    score_s,
                    "s",
                    ratio,
                    "<= 3x bare GROUP BY",
                    ratio <= 3.0,
                )
            )
            if players == min(SIZES):
                with duckdb.connect(str(path), read_only=True) as con:
                    loop_s = _python_loop_s(con, players)
                print(f"per-player Python loop, extrapolated: {loop_s:.1f} s", flush=True)
                results.append(
                    Result(
                        NAME,
                        f"speed-up over a per-player loop ({players:,} players)",
                        loop_s / score_s,
                        "x",
                        None,
                        "info",
                        None,
                    )
                )
            path.unlink()
    return results


if __name__ == "__main__":
    print_results(run())
