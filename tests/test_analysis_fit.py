"""Fitting logistic weights recovers known coefficients."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.fit import (
    KNOT_QUANTILES,
    TARGET_PRECISION,
    boosted_label_threshold,
    directions,
    fit_frame,
    fit_logistic,
    fit_model,
    fitted_rows,
    games_bucket,
    held_out_scores,
    held_out_threshold,
    label_precision_by_games,
    precision_by_games,
    probability,
    threshold_for_precision,
    with_second_part,
)
from pipeline.analysis.metrics import roc_auc
from pipeline.analysis.model import (
    BOOSTED_MODEL,
    MODELS,
    OLD_ACCOUNT_FROM_LEVEL,
    RANK_NOT_HELD_MODEL,
    SMURF_MODEL,
    Factor,
    LogisticModel,
)
from pipeline.analysis.params import ScoringParams


def test_fit_logistic_recovers_the_generating_coefficients() -> None:
    """On 20,000 draws from a known logistic model the fit lands within 0.1 of the truth."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(20_000, 2))
    logit = -1.0 + 2.0 * x[:, 0] - 0.5 * x[:, 1]
    y = (rng.random(20_000) < 1 / (1 + np.exp(-logit))).astype(float)
    intercept, coefficients = fit_logistic(x, y, l2=0.01)
    assert intercept == pytest.approx(-1.0, abs=0.1)
    np.testing.assert_allclose(coefficients, [2.0, -0.5], atol=0.1)


def test_fit_model_expresses_weights_on_raw_inputs_centred_on_the_mean() -> None:
    """A factor on a scale 10x larger gets a weight 10x smaller, centred at its mean."""
    rng = np.random.default_rng(3)
    raw = rng.normal(50.0, 10.0, size=20_000)
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(raw - 50.0) / 10.0))).astype(float)
    model = fit_model(pd.DataFrame({"f": raw}), y, "smurf", ["f"], l2=0.01)
    (factor,) = model.factors
    assert factor.center == pytest.approx(50.0, abs=0.3)
    assert factor.weight == pytest.approx(0.1, abs=0.01)


def _world(rng: np.random.Generator, players: int, prevalence: float, world: int) -> pd.DataFrame:
    """Players whose factor ``a`` runs two standard deviations higher when they are smurfs."""
    smurf = rng.random(players) < prevalence
    a = rng.normal(np.where(smurf, 2.0, 0.0), 1.0)
    return pd.DataFrame({"a": a, "is_smurf": smurf.astype(float), "world": world})


def test_held_out_threshold_keeps_precision_over_the_worlds_left_out_pooled() -> None:
    """Each world is scored by weights fitted on the other; over those scores pooled, the
    held-out threshold keeps 85 % precision and is the lowest that does. A world with fewer
    smurfs alone would ask for more: the threshold is not set by the hardest world."""
    rng = np.random.default_rng(11)
    data = pd.concat([_world(rng, 4000, 0.12, 0), _world(rng, 4000, 0.03, 1)], ignore_index=True)
    held_out = held_out_threshold(data, "smurf", ["a"])

    scores, truths, own = [], [], []
    for world in (0, 1):
        train, test = data[data["world"] != world], data[data["world"] == world]
        model = fit_model(train, train["is_smurf"].to_numpy(), "smurf", ["a"])
        p, y = probability(model, test), test["is_smurf"].to_numpy()
        scores.append(p)
        truths.append(y)
        own.append(threshold_for_precision(y, p))
    p, y = np.concatenate(scores), np.concatenate(truths)
    assert y[p >= held_out].mean() >= TARGET_PRECISION
    assert y[p >= p[p < held_out].max()].mean() < TARGET_PRECISION
    assert min(own) < held_out < max(own)


def test_held_out_threshold_of_one_world_is_its_own() -> None:
    """With nothing to hold out, the threshold is the one the world itself gives."""
    rng = np.random.default_rng(12)
    data = _world(rng, 3000, 0.1, 0)
    model = fit_model(data, data["is_smurf"].to_numpy(), "smurf", ["a"])
    expected = threshold_for_precision(data["is_smurf"].to_numpy(), probability(model, data))
    assert held_out_threshold(data, "smurf", ["a"]) == pytest.approx(expected)


