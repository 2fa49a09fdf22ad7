"""Write a simulated world straight into the database, with its ground truth (no HTTP).

Rows go through the store's bulk writers as DataFrames built column-wise from the world's
arrays; string columns that repeat (PUUIDs, Riot IDs, match ids per participant) are
categoricals so a few million participant rows stay small in memory. Matches are written in
batches of one transaction each; rank snapshots and ``sim_truth`` come last, so a database
with ``sim_truth`` rows holds a whole world.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.simulator.assumptions import Population
from pipeline.simulator.champions import CHAMPION_IDS, CHAMPION_NAMES, ROLES
from pipeline.simulator.config import SimulatorConfig
from pipeline.simulator.errors import AnotherWorldError
from pipeline.simulator.payloads import GAME_VERSION, MAP_IDS, PLACEMENT_GAMES, QUEUE_MODES
from pipeline.simulator.population import IntArray, is_boosted, is_smurf, is_trap
from pipeline.simulator.ranks import ranks_of
from pipeline.simulator.season import ARAM
from pipeline.simulator.stats import team_totals
from pipeline.simulator.world import MATCH_NUMBER_BASE, RankSnapshot, World, build_world
from pipeline.store.lake_schema import run_ddl
from pipeline.store.location import Location

BATCH_MATCHES = 50_000
SIM_TRUTH_DDL = """
CREATE TABLE IF NOT EXISTS sim_truth (
    puuid               VARCHAR PRIMARY KEY,
    population          VARCHAR NOT NULL,   -- NORMAL | SMURF | ... (simulator Population)
    is_smurf            BOOLEAN NOT NULL,   -- a smurf of any kind
    is_boosted          BOOLEAN NOT NULL,
    is_banned           BOOLEAN NOT NULL,   -- banned as of the world's "now"
    is_trap             BOOLEAN NOT NULL,   -- an honest player a naive rule flags
    true_skill          DOUBLE NOT NULL,    -- the owner's skill on the ladder scale (0 = IRON IV)
    banned_at           TIMESTAMP,
    account_created_at  TIMESTAMP NOT NULL,
    renamed             BOOLEAN NOT NULL    -- Riot ID changed by "now"
)
"""
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote."""

    players: int
    matches: int
    participants: int
    rank_snapshots: int
    truth_rows: int
    world_now_s: int


def export_world(
    config: SimulatorConfig,
    db_path: Location,
    *,
    world: World | None = None,
    progress: Progress | None = None,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
) -> ExportReport:
    """Build the world of ``config`` (unless given) and write it into ``db_path``."""
    from pipeline.store import migrate, write
    from pipeline.store.profiles import upsert_profile_frame
    from pipeline.store.writers import WriteCounts, write_match_frames

    report = progress or (lambda stage, done, total: None)
    # Migrated first, so a migration that fails is the one line a user sees; a refused
    # export (below) leaves at most the file brought up to the current schema.
    migrate(db_path, timeout_s=lock_timeout_s)
    report("world", 0, 1)
    world = world if world is not None else build_world(config)
    report("world", 1, 1)
    players = player_frame(world)
    _refuse_another_world(db_path, players, lock_timeout_s)
    total = world.matches.count
    counts = WriteCounts()
    # A transaction per batch keeps DuckDB's memory bounded; re-running an interrupted
    # export completes it, since every write skips rows already stored.
    for first in range(0, max(total, 1), BATCH_MATCHES):
        numbers = np.arange(first, min(first + BATCH_MATCHES, total))
        with write(db_path, timeout_s=lock_timeout_s) as con:
            counts += write_match_frames(
                con, match_frame(world, numbers), participant_frame(world, numbers), players
            )
        players = players.iloc[:0]  # every player is written with the first batch
        report("matches", int(numbers[-1]) + 1 if len(numbers) else 0, total)
    with write(db_path, timeout_s=lock_timeout_s) as con:
        snapshots = insert_frame(
            con,
            "rank_snapshots",
            rank_snapshot_frame(world),
            ("puuid", "queue_type", "observed_at"),
        )
        upsert_profile_frame(con, profile_frame(world, datetime.now(UTC).replace(tzinfo=None)))
        report("rank snapshots", 1, 1)
        run_ddl(con, SIM_TRUTH_DDL)
        con.execute("DELETE FROM sim_truth")
        truth_rows = insert_frame(con, "sim_truth", truth_frame(world), ("puuid",))
        report("truth", 1, 1)
    return ExportReport(
        players=counts.players_created + counts.players_updated,
        matches=counts.matches_created,
        participants=counts.participants_created,
        rank_snapshots=snapshots,
        truth_rows=truth_rows,
        world_now_s=world.now_s,
    )


