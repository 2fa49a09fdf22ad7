"""MATCH_FETCHER: older match history, level and rank for players discovered in matches.

Config: ``discovered_players_per_run``, ``matches_per_player_per_run`` (match ids per player per
run), ``target_matches_per_player`` (stored games at which a player is done),
``suspects_per_run``, ``suspect_score_percent``, ``first_games_of_new_suspects``,
``profile_reuse_hours``, ``key_share_percent``, ``timeout_seconds``.

A run fetches ``discovered_players_per_run`` players, then goes on, that many at a time
selected as a later run would select them, while its requests are under
``key_share_percent`` of what the key's stated rate limits allow in the time to the next
run (or ``timeout_seconds``, if sooner). Past its first selection it sends at that share's
pace, counted from its start (a tenth of that time's worth ahead at most), not as fast as
the key allows: spent at once, the share of a key stating only a long window (1,200
requests per 2 minutes) filled the window in 70 s, and every run of this job and of
PROFILE_REFRESHER then ended RATE_LIMITED, its next request needing a wait past the 30 s
allowed. And it ends between players, the rest left to later runs, once two more of its
longest players would end within 5 % of that time before the next run is due (a run past
that has the next run skipped by the scheduler: on a world crawled so, a run of 314 s every
300 s left the fetcher idle half the time).
The seeded 25 players every 5 minutes use a few percent of a production key (500 requests
per 10 s): an independent world crawled for 20 minutes with nothing set stored 1,490
matches where the key allowed five times as many. A development key's limits (100
requests per 2 minutes) allow 100 requests a run, fewer than 25 players usually take. The
tightest application limit known counts, of the platform hosts (profiles) and their
regions' (history pages and matches): a fresh process knows them once its first players
are fetched; a run over every platform reads the default platform's. An API that states no
limit stops every run at ``discovered_players_per_run``. A stop request (Ctrl-C, SIGTERM)
between selections, or while the run waits there for its pace, ends the run there, its
work done (SUCCESS); one within a selection ends it stopped, as any run.

Up to ``suspects_per_run`` of a run's players are suspects: players whose latest smurf or
boosted score is at least ``suspect_score_percent`` % and who have fewer games stored than
the target, those with the fewest games stored first. A few games say little, and a label
needs more than a hunch, so the budget goes where more games can change a decision; the rest
goes to players never fetched, new accounts first (a level below
``store.players.NEW_ACCOUNT_LEVEL`` in the games stored, whatever their score below
``suspect_score_percent``: a new account is the first mark of a smurf), in the order they
were discovered, then to the others, least recently fetched first.

History pages read a player's ranked solo games (the queue the scores read; in a real
history most games may be normals and ARAM, a request each for nothing scored) from the
newest end. With
``first_games_of_new_suspects`` (on by default), a suspect on a new account (summoner
level below ``store.players.FIRST_GAMES_LEVEL``) has, once, its *first* ranked games read
instead: the oldest page of its ranked solo ids, found by listing them to their end (a
request per hundred games). That is where a talented newcomer's learning shows and where a
smurf is strongest against its lobbies; once either has reached its level, its recent games
look alike, and the history pages seldom get back that far. The run's page of matches goes
to those first games, so the same number of matches is fetched (the listing adds a request
per hundred ranked games); the history pages go on from where they were in the suspect's
next run, or in the same run when the first games were stored already.

It was off by default while the boosted score read its fall from a straight-line trend
through every stored game: the first games' lobbies are early-season games, which give many
boosted accounts games weeks older than before, and the trend over the longer span no
longer ended low (boosted ROC-AUC 0.97-0.98 -> 0.89-0.93 on three held-out worlds). The
boosted score now judges the fall week by week (``lobby_fall``), which the longer span does
not flatten (README, "Measured as deployed").

Each player's profile (summoner-v4 and league-v4: the level that tells a new account, the
rank scoring reads) is asked for before its matches and stored with them, unless one was
stored less than ``profile_reuse_hours`` ago (24 by default, the age at which
PROFILE_REFRESHER refreshes one; 0 asks every time): PROFILE_REFRESHER profiles the players
about to be scored, who are many of this job's, and a player takes several runs to reach the
target, so asking every run spent two requests a player on answers stored minutes before.
A reused profile is read from the player's row (its level decides the first games) and is
not stored again, so it keeps the time it was asked at.

A player is marked exhausted only when the API's history really ends (a short page) or the
target is reached, never because a request failed: failed matches are retried next run.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pipeline.jobs.base import BaseJob
from pipeline.jobs.data_manager import (
    MatchBatch,
    PlayerProfile,
    RiotDataManager,
    profile_is_fresh,
    store_batch,
)
from pipeline.jobs.error_handling import handle_riot_api_errors
from pipeline.jobs.settings import MatchFetcherSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.job_records import utcnow
from pipeline.store.players import (
    FIRST_GAMES_LEVEL,
    DiscoveredPlayer,
    advance_history,
    note_fetch_attempt,
    note_first_games_stored,
    note_profile_checked,
    players_to_fetch,
)

# The ranked solo queue's id in match-v5: the league entry's wins and losses count its games.
RANKED_SOLO_QUEUE_ID = 420

# The most players one run fetches, whatever the key allows (discovered_players_per_run's
# ceiling).
MAX_PLAYERS_PER_RUN = 100_000

log = get_logger(__name__)


class MatchFetcher(BaseJob):
    job_type = JobType.MATCH_FETCHER
    sharded = True

    settings_model = MatchFetcherSettings
    settings: MatchFetcherSettings

    async def execute(self, db: Database) -> None:
        manager = RiotDataManager(self.riot(), db)
        started = time.monotonic()
        players = await asyncio.to_thread(self._players_below_target, db, first=True)
        log.info("fetcher.selected", players=len(players))
        tried: set[str] = set()
        total = len(players)
        window_s: float | None = None  # once the run goes past its first selection
        longest_s = 0.0  # the longest a player took, its wait for the pace included
        while players:
            for player in players:
                player_started = time.monotonic()
                await self._fetch_player(manager, player)
                tried.add(player.puuid)
                self.report_progress("players", done=len(tried), total=total)
                if window_s is not None:
                    await manager.client.wait_for_pace()
                now = time.monotonic()
                longest_s = max(longest_s, now - player_started)
                self.stop_if_asked(remaining=total - len(tried))
                # Past the first selection, the run ends before the next run is due (a run
                # still going then has that run skipped): with time for two more of its
                # longest players, or it stops here, the rest left to later runs.
                if window_s is not None and self.out_of_time(started, 2 * longest_s, window_s):
                    log.info("fetcher.out_of_time", players=len(tried), window_s=window_s)
                    return
            if self.context.stop_requested:
                return
            share = self._key_share(manager, len(tried))
            if share is None:
                return
            rate, window_s = share
            self.pace_to_share(manager.client, rate, window_s)
            if self.out_of_time(started, 2 * longest_s, window_s):
                return  # not worth waiting for the pace
            await manager.client.wait_for_pace()
            if self.context.stop_requested:
                return
            # The key allows more: the next players, as a later run would select them.
            # Players tried in this run are left out (one whose fetch failed keeps its place
            # at the front), so the selection asks for as many more; none left means the
            # queue is done.
            more = await asyncio.to_thread(
                self._players_below_target, db, first=False, skip=len(tried)
            )
            room = MAX_PLAYERS_PER_RUN - len(tried)
            per_run = self.settings.discovered_players_per_run
            players = [p for p in more if p.puuid not in tried][: min(room, per_run)]
            total += len(players)
            log.info("fetcher.selected_more", players=len(players), requests=manager.requests_sent)

    def _key_share(self, manager: RiotDataManager, tried: int) -> tuple[float, float] | None:
        """The run's share of the key, when it may select more players: the requests a
        second ``key_share_percent`` of the key's known limits allows, and the time it is
        counted over (until the next run, or the run's timeout if sooner); None when the
        share is 0, no limit is known, the run's requests reached its share, or the ceiling
        is reached."""
        share = self.settings.key_share_percent
        window_s = self.key_share_window_s()
        if share == 0 or window_s is None or tried >= MAX_PLAYERS_PER_RUN:
            return None
        rate = manager.fetch_requests_per_second(self.limit_platforms)
        if rate is None or not math.isfinite(rate):  # unknown, or an API stating no limit
            return None
        share_rate = share / 100 * rate
        if manager.requests_sent >= share_rate * window_s:
            return None
        return share_rate, window_s

    def _players_below_target(
        self, db: Database, *, first: bool, skip: int = 0
    ) -> list[DiscoveredPlayer]:
        """The next ``discovered_players_per_run`` players, and ``skip`` more for the caller
        to leave out those it has tried; the run's suspects come in its first selection."""
        per_run = self.settings.discovered_players_per_run
        with db.read() as con:
            return players_to_fetch(
                con,
                default_platform=self.context.settings.platform,
                target_matches=self.settings.target_matches_per_player,
                limit=per_run + skip,
                platforms=self.platforms,
                suspects=min(self.settings.suspects_per_run, per_run) if first else 0,
                suspect_score=self.settings.suspect_score_percent / 100,
            )

    @handle_riot_api_errors(
        operation="fetch player matches",
        critical=False,
        log_context=lambda self, manager, player: {"puuid": player.puuid},
    )
    async def _fetch_player(self, manager: RiotDataManager, player: DiscoveredPlayer) -> None:
        puuid, platform, start_index = player.puuid, player.platform, player.start_index
        requested = self.settings.matches_per_player_per_run
        # The profile first: once matches are fetched, nothing but their commit follows.
        profile, level = await self._profile(manager, player)
        first_games: list[str] = []
        new_account = (
            is_new_account(level)
            if player.first_games_due and self.settings.first_games_of_new_suspects
            else None
        )
        if new_account:
            first_games = await manager.unstored(
                await manager.oldest_match_ids(
                    puuid, platform, count=requested, queue=RANKED_SOLO_QUEUE_ID
                )
            )
        if first_games:
            await self._fetch_first_games(manager, player, profile, first_games)
            return
        # Ranked solo games only: the scores read no other queue, and a real history is often
        # mostly normals and ARAM, each a request that would store nothing scored.
        page = await manager.history_page(
            puuid, platform, start=start_index, count=requested, queue=RANKED_SOLO_QUEUE_ID
        )
        batch = await manager.fetch_matches(await manager.unstored(page))
        complete = batch.rate_limited is None and not batch.failed
        history_ended = len(page) < requested
        now = utcnow()
        target = self.settings.target_matches_per_player

        def note_progress(con: Any) -> None:
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
            if new_account is not None:  # an established account, or first games stored
                note_first_games_stored(con, puuid, now)

        await self._commit(batch, profile, puuid, now, note_progress)
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

    async def _profile(
        self, manager: RiotDataManager, player: DiscoveredPlayer
    ) -> tuple[PlayerProfile | None, int | None]:
        """The profile to store with the player's matches, and the summoner level known.

        A profile stored less than ``profile_reuse_hours`` ago (by PROFILE_REFRESHER, or by
        this job's last run for the player) is not asked for again: it would cost two
        requests for the same answer. Its level is read from the player's row, and nothing is
        stored for it, so it keeps its time and ages until it is asked for again. A profile
        the API fails to give leaves (None, None), as it always did.
        """
        checked_at = player.profile_checked_at
        if profile_is_fresh(checked_at, utcnow(), self.settings.profile_reuse_hours):
            log.debug("fetcher.profile_reused", puuid=player.puuid, checked_at=checked_at)
            return None, player.profile_level
        profile = await manager.profile_if_available(player.puuid, player.platform)
        return profile, profile.summoner_level if profile else None

    async def _fetch_first_games(
        self,
        manager: RiotDataManager,
        player: DiscoveredPlayer,
        profile: PlayerProfile | None,
        match_ids: list[str],
    ) -> None:
        """Store the account's first ranked games (``match_ids``, not stored yet); the
        history pages stay where they were."""
        puuid = player.puuid
        batch = await manager.fetch_matches(match_ids)
        now = utcnow()

        def note_progress(con: Any) -> None:
            # A rate limit cut the page short: asked for again. A match that failed is not:
            # one the API keeps failing would hold the suspect's place and its history pages
            # back for good (the history pages may still reach it).
            if batch.rate_limited is None:
                note_first_games_stored(con, puuid, now)
            else:
                note_fetch_attempt(con, puuid, now)

        await self._commit(batch, profile, puuid, now, note_progress)
        log.info(
            "fetcher.first_games_done",
            puuid=puuid,
            ids=len(match_ids),
            new_matches=len(batch.parsed),
            failed=len(batch.failed),
            rejected=len(batch.rejected),
        )
        await manager.stop_if_rate_limited(batch, "fetching the first games of", puuid)

    async def _commit(
        self,
        batch: MatchBatch,
        profile: PlayerProfile | None,
        puuid: str,
        now: datetime,
        note_progress: Callable[[Any], None],
    ) -> None:
        """Store the batch and the profile, and note how far the player got, in one
        transaction."""

        def persist(con: Any) -> None:
            created, updated = store_batch(
                con, batch, [profile] if profile else [], now, self.execution_id
            )
            note_progress(con)
            if profile:
                note_profile_checked(con, [puuid], now)
            self.increment_metric("records_created", created)
            self.increment_metric("records_updated", updated)

        await self.safe_commit(persist)


def is_new_account(level: int | None) -> bool | None:
    """Whether a profile's summoner level shows a new account (below ``FIRST_GAMES_LEVEL``);
    None when no profile tells the level."""
    if level is None:
        return None
    return level < FIRST_GAMES_LEVEL
