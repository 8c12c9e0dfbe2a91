"""KNX venetian blinds: up/down, step, stop, position and lamella angle."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from xknx.dpt import DPTBinary

from thinggate.core.model import Action, Thing, Unit
from thinggate.integrations.knx import builder
from thinggate.integrations.knx.codecs import DECODE_ERRORS, PERCENT, SWITCH, Payload
from thinggate.integrations.knx.devices.base import Bus, Datapoint, KnxDevice, Origin, fixed, unsupported

_LOG = logging.getLogger(__name__)


_BLIND = "knxBlind"
_BLIND_OPEN = builder.action(_BLIND, "open", "Open")
_BLIND_CLOSE = builder.action(_BLIND, "close", "Close")
_BLIND_STOP = builder.action(_BLIND, "stop", "Stop")
_BLIND_STEP_UP = builder.action(_BLIND, "stepUp", "Step lamellas up")
_BLIND_STEP_DOWN = builder.action(_BLIND, "stepDown", "Step lamellas down")

UP = DPTBinary(0)
"""DPT 1.008 up (open) and DPT 1.007 step up."""
DOWN = DPTBinary(1)
"""DPT 1.008 down (close) and DPT 1.007 step down."""


class KnxBlind(KnxDevice):
    """A venetian blind actuator: up/down, step, stop, position and lamella angle (0 % = open)."""

    thing_class = builder.thing_class(
        _BLIND,
        "KNX venetian blind",
        interfaces=("venetianblindstep", "connectable"),
        params=(
            builder.address_param(_BLIND, "upDownAddress", "Up/down group address (DPT 1.008)"),
            builder.address_param(_BLIND, "stepAddress", "Step/stop group address (DPT 1.007)"),
            builder.address_param(_BLIND, "stopAddress", "Stop group address"),
            builder.address_param(_BLIND, "positionAddress", "Position group address (DPT 5.001)"),
            builder.address_param(_BLIND, "positionStateAddress", "Position status group address"),
            builder.address_param(_BLIND, "angleAddress", "Lamella angle group address (DPT 5.001)"),
            builder.address_param(_BLIND, "angleStateAddress", "Lamella angle status group address"),
        ),
        states=(
            builder.interface_state(_BLIND, "extendedclosable", "percentage", 0),
            # Not cached: after a restart nothing is known to be moving.
            builder.interface_state(_BLIND, "extendedclosable", "moving", False, cached=False),
            # KNX lamella objects are DPT 5.001 percent, so the angle is one too.
            builder.interface_state(
                _BLIND, "venetianblind", "angle", 0, unit=Unit.PERCENTAGE, min_value=0, max_value=100
            ),
            builder.connected_state(_BLIND),
        ),
        actions=(_BLIND_OPEN, _BLIND_CLOSE, _BLIND_STOP, _BLIND_STEP_UP, _BLIND_STEP_DOWN),
    )
    datapoints = (
        Datapoint("percentage", "positionAddress", "positionStateAddress", fixed(PERCENT)),
        Datapoint("angle", "angleAddress", "angleStateAddress", fixed(PERCENT)),
    )
    commands = {"open": "upDownAddress", "close": "upDownAddress", "stepUp": "stepAddress", "stepDown": "stepAddress"}

    def __init__(self) -> None:
        # The position a travelling blind is heading for, until its status reports it.
        self._targets: dict[uuid.UUID, int] = {}

    def removed(self, thing_id: uuid.UUID) -> None:
        """Forget the thing's travel target."""
        self._targets.pop(thing_id, None)

    def command_param(self, thing: Thing, action_name: str) -> str | None:
        """Stop writes the stop address, or a step when there is none (a step stops a travelling blind)."""
        if action_name == "stop":
            return "stopAddress" if self._has(thing, "stopAddress") else "stepAddress"
        return super().command_param(thing, action_name)

    def _travel(self, bus: Bus, thing: Thing, target: int) -> None:
        if not self._has(thing, "positionStateAddress"):
            # No position feedback: nothing would ever end a travel, so take the target as reached.
            bus.report_state(thing, "percentage", target)
            return
        self._targets[thing.id] = target
        bus.report_state(thing, "moving", int(thing.state_value("percentage")) != target)

    def _halt(self, bus: Bus, thing: Thing) -> None:
        self._targets.pop(thing.id, None)
        bus.report_state(thing, "moving", False)

    def on_telegram(self, bus: Bus, thing: Thing, param: str, payload: Payload, origin: Origin) -> None:
        """Up/down, position and stop telegrams drive `moving`; position and angle reports set states."""
        try:
            if param == "upDownAddress":
                self._travel(bus, thing, 100 if SWITCH.decode(payload) else 0)
            elif param in ("stepAddress", "stopAddress"):
                SWITCH.decode(payload)
                self._halt(bus, thing)
            elif param == "positionAddress":
                self._travel(bus, thing, int(PERCENT.decode(payload)))
            else:
                super().on_telegram(bus, thing, param, payload, origin)
        except DECODE_ERRORS as exc:
            _LOG.debug("%s: %s on %s does not decode: %s", thing.name, payload, param, exc)

    def value_reported(self, bus: Bus, thing: Thing, state: str, value: Any) -> None:
        """A position report equal to the travel target ends the travel."""
        if state == "percentage" and self._targets.get(thing.id) == int(value):
            self._halt(bus, thing)

    async def execute(self, bus: Bus, thing: Thing, action: Action) -> None:
        """Open, close, stop, step, or go to a position or lamella angle."""
        kind = action.action_type_id
        if kind in (_BLIND_OPEN.id, _BLIND_CLOSE.id):
            await bus.bus_write(thing, self._address(thing, "upDownAddress"), UP if kind == _BLIND_OPEN.id else DOWN)
        elif kind == _BLIND_STOP.id:
            if self._has(thing, "stopAddress"):
                await bus.bus_write(thing, self._address(thing, "stopAddress"), DPTBinary(1))
            elif self._has(thing, "stepAddress"):
                # KNX blind actuators stop a travel on a step telegram.
                await bus.bus_write(thing, self._address(thing, "stepAddress"), UP)
            else:
                raise unsupported(thing, "stopAddress")
        elif kind in (_BLIND_STEP_UP.id, _BLIND_STEP_DOWN.id):
            await bus.bus_write(thing, self._address(thing, "stepAddress"), UP if kind == _BLIND_STEP_UP.id else DOWN)
        else:
            state_type = thing.thing_class.state_type(kind)
            if (
                state_type is not None
                and state_type.name == "percentage"
                and not self._has(thing, "positionAddress")
                and self._has(thing, "upDownAddress")
                and action.params[kind] in (0, 100)
            ):
                # Fully open or closed needs no position object: up/down gets there.
                payload = UP if action.params[kind] == 0 else DOWN
                await bus.bus_write(thing, self._address(thing, "upDownAddress"), payload)
                return
            await super().execute(bus, thing, action)
