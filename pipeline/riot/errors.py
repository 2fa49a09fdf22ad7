"""Errors of the Riot API client::

    RiotAPIError                    any failure talking to the Riot API
    ├── BadRequestError             400: the API rejected the request's parameters
    │   └── InvalidRequestError     an argument the API would reject, caught before sending
    │       └── UnknownPlatformError  a platform or match-id prefix the API does not serve
    ├── AuthenticationError         401: no API key was sent
    ├── ForbiddenError              403: the key is wrong, expired or lacks access
    ├── NotFoundError               404: no such player or match on that route
    ├── RateLimitError              429 after retries, or waiting would exceed the call's budget
    ├── ServiceUnavailableError     5xx after retries
    ├── UnexpectedResponseError     another status, or a body that is not the JSON expected
    │   └── UnconfirmedNotFoundError  404 before any request of a job's run succeeded
    ├── RiotTransportError          connection failures and timeouts after retries
    └── RiotUnavailableError        a job's calls failed so many times in a row that it stops

Every error carries ``method`` (the endpoint name, e.g. ``match-v5.getMatch``), ``path``
(the URL path, which never holds the key: the key travels in a header) and ``status_code``
(``None`` when no response was received). Messages are whole sentences telling the user
what to do.
"""

from __future__ import annotations

from pipeline.errors import SmurfError


class RiotAPIError(SmurfError):
    """Base class of every Riot API failure.

    ``stops_the_run``: a job's run ends at this error instead of skipping the player or
    match it was fetching (every other request would fail the same way).
    """

    status_code: int | None = None
    stops_the_run: bool = False

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.method = method
        self.path = path
        if status_code is not None:
            self.status_code = status_code
        super().__init__(message)


class BadRequestError(RiotAPIError):
    """The API answered 400: a parameter has a value it does not accept."""

    status_code: int | None = 400


class InvalidRequestError(BadRequestError):
    """An argument the API would reject; raised before anything is sent."""

    status_code: int | None = None


class UnknownPlatformError(InvalidRequestError):
    """A platform (or match-id prefix) that no Riot route serves."""

    def __init__(self, platform: str, valid: list[str]) -> None:
        self.platform = platform
        self.valid = valid
        super().__init__(
            f"Unknown platform {platform!r}: use one of {', '.join(valid)}.",
        )


class AuthenticationError(RiotAPIError):
    """The API answered 401: the request carried no API key."""

    status_code: int | None = 401
    stops_the_run = True


class ForbiddenError(RiotAPIError):
    """The API answered 403: the key is invalid, expired or not allowed this endpoint."""

    status_code: int | None = 403
    stops_the_run = True


class NotFoundError(RiotAPIError):
    """The API answered 404: the player or match does not exist on that route."""

    status_code: int | None = 404


class RateLimitError(RiotAPIError):
    """Rate limited: a 429 survived the retries, or waiting would exceed the call's budget.

    ``retry_after_s`` is how long to wait before the request can succeed; ``limit_type`` is
    ``application``, ``method``, ``service`` or whatever the API reported.
    """

    status_code: int | None = 429

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None,
        limit_type: str | None,
        method: str | None = None,
        path: str | None = None,
        status_code: int | None = 429,
    ) -> None:
        self.retry_after_s = retry_after_s
        self.limit_type = limit_type
        super().__init__(message, method=method, path=path)
        self.status_code = status_code


class ServiceUnavailableError(RiotAPIError):
    """The API kept answering 5xx through every retry."""


class UnexpectedResponseError(RiotAPIError):
    """A status the client has no meaning for, or a body that is not the expected JSON."""


class UnconfirmedNotFoundError(UnexpectedResponseError):
    """A 404 that a job's client does not take to mean "gone": nothing had succeeded yet.

    Behind a wrong RIOT_API_BASE (an extra path, a proxy's prefix) every request answers
    404, which would read as every account and match gone. Until one request of the run has
    succeeded, a 404 is a failure of that player or match, asked again at the next run.
    """

    status_code: int | None = 404


class RiotTransportError(RiotAPIError):
    """No response: the connection failed or timed out through every retry."""


class RiotUnavailableError(RiotAPIError):
    """A job's calls failed (5xx, timeouts, unreadable answers) so many times in a row,
    each after its retries, that the run stops rather than try every remaining player."""

    stops_the_run = True