def _refuse_another_world(db_path: Location, players: pd.DataFrame, timeout_s: float) -> None:
    """Raise ``AnotherWorldError`` when ``db_path`` (migrated) stores a player ``players``
    lacks. The same world's players (an interrupted export, a crawl of this world) are
    completed."""
    from pipeline.store import read

    with read(db_path, timeout_s=timeout_s) as con:
        con.register("world_players", players[["puuid"]])
        row = con.execute(
            "SELECT count(*) FROM players WHERE puuid NOT IN (SELECT puuid FROM world_players)"
        ).fetchone()
        con.unregister("world_players")
    if row and int(row[0]):
        raise AnotherWorldError(db_path, int(row[0]), replaceable=isinstance(db_path, Path))


def write_truth(db_path: Path, world: World) -> int:
    """Store (or replace) a world's ground truth in ``sim_truth``; returns the rows written."""
    from pipeline.store import write

    with write(db_path) as con:
        return store_truth(con, world)


def store_truth(con: duckdb.DuckDBPyConnection, world: World) -> int:
    """``write_truth`` in the caller's transaction."""
    con.execute(SIM_TRUTH_DDL)
    con.execute("DELETE FROM sim_truth")
    return insert_frame(con, "sim_truth", truth_frame(world), ("puuid",))


def insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, key: tuple[str, ...]
) -> int:
    """Insert a frame's rows into a table by column name, skipping keys already stored."""
    same = " AND ".join(f"t.{k} = e.{k}" for k in key)
    con.register("export_rows", frame)
    try:
        row = con.execute(
            f"INSERT INTO {table} BY NAME SELECT * FROM export_rows e"
            f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same})"
        ).fetchone()
    finally:
        con.unregister("export_rows")
    return int(row[0]) if row else 0


def _timestamps(epoch_s: IntArray) -> pd.Series:
    return pd.Series(np.asarray(epoch_s, dtype="datetime64[s]").astype("datetime64[us]"))


def match_ids(world: World, numbers: IntArray) -> npt.NDArray[np.str_]:
    """Public ids of these matches."""
    prefix = world.config.platform.upper() + "_"
    ids = np.char.add(prefix, (numbers + MATCH_NUMBER_BASE).astype(str))
    return ids


def match_frame(world: World, numbers: IntArray) -> pd.DataFrame:
    """One row per match, with the columns of the ``matches`` table."""
    block = world.matches
    start_s = block.start_s[numbers]
    duration_s = block.duration_s[numbers]
    queue_id = block.queue_id[numbers]
    patch = ".".join(GAME_VERSION.split(".")[:2])
    return pd.DataFrame(
        {
            "match_id": match_ids(world, numbers),
            "platform": world.config.platform,
            "queue_id": queue_id,
            "game_creation": _timestamps(start_s) - pd.Timedelta(seconds=15),
            "game_start": _timestamps(start_s),
            "game_end": _timestamps(start_s + duration_s),
            "game_duration_s": duration_s,
            "game_version": GAME_VERSION,
            "patch": patch,
            "game_mode": pd.Series(queue_id).map(QUEUE_MODES),
            "game_type": "MATCHED_GAME",
            "map_id": pd.Series(queue_id).map(MAP_IDS),
            "end_of_game_result": "GameComplete",
            "participant_count": 10,
        }
    )


