"""The per-player sums the writers keep equal the sums rebuilt from the games, bit for bit,
whatever the order games arrive in, re-imports and transactions that fail halfway."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.analysis import ReferenceRebuildNeedsAlone, ScoringParams, keep_current
from pipeline.analysis.spread import STATE_COLUMNS as SPREAD_STATE_COLUMNS
from pipeline.cli import cli
from pipeline.config import Settings
from pipeline.jobs import JobContext, JobStatus, run_in_process
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import match_frame, participant_frame, player_frame
from pipeline.simulator.world import World, build_world
from pipeline.store import Database, read, write
from pipeline.store.aggregates import (
    canonical_sums,
    compact,
    games_by_role,
    rebuild_aggregates,
    reference_is_stale,
    refresh_reference,
    role_outgrew_reference,
    stored_games,
)
from pipeline.store.connection import transact
from pipeline.store.migrate import migrate
from pipeline.store.writers import write_match_frames
from tests.sim_helpers import copy_database


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SimulatorConfig(seed=21, players=120))


class Crash(Exception):
    """Raised inside a write transaction, as a process dying before its commit would."""


def _store(db: Path, world: World, numbers: np.ndarray, *, crash: bool = False) -> None:
    with write(db) as con:
        write_match_frames(
            con,
            match_frame(world, numbers),
            participant_frame(world, numbers),
            player_frame(world),
        )
        if crash:
            raise Crash


def _tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with read(db) as con:
        return canonical_sums(con)


def _rebuilt(db: Path, tmp_path: Path, *, renorm: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    copy = tmp_path / f"rebuilt-{db.name}"
    copy_database(db, copy)
    with write(copy) as con:
        rebuild_aggregates(con, renorm=renorm)
    return _tables(copy)


def _shuffled_batches(total: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    order = rng.permutation(total)
    start = 0
    while start < total:
        size = int(rng.integers(1, 40))
        yield np.sort(order[start : start + size])
        start += size


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_sums_equal_rebuilt_sums_after_random_orders_reimports_and_crashes(
    seed: int, world: World, db_path: Path, tmp_path: Path
) -> None:
    """Batches in a random order and size, a third of them stored again, some failing
    before their commit and stored later: the kept tables are the rebuilt ones exactly."""
    rng = np.random.default_rng(seed)
    done: list[np.ndarray] = []
    crashed: list[np.ndarray] = []
    for batch in _shuffled_batches(world.matches.count, rng):
        if rng.random() < 0.15:
            with pytest.raises(Crash):
                _store(db_path, world, batch, crash=True)
            crashed.append(batch)
            continue
        _store(db_path, world, batch)
        done.append(batch)
        if rng.random() < 0.33:
            _store(db_path, world, done[int(rng.integers(len(done)))])  # a re-import
    for batch in crashed:
        _store(db_path, world, batch)
    kept = _tables(db_path)
    assert sum(row[4] for row in kept["player_game_sums"]) == 10 * world.matches.count
    assert kept == _rebuilt(db_path, tmp_path)
    # Merging each key's appended rows into one changes no sum either.
    with write(db_path) as con:
        # A week played in two batches was appended twice (writers read nothing stored).
        weeks_before = con.execute("SELECT count(*) FROM player_game_weeks").fetchone()
        weeks = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT puuid, queue_id, week FROM player_game_weeks)"
        ).fetchone()
        assert compact(con) > 0
        rows = con.execute("SELECT count(*) FROM player_game_sums").fetchone()
        keys = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT puuid, queue_id, role, win"
            " FROM player_game_sums)"
        ).fetchone()
        weeks_after = con.execute("SELECT count(*) FROM player_game_weeks").fetchone()
    assert rows == keys
    assert weeks_before is not None and weeks is not None and weeks_before[0] > weeks[0]
    assert weeks_after == weeks
    assert _tables(db_path) == kept


def test_the_order_of_arrival_changes_nothing(
    world: World, db_path: Path, tmp_path: Path, migrated_template: Path
) -> None:
    """Two databases fed the same games in different orders hold identical sums."""
    other = tmp_path / "other.duckdb"
    copy_database(migrated_template, other)
    total = world.matches.count
    _store(db_path, world, np.arange(total))
    for batch in _shuffled_batches(total, np.random.default_rng(9)):
        _store(other, world, batch)
    assert _tables(db_path) == _tables(other)


def test_remakes_are_stored_but_never_summed(world: World, db_path: Path, tmp_path: Path) -> None:
    """A remake (every player's gameEndedInEarlySurrender) keeps its rows but is in no sum
    and no lobby reference: the sums count only the games played, kept and rebuilt alike."""
    numbers = np.arange(40)
    participants = participant_frame(world, numbers)
    remakes = set(participants["match_id"].drop_duplicates().iloc[:5])
    participants["early_surrender"] = participants["match_id"].isin(remakes)
    with write(db_path) as con:
        write_match_frames(con, match_frame(world, numbers), participants, player_frame(world))
    with read(db_path) as con:
        stored = con.execute("SELECT count(*) FROM match_participants").fetchone()
        summed = con.execute("SELECT sum(games) FROM player_game_sums").fetchone()
        weeks = con.execute("SELECT sum(lobby_games) FROM player_game_weeks").fetchone()
    played = int((~participants["early_surrender"]).sum())
    assert stored == (len(participants),) and played < len(participants)
    assert summed == (played,)
    assert weeks is not None and weeks[0] <= played
    assert _tables(db_path) == _rebuilt(db_path, tmp_path)
    with write(db_path) as con:
        refresh_reference(con)
        rows = con.execute("SELECT sum(rows) FROM lobby_reference").fetchone()
    assert rows is not None and rows[0] <= played


def test_games_stored_after_a_new_reference_still_equal_the_rebuild(
    world: World, db_path: Path, tmp_path: Path
) -> None:
    """Once the lobby reference is refreshed, new games are judged with it, and the kept
    tables equal a rebuild that keeps that reference."""
    total = world.matches.count
    half = np.arange(total // 2)
    _store(db_path, world, half)
    with write(db_path) as con:
        assert reference_is_stale(con)  # the documented defaults, and enough games now
        rebuild_aggregates(con, renorm=True)
        assert not reference_is_stale(con)
        reference = con.execute("SELECT * FROM lobby_reference ORDER BY role").df()
    assert len(reference) == 5 and (reference["rows"] >= 30).all()
    _store(db_path, world, np.arange(total // 2, total))
    assert _tables(db_path) == _rebuilt(db_path, tmp_path, renorm=False)
    # A rebuild that recomputes the reference from every game judges stomps differently.
    assert _tables(db_path) != _rebuilt(db_path, tmp_path, renorm=True)


def test_one_read_of_the_games_per_role_gives_the_games_stored_and_the_reference_check(
    world: World, db_path: Path
) -> None:
    """The sums' games per role, read once, add up to the games stored and judge the lobby
    reference as a check reading the sums itself does, before and after a new reference,
    new games and compaction."""

    def assert_alike() -> None:
        with read(db_path) as con:
            games = games_by_role(con)
            assert sum(games.values()) == stored_games(con)
            assert reference_is_stale(con, games) == reference_is_stale(con)

    total = world.matches.count
    _store(db_path, world, np.arange(total // 2))
    assert_alike()
    with write(db_path) as con:
        assert reference_is_stale(con, games_by_role(con))
        rebuild_aggregates(con, renorm=True)
        assert not reference_is_stale(con, games_by_role(con))
    assert_alike()
    _store(db_path, world, np.arange(total // 2, total))
    with write(db_path) as con:
        compact(con)
    assert_alike()


def test_stomps_are_judged_against_the_lobby_with_role_norms(world: World, db_path: Path) -> None:
    """With a reference from the games, about one game in twelve is a stomp, spread over the
    roles rather than piled on the carries."""
    _store(db_path, world, np.arange(world.matches.count))
    with write(db_path) as con:
        refresh_reference(con)
        rebuild_aggregates(con, renorm=False)
        by_role = con.execute(
            "SELECT role, sum(lobby_stomps) / sum(lobby_games) AS share FROM player_game_sums"
            " WHERE lobby_games > 0 GROUP BY role"
        ).df()
    shares = pd.Series(by_role["share"].to_numpy(), index=by_role["role"])
    assert 0.03 < shares.mean() < 0.15
    assert shares.max() < 3 * shares.min()


def test_rebuild_command_recomputes_and_queues_everyone(world: World, db_path: Path) -> None:
    """`smurf db rebuild-aggregates` restores sums deleted by hand, queues every player and
    has the analyzer sum its score inputs again (which rows they held is lost)."""
    _store(db_path, world, np.arange(world.matches.count))
    with write(db_path) as con:
        keep_current(con, ScoringParams())
        assert con.execute("SELECT count(*) FROM score_inputs_state").fetchone() == (1,)
    before = _tables(db_path)
    with write(db_path) as con:
        con.execute("DELETE FROM player_game_sums WHERE role = 'TOP'")
        con.execute("DELETE FROM players_to_score")
    result = CliRunner().invoke(
        cli, ["--db", str(db_path), "db", "rebuild-aggregates", "--keep-reference"]
    )
    assert result.exit_code == 0, result.output
    assert f"{10 * world.matches.count:,} games" in result.output
    assert _tables(db_path) == before
    with read(db_path) as con:
        queued = con.execute("SELECT count(*) FROM players_to_score").fetchone()
        players = con.execute("SELECT count(DISTINCT puuid) FROM player_game_sums").fetchone()
    assert queued == players
    with read(db_path) as con:
        assert con.execute("SELECT count(*) FROM score_inputs_state").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM player_score_inputs").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM player_game_sums WHERE folded").fetchone() == (0,)


@pytest.mark.parametrize("sums_kept", [True, False])
def test_a_database_from_before_the_score_inputs_keeps_its_sums_unfolded(
    sums_kept: bool, world: World, db_path: Path
) -> None:
    """Migrating a database whose sums have no ``folded`` marks yet keeps its sums (or, for
    one from before the sums, sums its games) and leaves every row unfolded; the
    analyzer's first run then builds its inputs from them."""
    _store(db_path, world, np.arange(world.matches.count))
    kept = _tables(db_path)
    with write(db_path) as con:
        for table in ("player_game_sums", "player_champions", "player_game_weeks"):
            if not sums_kept:
                con.execute(f"DELETE FROM {table}")
        con.execute("DROP TABLE player_score_inputs")
        con.execute("DROP TABLE score_inputs_state")
        con.execute("DROP TABLE players_to_score_again")  # migration 015
        con.execute("DROP TABLE player_ranks")  # migration 019
        con.execute("DELETE FROM schema_migrations WHERE version >= 13")
    with write(db_path) as con:
        for table in ("player_game_sums", "player_champions", "player_game_weeks"):
            con.execute(f"ALTER TABLE {table} DROP COLUMN folded")
        con.execute("ALTER TABLE rank_snapshots DROP COLUMN folded")
        con.execute("ALTER TABLE scoring_state DROP COLUMN queue_min_games")  # migration 020
        con.execute("DROP TABLE players_below_minimum")
        con.execute("ALTER TABLE players DROP COLUMN first_games_fetched_at")  # migration 021
        for column in ("lobby_games", "lobby_z_sum"):  # migration 022
            con.execute(f"ALTER TABLE player_game_weeks DROP COLUMN {column}")
        con.execute("ALTER TABLE player_game_sums DROP COLUMN lobby_z_sq")  # migration 026
        for column in SPREAD_STATE_COLUMNS:  # migration 027
            con.execute(f"ALTER TABLE scoring_state DROP COLUMN {column}")
    migrate(db_path)
    migrated = _tables(db_path)
    if sums_kept:
        assert migrated == kept
    else:  # summed from the games, against a lobby reference of the games stored
        assert sum(row[4] for row in migrated["player_game_sums"]) == 10 * world.matches.count
    with read(db_path) as con:
        for table in ("player_game_sums", "player_champions", "player_game_weeks"):
            assert con.execute(f"SELECT count(*) FROM {table} WHERE folded").fetchone() == (0,)
    with write(db_path) as con:
        keep_current(con, ScoringParams())
        assert con.execute("SELECT count(*) FROM player_game_sums WHERE NOT folded").fetchone() == (
            0,
        )
        players = con.execute("SELECT count(*) FROM player_score_inputs").fetchone()
        stored = con.execute("SELECT count(DISTINCT puuid) FROM match_participants").fetchone()
    assert players == stored


def _migrated_to(path: Path, version: int) -> None:
    """An empty database at schema ``version``, as an older release made it."""
    from pipeline.store.migrate import available_migrations

    with write(path) as con:
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR,"
            " applied_at TIMESTAMP)"
        )
    for migration in available_migrations():
        if migration.version > version:
            break
        with write(path) as con:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now())",
                [migration.version, migration.name],
            )


