"""The simulated world: players, their match history and a clock.

``build_world`` is deterministic per seed. Each time slot draws from its own generator
seeded by (seed, slot number), so advancing the clock in one step or in many produces the
same matches.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from pipeline.simulator.config import MAX_CLOCK_SHIFT_WEEKS, SimulatorConfig
from pipeline.simulator.identity import riot_id_key
from pipeline.simulator.lifecycle import Lifecycle, draw_lifecycle
from pipeline.simulator.population import (
    DAY_S,
    BoolArray,
    FloatArray,
    IntArray,
    Players,
    StrArray,
    build_players,
)
from pipeline.simulator.season import SLOT_S, MatchBlock, concat_blocks, empty_block, play_slot

# "Now" when a world is built; fixed so that every world of a seed is the same. A config's
# clock_shift_weeks moves it on by whole weeks (the same games, later): see weeks_to_reach.
DEFAULT_NOW = datetime(2026, 11, 20, tzinfo=UTC)
WEEK_S = 7 * DAY_S
MATCH_NUMBER_BASE = 7_100_000_000
SLOTS_PER_RANK_SNAPSHOT = WEEK_S // SLOT_S  # a weekly look at everyone's rank


@dataclass(frozen=True)
class RankSnapshot:
    """Everyone's solo-queue standing at one time (for rank history in exports)."""

    at_s: int
    ladder: FloatArray
    wins: IntArray
    losses: IntArray
    ranked_games: IntArray


@dataclass
class PlayerIndex:
    """Which matches each player was in, newest first, as offsets into one array."""

    match_numbers: IntArray  # match index per row, grouped by player, newest first
    offsets: IntArray  # rows of player p: offsets[p]:offsets[p + 1]
    slot_in_match: IntArray  # participant slot (0-9) per row


@dataclass
class World:
    """Players, matches so far, and the simulated clock (epoch seconds)."""

    config: SimulatorConfig
    players: Players
    matches: MatchBlock
    history_start_s: int
    now_s: int
    slots_played: int
    rank_history: list[RankSnapshot] = field(default_factory=list)
    lifecycle: Lifecycle | None = None  # bans, suspensions and transfers to come
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _index: PlayerIndex | None = field(default=None, repr=False)
    _by_puuid: dict[str, int] = field(default_factory=dict, repr=False)
    # Riot IDs change with renames, so this index belongs to one moment of the clock.
    _riot_id_index: dict[str, int] = field(default_factory=dict, repr=False)
    _riot_id_index_at_s: int | None = field(default=None, repr=False)

    # -- clock -------------------------------------------------------------------------
    def advance(self, hours: float) -> int:
        """Move the clock forward and play the matches that finish by then; returns how many."""
        with self.lock:
            self.now_s += round(hours * 3600)
            return self._play_until_now()

    def _play_until_now(self) -> int:
        blocks = []
        while self.history_start_s + (self.slots_played + 1) * SLOT_S <= self.now_s:
            slot_start_s = self.history_start_s + self.slots_played * SLOT_S
            rng = np.random.default_rng([self.config.seed, 1, self.slots_played])
            absent = self.lifecycle.absent_during(slot_start_s, SLOT_S) if self.lifecycle else None
            blocks.append(
                play_slot(self.players, rng, slot_start_s, absent, self.config.assumptions)
            )
            self.slots_played += 1
            if self.slots_played % SLOTS_PER_RANK_SNAPSHOT == 0:
                self.rank_history.append(self._rank_snapshot(slot_start_s + SLOT_S))
        new = sum(b.count for b in blocks)
        if new:
            self.matches = concat_blocks([self.matches, *blocks])
            self._index = None
        return new

    def _rank_snapshot(self, at_s: int) -> RankSnapshot:
        players = self.players
        return RankSnapshot(
            at_s=at_s,
            ladder=players.ladder.copy(),
            wins=players.prior_wins + players.wins,
            losses=players.prior_losses + players.losses,
            ranked_games=players.ranked_games.copy(),
        )

    def rank_now(self) -> RankSnapshot:
        """Everyone's solo-queue standing as of now."""
        return self._rank_snapshot(self.now_s)

    # -- lookups -----------------------------------------------------------------------
    def match_id(self, number: int) -> str:
        """The public id of a match, e.g. EUW1_7100000042."""
        return f"{self.config.platform.upper()}_{MATCH_NUMBER_BASE + number}"

    def match_number(self, match_id: str) -> int | None:
        """The index of a match from its public id, or None when there is no such match."""
        prefix, _, digits = match_id.partition("_")
        if prefix != self.config.platform.upper() or not digits.isdigit():
            return None
        number = int(digits) - MATCH_NUMBER_BASE
        return number if 0 <= number < self.matches.count else None

    def player_of(self, puuid: str) -> int | None:
        """A player's index from their PUUID."""
        if not self._by_puuid:
            self._by_puuid = {str(p): i for i, p in enumerate(self.players.puuid)}
        return self._by_puuid.get(puuid)

    def player_by_riot_id(self, game_name: str, tag_line: str) -> int | None:
        """The player whose Riot ID is this now (ignoring case), if any."""
        if self._riot_id_index_at_s != self.now_s:
            names, tags = self.current_riot_ids()
            self._riot_id_index = {
                riot_id_key(str(name), str(tag)): index
                for index, (name, tag) in enumerate(zip(names, tags, strict=True))
            }
            self._riot_id_index_at_s = self.now_s
        return self._riot_id_index.get(riot_id_key(game_name, tag_line))

    def current_riot_ids(self) -> tuple[StrArray, StrArray]:
        """Every player's Riot ID as of now (game names, tag lines)."""
        renamed = self.players.renamed_at_s <= self.now_s
        names = np.where(renamed, self.players.new_game_name, self.players.game_name)
        tags = np.where(renamed, self.players.new_tag_line, self.players.tag_line)
        return names, tags

    def is_banned(self, player: int) -> bool:
        """Whether the account is banned (or suspended) as of now."""
        if self.players.banned_at_s[player] <= self.now_s:
            return True
        return self.lifecycle is not None and self.lifecycle.is_banned(player, self.now_s)

    def banned_now(self) -> BoolArray:
        """Who is banned (or suspended) as of now, for every player."""
        banned: BoolArray = self.players.banned_at_s <= self.now_s
        if self.lifecycle is not None:
            banned = banned | self.lifecycle.banned_mask(self.now_s)
        return banned

    def platform_of(self, player: int) -> str:
        """The platform the player plays on now (another one after a transfer)."""
        home = self.config.platform
        return self.lifecycle.platform_at(player, self.now_s, home) if self.lifecycle else home

    def matches_of(self, player: int) -> IntArray:
        """Match numbers of a player's games, newest first."""
        index = self.index()
        return index.match_numbers[index.offsets[player] : index.offsets[player + 1]]

    def index(self) -> PlayerIndex:
        """The per-player match index, rebuilt after the clock adds matches."""
        if self._index is None:
            self._index = build_index(self.matches, self.players.count)
        return self._index


