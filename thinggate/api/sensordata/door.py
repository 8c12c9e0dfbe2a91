"""The sensor-data door: iTwin IoT's Sensor Data API on the shared HTTP application, as one routing table.

`/connect/token` issues OAuth2 client-credentials tokens (oauth.py). Every route under
`/sensor-data/` is a row of the table: its method and path, the scope it needs
(`sensor-data:read` or `sensor-data:modify`; `itwin-platform` holds both), the struct its body is
decoded into before the handler runs, the code it answers a body it cannot use with (422) and its
success status. A request needs `Authorization: Bearer <token>` (401 HeaderNotFound without one,
401 InvalidToken for a token that is not the hub's, expired, or whose client or user is gone),
counts against its client's requests per minute (429 TooManyRequests with `retry-after`), and a
body is read up to `max_body_bytes` (413). Every refusal is the iTwin envelope of errors.py,
unknown paths (404) and methods (405) included; a bug is logged and answered 500, never a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web
from multidict import MultiMapping

from thinggate.api.guard import ConnectionGuard
from thinggate.api.http import nested_deeper_than
from thinggate.api.sensordata.clients import grants
from thinggate.api.sensordata.errors import STATUS, SensorDataProblem, error_response
from thinggate.api.sensordata.oauth import Caller, TokenEndpoint
from thinggate.api.sensordata.paths import PREFIX
from thinggate.api.sensordata.ratelimit import ClientRateLimit
from thinggate.api.sensordata.settings import SensorDataConfig

_LOG = logging.getLogger(__name__)

MAX_NESTING = 64
"""How deep a request body's arrays and objects may nest (props included)."""

_encode = msgspec.json.Encoder().encode
_PATH_IN_MESSAGE = re.compile(r"at `\$\.?([^`]*)`")
# A string runs to its closing quote or, unterminated, to the end: the scan is linear whatever the bytes.
# \u0000 escaped in a JSON string (an even run of backslashes before it is text): PostgreSQL keeps no NUL.
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


@dataclass(slots=True)
class Call:
    """One request as a handler sees it: who asks, the query and the decoded body."""

    request: web.Request
    caller: Caller
    query: MultiMapping[str]
    body: Any


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Route:
    """One row of the table: method, path below /sensor-data, handler, needed scope, body struct and answers."""

    method: str
    path: str
    handler: Handler
    scope: str
    body: type[Any] | None = None
    invalid: str = "InvalidProcessIntegrationRequest"
    """The 422 code of a body (or query) the route cannot use."""
    status: int = 200
    summary: str = ""
    errors: tuple[str, ...] = field(default=())
    """Codes the handler answers beyond those the door adds (token, scope, rate, body, 500/503)."""

    def __post_init__(self) -> None:
        unknown = [code for code in (self.invalid, *self.errors) if code not in STATUS]
        assert not unknown, f"{self.method} {self.path}: unknown error codes {unknown}"


