"""Detection quality against ground truth (the simulator's ``sim_truth`` table).

The yardstick is the rule people use without a model: "win rate >= 65 % over >= 30 games".
The model's ROC curve is drawn next to that rule's single operating point.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipeline.analysis.rules import WIN_RATE_RULE_GAMES as RULE_MIN_GAMES
from pipeline.analysis.rules import WIN_RATE_RULE_SMURF as RULE_MIN_WIN_RATE


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the database has a table or view called ``name``."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def labelled_scores(con: duckdb.DuckDBPyConnection, *, queue: int | None = None) -> pd.DataFrame:
    """Each scored player's scores, win rate, games and true smurf/boosted flags."""
    return con.execute(
        """
        WITH record AS (
            SELECT puuid, count(*) AS games, avg(win::INTEGER) AS win_rate
            FROM match_participants WHERE ?::INTEGER IS NULL OR queue_id = ?::INTEGER
            GROUP BY puuid
        )
        SELECT s.puuid, s.smurf_score, s.boosted_score, s.label,
               coalesce(r.games, 0) AS games, coalesce(r.win_rate, 0.0) AS win_rate,
               t.is_smurf, t.is_boosted
        FROM latest_smurf_scores s
        JOIN sim_truth t USING (puuid)
        LEFT JOIN record r USING (puuid)
        """,
        [queue, queue],
    ).df()


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


def win_rate_rule(frame: pd.DataFrame) -> pd.Series:
    """Whom the simple rule flags: win rate >= 65 % over at least 30 games."""
    return (frame["games"] >= RULE_MIN_GAMES) & (frame["win_rate"] >= RULE_MIN_WIN_RATE)


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
            f"The win-rate rule flags nobody here: no player has won {RULE_MIN_WIN_RATE:.0%} "
            f"of at least {RULE_MIN_GAMES} games."
        )
    flagged = int(point["flagged"])
    return (
        f"Win-rate rule: TPR {point['tpr']:.2f} at FPR {point['fpr']:.2f} "
        f"(precision {point['precision']:.2f}, {flagged} player{'s' if flagged > 1 else ''} "
        "flagged)."
    )


def precision_at(truth: pd.Series, score: pd.Series, k: int) -> float:
    """The share of true positives among the ``k`` highest scores."""
    top = score.fillna(0.0).sort_values(ascending=False).index[:k]
    return float(truth.loc[top].astype(bool).mean()) if len(top) else 0.0
