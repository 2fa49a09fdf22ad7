"""MATCH_FETCHER: older match history, level and rank for players discovered in matches.

Config: ``discovered_players_per_run``, ``matches_per_player_per_run`` (match ids per player per
run), ``target_matches_per_player`` (stored games at which a player is done),
``suspects_per_run``, ``suspect_score_percent``, ``timeout_seconds``.

Up to ``suspects_per_run`` of a run's players are suspects: players whose latest smurf or
boosted score is at least ``suspect_score_percent`` % and who have fewer games stored than
the target, those with the fewest games stored first. A few games say little, and a label
needs more than a hunch, so the budget goes where more games can change a decision; the rest
goes to players never fetched, new accounts first (a level below
``store.players.NEW_ACCOUNT_LEVEL`` in the games stored, whatever their score below
``suspect_score_percent``: a new account is the first mark of a smurf), in the order they
were discovered, then to the others, least recently fetched first.

A player is marked exhausted only when the API's history really ends (a short page) or the
target is reached, never because a request failed: failed matches are retried next run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pipeline.jobs.base import BaseJob
from pipeline.jobs.data_manager import RiotDataManager, store_batch
from pipeline.jobs.error_handling import handle_riot_api_errors
from pipeline.jobs.settings import MatchFetcherSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.job_records import utcnow
from pipeline.store.players import (
    DiscoveredPlayer,
    advance_history,
    note_fetch_attempt,
    note_profile_checked,
    players_to_fetch,
)

log = get_logger(__name__)


class MatchFetcher(BaseJob):
    job_type = JobType.MATCH_FETCHER
    sharded = True

    settings_model = MatchFetcherSettings
    settings: MatchFetcherSettings

    async def execute(self, db: Database) -> None:
        players = await asyncio.to_thread(self._players_below_target, db)
        log.info("fetcher.selected", players=len(players))
        manager = RiotDataManager(self.riot(), db)
        for done, player in enumerate(players, start=1):
            await self._fetch_player(manager, player.puuid, player.platform, player.start_index)
            self.report_progress("players", done=done, total=len(players))
            self.stop_if_asked(remaining=len(players) - done)

    def _players_below_target(self, db: Database) -> list[DiscoveredPlayer]:
        with db.read() as con:
            return players_to_fetch(
                con,
                default_platform=self.context.settings.platform,
                target_matches=self.settings.target_matches_per_player,
                limit=self.settings.discovered_players_per_run,
                platforms=self.platforms,
                suspects=min(
                    self.settings.suspects_per_run, self.settings.discovered_players_per_run
                ),
                suspect_score=self.settings.suspect_score_percent / 100,
            )

    @handle_riot_api_errors(
        operation="fetch player matches",
        critical=False,
        log_context=lambda self, manager, puuid, platform, start_index: {"puuid": puuid},
    )
    async def _fetch_player(
        self, manager: RiotDataManager, puuid: str, platform: str, start_index: int
    ) -> None:
        requested = self.settings.matches_per_player_per_run
        # The profile first: once matches are fetched, nothing but their commit follows.
        profile = await manager.profile_if_available(puuid, platform)
        page = await manager.history_page(puuid, platform, start=start_index, count=requested)
        stored = await manager.stored_match_ids(page)
        batch = await manager.fetch_matches([i for i in page if i not in stored])
        complete = batch.rate_limited is None and not batch.failed
        history_ended = len(page) < requested
        now = utcnow()
        target = self.settings.target_matches_per_player

        def persist(con: Any) -> None:
            created, updated = store_batch(
                con, batch, [profile] if profile else [], now, self.execution_id
            )
            if complete:
                # Advance past this page only when every match in it is stored.
                advance_history(
                    con,
                    puuid,
                    next_start_index=start_index + len(page),
                    fetched_at=now,
                    history_ended=history_ended,
                    target_matches=target,
                )
            else:
                note_fetch_attempt(con, puuid, now)
            if profile:
                note_profile_checked(con, [puuid], now)
            self.increment_metric("records_created", created)
            self.increment_metric("records_updated", updated)

        await self.safe_commit(persist)
        log.info(
            "fetcher.player_done",
            puuid=puuid,
            ids=len(page),
            new_matches=len(batch.parsed),
            failed=len(batch.failed),
            rejected=len(batch.rejected),
            history_ended=history_ended,
        )
        await manager.stop_if_rate_limited(batch, "fetching", puuid)
