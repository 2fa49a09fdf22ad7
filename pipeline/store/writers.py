"""Bulk, idempotent writes of matches, participants, players and rank snapshots.

Rows reach DuckDB as one Arrow table or DataFrame per table and are inserted with a single
``INSERT .. SELECT`` of the rows whose natural key (``match_id``, ``(match_id, puuid)``,
``puuid``) is not stored yet, so writing the same matches twice changes nothing and a batch
costs a few statements whatever its size. The statements name their keys rather than lean
on the table's (``ON CONFLICT``), so that they run unchanged on a lake, which has no keys.
Frames are matched to tables by column name: extra columns are ignored and missing optional
ones become NULL (or the column default). A match's ``raw_json`` goes to ``match_payloads``
(unindexed, so commits stay cheap as it grows), zstd-compressed, once, together with the new
match row.

Players are "latest known": a player's Riot ID, level, platform and icon come from the newest
game we have seen them in. When players arrive with matches, each one's values are dated by
the ``game_start`` of the match they came from (``discovered_from_match``); they overwrite the
stored values only when that game is at least as new as every game of theirs already stored
and as their last summoner-v4 check. Values from an older game only fill fields still NULL.
Rows without a dated source (no ``discovered_from_match``) count as newest. ``upsert_players``
(fresh data from summoner-v4 / account-v1) always overwrites. NULLs never erase known values.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeAlias

import duckdb
import pandas as pd
import pyarrow as pa

from pipeline.store.aggregates import add_games, drop_temp_table, enqueue_players
from pipeline.store.parser import MATCH_COLUMNS, PARTICIPANT_COLUMNS, PLAYER_COLUMNS, ParsedMatch
from pipeline.store.payloads import compress_payload

# Player fields that new information may overwrite; the rest is bookkeeping.
PLAYER_FIELDS = ("game_name", "tag_line", "platform", "summoner_level", "profile_icon_id")
IDENTITY_FIELDS = ("game_name", "tag_line")
RANKED_QUEUES = ("RANKED_SOLO_5x5", "RANKED_FLEX_SR")
UNRANKED = "UNRANKED"
RANK_FIELDS = (
    "tier",
    "division",
    "league_points",
    "wins",
    "losses",
    "hot_streak",
    "veteran",
    "fresh_blood",
    "inactive",
)
# rank_snapshots column -> LeagueEntryDto key.
_RANK_KEYS = {
    "tier": "tier",
    "division": "rank",
    "league_points": "leaguePoints",
    "wins": "wins",
    "losses": "losses",
    "hot_streak": "hotStreak",
    "veteran": "veteran",
    "fresh_blood": "freshBlood",
    "inactive": "inactive",
}

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    # Arrow's JSON extension type reaches DuckDB as JSON, sparing a validating VARCHAR cast
    # of ~70 KB per match (the text was just parsed, so it is known to be valid).
    "JSON": pa.json_() if hasattr(pa, "json_") else pa.string(),
    "INTEGER": pa.int64(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "BLOB": pa.binary(),
}
PAYLOAD_COLUMN = "payload_zstd"

# A pandas DataFrame or a pyarrow Table: DuckDB scans either without copying.
Frame: TypeAlias = "pd.DataFrame | pa.Table"


@dataclass(frozen=True)
class WriteCounts:
    """Rows a write created or changed; counts add up across batches with ``+``."""

    matches_created: int = 0
    participants_created: int = 0
    players_created: int = 0
    players_updated: int = 0

    def __add__(self, other: WriteCounts) -> WriteCounts:
        return WriteCounts(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(WriteCounts))
        )


# The tables a batch of matches is written to.
MATCH_TABLES = ("matches", "match_participants", "players")


def write_matches(con: duckdb.DuckDBPyConnection, parsed: Sequence[ParsedMatch]) -> WriteCounts:
    """Insert parsed matches, their participants and players (idempotent, bulk)."""
    types = _column_types(con, *MATCH_TABLES)
    matches = [p.match for p in parsed]
    participants = [row for p in parsed for row in p.participants]
    players = [row for p in parsed for row in p.players]
    # The raw JSON travels with the match row, compressed, and is stored in match_payloads.
    match_types = {**types["matches"], PAYLOAD_COLUMN: "BLOB"}
    columns = [c for c in MATCH_COLUMNS if c != "raw_json"] + [PAYLOAD_COLUMN]
    rows = [_with_compressed_payload(m) for m in matches]
    return _write_frames(
        con,
        _arrow(match_types, columns, rows),
        _arrow(types["match_participants"], PARTICIPANT_COLUMNS, participants),
        _arrow(types["players"], PLAYER_COLUMNS, players),
        types,
    )


def _with_compressed_payload(match: Mapping[str, Any]) -> dict[str, Any]:
    text = match.get("raw_json")
    return {**match, PAYLOAD_COLUMN: compress_payload(text) if text else None}


def write_match_frames(
    con: duckdb.DuckDBPyConnection,
    matches: pd.DataFrame,
    participants: pd.DataFrame,
    players: pd.DataFrame,
) -> WriteCounts:
    """Insert matches, participants and players given as frames, columns matched by name.

    Missing optional columns become NULL; when ``participant_count`` is missing it is counted
    from ``participants``. Arrow tables are accepted too.
    """
    types = _column_types(con, *MATCH_TABLES)
    return _write_frames(con, matches, participants, players, types)


def upsert_players(
    con: duckdb.DuckDBPyConnection, players: pd.DataFrame | Sequence[Mapping[str, Any]]
) -> tuple[int, int]:
    """Create unknown players and overwrite known ones' non-null fields: (created, updated)."""
    types = _column_types(con, "players")
    frame = (
        players
        if isinstance(players, pd.DataFrame | pa.Table)
        else _arrow(types["players"], PLAYER_COLUMNS, [dict(p) for p in players])
    )
    with registered_frame(con, frame) as (name, columns):
        return _upsert_players(con, name, columns, types["players"], dated=False)


