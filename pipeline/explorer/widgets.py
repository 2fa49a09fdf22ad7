"""The player explorer: ipywidgets over the query functions of this package.

Each interaction opens a read-only connection for the query it needs and closes it, so a
notebook left open never blocks the scheduler. The layout::

    heading: whose card is shown and why (top suspect, found by the search, chosen)
    [search: Riot ID or puuid] [Find]
    [tier v] [label v] [min score ----o--] [min games ---o---]
    status: how many players are listed, and how many the filters hide
    [players listed: the filters and the search together ..]
    player card: summary, ban checks and their evidence, factor bars, rank history,
                 games vs baseline, co-players

The list is always the players that pass the filters shown *and* match the search text
(when there is one). Displayed, the explorer carries a static HTML copy of what it shows
beside the widget, so an exported report shows the card instead of an empty box.
"""

from __future__ import annotations

import contextlib
import html
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from traitlets import TraitError

from pipeline.analysis.scoring import ACCOUNT_GONE_REASON
from pipeline.config import DEFAULT_LOCK_TIMEOUT_S
from pipeline.explorer import carried, players, plots, scores
from pipeline.explorer.present import (
    figure_html,
    fitted_html,
    moment,
    percent,
    table_html,
)
from pipeline.store import read
from pipeline.words import counted

ANY = "(any)"
MAX_LISTED = 200
# Min score (in percent) and Min games move in steps of this size.
SLIDER_STEP = 5
CARD_GAMES = 20


