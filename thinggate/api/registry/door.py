"""The registry door: Managed IoT Cloud's REST API on the shared HTTP application, as one routing table.

`/manifest` (and `/manifest/`) tell MIC's SDKs where the stack is; every other route is under
`/<stack_name>/` and needs the `x-api-key` header (403 INVALID_API_KEY without a known key),
except `metadata/manifest`, which hands the published key out. A route marked authenticated
needs a login's token in `Authorization` (raw, or after `Bearer `; 401 NOT_AUTHENTICATED).
A body is read up to `max_body_bytes` (413 past it) and decoded into the route's struct before
its handler runs. Every success is HTTP 200 `application/json`; every refusal is the error model
of `errors.py`, unknown paths (404 ROUTE_NOT_FOUND) and methods (405 METHOD_NOT_ALLOWED) included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web
from multidict import MultiMapping

from thinggate.api.guard import ConnectionGuard
from thinggate.api.registry.errors import RegistryProblem, error_response, invalid, required
from thinggate.api.registry.keys import ApiKeys
from thinggate.api.registry.lifecycle import LifecyclePublisher
from thinggate.api.registry.settings import RegistryConfig
from thinggate.api.registry.structs import Manifest, MetadataManifest
from thinggate.api.registry.tokens import RegistryTokens
from thinggate.core.registry import Directory, LifecycleEvents, RegistryFailure, ThingTypes
from thinggate.core.security import LoginLimiter, Principal, SecurityManager

_LOG = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode
_PRUNE_SECONDS = 3600.0
_PATH_IN_MESSAGE = re.compile(r"at `\$\.?([^`]*)`")


@dataclass(slots=True)
class Call:
    """One request as a handler sees it: who asks, the path's values, the query and the decoded body."""

    request: web.Request
    principal: Principal | None
    login_id: uuid.UUID | None
    params: dict[str, str]
    query: MultiMapping[str]
    body: Any

    @property
    def who(self) -> Principal:
        """The caller of an authenticated route."""
        assert self.principal is not None
        return self.principal


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Route:
    """One row of the table: method, path below the stack (`{name}` a value), handler, body struct."""

    method: str
    path: str
    handler: Handler
    body: type[Any] | None = None
    authenticated: bool = True
    api_key: bool = True
    segments: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.path.strip("/").split("/")) if self.path != "/" else ("",))

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """The path's values if the parts are this route's path, else None."""
        if len(parts) != len(self.segments):
            return None
        values: dict[str, str] = {}
        for segment, part in zip(self.segments, parts, strict=True):
            if segment.startswith("{"):
                values[segment[1:-1]] = part
            elif segment != part:
                return None
        return values


def answer(value: Any) -> web.Response:
    """A success: exactly 200 with `Content-Type: application/json`."""
    return web.Response(status=200, body=_encode(value), content_type="application/json")


