"""The analyzer's score inputs: one row per player, folded from the sums rows as they come.

A player's sums are spread over many rows of ``player_game_sums`` (one per queue, role and
win or loss, per batch until compaction), and DuckDB reads a scattered one percent of a
table's rows at about the cost of reading all of them. So the analyzer keeps, in
``player_score_inputs``, everything scoring reads from those rows in one narrow row per
player (the ``totals`` and ``scored`` sums of ``features``, the games stored, the games per
champion and the weeks played), and each run folds in only the rows appended since the last
(``folded`` is false), marking them folded in the same transaction.

The scored sums compare each game with the baseline of the player's tier, so a row holds the
tier it was scored against: a queued player whose tier changed since is summed again from
all their sums rows, and everyone is whenever the baselines, the lobby reference or the
sums' layout change (``invalidate``; ``score_inputs_state`` then has no row).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from pipeline.analysis.features import (
    SCORED_COLUMNS,
    TOTAL_COLUMNS,
    current_tiers_select,
    inputs_built_for,
    inputs_select,
    queues_key,
)
from pipeline.analysis.params import ScoringParams
from pipeline.log import get_logger
from pipeline.store.aggregates import drop_temp_table, forget_score_inputs

log = get_logger(__name__)

_FOLDED_TABLES = ("player_game_sums", "player_champions", "player_game_weeks")
# Folded as the earliest / the latest of the two rows; every other sum adds up.
_FOLD = {"t_first": "least", "t_last": "greatest", "level_at_last_game": "greatest"}


def invalidate(con: duckdb.DuckDBPyConnection) -> None:
    """Forget the inputs: the next ``refresh`` sums everyone again from the sums rows."""
    forget_score_inputs(con)


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
    invalidate(con)
    sql, values = inputs_select(params, None, "", None)
    con.execute(f"INSERT INTO player_score_inputs BY NAME {sql}", values)
    _mark_folded(con)
    con.execute("INSERT INTO score_inputs_state VALUES (?, now()::TIMESTAMP)", [queues_key(params)])
    row = con.execute("SELECT count(*) FROM player_score_inputs").fetchone()
    return int(row[0]) if row else 0


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
    # Every player with unfolded rows was queued when the rows were stored.
    touched = "SELECT puuid FROM players_to_score"
    sql, values = current_tiers_select(params, touched)
    with _temp_table(con, sql, values) as now_tiers:
        changed = [
            str(r[0])
            for r in con.execute(
                f"""SELECT i.puuid FROM player_score_inputs i
                JOIN {now_tiers} n ON n.puuid = i.puuid WHERE i.tier <> n.tier"""
            ).fetchall()
        ]
        folded = _fold_new_rows(con, params, now_tiers, changed)
        if changed:
            con.execute(
                "DELETE FROM player_score_inputs WHERE puuid IN (SELECT unnest($changed))",
                {"changed": changed},
            )
            sql, values = inputs_select(params, changed, "", now_tiers)
            con.execute(f"INSERT INTO player_score_inputs BY NAME {sql}", values)
    _mark_folded(con)
    return folded, len(changed)


def _fold_new_rows(
    con: duckdb.DuckDBPyConnection, params: ScoringParams, tiers: str, changed: list[str]
) -> int:
    """Add the unfolded rows' inputs to the stored rows (players in ``changed`` are summed
    again whole instead); returns the players whose rows changed."""
    sql, values = inputs_select(params, None, "AND NOT folded", tiers)
    with _temp_table(con, sql, values) as delta:
        if changed:
            con.execute(
                f"DELETE FROM {delta} WHERE puuid IN (SELECT unnest($changed))",
                {"changed": changed},
            )
        columns = [*TOTAL_COLUMNS, *SCORED_COLUMNS]
        merged_sql = f"""
            WITH old AS (
                SELECT * FROM player_score_inputs WHERE puuid IN (SELECT puuid FROM {delta})
            ),
            champions AS (
                SELECT puuid, champion_id, sum(games) AS games FROM (
                    SELECT puuid, unnest(champion_ids) AS champion_id,
                           unnest(champion_games) AS games FROM old
                    UNION ALL
                    SELECT puuid, unnest(champion_ids), unnest(champion_games) FROM {delta}
                ) GROUP BY ALL
            ),
            champion_lists AS (
                SELECT puuid, list(champion_id ORDER BY champion_id) AS champion_ids,
                       list(games ORDER BY champion_id) AS champion_games
                FROM champions GROUP BY puuid
            )
            SELECT d.puuid, coalesce(s.tier, d.tier) AS tier,
                   coalesce(s.matches_stored, 0) + d.matches_stored AS matches_stored,
                   {", ".join(_fold_expression(c) for c in columns)},
                   cl.champion_ids, cl.champion_games,
                   CASE WHEN s.weeks IS NULL THEN d.weeks WHEN d.weeks IS NULL THEN s.weeks
                        ELSE list_sort(list_distinct(list_concat(s.weeks, d.weeks)))
                   END AS weeks
            FROM {delta} d
            LEFT JOIN old s ON s.puuid = d.puuid
            LEFT JOIN champion_lists cl ON cl.puuid = d.puuid"""
        with _temp_table(con, merged_sql) as merged:
            con.execute(
                f"DELETE FROM player_score_inputs WHERE puuid IN (SELECT puuid FROM {merged})"
            )
            con.execute(f"INSERT INTO player_score_inputs BY NAME SELECT * FROM {merged}")
            row = con.execute(f"SELECT count(*) FROM {merged}").fetchone()
    return int(row[0]) if row else 0


def refresh(con: duckdb.DuckDBPyConnection, params: ScoringParams) -> None:
    """Bring the inputs up to date with the sums; in the analyzer's write transaction."""
    if not inputs_built_for(con, params):
        players = _build(con, params)
        log.debug("analyzer.inputs_built", players=players)
        return
    folded, summed_again = _fold(con, params)
    if folded or summed_again:
        log.debug("analyzer.inputs_folded", players=folded, tier_changed=summed_again)