def record_rank_snapshots(
    con: duckdb.DuckDBPyConnection,
    puuid_entries: Mapping[str, Sequence[Mapping[str, Any]]],
    observed_at: datetime,
) -> int:
    """Store league-v4 entries per player, a row only where something changed; rows inserted.

    Only solo and flex queues are kept; a player with neither gets one ``UNRANKED`` row.
    A row is stored (or rewritten) unfolded: the analyzer folds it into its rank summary.
    """
    rows = [
        {"puuid": puuid, "queue_type": queue, **values, "observed_at": observed_at}
        for puuid, entries in puuid_entries.items()
        for queue, values in _rank_values(entries).items()
    ]
    if not rows:
        return 0
    frame = _arrow(
        _column_types(con, "rank_snapshots")["rank_snapshots"],
        ("puuid", "queue_type", *RANK_FIELDS, "observed_at"),
        rows,
    )
    changed = " OR ".join(f"i.{c} IS DISTINCT FROM l.{c}" for c in RANK_FIELDS)
    columns = ("puuid", "queue_type", *RANK_FIELDS, "observed_at")
    with registered_frame(con, frame) as (name, _columns):
        enqueue_players(con, f"SELECT puuid FROM {name}")
        return _count(
            con,
            f"""
            MERGE INTO rank_snapshots t USING (
                SELECT i.* FROM {name} i
                LEFT JOIN (
                    SELECT * FROM rank_snapshots
                    WHERE puuid IN (SELECT puuid FROM {name})
                    QUALIFY row_number() OVER (
                        PARTITION BY puuid, queue_type ORDER BY observed_at DESC) = 1
                ) l USING (puuid, queue_type)
                WHERE l.puuid IS NULL OR {changed}
            ) s
            ON t.puuid = s.puuid AND t.queue_type = s.queue_type
               AND t.observed_at = s.observed_at
            WHEN MATCHED THEN UPDATE SET {", ".join(f"{c} = s.{c}" for c in RANK_FIELDS)},
                folded = NULL
            WHEN NOT MATCHED THEN INSERT ({", ".join(columns)})
                VALUES ({", ".join(f"s.{c}" for c in columns)})
            """,
        )


