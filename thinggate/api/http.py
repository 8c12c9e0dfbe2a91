"""The HTTP connection handling every door shares: no access log, a head deadline, quiet errors.

aiohttp's defaults suit a web site behind a proxy, not a hub facing clients directly: its access
log writes query strings (Thinknx credentials travel there) and paths (the cloud key), its
keep-alive timeout of an hour lets half-sent requests hold sockets, and every malformed request
logs a traceback at ERROR. Here a connection without a complete request head for `idle_seconds`
is closed (aiohttp's keep-alive timer runs from the connection's start and between requests), and
an unreadable request is answered 400 with one rate-limited log line that quotes nothing it sent.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from thinggate.api.guard import ConnectionGuard
from thinggate.api.listener import SniffingListener

_LOG = logging.getLogger(__name__)

MAX_LINE = 8 * 1024
MAX_FIELD = 16 * 1024
MAX_HEADERS = 32
"""Header limits: what one connection can make the hub buffer before it is authenticated stays small."""

ErrorAnswer = Callable[[int, str], web.Response]
"""Builds a door's answer to a request it could not read: (status, short reason) -> response."""


UNREADABLE_ANSWER: web.AppKey[ErrorAnswer] = web.AppKey("unreadable_answer")
"""Set on the shared application by the HTTP door that answers its port's unreadable requests (default: plain)."""


class _QuietLog:
    """At most one line every `seconds` for a kind of event, with the count of those not written."""

    def __init__(self, seconds: float = 10.0) -> None:
        self.seconds = seconds
        self._logged_at = 0.0
        self._quiet = 0

    def __call__(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._logged_at < self.seconds:
            self._quiet += 1
            return
        self._logged_at = now
        if self._quiet:
            message += f" (and {self._quiet} more since the last such line)"
            self._quiet = 0
        _LOG.info(message, *args)


def plain_error(status: int, reason: str) -> web.Response:
    """A plain-text answer to an unreadable request."""
    return web.Response(status=status, text=f"{status}: {reason}\n")


class _GuardedHandler(RequestHandler):
    """aiohttp's connection handler, answering requests it cannot parse the door's way, without a traceback."""

    def handle_error(
        self, request: BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> StreamResponse:
        """A malformed or oversized request (or a bug): one quiet log line, the door's error answer."""
        server = self._manager
        assert isinstance(server, GuardedServer)
        if request.writer.output_size > 0:  # some data went out already: nothing more can be said
            self.force_close()
            return web.Response(status=status)
        kind = type(exc).__name__ if exc is not None else "error"
        # Never the message: aiohttp quotes the offending request line, which may carry credentials.
        server.quiet_log("%s: unreadable request from %s answered %d (%s)", server.name, request.remote, status, kind)
        reason = "the request could not be read" if status < 500 else "internal error"
        response = server.error_answer(status, reason)
        response.force_close()
        return response


class GuardedServer(web.Server):
    """A low-level aiohttp server whose connections use the shared handling above."""

    def __init__(
        self,
        handler: Callable[[BaseRequest], Awaitable[StreamResponse]],
        *,
        name: str,
        idle_seconds: float,
        error_answer: ErrorAnswer = plain_error,
        max_line_size: int = MAX_LINE,
        max_field_size: int = MAX_FIELD,
        max_headers: int = MAX_HEADERS,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            handler,
            **kwargs,
            access_log=None,
            keepalive_timeout=idle_seconds,
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
        )
        self.name = name
        self.error_answer = error_answer
        self.quiet_log = _QuietLog()

    def __call__(self) -> RequestHandler:
        """A handler for a new connection."""
        return _GuardedHandler(self, loop=self._loop, **self._kwargs)


class _GuardedAppRunner(web.AppRunner):
    """aiohttp's runner for an Application, making its connections with GuardedServer."""

    def __init__(self, app: web.Application, *, name: str, idle_seconds: float) -> None:
        super().__init__(app, handle_signals=False, access_log=None)
        self._name = name
        self._idle_seconds = idle_seconds

    async def _make_server(self) -> web.Server:
        # As aiohttp's own (the application's start-up signals, then frozen), with the shared handling.
        app = self.app
        app._set_loop(asyncio.get_running_loop())
        app.on_startup.freeze()
        await app.startup()
        app.freeze()
        return GuardedServer(
            app._handle,  # type: ignore[arg-type]  # it takes web.Request, which request_factory makes
            name=self._name,
            idle_seconds=self._idle_seconds,
            request_factory=app._make_request,
            error_answer=app.get(UNREADABLE_ANSWER, plain_error),
        )


class HttpSite:
    """The one HTTP application of the hub (`[ports] http`), served through a guarded listener."""

    def __init__(
        self, app: web.Application, *, host: str, port: int, guard: ConnectionGuard, tls: ssl.SSLContext | None = None
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.guard = guard
        self.tls = tls
        self._runner: _GuardedAppRunner | None = None
        self._listener: SniffingListener | None = None

    @property
    def connection_count(self) -> int:
        """HTTP connections open right now."""
        server = self._runner.server if self._runner is not None else None
        return len(server.connections) if server is not None else 0

    async def start(self) -> None:
        """Listen (port 0: a free one, then in `port`)."""
        self._runner = _GuardedAppRunner(self.app, name="http", idle_seconds=self.guard.limits.idle_seconds)
        await self._runner.setup()
        assert self._runner.server is not None
        self._listener = SniffingListener(
            protocol_factory=self._runner.server,
            host=self.host,
            port=self.port,
            tls=self.tls,
            plain=True,
            name="http",
            guard=self.guard,
        )
        await self._listener.start()
        self.port = self._listener.port
        _LOG.info("http: listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening, close connections, run the application's clean-up."""
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


# A body too deeply nested is refused before a JSON decoder recurses into it (every HTTP door).
# A string runs to its closing quote or, unterminated, to the end: every match moves on, so a scan
# is linear whatever the bytes (a pattern that could fail mid-string would retry at each quote).
_BRACKETS = re.compile(rb'[\[\]{}]|"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_AS_PARENTHESES = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def nested_deeper_than(raw: bytes | bytearray, limit: int) -> bool:
    """Whether JSON text nests arrays and objects deeper than `limit` (strings skipped; junk counted as it comes)."""
    # Scanning token by token in Python took 8.5 ms of a 35 ms upload of 1,000 readings; this works
    # on whole bytes in C. Without a backslash no quote is escaped: every other piece is a string.
    outside = b"".join(raw.split(b'"')[::2]) if b"\\" not in raw else _STRING.sub(b"", raw)
    brackets = outside.translate(_AS_PARENTHESES, _NOT_BRACKETS)
    # Each pass takes the innermost pairs away, one level: balanced brackets are gone after as many
    # passes as they nest deep. Junk that does not balance is counted the slow way, as it comes.
    for _ in range(limit):
        if not brackets:
            return False
        inner_gone = brackets.replace(b"()", b"")
        if len(inner_gone) == len(brackets):
            break
        brackets = inner_gone
    return bool(brackets) and json_nesting(raw) > limit


def json_nesting(raw: bytes | bytearray) -> int:
    """The deepest nesting of arrays and objects in JSON text (strings skipped; junk counted as it comes)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest
