"""Who BAN_CHECKER looks at within its budget: the order of ``due_checks`` over a real file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from pipeline.store import Database
from pipeline.store.account_checks import due_checks

NOW = datetime(2026, 11, 20, 4, 0)
DUE = NOW - timedelta(days=7)
UNAVAILABLE_DUE = NOW - timedelta(days=14)


@pytest.fixture
def db_path(file_or_lake: Any) -> Any:
    """The order is the same on a file and on a lake."""
    return file_or_lake


def flagged(db_path: Any, puuid: str, *checks: tuple[float, str]) -> None:
    """A SMURF-labelled player with checks (days before NOW, status), oldest first."""
    with Database(db_path).write() as con:
        con.execute("INSERT INTO players (puuid, platform) VALUES (?, 'euw1')", [puuid])
        con.execute(
            "INSERT INTO smurf_scores (puuid, scored_at, model_version, smurf_score,"
            " boosted_score, label, games_analyzed, matches_stored)"
            " VALUES (?, ?, 'test', 0.9, 0.1, 'SMURF', 20, 20)",
            [puuid, NOW - timedelta(days=30)],
        )
        previous = None
        for days, status in checks:
            con.execute(
                "INSERT INTO account_checks (id, puuid, checked_at, status, evidence)"
                " SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ? FROM account_checks",
                [puuid, NOW - timedelta(days=days), status,
                 json.dumps({"previous_status": previous, "reasons": []})],
            )  # fmt: skip
            previous = status


def due(db_path: Any, limit: int) -> list[str]:
    with Database(db_path).read() as con:
        found = due_checks(
            con,
            labels=["SMURF"],
            due=DUE,
            unavailable_due=UNAVAILABLE_DUE,
            default_platform="euw1",
            limit=limit,
        )
    return [d.puuid for d in found]


def test_confirmations_then_never_checked_then_the_oldest(db_path: Any) -> None:
    """A confirmation waits for nothing; the backlog goes oldest first; the recent wait."""
    flagged(db_path, "recent", (2, "ACTIVE"))
    flagged(db_path, "old", (20, "ACTIVE"))
    flagged(db_path, "older", (30, "INACTIVE"))
    flagged(db_path, "never")
    flagged(db_path, "confirm", (40, "ACTIVE"), (1, "NOT_FOUND_ONCE"))
    assert due(db_path, 10) == ["confirm", "never", "older", "old"]
    assert due(db_path, 2) == ["confirm", "never"]


def test_unavailable_accounts_come_back_at_their_own_cadence(db_path: Any) -> None:
    """UNAVAILABLE is re-checked after ``unavailable_due``, not after the usual cadence."""
    flagged(db_path, "gone_lately", (40, "ACTIVE"), (10, "UNAVAILABLE"))
    flagged(db_path, "gone_long", (40, "ACTIVE"), (15, "UNAVAILABLE"))
    assert due(db_path, 10) == ["gone_long"]


def test_a_lasting_summoner_search_does_not_take_every_run(db_path: Any) -> None:
    """A summoner missing at two checks in a row is searched again at the usual cadence, so
    accounts whose summoner stays missing cannot fill every run ahead of the backlog."""
    flagged(db_path, "missing_once", (10, "ACTIVE"), (1, "SUMMONER_MISSING"))
    flagged(db_path, "missing_again", (3, "SUMMONER_MISSING"), (1, "SUMMONER_MISSING"))
    flagged(db_path, "backlog", (20, "ACTIVE"))
    assert due(db_path, 10) == ["missing_once", "backlog"]


def test_confirmations_come_before_summoner_searches(db_path: Any) -> None:
    """With room for one, the NOT_FOUND_ONCE confirmation goes before a summoner search."""
    flagged(db_path, "missing", (9, "ACTIVE"), (2, "SUMMONER_MISSING"))
    flagged(db_path, "confirm", (9, "ACTIVE"), (1, "NOT_FOUND_ONCE"))
    assert due(db_path, 1) == ["confirm"]
