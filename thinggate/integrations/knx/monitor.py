"""The bus monitor's side of the KNX integration: every group telegram seen or sent, told to its watchers
with the name and decoded value the hub's KNX things give its group address."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from xknx.dpt import DPTArray, DPTBinary
from xknx.telegram import GroupAddress, Telegram
from xknx.telegram.apci import GroupValueRead, GroupValueResponse, GroupValueWrite

from thinggate.core.model import Thing
from thinggate.integrations.knx.codecs import DECODE_ERRORS
from thinggate.integrations.knx.devices import KnxDevice

_LOG = logging.getLogger(__name__)

KINDS: dict[type, str] = {GroupValueWrite: "write", GroupValueRead: "read", GroupValueResponse: "response"}


@dataclass(frozen=True, slots=True)
class BusTelegram:
    """One group telegram as the monitor shows it (field names are the dashboard's wire names)."""

    time: float
    """When it was seen (seconds since the epoch)."""
    source: str
    """The sender's individual address ("1.1.7"); the hub's own for what it sent."""
    destination: str
    """The group address ("1/2/3")."""
    kind: str
    """write, read or response."""
    payload: str
    """The raw data as groupsocketlisten shows it ("01", "0C 33"); empty for a read."""
    name: str | None = None
    """The group address's name: the thing (and its state) using it, None when no thing does."""
    value: Any = None
    """The payload decoded with the datapoint type of the state it carries (None when unknown)."""
    unit: str | None = None
    """The state's unit (nymea's Unit name, "DegreeCelsius"), None without one."""


def wire(payload: DPTBinary | DPTArray) -> str:
    """A payload as knxtool groupsocketlisten shows it: "01" for 1-bit/6-bit, "0C 33" for bytes."""
    if isinstance(payload, DPTBinary):
        return f"{payload.value:02X}"
    return " ".join(f"{byte:02X}" for byte in payload.value)


Watcher = Callable[[BusTelegram], None]
Users = Callable[[int], Iterable[tuple[Thing, KnxDevice, str]]]
"""The things using a group address (by its raw number): each with its device type and address param."""


class BusMonitor:
    """Who watches the bus; describes each group telegram for them (nothing is done while nobody watches)."""

    def __init__(self, users: Users) -> None:
        self._users = users
        self._watchers: list[Watcher] = []

    @property
    def watched(self) -> bool:
        """Whether anyone watches."""
        return bool(self._watchers)

    def watch(self, watcher: Watcher) -> Callable[[], None]:
        """Call `watcher` with every group telegram from now on; answers the function that stops it."""
        self._watchers.append(watcher)

        def stop() -> None:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

        return stop

    def seen(self, telegram: Telegram, source: str | None = None) -> None:
        """A group telegram received from the bus, or sent by the hub (then `source` is the hub's address)."""
        if not self._watchers or not isinstance(telegram.destination_address, GroupAddress):
            return
        kind = KINDS.get(type(telegram.payload))
        if kind is None:
            return  # memory and property services do not travel to group addresses
        payload = getattr(telegram.payload, "value", None)
        described = self._describe(telegram.destination_address, payload)
        told = BusTelegram(
            time=time.time(),
            source=source or str(telegram.source_address),
            destination=str(telegram.destination_address),
            kind=kind,
            payload=wire(payload) if payload is not None else "",
            **described,
        )
        for watcher in list(self._watchers):
            try:
                watcher(told)
            except Exception:  # one watcher's bug must not keep the others from the telegram
                _LOG.exception("a KNX bus watcher failed")

    def _describe(self, address: GroupAddress, payload: DPTBinary | DPTArray | None) -> dict[str, Any]:
        """The name, value and unit the first thing using the address gives it ({} when none does)."""
        fallback: dict[str, Any] = {}
        for thing, device, param in self._users(address.raw):
            for datapoint in device.datapoints:
                if param not in (datapoint.write, datapoint.status):
                    continue
                state_type = thing.thing_class.state_type_named(datapoint.state)
                label = state_type.display_name if state_type is not None else datapoint.state
                described: dict[str, Any] = {"name": f"{thing.name} · {label}"}
                if payload is not None:
                    try:
                        described["value"] = datapoint.codec(thing).decode(payload)
                    except DECODE_ERRORS:
                        return described  # not what the address's type carries: shown raw
                    unit = state_type.unit if state_type is not None else None
                    if unit is not None and unit.value != "None":
                        described["unit"] = unit.value
                return described
            fallback = fallback or {"name": thing.name}  # an event or command address: no state to decode
        return fallback