def _rank_values(entries: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    kept = {
        str(entry["queueType"]): {column: entry.get(key) for column, key in _RANK_KEYS.items()}
        for entry in entries
        if entry.get("queueType") in RANKED_QUEUES
    }
    return kept or {UNRANKED: dict.fromkeys(RANK_FIELDS)}


def _write_frames(
    con: duckdb.DuckDBPyConnection,
    matches: Frame,
    participants: Frame,
    players: Frame,
    types: Mapping[str, Mapping[str, str]],
) -> WriteCounts:
    if len(matches) == 0:
        # No match to store (a page of nothing, a world too small to fill a lobby): only
        # the players. An empty frame may also carry columns DuckDB cannot type (a
        # categorical without categories).
        with registered_frame(con, players) as pl:
            created, updated = _upsert_players(con, *pl, types["players"], dated=True)
        return WriteCounts(0, 0, created, updated)
    with (
        registered_frame(con, matches) as m,
        registered_frame(con, participants) as p,
        registered_frame(con, players) as pl,
        _staged_participants(con, m, p, types["match_participants"]) as new_participants,
    ):
        match_count_sql = f"(SELECT count(*) FROM {p[0]} c WHERE c.match_id = s.match_id)"
        _insert_new_payloads(con, *m)  # first: "new" means not yet in matches
        matches_created = _insert_new(
            con,
            "matches",
            ("match_id",),
            types["matches"],
            m,
            defaults={"participant_count": match_count_sql},
        )
        participants_created = _count(
            con, f"INSERT INTO match_participants BY NAME SELECT * FROM {new_participants}"
        )
        add_games(con, new_participants)
        players_created, players_updated = _upsert_players(con, *pl, types["players"], dated=True)
    return WriteCounts(matches_created, participants_created, players_created, players_updated)


@contextmanager
def _staged_participants(
    con: duckdb.DuckDBPyConnection,
    matches: tuple[str, set[str]],
    participants: tuple[str, set[str]],
    types: Mapping[str, str],
) -> Iterator[str]:
    """A temp table of the participant rows to store, typed like the table: those of matches
    new in this batch, once per key. A stored match's participants were stored with it, so
    every lobby the aggregates read (``aggregates.add_games``) is complete, and the rows of a
    new match are new: they are not looked up among the stored participants, which cost a
    scan of them all per batch (0.08 s of 0.1 s for 100 matches at 6.2 M stored rows)."""
    name = f"new_participants_{uuid.uuid4().hex}"
    source, available = participants
    exprs = ", ".join(
        f"CAST({f's.{c}' if c in available else 'NULL'} AS {t}) AS {c}" for c, t in types.items()
    )
    con.execute(
        f"""
        CREATE TEMP TABLE {name} AS
        SELECT {exprs} FROM {source} s
        WHERE s.match_id IN (SELECT match_id FROM {matches[0]})
          AND NOT EXISTS (SELECT 1 FROM matches x WHERE x.match_id = s.match_id)
        QUALIFY row_number() OVER (PARTITION BY s.match_id, s.puuid) = 1
        """
    )
    try:
        yield name
    finally:
        drop_temp_table(con, name)


def _insert_new(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key: Sequence[str],
    table_types: Mapping[str, str],
    source_and_columns: tuple[str, set[str]],
    *,
    defaults: Mapping[str, str] | None = None,
) -> int:
    """INSERT the source rows whose key is new (once per key); columns by name, cast to the
    table's types."""
    source, available = source_and_columns
    targets: list[str] = []
    exprs: list[str] = []
    for column, sql_type in table_types.items():
        if column in available:
            exprs.append(f'CAST(s."{column}" AS {sql_type})')
        elif defaults and column in defaults:
            exprs.append(defaults[column])
        else:
            continue
        targets.append(column)
    return _count(
        con,
        f"INSERT INTO {table} ({', '.join(targets)}) "
        f"SELECT {', '.join(exprs)} FROM {source} s WHERE {_is_new(table, key)} "
        f"QUALIFY row_number() OVER (PARTITION BY {', '.join(f's.{k}' for k in key)}) = 1",
    )


def _is_new(table: str, key: Sequence[str], source: str = "s") -> str:
    """A condition true when the source row's key is not in ``table`` yet."""
    same = " AND ".join(f"t.{k} = {source}.{k}" for k in key)
    return f"NOT EXISTS (SELECT 1 FROM {table} t WHERE {same})"


def _insert_new_payloads(con: duckdb.DuckDBPyConnection, source: str, available: set[str]) -> None:
    """Store the raw payload of matches not stored yet (match_payloads has no key).

    Parsed matches bring it compressed (``payload_zstd``); frames may bring plain ``raw_json``.
    """
    column = next((c for c in (PAYLOAD_COLUMN, "raw_json") if c in available), None)
    if column is None:
        return
    value = f"s.{column}" if column == PAYLOAD_COLUMN else "CAST(s.raw_json AS JSON)"
    con.execute(
        f"""
        INSERT INTO match_payloads (match_id, {column})
        SELECT s.match_id, {value} FROM {source} s
        WHERE s.{column} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.match_id = s.match_id)
        QUALIFY row_number() OVER (PARTITION BY s.match_id) = 1
        """
    )


def _upsert_players(
    con: duckdb.DuckDBPyConnection,
    source: str,
    available: set[str],
    types: Mapping[str, str],
    *,
    dated: bool,
) -> tuple[int, int]:
    value = {
        c: f'CAST(s."{c}" AS {types[c]})' if c in available else f"CAST(NULL AS {types[c]})"
        for c in (*PLAYER_FIELDS, "discovered_from_match")
    }
    dated = dated and "discovered_from_match" in available
    source_start = "m.game_start" if dated else "CAST(NULL AS TIMESTAMP)"
    join = "LEFT JOIN matches m ON m.match_id = s.discovered_from_match" if dated else ""
    # One row per puuid, the one from the newest game.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE incoming_players AS
        SELECT CAST(s.puuid AS VARCHAR) AS puuid,
               {", ".join(f"{expr} AS {c}" for c, expr in value.items())},
               {source_start} AS source_start
        FROM {source} s {join}
        WHERE s.puuid IS NOT NULL
        QUALIFY row_number() OVER (
            PARTITION BY s.puuid ORDER BY {source_start} DESC NULLS FIRST) = 1
        """
    )
    try:
        created = _count(
            con,
            f"""
            INSERT INTO players (puuid, {", ".join(value)})
            SELECT puuid, {", ".join(value)} FROM incoming_players i
            WHERE {_is_new("players", ("puuid",), "i")}
            """,
        )
        updated = _update_players(con, dated=dated)
    finally:
        drop_temp_table(con, "incoming_players")
    return created, updated


def _update_players(con: duckdb.DuckDBPyConnection, *, dated: bool) -> int:
    """Overwrite known players from incoming_players; older information only fills NULLs."""
    fresh = identity_fresh = "true"
    newest = ""
    if dated:
        # Newest stored game of each incoming player (this batch's rows are stored already).
        newest = """
            LEFT JOIN (
                SELECT puuid, max(game_start) AS newest_start FROM match_participants
                WHERE puuid IN (SELECT puuid FROM incoming_players) GROUP BY puuid
            ) n ON n.puuid = i.puuid
        """
        newest_game = "i.source_start >= coalesce(n.newest_start, i.source_start)"
        identity_fresh = f"(i.source_start IS NULL OR {newest_game})"
        fresh = (
            f"(i.source_start IS NULL OR ({newest_game}"
            " AND i.source_start >= coalesce(p.summoner_checked_at, i.source_start)))"
        )
    merged = {
        # A profile (summoner-v4) newer than the game knows the level better; it carries no
        # Riot ID, so the newest game's Riot ID stands whenever the profile was fetched.
        c: f"CASE WHEN {identity_fresh if c in IDENTITY_FIELDS else fresh}"
        f" THEN coalesce(i.{c}, p.{c}) ELSE coalesce(p.{c}, i.{c}) END"
        for c in PLAYER_FIELDS
    }
    changed = " OR ".join(f"({expr}) IS DISTINCT FROM p.{c}" for c, expr in merged.items())
    return _count(
        con,
        f"""
        UPDATE players SET {", ".join(f"{c} = u.{c}" for c in PLAYER_FIELDS)},
                           updated_at = current_timestamp
        FROM (
            SELECT i.puuid, {", ".join(f"{expr} AS {c}" for c, expr in merged.items())}
            FROM incoming_players i
            JOIN players p ON p.puuid = i.puuid
            {newest}
            WHERE {changed}
        ) u
        WHERE players.puuid = u.puuid
        """,
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _column_types(con: duckdb.DuckDBPyConnection, *tables: str) -> dict[str, dict[str, str]]:
    """table -> column -> SQL type, for ``tables``, as the statements here resolve their
    names. Read from the catalog each time, so never stale: 0.3 ms for four tables, where a
    query of ``duckdb_columns()`` takes 9 ms on a connection just opened (every batch of a
    job opens one)."""
    types: dict[str, dict[str, str]] = {}
    for table in tables:
        relation = con.table(table)
        types[table] = {
            str(column): str(sql_type)
            for column, sql_type in zip(relation.columns, relation.types, strict=True)
        }
    return types


def _arrow(
    types: Mapping[str, str], columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> pa.Table:
    """Rows as an Arrow table typed like the table's columns (missing keys become null)."""
    schema = pa.schema([(c, _ARROW_TYPES[types[c]]) for c in columns])
    return pa.Table.from_pylist(list(rows), schema=schema)


@contextmanager
def registered_frame(
    con: duckdb.DuckDBPyConnection, frame: Frame
) -> Iterator[tuple[str, set[str]]]:
    """Expose a DataFrame or Arrow table to SQL under a unique name: (name, its columns)."""
    name = f"frame_{uuid.uuid4().hex}"
    columns = {
        str(c) for c in (frame.columns if isinstance(frame, pd.DataFrame) else frame.column_names)
    }
    con.register(name, frame)
    try:
        yield name, columns
    finally:
        con.unregister(name)
