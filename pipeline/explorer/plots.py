"""Figures for the notebooks. Each returns a ``matplotlib.figure.Figure`` built without
pyplot, so no global figure state leaks between cells or tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from pipeline.analysis.tiers import LP_PER_DIVISION, LP_PER_TIER, rank_name
from pipeline.explorer.scores import TIER_ORDER

# Fixed colours: a label or a job looks the same in every chart and report, whichever others
# are in it (taken in order of appearance, SMURF was red in one report and green in the next).
LABEL_COLOURS = {
    "SMURF": "tab:red",
    "BOOSTED": "tab:orange",
    "NORMAL": "tab:green",
    "INSUFFICIENT_DATA": "tab:gray",
}
JOB_COLOURS = {
    "TRACKED_PLAYER_UPDATER": "tab:blue",
    "MATCH_FETCHER": "tab:orange",
    "SMURF_ANALYZER": "tab:green",
    "BAN_CHECKER": "tab:purple",
    "PROFILE_REFRESHER": "tab:brown",
    "NOTEBOOK_REPORT": "tab:pink",
    "LAKE_MAINTENANCE": "tab:olive",
}
# A run's status is the bar's pattern, so the colour keeps saying which job it was.
STATUS_HATCHES = {"SUCCESS": "", "RATE_LIMITED": "..", "FAILED": "xx", "RUNNING": "//"}
# For names none of the above knows (a job type added later, a new label), in name order.
_SPARE_COLOURS = ("tab:cyan", "darkslategray", "gold", "navy", "lime", "maroon", "teal")


def fixed_colours(names: list[str], known: dict[str, str]) -> dict[str, str]:
    """Each name's colour: its own when ``known`` has one, else a spare one."""
    spares = itertools.cycle([c for c in _SPARE_COLOURS if c not in known.values()])
    return {name: known[name] if name in known else next(spares) for name in sorted(set(names))}


def _outlier_dots(players: int) -> dict[str, object]:
    """Dots for a box plot's outliers, fainter the more players there are: a few hundred
    stay plain to see, a hundred thousand show where they crowd."""
    return {
        "marker": ".",
        "markersize": 4,
        "markerfacecolor": "dimgrey",
        "markeredgecolor": "none",
        "alpha": min(0.8, max(0.1, 2_000 / max(players, 1))),
    }


