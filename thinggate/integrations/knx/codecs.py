"""Translations between thinggate state values and KNX payloads, built on xknx's DPT transcoders."""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import Enum
from typing import Any, Protocol

from xknx.dpt import DPTArray, DPTBase, DPTBinary, DPTNumeric
from xknx.dpt.dpt_18 import SceneControl
from xknx.dpt.dpt_20 import HVACControllerMode, HVACOperationMode
from xknx.exceptions import ConversionError, CouldNotParseTelegram

Payload = DPTBinary | DPTArray
"""What a GroupValueWrite or GroupValueResponse carries."""

DECODE_ERRORS = (ConversionError, CouldNotParseTelegram, ValueError, TypeError)
"""What a transcoder raises for a payload that does not fit its DPT."""


class Codec(Protocol):
    """Encodes a state value into a payload and decodes a payload into a state value."""

    def encode(self, value: Any) -> Payload:
        """The payload for a value; ValueError if the DPT cannot carry it."""

    def decode(self, payload: Payload) -> Any:
        """The value a payload carries; one of DECODE_ERRORS if it does not fit."""


def transcoder(dpt: str) -> type[DPTBase]:
    """xknx's transcoder for a DPT such as "9.001" or "5"; ValueError if xknx knows none."""
    found = DPTBase.parse_transcoder(dpt)
    if found is None:
        raise ValueError(f"{dpt!r} is not a DPT xknx knows")
    return found


def numeric_transcoder(dpt: str) -> type[DPTNumeric]:
    """xknx's transcoder for a numeric DPT; ValueError for an unknown or non-numeric one."""
    found = transcoder(dpt)
    if not issubclass(found, DPTNumeric):
        raise ValueError(f"{dpt!r} is not a numeric DPT")
    return found


class BoolCodec:
    """DPT 1 (1 bit): True is 1, False is 0, or the other way round when inverted."""

    def __init__(self, *, invert: bool = False) -> None:
        self.invert = invert

    def encode(self, value: Any) -> Payload:
        """1 or 0."""
        return DPTBinary(int(bool(value) != self.invert))

    def decode(self, payload: Payload) -> bool:
        """True for 1, False for 0 (inverted if asked)."""
        if not isinstance(payload, DPTBinary) or payload.value not in (0, 1):
            raise ValueError(f"{payload} is not a 1-bit value")
        return bool(payload.value) != self.invert


class NumericCodec:
    """A numeric DPT (5.001 percent, 9.001 temperature, 14.xxx, ...) through its xknx transcoder."""

    def __init__(self, dpt: str) -> None:
        self.dpt = dpt
        self.transcoder = numeric_transcoder(dpt)
        # Integer DPTs truncate silently in xknx; a fraction is refused instead of changed.
        probe = 0.0 if self.transcoder.value_min <= 0 <= self.transcoder.value_max else self.transcoder.value_min
        self.integral = isinstance(self.transcoder.from_knx(self.transcoder.to_knx(probe)), int)

    def encode(self, value: Any) -> Payload:
        """The DPT's bytes for a number; ValueError if out of its range or not whole for an integer DPT."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{value!r} is not a number for DPT {self.dpt}")
        if self.integral:
            if float(value) != int(value):
                raise ValueError(f"{value!r} is not a whole number for DPT {self.dpt}")
            value = int(value)
        try:
            return self.transcoder.to_knx(value)
        except (ConversionError, OverflowError, ValueError):
            raise ValueError(
                f"{value!r} is out of range for DPT {self.dpt} "
                f"({self.transcoder.value_min:g}..{self.transcoder.value_max:g})"
            ) from None

    def decode(self, payload: Payload) -> int | float:
        """The number the payload carries."""
        value: int | float = self.transcoder.from_knx(payload)
        return value


class EnumCodec:
    """An enumerated DPT (20.102, 20.105) mapped onto a state's possible values."""

    def __init__(self, dpt: str, to_bus: Mapping[str, Enum], from_bus: Mapping[Enum, str]) -> None:
        self.dpt = dpt
        self.transcoder = transcoder(dpt)
        self.to_bus = dict(to_bus)
        self.from_bus = dict(from_bus)

    def encode(self, value: Any) -> Payload:
        """The byte of the mode a state value names."""
        try:
            return self.transcoder.to_knx(self.to_bus[value])
        except KeyError:
            raise ValueError(f"{value!r} is not one of {sorted(self.to_bus)}") from None

    def decode(self, payload: Payload) -> str:
        """The state value of the mode the payload carries; ValueError for a mode we have no name for."""
        mode = self.transcoder.from_knx(payload)
        try:
            return self.from_bus[mode]
        except KeyError:
            raise ValueError(f"DPT {self.dpt} mode {mode} has no thinggate name") from None


