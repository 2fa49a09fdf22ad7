"""Exporting a simulated world into the store: counts, determinism, truth and consistency."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.simulator import SMURF_KINDS, TRAPS, SimulatorConfig, World, build_world
from pipeline.simulator.errors import AnotherWorldError, SimulatorError
from pipeline.simulator.export import ExportReport, export_world
from pipeline.simulator.payloads import league_entries, match
from pipeline.store import Database, read
from pipeline.store.parser import PARTICIPANT_COLUMNS, parse_match

CONFIG = SimulatorConfig(seed=21, players=200, history_days=30)
MATCH_ORDER = "SELECT * EXCLUDE (ingested_at) FROM matches ORDER BY match_id"
PARTICIPANT_ORDER = "SELECT * FROM match_participants ORDER BY match_id, participant_id"


@pytest.fixture(scope="module")
def world() -> World:
    """The module's world (exports never change it)."""
    return build_world(CONFIG)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, world: World) -> tuple[Path, ExportReport]:
    """One export of the module's world, into a fresh database file."""
    db_path = tmp_path_factory.mktemp("export") / "smurf.duckdb"
    return db_path, export_world(CONFIG, db_path, world=world)


def _table(db_path: Path, sql: str) -> pd.DataFrame:
    with read(db_path) as con:
        return con.execute(sql).df()


def test_export_writes_every_player_match_and_participant(
    exported: tuple[Path, ExportReport], world: World
) -> None:
    """The report and the tables hold every player, match and participant of the world."""
    db_path, report = exported
    assert report.players == CONFIG.players
    assert report.matches == world.matches.count
    assert report.participants == 10 * world.matches.count
    assert report.truth_rows == CONFIG.players
    counts = _table(
        db_path,
        "SELECT (SELECT count(*) FROM players) p, (SELECT count(*) FROM matches) m, "
        "(SELECT count(*) FROM match_participants) mp, (SELECT count(*) FROM sim_truth) t",
    ).iloc[0]
    assert counts.tolist() == [CONFIG.players, report.matches, report.participants, 200]


def test_same_seed_exports_identical_tables(
    exported: tuple[Path, ExportReport], tmp_path: Path
) -> None:
    """Exporting the same seed again yields the very same rows."""
    db_path, _ = exported
    again = tmp_path / "again.duckdb"
    export_world(CONFIG, again)
    for sql in (MATCH_ORDER, PARTICIPANT_ORDER, "SELECT * FROM sim_truth ORDER BY puuid"):
        pd.testing.assert_frame_equal(_table(db_path, sql), _table(again, sql))


def test_another_seed_exports_another_world(
    exported: tuple[Path, ExportReport], tmp_path: Path
) -> None:
    """A different seed gives different players."""
    db_path, _ = exported
    other = tmp_path / "other.duckdb"
    export_world(SimulatorConfig(seed=22, players=200, history_days=30), other)
    first = set(_table(db_path, "SELECT puuid FROM players")["puuid"])
    second = set(_table(other, "SELECT puuid FROM players")["puuid"])
    assert first.isdisjoint(second)


def test_exporting_twice_adds_nothing(exported: tuple[Path, ExportReport], world: World) -> None:
    """A second export of the same world into the same file creates no new rows."""
    db_path, _ = exported
    report = export_world(CONFIG, db_path, world=world)
    assert (report.matches, report.participants, report.rank_snapshots) == (0, 0, 0)
    assert report.truth_rows == CONFIG.players


def test_exporting_another_world_into_an_export_is_refused_before_any_write(
    exported: tuple[Path, ExportReport],
) -> None:
    """Another seed's world into a database holding this one's raises, naming how many
    stored players are not the new world's, and leaves every table as it was."""
    db_path, _ = exported
    counts = "SELECT (SELECT count(*) FROM players), (SELECT count(*) FROM matches)"
    before = _table(db_path, counts)
    with pytest.raises(AnotherWorldError) as refused:
        export_world(SimulatorConfig(seed=22, players=200, history_days=30), db_path)
    assert refused.value.foreign == CONFIG.players
    pd.testing.assert_frame_equal(_table(db_path, counts), before)


