"""``smurf explain PLAYER``: why one player scores as they do, for the terminal."""

from __future__ import annotations

import math
from datetime import datetime
from numbers import Real
from typing import TYPE_CHECKING

import click
import duckdb
import numpy as np
import pandas as pd

from pipeline.analysis.params import DEFAULT_PARAMS, ScoringParams
from pipeline.cli_settings import READING_DB_HELP, db_option, reading_settings
from pipeline.errors import ConfigError, shorten
from pipeline.words import counted

if TYPE_CHECKING:
    from pipeline.analysis.explain import Explanation
    from pipeline.explorer.carried import DuoPartner

GAME_COLUMNS = {
    "game_start": "played",
    "role": "role",
    "champion_id": "champion",
    "win": "result",
    "kills": "K",
    "deaths": "D",
    "assists": "A",
    "lobby_z": "vs lobby",
    "perf_z": "vs tier",
    "summoner_level": "level",
}


def resolve_player(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """The puuid a Riot ID (Name#TAG), a puuid or its first characters name; an error that
    lists the candidates when several players match."""
    from pipeline.explorer.players import PUUID_PREFIX_CHARS, find_players

    found = find_players(con, text, limit=6)
    wanted = text.strip().lower()
    exact = found[(found["puuid"] == text.strip()) | (found["riot_id"].str.lower() == wanted)]
    if len(exact) == 1 or len(found) == 1:
        return str((exact if len(exact) == 1 else found)["puuid"].iloc[0])
    if found.empty:
        raise ConfigError(
            f"No stored player matches {shorten(text)}: give a Riot ID (Name#TAG), a puuid, or "
            f"its first {PUUID_PREFIX_CHARS} characters."
        )
    listed = "; ".join(
        f"{riot_id} ({str(puuid)[:12]}...)"
        for riot_id, puuid in zip(found["riot_id"].head(5), found["puuid"].head(5), strict=True)
    )
    raise ConfigError(
        f"{len(found)}{'+' if len(found) > 5 else ''} players match {shorten(text)}: "
        f"{listed}. Give the full Riot ID or the puuid."
    )


def explanation_text(
    summary: dict[str, object],
    explanation: Explanation,
    games: int,
    params: ScoringParams = DEFAULT_PARAMS,
    duo: DuoPartner | None = None,
) -> str:
    """The player's label, scores and factors (largest contribution first), in words;
    ``params`` are those the explanation was scored with; ``duo``, the account the player
    plays most of its games with, when there is one (``carried.duo_partner``)."""
    from pipeline.explorer.scores import target_of

    e = explanation
    riot_id = summary.get("riot_id") or e.puuid
    lines = [
        f"{riot_id} on {summary.get('platform') or '?'} (puuid {e.puuid})",
        f"  {e.label}: smurf score {e.smurf_score:.2f}, boosted score {e.boosted_score:.2f}"
        + (f", confidence {e.confidence:.0%}" if e.confidence is not None else "")
        + f"; {counted(e.games_analyzed, 'game', 'games')} analysed"
        + f"; tier {tier_text(e.tier, summary)}",
    ]
    for said in (
        season_text(summary),
        levelling_text(e.games),
        weekly_text(e.games, params.performance_prior_games),
        duo.sentence() if duo else None,
    ):
        if said:
            lines.append(f"  {said}")
    if summary.get("unlabelled_because") and e.label == "INSUFFICIENT_DATA":
        lines.append(f"  not labelled: {summary['unlabelled_because']}")
    stored, scored_at = summary.get("label"), summary.get("scored_at")
    if isinstance(stored, str) and isinstance(scored_at, pd.Timestamp | datetime):
        lines.append(
            f"  (computed now from the stored games; the latest stored score, "
            f"{scored_at:%Y-%m-%d %H:%M} UTC, says {stored})"
        )
    # A SMURF or BOOSTED label is explained by its own score; a player labelled neither
    # is explained by both (why neither label was given), and so is one whose other score
    # reached its threshold too (why the label is this one and not the other).
    labelled = e.label in ("SMURF", "BOOSTED")
    targets = [target_of(e.label)] if labelled else ["smurf", "boosted"]
    choice = label_choice(e, params)
    if choice:
        lines.append(f"  {choice}")
        if labelled:
            targets.append("boosted" if targets[0] == "smurf" else "smurf")
    for target in targets:
        lines += ["", *_factor_lines(e, target)]
    if games and not e.games.empty:
        newest = e.games.head(games)
        if "champion_name" in newest:  # the name where the payload gave one, else the id
            named = newest["champion_name"].fillna(newest["champion_id"].astype(str))
            newest = newest.assign(champion_id=named)
        if "summoner_level" in newest:  # "-" where the payload gave none, as for factors
            newest = newest.assign(
                summoner_level=newest["summoner_level"]
                .astype(object)
                .where(newest["summoner_level"].notna(), "-")
            )
        if "win" in newest:  # as the player card says it
            newest = newest.assign(win=newest["win"].map({True: "win", False: "loss"}))
        shown = newest[[c for c in GAME_COLUMNS if c in e.games]].rename(columns=GAME_COLUMNS)
        if "played" in shown:
            shown["played"] = pd.to_datetime(shown["played"]).dt.strftime("%Y-%m-%d %H:%M")
        for column in ("vs lobby", "vs tier"):
            # "-" for a game without one (its lobby not ten players of five roles a team,
            # or no baseline for its tier and role), not NaN.
            if column in shown:
                shown[column] = [z_text(v) for v in shown[column]]
        lines += [
            "",
            f"{_newest(len(shown), len(e.games))} (vs lobby, vs tier: z-scores; - where a "
            "game has none):",
            shown.round(2).to_string(index=False),
        ]
    return "\n".join(lines)


def z_text(value: float | None) -> str:
    """A z-score to two decimals; "-" where there is none."""
    return "-" if value is None or pd.isna(value) else f"{value:.2f}"


def tier_text(tier: str, summary: dict[str, object]) -> str:
    """The tier scored, in words: scoring files a player whose profile is unread under
    UNRANKED, which would read as a player known to have no rank."""
    from pipeline.explorer.players import profile_unread

    unread = profile_unread(summary)
    return f"unknown ({unread})" if tier == "UNRANKED" and unread else tier


def season_text(summary: dict[str, object]) -> str:
    """The season as the profile reports it (``player_summary``: the solo queue's wins and
    losses), in words: what the season's factors read (its record, its games, how even it
    is), which the stored games need not show."""
    from pipeline.explorer.players import NO_PROFILE_YET, profile_unread

    unread = profile_unread(summary)
    if unread == NO_PROFILE_YET:
        return "this season: unknown until the profile is fetched (none read yet)"
    if unread:
        return f"this season: unknown ({unread})"
    wins, losses = _count(summary.get("solo_wins")), _count(summary.get("solo_losses"))
    if wins is None or losses is None or wins + losses == 0:
        return "this season: no solo-queue games reported (unranked)"
    return (
        f"this season: {wins} wins, {losses} losses in solo queue "
        f"({wins / (wins + losses):.0%} wins; from the profile)"
    )


def _count(value: object) -> int | None:
    """A count from a database row, or None where it is missing (None or NaN)."""
    return int(float(value)) if isinstance(value, Real) and value == value else None


def levelling_text(games: pd.DataFrame) -> str | None:
    """How the account's summoner level moved over the analysed games, in words; None
    without two games a day or more apart whose payloads gave a level.

    Not a factor of either score: how fast an account levels says how much it is played,
    which analysts weigh themselves (a new account played all day is a smurf's, but also
    a keen newcomer's).
    """
    if "summoner_level" not in games or "game_start" not in games:
        return None
    known = games[["game_start", "summoner_level"]].dropna()
    if len(known) < 2:
        return None
    known = known.assign(game_start=pd.to_datetime(known["game_start"])).sort_values(
        "game_start", kind="mergesort"
    )
    first, last = known.iloc[0], known.iloc[-1]
    days = (last["game_start"] - first["game_start"]).total_seconds() / 86400
    if days < 1:
        return None
    gained = int(last["summoner_level"]) - int(first["summoner_level"])
    shown_days = round(days, 1) if days < 10 else round(days)
    return (
        f"account level {int(first['summoner_level'])} at the oldest analysed game, "
        f"{int(last['summoner_level'])} at the newest, {shown_days:g} days later "
        f"({gained / shown_days:.2f} levels a day)"
    )


def weekly_text(games: pd.DataFrame, prior: float | None = None) -> str | None:
    """Play against the lobby week by week, as the ``lobby_fall`` factor reads it: the best
    week and the newest, each its games' lobby z summed and shrunk toward 0 by ``prior``
    pseudo-games (the scoring default); None with fewer than two weeks played."""
    if "lobby_z" not in games or "game_start" not in games:
        return None
    if prior is None:
        from pipeline.analysis.params import DEFAULT_PARAMS

        prior = DEFAULT_PARAMS.performance_prior_games
    played = games.dropna(subset=["game_start"])
    # Weeks from Monday, as the store counts them (DuckDB's date_trunc('week')).
    week = pd.to_datetime(played["game_start"]).dt.to_period("W-SUN").dt.start_time
    weeks = played.assign(week=week).groupby("week")["lobby_z"].agg(["sum", "count"])
    if len(weeks) < 2:
        return None
    # Sorted by week: the newest is the last; the best the first of the highest.
    days = [pd.Timestamp(day) for day in weeks.index]
    counts = [int(count) for count in weeks["count"]]
    play = [
        float(total) / (count + prior) for total, count in zip(weeks["sum"], counts, strict=True)
    ]
    best, newest = play.index(max(play)), len(play) - 1

    def week_of(i: int) -> str:
        games_judged = counted(counts[i], "lobby game", "lobby games")
        return f"the week of {days[i]:%Y-%m-%d} ({play[i]:+.2f} over {games_judged})"

    # Said, or a week of one game reads far from that game's own figure in the table below.
    added = f"{prior:g} even {'game' if prior == 1 else 'games'}"
    heading = f"play against the lobby by week (each week's mean with {added} added)"
    if play[newest] >= play[best]:
        return f"{heading}: best {week_of(best)}, the newest: no fall"
    return (
        f"{heading}: best {week_of(best)}, newest {week_of(newest)}:"
        f" a fall of {play[best] - play[newest]:.2f}"
    )


def _newest(shown: int, analysed: int) -> str:
    """The heading of the newest ``shown`` of ``analysed`` games, in words that agree."""
    if analysed == 1:
        return "The one game analysed"
    return f"Newest {shown:,} of {analysed:,} games analysed"


def _log_odds(e: Explanation, target: str) -> float:
    return float(e.factors.loc[e.factors["target"] == target, "contribution"].sum())


def _versus(first: float, second: float) -> tuple[str, str]:
    """Two log-odds in words, to more places when two would read as a tie."""
    places = 2 if f"{first:+.2f}" != f"{second:+.2f}" else 4
    return f"{first:+.{places}f}", f"{second:+.{places}f}"


def label_choice(e: Explanation, params: ScoringParams = DEFAULT_PARAMS) -> str | None:
    """Why the label is not simply a score past its threshold, when it is not
    (``scoring.labels_and_confidence``): a SMURF whose boosted score is past BOOSTED's
    threshold too (the stronger case by log-odds has the label); a smurf score past its
    threshold with the boosted case the stronger, BOOSTED given or not; a boosted score past
    BOOSTED's threshold that the smurf score holds back (the label reads "boosted, not a
    smurf", ``scoring.boosted_not_smurf``): labelled neither."""
    from pipeline.analysis.scoring import boosted_not_smurf

    if e.label not in ("SMURF", "BOOSTED", "NORMAL"):
        return None
    smurf_at, boosted_at = params.smurf_threshold, params.boosted_threshold
    smurf_passed = e.smurf_score >= smurf_at  # False for a NaN score
    case = float(boosted_not_smurf(np.array([e.smurf_score]), np.array([e.boosted_score]))[0])
    held_back = (
        f"boosted, not a smurf ({e.boosted_score:.3f} x (1 - {e.smurf_score:.3f}) ="
        f" {case:.3f}) is below BOOSTED's threshold ({boosted_at:.3f})"
    )
    smurf, boosted = _log_odds(e, "smurf"), _log_odds(e, "boosted")
    if e.label == "SMURF" and e.boosted_score >= boosted_at:
        mine, theirs = _versus(smurf, boosted)
        return (
            f"the boosted score is past BOOSTED's threshold too ({boosted_at:.3f}): SMURF is "
            f"the stronger case, smurf log-odds {mine} against boosted {theirs}"
        )
    if e.label != "SMURF" and smurf_passed and boosted > smurf:
        higher, lower = _versus(boosted, smurf)
        said = (
            f"the smurf score reached its threshold ({smurf_at:.3f}), but the boosted case is"
            f" the stronger (log-odds {higher} against {lower})"
        )
        return (
            f"{said}: BOOSTED"
            if e.label == "BOOSTED"
            else f"{said} and {held_back}: labelled neither"
        )
    if e.label == "NORMAL" and e.boosted_score >= boosted_at and case < boosted_at:
        return (
            f"the boosted score is past BOOSTED's threshold, but the smurf score reads the"
            f" account as a smurf's too: {held_back}: labelled neither"
        )
    return None


def _factor_lines(e: Explanation, target: str) -> list[str]:
    """The ``target`` score's factors, largest contribution first, and their total."""
    from pipeline.analysis.model import factor_phrase

    rows = e.factors[e.factors["target"] == target]
    factors = rows[rows["factor"] != "prior"].sort_values(
        "contribution", key=lambda c: c.abs(), ascending=False, kind="mergesort"
    )
    prior = float(rows.loc[rows["factor"] == "prior", "contribution"].sum())
    lines = [f"Why the {target} score (each factor's share of its log-odds; + raises it):"]
    named = [
        (
            factor_phrase(
                target, str(row["factor"]), float(row["contribution"]), float(row["value"])
            ),
            float(row["contribution"]),
            float(row["value"]),
            float(row["baseline"]),
        )
        for row in factors.to_dict("records")
    ]
    width = max((len(words) for words, *_ in named), default=24)
    for words, contribution, value, baseline in named:
        value_text = "-" if math.isnan(value) else f"{value:.2f}"  # an input the games lack
        lines.append(
            f"  {contribution:+6.2f}  {words:<{width}}  value {value_text}, typical {baseline:.2f}"
        )
    total = _log_odds(e, target)
    lines.append(f"  {prior:+6.2f}  prior (a typical player)")
    probability = 1 / (1 + math.exp(-max(min(total, 700.0), -700.0)))
    lines.append(f"  {'=':>6}  log-odds {total:+.2f}, probability {probability:.2f}")
    return lines


@click.command("explain")
@click.argument("player")
@db_option(help=READING_DB_HELP)
@click.option(
    "--games",
    type=click.IntRange(0, 100),
    default=5,
    show_default=True,
    help="How many of the newest analysed games to list.",
)
@click.pass_context
def explain(ctx: click.Context, player: str, db_path: str | None, games: int) -> None:
    """Why PLAYER scores as they do: label, both scores, each factor's contribution.

    PLAYER is a Riot ID (Name#TAG), a puuid, or its first 8 characters (one that begins
    with "-" goes after "--": smurf explain -- -abc1234). The score is
    computed now from the stored games, as the analyzer would; the latest stored score is
    named beside it. Notebook 02 shows the same as a card, with charts.
    """
    from pipeline.analysis.explain import explain as explain_player
    from pipeline.explorer.carried import duo_partner
    from pipeline.explorer.players import player_summary
    from pipeline.store import check_schema, read

    settings = reading_settings(ctx, db_path)
    with read(settings.db_path, timeout_s=settings.lock_timeout_s) as con:
        check_schema(con, settings.db_path)
        puuid = resolve_player(con, player)
        summary = player_summary(con, puuid)
        explanation = explain_player(con, puuid)
        duo = duo_partner(con, puuid)
    click.echo(explanation_text(summary, explanation, games, duo=duo))
