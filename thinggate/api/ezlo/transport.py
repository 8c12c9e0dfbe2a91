"""The Ezlo WebSocket server: wss:// and (with insecure access on) ws:// on one port, as a hub has.

A connection's first byte tells TLS (a ClientHello record starts with 0x16) from a plain HTTP
upgrade; both then reach the same aiohttp application. The hub pings every 20 s (ezlo-hub-kit
reconnects after 60 s without one); frames larger than the limit close the connection (1009).
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from aiohttp import WSCloseCode, WSMsgType, web

from thinggate.api.ezlo.door import EzloDoor
from thinggate.api.guard import ConnectionGuard
from thinggate.api.http import GuardedServer
from thinggate.api.listener import SniffingListener
from thinggate.api.websocket import FrameOutbox

_LOG = logging.getLogger(__name__)

MAX_FRAME = 1024 * 1024
"""Largest request frame; Ezlo refuses bus messages past 100 K, so this leaves room."""
PING_SECONDS = 20.0
CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:AES256-SHA256"
"""TLS 1.2 suites, in the hub's order of preference: forward secrecy first; AES256-SHA256 (RSA key
exchange) last, for the Ezlo clients that pin it. TLS 1.3 suites stay on."""


class EzloServer:
    """Serves an EzloDoor on one TCP port: TLS when `tls` is given, plain when `insecure`."""

    def __init__(
        self,
        door: EzloDoor,
        *,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        insecure: bool,
        ping_seconds: float = PING_SECONDS,
        max_frame: int = MAX_FRAME,
        guard: ConnectionGuard | None = None,
    ) -> None:
        if tls is None and not insecure:
            raise ValueError("the Ezlo door needs TLS or insecure access (or both)")
        self.door = door
        self.host = host
        self.port = port
        self.tls = tls
        self.insecure = insecure
        self.ping_seconds = ping_seconds
        self.max_frame = max_frame
        self.guard = guard if guard is not None else ConnectionGuard()
        self._server: GuardedServer | None = None
        self._listener: SniffingListener | None = None
        self._closing: set[asyncio.Task[bool]] = set()  # connections the door is closing

    @property
    def connection_count(self) -> int:
        """Clients connected right now."""
        return len(self.door.sessions)

    async def start(self) -> None:
        """Listen."""
        self._server = GuardedServer(self._serve, name="ezlo", idle_seconds=self.guard.limits.idle_seconds)
        self._listener = SniffingListener(
            protocol_factory=self._server,
            host=self.host,
            port=self.port,
            tls=self.tls,
            plain=self.insecure,
            name="ezlo",
            guard=self.guard,
        )
        await self._listener.start()
        self.port = self._listener.port
        _LOG.info("ezlo door listening on %s (tls %s, plain %s)", self.port, self.tls is not None, self.insecure)

    async def stop(self) -> None:
        """Close the listener and every client."""
        self.door.close()
        if self._listener is not None:
            await self._listener.stop()
        if self._server is not None:
            await self._server.shutdown(2.0)

    async def _serve(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method != "GET":  # any path upgrades, as on a hub
            raise web.HTTPMethodNotAllowed(request.method, ["GET"])
        socket_response = web.WebSocketResponse(
            heartbeat=self.ping_seconds, max_msg_size=self.max_frame, compress=False, autoping=True
        )
        await socket_response.prepare(request)
        transport = request.transport
        if transport is None:
            return socket_response
        outbox = FrameOutbox(transport, on_overflow=transport.abort)

        def shutdown(reason: str) -> None:
            # Closed in a task of its own: the door calls this from an event listener.
            closing = socket_response.close(code=WSCloseCode.POLICY_VIOLATION, message=reason.encode()[:120])
            task = asyncio.get_running_loop().create_task(closing)
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

        session = self.door.open_session(
            peer=str(request.remote or ""),
            outbox=outbox,
            on_authenticated=lambda: self.guard.authenticated(transport),
            shutdown=shutdown,
        )
        try:
            async for frame in socket_response:
                if frame.type is WSMsgType.TEXT:
                    await self.door.handle(session, frame.data)
                elif frame.type is WSMsgType.BINARY:
                    await socket_response.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"text frames only")
                    break
                elif frame.type is WSMsgType.ERROR:
                    break
        except ConnectionError:
            pass
        except Exception:
            # A bug must cost this client its connection, never the server or other clients.
            _LOG.exception("ezlo client %d: unexpected error; connection closed", session.id)
        finally:
            self.door.close_session(session)
        return socket_response