def test_precision_by_games_measures_each_bucket_of_stored_games_apart() -> None:
    """For players with 5-9 stored games factor ``a`` says nothing (their truth is a coin
    flip at the world's prevalence); for the others it is informative. The label's precision
    measured on the 5-9 bucket is then about the prevalence, the others' high, and every
    label falls in exactly one bucket."""
    rng = np.random.default_rng(13)
    worlds = []
    for world in (0, 1):
        frame = _world(rng, 6000, 0.08, world)
        frame["a"] += 2.0 * frame["is_smurf"]  # four standard deviations up: a clean signal
        # Each bucket's edges among the values (5-9, 10-19, 20+).
        games = rng.choice([5, 9, 10, 19, 20, 30], size=len(frame), p=[0.05, 0.05] + [0.225] * 4)
        coin = (rng.random(len(frame)) < 0.08).astype(float)
        frame["is_smurf"] = np.where(games < 10, coin, frame["is_smurf"])
        worlds.append(frame.assign(games_analyzed=games))
    data = pd.concat(worlds, ignore_index=True)
    threshold = held_out_threshold(data, "smurf", ["a"])

    steps = precision_by_games(data, "smurf", ["a"], threshold)

    assert [start for start, _, _ in steps] == [5, 10, 20]
    few, some, many = (share for _, share, _ in steps)
    assert few < 0.3
    assert some > 0.8 and many > 0.8
    labelled = 0
    for world in (0, 1):
        train, test = data[data["world"] != world], data[data["world"] == world]
        model = fit_model(train, train["is_smurf"].to_numpy(), "smurf", ["a"])
        labelled += int((probability(model, test) >= threshold).sum())
    assert sum(count for _, _, count in steps) == labelled


def _label_scores(*groups: tuple[int, float, float, int, bool, bool]) -> pd.DataFrame:
    """A ``held_out_label_scores`` frame: (players, smurf score, boosted score, stored games,
    is smurf, is boosted) per group."""
    rows = [
        (s, b, np.log(s / (1 - s)), np.log(b / (1 - b)), g, smurf, boosted)
        for count, s, b, g, smurf, boosted in groups
        for _ in range(count)
    ]
    columns = ["smurf_score", "boosted_score", "smurf_logit", "boosted_logit"]
    return pd.DataFrame(rows, columns=[*columns, "games_analyzed", "is_smurf", "is_boosted"])


def test_the_boosted_label_threshold_reads_boosted_and_not_a_smurf() -> None:
    """Boosted accounts (boosted 0.9, smurf 0.01) rank above smurfs with a higher boosted
    score (0.92, smurf 0.5) once the smurf score holds those back, so a threshold keeps 0.85
    (boosted score alone: the smurfs come first, and no threshold does); players labelled
    SMURF are not counted. By stored games, the labels as the scoring gives them."""
    scored = _label_scores(
        (10, 0.01, 0.9, 20, False, True),
        (10, 0.5, 0.92, 20, True, False),
        (1, 0.001, 0.6, 5, False, False),  # 10 of 11 right down to it: the threshold
        (1, 0.001, 0.5, 5, False, False),
        (10, 0.001, 0.3, 12, False, False),
        (10, 0.95, 0.2, 30, False, False),  # labelled SMURF: wrong, but not BOOSTED's
    )
    assert boosted_label_threshold(scored) == pytest.approx(0.6 * 0.999)
    alone = threshold_for_precision(
        scored["is_boosted"].to_numpy(dtype="float64"), scored["boosted_score"].to_numpy()
    )
    assert alone == 1.0
    steps = label_precision_by_games(scored, "BOOSTED", ScoringParams(boosted_threshold=0.55))
    assert steps[0] == (5, 0.0, 1)
    assert steps[1][2] == 0 and np.isnan(steps[1][1])
    assert steps[2] == (20, 1.0, 10)
    assert label_precision_by_games(scored, "SMURF")[2] == (20, 0.0, 10)


