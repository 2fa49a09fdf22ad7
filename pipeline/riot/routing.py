"""Which route host serves a request.

League platforms (``euw1``, ``kr``, ...) serve summoner-v4 and league-v4; regional routes
(``americas``, ``europe``, ``asia``, ``sea``) serve match-v5 and account-v1. account-v1 is
served only by americas, asia and europe: the sea platforms use asia for it. Match ids carry
their platform in upper case (``EUW1_7345123456``), so a match routes itself.
"""

from __future__ import annotations

from types import MappingProxyType

from pipeline.riot.errors import InvalidRequestError, UnknownPlatformError

# From Riot's route table (routesTable.json), League platforms that are not deprecated.
PLATFORM_REGIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "br1": "americas",
        "la1": "americas",
        "la2": "americas",
        "na1": "americas",
        "eun1": "europe",
        "euw1": "europe",
        "me1": "europe",
        "ru": "europe",
        "tr1": "europe",
        "jp1": "asia",
        "kr": "asia",
        "oc1": "sea",
        "sg2": "sea",
        "tw2": "sea",
        "vn2": "sea",
    }
)
PLATFORMS: tuple[str, ...] = tuple(sorted(PLATFORM_REGIONS))
REGIONS: tuple[str, ...] = ("americas", "asia", "europe", "sea")
ACCOUNT_REGIONS: tuple[str, ...] = ("americas", "asia", "europe")


def normalise_platform(platform: str) -> str:
    """The platform in the API's spelling (lower case), or ``UnknownPlatformError``."""
    key = platform.strip().lower()
    if key not in PLATFORM_REGIONS:
        raise UnknownPlatformError(platform, list(PLATFORMS))
    return key


def region_of(platform: str) -> str:
    """The regional route of a platform, as match-v5 uses it (``oc1`` -> ``sea``)."""
    return PLATFORM_REGIONS[normalise_platform(platform)]


def account_region_of(platform: str) -> str:
    """The regional route that serves account-v1 for a platform (sea platforms use asia)."""
    region = region_of(platform)
    return region if region in ACCOUNT_REGIONS else "asia"


def platform_of_match(match_id: str) -> str:
    """The platform a match id belongs to (``EUW1_123`` -> ``euw1``)."""
    prefix, sep, number = match_id.partition("_")
    if not sep or not prefix or not number:
        raise InvalidRequestError(
            f"Match id {match_id!r} is not of the form PLATFORM_NUMBER, e.g. EUW1_7345123456."
        )
    return normalise_platform(prefix)
