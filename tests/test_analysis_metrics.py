"""The evaluation maths against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.analysis.metrics import (
    average_precision,
    calibration_error,
    precision_at_top,
    recall_at_fpr,
    roc_auc,
)


@pytest.mark.parametrize(
    ("y", "score", "expected"),
    [
        ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75),  # 3 of 4 positive-negative pairs right
        ([0, 1], [0.2, 0.9], 1.0),
        ([0, 1], [0.9, 0.2], 0.0),
        ([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], 0.5),  # all tied: each pair counts half
        ([0, 0, 1], [0.1, 0.5, 0.5], 0.75),  # one win, one tie
    ],
)
def test_roc_auc_hand_computed(y: list[int], score: list[float], expected: float) -> None:
    """ROC-AUC is the share of positive-negative pairs ordered right, ties counting half."""
    assert roc_auc(y, score) == pytest.approx(expected)


def test_roc_auc_needs_both_classes() -> None:
    """Without a negative there is no pair to order: NaN."""
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=30))
def test_roc_auc_equals_pair_counting(pairs: list[tuple[bool, int]]) -> None:
    """The rank formula agrees with counting every positive-negative pair."""
    y = np.array([p[0] for p in pairs], dtype=float)
    s = np.array([p[1] for p in pairs], dtype=float)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert roc_auc(y, s) == pytest.approx(wins / (len(pos) * len(neg)))


def test_average_precision_hand_computed() -> None:
    """Ranking 1,0,1,0: precision 1 at recall 1/2, 2/3 at recall 1, so AP = 5/6."""
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) == pytest.approx(5 / 6)


def test_average_precision_of_a_perfect_ranking_is_one() -> None:
    """All positives above all negatives gives AP 1."""
    assert average_precision([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.2]) == pytest.approx(1.0)


def test_average_precision_treats_ties_as_one_threshold() -> None:
    """A single tied group gives the base rate, whatever the order of the rows."""
    assert average_precision([1, 0, 0, 0], [1, 1, 1, 1]) == pytest.approx(0.25)


def test_precision_at_top_hand_computed() -> None:
    """Top 20% of 10 players is 2 players; one of them is positive."""
    y = [1, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    s = [0.9, 0.8, 0.1, 0.2, 0.3, 0.4, 0.5, 0.05, 0.0, 0.01]
    assert precision_at_top(y, s, 0.2) == pytest.approx(0.5)
    assert precision_at_top(y, s, 0.01) == pytest.approx(1.0)  # at least one player


def test_precision_at_top_splits_a_tie_in_proportion() -> None:
    """Cutting 2 out of a tied group of 4 with 1 positive expects 0.5 positives."""
    assert precision_at_top([1, 0, 0, 0], [1, 1, 1, 1], 0.5) == pytest.approx(0.25)


def test_recall_at_fpr_hand_computed() -> None:
    """With 4 negatives, FPR <= 25% allows one false positive above the cut."""
    y = [1, 0, 1, 0, 0, 1, 0]
    s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
    assert recall_at_fpr(y, s, 0.0) == pytest.approx(1 / 3)
    assert recall_at_fpr(y, s, 0.25) == pytest.approx(2 / 3)
    assert recall_at_fpr(y, s, 1.0) == pytest.approx(1.0)


def test_recall_at_fpr_is_zero_when_the_top_is_a_tie_with_negatives() -> None:
    """A binary rule whose flagged group has too many negatives recalls nothing at 1% FPR."""
    assert recall_at_fpr([1, 0, 0, 1], [1, 1, 0, 0], 0.01) == 0.0


def test_calibration_error_hand_computed() -> None:
    """Bin 0.1-0.2 predicts 0.15 and sees 0.5; bin 0.9-1 predicts 0.95 and sees 1."""
    y = [0, 1, 1, 1]
    p = [0.15, 0.15, 0.95, 0.95]
    assert calibration_error(y, p) == pytest.approx(0.5 * 0.35 + 0.5 * 0.05)


def test_calibration_error_of_perfect_predictions_is_zero() -> None:
    """Predicting exactly 0 and 1 for negatives and positives is perfectly calibrated."""
    assert calibration_error([0, 1, 1], [0.0, 1.0, 1.0]) == 0.0
