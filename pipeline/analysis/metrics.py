"""Ranking and calibration metrics in plain numpy.

Every function takes ``y`` (1 for a positive, 0 otherwise) and ``score`` (higher means more
suspect). Tied scores are treated as one threshold: a binary rule gets no credit for an
arbitrary order inside its flagged group. Metrics that need both classes return NaN when
one is missing.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _arrays(y: npt.ArrayLike, score: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    y_arr = np.asarray(y, dtype=np.float64)
    s_arr = np.asarray(score, dtype=np.float64)
    if y_arr.shape != s_arr.shape or y_arr.ndim != 1:
        raise ValueError("y and score must be 1-d arrays of the same length.")
    return y_arr, s_arr


def _threshold_counts(y: FloatArray, score: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Cumulative (true positives, false positives) at each distinct score, highest first."""
    order = np.argsort(-score, kind="mergesort")
    s, t = score[order], y[order]
    # The last index of each run of equal scores closes a threshold.
    ends = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    tp = np.cumsum(t)[ends]
    fp = (ends + 1) - tp
    return tp, fp


def roc_auc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    y_arr, s = _arrays(y, score)
    pos = int(y_arr.sum())
    neg = len(y_arr) - pos
    if pos == 0 or neg == 0:
        return math.nan
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    # Average 1-based rank of each distinct value, then of each element.
    first = np.cumsum(counts) - counts
    ranks = (first + (counts + 1) / 2.0)[inverse]
    rank_sum = float(ranks[y_arr == 1].sum())
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg)


def average_precision(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Sum over thresholds of (recall gained) x (precision there)."""
    y_arr, s = _arrays(y, score)
    pos = y_arr.sum()
    if pos == 0:
        return math.nan
    tp, fp = _threshold_counts(y_arr, s)
    recall = tp / pos
    precision = tp / (tp + fp)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def precision_at_top(y: npt.ArrayLike, score: npt.ArrayLike, fraction: float) -> float:
    """Share of positives among the top ``fraction`` of players (at least one player).

    When the cut falls inside a group of tied scores, the group contributes its share of
    positives in proportion: the expected precision over random orders of the tie.
    """
    y_arr, s = _arrays(y, score)
    n = len(y_arr)
    if n == 0:
        return math.nan
    k = max(1, math.ceil(fraction * n))
    cut = np.sort(s)[::-1][k - 1]
    above = s > cut
    tied = s == cut
    taken_from_tie = k - int(above.sum())
    tie_rate = y_arr[tied].mean()
    return float((y_arr[above].sum() + taken_from_tie * tie_rate) / k)


def recall_at_fpr(y: npt.ArrayLike, score: npt.ArrayLike, max_fpr: float) -> float:
    """The highest true-positive rate of any threshold whose false-positive rate is at most
    ``max_fpr`` (0 when even the strictest threshold is above it)."""
    y_arr, s = _arrays(y, score)
    pos = y_arr.sum()
    neg = len(y_arr) - pos
    if pos == 0 or neg == 0:
        return math.nan
    tp, fp = _threshold_counts(y_arr, s)
    allowed = fp / neg <= max_fpr + 1e-12
    return float((tp[allowed] / pos).max()) if allowed.any() else 0.0


def calibration_error(y: npt.ArrayLike, probability: npt.ArrayLike, bins: int = 10) -> float:
    """Expected calibration error: over equal-width probability bins, the gap between mean
    predicted probability and observed rate, weighted by the bin's share of players."""
    y_arr, p = _arrays(y, probability)
    if len(y_arr) == 0:
        return math.nan
    index = np.clip((p * bins).astype(int), 0, bins - 1)
    p_sum = np.bincount(index, weights=p, minlength=bins)
    y_sum = np.bincount(index, weights=y_arr, minlength=bins)
    return float(np.abs(p_sum - y_sum).sum() / len(y_arr))
