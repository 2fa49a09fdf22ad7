"""How play in the games won and lost spreads over a crawl's players, so that throwing is
judged against the crawl it was seen in.

Throwing (``model.deliberate_losses``) multiplies two readings of a player's games: deaths
against the lobby's in the games lost, and the gap between play in the games won and in
those lost. How wide both spread among ordinary players is a property of the world: an
independently written world whose numbers follow a game's result more spread them wider
than the bundled simulator's (loss deaths 0.28 against 0.22-0.25), and the same weights
then read its ordinary players, boosted and shared accounts as throwers. So each reading is
first mapped onto the spread the models were fitted on (``REFERENCE``): its median moved to
the reference's, its distance from the median scaled by the ratio of the spreads. On a crawl
like the training ones the mapping is about the identity.

A spread is the median and the interquartile range (over 1.349, a normal's standard
deviation) of each reading over the players with at least ``SPREAD_MIN_GAMES`` analysed
games, pulled toward the reference by ``SPREAD_PRIOR_PLAYERS`` pseudo-players, so that a
small database scores as the reference would. The analyzer keeps the crawl's spread in
``scoring_state`` (worked out again with the baselines, see ``upkeep``): a pass scores a few
players against the whole crawl's spread, never their own.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import duckdb
import numpy as np
import pandas as pd

from pipeline.analysis.features import (
    LOBBY_LOSSES_Z,
    LOBBY_WINS_Z,
    LOSS_DEATHS_Z,
    feature_frame,
    latest_inputs,
)
from pipeline.analysis.params import ScoringParams

# Players with fewer analysed games than this say little about the spread of their play.
SPREAD_MIN_GAMES = 5
# Pseudo-players at the reference's spread: a crawl of 200 such players sits halfway.
SPREAD_PRIOR_PLAYERS = 200.0
_QUARTILES = (0.25, 0.5, 0.75)
# The interquartile range of a normal distribution in standard deviations.
_IQR_PER_SD = 1.349
STATE_COLUMNS = (
    "loss_deaths_median",
    "loss_deaths_scale",
    "win_loss_gap_median",
    "win_loss_gap_scale",
    "spread_players",
)


@dataclass(frozen=True)
class PlaySpread:
    """Median and scale of loss deaths (``loss_deaths_z``) and of the win-loss gap
    (``lobby_perf_wins - lobby_perf_losses``) over a crawl's players; ``players``: how many."""

    loss_deaths_median: float
    loss_deaths_scale: float
    win_loss_gap_median: float
    win_loss_gap_scale: float
    players: int = 0

    def loss_deaths(self, values: pd.Series) -> pd.Series:
        """``values`` (loss deaths) as they would sit in the reference's spread."""
        return _mapped(
            values,
            (self.loss_deaths_median, self.loss_deaths_scale),
            (REFERENCE.loss_deaths_median, REFERENCE.loss_deaths_scale),
        )

    def win_loss_gap(self, values: pd.Series) -> pd.Series:
        """``values`` (win-loss gaps) as they would sit in the reference's spread."""
        return _mapped(
            values,
            (self.win_loss_gap_median, self.win_loss_gap_scale),
            (REFERENCE.win_loss_gap_median, REFERENCE.win_loss_gap_scale),
        )

    def moved_from(self, other: PlaySpread) -> float:
        """The largest move of a median or scale between ``other`` and this, in the
        reference's scales."""
        return max(
            abs(self.loss_deaths_median - other.loss_deaths_median) / REFERENCE.loss_deaths_scale,
            abs(self.loss_deaths_scale - other.loss_deaths_scale) / REFERENCE.loss_deaths_scale,
            abs(self.win_loss_gap_median - other.win_loss_gap_median)
            / REFERENCE.win_loss_gap_scale,
            abs(self.win_loss_gap_scale - other.win_loss_gap_scale) / REFERENCE.win_loss_gap_scale,
        )


# The median over the nine training crawls (``model.SMURF_MODEL``) of each crawl's own
# spread, before shrinkage (4,726-5,271 players each): the spread the weights were fitted
# on. Their medians and scales ranged 0.181-0.218 and 0.222-0.232 (loss deaths), 0.340-0.359
# and 0.188-0.198 (the gap).
REFERENCE = PlaySpread(0.2077, 0.2268, 0.3525, 0.1895)


def _mapped(
    values: pd.Series, own: tuple[float, float], reference: tuple[float, float]
) -> pd.Series:
    mapped: pd.Series = reference[0] + (values - own[0]) * (reference[1] / own[1])
    return mapped


