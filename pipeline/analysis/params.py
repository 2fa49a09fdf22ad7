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
    smurf_threshold: the smurf score from which SMURF is given, where the smurf case is the
        stronger by log-odds. Chosen on the ten training crawls the smurf model was fitted
        on, each scored by weights fitted on the others (``python -m
        pipeline.analysis.fit``; its smurfs on old accounts counted as missed): the highest
        that keeps the recall smurf-logit-20's labels had there (0.538 at 0.582; 0.540 at
        0.50), so what smurf-logit-21's refit gains goes to precision (0.860 -> 0.870), as
        for BOOSTED. The lowest that keeps 0.85 (``fit.held_out_threshold``), the rule
        before, would be 0.481: the stronger penalty of the refit spreads the probabilities
        less, and on ten rescored crawls it gave 1,480 SMURF labels, 1,256 right, where
        smurf-logit-20 gave 1,454, 1,250 right (0.50: 1,458, 1,246 right). A
        threshold chosen on the crawls the weights were fitted to promises more than a new
        world gives; one that kept 0.85 on each crawl alone was set by the hardest crawl,
        and on held-out crawls SMURF labels were then right 94-100 % of the time where 85 %
        was asked, with 7-32 % less recall.
    boosted_threshold: the probability of "boosted, not a smurf" (boosted score x (1 - smurf
        score), ``scoring.boosted_not_smurf``) from which BOOSTED is given to a player not
        labelled SMURF. Chosen on the ten training crawls, each scored by both models fitted
        on the others (``python -m pipeline.analysis.fit``): the highest that keeps the
        recall the boosted score alone had at 0.58, its threshold before (0.531; 0.537 at
        0.52), so what the rule gains goes to precision (0.880 -> 0.908). At 0.44 it would
        keep the precision and gain recall instead, with twice the ordinary players labelled
        BOOSTED on ten rescored crawls (27 -> 55; 31 at 0.52, smurf-logit-20's smurf
        model): a smurf labelled BOOSTED is still a suspect, an ordinary player is not.
    """

    queues: tuple[int, ...] = (RANKED_SOLO_QUEUE,)
    min_games: int = 5
    rank_queue: str = "RANKED_SOLO_5x5"
    winrate_prior_games: float = 20.0
    performance_prior_games: float = 5.0
    baseline_prior_games: float = 200.0
    profile_max_age_hours: float = 72.0
    smurf_threshold: float = 0.50
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