def participant_frame(world: World, numbers: IntArray) -> pd.DataFrame:
    """Ten rows per match, with the columns of ``match_participants``."""
    block = world.matches
    players = world.players
    player = block.player[numbers]
    kills, deaths, assists = block.kills[numbers], block.deaths[numbers], block.assists[numbers]
    damage, gold, vision = block.damage[numbers], block.gold[numbers], block.vision[numbers]
    duration_s = np.repeat(block.duration_s[numbers][:, None], 10, axis=1)
    minutes = duration_s / 60.0
    team_kills = team_totals(kills)
    aram = np.repeat((block.queue_id[numbers] == ARAM)[:, None], 10, axis=1)
    role = np.where(aram, -1, block.role[numbers])
    start_s = np.repeat(block.start_s[numbers][:, None], 10, axis=1)
    renamed = start_s >= players.renamed_at_s[player]
    name_codes = (player * 2 + renamed).ravel()
    names = np.stack([players.game_name, players.new_game_name], axis=1).ravel()
    tags = np.stack([players.tag_line, players.new_tag_line], axis=1).ravel()
    columns = {
        "match_id": _labelled(np.repeat(np.arange(len(numbers)), 10), match_ids(world, numbers)),
        "puuid": _labelled(player.ravel(), players.puuid),
        "queue_id": np.repeat(block.queue_id[numbers], 10),
        "game_start": np.repeat(_timestamps(block.start_s[numbers]).to_numpy(), 10),
        "game_duration_s": duration_s.ravel(),
        "participant_id": np.tile(np.arange(1, 11), len(numbers)),
        "team_id": np.tile(np.repeat([100, 200], 5), len(numbers)),
        "champion_id": CHAMPION_IDS[block.champion[numbers]].ravel(),
        "champion_name": _labelled(block.champion[numbers].ravel(), CHAMPION_NAMES),
        "team_position": _labelled(role.ravel(), list(ROLES)),
        "individual_position": _labelled(
            np.where(aram, len(ROLES), block.role[numbers]).ravel(),
            [*ROLES, "Invalid"],
        ),
        "win": block.won[numbers].ravel(),
        "kills": kills.ravel(),
        "deaths": deaths.ravel(),
        "assists": assists.ravel(),
        "cs": (block.minions[numbers] + block.neutral_minions[numbers]).ravel(),
        "gold_earned": gold.ravel(),
        "damage_to_champions": damage.ravel(),
        "vision_score": vision.ravel(),
        "summoner_level": block.level[numbers].ravel(),
        "champ_level": block.champ_level[numbers].ravel(),
        "time_played_s": duration_s.ravel(),
        "riot_id_game_name": _categorical(names, name_codes),
        "riot_id_tagline": _categorical(tags, name_codes),
        "kill_participation": np.where(
            team_kills > 0, (kills + assists) / np.maximum(team_kills, 1), 0.0
        ).ravel(),
        "kda": ((kills + assists) / np.maximum(deaths, 1)).ravel(),
        "damage_per_minute": (damage / minutes).ravel(),
        "gold_per_minute": (gold / minutes).ravel(),
        "team_damage_percentage": (damage / np.maximum(team_totals(damage), 1)).ravel(),
        "vision_score_per_minute": (vision / minutes).ravel(),
        "solo_kills": block.solo_kills[numbers].ravel(),
        "early_surrender": False,
    }
    return pd.DataFrame(columns)


def _labelled(codes: IntArray, labels: Any) -> pd.Categorical:
    """A categorical of ``labels[codes]``; code -1 is a missing value."""
    categorical: pd.Categorical = pd.Categorical.from_codes(
        codes, categories=pd.Index(np.asarray(labels, dtype=object))
    )
    return categorical


def _categorical(values: npt.NDArray[np.str_], picks: IntArray) -> pd.Categorical:
    """``values[picks]`` without materialising one string per row."""
    categories, codes = np.unique(values, return_inverse=True)
    return _labelled(codes[picks], categories)