THERMOSTAT_MODE_CODEC = EnumCodec(
    "20.102",
    {
        "standby": HVACOperationMode.STANDBY,
        "comfort": HVACOperationMode.COMFORT,
        "night": HVACOperationMode.ECONOMY,
        "frost": HVACOperationMode.BUILDING_PROTECTION,
    },
    {
        HVACOperationMode.STANDBY: "standby",
        HVACOperationMode.COMFORT: "comfort",
        HVACOperationMode.ECONOMY: "night",
        HVACOperationMode.BUILDING_PROTECTION: "frost",
        # A controller in AUTO runs its own schedule; comfort is the mode it shows a person.
        HVACOperationMode.AUTO: "comfort",
    },
)
"""DPT 20.102 HVAC operating mode <-> the thermostat's operatingMode."""

HVAC_MODE_CODEC = EnumCodec(
    "20.105",
    {
        "cool": HVACControllerMode.COOL,
        "heat": HVACControllerMode.HEAT,
        "dry": HVACControllerMode.DEHUMIDIFICATION,
        "fan": HVACControllerMode.FAN_ONLY,
        "auto": HVACControllerMode.AUTO,
    },
    {
        HVACControllerMode.COOL: "cool",
        HVACControllerMode.HEAT: "heat",
        HVACControllerMode.DEHUMIDIFICATION: "dry",
        HVACControllerMode.FAN_ONLY: "fan",
        HVACControllerMode.AUTO: "auto",
    },
)
"""DPT 20.105 HVAC controller mode <-> the HVAC unit's hvacMode."""


class FanSpeedCodec:
    """DPT 5.010 fan stage count: auto 0, min 1, avg 2, max 3 (higher stages count as max)."""

    SPEEDS = ("auto", "min", "avg", "max")

    def __init__(self) -> None:
        self.numeric = NumericCodec("5.010")

    def encode(self, value: Any) -> Payload:
        """The stage byte of a fan speed name."""
        if value not in self.SPEEDS:
            raise ValueError(f"{value!r} is not one of {list(self.SPEEDS)}")
        return self.numeric.encode(self.SPEEDS.index(value))

    def decode(self, payload: Payload) -> str:
        """The fan speed name of a stage byte."""
        stage = int(self.numeric.decode(payload))
        return self.SPEEDS[min(stage, len(self.SPEEDS) - 1)]


class SceneCodec:
    """A scene number 1..64 as DPT 17.001 (number - 1) or DPT 18.001 (scene control, learn bit clear)."""

    def __init__(self, dpt: str) -> None:
        if dpt not in ("17.001", "18.001"):
            raise ValueError(f"{dpt!r} is not a scene DPT (17.001 or 18.001)")
        self.dpt = dpt
        self.transcoder = transcoder(dpt)

    def encode(self, value: Any) -> Payload:
        """The byte that recalls scene `value`."""
        number = int(value)
        if not 1 <= number <= 64:
            raise ValueError(f"{value!r} is not a scene number 1..64")
        if self.dpt == "18.001":
            return self.transcoder.to_knx(SceneControl(scene_number=number, learn=False))
        return self.transcoder.to_knx(number)

    def decode(self, payload: Payload) -> int | None:
        """The scene number recalled, or None when the telegram stores (learns) a scene."""
        decoded = self.transcoder.from_knx(payload)
        if isinstance(decoded, SceneControl):
            return None if decoded.learn else int(decoded.scene_number)
        return int(decoded)


PERCENT = NumericCodec("5.001")
"""DPT 5.001: 0..100 % in one byte."""
TEMPERATURE = NumericCodec("9.001")
"""DPT 9.001: °C as a 2-byte float."""
SWITCH = BoolCodec()
"""DPT 1.001 on/off, not inverted."""
