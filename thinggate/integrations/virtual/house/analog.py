"""An analog value of the simulated house: a number with a configured range."""

from __future__ import annotations

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import BasicType, Thing, ThingClass
from thinggate.integrations.virtual import builder
from thinggate.integrations.virtual.house.base import HouseBehaviour

_ANALOG = "analogValue"
_ANALOG_VALUE = builder.interface_state(_ANALOG, "analogvalue", "value", 0.0)


class AnalogValueBehaviour(HouseBehaviour):
    """A bare analog value whose range comes from the thing params minValue and maxValue."""

    thing_class: ThingClass = builder.thing_class(
        _ANALOG,
        "Analog value",
        interfaces=("analogvalue",),
        params=(
            builder.param(_ANALOG, "minValue", BasicType.DOUBLE, 0.0, display_name="Minimum"),
            builder.param(_ANALOG, "maxValue", BasicType.DOUBLE, 100.0, display_name="Maximum"),
        ),
        states=(_ANALOG_VALUE,),
    )

    async def setup(self, thing: Thing) -> None:
        """Apply the range from the params (the value is clamped into it)."""
        low, high = float(thing.param("minValue")), float(thing.param("maxValue"))
        if low >= high:
            raise ThingFailure(ThingError.SETUP_FAILED, f"minValue {low:g} must be below maxValue {high:g}")
        self.host.set_state_limits(thing.id, _ANALOG_VALUE.id, min_value=low, max_value=high)
