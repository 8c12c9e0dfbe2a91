"""KNX push buttons on a 1-bit group address."""

from __future__ import annotations

from xknx.dpt import DPTBinary

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import Action, BasicType, Thing
from thinggate.integrations.knx import builder
from thinggate.integrations.knx.codecs import Payload
from thinggate.integrations.knx.devices.base import Bus, KnxDevice, Origin

_BUTTON = "knxButton"
_BUTTON_TRIGGER = builder.action(_BUTTON, "trigger", "Press")


class KnxButton(KnxDevice):
    """A push button on a 1-bit group address: `trigger` sends its value, the bus sending it is `pressed`."""

    thing_class = builder.thing_class(
        _BUTTON,
        "KNX button",
        interfaces=("button", "connectable"),
        params=(
            builder.address_param(_BUTTON, "address", "Button group address", required=True),
            builder.param(_BUTTON, "value", BasicType.INT, 1, display_name="Value sent", allowed_values=(0, 1)),
        ),
        states=(builder.connected_state(_BUTTON),),
        events=(builder.event(_BUTTON, "pressed", "Pressed"),),
        actions=(_BUTTON_TRIGGER,),
    )
    commands = {"trigger": "address"}
    event_addresses = {"pressed": "address"}

    def on_telegram(self, bus: Bus, thing: Thing, param: str, payload: Payload, origin: Origin) -> None:
        """A telegram carrying the button's value is a press."""
        if param == "address" and isinstance(payload, DPTBinary) and payload.value == int(thing.param("value")):
            bus.report_event(thing, "pressed")

    async def execute(self, bus: Bus, thing: Thing, action: Action) -> None:
        """Press the button: send its value."""
        if action.action_type_id != _BUTTON_TRIGGER.id:
            raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND, f"{thing.thing_class.name} cannot run this action")
        await bus.bus_write(thing, self._address(thing, "address"), DPTBinary(int(thing.param("value"))))
