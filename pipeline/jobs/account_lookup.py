"""What the Riot API says of an account now, for a ban check (``RiotDataManager``'s part).

account-v1 and summoner-v4 by puuid; when the account answers but its summoner is gone from
the stored platform, where it went (account-v1 getActiveRegion, then the other platforms of
the stored platform's region); then league-v4 and the newest match id, and the newest match
when it is not the one seen last. There is no ban endpoint: a 404 is evidence, returned as
a missing answer for the caller to record, never swallowed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pipeline.jobs.ban_evidence import Observation
from pipeline.log import get_logger
from pipeline.riot import (
    PLATFORMS,
    NotFoundError,
    RiotClient,
    RiotTransportError,
    ServiceUnavailableError,
    UnexpectedResponseError,
    region_of,
)

log = get_logger(__name__)


async def observe_account(
    client: RiotClient,
    puuid: str,
    stored: str,
    newest_match_id: str | None,
    newest_match_at: datetime | None,
) -> Observation:
    """The account as the API shows it now; ``stored`` is the platform the store holds for
    it, and the newest match seen last (id and start) saves asking for that match again."""
    account = await _found(client.get_account_by_puuid(puuid, platform=stored))
    summoner = await _found(client.get_summoner_by_puuid(puuid, platform=stored))
    platform = stored
    if account is not None and summoner is None:
        moved = await _find_platform(client, puuid, stored)
        if moved is not None:
            platform, summoner = moved
    entries = await _found(client.get_league_entries_by_puuid(puuid, platform=platform))
    ids = await client.get_match_ids(puuid, platform=platform, count=1)
    newest_id = ids[0] if ids else None
    newest_at = newest_match_at
    if newest_id != newest_match_id:
        newest_at = await _started_at(client, newest_id) if newest_id else None
    return Observation(
        account=dict(account) if account is not None else None,
        summoner=dict(summoner) if summoner is not None else None,
        platform=platform,
        stored_platform=stored,
        ranked_entries=len(entries) if entries is not None else None,
        newest_match_id=newest_id,
        newest_match_at=newest_at,
    )


async def _find_platform(client: RiotClient, puuid: str, stored: str) -> tuple[str, Any] | None:
    """The platform a player moved to and their summoner there, or None if not found.

    account-v1 getActiveRegion names it; when it cannot (no answer, an unknown or the
    stored platform), the other platforms of the stored platform's region are asked.
    """
    named: list[str] = []
    try:
        answer = await client.get_active_region(puuid, platform=stored)
        region = str(answer.get("region", "")).lower()
        if region in PLATFORMS and region != stored:
            named.append(region)
    except (
        NotFoundError,
        ServiceUnavailableError,
        UnexpectedResponseError,
        RiotTransportError,
    ) as exc:
        log.info("ban_check.active_region_unanswered", puuid=puuid, error=str(exc))
    neighbours = [p for p in PLATFORMS if region_of(p) == region_of(stored)]
    for platform in named + [p for p in neighbours if p not in (stored, *named)]:
        summoner = await _found(client.get_summoner_by_puuid(puuid, platform=platform))
        if summoner is not None:
            return platform, summoner
    return None


async def _started_at(client: RiotClient, match_id: str) -> datetime | None:
    match = await _found(client.get_match(match_id))
    start_ms = ((match or {}).get("info") or {}).get("gameStartTimestamp")
    return datetime(1970, 1, 1) + timedelta(milliseconds=int(start_ms)) if start_ms else None


async def _found(call: Any) -> Any:
    """The answer, or None when the API says 404 (recorded as evidence by the caller)."""
    try:
        return await call
    except NotFoundError:
        return None
