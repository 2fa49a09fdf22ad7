"""TRACKED_PLAYER_UPDATER: new matches, level and rank for the players an analyst tracks.

Config: ``max_new_matches_per_player`` (matches fetched per player per run, at most),
``max_tracked_players`` (players per run, least recently updated first), ``timeout_seconds``.

A player's profile (summoner-v4 and league-v4: level and rank) is asked for whenever the API
lists a game of the player's since the last update, so a rank that moved shows in the run
that stores the game that moved it. Level and rank move with games, so a player with no game
since then keeps the profile stored, as MATCH_FETCHER does (``profile_is_fresh``), until it is
``PROFILE_REUSE_HOURS`` old (PROFILE_REFRESHER's refresh age: a rank also moves without
games, by decay or a season's reset): asking every run spent two requests a player on the
same answer, most of the job's requests. A reused profile is not stored again, so it keeps
the time it was asked at. The watermark moves past the games listed that were stored
already (by MATCH_FETCHER, or before the player was tracked), as past those the run
stores, but never past a game left unstored: else such games were listed again, and the
profile asked for, on every run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pipeline.jobs.base import BaseJob
from pipeline.jobs.data_manager import (
    NewMatchIds,
    PlayerProfile,
    RiotDataManager,
    profile_is_fresh,
    store_batch,
)
from pipeline.jobs.error_handling import handle_riot_api_errors
from pipeline.jobs.settings import TrackedPlayerUpdaterSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.job_records import utcnow
from pipeline.store.matches import newest_game_start
from pipeline.store.players import (
    TrackedPlayer,
    advance_update_watermark,
    note_profile_checked,
    tracked_players_to_update,
)

log = get_logger(__name__)

# The oldest stored profile kept for a player with no game since: the age at which
# PROFILE_REFRESHER refreshes one by default, and MATCH_FETCHER's profile_reuse_hours.
PROFILE_REUSE_HOURS = 24


class TrackedPlayerUpdater(BaseJob):
    job_type = JobType.TRACKED_PLAYER_UPDATER
    sharded = True

    settings_model = TrackedPlayerUpdaterSettings
    settings: TrackedPlayerUpdaterSettings

    async def execute(self, db: Database) -> None:
        players = await asyncio.to_thread(self._tracked_players, db)
        log.info("tracked.selected", players=len(players))
        manager = RiotDataManager(self.riot(), db)
        for done, player in enumerate(players, start=1):
            await self._update_player(manager, player)
            self.report_progress("players", done=done, total=len(players))
            self.stop_if_asked(remaining=len(players) - done)

    def _tracked_players(self, db: Database) -> list[TrackedPlayer]:
        with db.read() as con:
            return tracked_players_to_update(
                con,
                default_platform=self.context.settings.platform,
                limit=self.settings.max_tracked_players,
                platforms=self.platforms,
            )

    @handle_riot_api_errors(
        operation="update tracked player",
        critical=False,
        log_context=lambda self, manager, player: {"puuid": player.puuid},
    )
    async def _update_player(self, manager: RiotDataManager, player: TrackedPlayer) -> None:
        puuid = player.puuid
        new = await manager.new_match_ids(
            puuid,
            player.platform,
            after=player.watermark,
            max_new=self.settings.max_new_matches_per_player,
        )
        # The profile before the matches: once they are fetched, nothing but their commit follows.
        profile = await self._profile(manager, player, new)
        batch = await manager.fetch_matches(new.ids)
        observed_at = utcnow()
        complete = batch.rate_limited is None and not batch.failed

        def persist(con: Any) -> None:
            created, updated = store_batch(
                con, batch, [profile] if profile else [], observed_at, self.execution_id
            )
            if complete:  # only a fully fetched player moves its watermark
                # A game dated after now (a skewed clock) would hide every later game. Past
                # the listed games stored already (by MATCH_FETCHER, or before the player
                # was tracked) too, else they are listed, and the profile asked, every run.
                newest = max(
                    (
                        start
                        for start in (
                            *(p.match.get("game_start") for p in batch.parsed),
                            newest_game_start(con, new.settled, until=observed_at),
                        )
                        if start and start <= observed_at
                    ),
                    default=None,
                )
                advance_update_watermark(
                    con, puuid, updated_at=observed_at, newest_game_start=newest
                )
            if profile:
                note_profile_checked(con, [puuid], observed_at)
            self.increment_metric("records_created", created)
            self.increment_metric("records_updated", updated)

        await self.safe_commit(persist)
        log.info(
            "tracked.updated",
            puuid=puuid,
            new_matches=len(batch.parsed),
            # None: the stored one stands, or no answer; False: summoner-v4 has no such
            # account on this platform.
            profile_found=profile.answer().found if profile else None,
            not_found=len(batch.not_found),
            failed=len(batch.failed),
            rejected=len(batch.rejected),
        )
        await manager.stop_if_rate_limited(batch, "updating", puuid)

    async def _profile(
        self, manager: RiotDataManager, player: TrackedPlayer, new: NewMatchIds
    ) -> PlayerProfile | None:
        """The profile to store with the player's matches: None when the stored one stands
        (no game listed since the last update, and younger than ``PROFILE_REUSE_HOURS``), or
        when the API fails to give one."""
        if not new.listed and profile_is_fresh(
            player.profile_checked_at, utcnow(), PROFILE_REUSE_HOURS
        ):
            log.debug(
                "tracked.profile_reused", puuid=player.puuid, checked_at=player.profile_checked_at
            )
            return None
        return await manager.profile_if_available(player.puuid, player.platform)
