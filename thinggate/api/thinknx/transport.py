"""The Integration Kit over HTTP: `/api/V1/...` (local) and `/<KEY>/api/V1/...` (cloud form) on one port.

GET with a query, or POST with an `application/x-www-form-urlencoded` body (its fields join the
query's). Every answer is JSON. Rate limits: per client address (per key in the cloud form),
answered with 429 and Retry-After.
"""

from __future__ import annotations

import logging
import math
import ssl
import time
from typing import TYPE_CHECKING

import msgspec
from aiohttp import web
from multidict import CIMultiDict

from thinggate.api.guard import ConnectionGuard
from thinggate.api.http import GuardedServer
from thinggate.api.listener import SniffingListener
from thinggate.api.thinknx import errors
from thinggate.api.thinknx.auth import Authenticator, Credentials
from thinggate.api.thinknx.door import ThinknxDoor
from thinggate.api.thinknx.errors import ThinknxError
from thinggate.api.thinknx.key import key_fingerprint
from thinggate.api.thinknx.query import MAX_QUERY_LENGTH, parse_query

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.aio.strategies import FixedWindowRateLimiter

_LOG = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode
_JSON = "application/json"
MAX_LINE = 1024 * 1024
"""Request lines up to this long reach the door, which answers an over-long query with 400 params errors."""


class ThinknxServer:
    """Serves a ThinknxDoor on one TCP port."""

    def __init__(
        self,
        door: ThinknxDoor,
        authenticator: Authenticator,
        *,
        host: str,
        port: int,
        rate_limit: str = "",
        tls: ssl.SSLContext | None = None,
        guard: ConnectionGuard | None = None,
    ) -> None:
        self.door = door
        self.authenticator = authenticator
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self.guard = guard if guard is not None else ConnectionGuard()
        self._server = GuardedServer(
            self._handle,
            name="thinknx",
            idle_seconds=self.guard.limits.idle_seconds,
            error_answer=_unreadable,
            max_line_size=MAX_LINE,
        )
        self.tls = tls
        self._listener: SniffingListener | None = None
        self._rate_limit_text = rate_limit
        self._rate: RateLimitItem | None = None
        self._limiter: FixedWindowRateLimiter | None = None

    @property
    def connection_count(self) -> int:
        """HTTP connections open right now."""
        return len(self._server.connections)

    async def start(self) -> None:
        """Listen: plain http always (user=/pass= work only there, as on a Thinknx server), https too with `tls`."""
        self._listener = SniffingListener(
            protocol_factory=self._server,
            host=self.host,
            port=self.requested_port,
            tls=self.tls,
            plain=True,
            name="thinknx",
            guard=self.guard,
        )
        await self._listener.start()
        self.port = self._listener.port
        _LOG.info("thinknx: listening on %s:%s (https %s)", self.host, self.port, self.tls is not None)

    async def stop(self) -> None:
        """Stop listening and close connections."""
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
            await self._server.shutdown(2.0)
        if self.door.hooks is not None:
            await self.door.hooks.stop()
        self.door.close()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        peer = request.remote or ""
        try:
            return await self._answer(request, peer)
        except ThinknxError as error:
            return _error_response(error)
        except Exception:  # a bug answers this request; everyone else is served on
            # The controller only: the path may carry the cloud key, the query credentials.
            _LOG.exception("thinknx: %s %s failed", request.method, _controller_of(request.path))
            return _error_response(errors.impossible("internal error"))

    async def _answer(self, request: web.BaseRequest, peer: str) -> web.StreamResponse:
        path = request.path
        key: str | None = None
        controller: str | None = None
        if path[:8].lower() == "/api/v1/":  # the local form, nearly every request
            controller = path[8:].strip("/").lower()
        else:
            segments = [segment for segment in path.split("/") if segment]
            if len(segments) >= 3 and segments[0].lower() != "api" and segments[1].lower() == "api":
                key, segments = segments[0], segments[1:]  # the cloud form: /<KEY>/api/V1/...
            if len(segments) >= 3 and segments[0].lower() == "api" and segments[1].lower() == "v1":
                controller = "/".join(segments[2:]).lower()
        if self._rate_limit_text:  # before anything else: wrong URLs and wrong keys count as well
            # Per address, whatever path it asks for: a bucket chosen by the client is no limit.
            await self._rate_limit(peer)
        if controller is None:
            raise errors.device_not_found(f"{path!r} is not an api/V1 URL")
        if request.method not in ("GET", "POST"):
            raise errors.params_errors(f"method {request.method} is not served; use GET or POST")
        # The raw query: aiohttp's query_string is decoded already, and parse_query decodes it.
        params = parse_query(request.rel_url.raw_query_string)
        if request.method == "POST" and request.can_read_body:
            if request.content_length is not None and request.content_length > MAX_QUERY_LENGTH:
                raise errors.params_errors(f"the form has {request.content_length} bytes; at most {MAX_QUERY_LENGTH}")
            body = await _read_body(request)
            content_type = request.headers.get("Content-Type", "")
            if body and not content_type.lower().startswith("application/x-www-form-urlencoded"):
                raise errors.params_errors(f"Content-Type {content_type!r}: send application/x-www-form-urlencoded")
            for name, value in parse_query(body.decode("utf-8", "replace")).items():
                params.setdefault(name, value)
        credentials = Credentials(
            method=request.method,
            target=request.raw_path,
            authorization=request.headers.get("Authorization", ""),
            params=params,
            peer=peer,
            key=key,
        )
        principal = await self.authenticator.principal(credentials)
        self.guard.authenticated(request.transport)
        if key is not None and self._rate_limit_text:
            # The cloud form also has a budget per key (its requests may all come through one
            # gateway address); counted only once the key is known good, so nobody can invent buckets.
            await self._rate_limit(f"key:{key_fingerprint(key)}")
        body_json = await self.door.call(principal, controller, params)
        return web.Response(body=_encode(body_json), content_type=_JSON)

    async def _rate_limit(self, client: str) -> None:
        if self._limiter is None:
            # `limits` (1.6 MB with its storage backends) is loaded by the first request, not by an
            # idle hub that no Thinknx client uses (issue 12: idle memory).
            from limits import parse
            from limits.aio.storage import MemoryStorage
            from limits.aio.strategies import FixedWindowRateLimiter

            self._rate = parse(self._rate_limit_text)
            self._limiter = FixedWindowRateLimiter(MemoryStorage())
        assert self._rate is not None
        if await self._limiter.hit(self._rate, client):
            return
        stats = await self._limiter.get_window_stats(self._rate, client)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise ThinknxError(429, "rate limit exceeded", f"more than {self._rate}", headers={"Retry-After": str(wait)})


