"""The analyzer's score inputs: one row per player, folded from the sums rows as they come.

A player's sums are spread over many rows of ``player_game_sums`` (one per game stored,
until compaction leaves one per queue, role and win or loss), and DuckDB reads a scattered
one percent of a table's rows at about the cost of reading all of them. So the analyzer
keeps, in ``player_score_inputs``, everything scoring reads from those rows in one narrow
row per player (the ``totals`` and ``scored`` sums of ``features``, the games stored, the
games per champion, the weeks played and each week's lobby sums), and each run folds in
only the rows appended since the last (``folded`` is false), marking them folded in the
same transaction.

The scored sums compare each game with the baseline of the player's tier, so a row holds the
tier it was scored against: a queued player whose tier changed since is summed again from
all their sums rows, and everyone is whenever the baselines, the lobby reference or the
sums' layout change (``store.aggregates.forget_score_inputs``; ``score_inputs_state``
then has no row).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from pipeline.analysis.features import (
    CHAMPION_LISTS,
    SCORED_COLUMNS,
    TOTAL_COLUMNS,
    WEEK_LISTS,
    current_tiers_select,
    inputs_built_for,
    inputs_select,
    latest_inputs,
    queues_key,
    sorted_lists,
)
from pipeline.analysis.params import ScoringParams
from pipeline.log import get_logger
from pipeline.store.aggregates import count_rows, drop_temp_table, forget_score_inputs

log = get_logger(__name__)

# Drop each player's older rows once the table has grown this many times over one row per
# player (as ``upkeep`` compacts the sums).
COMPACT_GROWTH = 2.0
_FOLDED_TABLES = ("player_game_sums", "player_champions", "player_game_weeks")
# Folded as the earliest / the latest of the two rows; every other sum adds up.
_FOLD = {"t_first": "least", "t_last": "greatest", "level_at_last_game": "greatest"}


@contextmanager
def _temp_table(con: duckdb.DuckDBPyConnection, sql: str, values: object = None) -> Iterator[str]:
    name = f"inputs_{uuid.uuid4().hex}"
    con.execute(f"CREATE TEMP TABLE {name} AS {sql}", values)
    try:
        yield name
    finally:
        drop_temp_table(con, name)


def _mark_folded(con: duckdb.DuckDBPyConnection) -> None:
    for table in _FOLDED_TABLES:
        con.execute(f"UPDATE {table} SET folded = true WHERE NOT folded")


def _build(con: duckdb.DuckDBPyConnection, params: ScoringParams) -> int:
    """Sum everyone's inputs from all the sums rows; returns the players."""
    forget_score_inputs(con)
    sql, values = inputs_select(params, None, "", None)
    con.execute(
        f"INSERT INTO player_score_inputs BY NAME SELECT *, 1 AS version FROM ({sql})", values
    )
    _mark_folded(con)
    players = count_rows(con, "player_score_inputs")
    con.execute(
        "INSERT INTO score_inputs_state VALUES (?, now()::TIMESTAMP, ?)",
        [queues_key(params), players],
    )
    return players


def _next_version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(version), 0) + 1 FROM player_score_inputs").fetchone()
    return int(row[0]) if row else 1