def test_exported_rows_equal_parsed_api_payloads(
    exported: tuple[Path, ExportReport], world: World
) -> None:
    """A participant row exported directly equals the row parsed from the API's match body."""
    db_path, _ = exported
    numbers = [0, world.matches.count // 2, world.matches.count - 1]
    ids = [world.match_id(n) for n in numbers]
    exported_rows = _table(
        db_path,
        "SELECT * FROM match_participants WHERE match_id IN (SELECT unnest(?)) "
        "ORDER BY match_id, participant_id".replace("?", str(ids)),
    )
    parsed = [row for n in numbers for row in parse_match(match(world, n)).participants]
    expected = pd.DataFrame(parsed, columns=list(PARTICIPANT_COLUMNS))
    expected = expected.sort_values(["match_id", "participant_id"]).reset_index(drop=True)
    for column in PARTICIPANT_COLUMNS:
        left, right = exported_rows[column].tolist(), expected[column].tolist()
        if exported_rows[column].dtype.kind == "f":
            assert left == pytest.approx(right), column
        else:
            assert [None if pd.isna(v) else v for v in left] == [
                None if pd.isna(v) else v for v in right
            ], column


def test_truth_flags_agree_with_populations(exported: tuple[Path, ExportReport]) -> None:
    """sim_truth flags follow the population, and banned_at is set exactly for banned accounts."""
    db_path, _ = exported
    truth = _table(db_path, "SELECT * FROM sim_truth")
    smurfs = truth["population"].isin([kind.name for kind in SMURF_KINDS])
    assert (truth["is_smurf"] == smurfs).all()
    assert (truth["is_boosted"] == (truth["population"] == "BOOSTED")).all()
    traps = truth["population"].isin([trap.name for trap in TRAPS])
    assert (truth["is_trap"] == traps).all()
    assert (truth["banned_at"].notna() == truth["is_banned"]).all()
    assert truth["is_smurf"].sum() >= 5


def test_latest_rank_snapshot_matches_league_v4(
    exported: tuple[Path, ExportReport], world: World
) -> None:
    """Each player's newest exported rank is what league-v4 reports for them now."""
    db_path, _ = exported
    latest = _table(
        db_path,
        "SELECT puuid, tier, division, league_points, wins, losses FROM rank_snapshots "
        "QUALIFY row_number() OVER (PARTITION BY puuid ORDER BY observed_at DESC) = 1",
    ).set_index("puuid")
    checked = 0
    for player in range(0, CONFIG.players, 5):
        entries = league_entries(world, player)
        if not entries:
            continue
        row = latest.loc[str(world.players.puuid[player])]
        entry = entries[0]
        assert (row.tier, row.division, row.league_points, row.wins, row.losses) == (
            entry["tier"], entry["rank"], entry["leaguePoints"], entry["wins"], entry["losses"]
        )  # fmt: skip
        checked += 1
    assert checked > 10


def test_cli_export_prints_counts(tmp_path: Path) -> None:
    """`smurf simulator export` migrates the file, writes the world and prints the counts."""
    db_path = tmp_path / "cli.duckdb"
    result = CliRunner().invoke(
        cli, ["simulator", "export", "--seed", "3", "--players", "50", "--db", str(db_path)]
    )
    assert result.exit_code == 0, result.output
    assert "50 players" in result.output
    assert _table(db_path, "SELECT count(*) AS n FROM sim_truth")["n"].iloc[0] == 50
    # Written beside it under a hidden name and moved into place: nothing else is left.
    assert [path.name for path in tmp_path.iterdir()] == ["cli.duckdb"]


def test_a_world_too_small_to_fill_a_lobby_exports_its_players_and_says_so(
    tmp_path: Path,
) -> None:
    """Ten players (the least a world takes) play no match within the matchmaking's spread:
    the export stores the players, their ranks and the truth, and warns instead of failing."""
    db_path = tmp_path / "small.duckdb"
    result = CliRunner().invoke(
        cli, ["simulator", "export", "--seed", "1", "--players", "10", "--db", str(db_path)]
    )
    assert result.exit_code == 0, result.output
    assert "10 players, 0 matches" in result.output
    assert "played no match" in result.stderr and "--players 20" in result.stderr
    assert _table(db_path, "SELECT count(*) AS n FROM players")["n"].iloc[0] == 10


def test_cli_serve_documents_every_option() -> None:
    """Every option of `smurf simulator serve` has help text."""
    from pipeline.simulator.cli import serve

    for option in serve.params:
        assert getattr(option, "help", None), option.name


def _own_data(db_path: Path) -> None:
    """A database of the user's own: one player the jobs found, no simulated world."""
    from pipeline.store import migrate, upsert_players, write

    migrate(db_path)
    with write(db_path) as con:
        upsert_players(con, [{"puuid": "own-player", "game_name": "Own", "tag_line": "EUW"}])


def test_cli_export_refuses_to_mix_a_world_into_real_data_unless_replaced(tmp_path: Path) -> None:
    """The default database is the user's own: an export into a database holding players
    that are not a simulated world's is refused and leaves it as it was; --replace deletes
    it first. Exporting again into an export's own database completes it (allowed)."""
    db_path = tmp_path / "own.duckdb"
    _own_data(db_path)
    export = ["simulator", "export", "--seed", "3", "--players", "50", "--db", str(db_path)]
    refused = CliRunner().invoke(cli, export)
    assert refused.exit_code == 2
    assert "no simulated world" in refused.output and "--replace" in refused.output
    assert _table(db_path, "SELECT puuid FROM players")["puuid"].tolist() == ["own-player"]
    # A bad option with --replace is refused before anything is deleted.
    bad = CliRunner().invoke(cli, [*export, "--replace", "--platform", "moon1"])
    assert bad.exit_code != 0
    assert _table(db_path, "SELECT puuid FROM players")["puuid"].tolist() == ["own-player"]
    replaced = CliRunner().invoke(cli, [*export, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert "own-player" not in _table(db_path, "SELECT puuid FROM players")["puuid"].tolist()
    again = CliRunner().invoke(cli, export)
    assert again.exit_code == 0, again.output
    assert _table(db_path, "SELECT count(*) AS n FROM sim_truth")["n"].iloc[0] == 50
    # Another world (here another seed) into it is refused, and nothing is written.
    before = _table(db_path, "SELECT puuid FROM sim_truth ORDER BY puuid")
    other = CliRunner().invoke(cli, [*export[:2], "--seed", "4", *export[4:]])
    assert other.exit_code == 1
    assert "50 players that are not this world's" in other.stderr
    assert "--replace" in other.stderr
    pd.testing.assert_frame_equal(
        _table(db_path, "SELECT puuid FROM sim_truth ORDER BY puuid"), before
    )
    assert _table(db_path, "SELECT count(*) AS n FROM players")["n"].iloc[0] == 50


def test_cli_crawl_refuses_an_existing_database(tmp_path: Path) -> None:
    """A crawl builds its database afresh, so it refuses a file that exists (the default is
    the user's own) and names --replace; the file is left as it was."""
    db_path = tmp_path / "own.duckdb"
    _own_data(db_path)
    before = db_path.read_bytes()
    refused = CliRunner().invoke(
        cli, ["simulator", "crawl", "--players", "60", "--cycles", "1", "--db", str(db_path)]
    )
    assert refused.exit_code == 2
    assert "already exists" in refused.output and "--replace" in refused.output
    assert db_path.read_bytes() == before


def test_cli_serve_refuses_a_port_in_use_in_words(tmp_path: Path) -> None:
    """A port another program listens on is refused at once, in one line that says what to
    do, instead of the server exiting quietly after the world is built."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["simulator", "serve", "--players", "20", "--port", str(port)]
        )
    assert result.exit_code == 1
    assert f"Cannot serve on 127.0.0.1:{port}" in result.output and "--port" in result.output
    assert "Building a world" not in result.output
    # Taken by a second serve still building its world: the port is listened on at once.
    from pipeline.simulator.server import bind_port

    with bind_port(0) as first:
        held = first.getsockname()[1]
        with pytest.raises(SimulatorError, match=f"Cannot serve on 127.0.0.1:{held}"):
            bind_port(held)


def test_replace_refuses_a_database_a_running_scheduler_serves(tmp_path: Path) -> None:
    """`--replace` (export, crawl) and a fresh demo delete the file: never while a scheduler
    serves it (its jobs would go on writing into the new file, the old data lost under it)."""
    from pipeline.demo import DemoOptions, prepare_database
    from pipeline.simulator.server import free_port
    from tests.test_one_run_at_a_time import scheduler_process

    db_path = tmp_path / "own.duckdb"
    _own_data(db_path)
    with scheduler_process(db_path, free_port()):
        for command in (
            ["simulator", "export", "--seed", "3", "--players", "50", "--replace"],
            ["simulator", "crawl", "--players", "60", "--cycles", "1", "--replace"],
        ):
            refused = CliRunner().invoke(cli, ["--db", str(db_path), *command])
            assert refused.exit_code == 1, refused.output
            assert "A scheduler (pid" in refused.output and "stop the scheduler" in refused.output
            assert _table(db_path, "SELECT puuid FROM players")["puuid"].tolist() == ["own-player"]
        # A user's data is refused by the demo before anything else; a simulated world's
        # database is the demo's to replace, but not while a scheduler serves it.
        with pytest.raises(Exception, match="neither the demo nor the simulator"):
            prepare_database(DemoOptions(db_path=db_path), lambda _: None)
        with Database(db_path).write() as con:
            con.execute("CREATE TABLE sim_truth (puuid VARCHAR)")
        with pytest.raises(Exception, match="A scheduler"):
            prepare_database(DemoOptions(db_path=db_path), lambda _: None)
        assert _table(db_path, "SELECT puuid FROM players")["puuid"].tolist() == ["own-player"]
    # Stopped, the scheduler no longer keeps the file from being replaced.
    export = ["simulator", "export", "--seed", "3", "--players", "50", "--replace"]
    replaced = CliRunner().invoke(cli, ["--db", str(db_path), *export])
    assert replaced.exit_code == 0, replaced.output
    assert "own-player" not in _table(db_path, "SELECT puuid FROM players")["puuid"].tolist()


def test_replace_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    """`--replace` deletes a DuckDB database, never another file given by mistake."""
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    refused = CliRunner().invoke(
        cli,
        ["--db", str(notes), "simulator", "export", "--players", "50", "--replace"],
    )
    assert refused.exit_code == 1, refused.output
    assert "not a DuckDB database" in refused.output
    assert notes.read_text() == "my notes\n"
