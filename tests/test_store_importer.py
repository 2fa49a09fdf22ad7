"""Importing match-v5 JSON files: idempotence, rejected files, batches and schema checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, cast

import pytest

from pipeline.store import ImportReport, SchemaOutOfDateError, import_paths, read, write
from tests.conftest import FIXTURES_DIR, RIOT_EXAMPLES_DIR, requires_shared

MATCH_FIXTURES = FIXTURES_DIR / "matches"
ABORTED_GAME = "EUW1_6834713231"  # a real payload with no participants


def counts(db_path: Path) -> tuple[int, int, int]:
    with read(db_path) as con:
        row = con.execute(
            "SELECT (SELECT count(*) FROM matches), (SELECT count(*) FROM match_participants),"
            " (SELECT count(*) FROM players)"
        ).fetchone()
    assert row is not None
    return (int(row[0]), int(row[1]), int(row[2]))


def test_importing_a_folder_twice_changes_nothing(db_path: Path) -> None:
    """The second import of the same folder creates nothing and leaves the tables as they were."""
    first = import_paths(db_path, [MATCH_FIXTURES])
    after_first = counts(db_path)
    second = import_paths(db_path, [MATCH_FIXTURES])
    assert first == ImportReport(
        files_read=3, matches_created=3, participants_created=6, players_created=5
    )
    assert second == ImportReport(files_read=3, matches_already_stored=3)
    assert counts(db_path) == after_first == (3, 6, 5)


def test_bad_files_are_reported_and_never_stop_the_rest(db_path: Path, tmp_path: Path) -> None:
    """Unreadable, invalid and malformed files are rejected with a reason; good ones load."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(MATCH_FIXTURES / "NA1_1000000001.json", folder / "a_good.json")
    (folder / "b_truncated.json").write_text('{"metadata": {"matchId": "X_1"', encoding="utf-8")
    (folder / "c_latin1.json").write_bytes('{"name": "é"}'.encode("latin-1"))
    malformed = json.loads((MATCH_FIXTURES / "KR_1000000003.json").read_text())
    del malformed["info"]["participants"][0]["puuid"]
    (folder / "d_malformed.json").write_text(json.dumps(malformed), encoding="utf-8")
    shutil.copy(MATCH_FIXTURES / "EUW1_1000000002.json", folder / "e_good.json")

    report = import_paths(db_path, [folder], batch_size=1)

    reasons = {path.name: reason for path, reason in report.rejected}
    assert report.matches_created == 2
    assert set(reasons) == {"b_truncated.json", "c_latin1.json", "d_malformed.json"}
    assert "not valid JSON" in reasons["b_truncated.json"]
    assert "cannot be read" in reasons["c_latin1.json"]
    assert "KR_1000000003" in reasons["d_malformed.json"]
    assert "no puuid" in reasons["d_malformed.json"]


def test_a_malformed_match_writes_nothing(db_path: Path, tmp_path: Path) -> None:
    """A match rejected by the parser leaves no match, participant or player row behind."""
    payload = json.loads((MATCH_FIXTURES / "NA1_1000000001.json").read_text())
    payload["info"]["participants"][1]["kills"] = "many"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    report = import_paths(db_path, [path])
    assert len(report.rejected) == 1
    assert counts(db_path) == (0, 0, 0)


def test_a_json_array_of_matches_is_imported(db_path: Path, tmp_path: Path) -> None:
    """A file holding an array of matches imports each of them."""
    payloads = [json.loads(p.read_text()) for p in sorted(MATCH_FIXTURES.glob("*.json"))]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(payloads), encoding="utf-8")
    report = import_paths(db_path, [path])
    assert (report.files_read, report.matches_created) == (1, 3)


def test_progress_callback_sees_every_file(db_path: Path) -> None:
    """on_file is called once per file, in order."""
    seen: list[Path] = []
    import_paths(db_path, [MATCH_FIXTURES], on_file=seen.append)
    assert seen == sorted(MATCH_FIXTURES.glob("*.json"))


