"""The page's JSON API under `/web/api/`: the house as the session's user may see it, actions and the mode.

Every route needs a session (401 NotLoggedIn); a write (POST) needs the session's CSRF token and
a same-origin browser (403 CrossSiteRefused), then its body, read up to `max_body_bytes` (413)
and decoded into the route's struct (400 BadRequest). Each call goes to the core with the
session's principal: what a user sees, and whether it may act or switch the mode, is decided there
(a user without ControlThings is refused with 403 PermissionDenied; a thing it may not see is
404 ThingNotFound, as an unknown one). Answers are JSON and never kept by a cache.

    GET  /web/api/session                  who is logged in, the CSRF token, mayControl, maySwitchMode
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from thinggate.api.web.body import decode_json, read_body
from thinggate.api.web.csrf import WRITES
from thinggate.api.web.door import WebDoor
from thinggate.api.web.errors import WebProblem
from thinggate.api.web.login import session_answer
from thinggate.api.web.session import Session

PREFIX = "/web/api/"

_encode = msgspec.json.Encoder().encode


@dataclass(slots=True)
class Call:
    """One API request as a handler sees it: its session, the path's values and the decoded body."""

    request: web.Request
    session: Session
    values: dict[str, str]
    body: Any


@dataclass(frozen=True, slots=True)
class Route:
    """One row of the API: method, path below /web/api/ (`{name}` segments are values), handler and body."""

    method: str
    path: str
    handler: Callable[[Call], Awaitable[Any]]
    body: type[Any] | None = None
    segments: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.path.split("/")))

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """The path's values when the parts are this route's path, else None."""
        if len(parts) != len(self.segments):
            return None
        values: dict[str, str] = {}
        for segment, part in zip(self.segments, parts, strict=True):
            if segment.startswith("{"):
                values[segment[1:-1]] = part
            elif segment != part:
                return None
        return values


class WebApi:
    """The routes of the page's JSON API."""

    def __init__(self, door: WebDoor) -> None:
        self.door = door
        self.routes = [
            Route("GET", "session", self.session),
        ]

    def add_routes(self, app: web.Application) -> None:
        """Everything under /web/api/ (unknown paths and methods answered in the door's JSON)."""
        # [\s\S]: a path may hold a newline (%0A), and it is still this door's to answer.
        app.router.add_route("*", PREFIX + "{tail:[\\s\\S]*}", self.door.answered(self.dispatch))

    async def dispatch(self, request: web.Request) -> web.Response:
        """Session first, then the route, the write's checks, the body, the handler."""
        door = self.door
        session = door.logged_in(request)  # nothing of the API, not even its paths, for anyone else
        parts = request.match_info["tail"].split("/")
        found = [(route, values) for route in self.routes if (values := route.match(parts)) is not None]
        method = "GET" if request.method == "HEAD" else request.method
        exact = next(((route, values) for route, values in found if route.method == method), None)
        if exact is None:
            if found:
                allowed = ", ".join(sorted({route.method for route, _ in found}))
                raise WebProblem.of(
                    "MethodNotAllowed",
                    f"{request.method} is not served here; use {allowed}",
                    headers={"Allow": allowed},
                )
            raise WebProblem.of("NotFound", f"no route {request.method} {request.path}")
        route, values = exact
        if request.method in WRITES:
            door.check_write(request, session)
        body = None
        if route.body is not None:
            body = decode_json(await read_body(request, door.settings.max_body_bytes), route.body)
        result = await route.handler(Call(request, session, values, body))
        return web.Response(
            body=_encode(result), content_type="application/json", headers={"Cache-Control": "no-store"}
        )

    # -- reads -----------------------------------------------------------------------------------

    async def session(self, call: Call) -> dict[str, Any]:
        """The session: user, CSRF token and what the user may do."""
        return session_answer(self.door, call.session)
