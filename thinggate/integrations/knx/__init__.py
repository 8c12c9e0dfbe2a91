"""The KNX integration: switches, lights, dimmers, blinds, thermostats, HVAC units, values, scenes and
buttons on a KNX bus reached through KNX/IP (xknx), in both directions."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from xknx.dpt import DPTArray, DPTBinary
from xknx.telegram import GroupAddress, Telegram
from xknx.telegram.apci import GroupValueRead, GroupValueResponse, GroupValueWrite

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.integration import Integration
from thinggate.core.model import Action, PluginInfo, Thing, ThingClass, Vendor
from thinggate.integrations.knx.addresses import parse_group_address
from thinggate.integrations.knx.builder import PLUGIN_ID, VENDOR_ID
from thinggate.integrations.knx.codecs import Payload
from thinggate.integrations.knx.connection import KnxConnection, NotConnectedError, SendError
from thinggate.integrations.knx.devices import DEVICE_TYPES, THING_CLASSES, KnxDevice, Origin
from thinggate.integrations.knx.monitor import BusMonitor, BusTelegram
from thinggate.integrations.knx.raw import RAW_KINDS, encode_raw
from thinggate.integrations.knx.settings import ConfiguredThing, KnxSettings, parse_knx_section

_LOG = logging.getLogger(__name__)

PLUGIN = PluginInfo(id=PLUGIN_ID, name="knx", display_name="KNX")
VENDOR = Vendor(id=VENDOR_ID, name="KNX", display_name="KNX")

READ_INTERVAL = 0.05
"""Seconds between two status reads after connecting, unless rate_limit paces sends anyway
(a burst of reads for a whole house would overrun a gateway's queue)."""


class KnxIntegration(Integration):
    """KNX things on one KNX/IP connection; each thing class is run by its KnxDevice."""

    plugin = PLUGIN
    vendors = (VENDOR,)
    thing_classes: tuple[ThingClass, ...] = THING_CLASSES

    def __init__(self, *, settings: KnxSettings) -> None:
        super().__init__()
        self.settings = settings
        self.devices: dict[uuid.UUID, KnxDevice] = {kind.thing_class.id: kind() for kind in DEVICE_TYPES}
        self._connection = KnxConnection(
            settings=settings, on_telegram=self._telegram_received, on_state=self._connection_changed
        )
        # Set-up things (the hub's own objects: it changes params in place) and who listens where.
        self._things: dict[uuid.UUID, Thing] = {}
        self._listeners: dict[int, list[tuple[uuid.UUID, str]]] = {}
        self._readers: set[asyncio.Task[None]] = set()
        self._monitor = BusMonitor(self._users_of)

    # -- connection -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the bus is reachable right now."""
        return self._connection.connected

    def connections(self) -> dict[str, bool]:
        """The KNX/IP link to the bus and whether it is up (for /metrics)."""
        return {"knx": self.connected}

    @property
    def connection(self) -> KnxConnection:
        """The KNX/IP connection (its `xknx` is the live XKNX object, None while stopped)."""
        return self._connection

    async def wait_until_connected(self, within: float) -> bool:
        """Wait until the bus is connected; False after `within` seconds."""
        return await self._connection.wait_connected(within)

    async def start(self) -> None:
        """Start connecting in the background: the hub does not wait for the gateway."""
        await self._connection.start()

    async def stop(self) -> None:
        """Stop reading, disconnect."""
        for task in list(self._readers):
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        await self._connection.stop()

    def _connection_changed(self, connected: bool) -> None:
        for thing in list(self._things.values()):
            self.report_state(thing, "connected", connected)
        if connected:
            self._read(list(self._things.values()))

    def _read(self, things: list[Thing]) -> None:
        """Ask the bus for the status of these things (GroupValueRead), in the background."""
        addresses: dict[int, GroupAddress] = {}
        for thing in things:
            device = self.devices[thing.thing_class.id]
            for param in device.status_params():
                text = thing.param(param)
                if text:
                    address = parse_group_address(text)
                    addresses.setdefault(address.raw, address)
        if not addresses:
            return
        task = asyncio.create_task(self._read_all(list(addresses.values())), name="thinggate-knx-read")
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)

    async def _read_all(self, addresses: list[GroupAddress]) -> None:
        for address in addresses:
            try:
                await self._sent(Telegram(destination_address=address, payload=GroupValueRead()))
            except NotConnectedError:
                return  # the next connect reads everything again
            except SendError as exc:
                _LOG.debug("reading %s failed: %s", address, exc)
            if not self.settings.rate_limit:
                await asyncio.sleep(READ_INTERVAL)

    # -- things -----------------------------------------------------------------------------

    def thing_class_named(self, name: str) -> ThingClass:
        """A KNX class by name (KeyError if there is none)."""
        for thing_class in self.thing_classes:
            if thing_class.name == name:
                return thing_class
        raise KeyError(f"no KNX thing class named {name!r}")

    def device(self, thing: Thing) -> KnxDevice:
        """The device type that runs a thing."""
        try:
            return self.devices[thing.thing_class.id]
        except KeyError:
            raise ThingFailure(ThingError.THING_CLASS_NOT_FOUND, f"no KNX class {thing.thing_class.id}") from None

    async def setup_thing(self, thing: Thing) -> None:
        """Check the thing's addresses and DPTs and start listening on its addresses."""
        device = self.device(thing)
        addresses = device.validate(thing)
        await device.setup(self, thing)
        self._forget(thing.id)
        self._things[thing.id] = thing
        for param, address in addresses.items():
            self._listeners.setdefault(address.raw, []).append((thing.id, param))
        self.report_state(thing, "connected", self.connected)
        if self.connected:
            self._read([thing])

    async def thing_removed(self, thing: Thing) -> None:
        """Stop listening for the thing."""
        self._forget(thing.id)
        device = self.devices.get(thing.thing_class.id)
        if device is not None:
            device.removed(thing.id)

    def _forget(self, thing_id: uuid.UUID) -> None:
        if self._things.pop(thing_id, None) is None:
            return
        for raw in list(self._listeners):
            remaining = [entry for entry in self._listeners[raw] if entry[0] != thing_id]
            if remaining:
                self._listeners[raw] = remaining
            else:
                del self._listeners[raw]

    async def execute_action(self, thing: Thing, action: Action) -> None:
        """Run an action on the bus (HARDWARE_NOT_AVAILABLE while the bus is not connected)."""
        if not self.connected:
            raise ThingFailure(
                ThingError.HARDWARE_NOT_AVAILABLE, f"the KNX bus is not connected ({self._connection.description})"
            )
        await self.device(thing).execute(self, thing, action)

    def address_of(self, thing: Thing, type_id: uuid.UUID) -> str | None:
        """The group address behind a state (status, else write address), an action or an event."""
        device = self.devices.get(thing.thing_class.id)
        return device.address_of(thing, type_id) if device is not None else None

    # -- what devices call (devices.Bus) ----------------------------------------------------

    async def bus_write(self, thing: Thing, address: GroupAddress, payload: Payload) -> None:
        """Send a write for a thing's command; things listening on the address see it too."""
        await self._send_write(address, payload)
        self._dispatch(address, payload, Origin.OWN)

    def report_state(self, thing: Thing, name: str, value: Any) -> None:
        """Set a state of the thing by name."""
        state_type = thing.thing_class.state_type_named(name)
        if state_type is None:
            raise KeyError(f"{thing.thing_class.name} has no state {name!r}")
        self.host.set_state(thing.id, state_type.id, value)

    def report_event(self, thing: Thing, name: str) -> None:
        """Raise an event of the thing by name."""
        event_type = thing.thing_class.event_type_named(name)
        if event_type is None:
            raise KeyError(f"{thing.thing_class.name} has no event {name!r}")
        self.host.emit_event(thing.id, event_type.id, {})

    def report_limits(self, thing: Thing, name: str, min_value: float, max_value: float) -> None:
        """Set the dynamic range of a state of the thing by name."""
        state_type = thing.thing_class.state_type_named(name)
        if state_type is None:
            raise KeyError(f"{thing.thing_class.name} has no state {name!r}")
        self.host.set_state_limits(thing.id, state_type.id, min_value=min_value, max_value=max_value)

    # -- telegrams --------------------------------------------------------------------------

    async def _send_write(self, address: GroupAddress, payload: Payload) -> None:
        try:
            await self._sent(Telegram(destination_address=address, payload=GroupValueWrite(payload)))
        except NotConnectedError as exc:
            raise ThingFailure(ThingError.HARDWARE_NOT_AVAILABLE, f"cannot write {address}: {exc}") from None
        except SendError as exc:
            raise ThingFailure(ThingError.HARDWARE_NOT_AVAILABLE, f"writing {address} failed: {exc}") from None

    async def _sent(self, telegram: Telegram) -> None:
        """Send a telegram; the bus monitor sees it once the gateway took it."""
        await self._connection.send(telegram)
        if self._monitor.watched:
            xknx = self._connection.xknx
            self._monitor.seen(telegram, str(xknx.current_address) if xknx is not None else None)

    def _telegram_received(self, telegram: Telegram) -> None:
        self._monitor.seen(telegram)
        payload = telegram.payload
        if isinstance(telegram.destination_address, GroupAddress) and isinstance(
            payload, GroupValueWrite | GroupValueResponse
        ):
            self._dispatch(telegram.destination_address, payload.value, Origin.BUS)

    def _dispatch(self, address: GroupAddress, payload: DPTBinary | DPTArray, origin: Origin) -> None:
        for thing_id, param in list(self._listeners.get(address.raw, ())):
            thing = self._things.get(thing_id)
            if thing is None:
                continue
            try:
                self.devices[thing.thing_class.id].on_telegram(self, thing, param, payload, origin)
            except Exception:  # one thing's bug must not keep the others from the telegram
                _LOG.exception("%s failed on a telegram to %s", thing.name, address)

    # -- the bus monitor --------------------------------------------------------------------

    def watch_telegrams(self, watcher: Callable[[BusTelegram], None]) -> Callable[[], None]:
        """Call `watcher` with every group telegram received or sent from now on; answers the function that stops it."""
        return self._monitor.watch(watcher)

    def _users_of(self, raw: int) -> Iterator[tuple[Thing, KnxDevice, str]]:
        for thing_id, param in self._listeners.get(raw, ()):
            thing = self._things.get(thing_id)
            device = self.devices.get(thing.thing_class.id) if thing is not None else None
            if thing is not None and device is not None:
                yield thing, device, param

    async def write_group_value(self, group_address: str, kind: str, value: float) -> None:
        """Write a raw value (kind: bit, 4bits, byte, byte_signed, float2, float4) to a group address.

        ValueError for a malformed address or a value the kind cannot carry; ThingFailure
        HARDWARE_NOT_AVAILABLE when the bus is not connected or the send failed. Things listening
        on the address take the value as if the bus had echoed it.
        """
        address = parse_group_address(group_address)
        payload = encode_raw(kind, value)
        await self._send_write(address, payload)
        self._dispatch(address, payload, Origin.BUS)


__all__ = [
    "PLUGIN",
    "RAW_KINDS",
    "VENDOR",
    "BusTelegram",
    "ConfiguredThing",
    "KnxIntegration",
    "KnxSettings",
    "parse_knx_section",
]
