"""The page's JSON API under `/web/api/`: the house as the session's user may see it, actions and the mode.

Every route needs a session (401 NotLoggedIn); a write (POST) needs the session's CSRF token and
a same-origin browser (403 CrossSiteRefused), then its body, read up to `max_body_bytes` (413)
and decoded into the route's struct (400 BadRequest). Each call goes to the core with the
session's principal: what a user sees, and whether it may act or switch the mode, is decided there
(a user without ControlThings is refused with 403 PermissionDenied; a thing it may not see is
404 ThingNotFound, as an unknown one). Answers are JSON and never kept by a cache.

    GET  /web/api/session                  who is logged in, the CSRF token, mayControl, maySwitchMode
    GET  /web/api/house                    session, mode, rooms, classes and things in one answer
    GET  /web/api/things                   the things the user sees (by room, then name)
    GET  /web/api/things/{thingId}         one of them
    GET  /web/api/classes                  the classes of those things
    GET  /web/api/rooms                    their rooms
    POST /web/api/things/{thingId}/actions/{actionTypeId}   {"params": {paramTypeId: value}}
    GET  /web/api/mode                     the house modes and the current one
    POST /web/api/mode                     {"mode": "2"}: switch it
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from thinggate.api.web.body import decode_json, read_body
from thinggate.api.web.csrf import WRITES
from thinggate.api.web.door import Handler, WebDoor
from thinggate.api.web.errors import WebProblem, for_failure
from thinggate.api.web.login import session_answer
from thinggate.api.web.session import Session
from thinggate.api.web.views import class_view, modes_view, rooms_of, thing_view
from thinggate.core.model import Thing
from thinggate.core.modes import may_switch
from thinggate.core.values import parse_uuid

_encode = msgspec.json.Encoder().encode


class ActionBody(msgspec.Struct, forbid_unknown_fields=True):
    """An action's params by param type id (the core checks them against the action type)."""

    params: dict[str, Any] = msgspec.field(default_factory=dict)


class ModeBody(msgspec.Struct, forbid_unknown_fields=True):
    """The house mode to switch to, by id."""

    mode: str


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
            Route("GET", "house", self.house),
            Route("GET", "things", self.things),
            Route("GET", "things/{thingId}", self.thing),
            Route("GET", "classes", self.classes),
            Route("GET", "rooms", self.rooms),
            Route("POST", "things/{thingId}/actions/{actionTypeId}", self.execute, ActionBody),
            Route("GET", "mode", self.mode),
            Route("POST", "mode", self.switch_mode, ModeBody),
        ]

    def add(self, routes: list[Route]) -> None:
        """More rows for the table: a page's own API module (history.py, admin/...) gives its routes here."""
        self.routes.extend(routes)

    def handlers(self) -> dict[str, Handler]:
        """Everything under /web/api/ (unknown paths and methods answered in the door's JSON), named as in paths.py."""
        return {"api": self.door.answered(self.dispatch)}

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

    def _visible(self, call: Call) -> list[Thing]:
        things = self.door.hub.visible_things(call.session.principal)
        return sorted(things, key=lambda thing: (thing.room, thing.name.lower(), str(thing.id)))

    async def session(self, call: Call) -> dict[str, Any]:
        """The session: user, CSRF token and what the user may do."""
        return session_answer(self.door, call.session)

    async def house(self, call: Call) -> dict[str, Any]:
        """Everything the page paints, in one answer (read again whenever its live channel reconnects)."""
        things = self._visible(call)
        classes = {thing.thing_class.id: thing.thing_class for thing in things}
        return {
            "session": session_answer(self.door, call.session),
            "mode": self._modes(call),
            "rooms": rooms_of(things),
            "classes": [class_view(thing_class) for thing_class in classes.values()],
            "things": [thing_view(thing) for thing in things],
        }

    async def things(self, call: Call) -> list[dict[str, Any]]:
        """The things the user sees."""
        return [thing_view(thing) for thing in self._visible(call)]

    async def thing(self, call: Call) -> dict[str, Any]:
        """One thing the user sees (404 ThingNotFound for one it may not see, as for an unknown one)."""
        thing_id = call.values["thingId"]
        thing = self.door.hub.visible_thing(call.session.principal, parse_uuid(thing_id))
        if thing is None:
            raise WebProblem(404, "ThingNotFound", f"no thing with id {thing_id}")
        return thing_view(thing)

    async def classes(self, call: Call) -> list[dict[str, Any]]:
        """The classes of the things the user sees."""
        classes = {thing.thing_class.id: thing.thing_class for thing in self._visible(call)}
        return [class_view(thing_class) for thing_class in classes.values()]

    async def rooms(self, call: Call) -> list[str]:
        """The rooms of the things the user sees."""
        return rooms_of(self._visible(call))

    def _modes(self, call: Call) -> dict[str, Any]:
        return {**modes_view(self.door.modes), "maySwitch": may_switch(call.session.principal)}

    async def mode(self, call: Call) -> dict[str, Any]:
        """The house modes, the current one, and whether the user may switch it."""
        return self._modes(call)

    # -- writes ----------------------------------------------------------------------------------

    async def execute(self, call: Call) -> dict[str, Any]:
        """Run an action of a thing as the session's user (the core verifies rights and params)."""
        body: ActionBody = call.body
        result = await self.door.hub.execute_action(
            call.session.principal, call.values["thingId"], call.values["actionTypeId"], list(body.params.items())
        )
        if result.failure is not None:
            raise for_failure(result.failure)
        return {}

    async def switch_mode(self, call: Call) -> dict[str, Any]:
        """Switch the house mode as the session's user (the core decides who may)."""
        body: ModeBody = call.body
        modes = self.door.modes
        await modes.switch(call.session.principal, modes.find(mode_id=body.mode))
        return self._modes(call)