def test_precision_by_games_reports_an_empty_bucket_as_unmeasured() -> None:
    """One world (scored in-sample) whose players all have 20 or more games: the two lower
    buckets hold no label and say so with NaN, and the buckets read 5-9, 10-19 and 20+."""
    rng = np.random.default_rng(14)
    data = _world(rng, 3000, 0.1, 0).assign(games_analyzed=25)
    threshold = held_out_threshold(data, "smurf", ["a"])

    (few, few_share, few_count), (some, some_share, some_count), (many, many_share, many_count) = (
        precision_by_games(data, "smurf", ["a"], threshold)
    )

    assert (few_count, some_count) == (0, 0)
    assert np.isnan(few_share) and np.isnan(some_share)
    assert many_count > 0 and many_share >= TARGET_PRECISION
    assert [games_bucket(start) for start in (few, some, many)] == ["5-9", "10-19", "20+"]


def _hinge_world(rng: np.random.Generator, players: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Players whose smurf odds do not move with ``a`` below 0 and rise 3 per unit above."""
    a = rng.normal(size=players)
    logit = -3.0 + 3.0 * np.maximum(a, 0.0)
    y = (rng.random(players) < 1 / (1 + np.exp(-logit))).astype(float)
    return pd.DataFrame({"a": a}), y


def test_a_bent_factor_follows_a_bent_truth() -> None:
    """On a truth flat below 0 and steep above, the bent line is near flat on the pieces
    below 0 and near 3 on those above, reads upwards (positive weight), fits the players
    better than a straight line, and its intercept keeps the mean probability at the
    observed rate (as an unpenalised intercept does at the optimum)."""
    rng = np.random.default_rng(21)
    frame, y = _hinge_world(rng, 40_000)

    bent = fit_model(frame, y, "smurf", ["a"], l2=0.01, bent={"a": 1.0})
    straight = fit_model(frame, y, "smurf", ["a"], l2=0.01)

    (factor,) = bent.factors
    assert len(factor.knots) == len(KNOT_QUANTILES)
    assert len(factor.slopes) == len(factor.knots) + 1
    below = [s for s, k in zip(factor.slopes, factor.knots, strict=False) if k <= -0.5]
    above = [s for s, k in zip(factor.slopes[1:], factor.knots, strict=False) if k >= 0.5]
    assert below and above
    assert all(abs(s) < 0.6 for s in below)
    assert all(s == pytest.approx(3.0, abs=0.6) for s in above)
    assert factor.weight > 0
    p_bent, p_straight = probability(bent, frame), probability(straight, frame)

    def log_loss(p: np.ndarray) -> float:
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    assert log_loss(p_bent) < log_loss(p_straight) - 0.005
    assert p_bent.mean() == pytest.approx(y.mean(), abs=0.002)


def test_a_bent_factor_never_reads_against_its_direction() -> None:
    """A truth that falls then rises (odds up with ``|a|``): bent upwards, every slope is 0
    or more (the falling half held flat); bent freely (direction 0), the fit finds the fall."""
    rng = np.random.default_rng(22)
    a = rng.normal(size=30_000)
    logit = -2.0 + 2.0 * np.abs(a)
    y = (rng.random(len(a)) < 1 / (1 + np.exp(-logit))).astype(float)
    frame = pd.DataFrame({"a": a})

    upwards = fit_model(frame, y, "smurf", ["a"], l2=0.01, bent={"a": 1.0})
    free = fit_model(frame, y, "smurf", ["a"], l2=0.01, bent={"a": 0.0})

    assert min(upwards.factors[0].slopes) >= 0.0
    assert max(upwards.factors[0].slopes) > 1.0
    assert min(free.factors[0].slopes) < -1.0


def test_a_straight_refit_is_unchanged_by_the_bent_option() -> None:
    """Factors left out of ``bent`` are straight lines with no knots, fitted as before."""
    rng = np.random.default_rng(23)
    frame, y = _hinge_world(rng, 5000)
    frame["b"] = rng.normal(size=len(frame))

    alone = fit_model(frame, y, "smurf", ["a", "b"])
    beside = fit_model(frame, y, "smurf", ["a", "b"], bent={"b": 1.0})

    assert alone.factors[0].knots == () and alone.factors[0].slopes == ()
    assert beside.factors[0].knots == ()
    assert beside.factors[1].knots
    assert alone.factors[0].weight == pytest.approx(beside.factors[0].weight, rel=0.2)


def test_a_factor_fitted_beside_a_kept_model_adds_to_it() -> None:
    """A kept model (``base``) stays as it is and a factor fitted beside it adds what it
    explains: on a truth of the kept model's log-odds plus 1.5 per unit of ``b``, the result
    holds the kept factor unchanged, ``b`` near 1.5, and an intercept moved to the truth's."""
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=40_000), rng.normal(size=40_000)
    kept = LogisticModel("boosted", -2.0, (Factor("a", 1.0, 0.0),))
    y = (rng.random(40_000) < 1 / (1 + np.exp(-(-2.5 + a + 1.5 * b)))).astype(float)
    frame = pd.DataFrame({"a": a, "b": b})
    model = fit_model(frame, y, "boosted", ["b"], l2=0.01, base=kept)
    assert model.factors[0] == kept.factors[0]
    assert [f.name for f in model.factors] == ["a", "b"]
    assert model.factors[1].weight == pytest.approx(1.5, abs=0.1)
    assert model.intercept == pytest.approx(-2.5, abs=0.1)


