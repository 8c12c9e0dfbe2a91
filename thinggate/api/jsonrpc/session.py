"""One client connection's state: token, principal, locale, notification namespaces and its outbox."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from thinggate.api.jsonrpc.translations import translator
from thinggate.core.security import Principal

_LOG = logging.getLogger(__name__)

MAX_WRITE_BUFFER = 4 * 1024 * 1024
"""Bytes a client may leave unread before it is dropped: a stalled reader must not grow the hub."""

_encode = msgspec.json.Encoder().encode


class FlushQueue:
    """Sessions with queued messages, flushed together once per loop turn.

    A notification fanned out to hundreds of clients would otherwise schedule one callback each.
    """

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending: list[Session] = []

    def add(self, session: Session) -> None:
        """Flush this session with the others in the next turn of the loop."""
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append(session)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        for session in pending:
            session.flush()


@dataclass(slots=True)
class Session:
    """A connected client of the JSON-RPC door (TCP or WebSocket)."""

    id: int
    peer: str
    transport_name: str
    authentication_required: bool
    write: Callable[[list[bytes]], None]
    buffered: Callable[[], int]
    shutdown: Callable[[bool], None]
    locale: str = "en_US"
    hello_done: bool = False
    token: str = ""
    token_id: uuid.UUID | None = None
    principal: Principal | None = None
    sees_all: bool = False
    notifications: set[str] = field(default_factory=set)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    closed: bool = False
    drop_after_reply: str = ""
    close_reason: str = ""
    connected_at: float = field(default_factory=time.monotonic)
    outbox: list[bytes] = field(default_factory=list)
    outbox_size: int = 0
    on_authenticated: Callable[[], None] | None = None
    """Called once, when the connection first acts as someone (the listener lifts its login deadline)."""
    flushes: FlushQueue | None = None
    """Where the session's queued messages wait for the loop's next turn (None: a callback of its own)."""
    holding: bool = False
    """The transport is answering a chunk it read and flushes when done: nothing need be scheduled."""

    @property
    def translate(self) -> Callable[[str], str]:
        """Display texts in the connection's language."""
        return translator(self.locale)

    def set_principal(self, principal: Principal | None, token_id: uuid.UUID | None = None) -> None:
        """Who this connection acts as from now on (None: nobody, as with a bad or revoked token)."""
        self.principal = principal
        self.token_id = token_id
        if principal is not None and self.on_authenticated is not None:
            on_authenticated, self.on_authenticated = self.on_authenticated, None
            on_authenticated()
        # Precomputed so that fan-out to an unrestricted client costs no per-thing check.
        self.sees_all = principal is not None and principal.sees_every_thing()

    def send(self, data: bytes) -> bool:
        """Queue one message for the client; drops the client when it has stopped reading."""
        if self.closed:
            return False
        # What is already waiting counts, not this message: one big reply must go out whole.
        if self.outbox_size + self.buffered() > MAX_WRITE_BUFFER:
            self.close(f"left more than {MAX_WRITE_BUFFER} bytes unread", graceful=False)
            return False
        if not self.outbox and not self.holding:
            # Everything sent in this turn of the loop leaves in one write (one system call):
            # a client with 64 requests in flight gets its 64 replies together.
            if self.flushes is not None:  # _flush_soon inline: a fan-out sends this to every client
                self.flushes.add(self)
            else:
                asyncio.get_running_loop().call_soon(self.flush)
        self.outbox.append(data)
        self.outbox_size += len(data)
        return True

    def hold(self) -> None:
        """The transport answers a chunk now and flushes at its end (`release`): no loop callback per reply."""
        self.holding = True

    def release(self) -> None:
        """The transport is done with the chunk, or waits within it: what is queued leaves now."""
        self.holding = False
        self.flush()

    def release_soon(self) -> None:
        """The transport is done with the chunk but more are on their way: what is queued leaves with
        their replies, by the loop's next turn at the latest."""
        self.holding = False
        if self.outbox:
            self._flush_soon()

    def _flush_soon(self) -> None:
        if self.flushes is not None:
            self.flushes.add(self)
        else:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Hand what is queued to the transport."""
        if not self.outbox or self.closed:
            return
        messages, self.outbox, self.outbox_size = self.outbox, [], 0
        try:
            self.write(messages)
        except Exception as exc:  # a transport torn down under us
            self.close(f"write failed: {exc}", graceful=False)

    def reply(self, request_id: Any, params: dict[str, Any], *, deprecation: str = "") -> None:
        """A success response."""
        message: dict[str, Any] = {"id": request_id, "status": "success", "params": params}
        if deprecation:
            message["deprecationWarning"] = deprecation
        self.send(_encode(message) + b"\n")

    def error(self, request_id: Any, text: str, *, status: str = "error") -> None:
        """An error (or unauthorized) response."""
        self.send(_encode({"id": request_id, "status": status, "error": text}) + b"\n")

    def close(self, reason: str, *, graceful: bool = True) -> None:
        """Drop the connection (idempotent); graceful lets what was sent reach the client first."""
        if self.closed:
            return
        if graceful:
            self.flush()
        else:
            self.outbox, self.outbox_size = [], 0
        self.closed = True
        self.close_reason = reason
        _LOG.info("jsonrpc %s client %d (%s) dropped: %s", self.transport_name, self.id, self.peer, reason)
        try:
            self.shutdown(graceful)
        except Exception:  # already gone
            pass