def _copy_rows(source: Path, older: Path) -> None:
    """Every row of ``source`` into the empty tables of the older-layout ``older`` (the
    columns both have): the games as an older release had stored them, when today's
    writers no longer fit its layout."""
    with write(older) as con:
        con.execute(f"ATTACH '{source}' AS source (READ_ONLY)")
        tables = [
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        ]
        for table in tables:
            if con.execute(f"SELECT count(*) FROM {table}").fetchone() != (0,):
                continue  # seeded by the migrations themselves
            mine = {c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()}
            theirs = [c[0] for c in con.execute(f"DESCRIBE source.{table}").fetchall()]
            columns = ", ".join(c for c in theirs if c in mine)
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM source.{table}")


def test_dropping_the_keys_of_participants_weeks_and_queue_keeps_every_row_and_writers_keep_them(
    world: World, tmp_path: Path
) -> None:
    """Upgrading a database whose participants, weeks and scoring queue had key indexes
    keeps their rows; without the indexes the writers still store each participant once and
    queue each player once, re-imports included, and the sums still equal the rebuilt ones."""
    path = tmp_path / "v15.duckdb"
    _migrated_to(path, 15)
    first = np.arange(world.matches.count // 2)
    today = tmp_path / "today.duckdb"
    migrate(today)
    _store(today, world, first)
    _copy_rows(today, path)
    # The weeks played, whatever rows hold them (022 sums them again, with their lobby play).
    weeks_played = "SELECT DISTINCT puuid, queue_id, week FROM player_game_weeks ORDER BY ALL"
    with read(path) as con:
        participants = con.execute("SELECT * FROM match_participants ORDER BY ALL").fetchall()
        weeks = con.execute(weeks_played).fetchall()
        queued = con.execute("SELECT * FROM players_to_score ORDER BY ALL").fetchall()
    assert queued
    migrate(path)
    with read(path) as con:
        assert con.execute("SELECT * FROM match_participants ORDER BY ALL").fetchall() == (
            participants
        )
        assert con.execute(weeks_played).fetchall() == weeks
        assert con.execute("SELECT * FROM players_to_score ORDER BY ALL").fetchall() == queued
        keys = con.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name IN"
            " ('match_participants', 'player_game_weeks', 'players_to_score')"
            " AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
        ).fetchone()
    assert keys == (0,)
    _store(path, world, first)  # a re-import: nothing new
    _store(path, world, np.arange(world.matches.count))
    with read(path) as con:
        stored = con.execute(
            "SELECT count(*), count(DISTINCT (match_id, puuid)) FROM match_participants"
        ).fetchone()
    assert stored == (10 * world.matches.count, 10 * world.matches.count)
    with read(path) as con:
        queue = con.execute(
            "SELECT count(*), count(DISTINCT puuid) FROM players_to_score"
        ).fetchone()
        players = con.execute("SELECT count(DISTINCT puuid) FROM match_participants").fetchone()
    assert players is not None and queue == (players[0], players[0])  # each queued once
    assert _tables(path) == _rebuilt(path, tmp_path)


