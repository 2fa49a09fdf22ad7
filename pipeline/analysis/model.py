"""The two logistic models: which factors, with what weight, and how a score is explained.

For a player with factor inputs x_i, each model's log-odds is

    logit = intercept + sum_i (line_i(x_i) - line_i(center_i))

where ``line_i`` is a straight line of slope ``weight_i`` or, for a bent factor, a line
bent at a few knots (quantiles of the factor over the training players) with a slope of its
own on each piece, every slope of the sign the factor's name reads (more throwing never
lowers the smurf odds; the line may only flatten): a straight line could not say that
the first signs of a factor matter more than its extremes, or the reverse. The
*contribution* of factor i is ``line_i(x_i) - line_i(center_i)``: how far the player's value
moves the odds away from a player sitting at every center (a typical player), and the
intercept is reported as the factor ``prior``. Contributions therefore add up exactly to
the logit, and the probability is ``1 / (1 + exp(-logit))``. A missing input contributes 0.

Inputs (all from ``features.feature_frame``; shrinkage happens there). What the account has
played comes from its profile (summoner level, the solo entry's wins and losses this
season), never from how many of its games were crawled:

    win_rate              logit of the Beta-shrunk win rate over the stored games
    season_win_rate       logit of the Beta-shrunk win rate of the season (league entry)
    season_record         wins minus losses of the season in standard deviations of a fair
                          coin: a long winning record is rare for an even player
    season_above_seen     season_win_rate minus win_rate: how much better the season went
                          than the games stored (its winning happened out of sight)
    new_by_level          max(0, ln 150 - ln level): how new the account looks by level
    new_by_games          max(0, ln 201 - ln(1 + games played this season))
    new_account           new_by_level + new_by_games
    new_account_record    max(season_record, 0) x new_account: winning on a new account
    lobby_performance     composite z against the other nine of each game (``lobby``)
    lobby_wins            the same over the games won only
    lobby_losses          ... and over the games lost only
    lobby_stomps          logit of the shrunk share of games far above the lobby (z >= 1)
    play_swing            ln of the spread (variance) of the games' lobby z about the means
                          of those won and those lost, shrunk toward a steady player's 0.25:
                          play that swings beyond what the results explain, as when two
                          people play one account (a friend some days, a booster then the
                          owner)
    loss_deaths           deaths against the lobby's, in the games lost (z)
    deliberate_losses     max(loss_deaths, 0) x max(lobby_wins - lobby_losses, 0): dominant
                          wins and feeding losses, the mark of throwing games on purpose;
                          at most THROWING_CAP (0.5). Both readings are first mapped from
                          the crawl's spread onto the one the weights were fitted on
                          (``spread``): how far they spread among ordinary players is the
                          world's, not the player's
    throwing_on_even_season
                          deliberate_losses x how even the season is: 1 at a season
                          win rate of 50 % or less, falling to 0 at 57 % (logit 0.3).
                          Throwing to hold a rank leaves the season even; a player who
                          wins most games while feeding some is not holding anything back
    lobby_decline         older half's lobby z minus the recent half's
    rising_on_new_account max(lobby z's rise over the stored games, 0) x new_account: a
                          newcomer learning game by game (a smurf is strong from its first)
    tier_decline          performance minus its trend's value at the newest game: how far
                          play against the tier baseline fell (an owner after a booster)
    lobby_fall            the best week's play against the lobby minus the newest week's
                          (each week's mean shrunk toward 0): a fall from the player's best
                          stretch, whatever span of games is stored (an owner after a
                          booster, even with the owner's own older games stored before)
    long_break            ln(1 + longest gap in days between stored games)
    old_account           how old the account is by level: 0 at level 100 and below,
                          rising to 1 at level 400 and above
    return_on_old_account long_break x old_account: a veteran coming back, not a smurf
    season_games          ln(1 + games played this season)
    champion_spread       1 - share of games on the most played champion
    performance           mean composite z vs the tier x role baseline of each game's tier
    below_current_tier    minus the same against the player's *current* tier's baseline
    recent_below_tier     minus that, over the recent half of the window only
    winning_season_below_tier  max(below_current_tier, 0) x max(season_record, 0): a
                          winning season on an account that plays below its tier: someone
                          else won it (a booster the stored games may not show); shown as
                          "record above play at tier"
    losing_season_below_tier  max(below_current_tier, 0) x max(-season_record, 0): a losing
                          season on an account that plays below its tier: an owner losing
                          back a rank someone else won (read by the boosted model's second
                          part, ``RANK_NOT_HELD_MODEL``)
    older_performance     composite z over the older half of the window only
    account_level         ln(summoner level)
    tier                  tier index, IRON = 0 .. CHALLENGER = 9
    climb_rate            LP gained per ranked game between the first and newest snapshot
    drop_from_peak        hundreds of LP below the best rank seen
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.analysis.spread import PlaySpread

# Keeps logit finite and the level's log defined.
_EPS = 1e-6
MAX_CLIMB_LP_PER_GAME = 100.0
# Ranked games after which an account counts as fully experienced.
EXPERIENCED_GAMES = 200
# Summoner level from which an account no longer looks new (a fresh account starts at 30).
NEW_ACCOUNT_LEVEL = 150.0
OLD_ACCOUNT_FROM_LEVEL = 100.0
# Pseudo-games in season_record's spread: a short record counts for little.
SEASON_PRIOR_GAMES = 20.0
# The season win rate's logit at which a season stops counting as even (about 57 % wins):
# a deranker throws to hold about half. On the training crawls each left out of the fit,
# 0.15 and 0.5 gave the same average precision within 0.005. A player never profiled has
# the prior's even season here, as in ``season_record`` (0): their provisional score, which
# orders whose history is fetched, counts their throwing in full until the profile says
# otherwise; they are never labelled without one.
EVEN_SEASON_UNTIL_LOGIT = 0.3
# Throwing counts up to this much and no more (``deliberate_losses``, and so
# ``throwing_on_even_season``): past it, dying more in the games lost says as much about a
# player who tilts and feeds as about one who throws. The simulator's tilters
# (tilted-feeders, held out) reach it as its deranking smurfs do; uncapped, the smurf
# model's bent line for throwing kept rising where only the simulator's throwers were
# (``SMURF_MODEL``).
THROWING_CAP = 0.5


def line_pieces(values: np.ndarray, knots: Sequence[float]) -> list[np.ndarray]:
    """How far ``values`` run along each piece of a line bent at ``knots`` (below the first
    knot, between each pair, above the last): a bent line is their sum, one slope each."""
    pieces = [np.minimum(values, knots[0]) - knots[0]]
    pieces += [np.clip(values, low, high) - low for low, high in itertools.pairwise(knots)]
    pieces.append(np.maximum(values, knots[-1]) - knots[-1])
    return pieces


@dataclass(frozen=True)
class Factor:
    """One term of a logistic model: ``weight * (x - center)``, or, with ``knots``, a line
    bent at each knot, ``shape(x) - shape(center)``, whose slope is ``slopes[0]`` below the
    first knot, ``slopes[i]`` between knots ``i - 1`` and ``i`` and ``slopes[-1]`` above the
    last. Every slope of a bent factor has the sign of ``weight`` or is 0, so more of it never
    reads the other way; ``weight`` is then its average slope between the outer knots."""

    name: str
    weight: float
    center: float
    knots: tuple[float, ...] = ()
    slopes: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.knots and len(self.slopes) != len(self.knots) + 1:
            raise ValueError(f"{self.name}: a bent factor has one slope more than its knots")
        if list(self.knots) != sorted(set(self.knots)):
            raise ValueError(f"{self.name}: knots must rise")

    def shape(self, x: np.ndarray) -> np.ndarray:
        """The factor's line (bent at the knots) at ``x``, up to a constant."""
        if not self.knots:
            return np.asarray(self.weight * x, dtype="float64")
        runs = line_pieces(np.asarray(x, dtype="float64"), self.knots)
        return np.asarray(sum(s * run for s, run in zip(self.slopes, runs, strict=True)))

    def contribution(self, x: pd.Series) -> pd.Series:
        """Per player, how far the value ``x`` moves the log-odds from the center's; 0 where
        the value is missing."""
        moved = self.shape(x.to_numpy(dtype="float64")) - self.shape(np.array([self.center]))[0]
        return pd.Series(moved, index=x.index).fillna(0.0)


