"""``RiotDataManager``: the only way jobs reach the Riot API.

It knows what is already stored, asks the API only for what is missing, fetches with many
requests in flight under the shared rate limiter, and hands back results for the job to
persist with ``safe_commit`` (no connection is held while waiting on HTTP).

A rate-limit stop in the middle of a batch does not lose the part already fetched: the batch
result carries what arrived plus the ``RateLimitError``, so the job commits first and then
ends RATE_LIMITED. A player's profile is asked for before its matches, so no later call can
stand between fetched matches and their commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from pipeline.jobs.account_lookup import observe_account
from pipeline.jobs.ban_evidence import Observation
from pipeline.jobs.errors import RateLimitSignal
from pipeline.log import get_logger
from pipeline.riot import (
    NotFoundError,
    RateLimitError,
    RiotAPIError,
    RiotClient,
)
from pipeline.store import Database
from pipeline.store.errors import MatchParseError, StoreError
from pipeline.store.job_records import utcnow
from pipeline.store.matches import known_match_ids, record_rejected_matches
from pipeline.store.parser import ParsedMatch, parse_match
from pipeline.store.players import player_name
from pipeline.store.profiles import ProfileAnswer, record_profiles
from pipeline.store.writers import WriteCounts, upsert_players, write_matches

log = get_logger(__name__)

DEFAULT_CONCURRENCY = 8
MAX_IDS_PER_PAGE = 100
MAX_PAGES = 10  # an update looks at most this many pages of ids back
# The requests of a profile (``player_profile``: summoner-v4, then league-v4).
PROFILE_METHODS = ("summoner-v4.getByPUUID", "league-v4.getLeagueEntriesByPUUID")


@dataclass
class MatchBatch:
    """What a batch fetch produced."""

    parsed: list[ParsedMatch] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)  # listed, then 404: gone from the API
    failed: list[tuple[str, str]] = field(default_factory=list)  # (match id, why): retried
    # (match id, why): served in a form that describes no possible game; kept as rejected
    rejected: list[tuple[str, str]] = field(default_factory=list)
    rate_limited: RateLimitError | None = None

    def raise_if_rate_limited(self, doing: str) -> None:
        """End the run RATE_LIMITED (after the caller committed) if the batch was cut short."""
        if self.rate_limited is not None:
            raise RateLimitSignal(
                f"Rate limited while {doing}: {self.rate_limited}", self.rate_limited.retry_after_s
            )


def profile_is_fresh(checked_at: datetime | None, now: datetime, reuse_hours: int) -> bool:
    """Whether a profile asked for at ``checked_at`` (None: never) is younger than
    ``reuse_hours`` at ``now``; with 0 hours none is."""
    return checked_at is not None and now - checked_at < timedelta(hours=reuse_hours)


@dataclass(frozen=True)
class NewMatchIds:
    """A tracked player's games since its watermark: ``ids``, those not stored yet (at most
    the run's share); ``listed``, whether the API listed any game, stored or not;
    ``settled``, the listed games stored already (by another job, or an earlier run) that
    no unstored game left to a later run is older than: once ``ids`` are stored, the
    watermark may pass them."""

    ids: list[str]
    listed: bool
    settled: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlayerProfile:
    """A player's current summoner and ranked state; None when the API had no answer."""

    puuid: str
    platform: str
    summoner: dict[str, Any] | None
    league_entries: list[dict[str, Any]] | None
    account: dict[str, Any] | None = None

    @property
    def summoner_level(self) -> int | None:
        """The level summoner-v4 answered; None when it did not answer, or gave none."""
        level = (self.summoner or {}).get("summonerLevel")
        return level if isinstance(level, int) else None

    def answer(self) -> ProfileAnswer:
        """The summoner-v4 and league-v4 part, as the store records it."""
        return ProfileAnswer(self.puuid, self.platform, self.summoner, self.league_entries)

    def account_row(self) -> dict[str, Any] | None:
        """The Riot ID from account-v1, when it was asked for and answered."""
        if not self.account:
            return None
        return {
            "puuid": self.puuid,
            "platform": self.platform,
            "game_name": self.account.get("gameName"),
            "tag_line": self.account.get("tagLine"),
        }


