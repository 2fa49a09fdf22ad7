"""Payloads of the Riot API endpoints the product uses, as TypedDicts.

Required keys are the ones Riot documents as always present; everything else is
``NotRequired``. Match payloads are large and change with every patch, so ``MatchDto``
types the keys the product reads and lets the rest through.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class AccountDto(TypedDict):
    """account-v1: a Riot account."""

    puuid: str
    gameName: NotRequired[str]
    tagLine: NotRequired[str]


class AccountRegionDto(TypedDict):
    """account-v1 getActiveRegion: the platform a player plays a game on now (``euw1``)."""

    puuid: str
    game: str
    region: str


class SummonerDto(TypedDict):
    """summoner-v4: a League profile on one platform."""

    puuid: str
    profileIconId: int
    revisionDate: int
    summonerLevel: int
    id: NotRequired[str]


class MiniSeriesDto(TypedDict):
    """league-v4: promotion series progress (retired by Riot, still in the schema)."""

    losses: int
    progress: str
    target: int
    wins: int


class LeagueEntryDto(TypedDict):
    """league-v4: a player's standing in one ranked queue."""

    puuid: str
    queueType: str
    leaguePoints: int
    wins: int
    losses: int
    hotStreak: bool
    veteran: bool
    freshBlood: bool
    inactive: bool
    leagueId: NotRequired[str]
    tier: NotRequired[str]
    rank: NotRequired[str]
    summonerId: NotRequired[str]
    miniSeries: NotRequired[MiniSeriesDto]


class MatchMetadataDto(TypedDict):
    """match-v5: a match's id and its participants' puuids."""

    dataVersion: str
    matchId: str
    participants: list[str]


class ParticipantDto(TypedDict, total=False):
    """match-v5: one player's game (about 150 keys; the ones the product reads)."""

    puuid: str
    riotIdGameName: str
    riotIdTagline: str
    summonerLevel: int
    championId: int
    championName: str
    teamId: int
    teamPosition: str
    individualPosition: str
    win: bool
    kills: int
    deaths: int
    assists: int
    totalMinionsKilled: int
    neutralMinionsKilled: int
    goldEarned: int
    totalDamageDealtToChampions: int
    visionScore: int
    challenges: dict[str, Any]


class MatchInfoDto(TypedDict, total=False):
    """match-v5: the game itself (``participants`` is empty for an aborted game)."""

    gameCreation: int
    gameDuration: int
    gameEndTimestamp: int
    gameId: int
    gameMode: str
    gameStartTimestamp: int
    gameType: str
    gameVersion: str
    mapId: int
    platformId: str
    queueId: int
    endOfGameResult: str
    participants: list[ParticipantDto]
    teams: list[dict[str, Any]]


class MatchDto(TypedDict):
    """match-v5: a finished match."""

    metadata: MatchMetadataDto
    info: MatchInfoDto
