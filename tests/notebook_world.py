"""A small, fully known world in a real DuckDB file for the notebook and explorer tests.

40 players on two platforms, 120 ranked games, two scoring runs (the second flags new
players), ban-check evidence, job executions with log lines, and a ``sim_truth`` table.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.store import migrate, write
from pipeline.store.aggregates import rebuild_aggregates

NOW = datetime(2026, 11, 28, 12, 0, 0)
# How long before the world's "now" its two scoring runs were; FIRST_SCORING and
# SECOND_SCORING are their times in the world built at NOW.
FIRST_SCORING_AGO = timedelta(days=2)
SECOND_SCORING_AGO = timedelta(hours=1)
FIRST_SCORING = NOW - FIRST_SCORING_AGO
SECOND_SCORING = NOW - SECOND_SCORING_AGO
TIERS = ["IRON", "BRONZE", "SILVER", "GOLD", "PLATINUM", "EMERALD", "DIAMOND"]
ROLES = ["TOP", "JUNGLE", "MIDDLE", "BOTTOM", "UTILITY"]
PLAYERS = 40
MATCHES = 120
SMURFS = ("p00", "p01", "p02", "p03")  # flagged SMURF in both runs
NEWLY_FLAGGED = "p04"  # NORMAL in the first run, SMURF in the second
BOOSTED = "p05"
BANNED = "p01"  # UNAVAILABLE since the last report
BANNED_BEFORE = "p02"  # already UNAVAILABLE at the first scoring
# Too few games to judge: its raw score is meaningless, however high.
INSUFFICIENT = "p39"


def puuid(i: int) -> str:
    return f"p{i:02d}"


def clock_now() -> datetime:
    """The real clock to the minute, in UTC without a zone, as the store keeps times."""
    return datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)


def build_world(path: Path, seed: int = 7, now: datetime = NOW) -> Path:
    """Create and fill the database at ``path``; returns ``path``.

    Every time in it is set back from ``now``: the fixed NOW for tests that pass their
    own ``as_of``, the real clock (``clock_now()``) for tests that run notebooks as
    opened, whose windows end at the real clock.
    """
    rng = np.random.default_rng(seed)
    migrate(path)
    players = _players(rng)
    participants, matches = _matches(rng, players, now)
    with write(path) as con:
        for table, frame in [
            ("players", players.drop(columns=["tier", "skill"])),
            ("rank_snapshots", _ranks(players, now)),
            ("matches", matches),
            ("match_participants", participants),
            ("smurf_scores", _scores(players, now)),
            ("account_checks", _checks(now)),
            ("job_executions", _executions(now)),
            ("job_execution_logs", _logs(now)),
        ]:
            con.register("frame", frame)
            columns = ", ".join(frame.columns)
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM frame")
            con.unregister("frame")
        is_smurf = players["puuid"].isin([*SMURFS, NEWLY_FLAGGED])
        is_boosted = players["puuid"] == BOOSTED
        truth = players[["puuid", "skill"]].assign(
            population=np.where(is_smurf, "SMURF", np.where(is_boosted, "BOOSTED", "NORMAL")),
            is_smurf=is_smurf,
            is_boosted=is_boosted,
            is_trap=False,
        )
        con.register("truth", truth)
        con.execute("CREATE TABLE sim_truth AS SELECT * FROM truth")
        # The store's writers keep the per-player sums as they store games; rows inserted
        # as above are summed once, as `smurf db rebuild-aggregates --keep-reference` would
        # (the made-up games lack what a lobby reference needs).
        rebuild_aggregates(con, renorm=False)
    return path


def build_unscored_world(path: Path, players: int = 120) -> Path:
    """A simulated world's games stored, nobody scored and no profile fetched: the database
    `smurf import-matches` (or the updater and fetcher) leaves before `smurf analyze` runs.
    Returns ``path``."""
    from pipeline.simulator import SimulatorConfig
    from pipeline.simulator.export import match_frame, participant_frame, player_frame
    from pipeline.simulator.world import build_world as build_simulated_world
    from pipeline.store.writers import write_match_frames

    migrate(path)
    world = build_simulated_world(SimulatorConfig(seed=11, players=players))
    numbers = np.arange(world.matches.count)
    with write(path) as con:
        write_match_frames(
            con, match_frame(world, numbers), participant_frame(world, numbers), player_frame(world)
        )
    return path


def build_unprofiled_world(path: Path, players: int = 120) -> Path:
    """A simulated world's games stored and scored at the real clock, no profile ever
    fetched: the database `smurf import-matches` (or the updater and fetcher) and then
    `smurf analyze` leave before PROFILE_REFRESHER runs, every label INSUFFICIENT_DATA.
    Returns ``path``."""
    from pipeline.analysis import score_players, write_scores

    build_unscored_world(path, players)
    with write(path) as con:
        write_scores(con, score_players(con), clock_now())
    return path


def _players(rng: np.random.Generator) -> pd.DataFrame:
    ids = [puuid(i) for i in range(PLAYERS)]
    return pd.DataFrame(
        {
            "puuid": ids,
            "game_name": [f"Player{i:02d}" for i in range(PLAYERS)],
            "tag_line": ["EUW" if i % 2 == 0 else "NA1" for i in range(PLAYERS)],
            "platform": ["euw1" if i % 2 == 0 else "na1" for i in range(PLAYERS)],
            "summoner_level": rng.integers(30, 400, PLAYERS).astype(int),
            "is_tracked": [i < 5 for i in range(PLAYERS)],
            "tier": [TIERS[i % len(TIERS)] for i in range(PLAYERS)],
            "skill": [3.0 if p in (*SMURFS, NEWLY_FLAGGED) else 0.0 for p in ids],
        }
    )


def _matches(
    rng: np.random.Generator, players: pd.DataFrame, now: datetime
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, games = [], []
    for m in range(MATCHES):
        match_id = f"EUW1_{1000 + m}"
        start = now - timedelta(days=20) + timedelta(hours=4 * m)
        duration_s = int(rng.integers(1200, 2400))
        picked = players.iloc[rng.choice(len(players), 10, replace=False)]
        strength = [picked["skill"].iloc[:5].sum(), picked["skill"].iloc[5:].sum()]
        blue_wins = bool(rng.random() < 0.5 + 0.08 * (strength[0] - strength[1]))
        games.append((match_id, "euw1", 420, start, duration_s, 10))
        for slot, player in enumerate(picked.itertuples()):
            team = 100 if slot < 5 else 200
            boost = 1 + player.skill / 3
            rows.append(
                {
                    "match_id": match_id,
                    "puuid": player.puuid,
                    "queue_id": 420,
                    "game_start": start,
                    "game_duration_s": duration_s,
                    "team_id": team,
                    "champion_name": f"Champ{int(rng.integers(0, 30))}",
                    "team_position": ROLES[slot % 5],
                    "win": blue_wins == (team == 100),
                    "kills": int(rng.poisson(4 * boost)),
                    "deaths": int(rng.poisson(5 / boost)),
                    "assists": int(rng.poisson(6)),
                    "cs": int(rng.normal(150 * boost, 20)),
                    "gold_earned": int(rng.normal(10000 * boost, 800)),
                    "damage_to_champions": int(rng.normal(15000 * boost, 2000)),
                    "riot_id_game_name": f"Player{player.puuid[1:]}",
                }
            )
    columns = ["match_id", "platform", "queue_id", "game_start", "game_duration_s"]
    matches = pd.DataFrame(games, columns=[*columns, "participant_count"])
    return pd.DataFrame(rows), matches


def _ranks(players: pd.DataFrame, now: datetime) -> pd.DataFrame:
    rows = []
    for player in players.itertuples():
        for days_ago, lp in [(10, 20), (3, 60)]:
            climbed = player.puuid in SMURFS and days_ago == 3
            tier = TIERS[min(TIERS.index(player.tier) + climbed, len(TIERS) - 1)]
            observed_at = now - timedelta(days=days_ago)
            rows.append((player.puuid, "RANKED_SOLO_5x5", tier, "II", lp, observed_at))
    return pd.DataFrame(
        rows, columns=["puuid", "queue_type", "tier", "division", "league_points", "observed_at"]
    )


def _label(puuid: str, first_run: bool) -> str:
    if puuid in SMURFS or (puuid == NEWLY_FLAGGED and not first_run):
        return "SMURF"
    if puuid == BOOSTED:
        return "BOOSTED"
    if puuid == INSUFFICIENT:
        return "INSUFFICIENT_DATA"
    return "NORMAL"


def _scores(players: pd.DataFrame, now: datetime) -> pd.DataFrame:
    rows = []
    runs = [(now - FIRST_SCORING_AGO, True), (now - SECOND_SCORING_AGO, False)]
    for scored_at, first_run in runs:
        for i, player in enumerate(players.itertuples()):
            label = _label(player.puuid, first_run)
            smurf = 0.9 - 0.01 * i if label == "SMURF" else 0.05 + 0.005 * i
            smurf = 1.0 if label == "INSUFFICIENT_DATA" else smurf
            boosted = 0.8 if label == "BOOSTED" else 0.05
            factors = {
                "smurf": {"win_rate": smurf / 2, "kda_vs_tier": smurf / 3, "level": -0.1},
                "boosted": {"win_rate": -0.2, "kda_vs_tier": boosted / 2, "level": 0.05},
            }
            rows.append(
                {
                    "puuid": player.puuid,
                    "scored_at": scored_at,
                    "model_version": "test-1",
                    "smurf_score": smurf,
                    "boosted_score": boosted,
                    "label": label,
                    "confidence": 0.8,
                    "games_analyzed": 3 if label == "INSUFFICIENT_DATA" else 30,
                    "reason": (
                        "only 3 ranked games stored (5 needed)"
                        if label == "INSUFFICIENT_DATA"
                        else None
                    ),
                    "matches_stored": 30,
                    "tier": player.tier,
                    "contributions": json.dumps(factors),
                }
            )
    return pd.DataFrame(rows)


def _checks(now: datetime) -> pd.DataFrame:
    first_scoring, second_scoring = now - FIRST_SCORING_AGO, now - SECOND_SCORING_AGO
    rows = [
        (BANNED_BEFORE, first_scoring - timedelta(hours=1), "UNAVAILABLE"),
        (BANNED, first_scoring - timedelta(hours=1), "ACTIVE"),
        (BANNED, second_scoring, "UNAVAILABLE"),
        ("p03", second_scoring, "ACTIVE"),
        ("p00", second_scoring, "ACTIVE"),  # the top suspect, whose card opens first
    ]
    frame = pd.DataFrame(rows, columns=["puuid", "checked_at", "status"])
    gone = frame["status"] == "UNAVAILABLE"
    looked = frame["puuid"] == "p00"
    return frame.assign(
        previous_riot_id=None,
        platform="euw1",
        account_found=~gone,
        summoner_found=~gone,
        ranked_entries_gone=gone,
        history_frozen=gone,
        level_unchanged=looked,
        evidence=[
            '{"reasons": ["account-v1 404", "ranked entries gone"]}'
            if g
            else '{"reasons": ["no game since the last look", "summoner level unchanged"]}'
            if seen
            else '{"reasons": []}'
            for g, seen in zip(gone, looked, strict=True)
        ],
    )


def _executions(now: datetime) -> pd.DataFrame:
    # Inserted in order, so the id sequence numbers them 1..24 (the logs refer to 4 and 8).
    rows = []
    statuses = ["SUCCESS", "SUCCESS", "RATE_LIMITED", "FAILED"]
    for n in range(24):
        started = now - timedelta(hours=6 * n)
        status = statuses[n % 4]
        rows.append(
            {
                "job_config_id": 1 + n % 2,
                "job_type": "MATCH_FETCHER" if n % 2 else "TRACKED_PLAYER_UPDATER",
                "status": status,
                "started_at": started,
                "finished_at": started + timedelta(seconds=30 + n),
                "api_requests_made": 100 + n,
                "records_created": 10 * n,
                "error_message": "The Riot API answered 500." if status == "FAILED" else None,
                "correlation_id": f"corr-{n}",
            }
        )
    return pd.DataFrame(rows)


def _logs(now: datetime) -> pd.DataFrame:
    rows = []
    for execution_id in (4, 8):
        for seq, (level, event) in enumerate(
            [("info", "job.started"), ("error", "riot.server_error"), ("info", "job.finished")]
        ):
            rows.append(
                (execution_id, seq, now - timedelta(hours=execution_id), level, event, "{}")
            )
    return pd.DataFrame(
        rows, columns=["execution_id", "seq", "logged_at", "level", "event", "fields"]
    )
