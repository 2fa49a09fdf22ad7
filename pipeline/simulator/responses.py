"""Riot-shaped JSON responses and the faults the simulator can inject."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

RIOT_ERROR_MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Data not found",
    429: "Rate limit exceeded",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def riot_error(status_code: int, detail: str | None = None) -> JSONResponse:
    """An error body as Riot sends it: {"status": {"message", "status_code"}}."""
    message = RIOT_ERROR_MESSAGES.get(status_code, "Error")
    if detail:
        message = f"{message} - {detail}"
    return JSONResponse(
        {"status": {"message": message, "status_code": status_code}}, status_code=status_code
    )


def ok(body: Any) -> JSONResponse:
    """A 200 with a JSON body."""
    return JSONResponse(body)


def malformed() -> Response:
    """A 200 whose JSON body is cut off half-way."""
    return Response(b'{"metadata": {"dataVersion": "2", "matchId": ', media_type="application/json")


class DroppedConnection(Response):
    """Starts a response, sends part of the body, then hangs up."""

    def __init__(self) -> None:
        super().__init__(status_code=200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"metadata": {', "more_body": True})
        # Returning before the body is complete makes the server close the connection.
