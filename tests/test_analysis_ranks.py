"""The analyzer's rank summary, folded run by run from the rank snapshots, equals the summary
of every snapshot bit for bit (snapshots stored late, rewritten, unranked, in failed
transactions), and the features it gives are those the snapshots give."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.analysis import ScoringParams, keep_current
from pipeline.analysis.features import feature_frame
from pipeline.analysis.ranks import RANKED_SNAPSHOTS, fold_rank_snapshots, summary_select
from pipeline.analysis.tiers import TIERS
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import export_world
from pipeline.store import write
from pipeline.store.aggregates import forget_rank_summary
from pipeline.store.writers import record_rank_snapshots
from tests.test_aggregates import Crash

START = datetime(2026, 1, 1)
PUUIDS = [f"player-{i:02d}" for i in range(30)]
DIVISIONS = ("IV", "III", "II", "I")
RANK_COLUMNS = (
    "tier", "tier_index", "rank_score", "climb_lp", "climb_lp_per_game", "climb_lp_per_day",
    "drop_from_peak_lp", "ranked_games_total",
)  # fmt: skip


def _entries(rng: np.random.Generator) -> list[dict[str, Any]]:
    """A league-v4 answer: solo, flex, both or neither (an unranked player)."""
    entries = []
    for queue in ("RANKED_SOLO_5x5", "RANKED_FLEX_SR"):
        if rng.random() < 0.7:
            entries.append(
                {
                    "queueType": queue,
                    # Now and then a tier the ladder does not know: no index, no rank.
                    "tier": "WOOD" if rng.random() < 0.05 else TIERS[int(rng.integers(len(TIERS)))],
                    "rank": DIVISIONS[int(rng.integers(4))],
                    "leaguePoints": int(rng.integers(100)),
                    "wins": int(rng.integers(200)),
                    "losses": int(rng.integers(200)),
                }
            )
    return entries


def _record(db: Path, rng: np.random.Generator, at: datetime, *, crash: bool = False) -> None:
    chosen = rng.choice(PUUIDS, size=int(rng.integers(1, 8)), replace=False)
    with write(db) as con:
        record_rank_snapshots(con, {str(p): _entries(rng) for p in chosen}, at)
        if crash:
            raise Crash


def _fold(db: Path) -> int:
    with write(db) as con:
        return fold_rank_snapshots(con)


def _summary_and_recomputed(db: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with duckdb.connect(str(db)) as con:
        kept = con.execute("SELECT * FROM player_ranks ORDER BY ALL").fetchall()
        again = con.execute(
            f"SELECT * FROM ({summary_select(f'({RANKED_SNAPSHOTS})')}) ORDER BY ALL"
        ).fetchall()
    return kept, again


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_folded_summary_equals_the_summary_of_every_snapshot(seed: int, db_path: Path) -> None:
    """Profiles fetched in random rounds, mostly newer than the last, some stored late,
    some at the time of an earlier fetch (the snapshot rewritten), some failing before
    their commit, now and then with a tier the ladder does not know; the analyzer folds
    after some rounds. After each fold the summary is
    what summing every snapshot gives, and no snapshot is left unfolded."""
    rng = np.random.default_rng(seed)
    times: list[datetime] = []
    folds = 0
    for round_ in range(40):
        roll = rng.random()
        if times and roll < 0.15:
            at = times[int(rng.integers(len(times)))]  # the same time again: rewritten
        elif roll < 0.3:
            at = START + timedelta(hours=float(rng.integers(0, 24 * round_ + 1)))  # late
        else:
            at = START + timedelta(days=round_ + 1)
        times.append(at)
        if rng.random() < 0.1:
            with pytest.raises(Crash):
                _record(db_path, rng, at, crash=True)
        _record(db_path, rng, at)
        if rng.random() < 0.4:
            assert _fold(db_path) > 0
            folds += 1
            kept, again = _summary_and_recomputed(db_path)
            assert kept == again
    _fold(db_path)
    kept, again = _summary_and_recomputed(db_path)
    assert kept == again
    assert len(kept) > len(PUUIDS)  # solo and flex rows
    assert folds >= 5
    with duckdb.connect(str(db_path)) as con:
        assert con.execute(
            "SELECT count(*) FROM rank_snapshots WHERE folded IS NOT TRUE"
        ).fetchone() == (0,)
    assert _fold(db_path) == 0  # nothing new: nothing written


def test_a_newer_snapshot_extends_the_row_without_reading_the_older_ones(db_path: Path) -> None:
    """Only a snapshot older than what is summed makes the player's snapshots read again:
    with an older snapshot gone behind the summary's back, a newer one keeps the first rank
    the summary holds, and a late one brings the summary back to the snapshots."""
    solo = {"queueType": "RANKED_SOLO_5x5", "rank": "II", "leaguePoints": 10}
    first, second, third = (
        {**solo, "tier": tier, "wins": wins, "losses": 10}
        for tier, wins in (("SILVER", 10), ("GOLD", 30), ("PLATINUM", 50))
    )
    with write(db_path) as con:
        record_rank_snapshots(con, {"p": [first]}, START)
        record_rank_snapshots(con, {"p": [second]}, START + timedelta(days=1))
        assert fold_rank_snapshots(con) == 1
        con.execute("DELETE FROM rank_snapshots WHERE observed_at = ?", [START])
        record_rank_snapshots(con, {"p": [third]}, START + timedelta(days=2))
        assert fold_rank_snapshots(con) == 1
        row = con.execute(
            "SELECT tier, first_games_reported, games_reported, first_observed_at FROM player_ranks"
        ).fetchone()
        assert row == ("PLATINUM", 20, 60, START)
        record_rank_snapshots(con, {"p": [first]}, START + timedelta(hours=12))  # late
        fold_rank_snapshots(con)
        row = con.execute(
            "SELECT tier, first_games_reported, games_reported, first_observed_at FROM player_ranks"
        ).fetchone()
    assert row == ("PLATINUM", 20, 60, START + timedelta(hours=12))


def test_forgetting_the_summary_makes_the_next_run_sum_every_snapshot(db_path: Path) -> None:
    rng = np.random.default_rng(4)
    for day in range(6):
        _record(db_path, rng, START + timedelta(days=day))
    _fold(db_path)
    kept, _ = _summary_and_recomputed(db_path)
    with write(db_path) as con:
        forget_rank_summary(con)
        assert con.execute("SELECT count(*) FROM player_ranks").fetchone() == (0,)
        assert fold_rank_snapshots(con) > 0
    assert _summary_and_recomputed(db_path) == (kept, kept)


def _features(con: duckdb.DuckDBPyConnection, as_of: datetime | None) -> pd.DataFrame:
    frame = feature_frame(con, ScoringParams(), None, as_of, cached_baselines=True)
    return frame.set_index("puuid")[list(RANK_COLUMNS)]


def test_features_from_the_summary_are_those_of_the_snapshots(tmp_path: Path) -> None:
    """An exported world analyzed, then new league entries for some players and no profile
    for others (compared with their newest snapshot's tier): the rank features the analyzer
    reads from its summary equal those read from the snapshots (``as_of`` far ahead)."""
    path = tmp_path / "world.duckdb"
    export_world(SimulatorConfig(seed=5, players=150), path)
    rng = np.random.default_rng(6)
    with write(path) as con:
        keep_current(con, ScoringParams())
        rows = con.execute("SELECT puuid FROM players ORDER BY puuid").fetchall()
        puuids = [str(r[0]) for r in rows]
        newer = con.execute("SELECT max(observed_at) FROM rank_snapshots").fetchone()
        assert newer is not None
        record_rank_snapshots(
            con,
            {str(p): _entries(rng) for p in rng.choice(puuids, size=40, replace=False)},
            newer[0] + timedelta(days=1),
        )
        con.execute(
            "UPDATE players SET summoner_checked_at = NULL WHERE puuid IN (SELECT unnest($p))",
            {"p": [str(p) for p in rng.choice(puuids, size=40, replace=False)]},
        )
        keep_current(con, ScoringParams())
        summarized = _features(con, None)
        from_snapshots = _features(con, datetime(2999, 1, 1))
    assert len(summarized) == len(puuids)
    assert summarized["climb_lp"].abs().sum() > 0  # the features are not all defaults
    pd.testing.assert_frame_equal(summarized, from_snapshots)
