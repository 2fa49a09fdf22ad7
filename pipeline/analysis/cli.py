"""``smurf analyze`` and ``smurf evaluate``, registered on the root command by pipeline.cli."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from pipeline.cli_settings import (
    COMMAND_DB_HELP,
    READING_DB_HELP,
    db_option,
    reading_settings,
    settings_of,
)
from pipeline.store.players import riot_ids
from pipeline.words import counted

# Everyone, for `analyze` without --all: the job's per-run cap does not apply here.
ALL_PLAYERS = 10_000_000
TOP_SUSPECTS = 10


def top_suspects(scores: pd.DataFrame, target: str, top: int = TOP_SUSPECTS) -> pd.DataFrame:
    """The ``top`` players labelled for ``target`` (SMURF for "smurf", BOOSTED for
    "boosted") by that score, ties by puuid: the flagged ones, as the report and the demo
    list them. A player labelled NORMAL, or the other label, is no suspect of this kind
    however its score ranks among the few scored (a smurf's boosted score of 1 % listed
    under "Top boosted suspects" read as a flag), and INSUFFICIENT_DATA players are no
    judgement at all (a gone account's games alone can score high)."""
    from pipeline.analysis.evaluation import LABEL_OF

    flagged = scores[scores["label"] == LABEL_OF[target]]
    return flagged.sort_values(
        [f"{target}_score", "puuid"], ascending=[False, True], kind="mergesort"
    ).head(top)


def not_judged_text(scores: pd.DataFrame) -> str | None:
    """Why the players left INSUFFICIENT_DATA were not judged, counted by kind of reason,
    and, when some wait for a profile, how to have them judged sooner; None when every
    player was judged.

    A crawl whose fetcher outpaces PROFILE_REFRESHER leaves most players unjudged with no
    sign of it but the count: on a labelled world crawled for 20 minutes with a raised
    fetcher budget, 1,856 of the 2,741 players with enough games still waited for a
    profile, and the boosted accounts among them went unlabelled."""
    from pipeline.analysis.scoring import (
        ACCOUNT_GONE,
        FEW_GAMES,
        INSUFFICIENT_DATA,
        NO_PROFILE,
        OLD_PROFILE,
        OTHER_REASON,
        reason_kind,
    )

    kinds = scores.loc[scores["label"] == INSUFFICIENT_DATA, "reason"].map(reason_kind)
    if kinds.empty:
        return None
    sizes = kinds.value_counts()
    words = (
        (NO_PROFILE, "awaits a first profile", "await a first profile"),
        (FEW_GAMES, "has too few stored games", "have too few stored games"),
        (OLD_PROFILE, "has a profile too old", "have a profile too old"),
        (ACCOUNT_GONE, "is an account gone", "are accounts gone"),
    )
    parts = [counted(int(sizes[kind]), one, many) for kind, one, many in words if kind in sizes]
    other = int(sizes.get(OTHER_REASON, 0))
    if other:
        parts.append(f"{other:,} for other reasons")
    text = f"Not judged ({INSUFFICIENT_DATA}): " + ", ".join(parts) + "."
    waiting = int(sizes.get(NO_PROFILE, 0)) + int(sizes.get(OLD_PROFILE, 0))
    if waiting:
        text += (
            " A player waiting for a profile is judged once PROFILE_REFRESHER fetches it"
            " (summoner level, league entry; the most suspicious first, up to"
            " max_profiles_per_run a run, or key_share_percent of what the key's rate limits"
            " allow between two runs when that is more). To have it keep pace with the"
            " fetcher: smurf jobs set PROFILE_REFRESHER max_profiles_per_run=N (2 requests a"
            " profile), or a larger key_share_percent when the key's limits allow more."
        )
    if FEW_GAMES in sizes:
        text += (
            " A player with too few stored games is judged once more of them are stored, if"
            " its history holds more: MATCH_FETCHER fetches discovered_players_per_run players"
            " a run, more while key_share_percent of what the key's rate limits allow until"
            " the next run is not spent (smurf jobs set MATCH_FETCHER"
            " discovered_players_per_run=N, or a larger key_share_percent)."
        )
    return text


def summary_text(
    scores: pd.DataFrame, top: int = TOP_SUSPECTS, names: dict[str, str] | None = None
) -> str:
    """Counts by label, why the players not judged are not, and the top suspects of each
    kind, for the terminal; a suspect shows as its Riot ID from ``names``, else as the start
    of its puuid."""
    from pipeline.analysis.evaluation import LABEL_OF
    from pipeline.analysis.scoring import INSUFFICIENT_DATA, LABELS

    counts = scores["label"].value_counts()
    lines = [
        f"Scored {len(scores):,} player(s): "
        + ", ".join(f"{label} {int(counts.get(label, 0)):,}" for label in LABELS)
    ]
    why = not_judged_text(scores) if "reason" in scores else None
    if why:
        lines.append(why)
    columns = ["player", "smurf_score", "boosted_score", "label", "games_analyzed", "tier"]
    if scores.empty:
        return lines[0]
    if (scores["label"] == INSUFFICIENT_DATA).all():
        lines.append(
            "No player could be judged yet, so no suspects are listed: each needs enough stored"
            " games and a fresh profile (`smurf explain PLAYER` says which is missing)."
        )
        return "\n".join(lines)
    for target in ("smurf", "boosted"):
        ranked = top_suspects(scores, target, top)
        ranked = ranked.assign(
            player=[(names or {}).get(p) or f"{p[:12]}..." for p in ranked["puuid"]]
        )
        label = LABEL_OF[target]
        if ranked.empty:
            nobody = f"No player scored in this run is labelled {label}: no {target} suspects."
            lines += ["", nobody]
            continue
        shown = f"top {top}" if int(counts.get(label, 0)) > top else "all"
        lines += [
            "",
            f"Top {target} suspects (labelled {label}, {shown}, by {target} score):",
            ranked[columns].round(3).to_string(index=False),
        ]
    return "\n".join(lines)


@click.command()
@db_option(help=COMMAND_DB_HELP)
@click.option(
    "--all",
    "score_all",
    is_flag=True,
    help="Score every player, not only new ones and those with new games.",
)
@click.option(
    "--min-matches",
    type=click.IntRange(1, 10_000),
    default=5,
    show_default=True,
    help="Fewer stored games than this: skipped, or with --all labelled INSUFFICIENT_DATA.",
)
@click.pass_context
def analyze(ctx: click.Context, db_path: str | None, score_all: bool, min_matches: int) -> None:
    """Score players for smurf and boosted likelihood, store the scores, print a summary.

    By default only players queued since their last score (new games, a new profile or
    rank) are scored, against the baselines the analyzer keeps; --all recomputes the
    baselines and rescores everyone. Every scoring is kept; latest_smurf_scores shows the
    newest per player.
    """
    from pipeline.analysis import ScoringParams, score_queued
    from pipeline.store import write_migrated

    settings = settings_of(ctx, db_path)
    params = ScoringParams(min_games=min_matches)
    with write_migrated(settings.db_path, timeout_s=settings.lock_timeout_s) as con:
        scores = score_queued(con, params, ALL_PLAYERS, everyone=score_all).scores
        names = {}
        if not scores.empty:
            shown = {p for t in ("smurf", "boosted") for p in top_suspects(scores, t)["puuid"]}
            names = riot_ids(con, sorted(shown))
    if scores.empty and not score_all:
        click.echo("Every player's score is up to date (use --all to rescore everyone).")
        return
    click.echo(summary_text(scores, names=names))


@click.command()
@db_option(help=READING_DB_HELP)
@click.option(
    "--min-games",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Evaluate players with at least this many analysed games.",
)
@click.option(
    "--truth",
    "truth_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="CSV of known labels (puuid,is_smurf,is_boosted[,population,is_trap]) to measure "
    "against instead of the simulator's sim_truth.",
)
@click.pass_context
def evaluate(
    ctx: click.Context, db_path: str | None, min_games: int, truth_path: Path | None
) -> None:
    """Measure the scores against a simulated world's ground truth (sim_truth), or against
    labels of your own (--truth FILE.csv: players you know to be smurfs or boosted, in a
    database the jobs crawled).

    Prints, for smurfs and boosted accounts, ROC-AUC, average precision, precision in the
    top 1% and 5%, recall at 1% false positives and calibration error, overall and per
    games-played bucket, next to the win-rate rule and a weighted rule set; then the share
    of each simulated population that gets flagged.
    """
    from pipeline.analysis import ScoringParams
    from pipeline.analysis import evaluate as run_evaluation
    from pipeline.analysis.truth_file import read_truth_file
    from pipeline.store import check_schema, read

    settings = reading_settings(ctx, db_path)
    truth = read_truth_file(truth_path) if truth_path is not None else None
    with read(settings.db_path, timeout_s=settings.lock_timeout_s) as con:
        check_schema(con, settings.db_path)
        report = run_evaluation(con, ScoringParams(min_games=min_games), truth=truth)
    if truth is not None:
        if report.candidates == 0:
            none = (
                f"The 1 player of {truth_path} has no games"
                if len(truth) == 1
                else f"None of the {len(truth):,} players of {truth_path} has games"
            )
            raise click.ClickException(
                f"{none} stored in this database: check that its puuids are the ones the crawl"
                " stored (Riot encrypts puuids per API key)."
            )
        click.echo(
            f"Truth file {truth_path}: {counted(len(truth), 'player', 'players')}, "
            f"{report.candidates:,} of them with games stored in this database."
        )
    if report.players == 0:  # one sentence, not tables of "-"
        raise click.ClickException(f"{report.nobody_evaluated}; lower --min-games.")
    click.echo(report.to_text())