def score_distribution_figure(scores: pd.DataFrame) -> Figure:
    """Suspicion by tier (box plots) beside the label mix of each tier (stacked bars)."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    tiers = [t for t in TIER_ORDER if t in set(scores["tier"].fillna("UNRANKED"))]
    by_tier = scores.assign(tier=scores["tier"].fillna("UNRANKED"))
    # A tier whose players are all unlabelled (INSUFFICIENT_DATA: no suspicion) gets no box:
    # an empty slot would read as a suspicion of zero.
    data = {t: by_tier.loc[by_tier["tier"] == t, "suspicion"].dropna() for t in tiers}
    scored = {t: values for t, values in data.items() if len(values)}
    if scored:
        # Most players sit near 0, so every suspect is an outlier: drawn as dots, faint on
        # a large database (as rings, 100,000 players merged into black columns).
        players = sum(len(values) for values in scored.values())
        left.boxplot(
            list(scored.values()), tick_labels=list(scored), flierprops=_outlier_dots(players)
        )
    left.set_title("Suspicion (max of smurf, boosted) by tier")
    left.set_ylabel("suspicion (0-1)")
    left.tick_params(axis="x", rotation=45)
    mix = pd.crosstab(by_tier["tier"], by_tier["label"]).reindex(tiers).fillna(0)
    bottom = pd.Series(0.0, index=mix.index)
    colours = fixed_colours([str(label) for label in mix.columns], LABEL_COLOURS)
    for label in mix.columns:
        right.bar(mix.index, mix[label], bottom=bottom, label=label, color=colours[str(label)])
        bottom += mix[label]
    right.set_title("Players per tier and label")
    right.set_ylabel("players")
    right.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 2.5 players
    right.tick_params(axis="x", rotation=45)
    if len(mix.columns):
        right.legend()
    return fig


def roc_figure(curves: dict[str, pd.DataFrame], rule: dict[str, float] | None) -> Figure:
    """ROC curves (name -> roc_curve frame) with the win-rate rule as a single point."""
    fig = Figure(figsize=(5, 5), layout="constrained")
    ax = fig.subplots()
    for name, curve in curves.items():
        ax.plot(curve["fpr"], curve["tpr"], label=name)
    if rule is not None:
        ax.scatter(
            [rule["fpr"]], [rule["tpr"]], color="red", zorder=3, label="win-rate rule (smurfs)"
        )
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("Detection against ground truth")
    ax.legend(loc="lower right")
    return fig


# Contributions below this (in log-odds) read 0.00: drawn as no effect.
NO_EFFECT = 0.005


def factors_figure(
    factors: pd.Series, title: str = "Factor contributions", target: str = "smurf"
) -> Figure:
    """Horizontal bars: what pushed the ``target`` score up (right) or down (left), each
    named as ``model.factor_phrase`` words it ("few season games") and labelled with its
    contribution, as ``smurf explain`` lists them: every factor, one with no effect as a
    dot at 0 labelled 0.00."""
    from pipeline.analysis.model import factor_phrase

    fig = Figure(figsize=(6, max(2.0, 0.35 * len(factors) + 1.3)), layout="constrained")
    ax = fig.subplots()
    ordered = factors.iloc[::-1]
    values = [float(v) for v in ordered]
    # A factor that moved the score by less than the 0.01 the labels show had no effect: a
    # grey dot at 0 and "0.00", not a name beside an empty row.
    none = [abs(v) < NO_EFFECT for v in values]
    colors = [
        "grey" if zero else "tab:red" if v > 0 else "tab:blue"
        for v, zero in zip(values, none, strict=True)
    ]
    names = [
        factor_phrase(target, str(name), v) for name, v in zip(ordered.index, values, strict=True)
    ]
    bars = ax.barh(names, values, color=colors)
    ax.bar_label(
        bars,
        labels=["" if zero else f"{v:+.2f}" for v, zero in zip(values, none, strict=True)],
        padding=3,
        fontsize=8,
    )
    for row in (row for row, zero in enumerate(none) if zero):
        ax.scatter([0.0], [row], color="grey", s=18, zorder=3)
        ax.annotate(
            "0.00",
            (0.0, row),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color="grey",
        )
    # Room for the labels at the bars' ends, and for a dot at 0 on either side of it.
    ax.use_sticky_edges = False
    ax.margins(x=0.15)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("contribution to the log-odds\n(right: more suspicious; a dot at 0: no effect)")
    ax.set_title(title)
    return fig


# Riot's queue types as a reader names them.
QUEUE_TITLES = {"RANKED_SOLO_5x5": "ranked solo", "RANKED_FLEX_SR": "ranked flex"}


def rank_history_figure(history: pd.DataFrame) -> Figure:
    """Ladder position over time, one line per queue, on an axis of ranks (``GOLD II``)."""
    fig = Figure(figsize=(7, 3), layout="constrained")
    ax = fig.subplots()
    ranked = history.dropna(subset=["ladder_points"])
    for queue, rows in ranked.groupby("queue_type"):
        title = QUEUE_TITLES.get(str(queue), str(queue))
        ax.plot(rows["observed_at"], rows["ladder_points"], marker="o", label=title)
    ax.set_ylabel("rank (100 LP a division)")
    ax.set_title("Rank history")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    if not ranked.empty:
        _rank_axis(ax, pd.to_numeric(ranked["ladder_points"]))
    _date_axis(ax, history["observed_at"])
    fig.autofmt_xdate()
    return fig


def _rank_axis(ax: Axes, points: pd.Series) -> None:
    """Ticks at the divisions (the tiers, over a long climb) the points span, named as
    ranks: a reader knows GOLD II, not 1,400 ladder points."""
    step = LP_PER_DIVISION if points.max() - points.min() <= 2 * LP_PER_TIER else LP_PER_TIER
    low = float(points.min() // step * step)
    high = float(max(low + step, -(-points.max() // step) * step))
    ticks = [low + i * step for i in range(int((high - low) // step) + 1)]
    ax.set_ylim(low - step * 0.1, high + step * 0.1)
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: rank_name(value)))


def performance_figure(games: pd.DataFrame) -> Figure:
    """Per-game performance against the tier/role baseline (1.0 = par), wins in green."""
    fig = Figure(figsize=(7, 3), layout="constrained")
    ax = fig.subplots()
    ordered = games.sort_values("game_start")
    colors = ["tab:green" if w else "tab:red" for w in ordered["win"]]
    ax.scatter(ordered["game_start"], ordered["performance_vs_base"], c=colors)
    ax.axhline(1.0, color="grey", linestyle=":")
    ax.set_ylabel("× tier/role average (1 = par)")
    ax.set_title("Games against the tier/role baseline (green = win)")
    _date_axis(ax, ordered["game_start"])
    fig.autofmt_xdate()
    return fig


def job_runs_figure(runs: pd.DataFrame) -> Figure:
    """Runs per minute, hour or day by job and status (top) and run durations over time
    (below), each with its legend beside it, where it hides no bar or line.

    The bins follow the runs' span (``jobs.runs_over_time``) and each bar is as wide as its
    bin, so a day of runs is a day of hourly bars, not one wide bar under hourly ticks, and
    a demo's few minutes are bars a minute wide on an axis of minutes.
    """
    from pipeline.explorer.jobs import BIN_WIDTHS, runs_over_time

    fig = Figure(figsize=(12, 7), layout="constrained")
    # One time axis for both, so a bar and the runs it counts line up.
    counts, durations = fig.subplots(2, 1, sharex=True)
    binned = runs_over_time(runs)
    bin_width = BIN_WIDTHS[binned.attrs["bin"]]
    # A few minutes of runs: an axis of a few more minutes, not of half an hour or a day.
    shortest_axis = bin_width * 8
    if not binned.empty:
        width_days = bin_width / timedelta(days=1) * 0.9
        bottom = pd.Series(0.0, index=binned.index)
        columns = [c if isinstance(c, tuple) else (c, "") for c in binned.columns]
        colours = fixed_colours([str(job) for job, _ in columns], JOB_COLOURS)
        for column, (job, status) in zip(binned.columns, columns, strict=True):
            counts.bar(
                binned.index,
                binned[column],
                bottom=bottom,
                width=width_days,
                align="edge",
                label=f"{job} / {status}" if status else str(job),
                color=colours[str(job)],
                hatch=STATUS_HATCHES.get(str(status), "++"),
                edgecolor="white",
                linewidth=0.5,
            )
            bottom += binned[column]
        _legend_beside(counts)
        _date_axis(counts, pd.Series(binned.index), shortest=shortest_axis)
        # The shared axis shows its times under the lower chart only: the top one gets its
        # own, so a bar's time reads without looking down past the durations.
        counts.xaxis.set_tick_params(labelbottom=True)
        counts.xaxis.get_offset_text().set_visible(True)
    counts.set_ylabel(f"runs per {binned.attrs.get('bin', 'day')}")
    counts.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 2.5 runs
    counts.set_title("Executions by job and status")
    line_colours = fixed_colours([str(j) for j in runs["job_type"]], JOB_COLOURS)
    for job_type, rows in runs.groupby("job_type"):
        durations.plot(
            rows["started_at"],
            rows["duration_s"],
            marker=".",
            label=str(job_type),
            color=line_colours[str(job_type)],
        )
    durations.set_ylabel("duration (s)")
    durations.set_title("Run durations")
    if not runs.empty:
        _legend_beside(durations)
        _date_axis(durations, runs["started_at"], shortest=shortest_axis)
    return fig


def _legend_beside(ax: Axes) -> None:
    """The legend to the right of ``ax`` (constrained layout makes room for it)."""
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _date_axis(ax: Axes, times: pd.Series, *, shortest: timedelta = timedelta(days=1)) -> None:
    """Concise date ticks, and an axis at least ``shortest`` long around a short stretch
    (a single rank snapshot on an axis of days, not of years)."""
    moments = pd.to_datetime(times.dropna())
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    # Days named with their month ("Sep 29", a month's first day "Oct"), and the year
    # alone beside the axis: the default wrote "29 Oct 03" over "2026-Oct", the month of
    # the last tick only, which read as if every day were in October. Over hours, the
    # day a tick crosses into reads "Oct 01" too.
    formatter.formats = ["%Y", "%b", "%b %d", "%H:%M", "%H:%M", "%S.%f"]
    formatter.zero_formats = ["", "%Y", "%b", "%b %d", "%H:%M", "%H:%M"]
    formatter.offset_formats = ["", "%Y", "%Y", "%Y-%b-%d", "%Y-%b-%d", "%Y-%b-%d %H:%M"]
    ax.xaxis.set_major_formatter(formatter)
    if moments.empty:
        return
    start, end = moments.min(), moments.max()
    if end - start < shortest / 2:
        middle = start + (end - start) / 2
        bounds = (middle - shortest / 2, middle + shortest / 2)
        ax.set_xlim(*(float(mdates.date2num(b)) for b in bounds))  # type: ignore[no-untyped-call]
