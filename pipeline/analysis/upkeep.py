"""What the analyzer keeps between runs, so a run's cost follows what changed.

- **The lobby reference** (``store.aggregates``): refreshed, with a rebuild of the
  aggregates, whenever the stored games of a role doubled since it was computed.
- **Compact sums**: the rows writers append per key are merged once the table doubled.
- **The baselines** (``scoring_baselines``): recomputed from the per-player sums when the
  stored games grew by ``BASELINE_REFRESH_GROWTH`` since, or the model changed. Everyone is
  queued for rescoring only when a baseline moved by more than ``BASELINE_TOLERANCE`` of its
  spread (or the model changed); otherwise the scores stand.
- **The crawl's spread of play** (``spread``): worked out from the score inputs whenever
  the baselines are, or when none is kept (after an upgrade). Everyone is queued for
  rescoring when it moved by more than ``BASELINE_TOLERANCE`` of the reference's scale.
- **The score inputs** (``inputs``): one row per player folded from the sums rows appended
  since the last run; built again from all the sums whenever the baselines, the lobby
  reference or the sums' layout (compaction) change.
- **The rank summary** (``ranks``): one row per player and ranked queue folded from the
  rank snapshots stored since the last run (a player's snapshots summed again when one
  came late or was rewritten); summed again from every snapshot after ``smurf db
  rebuild-aggregates``.
- **The queue** (``players_to_score``): the store queues a player when their games, profile
  or rank change; an analyzer pass reads it once (``read_queue``), picks the players to
  score from that read (``needing_scores``) and takes them off (``take_off``) in the
  transaction that writes their scores (``players_needing_scores`` and ``dequeue`` do each
  on a read of their own). A change to a player already queued is also
  noted (``players_to_score_again``), and each run first queues the noted players again:
  a run's transaction does not see what is stored while it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import duckdb

from pipeline.analysis import inputs
from pipeline.analysis.features import baseline_frame, latest_inputs
from pipeline.analysis.params import DEFAULT_PARAMS, MODEL_VERSION, ScoringParams
from pipeline.analysis.ranks import fold_rank_snapshots
from pipeline.analysis.spread import PlaySpread, inputs_spread, store_spread, stored_spread
from pipeline.log import get_logger
from pipeline.store.aggregates import (
    compact,
    count_rows,
    enqueue_players,
    forget_score_inputs,
    games_by_role,
    rebuild_aggregates,
    reference_is_stale,
    requeue_noted,
)
from pipeline.store.game_metrics import METRICS
from pipeline.store.writers import registered_frame

log = get_logger(__name__)

# Merge the per-key rows the writers append once the sums table grew this many times over
# its compacted size (so compaction's total cost stays proportional to the games).
COMPACT_GROWTH = 2.0
# Recompute the baselines once the stored games grew by this share.
BASELINE_REFRESH_GROWTH = 0.10
# A baseline mean that moved by more than this share of its spread changes scores enough
# to rescore everyone.
BASELINE_TOLERANCE = 0.02


class ReferenceRebuildNeedsAlone(Exception):
    """The lobby reference is due for a rebuild, and the pass was not run alone among this
    process's write transactions: run it again alone (``transact(..., alone=True)``)."""


@dataclass(frozen=True)
class Upkeep:
    """What ``keep_current`` did."""

    reference_rebuilt: bool
    baselines_refreshed: bool
    everyone_queued: bool


