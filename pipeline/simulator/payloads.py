"""Riot API response bodies rendered from the world, in the real shapes.

match-v5 bodies carry every field the API marks as required, plus the ``challenges`` the
product reads (``kda``, ``killParticipation``, ``damagePerMinute``, ...). Riot IDs in a
match are the ones the player had when the game was played.
"""

from __future__ import annotations

from typing import Any

from pipeline.simulator.champions import CHAMPION_IDS, CHAMPION_NAMES, ROLES
from pipeline.simulator.population import IntArray
from pipeline.simulator.ranks import rank_of
from pipeline.simulator.season import ARAM, RANKED_SOLO
from pipeline.simulator.world import World

JSON = dict[str, Any]
GAME_VERSION = "16.22.734.1180"
QUEUE_MODES = {420: "CLASSIC", 400: "CLASSIC", 440: "CLASSIC", 450: "ARAM"}
MAP_IDS = {420: 11, 400: 11, 440: 11, 450: 12}
PLACEMENT_GAMES = 5  # games before a rank shows
# Role names as the legacy `role`/`lane` fields spell them.
LEGACY_LANE = {"TOP": "TOP", "JUNGLE": "JUNGLE", "MIDDLE": "MIDDLE", "BOTTOM": "BOTTOM",
               "UTILITY": "BOTTOM"}  # fmt: skip
LEGACY_ROLE = {"TOP": "SOLO", "JUNGLE": "NONE", "MIDDLE": "SOLO", "BOTTOM": "CARRY",
               "UTILITY": "SUPPORT"}  # fmt: skip
ZERO_FIELDS = (
    "baronKills", "championTransform", "damageDealtToTurrets", "detectorWardsPlaced",
    "doubleKills", "dragonKills", "inhibitorKills", "largestCriticalStrike", "nexusKills",
    "objectivesStolen", "objectivesStolenAssists", "pentaKills", "quadraKills",
    "sightWardsBoughtInGame", "totalDamageShieldedOnTeammates", "totalHealsOnTeammates",
    "tripleKills", "trueDamageDealt", "trueDamageDealtToChampions", "trueDamageTaken",
    "turretKills", "unrealKills", "visionWardsBoughtInGame", "wardsKilled",
    "inhibitorTakedowns", "inhibitorsLost", "nexusLost", "nexusTakedowns", "turretTakedowns",
    "turretsLost", "totalAllyJungleMinionsKilled", "totalEnemyJungleMinionsKilled",
    "placement", "subteamPlacement", "playerSubteamId", "playerAugment1", "playerAugment2",
    "playerAugment3", "playerAugment4",
)  # fmt: skip


def account(world: World, player: int) -> JSON:
    """account-v1 AccountDto."""
    names, tags = world.current_riot_ids()
    return {
        "puuid": str(world.players.puuid[player]),
        "gameName": str(names[player]),
        "tagLine": str(tags[player]),
    }


def summoner(world: World, player: int) -> JSON:
    """summoner-v4 SummonerDTO (the by-puuid shape of 2025 on)."""
    players = world.players
    level = players.base_level[player] + players.games[player] * players.levels_per_game[player]
    return {
        "puuid": str(players.puuid[player]),
        "profileIconId": int(players.profile_icon[player]),
        "revisionDate": _revision_ms(world, player),
        "summonerLevel": int(level),
    }


def _revision_ms(world: World, player: int) -> int:
    numbers = world.matches_of(player)
    if not len(numbers):
        return int(max(world.players.created_at_s[player], 0)) * 1000
    newest = int(numbers[0])
    return int(world.matches.start_s[newest] + world.matches.duration_s[newest]) * 1000


