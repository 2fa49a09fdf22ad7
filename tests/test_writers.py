"""Bulk writers: idempotence, round-trips, latest-known players and rank snapshots."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.store import (
    ParsedMatch,
    WriteCounts,
    lake,
    load_match_payload,
    parse_match,
    read,
    record_rank_snapshots,
    upsert_players,
    write,
    write_match_frames,
    write_matches,
)
from pipeline.store.location import LakeLocation, parse_location
from pipeline.store.parser import PARTICIPANT_COLUMNS
from tests.conftest import FIXTURES_DIR
from tests.sim_helpers import copy_database

MATCH_FIXTURES = FIXTURES_DIR / "matches"


@pytest.fixture
def db_path(file_or_lake: Path) -> Path:
    """Every writer test runs on a file and on a lake."""
    return file_or_lake


def parsed_fixture(match_id: str, **participant_changes: Any) -> ParsedMatch:
    payload = json.loads((MATCH_FIXTURES / f"{match_id}.json").read_text(encoding="utf-8"))
    for participant in payload["info"]["participants"]:
        for key, value in participant_changes.items():
            if value is None:
                participant.pop(key, None)
            else:
                participant[key] = value
    return parse_match(payload)


def all_fixtures() -> list[ParsedMatch]:
    return [parse_match(json.loads(p.read_text())) for p in sorted(MATCH_FIXTURES.glob("*.json"))]


TABLES = ("matches", "match_payloads", "match_participants", "players", "rank_snapshots")


def table_counts(db_path: Path) -> dict[str, int]:
    with read(db_path) as con:
        return {
            t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in TABLES
        }


def player(db_path: Path, puuid: str) -> dict[str, Any]:
    with read(db_path) as con:
        frame = con.execute("SELECT * FROM players WHERE puuid = ?", [puuid]).df()
    row: dict[str, Any] = frame.iloc[0].to_dict()
    return row


def test_writing_the_same_matches_twice_changes_nothing(db_path: Path) -> None:
    """A second write of the same matches creates and updates nothing."""
    parsed = all_fixtures()
    with write(db_path) as con:
        first = write_matches(con, parsed)
    before = table_counts(db_path)
    with write(db_path) as con:
        second = write_matches(con, parsed)
    assert first == WriteCounts(
        matches_created=3, participants_created=6, players_created=5, players_updated=0
    )
    assert second == WriteCounts()
    assert table_counts(db_path) == before


def test_write_counts_add_up() -> None:
    """WriteCounts add field by field."""
    assert WriteCounts(1, 2, 3, 4) + WriteCounts(10, 20, 30, 40) == WriteCounts(11, 22, 33, 44)


def test_stored_match_keeps_its_raw_json_once(db_path: Path) -> None:
    """A match's raw payload is stored once in match_payloads, however often it is written."""
    parsed = parsed_fixture("NA1_1000000001")
    with write(db_path) as con:
        write_matches(con, [parsed, parsed])
        write_matches(con, [parsed])
    with read(db_path) as con:
        rows = con.execute(
            "SELECT m.match_id, m.participant_count, m.patch "
            "FROM matches m JOIN match_payloads p USING (match_id)"
        ).fetchall()
        payload = load_match_payload(con, rows[0][0])
        stored_bytes = con.execute(
            "SELECT octet_length(payload_zstd) FROM match_payloads"
        ).fetchone()
    assert [r[1:] for r in rows] == [(2, "14.22")]
    assert payload == json.loads(parsed.match["raw_json"])  # the payload as the API sent it
    assert stored_bytes is not None and stored_bytes[0] < len(parsed.match["raw_json"])


def test_newer_game_overwrites_player_and_older_game_does_not(db_path: Path) -> None:
    """A player's Riot ID and level come from their newest game, whatever the import order."""
    newer, older = parsed_fixture("NA1_1000000001"), parsed_fixture("EUW1_1000000002")
    with write(db_path) as con:
        write_matches(con, [newer])
        late_old = write_matches(con, [older])
    alpha = player(db_path, "puuid-alpha")
    assert (alpha["game_name"], alpha["summoner_level"], alpha["platform"]) == ("Alpha", 30, "na1")
    assert late_old.players_updated == 0


