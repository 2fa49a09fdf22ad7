"""Fitting the logistic models' weights on simulated worlds (a development tool).

The shipped weights in ``model`` are constants, so scoring stays deterministic and
reviewable; this module is how they were obtained: L2-regularised logistic regression
(Newton's method) on standardised factor inputs over worlds with ground truth, converted
back to weights on the raw inputs with each factor centred on the population mean.

The worlds are databases the product's own jobs crawled (``smurf simulator crawl``) from
the training families of the simulator (``pipeline.simulator.TRAINING_FAMILIES``): the
models learn from what the product really sees, and only from players it would label (a
profile found, enough games). Each label's threshold is chosen for precision on families the
weights never saw: with two or more training worlds, each world in turn is scored by weights
fitted on the others, and the threshold is the lowest probability that keeps the label's
precision at ``TARGET_PRECISION`` over those scores pooled (a threshold chosen on the worlds
the weights were fitted to promises more precision than a new world gives; one that keeps it
on every world alone is set by the single hardest world and gives far more precision than
asked, at the cost of recall). The held-out families judge the result
(``benchmarks/bench_quality.py``). It refits both models on the crawls it is given, each
with its own L2 penalty (``L2_BY_TARGET``), the smurf model without the smurfs on old
accounts (``fitted_rows``), and the boosted model's second part on the rows its refitted
first part misses (``fit_rank_not_held``); run on the nine training crawls named in
``model`` (smurf-logit-16's jobs) it prints both models' shipped constants and thresholds
but for that second part, which smurf-logit-20 fitted beside the shipped first part, kept
as it was, on those nine and a crawl of ``some-past-boosts`` (seed 308).

    python -m pipeline.analysis.fit crawl1.duckdb crawl2.duckdb   # prints model constants
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from pipeline.analysis.evaluation import load_truth
from pipeline.analysis.features import feature_frame
from pipeline.analysis.model import MODELS, Factor, LogisticModel, factor_inputs, line_pieces
from pipeline.analysis.params import DEFAULT_PARAMS, ScoringParams
from pipeline.analysis.scoring import (
    BOOSTED,
    LABEL_PRECISION_BY_GAMES,
    SMURF,
    boosted_not_smurf,
    labels_and_confidence,
)
from pipeline.analysis.spread import frame_spread

FloatArray = npt.NDArray[np.float64]
NEWTON_STEPS = 50
TOLERANCE = 1e-10
TARGET_PRECISION = 0.85
# Where a bent factor's line may bend (quantiles of its values over the training players).
KNOT_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.97)
# The models whose factors a refit bends (``fit_model``'s ``bent``); the others' would be
# straight lines. The smurf model was kept straight until its throwing was capped
# (``model.THROWING_CAP``): bent and uncapped, players who feed in the games they lose
# without a smurf's strength (the simulator's tilters) scored higher (README, "Bent lines").
BENT_TARGETS = ("smurf", "boosted")
# How hard each model's refit shrinks its standardised slopes (the L2 penalty), unless told.
# The boosted model's is the strongest whose average precision on the training crawls, each
# left out of the fit in turn, stays within 0.005 of the best: on nine crawls of
# smurf-logit-16's jobs 0.759 at 1 and 10, 0.758 at 30, 0.756 at 100, 0.750 at 300, 0.735
# at 1,000. The crawls left out cannot tell 1 from 100 apart; worlds further from the
# training stories can: on the independent third world (README) the boosted average
# precision rose with the penalty, 0.720 at 1, 0.732 at 10, 0.742 at 30, 0.753 at 100,
# 0.762 at 300, while the bundled simulator's held-out families stayed within 0.01 up to
# 100. Slopes shrunk alike lean on every factor a little rather than on the few the
# training stories favour. The smurf model's stays 1 (its shipped weights, see ``model``).
L2_BY_TARGET = {"smurf": 1.0, "boosted": 100.0}
# The smurf model is fitted as if no smurf played on an account of this summoner level or
# more (``fitted_rows``): such an account has been played for years, and whoever dominates
# on it is far more often its owner back from a break than a stronger player on a spare
# account. Whether smurfs play on old accounts is a story, not something a crawl shows: the
# bundled simulator puts 9 % of its smurfs on bought accounts up there (``bought_share``),
# the independently written worlds none, and their returning veterans, old accounts
# dominating lobbies with the break before any stored game, play like those smurfs. Fitted
# with them, the account's age lowered the odds by at most 0.98 and the fourth world
# labelled 16 of its 86 veterans SMURF; left out, 3 (README, "Old accounts are their owners'").
NO_SMURFS_FROM_LEVEL = 300.0
# The boosted model's second part (``model.RANK_NOT_HELD_MODEL``) is fitted on the players
# its first part gives less than this (``fit_rank_not_held``): the boosted accounts the
# first part cannot see, and the players they must be told from. On ten training crawls each
# left out in turn, 0.05, 0.1 and 0.2 gave the same average precision (0.732-0.733) and
# held-out boosted ROC-AUC within 0.03 of each other on every held-out crawl and world.
RANK_NOT_HELD_ROWS_BELOW = 0.1


def fit_logistic(
    x: FloatArray, y: FloatArray, l2: float = 1.0, offset: FloatArray | None = None
) -> tuple[float, FloatArray]:
    """Intercept and coefficients minimising log-loss + l2/2 * |coefficients|^2.

    ``x`` should be standardised; the intercept is not penalised. ``offset``: log-odds each
    row already has (a model kept as it is), which the fit adds to.
    """
    n, k = x.shape
    design = np.c_[np.ones(n), x]
    beta = np.zeros(k + 1)
    penalty = np.full(k + 1, l2)
    penalty[0] = 0.0
    base = np.zeros(n) if offset is None else offset
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(base + design @ beta)))
        gradient = design.T @ (p - y) + penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < TOLERANCE:
            break
    return float(beta[0]), beta[1:]


def fit_model(
    inputs: pd.DataFrame,
    y: FloatArray,
    target: str,
    factors: Sequence[str],
    l2: float = 1.0,
    *,
    bent: Mapping[str, float] | None = None,
    base: LogisticModel | None = None,
) -> LogisticModel:
    """A model over ``factors`` fitted to ``y``, centred on the inputs' means.

    ``bent`` maps factors to their direction (+1: more of it raises the odds, -1: lowers
    them): each is fitted as a line bent at ``KNOT_QUANTILES`` of its values, one slope per
    piece, and a slope that comes out against the direction is held at 0 and the fit run
    again (so the factor still reads the way its name says). The others are straight lines.

    ``base``: a model kept as it is, ``factors`` fitted beside it (its log-odds an offset):
    the result is ``base`` with those factors added and its intercept moved.
    """
    bent = bent or {}
    offset = None if base is None else base.contributions(inputs).sum(axis=1).to_numpy()
    x = inputs[list(factors)].astype("float64")
    mean = x.mean()
    knots = {name: _knots(x[name]) for name in factors if name in bent}
    columns, owners, signs, centres, spreads = [], [], [], [], []
    for name in factors:
        if knots.get(name):
            pieces = line_pieces(x[name].fillna(mean[name]).to_numpy(), knots[name])
            centres += [float(p.mean()) for p in pieces]
            spreads += [float(p.std()) for p in pieces]
        else:  # a missing value sits at the mean: 0 once standardised
            pieces = [x[name].fillna(mean[name]).to_numpy()]
            centres.append(float(mean[name]))
            spreads.append(float(x[name].std(ddof=0)))
        columns += pieces
        owners += [name] * len(pieces)
        signs += [bent.get(name, 0.0)] * len(pieces)
    spread = np.nan_to_num(np.array(spreads))
    # A piece no player runs along stays out of the fit (slope 0).
    free = np.array([s > 0 or o not in knots for s, o in zip(spread, owners, strict=True)])
    spread[spread == 0] = 1.0
    standard = (np.column_stack(columns) - np.array(centres)) / spread
    direction = np.array(signs)
    while True:
        intercept, fitted = fit_logistic(standard[:, free], y, l2, offset)
        coefficients = np.zeros(len(columns))
        coefficients[free] = fitted
        against = free & (coefficients * direction < 0)
        if not against.any():
            break
        free &= ~against
    slopes = coefficients / spread
    built = []
    for name in factors:
        mine = np.array([owner == name for owner in owners])
        center = round(float(mean[name]), 4)
        if not knots.get(name):
            built.append(Factor(name, round(float(slopes[mine][0]), 4), center))
            continue
        bends, piece_slopes = knots[name], tuple(round(float(v), 4) for v in slopes[mine])
        factor = Factor(name, _average_slope(bends, piece_slopes), center, bends, piece_slopes)
        built.append(factor)
        # The intercept is the log-odds at every center: the fit's is at the pieces' means,
        # so it moves by the bent line's value at the center less its value there.
        at_means = sum(v * c for v, c in zip(piece_slopes, np.array(centres)[mine], strict=True))
        intercept += float(factor.shape(np.array([factor.center]))[0]) - float(at_means)
    if base is not None:
        intercept += base.intercept
        built = [*base.factors, *built]
    return LogisticModel(target=target, intercept=round(intercept, 4), factors=tuple(built))


def _average_slope(knots: tuple[float, ...], slopes: tuple[float, ...]) -> float:
    """A bent line's rise between its outer knots over their distance (its steepest slope
    where it is flat there): the bent factor's ``weight``, whose sign is its direction."""
    if len(knots) > 1:
        ends = Factor("", 0.0, 0.0, knots, slopes).shape(np.array([knots[0], knots[-1]]))
        average = round(float(ends[1] - ends[0]) / (knots[-1] - knots[0]), 4)
        if average:
            return average
    return max(slopes, key=abs)