# The contribution of a model's second part (``LogisticModel.rank_not_held``).
RANK_NOT_HELD = "rank_not_held"


@dataclass(frozen=True)
class LogisticModel:
    """A named logistic combination of factor inputs.

    ``rank_not_held``: a second model for the same target, read as another way of being it
    (either suffices: the probability is ``1 - (1 - p) * (1 - p_second)``). The ``prior`` is
    then a typical player's log-odds of either (both parts at every center); the second
    part's share is one more contribution, ``RANK_NOT_HELD``: how far its reading of the
    player moves the log-odds from where a typical reading of it would leave them (0 when
    the part reads the player as typical, above 0 when it sees more); and the first part's
    factors share the rest in proportion to their own contributions (the two parts combined
    move the log-odds a little less than the first part alone: each factor's share is its
    own contribution scaled alike, never turned around). The contributions still add up to
    the logit. The boosted model has one (``BOOSTED_MODEL``).
    """

    target: str
    intercept: float
    factors: tuple[Factor, ...]
    rank_not_held: LogisticModel | None = None

    @property
    def typical_probability(self) -> float:
        """The probability of a player at every center: the intercept's."""
        return float(1.0 / (1.0 + np.exp(-self.intercept)))

    @property
    def contribution_names(self) -> list[str]:
        """The contributions' names besides ``prior``: the factors, then the second part."""
        names = [f.name for f in self.factors]
        return [*names, RANK_NOT_HELD] if self.rank_not_held is not None else names

    def contributions(self, inputs: pd.DataFrame) -> pd.DataFrame:
        """Per player, the contribution of each factor (and ``prior``) to the logit."""
        out = pd.DataFrame(index=inputs.index)
        out["prior"] = self.intercept
        for f in self.factors:
            out[f.name] = f.contribution(inputs[f.name].astype("float64"))
        if self.rank_not_held is not None:
            own = out.sum(axis=1).to_numpy(dtype="float64")
            second = self.rank_not_held.contributions(inputs).sum(axis=1).to_numpy("float64")
            usual = np.full(len(own), self.rank_not_held.intercept)
            alone = np.array([self.intercept]), np.array([self.rank_not_held.intercept])
            typical = float(either_logit(*alone)[0])
            at_usual = either_logit(own, usual)  # the second part reading a typical player
            moved = own - self.intercept
            # How much of the first part's movement the combined log-odds keep (0 < scale
            # <= 1); no movement, nothing to share.
            kept = np.abs(moved) > 1e-12
            scale = np.where(kept, (at_usual - typical) / np.where(kept, moved, 1.0), 1.0)
            factors = [f.name for f in self.factors]
            out[factors] = out[factors].mul(scale, axis=0)
            out["prior"] = typical
            out[RANK_NOT_HELD] = either_logit(own, second) - at_usual
        return out


