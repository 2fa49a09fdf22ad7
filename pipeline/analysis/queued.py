"""One analyzer pass: keep the analyzer's state current, score the queued players, store
their scores and take them off the queue, all in the caller's write transaction.

SMURF_ANALYZER and ``smurf analyze`` run this. In one transaction a pass opens the database
once and commits once: on a large database those two cost more than scoring a few hundred
players. A pass is safe to repeat: a transaction that fails or collides with a concurrent
writer leaves nothing behind, and the queue still holds every player it did not score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from pipeline.analysis.params import ScoringParams
from pipeline.analysis.persist import write_scores
from pipeline.analysis.scoring import score_players
from pipeline.analysis.upkeep import (
    Upkeep,
    forget_below_minimum,
    keep_current,
    needing_scores,
    note_below_minimum,
    queue_time,
    read_queue,
    requeue_below_former_minimum,
    take_off,
)
from pipeline.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class QueuedScoring:
    """What one pass did: the upkeep, the scores it stored (one row per player, as
    ``score_players`` gives them) and the rows written."""

    upkeep: Upkeep
    scores: pd.DataFrame
    written: int


def score_queued(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    limit: int,
    *,
    everyone: bool = False,
    on_players: Callable[[int], None] | None = None,
    alone: bool = True,
) -> QueuedScoring:
    """Score up to ``limit`` queued players with at least ``params.min_games`` stored games,
    longest queued first, against the baselines the analyzer keeps; in a write transaction.

    ``everyone`` recomputes the baselines and scores every player instead (``smurf analyze
    --all``). ``on_players`` hears how many players the pass is about to score. Players with
    too few games leave the queue unscored; new games queue them again. ``alone``: see
    ``keep_current``.
    """
    upkeep = keep_current(con, params, force=everyone, alone=alone)
    requeued = requeue_below_former_minimum(con, params.min_games)
    if requeued:
        log.info("analyzer.requeued_below_former_minimum", players=requeued)
    read_at = queue_time(con)
    # Read once: scoring and writing the scores change neither the queue nor what it reads.
    queue = read_queue(con)
    puuids = None if everyone else needing_scores(queue, limit, params.min_games)
    if on_players is not None and puuids is not None:
        on_players(len(puuids))
    scores = pd.DataFrame()
    if puuids is None or puuids:
        scores = score_players(con, puuids, params=params, cached_baselines=True)
    written = write_scores(con, scores, datetime.now(UTC))
    scored = scores["puuid"].tolist() if not scores.empty else []
    take_off(con, queue, scored, params.min_games, read_at)
    if not scores.empty:
        # Labelled INSUFFICIENT_DATA for too few analysed games: a lower minimum would
        # label them; scored with enough: off that list.
        few = scores["games_analyzed"] < params.min_games
        note_below_minimum(con, scores.loc[few, "puuid"].tolist())
        forget_below_minimum(con, scores.loc[~few, "puuid"].tolist())
    return QueuedScoring(upkeep, scores, written)