def test_a_newer_games_riot_id_stands_after_a_later_profile(db_path: Path) -> None:
    """A player renamed: their newest game carries the new Riot ID. A profile fetched after
    that game knows the level better than the game does, but it carries no Riot ID, so the
    game's new name is taken and its level is not."""
    with write(db_path) as con:
        write_matches(con, [parsed_fixture("EUW1_1000000002")])
        con.execute(
            "UPDATE players SET summoner_checked_at = TIMESTAMP '2100-01-01',"
            " summoner_level = 999 WHERE puuid = 'puuid-alpha'"
        )
        write_matches(con, [parsed_fixture("NA1_1000000001", riotIdGameName="Renamed")])
    alpha = player(db_path, "puuid-alpha")
    assert (alpha["game_name"], alpha["summoner_level"]) == ("Renamed", 999)


def test_newer_game_imported_later_updates_the_player(db_path: Path) -> None:
    """Importing a newer game after an older one updates the player's fields."""
    with write(db_path) as con:
        write_matches(con, [parsed_fixture("EUW1_1000000002")])
        counts = write_matches(con, [parsed_fixture("NA1_1000000001")])
    alpha = player(db_path, "puuid-alpha")
    assert (alpha["game_name"], alpha["tag_line"], alpha["summoner_level"]) == ("Alpha", "NA1", 30)
    assert alpha["discovered_from_match"] == "EUW1_1000000002"
    assert counts.players_updated == 1


def test_newest_game_wins_within_one_batch(db_path: Path) -> None:
    """When one batch holds several games of a player, the newest game's values are kept."""
    with write(db_path) as con:
        write_matches(con, [parsed_fixture("NA1_1000000001"), parsed_fixture("EUW1_1000000002")])
    assert player(db_path, "puuid-alpha")["game_name"] == "Alpha"


def test_older_game_only_fills_unknown_fields(db_path: Path) -> None:
    """An older game fills a field the player has no value for, and changes nothing else."""
    newer = parsed_fixture("NA1_1000000001", riotIdTagline=None)
    older = parsed_fixture("EUW1_1000000002", riotIdTagline="OLD")
    with write(db_path) as con:
        write_matches(con, [newer])
        counts = write_matches(con, [older])
    alpha = player(db_path, "puuid-alpha")
    assert (alpha["game_name"], alpha["tag_line"]) == ("Alpha", "OLD")
    assert counts.players_updated == 1


def test_upsert_players_overwrites_non_null_fields_and_keeps_bookkeeping(db_path: Path) -> None:
    """upsert_players overwrites provided values, never erases with NULL, leaves bookkeeping."""
    with write(db_path) as con:
        created = upsert_players(
            con, [{"puuid": "p1", "game_name": "One", "tag_line": "T1", "summoner_level": 5}]
        )
        con.execute("UPDATE players SET is_tracked = true, history_start_index = 40")
        updated = upsert_players(
            con,
            [
                {"puuid": "p1", "game_name": None, "summoner_level": 6, "platform": "kr"},
                {"puuid": "p2"},
            ],
        )
        unchanged = upsert_players(con, pd.DataFrame([{"puuid": "p1", "summoner_level": 6}]))
    p1 = player(db_path, "p1")
    assert (created, updated, unchanged) == ((1, 0), (1, 1), (0, 0))
    assert (p1["game_name"], p1["tag_line"], p1["summoner_level"], p1["platform"]) == (
        "One",
        "T1",
        6,
        "kr",
    )
    assert (bool(p1["is_tracked"]), p1["history_start_index"]) == (True, 40)


def test_write_match_frames_fills_missing_optional_columns_with_null(db_path: Path) -> None:
    """Frames with only key columns are accepted; the rest is NULL and the count is derived."""
    matches = pd.DataFrame({"match_id": ["SIM_1"], "queue_id": [420]})
    participants = pd.DataFrame({"match_id": ["SIM_1", "SIM_1"], "puuid": ["a", "b"]})
    players = pd.DataFrame({"puuid": ["a", "b"], "summoner_level": [10, None]})
    with write(db_path) as con:
        counts = write_match_frames(con, matches, participants, players)
    with read(db_path) as con:
        match = con.execute(
            "SELECT participant_count, patch, (SELECT count(*) FROM match_payloads) FROM matches"
        ).fetchone()
        levels = con.execute("SELECT puuid, summoner_level FROM players ORDER BY 1").fetchall()
    assert counts == WriteCounts(1, 2, 2, 0)
    assert match == (2, None, 0)
    assert levels == [("a", 10), ("b", None)]