def _baseline_shift(con: duckdb.DuckDBPyConnection, name: str) -> float:
    """The largest move of a baseline mean between the stored baselines and ``name``, in
    spreads (infinite when a cell is new)."""
    moves = " , ".join(f"abs(n.{m.name}_mean - o.{m.name}_mean) / o.{m.name}_sd" for m in METRICS)
    row = con.execute(
        f"""
        SELECT max(CASE WHEN o.tier IS NULL THEN 'inf'::DOUBLE ELSE greatest({moves}) END)
        FROM {name} n LEFT JOIN scoring_baselines o USING (tier, role)
        """
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else 0.0


def keep_current(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    *,
    force: bool = False,
    alone: bool = True,
) -> Upkeep:
    """Bring the lobby reference, the baselines, the rank summary (``ranks``) and the score
    inputs (``inputs``) up to date; in a write transaction.

    ``force`` recomputes the baselines whatever the growth (``smurf analyze --all``).
    ``alone`` says no other write transaction of this process runs beside this one (true
    of a process of its own: DuckDB lets one process write a file at a time, and a lake's
    writers take turns). A rebuild of the lobby reference judges every stored game again,
    and games a transaction beside it commits meanwhile keep the stomps and lobby sums the
    old reference gave them, for good: so a pass not alone that finds the reference due
    raises ``ReferenceRebuildNeedsAlone`` before it writes anything that lasts.
    """
    # One read of the sums' games serves the reference's check and the baselines' growth.
    games = games_by_role(con)
    stale = reference_is_stale(con, games)
    if stale and not alone:
        raise ReferenceRebuildNeedsAlone
    requeue_noted(con)
    # Read first: a refresh of the baselines writes the analyzer's state afresh.
    kept_spread = stored_spread(con)
    upkeep = _keep_baselines(con, params, sum(games.values()), force=force, rebuild=stale)
    # Before the inputs: a player without a profile is compared with the summary's tier.
    ranks_folded = fold_rank_snapshots(con)
    if ranks_folded:
        log.debug("analyzer.ranks_folded", players=ranks_folded)
    inputs.refresh(con, params)
    if (upkeep.baselines_refreshed or kept_spread is None) and _keep_spread(
        con, params, kept_spread, upkeep
    ):
        upkeep = replace(upkeep, everyone_queued=True)
    return upkeep


def _keep_spread(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    kept: PlaySpread | None,
    upkeep: Upkeep,
) -> bool:
    """Work out the crawl's spread from the (current) score inputs and keep it; queue
    everyone when it moved enough to change scores (unless the baselines already did).
    Returns whether it moved so."""
    spread = inputs_spread(con, params)
    store_spread(con, spread)
    moved = kept is None or spread.moved_from(kept) > BASELINE_TOLERANCE
    if moved and not upkeep.everyone_queued:
        enqueue_players(con, "SELECT DISTINCT puuid FROM player_game_sums", note_queued=False)
    log.debug("analyzer.spread_kept", players=spread.players, everyone_queued=moved)
    return moved


def _keep_baselines(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    stored: int,
    *,
    force: bool,
    rebuild: bool,
) -> Upkeep:
    """``stored``: the games the sums held when the pass began (a rebuild sums them again;
    compaction merges rows and keeps every sum)."""
    if rebuild:
        stored = rebuild_aggregates(con, renorm=True)
        log.debug("analyzer.reference_rebuilt", games=stored)
    state = con.execute(
        "SELECT model_version, games, compacted_rows, queue_min_games FROM scoring_state"
    ).fetchone()
    rows = count_rows(con, "player_game_sums")
    compacted = state[2] if state is not None and not rebuild else rows
    if rows > COMPACT_GROWTH * max(compacted, 1):
        removed = compact(con)
        compacted = rows - removed
        log.debug("analyzer.compacted", rows_removed=removed)
        if state is not None:
            con.execute("UPDATE scoring_state SET compacted_rows = ?", [compacted])
    model_changed = state is None or state[0] != MODEL_VERSION
    grown = state is not None and stored >= state[1] * (1 + BASELINE_REFRESH_GROWTH) + 1
    if not (force or rebuild or model_changed or grown):
        return Upkeep(False, False, False)
    fresh = baseline_frame(con, params)
    with registered_frame(con, fresh) as (name, _columns):
        moved = _baseline_shift(con, name) > BASELINE_TOLERANCE
        everyone = model_changed or rebuild or moved
        con.execute("DELETE FROM scoring_baselines")
        con.execute(f"INSERT INTO scoring_baselines BY NAME SELECT * FROM {name}")
    # The inputs' scored sums compare with the baselines: sum them again with the new ones.
    forget_score_inputs(con)
    con.execute("DELETE FROM scoring_state")
    con.execute(
        "INSERT INTO scoring_state (model_version, games, refreshed_at, compacted_rows,"
        " queue_min_games) VALUES (?, ?, now()::TIMESTAMP, ?, ?)",
        [MODEL_VERSION, stored, compacted, state[3] if state is not None else None],
    )
    if everyone:
        enqueue_players(con, "SELECT DISTINCT puuid FROM player_game_sums", note_queued=False)
    log.debug("analyzer.baselines_refreshed", games=stored, everyone_queued=everyone)
    return Upkeep(rebuild, True, everyone)


def baselines_kept(con: duckdb.DuckDBPyConnection, params: ScoringParams) -> bool:
    """Whether the analyzer's stored baselines (``scoring_baselines``) are the ones it
    scores ``params``'s players against now: kept by this model version, for the games and
    shrinkage it keeps them for. A reader may then compare with them instead of summing
    everyone's games again (within ``BASELINE_REFRESH_GROWTH`` of the games, as the
    analyzer's own scores do)."""
    # The analyzer keeps them for the default queues, ranks and shrinkage (its jobs and
    # `smurf analyze` change only the minimum of games, which the baselines do not read).
    if (params.queues, params.rank_queue, params.baseline_prior_games) != (
        DEFAULT_PARAMS.queues,
        DEFAULT_PARAMS.rank_queue,
        DEFAULT_PARAMS.baseline_prior_games,
    ):
        return False
    row = con.execute(
        "SELECT (SELECT model_version FROM scoring_state), (SELECT count(*) FROM scoring_baselines)"
    ).fetchone()
    return row is not None and row[0] == MODEL_VERSION and bool(row[1])


def queue_time(con: duckdb.DuckDBPyConnection) -> datetime:
    """The database's clock, as the queue records it (``dequeue``'s ``read_at``)."""
    row = con.execute("SELECT now()::TIMESTAMP").fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


# Per queued player, the games stored: the inputs' count (as of the last fold) plus the
# games of the sums rows appended since, which are few. Reading the sums rows of the queued
# players instead would read about the whole table (see ``inputs``). The queue has no key
# (migration 018): two transactions of one process running side by side may both queue a
# new player, so each player is taken once, as first queued.
_QUEUED_GAMES = f"""
    SELECT q.puuid, q.queued_at,
           coalesce(i.matches_stored, 0) + coalesce(n.games, 0) AS games,
           n.games IS NOT NULL AS unfolded
    FROM (SELECT puuid, min(queued_at) AS queued_at FROM players_to_score GROUP BY puuid) q
    LEFT JOIN ({latest_inputs("AND puuid IN (SELECT puuid FROM players_to_score)")}) i
        ON i.puuid = q.puuid
    LEFT JOIN (
        SELECT puuid, sum(games) AS games FROM player_game_sums WHERE NOT folded
        GROUP BY puuid
    ) n ON n.puuid = q.puuid"""


def requeue_below_former_minimum(con: duckdb.DuckDBPyConnection, min_matches: int) -> int:
    """Queue again the players earlier passes took off, or labelled INSUFFICIENT_DATA, for
    too few games (``players_below_minimum``) who have at least ``min_matches`` analysed
    games now that the minimum is lower, and record ``min_matches`` as the minimum; in the
    analyzer's pass, after ``keep_current``. Returns the players queued.

    A pass takes the players it scores with enough games off the list, so two minimums in
    turn (a job's and ``smurf analyze``'s) rescore nobody whose score is current.
    """
    state = con.execute("SELECT queue_min_games FROM scoring_state").fetchone()
    if state is None:
        return 0  # no games summed yet: nobody was taken off for too few
    former = state[0]
    queued = 0
    if former is not None and min_matches < former:
        allowed = f"""
            SELECT b.puuid FROM players_below_minimum b
            JOIN ({latest_inputs("AND puuid IN (SELECT puuid FROM players_below_minimum)")}) i
                ON i.puuid = b.puuid
            WHERE i.games >= {int(min_matches)}"""
        row = con.execute(f"SELECT count(DISTINCT puuid) FROM ({allowed})").fetchone()
        queued = int(row[0]) if row else 0
        if queued:
            enqueue_players(con, allowed, note_queued=False)
            con.execute(
                f"DELETE FROM players_below_minimum WHERE puuid IN (SELECT puuid FROM ({allowed}))"
            )
    if former != min_matches:
        con.execute("UPDATE scoring_state SET queue_min_games = ?", [min_matches])
    return queued


@dataclass(frozen=True)
class QueuedPlayer:
    """A queued player as one read of the queue saw them (see ``_QUEUED_GAMES``)."""

    puuid: str
    queued_at: datetime
    games: int
    unfolded: bool


def read_queue(con: duckdb.DuckDBPyConnection) -> list[QueuedPlayer]:
    """Every queued player, once each, with their games stored. The analyzer's pass reads
    the queue once and picks (``needing_scores``) and takes off (``take_off``) from that
    read: nothing between the two changes the queue, the inputs or the sums in its
    transaction."""
    rows = con.execute(f"SELECT puuid, queued_at, games, unfolded FROM ({_QUEUED_GAMES})")
    return [QueuedPlayer(str(r[0]), r[1], int(r[2]), bool(r[3])) for r in rows.fetchall()]


def needing_scores(queue: Sequence[QueuedPlayer], limit: int, min_matches: int) -> list[str]:
    """Of ``queue``, the players with at least ``min_matches`` stored games, longest queued
    first (then by puuid), at most ``limit``."""
    ready = sorted((p.queued_at, p.puuid) for p in queue if p.games >= min_matches)
    return [puuid for _, puuid in ready[: max(limit, 0)]]


def players_needing_scores(
    con: duckdb.DuckDBPyConnection, limit: int, min_matches: int
) -> list[str]:
    """Queued players with at least ``min_matches`` stored games, longest queued first."""
    return needing_scores(read_queue(con), limit, min_matches)


def dequeue(
    con: duckdb.DuckDBPyConnection,
    scored: Sequence[str],
    min_matches: int,
    read_at: datetime,
) -> int:
    """Take off the queue the players scored and those with fewer than ``min_matches``
    games (a new game queues them again), as queued up to ``read_at``: a player queued
    again while being scored stays, and so does one whose games arrived after the last
    fold of the inputs (their score has not seen them yet). Returns the players taken off."""
    return take_off(con, read_queue(con), scored, min_matches, read_at)


def take_off(
    con: duckdb.DuckDBPyConnection,
    queue: Sequence[QueuedPlayer],
    scored: Sequence[str],
    min_matches: int,
    read_at: datetime,
) -> int:
    """``dequeue`` from ``queue``, a read of the queue in this transaction after which
    nothing changed it (nor the inputs or the sums); returns the players taken off."""
    chosen = set(scored)
    # Listed from the read, then deleted by key (a lake has no RETURNING to count a DELETE
    # with).
    taken = [
        p
        for p in queue
        if p.queued_at <= read_at
        and not p.unfolded
        and (p.puuid in chosen or p.games < min_matches)
    ]
    if taken:
        # Only the rows queued up to read_at: a copy queued since stays for the next pass.
        con.execute(
            "DELETE FROM players_to_score"
            " WHERE puuid IN (SELECT unnest($taken)) AND queued_at <= $read_at",
            {"taken": [p.puuid for p in taken], "read_at": read_at},
        )
    note_below_minimum(con, [p.puuid for p in taken if p.games < min_matches])
    return len(taken)


def forget_below_minimum(con: duckdb.DuckDBPyConnection, puuids: Sequence[str]) -> None:
    """Take players scored with enough games off ``players_below_minimum``."""
    if puuids:
        con.execute(
            "DELETE FROM players_below_minimum WHERE puuid IN (SELECT unnest($puuids))",
            {"puuids": list(puuids)},
        )


def note_below_minimum(con: duckdb.DuckDBPyConnection, puuids: Sequence[str]) -> None:
    """List players left unscored, or scored INSUFFICIENT_DATA, for too few games: a lower
    minimum would score them (``requeue_below_former_minimum``)."""
    if puuids:
        con.execute(
            """INSERT INTO players_below_minimum (puuid)
            SELECT DISTINCT puuid FROM (SELECT unnest($puuids) AS puuid) t
            WHERE NOT EXISTS (SELECT 1 FROM players_below_minimum b WHERE b.puuid = t.puuid)""",
            {"puuids": list(puuids)},
        )
