"""The live channel: a WebSocket at `/live` that pushes what changes in the house to the page, as it happens.

The upgrade needs the session cookie (401 without one) and a page of the hub's own origin (403
for another site's: a WebSocket is not bound by the same-origin policy, so the check is the
door's). The channel then carries JSON text frames from the hub, one per change the session's
user may see, decided by the core's `Principal.may_see` with the user's rights at that moment:

    {"type": "state", "thingId", "stateTypeId", "value", "min", "max", "values"}
    {"type": "thingAdded", "thing": {...}, "thingClass": {...}}
    {"type": "thingChanged", "thing": {...}, "thingClass": {...}}
    {"type": "thingRemoved", "thingId"}
    {"type": "mode", "mode": "2"}
    {"type": "rights"}       the user's rights changed: read the house again

A thing that leaves the user's sight (moved to another domain) is told as removed, one that comes
into it as added. The page sends nothing that matters but the KNX page's request for the bus monitor
(knx_monitor.py: `knxMonitor` asked, `knxTelegram` frames to that page alone; other frames are read
and dropped); when the
session ends (logout, its user removed, idle) the channel is closed with code 4401, when the hub
stops with 1001. A page that reconnects reads the house again (`GET /web/api/house`): what
changed while it was away is in that answer. Frames go out through a bounded outbox: a page that
stops reading is dropped rather than waited for.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import msgspec
from aiohttp import WSCloseCode, WSMsgType, web

from thinggate.api.web.door import Handler, WebDoor
from thinggate.api.web.errors import WebProblem
from thinggate.api.web.knx_monitor import KnxMonitor
from thinggate.api.web.session import Session
from thinggate.api.web.views import class_view, thing_view
from thinggate.api.websocket import FrameOutbox
from thinggate.core import events as ev
from thinggate.core.model import Thing
from thinggate.core.security import Principal

_LOG = logging.getLogger(__name__)

PING_SECONDS = 30.0
MAX_FRAME = 4096
"""Largest frame a page may send (it has nothing to say: anything bigger closes the channel)."""
LOGGED_OUT = 4401
"""Close code when the session ended: the page goes back to the login."""

_encode = msgspec.json.Encoder().encode
_EVENTS = (ev.StateChanged, ev.ThingAdded, ev.ThingChanged, ev.ThingRemoved, ev.HouseModeChanged)


class LiveChannel:
    """One open page: its socket, its session and the things it was told of."""

    def __init__(
        self, channels: LiveChannels, session: Session, socket: web.WebSocketResponse, outbox: FrameOutbox
    ) -> None:
        self.channels = channels
        self.session = session
        self.socket = socket
        self.outbox = outbox
        self.known: set[uuid.UUID] = set()
        """Things the page was told of (to tell it which leave its sight)."""
        self.closing: asyncio.Task[Any] | None = None

    def send(self, data: bytes) -> None:
        """Queue one frame (dropped when the page is gone or stopped reading)."""
        self.outbox.send(data)

    def see(self) -> None:
        """Note what the session's user sees now."""
        self.known = {thing.id for thing in self.channels.hub.visible_things(self.session.principal)}

    def rights_changed(self) -> None:
        """The user's rights changed: the page reads the house again."""
        self.see()
        self.send(_encode({"type": "rights"}))

    def end(self, reason: str, code: int = LOGGED_OUT) -> None:
        """Close the channel (from an event listener: the close runs in a task of its own)."""
        if self.closing is None:
            self.outbox.closed = True  # what is queued is not sent any more
            self.closing = asyncio.get_running_loop().create_task(
                self.socket.close(code=code, message=reason.encode()[:120])
            )


