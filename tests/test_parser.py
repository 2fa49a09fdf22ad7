"""The match-v5 parser: real payloads, hand-made fixtures, and malformed input."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.store import MatchParseError, parse_match
from pipeline.store.parser import MATCH_COLUMNS, PARTICIPANT_COLUMNS, PLAYER_COLUMNS, _patch
from tests.conftest import FIXTURES_DIR, RIOT_EXAMPLES_DIR, requires_shared, riot_example_files

MATCH_FIXTURES = FIXTURES_DIR / "matches"


def load(path: Path) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return payload


def fixture(match_id: str) -> dict[str, Any]:
    return load(MATCH_FIXTURES / f"{match_id}.json")


ABORTED_GAME = "EUW1_6834713231"  # a real payload with no participants


@requires_shared
@pytest.mark.parametrize(
    "path", [p for p in riot_example_files() if p.stem != ABORTED_GAME], ids=lambda p: p.stem
)
def test_every_real_example_parses_into_complete_rows(path: Path) -> None:
    """Every real payload parses, and each row carries exactly its table's columns."""
    payload = load(path)
    parsed = parse_match(payload)
    humans = [p for p in payload["info"]["participants"] if p["puuid"] != "BOT"]
    assert set(parsed.match) == set(MATCH_COLUMNS)
    assert parsed.match["match_id"] == path.stem
    assert parsed.match["platform"] == path.stem.split("_")[0].lower()
    assert parsed.match["participant_count"] == len(humans)
    assert [r["puuid"] for r in parsed.participants] == [p["puuid"] for p in humans]
    assert all(set(r) == set(PARTICIPANT_COLUMNS) for r in parsed.participants)
    assert all(set(r) == set(PLAYER_COLUMNS) for r in parsed.players)
    for row, raw in zip(parsed.participants, humans, strict=True):
        assert row["cs"] == raw["totalMinionsKilled"] + raw["neutralMinionsKilled"]
        assert row["game_start"] == parsed.match["game_start"]


@requires_shared
def test_an_aborted_game_without_participants_is_refused_saying_so() -> None:
    """The aborted game (no participants, zero times) holds nothing to store: it is refused
    with a message that says why."""
    with pytest.raises(MatchParseError, match="no participants") as refused:
        parse_match(load(RIOT_EXAMPLES_DIR / f"{ABORTED_GAME}.json"))
    assert refused.value.match_id == ABORTED_GAME


def test_zero_times_of_a_game_that_never_started_become_nulls() -> None:
    """Times reported as 0 (never happened) and empty strings are stored as NULL."""
    payload = fixture("NA1_1000000001")
    payload["info"].update(
        {"gameStartTimestamp": 0, "gameEndTimestamp": 0, "gameVersion": "", "gameDuration": 0}
    )
    parsed = parse_match(payload)
    assert parsed.match["game_start"] is None
    assert parsed.match["game_end"] is None
    assert parsed.match["game_version"] is None
    assert parsed.match["patch"] is None


@requires_shared
def test_arena_game_keeps_sixteen_placements() -> None:
    """An Arena game keeps all 16 players with placements 1 to 8."""
    parsed = parse_match(load(RIOT_EXAMPLES_DIR / "JP1_444997552.json"))
    assert len(parsed.participants) == 16
    assert sorted({r["placement"] for r in parsed.participants}) == list(range(1, 9))


@requires_shared
@pytest.mark.parametrize(("match_id", "players"), [("JP1_456819992", 1), ("JP1_457196409", 3)])
def test_swarm_games_have_one_to_three_players(match_id: str, players: int) -> None:
    """Swarm games parse with their 1-3 players and no placement."""
    parsed = parse_match(load(RIOT_EXAMPLES_DIR / f"{match_id}.json"))
    assert len(parsed.participants) == players
    assert {r["placement"] for r in parsed.participants} == {None}


def test_kill_participation_is_worked_out_from_the_teams_kills() -> None:
    """Riot's killParticipation is above 1 in some real games: the share is worked out
    from the game's own counts, (kills + assists) / the team's kills; a team without kills
    gives 0, and where the counts cannot give a share, Riot's figure is kept if it is one."""
    payload = fixture("NA1_1000000001")
    blue, red = payload["info"]["participants"]
    team = []
    for i, (base, kills, assists, riot) in enumerate(
        [(blue, 9, 16, 1.47), (blue, 28, 3, 0.8), (red, 0, 0, 0.3), (red, 0, 0, 0.0)]
    ):
        player = copy.deepcopy(base)
        player.update({"puuid": f"p{i}", "kills": kills, "assists": assists})
        player["challenges"]["killParticipation"] = riot
        team.append(player)
    payload["info"]["participants"] = team
    shares = [r["kill_participation"] for r in parse_match(payload).participants]
    assert shares == [25 / 37, 31 / 37, 0.0, 0.0]
    team[1]["kills"] = None  # the blue team's kills can no longer be counted
    shares = [r["kill_participation"] for r in parse_match(payload).participants]
    assert shares == [None, 0.8, 0.0, 0.0]  # 1.47 is no share


