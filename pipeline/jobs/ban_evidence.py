"""The status a ban check's evidence supports: a pure function, table-tested.

A check compares what it sees with what was seen of the account before (its last check,
else what the store holds: latest rank, newest stored game, stored level):

- ``ranked_entries_gone``  ranked entries before, none now
- ``history_frozen``       the newest game is the one seen before (no game since)
- ``level_unchanged``      the summoner level is the one seen before

The first rule that holds gives the status:

1. account-v1 and summoner-v4 both 404:
   - seen gone before (NOT_FOUND_ONCE or UNAVAILABLE) and no game since -> UNAVAILABLE
   - seen gone before but games were played since                      -> NOT_FOUND_ONCE
     (the earlier 404 did not hold: start the confirmation again)
   - first time, ranked entries gone and no game since                 -> UNAVAILABLE
     (the whole footprint vanished at once: corroborated, no second look needed)
   - first time otherwise                                              -> NOT_FOUND_ONCE
2. the account answers but no summoner on its platform, nor on any other
   platform asked                                                      -> SUMMONER_MISSING
3. the summoner answers on another platform than the stored one        -> TRANSFERRED
4. the Riot ID differs from the stored one                             -> RENAMED
5. the newest game started within ``INACTIVE_AFTER_DAYS``, or no game is listed (match-v5
   of another region after a transfer) but the summoner level rose       -> ACTIVE
6. otherwise                                                           -> INACTIVE

So statuses move both ways: an UNAVAILABLE account that answers again (a suspension over)
is ACTIVE, INACTIVE, RENAMED or TRANSFERRED at its next check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipeline.store.account_checks import GONE, AccountStatus, LastSeen

INACTIVE_AFTER_DAYS = 30


@dataclass(frozen=True)
class Observation:
    """What one check saw."""

    account: dict[str, Any] | None  # account-v1 by puuid (None: 404)
    summoner: dict[str, Any] | None  # summoner-v4, on ``platform`` (None: 404 everywhere asked)
    platform: str  # where the summoner answered (the stored platform if nowhere)
    stored_platform: str
    ranked_entries: int | None  # league-v4 entries on ``platform`` (None: no answer)
    newest_match_id: str | None
    newest_match_at: datetime | None

    @property
    def riot_id(self) -> str | None:
        if not self.account or not self.account.get("gameName"):
            return None
        return f"{self.account['gameName']}#{self.account.get('tagLine', '')}"

    @property
    def summoner_level(self) -> int | None:
        level = (self.summoner or {}).get("summonerLevel")
        return int(level) if level is not None else None


@dataclass(frozen=True)
class Verdict:
    """A status, the reasons for it in words, and the evidence flags stored with it."""

    status: AccountStatus
    reasons: tuple[str, ...]
    ranked_entries_gone: bool | None
    history_frozen: bool | None
    level_unchanged: bool | None
    renamed: bool


def conclude(
    last: LastSeen, seen: Observation, stored_riot_id: str | None, now: datetime
) -> Verdict:
    """The status the evidence supports (see the module docstring for the rules)."""
    gone = _gone(last, seen)
    frozen = _same(last.newest_match_id, seen.newest_match_id)
    level = _same(last.summoner_level, seen.summoner_level)
    renamed = bool(
        seen.riot_id and stored_riot_id and seen.riot_id.lower() != stored_riot_id.lower()
    )
    reasons = _observed(last, seen, gone, frozen, level)
    if renamed:
        reasons.append(f"Riot ID {stored_riot_id} is now {seen.riot_id}")
    status = _status(last, seen, gone, frozen, level, renamed, now, reasons)
    return Verdict(status, tuple(reasons), gone, frozen, level, renamed)


def _status(
    last: LastSeen,
    seen: Observation,
    gone: bool | None,
    frozen: bool | None,
    level: bool | None,
    renamed: bool,
    now: datetime,
    reasons: list[str],
) -> AccountStatus:
    if seen.account is None and seen.summoner is None:
        if last.status in GONE:
            if frozen is False:
                reasons.append("games played since the last 404: confirming again")
                return AccountStatus.NOT_FOUND_ONCE
            reasons.append(f"404 again after {last.status}")
            return AccountStatus.UNAVAILABLE
        if gone and frozen:
            reasons.append("404 with ranked entries gone and no game since: corroborated")
            return AccountStatus.UNAVAILABLE
        reasons.append("first 404: confirming at the next run")
        return AccountStatus.NOT_FOUND_ONCE
    if last.status in GONE:
        reasons.append(f"answers again after {last.status}")
    if seen.summoner is None:
        return AccountStatus.SUMMONER_MISSING
    if seen.platform != seen.stored_platform:
        return AccountStatus.TRANSFERRED
    if renamed:
        return AccountStatus.RENAMED
    if seen.newest_match_at is None and level is False:
        reasons.append("no game listed, but the summoner level rose: played since")
        return AccountStatus.ACTIVE
    recent = seen.newest_match_at is not None and now - seen.newest_match_at < timedelta(
        days=INACTIVE_AFTER_DAYS
    )
    if not recent:
        # Dated, unless the games played after the newest stored one were (``_observed``):
        # a game the crawl had not stored may still be old.
        newest = seen.newest_match_at
        dated = newest is not None and frozen is not False
        when = f" (the newest on {newest:%Y-%m-%d})" if dated else ""
        reasons.append(f"no game in the last {INACTIVE_AFTER_DAYS} days{when}")
    return AccountStatus.ACTIVE if recent else AccountStatus.INACTIVE


def _observed(
    last: LastSeen,
    seen: Observation,
    gone: bool | None,
    frozen: bool | None,
    level: bool | None,
) -> list[str]:
    """The facts of the check, in words, as `smurf jobs logs` and the player card show them.
    A first check (``last`` has no status) compares with what the crawl stored, not with an
    earlier look."""
    first = last.status is None
    before = "the newest stored game" if first else "the last look"
    reasons = []
    if seen.account is None:
        reasons.append("account-v1 404")
    if seen.summoner is None:
        reasons.append(f"summoner-v4 404 on {seen.stored_platform}")
        if seen.account is not None:
            reasons.append("no summoner on any platform asked")
    elif seen.platform != seen.stored_platform:
        reasons.append(f"summoner left {seen.stored_platform}, found on {seen.platform}")
    if gone:
        reasons.append("ranked entries gone")
    if frozen:
        reasons.append(f"no game since {before}")
    elif frozen is False:
        reasons.append(_played_after(last, seen, first=first))
    if level:
        reasons.append("summoner level as stored" if first else "summoner level unchanged")
    return reasons


def _played_after(last: LastSeen, seen: Observation, *, first: bool) -> str:
    """The newest game listed is not the one seen before: games were played after it. Both
    days are given, so that an old game the crawl had not stored reads as such beside "no
    game in the last 30 days" (not as new games and none at once)."""
    seen_before = "the newest stored one" if first else "the newest seen at the last look"
    said = f"games played after {seen_before}"
    if last.newest_match_at is not None:
        said += f" ({last.newest_match_at:%Y-%m-%d})"
    if seen.newest_match_at is not None:
        said += f", the newest on {seen.newest_match_at:%Y-%m-%d}"
    return said


def _gone(last: LastSeen, seen: Observation) -> bool | None:
    """Ranked entries before and none now (None when either side is unknown)."""
    if last.ranked_entries is None or seen.ranked_entries is None:
        return None
    return last.ranked_entries > 0 and seen.ranked_entries == 0


def _same(before: object, now: object) -> bool | None:
    """Whether a value is the one seen before (None when either look did not see it)."""
    if before is None or now is None:
        return None
    return before == now
