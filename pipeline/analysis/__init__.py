"""Smurf and boosted-account analysis: SQL features, explainable scores, evaluation.

Public surface (jobs and notebooks import only these names)::

    score_players(con, puuids=None, as_of=None, params=ScoringParams())  -> DataFrame
    write_scores(con, scores, scored_at)                                  -> rows written
    score_queued(con, params, limit, everyone=False, alone=True)  one analyzer pass -> QueuedScoring
    keep_current(con, params, force=False, alone=True)  reference, baselines, inputs -> Upkeep
    players_needing_scores(con, limit, min_matches)                      -> [puuid, ...]
    dequeue(con, scored, min_matches, read_at)  take scored players off the queue
    explain(con, puuid, params=ScoringParams())                          -> Explanation
    evaluate(con, params=ScoringParams())                                -> EvaluationReport

Every function takes an open DuckDB connection and never opens the database itself.
"""

from pipeline.analysis.errors import AnalysisError, NoGroundTruthError, UnknownPlayerError
from pipeline.analysis.evaluation import EvaluationReport, evaluate
from pipeline.analysis.explain import Explanation, explain
from pipeline.analysis.params import MODEL_VERSION, ScoringParams
from pipeline.analysis.persist import write_scores
from pipeline.analysis.queued import QueuedScoring, score_queued
from pipeline.analysis.scoring import (
    BOOSTED,
    INSUFFICIENT_DATA,
    LABELS,
    NORMAL,
    SMURF,
    score_players,
)
from pipeline.analysis.upkeep import (
    ReferenceRebuildNeedsAlone,
    Upkeep,
    dequeue,
    keep_current,
    players_needing_scores,
    queue_time,
)

__all__ = [
    "BOOSTED",
    "INSUFFICIENT_DATA",
    "LABELS",
    "MODEL_VERSION",
    "NORMAL",
    "SMURF",
    "AnalysisError",
    "EvaluationReport",
    "Explanation",
    "NoGroundTruthError",
    "QueuedScoring",
    "ReferenceRebuildNeedsAlone",
    "ScoringParams",
    "UnknownPlayerError",
    "Upkeep",
    "dequeue",
    "evaluate",
    "explain",
    "keep_current",
    "players_needing_scores",
    "queue_time",
    "score_players",
    "score_queued",
    "write_scores",
]