def player_options(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(text shown, puuid) for each row of a player frame, e.g. ``Faker#KR1 · SMURF · 91%``."""
    options = []
    for row in frame.itertuples(index=False):
        label = getattr(row, "label", None)
        label = "unscored" if label is None or pd.isna(label) else label
        shown = f"{row.riot_id} · {label}"
        suspicion = percent(getattr(row, "suspicion", None))
        if suspicion:
            shown += f" · {suspicion}"
        options.append((shown, str(row.puuid)))
    return options


def card_parts(
    db_path: Path | str,
    puuid: str,
    *,
    queue: int | None = None,
    timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    baselines: players.BaselineCache | None = None,
) -> dict[str, Any]:
    """Everything the player card shows, read with one short-lived connection (waiting up
    to ``timeout_s`` for another program writing the database). ``baselines`` keeps the
    tier/role averages the games are compared with between cards (for ``queue``)."""
    with read(db_path, timeout_s=timeout_s) as con:
        # Kept averages of another queue would be the wrong comparison: then read afresh.
        averages = (
            baselines.get(con) if baselines is not None and baselines.queue == queue else None
        )
        return {
            "summary": players.player_summary(con, puuid),
            "ban_checks": players.ban_checks(con, puuid),
            "factors": players.factor_contributions(con, puuid),
            "ranks": players.rank_history(con, puuid),
            "games": players.match_history(con, puuid, queue=queue, baselines=averages),
            "co_players": players.co_players(con, puuid),
            "duo": carried.duo_partner(con, puuid),
        }


def card_html(parts: dict[str, Any]) -> str:
    """The player card from ``card_parts`` as one static HTML fragment (figures inline)."""
    summary = parts["summary"]
    if not summary:
        return "<p><b>No such player in the database.</b></p>"
    name = html.escape(str(summary["riot_id"]))
    pieces = [f"<h3>{name}</h3>"]
    if _plain(summary.get("label")) == "":
        pieces.append(
            "<p><b>Not scored yet</b>: the analyzer scores a player at its next run once "
            "enough of their ranked games are stored (SMURF_ANALYZER's "
            "<code>min_matches_required</code>).</p>"
        )
    pieces += [
        table_html(_summary_for_readers(summary), header=False),
        # Under the table, not in it: 78 characters in a row would push every value of
        # the short ones far from its name.
        f"<p>puuid <code>{html.escape(str(summary['puuid']))}</code></p>",
    ]
    checks = parts["ban_checks"]
    if not checks.empty:
        latest = checks.iloc[0]
        # The evidence is what the check saw when it ran: games stored since may say
        # otherwise ("no game in the last 30 days" beside a game stored a minute later).
        pieces.append(
            f"<p><b>Account status {html.escape(str(latest['status']))}</b>, as the check at "
            f"{moment(latest['checked_at'])} found it: "
            f"{html.escape(str(latest['reasons'] or 'no evidence recorded'))}</p>"
        )
        pieces.append(table_html(players.checks_for_readers(checks)))
    # A score on too few games measures nothing (the list shows no suspicion for it):
    # neither its value nor a chart of why it is so.
    judged = summary.get("label") not in scores.UNJUDGED_LABELS
    if judged and not parts["factors"].empty:
        figure = plots.factors_figure(
            parts["factors"],
            f"Why {summary['riot_id']} scores so",
            scores.target_of(summary.get("label")),
        )
        pieces.append(figure_html(figure, alt="factor contributions"))
    ranks = parts["ranks"].dropna(subset=["ladder_points"])
    if ranks["observed_at"].nunique() > 1:
        pieces.append(figure_html(plots.rank_history_figure(parts["ranks"]), alt="rank history"))
    elif not ranks.empty:  # one look: a sentence, not a lone dot on an empty chart
        pieces.append(f"<p><b>Rank</b>: {html.escape(_ranks_in_words(ranks))}</p>")
    games = parts["games"]
    if not games.empty:
        pieces.append(figure_html(plots.performance_figure(games), alt="games vs baseline"))
        newest = counted(min(len(games), CARD_GAMES), "game", "games")
        pieces.append(f"<h4>Newest {newest}</h4>")
        pieces.append(table_html(players.games_for_readers(games.head(CARD_GAMES))))
    duo = parts.get("duo")
    if duo is not None:  # as `smurf explain` says it
        said = duo.sentence()
        pieces.append(f"<p><b>{html.escape(said[:1].upper() + said[1:])}</b></p>")
    pieces.append("<h4>Accounts seen in the same games</h4>")
    company = parts["co_players"]
    pieces.append(
        table_html(_company_for_readers(company)) if not company.empty else "<p>None.</p>"
    )
    return fitted_html("\n".join(pieces))


QUEUE_NAMES = {"RANKED_SOLO_5x5": "solo", "RANKED_FLEX_SR": "flex"}


def _ranks_in_words(ranks: pd.DataFrame) -> str:
    """The ranks of a player seen once, e.g. ``SILVER II 29 LP (solo, 2026-12-01 00:14)``."""
    said = []
    for r in ranks.to_dict("records"):
        rank = " ".join(str(p) for p in (r["tier"], r["division"]) if isinstance(p, str) and p)
        lp = r["league_points"]
        points = int(lp) if isinstance(lp, int | float) and lp == lp else 0  # NaN: none
        queue = QUEUE_NAMES.get(str(r["queue_type"]), str(r["queue_type"]))
        said.append(f"{rank} {points} LP ({queue}, {moment(r['observed_at'])})")
    return "; ".join(said) + (
        ". Seen once so far; the history fills in as the player is looked at again."
    )


# The ban checker looks at flagged players only: most accounts have no status of its own.
NEVER_CHECKED = "not checked (the ban checker looks at flagged players only)"
# A flagged player it has not reached yet: flagged since its last run, or later in its queue.
FLAGGED_UNCHECKED = "not checked yet (the ban checker checks flagged players on its runs)"
# A level read from the player's games, before any profile: said so beside "no profile".
LEVEL_FROM_GAMES = "{level} (from its games; no profile read yet)"
GONE_UNCHECKED = (
    f"gone: {ACCOUNT_GONE_REASON} (the profile refresh saw it; the ban checker, which looks "
    "at flagged players, has not checked it)"
)


def _summary_for_readers(summary: dict[str, object]) -> pd.DataFrame:
    unjudged = summary.get("label") in scores.UNJUDGED_LABELS
    shown = {
        key.replace("_", " "): percent(value) if _is_probability(key) else _plain(value)
        for key, value in summary.items()
        # A score on too few games measures nothing: no row for it, the reason says why.
        if key != "puuid" and not (unjudged and _is_probability(key))
    }
    unread = players.profile_unread(summary)
    if shown.get("account status") == "":
        # Not the ban checker's (it checks flagged players), but the profile refresh may
        # already know the account is gone.
        flagged = summary.get("label") in scores.FLAGGED_LABELS
        unchecked = FLAGGED_UNCHECKED if flagged else NEVER_CHECKED
        shown["account status"] = GONE_UNCHECKED if unread == ACCOUNT_GONE_REASON else unchecked
    if unread == players.NO_PROFILE_YET and shown.get("summoner level", "") != "":
        level = shown["summoner level"]
        if isinstance(level, float | np.floating) and float(level).is_integer():
            level = int(level)  # 298, not 298.0
        shown["summoner level"] = LEVEL_FROM_GAMES.format(level=level)
    # Nothing known, no row: a labelled player has no reason to be unlabelled, and one not
    # scored yet (said above the table) no tier, label, scores or time of scoring.
    kept = {name: value for name, value in shown.items() if value != ""}
    return pd.DataFrame({"": list(kept), "value": list(kept.values())})


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp | datetime):
        return moment(value)
    if isinstance(value, bool | np.bool_):  # "profile found: yes", not "True"
        return "yes" if value else "no"
    missing = value is None or value is pd.NA or value is pd.NaT
    return "" if missing or (isinstance(value, float) and pd.isna(value)) else value


