"""The ban checker's rules: which status a check's evidence supports, case by case."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipeline.jobs.ban_evidence import INACTIVE_AFTER_DAYS, Observation, conclude
from pipeline.store.account_checks import AccountStatus, LastSeen

NOW = datetime(2026, 11, 20, 4, 0)
RECENT = NOW - timedelta(days=2)
ACCOUNT = {"puuid": "p", "gameName": "Name", "tagLine": "EUW"}
SUMMONER = {"puuid": "p", "summonerLevel": 120}
# What the last look saw: ranked, newest game M1, level 120.
RANKED = LastSeen("ACTIVE", NOW - timedelta(days=1), 1, "EUW1_1", RECENT, 120)


def seen(
    account: dict[str, str] | None = ACCOUNT,
    summoner: dict[str, object] | None = SUMMONER,
    platform: str = "euw1",
    entries: int | None = 1,
    newest: str | None = "EUW1_1",
    newest_at: datetime | None = RECENT,
) -> Observation:
    return Observation(account, summoner, platform, "euw1", entries, newest, newest_at)


GONE = {"account": None, "summoner": None, "entries": 0}


@pytest.mark.parametrize(
    ("last", "observation", "status"),
    [
        # Both lookups 404.
        (LastSeen(), seen(**GONE), AccountStatus.NOT_FOUND_ONCE),
        (RANKED, seen(**GONE, newest="EUW1_2"), AccountStatus.NOT_FOUND_ONCE),
        (RANKED, seen(**GONE), AccountStatus.UNAVAILABLE),  # footprint vanished: corroborated
        (
            LastSeen("ACTIVE", NOW, 0, "EUW1_1", RECENT, 120),
            seen(**GONE),
            AccountStatus.NOT_FOUND_ONCE,  # unranked before: nothing gone to corroborate
        ),
        (LastSeen("NOT_FOUND_ONCE", NOW, 0, "EUW1_1"), seen(**GONE), AccountStatus.UNAVAILABLE),
        (LastSeen("UNAVAILABLE", NOW, 0, "EUW1_1"), seen(**GONE), AccountStatus.UNAVAILABLE),
        (LastSeen("NOT_FOUND_ONCE"), seen(**GONE, newest=None), AccountStatus.UNAVAILABLE),
        (
            LastSeen("NOT_FOUND_ONCE", NOW, 0, "EUW1_1"),
            seen(**GONE, newest="EUW1_9"),
            AccountStatus.NOT_FOUND_ONCE,  # played since the first 404: confirm again
        ),
        # The account answers.
        (LastSeen("UNAVAILABLE", NOW, 0, "EUW1_1"), seen(), AccountStatus.ACTIVE),
        (LastSeen("NOT_FOUND_ONCE"), seen(), AccountStatus.ACTIVE),
        (RANKED, seen(summoner=None), AccountStatus.SUMMONER_MISSING),
        (RANKED, seen(platform="eun1"), AccountStatus.TRANSFERRED),
        (
            RANKED,
            seen(account={"puuid": "p", "gameName": "Other", "tagLine": "EUW"}),
            AccountStatus.RENAMED,
        ),
        (
            RANKED,
            seen(newest_at=NOW - timedelta(days=INACTIVE_AFTER_DAYS + 1)),
            AccountStatus.INACTIVE,
        ),
        (RANKED, seen(newest=None, newest_at=None), AccountStatus.INACTIVE),
        (
            RANKED,
            seen(newest=None, newest_at=None, summoner={"summonerLevel": 125}),
            AccountStatus.ACTIVE,  # no game listed, but the level rose: played since
        ),
        (RANKED, seen(account=None), AccountStatus.ACTIVE),  # summoner-v4 answers
    ],
)
def test_status_follows_the_evidence(
    last: LastSeen, observation: Observation, status: AccountStatus
) -> None:
    """Each combination of evidence and history gives the status the rules name."""
    assert conclude(last, observation, "Name#EUW", NOW).status is status


def test_evidence_flags_compare_with_the_last_look() -> None:
    """Ranked entries gone, history frozen and level unchanged are judged against before."""
    verdict = conclude(RANKED, seen(entries=0), "Name#EUW", NOW)
    assert (verdict.ranked_entries_gone, verdict.history_frozen, verdict.level_unchanged) == (
        True,
        True,
        True,
    )
    moved = conclude(RANKED, seen(newest="EUW1_2", summoner={"summonerLevel": 121}), None, NOW)
    assert (moved.ranked_entries_gone, moved.history_frozen, moved.level_unchanged) == (
        False,
        False,
        False,
    )


def test_unknown_evidence_is_neither_true_nor_false() -> None:
    """Without a previous look (or without an answer now) the flags stay unknown."""
    verdict = conclude(LastSeen(), seen(**GONE), None, NOW)
    assert (verdict.ranked_entries_gone, verdict.history_frozen, verdict.level_unchanged) == (
        None,
        None,
        None,
    )


def test_reasons_say_what_was_seen_and_why() -> None:
    """The reasons name the 404s, the vanished footprint and the rule applied."""
    verdict = conclude(RANKED, seen(**GONE), "Name#EUW", NOW)
    assert verdict.reasons == (
        "account-v1 404",
        "summoner-v4 404 on euw1",
        "ranked entries gone",
        "no game since the last look",
        "404 with ranked entries gone and no game since: corroborated",
    )
    back = conclude(LastSeen("UNAVAILABLE", NOW, 0, "EUW1_1"), seen(), "Name#EUW", NOW)
    assert "answers again after UNAVAILABLE" in back.reasons


def test_a_first_check_compares_with_what_was_stored_and_says_so() -> None:
    """Never checked before, the account is compared with the crawl's newest stored game and
    stored level, and the reasons say that rather than naming a look that never happened."""
    stored = LastSeen(None, None, 1, "EUW1_1", RECENT - timedelta(days=1), 120)
    verdict = conclude(stored, seen(newest="EUW1_2"), "Name#EUW", NOW)
    assert verdict.reasons == (
        "games played after the newest stored one (2026-11-17), the newest on 2026-11-18",
        "summoner level as stored",
    )
    again = conclude(RANKED, seen(newest="EUW1_2", newest_at=NOW), "Name#EUW", NOW)
    assert again.reasons == (
        "games played after the newest seen at the last look (2026-11-18), the newest on"
        " 2026-11-20",
        "summoner level unchanged",
    )
    undated = conclude(
        LastSeen(None, None, 1, "EUW1_1"), seen(newest="EUW1_2", newest_at=None), "Name#EUW", NOW
    )
    assert undated.reasons[0] == "games played after the newest stored one"


def test_an_inactive_account_names_the_day_of_its_newest_game() -> None:
    """A game the crawl had not stored may still be old: the reasons give the day of the
    newest stored game and of the newest listed, so that the games played after the one and
    "no game in the last 30 days" read as one story, not as new games and none at once (the
    top suspect of the demo read "new games since the newest stored game; ...; no game in
    the last 30 days (the newest on 2026-10-20)")."""
    old = NOW - timedelta(days=INACTIVE_AFTER_DAYS + 20)
    stored = LastSeen(None, None, 1, "EUW1_1", old - timedelta(days=3), 120)
    verdict = conclude(stored, seen(newest="EUW1_2", newest_at=old), "Name#EUW", NOW)
    assert verdict.status == AccountStatus.INACTIVE
    assert verdict.reasons == (
        "games played after the newest stored one (2026-09-28), the newest on 2026-10-01",
        "summoner level as stored",
        f"no game in the last {INACTIVE_AFTER_DAYS} days",
    )
    assert not any("new games" in reason for reason in verdict.reasons)
    # No game since the newest stored one: that one is old, and dated where it is said.
    frozen = conclude(
        stored, seen(newest="EUW1_1", newest_at=stored.newest_match_at), "Name#EUW", NOW
    )
    assert frozen.reasons == (
        "no game since the newest stored game",
        "summoner level as stored",
        f"no game in the last {INACTIVE_AFTER_DAYS} days (the newest on 2026-09-28)",
    )
    never = conclude(RANKED, seen(newest=None, newest_at=None), "Name#EUW", NOW)
    assert f"no game in the last {INACTIVE_AFTER_DAYS} days" in never.reasons


def test_a_rename_is_flagged_whatever_the_status() -> None:
    """A transferred account that also changed its Riot ID is TRANSFERRED and renamed."""
    other = {"puuid": "p", "gameName": "New", "tagLine": "NA1"}
    verdict = conclude(RANKED, seen(account=other, platform="na1"), "Name#EUW", NOW)
    assert (verdict.status, verdict.renamed) == (AccountStatus.TRANSFERRED, True)
