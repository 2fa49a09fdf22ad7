"""Who plays: the simulated players, their hidden skill and their ground-truth population.

Skill and visible rank share one ladder scale (see ``ranks``): IRON IV is 0, each tier 400
points, MASTER 2800. An ordinary player's rating already matches their skill when history
starts; the other populations differ in ways an analysis should find (smurfs, boosted) or
should not be fooled by (the honest traps). Which populations, in what shares, and how
the world's numbers behave come from ``WorldAssumptions`` (see ``assumptions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.simulator.assumptions import (
    BOOSTED_KINDS,
    DUO_CARRIERS,
    OLD_ACCOUNT_LEVELLING,
    SMURF_KINDS,
    STANDARD,
    TRAPS,
    Population,
    WorldAssumptions,
)
from pipeline.simulator.champions import CHAMPIONS_PER_ROLE, ROLES
from pipeline.simulator.identity import (
    PUUID_LENGTH,
    SUMMONER_ID_LENGTH,
    random_game_names,
    random_tag_lines,
    random_tokens,
    unique_riot_ids,
)

DAY_S = 86_400
NEVER_S = np.iinfo(np.int64).max // 2  # a time after every simulated one

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]


SKILL_MEAN = 1250.0  # GOLD IV-ish: the middle of the real tier distribution
SKILL_SD = 550.0
SKILL_MAX = 3500.0
NEW_ACCOUNT_MMR = 1000.0  # where a fresh level-30 account's hidden rating starts
NEW_ACCOUNT_LADDER = 650.0  # and where its visible rank lands after placements
NEW_NORMAL_SHARE = 0.03  # ordinary players who start playing during the history
BOOST_GAMES_PER_DAY = 8.0
NO_THROW = np.inf


@dataclass
class Players:
    """Column arrays, one entry per player (index = player number)."""

    puuid: StrArray
    summoner_id: StrArray
    game_name: StrArray  # the Riot ID before any rename
    tag_line: StrArray
    new_game_name: StrArray  # the Riot ID after renamed_at_s
    new_tag_line: StrArray
    renamed_at_s: IntArray
    population: IntArray
    skill: FloatArray  # hidden skill when history starts (the owner's, for boosted)
    skill_growth: FloatArray  # skill gained per game (talented newcomers)
    skill_floor: FloatArray
    skill_cap: FloatArray
    booster_skill: FloatArray  # whoever plays the account up: a booster, a shared one's friend
    boost_start_s: IntArray
    boost_end_s: IntArray
    friend_day_share: FloatArray  # shared accounts: the friend plays on this share of days
    luck: FloatArray  # a lucky run: extra weight in the win draw only, for some games
    luck_from_game: IntArray
    luck_until_game: IntArray
    style: FloatArray  # how much better or worse than their skill a player's numbers look
    main_champion_bonus: FloatArray  # one-tricks are better on their champion
    throw_above: FloatArray  # deranking smurfs throw most games while their ladder is above
    tilt_share: FloatArray  # tilters fall apart in this share of the ranked games they lose
    duo_with: IntArray  # the other member of a duo, -1 for solo players
    # A duo queues together from duo_from_s (the history's start) until duo_until_s (NEVER_S:
    # for good); a duo boost only in its stretch.
    duo_from_s: IntArray
    duo_until_s: IntArray
    created_at_s: IntArray
    active_from_s: IntArray
    break_from_s: IntArray  # returning veterans stop playing here (duo boosters for good)...
    return_at_s: IntArray  # ...and come back here, to a new season's reset rank
    banned_at_s: IntArray
    games_per_day: FloatArray
    max_games: IntArray
    base_level: FloatArray
    levels_per_game: FloatArray
    profile_icon: IntArray
    primary_role: IntArray
    secondary_role: IntArray
    primary_role_share: FloatArray  # chance to play the primary role in a game
    secondary_role_share: FloatArray  # chance to play the secondary one
    champions: IntArray  # (players, 3) flat champion slots; the first is the main
    booster_champions: IntArray  # (players, 3)
    main_share: FloatArray
    prior_wins: IntArray
    prior_losses: IntArray
    # Mutable state, advanced by the season.
    mmr: FloatArray
    ladder: FloatArray
    wins: IntArray
    losses: IntArray
    ranked_games: IntArray
    games: IntArray  # every queue, since history started
    win_streak: IntArray
    last_ranked_s: IntArray
    waiting: BoolArray  # queued last slot and found no game
    # How much later than world.DEFAULT_NOW the world's clock is (whole weeks): the day
    # draws count days from before the shift, so a shifted world plays the same games.
    clock_shift_s: int = 0

    @property
    def count(self) -> int:
        """Number of players."""
        return len(self.puuid)

    def current_skill(self, at_s: int | IntArray, index: IntArray) -> FloatArray:
        """The skill actually at the keyboard for these players at a time."""
        grown = np.clip(
            self.skill[index] + self.skill_growth[index] * self.games[index],
            self.skill_floor[index],
            self.skill_cap[index],
        )
        return np.where(self.boosting(at_s, index), self.booster_skill[index], grown)

    def boost_stretch(self, at_s: int | IntArray, index: IntArray) -> BoolArray:
        """Whether a booster plays these accounts at a time (its stretch; never for an
        account that is not boosted)."""
        stretch: BoolArray = (self.boost_start_s[index] <= at_s) & (at_s < self.boost_end_s[index])
        return stretch

    def boosting(self, at_s: int | IntArray, index: IntArray) -> BoolArray:
        """Whether someone else plays these accounts at a time: a booster in its stretch, or
        a shared account's friend on one of its days (a fixed draw per account and day)."""
        stretch = self.boost_stretch(at_s, index)
        share = self.friend_day_share[index]
        if not share.any():
            return stretch
        return stretch | (day_draw(index, (at_s - self.clock_shift_s) // DAY_S) < share)

    def partners_at(self, at_s: int) -> IntArray:
        """Every player's duo partner at a time, -1 for none: a duo's always, a duo boost's
        only in the client's stretch (before and after it the two queue apart)."""
        together = (self.duo_from_s <= at_s) & (at_s < self.duo_until_s)
        partners: IntArray = np.where(together, self.duo_with, -1)
        return partners

    def duo_boosting(self, at_s: int) -> BoolArray:
        """Who queues in a duo boost at a time, for every player: a duo-boosted account in
        its stretch and its booster (the owner still plays)."""
        boosting: BoolArray = (
            (self.duo_until_s < NEVER_S) & (self.duo_from_s <= at_s) & (at_s < self.duo_until_s)
        )
        return boosting

    def true_skill(self) -> FloatArray:
        """The ground-truth skill of each account's owner now."""
        grown = self.skill + self.skill_growth * self.games
        owner: FloatArray = np.clip(grown, self.skill_floor, self.skill_cap)
        return owner


def day_draw(player: IntArray, day: int | IntArray) -> FloatArray:
    """A uniform draw in [0, 1) per player for one day, the same whenever it is asked
    (a splitmix64 of the pair): whose day it is depends on nothing the season does."""
    with np.errstate(over="ignore"):
        x = np.asarray(player, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        x ^= np.asarray(day, dtype=np.uint64) * np.uint64(0xD1B54A32D192ED03)
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def is_boosted(population: IntArray) -> BoolArray:
    """Which accounts someone else plays up (a booster's stretch, a friend's days)."""
    return _is(population, *BOOSTED_KINDS)


def is_smurf(population: IntArray) -> BoolArray:
    """Which players are smurfs of any kind."""
    return _is(population, *SMURF_KINDS)


def is_trap(population: IntArray) -> BoolArray:
    """Which players are honest look-alikes."""
    return _is(population, *TRAPS)


def draw_populations(
    rng: np.random.Generator, count: int, assumptions: WorldAssumptions = STANDARD
) -> IntArray:
    """A shuffled population label per player, in the assumed shares (duo friends aside)."""
    labels = np.full(count, int(Population.NORMAL), dtype=np.int64)
    start = 0
    for population, share in assumptions.shares().items():
        size = max(round(count * share), 1 if count >= 200 else 0)
        labels[start : start + size] = int(population)
        start += size
    rng.shuffle(labels)
    return labels


def build_players(
    rng: np.random.Generator,
    count: int,
    platform: str,
    history_start_s: int,
    now_s: int,
    assumptions: WorldAssumptions = STANDARD,
    clock_shift_s: int = 0,
) -> Players:
    """Draw every player of a world, ready for the season to play out (``clock_shift_s``:
    how much later than world.DEFAULT_NOW ``now_s`` is, a whole number of days)."""
    population = draw_populations(rng, count, assumptions)
    kinds = _account_kinds(rng, population, assumptions.bought_share)
    skills = _skills(rng, population, kinds, assumptions.newcomer_reach)
    duo_with = _pair_duos(rng, population, kinds, skills)
    _pair_duo_boosts(population, duo_with)
    accounts = _accounts(
        rng, population, kinds, history_start_s, now_s, assumptions.new_account_levelling
    )
    activity = _activity(rng, population, history_start_s, now_s, assumptions)
    past = _boosted_in_a_past_season(rng, population, assumptions.past_boost_share)
    for times in (activity["boost_start_s"], activity["boost_end_s"]):
        times[past] = NEVER_S
    duo_times = _duo_boost_stretches(
        rng, population, duo_with, accounts, activity, history_start_s, now_s, assumptions
    )
    preferences = _preferences(rng, population)
    banned_at_s = _ban_times(
        rng,
        population,
        accounts["active_from_s"],
        activity["games_per_day"],
        activity["max_games"],
        activity["boost_end_s"],
        history_start_s,
        now_s,
    )
    names, tags, new_names, new_tags, renamed_at_s = _riot_ids(
        rng, count, platform, population, history_start_s, now_s
    )
    return Players(
        puuid=random_tokens(rng, count, PUUID_LENGTH),
        summoner_id=random_tokens(rng, count, SUMMONER_ID_LENGTH),
        game_name=names,
        tag_line=tags,
        new_game_name=new_names,
        new_tag_line=new_tags,
        renamed_at_s=renamed_at_s,
        population=population,
        banned_at_s=banned_at_s,
        duo_with=duo_with,
        **duo_times,
        **skills,
        **accounts,
        **activity,
        **preferences,
        **_past_boost_state(
            rng,
            past,
            accounts,
            _starting_state(rng, population, kinds, skills["skill"], history_start_s),
        ),
        clock_shift_s=clock_shift_s,
    )


def _boosted_in_a_past_season(
    rng: np.random.Generator, population: IntArray, share: float
) -> BoolArray:
    """Which boosted accounts a booster played in an earlier season (``share`` of them).

    Drawn only where the share is above 0, so that other worlds stay as they were.
    """
    boosted = _is(population, Population.BOOSTED)
    past = np.zeros(len(population), dtype=bool)
    if share > 0 and boosted.any():
        past[boosted] = rng.random(int(boosted.sum())) < share
    return past


def _past_boost_state(
    rng: np.random.Generator, past: BoolArray, accounts: dict[str, Any], state: dict[str, Any]
) -> dict[str, Any]:
    """Accounts boosted in an earlier season start rated 400-1,100 points above their owner;
    this season the owner has played as many ranked games on them as anyone (20-400),
    winning about 40 % (``accounts``' record before the history and ``state``'s ratings,
    changed in place)."""
    n = int(past.sum())
    if n:
        lift = rng.uniform(400, 1100, n)
        state["mmr"][past] += lift
        state["ladder"][past] += lift
        games = accounts["prior_wins"][past] + accounts["prior_losses"][past]
        wins = rng.binomial(games, 0.4)
        accounts["prior_wins"][past] = wins
        accounts["prior_losses"][past] = games - wins
    return state


def _is(population: IntArray, *kinds: Population) -> BoolArray:
    return np.isin(population, [int(kind) for kind in kinds])


@dataclass(frozen=True)
class AccountKinds:
    """Which accounts are new, and which start without a ranked history."""

    fresh: BoolArray  # created during the history, low level
    unranked: BoolArray  # no ranked games before the history (fresh ones, bought smurfs)
    new_normal: BoolArray  # ordinary newcomers: new to the game, not especially good


def _account_kinds(
    rng: np.random.Generator, population: IntArray, bought_share: float
) -> AccountKinds:
    """Smurfs mostly make fresh accounts, some buy levelled ones; a few ordinary players are new.

    A climbing smurf always starts fresh: it means to play the account for a long time; so
    does a duo booster, whose account is made for one boost.
    """
    count = len(population)
    smurf = is_smurf(population)
    always_fresh = _is(population, Population.CLIMBING_SMURF, Population.DUO_BOOSTER)
    bought = smurf & ~always_fresh & (rng.random(count) < bought_share)
    new_normal = _is(population, Population.NORMAL) & (rng.random(count) < NEW_NORMAL_SHARE)
    fresh = (smurf & ~bought) | _is(population, Population.TALENTED_NEWBIE) | new_normal
    return AccountKinds(fresh=fresh, unranked=fresh | smurf, new_normal=new_normal)


def _skills(
    rng: np.random.Generator,
    population: IntArray,
    kinds: AccountKinds,
    newcomer_reach: float = STANDARD.newcomer_reach,
) -> dict[str, Any]:
    """Hidden skill: ordinary players span every tier and drift; the other populations differ.

    A talented newcomer gains 25-40 points a game, up to ``newcomer_reach`` times 600-1000
    points above where it started.
    """
    count = len(population)
    smurf, boosted = is_smurf(population), _is(population, Population.BOOSTED)
    newbie = _is(population, Population.TALENTED_NEWBIE)
    normal = _is(population, Population.NORMAL)
    skill = np.clip(rng.normal(SKILL_MEAN, SKILL_SD, count), 0.0, SKILL_MAX)
    # Smurfs are players of every tier from PLATINUM up, on an account below them.
    skill = np.where(smurf, np.clip(rng.normal(2300, 400, count), 1500, 3400), skill)
    skill = np.where(
        _is(population, Population.CLIMBING_SMURF), rng.uniform(1800, 3300, count), skill
    )
    skill = np.where(boosted, np.clip(rng.normal(950, 250, count), 250, 1500), skill)
    skill = np.where(newbie, np.clip(rng.normal(1000, 150, count), 600, 1300), skill)
    skill = np.where(kinds.new_normal, np.clip(rng.normal(850, 300, count), 100, 1800), skill)
    # Strong players who duo, and veterans who were good before their break.
    skill = np.where(
        _is(population, Population.STRONG_DUO),
        np.clip(rng.normal(2300, 350, count), 1700, 3300),
        skill,
    )
    skill = np.where(
        _is(population, Population.RETURNING_VETERAN),
        np.clip(rng.normal(1700, 450, count), 900, 3000),
        skill,
    )
    # Ordinary players get better or worse over a season, a few hundred points at most.
    drift = np.where(normal, rng.normal(0.0, 3.0, count), 0.0)
    growth = np.where(newbie, rng.uniform(25, 40, count), drift)
    reach = np.where(
        newbie, rng.uniform(600, 1000, count) * newcomer_reach, np.where(normal, 400.0, 0.0)
    )
    one_trick = _is(population, Population.ONE_TRICK)
    booster = np.clip(skill + rng.uniform(1000, 2100, count), 0.0, 3300.0)
    deranking = _is(population, Population.DERANKING_SMURF)
    tilter = _is(population, Population.TILTER)
    tilt_share = np.zeros(count)
    if tilter.any():  # drawn only where there are tilters: other worlds stay as they were
        tilt_share[tilter] = rng.uniform(0.35, 0.75, int(tilter.sum()))
    shared = _is(population, Population.SHARED_ACCOUNT)
    friend_day_share = np.zeros(count)
    if shared.any():  # likewise: only worlds with shared accounts draw for them
        # An owner of any middling level, and a friend 700-1,500 points better.
        n = int(shared.sum())
        skill[shared] = np.clip(rng.normal(1000, 300, n), 250, 1800)
        booster[shared] = np.clip(skill[shared] + rng.uniform(700, 1500, n), 0.0, 3300.0)
        friend_day_share[shared] = rng.uniform(0.2, 0.5, n)
    client = _is(population, Population.DUO_BOOSTED)
    if client.any():  # likewise: only worlds with duo boosts draw for them
        # An owner as weak as a boosted account's; a booster from DIAMOND up.
        skill[client] = np.clip(rng.normal(950, 250, int(client.sum())), 250, 1500)
        booster_of = _is(population, Population.DUO_BOOSTER)
        skill[booster_of] = np.clip(rng.normal(2750, 250, int(booster_of.sum())), 2200, 3300)
    return {
        "skill": skill,
        "skill_growth": growth,
        "skill_floor": np.where(normal, np.maximum(skill - 400.0, 0.0), skill),
        "skill_cap": np.minimum(skill + reach, SKILL_MAX),
        "booster_skill": np.where(boosted | shared, booster, 0.0),
        "friend_day_share": friend_day_share,
        "main_champion_bonus": np.where(one_trick, rng.uniform(700, 1000, count), 0.0),
        "style": rng.normal(0.0, 0.15, count),
        # A deranking smurf parks its account somewhere between IRON and GOLD.
        "throw_above": np.where(
            deranking, NEW_ACCOUNT_LADDER + rng.uniform(-250, 700, count), NO_THROW
        ),
        "tilt_share": tilt_share,
    }


def _pair_duos(
    rng: np.random.Generator, population: IntArray, kinds: AccountKinds, skills: dict[str, Any]
) -> IntArray:
    """Give every duo carrier a much weaker friend, drawn from ordinary established players.

    The friend becomes a DUO_FRIEND (an honest player) with a skill 700-1300 points below the
    carrier's; ``skills`` is updated in place.
    """
    count = len(population)
    duo_with = np.full(count, -1, dtype=np.int64)
    carriers = np.flatnonzero(_is(population, *DUO_CARRIERS))
    candidates = np.flatnonzero(_is(population, Population.NORMAL) & ~kinds.new_normal)
    friends = rng.choice(candidates, size=min(len(carriers), len(candidates)), replace=False)
    carriers = carriers[: len(friends)]
    duo_with[carriers] = friends
    duo_with[friends] = carriers
    population[friends] = int(Population.DUO_FRIEND)
    skill = skills["skill"]
    skill[friends] = np.clip(skill[carriers] - rng.uniform(700, 1300, len(friends)), 100.0, None)
    skills["skill_floor"][friends] = np.maximum(skill[friends] - 400.0, 0.0)
    skills["skill_cap"][friends] = np.minimum(skill[friends] + 400.0, SKILL_MAX)
    skills["skill_growth"][friends] = 0.0
    return duo_with


def _pair_duo_boosts(population: IntArray, duo_with: IntArray) -> None:
    """Give every duo-boosted account its booster (``duo_with``, changed in place); the two
    populations are drawn in equal numbers, in a shuffled order."""
    clients = np.flatnonzero(_is(population, Population.DUO_BOOSTED))
    boosters = np.flatnonzero(_is(population, Population.DUO_BOOSTER))
    pairs = min(len(clients), len(boosters))
    duo_with[clients[:pairs]] = boosters[:pairs]
    duo_with[boosters[:pairs]] = clients[:pairs]


def _accounts(
    rng: np.random.Generator,
    population: IntArray,
    kinds: AccountKinds,
    history_start_s: int,
    now_s: int,
    new_account_levelling: float = STANDARD.new_account_levelling,
) -> dict[str, Any]:
    """Account age, level and ranked record before history starts; veterans' breaks; how
    many levels a game each account gains (new ones ``new_account_levelling``)."""
    count = len(kinds.fresh)
    span_s = now_s - history_start_s
    old = history_start_s - rng.uniform(30, 4000, count) * DAY_S
    fresh = history_start_s + rng.uniform(0.0, 0.92, count) * span_s
    # Climbing smurfs start early enough to have climbed; deranking ones to have settled.
    fresh = np.where(
        _is(population, Population.CLIMBING_SMURF),
        history_start_s + rng.uniform(0.0, 0.4, count) * span_s,
        fresh,
    )
    fresh = np.where(
        _is(population, Population.DERANKING_SMURF),
        history_start_s + rng.uniform(0.0, 0.7, count) * span_s,
        fresh,
    )
    created_at_s = np.where(kinds.fresh, fresh, old).astype(np.int64)
    # Real levels: median near 200, a tenth under 40 (plenty of honest low-level accounts).
    base_level = np.clip(rng.lognormal(np.log(185), 1.1, count), 30, 1500)
    veteran = _is(population, Population.RETURNING_VETERAN)
    base_level = np.where(
        veteran, np.clip(rng.lognormal(np.log(350), 0.6, count), 120, 2000), base_level
    )
    prior_games = np.where(kinds.unranked, 0, rng.integers(20, 400, count))
    prior_wins = rng.binomial(prior_games, 0.5)
    # A veteran plays the first days of the history, stops for weeks, and comes back.
    break_from_s = history_start_s + rng.uniform(0.05, 0.2, count) * span_s
    return_at_s = now_s - rng.uniform(0.06, 0.2, count) * span_s
    return {
        "created_at_s": created_at_s,
        # Bought accounts are old, but start playing ranked during the history too.
        "active_from_s": np.where(
            kinds.unranked, fresh, np.maximum(created_at_s, history_start_s)
        ).astype(np.int64),
        "break_from_s": np.where(veteran, break_from_s, NEVER_S).astype(np.int64),
        "return_at_s": np.where(veteran, return_at_s, NEVER_S).astype(np.int64),
        "base_level": np.where(kinds.fresh, rng.uniform(30, 34, count), base_level),
        "levels_per_game": np.where(kinds.fresh, new_account_levelling, OLD_ACCOUNT_LEVELLING),
        "profile_icon": rng.integers(0, 6000, count),
        "prior_wins": prior_wins.astype(np.int64),
        "prior_losses": (prior_games - prior_wins).astype(np.int64),
    }


def _activity(
    rng: np.random.Generator,
    population: IntArray,
    history_start_s: int,
    now_s: int,
    assumptions: WorldAssumptions = STANDARD,
) -> dict[str, Any]:
    """How often each player plays, for how long, and the boosts and lucky runs in between."""
    count = len(population)
    boosted = _is(population, Population.BOOSTED)
    hot = _is(population, Population.HOT_STREAK)
    per_day = np.clip(rng.lognormal(np.log(0.5), 0.7, count), 0.05, 6.0)
    max_games = np.full(count, 1_000_000, dtype=np.int64)
    # (population, games per day range, games played range or None for no end)
    habits: tuple[tuple[Population, tuple[float, float], tuple[int, int] | None], ...] = (
        (Population.SMURF, (3, 8), (15, 80)),
        (Population.DERANKING_SMURF, (2, 6), (60, 250)),
        (Population.DUO_SMURF, (2, 5), (40, 150)),
        (Population.OFF_ROLE_SMURF, (3, 8), (15, 80)),
        (Population.CLIMBING_SMURF, (4, 9), (150, 450)),
        (Population.TALENTED_NEWBIE, (0.8, 2.5), None),
        (Population.BOOSTED, (0.2, 0.6), None),
        (Population.HOT_STREAK, (0.4, 0.8), (30, 45)),
        (Population.RETURNING_VETERAN, (2, 5), None),
        (Population.STRONG_DUO, (0.8, 2.5), None),
    )
    for kind, (low, high), games in habits:
        members = _is(population, kind)
        smurf = kind in SMURF_KINDS
        pace = assumptions.smurf_pace if smurf else 1.0
        per_day = np.where(members, rng.uniform(low, high, count) * pace, per_day)
        if games is not None:
            fewest, most = _scaled_range(games, assumptions.smurf_games if smurf else 1.0)
            max_games = np.where(members, rng.integers(fewest, most, count), max_games)
    shared = _is(population, Population.SHARED_ACCOUNT)
    if shared.any():  # drawn only where there are shared accounts: other worlds as they were
        per_day[shared] = rng.uniform(0.8, 2.5, int(shared.sum()))
    luck_from_game = np.where(hot, rng.integers(0, 12, count), 0).astype(np.int64)
    luck_until_game = np.where(hot, luck_from_game + rng.integers(15, 25, count), 0)
    # A booster plays the account for 60-120 games at a boosting pace, then hands it back.
    boost_start_s = history_start_s + rng.uniform(*assumptions.boost_start, count) * (
        now_s - history_start_s
    )
    boost_length_s = rng.integers(60, 120, count) / BOOST_GAMES_PER_DAY * DAY_S
    return {
        "games_per_day": per_day,
        "max_games": max_games,
        "luck": np.where(hot, rng.uniform(1300, 1900, count), 0.0),
        "luck_from_game": luck_from_game,
        "luck_until_game": luck_until_game.astype(np.int64),
        "boost_start_s": np.where(boosted, boost_start_s, NEVER_S).astype(np.int64),
        "boost_end_s": np.where(boosted, boost_start_s + boost_length_s, NEVER_S).astype(np.int64),
    }


def _duo_boost_stretches(
    rng: np.random.Generator,
    population: IntArray,
    duo_with: IntArray,
    accounts: dict[str, Any],
    activity: dict[str, Any],
    history_start_s: int,
    now_s: int,
    assumptions: WorldAssumptions = STANDARD,
) -> dict[str, Any]:
    """When each duo queues together: always, but a duo boost only in its stretch.

    A duo-boosted account's owner plays 0.3-1.2 games a day alone, and with its booster for
    a stretch as long as a booster's who plays an account (60-120 games at a booster's pace,
    starting where one would take it over: ``boost_start``). The booster's account is made
    0.5-4 days before the stretch, plays 0.5-1.5 games a day of its own (alone before it,
    the owner along in it) and falls silent when it ends. ``accounts`` and ``activity`` are
    changed in place; drawn only where there are duo boosts, so that other worlds stay as
    they were.
    """
    count = len(population)
    duo_from_s = np.full(count, history_start_s, dtype=np.int64)
    duo_until_s = np.full(count, NEVER_S, dtype=np.int64)
    clients = np.flatnonzero(_is(population, Population.DUO_BOOSTED) & (duo_with >= 0))
    n = len(clients)
    if not n:
        return {"duo_from_s": duo_from_s, "duo_until_s": duo_until_s}
    boosters = duo_with[clients]
    span_s = now_s - history_start_s
    start_s = history_start_s + (rng.uniform(*assumptions.boost_start, n) * span_s)
    length_s = rng.integers(60, 121, n) / BOOST_GAMES_PER_DAY * DAY_S
    for member in (clients, boosters):
        duo_from_s[member] = start_s.astype(np.int64)
        duo_until_s[member] = (start_s + length_s).astype(np.int64)
    activity["games_per_day"][clients] = rng.uniform(0.3, 1.2, n)
    activity["games_per_day"][boosters] = rng.uniform(0.5, 1.5, n)
    made_s = (start_s - rng.uniform(0.5, 4.0, n) * DAY_S).astype(np.int64)
    accounts["created_at_s"][boosters] = made_s
    accounts["active_from_s"][boosters] = made_s
    accounts["break_from_s"][boosters] = duo_until_s[boosters]  # never to return
    return {"duo_from_s": duo_from_s, "duo_until_s": duo_until_s}


def _scaled_range(games: tuple[int, int], factor: float) -> tuple[int, int]:
    """A range of games played, ``factor`` times as long (at least one game, and at least
    two values to draw from)."""
    fewest = max(1, round(games[0] * factor))
    return fewest, max(fewest + 1, round(games[1] * factor))


def _preferences(rng: np.random.Generator, population: IntArray) -> dict[str, Any]:
    """Roles and champions each player prefers."""
    count = len(population)
    one_trick = _is(population, Population.ONE_TRICK)
    off_role = _is(population, Population.OFF_ROLE_SMURF)
    primary_role = rng.choice(len(ROLES), size=count, p=[0.21, 0.2, 0.22, 0.2, 0.17])
    secondary_role = (primary_role + rng.integers(1, len(ROLES), size=count)) % len(ROLES)
    primary_share = np.where(one_trick, 0.95, np.where(off_role, 0.2, 0.75))
    return {
        "primary_role": primary_role.astype(np.int64),
        "secondary_role": secondary_role.astype(np.int64),
        "primary_role_share": primary_share,
        "secondary_role_share": np.where(off_role, 0.15, 0.92 - primary_share),
        "champions": _champion_pools(rng, primary_role),
        "booster_champions": _champion_pools(rng, primary_role),
        "main_share": np.where(
            one_trick, rng.uniform(0.85, 0.97, count), rng.uniform(0.25, 0.55, count)
        ),
    }


def _starting_state(
    rng: np.random.Generator,
    population: IntArray,
    kinds: AccountKinds,
    skill: FloatArray,
    history_start_s: int,
) -> dict[str, Any]:
    """Ratings and counters when history starts: established players are rated near their skill."""
    count = len(skill)
    new_account = kinds.unranked
    rating = np.clip(skill + rng.normal(0, 80, count), 0, None)
    zeros = np.zeros(count, dtype=np.int64)
    return {
        "mmr": np.where(new_account, NEW_ACCOUNT_MMR, rating),
        "ladder": np.where(new_account, NEW_ACCOUNT_LADDER, rating),
        "wins": zeros.copy(),
        "losses": zeros.copy(),
        "ranked_games": zeros.copy(),
        "games": zeros.copy(),
        "win_streak": zeros.copy(),
        "last_ranked_s": np.where(new_account, NEVER_S, history_start_s).astype(np.int64),
        "waiting": np.zeros(count, dtype=bool),
    }


def return_to_ranked(players: Players, index: IntArray, rng: np.random.Generator) -> None:
    """Veterans back from their break start a new season: rank reset well below their skill.

    The league entry counts only this season's games, so the long ranked record before the
    break is gone from it (the account's level still tells how long it has played).
    """
    reset = np.clip(players.skill[index] - rng.uniform(300, 800, len(index)), 0, None)
    players.mmr[index] = reset
    players.ladder[index] = np.clip(reset - 200.0, 0, None)
    for counter in (players.wins, players.losses, players.ranked_games, players.win_streak):
        counter[index] = 0
    players.prior_wins[index] = 0
    players.prior_losses[index] = 0


def _champion_pools(rng: np.random.Generator, roles: IntArray) -> IntArray:
    """Three distinct champions of each player's main role (flat champion slots)."""
    count = len(roles)
    picks = np.argsort(rng.random((count, CHAMPIONS_PER_ROLE)), axis=1)[:, :3]
    return (roles[:, None] * CHAMPIONS_PER_ROLE + picks).astype(np.int64)


def _ban_times(
    rng: np.random.Generator,
    population: IntArray,
    active_from_s: IntArray,
    games_per_day: FloatArray,
    max_games: IntArray,
    boost_end_s: IntArray,
    history_start_s: int,
    now_s: int,
) -> IntArray:
    """When each account gets banned (NEVER_S for most); some bans lie after "now"."""
    count = len(population)
    banned_at_s = np.full(count, NEVER_S, dtype=np.int64)
    smurf = is_smurf(population)
    # A smurf is caught part-way through (or soon after) the games it means to play.
    smurf_days = max_games / games_per_day * rng.uniform(0.4, 1.3, count)
    smurf_ban = active_from_s + (smurf_days * DAY_S).astype(np.int64)
    banned_at_s = np.where(smurf & (rng.random(count) < 0.35), smurf_ban, banned_at_s)
    boosted = population == int(Population.BOOSTED)
    boost_ban = boost_end_s + (rng.uniform(3, 40, count) * DAY_S).astype(np.int64)
    banned_at_s = np.where(boosted & (rng.random(count) < 0.12), boost_ban, banned_at_s)
    others = ~(smurf | boosted)
    other_ban = rng.integers(history_start_s + 10 * DAY_S, now_s + 30 * DAY_S, count)
    return np.where(others & (rng.random(count) < 0.01), other_ban, banned_at_s)


def _riot_ids(
    rng: np.random.Generator,
    count: int,
    platform: str,
    population: IntArray,
    history_start_s: int,
    now_s: int,
) -> tuple[StrArray, StrArray, StrArray, StrArray, IntArray]:
    """Unique Riot IDs, and the new ones of players who rename at some point."""
    names = random_game_names(rng, count)
    tags = unique_riot_ids(rng, names, random_tag_lines(rng, count, platform))
    rename_share = np.where(is_smurf(population), 0.12, 0.05)
    renamed = rng.random(count) < rename_share
    renamed_at_s = np.where(
        renamed, rng.integers(history_start_s, now_s + 30 * DAY_S, count), NEVER_S
    ).astype(np.int64)
    new_names = np.where(renamed, random_game_names(rng, count), names)
    taken = {f"{n}#{t}".lower() for n, t in zip(names, tags, strict=True)}
    new_tags = np.where(
        renamed,
        unique_riot_ids(rng, new_names, random_tag_lines(rng, count, platform), taken),
        tags,
    )
    return names, tags, new_names, new_tags, renamed_at_s
