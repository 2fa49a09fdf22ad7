"""The season: players queue, get matched by rating, win or lose, and their rank moves.

Time advances in fixed slots. In each slot every eligible player queues with a probability
set by how often they play; the queued players of each queue are split by the role they
play this game, each role sorted by hidden rating, and the k-th pair of every role makes
match k, so lobbies are close in rating as Riot's matchmaking aims for (as closely as the
world's ``matchmaking_spread`` allows). A duo queues together and is sorted by the pair's
mean rating, onto one team. A duo boost queues together only in its stretch: the owner at
a booster's pace, in ranked solo/duo, the booster beside it, both seated before anyone else
of their roles (a paid boost does not wait). The winner is drawn from the teams' true
skills (a deranking smurf throwing a game counts far below its skill); ratings move
Elo-style and the visible ladder follows them. All of it is array arithmetic over the
players of one slot; only the few duos of a slot are placed one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from pipeline.simulator.assumptions import STANDARD, Population, WorldAssumptions
from pipeline.simulator.champions import CHAMPIONS_PER_ROLE, ROLES
from pipeline.simulator.population import (
    BOOST_GAMES_PER_DAY,
    DAY_S,
    BoolArray,
    FloatArray,
    IntArray,
    Players,
    return_to_ranked,
)
from pipeline.simulator.stats import StatModel, draw_stats

SLOT_S = 2 * 3600
LONGEST_GAME_S = 55 * 60
QUEUES = np.array([420, 400, 440, 450])
QUEUE_SHARES = np.array([0.78, 0.08, 0.07, 0.07])
RANKED_SOLO = 420
ARAM = 450
ELO_SCALE = 500.0
OFF_ROLE_PENALTY = 150.0  # skill lost on a role that is neither of a player's two
THROW_CHANCE = 0.85  # a deranking smurf above its parking rank throws this share of games
THROW_WEIGHT = 2500.0  # how far below its skill a thrown game counts in the win draw


@dataclass
class MatchBlock:
    """Matches in start order; per-participant arrays are shaped (matches, 10)."""

    start_s: IntArray
    duration_s: IntArray
    queue_id: IntArray
    blue_won: BoolArray
    player: IntArray
    role: IntArray
    champion: IntArray  # flat champion slot, see champions.py
    level: IntArray
    won: BoolArray
    kills: IntArray
    deaths: IntArray
    assists: IntArray
    minions: IntArray
    neutral_minions: IntArray
    gold: IntArray
    damage: IntArray
    vision: IntArray
    champ_level: IntArray
    solo_kills: IntArray
    wards_placed: IntArray

    @property
    def count(self) -> int:
        """Number of matches."""
        return len(self.start_s)


# Storage types: a world of 100,000 players holds about six million participant rows.
COMPACT_TYPES: dict[str, type[np.generic]] = {
    "player": np.int32,
    "role": np.int8,
    "champion": np.int16,
    "level": np.int16,
    "kills": np.int16,
    "deaths": np.int16,
    "assists": np.int16,
    "minions": np.int16,
    "neutral_minions": np.int16,
    "gold": np.int32,
    "damage": np.int32,
    "vision": np.int16,
    "champ_level": np.int8,
    "solo_kills": np.int8,
    "wards_placed": np.int16,
}


def concat_blocks(blocks: list[MatchBlock]) -> MatchBlock:
    """One block holding the matches of many, in order."""
    return MatchBlock(
        **{f.name: np.concatenate([getattr(b, f.name) for b in blocks]) for f in fields(MatchBlock)}
    )


def empty_block() -> MatchBlock:
    """A block with no matches."""
    values: dict[str, Any] = {}
    for f in fields(MatchBlock):
        flat = f.name in ("start_s", "duration_s", "queue_id", "blue_won")
        dtype = bool if f.name in ("blue_won", "won") else COMPACT_TYPES.get(f.name, np.int64)
        values[f.name] = np.zeros((0,) if flat else (0, 10), dtype=dtype)
    return MatchBlock(**values)


def play_slot(
    players: Players,
    rng: np.random.Generator,
    slot_start_s: int,
    absent: BoolArray | None = None,
    assumptions: WorldAssumptions = STANDARD,
) -> MatchBlock:
    """Play every match that starts in one time slot and update the players.

    ``absent`` marks players who cannot queue in this slot (suspended, transferred away).
    """
    returning = np.flatnonzero(
        (players.return_at_s >= slot_start_s) & (players.return_at_s < slot_start_s + SLOT_S)
    )
    if len(returning):
        return_to_ranked(players, returning, rng)
    partner = players.partners_at(slot_start_s)
    duo_boosting = players.duo_boosting(slot_start_s)
    queued = _queued_players(players, rng, slot_start_s, absent, partner, duo_boosting)
    queue_of = _queues_of(rng, queued, partner, duo_boosting)
    lobbies = [
        _form_matches(
            players,
            rng,
            queued[queue_of == q],
            partner,
            assumptions.matchmaking_spread,
            first=duo_boosting,
        )
        for q in QUEUES
    ]
    lobby = np.concatenate(lobbies)
    queue_id = np.repeat(QUEUES, [len(part) for part in lobbies]).astype(np.int64)
    # Whoever queued and found no game this slot is first in line for the next one.
    players.waiting[:] = False
    players.waiting[queued] = True
    players.waiting[lobby.ravel()] = False
    if not len(lobby):
        return empty_block()
    block = _play_matches(players, rng, lobby, queue_id, slot_start_s, StatModel.of(assumptions))
    order = np.argsort(block.start_s, kind="stable")
    return MatchBlock(
        **{
            f.name: getattr(block, f.name)[order].astype(COMPACT_TYPES.get(f.name), copy=False)
            if f.name in COMPACT_TYPES
            else getattr(block, f.name)[order]
            for f in fields(MatchBlock)
        }
    )


def _queued_players(
    players: Players,
    rng: np.random.Generator,
    at_s: int,
    absent: BoolArray | None,
    partner: IntArray,
    duo_boosting: BoolArray,
) -> IntArray:
    """The players who queue up in this slot (``partner``: each one's duo partner now;
    ``duo_boosting``: who is in a duo boost's stretch now)."""
    eligible = (
        (players.active_from_s <= at_s)
        & (players.banned_at_s > at_s + SLOT_S)
        & (players.games < players.max_games)
        & ~((players.break_from_s <= at_s) & (at_s < players.return_at_s))
    )
    if absent is not None:
        eligible &= ~absent
    index = np.flatnonzero(eligible)
    # A booster plays at a booster's pace in its stretch, at the keyboard or (a duo boost)
    # beside the owner; a shared account's friend plays at the owner's, on the friend's days.
    carried = duo_boosting[index] & (players.population[index] == int(Population.DUO_BOOSTED))
    boosted_now = players.boost_stretch(at_s, index) | carried
    per_day = np.where(boosted_now, BOOST_GAMES_PER_DAY, players.games_per_day[index])
    chance = np.minimum(per_day * SLOT_S / DAY_S, 0.9)
    chance = np.where(players.waiting[index], 1.0, chance)
    queued = index[rng.random(len(index)) < chance]
    # A duo's friend comes along whenever the carrier queues (and can play).
    partners = partner[queued]
    partners = partners[(partners >= 0) & eligible[np.maximum(partners, 0)]]
    return np.union1d(queued, partners)


def _queues_of(
    rng: np.random.Generator, queued: IntArray, partner_of: IntArray, duo_boosting: BoolArray
) -> IntArray:
    """The queue each player enters; a duo enters its carrier's queue together, a duo boost
    ranked solo/duo."""
    queue_of = rng.choice(QUEUES, size=len(queued), p=QUEUE_SHARES)
    queue_of[duo_boosting[queued]] = RANKED_SOLO
    partner = partner_of[queued]
    position = np.searchsorted(queued, partner)
    together = (partner >= 0) & (position < len(queued))
    together &= queued[np.minimum(position, len(queued) - 1)] == partner
    leads = together & (queued < partner)  # one member of each pair decides
    queue_of[position[leads]] = queue_of[leads]
    return queue_of


def _form_matches(
    players: Players,
    rng: np.random.Generator,
    queued: IntArray,
    partner: IntArray,
    spread: float = 0.0,
    first: BoolArray | None = None,
) -> IntArray:
    """Ten players per match (columns: roles of team 100, then team 200), close in rating."""
    roll = rng.random(len(queued))
    other = rng.integers(0, len(ROLES), len(queued))
    primary_share = players.primary_role_share[queued]
    role = np.where(
        roll < primary_share,
        players.primary_role[queued],
        np.where(
            roll < primary_share + players.secondary_role_share[queued],
            players.secondary_role[queued],
            other,
        ),
    )
    # Matchmaking sorts by rating, with the world's error; a duo by the pair's mean rating.
    key = players.mmr[queued] + rng.normal(0.0, spread, len(queued)) * (spread > 0)
    duos = _duos_in(partner, queued)
    for a, b in duos:
        key[a] = key[b] = (key[a] + key[b]) / 2
        if role[a] == role[b]:
            role[b] = (role[a] + 1 + rng.integers(0, len(ROLES) - 1)) % len(ROLES)
    by_role = [np.flatnonzero(role == r) for r in range(len(ROLES))]
    by_role = [rng.permutation(members) for members in by_role]
    if first is not None and first[queued].any():  # seated before the rest of their role
        by_role = [m[np.argsort(~first[queued[m]], kind="stable")] for m in by_role]
    matches = min(len(members) for members in by_role) // 2
    if matches == 0:
        return np.zeros((0, 10), dtype=np.int64)
    blue = np.empty((matches, len(ROLES)), dtype=np.int64)
    red = np.empty_like(blue)
    for r, members in enumerate(by_role):
        chosen = members[: 2 * matches]
        pairs = chosen[np.argsort(key[chosen], kind="stable")].reshape(matches, 2)
        flip = rng.random(matches) < 0.5
        blue[:, r] = np.where(flip, pairs[:, 1], pairs[:, 0])
        red[:, r] = np.where(flip, pairs[:, 0], pairs[:, 1])
    lobby = np.concatenate([blue, red], axis=1)
    boosts = [] if first is None else [(a, b) for a, b in duos if first[queued[a]]]
    _seat_duos_together(lobby, [pair for pair in duos if pair not in boosts])
    _seat_duo_boosts_together(lobby, boosts, duos)
    players_in: IntArray = queued[lobby]
    return players_in


def _duos_in(partner_of: IntArray, queued: IntArray) -> list[tuple[int, int]]:
    """Positions (in ``queued``) of both members of every duo queued together."""
    partner = partner_of[queued]
    position = np.searchsorted(queued, partner)
    found = (partner >= 0) & (position < len(queued))
    found &= queued[np.minimum(position, len(queued) - 1)] == partner
    carriers = np.flatnonzero(found & (queued < partner))
    return [(int(a), int(position[a])) for a in carriers]


def _seat_duos_together(lobby: IntArray, duos: list[tuple[int, int]]) -> None:
    """Move each duo's second member onto the first member's team, in its own role's seat.

    ``lobby`` holds positions in the queue (columns: roles of team 100, then team 200); the
    player moved out takes the friend's old seat, which is of the same role.
    """
    for a, b in duos:
        seat_a = np.argwhere(lobby == a)
        seat_b = np.argwhere(lobby == b)
        if not len(seat_a) or not len(seat_b):
            continue  # one of them found no game this slot
        (match_a, slot_a), (match_b, slot_b) = seat_a[0], seat_b[0]
        role_b = slot_b % len(ROLES)
        target = (slot_a // len(ROLES)) * len(ROLES) + role_b
        lobby[match_b, slot_b], lobby[match_a, target] = lobby[match_a, target], b


def _seat_duo_boosts_together(
    lobby: IntArray, boosts: list[tuple[int, int]], duos: list[tuple[int, int]]
) -> None:
    """Seat each duo boost on one team after the other duos, as ``_seat_duos_together``
    does, but never by moving a player away from a duo partner on its team: the booster
    joins the owner's team, or the owner the booster's, and only when neither can is the
    pair apart.
    """
    partner_of = {a: b for a, b in duos} | {b: a for a, b in duos}
    for a, b in boosts:
        for mover, stays in ((b, a), (a, b)):
            seat_mover, seat_stays = _seat_of(lobby, mover), _seat_of(lobby, stays)
            if seat_mover is None or seat_stays is None:
                break  # one of them found no game this slot
            if _teammates(seat_mover, seat_stays):
                break
            match, slot = seat_stays
            target = (match, (slot // len(ROLES)) * len(ROLES) + seat_mover[1] % len(ROLES))
            sitting = int(lobby[target])
            seat_partner = _seat_of(lobby, partner_of.get(sitting, -1))
            if seat_partner is not None and _teammates(target, seat_partner):
                continue
            lobby[seat_mover], lobby[target] = sitting, mover
            break


def _seat_of(lobby: IntArray, position: int) -> tuple[int, int] | None:
    """(match, seat) of a queue position in the lobby, None when it found no game."""
    seats = np.argwhere(lobby == position)
    return (int(seats[0][0]), int(seats[0][1])) if len(seats) else None


def _teammates(seat: tuple[int, int], other: tuple[int, int]) -> bool:
    """Whether two seats are on one team of one match."""
    return seat[0] == other[0] and seat[1] // len(ROLES) == other[1] // len(ROLES)


def _play_matches(
    players: Players,
    rng: np.random.Generator,
    lobby: IntArray,
    queue_id: IntArray,
    slot_start_s: int,
    stat_model: StatModel,
) -> MatchBlock:
    """Decide, describe and record a batch of matches."""
    count = len(lobby)
    role = np.tile(np.arange(len(ROLES)), 2)[None, :].repeat(count, axis=0)
    champion = _pick_champions(players, rng, lobby, role, slot_start_s)
    skill = players.current_skill(slot_start_s, lobby.ravel()).reshape(lobby.shape)
    on_main = champion == players.champions[lobby, 0]
    skill = skill + np.where(on_main, players.main_champion_bonus[lobby], 0.0)
    own_role = (role == players.primary_role[lobby]) | (role == players.secondary_role[lobby])
    skill = skill - np.where(own_role, 0.0, OFF_ROLE_PENALTY)
    games = players.games[lobby]
    lucky = (players.luck_from_game[lobby] <= games) & (games < players.luck_until_game[lobby])
    ranked = (queue_id == RANKED_SOLO)[:, None]
    throwing = (
        ranked
        & (players.ladder[lobby] > players.throw_above[lobby])
        & (rng.random(lobby.shape) < THROW_CHANCE)
    )
    draw_weight = skill + np.where(lucky, players.luck[lobby], 0.0)
    draw_weight = draw_weight - np.where(throwing, THROW_WEIGHT, 0.0)
    edge = draw_weight[:, :5].mean(axis=1) - draw_weight[:, 5:].mean(axis=1)
    blue_won = rng.random(count) < 1.0 / (1.0 + 10.0 ** (-edge / ELO_SCALE))
    won = np.concatenate(
        [np.repeat(blue_won[:, None], 5, 1), np.repeat(~blue_won[:, None], 5, 1)], 1
    )
    tilt_share = players.tilt_share[lobby]
    if tilt_share.any():  # drawn only in worlds with tilters: the others play out as before
        # A tilter losing a ranked game may fall apart in it: it plays and feeds as a thrower
        # does, but the game was lost before it tilted (no weight in the win draw).
        throwing = throwing | (ranked & ~won & (rng.random(lobby.shape) < tilt_share))
    minutes = np.clip(rng.normal(28.5, 6.0, count) - np.abs(edge) / 120.0, 15.0, 50.0)
    duration_s = np.rint(minutes * 60).astype(np.int64)
    start_s = slot_start_s + rng.integers(0, SLOT_S - LONGEST_GAME_S, count)
    level = np.floor(
        players.base_level[lobby] + players.games[lobby] * players.levels_per_game[lobby]
    )
    stats = draw_stats(
        rng,
        role,
        skill,
        players.style[lobby],
        won,
        duration_s / 60.0,
        queue_id == ARAM,
        stat_model,
        throwing,
    )
    _record_results(players, lobby, won, queue_id, start_s)
    return MatchBlock(
        start_s=start_s.astype(np.int64),
        duration_s=duration_s,
        queue_id=queue_id,
        blue_won=blue_won,
        player=lobby,
        role=role.astype(np.int64),
        champion=champion,
        level=level.astype(np.int64),
        won=won,
        **{f.name: getattr(stats, f.name) for f in fields(stats)},
    )


def _pick_champions(
    players: Players, rng: np.random.Generator, lobby: IntArray, role: IntArray, at_s: int
) -> IntArray:
    """Each participant's champion: their main, another of their pool, or any of the role."""
    boosting = players.boosting(at_s, lobby)
    pool = np.where(boosting[..., None], players.booster_champions[lobby], players.champions[lobby])
    roll = rng.random(lobby.shape)
    main_share = players.main_share[lobby]
    second = np.where(rng.random(lobby.shape) < 0.5, pool[..., 1], pool[..., 2])
    from_pool = np.where(roll < main_share, pool[..., 0], second)
    any_of_role = role * CHAMPIONS_PER_ROLE + rng.integers(0, CHAMPIONS_PER_ROLE, lobby.shape)
    pool_role = pool[..., 0] // CHAMPIONS_PER_ROLE
    return np.where(pool_role == role, from_pool, any_of_role).astype(np.int64)


def _record_results(
    players: Players, lobby: IntArray, won: BoolArray, queue_id: IntArray, start_s: IntArray
) -> None:
    """Count the games; for ranked solo, move hidden ratings and the visible ladder."""
    players.games[lobby] += 1
    ranked = queue_id == RANKED_SOLO
    lobby, won, start_s = lobby[ranked], won[ranked], start_s[ranked]
    mmr = players.mmr[lobby]
    edge = mmr[:, :5].mean(axis=1) - mmr[:, 5:].mean(axis=1)
    blue_expected = 1.0 / (1.0 + 10.0 ** (-edge / ELO_SCALE))
    expected = np.concatenate(
        [np.repeat(blue_expected[:, None], 5, 1), np.repeat(1 - blue_expected[:, None], 5, 1)], 1
    )
    streak = players.win_streak[lobby]
    new_streak = np.where(won, np.maximum(streak, 0) + 1, np.minimum(streak, 0) - 1)
    k = _rating_k(players.ranked_games[lobby], new_streak)
    players.mmr[lobby] = mmr + k * (won - expected)
    players.ladder[lobby] = _ladder_after(players.ladder[lobby], mmr, won)
    players.win_streak[lobby] = new_streak
    players.ranked_games[lobby] += 1
    players.wins[lobby] += won
    players.losses[lobby] += ~won
    players.last_ranked_s[lobby] = np.repeat(start_s[:, None], 10, axis=1)


def _rating_k(ranked_games: IntArray, streak: IntArray) -> FloatArray:
    """How far one game moves a hidden rating: more for new accounts and on streaks."""
    base = np.where(ranked_games < 15, 80.0, np.where(ranked_games < 50, 45.0, 32.0))
    k: FloatArray = base * (1.0 + 0.2 * np.minimum(np.abs(streak) - 1, 5))
    return k


def _ladder_after(ladder: FloatArray, mmr: FloatArray, won: BoolArray) -> FloatArray:
    """LP won or lost: more when the hidden rating is above the visible rank, as Riot does."""
    gap = (mmr - ladder) / 15.0
    gain = np.clip(21.0 + gap, 6.0, 45.0)
    loss = np.clip(21.0 - gap, 6.0, 45.0)
    return np.maximum(np.where(won, ladder + gain, ladder - loss), 0.0)
