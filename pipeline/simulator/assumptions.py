"""What a simulated world assumes about players, in one frozen object, and named families.

The simulator is one story of how players behave. Detection fitted to one story learns that
story, so the story has knobs (how many smurfs and of which kind, how noisy the numbers are,
how many games smurfs play before they stop, how tightly matchmaking pairs ratings, how
much a player's numbers follow absolute skill against skill relative to the lobby, when
boosters take accounts over) and *families*:
named settings of those knobs that tell different stories. Models are fitted on some
families and judged on the others.

    standard            the default world
    throwers            more smurfs, most of them deranking or duoing
    lobby-driven        numbers follow the lobby far more than absolute skill, noisier
    loose-matchmaking   lobbies spread wide in rating, noisier numbers
    rare-smurfs         1 % smurfs, twice the honest look-alikes
    skill-driven        numbers follow absolute skill more than the lobby
    crowded             10 % smurfs and more boosted accounts
    casual-smurfs       smurfs who play a few games a day, half of them on bought accounts
    quiet-throwers      more deranking smurfs, who throw by idling rather than feeding
    long-ago-boosts     boosted accounts handed back in the first weeks of the season:
                        their owners' games since are all a crawl fetches
    short-lived-smurfs  smurfs that stop (or are banned) after three tenths of the games
                        the standard story gives them: a short season, few games to crawl
    slow-levelling      new accounts gain levels no faster a game than old ones, and smurfs
                        play half as many games a day: an account's levelling says little
    steady-smurfs       the same levelling, smurfs at a quarter of the pace, 35 % of
                        those that do not climb on bought accounts
    gifted-newcomers    more talented newcomers (4 %), who climb twice as far: most end
                        at a smurf's level on a new account, many still rising when a
                        crawl sees them, winning and stomping their lobbies like a smurf
    tilted-feeders      5 % tilters: honest players who feed in many of the games they lose
    shared-accounts     3 % of accounts shared with a much better friend, who plays them on
                        20-50 % of days all season (boosted, with no booster's stretch)
    past-boosts         accounts boosted in an earlier season: rated far above their
                        owners, who play every game since and lose (no booster in sight)
    duo-boosts          3 % of accounts duo-boosted: for a stretch of 60-120 games a paid
                        booster queues with the owner on a new account of its own and
                        carries them up; the owner plays every game (boosted), the
                        booster's account is a smurf

Five more training families move the standard story part of the way towards the held-out
ones, so the fit sees the knobs move without seeing where the held-out families put them:

    noisy-loose         numbers a little noisier, matchmaking a little looser
    lobby-leaning       numbers follow the lobby more than in the standard world
    skill-leaning       numbers follow absolute skill more than in the standard world
    light-feeders       more deranking smurfs, who die less in the games they throw
    early-boosts        boosters take accounts over in the first 35 % of the history: the
                        owner's losing games since are most of what a crawl fetches, and
                        the booster's wins show mostly in the season's record

and three that hold a few of the held-out families' look-alikes, among noisier games:

    some-tilters        2.5 % tilters
    some-shared         1.5 % shared accounts
    some-past-boosts    half the boosted accounts boosted in an earlier season

and one more of that kind that no fit has used yet (held out until the models are refitted
on a crawl of it):

    some-duo-boosts     1.5 % duo-boosted accounts (and their boosters)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum

from pipeline.simulator.errors import SimulatorConfigError


class Population(IntEnum):
    """Ground-truth kind of player."""

    NORMAL = 0
    SMURF = 1  # a strong player on a new (or bought) account, playing to win
    BOOSTED = 2
    TALENTED_NEWBIE = 3  # an improving newcomer: new account, gets better game by game
    ONE_TRICK = 4
    HOT_STREAK = 5
    DERANKING_SMURF = 6  # throws games to hold a low rank, dominates the games it plays to win
    DUO_SMURF = 7  # a smurf queueing with a weaker friend
    OFF_ROLE_SMURF = 8  # a smurf playing roles and champions it does not main
    CLIMBING_SMURF = 9  # plays fast and often, has already climbed to its real level
    RETURNING_VETERAN = 10  # an old account back in ranked after a long break, rank reset
    STRONG_DUO = 11  # a strong player on an old account queueing with a weaker friend
    DUO_FRIEND = 12  # the weaker friend of a duo (of a duo smurf or a strong duo)
    # An ordinary player who tilts: in many of the ranked games it is losing it falls apart
    # and feeds, as a deranking smurf does in the games it throws, but it wins no more than
    # its skill lets it and never dominates a lobby. Only the tilted-feeders family has them.
    TILTER = 13
    # An account a much better friend plays on some days all season, never handing it back
    # (a boost by sharing): the games of both show, mixed day by day, and the season's
    # record is the pair's. Boosted in the ground truth. Only shared-accounts holds them.
    SHARED_ACCOUNT = 14
    # An account whose owner a paid booster carries in duo for a stretch of games: the owner
    # plays every game (its own weak play), a much stronger booster on a new account of its
    # own queues with it and wins them, and the rank climbs. Boosted in the ground truth.
    # Only the duo-boost families hold them, each with its booster (DUO_BOOSTER).
    DUO_BOOSTED = 15
    # The booster of a DUO_BOOSTED account: a high-level player on a new, low-level account
    # made for the boost, which plays nearly all its games in duo with its client during the
    # client's stretch and climbs alongside, then falls silent. A smurf in the ground truth.
    DUO_BOOSTER = 16


SMURF_KINDS = (
    Population.SMURF,
    Population.DERANKING_SMURF,
    Population.DUO_SMURF,
    Population.OFF_ROLE_SMURF,
    Population.CLIMBING_SMURF,
    Population.DUO_BOOSTER,
)
# Accounts played up by someone other than their owner, or carried up in duo by a booster.
BOOSTED_KINDS = (Population.BOOSTED, Population.SHARED_ACCOUNT, Population.DUO_BOOSTED)
# Honest players a naive rule (or a model fitted on one story) is tempted to flag.
TRAPS = (
    Population.TALENTED_NEWBIE,
    Population.ONE_TRICK,
    Population.HOT_STREAK,
    Population.RETURNING_VETERAN,
    Population.STRONG_DUO,
    Population.DUO_FRIEND,
    Population.TILTER,
)
# Populations whose members each bring a friend (drawn from ordinary players).
DUO_CARRIERS = (Population.DUO_SMURF, Population.STRONG_DUO)

# Summoner levels an old account gains a game (a new one: ``new_account_levelling``).
OLD_ACCOUNT_LEVELLING = 0.12

DEFAULT_SMURF_MIX: Mapping[Population, float] = {
    Population.SMURF: 0.40,
    Population.DERANKING_SMURF: 0.15,
    Population.DUO_SMURF: 0.15,
    Population.OFF_ROLE_SMURF: 0.15,
    Population.CLIMBING_SMURF: 0.15,
}
DEFAULT_TRAP_SHARES: Mapping[Population, float] = {
    Population.TALENTED_NEWBIE: 0.015,
    Population.ONE_TRICK: 0.015,
    Population.HOT_STREAK: 0.015,
    Population.RETURNING_VETERAN: 0.015,
    Population.STRONG_DUO: 0.01,
}


@dataclass(frozen=True)
class WorldAssumptions:
    """The knobs of the story a world tells.

    smurf_share: share of players who are smurfs of any kind (0.01-0.10 is plausible).
    smurf_mix: relative weight of each smurf kind within smurf_share.
    boosted_share: share of accounts someone else played up for a while.
    shared_share: share of accounts a much better friend plays on 20-50 % of days all
        season (``Population.SHARED_ACCOUNT``, boosted in the ground truth).
    duo_boost_share: share of accounts a paid booster carries in duo for a stretch of games
        (``Population.DUO_BOOSTED``, boosted in the ground truth); each brings its booster's
        new account (``Population.DUO_BOOSTER``, a smurf), as many again, beside the
        smurfs of ``smurf_share``.
    trap_shares: share of each honest look-alike (duo friends come with their carriers).
    stat_noise: multiplies the game-to-game noise of every end-of-game number.
    matchmaking_spread: spread (ladder points, standard deviation) of the error matchmaking
        makes when it sorts players by rating; 0 pairs ratings as closely as the queue allows.
    lobby_weight, absolute_weight: how much a player's numbers follow their skill against
        the lobby, and their skill on the absolute ladder.
    smurf_pace: multiplies how many games a day smurfs play.
    smurf_games: multiplies how many games smurfs play before they stop (or are banned):
        the length of their season, which the league entry reports.
    bought_share: share of smurfs (climbing ones aside) on an old, levelled account.
    thrown_deaths: how many times more often a deranking smurf dies in a game it throws
        (1: it throws by idling, with weak numbers but no extra deaths).
    boost_start: when a booster takes a boosted account over, as a range of fractions of
        the history (0: its first day, 1: now); early boosts leave the owner's games since
        as the newest history and the booster's wins mostly in the season's record.
    past_boost_share: share of boosted accounts a booster played in an earlier season, before
        the history: they start rated 400-1,100 points above their owner, who plays every
        game since (no booster's stretch in sight), and the season's record so far is the
        owner's, a losing one. Only the owner's play, far below the rank, shows the boost.
    new_account_levelling: summoner levels a new account gains a game (an old one gains
        ``OLD_ACCOUNT_LEVELLING``); with smurfs' pace, how fast a smurf's account levels
        against everyone else's.
    newcomer_reach: multiplies how far above its first games a talented newcomer can climb
        in skill, at the same gain a game: at 1 most stop in PLATINUM (1,600-2,000 ladder
        points) after 15-40 games; at 2 most end at a smurf's level or above, and keep rising
        for 30-80 games, so many are still on the way up (winning and stomping like a smurf)
        when a crawl sees them.
    """

    smurf_share: float = 0.04
    smurf_mix: Mapping[Population, float] = field(default_factory=lambda: dict(DEFAULT_SMURF_MIX))
    boosted_share: float = 0.025
    shared_share: float = 0.0
    duo_boost_share: float = 0.0
    trap_shares: Mapping[Population, float] = field(
        default_factory=lambda: dict(DEFAULT_TRAP_SHARES)
    )
    stat_noise: float = 1.0
    matchmaking_spread: float = 0.0
    lobby_weight: float = 0.6
    absolute_weight: float = 0.22
    smurf_pace: float = 1.0
    smurf_games: float = 1.0
    bought_share: float = 0.3
    thrown_deaths: float = 2.5
    boost_start: tuple[float, float] = (0.3, 0.8)
    past_boost_share: float = 0.0
    new_account_levelling: float = 0.3
    newcomer_reach: float = 1.0

    def __post_init__(self) -> None:
        shares = {
            "smurf_share": self.smurf_share,
            "boosted_share": self.boosted_share,
            "shared_share": self.shared_share,
            "duo_boost_share": self.duo_boost_share,
        }
        shares.update({p.name: s for p, s in self.trap_shares.items()})
        for name, share in shares.items():
            if not 0.0 <= share <= 0.5:
                raise SimulatorConfigError(f"{name} must be a share between 0 and 0.5 ({share}).")
        if set(self.smurf_mix) - set(SMURF_KINDS) or set(self.trap_shares) - set(TRAPS):
            raise SimulatorConfigError(
                "smurf_mix names smurf kinds only and trap_shares honest look-alikes only."
            )
        if Population.DUO_BOOSTER in self.smurf_mix:
            raise SimulatorConfigError(
                "smurf_mix cannot name DUO_BOOSTER: boosters come with their clients "
                "(duo_boost_share)."
            )
        if any(w < 0 for w in self.smurf_mix.values()) or not sum(self.smurf_mix.values()) > 0:
            raise SimulatorConfigError("smurf_mix needs non-negative weights, some above 0.")
        carriers = sum(self.shares().get(p, 0.0) for p in DUO_CARRIERS)
        if sum(self.shares().values()) + carriers > 0.6:
            raise SimulatorConfigError(
                "Smurfs, boosted accounts and look-alikes (with duo friends) exceed 60 % of "
                "the world; lower their shares."
            )
        for name in ("stat_noise", "lobby_weight", "absolute_weight"):
            if not 0.0 <= getattr(self, name) <= 5.0:
                raise SimulatorConfigError(f"{name} must be between 0 and 5.")
        if not 0.05 <= self.smurf_pace <= 5.0 or not 0.0 <= self.bought_share <= 1.0:
            raise SimulatorConfigError(
                "smurf_pace must be between 0.05 and 5, bought_share between 0 and 1."
            )
        if not 0.1 <= self.smurf_games <= 5.0:
            raise SimulatorConfigError("smurf_games must be between 0.1 and 5.")
        if not 0.5 <= self.thrown_deaths <= 10.0:
            raise SimulatorConfigError("thrown_deaths must be between 0.5 and 10.")
        start = self.boost_start
        if (
            not isinstance(start, tuple)
            or len(start) != 2
            or not all(isinstance(x, int | float) for x in start)
            or not 0.0 <= start[0] <= start[1] <= 1.0
        ):
            raise SimulatorConfigError(
                "boost_start is a range (low, high) of fractions of the history, "
                f"0 <= low <= high <= 1 (got {self.boost_start})."
            )
        if not 0.0 <= self.past_boost_share <= 1.0:
            raise SimulatorConfigError("past_boost_share must be a share between 0 and 1.")
        if not 0.05 <= self.new_account_levelling <= 2.0:
            raise SimulatorConfigError("new_account_levelling must be 0.05-2 levels a game.")
        if not 0.5 <= self.newcomer_reach <= 3.0:
            raise SimulatorConfigError("newcomer_reach must be between 0.5 and 3.")
        if not 0.0 <= self.matchmaking_spread <= 2000.0:
            raise SimulatorConfigError("matchmaking_spread must be 0-2000 ladder points.")

    def shares(self) -> dict[Population, float]:
        """The share of the world of every population drawn directly (duo friends aside);
        duo-boosted accounts and their boosters in equal shares."""
        total = sum(self.smurf_mix.values())
        out = {kind: self.smurf_share * w / total for kind, w in self.smurf_mix.items()}
        out[Population.BOOSTED] = self.boosted_share
        out[Population.SHARED_ACCOUNT] = self.shared_share
        out[Population.DUO_BOOSTED] = self.duo_boost_share
        out[Population.DUO_BOOSTER] = self.duo_boost_share
        out.update(self.trap_shares)
        return {p: s for p, s in out.items() if s > 0}


def _scaled(shares: Mapping[Population, float], factor: float) -> dict[Population, float]:
    return {p: s * factor for p, s in shares.items()}


STANDARD = WorldAssumptions()
FAMILIES: dict[str, WorldAssumptions] = {
    "standard": STANDARD,
    "throwers": replace(
        STANDARD,
        smurf_share=0.06,
        smurf_mix={
            Population.SMURF: 0.15,
            Population.DERANKING_SMURF: 0.35,
            Population.DUO_SMURF: 0.30,
            Population.OFF_ROLE_SMURF: 0.10,
            Population.CLIMBING_SMURF: 0.10,
        },
    ),
    "lobby-driven": replace(STANDARD, lobby_weight=0.85, absolute_weight=0.05, stat_noise=1.2),
    "loose-matchmaking": replace(STANDARD, matchmaking_spread=350.0, stat_noise=1.3),
    "rare-smurfs": replace(
        STANDARD, smurf_share=0.01, trap_shares=_scaled(DEFAULT_TRAP_SHARES, 2.0)
    ),
    "skill-driven": replace(STANDARD, lobby_weight=0.3, absolute_weight=0.45),
    "crowded": replace(STANDARD, smurf_share=0.10, boosted_share=0.04),
    "casual-smurfs": replace(STANDARD, smurf_pace=0.3, bought_share=0.5),
    "quiet-throwers": replace(
        STANDARD,
        thrown_deaths=1.0,
        smurf_mix={**DEFAULT_SMURF_MIX, Population.DERANKING_SMURF: 0.4},
    ),
    "noisy-loose": replace(STANDARD, stat_noise=1.15, matchmaking_spread=175.0),
    "lobby-leaning": replace(STANDARD, lobby_weight=0.72, absolute_weight=0.13),
    "skill-leaning": replace(STANDARD, lobby_weight=0.45, absolute_weight=0.33),
    "light-feeders": replace(
        STANDARD,
        thrown_deaths=1.6,
        smurf_mix={**DEFAULT_SMURF_MIX, Population.DERANKING_SMURF: 0.3},
    ),
    "early-boosts": replace(STANDARD, boost_start=(0.0, 0.35)),
    "long-ago-boosts": replace(STANDARD, boost_start=(0.0, 0.1)),
    "short-lived-smurfs": replace(STANDARD, smurf_games=0.3),
    "slow-levelling": replace(
        STANDARD, new_account_levelling=OLD_ACCOUNT_LEVELLING, smurf_pace=0.5
    ),
    "steady-smurfs": replace(
        STANDARD,
        new_account_levelling=OLD_ACCOUNT_LEVELLING,
        smurf_pace=0.25,
        bought_share=0.35,
    ),
    "gifted-newcomers": replace(
        STANDARD,
        newcomer_reach=2.0,
        trap_shares={**DEFAULT_TRAP_SHARES, Population.TALENTED_NEWBIE: 0.04},
    ),
    # Honest players who feed in the games they lose: the throwing signs without the
    # smurf's strength (a world written outside the simulator had them).
    "tilted-feeders": replace(
        STANDARD, trap_shares={**DEFAULT_TRAP_SHARES, Population.TILTER: 0.05}
    ),
    # A few tilters among noisier games: a model fitted here has seen feeding in losses
    # that is no smurf's (tilted-feeders, held out, has more of them in standard games).
    "some-tilters": replace(
        STANDARD,
        stat_noise=1.1,
        trap_shares={**DEFAULT_TRAP_SHARES, Population.TILTER: 0.025},
    ),
    # Accounts a better friend plays on some days all season: boosted without a booster's
    # stretch, the owner's games and the friend's mixed (a world written outside the
    # simulator had them, and no BOOSTED label caught one).
    "shared-accounts": replace(STANDARD, shared_share=0.03),
    # Half as many shared accounts among games a little noisier: a model fitted here has
    # seen an account two people play (shared-accounts, held out, has more of them).
    "some-shared": replace(STANDARD, shared_share=0.015, stat_noise=1.05),
    # Accounts boosted in an earlier season, played since by their owners alone: rated far
    # above the owner's play, losing, no booster's games to fetch (a world written outside
    # the simulator had them, and almost no BOOSTED label caught one).
    "past-boosts": replace(STANDARD, past_boost_share=1.0),
    # Half the boosted accounts so, among games a little noisier: what the boosted model's
    # second part (a rank the owner's play does not hold) is fitted on beside the others
    # (past-boosts, held out, has only them).
    "some-past-boosts": replace(STANDARD, past_boost_share=0.5, stat_noise=1.05),
    # Accounts a paid booster carries in duo for a stretch, on a new account of its own: the
    # owner's weak play in every game, the booster's beside it (a world written outside the
    # simulator had them, and the product flagged none of its 40).
    "duo-boosts": replace(STANDARD, duo_boost_share=0.03),
    # Half as many among games a little noisier, for the models to be fitted on. Not yet in
    # TRAINING_FAMILIES (so held out, as every family no fit has used): a refit on it needs
    # every training crawl made again with the same jobs.
    "some-duo-boosts": replace(STANDARD, duo_boost_share=0.015, stat_noise=1.05),
}
# Models are fitted on these and judged on the rest (see pipeline.analysis.fit). Not yet
# some-duo-boosts: no model has been fitted on it, and a refit needs every training crawl
# made again with the same jobs.
TRAINING_FAMILIES = (
    "standard",
    "throwers",
    "noisy-loose",
    "lobby-leaning",
    "skill-leaning",
    "light-feeders",
    "early-boosts",
    "some-tilters",
    "some-shared",
    "some-past-boosts",
)
HELD_OUT_FAMILIES = tuple(name for name in FAMILIES if name not in TRAINING_FAMILIES)


def family(name: str) -> WorldAssumptions:
    """The assumptions of a named family."""
    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(FAMILIES)
        raise SimulatorConfigError(
            f"There is no world family {name!r}; use one of {known}."
        ) from None
