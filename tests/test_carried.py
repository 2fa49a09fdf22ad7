"""Players a suspected smurf carries (``pipeline.explorer.carried``), on hand-made games in a
real DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import nbformat
import pytest

from pipeline.explorer.carried import (
    DUO_MIN_TOGETHER,
    carried_for_readers,
    carried_players,
    duo_partner,
)
from pipeline.reports import run_report
from pipeline.store import migrate, read, write

START = datetime(2026, 11, 1, 12, 0)
SCORED = datetime(2026, 11, 20, 12, 0)
SOLO, FLEX = 420, 440


class Games:
    """Hand-made games: each names who played on team 100 and who on team 200."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, int, datetime, int, bool, bool]] = []

    def add(
        self,
        blue: list[str],
        red: list[str] = [],  # noqa: B006 - never mutated
        *,
        queue: int = SOLO,
        remake: bool = False,
    ) -> None:
        match_id = f"EUW1_{len(self.rows)}"
        when = START + timedelta(hours=len(self.rows))
        for team, players in ((100, blue), (200, red)):
            for puuid in players:
                self.rows.append((match_id, puuid, queue, when, team, remake, team == 100))


def _score(
    con: duckdb.DuckDBPyConnection, puuid: str, label: str, smurf: float, at: datetime
) -> None:
    con.execute(
        "INSERT INTO smurf_scores (puuid, scored_at, model_version, smurf_score,"
        " boosted_score, label, games_analyzed, matches_stored, tier)"
        " VALUES (?, ?, 'test', ?, 0.05, ?, 10, 10, 'SILVER')",
        [puuid, at, smurf, label],
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("carried") / "carried.duckdb"
    migrate(path)
    g = Games()
    # client: 8 solo games, 6 on the booster's team (75 %), 2 alone.
    for _ in range(6):
        g.add(["client", "booster"])
    g.add(["client"], ["booster"])  # against the booster: not carried in it
    g.add(["client"])
    # friend: 8 games, 6 with a strong player labelled NORMAL: in duo, carried by no smurf.
    for _ in range(6):
        g.add(["friend", "strong"])
    g.add(["friend"])
    g.add(["friend"])
    # few: 4 of 5 games with the booster: most of them, but too few together.
    for _ in range(DUO_MIN_TOGETHER - 1):
        g.add(["few", "booster"])
    g.add(["few"])
    # sometimes: 5 of 12 games with the booster (42 %), not most.
    for _ in range(5):
        g.add(["sometimes", "booster"])
    for _ in range(7):
        g.add(["sometimes"])
    # remade: 6 games with the booster, 2 of them remakes (no game Riot counts): 4 together.
    for _ in range(4):
        g.add(["remade", "booster"])
    for _ in range(2):
        g.add(["remade", "booster"], remake=True)
    # flexed: 6 flex games with the booster, 6 solo games alone: solo is what is judged.
    for _ in range(6):
        g.add(["flexed", "booster"], queue=FLEX)
        g.add(["flexed"])
    # pal: 6 games with a second smurf, who is labelled SMURF only after SCORED.
    for _ in range(6):
        g.add(["pal", "late_smurf"])
    # twin: a smurf playing with the booster is no one carried.
    for _ in range(6):
        g.add(["twin", "booster"])
    with write(path) as con:
        con.executemany(
            "INSERT INTO match_participants (match_id, puuid, queue_id, game_start, team_id,"
            " early_surrender, win) VALUES (?, ?, ?, ?, ?, ?, ?)",
            g.rows,
        )
        for puuid, platform in (("client", "euw1"), ("booster", "euw1"), ("friend", "na1")):
            con.execute(
                "INSERT INTO players (puuid, platform, game_name, tag_line, summoner_checked_at,"
                " profile_found, solo_tier) VALUES (?, ?, ?, 'EUW', ?, true, 'GOLD')",
                [puuid, platform, puuid.title(), SCORED],
            )
        _score(con, "booster", "SMURF", 0.93, SCORED)
        _score(con, "twin", "SMURF", 0.88, SCORED)
        _score(con, "strong", "NORMAL", 0.10, SCORED)
        _score(con, "client", "NORMAL", 0.02, SCORED)
        _score(con, "late_smurf", "NORMAL", 0.30, SCORED)
        _score(con, "late_smurf", "SMURF", 0.91, SCORED + timedelta(days=2))
    return path


@pytest.fixture
def con(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with read(db) as connection:
        yield connection


def test_only_players_carried_by_an_account_labelled_smurf_are_listed(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Most of their games (and enough of them) on the same team as a SMURF, counting
    solo games that were played: the client and the pal. Not a duo with an honest player,
    too few games together, a minority of games, remakes, flex games, or a smurf itself."""
    carried = carried_players(con)
    assert list(carried["puuid"]) == ["pal", "client"]  # the larger share first
    client = carried.set_index("puuid").loc["client"]
    assert (client["games"], client["together"]) == (8, 6)
    assert client["share"] == pytest.approx(0.75)
    assert client["partner"] == "booster"
    assert client["partner_riot_id"] == "Booster#EUW"
    assert client["partner_smurf_score"] == pytest.approx(0.93)
    assert client["label"] == "NORMAL"
    assert client["tier"] == "SILVER"  # the tier its score was given, as the suspects'
    # Never scored, never profiled: the rank is unknown, not UNRANKED.
    assert carried.set_index("puuid").loc["pal", "tier"] == "unknown"


def test_labels_and_games_are_taken_as_they_stood(con: duckdb.DuckDBPyConnection) -> None:
    """As of a time before the pal's partner was labelled SMURF, only the client is carried;
    before any game, nobody."""
    assert list(carried_players(con, as_of=SCORED + timedelta(days=1))["puuid"]) == ["client"]
    assert carried_players(con, as_of=START - timedelta(days=1)).empty


def test_the_list_keeps_to_a_platform_and_a_minimum_of_games(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert list(carried_players(con, platform="euw1")["puuid"]) == ["client"]
    assert carried_players(con, platform="kr").empty
    assert list(carried_players(con, min_games=7)["puuid"]) == ["client"]  # pal has 6
    assert carried_players(con, min_games=9).empty


def test_the_list_reads_in_words(con: duckdb.DuckDBPyConnection) -> None:
    shown = carried_for_readers(carried_players(con))
    assert list(shown.columns) == [
        "Riot ID",
        "tier",
        "label",
        "boosted score",
        "games",
        "with the partner",
        "partner (SMURF)",
        "partner's smurf score",
    ]
    client = shown[shown["Riot ID"] == "Client#EUW"].iloc[0]
    assert client["with the partner"] == "6 (75%)"
    assert client["partner (SMURF)"] == "Booster#EUW"
    assert client["partner's smurf score"] == "93%"
    assert shown[shown["Riot ID"] == "pal"].iloc[0]["label"] == "not scored"


def test_a_players_duo_partner_is_named_with_its_label(con: duckdb.DuckDBPyConnection) -> None:
    """``smurf explain`` says who a player plays most games with, and when that account is
    labelled SMURF, that a suspected smurf carries it; a duo with an honest player is said
    as a duo only, and a player without one gets no sentence."""
    client = duo_partner(con, "client")
    assert client is not None
    assert (client.puuid, client.together, client.games) == ("booster", 6, 8)
    said = client.sentence()
    assert "6 of 8 games on the same team as Booster#EUW" in said
    assert "labelled SMURF, smurf score 0.93" in said
    assert "a suspected smurf carries this account" in said
    friend = duo_partner(con, "friend")
    assert friend is not None and friend.label == "NORMAL"
    assert "carries" not in friend.sentence()
    pal = duo_partner(con, "pal", as_of=SCORED + timedelta(days=1))
    assert pal is not None and pal.label == "NORMAL"
    assert duo_partner(con, "few") is None
    assert duo_partner(con, "sometimes") is None
    assert duo_partner(con, "nobody") is None


def _report_text(path: Path) -> str:
    """What the executed notebook displayed as markdown, plain text or HTML."""
    nb = nbformat.read(str(path), as_version=4)
    return "\n".join(
        str(out.get("data", {}).get(kind, ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        for kind in ("text/markdown", "text/plain", "text/html")
    )


def test_the_smurf_report_lists_the_players_carried_by_a_smurf(db: Path, tmp_path: Path) -> None:
    """Run as opened on a database, the report's section names the carried client, its
    partner and their games together, as of the report's time; with ``label`` SMURF it
    says it lists none."""
    as_of = (SCORED + timedelta(days=1)).isoformat()
    result = run_report(
        "01-smurf-report", {"as_of": as_of, "min_games": 5}, out_dir=tmp_path, db_path=db
    )
    text = _report_text(result.executed_path)
    assert "**1** player carried by an account labelled SMURF" in text
    section = text[text.index("carried by an account labelled SMURF") :]
    assert "Client#EUW" in section and "Booster#EUW" in section and "6 (75%)" in section
    smurfs_only = run_report(
        "01-smurf-report",
        {"as_of": as_of, "min_games": 5, "label": "SMURF"},
        out_dir=tmp_path / "smurfs",
        db_path=db,
    )
    assert "Not listed: `label` is SMURF." in _report_text(smurfs_only.executed_path)


def test_the_player_card_says_who_a_player_plays_in_duo_with(db: Path) -> None:
    """The explorer's card says what `smurf explain` says of a duo; a player without one
    gets no such line."""
    from pipeline.explorer.widgets import card_html, card_parts

    client = card_html(card_parts(db, "client"))
    assert "Plays in duo: 6 of 8 games on the same team as Booster#EUW" in client
    assert "a suspected smurf carries this account" in client
    assert "Plays in duo" not in card_html(card_parts(db, "sometimes"))
