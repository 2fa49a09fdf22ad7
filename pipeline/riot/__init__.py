"""Riot API access: routing, a process-wide proactive rate limiter, an async client.

The public surface is what ``__all__`` lists; the modules behind it are private.
"""

from pipeline.riot.client import DEFAULT_BASE_URL, RiotClient
from pipeline.riot.errors import (
    AuthenticationError,
    BadRequestError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RiotAPIError,
    RiotTransportError,
    RiotUnavailableError,
    ServiceUnavailableError,
    UnconfirmedNotFoundError,
    UnexpectedResponseError,
    UnknownPlatformError,
)
from pipeline.riot.limiter import RateLimiter
from pipeline.riot.routing import (
    PLATFORMS,
    REGIONS,
    account_region_of,
    platform_of_match,
    region_of,
)
from pipeline.riot.types import (
    AccountDto,
    AccountRegionDto,
    LeagueEntryDto,
    MatchDto,
    MatchInfoDto,
    MatchMetadataDto,
    ParticipantDto,
    SummonerDto,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "PLATFORMS",
    "REGIONS",
    "AccountDto",
    "AccountRegionDto",
    "AuthenticationError",
    "BadRequestError",
    "ForbiddenError",
    "InvalidRequestError",
    "LeagueEntryDto",
    "MatchDto",
    "MatchInfoDto",
    "MatchMetadataDto",
    "NotFoundError",
    "ParticipantDto",
    "RateLimitError",
    "RateLimiter",
    "RiotAPIError",
    "RiotClient",
    "RiotTransportError",
    "RiotUnavailableError",
    "ServiceUnavailableError",
    "SummonerDto",
    "UnconfirmedNotFoundError",
    "UnexpectedResponseError",
    "UnknownPlatformError",
    "account_region_of",
    "platform_of_match",
    "region_of",
]