class RegistryDoor:
    """The registry door's routes on the shared HTTP application."""

    def __init__(
        self,
        *,
        settings: RegistryConfig,
        security: SecurityManager,
        directory: Directory,
        thing_types: ThingTypes,
        keys: ApiKeys,
        tokens: RegistryTokens,
        limiter: LoginLimiter,
        guard: ConnectionGuard,
        version: str,
    ) -> None:
        self.settings = settings
        self.security = security
        self.directory = directory
        self.thing_types = thing_types
        self.keys = keys
        self.tokens = tokens
        self.limiter = limiter
        self.guard = guard
        self.version = version
        self.routes: list[Route] = []
        self.publisher: LifecyclePublisher | None = None
        """Publishes lifecycle events to the `[mqtt]` broker (None without one)."""
        self._pruning: asyncio.Task[None] | None = None

    @property
    def connection_count(self) -> int:
        """None of its own: the door's clients are the shared HTTP site's connections."""
        return 0

    async def stop(self) -> None:
        """Stop publishing and pruning events (the HTTP site stops its connections)."""
        if self.publisher is not None:
            await self.publisher.stop()
        task, self._pruning = self._pruning, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def start_pruning(self, events: LifecycleEvents) -> None:
        """Delete events older than `event_retention_days` now and every hour."""

        async def prune() -> None:
            while True:
                try:
                    pruned = await events.prune(self.settings.event_retention_days)
                    if pruned:
                        _LOG.info("registry: %d lifecycle event(s) past their retention deleted", pruned)
                except Exception:
                    _LOG.warning("registry: could not prune lifecycle events", exc_info=True)
                await asyncio.sleep(_PRUNE_SECONDS)

        self._pruning = asyncio.create_task(prune(), name="lifecycle-pruning")

    def add_routes(self, app: web.Application, routes: list[Route]) -> None:
        """Serve the table under `/<stack_name>/`, and `/manifest`, on the application."""
        self.routes = routes
        app.router.add_get("/manifest", self.manifest)
        app.router.add_get("/manifest/", self.manifest)
        stack = self.settings.stack_name
        app.router.add_route("*", f"/{stack}", self.dispatch)
        app.router.add_route("*", f"/{stack}/{{tail:.*}}", self.dispatch)

    # -- discovery -------------------------------------------------------------------------

    def origin(self, request: web.Request) -> str:
        """This server's origin as the client reached it (or `public_url`)."""
        return self.settings.public_url or f"{request.scheme}://{request.host}"

    async def manifest(self, request: web.Request) -> web.Response:
        """`GET /manifest?hostname=...`: where the stack is (one stack: the hostname is not needed)."""
        return answer(
            Manifest(ApiGatewayRootUrl=self.origin(request), StackName=self.settings.stack_name, Rev=self.version)
        )

    async def metadata_manifest(self, call: Call) -> MetadataManifest:
        """`GET /<stack>/metadata/manifest`: the published API key."""
        return MetadataManifest(ApiKey=self.keys.published, StackName=self.settings.stack_name)

    # -- dispatch --------------------------------------------------------------------------

    async def dispatch(self, request: web.Request) -> web.Response:
        """Find the route, check key and token, decode the body, run the handler; answer in the error model."""
        try:
            return answer(await self._dispatch(request))
        except RegistryProblem as problem:
            return error_response(problem)
        except RegistryFailure as failure:
            return error_response(RegistryProblem.of(failure))
        except Exception:
            _LOG.exception("registry: %s %s failed", request.method, request.match_info.get("tail", ""))
            return error_response(RegistryProblem("INTERNAL_ERROR", "internal error"))

    async def _dispatch(self, request: web.Request) -> Any:
        parts = request.match_info.get("tail", "").split("/")
        found = [(route, values) for route in self.routes if (values := route.match(parts)) is not None]
        found.sort(key=lambda match: len(match[1]))  # a literal segment wins: /domains/list before /domains/{id}
        exact = next(((route, values) for route, values in found if route.method == request.method), None)
        if exact is None and request.method == "HEAD":
            exact = next(((route, values) for route, values in found if route.method == "GET"), None)
        if exact is None or exact[0].api_key:
            # The key first, as MIC's gateway checks it: without one, not even the route is told.
            if not self.keys.accepts(request.headers.get("x-api-key")):
                raise RegistryProblem("INVALID_API_KEY", "a known API key is required in the x-api-key header")
        if exact is None:
            if found:
                allowed = ", ".join(sorted({route.method for route, _ in found}))
                raise RegistryProblem(
                    "METHOD_NOT_ALLOWED",
                    f"{request.method} is not served here; use {allowed}",
                    params={"allowed": allowed},
                    headers={"Allow": allowed},
                )
            raise RegistryProblem("ROUTE_NOT_FOUND", f"no route {request.method} /{'/'.join(parts)}")
        route, values = exact
        principal, login_id = None, None
        if route.authenticated:
            principal, login_id = await self._caller(request)
        body = await self._body(request, route.body) if route.body is not None else None
        return await route.handler(Call(request, principal, login_id, values, request.query, body))

    async def _caller(self, request: web.Request) -> tuple[Principal, uuid.UUID]:
        token = request.headers.get("Authorization", "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        found = await self.tokens.principal(token) if token else None
        if found is None:
            raise RegistryProblem("NOT_AUTHENTICATED", "a valid token is required in the Authorization header")
        self.guard.authenticated(request.transport)
        return found

    async def _body(self, request: web.Request, struct: type[Any]) -> Any:
        limit = self.settings.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise _too_large(limit)
        raw = bytearray()
        while chunk := await request.content.read(limit + 1 - len(raw)):
            raw += chunk
            if len(raw) > limit:
                raise _too_large(limit)
        try:
            return msgspec.json.decode(bytes(raw) or b"{}", type=struct)
        except msgspec.ValidationError as exc:
            where = _PATH_IN_MESSAGE.search(str(exc))
            raise invalid(where.group(1) or None if where else None, str(exc)) from None
        except msgspec.DecodeError:
            raise invalid(None, "the body is not valid JSON") from None

    # -- shared by handlers ------------------------------------------------------------------

    def peer(self, request: web.Request) -> str:
        """The client's address, as the login limiter counts it."""
        return request.remote or "unknown"

    def throttled(self, wait: float, reason: str) -> RegistryProblem:
        """429 with Retry-After for a peer locked out of logging in."""
        seconds = max(1, math.ceil(wait))
        return RegistryProblem(
            "TOO_MANY_REQUESTS",
            f"{reason}; try again in {seconds} s",
            params={"retryAfter": seconds},
            headers={"Retry-After": str(seconds)},
        )


def _too_large(limit: int) -> RegistryProblem:
    return RegistryProblem("PAYLOAD_TOO_LARGE", f"the body is larger than {limit} bytes", params={"maxBytes": limit})


def required_text(value: Any, property: str) -> str:
    """A required string property: PROPERTY_REQUIRED when left out or empty."""
    if value is msgspec.UNSET or value is None or value == "":
        raise required(property)
    assert isinstance(value, str)
    return value


def given(value: Any, default: Any = None) -> Any:
    """A property's value, or the default when it was left out."""
    return default if value is msgspec.UNSET else value


def query_int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within bounds (INVALID_ARGUMENTS otherwise)."""
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise invalid(name, f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise invalid(name, f"{name} must be between {low} and {high}")
    return value