def spread_of(loss_deaths: np.ndarray, win_loss_gap: np.ndarray) -> PlaySpread:
    """The spread of the two readings over some players (one value each), shrunk toward the
    reference by ``SPREAD_PRIOR_PLAYERS``."""
    players = len(loss_deaths)
    if players == 0:
        return REFERENCE
    deaths = np.quantile(np.asarray(loss_deaths, dtype="float64"), _QUARTILES)
    gap = np.quantile(np.asarray(win_loss_gap, dtype="float64"), _QUARTILES)
    return _shrunk(players, tuple(deaths), tuple(gap))


def _shrunk(
    players: int, deaths: tuple[float, float, float], gap: tuple[float, float, float]
) -> PlaySpread:
    """A spread from the quartiles of each reading over ``players``, pulled toward the
    reference; the scale never below a tenth of the reference's (a crawl of one kind of
    player)."""
    weight = players / (players + SPREAD_PRIOR_PLAYERS)

    def pulled(own: float, reference: float) -> float:
        return weight * own + (1.0 - weight) * reference

    def scale(quartiles: tuple[float, float, float], reference: float) -> float:
        own = (quartiles[2] - quartiles[0]) / _IQR_PER_SD
        return max(pulled(own, reference), reference / 10.0)

    return PlaySpread(
        pulled(deaths[1], REFERENCE.loss_deaths_median),
        scale(deaths, REFERENCE.loss_deaths_scale),
        pulled(gap[1], REFERENCE.win_loss_gap_median),
        scale(gap, REFERENCE.win_loss_gap_scale),
        players,
    )


def frame_spread(features: pd.DataFrame) -> PlaySpread:
    """The spread over the players of a feature frame (``feature_frame``) with enough games:
    the crawl's, when the frame holds every player."""
    enough = features[features["games_analyzed"] >= SPREAD_MIN_GAMES]
    gap = enough["lobby_perf_wins"] - enough["lobby_perf_losses"]
    return spread_of(enough["loss_deaths_z"].to_numpy(), gap.to_numpy())


def inputs_spread(con: duckdb.DuckDBPyConnection, params: ScoringParams) -> PlaySpread:
    """The crawl's spread from the analyzer's score inputs (``inputs``), which must be
    current: one pass over one row per player."""
    row = con.execute(
        f"""SELECT count(*),
                   quantile_cont({LOSS_DEATHS_Z}, {list(_QUARTILES)}),
                   quantile_cont({LOBBY_WINS_Z} - {LOBBY_LOSSES_Z}, {list(_QUARTILES)})
            FROM ({latest_inputs()}) pg WHERE pg.games >= {SPREAD_MIN_GAMES}""",
        {"perf_prior": params.performance_prior_games},
    ).fetchone()
    if row is None or not row[0]:
        return REFERENCE
    return _shrunk(int(row[0]), tuple(row[1]), tuple(row[2]))


def stored_spread(con: duckdb.DuckDBPyConnection) -> PlaySpread | None:
    """The spread the analyzer keeps, if it has worked one out."""
    row = con.execute(f"SELECT {', '.join(STATE_COLUMNS)} FROM scoring_state").fetchone()
    if row is None or any(value is None for value in row):
        return None
    deaths_median, deaths_scale, gap_median, gap_scale, players = row
    return PlaySpread(
        float(deaths_median), float(deaths_scale), float(gap_median), float(gap_scale), int(players)
    )


def store_spread(con: duckdb.DuckDBPyConnection, spread: PlaySpread) -> None:
    """Keep ``spread`` as the crawl's (in the analyzer's transaction)."""
    sets = ", ".join(f"{column} = ?" for column in STATE_COLUMNS)
    # The fields in the columns' order (a test reads them back through ``stored_spread``).
    con.execute(f"UPDATE scoring_state SET {sets}", list(astuple(spread)))


def crawl_spread(
    con: duckdb.DuckDBPyConnection,
    params: ScoringParams,
    *,
    kept: bool,
    everyone: pd.DataFrame | None = None,
) -> PlaySpread:
    """The spread of the crawl in ``con``: the analyzer's when ``kept`` (its baselines are
    the ones scored against) and it has one, else from ``everyone`` (a feature frame of
    every player) or, without it, from every player's features read now."""
    if kept:
        stored = stored_spread(con)
        if stored is not None:
            return stored
    if everyone is None:
        everyone = feature_frame(con, params, cached_baselines=kept, kept_inputs=False)
    return frame_spread(everyone)