def _knots(values: pd.Series) -> tuple[float, ...]:
    """Where a bent factor's line may bend: its distinct ``KNOT_QUANTILES`` (4 decimals)."""
    seen = values.dropna()
    if seen.empty:
        return ()
    return tuple(float(k) for k in np.unique(np.round(np.quantile(seen, KNOT_QUANTILES), 4)))


def training_frame(
    cons: Sequence[duckdb.DuckDBPyConnection], params: ScoringParams = DEFAULT_PARAMS
) -> pd.DataFrame:
    """Factor inputs and truth of every player the product would label, over several worlds:
    enough games and a profile the API answered (freshness aside: a crawl is judged as of
    when it was made). ``world`` numbers the database each row came from."""
    frames = []
    for world, con in enumerate(cons):
        features = feature_frame(con, params)
        # Each crawl's throwing is judged against its own spread, as the product judges it.
        spread = frame_spread(features)
        found = features["profile_found"].astype("boolean").fillna(False).astype(bool)
        features = features[(features["games_analyzed"] >= params.min_games) & found]
        inputs = factor_inputs(features, spread).assign(
            puuid=features["puuid"].to_numpy(),
            games_analyzed=features["games_analyzed"].to_numpy(),
            world=world,
        )
        frames.append(inputs.merge(load_truth(con), on="puuid"))
    return pd.concat(frames, ignore_index=True)


