"""What every KNX device shares: its datapoints, the bus it talks to, and the default telegram handling.

A thing's params name group addresses. A *write* address is where the hub sends commands (and
where wall switches send theirs); a *status* address is where the actuator reports what it did.
Every telegram seen on either updates the state it carries, changed or not. A command the hub
sends itself updates the state at once only when no status address exists for it; otherwise
the state waits for the actuator's report.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from xknx.telegram import GroupAddress

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import Action, BasicType, Thing, ThingClass
from thinggate.integrations.knx.addresses import optional_address
from thinggate.integrations.knx.codecs import DECODE_ERRORS, Codec, Payload

_LOG = logging.getLogger(__name__)


class Origin(enum.Enum):
    """Where a telegram a thing sees comes from."""

    BUS = "bus"
    """From the bus (a wall switch, an actuator's report), or a raw write the hub made for a door."""
    OWN = "own"
    """A command the hub sent for a thing's action."""


class Bus(Protocol):
    """What a device needs from the integration: send telegrams, report states and events."""

    async def bus_write(self, thing: Thing, address: GroupAddress, payload: Payload) -> None:
        """Send a GroupValueWrite for a thing (ThingFailure HARDWARE_NOT_AVAILABLE if impossible)."""

    def report_state(self, thing: Thing, name: str, value: Any) -> None:
        """Set a state of the thing by name."""

    def report_event(self, thing: Thing, name: str) -> None:
        """Raise an event of the thing by name."""

    def report_limits(self, thing: Thing, name: str, min_value: float, max_value: float) -> None:
        """Set the dynamic range of a state of the thing by name."""


@dataclass(frozen=True, slots=True)
class Datapoint:
    """A state carried by a write address and/or a status address, with its codec."""

    state: str
    write: str | None
    status: str | None
    codec: Callable[[Thing], Codec]


def fixed(codec: Codec) -> Callable[[Thing], Codec]:
    """A codec getter that answers the same codec for every thing."""
    return lambda _thing: codec


def unsupported(thing: Thing, param: str) -> ThingFailure:
    """The failure for an action whose address param the thing lacks."""
    return ThingFailure(ThingError.UNSUPPORTED_FEATURE, f"{thing.name} has no {param} configured")


def encoded(codec: Codec, value: Any) -> Payload:
    """A value encoded for the bus (INVALID_PARAMETER if the codec refuses it)."""
    try:
        return codec.encode(value)
    except ValueError as exc:
        raise ThingFailure(ThingError.INVALID_PARAMETER, str(exc)) from None


class KnxDevice:
    """One thing class: its params, the datapoints they carry, its commands and events."""

    thing_class: ClassVar[ThingClass]
    datapoints: ClassVar[tuple[Datapoint, ...]] = ()
    commands: ClassVar[dict[str, str]] = {}
    """Declared action name -> the address param it writes."""
    event_addresses: ClassVar[dict[str, str]] = {}
    """Event name -> the address param whose telegrams raise it."""

    @classmethod
    def address_params(cls) -> tuple[str, ...]:
        """Names of the params that hold group addresses."""
        return tuple(
            pt.name
            for pt in cls.thing_class.param_types
            if pt.type is BasicType.STRING and pt.name.endswith(("address", "Address"))
        )

    def addresses(self, thing: Thing) -> dict[str, GroupAddress]:
        """The group addresses a thing uses, by param name (INVALID_PARAMETER for a malformed one)."""
        found: dict[str, GroupAddress] = {}
        for name in self.address_params():
            address = optional_address(name, thing.param(name))
            if address is not None:
                found[name] = address
        return found

    def validate(self, thing: Thing) -> dict[str, GroupAddress]:
        """Check a thing's params at setup; answers its addresses."""
        found = self.addresses(thing)
        if not found:
            raise ThingFailure(
                ThingError.INVALID_PARAMETER, f"{thing.thing_class.name} needs at least one group address"
            )
        for datapoint in self.datapoints:
            datapoint.codec(thing)  # a codec that cannot be built (a bad DPT param) fails here
        return found

    async def setup(self, bus: Bus, thing: Thing) -> None:
        """Class-specific setup after validation (limits, ...)."""

    def removed(self, thing_id: uuid.UUID) -> None:
        """Forget what the device remembered about a thing."""

    def status_params(self) -> tuple[str, ...]:
        """Params whose addresses are read (GroupValueRead) once connected."""
        return tuple(dp.status for dp in self.datapoints if dp.status is not None)

    def datapoint(self, state: str) -> Datapoint | None:
        """The datapoint that carries a state."""
        return next((dp for dp in self.datapoints if dp.state == state), None)

    # -- from the bus -----------------------------------------------------------------------

    def on_telegram(self, bus: Bus, thing: Thing, param: str, payload: Payload, origin: Origin) -> None:
        """A GroupValueWrite or GroupValueResponse on one of the thing's addresses."""
        for datapoint in self.datapoints:
            if param not in (datapoint.write, datapoint.status):
                continue
            if origin is Origin.OWN and param != datapoint.status and self._has(thing, datapoint.status):
                continue  # the actuator will report on the status address
            try:
                value = datapoint.codec(thing).decode(payload)
            except DECODE_ERRORS as exc:
                _LOG.debug("%s: %s on %s does not decode: %s", thing.name, payload, param, exc)
                continue
            bus.report_state(thing, datapoint.state, value)
            self.value_reported(bus, thing, datapoint.state, value)

    def value_reported(self, bus: Bus, thing: Thing, state: str, value: Any) -> None:
        """A state was just set from a telegram (for states that follow others)."""

    @staticmethod
    def _has(thing: Thing, param: str | None) -> bool:
        return param is not None and bool(thing.param(param))

    # -- to the bus -------------------------------------------------------------------------

    def _address(self, thing: Thing, param: str) -> GroupAddress:
        address = optional_address(param, thing.param(param))
        if address is None:
            raise unsupported(thing, param)
        return address

    async def execute(self, bus: Bus, thing: Thing, action: Action) -> None:
        """Run an action: a writable state's action writes its datapoint's write address."""
        state_type = thing.thing_class.state_type(action.action_type_id)
        datapoint = self.datapoint(state_type.name) if state_type is not None and state_type.writable else None
        if state_type is None or datapoint is None or datapoint.write is None:
            raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND, f"{thing.thing_class.name} cannot run this action")
        payload = encoded(datapoint.codec(thing), action.params[state_type.id])
        await bus.bus_write(thing, self._address(thing, datapoint.write), payload)

    # -- addresses for doors ----------------------------------------------------------------

    def address_of(self, thing: Thing, type_id: uuid.UUID) -> str | None:
        """The group address behind a state (status, else write), an action or an event."""
        thing_class = thing.thing_class
        candidates: tuple[str | None, ...] = ()
        state_type = thing_class.state_type(type_id)
        if state_type is not None:
            datapoint = self.datapoint(state_type.name)
            if datapoint is not None:
                candidates = (datapoint.status, datapoint.write)
        else:
            action_type = thing_class.action_type(type_id)
            event_type = thing_class.event_type(type_id)
            if action_type is not None:
                candidates = (self.command_param(thing, action_type.name),)
            elif event_type is not None:
                candidates = (self.event_addresses.get(event_type.name),)
        for param in candidates:
            if param is not None and thing.param(param):
                address = optional_address(param, thing.param(param))
                return str(address) if address is not None else None
        return None

    def command_param(self, thing: Thing, action_name: str) -> str | None:
        """The address param a declared action writes for this thing."""
        return self.commands.get(action_name)
