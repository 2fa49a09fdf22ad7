"""Hand-built matches with all ten participants, and player profiles, for analysis tests.

``add_matches`` stores games of one focus player against nine others: every participant's
numbers are a typical role line scaled by their strength in that game (1.0 = typical), with
a little noise, so a test says "this player outplayed their lobby 1.6 to 1" and the
features must see it. ``set_profile`` stores what summoner-v4 and league-v4 answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from pipeline.store.aggregates import enqueue_players, rebuild_aggregates

ROLES = ("TOP", "JUNGLE", "MIDDLE", "BOTTOM", "UTILITY")
# A typical 30-minute line per role: cs, gold, damage, vision, kills, assists.
TYPICAL = {
    "TOP": (200, 11300, 18000, 18, 4, 6),
    "JUNGLE": (180, 12200, 15500, 26, 6, 7),
    "MIDDLE": (205, 12100, 20300, 20, 5, 6),
    "BOTTOM": (207, 12300, 18300, 19, 6, 6),
    "UTILITY": (33, 8600, 9800, 60, 2, 12),
}
START = datetime(2026, 9, 1)


@dataclass(frozen=True)
class Game:
    """One game of the focus player: how strong they and the rest of the lobby played.

    ``feeding`` makes the focus player die that many times more (a thrown game).
    """

    won: bool
    strength: float = 1.0
    lobby_strength: float = 1.0
    feeding: float = 1.0
    at: datetime = START


def games_every(
    n: int, *, won: Sequence[bool], start: datetime = START, hours: float = 6.0, **kw: float
) -> list[Game]:
    """``n`` games ``hours`` apart from ``start``; ``won`` repeats as needed."""
    return [
        Game(won=won[i % len(won)], at=start + timedelta(hours=hours * i), **kw) for i in range(n)
    ]


def _line(role: str, strength: float, deaths_factor: float, rng: np.random.Generator) -> dict:
    cs, gold, damage, vision, kills, assists = TYPICAL[role]
    noise = rng.normal(1.0, 0.05, size=6).clip(0.8, 1.2)
    return {
        "cs": round(cs * strength * noise[0]),
        "gold_earned": round(gold * strength**0.5 * noise[1]),
        "damage_to_champions": round(damage * strength * noise[2]),
        "vision_score": round(vision * strength * noise[3]),
        "kills": round(kills * strength * noise[4]),
        "assists": round(assists * strength * noise[5]),
        "deaths": max(round(5 / strength * deaths_factor), 0),
        "kill_participation": min(0.5 * strength, 1.0),
    }


def add_matches(
    con: duckdb.DuckDBPyConnection,
    puuid: str,
    games: Sequence[Game],
    *,
    role: str = "MIDDLE",
    level: int = 150,
    lobby_prefix: str | None = None,
    seed: int = 0,
) -> None:
    """Store ``games`` of ``puuid`` in ``role``, each with nine co-players of its own."""
    rng = np.random.default_rng(seed)
    prefix = lobby_prefix or f"{puuid}-mate"
    rows = []
    for number, game in enumerate(games):
        match_id = f"{puuid}_{number}"
        for slot in range(10):
            team = 100 if slot < 5 else 200
            slot_role = ROLES[slot % 5]
            focus = slot == ROLES.index(role)
            strength = game.strength if focus else game.lobby_strength
            line = _line(slot_role, strength, game.feeding if focus else 1.0, rng)
            rows.append(
                {
                    "match_id": match_id,
                    "puuid": puuid if focus else f"{prefix}-{number}-{slot}",
                    "queue_id": 420,
                    "game_start": game.at,
                    "game_duration_s": 1800,
                    "team_id": team,
                    "team_position": slot_role,
                    "win": game.won if team == 100 else not game.won,
                    "summoner_level": level if focus else 200,
                    "champion_id": 1 + number % 3 if focus else 100 + slot,
                    **line,
                }
            )
    frame = pd.DataFrame(rows)
    con.register("new_rows", frame)
    con.execute(
        f"INSERT INTO match_participants ({', '.join(frame.columns)}) SELECT * FROM new_rows"
    )
    # Rows inserted by hand, not by the writers: recompute the per-player sums and queue
    # the players for scoring, as the writers do.
    rebuild_aggregates(con)
    enqueue_players(con, "SELECT DISTINCT puuid FROM new_rows")
    con.unregister("new_rows")
    con.execute(
        "INSERT INTO players (puuid, summoner_level) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [puuid, level],
    )


def set_profile(
    con: duckdb.DuckDBPyConnection,
    puuid: str,
    *,
    level: int,
    wins: int | None,
    losses: int | None,
    tier: str | None = "GOLD",
    division: str = "II",
    lp: int = 50,
    checked_at: datetime | None = None,
    found: bool = True,
) -> None:
    """Store the last summoner-v4 + league-v4 answer for ``puuid`` (``wins`` None: unranked)."""
    ranked = wins is not None
    con.execute("INSERT INTO players (puuid) VALUES (?) ON CONFLICT DO NOTHING", [puuid])
    con.execute(
        """UPDATE players SET summoner_level = ?, summoner_checked_at = ?, profile_found = ?,
            solo_tier = ?, solo_division = ?, solo_league_points = ?, solo_wins = ?,
            solo_losses = ? WHERE puuid = ?""",
        [
            level,
            checked_at or datetime.now(UTC).replace(tzinfo=None),
            found,
            tier if ranked else None,
            division if ranked else None,
            lp if ranked else None,
            wins,
            losses,
            puuid,
        ],
    )
    enqueue_players(con, f"SELECT '{puuid}' AS puuid")  # as the profile writer does