def league_entries(world: World, player: int) -> list[JSON]:
    """league-v4 entries: solo queue only; empty while unranked or once banned."""
    players = world.players
    wins = int(players.prior_wins[player] + players.wins[player])
    losses = int(players.prior_losses[player] + players.losses[player])
    if wins + losses < PLACEMENT_GAMES or world.is_banned(player):
        return []
    rank = rank_of(float(players.ladder[player]))
    idle_s = world.now_s - int(players.last_ranked_s[player])
    return [
        {
            "leagueId": f"sim-{world.config.platform}-{rank.tier.lower()}",
            "queueType": "RANKED_SOLO_5x5",
            "tier": rank.tier,
            "rank": rank.division,
            "puuid": str(players.puuid[player]),
            "leaguePoints": rank.league_points,
            "wins": wins,
            "losses": losses,
            "veteran": wins + losses > 200,
            "inactive": idle_s > 28 * 86_400,
            "freshBlood": int(players.ranked_games[player]) < 30,
            "hotStreak": int(players.win_streak[player]) >= 3,
        }
    ]


def match_ids(world: World, numbers: IntArray) -> list[str]:
    """Public match ids of match numbers."""
    return [world.match_id(int(n)) for n in numbers]


def match(world: World, number: int) -> JSON:
    """match-v5 MatchDto."""
    block = world.matches
    queue_id = int(block.queue_id[number])
    start_ms = int(block.start_s[number]) * 1000
    duration_s = int(block.duration_s[number])
    participants = [_participant(world, number, slot) for slot in range(10)]
    game_id = int(world.match_id(number).split("_")[1])
    return {
        "metadata": {
            "dataVersion": "2",
            "matchId": world.match_id(number),
            "participants": [p["puuid"] for p in participants],
        },
        "info": {
            "endOfGameResult": "GameComplete",
            "gameCreation": start_ms - 15_000,
            "gameDuration": duration_s,
            "gameEndTimestamp": start_ms + duration_s * 1000,
            "gameId": game_id,
            "gameMode": QUEUE_MODES[queue_id],
            "gameName": f"teambuilder-match-{game_id}",
            "gameStartTimestamp": start_ms,
            "gameType": "MATCHED_GAME",
            "gameVersion": GAME_VERSION,
            "mapId": MAP_IDS[queue_id],
            "participants": participants,
            "platformId": world.config.platform.upper(),
            "queueId": queue_id,
            "teams": [_team(world, number, team) for team in (0, 1)],
            "tournamentCode": "",
        },
    }


def _team(world: World, number: int, team: int) -> JSON:
    block = world.matches
    members = slice(team * 5, team * 5 + 5)
    kills = int(block.kills[number, members].sum())
    won = bool(block.won[number, team * 5])
    objective = {"first": False, "kills": 0}
    return {
        "bans": [{"championId": -1, "pickTurn": turn + 1 + team * 5} for turn in range(5)],
        "objectives": {
            "baron": {"first": won, "kills": int(won)},
            "champion": {"first": won, "kills": kills},
            "dragon": {"first": won, "kills": 3 if won else 1},
            "inhibitor": {"first": won, "kills": int(won)},
            "riftHerald": dict(objective),
            "tower": {"first": won, "kills": 9 if won else 3},
        },
        "teamId": 100 * (team + 1),
        "win": won,
    }


def riot_id_at(world: World, player: int, at_s: int) -> tuple[str, str]:
    """The Riot ID a player had at a time."""
    players = world.players
    if at_s >= players.renamed_at_s[player]:
        return str(players.new_game_name[player]), str(players.new_tag_line[player])
    return str(players.game_name[player]), str(players.tag_line[player])