def threshold_for_precision(
    y: FloatArray, probability: FloatArray, precision: float = TARGET_PRECISION
) -> float:
    """The lowest probability whose label (everyone at or above it) keeps ``precision``.

    Returns 1.0 (label no one) when no cut reaches it.
    """
    order = np.argsort(-probability, kind="mergesort")
    hits = np.cumsum(y[order])
    labelled = np.arange(1, len(order) + 1)
    good = np.flatnonzero(hits / labelled >= precision)
    return float(probability[order][good.max()]) if len(good) else 1.0


def held_out_scores(
    data: pd.DataFrame,
    target: str,
    factors: Sequence[str],
    l2: float = 1.0,
    *,
    bent: Mapping[str, float] | None = None,
    base: LogisticModel | None = None,
) -> list[tuple[pd.DataFrame, FloatArray]]:
    """Each world of ``data`` (a ``training_frame``) with the probabilities a ``target``
    model over ``factors`` (beside ``base``, see ``fit_model``) gives it when fitted on the
    other worlds only (on itself when it is the only one): how the model does on a world
    nobody fitted to."""
    worlds = sorted(data["world"].unique())
    scored = []
    for world in worlds:
        test = data[data["world"] == world]
        train = fitted_rows(data[data["world"] != world] if len(worlds) > 1 else test, target)
        truth = train[f"is_{target}"].to_numpy(dtype="float64")
        model = fit_model(train, truth, target, factors, l2, bent=bent, base=base)
        if base is None:
            model = with_second_part(model, train, l2)
        scored.append((test, probability(model, test)))
    return scored