def test_rank_snapshots_are_recorded_only_on_change(db_path: Path) -> None:
    """A rank row is added only when the entry differs from that queue's latest row."""
    solo = {
        "queueType": "RANKED_SOLO_5x5",
        "tier": "GOLD",
        "rank": "II",
        "leaguePoints": 40,
        "wins": 10,
        "losses": 8,
        "hotStreak": False,
        "veteran": False,
        "freshBlood": True,
        "inactive": False,
        "leagueId": "ignored",
    }
    flex = {**solo, "queueType": "RANKED_FLEX_SR", "tier": "SILVER"}
    tft = {**solo, "queueType": "RANKED_TFT"}
    day = [datetime(2026, 1, d) for d in range(1, 6)]
    with write(db_path) as con:
        inserted = [
            record_rank_snapshots(con, {"p1": [solo, flex, tft], "p2": []}, day[0]),
            record_rank_snapshots(con, {"p1": [solo, flex], "p2": [tft]}, day[1]),
            record_rank_snapshots(con, {"p1": [{**solo, "leaguePoints": 59}, flex]}, day[2]),
            record_rank_snapshots(con, {"p1": [], "p2": []}, day[3]),
            record_rank_snapshots(con, {"p1": [], "p2": []}, day[4]),
        ]
    with read(db_path) as con:
        rows = con.execute(
            "SELECT puuid, queue_type, tier, division, league_points, fresh_blood, observed_at "
            "FROM rank_snapshots ORDER BY observed_at, puuid, queue_type"
        ).fetchall()
    assert inserted == [3, 0, 1, 1, 0]
    assert rows == [
        ("p1", "RANKED_FLEX_SR", "SILVER", "II", 40, True, day[0]),
        ("p1", "RANKED_SOLO_5x5", "GOLD", "II", 40, True, day[0]),
        ("p2", "UNRANKED", None, None, None, None, day[0]),
        ("p1", "RANKED_SOLO_5x5", "GOLD", "II", 59, True, day[2]),
        ("p1", "UNRANKED", None, None, None, None, day[3]),
    ]


def test_a_failed_transaction_writes_nothing(db_path: Path) -> None:
    """Rows written inside a unit of work that raises are rolled back."""
    with pytest.raises(RuntimeError), write(db_path) as con:
        write_matches(con, all_fixtures())
        raise RuntimeError("stop")
    assert table_counts(db_path) == dict.fromkeys(TABLES, 0)


# --- Hypothesis round-trip ---------------------------------------------------------------

# Any text a lake can hold too: its catalog (PostgreSQL) cannot store a NUL character.
CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
TEXT = st.text(CHARACTERS, max_size=12)
INT = st.integers(min_value=-(2**31), max_value=2**31 - 1)
FLOAT = st.floats(allow_nan=False, allow_infinity=False, width=64)
TIME = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))

COLUMN_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "queue_id": INT,
    "game_start": TIME,
    "game_duration_s": INT,
    "participant_id": INT,
    "team_id": INT,
    "champion_id": INT,
    "champion_name": TEXT,
    "team_position": TEXT,
    "individual_position": TEXT,
    "win": st.booleans(),
    "placement": INT,
    "kills": INT,
    "deaths": INT,
    "assists": INT,
    "cs": INT,
    "gold_earned": INT,
    "damage_to_champions": INT,
    "vision_score": INT,
    "summoner_level": INT,
    "champ_level": INT,
    "time_played_s": INT,
    "riot_id_game_name": TEXT,
    "riot_id_tagline": TEXT,
    "kill_participation": FLOAT,
    "kda": FLOAT,
    "damage_per_minute": FLOAT,
    "gold_per_minute": FLOAT,
    "team_damage_percentage": FLOAT,
    "vision_score_per_minute": FLOAT,
    "solo_kills": INT,
    "early_surrender": st.booleans(),
}
assert set(COLUMN_STRATEGIES) | {"match_id", "puuid"} == set(PARTICIPANT_COLUMNS)

participant_rows = st.lists(
    st.fixed_dictionaries(
        {
            "match_id": st.sampled_from(["EUW1_1", "EUW1_2", "KR_3"]),
            "puuid": st.text(CHARACTERS, min_size=1, max_size=20),
            **{c: st.none() | s for c, s in COLUMN_STRATEGIES.items()},
        }
    ),
    min_size=1,
    max_size=15,
    unique_by=lambda row: (row["match_id"], row["puuid"]),
)


