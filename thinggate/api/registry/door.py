"""The registry door: Managed IoT Cloud's REST API on the shared HTTP application, as one routing table.

`/manifest` (and `/manifest/`) tell MIC's SDKs where the stack is; every other route is under
`/<stack_name>/` and needs the `x-api-key` header (403 INVALID_API_KEY without a known key),
except `metadata/manifest`, which hands the published key out. A route marked authenticated
needs a login's token in `Authorization` (raw, or after `Bearer `; 401 NOT_AUTHENTICATED).
A body is read up to `max_body_bytes` (413 past it) and decoded into the route's struct before
its handler runs. Every success is HTTP 200 `application/json`; every refusal is the error model
of `errors.py`, unknown paths (404 ROUTE_NOT_FOUND) and methods (405 METHOD_NOT_ALLOWED) included.
The route table is also the door's OpenAPI document (openapi.py): each row says what it decodes,
answers, needs and refuses, and `/<stack>/metadata/swagger` and `/openapi.json` serve what they say.
"""

from __future__ import annotations

import logging
import math
import re
import typing
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web
from multidict import MultiMapping

from thinggate.api.guard import ConnectionGuard
from thinggate.api.http import nested_deeper_than
from thinggate.api.registry import openapi
from thinggate.api.registry.errors import STATUS, RegistryProblem, error_response, invalid, required
from thinggate.api.registry.keys import ApiKeys
from thinggate.api.registry.lifecycle import LifecyclePublisher
from thinggate.api.registry.settings import RegistryConfig
from thinggate.api.registry.structs import Manifest, MetadataManifest
from thinggate.api.registry.tokens import RegistryTokens
from thinggate.core.registry import Directory, RegistryFailure, ThingTypes
from thinggate.core.security import LoginLimiter, Principal, SecurityManager

_LOG = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode
_PATH_IN_MESSAGE = re.compile(r"at `\$\.?([^`]*)`")
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")


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
class QueryParam:
    """A query parameter a route reads: its name, what it means, and its JSON Schema for the document."""

    name: str
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    allow_empty: bool = False  # `?label&thingCount`: present without a value

    @classmethod
    def whole(cls, name: str, description: str, *, default: int, low: int, high: int) -> QueryParam:
        """A whole number within bounds; `read` takes it from a query (INVALID_ARGUMENTS outside them)."""
        return cls(name, description, {"type": "integer", "minimum": low, "maximum": high, "default": default})

    def read(self, query: Mapping[str, str]) -> int:
        """This whole-number parameter's value in a query, or its default."""
        schema = self.schema
        return query_int(query, self.name, schema["default"], schema["minimum"], schema["maximum"])


@dataclass(frozen=True, slots=True)
class Route:
    """One row of the table: what it serves, how it answers and what it needs — the door and its document read it.

    `body` is the struct the request body is decoded into before the handler runs; `answer` the
    type of a success (by default the handler's return annotation; `NoReturn` for a route that
    only refuses). `summary`, `rights` and `query` describe the route, and `errors` the message
    keys it answers beyond those the door adds itself (the API key, the token, the body, 500/503).
    The OpenAPI document (openapi.py) is generated from these rows alone.
    """

    method: str
    path: str
    handler: Handler
    body: type[Any] | None = None
    authenticated: bool = True
    api_key: bool = True
    answer: Any = None
    summary: str = ""
    rights: str = ""
    errors: tuple[str, ...] = ()
    query: tuple[QueryParam, ...] = ()
    segments: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.path.strip("/").split("/")) if self.path != "/" else ("",))
        if self.answer is None:
            object.__setattr__(self, "answer", _returns(self.handler))
        unknown = [key for key in self.errors if key not in STATUS]
        assert not unknown, f"{self.method} {self.path}: unknown error keys {unknown}"

    @property
    def path_params(self) -> tuple[str, ...]:
        """The names of the path's values, in order."""
        return tuple(segment[1:-1] for segment in self.segments if segment.startswith("{"))

    @property
    def error_keys(self) -> tuple[str, ...]:
        """Every message key the route can answer: its own and those the door adds, in the table's order."""
        keys: list[str] = []
        if self.api_key:
            keys.append("INVALID_API_KEY")
        if self.authenticated:
            keys.append("NOT_AUTHENTICATED")
        if self.body is not None:
            keys += ["INVALID_ARGUMENTS", "PAYLOAD_TOO_LARGE"]
        if self.query:
            keys.append("INVALID_ARGUMENTS")
        keys += [*self.errors, "INTERNAL_ERROR", "BACKEND_ERROR"]
        return tuple(key for key in STATUS if key in keys)

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