def held_out_threshold(
    data: pd.DataFrame,
    target: str,
    factors: Sequence[str],
    l2: float = 1.0,
    *,
    bent: Mapping[str, float] | None = None,
    base: LogisticModel | None = None,
) -> float:
    """The lowest probability at which a ``target`` model over ``factors`` keeps
    ``TARGET_PRECISION`` over the worlds of ``data`` (a ``training_frame``) pooled, each
    scored by weights fitted on the other worlds only: the label's threshold as worlds
    nobody fitted to would need it.

    Pooled rather than world by world: the lowest threshold that kept the precision on every
    world alone was set by the hardest one (on six training crawls, one asked for 0.75 and
    the others 0.40-0.61), and on held-out crawls its SMURF labels were right 94-100 % of
    the time where 85 % was asked, with 7-32 % less recall. One threshold per bucket of
    stored games (5-9, 10-19, 20+), each chosen the same way, gave the same precision on the
    held-out crawls pooled (players with a profile) and less recall (0.28 against 0.33).
    """
    scored = held_out_scores(data, target, factors, l2, bent=bent, base=base)
    truth = np.concatenate([test[f"is_{target}"].to_numpy(dtype="float64") for test, _ in scored])
    return threshold_for_precision(truth, np.concatenate([p for _, p in scored]))


# Stored games from which a label's precision is measured apart: the steps of the caps.
GAMES_STEPS = tuple(start for start, _ in LABEL_PRECISION_BY_GAMES[SMURF])


def precision_by_games(
    data: pd.DataFrame,
    target: str,
    factors: Sequence[str],
    threshold: float,
    l2: float = 1.0,
    *,
    bent: Mapping[str, float] | None = None,
    base: LogisticModel | None = None,
) -> list[tuple[int, float, int]]:
    """(from games, precision, labels) of the ``target`` label at ``threshold`` for players
    with at least that many stored games (and fewer than the next step), every world scored
    by weights fitted on the others, as ``held_out_threshold`` chooses the threshold: what
    ``scoring.LABEL_PRECISION_BY_GAMES`` holds. The label is "probability at or above the
    threshold" of this model alone; in scoring a player above both thresholds is SMURF, so
    a few BOOSTED labels counted here are SMURF labels in use."""
    scored = held_out_scores(data, target, factors, l2, bent=bent, base=base)
    games = np.concatenate([test["games_analyzed"].to_numpy() for test, _ in scored])
    truth = np.concatenate([test[f"is_{target}"].to_numpy(dtype="float64") for test, _ in scored])
    return _precision_by_games(games, truth, np.concatenate([p for _, p in scored]) >= threshold)


def _precision_by_games(
    games: np.ndarray, truth: FloatArray, labelled: np.ndarray
) -> list[tuple[int, float, int]]:
    """(from games, precision, labels) of the ``labelled`` players in each ``GAMES_STEPS``
    bucket."""
    rows = []
    for start, end in zip(GAMES_STEPS, (*GAMES_STEPS[1:], np.inf), strict=True):
        chosen = labelled & (games >= start) & (games < end)
        count = int(chosen.sum())
        rows.append((start, float(truth[chosen].mean()) if count else float("nan"), count))
    return rows


def held_out_label_scores(data: pd.DataFrame, l2: float | None = None) -> pd.DataFrame:
    """Each player of ``data`` (a ``training_frame``) with both models' probabilities and
    log-odds, each world scored by both models refitted on the other worlds only (as
    ``fit_frame`` refits them): the columns the scoring's labels read, with the truth and
    stored games beside them."""
    scored = data[["games_analyzed", "is_smurf", "is_boosted"]].copy()
    for shipped in MODELS:
        target = shipped.target
        bent = directions(shipped) if target in BENT_TARGETS else None
        names = [f.name for f in shipped.factors]
        pieces = held_out_scores(data, target, names, penalty(target, l2), bent=bent)
        probability_of = pd.concat([pd.Series(p, index=test.index) for test, p in pieces])
        p = probability_of.reindex(data.index).clip(1e-15, 1 - 1e-15)
        scored[f"{target}_score"] = p
        scored[f"{target}_logit"] = np.log(p / (1.0 - p))
    return scored


