"""What happens to accounts while the clock moves: bans, suspensions that end, transfers.

These events start in the ``event_days`` after the world's "now" (so a world served and
advanced day by day sees them happen) and come in the shares ``SimulatorConfig`` asks for,
all zero by default. They are drawn from a random stream of their own, so turning them on
changes nothing else about a world.

- A **ban** is for good: account-v1 and summoner-v4 answer 404 from then on, league-v4 has
  no entries, the player queues no more.
- A **suspension** is a ban with an end: from its start to its end the account looks banned,
  afterwards it answers and plays again with the rank it had.
- A **transfer** moves the account to another platform: summoner-v4 and league-v4 answer
  there and 404 (or nothing) on the old one, account-v1 keeps answering, account-v1's
  getActiveRegion names the new platform, and the player plays no more in this world (their
  new games happen on a platform it does not simulate).

Each account has at most one event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.simulator.config import PLATFORM_REGIONS, SimulatorConfig
from pipeline.simulator.population import DAY_S, NEVER_S, BoolArray, IntArray, Players, StrArray

SUSPENSION_DAYS = (3.0, 10.0)  # how long a suspension lasts, uniformly between
SAME_REGION_TRANSFERS = 0.7  # share of transfers to a platform of the same regional route


@dataclass(frozen=True)
class Lifecycle:
    """Per-player event times (``NEVER_S`` when there is none) and transfer destinations."""

    banned_at_s: IntArray
    suspended_at_s: IntArray
    suspended_until_s: IntArray
    transferred_at_s: IntArray
    transfer_platform: StrArray  # "" for accounts that never transfer

    def banned_mask(self, at_s: int) -> BoolArray:
        """Who is banned or suspended at ``at_s``."""
        suspended = (self.suspended_at_s <= at_s) & (at_s < self.suspended_until_s)
        result: BoolArray = (self.banned_at_s <= at_s) | suspended
        return result

    def is_banned(self, player: int, at_s: int) -> bool:
        """Whether one player is banned or suspended at ``at_s``."""
        return bool(
            self.banned_at_s[player] <= at_s
            or self.suspended_at_s[player] <= at_s < self.suspended_until_s[player]
        )

    def platform_at(self, player: int, at_s: int, home: str) -> str:
        """The platform the player plays on at ``at_s``."""
        moved = self.transferred_at_s[player] <= at_s
        return str(self.transfer_platform[player]) if moved else home

    def absent_during(self, start_s: int, length_s: int) -> BoolArray:
        """Who cannot queue in [start_s, start_s + length_s): banned, suspended or gone."""
        end_s = start_s + length_s
        suspended = (self.suspended_at_s < end_s) & (start_s < self.suspended_until_s)
        result: BoolArray = (self.banned_at_s < end_s) | suspended | (self.transferred_at_s < end_s)
        return result

    def events(self) -> int:
        """How many accounts have an event."""
        never = NEVER_S
        return int(
            np.count_nonzero(
                (self.banned_at_s < never)
                | (self.suspended_at_s < never)
                | (self.transferred_at_s < never)
            )
        )


def draw_lifecycle(config: SimulatorConfig, players: Players, now_s: int) -> Lifecycle | None:
    """The events of a world, or None when its configuration asks for none."""
    shares = (config.ban_share, config.suspension_share, config.transfer_share)
    if not any(shares):
        return None
    count = players.count
    rng = np.random.default_rng([config.seed, 2])
    draw = rng.random(count)
    start_s = now_s + (rng.uniform(0.0, config.event_days, count) * DAY_S).astype(np.int64)
    length_s = (rng.uniform(*SUSPENSION_DAYS, count) * DAY_S).astype(np.int64)
    destinations = _destinations(rng, count, config.platform)
    # Accounts banned for good before their event would start have nothing more happen to them.
    eligible = players.banned_at_s > start_s
    ban_share, suspension_share, transfer_share = shares
    banned = eligible & (draw < ban_share)
    suspended = eligible & (ban_share <= draw) & (draw < ban_share + suspension_share)
    total = ban_share + suspension_share + transfer_share
    transferred = eligible & (ban_share + suspension_share <= draw) & (draw < total)
    never = np.full(count, NEVER_S, dtype=np.int64)
    return Lifecycle(
        banned_at_s=np.where(banned, start_s, never),
        suspended_at_s=np.where(suspended, start_s, never),
        suspended_until_s=np.where(suspended, start_s + length_s, never),
        transferred_at_s=np.where(transferred, start_s, never),
        transfer_platform=np.where(transferred, destinations, ""),
    )


def _destinations(rng: np.random.Generator, count: int, home: str) -> StrArray:
    """A platform other than ``home`` per account, mostly of the same regional route."""
    region = PLATFORM_REGIONS[home]
    near = np.array(sorted(p for p, r in PLATFORM_REGIONS.items() if r == region and p != home))
    anywhere = np.array(sorted(p for p in PLATFORM_REGIONS if p != home))
    far_pick = anywhere[rng.integers(0, len(anywhere), count)]
    if not len(near):
        return far_pick
    near_pick = near[rng.integers(0, len(near), count)]
    return np.where(rng.random(count) < SAME_REGION_TRANSFERS, near_pick, far_pick)