def _returns(handler: Handler) -> Any:
    """A handler's declared answer type (Any when it cannot be resolved)."""
    try:
        hints = typing.get_type_hints(handler)
    except Exception:  # an annotation only importable under TYPE_CHECKING: document it as any JSON
        return Any
    return hints.get("return", Any)  # an `async def` handler is annotated with what it answers


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
        self.top_routes: list[Route] = []
        self._document: dict[str, Any] | None = None

    @property
    def connection_count(self) -> int:
        """None of its own: the door's clients are the shared HTTP site's connections."""
        return 0

    def connections(self) -> dict[str, bool]:
        """The MQTT link lifecycle events are published through (none without a broker), and whether it is up."""
        if self.publisher is None:
            return {}
        return {"mqtt_lifecycle": self.publisher.connected}

    async def stop(self) -> None:
        """Stop publishing events (the HTTP site stops its connections; the factory's pruning stops with it)."""
        if self.publisher is not None:
            await self.publisher.stop()

    async def reload(self) -> None:
        """Read login tokens again (its API keys are read again by the factory's own reloader)."""
        await self.tokens.load()

    def set_routes(self, routes: list[Route]) -> None:
        """The table served under `/<stack_name>/` (`dispatch`), and the discovery routes and the document at
        the top (`dispatch_top`); the factory put both paths on the shared application when the hub started."""
        self.routes = routes
        self.top_routes = [
            Route(
                "GET",
                "/manifest",
                self.manifest,
                authenticated=False,
                api_key=False,
                summary="Where the stack is: its origin and name (MIC's SDKs start here)",
                query=(QueryParam("hostname", "The stack's host name (one stack: not needed)"),),
            ),
            Route(
                "GET",
                "/openapi.json",
                self.openapi,
                authenticated=False,
                api_key=False,
                summary="This OpenAPI 3.1 document (also at /<stack>/metadata/swagger)",
            ),
        ]

    # -- discovery -------------------------------------------------------------------------

    def origin(self, request: web.Request) -> str:
        """This server's origin as the client reached it (or `public_url`)."""
        return self.settings.public_url or f"{request.scheme}://{request.host}"

    async def manifest(self, call: Call) -> Manifest:
        """`GET /manifest?hostname=...`: where the stack is (one stack: the hostname is not needed)."""
        return Manifest(
            ApiGatewayRootUrl=self.origin(call.request), StackName=self.settings.stack_name, Rev=self.version
        )

    async def metadata_manifest(self, call: Call) -> MetadataManifest:
        """`GET /<stack>/metadata/manifest`: the published API key."""
        return MetadataManifest(ApiKey=self.keys.published, StackName=self.settings.stack_name)

    async def openapi(self, call: Call) -> dict[str, Any]:
        """`GET /openapi.json` and `/<stack>/metadata/swagger`: the OpenAPI document, its server the caller's origin."""
        if self._document is None:  # the table is fixed once served: build the document once
            self._document = openapi.document(
                self.routes, stack=self.settings.stack_name, version=self.version, top=self.top_routes
            )
        return {**self._document, "servers": [{"url": self.origin(call.request)}]}

    # -- dispatch --------------------------------------------------------------------------

    async def dispatch(self, request: web.Request) -> web.Response:
        """Find the route, check key and token, decode the body, run the handler; answer in the error model."""
        return await self._answered(request, self._dispatch(request))

    async def dispatch_top(self, request: web.Request) -> web.Response:
        """A route served at the origin's top level (discovery, the document): no key, no token, no body."""
        path = request.path.rstrip("/") or "/"
        route = next(route for route in self.top_routes if route.path == path)
        if request.method not in (route.method, "HEAD"):
            problem = RegistryProblem(
                "METHOD_NOT_ALLOWED",
                f"{request.method} is not served here; use {route.method}",
                params={"allowed": route.method},
                headers={"Allow": route.method},
            )
            return error_response(problem)
        call = Call(request, None, None, {}, request.query, None)
        return await self._answered(request, route.handler(call))

    async def _answered(self, request: web.Request, work: Awaitable[Any]) -> web.Response:
        try:
            return answer(await work)
        except RegistryProblem as problem:
            return error_response(problem)
        except RegistryFailure as failure:
            return error_response(RegistryProblem.of(failure))
        except Exception:
            _LOG.exception("registry: %s %s failed", request.method, request.path)
            return error_response(RegistryProblem("INTERNAL_ERROR", "internal error"))

    async def _dispatch(self, request: web.Request) -> Any:
        parts = request.match_info.get("tail", "").split("/")
        found = [(route, values) for route in self.routes if (values := route.match(parts)) is not None]
        found.sort(key=lambda match: len(match[1]))  # a literal segment wins: /domains/list before /domains/{id}
        exact = next(((route, values) for route, values in found if route.method == request.method), None)
        if exact is None and request.method == "HEAD":
            exact = next(((route, values) for route, values in found if route.method == "GET"), None)
        # The key first, as MIC's gateway checks it: without one, not even the route is told. A path
        # served only without a key (the metadata) tells its methods to anyone, as its document does.
        needs_key = exact[0].api_key if exact is not None else not found or any(route.api_key for route, _ in found)
        if needs_key:
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
        for param in route.query:
            # One value per parameter: which of two a handler would take is not the client's to guess.
            if len(request.query.getall(param.name, ())) > 1:
                raise invalid(param.name, f"{param.name} is given more than once")
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
        # Nesting is bounded before anything is decoded: the decoder's limit (and every later reader's)
        # is the interpreter's stack, which a request must not get to choose. Only bodies with that many
        # brackets at all are scanned.
        if nested_deeper_than(raw, MAX_NESTING):
            raise invalid(None, f"the body is nested deeper than {MAX_NESTING} levels")
        if b"u0000" in raw and _NUL.search(raw):
            raise invalid(None, "the body holds the character U+0000, which no text is stored with")
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


MAX_NESTING = 64
"""How deep a request body's arrays and objects may nest (custom `data` included)."""

# \u0000 escaped in a JSON string (an even run of backslashes before it is text, not an escape):
# PostgreSQL keeps no NUL in text or jsonb, and a body is refused the same way on every store.
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def unreadable_answer(status: int, reason: str) -> web.Response:
    """The error model for a request the HTTP server could not read: 413 as PAYLOAD_TOO_LARGE, 5xx as a bug."""
    if status == 413:
        key = "PAYLOAD_TOO_LARGE"
    elif status >= 500:
        key = "INTERNAL_ERROR"
    else:
        key = "INVALID_ARGUMENTS"  # aiohttp's 400 (or 431 for headers), answered with the key's one status
    return error_response(RegistryProblem(key, reason))


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
    if text is None:
        return default
    # Decimal digits only: int() would also take " 5", "1_000" and other scripts' digits.
    if not _WHOLE_NUMBER.fullmatch(text):
        raise invalid(name, f"{name} must be a whole number")
    value = int(text)
    if not low <= value <= high:
        raise invalid(name, f"{name} must be between {low} and {high}")
    return value