@dataclass
class ProfileBatch:
    """Profiles a batch fetch produced, and the rate limit that cut it short, if any."""

    profiles: list[PlayerProfile] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (puuid, why)
    rate_limited: RateLimitError | None = None


class RiotDataManager:
    def __init__(
        self, client: RiotClient, db: Database, *, concurrency: int = DEFAULT_CONCURRENCY
    ) -> None:
        self.client = client
        self.db = db
        self.concurrency = concurrency
        # Matches the API answered 404 for in this run: a match listed in many players'
        # histories is asked for once a run, not once a player. (Not kept beyond the run:
        # a match that has just ended may not be served yet.)
        self.not_found: set[str] = set()

    # ---- what is stored -------------------------------------------------------------
    async def stored_match_ids(self, match_ids: Iterable[str]) -> set[str]:
        """The ids among ``match_ids`` the store already knows (nothing to fetch)."""
        ids = list(match_ids)
        if not ids:
            return set()

        def known() -> set[str]:
            with self.db.read() as con:
                return known_match_ids(con, ids)

        return await asyncio.to_thread(known)

    async def unstored(self, match_ids: Sequence[str]) -> list[str]:
        """``match_ids`` the store does not know yet, in their order (less those this run
        already found missing)."""
        stored = await self.stored_match_ids(match_ids)
        return [i for i in match_ids if i not in stored and i not in self.not_found]

    async def stop_if_rate_limited(self, batch: MatchBatch, doing: str, puuid: str) -> None:
        """End the run RATE_LIMITED (after the caller committed) if ``batch`` was cut short,
        naming the player by the Riot ID a reader knows ("fetching Faker#KR1")."""
        if batch.rate_limited is not None:
            batch.raise_if_rate_limited(f"{doing} {await self._player_name(puuid)}")

    async def _player_name(self, puuid: str) -> str:
        """The player's stored Riot ID, else the puuid; a database that cannot be read now
        (busy past the lock wait) leaves the puuid rather than fail a rate-limited run."""

        def name() -> str:
            with self.db.read() as con:
                return player_name(con, puuid)

        try:
            return await asyncio.to_thread(name)
        except (StoreError, duckdb.Error, OSError) as exc:
            log.warning("manager.player_name_unread", puuid=puuid, error=str(exc))
            return puuid

    # ---- match ids ------------------------------------------------------------------
    async def oldest_match_ids(
        self, puuid: str, platform: str, *, count: int, queue: int | None = None
    ) -> list[str]:
        """The ``count`` oldest of a player's match ids (of ``queue`` only, when given),
        newest first: the list is read to its end, a page of a hundred at a time (at most
        ``MAX_PAGES``; a longer history gives the oldest of those)."""
        ids: list[str] = []
        for number in range(MAX_PAGES):
            page = await self.history_page(
                puuid,
                platform,
                start=number * MAX_IDS_PER_PAGE,
                count=MAX_IDS_PER_PAGE,
                queue=queue,
            )
            ids.extend(page)
            if len(page) < MAX_IDS_PER_PAGE:
                break
        # A game that ended while the pages were read shifts them: an id may come twice.
        return list(dict.fromkeys(ids))[-count:]

    async def new_match_ids(
        self, puuid: str, platform: str, *, after: datetime | None, max_new: int
    ) -> NewMatchIds:
        """Unstored match ids of games started after ``after``, at most ``max_new``, whether
        any game (stored or not) was listed, and the stored ones the watermark may pass.

        Without ``after`` (first update) these are the newest games. With it, the oldest
        unstored games after ``after`` come first, so successive runs catch up without gaps;
        a stored game is settled only when older than every unstored one left for later
        (and none when the listing was cut at ``MAX_PAGES``).
        """
        start_time = int((after - datetime(1970, 1, 1)).total_seconds()) + 1 if after else None
        unstored: list[str] = []
        # Every game listed, newest first: what the watermark may pass is read from it.
        order: list[str] = []
        stored: set[str] = set()
        listed = False
        whole = False  # the listing reached its end (else older games went unlisted)
        start = 0
        for _ in range(MAX_PAGES):
            count = MAX_IDS_PER_PAGE if after else min(MAX_IDS_PER_PAGE, max_new + 5)
            page = await self.client.get_match_ids(
                puuid, platform=platform, start=start, count=count, start_time=start_time
            )
            listed = listed or bool(page)
            order.extend(page)
            stored |= await self.stored_match_ids(page)
            skipped = stored | self.not_found
            unstored.extend(i for i in page if i not in skipped and i not in unstored)
            if len(page) < count or (after is None and len(unstored) >= max_new):
                whole = len(page) < count
                break
            start += len(page)
        # Pages are newest first: the oldest unstored games are at the end.
        ids = unstored[-max_new:] if after else unstored[:max_new]
        if after is None:
            # A first update takes the newest games: older ones are the history's to fetch.
            return NewMatchIds(ids, listed, [i for i in order if i in stored])
        if not whole:
            return NewMatchIds(ids, listed)
        # Not past a game left unstored: newer ones than the run takes, or one found missing.
        waiting = {i for i in order if i not in stored and i not in ids}
        last_waiting = max((at for at, i in enumerate(order) if i in waiting), default=-1)
        settled = [i for i in order[last_waiting + 1 :] if i in stored]
        return NewMatchIds(ids, listed, settled)

    async def history_page(
        self, puuid: str, platform: str, *, start: int, count: int, queue: int | None = None
    ) -> list[str]:
        """One page of a player's match ids (of ``queue`` only, when given), newest first,
        from index ``start``."""
        return await self.client.get_match_ids(
            puuid, platform=platform, start=start, count=count, queue=queue
        )

    # ---- matches --------------------------------------------------------------------
    async def fetch_matches(self, match_ids: Sequence[str]) -> MatchBatch:
        """Fetch and parse matches concurrently; stop early (keeping results) on a rate limit."""
        batch = MatchBatch()
        queue: asyncio.Queue[str] = asyncio.Queue()
        for match_id in match_ids:
            queue.put_nowait(match_id)

        async def worker() -> None:
            while batch.rate_limited is None:
                try:
                    match_id = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await self._fetch_one(match_id, batch)

        # A task group: when one worker fails (a refused key), the others are cancelled
        # instead of spending requests on a run that is over.
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self.concurrency, len(match_ids))):
                    group.create_task(worker())
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return batch

    async def _fetch_one(self, match_id: str, batch: MatchBatch) -> None:
        try:
            answer = await self.client.get_match_with_body(match_id)
        except NotFoundError:
            log.info("match.not_found", match_id=match_id)
            batch.not_found.append(match_id)
            self.not_found.add(match_id)
            return
        except RateLimitError as exc:
            batch.rate_limited = batch.rate_limited or exc
            return
        except RiotAPIError as exc:
            if exc.stops_the_run:
                raise
            log.warning("match.fetch_failed", match_id=match_id, error=str(exc))
            batch.failed.append((match_id, str(exc)))
            return
        try:
            # The response bytes are stored as they came: never encoded again.
            batch.parsed.append(parse_match(answer.match, raw_json=answer.body))
        except MatchParseError as exc:
            # The same payload would come back next time: reject it for good, and move on.
            log.warning("match.rejected", match_id=match_id, error=exc.reason)
            batch.rejected.append((match_id, exc.reason))

    # ---- players --------------------------------------------------------------------
    async def profile_if_available(self, puuid: str, platform: str) -> PlayerProfile | None:
        """The player's profile, or None when the API fails to give it (logged).

        Jobs ask for the profile before the player's matches, so nothing fetched waits on
        it: a rate limit here stops the run with nothing of this player fetched yet (it
        propagates, as do a bad key's 401/403 and an API that stopped answering), and any
        other failure costs only the profile.
        """
        try:
            return await self.player_profile(puuid, platform)
        except RateLimitError:
            raise
        except RiotAPIError as exc:
            if exc.stops_the_run:
                raise
            log.warning("player.profile_unavailable", puuid=puuid, error=str(exc))
            return None

    async def player_profile(
        self, puuid: str, platform: str, *, with_account: bool = False
    ) -> PlayerProfile:
        """Summoner level and ranked entries (and the Riot ID when asked); 404s become None.

        An account summoner-v4 does not know has no league entries either, so they are not
        asked for.
        """
        summoner = await _or_none(self.client.get_summoner_by_puuid(puuid, platform=platform))
        entries = None
        if summoner is not None:
            entries = await _or_none(
                self.client.get_league_entries_by_puuid(puuid, platform=platform)
            )
        account = None
        if with_account:
            account = await _or_none(self.client.get_account_by_puuid(puuid, platform=platform))
        return PlayerProfile(
            puuid,
            platform,
            dict(summoner) if summoner is not None else None,
            [dict(e) for e in entries] if entries is not None else None,
            dict(account) if account is not None else None,
        )

    async def observe_account(
        self,
        puuid: str,
        platform: str,
        newest_match_id: str | None,
        newest_match_at: datetime | None,
    ) -> Observation:
        """What the API says of the account now, for a ban check (``account_lookup``)."""
        return await observe_account(self.client, puuid, platform, newest_match_id, newest_match_at)

    def profiles_per_second(self, platforms: Sequence[str]) -> float | None:
        """Profiles a second the key's known limits allow on the tightest of ``platforms``
        whose application limit an answer has stated (``None`` while none has): two requests
        of the application limit each, one of each method's. A limit not known yet is not
        counted: a platform this process has not asked yet does not hold the others back."""
        rates: list[float] = []
        for platform in platforms:
            application = self.client.sustained_rate(platform)
            if application is None:
                continue
            rates.append(application / len(PROFILE_METHODS))
            for method in PROFILE_METHODS:
                known = self.client.sustained_rate(platform, method)
                if known is not None:
                    rates.append(known)
        return min(rates, default=None)

    def fetch_requests_per_second(self, platforms: Sequence[str]) -> float | None:
        """Requests a second the key's known application limits allow a match fetch: the
        tightest of ``platforms``' hosts (profiles) and their regions' (history pages and
        matches) whose limit an answer has stated; ``None`` while none has."""
        rates = [
            rate
            for platform in platforms
            for regional in (False, True)
            if (rate := self.client.sustained_rate(platform, regional=regional)) is not None
        ]
        return min(rates, default=None)

    @property
    def requests_sent(self) -> int:
        """Every request this manager's client has sent (a job's client is its run's own)."""
        return self.client.requests_sent

    async def player_profiles(self, players: Sequence[tuple[str, str]]) -> ProfileBatch:
        """Profiles of many (puuid, platform) players, several in flight; stops early (keeping
        what arrived) on a rate limit. Other failures are listed and the rest go on."""
        batch = ProfileBatch()
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        for player in players:
            queue.put_nowait(player)

        async def worker() -> None:
            while batch.rate_limited is None:
                try:
                    puuid, platform = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    batch.profiles.append(await self.player_profile(puuid, platform))
                except RateLimitError as exc:
                    batch.rate_limited = batch.rate_limited or exc
                except RiotAPIError as exc:
                    if exc.stops_the_run:
                        raise
                    log.warning("profile.fetch_failed", puuid=puuid, error=str(exc))
                    batch.failed.append((puuid, str(exc)))

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(players)))))
        return batch


async def _or_none(call: Any) -> Any:
    try:
        return await call
    except NotFoundError:
        return None


def store_batch(
    con: duckdb.DuckDBPyConnection,
    batch: MatchBatch,
    profiles: Sequence[PlayerProfile] = (),
    observed_at: datetime | None = None,
    execution_id: int | None = None,
) -> tuple[int, int]:
    """Persist fetched matches, rejected ones and refreshed profiles in the caller's
    transaction.

    Returns (records created, records updated): matches, participants, players, rejected
    matches and rank snapshots created; players updated.
    """
    counts = write_matches(con, batch.parsed) if batch.parsed else WriteCounts()
    rejected = record_rejected_matches(
        con, batch.rejected, rejected_at=utcnow(), execution_id=execution_id
    )
    created, updated = record_profiles(
        con, [p.answer() for p in profiles], observed_at or datetime.now(UTC).replace(tzinfo=None)
    )
    accounts = [row for p in profiles if (row := p.account_row()) is not None]
    if accounts:
        updated += upsert_players(con, accounts)[1]
    created += (
        counts.matches_created + counts.participants_created + counts.players_created + rejected
    )
    return created, counts.players_updated + updated