def boosted_label_threshold(
    scored: pd.DataFrame,
    precision: float = TARGET_PRECISION,
    params: ScoringParams = DEFAULT_PARAMS,
) -> float:
    """The lowest probability of "boosted, not a smurf" (``scoring.boosted_not_smurf``) at
    which the BOOSTED labels over ``scored`` (``held_out_label_scores``) keep ``precision``;
    the players the scoring labels SMURF (at ``params``' smurf threshold) are not counted."""
    labels, _ = labels_and_confidence(scored, pd.Series(None, index=scored.index), params)
    open_to_it = scored[labels != SMURF]
    case = boosted_not_smurf(
        open_to_it["smurf_score"].to_numpy(), open_to_it["boosted_score"].to_numpy()
    )
    return threshold_for_precision(open_to_it["is_boosted"].to_numpy(dtype="float64"), case)


def label_precision_by_games(
    scored: pd.DataFrame, label: str, params: ScoringParams = DEFAULT_PARAMS
) -> list[tuple[int, float, int]]:
    """(from games, precision, labels) of ``label`` as the scoring gives it at ``params``
    over ``scored`` (``held_out_label_scores``), for players with at least that many stored
    games and fewer than the next step."""
    labels, _ = labels_and_confidence(scored, pd.Series(None, index=scored.index), params)
    truth = scored[f"is_{label.lower()}"].to_numpy(dtype="float64")
    return _precision_by_games(scored["games_analyzed"].to_numpy(), truth, labels == label)


def games_bucket(start: int) -> str:
    """A bucket of ``GAMES_STEPS`` as a reader reads it: ``5-9``, ``10-19``, ``20+``."""
    later = [step for step in GAMES_STEPS if step > start]
    return f"{start}-{later[0] - 1}" if later else f"{start}+"


def probability(model: LogisticModel, inputs: pd.DataFrame) -> FloatArray:
    """The model's probability for each row of ``inputs``."""
    logit = model.contributions(inputs).sum(axis=1).to_numpy(dtype="float64")
    return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype="float64")


def fit_models(
    cons: Sequence[duckdb.DuckDBPyConnection],
    params: ScoringParams = DEFAULT_PARAMS,
    l2: float | None = None,
) -> tuple[LogisticModel, ...]:
    """Refit each shipped model's factors on the worlds behind ``cons`` (``l2``: every
    model's penalty, else each its own ``L2_BY_TARGET``)."""
    return fit_frame(training_frame(cons, params), l2)


def directions(model: LogisticModel) -> dict[str, float]:
    """Each factor of ``model`` and the way it reads (+1: more of it raises the odds, -1:
    lowers them), as its shipped weight says: what a refit bends each factor within."""
    return {f.name: float(np.sign(f.weight)) for f in model.factors}


def fit_frame(data: pd.DataFrame, l2: float | None = None) -> tuple[LogisticModel, ...]:
    """Refit each shipped model's factors on a ``training_frame``; those of the models in
    ``BENT_TARGETS`` bent, within the direction each shipped weight gives it, and a second
    part where the shipped model has one (``fit_rank_not_held``). ``l2``: every model's
    penalty; without it, each model's own (``L2_BY_TARGET``)."""
    models = []
    for m in MODELS:
        rows = fitted_rows(data, m.target)
        truth = rows[f"is_{m.target}"].to_numpy(dtype="float64")
        bent = directions(m) if m.target in BENT_TARGETS else None
        fitted = fit_model(
            rows, truth, m.target, [f.name for f in m.factors], penalty(m.target, l2), bent=bent
        )
        models.append(with_second_part(fitted, rows, l2))
    return tuple(models)


def with_second_part(
    fitted: LogisticModel, rows: pd.DataFrame, l2: float | None = None
) -> LogisticModel:
    """``fitted`` with a second part fitted on ``rows`` when the shipped model of its target
    has one (``fit_rank_not_held``); as it is otherwise."""
    shipped = next(m for m in MODELS if m.target == fitted.target)
    if shipped.rank_not_held is None:
        return fitted
    second = fit_rank_not_held(rows, fitted, shipped.rank_not_held, penalty(fitted.target, l2))
    return dataclasses.replace(fitted, rank_not_held=second)


