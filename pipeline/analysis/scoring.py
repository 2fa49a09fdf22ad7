"""Scores, labels and confidences for many players at once.

``score_players`` = features (one SQL query over the per-player sums) -> factor inputs ->
two logistic models -> labels. Everything after the query is column arithmetic in pandas,
so scoring 100,000 players costs one query plus a few vector operations, and the same input
always gives the same output.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd

from pipeline.analysis.features import feature_frame
from pipeline.analysis.model import MODELS, LogisticModel, factor_inputs, sigmoid
from pipeline.analysis.params import DEFAULT_PARAMS, ScoringParams
from pipeline.analysis.spread import PlaySpread, crawl_spread

SMURF = "SMURF"
BOOSTED = "BOOSTED"
NORMAL = "NORMAL"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
LABELS = (SMURF, BOOSTED, NORMAL, INSUFFICIENT_DATA)

HEAD_COLUMNS = [
    "puuid",
    "smurf_score",
    "boosted_score",
    "label",
    "confidence",
    "reason",
    "games_analyzed",
    "matches_stored",
    "tier",
    "smurf_logit",
    "boosted_logit",
]


def contribution_columns(scores: pd.DataFrame, target: str) -> list[str]:
    """The ``contrib_<target>_<factor>`` columns of a score frame."""
    prefix = f"contrib_{target}_"
    return [c for c in scores.columns if c.startswith(prefix)]


def feature_columns(scores: pd.DataFrame) -> list[str]:
    """The feature columns of a score frame (everything that is not a score or contribution)."""
    return [c for c in scores.columns if c not in HEAD_COLUMNS and not c.startswith("contrib_")]


def _apply(model: LogisticModel, inputs: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    contributions = model.contributions(inputs)
    logit = contributions.sum(axis=1)
    contributions.columns = [f"contrib_{model.target}_{c}" for c in contributions.columns]
    return logit, contributions


def account_gone(features: pd.DataFrame) -> pd.Series:
    """True for players whose last profile refresh found no account (banned or deleted);
    a player never asked is not gone."""
    gone: pd.Series = features["profile_found"].astype("boolean").eq(False).fillna(False)
    return gone.astype(bool)


# Why a player's rank is not known: their profile was never read, or the account is gone.
NO_PROFILE_REASON = "no profile (summoner level, league entry) fetched yet"
ACCOUNT_GONE_REASON = "summoner-v4 no longer finds the account"
# How the reasons worded with each player's own numbers begin.
FEW_GAMES_PREFIX = "only "
OLD_PROFILE_PREFIX = "profile is "
# The kinds of reason a player is INSUFFICIENT_DATA (``reason_kind``), for readers that
# count them or say what cures them.
NO_PROFILE, OLD_PROFILE, FEW_GAMES, ACCOUNT_GONE, OTHER_REASON = (
    "no profile",
    "old profile",
    "few games",
    "account gone",
    "other",
)


def reason_kind(reason: object) -> str:
    """The kind of an INSUFFICIENT_DATA ``reason`` (``insufficiency_reasons``'s words):
    ``NO_PROFILE``, ``OLD_PROFILE``, ``FEW_GAMES``, ``ACCOUNT_GONE`` or ``OTHER_REASON``."""
    text = reason if isinstance(reason, str) else ""
    if text == NO_PROFILE_REASON:
        return NO_PROFILE
    if text == ACCOUNT_GONE_REASON:
        return ACCOUNT_GONE
    if text.startswith(OLD_PROFILE_PREFIX):
        return OLD_PROFILE
    if text.startswith(FEW_GAMES_PREFIX):
        return FEW_GAMES
    return OTHER_REASON


def insufficiency_reasons(
    features: pd.DataFrame, params: ScoringParams, scored_at: datetime
) -> pd.Series:
    """Why each player cannot be labelled (None where they can), in words.

    A label needs ``min_games`` analysed games and a profile (summoner-v4 + league-v4) at most
    ``profile_max_age_hours`` old at ``scored_at``: without it, what the account has really
    played is unknown, and a strong player with a few stored games could be anyone.
    """
    games = features["games_analyzed"].astype("int64")
    checked = pd.to_datetime(features["profile_checked_at"])
    age_h = (pd.Timestamp(scored_at.replace(tzinfo=None)) - checked).dt.total_seconds() / 3600
    not_found = account_gone(features)
    reasons = np.select(
        [
            (games < params.min_games).to_numpy(dtype=bool),
            checked.isna().to_numpy(dtype=bool),
            not_found.to_numpy(dtype=bool),
            (age_h > params.profile_max_age_hours).fillna(False).to_numpy(dtype=bool),
        ],
        [
            (
                FEW_GAMES_PREFIX
                + games.astype(str)
                + np.where(games == 1, " ranked game", " ranked games")
                + f" stored ({params.min_games} needed)"
            ).to_numpy(dtype=object),
            NO_PROFILE_REASON,
            ACCOUNT_GONE_REASON,
            (
                OLD_PROFILE_PREFIX
                + age_h.fillna(0).round().astype("int64").astype(str)
                + f" h old ({params.profile_max_age_hours:g} h allowed)"
            ).to_numpy(dtype=object),
        ],
        default="",
    )
    return pd.Series(reasons, index=features.index).replace("", None)


def boosted_not_smurf(smurf: np.ndarray, boosted: np.ndarray) -> np.ndarray:
    """The probability that an account is boosted and not a smurf's, each model judging its
    own case: what the BOOSTED label reads. A booster's games on an account look like a
    smurf's (play far above the lobby on an account with little behind it), and a smurf that
    climbed, deranked or threw often shows a booster's traces (a fall from its best week, a
    winning season): the boosted score alone gave 78 of the 729 BOOSTED labels on ten
    rescored crawls to smurfs (their median smurf score 0.51; the boosted accounts labelled,
    0.005). The SMURF label is not judged the same way: tried, its precision stayed and its
    recall fell (the boosted score reads many real smurfs too)."""
    return np.asarray(boosted * (1.0 - smurf), dtype="float64")


def labels_and_confidence(
    scores: pd.DataFrame, reasons: pd.Series, params: ScoringParams
) -> tuple[np.ndarray, np.ndarray]:
    """Each player's label and its confidence, from both scores and log-odds and the
    ``reasons`` a player cannot be labelled (None where they can): SMURF where the smurf
    score reaches its threshold and is the stronger case, else BOOSTED where "boosted, not
    a smurf" (``boosted_not_smurf``) reaches its own, else NORMAL."""
    smurf = scores["smurf_score"].to_numpy()
    boosted = scores["boosted_score"].to_numpy()
    enough = reasons.isna().to_numpy()
    # Both probabilities can round to 1.0; the log-odds still say which is the stronger case.
    stronger = scores["smurf_logit"].to_numpy() >= scores["boosted_logit"].to_numpy()
    is_smurf = enough & (smurf >= params.smurf_threshold) & stronger
    boosted_case = boosted_not_smurf(smurf, boosted)
    is_boosted = enough & ~is_smurf & (boosted_case >= params.boosted_threshold)
    label = np.select(
        [~enough, is_smurf, is_boosted], [INSUFFICIENT_DATA, SMURF, BOOSTED], default=NORMAL
    )
    # The model's probability that the label given is right, never more than the label's
    # measured precision for players with as many stored games; none without enough data.
    games = scores["games_analyzed"].to_numpy()
    normal = (1.0 - smurf) * (1.0 - boosted)
    confidence = np.select(
        [~enough, is_smurf, is_boosted],
        [
            np.nan,
            np.minimum(smurf, observed_precision(SMURF, games)),
            np.minimum(boosted_case, observed_precision(BOOSTED, games)),
        ],
        normal,
    )
    return label, confidence


