"""The KNX page's live bus monitor: group telegrams over the page's own live channel (`/live`).

A page asks for the monitor by sending a text frame on the channel, and stops it alike:

    {"type": "knxMonitor", "on": true}     {"type": "knxMonitor", "on": false}

The hub answers `{"type": "knxMonitor", "on": true, "connected": true | false}` when the monitor runs for
the page (`connected`: whether the hub reaches the bus right now), else
`{"type": "knxMonitor", "on": false, "error": "PermissionDenied" | "KnxNotConfigured"}` (the bus
carries every device of the building: only a user the core lets administer the hub may watch it,
decided by `core.admin.administers_hub` with the user's rights at each telegram). Then, newest
last, one frame per group telegram received or sent by the hub:

    {"type": "knxTelegram", "time", "source", "destination", "kind": "write" | "read" | "response",
     "payload", "name", "value", "unit"}

`name`, `value` and `unit` are null when no KNX thing of the hub uses the group address. A page that
did not ask, or whose user may not watch, gets none; the bus is followed only while a page watches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import msgspec

from thinggate.api.web.session import Session
from thinggate.core.admin import administers_hub

_LOG = logging.getLogger(__name__)

ASK = "knxMonitor"
TELEGRAM = "knxTelegram"

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class Page(Protocol):
    """An open page's live channel (live.py's LiveChannel), as far as the monitor uses it."""

    session: Session

    def send(self, data: bytes) -> None:
        """Queue one frame."""


class TelegramSource(Protocol):
    """A KNX connection whose group telegrams can be watched (the KNX integration is one)."""

    def watch_telegrams(self, watcher: Callable[[Any], None]) -> Callable[[], None]:
        """Call `watcher` with every group telegram from now on; answers the function that stops it."""


class KnxMonitor:
    """The live pages watching the KNX bus, and the one watch on the bus while any does."""

    def __init__(self, source: Any) -> None:
        # The door context's raw bus: a KNX integration with [knx], else None (or one without a monitor).
        self.source: TelegramSource | None = source if hasattr(source, "watch_telegrams") else None
        self.watching: dict[Page, None] = {}
        self._stop: Callable[[], None] | None = None

    def message(self, channel: Page, text: str) -> None:
        """A text frame from a page: a request for the monitor is answered, anything else is dropped."""
        try:
            message = _decode(text)
        except msgspec.DecodeError:
            return
        if not isinstance(message, dict) or message.get("type") != ASK:
            return
        if message.get("on") is not True:
            self.forget(channel)
            channel.send(_encode({"type": ASK, "on": False}))
            return
        refusal = self._refusal(channel)
        if refusal is not None:
            self.forget(channel)
            channel.send(_encode({"type": ASK, "on": False, "error": refusal}))
            return
        self.watching[channel] = None
        if self._stop is None and self.source is not None:
            self._stop = self.source.watch_telegrams(self._telegram)
        # Whether the hub reaches the bus now: a monitor that shows nothing says why (asked again on reconnect).
        connected = bool(getattr(self.source, "connected", True))
        channel.send(_encode({"type": ASK, "on": True, "connected": connected}))

    def _refusal(self, channel: Page) -> str | None:
        # A hub without KNX is told to anyone (the page then offers no import either); the bus only to admins.
        if self.source is None:
            return "KnxNotConfigured"
        if not administers_hub(channel.session.principal):
            return "PermissionDenied"
        return None

    def forget(self, channel: Page) -> None:
        """The page stopped watching or closed; the bus is let go with the last one."""
        self.watching.pop(channel, None)
        if not self.watching and self._stop is not None:
            self._stop()
            self._stop = None

    def _telegram(self, telegram: Any) -> None:
        data: bytes | None = None
        allowed: dict[int, bool] = {}  # by principal: pages of one session decide once
        for channel in list(self.watching):
            principal = channel.session.principal
            may = allowed.get(id(principal))
            if may is None:
                may = allowed[id(principal)] = administers_hub(principal)
            if not may:
                # The user lost the right since asking: the page is told and gets no more.
                self.forget(channel)
                channel.send(_encode({"type": ASK, "on": False, "error": "PermissionDenied"}))
                continue
            if data is None:
                data = _frame(telegram)
            channel.send(data)


def _frame(telegram: Any) -> bytes:
    """A telegram's frame (read by attribute: the door does not import the integration)."""
    return _encode(
        {
            "type": TELEGRAM,
            "time": telegram.time,
            "source": telegram.source,
            "destination": telegram.destination,
            "kind": telegram.kind,
            "payload": telegram.payload,
            "name": telegram.name,
            "value": telegram.value,
            "unit": telegram.unit,
        }
    )