RANK_NOT_HELD_INPUTS = [f.name for f in RANK_NOT_HELD_MODEL.factors]


def test_the_second_part_learns_the_cases_the_first_part_misses() -> None:
    """The boosted model's second part is fitted on the rows its first part passes over
    (p < 0.1): there, playing below the tier marks a boosted account; where the first part
    sees the case, the same reading says nothing. Fitted on every row the line would be
    diluted; on the missed rows it is steep, and the combined model ranks the missed cases
    far better than the first part alone."""
    rng = np.random.default_rng(11)
    n = 60_000
    seen = rng.normal(size=n)  # what the first part reads: a booster in sight
    below = rng.normal(size=n)  # play below the tier
    hidden = rng.random(n) < 0.02  # boosted out of sight: only playing below the tier shows
    shown = rng.random(n) < 1 / (1 + np.exp(-(-4.0 + 2.5 * seen)))
    below = np.where(hidden, below + 2.0, np.where(shown, below - 1.0, below))
    frame = pd.DataFrame(
        {
            "seen": seen,
            **{name: below for name in RANK_NOT_HELD_INPUTS},
            "is_boosted": (hidden | shown).astype(float),
        }
    )
    first = LogisticModel("boosted", -4.0, (Factor("seen", 2.5, 0.0),))
    combined = with_second_part(first, frame)
    second = combined.rank_not_held
    assert second is not None and second.target == "boosted"
    assert [f.name for f in second.factors] == RANK_NOT_HELD_INPUTS
    missed = probability(first, frame) < 0.1
    # Fitted on the missed rows alone, exactly as a fit on them gives it.
    alone = fit_model(
        frame[missed],
        frame.loc[missed, "is_boosted"].to_numpy(),
        "boosted",
        RANK_NOT_HELD_INPUTS,
        100.0,
        bent=dict.fromkeys(RANK_NOT_HELD_INPUTS, 1.0),
    )
    assert second == alone
    # The combined probability is "either part": 1 - (1 - p1)(1 - p2).
    p1, p2 = probability(first, frame), probability(second, frame)
    assert probability(combined, frame) == pytest.approx(1 - (1 - p1) * (1 - p2), rel=1e-9)
    truth = frame["is_boosted"].to_numpy()
    assert roc_auc(truth[hidden | ~shown], probability(combined, frame)[hidden | ~shown]) > (
        roc_auc(truth[hidden | ~shown], p1[hidden | ~shown]) + 0.2
    )
    # A model without a shipped second part gets none.
    smurf = LogisticModel("smurf", -2.0, (Factor("seen", 1.0, 0.0),))
    assert with_second_part(smurf, frame) is smurf
    assert BOOSTED_MODEL.rank_not_held is RANK_NOT_HELD_MODEL