def _is_probability(key: str) -> bool:
    return key.endswith("_score") or key == "confidence"


def _company_for_readers(company: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Riot ID": company["riot_id"],
            "games together": company["games_together"],
            "same team": company["same_team"],
            "opposing": company["opposing"],
            # Blank cells would read as missing data: say what they mean.
            "label": company["label"].fillna("not scored"),
            "suspicion": [percent(v) or "n/a" for v in company["suspicion"]],
        }
    )


# What an explorer over a database nobody is scored in says, instead of "0 players pass":
# with no game stored either, what stores games; with games, what scores them.
NOBODY_SCORED = (
    "Nobody is scored in this database yet: store games (<code>smurf track</code> and the"
    " jobs, or <code>smurf import-matches</code>), run <code>smurf analyze</code>, then run"
    " this cell again."
)


def nobody_scored_status(games: int) -> str:
    """The status of an explorer over a database nobody is scored in, holding ``games``."""
    if games == 0:
        return NOBODY_SCORED
    advice = _as_html(scores.nobody_scored_advice(games)).removesuffix(".")
    return f"Nobody is scored in this database yet. {advice}, then run this cell again."


def _as_html(text: str) -> str:
    """A sentence written for Markdown (commands in backticks) as HTML."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))


class _TakesTurns:
    """A widget whose changes from the browser wait for the explorer's turn (``turn``):
    ipywidgets holds a widget's notifications while it applies the browser's state, and a
    change another thread made to the widget meanwhile would be held, then rolled back with
    the browser's if that one is refused."""

    turn: threading.RLock | None = None

    def set_state(self, sync_data: dict[str, Any]) -> None:
        with self.turn if self.turn is not None else contextlib.nullcontext():
            super().set_state(sync_data)  # type: ignore[misc]


class PlayerList(_TakesTurns, widgets.Select):  # type: ignore[misc]
    """The list of players. A browser that sends a row beyond the end of the list (clicked
    in a longer list the kernel has replaced since) is sent the kernel's list and choice
    again, instead of an error in the log console. (A row still within the list selects
    that row's player: the browser sends only the row.)"""

    def set_state(self, sync_data: dict[str, Any]) -> None:
        try:
            super().set_state(sync_data)
        except TraitError:
            self.send_state()