def _participant(world: World, number: int, slot: int) -> JSON:
    block = world.matches
    player = int(block.player[number, slot])
    players = world.players
    queue_id = int(block.queue_id[number])
    position = "" if queue_id == ARAM else ROLES[int(block.role[number, slot])]
    minutes = int(block.duration_s[number]) / 60.0
    team = slice(0, 5) if slot < 5 else slice(5, 10)
    kills = int(block.kills[number, slot])
    deaths = int(block.deaths[number, slot])
    assists = int(block.assists[number, slot])
    team_kills = int(block.kills[number, team].sum())
    damage = int(block.damage[number, slot])
    team_damage = max(int(block.damage[number, team].sum()), 1)
    gold = int(block.gold[number, slot])
    vision = int(block.vision[number, slot])
    won = bool(block.won[number, slot])
    champion = int(block.champion[number, slot])
    game_name, tag_line = riot_id_at(world, player, int(block.start_s[number]))
    body: JSON = dict.fromkeys(ZERO_FIELDS, 0)
    body.update(
        {
            "allInPings": 0,
            "assists": assists,
            "champExperience": int(minutes * 520),
            "champLevel": int(block.champ_level[number, slot]),
            "championId": int(CHAMPION_IDS[champion]),
            "championName": str(CHAMPION_NAMES[champion]),
            "consumablesPurchased": 2,
            "damageDealtToBuildings": int(gold * 0.25),
            "damageDealtToObjectives": int(gold * 0.4),
            "damageSelfMitigated": int(damage * 1.3),
            "deaths": deaths,
            "eligibleForProgression": True,
            "firstBloodAssist": False,
            "firstBloodKill": False,
            "firstTowerAssist": False,
            "firstTowerKill": False,
            "gameEndedInEarlySurrender": False,
            "gameEndedInSurrender": minutes < 25,
            "goldEarned": gold,
            "goldSpent": int(gold * 0.92),
            "individualPosition": position or "Invalid",
            "item0": 1055, "item1": 3006, "item2": 6672, "item3": 0, "item4": 0, "item5": 0,
            "item6": 3340,
            "itemsPurchased": 12,
            "killingSprees": kills // 3,
            "kills": kills,
            "lane": LEGACY_LANE.get(position, "NONE"),
            "largestKillingSpree": min(kills, 3),
            "largestMultiKill": 1 if kills else 0,
            "longestTimeSpentLiving": int(minutes * 60 / (deaths + 1)),
            "magicDamageDealt": damage * 3,
            "magicDamageDealtToChampions": damage // 2,
            "magicDamageTaken": int(damage * 0.6),
            "neutralMinionsKilled": int(block.neutral_minions[number, slot]),
            "participantId": slot + 1,
            "perks": _PERKS,
            "physicalDamageDealt": damage * 4,
            "physicalDamageDealtToChampions": damage - damage // 2,
            "physicalDamageTaken": int(damage * 0.9),
            "profileIcon": int(players.profile_icon[player]),
            "puuid": str(players.puuid[player]),
            "riotIdGameName": game_name,
            "riotIdTagline": tag_line,
            "role": LEGACY_ROLE.get(position, "NONE"),
            "spell1Casts": int(minutes * 3), "spell2Casts": int(minutes * 2),
            "spell3Casts": int(minutes * 2), "spell4Casts": int(minutes / 4),
            "summoner1Casts": 3, "summoner1Id": 4, "summoner2Casts": 2,
            "summoner2Id": 11 if position == "JUNGLE" else 7,
            "summonerId": str(players.summoner_id[player]),
            "summonerLevel": int(block.level[number, slot]),
            "summonerName": "",
            "teamEarlySurrendered": False,
            "teamId": 100 if slot < 5 else 200,
            "teamPosition": position,
            "timeCCingOthers": int(minutes),
            "timePlayed": int(block.duration_s[number]),
            "totalDamageDealt": damage * 7,
            "totalDamageDealtToChampions": damage,
            "totalDamageTaken": int(damage * 1.5),
            "totalHeal": int(damage * 0.3),
            "totalMinionsKilled": int(block.minions[number, slot]),
            "totalTimeCCDealt": int(minutes * 4),
            "totalTimeSpentDead": deaths * 30,
            "totalUnitsHealed": 1,
            "visionScore": vision,
            "wardsPlaced": int(block.wards_placed[number, slot]),
            "win": won,
        }
    )  # fmt: skip
    body["challenges"] = {
        "damagePerMinute": damage / minutes,
        "goldPerMinute": gold / minutes,
        "kda": (kills + assists) / max(deaths, 1),
        "killParticipation": (kills + assists) / team_kills if team_kills else 0.0,
        "soloKills": int(block.solo_kills[number, slot]),
        "teamDamagePercentage": damage / team_damage,
        "visionScorePerMinute": vision / minutes,
        "takedowns": kills + assists,
        "gameLength": minutes * 60,
        "laneMinionsFirst10Minutes": int(min(int(block.minions[number, slot]), 90) * 0.8),
    }
    if queue_id == RANKED_SOLO:
        body["challenges"]["playedChampSelectPosition"] = 1
    return body


