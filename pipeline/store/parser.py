"""Turn a match-v5 ``MatchDto`` into rows of ``matches``, ``match_participants`` and ``players``.

Real payloads vary more than the reference says, and the parser accepts all of them:

- aborted games with no participants, zero timestamps and empty strings (those become NULL);
- Arena (16 players, ``placement`` 1-8) and Swarm (1-3 players);
- games before patch 11.20, where ``gameEndTimestamp`` is absent and ``gameDuration`` is in
  milliseconds rather than seconds;
- Riot IDs under ``riotIdGameName`` (current) or ``riotIdName`` (older), missing or empty;
- ``challenges`` absent, with floats where integers are documented, and unknown extra keys;
- ``challenges.killParticipation`` above 1 in some ranked games: the share is worked out
  from the game's own kills and assists instead (``_own_kill_participation``).

Missing optional fields become ``None``. A payload whose shape is wrong (not an object, no
``metadata.matchId``, ``participants`` not a list, a participant without ``puuid``, a field of
the wrong type) or that describes no possible game (a time outside 1970..9999, a number
beyond its column, no participants at all, teams of different sizes) raises
``MatchParseError`` naming the match id and the field, and yields no rows at all. Bots
(puuid ``BOT``) are left out: they are not players and would collide on the key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from pipeline.store.errors import MatchParseError

EPOCH = datetime(1970, 1, 1)
# The latest time a timestamp column holds (Python's datetime ends with the year 9999).
LATEST_MS = int((datetime(9999, 12, 31, 23, 59, 59) - EPOCH).total_seconds() * 1000)
INTEGER_BITS = 32  # INTEGER columns; times are checked against their own range
BOT_PUUID = "BOT"

# match_participants column -> key of ParticipantDto.challenges.
CHALLENGE_COLUMNS: dict[str, str] = {
    "kill_participation": "killParticipation",
    "kda": "kda",
    "damage_per_minute": "damagePerMinute",
    "gold_per_minute": "goldPerMinute",
    "team_damage_percentage": "teamDamagePercentage",
    "vision_score_per_minute": "visionScorePerMinute",
}

# match_participants column -> integer key of ParticipantDto, copied as is.
PARTICIPANT_INT_COLUMNS: dict[str, str] = {
    "participant_id": "participantId",
    "team_id": "teamId",
    "champion_id": "championId",
    "kills": "kills",
    "deaths": "deaths",
    "assists": "assists",
    "gold_earned": "goldEarned",
    "damage_to_champions": "totalDamageDealtToChampions",
    "vision_score": "visionScore",
    "summoner_level": "summonerLevel",
    "champ_level": "champLevel",
    "time_played_s": "timePlayed",
}

MATCH_COLUMNS = (
    "match_id",
    "platform",
    "queue_id",
    "game_creation",
    "game_start",
    "game_end",
    "game_duration_s",
    "game_version",
    "patch",
    "game_mode",
    "game_type",
    "map_id",
    "end_of_game_result",
    "participant_count",
    "raw_json",
)

PARTICIPANT_COLUMNS = (
    "match_id",
    "puuid",
    "queue_id",
    "game_start",
    "game_duration_s",
    *PARTICIPANT_INT_COLUMNS,
    "champion_name",
    "team_position",
    "individual_position",
    "win",
    "placement",
    "cs",
    "riot_id_game_name",
    "riot_id_tagline",
    *CHALLENGE_COLUMNS,
    "solo_kills",
    "early_surrender",
)

PLAYER_COLUMNS = (
    "puuid",
    "game_name",
    "tag_line",
    "platform",
    "summoner_level",
    "profile_icon_id",
    "discovered_from_match",
)


@dataclass(frozen=True)
class ParsedMatch:
    """The rows one match contributes, keyed by column name.

    ``match`` holds the columns of ``matches`` plus ``raw_json`` (the payload's text), which
    the writers store in ``match_payloads``.
    """

    match: dict[str, Any]
    participants: list[dict[str, Any]]
    players: list[dict[str, Any]]


class _Malformed(Exception):
    """Internal: a field has the wrong shape; becomes MatchParseError with the match id."""


def parse_match(payload: Mapping[str, Any], *, raw_json: str | bytes | None = None) -> ParsedMatch:
    """Rows for one ``MatchDto``; ``raw_json`` is the JSON it was read from, when the caller
    has it (the response or file bytes).

    Passing the JSON it was read from saves serialising the payload again; without it the
    payload is serialised compactly.
    """
    if not isinstance(payload, Mapping):
        raise MatchParseError(None, f"expected a JSON object, got {type(payload).__name__}.")
    match_id = _match_id(payload)
    try:
        info = _mapping(payload, "info")
        match = _match_row(match_id, info)
        participants_raw = info.get("participants")
        if participants_raw is None:
            participants_raw = []
        if not isinstance(participants_raw, list):
            raise _Malformed("info.participants is not a list")
        _check_teams(participants_raw)
        participants, players = _participant_rows(match, participants_raw)
        match["participant_count"] = len(participants)
        match["raw_json"] = raw_json if raw_json is not None else _dump(payload)
    except _Malformed as exc:
        raise MatchParseError(match_id, f"{exc}.") from None
    return ParsedMatch(match=match, participants=participants, players=players)


def _dump(payload: Mapping[str, Any]) -> bytes:
    try:
        return orjson.dumps(payload)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise _Malformed(f"the payload is not JSON-serialisable ({exc})") from None


def _match_id(payload: Mapping[str, Any]) -> str:
    metadata = payload.get("metadata")
    match_id = metadata.get("matchId") if isinstance(metadata, Mapping) else None
    if not isinstance(match_id, str) or not match_id:
        raise MatchParseError(None, "metadata.matchId is missing or not a string.")
    return match_id


def _match_row(match_id: str, info: Mapping[str, Any]) -> dict[str, Any]:
    game_start = _timestamp(info, "gameStartTimestamp")
    game_end = _timestamp(info, "gameEndTimestamp")
    duration = _int(info, "gameDuration", bits=64)
    # Before patch 11.20 there was no gameEndTimestamp and gameDuration was milliseconds.
    if info.get("gameEndTimestamp") is None and duration is not None:
        duration = round(duration / 1000)
    if duration is not None and not 0 <= duration < 2 ** (INTEGER_BITS - 1):
        raise _Malformed(f"gameDuration is not a possible length of a game ({duration} s)")
    if game_end is None and game_start is not None and duration is not None:
        try:
            game_end = game_start + timedelta(seconds=duration)
        except OverflowError:
            raise _Malformed("gameStartTimestamp plus gameDuration is past the year 9999") from None
    version = _str(info, "gameVersion")
    return {
        "match_id": match_id,
        "platform": (_str(info, "platformId") or match_id.partition("_")[0]).lower(),
        "queue_id": _int(info, "queueId"),
        "game_creation": _timestamp(info, "gameCreation"),
        "game_start": game_start,
        "game_end": game_end,
        "game_duration_s": duration,
        "game_version": version,
        "patch": _patch(version),
        "game_mode": _str(info, "gameMode"),
        "game_type": _str(info, "gameType"),
        "map_id": _int(info, "mapId"),
        "end_of_game_result": _str(info, "endOfGameResult"),
    }


def _check_teams(raw: list[Any]) -> None:
    """A game has players, and teams of one size (Swarm's single team of 1-4 included)."""
    if not raw:
        raise _Malformed(
            "info.participants is empty: a game with no participants (an aborted game) "
            "has nothing to store"
        )
    sizes: dict[object, int] = {}
    for item in raw:
        team = item.get("teamId") if isinstance(item, Mapping) else None
        sizes[team] = sizes.get(team, 0) + 1
    if len(set(sizes.values())) > 1:
        shown = ", ".join(f"{team}: {n}" for team, n in sizes.items())
        raise _Malformed(f"its teams have different numbers of players ({shown})")


def _participant_rows(
    match: Mapping[str, Any], raw: list[Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    participants: list[dict[str, Any]] = []
    players: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise _Malformed(f"participant {index} is not an object")
        puuid = item.get("puuid")
        if not isinstance(puuid, str) or not puuid:
            raise _Malformed(f"participant {index} has no puuid")
        if puuid == BOT_PUUID:
            continue
        if puuid in seen:
            raise _Malformed(f"puuid {puuid} appears twice")
        seen.add(puuid)
        try:
            row = _participant_row(match, puuid, item)
        except _Malformed as exc:
            raise _Malformed(f"participant {index}: {exc}") from None
        participants.append(row)
        players.append(
            {
                "puuid": puuid,
                "game_name": row["riot_id_game_name"],
                "tag_line": row["riot_id_tagline"],
                "platform": match["platform"],
                "summoner_level": row["summoner_level"],
                "profile_icon_id": _int(item, "profileIcon"),
                "discovered_from_match": match["match_id"],
            }
        )
    _own_kill_participation(participants)
    return participants, players


def _own_kill_participation(rows: list[dict[str, Any]]) -> None:
    """Kill participation as a share, which Riot's ``challenges.killParticipation`` is not
    in some real games (1.47 for 9 kills and 16 assists of a team's 37; it is a scoring
    metric): (kills + assists) / the team's kills (0 when the team killed no one), when
    the game's own counts give one; else Riot's figure when it is a share; else unknown."""
    team_kills: dict[object, int | None] = {}
    for row in rows:
        known = team_kills.get(row["team_id"], 0)
        kills = row["kills"]
        team_kills[row["team_id"]] = None if known is None or kills is None else known + kills
    for row in rows:
        total, kills, assists = team_kills.get(row["team_id"]), row["kills"], row["assists"]
        share: float | None = None
        if total is not None and kills is not None and assists is not None:
            share = (kills + assists) / total if total else 0.0
        riot = row["kill_participation"]
        if share is None or not 0.0 <= share <= 1.0:  # counts missing, or a bot's kills
            share = riot if riot is not None and 0.0 <= riot <= 1.0 else None
        row["kill_participation"] = share


def _participant_row(
    match: Mapping[str, Any], puuid: str, item: Mapping[str, Any]
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "match_id": match["match_id"],
        "puuid": puuid,
        # Copied from the match so features can filter without a join.
        "queue_id": match["queue_id"],
        "game_start": match["game_start"],
        "game_duration_s": match["game_duration_s"],
    }
    for column, key in PARTICIPANT_INT_COLUMNS.items():
        row[column] = _int(item, key)
    minions = _int(item, "totalMinionsKilled")
    monsters = _int(item, "neutralMinionsKilled")
    placement = _int(item, "placement")
    challenges = item.get("challenges")
    if challenges is None:
        challenges = {}
    elif not isinstance(challenges, Mapping):
        raise _Malformed("challenges is not an object")
    row.update(
        {
            "champion_name": _str(item, "championName"),
            "team_position": _str(item, "teamPosition"),
            "individual_position": _str(item, "individualPosition"),
            "win": _bool(item, "win"),
            # Outside Arena, placement is 0 ("not applicable").
            "placement": placement or None,
            "cs": None
            if minions is None and monsters is None
            else (minions or 0) + (monsters or 0),
            "riot_id_game_name": _str(item, "riotIdGameName") or _str(item, "riotIdName"),
            "riot_id_tagline": _str(item, "riotIdTagline"),
            **{column: _float(challenges, key) for column, key in CHALLENGE_COLUMNS.items()},
            "solo_kills": _rounded(challenges, "soloKills"),
            "early_surrender": _bool(item, "gameEndedInEarlySurrender"),
        }
    )
    return row


def _mapping(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if not isinstance(value, Mapping):
        raise _Malformed(f"{key} is missing or not an object")
    return value


def _int(obj: Mapping[str, Any], key: str, *, bits: int = INTEGER_BITS) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if type(value) is int:
        number = value
    # Real data sends some documented integers as floats (e.g. 3.0).
    elif type(value) is float and value.is_integer():
        number = int(value)
    else:
        raise _Malformed(f"{key} should be an integer, got {_shown(value)}")
    return _in_range(key, number, bits)


def _in_range(key: str, number: int, bits: int) -> int:
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise _Malformed(f"{key} is out of range ({_shown(number)})")
    return number


def _float(obj: Mapping[str, Any], key: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if (type(value) is float and math.isfinite(value)) or type(value) is int:
        return float(value)
    raise _Malformed(f"{key} should be a finite number, got {_shown(value)}")


def _rounded(obj: Mapping[str, Any], key: str) -> int | None:
    # challenges are loosely typed; a count sent as 2.0 (or 2.5) is still a count.
    value = _float(obj, key)
    return None if value is None else _in_range(key, round(value), INTEGER_BITS)


def _shown(value: Any) -> str:
    """A value for an error message, cut short: payloads can be anything."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    raise _Malformed(f"{key} should be a string, got {_shown(value)}")


def _bool(obj: Mapping[str, Any], key: str) -> bool | None:
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise _Malformed(f"{key} should be true or false, got {_shown(value)}")


def _timestamp(obj: Mapping[str, Any], key: str) -> datetime | None:
    value_ms = _int(obj, key, bits=64)
    # Aborted games report 0 for times they never had.
    if not value_ms:
        return None
    if not 0 < value_ms <= LATEST_MS:
        raise _Malformed(f"{key} is not a time between 1970 and 9999 ({value_ms} ms since 1970)")
    return EPOCH + timedelta(milliseconds=value_ms)


def _patch(version: str | None) -> str | None:
    if version is None:
        return None
    parts = version.split(".")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return f"{parts[0]}.{parts[1]}"