def fit_rank_not_held(
    rows: pd.DataFrame, first: LogisticModel, shipped: LogisticModel, l2: float
) -> LogisticModel:
    """The second part of a model (``LogisticModel.rank_not_held``) over ``shipped``'s
    factors, each bent to raise the odds, fitted on the ``rows`` that ``first`` (the model
    without it) gives less than ``RANK_NOT_HELD_ROWS_BELOW``: what tells the cases the first
    part misses from the players it rightly passes over. Fitted on every row, its factors
    (play below the tier) came out flat: most boosted accounts in the training crawls show a
    booster's games, which play above the tier."""
    target = first.target
    missed = rows[probability(first, rows) < RANK_NOT_HELD_ROWS_BELOW]
    truth = missed[f"is_{target}"].to_numpy(dtype="float64")
    names = [f.name for f in shipped.factors]
    return fit_model(missed, truth, shipped.target, names, l2, bent=dict.fromkeys(names, 1.0))


def fitted_rows(data: pd.DataFrame, target: str) -> pd.DataFrame:
    """The rows of ``data`` (a ``training_frame``) a ``target`` model is fitted on: for the
    smurf model every row but the smurfs on accounts of level ``NO_SMURFS_FROM_LEVEL``
    or more. Every row still judges the fit (``held_out_scores``): those smurfs count as
    missed. A smurf whose level is unknown, or a frame without the accounts' levels, is
    kept."""
    if target != "smurf" or "account_level" not in data:
        return data
    # Compared as logs, as the frame holds it: exp(ln 300) comes back a hair under 300.
    old: pd.Series = data["account_level"].astype("float64") >= np.log(NO_SMURFS_FROM_LEVEL)
    kept: pd.DataFrame = data[~(data["is_smurf"].astype(bool) & old)]
    return kept


def penalty(target: str, l2: float | None = None) -> float:
    """The L2 penalty of a ``target`` model's refit: ``l2`` when given, else its own."""
    return L2_BY_TARGET.get(target, 1.0) if l2 is None else l2


def main(paths: Sequence[str]) -> None:
    """Print fitted model constants and label thresholds for the crawls in ``paths``."""
    cons = [duckdb.connect(p, read_only=True) for p in paths]
    try:
        data = training_frame(cons)
        for model in fit_frame(data):
            print(model)
            y = data[f"is_{model.target}"].to_numpy(dtype="float64")
            fitted_on = threshold_for_precision(y, probability(model, data))
            factors = [f.name for f in model.factors]
            bent = directions(model) if model.target in BENT_TARGETS else None
            l2 = penalty(model.target)
            held_out = held_out_threshold(data, model.target, factors, l2, bent=bent)
            how = (
                "the worlds pooled, each left out of the fit"
                if data["world"].nunique() > 1
                else "the only world, which the fit saw"
            )
            print(
                f"  {model.target}_threshold = {held_out:.4f}  (precision {TARGET_PRECISION} on"
                f" {how}; {fitted_on:.4f} on the worlds fitted to)"
            )
            steps = precision_by_games(data, model.target, factors, held_out, l2, bent=bent)
            print(
                f"  precision by stored games ({how}), labels in brackets: "
                + ", ".join(
                    f"{games_bucket(start)}: {share:.2f} ({count})" for start, share, count in steps
                )
            )
        if data["world"].nunique() > 1:
            _print_boosted_label(held_out_label_scores(data))
    finally:
        for con in cons:
            con.close()


def _print_boosted_label(scored: pd.DataFrame) -> None:
    """The BOOSTED label as the scoring gives it (``scoring.boosted_not_smurf``), every
    world scored by both models fitted on the others: its threshold for
    ``TARGET_PRECISION``, and its precision and recall at the shipped threshold."""
    threshold = boosted_label_threshold(scored)
    shipped = DEFAULT_PARAMS.boosted_threshold
    labels, _ = labels_and_confidence(scored, pd.Series(None, index=scored.index), DEFAULT_PARAMS)
    chosen = labels == BOOSTED
    right = scored.loc[chosen, "is_boosted"].astype(bool)
    print(
        f"BOOSTED label (boosted, not a smurf): threshold {threshold:.4f} for precision"
        f" {TARGET_PRECISION}; at the shipped {shipped:.3f}: {int(right.sum())} of"
        f" {int(chosen.sum())} right ({right.mean():.3f}), recall"
        f" {right.sum() / scored['is_boosted'].astype(bool).sum():.3f}, the worlds pooled,"
        " each left out of the fit; by stored games: "
        + ", ".join(
            f"{games_bucket(start)}: {share:.2f} ({count})"
            for start, share, count in label_precision_by_games(scored, BOOSTED)
        )
    )


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