def either_logit(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The log-odds that either of two independent cases holds, from each one's log-odds:
    ``logit(1 - (1 - p1)(1 - p2))``, computed in logs so that neither over- nor underflows."""
    neither = -np.logaddexp(0.0, first) - np.logaddexp(0.0, second)  # ln (1-p1)(1-p2)
    return np.asarray(np.log(-np.expm1(neither)) - neither, dtype="float64")


def _newness(level: pd.Series, games_played: pd.Series) -> tuple[pd.Series, pd.Series]:
    """How new the account looks by level, and by ranked games played this season (0: not)."""
    by_level = (np.log(NEW_ACCOUNT_LEVEL) - np.log(level.clip(lower=1.0))).clip(lower=0.0)
    by_games = (np.log1p(EXPERIENCED_GAMES) - np.log1p(games_played)).clip(lower=0.0)
    return by_level, by_games


def _old_account(level: pd.Series) -> pd.Series:
    """0 for an account at level 100 or below, rising to 1 at level 400 and above."""
    old: pd.Series = (np.log(level / OLD_ACCOUNT_FROM_LEVEL) / np.log(4.0)).clip(0.0, 1.0)
    return old


def factor_inputs(features: pd.DataFrame, spread: PlaySpread) -> pd.DataFrame:
    """The model inputs derived from a feature frame (vectorised, one row per player), the
    readings of throwing mapped from ``spread`` (the crawl's) onto the reference's."""
    column = features.__getitem__

    def number(name: str) -> pd.Series:
        return column(name).astype("float64")

    def logit(share: pd.Series) -> pd.Series:
        p = share.clip(_EPS, 1 - _EPS)
        odds: pd.Series = p / (1 - p)
        return pd.Series(np.log(odds), index=share.index)

    level = number("summoner_level").clip(lower=1.0)
    played = number("games_played")
    season = number("season_win_rate")
    new_by_level, new_by_games = _newness(level, played)
    new_account = new_by_level + new_by_games
    season_record = (2 * season - 1) * np.sqrt(played.fillna(0.0) + SEASON_PRIOR_GAMES)
    # Without a profile the season is unknown, not even: what compares with it is missing.
    profiled = played.notna()
    wins, losses = number("lobby_perf_wins"), number("lobby_perf_losses")
    long_break = np.log1p(number("longest_gap_days").clip(lower=0.0))
    old_account = _old_account(level)
    win_rate = logit(number("win_rate_shrunk"))
    season_win_rate = logit(season)
    below_current_tier = -number("perf_z")
    climb = number("climb_lp_per_game")
    deliberate_losses = (
        spread.loss_deaths(number("loss_deaths_z")).clip(lower=0.0)
        * spread.win_loss_gap(wins - losses).clip(lower=0.0)
    ).clip(upper=THROWING_CAP)
    even_season = (1.0 - season_win_rate / EVEN_SEASON_UNTIL_LOGIT).clip(0.0, 1.0)
    return pd.DataFrame(
        {
            "win_rate": win_rate,
            "season_win_rate": season_win_rate,
            "season_record": season_record,
            "season_above_seen": (season_win_rate - win_rate).where(profiled),
            "new_by_level": new_by_level,
            "new_by_games": new_by_games,
            "new_account": new_account,
            "new_account_record": season_record.clip(lower=0.0) * new_account,
            "lobby_performance": number("lobby_perf"),
            "lobby_wins": wins,
            "lobby_losses": losses,
            "lobby_stomps": logit(number("stomp_share")),
            "play_swing": np.log(number("lobby_swing")),
            "loss_deaths": number("loss_deaths_z"),
            "deliberate_losses": deliberate_losses,
            "throwing_on_even_season": deliberate_losses * even_season,
            "lobby_decline": -number("lobby_perf_change"),
            "rising_on_new_account": number("lobby_perf_change").clip(lower=0.0) * new_account,
            "tier_decline": number("perf_z") - number("recent_perf_z"),
            "lobby_fall": number("lobby_fall"),
            "long_break": long_break,
            "old_account": old_account,
            "return_on_old_account": long_break * old_account,
            "season_games": np.log1p(played),
            "champion_spread": 1.0 - number("top_champion_share"),
            "performance": number("perf_z"),
            "below_current_tier": below_current_tier,
            "recent_below_tier": -number("recent_perf_z"),
            "winning_season_below_tier": (
                below_current_tier.clip(lower=0.0) * season_record.clip(lower=0.0)
            ).where(profiled),
            "losing_season_below_tier": (
                below_current_tier.clip(lower=0.0) * (-season_record).clip(lower=0.0)
            ).where(profiled),
            "older_performance": number("older_perf_z"),
            "account_level": np.log(level),
            "tier": number("tier_index"),
            "climb_rate": climb.clip(-MAX_CLIMB_LP_PER_GAME, MAX_CLIMB_LP_PER_GAME),
            "drop_from_peak": number("drop_from_peak_lp") / 100.0,
        },
        index=features.index,
    )


def sigmoid(logit: pd.Series) -> pd.Series:
    """The logistic function, elementwise."""
    return pd.Series(1.0 / (1.0 + np.exp(-logit.to_numpy(dtype="float64"))), index=logit.index)


# Fitted by pipeline.analysis.fit (L2 = 1) on what the product's own jobs crawled from the
# training worlds, 18 crawl cycles each, with the fetch order that takes new accounts first
# and a new-account suspect's first ranked games read (MATCH_FETCHER's default): seven worlds
# of 8,000 players, families "standard" and "throwers" (seeds 101, 102), "noisy-loose",
# "lobby-leaning", "skill-leaning" and "light-feeders" (seeds 301-304), whose knobs sit part
# of the way from the standard story towards the held-out families', and "early-boosts"
# (seed 305), whose boosted accounts were boosted early in the season (24,821 labellable
# players in all, 1,159 smurfs and 1,172 boosted). Judged on crawls of the held-out families
# (benchmarks/bench_quality.py), which sit beyond them. Centers are the training players'
# means, so the prior is the log-odds of a player who is average on every factor (low: most
# players are neither). Factors were added one at a time while the average precision of a
# model fitted on some families and tested on the others rose; a factor whose weight read
# against its name through collinearity (a new account *lowering* the smurf odds once its
# winning record is in; the older games' play *lowering* the boosted odds beside the fall
# from them) was left out, so every weight reads the way its name says.
#
# A smurf: a winning record on a new account, wins far above the lobby with feeding losses
# (throwing to hold a win rate), above all on a season kept even, stomping lobbies, staying
# strong even in the games lost;
# a long break on an old account (a veteran's return), many games this season and play that
# rises game by game on a new account (a talented newcomer learning: a smurf is at its level
# from the first game) count against it. The last (``rising_on_new_account``) raised the
# average precision on the training crawls each left out of the fit from 0.628 to 0.638, and
# the labels the threshold gives at 0.85 precision from 377 right to 403. The newest
# (``throwing_on_even_season``, smurf-logit-12) came from where gradient-boosted trees over
# the same inputs split the most: among the 2 % of training players throwing hardest, 46-65 %
# of those with an even season are smurfs and at most 7 % of those winning 54 % or more. It
# raised that average precision from 0.739 to 0.753 and the right labels from 582 to 619
# (the training crawls, made with smurf-logit-11's fetch order). Strong play in the games
# won on an even season, tried next, took a weight against its name beside it. Measured on
# earlier crawls and left out: the account's age (``old_account``; held-out SMURF precision
# against smurf-logit-8's weights up in two families, down in four; on the demo's crawls
# 85 % and 77 % against 85 % and 82 %), the season going better than the games stored
# (``season_above_seen``) and the longest break on any account
# (``long_break``), which with the age raised the average precision on training crawls each
# left out of the fit (0.650 to 0.691) and held-out recall by 0.01-0.05 but lowered SMURF
# precision on the demo's crawls (0.85 and 0.82 to 0.71 and 0.75): a short crawl stores
# dense recent games with no break at all, and every player's smurf odds rose by the break
# they did not show. Gradient-boosted trees over the same inputs rank our crawls' smurfs far
# better (README, "Measured as deployed") but label an independently written world's boosted
# accounts SMURF, so the model stays additive: nine named factors.
#
# Since smurf-logit-14 every smurf factor is bent too, and throwing counts up to
# ``THROWING_CAP``; refitted on eight training worlds crawled with smurf-logit-13's jobs:
# the seven above (same seeds and cycles) and "some-tilters" (seed 306), whose 2.5 %
# tilters feed in the games they lose without a smurf's strength (28,592 labellable
# players, 1,298 smurfs). On those crawls each left out of the fit in turn, average
# precision rose from 0.732 (straight) to 0.776 and the SMURF labels right at the pooled
# threshold from 675 (of 794) to 730 (of 858). The lines: a winning record on a new
# account counts from its first signs and little past 0.17; throwing on an even season
# counts only past 0.12 and most steeply near the cap; many season games count against,
# most steeply around 360-430 games; play in the games lost counts no lower below -0.30.
# Bent but uncapped, throwing's line kept rising where only the simulator's deranking
# smurfs were, and more tilters of the held-out tilted-feeders crawl were flagged: 18 of
# 169 against 14 (fitted on the seven worlds without tilters, 33 against 15;
# smurf-logit-13 flags 30). On held-out crawls see README, "Bent lines".
#
# Since smurf-logit-15 the account's age (``old_account``) counts against a smurf again, read
# from the profile's level: a veteran back in ranked has few season games on an old account,
# and the crawl often stores only the games since the return, so no break shows
# (``return_on_old_account`` is then 0). Refitted on the same eight crawls: flat up to 0.24
# (level 140), then lowering the odds by up to 0.98 at 0.84 (level 320), no further above.
# Average precision on the crawls each left out 0.776 -> 0.780, SMURF right at the pooled
# threshold 730 of 858 -> 738 of 868. On thirteen held-out crawls returning veterans flagged
# 76 -> 39 of 1,499 and talented newcomers 96 -> 114 of 1,756 (README, "A return read from
# the profile").
#
# Since smurf-logit-18 throwing's two readings, loss deaths and the gap between play in the
# games won and lost, are mapped from the crawl's own spread onto the training crawls'
# (``spread``) before they are multiplied; the weights are unchanged. An independently
# written world (the third in README) spreads loss deaths wider (0.28 against 0.22-0.23)
# with a higher gap (0.43 against 0.34-0.36): there throwing on an even season drove 23 of
# its wrong SMURF labels and none of its right ones. Judged against that world's spread,
# its SMURF labels went from 160 at 0.74 precision to 142 at 0.83 at the same recall
# (0.39); the bundled simulator's held-out crawls, whose spread is the training crawls',
# moved within four labels. A fourth world, written after the change, spreads them further
# still (loss deaths' median 0.38): 308 SMURF labels at 0.75 -> 266 at 0.84, recall 0.86 ->
# 0.82 (README, "Throwing judged against the crawl").
#
# Since smurf-logit-19 the weights are refitted as if no smurf played on an account of level
# 300 or more (``fit.fitted_rows``): such an account has been played for years, and whoever
# dominates on it is most likely its owner back from a break. Fitted on the nine training
# crawls of smurf-logit-16's jobs the boosted model was (seeds 101, 102, 301-307; 35,115
# labellable players, 1,592 smurfs, 140 of them on level 300+ left out), each crawl's
# throwing judged against its own spread. Average precision on those crawls each left out
# 0.799 -> 0.759 (their smurfs on old accounts now missed). The account's age lowers the
# odds by 0.1-0.3 between level 180 and 287 (0.3-0.85 before: veterans there score a little
# higher, 6 -> 13 of 464 labelled SMURF on five held-out crawls), 1.1 at 300, 2.2 at 320 and
# 6.1 from 400 (at most 0.98 before). The bundled simulator's smurfs on bought old accounts
# (9 % of its smurfs) are missed: smurf ROC-AUC on its held-out crawls 0.959-0.971 ->
# 0.938-0.962. The independent worlds, which put no smurf there, gain: the fourth world's
# returning veterans labelled SMURF 16 -> 3 of 86 and its SMURF labels 266 at 0.84 -> 250
# at 0.88, recall 0.822 -> 0.815 (README, "Old accounts are their owners'").
SMURF_MODEL = LogisticModel(
    target="smurf",
    intercept=-5.9971,
    factors=(
        Factor(
            "new_account_record",
            0.5852,
            0.3053,
            knots=(0.0, 0.1782, 1.0024, 2.4433),
            slopes=(0.0, 8.024, 0.0, 0.0, 0.4811),
        ),
        Factor(
            "deliberate_losses",
            3.2201,
            0.1008,
            knots=(0.0, 0.0086, 0.0653, 0.1504, 0.2571, 0.4043),
            slopes=(0.0, 41.9222, 0.0, 5.759, 4.2292, 0.0, 10.2291),
        ),
        Factor(
            "lobby_stomps",
            1.1146,
            -2.8235,
            knots=(-4.0279, -3.5875, -3.0195, -2.0163, -1.4125, -0.8177),
            slopes=(2.5171, 2.3935, 0.8532, 1.1951, 1.1459, 0.25, 0.803),
        ),
        Factor(
            "return_on_old_account",
            -1.8234,
            0.9249,
            knots=(0.0, 0.2725, 1.83, 2.7081, 3.3673),
            slopes=(0.0, 0.0, -2.5937, -1.9956, -0.5279, -0.1159),
        ),
        Factor(
            "season_games",
            -4.9049,
            5.3094,
            knots=(4.1897, 4.9628, 5.5294, 5.8861, 6.0544, 6.18),
            slopes=(0.0, -2.0364, 0.0, -2.8702, -39.1613, -4.5642, -2.1322),
        ),
        Factor(
            "lobby_losses",
            4.7675,
            -0.1813,
            knots=(-0.4329, -0.303, -0.1728, -0.0496, 0.0649, 0.1964),
            slopes=(0.0, 0.0, 5.4324, 5.8804, 8.794, 4.2701, 3.3411),
        ),
        Factor(
            "rising_on_new_account",
            -3.4986,
            0.1023,
            knots=(0.0, 0.0652, 0.3428, 0.8032),
            slopes=(0.0, -5.7627, -5.5163, -1.9614, 0.0),
        ),
        Factor(
            "throwing_on_even_season",
            4.7898,
            0.0854,
            knots=(0.0, 0.0033, 0.0487, 0.1259, 0.2271, 0.3646),
            slopes=(0.0, 0.0, 0.0, 0.0, 1.2806, 11.7582, 27.7438),
        ),
        Factor(
            "old_account",
            -6.0985,
            0.368,
            knots=(0.0, 0.2057, 0.7605, 1.0),
            slopes=(0.0, 0.0, -0.5823, -24.1147, 0.0),
        ),
    ),
)

# A boosted account: its play against the lobby fell from its best week (someone else at the
# keyboard) to the newest (the owner), and against the tier baseline from the trend's
# average to its newest value; a winning season over many games (a new account is rarely
# boosted), strong against its lobbies in the games won and stomping some, and a winning
# season on an account that plays below its tier: the booster's games may be out of the
# stored history altogether (boosted early in the season), and only the season's record and
# the tier still show them. The fall is judged above all week by week (``lobby_fall``): a
# line through every stored game (``tier_decline``, once the strongest factor at 10.4) no
# longer ends low once the owner's own earlier weeks are stored too (a suspect's first games
# bring early-season lobbies in). On three held-out worlds crawled with the first games,
# boosted ROC-AUC (``smurf evaluate``) was 0.89-0.93 for smurf-logit-10, whose fall was that
# line, and 0.973-0.978 for these weights. Kept beside the weekly fall at a fifth of its old
# weight, the line still helps where the boost was long ago (held-out long-ago-boosts,
# labellable players: 0.919 without it, 0.941 with it).
#
# Since smurf-logit-13 every boosted factor is bent (``Factor``), refitted on the seven
# training worlds crawled again with smurf-logit-12's fetch order (the same families, seeds
# and cycles; 24,703 labellable players, 1,149 boosted). The lines show what a straight one
# could not: the trend's fall counts only once it is clear (flat up to 0.16, then 16 per
# unit, 4.5 past 0.29), a winning season counts up to 1.3 standard deviations and no more,
# a winning season below the tier only past 0.09, and the weekly fall not below 0.05, most
# steeply from 0.26 to 0.59 and no further above. On those
# crawls each left out of the fit in turn, average precision rose from 0.705 to 0.777 and
# the BOOSTED labels right at the pooled threshold from 564 (of 663) to 694 (of 816); on
# held-out crawls see README, "Bent lines".
#
# Since smurf-logit-16 those factors are kept as they are and one more is fitted beside them
# (``fit.fit_model`` with ``base``: their log-odds an offset, the intercept moved): play that
# swings beyond what its results explain (``play_swing``), as when two people play one
# account: a friend on some days, a booster then the owner. An independently written world
# showed it (its shared accounts' spread 0.54 against 0.26 for ordinary players; its
# boosted accounts' 0.59), and so does the bundled simulator's shared-accounts family.
# Fitted on four training worlds crawled with smurf-logit-15's jobs (standard, throwers,
# lobby-leaning and some-shared, seeds 101, 102, 302 and 307, 18 rounds; 15,589 labellable
# players, 830 boosted, 113 of them shared accounts): flat up to -1.56 (a spread of 0.21),
# rising most steeply from -1.27 to -1.08 (0.28 to 0.34) and no further above -0.79
# (0.46). On those crawls each left out in turn, average precision 0.716 -> 0.737 and
# ROC-AUC 0.946 -> 0.953; at the thresholds chosen the same way (0.653 without it, 0.762
# with it) BOOSTED right 442 of 520 -> 449 of 528. Fitted beside the kept factors rather
# than refitting them all: four crawls were made for it in this release, against the seven
# the others were fitted on. Deranking smurfs swing too (their thrown games that still win):
# on three held-out crawls 9 of them were labelled BOOSTED before, 10 with it (the smurf
# model's stronger log-odds label the others SMURF). On held-out crawls see README, "Play
# that swings".
#
# Since smurf-logit-17 every boosted factor, the play swing among them, is refitted together
# on nine training worlds crawled with smurf-logit-16's jobs (the seven above, "some-tilters"
# and "some-shared", seeds 101, 102 and 301-307, 18 rounds; 35,115 labellable players, 1,665
# boosted, 114 of them shared accounts) with a stronger L2 penalty (100, ``fit.L2_BY_TARGET``:
# the strongest that costs the crawls each left out of the fit no more than 0.005 of average
# precision, 0.759 -> 0.756). The penalty shrinks the slopes the training stories favour
# most (the trend's fall 4.6 -> 1.8, newness by games -5.0 -> -2.1) and leans on the others
# a little more; on the held-out crawls (README, "Refitted with a stronger penalty") the
# average precision rose on five, the independent third world most (0.732 -> 0.753), where
# the same refit with the penalty of 1 lost (0.720), and fell on long-ago-boosts (0.716 ->
# 0.658, crawled after the choice), whose boosts show mostly in the trend's fall. The lines:
# the weekly fall counts only past 0.15, the play swing all along and most steeply from
# -1.24 to -1.07 (a spread of 0.29 to 0.34), a winning season up to 1.3 standard deviations.
# Since smurf-logit-20 the boosted model has a second part (``LogisticModel.rank_not_held``):
# an account whose rank its owner's own play does not hold, the booster's games out of
# sight (boosted before the stored games, or before the season; a bought ranked account).
# The first part learned a boosted account from a booster's games in sight (a winning
# stretch, play that swings, a fall from the best week) and reads these the other way: the
# held-out ``past-boosts`` family scored boosted ROC-AUC 0.179 as the product crawled it, an
# independent world's bought accounts 0.381. One additive model cannot read a season's
# record and play in games won one way for a booster in sight and the other way for an owner
# alone (a factor "losing season below the tier" added to it reached past-boosts 0.63, the
# seventh world 0.39); a second part, either sufficing, reads them its own way.
#
# Fitted (``fit.fit_rank_not_held``) on the players the first part gives less than 0.1 on
# ten training crawls (the nine smurf-logit-19 was fitted on and ``some-past-boosts``: a
# ``past_boost_share`` of 0.5, stat noise 1.05, seed 308; 36,049 of 39,015 labellable players,
# 323 boosted among them), from three readings of play below the tier (below_current_tier,
# recent_below_tier, losing_season_below_tier), each bent to raise the odds: the fit kept
# a losing season below the tier past 0.34 and recent play far below it, and left the
# window's play below the tier flat (it drops out). The first part is smurf-logit-19's,
# unchanged. Rescored as the product crawled them (README, "A rank its owner's own play
# does not hold"), boosted ROC-AUC: past-boosts 0.179 -> 0.567, the independent sixth and
# seventh worlds 0.642 -> 0.865 and 0.381 -> 0.526, the fifth 0.911 -> 0.953; the other
# held-out crawls and the fourth world within 0.003. It rarely reaches the BOOSTED threshold
# alone: the ranking moves, the labels hardly (14 new ones over ten databases, 9 right).
RANK_NOT_HELD_MODEL = LogisticModel(
    target="boosted",
    intercept=-4.7801,
    factors=(
        Factor(
            "recent_below_tier",
            0.0739,
            0.0158,
            knots=(-0.3271, -0.1547, 0.0272, 0.1986, 0.3484, 0.4885),
            slopes=(0.0, 0.0, 0.0, 0.0, 0.0519, 0.3749, 1.4642),
        ),
        Factor(
            "losing_season_below_tier",
            3.2634,
            0.0428,
            knots=(0.0, 0.0219, 0.1441, 0.3423),
            slopes=(0.0, 0.0, 0.0, 0.0, 3.2634),
        ),
    ),
)

BOOSTED_MODEL = LogisticModel(
    target="boosted",
    intercept=-5.6179,
    factors=(
        Factor(
            "lobby_fall",
            4.5606,
            0.1812,
            knots=(0.0, 0.0436, 0.1531, 0.2631, 0.3755, 0.6008),
            slopes=(0.0, 0.0, 0.0, 3.7952, 8.1217, 6.2569, 0.0),
        ),
        Factor(
            "tier_decline",
            1.7839,
            0.0052,
            knots=(-0.1655, -0.0833, -0.0022, 0.0816, 0.1751, 0.2913),
            slopes=(0.0, 0.0, 0.0, 0.0, 0.0, 7.0128, 3.2997),
        ),
        Factor(
            "new_by_games",
            -2.1383,
            0.301,
            knots=(0.0, 0.3545, 1.1289, 2.0452),
            slopes=(0.0, -2.375, -3.0862, -1.2457, -0.2036),
        ),
        Factor(
            "lobby_wins",
            2.4184,
            0.2027,
            knots=(-0.0473, 0.0479, 0.1705, 0.3204, 0.5028, 0.7286),
            slopes=(2.9209, 1.1685, 3.6765, 4.4737, 3.5297, 0.0, 0.0),
        ),
        Factor(
            "season_record",
            0.5505,
            0.0284,
            knots=(-1.2025, -0.639, 0.0, 0.6626, 1.2887, 1.9693),
            slopes=(0.3659, 0.2535, 0.6807, 1.0172, 0.7896, 0.0, 0.0),
        ),
        Factor(
            "winning_season_below_tier",
            0.731,
            0.0282,
            knots=(0.0, 0.0926, 0.2543),
            slopes=(0.0, 0.5099, 0.8576, 1.9725),
        ),
        Factor(
            "play_swing",
            3.4206,
            -1.3683,
            knots=(-1.6458, -1.5409, -1.4011, -1.2392, -1.0743, -0.8154),
            slopes=(0.2558, 3.1296, 2.7808, 2.0547, 5.4722, 3.4315, 0.0),
        ),
        Factor(
            "lobby_stomps",
            0.3532,
            -2.8175,
            knots=(-4.0279, -3.5875, -3.0195, -2.0163, -1.4125, -0.8036),
            slopes=(0.6611, 0.0, 0.5998, 0.0454, 0.3779, 0.8613, 0.3993),
        ),
    ),
    rank_not_held=RANK_NOT_HELD_MODEL,
)

MODELS = (SMURF_MODEL, BOOSTED_MODEL)


def _readings(model: LogisticModel) -> tuple[dict[str, float], dict[str, float]]:
    """Each contribution's weight and center as its words read them (``factor_phrase``): a
    factor's own; the second part's (``RANK_NOT_HELD``) reads one way, more of it raising
    the score, about its value, the part's probability, a typical player's its center."""
    weights = {f.name: f.weight for f in model.factors}
    centers = {f.name: f.center for f in model.factors}
    if model.rank_not_held is not None:
        weights[RANK_NOT_HELD] = 1.0
        centers[RANK_NOT_HELD] = model.rank_not_held.typical_probability
    return weights, centers


_WEIGHTS = {m.target: _readings(m)[0] for m in MODELS}


# Every factor in words, as a value above its center (the typical player's) reads, and
# (``_LOW_WORDS``) as one below it reads. The words say what the player's value is, never
# whether it raised the score: the sign beside them does ("few season games +0.79" raises the
# smurf score, "many season games -0.40" lowers it).
_FACTOR_WORDS = {
    "new_account_record": "winning record on a new account",
    "return_on_old_account": "return after a break on an old account",
    "season_games": "many season games",
    # The same reading in the boosted model: above its center, fewer games this season.
    "new_by_games": "few season games",
    "season_record": "winning season record",
    # Most players have none of it (0, below the typical value): "low winning season below
    # tier" would read as a poor season.
    "winning_season_below_tier": "record above play at tier",
    "rising_on_new_account": "learning on a new account",
    "lobby_fall": "fall from best week",
    # Play against the tier baseline, not a fall in rank.
    "tier_decline": "fall in play against the tier",
    # Play against the lobby in the games won or lost, not how many: "low lobby losses"
    # read as few games lost.
    "lobby_wins": "play in games won",
    "lobby_losses": "play in games lost",
    "throwing_on_even_season": "throwing on an even season",
    "old_account": "old account",
    "play_swing": "play swinging beyond its results",
    # The boosted model's second part, seeing more than in a typical player.
    RANK_NOT_HELD: "a rank its owner's own play does not hold",
}
# What a value below the center reads as, where "low ..." would not. Most players have 0 of
# a product of two readings (a new account's winning record, throwing, a return on an old
# account): below the center reads as none ("no ...", "little or no ..."), which on a
# brand-new account is what "low return on old account" failed to say.
_LOW_WORDS = {
    "new_account_record": "little or no winning record on a new account",
    "deliberate_losses": "little or no sign of deliberate losses",
    "lobby_stomps": "few lobby stomps",
    "return_on_old_account": "no return after a break on an old account",
    "season_games": "few season games",
    "new_by_games": "many season games",
    "season_record": "even or losing season record",
    "winning_season_below_tier": "record in line with play at tier",
    # Most players show no rise at all, veterans included: a smurf is at its level from its
    # first game, so no rise raises the smurf score a little. "steady play" read as a smurf
    # sign, and "low learning on a new account" means nothing to a veteran.
    "rising_on_new_account": "no newcomer's learning curve",
    "lobby_fall": "little or no fall from best week",
    "tier_decline": "no fall in play against the tier",
    "lobby_wins": "weak play in games won",
    "lobby_losses": "weak play in games lost",
    # Most players throw nothing: "low throwing ..." would read as a little.
    "throwing_on_even_season": "no throwing on an even season",
    # Below the center is a younger account, not a little age.
    "old_account": "younger account",
    "play_swing": "play as steady as its results",
    # The second part seeing less than in a typical player: the play holds the rank.
    RANK_NOT_HELD: "play that holds its rank",
}
_CENTERS = {m.target: _readings(m)[1] for m in MODELS}


def factor_phrase(target: str, name: str, contribution: float, value: float | None = None) -> str:
    """A factor of the ``target`` score in words, as the player's value reads: above the
    factor's center (``_FACTOR_WORDS``) or below it (``_LOW_WORDS``, else "low ..."). A
    contribution's sign and the factor's weight say which side the value is on (a negative
    weight pushes the score up below the center, a positive one pulls it down); a factor
    with no effect (a flat stretch of its line) is placed by its ``value`` when given. A
    factor the models no longer have keeps its name."""
    words = _FACTOR_WORDS.get(name, name.replace("_", " "))
    weight = _WEIGHTS.get(target, {}).get(name)
    if not weight:
        return words
    if contribution:
        low = (weight > 0) != (contribution > 0)
    elif value is not None and not np.isnan(value):
        low = value < _CENTERS[target][name]
    else:
        return words
    return _LOW_WORDS.get(name, f"low {words}") if low else words
