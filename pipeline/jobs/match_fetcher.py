"""MATCH_FETCHER: older match history, level and rank for players discovered in matches.

Config: ``discovered_players_per_run``, ``matches_per_player_per_run`` (match ids per player per
run), ``target_matches_per_player`` (stored games at which a player is done), ``timeout_seconds``.

A player is marked exhausted only when the API's history really ends (a short page) or the
target is reached, never because a request failed: failed matches are retried next run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pipeline.jobs.base import BaseJob
from pipeline.jobs.data_manager import PlayerProfile, RiotDataManager, store_batch
from pipeline.jobs.error_handling import handle_riot_api_errors
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.job_records import utcnow

log = get_logger(__name__)


class MatchFetcher(BaseJob):
    job_type = JobType.MATCH_FETCHER

    def _load_configuration(self) -> None:
        super()._load_configuration()
        self.discovered_players_per_run = self.int_setting(
            "discovered_players_per_run", maximum=100_000
        )
        self.matches_per_player_per_run = self.int_setting(
            "matches_per_player_per_run", maximum=100
        )
        self.target_matches_per_player = self.int_setting(
            "target_matches_per_player", maximum=10_000
        )

    async def execute(self, db: Database) -> None:
        players = await asyncio.to_thread(self._players_below_target, db)
        log.info("fetcher.selected", players=len(players))
        manager = RiotDataManager(self.riot(), db)
        for done, (puuid, platform, start_index) in enumerate(players, start=1):
            await self._fetch_player(manager, puuid, platform, start_index)
            self.report_progress("players", done=done, total=len(players))

    def _players_below_target(self, db: Database) -> list[tuple[str, str, int]]:
        with db.read() as con:
            rows = con.execute(
                """
                SELECT p.puuid, coalesce(p.platform, ?), p.history_start_index
                FROM players p
                LEFT JOIN (SELECT puuid, count(*) AS games FROM match_participants GROUP BY puuid) g
                  USING (puuid)
                WHERE NOT p.history_exhausted AND NOT p.is_tracked
                  AND coalesce(g.games, 0) < ?
                ORDER BY p.last_fetched_at NULLS FIRST, p.discovered_at
                LIMIT ?
                """,
                [
                    self.context.settings.platform,
                    self.target_matches_per_player,
                    self.discovered_players_per_run,
                ],
            ).fetchall()
        return [(r[0], r[1], int(r[2])) for r in rows]

    @handle_riot_api_errors(
        operation="fetch player matches",
        critical=False,
        log_context=lambda self, manager, puuid, platform, start_index: {"puuid": puuid},
    )
    async def _fetch_player(
        self, manager: RiotDataManager, puuid: str, platform: str, start_index: int
    ) -> None:
        requested = self.matches_per_player_per_run
        page = await manager.history_page(puuid, platform, start=start_index, count=requested)
        stored = await manager.stored_match_ids(page)
        batch = await manager.fetch_matches([i for i in page if i not in stored])
        profile: PlayerProfile | None = None
        if batch.rate_limited is None:
            profile = await manager.player_profile(puuid, platform)
        complete = batch.rate_limited is None and not batch.failed
        history_ended = len(page) < requested
        now = utcnow()
        target = self.target_matches_per_player

        def persist(con: Any) -> None:
            created, updated = store_batch(con, batch, [profile] if profile else [], now)
            if complete:
                # Advance past this page only when every match in it is stored.
                games_row = con.execute(
                    "SELECT count(*) FROM match_participants WHERE puuid = ?", [puuid]
                ).fetchone()
                games = int(games_row[0]) if games_row else 0
                reason = (
                    "HISTORY_END"
                    if history_ended
                    else "TARGET_REACHED"
                    if games >= target
                    else None
                )
                con.execute(
                    "UPDATE players SET history_start_index = ?, last_fetched_at = ?,"
                    " summoner_checked_at = coalesce(?, summoner_checked_at),"
                    " history_exhausted = ?, exhausted_reason = ? WHERE puuid = ?",
                    [
                        start_index + len(page),
                        now,
                        now if profile else None,
                        reason is not None,
                        reason,
                        puuid,
                    ],
                )
            else:
                con.execute("UPDATE players SET last_fetched_at = ? WHERE puuid = ?", [now, puuid])
            self.increment_metric("records_created", created)
            self.increment_metric("records_updated", updated)

        await self.safe_commit(persist)
        log.info(
            "fetcher.player_done",
            puuid=puuid,
            ids=len(page),
            new_matches=len(batch.parsed),
            failed=len(batch.failed),
            history_ended=history_ended,
        )
        batch.raise_if_rate_limited(f"fetching {puuid}")
