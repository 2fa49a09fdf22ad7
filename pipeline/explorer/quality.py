"""Detection quality against ground truth (the simulator's ``sim_truth`` table).

The yardstick is the rule people use without a model: "win rate >= 65 % over >= 30 games".
The model's ROC curve is drawn next to that rule's single operating point.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipeline.analysis.errors import NoGroundTruthError
from pipeline.analysis.evaluation import (
    LABEL_OF,
    STALE_REFERENCE_NOTE,
    EvaluationReport,
    evaluate,
)
from pipeline.analysis.params import DEFAULT_PARAMS
from pipeline.analysis.rules import WIN_RATE_RULE_GAMES as RULE_MIN_GAMES
from pipeline.analysis.rules import WIN_RATE_RULE_SMURF as RULE_MIN_WIN_RATE
from pipeline.analysis.rules import win_rate_rule
from pipeline.words import counted

# Players with fewer games are left out of the judgement, as the scoring leaves them
# INSUFFICIENT_DATA.
MIN_GAMES = DEFAULT_PARAMS.min_games


def judged(con: duckdb.DuckDBPyConnection) -> EvaluationReport | None:
    """The evaluation ``smurf evaluate`` and the demo summary make: everyone with at least
    the scoring's minimum of games, scored now and compared with ``sim_truth``; ``None``
    when the database has no ground truth (it is not a simulator export or crawl)."""
    try:
        return evaluate(con)
    except NoGroundTruthError:
        return None


def roc_curve(truth: pd.Series, score: pd.Series) -> pd.DataFrame:
    """False and true positive rates at every distinct score threshold (highest first)."""
    y = truth.astype(bool).to_numpy()
    s = score.fillna(0.0).to_numpy(dtype=float)
    order = np.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    # One point per distinct threshold: the last index of each run of equal scores.
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1] if len(s) else np.array([], int)
    tp = np.cumsum(y)[last]
    fp = np.cumsum(~y)[last]
    positives, negatives = max(int(y.sum()), 1), max(int((~y).sum()), 1)
    return pd.DataFrame(
        {
            "threshold": np.r_[np.inf, s[last]],
            "fpr": np.r_[0.0, fp / negatives],
            "tpr": np.r_[0.0, tp / positives],
        }
    )


def auc(curve: pd.DataFrame) -> float:
    """Area under a ROC curve from ``roc_curve`` (trapezoids)."""
    x, y = curve["fpr"].to_numpy(), curve["tpr"].to_numpy()
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def rule_point(scored: pd.DataFrame) -> dict[str, float]:
    """The win-rate rule's smurf flag on the judged players, as an ``operating_point``."""
    return operating_point(scored["is_smurf"], win_rate_rule(scored, "smurf") > 0)


def operating_point(truth: pd.Series, flagged: pd.Series) -> dict[str, float]:
    """False/true positive rate and precision of a yes/no flag."""
    y, f = truth.astype(bool), flagged.astype(bool)
    tp, fp = int((y & f).sum()), int((~y & f).sum())
    return {
        "fpr": fp / max(int((~y).sum()), 1),
        "tpr": tp / max(int(y.sum()), 1),
        "precision": tp / max(tp + fp, 1),
        "flagged": float(f.sum()),
    }


def rule_in_words(point: dict[str, float]) -> str:
    """The win-rate rule's ``operating_point`` as a sentence; a rule that flags nobody
    (no player has enough games yet) says so instead of a precision of 0.00."""
    if not point["flagged"]:
        return (
            "The win-rate rule for smurfs flags nobody here: no player has won "
            f"{RULE_MIN_WIN_RATE:.0%} of at least {RULE_MIN_GAMES} games."
        )
    flagged = int(point["flagged"])
    return (
        f"Win-rate rule for smurfs: TPR {point['tpr']:.2f} at FPR {point['fpr']:.2f} "
        f"(precision {point['precision']:.0%}, {counted(flagged, 'player', 'players')} flagged)."
    )


def precision_at(truth: pd.Series, score: pd.Series, k: int) -> float:
    """The share of true positives among the ``k`` highest scores."""
    top = score.fillna(0.0).sort_values(ascending=False).index[:k]
    return float(truth.loc[top].astype(bool).mean()) if len(top) else 0.0


def _share(value: float) -> str:
    return "n/a" if value != value else f"{value:.0%}"


def _three_places(value: float) -> str:
    return "n/a" if value != value else f"{value:.3f}"


# The evaluation's buckets, as a reader reads them.
BUCKET_NAMES = {
    "account found": "account still found",
    "account gone": "account gone (banned or deleted)",
    "5-9": "5-9 games",
    "10-19": "10-19 games",
    "20+": "20+ games",
}


def summary_in_words(report: EvaluationReport) -> str:
    """The headline numbers of ``report`` as Markdown: who was judged, each target's
    ROC-AUC next to the win-rate rule's, and how right the labels are."""
    parts = [
        f"As `smurf evaluate` and the demo summary judge it: **{report.players:,}** "
        f"{'player' if report.players == 1 else 'players'} with at least {MIN_GAMES} games, "
        f"scored now by model {report.model_version}."
    ]
    for target, label in LABEL_OF.items():
        parts.append(
            f"{target.capitalize()} ROC-AUC **{report.metric(target, 'model', 'roc_auc'):.3f}** "
            f"(win-rate rule {report.metric(target, 'winrate_rule', 'roc_auc'):.3f}); "
            f"{label} label: "
            f"{counted(int(report.metric(target, 'model', 'labelled')), 'player', 'players')}, "
            f"precision **{_share(report.metric(target, 'model', 'label_precision'))}**, "
            f"recall **{_share(report.metric(target, 'model', 'label_recall'))}**."
        )
    if report.reference_stale:
        parts.append(STALE_REFERENCE_NOTE)
    return " ".join(parts)


def bucket_table(report: EvaluationReport, target: str = "smurf") -> pd.DataFrame:
    """The model's numbers for ``target`` per observation bucket, for a reader."""
    m = report.metrics
    rows = m[(m["target"] == target) & (m["method"] == "model")]
    return pd.DataFrame(
        {
            "who": rows["bucket"].map(lambda b: BUCKET_NAMES.get(b, b)).to_numpy(),
            "players": rows["players"].to_numpy(),
            "smurfs" if target == "smurf" else "boosted": rows["positives"].to_numpy(),
            "ROC-AUC": rows["roc_auc"].map(_three_places).to_numpy(),
            f"labelled {LABEL_OF[target]}": rows["labelled"].to_numpy(),
            "precision": rows["label_precision"].map(_share).to_numpy(),
            "recall": rows["label_recall"].map(_share).to_numpy(),
        }
    )