@pytest.fixture
def open_db(db_path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection held across hypothesis examples (each rolls back what it wrote)."""
    location = parse_location(db_path)
    con = (
        lake.cursor(location, read_only=False)
        if isinstance(location, LakeLocation)
        else duckdb.connect(str(location))
    )
    yield con
    con.close()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=participant_rows)
def test_participant_rows_round_trip_through_the_store(
    open_db: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]
) -> None:
    """Participant rows written with write_match_frames read back equal, NULLs included."""
    con = open_db
    matches = pd.DataFrame({"match_id": sorted({r["match_id"] for r in rows})})
    participants = pd.DataFrame(rows, columns=list(PARTICIPANT_COLUMNS))
    players = pd.DataFrame({"puuid": sorted({r["puuid"] for r in rows})})
    con.begin()
    try:
        counts = write_match_frames(con, matches, participants, players)
        back = con.execute(
            f"SELECT {', '.join(PARTICIPANT_COLUMNS)} FROM match_participants"
        ).fetchall()
    finally:
        con.rollback()  # every example starts from the same empty database
    expected = sorted(tuple(r[c] for c in PARTICIPANT_COLUMNS) for r in rows)
    assert sorted(back) == expected
    assert counts.participants_created == len(rows)


def test_payloads_stored_before_compression_still_load(db_path: Path) -> None:
    """A payload kept as plain raw_json (before compression) loads like a compressed one."""
    with write(db_path) as con:
        con.execute(
            "INSERT INTO match_payloads (match_id, raw_json) VALUES ('OLD_1', '{\"a\": 1}')"
        )
    with read(db_path) as con:
        assert load_match_payload(con, "OLD_1") == {"a": 1}
        assert load_match_payload(con, "NEVER_STORED") is None


def test_a_write_conflict_surfaces_as_a_conflict_not_as_an_aborted_transaction(
    tmp_path: Path, migrated_template: Path
) -> None:
    """When another transaction of the process holds a player the batch updates, the batch
    fails with the conflict (which callers retry), not with "transaction is aborted" from
    cleaning up its temp tables afterwards (which they would not)."""

    from pipeline.store.connection import is_write_conflict

    path = tmp_path / "conflict.duckdb"
    copy_database(migrated_template, path)
    parsed = all_fixtures()
    first = parsed[0]
    with duckdb.connect(str(path)) as setup:
        write_matches(setup, [first])
    holder = duckdb.connect(str(path))
    writer = holder.cursor()  # a second connection to the same database
    try:
        holder.execute("BEGIN")
        holder.execute("UPDATE players SET game_name = 'held' WHERE true")
        writer.execute("BEGIN")
        with pytest.raises(duckdb.Error) as failure:
            write_matches(writer, parsed)
        assert "aborted" not in str(failure.value)
        assert is_write_conflict(failure.value)
    finally:
        writer.close()
        holder.close()


def test_a_player_first_met_by_two_transactions_at_once_is_retried_not_lost(
    tmp_path: Path, migrated_template: Path
) -> None:
    """Two jobs of one process store matches with the same new player at the same time: the
    second meets the first's committed row (a duplicate key its snapshot did not show), which
    counts as a write conflict, and its transaction run again stores its match."""

    from pipeline.store.connection import is_write_conflict, transact

    path = tmp_path / "duplicate.duckdb"
    copy_database(migrated_template, path)
    parsed = all_fixtures()
    first, second = parsed[0], parsed[1]
    shared, replaced = first.participants[0]["puuid"], second.participants[0]["puuid"]
    for row in (*second.participants, *second.players):
        if row.get("puuid") == replaced:
            row["puuid"] = shared
    early = duckdb.connect(str(path))
    late = early.cursor()
    try:
        late.execute("BEGIN")
        late.execute("SELECT count(*) FROM players").fetchone()  # its snapshot starts here
        early.execute("BEGIN")
        write_matches(early, [first])
        early.execute("COMMIT")
        with pytest.raises(duckdb.Error) as failure:
            write_matches(late, [second])
        assert is_write_conflict(failure.value)
        late.execute("ROLLBACK")
    finally:
        late.close()
        early.close()
    transact(path, lambda con: write_matches(con, [second]))
    counts = table_counts(path)
    assert counts["matches"] == 2