# The precision of each label by stored games (from, precision), measured on each training
# crawl with the weights fitted on the others, at the thresholds chosen that way
# (``fit.precision_by_games``): p = 1.00 on seven games is not credible. Each step holds the
# lowest precision measured at or above it, so more stored games never cap lower (SMURF,
# over the nine crawls smurf-logit-19 was fitted on: 0.91 on 5-9 games, 56 labels; 0.77 on
# 10-19, 183; 0.87 on 20+, 789. BOOSTED as ``boosted_not_smurf`` gives it, over the ten
# crawls smurf-logit-20 was fitted on: 0.74, 23; 0.94, 305; 0.91, 713).
LABEL_PRECISION_BY_GAMES = {
    SMURF: ((5, 0.77), (10, 0.77), (20, 0.87)),
    BOOSTED: ((5, 0.74), (10, 0.91), (20, 0.91)),
}


def observed_precision(label: str, games: np.ndarray) -> np.ndarray:
    """The measured precision of ``label`` for players with ``games`` stored games."""
    steps = LABEL_PRECISION_BY_GAMES[label]
    cap = np.full(games.shape, steps[0][1], dtype="float64")
    for start, precision in steps:
        cap = np.where(games >= start, precision, cap)
    return cap


def score_frame(
    features: pd.DataFrame,
    params: ScoringParams = DEFAULT_PARAMS,
    scored_at: datetime | None = None,
    *,
    spread: PlaySpread,
) -> pd.DataFrame:
    """Score a feature frame (from ``feature_frame``): one row per player.

    ``scored_at`` (default: now, UTC) is when profiles must have been fresh. ``spread``: the
    crawl's spread of play in the games won and lost (``spread.crawl_spread``), which
    throwing is judged against.
    """
    inputs = factor_inputs(features, spread)
    head = pd.DataFrame({"puuid": features["puuid"]}, index=features.index)
    parts = []
    for model in MODELS:
        logit, contributions = _apply(model, inputs)
        head[f"{model.target}_logit"] = logit
        head[f"{model.target}_score"] = sigmoid(logit)
        parts.append(contributions)
    head["games_analyzed"] = features["games_analyzed"].astype("int64")
    head["matches_stored"] = features["matches_stored"].astype("int64")
    head["tier"] = features["tier"]
    when = scored_at or datetime.now(UTC)
    head["reason"] = insufficiency_reasons(features, params, when)
    head["label"], head["confidence"] = labels_and_confidence(head, head["reason"], params)
    rest = features.drop(columns=["puuid", "games_analyzed", "matches_stored", "tier"])
    out = pd.concat([head[HEAD_COLUMNS], *parts, rest], axis=1)
    return out.reset_index(drop=True)


