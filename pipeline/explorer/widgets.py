"""The player explorer: ipywidgets over the query functions of this package.

Each interaction opens a read-only connection for the query it needs and closes it, so a
notebook left open never blocks the scheduler. The layout::

    [search: Riot ID or puuid] [Find]
    [tier v] [label v] [min suspicion ----o--] [min games ---o---]
    [players found / filtered .................]
    player card: summary, ban checks and their evidence, factor bars, rank history,
                 games vs baseline, co-players
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import display as _untyped_display

from pipeline.explorer import players, plots, scores
from pipeline.store import read

ANY = "(any)"
MAX_LISTED = 200


def display(obj: object) -> None:
    """IPython's display (untyped upstream)."""
    _untyped_display(obj)  # type: ignore[no-untyped-call]


def player_options(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(text shown, puuid) for each row of a player frame, e.g. ``Faker#KR1 · SMURF · 0.91``."""
    options = []
    for row in frame.itertuples(index=False):
        label = getattr(row, "label", None)
        label = "unscored" if label is None or pd.isna(label) else label
        suspicion = getattr(row, "suspicion", None)
        shown = f"{row.riot_id} · {label}"
        if suspicion is not None and pd.notna(suspicion):
            shown += f" · {suspicion:.2f}"
        options.append((shown, str(row.puuid)))
    return options


def card_parts(db_path: Path | str, puuid: str, *, queue: int | None = None) -> dict[str, Any]:
    """Everything the player card shows, read with one short-lived connection."""
    with read(db_path) as con:
        return {
            "summary": players.player_summary(con, puuid),
            "ban_checks": players.ban_checks(con, puuid),
            "factors": players.factor_contributions(con, puuid),
            "ranks": players.rank_history(con, puuid),
            "games": players.match_history(con, puuid, queue=queue),
            "co_players": players.co_players(con, puuid),
        }


def show_card(parts: dict[str, Any]) -> None:
    """Display a player card from ``card_parts`` in the current output."""
    summary = parts["summary"]
    if not summary:
        display(widgets.HTML("<b>No such player in the database.</b>"))
        return
    display(pd.Series(summary, name="player").to_frame())
    checks = parts["ban_checks"]
    if not checks.empty:
        latest = checks.iloc[0]
        display(
            widgets.HTML(
                f"<b>Account status {html.escape(str(latest['status']))}</b> "
                f"({html.escape(str(latest['checked_at']))}): "
                f"{html.escape(str(latest['reasons'] or 'no evidence recorded'))}"
            )
        )
        display(checks)
    if not parts["factors"].empty:
        display(plots.factors_figure(parts["factors"], f"Why {summary['riot_id']} scores so"))
    if not parts["ranks"].empty:
        display(plots.rank_history_figure(parts["ranks"]))
    games = parts["games"]
    if not games.empty:
        display(plots.performance_figure(games))
        display(games.head(20))
    display(widgets.HTML("<b>Accounts seen in the same games</b>"))
    display(parts["co_players"])


class PlayerExplorer:
    """The explorer's widgets and what happens when they change."""

    def __init__(self, db_path: Path | str, *, queue: int | None = None) -> None:
        self.db_path = db_path
        self.queue = queue
        with read(db_path) as con:
            self.scores = scores.latest_scores(con)
        tiers = [t for t in scores.TIER_ORDER if t in set(self.scores["tier"].dropna())]
        labels = sorted(self.scores["label"].dropna().unique())
        self.search_box = widgets.Text(
            placeholder="Riot ID (name#tag), name prefix or puuid", continuous_update=False
        )
        self.find_button = widgets.Button(description="Find", icon="search")
        self.tier = widgets.Dropdown(options=[ANY, *tiers], description="Tier")
        self.label = widgets.Dropdown(options=[ANY, *labels], description="Label")
        self.min_score = widgets.FloatSlider(0.5, min=0, max=1, step=0.05, description="Min score")
        self.min_games = widgets.IntSlider(0, min=0, max=100, step=5, description="Min games")
        self.results = widgets.Select(options=[], rows=10, layout={"width": "60%"})
        self.status = widgets.HTML()
        self.shown: str | None = None  # whose card the card area holds
        self.card = widgets.Output()
        self._wire()
        self.apply_filters()

    def _wire(self) -> None:
        self.find_button.on_click(lambda _button: self.search(self.search_box.value))
        # continuous_update=False: the value changes on Enter or leaving the box.
        self.search_box.observe(lambda change: self.search(change["new"]), names="value")
        for control in (self.tier, self.label, self.min_score, self.min_games):
            control.observe(lambda _change: self.apply_filters(), names="value")
        self.results.observe(lambda change: self.show(change["new"]), names="value")

    def widget(self) -> widgets.Widget:
        """The whole explorer, ready to display."""
        return widgets.VBox(
            [
                widgets.HBox([self.search_box, self.find_button]),
                widgets.HBox([self.tier, self.label]),
                widgets.HBox([self.min_score, self.min_games]),
                self.status,
                self.results,
                self.card,
            ]
        )

    def filtered(self) -> pd.DataFrame:
        """The scored players passing the tier, label, score and games filters."""
        frame = scores.filter_scores(
            self.scores,
            tier=None if self.tier.value == ANY else self.tier.value,
            label=None if self.label.value == ANY else self.label.value,
            min_score=float(self.min_score.value),
        )
        return frame[frame["games_analyzed"] >= int(self.min_games.value)]

    def apply_filters(self) -> None:
        """List the players that pass the filters (the first one's card is shown)."""
        matching = self.filtered()
        self._list(player_options(matching.head(MAX_LISTED)))
        self.status.value = f"{len(matching)} players pass the filters."

    def search(self, text: str) -> None:
        """List the players matching ``text`` (Riot ID, name prefix or puuid)."""
        with read(self.db_path) as con:
            found = players.find_players(con, text)
        self._list(player_options(found))
        self.status.value = (
            f"{len(found)} players match <code>{html.escape(text)}</code>."
            if len(found)
            else f"No player matches <code>{html.escape(text)}</code>."
        )

    def _list(self, options: list[tuple[str, str]]) -> None:
        # A Select keeps no selection when its options change: select the first player.
        self.results.options = options
        if options:
            self.results.value = options[0][1]

    def show(self, puuid: str | None) -> None:
        """Show the card of ``puuid`` (nothing when no player is selected)."""
        self.card.clear_output(wait=True)
        self.shown = puuid
        if puuid:
            parts = card_parts(self.db_path, puuid, queue=self.queue)
            with self.card:
                show_card(parts)