def test_a_database_from_before_the_lobby_z_squares_sums_its_games_again_with_them(
    world: World, tmp_path: Path
) -> None:
    """Upgrading a database whose sums hold no lobby z squared (an older release's rows,
    some merged per key, which cannot be split into games again) sums every stored game
    again with the lobby reference it kept: the sums then equal those today's writers keep,
    squares included, and the analyzer's inputs are summed again."""
    older = tmp_path / "v25.duckdb"
    _migrated_to(older, 25)
    today = tmp_path / "today.duckdb"
    migrate(today)
    _store(today, world, np.arange(world.matches.count))
    with write(today) as con:
        keep_current(con, ScoringParams())  # a reference, the inputs built, rows merged
    _copy_rows(today, older)
    with read(older) as con:
        columns = {c[0] for c in con.execute("DESCRIBE player_game_sums").fetchall()}
        assert "lobby_z_sq" not in columns
        assert con.execute("SELECT count(*) FROM player_score_inputs").fetchone() != (0,)
    migrate(older)
    assert _tables(older) == _tables(today)
    with read(older) as con:
        squares = con.execute("SELECT sum(lobby_z_sq) FROM player_game_sums").fetchone()
        assert squares is not None and squares[0] > 0
        assert con.execute("SELECT count(*) FROM player_score_inputs").fetchone() == (0,)