def profile_frame(world: World, checked_at: datetime) -> pd.DataFrame:
    """Every player's profile as summoner-v4 and league-v4 would answer now, asked at
    ``checked_at``: an export knows everyone's profile, as a crawl knows the ones it asked."""
    players = world.players
    level = np.floor(players.base_level + players.games * players.levels_per_game)
    wins = players.prior_wins + players.wins
    losses = players.prior_losses + players.losses
    found = players.banned_at_s > world.now_s
    placed = found & (wins + losses >= PLACEMENT_GAMES)
    tiers, divisions, lp = ranks_of(players.ladder)
    return pd.DataFrame(
        {
            "puuid": players.puuid,
            "platform": world.config.platform,
            "summoner_level": level.astype(np.int64),
            "profile_icon_id": players.profile_icon,
            "summoner_checked_at": checked_at,
            "profile_found": found,
            "solo_tier": pd.Series(tiers).where(placed),
            "solo_division": pd.Series(divisions).where(placed),
            "solo_league_points": pd.Series(lp).where(placed).astype("Int64"),
            "solo_wins": pd.Series(wins).where(placed).astype("Int64"),
            "solo_losses": pd.Series(losses).where(placed).astype("Int64"),
        }
    )


def player_frame(world: World) -> pd.DataFrame:
    """Every player as of now (Riot ID, level, icon)."""
    players = world.players
    names, tags = world.current_riot_ids()
    level = np.floor(players.base_level + players.games * players.levels_per_game)
    return pd.DataFrame(
        {
            "puuid": players.puuid,
            "game_name": names,
            "tag_line": tags,
            "platform": world.config.platform,
            "summoner_level": level.astype(np.int64),
            "profile_icon_id": players.profile_icon,
        }
    )


def rank_snapshot_frame(world: World) -> pd.DataFrame:
    """Weekly solo-queue rank rows, a row only when a player's standing changed."""
    frames = []
    previous: RankSnapshot | None = None
    for snapshot in [*world.rank_history, world.rank_now()]:
        frames.append(_snapshot_rows(world, snapshot, previous))
        previous = snapshot
    return pd.concat(frames, ignore_index=True)


def _snapshot_rows(
    world: World, snapshot: RankSnapshot, previous: RankSnapshot | None
) -> pd.DataFrame:
    players = world.players
    ranked = (
        (snapshot.wins + snapshot.losses >= PLACEMENT_GAMES)
        & (players.banned_at_s > snapshot.at_s)
        & (players.created_at_s <= snapshot.at_s)
    )
    if previous is not None:
        ranked &= (snapshot.wins != previous.wins) | (snapshot.losses != previous.losses)
    index = np.flatnonzero(ranked)
    tiers, divisions, lp = ranks_of(snapshot.ladder[index])
    games = snapshot.wins[index] + snapshot.losses[index]
    return pd.DataFrame(
        {
            "puuid": players.puuid[index],
            "queue_type": "RANKED_SOLO_5x5",
            "tier": tiers,
            "division": divisions,
            "league_points": lp,
            "wins": snapshot.wins[index],
            "losses": snapshot.losses[index],
            "hot_streak": False,
            "veteran": games > 200,
            "fresh_blood": snapshot.ranked_games[index] < 30,
            "inactive": False,
            "observed_at": _timestamps(np.full(len(index), snapshot.at_s)),
        }
    )


def truth_frame(world: World) -> pd.DataFrame:
    """Ground truth per player, for ``sim_truth``."""
    players = world.players
    population = players.population
    banned = players.banned_at_s <= world.now_s
    names = np.array([p.name for p in Population])
    return pd.DataFrame(
        {
            "puuid": players.puuid,
            "population": names[population],
            "is_smurf": is_smurf(population),
            "is_boosted": is_boosted(population),
            "is_banned": banned,
            "is_trap": is_trap(population),
            "true_skill": players.true_skill(),
            "banned_at": _timestamps(np.where(banned, players.banned_at_s, 0)).where(banned),
            "account_created_at": _timestamps(players.created_at_s),
            "renamed": players.renamed_at_s <= world.now_s,
        }
    )