_PERKS: JSON = {
    "statPerks": {"defense": 5011, "flex": 5008, "offense": 5005},
    "styles": [
        {
            "description": "primaryStyle",
            "selections": [
                {"perk": perk, "var1": 0, "var2": 0, "var3": 0} for perk in (8005, 9111, 9104, 8014)
            ],
            "style": 8000,
        },
        {
            "description": "subStyle",
            "selections": [
                {"perk": perk, "var1": 0, "var2": 0, "var3": 0} for perk in (8444, 8451)
            ],
            "style": 8400,
        },
    ],
}


def timeline(world: World, number: int) -> JSON:
    """match-v5 TimelineDto: one frame a minute with each participant's gold, CS and XP."""
    block = world.matches
    minutes = int(block.duration_s[number]) // 60
    puuids = [str(world.players.puuid[int(p)]) for p in block.player[number]]
    frames = [_frame(world, number, minute, minutes) for minute in range(minutes + 1)]
    frames[-1]["events"].append(
        {"timestamp": minutes * 60_000, "type": "GAME_END",
         "winningTeam": 100 if bool(block.blue_won[number]) else 200}
    )  # fmt: skip
    return {
        "metadata": {"dataVersion": "2", "matchId": world.match_id(number), "participants": puuids},
        "info": {
            "endOfGameResult": "GameComplete",
            "frameInterval": 60_000,
            "gameId": int(world.match_id(number).split("_")[1]),
            "participants": [
                {"participantId": slot + 1, "puuid": puuid} for slot, puuid in enumerate(puuids)
            ],
            "frames": frames,
        },
    }


def _frame(world: World, number: int, minute: int, minutes: int) -> JSON:
    block = world.matches
    share = minute / max(minutes, 1)
    participant_frames = {}
    for slot in range(10):
        gold = int(500 + block.gold[number, slot] * share)
        participant_frames[str(slot + 1)] = {
            "championStats": dict.fromkeys(_CHAMPION_STAT_KEYS, 0),
            "currentGold": gold % 1500,
            "damageStats": dict.fromkeys(_DAMAGE_STAT_KEYS, 0),
            "goldPerSecond": 0 if minute < 2 else 2,
            "jungleMinionsKilled": int(block.neutral_minions[number, slot] * share),
            "level": max(1, int(block.champ_level[number, slot] * share**0.6)),
            "minionsKilled": int(block.minions[number, slot] * share),
            "participantId": slot + 1,
            "position": {"x": 7000 + 100 * slot, "y": 7000},
            "timeEnemySpentControlled": 0,
            "totalGold": gold,
            "xp": int(minute * 520),
        }
    events: list[JSON] = (
        [{"timestamp": minute * 60_000, "type": "PAUSE_END"}] if minute == 0 else []
    )
    return {"events": events, "participantFrames": participant_frames, "timestamp": minute * 60_000}


_CHAMPION_STAT_KEYS = (
    "abilityHaste", "abilityPower", "armor", "armorPen", "armorPenPercent", "attackDamage",
    "attackSpeed", "bonusArmorPenPercent", "bonusMagicPenPercent", "ccReduction",
    "cooldownReduction", "health", "healthMax", "healthRegen", "lifesteal", "magicPen",
    "magicPenPercent", "magicResist", "movementSpeed", "omnivamp", "physicalVamp", "power",
    "powerMax", "powerRegen", "spellVamp",
)  # fmt: skip
_DAMAGE_STAT_KEYS = (
    "magicDamageDone", "magicDamageDoneToChampions", "magicDamageTaken", "physicalDamageDone",
    "physicalDamageDoneToChampions", "physicalDamageTaken", "totalDamageDone",
    "totalDamageDoneToChampions", "totalDamageTaken", "trueDamageDone",
    "trueDamageDoneToChampions", "trueDamageTaken",
)  # fmt: skip