def test_games_committed_while_the_reference_is_rebuilt_wait_for_it(
    world: World, db_path: Path, tmp_path: Path
) -> None:
    """A pass that rebuilds the lobby reference runs alone among its process's writes: a
    job storing games meanwhile waits for it, then judges its games with the new reference,
    so the kept tables still equal a rebuild. (Committed beside it, those games kept the
    stomps and lobby sums of the old reference for good.) A pass that is not alone finds
    the reference due and stops before it writes anything."""
    total = world.matches.count
    _store(db_path, world, np.arange(total // 2))
    with pytest.raises(ReferenceRebuildNeedsAlone):
        transact(db_path, lambda con: keep_current(con, ScoringParams(), alone=False))
    with read(db_path) as con:
        assert reference_is_stale(con)

    rebuilding, stored = threading.Event(), threading.Event()

    def analyzer_pass(con: duckdb.DuckDBPyConnection) -> None:
        assert keep_current(con, ScoringParams(), alone=True).reference_rebuilt
        rebuilding.set()
        # The job below tries to commit now; given time, it would commit beside this pass.
        stored.wait(timeout=2.0)

    def store_rest(con: duckdb.DuckDBPyConnection) -> None:
        rest = np.arange(total // 2, total)
        write_match_frames(
            con, match_frame(world, rest), participant_frame(world, rest), player_frame(world)
        )

    analyzer = threading.Thread(target=lambda: transact(db_path, analyzer_pass, alone=True))
    analyzer.start()
    assert rebuilding.wait(timeout=60)
    transact(db_path, store_rest)
    stored.set()
    analyzer.join()
    with read(db_path) as con:
        assert con.execute("SELECT count(*) FROM lobby_reference").fetchone() == (5,)
    assert _tables(db_path) == _rebuilt(db_path, tmp_path, renorm=False)


def test_the_analyzer_job_rebuilds_the_reference_in_a_pass_of_its_own(
    world: World, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SMURF_ANALYZER passes run beside the other jobs' writes; one that finds the lobby
    reference due runs again alone, rebuilds it and scores."""
    _store(db_path, world, np.arange(world.matches.count))
    calls: list[bool] = []
    transact_as_is = Database.transact

    def noting(self: Database, work: Any, *, alone: bool = False) -> Any:
        calls.append(alone)
        return transact_as_is(self, work, alone=alone)

    monkeypatch.setattr(Database, "transact", noting)
    settings = Settings(db_path=db_path, riot_api_key="RGAPI-00000000-aggregates-test")
    outcomes = asyncio.run(run_in_process(JobContext(settings), "SMURF_ANALYZER"))
    assert [o.status for o in outcomes] == [JobStatus.SUCCESS]
    assert outcomes[0].metrics["records_created"] > 0
    # The execution's own bookkeeping writes go through transact too, never alone.
    assert calls.count(True) == 1
    with read(db_path) as con:
        assert not reference_is_stale(con)
        assert con.execute("SELECT count(*) FROM lobby_reference").fetchone() == (5,)


@pytest.mark.parametrize(
    ("games", "reference_rows", "outgrown"),
    [
        (29, None, False),  # too few for a reference of its own yet
        (30, None, True),  # enough now: the documented defaults give way
        (199, 100, False),
        (200, 100, True),  # twice the games the reference was computed from
        (1_000, 100, True),
        (0, 30, False),
    ],
)
def test_a_role_outgrows_the_reference_once_its_games_double(
    games: int, reference_rows: int | None, outgrown: bool
) -> None:
    """A role calls for a new lobby reference once it has twice the games the reference was
    computed from, or the minimum where the reference has none."""
    assert outgrown == role_outgrew_reference(games, reference_rows)