class LiveChannels:
    """Every open page; follows the hub's bus while there is one and tells each page what its user may see."""

    def __init__(self, door: WebDoor, raw_bus: Any = None) -> None:
        self.door = door
        self.hub = door.hub
        self.knx_monitor = KnxMonitor(raw_bus)
        """The KNX page's bus monitor (knx_monitor.py): the one thing a page may ask for on the channel."""
        self.channels: dict[LiveChannel, None] = {}  # in opening order
        self._unlisten: Any = None
        self._table: dict[type, Any] = {
            ev.StateChanged: self._state_changed,
            ev.ThingAdded: self._thing_added,
            ev.ThingChanged: self._thing_changed,
            ev.ThingRemoved: self._thing_removed,
            ev.HouseModeChanged: self._mode_changed,
        }

    @property
    def count(self) -> int:
        """Open pages."""
        return len(self.channels)

    def handlers(self) -> dict[str, Handler]:
        """`GET /live`, by its name in paths.py (the factory closes the pages when the HTTP application shuts down)."""
        return {"live": self.door.answered(self.open)}

    async def close_all(self) -> None:
        """Close every page (the hub stops)."""
        for channel in list(self.channels):
            channel.end("the hub stops", WSCloseCode.GOING_AWAY)
        closing = [channel.closing for channel in list(self.channels) if channel.closing is not None]
        if closing:
            await asyncio.wait(closing, timeout=2.0)
        self._listen(False)

    # -- a page connects -------------------------------------------------------------------------

    async def open(self, request: web.Request) -> web.StreamResponse:
        """Upgrade to the live channel for a logged-in page of the hub's own origin, then hold it."""
        door = self.door
        session = door.logged_in(request)
        door.check_origin(request)
        socket = web.WebSocketResponse(heartbeat=PING_SECONDS, max_msg_size=MAX_FRAME, compress=False, autoping=True)
        if not socket.can_prepare(request).ok:
            raise WebProblem(426, "UpgradeRequired", "connect with a WebSocket", headers={"Upgrade": "websocket"})
        await socket.prepare(request)
        transport = request.transport
        if transport is None or session.ended:
            await socket.close(code=LOGGED_OUT, message=b"logged out")
            return socket
        pages = session.pages
        while len(pages) >= door.settings.live_per_session:
            oldest = pages.pop(0)
            oldest.end("too many pages open for this session")
        channel = LiveChannel(self, session, socket, FrameOutbox(transport, on_overflow=transport.abort))
        channel.see()
        pages.append(channel)
        self.channels[channel] = None
        self._listen(True)
        try:
            async for frame in socket:
                if frame.type in (WSMsgType.ERROR, WSMsgType.BINARY):
                    break  # the page sends text or nothing; anything else ends the channel
                if frame.type is WSMsgType.TEXT and channel.closing is None:
                    self.knx_monitor.message(channel, frame.data)
        except ConnectionError:
            pass
        except Exception:
            # A bug costs this page its channel, never the hub or other pages (the upgrade was answered).
            _LOG.exception("web: live channel of %s failed; closed", session.username)
        finally:
            self.knx_monitor.forget(channel)
            self.channels.pop(channel, None)
            if channel in pages:
                pages.remove(channel)
            door.sessions.touch(session)  # the page's time open counts as use
            if not self.channels:
                self._listen(False)
        return socket

    def _listen(self, on: bool) -> None:
        # Only while a page is open: with none, state changes cost the hub nothing here.
        if on and self._unlisten is None:
            self._unlisten = self.hub.bus.listen(self._on_event, kinds=_EVENTS)
        elif not on and self._unlisten is not None:
            self._unlisten()
            self._unlisten = None

    # -- the hub changes -------------------------------------------------------------------------

    def _on_event(self, event: ev.HubEvent) -> None:
        handler = self._table.get(type(event))
        if handler is not None:
            handler(event)

    def _state_changed(self, event: ev.StateChanged) -> None:
        thing = self.hub.thing(event.thing_id)
        if thing is None:
            return
        data: bytes | None = None
        seen: dict[int, bool] = {}  # by principal: pages of one session decide once
        for channel in self.channels:
            principal = channel.session.principal
            sees = seen.get(id(principal))
            if sees is None:
                sees = seen[id(principal)] = _sees(principal, thing)
            if sees:
                if data is None:
                    data = _encode(
                        {
                            "type": "state",
                            "thingId": str(event.thing_id),
                            "stateTypeId": str(event.state_type_id),
                            "value": event.value,
                            "min": event.min_value,
                            "max": event.max_value,
                            "values": event.possible_values,
                        }
                    )
                channel.send(data)

    def _thing_added(self, event: ev.ThingAdded) -> None:
        self._thing_shown(event.thing, "thingAdded")

    def _thing_changed(self, event: ev.ThingChanged) -> None:
        self._thing_shown(event.thing, "thingChanged")

    def _thing_shown(self, thing: Thing, kind: str) -> None:
        view: dict[str, Any] | None = None
        frames: dict[str, bytes] = {}  # by message type: each encoded once
        for channel in self.channels:
            known = thing.id in channel.known
            if _sees(channel.session.principal, thing):
                channel.known.add(thing.id)
                # Come into sight (moved into the user's domain, say): the page adds it.
                told = kind if known else "thingAdded"
                data = frames.get(told)
                if data is None:
                    if view is None:
                        view = {"thing": thing_view(thing), "thingClass": class_view(thing.thing_class)}
                    data = frames[told] = _encode({"type": told, **view})
                channel.send(data)
            elif known:
                # Gone out of sight: the page drops it.
                channel.known.discard(thing.id)
                data = frames.get("thingRemoved")
                if data is None:
                    data = frames["thingRemoved"] = _encode({"type": "thingRemoved", "thingId": str(thing.id)})
                channel.send(data)

    def _thing_removed(self, event: ev.ThingRemoved) -> None:
        data: bytes | None = None
        for channel in self.channels:
            if event.thing_id in channel.known or self.hub.saw_removed(channel.session.principal, event):
                channel.known.discard(event.thing_id)
                if data is None:
                    data = _encode({"type": "thingRemoved", "thingId": str(event.thing_id)})
                channel.send(data)

    def _mode_changed(self, event: ev.HouseModeChanged) -> None:
        data = _encode({"type": "mode", "mode": event.mode_id})
        for channel in self.channels:
            channel.send(data)


def _sees(principal: Principal, thing: Thing) -> bool:
    return principal.sees_every_thing() or principal.may_see(thing)
