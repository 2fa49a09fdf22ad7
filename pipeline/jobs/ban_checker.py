"""BAN_CHECKER: gather evidence on flagged players and record what it shows.

Config: ``ban_check_days`` (re-check a player after this many days), ``max_checks_per_run``,
``timeout_seconds``. There is no ban endpoint; each check looks up account-v1 and summoner-v4
by puuid, the league entries and the newest match, and records one ``account_checks`` row:

- ACTIVE       found, same Riot ID, played recently
- RENAMED      found under a new Riot ID (the player row is updated)
- INACTIVE     found, but no game in the last ``INACTIVE_AFTER_DAYS`` days
- NOT_FOUND_ONCE  both lookups 404 for the first time; re-checked on the next run
- UNAVAILABLE  both lookups 404 on two consecutive checks: likely banned or deleted

A 404 is evidence and is recorded, never swallowed.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipeline.jobs.base import BaseJob
from pipeline.jobs.error_handling import handle_riot_api_errors
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.riot import NotFoundError
from pipeline.store import Database
from pipeline.store.job_records import utcnow

log = get_logger(__name__)

INACTIVE_AFTER_DAYS = 30
FLAGGED_LABELS = ("SMURF", "BOOSTED")


@dataclass(frozen=True)
class Candidate:
    puuid: str
    platform: str
    riot_id: str | None
    previous_status: str | None


@dataclass(frozen=True)
class Evidence:
    account: dict[str, Any] | None
    summoner: dict[str, Any] | None
    entries: list[dict[str, Any]] | None
    newest_match_id: str | None
    newest_match_at: datetime | None


def conclude(candidate: Candidate, evidence: Evidence, now: datetime) -> tuple[str, str | None]:
    """The status a check's evidence supports, and the Riot ID seen now."""
    if evidence.account is None and evidence.summoner is None:
        twice = candidate.previous_status in ("NOT_FOUND_ONCE", "UNAVAILABLE")
        return ("UNAVAILABLE" if twice else "NOT_FOUND_ONCE"), None
    riot_id = None
    if evidence.account and evidence.account.get("gameName"):
        riot_id = f"{evidence.account['gameName']}#{evidence.account.get('tagLine', '')}"
    if riot_id and candidate.riot_id and riot_id.lower() != candidate.riot_id.lower():
        return "RENAMED", riot_id
    recent = evidence.newest_match_at and now - evidence.newest_match_at < timedelta(
        days=INACTIVE_AFTER_DAYS
    )
    return ("ACTIVE" if recent else "INACTIVE"), riot_id


class BanChecker(BaseJob):
    job_type = JobType.BAN_CHECKER

    def _load_configuration(self) -> None:
        super()._load_configuration()
        self.ban_check_days = self.int_setting("ban_check_days", minimum=0, maximum=3650)
        self.max_checks_per_run = self.int_setting("max_checks_per_run", maximum=100_000)

    async def execute(self, db: Database) -> None:
        candidates = await asyncio.to_thread(self._candidates, db)
        log.info("ban_check.selected", players=len(candidates))
        for done, candidate in enumerate(candidates, start=1):
            await self._check(candidate)
            self.report_progress("players", done=done, total=len(candidates))

    def _candidates(self, db: Database) -> list[Candidate]:
        cutoff = utcnow() - timedelta(days=self.ban_check_days)
        with db.read() as con:
            rows = con.execute(
                """
                WITH last_check AS (
                    SELECT puuid, arg_max(status, checked_at) AS status, max(checked_at) AS at
                    FROM account_checks GROUP BY puuid
                )
                SELECT p.puuid, coalesce(p.platform, ?),
                       CASE WHEN p.game_name IS NULL THEN NULL
                            ELSE p.game_name || '#' || coalesce(p.tag_line, '') END,
                       c.status
                FROM latest_smurf_scores s
                JOIN players p USING (puuid)
                LEFT JOIN last_check c USING (puuid)
                WHERE s.label IN (SELECT unnest(?))
                  AND coalesce(c.status, '') <> 'UNAVAILABLE'
                  AND (c.at IS NULL OR c.at <= ? OR c.status = 'NOT_FOUND_ONCE')
                ORDER BY c.at NULLS FIRST, s.smurf_score DESC
                LIMIT ?
                """,
                [
                    self.context.settings.platform,
                    list(FLAGGED_LABELS),
                    cutoff,
                    self.max_checks_per_run,
                ],
            ).fetchall()
        return [Candidate(r[0], r[1], r[2], r[3]) for r in rows]

    @handle_riot_api_errors(
        operation="check ban status",
        critical=False,
        log_context=lambda self, candidate: {"puuid": candidate.puuid},
    )
    async def _check(self, candidate: Candidate) -> None:
        evidence = await self._gather(candidate)
        now = utcnow()
        status, riot_id = conclude(candidate, evidence, now)

        def persist(con: Any) -> None:
            con.execute(
                "INSERT INTO account_checks (puuid, checked_at, status, account_found,"
                " summoner_found, riot_id, previous_riot_id, summoner_level, ranked_entries,"
                " newest_match_id, newest_match_at, evidence, execution_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    candidate.puuid,
                    now,
                    status,
                    evidence.account is not None,
                    evidence.summoner is not None,
                    riot_id,
                    candidate.riot_id,
                    (evidence.summoner or {}).get("summonerLevel"),
                    None if evidence.entries is None else len(evidence.entries),
                    evidence.newest_match_id,
                    evidence.newest_match_at,
                    json.dumps({"previous_status": candidate.previous_status}),
                    self.execution_id,
                ],
            )
            self.increment_metric("records_created")
            if status == "RENAMED" and evidence.account:
                con.execute(
                    "UPDATE players SET game_name = ?, tag_line = ?, updated_at = ?"
                    " WHERE puuid = ?",
                    [
                        evidence.account.get("gameName"),
                        evidence.account.get("tagLine"),
                        now,
                        candidate.puuid,
                    ],
                )
                self.increment_metric("records_updated")

        await self.safe_commit(persist)
        log.info("ban_check.recorded", puuid=candidate.puuid, status=status)

    async def _gather(self, candidate: Candidate) -> Evidence:
        client = self.riot()
        puuid, platform = candidate.puuid, candidate.platform
        account = await _found(client.get_account_by_puuid(puuid, platform=platform))
        summoner = await _found(client.get_summoner_by_puuid(puuid, platform=platform))
        entries = None
        newest_id: str | None = None
        newest_at: datetime | None = None
        if summoner is not None or account is not None:
            entries = await _found(client.get_league_entries_by_puuid(puuid, platform=platform))
            ids = await client.get_match_ids(puuid, platform=platform, count=1)
            if ids:
                newest_id = ids[0]
                match = await _found(client.get_match(newest_id))
                start_ms = ((match or {}).get("info") or {}).get("gameStartTimestamp")
                if start_ms:
                    newest_at = datetime(1970, 1, 1) + timedelta(milliseconds=int(start_ms))
        return Evidence(
            dict(account) if account else None,
            dict(summoner) if summoner else None,
            [dict(e) for e in entries] if entries is not None else None,
            newest_id,
            newest_at,
        )


async def _found(call: Any) -> Any:
    """The answer, or None when the API says 404 (recorded as evidence by the caller)."""
    try:
        return await call
    except NotFoundError:
        return None
