"""``smurf track``: resolve Riot IDs through account-v1 and mark the players tracked, one or
many in one process."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Any

import click

from pipeline.cli_settings import SIGINT_EXIT, command_db_option, settings_of
from pipeline.config import DEFAULT_RIOT_API_BASE, Settings
from pipeline.errors import ConfigError, shorten
from pipeline.jobs.cli import _db, _progress_printer, parse_riot_id
from pipeline.log import redact_text
from pipeline.store import Database
from pipeline.store import job_records as records
from pipeline.store.players import track_player
from pipeline.words import counted


@click.command()
@click.argument("riot_ids", nargs=-1, metavar="[RIOT_ID]...")
@click.option(
    "--from-file",
    "from_file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    metavar="PATH",
    help="Also track the Riot IDs in this file, one a line (blank lines and lines starting "
    "with # are skipped); - reads them from stdin.",
)
@click.option(
    "--platform",
    default=None,
    help="Platform of the accounts, e.g. euw1, na1, kr, for every Riot ID given (default: "
    "where each plays League, as account-v1 says, else SMURF_PLATFORM).",
)
@command_db_option()
@click.pass_context
def track(
    ctx: click.Context, riot_ids: tuple[str, ...], from_file: Any, platform: str | None
) -> None:
    """Track players by Riot ID (Name#TAG): resolve each through account-v1 and mark it
    tracked.

    Several Riot IDs, as arguments or with --from-file (or both), are resolved in one go:
    one line each, then a summary. A Riot ID that is malformed or not found is listed with
    why and the others are still tracked; the exit status is then 1. A Riot ID given twice
    is tracked once. Ctrl-C keeps the players already tracked and says how many.

    The account's platform is checked with account-v1: a --platform where it does not play
    League is refused (its profile would be "not found" there).
    """
    given = _riot_ids_given(riot_ids, from_file)
    if len(given) == 1:
        _track_one(ctx, given[0], platform)
    else:
        _track_several(ctx, given, platform)


def _riot_ids_given(riot_ids: Sequence[str], from_file: Any) -> list[str]:
    """The Riot IDs of the arguments, then of the file (blank lines and # comments left
    out); a usage error when there is none."""
    given = list(riot_ids)
    if from_file is not None:
        try:
            lines = from_file.read().splitlines()
        except UnicodeDecodeError:
            raise click.BadParameter(
                f"{shorten(from_file.name)} is not UTF-8 text: give one Riot ID a line.",
                param_hint="'--from-file'",
            ) from None
        for line in lines:
            text = line.strip().lstrip("\ufeff").strip()
            if text and not text.startswith("#"):
                given.append(text)
    if not given:
        held = (
            f" ({'stdin' if from_file.name == '<stdin>' else from_file.name} holds none: blank"
            " lines and lines starting with # are skipped)"
            if from_file is not None
            else ""
        )
        raise click.UsageError(
            f"No Riot ID given{held}: give one or more as Name#TAG, or --from-file PATH with "
            "one a line."
        )
    return given


async def _resolve(
    client: Any, name: str, tag: str, route: str
) -> tuple[dict[str, Any], str | None, str | None]:
    """The account of a Riot ID, the platform where it plays League (None: unknown), and
    why that could not be checked (None: it was)."""
    from pipeline.riot import PLATFORMS, RiotAPIError

    account = dict(await client.get_account_by_riot_id(name, tag, platform=route))
    try:
        answer = await client.get_active_region(str(account["puuid"]), platform=route)
    except RiotAPIError as exc:
        if exc.stops_the_run or exc.status_code == 429:
            raise
        return account, None, str(exc)
    plays_on = str(answer.get("region") or "").lower()
    return account, (plays_on if plays_on in PLATFORMS else None), None


def _with_address_hint(exc: Any, settings: Settings) -> Any:
    """A 404 for a Riot ID, saying the address may be at fault away from Riot's own."""
    from pipeline.riot import NotFoundError

    if settings.riot_api_base == DEFAULT_RIOT_API_BASE:
        return exc
    # Away from Riot's own address, a 404 may be the address's fault, not the id's.
    return NotFoundError(
        f"{exc} If every Riot ID is not found, RIOT_API_BASE may not point at the Riot API"
        f" (it is {settings.shown_api_base}; the simulator prints its own).",
        method=exc.method,
        path=exc.path,
        status_code=exc.status_code,
    )


class _PlaysElsewhereError(ConfigError):
    """A --platform where the account does not play League."""

    def __init__(self, message: str, plays_on: str) -> None:
        super().__init__(message)
        self.plays_on = plays_on


def _store_tracked(
    db: Database,
    riot_id: str,
    resolved: tuple[dict[str, Any], str | None, str | None],
    asked: str | None,
    route: str,
) -> tuple[list[str], bool]:
    """Mark a resolved account tracked (one transaction): the lines that say so, and
    whether it was tracked there already. Refuses a --platform where it does not play."""
    account, plays_on, unchecked = resolved
    shown_id = f"{account.get('gameName')}#{account.get('tagLine')}"
    if asked is not None and plays_on is not None and plays_on != asked:
        raise _PlaysElsewhereError(
            f"{shown_id} plays League on {plays_on}, not {asked}: track it with "
            f'--platform {plays_on} (or leave --platform out), e.g. smurf track "{riot_id}" '
            f"--platform {plays_on}",
            plays_on,
        )
    platform = plays_on or route
    lines = []
    if unchecked is not None:
        lines.append(f"Could not check where {shown_id} plays ({unchecked}); assuming {platform}.")
    with db.write() as con:
        tracked_on = track_player(
            con,
            puuid=account["puuid"],
            game_name=account.get("gameName"),
            tag_line=account.get("tagLine"),
            platform=platform,
            now=records.utcnow(),
        )
    shown = f"{account.get('gameName')}#{account.get('tagLine')} on {platform}"
    if tracked_on == platform:
        lines.append(f"Already tracking {shown} (puuid {account['puuid']}).")
    elif tracked_on is not None:
        lines.append(
            f"Tracking {shown} (puuid {account['puuid']}), moved from {tracked_on}: its "
            f"updates now go to {platform}."
        )
    else:
        lines.append(
            f"Tracking {shown} (puuid {account['puuid']}). TRACKED_PLAYER_UPDATER fetches their"
            " matches."
        )
    return lines, tracked_on == platform


def _route(settings: Settings, platform: str | None) -> tuple[str | None, str]:
    """The --platform asked (None: none), and the platform whose host account-v1 is asked
    on; an unknown platform is a clear error before any request."""
    from pipeline.riot.routing import region_of

    asked = platform.lower() if platform else None
    route = asked or settings.platform.lower()
    region_of(route)
    return asked, route


def _track_one(ctx: click.Context, riot_id: str, platform: str | None) -> None:
    """One Riot ID: any failure is the command's error."""
    from pipeline.riot import NotFoundError, RiotClient

    settings = settings_of(ctx)
    db = _db(ctx)
    name, tag = parse_riot_id(riot_id)
    asked, route = _route(settings, platform)
    settings.require_riot_key()

    async def resolve() -> tuple[dict[str, Any], str | None, str | None]:
        async with RiotClient(settings.riot_api_key, settings.riot_api_base) as client:
            return await _resolve(client, name, tag, route)

    try:
        resolved = asyncio.run(resolve())
    except NotFoundError as exc:
        raise _with_address_hint(exc, settings) from None
    lines, _ = _store_tracked(db, riot_id, resolved, asked, route)
    for line in lines:
        click.echo(line)


def _shown(text: str) -> str:
    """A Riot ID as typed, for a summary: as it is when short and printable, else quoted."""
    kept = text.strip()
    return kept if kept and kept.isprintable() and len(kept) <= 40 else shorten(text, 40)


def _track_several(ctx: click.Context, given: list[str], platform: str | None) -> None:
    """Several Riot IDs through one client: each tracked in its own transaction, as it is
    resolved; a failure is listed and the rest go on, unless every request would fail."""
    from pipeline.riot import NotFoundError, RiotAPIError, RiotClient, RiotTransportError

    settings = settings_of(ctx)
    db = _db(ctx)
    key = settings.riot_api_key
    wanted: list[tuple[str, str, str]] = []  # (as typed, name, tag)
    failed: list[tuple[str, str]] = []  # (as typed, short reason)
    malformed: list[str] = []
    seen: set[tuple[str, ...]] = set()
    repeated = 0
    for text in given:
        try:
            name, tag = parse_riot_id(text)
            same: tuple[str, ...] = (name.casefold(), tag.casefold())
        except ConfigError as exc:
            name, tag, same = "", "", ("", text.strip())
            if same not in seen:
                malformed.append(str(exc))
                failed.append((text, "not a Riot ID: Name#TAG"))
        if same in seen:
            repeated += 1
            continue
        seen.add(same)
        if name:
            wanted.append((text, name, tag))
    asked, route = _route(settings, platform)
    if wanted:
        settings.require_riot_key()
    total = len(seen)
    for reason in malformed:
        click.secho(f"Not tracked: {redact_text(reason, [key])}", fg="red", err=True)

    tracked = already = 0
    show = _progress_printer("smurf track") if len(wanted) > 1 else None

    def echo(line: str, *, failure: bool = False) -> None:
        if show is not None:  # the progress line goes before a player's line is written
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
        click.secho(line, fg="red" if failure else None, err=failure)

    async def resolve_each() -> None:
        nonlocal tracked, already
        async with RiotClient(settings.riot_api_key, settings.riot_api_base) as client:
            for done, (text, name, tag) in enumerate(wanted, start=1):
                try:
                    lines, was = _store_tracked(
                        db, text, await _resolve(client, name, tag, route), asked, route
                    )
                except NotFoundError as exc:
                    reason, short = str(_with_address_hint(exc, settings)), "not found"
                except _PlaysElsewhereError as exc:
                    reason, short = str(exc), f"plays on {exc.plays_on}, not {asked}"
                except RiotAPIError as exc:
                    if exc.stops_the_run or exc.status_code == 429:
                        raise
                    if isinstance(exc, RiotTransportError):
                        raise
                    reason = str(exc)
                    short = f"answered {exc.status_code}" if exc.status_code else "no answer"
                else:
                    for line in lines:
                        echo(line)
                    tracked += 1
                    already += was
                    if show is not None and done < len(wanted):
                        show("players", {"done": done, "total": len(wanted)})
                    continue
                failed.append((text, short))
                echo(f"Not tracked: {_shown(text)}: {redact_text(reason, [key])}", failure=True)
                if show is not None and done < len(wanted):
                    show("players", {"done": done, "total": len(wanted)})

    def summary() -> str:
        said = f"Tracked {tracked:,} of {counted(total, 'player', 'players')}"
        notes = [f"{already} already tracked"] if already else []
        if repeated:
            notes.append(f"{counted(repeated, 'repeated ID', 'repeated IDs')} left out")
        if notes:
            said += f" ({', '.join(notes)})"
        if failed:
            reasons = ", ".join(f"{_shown(text)} ({short})" for text, short in failed)
            said += f"; {len(failed)} failed: {reasons}"
        untried = total - tracked - len(failed)
        if untried:
            said += f"; {untried} not tried"
        return redact_text(said, [key])

    try:
        if wanted:
            asyncio.run(resolve_each())
    except KeyboardInterrupt:
        if show is not None:
            sys.stderr.write("\r\x1b[K")
        click.secho(
            f"\nStopped by Ctrl-C: {summary()}. The players tracked stay tracked.",
            fg="red",
            err=True,
        )
        raise click.exceptions.Exit(SIGINT_EXIT) from None
    except RiotAPIError as exc:
        raise click.ClickException(
            f"{redact_text(str(exc), [key]).rstrip('.')}. Stopped: {summary()}; the players "
            "tracked stay tracked."
        ) from None
    if failed:
        raise click.ClickException(f"{summary()}.")
    click.echo(f"{summary()}.")
