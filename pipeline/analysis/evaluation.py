"""How good the scores are, against the simulator's ground truth (table ``sim_truth``).

For smurfs and boosted accounts, three methods side by side — the model, the win-rate rule
and the weighted rule set (``rules``) — over every player with at least ``min_games``
analysed games, and per observation bucket: whether the player's rank is known (a fresh
solo entry), whether summoner-v4 still finds the account (one it no longer finds was banned
or deleted: it is never labelled, so every smurf among them is a miss the model cannot
help), and how many ranked games are stored (5-9, 10-19, 20+). Ranking metrics
(ROC-AUC, average precision, precision at the top) say how well a method orders players;
``label_precision`` and ``label_recall`` say how right the labels are: of the players given
the label (SMURF or BOOSTED; for a rule, flagged), the share who are, and of those who are,
the share given it. Players left INSUFFICIENT_DATA count as not labelled. Separately, the
share of each population each method flags (the honest look-alikes should be flagged
rarely).

Run on a database the product's own jobs crawled (``smurf simulator crawl``), this measures
detection as deployed; on a full export (``smurf simulator export``) it measures it with
everything known, a useful second view.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pipeline.analysis.errors import NoGroundTruthError
from pipeline.analysis.features import feature_frame
from pipeline.analysis.metrics import (
    average_precision,
    calibration_error,
    precision_at_top,
    recall_at_fpr,
    roc_auc,
)
from pipeline.analysis.params import DEFAULT_PARAMS, MODEL_VERSION, ScoringParams
from pipeline.analysis.rules import (
    RULE_FLAG_AT,
    WIN_RATE_RULE_BOOSTED,
    WIN_RATE_RULE_GAMES,
    WIN_RATE_RULE_SMURF,
    weighted_rules,
    win_rate_rule,
)
from pipeline.analysis.scoring import BOOSTED, SMURF, account_gone, score_frame
from pipeline.analysis.spread import frame_spread
from pipeline.store.aggregates import reference_is_stale
from pipeline.words import counted

UNRANKED = "UNRANKED"

TARGETS = ("smurf", "boosted")
METHODS = ("model", "winrate_rule", "weighted_rules")
LABEL_OF = {"smurf": SMURF, "boosted": BOOSTED}
# (name, which players): observation buckets, by what is known about the player.
BUCKETS: tuple[tuple[str, Callable[[pd.DataFrame], pd.Series]], ...] = (
    ("all", lambda s: s["games_analyzed"] >= 0),
    ("rank known", lambda s: s["tier"] != UNRANKED),
    ("rank unknown", lambda s: s["tier"] == UNRANKED),
    ("account found", lambda s: ~account_gone(s)),
    ("account gone", account_gone),
    ("5-9", lambda s: s["games_analyzed"].between(5, 9)),
    ("10-19", lambda s: s["games_analyzed"].between(10, 19)),
    ("20+", lambda s: s["games_analyzed"] >= 20),
)
METRIC_COLUMNS = (
    "roc_auc",
    "average_precision",
    "precision_top_1pct",
    "precision_top_5pct",
    "recall_at_1pct_fpr",
    "label_precision",
    "label_recall",
    "calibration_error",
)


STALE_REFERENCE_NOTE = (
    "Note: the games outgrew the lobby reference (a bulk load or export the analyzer has not"
    " run on), so lobby figures use older or default role norms and the model reads weaker"
    " than it will: run `smurf analyze` once first."
)


@dataclass(frozen=True)
class EvaluationReport:
    """Metrics per (target, method, bucket) and flag rates per simulated population."""

    metrics: pd.DataFrame
    flag_rates: pd.DataFrame
    players: int
    model_version: str
    # The stored games outgrew the lobby reference (a bulk load or export the analyzer has
    # not run on): stomps and lobby figures were judged with older or default role norms.
    reference_stale: bool = False
    # The cut (``ScoringParams.min_games``), and how many players with a ground truth were
    # scored before it: when nobody passes it, ``to_text`` says so instead of empty tables.
    min_games: int = 0
    candidates: int = 0
    # Each evaluated player's scores, label, features and truth (for curves and drill-downs).
    scored: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)

    def metric(self, target: str, method: str, name: str, bucket: str = "all") -> float:
        """One number, e.g. ``metric("smurf", "model", "roc_auc")``."""
        m = self.metrics
        row = m[(m["target"] == target) & (m["method"] == method) & (m["bucket"] == bucket)]
        return float(row[name].iloc[0])

    @property
    def nobody_evaluated(self) -> str:
        """Why no player was evaluated (without a full stop, for a hint to follow)."""
        return (
            f"No player has at least {counted(self.min_games, 'analysed game', 'analysed games')}"
            f" ({counted(self.candidates, 'player', 'players')} with games stored)"
        )

    def to_text(self) -> str:
        """A plain-text report for the terminal: short column titles (explained below the
        tables) so a row fits a terminal line, every figure with three decimals, "-" where
        one is undefined; one sentence when no player has the games asked for."""
        if self.players == 0:
            return f"{self.nobody_evaluated}."
        lines = [
            f"Evaluated {counted(self.players, 'player', 'players')}; model {self.model_version}."
        ]
        if self.reference_stale:
            lines.append(STALE_REFERENCE_NOTE)
        with pd.option_context("display.width", 250, "display.max_columns", 20):
            for target in TARGETS:
                table = self.metrics[self.metrics["target"] == target].drop(columns="target")
                shown = table.rename(columns=SHORT_TITLES)
                text = shown.to_string(index=False, na_rep="-", float_format=_decimals)
                lines += ["", f"{target.upper()}", text]
            lines += ["", *(f"{short:>9}: {what}" for short, what in _TITLE_NOTES)]
            lines += ["", *(f"{method:>14}: {what}" for method, what in _METHOD_NOTES)]
            lines.append(_BELOW_CHANCE)
            lines += [
                "",
                "Share of each population flagged, as a smurf or as boosted (the model: labelled"
                " SMURF or BOOSTED; as_smurf and as_boosted: the model's two labels apart;"
                " carried: listed by the report as carried by an account labelled SMURF, a"
                " lead, not a label); honest traps should be low:",
            ]
            lines.append(self.flag_rates.to_string(index=False, float_format=_decimals))
        return "\n".join(lines)


def _decimals(value: float) -> str:
    """A figure of the terminal report: always three decimals (0.800 next to 0.833)."""
    return f"{value:.3f}"


# The metric columns as the terminal titles them, and what each short title means.
SHORT_TITLES = {
    "roc_auc": "ROC-AUC",
    "average_precision": "AP",
    "precision_top_1pct": "P@1%",
    "precision_top_5pct": "P@5%",
    "recall_at_1pct_fpr": "R@1%FPR",
    "label_precision": "label P",
    "label_recall": "label R",
    "calibration_error": "calib err",
}
_TITLE_NOTES = (
    ("AP", "average precision"),
    ("P@k%", "precision among the top k % by score"),
    ("R@1%FPR", "recall at 1 % false positives"),
    ("label P/R", "the label's precision and recall"),
    ("calib err", "calibration error"),
)
# The methods the model is measured against (``rules``), said where their rows are read.
_METHOD_NOTES = (
    ("model", "this release's scores and labels"),
    (
        "winrate_rule",
        f"the rule of thumb: win rate >= {WIN_RATE_RULE_SMURF:.0%} (smurf) or <= "
        f"{WIN_RATE_RULE_BOOSTED:.0%} (boosted) over >= {WIN_RATE_RULE_GAMES} games",
    ),
    (
        "weighted_rules",
        f"a hand-weighted checklist (win rate, KDA, level, LP, tier; flags at {RULE_FLAG_AT:.3f})",
    ),
)
# Under the tables: what a ROC-AUC under one half says, whichever method has it.
_BELOW_CHANCE = "A ROC-AUC below 0.500 orders players worse than chance would."


def _metrics(y: np.ndarray, score: np.ndarray, labelled: np.ndarray) -> dict[str, float]:
    hits = float((labelled & (y == 1)).sum())
    return {
        "roc_auc": roc_auc(y, score),
        "average_precision": average_precision(y, score),
        "precision_top_1pct": precision_at_top(y, score, 0.01),
        "precision_top_5pct": precision_at_top(y, score, 0.05),
        "recall_at_1pct_fpr": recall_at_fpr(y, score, 0.01),
        "labelled": int(labelled.sum()),
        "label_precision": hits / labelled.sum() if labelled.any() else math.nan,
        "label_recall": hits / y.sum() if y.any() else math.nan,
        "calibration_error": calibration_error(y, np.clip(score, 0.0, 1.0)),
    }


def _method_scores(scored: pd.DataFrame, target: str) -> dict[str, pd.Series]:
    return {
        "model": scored[f"{target}_score"],
        "winrate_rule": win_rate_rule(scored, target),
        "weighted_rules": weighted_rules(scored, target),
    }


def _method_labels(scored: pd.DataFrame, target: str) -> dict[str, pd.Series]:
    """Who each method labels ``target``: the model's label, or the rule's flag."""
    return {
        "model": scored["label"] == LABEL_OF[target],
        "winrate_rule": win_rate_rule(scored, target) > 0,
        "weighted_rules": weighted_rules(scored, target) >= RULE_FLAG_AT,
    }


def _metric_table(scored: pd.DataFrame) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for target in TARGETS:
        truth = scored[f"is_{target}"].astype("float64").to_numpy()
        labels = _method_labels(scored, target)
        for method, score in _method_scores(scored, target).items():
            values = score.to_numpy(dtype="float64")
            labelled = labels[method].to_numpy(dtype=bool)
            for bucket, members in BUCKETS:
                inside = members(scored).to_numpy(dtype=bool)
                y = truth[inside]
                rows.append(
                    {
                        "target": target,
                        "method": method,
                        "bucket": bucket,
                        "players": int(inside.sum()),
                        "positives": int(y.sum()),
                        **_metrics(y, values[inside], labelled[inside]),
                    }
                )
    return pd.DataFrame(rows)


def _flags(scored: pd.DataFrame) -> dict[str, Callable[[pd.DataFrame], pd.Series]]:
    def model(s: pd.DataFrame) -> pd.Series:
        return s["label"].isin([SMURF, BOOSTED])

    def rule(s: pd.DataFrame) -> pd.Series:
        return (win_rate_rule(s, "smurf") + win_rate_rule(s, "boosted")) > 0

    def weighted(s: pd.DataFrame) -> pd.Series:
        return (weighted_rules(s, "smurf") >= RULE_FLAG_AT) | (
            weighted_rules(s, "boosted") >= RULE_FLAG_AT
        )

    return {"model": model, "winrate_rule": rule, "weighted_rules": weighted}


def _flag_rate_table(scored: pd.DataFrame, carried: pd.Series) -> pd.DataFrame:
    flagged = pd.DataFrame({name: f(scored) for name, f in _flags(scored).items()})
    flagged["population"] = scored["population"]
    # The model's flags apart too: a boosted account labelled SMURF is a miss for boosted.
    flagged["as_smurf"] = scored["label"].eq(SMURF)
    flagged["as_boosted"] = scored["label"].eq(BOOSTED)
    # The report's lead beside them, never part of "model": carried by an account the
    # model labels SMURF.
    flagged["carried"] = carried.to_numpy()
    columns = ["model", "as_smurf", "as_boosted", *METHODS[1:], "carried"]
    table = flagged.groupby("population").agg(
        players=("model", "size"), **{c: (c, "mean") for c in columns}
    )
    return table.reset_index()


def _carried(
    con: duckdb.DuckDBPyConnection,
    scores: pd.DataFrame,
    params: ScoringParams,
    as_of: datetime | None,
) -> set[str]:
    """Who the report's "Carried by a suspected smurf" would list, judged by these scores'
    labels rather than the stored ones."""
    from pipeline.explorer.carried import carried_players  # the explorer reads this module

    listed = carried_players(
        con, min_games=params.min_games, as_of=as_of, queues=params.queues, labels=scores
    )
    return set(listed["puuid"])


def load_truth(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The simulator's ground truth per puuid (population, is_smurf, is_boosted, is_trap)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sim_truth'"
    ).fetchone()
    if not found or found[0] == 0:
        raise NoGroundTruthError()
    return con.execute(
        "SELECT puuid, population, is_smurf, is_boosted, is_trap FROM sim_truth"
    ).df()


def evaluate(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams = DEFAULT_PARAMS,
    as_of: datetime | None = None,
    truth: pd.DataFrame | None = None,
) -> EvaluationReport:
    """Score everyone and compare the model and the two rules with the ground truth:
    ``truth`` when given (as ``load_truth`` returns it), else the simulator's ``sim_truth``.

    Profiles count as fresh as of ``as_of`` or, without it, as of the newest profile the
    database holds: a crawl is judged as it stood when it was made, however long ago.
    """
    truth = load_truth(con) if truth is None else truth
    features = feature_frame(con, params, None, as_of)
    newest_profile = pd.to_datetime(features["profile_checked_at"]).max()
    judged_at = as_of or (None if pd.isna(newest_profile) else newest_profile.to_pydatetime())
    scores = score_frame(features, params, judged_at, spread=frame_spread(features))
    scored = scores.merge(truth, on="puuid", how="inner")
    candidates = len(scored)
    scored = scored[scored["games_analyzed"] >= params.min_games].reset_index(drop=True)
    carried = _carried(con, scores, params, as_of)
    return EvaluationReport(
        metrics=_metric_table(scored),
        flag_rates=_flag_rate_table(scored, scored["puuid"].isin(carried)),
        players=len(scored),
        model_version=MODEL_VERSION,
        reference_stale=reference_is_stale(con),
        min_games=params.min_games,
        candidates=candidates,
        scored=scored,
    )
