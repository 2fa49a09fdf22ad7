"""The analyzer's rank summary: per player and ranked queue, what scoring reads from the
rank snapshots, folded in from the snapshots stored since its last run.

A player's rank history is spread over their snapshots (a row each time a profile refresh
found a change), and DuckDB reads the snapshots of a scattered thousand players at about
the cost of reading all of them: at 100,000 players that scan (1.1 M snapshots) was most of
an analyzer run's feature query. So the analyzer keeps, in ``player_ranks``, one row per
player and queue (the newest tier, rank and games reported, the first rank and games, the
peak, when first and last seen: ``summary_select``), and each run folds in the snapshots not
yet folded (``folded`` is not true: writers leave it NULL), marking them folded in the same
transaction. A snapshot newer than everything summed extends a row exactly; one that is not
(stored late, or rewritten by a later fetch at the same time) makes the run sum that
player's snapshots again, so the summary always equals ``summary_select`` over every
snapshot, bit for bit. Scoring at an earlier time (``as_of``) still reads the snapshots.
"""

from __future__ import annotations

import uuid

import duckdb

from pipeline.analysis.tiers import rank_score_sql, tier_index_sql
from pipeline.store.aggregates import drop_temp_table

SUMMARY_COLUMNS = (
    "puuid", "queue_type", "tier", "tier_index", "rank_score", "first_rank_score",
    "peak_rank_score", "games_reported", "first_games_reported", "first_observed_at",
    "last_observed_at",
)  # fmt: skip
# Taken from the newest snapshot when a row is extended; the rest keep the oldest's.
_NEWEST = ("tier", "tier_index", "rank_score", "games_reported", "last_observed_at")

RANKED_SNAPSHOTS = f"""SELECT puuid, queue_type, observed_at, upper(tier) AS tier,
    {tier_index_sql()} AS tier_index, {rank_score_sql()} AS rank_score,
    coalesce(wins, 0) + coalesce(losses, 0) AS games_reported
FROM rank_snapshots WHERE tier IS NOT NULL"""


def summary_select(snapshots: str) -> str:
    """SELECT: one row per (puuid, queue_type) of the ranked snapshots ``snapshots`` (a
    query or table with ``RANKED_SNAPSHOTS``'s columns), in ``SUMMARY_COLUMNS``."""
    return f"""SELECT puuid, queue_type,
           arg_max(tier, observed_at) AS tier,
           arg_max(tier_index, observed_at) AS tier_index,
           arg_max(rank_score, observed_at) AS rank_score,
           arg_min(rank_score, observed_at) AS first_rank_score,
           max(rank_score) AS peak_rank_score,
           arg_max(games_reported, observed_at) AS games_reported,
           arg_min(games_reported, observed_at) AS first_games_reported,
           min(observed_at) AS first_observed_at,
           max(observed_at) AS last_observed_at
    FROM {snapshots} GROUP BY puuid, queue_type"""


def _extended(column: str) -> str:
    """SQL: ``column`` of the stored row ``r`` extended by the new snapshots' row ``n``
    (every new snapshot is newer than the stored row's; either side may be missing). As
    ``arg_max``/``arg_min`` pass over a NULL value (a tier the ladder does not know has no
    index or rank), a NULL on the side that would win gives way to the other's."""
    if column == "peak_rank_score":
        combined = "greatest(r.peak_rank_score, n.peak_rank_score)"  # NULLs ignored, as max
    elif column in _NEWEST:
        combined = f"coalesce(n.{column}, r.{column})"
    else:
        combined = f"coalesce(r.{column}, n.{column})"
    return (
        f"CASE WHEN r.puuid IS NULL THEN n.{column} WHEN n.puuid IS NULL THEN r.{column}"
        f" ELSE {combined} END AS {column}"
    )


def fold_rank_snapshots(con: duckdb.DuckDBPyConnection) -> int:
    """Fold the snapshots not yet folded into ``player_ranks`` and mark them folded;
    returns the players with such snapshots (their rows are written again, unchanged when
    the new snapshots were unranked). In the analyzer's write transaction."""
    row = con.execute("SELECT count(*) FROM rank_snapshots WHERE folded IS NOT TRUE").fetchone()
    if not row or not row[0]:
        return 0
    kept = [c for c in SUMMARY_COLUMNS if c not in ("puuid", "queue_type")]
    touched = f"ranks_touched_{uuid.uuid4().hex}"
    new_snapshots = (
        f"({RANKED_SNAPSHOTS} AND folded IS NOT TRUE AND puuid NOT IN (SELECT puuid FROM again))"
    )
    con.execute(
        f"""CREATE TEMP TABLE {touched} AS
        SELECT DISTINCT puuid FROM rank_snapshots WHERE folded IS NOT TRUE"""
    )
    try:
        con.execute(
            f"""
            CREATE TEMP TABLE {touched}_rows AS
            WITH stored AS (
                SELECT * FROM player_ranks WHERE puuid IN (SELECT puuid FROM {touched})
            ),
            -- A snapshot not newer than what is summed: that player is summed again.
            again AS (
                SELECT DISTINCT s.puuid FROM rank_snapshots s
                JOIN stored r ON r.puuid = s.puuid AND r.queue_type = s.queue_type
                WHERE s.folded IS NOT TRUE AND s.observed_at <= r.last_observed_at
            ),
            new_rows AS ({summary_select(new_snapshots)}),
            extended AS (
                SELECT coalesce(r.puuid, n.puuid) AS puuid,
                       coalesce(r.queue_type, n.queue_type) AS queue_type,
                       {", ".join(_extended(c) for c in kept)}
                FROM (SELECT * FROM stored WHERE puuid NOT IN (SELECT puuid FROM again)) r
                FULL JOIN new_rows n ON n.puuid = r.puuid AND n.queue_type = r.queue_type
            )
            SELECT * FROM extended
            UNION ALL BY NAME
            {summary_select(f"({RANKED_SNAPSHOTS} AND puuid IN (SELECT puuid FROM again))")}
            """
        )
        con.execute(f"DELETE FROM player_ranks WHERE puuid IN (SELECT puuid FROM {touched})")
        con.execute(
            f"INSERT INTO player_ranks BY NAME SELECT {', '.join(SUMMARY_COLUMNS)}"
            f" FROM {touched}_rows"
        )
        con.execute("UPDATE rank_snapshots SET folded = true WHERE folded IS NOT TRUE")
        players = con.execute(f"SELECT count(*) FROM {touched}").fetchone()
    finally:
        drop_temp_table(con, f"{touched}_rows")
        drop_temp_table(con, touched)
    return int(players[0]) if players else 0