def answer(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A success: the status with its JSON body."""
    return web.Response(status=status, body=_encode(value), content_type="application/json", headers=headers)


class SensorDataDoor:
    """The door's routes on the shared HTTP application."""

    def __init__(
        self,
        *,
        settings: SensorDataConfig,
        tokens: TokenEndpoint,
        rate_limit: ClientRateLimit,
        guard: ConnectionGuard,
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self.rate_limit = rate_limit
        self.guard = guard
        self.routes: list[Route] = []
        self.stoppers: list[Callable[[], Awaitable[None]]] = []
        self.reloaders: list[Callable[[], Awaitable[None]]] = []

    @property
    def connection_count(self) -> int:
        """None of its own: the door's clients are the shared HTTP site's connections."""
        return 0

    async def stop(self) -> None:
        """Stop what the door's parts run (the HTTP site stops its connections)."""
        for stop in reversed(self.stoppers):
            await stop()

    async def token(self, request: web.Request) -> web.Response:
        """`/connect/token`: the OAuth token endpoint."""
        return await self.tokens.handle(request)

    async def reload(self) -> None:
        """Read what the command line changes while the hub runs again (OAuth clients)."""
        for reload in self.reloaders:
            await reload()

    async def dispatch(self, request: web.Request) -> web.Response:
        """Find the route, check the token, its scope and the client's rate, decode the body, run the handler."""
        headers: dict[str, str] = {}
        try:
            return await self._dispatch(request, headers)
        except SensorDataProblem as problem:
            problem.headers = {**headers, **problem.headers}
            return error_response(problem)
        except Exception:
            _LOG.exception("sensordata: %s %s failed", request.method, request.path)
            return error_response(SensorDataProblem("InternalServerError", "internal error", headers=headers))

    async def _dispatch(self, request: web.Request, headers: dict[str, str]) -> web.Response:
        path = "/" + request.match_info.get("tail", "")
        found = [route for route in self.routes if route.path == path]
        if not found:
            raise SensorDataProblem("ResourceNotFound", f"no route {request.method} {PREFIX}{path}")
        route = next((route for route in found if route.method == request.method), None)
        if route is None:
            allowed = ", ".join(sorted({route.method for route in found}))
            raise SensorDataProblem(
                "MethodNotAllowed", f"{request.method} is not served here; use {allowed}", headers={"Allow": allowed}
            )
        caller = self._caller(request)
        left, wait = self.rate_limit.take(caller.client.client_id)
        headers["iTwinPlatform-RateLimit-RemainingCalls"] = str(left)
        if wait:
            raise SensorDataProblem(
                "TooManyRequests",
                "More requests were received than the subscription rate-limit allows.",
                headers={"retry-after": str(wait), "iTwinPlatform-RateLimit-Retry-After-Seconds": str(wait)},
            )
        if not grants(caller.scopes, route.scope):
            raise SensorDataProblem(
                "InsufficientPermissions",
                f"the token's scope does not allow this: it needs {route.scope} (or itwin-platform)",
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{route.scope}"'},
            )
        body = await self._body(request, route) if route.body is not None else None
        result = await route.handler(Call(request, caller, request.query, body))
        return answer(result, route.status, headers)

    def _caller(self, request: web.Request) -> Caller:
        header = request.headers.get("Authorization")
        if header is None:
            raise SensorDataProblem(
                "HeaderNotFound",
                "Header Authorization was not found in the request. Access denied.",
                headers={"WWW-Authenticate": 'Bearer realm="thinggate"'},
            )
        scheme, _, token = header.strip().partition(" ")
        caller = self.tokens.caller(token.strip()) if scheme.lower() == "bearer" else None
        if caller is None:
            raise SensorDataProblem(
                "InvalidToken",
                "The access token is missing, malformed, expired or revoked. Access denied.",
                headers={"WWW-Authenticate": 'Bearer realm="thinggate", error="invalid_token"'},
            )
        self.guard.authenticated(request.transport)
        return caller

    async def _body(self, request: web.Request, route: Route) -> Any:
        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise _too_large(limit)
        raw = bytearray()
        while chunk := await request.content.read(limit + 1 - len(raw)):
            raw += chunk
            if len(raw) > limit:
                raise _too_large(limit)
        # Nesting is bounded before anything is decoded: the decoder's depth (and every later
        # reader's) is the interpreter's stack, which a request must not get to choose.
        if raw.count(b"{") + raw.count(b"[") > MAX_NESTING and nested_deeper_than(raw, MAX_NESTING):
            raise SensorDataProblem(route.invalid, f"the body is nested deeper than {MAX_NESTING} levels")
        if b"u0000" in raw and _NUL.search(raw):
            raise SensorDataProblem(route.invalid, "the body holds the character U+0000, which no text is stored with")
        try:
            return msgspec.json.decode(bytes(raw), type=route.body)
        except msgspec.ValidationError as exc:
            where = _PATH_IN_MESSAGE.search(str(exc))
            # msgspec writes a map's value as `[...]`: the target is the map (`values`, `props`).
            target = where.group(1).replace("[...]", "") or None if where else None
            raise SensorDataProblem(route.invalid, str(exc), target=target) from None
        except msgspec.DecodeError:
            raise SensorDataProblem(route.invalid, "the body is not valid JSON") from None


def _too_large(limit: int) -> SensorDataProblem:
    return SensorDataProblem("RequestTooLarge", f"the body is larger than {limit} bytes")


def unreadable_answer(status: int, reason: str) -> web.Response:
    """The envelope for a request the HTTP server could not read (when no other door answers those)."""
    if status == 413:
        code = "RequestTooLarge"
    elif status >= 500:
        code = "InternalServerError"
    else:
        code = "InvalidRequest"  # aiohttp's 400 (or 431 for headers): the request line or head is unreadable
    response = error_response(SensorDataProblem(code, reason))
    response.set_status(status)
    return response
