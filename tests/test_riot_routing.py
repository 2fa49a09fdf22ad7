"""Routing: platforms to regional routes, account-v1 routes, match ids to platforms."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.riot import (
    PLATFORMS,
    REGIONS,
    InvalidRequestError,
    UnknownPlatformError,
    account_region_of,
    platform_of_match,
    region_of,
)
from tests.conftest import SHARED_DIR

ROUTES_TABLE = SHARED_DIR / "riot" / "routesTable.json"


@pytest.mark.parametrize(
    ("platform", "region", "account_region"),
    [
        ("na1", "americas", "americas"),
        ("br1", "americas", "americas"),
        ("la1", "americas", "americas"),
        ("la2", "americas", "americas"),
        ("euw1", "europe", "europe"),
        ("eun1", "europe", "europe"),
        ("tr1", "europe", "europe"),
        ("ru", "europe", "europe"),
        ("me1", "europe", "europe"),
        ("kr", "asia", "asia"),
        ("jp1", "asia", "asia"),
        ("oc1", "sea", "asia"),
        ("sg2", "sea", "asia"),
        ("tw2", "sea", "asia"),
        ("vn2", "sea", "asia"),
    ],
)
def test_platform_routes(platform: str, region: str, account_region: str) -> None:
    """Each platform maps to its match-v5 region and to an account-v1 region that serves it."""
    assert (region, account_region) == (region_of(platform), account_region_of(platform))


def test_every_platform_is_listed_once() -> None:
    """The public platform list holds exactly the fifteen League platforms."""
    expected = {"na1", "br1", "la1", "la2", "euw1", "eun1", "tr1", "ru", "me1"}
    expected |= {"kr", "jp1", "oc1", "sg2", "tw2", "vn2"}
    assert expected == set(PLATFORMS)
    assert len(PLATFORMS) == len(set(PLATFORMS))


@pytest.mark.skipif(not ROUTES_TABLE.is_file(), reason="../shared/riot is not present")
def test_routes_agree_with_riots_route_table() -> None:
    """Every platform routes to the region Riot's own route table gives it."""
    table = json.loads(ROUTES_TABLE.read_text())["platform"]
    assert {p: table[p]["regionalRoute"] for p in PLATFORMS} == {p: region_of(p) for p in PLATFORMS}


def test_platform_spelling_is_forgiving() -> None:
    """Platforms are accepted in any case and with surrounding spaces."""
    assert region_of(" EUW1 ") == "europe"


@pytest.mark.parametrize("platform", ["euw", "na", "", "americas", "pbe1", "th2"])
def test_unknown_platform_names_the_valid_ones(platform: str) -> None:
    """An unknown platform raises an error listing every valid platform."""
    with pytest.raises(UnknownPlatformError) as caught:
        region_of(platform)
    assert all(p in str(caught.value) for p in PLATFORMS)


@pytest.mark.parametrize(
    ("match_id", "platform"),
    [("EUW1_7345123456", "euw1"), ("KR_123", "kr"), ("OC1_9", "oc1"), ("na1_5", "na1")],
)
def test_match_id_prefix_gives_platform(match_id: str, platform: str) -> None:
    """A match id's prefix names the platform it was played on."""
    assert platform == platform_of_match(match_id)


@pytest.mark.parametrize("match_id", ["7345123456", "EUW1_", "_123", "", "EUW1-123"])
def test_malformed_match_ids_are_refused(match_id: str) -> None:
    """A match id without a PLATFORM_NUMBER shape raises before anything is sent."""
    with pytest.raises(InvalidRequestError):
        platform_of_match(match_id)


def test_unknown_match_prefix_is_an_unknown_platform() -> None:
    """A match id from a platform no route serves raises UnknownPlatformError."""
    with pytest.raises(UnknownPlatformError):
        platform_of_match("XX9_123")


@given(st.sampled_from(PLATFORMS), st.integers(min_value=0, max_value=10**12))
def test_match_ids_round_trip(platform: str, number: int) -> None:
    """Any platform's match id routes to that platform's region."""
    match_id = f"{platform.upper()}_{number}"
    assert region_of(platform) == region_of(platform_of_match(match_id))
    assert region_of(platform) in REGIONS