def _unreadable(status: int, reason: str) -> web.Response:
    """A request aiohttp cannot parse (a header past the limits, say) gets the API's JSON error."""
    return _error_response(errors.params_errors(reason) if status < 500 else errors.impossible(reason))


def _controller_of(path: str) -> str:
    """What a log line may say of a path: the part after api/V1/, never a cloud key before it."""
    _, found, controller = path.partition("/api/V1/") if "/api/V1/" in path else path.lower().partition("/api/v1/")
    return controller[:64] if found else "(not an api/V1 path)"


async def _read_body(request: web.BaseRequest) -> bytes:
    """The whole form body (it may arrive in several segments), at most MAX_QUERY_LENGTH bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(MAX_QUERY_LENGTH + 1 - size)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        size += len(chunk)
        if size > MAX_QUERY_LENGTH:
            raise errors.params_errors(f"the form has more than {MAX_QUERY_LENGTH} bytes")


def _error_response(error: ThinknxError) -> web.Response:
    headers = CIMultiDict(error.headers)
    for challenge in error.challenges:
        headers.add("WWW-Authenticate", challenge)
    if error.status >= 500 or error.status == 429:
        _LOG.info("thinknx: %d %s (%s)", error.status, error.message, error.reason)
    return web.Response(
        status=error.status, body=_encode({"error": error.message}), content_type=_JSON, headers=headers
    )
