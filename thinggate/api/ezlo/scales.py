"""Ezlo value scales and the conversions between them (celsius <-> fahrenheit, watt <-> BTU/h).

A scalable value type has one base scale (the one thinggate's states use) and perhaps others
that convert to and from it. A scale of another value type, or one without a converter, cannot
be used: `rpc.params.scale.invalid`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_BTU_PER_WATT_HOUR = 3.412141633


@dataclass(frozen=True, slots=True)
class Scale:
    """A unit of a scalable value type, with conversions to and from the type's base scale."""

    name: str
    to_base: Callable[[float], float]
    from_base: Callable[[float], float]


def _same(value: float) -> float:
    return value


SCALES: dict[str, dict[str, Scale]] = {
    "temperature": {
        "celsius": Scale("celsius", _same, _same),
        "fahrenheit": Scale("fahrenheit", lambda f: (f - 32.0) * 5.0 / 9.0, lambda c: c * 9.0 / 5.0 + 32.0),
    },
    "power": {
        "watt": Scale("watt", _same, _same),
        "btu_per_hour": Scale("btu_per_hour", lambda b: b / _BTU_PER_WATT_HOUR, lambda w: w * _BTU_PER_WATT_HOUR),
    },
    "energy": {"kilo_watt_hour": Scale("kilo_watt_hour", _same, _same)},
    "humidity": {"percent": Scale("percent", _same, _same)},
    "moisture": {"percent": Scale("percent", _same, _same)},
    "illuminance": {"lux": Scale("lux", _same, _same)},
    "angle": {"degrees": Scale("degrees", _same, _same)},
}
"""Scales by value type; the first of each is the base scale thinggate's states are kept in."""


class ScaleError(ValueError):
    """A value cannot be converted to or from the given scale."""


def convert(value: float, *, value_type: str, from_scale: str, to_scale: str) -> float:
    """`value` given in `from_scale` expressed in `to_scale` (both of `value_type`)."""
    if from_scale == to_scale:
        return value
    scales = SCALES.get(value_type, {})
    source, target = scales.get(from_scale), scales.get(to_scale)
    if source is None or target is None:
        raise ScaleError(f"{value_type} cannot be converted from {from_scale!r} to {to_scale!r}")
    return target.from_base(source.to_base(value))