class SearchBox(_TakesTurns, widgets.Text):  # type: ignore[misc]
    """The search box, which the explorer also writes (a search made by code)."""


class PlayerExplorer:
    """The explorer's widgets and what happens when they change.

    Every read waits up to ``timeout_s`` for another program writing the database. The
    kernel may handle two widget changes at once, on two threads (ipykernel 7: a filter
    changed while a search is typed), so changes take turns on one lock: each sees the
    list the previous one left, and the card always follows the list.
    """

    def __init__(
        self,
        db_path: Path | str,
        *,
        queue: int | None = None,
        timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    ) -> None:
        self.db_path = db_path
        self.queue = queue
        self.timeout_s = timeout_s
        # Every game is read for the tier/role averages once, not on every card.
        self.baselines = players.BaselineCache(queue=queue)
        with read(db_path, timeout_s=timeout_s) as con:
            self.scores = scores.latest_scores(con)
            # Said when nobody is scored: games stored want scoring, none want storing.
            self.games = scores.stored_games(con) if self.scores.empty else 0
        # Said beside an empty list when nobody scored could be judged (no profiles yet).
        self.unjudged = scores.unjudged_message(self.scores)
        tiers = [t for t in scores.TIER_ORDER if t in set(self.scores["tier"].dropna())]
        labels = sorted(self.scores["label"].dropna().unique())
        self.search_box = SearchBox(
            placeholder="Riot ID (name#tag), name prefix or puuid", continuous_update=False
        )
        self.find_button = widgets.Button(description="Find", icon="search")
        self.tier = widgets.Dropdown(options=[ANY, *tiers], description="Tier")
        self.label = widgets.Dropdown(options=[ANY, *labels], description="Label")
        # In whole percent: what the box beside the slider shows is what may be typed in it
        # (a fraction shown as "50%" read a typed 90 as 9,000 % and stopped at 100 %).
        self.min_score = widgets.IntSlider(
            50,
            min=0,
            max=100,
            step=SLIDER_STEP,
            description="Min score %",
            style={"description_width": "initial"},
        )
        self.min_games = widgets.IntSlider(
            0, min=0, max=100, step=SLIDER_STEP, description="Min games"
        )
        # As wide as the explorer less the widget's margins (a width of 100% plus the
        # margins would put a sideways scrollbar under the whole explorer).
        self.results = PlayerList(
            options=[], rows=10, layout={"width": "auto", "align_self": "stretch"}
        )
        self.status = widgets.HTML()
        # Whose card is shown and why, kept true as the reader searches and picks.
        self.heading = widgets.HTML()
        self.query = ""  # the search text the list is narrowed by ("" for none)
        self.shown: str | None = None  # whose card the card area holds
        self._shown_name: str | None = None  # their Riot ID (or puuid), for the heading
        # One HTML value, replaced whole: what the card shows is always the kernel's last word.
        self.card = widgets.HTML(layout={"max_width": "100%", "overflow": "auto"})
        self._box: widgets.Widget | None = None
        # Re-entrant: a change's own observers (the list's choice, the card) run inside it.
        self._turn = threading.RLock()
        self.results.turn = self.search_box.turn = self._turn
        self._wire()
        self.refresh()

    def _wire(self) -> None:
        self.find_button.on_click(lambda _button: self.search(self.search_box.value))
        # continuous_update=False: the value changes on Enter or leaving the box.
        self.search_box.observe(lambda change: self.search(change["new"]), names="value")
        for control in (self.tier, self.label, self.min_score, self.min_games):
            control.observe(lambda _change: self.refresh(), names="value")
        self.results.observe(lambda _change: self._picked(), names="value")

    def widget(self) -> widgets.Widget:
        """The whole explorer, ready to display."""
        if self._box is None:
            self._box = widgets.VBox(
                [
                    self.heading,
                    widgets.HBox([self.search_box, self.find_button]),
                    widgets.HBox([self.tier, self.label]),
                    widgets.HBox([self.min_score, self.min_games]),
                    self.status,
                    self.results,
                    self.card,
                ],
                layout={"max_width": "100%"},
            )
        return self._box

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # JupyterLab renders the widget; an HTML export (no widget state) shows the copy.
        bundle: dict[str, Any] = dict(self.widget()._repr_mimebundle_(**kwargs))
        bundle["text/html"] = self.snapshot_html()
        return bundle

    def passes_filters(
        self,
        frame: pd.DataFrame,
        *,
        tier: str | None = None,
        label: str | None = None,
        min_score: int | None = None,
        min_games: int | None = None,
    ) -> pd.DataFrame:
        """The rows of a player frame that pass the tier, label, score and games filters:
        the ones shown, or the values given instead (``ANY`` for any tier or label).

        Players too little known to judge (INSUFFICIENT_DATA) have no score: listing them
        by that label leaves Min score out (``_score_note`` says so)."""
        tier = self.tier.value if tier is None else tier
        label = self.label.value if label is None else label
        min_score = self.min_score.value if min_score is None else min_score
        min_games = self.min_games.value if min_games is None else min_games
        passing = scores.filter_scores(
            frame,
            tier=None if tier == ANY else tier,
            label=None if label == ANY else label,
            min_score=0.0 if label in scores.UNJUDGED_LABELS else int(min_score) / 100,
        )
        games = pd.to_numeric(passing["games_analyzed"], errors="coerce").fillna(0)
        return passing[games >= int(min_games)]

    def _score_unused(self) -> bool:
        return bool(self.label.value in scores.UNJUDGED_LABELS and self.min_score.value > 0)

    def _nobody_passes_note(self) -> str:
        """When no scored player passes the filters: each filter that alone hides them all,
        and how far to move it to list some (the best score or most games the other
        filters leave), so the reader knows which control to change."""
        ways = self._ways_to_list(self.scores)
        if not ways:
            return (
                " No one filter hides them all: widen two or more of Tier, Label, Min score"
                " and Min games."
            )
        return " To list some, " + "; or ".join(ways) + "."

    def _ways_to_list(self, hidden: pd.DataFrame, *, among: str = "") -> list[str]:
        """How to list some of ``hidden`` (players the filters hide): each filter that alone
        hides some of them, and how far to move it (the best score or most games among
        those the other filters leave). ``among`` names them in the figures ("among them")."""
        ways = []
        narrowed = self.tier.value != ANY or self.label.value != ANY
        if self.min_score.value > 0 and not self._score_unused():
            left = self.passes_filters(hidden, min_score=0)
            best = left["suspicion"].max()
            if pd.notna(best):
                lower = int(best * 100) // SLIDER_STEP * SLIDER_STEP  # a value the slider takes
                others = " the other filters leave" if narrowed or self.min_games.value else ""
                ways.append(
                    f"lower Min score to {lower}% (the highest score{among}{others} is"
                    f" {percent(best)})"
                )
            elif len(left):
                too_little = counted(len(left), "player is", "players are")
                ways.append(f"set Min score to 0% ({too_little} too little known to score)")
        if self.min_games.value > 0:
            left = self.passes_filters(hidden, min_games=0)
            if len(left):
                most = int(pd.to_numeric(left["games_analyzed"], errors="coerce").max())
                ways.append(
                    f"lower Min games to {most // SLIDER_STEP * SLIDER_STEP} (the most games"
                    f"{among} the other filters leave is {most})"
                )
        for name, control in (("Tier", self.tier), ("Label", self.label)):
            if control.value != ANY:
                tier, label = (ANY, None) if control is self.tier else (None, ANY)
                left = self.passes_filters(hidden, tier=tier, label=label)
                if len(left):
                    ways.append(f"set {name} to {ANY} ({counted(len(left), 'player', 'players')})")
        return ways

    def filtered(self) -> pd.DataFrame:
        """The scored players passing the filters (ignoring the search)."""
        return self.passes_filters(self.scores)

    def search(self, text: str) -> None:
        """Narrow the list to players matching ``text`` (Riot ID, name prefix or puuid),
        shown in the search box."""
        with self._turn:
            self.query = text.strip()
            if self.search_box.value.strip() != self.query:
                # The box's observer searches again with the same text: nothing new to list.
                self.search_box.value = self.query
                return
            self.refresh()

    def refresh(self) -> None:
        """List the players that pass the filters and match the search; show the first."""
        with self._turn:
            self._refresh()

    def _refresh(self) -> None:
        if not self.query and self.scores.empty:
            self._list([])
            self.status.value = nobody_scored_status(self.games)
            return
        if not self.query:
            matching = self.filtered()
            self._list(player_options(matching.head(MAX_LISTED)))
            unjudged = self._unjudged_note(len(matching))
            hint = self._nobody_passes_note() if matching.empty and not unjudged else ""
            self.status.value = (
                f"{counted(len(matching), 'player passes', 'players pass')} the filters"
                f"{self._listed_note(len(matching))}.{self._score_note()}{unjudged}{hint}"
            )
            return
        with read(self.db_path, timeout_s=self.timeout_s) as con:
            found = players.find_players(con, self.query, limit=None)
        matching = self.passes_filters(found)
        # A player named exactly (Riot ID or puuid) is the one asked for: listed first
        # whatever the filters, and the status says so.
        named = self._named(found)
        forced = named[~named["puuid"].isin(matching["puuid"])]
        self._list(player_options(pd.concat([forced, matching]).head(MAX_LISTED)))
        others = len(found) - len(forced)  # the matches the filters decide on
        listed = pd.concat([forced, matching])["puuid"]
        hidden = found[~found["puuid"].isin(listed)]
        status = self._search_status(others, len(matching), hidden)
        said = [status] if others or forced.empty else []
        said += [self._named_note(forced)] if not forced.empty else []
        self.status.value = " ".join(said) + self._score_note()

    def _named(self, found: pd.DataFrame) -> pd.DataFrame:
        """The players of ``found`` whose puuid or Riot ID is the search text itself."""
        riot_ids = found["riot_id"].fillna("").astype(str).str.lower()
        return found[(found["puuid"] == self.query) | (riot_ids == self.query.lower())]

    @staticmethod
    def _named_note(forced: pd.DataFrame) -> str:
        who = html.escape(str(forced["riot_id"].iloc[0] or forced["puuid"].iloc[0]))
        return f"{who}, named exactly, is listed although the filters would hide it."

    @staticmethod
    def _listed_note(passing: int) -> str:
        return f" (the first {MAX_LISTED} listed)" if passing > MAX_LISTED else ""

    def _score_note(self) -> str:
        if not self._score_unused():
            return ""
        return (
            f" Min score does not apply to {html.escape(str(self.label.value))}: too little"
            " is known of these players to score them."
        )

    def _unjudged_note(self, passing: int) -> str:
        """Why the list is empty when nobody could be judged, and how to list them anyway."""
        if passing or not self.unjudged:
            return ""
        return f" {_as_html(self.unjudged)} Choose Label {scores.UNJUDGED_LABELS[0]} to list them."

    def _search_status(self, found: int, listed: int, hidden: pd.DataFrame) -> str:
        """The status of a search: ``found`` players match it (besides one named exactly),
        ``listed`` of them pass the filters, and the filters hide the rest, ``hidden``."""
        text = f"<code>{html.escape(self.query)}</code>"
        if found == 0:
            return f"No player matches {text}."
        shown = self._listed_note(listed)
        if hidden.empty:
            return f"{counted(found, 'player matches', 'players match')} {text}{shown}."
        one = len(hidden) == 1
        them = "it" if one else "them"
        more = f"{len(hidden):,} more {'is' if one else 'are'} hidden by the filters"
        # Only the filters that hide some of them, and how far to move each.
        ways = self._ways_to_list(hidden, among=" among them")
        widen = (
            f". To see {'it' if one else 'some'}, " + "; or ".join(ways)
            if ways
            else (
                f": no one filter alone hides {'it' if one else 'any of them'}; widen two or"
                f" more of Tier, Label, Min score and Min games to see {them}"
            )
        )
        if listed == 0:
            return f"No player passing the filters matches {text}; {more}{widen}."
        return (
            f"{counted(listed, 'player matches', 'players match')} {text} and the filters"
            f"{shown}; {more}{widen}."
        )

    def _list(self, options: list[tuple[str, str]]) -> None:
        # A Select keeps no selection when its options change: select the first player,
        # and clear the card when nobody is listed.
        self.results.options = options
        if options:
            self.results.value = options[0][1]
        wanted = self.results.value if options else None
        if self.shown != wanted:
            self.show(wanted)
        self.heading.value = self._showing()  # the same card, listed for another reason

    def _picked(self) -> None:
        with self._turn:
            # The list's own choice now, which a change on another thread may have moved
            # since this one was made: the card follows the list, never an older choice.
            chosen = self.results.value
            listed = {value for _text, value in self.results.options}
            wanted = chosen if chosen in listed else None
            if wanted != self.shown:
                self.show(wanted)

    def show(self, puuid: str | None) -> None:
        """Show the card of ``puuid`` (nothing when no player is selected)."""
        with self._turn:
            self.shown = puuid
            if not puuid:
                self.card.value = ""
                self._shown_name = None
                self.heading.value = self._showing()
                return
            parts = card_parts(
                self.db_path,
                puuid,
                queue=self.queue,
                timeout_s=self.timeout_s,
                baselines=self.baselines,
            )
            self.card.value = card_html(parts)
            self._shown_name = str(parts["summary"].get("riot_id") or puuid)
            self.heading.value = self._showing()

    def _showing(self) -> str:
        """The explorer's heading: whose card is shown and how it came to be (the top of
        the list, the first found by a search, or chosen from the list), or that none is.
        Why nobody is listed (the search, the filters, nobody scored yet) is the status's to
        say, once: the heading said it too, and the static copy a third time."""
        search = f"<code>{html.escape(self.query)}</code>"
        name = self._shown_name if self.shown else None
        if name is None:
            if self.results.options:
                return "No card shown: choose a player in the list."
            return "No card shown: no player is listed."
        first = bool(self.results.options) and self.shown == self.results.options[0][1]
        if first and self.query:
            how = f", the first listed for the search {search}"
        elif first:
            how = ", the top suspect the filters pass"
        else:
            how = ", chosen from the list"
        return f"<b>Showing {html.escape(name)}</b>{how}."

    def snapshot_html(self) -> str:
        """What the explorer shows now, as static HTML: filters, list and card."""
        filters = (
            f"Tier {html.escape(str(self.tier.value))} · Label {html.escape(str(self.label.value))}"
            f" · Min score {self.min_score.value}% · Min games {self.min_games.value}"
        )
        search = f" · search <code>{html.escape(self.query)}</code>" if self.query else ""
        listed = [html.escape(text) for text, _puuid in self.results.options[:10]]
        more = len(self.results.options) - len(listed)
        items = "".join(f"<li>{item}</li>" for item in listed)
        if more > 0:
            items += f"<li>… and {more:,} more</li>"
        card = (
            card_html(
                card_parts(
                    self.db_path,
                    self.shown,
                    queue=self.queue,
                    timeout_s=self.timeout_s,
                    baselines=self.baselines,
                )
            )
            if self.shown
            else ""  # the heading says no card is shown, the status why
        )
        return (
            f"<p>{self.heading.value}</p><p>{filters}{search}</p><p>{self.status.value}</p>"
            f"<ul>{items}</ul><div>{card}</div>"
        )
