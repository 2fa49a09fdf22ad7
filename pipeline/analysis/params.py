"""The knobs of scoring, in one frozen object, and the version of the model they feed."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.analysis.errors import AnalysisError

# Recorded with every stored score; bump when features, weights or labels change meaning.
MODEL_VERSION = "smurf-logit-21"

RANKED_SOLO_QUEUE = 420


@dataclass(frozen=True)
class ScoringParams:
    """What to look at and how hard to shrink it.

    queues: queue ids whose games are analysed (420 = ranked solo).
    min_games: fewer games than this gives the label INSUFFICIENT_DATA.
    rank_queue: the league queue whose snapshots give tier and climb.
    winrate_prior_games: pseudo-games of a Beta(a, a) prior at 50% (a = half of this);
        with 20, 3 wins of 3 shrink to 13/23 = 57%.
    performance_prior_games: pseudo-games at z = 0 added to every per-game z average, so a
        player with few games is pulled toward "ordinary".
    baseline_prior_games: pseudo-games pulling a tier x role baseline toward its role-wide
        value (and a role toward the documented defaults), for small databases.
    profile_max_age_hours: a player is labelled only with a profile (summoner level and
        league entry) at most this old when scored; older or missing: INSUFFICIENT_DATA.
    smurf_threshold: the smurf score from which SMURF is given: the lowest that kept the
        label's precision at 0.85 over the training crawls pooled, each scored by weights
        fitted on the others (``fit.held_out_threshold``), so it is chosen for worlds the
        weights never saw (0.5824 over the nine crawls the smurf model was fitted on, its
        smurfs on old accounts counted as missed). Chosen on the crawls the weights were
        fitted to, it would be 0.566, and promise more than a new world gives. A rule once
        used kept 0.85 on each crawl alone: the hardest crawl set it, and on held-out
        crawls SMURF labels were then right 94-100 % of the time where 85 % was asked,
        with 7-32 % less recall.
    boosted_threshold: the probability of "boosted, not a smurf" (boosted score x (1 - smurf
        score), ``scoring.boosted_not_smurf``) from which BOOSTED is given to a player not
        labelled SMURF. Chosen on the ten training crawls, each scored by both models fitted
        on the others (``python -m pipeline.analysis.fit``): the highest that keeps the
        recall the boosted score alone had at 0.58, its threshold before (0.531), so what
        the rule gains goes to precision (0.880 -> 0.917). At 0.44 it would keep the
        precision and gain recall instead, with twice the ordinary players labelled
        BOOSTED on ten rescored crawls (27 -> 55; 31 at 0.52): a smurf labelled BOOSTED is
        still a suspect, an ordinary player is not.
    """

    queues: tuple[int, ...] = (RANKED_SOLO_QUEUE,)
    min_games: int = 5
    rank_queue: str = "RANKED_SOLO_5x5"
    winrate_prior_games: float = 20.0
    performance_prior_games: float = 5.0
    baseline_prior_games: float = 200.0
    profile_max_age_hours: float = 72.0
    smurf_threshold: float = 0.582
    boosted_threshold: float = 0.52

    def __post_init__(self) -> None:
        if not self.queues:
            raise AnalysisError("ScoringParams.queues is empty: name at least one queue id.")
        if self.min_games < 1:
            raise AnalysisError(f"min_games must be at least 1 (got {self.min_games}).")
        for name in ("smurf_threshold", "boosted_threshold"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise AnalysisError(f"{name} must be between 0 and 1 (got {value}).")
        for name in (
            "winrate_prior_games",
            "performance_prior_games",
            "baseline_prior_games",
            "profile_max_age_hours",
        ):
            if getattr(self, name) <= 0:
                raise AnalysisError(f"{name} must be positive (got {getattr(self, name)}).")


# Frozen, so one shared instance serves as every function's default.
DEFAULT_PARAMS = ScoringParams()