def score_players(
    con: duckdb.DuckDBPyConnection,
    puuids: Sequence[str] | None = None,
    as_of: datetime | None = None,
    params: ScoringParams = DEFAULT_PARAMS,
    *,
    cached_baselines: bool = False,
) -> pd.DataFrame:
    """Score players from the stored games (everyone with a game, or exactly ``puuids``).

    One row per player: puuid, smurf_score and boosted_score (probabilities), label (SMURF,
    BOOSTED, NORMAL or INSUFFICIENT_DATA), confidence (the probability of that label, NULL
    for INSUFFICIENT_DATA), reason (why INSUFFICIENT_DATA: too few games, no fresh profile),
    games_analyzed, matches_stored, tier, the two logits, the
    contribution of every factor (``contrib_smurf_*``, ``contrib_boosted_*``, summing to the
    logit) and the features, from the per-player sums the store keeps. ``as_of`` ignores
    rank snapshots after that time and judges profile freshness then. ``cached_baselines``
    compares with the baselines the analyzer keeps (``upkeep.keep_current``), so scoring a
    few players reads only theirs; with no ``as_of`` it also reads the analyzer's score
    inputs and rank summary, which are current only after ``keep_current`` in the same
    transaction (as ``score_queued`` does). Never opens the database: the caller owns the
    connection.
    """
    features = feature_frame(con, params, puuids, as_of, cached_baselines=cached_baselines)
    spread = crawl_spread(
        con, params, kept=cached_baselines, everyone=features if puuids is None else None
    )
    return score_frame(features, params, as_of, spread=spread)