def test_import_requires_a_current_schema(tmp_path: Path) -> None:
    """Importing into a database that is behind asks to migrate, and writes nothing."""
    path = tmp_path / "old.duckdb"
    with write(path) as con:
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER, name VARCHAR, applied_at TIMESTAMP)"
        )
    with pytest.raises(SchemaOutOfDateError, match="smurf db migrate"):
        import_paths(path, [MATCH_FIXTURES])


@requires_shared
def test_every_real_example_imports(db_path: Path) -> None:
    """Every real example payload imports (but the aborted game, which has no players to
    store), and again without a change."""
    files = sorted(RIOT_EXAMPLES_DIR.glob("*.json"))
    first = import_paths(db_path, [RIOT_EXAMPLES_DIR])
    second = import_paths(db_path, [RIOT_EXAMPLES_DIR])
    assert [(path.stem, "no participants" in why) for path, why in first.rejected] == [
        (ABORTED_GAME, True)
    ]
    assert first.matches_created == len(files) - 1
    assert (second.matches_created, second.participants_created, second.players_updated) == (
        0,
        0,
        0,
    )


def test_a_byte_order_mark_is_tolerated(db_path: Path, tmp_path: Path) -> None:
    """A UTF-8 file starting with a byte-order mark imports like any other."""
    path = tmp_path / "bom.json"
    text = (MATCH_FIXTURES / "KR_1000000003.json").read_text(encoding="utf-8")
    path.write_text("\ufeff" + text, encoding="utf-8")
    report = import_paths(db_path, [path])
    assert (report.rejected, report.matches_created) == ([], 1)


def _variant(source: str, match_id: str, change: Any) -> dict[str, Any]:
    """A fixture match under a new id, changed by ``change(payload)``."""
    payload = json.loads((MATCH_FIXTURES / source).read_text())
    payload["metadata"]["matchId"] = match_id
    change(payload)
    return cast(dict[str, Any], payload)


def _set_info(key: str, value: Any) -> Any:
    return lambda payload: payload["info"].__setitem__(key, value)


def _keep_participants(n: int) -> Any:
    def change(payload: dict[str, Any]) -> None:
        first = payload["info"]["participants"][0]
        payload["info"]["participants"] = [
            {**first, "puuid": f"puuid-{i}", "teamId": 100 if i % 2 else 200} for i in range(n)
        ]

    return change


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_set_info("gameCreation", -(10**15)), "gameCreation"),
        (_set_info("gameStartTimestamp", 10**18), "gameStartTimestamp"),
        (_set_info("gameDuration", 10**15), "gameDuration"),
        (_set_info("queueId", 2**40), "queueId"),
        (_set_info("participants", []), "no participants"),
        (_keep_participants(3), "teams"),
    ],
    ids=["creation", "start", "duration", "queue", "no players", "three players"],
)
def test_an_impossible_match_is_rejected_with_why_and_the_others_load(
    db_path: Path, tmp_path: Path, change: Any, reason: str
) -> None:
    """A file with out-of-range values, no players or uneven teams is one rejection with why;
    the three good files beside it load."""
    folder = tmp_path / "in"
    folder.mkdir()
    for source in ("NA1_1000000001.json", "EUW1_1000000002.json", "KR_1000000003.json"):
        shutil.copy(MATCH_FIXTURES / source, folder / source)
    bad = _variant("NA1_1000000001.json", "NA1_1999999999", change)
    (folder / "NA1_1999999999.json").write_text(json.dumps(bad), encoding="utf-8")

    report = import_paths(db_path, [folder])

    assert report.matches_created == 3
    [(path, why)] = report.rejected
    assert path.name == "NA1_1999999999.json"
    assert "NA1_1999999999" in why and reason in why
    assert counts(db_path)[0] == 3