def _levelled_world(rng: np.random.Generator, players: int, world: int) -> pd.DataFrame:
    """Every factor of both models as noise but the account's level: a fifth of the smurfs
    play on accounts of level 300-900, the others on level 30-80; everyone else's levels
    spread over 30-900 (``old_account`` read from them as the model reads it)."""
    smurf = rng.random(players) < 0.1
    old = smurf & (rng.random(players) < 0.2)
    level = np.where(old, rng.uniform(300, 900, players), rng.uniform(30, 80, players))
    level = np.where(smurf, level, rng.uniform(30, 900, players))
    names = sorted({f.name for m in MODELS for f in m.factors} | set(RANK_NOT_HELD_INPUTS))
    data = pd.DataFrame({name: rng.normal(size=players) for name in names})
    return data.assign(
        account_level=np.log(level),
        old_account=(np.log(level / OLD_ACCOUNT_FROM_LEVEL) / np.log(4.0)).clip(0.0, 1.0),
        is_smurf=smurf.astype(float),
        is_boosted=(~smurf & (rng.random(players) < 0.05)).astype(float),
        world=world,
    )


def test_the_smurf_model_is_fitted_without_smurfs_on_old_accounts() -> None:
    """Smurfs on accounts of level 300+ are left out of the smurf model's fit, and out of
    the fits that choose its threshold, though they still judge it; the boosted model's
    keeps every row. Left out, an old account lowers the smurf odds further."""
    rng = np.random.default_rng(60)
    data = pd.concat(
        [_levelled_world(rng, 3000, 0), _levelled_world(rng, 3000, 1)], ignore_index=True
    )
    old = data["is_smurf"].astype(bool) & (np.exp(data["account_level"]) >= 300)
    assert old.sum() > 50
    # At the edge, as the frame holds levels (logs): a smurf at level 300 is left out, one
    # at 299 or of unknown level kept.
    edge = pd.DataFrame(
        {"account_level": np.log([299.0, 300.0, 301.0, np.nan]), "is_smurf": 1.0, "world": 0}
    )
    assert fitted_rows(edge, "smurf")["account_level"].round(6).fillna(-1).tolist() == [
        round(float(np.log(299.0)), 6),
        -1,
    ]
    assert fitted_rows(data, "smurf").index.equals(data.index[~old])
    assert fitted_rows(data, "boosted").index.equals(data.index)

    smurf, _ = fit_frame(data)
    factors = [f.name for f in SMURF_MODEL.factors]
    bent = directions(SMURF_MODEL)
    rest = data[~old]
    assert smurf == fit_model(rest, rest["is_smurf"].to_numpy(), "smurf", factors, bent=bent)
    everyone = fit_model(data, data["is_smurf"].to_numpy(), "smurf", factors, bent=bent)

    def old_account_odds(model: LogisticModel) -> float:
        (factor,) = [f for f in model.factors if f.name == "old_account"]
        return float(factor.shape(np.array([1.0]))[0] - factor.shape(np.array([0.0]))[0])

    assert old_account_odds(smurf) < old_account_odds(everyone) - 1.0

    scored = held_out_scores(data, "smurf", factors, bent=bent)
    assert sum(len(test) for test, _ in scored) == len(data)
    first_fitted_on_second = fit_model(
        rest[rest["world"] == 1],
        rest.loc[rest["world"] == 1, "is_smurf"].to_numpy(),
        "smurf",
        factors,
        bent=bent,
    )
    test, p = scored[0]
    np.testing.assert_allclose(p, probability(first_fitted_on_second, test))