@requires_shared
def test_a_real_ranked_game_with_riots_kill_participation_above_one() -> None:
    """NA1_4234748497 (ranked solo) reports 1.47 for 9 kills and 16 assists of a team's 37:
    stored as 25 / 37, and every share in the game between 0 and 1."""
    parsed = parse_match(load(RIOT_EXAMPLES_DIR / "NA1_4234748497.json"))
    team_kills: dict[int, int] = {}
    for row in parsed.participants:
        team_kills[row["team_id"]] = team_kills.get(row["team_id"], 0) + row["kills"]
    for row in parsed.participants:
        expected = (row["kills"] + row["assists"]) / team_kills[row["team_id"]]
        assert row["kill_participation"] == expected
        assert 0.0 <= row["kill_participation"] <= 1.0


def test_ranked_fixture_maps_every_field() -> None:
    """A current ranked payload maps times, patch, CS, Riot ID and challenges exactly."""
    parsed = parse_match(fixture("NA1_1000000001"))
    start = datetime(2023, 11, 14, 22, 13, 50)
    assert {k: v for k, v in parsed.match.items() if k != "raw_json"} == {
        "match_id": "NA1_1000000001",
        "platform": "na1",
        "queue_id": 420,
        "game_creation": datetime(2023, 11, 14, 22, 13, 20),
        "game_start": start,
        "game_end": datetime(2023, 11, 14, 22, 43, 50, 500000),
        "game_duration_s": 1800,
        "game_version": "14.22.632.1234",
        "patch": "14.22",
        "game_mode": "CLASSIC",
        "game_type": "MATCHED_GAME",
        "map_id": 11,
        "end_of_game_result": "GameComplete",
        "participant_count": 2,
    }
    alpha, bravo = parsed.participants
    assert alpha == {
        "match_id": "NA1_1000000001",
        "puuid": "puuid-alpha",
        "queue_id": 420,
        "game_start": start,
        "game_duration_s": 1800,
        "participant_id": 1,
        "team_id": 100,
        "champion_id": 101,
        "kills": 1,
        "deaths": 2,
        "assists": 3,
        "gold_earned": 10001,
        "damage_to_champions": 20001,
        "vision_score": 21,
        "summoner_level": 30,
        "champ_level": 15,
        "time_played_s": 1800,
        "champion_name": "Champ1",
        "team_position": "JUNGLE",
        "individual_position": "JUNGLE",
        "win": True,
        "placement": None,
        "cs": 161,
        "riot_id_game_name": "Alpha",
        "riot_id_tagline": "NA1",
        "kill_participation": 0.5,
        "kda": 2.0,
        "damage_per_minute": 666.7,
        "gold_per_minute": 333.4,
        "team_damage_percentage": 0.25,
        "vision_score_per_minute": 0.7,
        "solo_kills": 2,
        "early_surrender": False,
    }
    assert (bravo["kill_participation"], bravo["kda"], bravo["damage_per_minute"]) == (
        1.0,
        4.0,
        None,
    )
    assert parsed.players[1] == {
        "puuid": "puuid-bravo",
        "game_name": "Bravo Bravo",
        "tag_line": "EUW",
        "platform": "na1",
        "summoner_level": 60,
        "profile_icon_id": 4002,
        "discovered_from_match": "NA1_1000000001",
    }


def test_old_patch_duration_in_milliseconds_becomes_seconds() -> None:
    """Before 11.20 (no gameEndTimestamp) gameDuration is milliseconds; the end is derived."""
    parsed = parse_match(fixture("EUW1_1000000002"))
    start = datetime(2020, 9, 13, 12, 27, 40)
    assert parsed.match["game_duration_s"] == 1235
    assert parsed.match["game_start"] == start
    assert parsed.match["game_end"] == start + timedelta(seconds=1235)
    assert parsed.match["patch"] == "11.10"
    assert [r["game_duration_s"] for r in parsed.participants] == [1235, 1235]


def test_old_riot_id_fields_and_nulls_are_accepted() -> None:
    """riotIdName is used when riotIdGameName is absent; null or missing IDs become None."""
    alpha, charlie = parse_match(fixture("EUW1_1000000002")).participants
    assert (alpha["riot_id_game_name"], alpha["riot_id_tagline"]) == ("OldAlpha", None)
    assert (charlie["riot_id_game_name"], charlie["riot_id_tagline"]) == (None, None)
    assert alpha["kill_participation"] is None and alpha["solo_kills"] is None