def build_index(matches: MatchBlock, player_count: int) -> PlayerIndex:
    """Group participant rows by player, newest match first."""
    flat_player = matches.player.ravel()
    flat_match = np.repeat(np.arange(matches.count), 10)
    flat_slot = np.tile(np.arange(10), matches.count)
    order = np.lexsort((-flat_match, flat_player))
    counts = np.bincount(flat_player, minlength=player_count)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return PlayerIndex(flat_match[order], offsets, flat_slot[order])


def weeks_to_reach(real_now: datetime, ahead_s: float = 0.0) -> int:
    """The whole weeks to move a world's clock on (``clock_shift_weeks``) so that, once it has
    run ``ahead_s`` simulated seconds more, its "now" is less than a week before ``real_now``
    and not after it: the world's newest games are then recent by the product's real clock
    (its ban checker calls an account without a game in 30 days INACTIVE). 0 until then;
    a naive ``real_now`` is UTC."""
    if real_now.tzinfo is None:
        real_now = real_now.replace(tzinfo=UTC)
    gap = real_now - DEFAULT_NOW - timedelta(seconds=ahead_s)
    return min(max(gap // timedelta(weeks=1), 0), MAX_CLOCK_SHIFT_WEEKS)


def build_world(config: SimulatorConfig) -> World:
    """Build the world of a seed: players, and their history up to now (DEFAULT_NOW, or
    ``config.clock_shift_weeks`` later: the same games, each as much later)."""
    shift_s = config.clock_shift_weeks * WEEK_S
    now_s = int(DEFAULT_NOW.timestamp()) + shift_s
    history_start_s = now_s - config.history_days * DAY_S
    rng = np.random.default_rng([config.seed, 0])
    players = build_players(
        rng, config.players, config.platform, history_start_s, now_s, config.assumptions, shift_s
    )
    world = World(
        config=config,
        players=players,
        matches=empty_block(),
        history_start_s=history_start_s,
        now_s=now_s,
        slots_played=0,
        lifecycle=draw_lifecycle(config, players, now_s),
    )
    world._play_until_now()
    return world