def _drop_older_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Keep each player's newest row only, once the table has doubled since it last held
    one row per player (so rewriting it costs in total about what appending did); returns
    the rows dropped."""
    state = con.execute("SELECT compacted_rows FROM score_inputs_state").fetchone()
    rows = count_rows(con, "player_score_inputs")
    if state is None or rows <= COMPACT_GROWTH * max(int(state[0]), 1):
        return 0
    with _temp_table(con, latest_inputs()) as newest:
        con.execute("DELETE FROM player_score_inputs")
        con.execute(f"INSERT INTO player_score_inputs BY NAME SELECT * FROM {newest}")
    kept = count_rows(con, "player_score_inputs")
    con.execute("UPDATE score_inputs_state SET compacted_rows = ?", [kept])
    return rows - kept


def _fold_expression(column: str) -> str:
    """SQL: ``column`` of the stored row ``s`` and the new rows' ``d`` together (either is
    NULL when that side has no games in the scored queues)."""
    if column in _FOLD:
        combined = f"{_FOLD[column]}(s.{column}, d.{column})"
    else:
        combined = f"s.{column} + d.{column}"
    return (
        f"CASE WHEN s.games IS NULL THEN d.{column} WHEN d.games IS NULL THEN s.{column}"
        f" ELSE {combined} END AS {column}"
    )


def _fold(con: duckdb.DuckDBPyConnection, params: ScoringParams) -> tuple[int, int]:
    """Fold the unfolded sums rows into the inputs and sum again the queued players whose
    tier changed; returns (players folded, players summed again)."""
    # Every player with unfolded rows was queued when the rows were stored (and queued
    # again by ``requeue_noted`` if a pass running meanwhile took them off).
    touched = "SELECT puuid FROM players_to_score"
    sql, values = current_tiers_select(params, touched)
    with _temp_table(con, sql, values) as now_tiers:
        newest = latest_inputs(f"AND puuid IN (SELECT puuid FROM {now_tiers})")
        changed = [
            str(r[0])
            for r in con.execute(
                f"""SELECT i.puuid FROM ({newest}) i
                JOIN {now_tiers} n ON n.puuid = i.puuid WHERE i.tier <> n.tier"""
            ).fetchall()
        ]
        version = _next_version(con)
        folded = _fold_new_rows(con, params, now_tiers, changed, version)
        if changed:
            sql, values = inputs_select(params, changed, "", now_tiers)
            con.execute(
                f"INSERT INTO player_score_inputs BY NAME SELECT *, {version} AS version"
                f" FROM ({sql})",
                values,
            )
    _mark_folded(con)
    return folded, len(changed)


def _fold_new_rows(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    tiers: str,
    changed: list[str],
    version: int,
) -> int:
    """Append, as ``version``, each player's newest row with the unfolded rows' inputs added
    (players in ``changed`` are summed again whole instead); returns the players."""
    sql, values = inputs_select(params, None, "AND NOT folded", tiers)
    with _temp_table(con, sql, values) as delta:
        if changed:
            con.execute(
                f"DELETE FROM {delta} WHERE puuid IN (SELECT unnest($changed))",
                {"changed": changed},
            )
        columns = [*TOTAL_COLUMNS, *SCORED_COLUMNS]
        merged_sql = f"""
            WITH old AS ({latest_inputs(f"AND puuid IN (SELECT puuid FROM {delta})")}),
            champions AS (
                SELECT puuid, champion_id, sum(games) AS games FROM (
                    SELECT puuid, unnest(champion_ids) AS champion_id,
                           unnest(champion_games) AS games FROM old
                    UNION ALL
                    SELECT puuid, unnest(champion_ids), unnest(champion_games) FROM {delta}
                ) GROUP BY ALL
            ),
            champion_lists AS ({sorted_lists("champions", CHAMPION_LISTS)}),
            weeks AS (
                SELECT puuid, week, sum(lobby_games) AS lobby_games, sum(lobby_z) AS lobby_z
                FROM (
                    SELECT puuid, unnest(weeks) AS week, unnest(week_lobby_games) AS lobby_games,
                           unnest(week_lobby_z) AS lobby_z FROM old
                    UNION ALL
                    SELECT puuid, unnest(weeks), unnest(week_lobby_games), unnest(week_lobby_z)
                    FROM {delta}
                ) GROUP BY ALL
            ),
            week_lists AS ({sorted_lists("weeks", WEEK_LISTS)})
            SELECT d.puuid, {version} AS version, coalesce(s.tier, d.tier) AS tier,
                   coalesce(s.matches_stored, 0) + d.matches_stored AS matches_stored,
                   {", ".join(_fold_expression(c) for c in columns)},
                   cl.champion_ids, cl.champion_games,
                   wl.weeks, wl.week_lobby_games, wl.week_lobby_z
            FROM {delta} d
            LEFT JOIN old s ON s.puuid = d.puuid
            LEFT JOIN champion_lists cl ON cl.puuid = d.puuid
            LEFT JOIN week_lists wl ON wl.puuid = d.puuid"""
        row = con.execute(
            f"INSERT INTO player_score_inputs BY NAME SELECT * FROM ({merged_sql})"
        ).fetchone()
    return int(row[0]) if row else 0


def refresh(con: duckdb.DuckDBPyConnection, params: ScoringParams) -> None:
    """Bring the inputs up to date with the sums; in the analyzer's write transaction."""
    if not inputs_built_for(con, params):
        players = _build(con, params)
        log.debug("analyzer.inputs_built", players=players)
        return
    folded, summed_again = _fold(con, params)
    dropped = _drop_older_rows(con)
    if folded or summed_again:
        log.debug(
            "analyzer.inputs_folded",
            players=folded,
            tier_changed=summed_again,
            older_rows_dropped=dropped,
        )