def test_arena_fixture_takes_platform_from_match_id_and_blanks_positions() -> None:
    """Without platformId the platform comes from the match id; empty positions are None."""
    parsed = parse_match(fixture("KR_1000000003"))
    assert parsed.match["platform"] == "kr"
    assert [r["placement"] for r in parsed.participants] == [1, 8]
    assert [r["team_position"] for r in parsed.participants] == [None, None]
    assert [r["individual_position"] for r in parsed.participants] == ["Invalid", "Invalid"]
    assert {p["platform"] for p in parsed.players} == {"kr"}


def test_raw_json_is_the_given_text_or_a_faithful_dump() -> None:
    """raw_json is the caller's text when given, else a dump that loads back to the payload."""
    payload = fixture("NA1_1000000001")
    assert parse_match(payload, raw_json="{}").match["raw_json"] == "{}"
    assert json.loads(parse_match(payload).match["raw_json"]) == payload


def test_bots_are_left_out() -> None:
    """Participants with the BOT puuid are neither participant rows nor players."""
    payload = fixture("NA1_1000000001")
    bots = [copy.deepcopy(p) for p in payload["info"]["participants"]]  # one for each team
    for bot in bots:
        bot["puuid"] = "BOT"
    payload["info"]["participants"] += bots
    parsed = parse_match(payload)
    assert [r["puuid"] for r in parsed.participants] == ["puuid-alpha", "puuid-bravo"]
    assert parsed.match["participant_count"] == 2


def _set(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    payload = fixture("NA1_1000000001")
    target: Any = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return payload


def _without_puuid() -> dict[str, Any]:
    payload = fixture("NA1_1000000001")
    del payload["info"]["participants"][1]["puuid"]
    return payload


def _duplicate_puuid() -> dict[str, Any]:
    return _set(("info", "participants", 1, "puuid"), "puuid-alpha")


MALFORMED: list[tuple[str, Any, str | None, str]] = [
    ("not an object", [1, 2], None, "expected a JSON object"),
    ("no metadata", {"info": {}}, None, "metadata.matchId"),
    ("match id not a string", _set(("metadata", "matchId"), 7), None, "metadata.matchId"),
    ("no info", _set(("info",), None), "NA1_1000000001", "info"),
    ("participants not a list", _set(("info", "participants"), "x"), "NA1_1000000001", "list"),
    ("participant not an object", _set(("info", "participants", 0), 5), "NA1_1000000001", "0"),
    ("participant without puuid", _without_puuid(), "NA1_1000000001", "no puuid"),
    ("duplicate puuid", _duplicate_puuid(), "NA1_1000000001", "twice"),
    ("kills as text", _set(("info", "participants", 0, "kills"), "3"), "NA1_1000000001", "kills"),
    ("win as text", _set(("info", "participants", 0, "win"), "yes"), "NA1_1000000001", "win"),
    (
        "challenges not an object",
        _set(("info", "participants", 0, "challenges"), [1]),
        "NA1_1000000001",
        "challenges",
    ),
    (
        "start time as text",
        _set(("info", "gameStartTimestamp"), "2024-01-01"),
        "NA1_1000000001",
        "gameStartTimestamp",
    ),
    ("queue as float", _set(("info", "queueId"), 420.5), "NA1_1000000001", "queueId"),
]


@pytest.mark.parametrize(
    ("payload", "match_id", "reason"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_payloads_raise_an_error_naming_the_match(
    payload: Any, match_id: str | None, reason: str
) -> None:
    """A malformed payload raises MatchParseError that names the match id and what is wrong."""
    with pytest.raises(MatchParseError) as caught:
        parse_match(payload)
    assert caught.value.match_id == match_id
    assert reason in str(caught.value)
    assert (match_id or "<unknown id>") in str(caught.value)


def test_integral_floats_are_accepted_where_integers_are_documented() -> None:
    """A count sent as 3.0 (as real data sometimes does) is read as the integer 3."""
    parsed = parse_match(_set(("info", "participants", 0, "kills"), 3.0))
    assert parsed.participants[0]["kills"] == 3
    assert isinstance(parsed.participants[0]["kills"], int)


@pytest.mark.parametrize(
    ("version", "patch"),
    [
        ("14.22.632.1234", "14.22"),
        ("11.10.375.1234", "11.10"),
        ("16.3", "16.3"),
        ("", None),
        (None, None),
        ("14", None),
        ("x.y.z", None),
    ],
)
def test_patch_is_major_dot_minor(version: str | None, patch: str | None) -> None:
    """The patch is the first two numeric parts of gameVersion, else None."""
    assert _patch(version) == patch
