"""The analyzer's score inputs, folded from the sums rows run by run, give the features the
sums rows themselves give: whatever the order games arrive in, re-imports, failed
transactions, tier changes, compaction and new baselines in between."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.analysis import ScoringParams, keep_current
from pipeline.analysis.features import feature_frame, inputs_built_for, latest_inputs
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.world import World, build_world
from pipeline.store import write
from pipeline.store.aggregates import enqueue_players, forget_score_inputs
from tests.test_aggregates import Crash, _store

PARAMS = ScoringParams()
TIERS = ("IRON", "SILVER", "GOLD", "DIAMOND")


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SimulatorConfig(seed=33, players=120))


def _features(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return feature_frame(con, PARAMS, None, cached_baselines=True).set_index("puuid")


def _from_inputs_and_from_sums(db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Everyone's features as the analyzer reads them (its inputs) and from the sums rows
    (the inputs forgotten in a transaction that is then rolled back)."""
    con = duckdb.connect(str(db))
    try:
        assert inputs_built_for(con, PARAMS)
        folded = _features(con)
        con.execute("BEGIN")
        forget_score_inputs(con)
        assert not inputs_built_for(con, PARAMS)
        summed = _features(con)
        con.execute("ROLLBACK")
    finally:
        con.close()
    return folded, summed


def _assert_same(folded: pd.DataFrame, summed: pd.DataFrame) -> None:
    assert list(folded.index) == list(summed.index)
    assert list(folded.columns) == list(summed.columns)
    for column in summed.columns:
        a, b = folded[column], summed[column]
        if pd.api.types.is_float_dtype(b.dtype):
            # Sums of doubles in another order: equal to rounding.
            np.testing.assert_allclose(
                a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=column
            )
        else:
            assert a.tolist() == b.tolist(), column


def _analyze(db: Path) -> None:
    with write(db) as con:
        keep_current(con, PARAMS)


def _change_tiers(db: Path, rng: np.random.Generator, count: int) -> list[str]:
    """Give ``count`` players with inputs a new profile and tier, queued as the store does."""
    with write(db) as con:
        puuids = [
            str(r[0])
            for r in con.execute(
                "SELECT DISTINCT puuid FROM player_score_inputs ORDER BY puuid"
            ).fetchall()
        ]
        chosen = [str(p) for p in rng.choice(puuids, size=min(count, len(puuids)), replace=False)]
        for puuid in chosen:
            con.execute(
                """UPDATE players SET summoner_checked_at = now()::TIMESTAMP,
                   profile_found = true, solo_tier = ?, solo_division = 'II',
                   solo_league_points = 40, solo_wins = 30, solo_losses = 25
                   WHERE puuid = ?""",
                [TIERS[int(rng.integers(len(TIERS)))], puuid],
            )
        listed = ", ".join(f"'{puuid}'" for puuid in chosen)
        enqueue_players(con, f"SELECT puuid FROM players WHERE puuid IN ({listed})")
    return chosen


def _rows_and_players(db: Path) -> tuple[int, int]:
    with duckdb.connect(str(db)) as con:
        row = con.execute(
            "SELECT count(*), count(DISTINCT puuid) FROM player_score_inputs"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _built_at(db: Path) -> object:
    with duckdb.connect(str(db)) as con:
        return con.execute("SELECT built_at FROM score_inputs_state").fetchall()


@pytest.mark.parametrize("seed", [1, 2])
def test_folded_inputs_give_the_features_of_the_sums(
    seed: int, world: World, db_path: Path
) -> None:
    """Most games stored and analyzed, then the rest in random small batches (some stored
    again, some failing before their commit), an analyzer run after some of them and new
    tiers for a few players now and then: after each run the features read from the inputs
    are those read from the sums rows, whether the run folded new rows in or built the
    inputs again (new baselines, a new lobby reference, compaction)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(world.matches.count)
    first = int(0.6 * len(order))
    _store(db_path, world, np.sort(order[:first]))
    _analyze(db_path)
    done: list[np.ndarray] = []
    folds = 0
    most_rows = 1.0
    rest = order[first:]
    start = 0
    while start < len(rest):
        batch = np.sort(rest[start : start + int(rng.integers(1, 8))])
        start += len(batch)
        if rng.random() < 0.1:
            with pytest.raises(Crash):
                _store(db_path, world, batch, crash=True)
        _store(db_path, world, batch)
        done.append(batch)
        if rng.random() < 0.25:
            _store(db_path, world, done[int(rng.integers(len(done)))])  # a re-import
        if rng.random() < 0.2:
            _change_tiers(db_path, rng, 3)
        if rng.random() < 0.4:
            built = _built_at(db_path)
            _analyze(db_path)
            folds += _built_at(db_path) == built
            _assert_same(*_from_inputs_and_from_sums(db_path))
            rows, players = _rows_and_players(db_path)
            # A run appends a row per player folded; older rows go once the table doubled.
            assert rows <= 2 * players
            most_rows = max(most_rows, rows / players)
    _analyze(db_path)
    _assert_same(*_from_inputs_and_from_sums(db_path))
    assert folds >= 3
    assert most_rows > 1.2


def test_a_run_folds_new_games_and_tier_changes_without_summing_everyone_again(
    world: World, db_path: Path
) -> None:
    """Once built, a run reads only the new sums rows (and the sums of players whose tier
    changed): the inputs are not built again, every row is marked folded, and the
    features still equal the sums'."""
    numbers = np.arange(world.matches.count)
    _store(db_path, world, numbers[: len(numbers) - 20])
    _analyze(db_path)
    with duckdb.connect(str(db_path)) as con:
        built = con.execute("SELECT built_at FROM score_inputs_state").fetchall()
    _store(db_path, world, numbers[len(numbers) - 20 :])
    changed = _change_tiers(db_path, np.random.default_rng(5), 8)
    with duckdb.connect(str(db_path)) as con:
        unfolded = con.execute("SELECT count(*) FROM player_game_sums WHERE NOT folded").fetchone()
    assert unfolded is not None and unfolded[0] > 0
    _analyze(db_path)
    with duckdb.connect(str(db_path)) as con:
        assert con.execute("SELECT built_at FROM score_inputs_state").fetchall() == built
        for table in ("player_game_sums", "player_champions", "player_game_weeks"):
            assert con.execute(f"SELECT count(*) FROM {table} WHERE NOT folded").fetchone() == (0,)
        tiers = dict(
            con.execute(
                f"SELECT i.puuid, i.tier = upper(p.solo_tier) FROM ({latest_inputs()}) i"
                " JOIN players p USING (puuid) WHERE i.puuid IN (SELECT unnest($c))",
                {"c": changed},
            ).fetchall()
        )
    assert tiers == {puuid: True for puuid in changed}
    folded, summed = _from_inputs_and_from_sums(db_path)
    assert int(folded["matches_stored"].sum()) == 10 * world.matches.count
    _assert_same(folded, summed)
