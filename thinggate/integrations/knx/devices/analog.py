"""KNX analog values: a bare numeric group object of any numeric DPT."""

from __future__ import annotations

import functools

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import BasicType, Thing
from thinggate.integrations.knx import builder
from thinggate.integrations.knx.codecs import Codec, NumericCodec
from thinggate.integrations.knx.devices.base import Bus, Datapoint, KnxDevice

_ANALOG = "knxAnalogValue"
_ANALOG_VALUE = builder.interface_state(_ANALOG, "analogvalue", "value", 0.0)


@functools.lru_cache(maxsize=64)
def _numeric_codec(dpt: str) -> NumericCodec:
    # Built once per DPT: a codec is asked for on every telegram of every analog value.
    return NumericCodec(dpt)


def _analog_codec(thing: Thing) -> Codec:
    try:
        return _numeric_codec(str(thing.param("dpt")))
    except ValueError as exc:
        raise ThingFailure(ThingError.INVALID_PARAMETER, f"param 'dpt': {exc}") from None


class KnxAnalogValue(KnxDevice):
    """A bare numeric group object of any numeric DPT, with the range from minValue/maxValue."""

    thing_class = builder.thing_class(
        _ANALOG,
        "KNX analog value",
        interfaces=("analogvalue", "connectable"),
        params=(
            builder.address_param(_ANALOG, "address", "Value group address"),
            builder.address_param(_ANALOG, "stateAddress", "Value status group address"),
            builder.param(_ANALOG, "dpt", BasicType.STRING, "9.001", display_name="Datapoint type"),
            builder.param(_ANALOG, "minValue", BasicType.DOUBLE, 0.0, display_name="Minimum"),
            builder.param(_ANALOG, "maxValue", BasicType.DOUBLE, 100.0, display_name="Maximum"),
        ),
        states=(_ANALOG_VALUE, builder.connected_state(_ANALOG)),
    )
    datapoints = (Datapoint("value", "address", "stateAddress", _analog_codec),)

    async def setup(self, bus: Bus, thing: Thing) -> None:
        """Apply the range from the params (the value is clamped into it)."""
        low, high = float(thing.param("minValue")), float(thing.param("maxValue"))
        if low >= high:
            raise ThingFailure(ThingError.INVALID_PARAMETER, f"minValue {low:g} must be below maxValue {high:g}")
        bus.report_limits(thing, "value", low, high)
