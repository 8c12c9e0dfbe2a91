"""Raw group telegrams for the Thinknx `system/sendKNX*` calls: a kind of value and a number."""

from __future__ import annotations

import math
from typing import Any

from xknx.dpt import DPTArray, DPTBinary
from xknx.dpt.dpt_9 import DPT2ByteFloat
from xknx.dpt.dpt_14 import DPT4ByteFloat
from xknx.exceptions import ConversionError

from thinggate.integrations.knx.codecs import Payload

INTEGER_KINDS: dict[str, tuple[int, int]] = {
    "bit": (0, 1),
    "4bits": (0, 31),
    "byte": (0, 255),
    "byte_signed": (-128, 127),
}
"""Integer kinds and their ranges: 1 bit (DPT 1), the small 4bits value the seed allows up to 31
(it travels in the 6 data bits of the APCI byte like a 1-bit value), DPT 5 unsigned and DPT 6
signed bytes."""

FLOAT_KINDS = ("float2", "float4")
"""DPT 9 (2-byte KNX float) and DPT 14 (4-byte IEEE float)."""

RAW_KINDS = (*INTEGER_KINDS, *FLOAT_KINDS)
"""Every kind write_group_value accepts."""


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return float(value)


def encode_raw(kind: str, value: Any) -> Payload:
    """The payload of a raw write; ValueError naming the value if it does not fit the kind."""
    if kind not in RAW_KINDS:
        raise ValueError(f"{kind!r} is not a telegram kind (one of {', '.join(RAW_KINDS)})")
    number = _number(value)
    if kind in INTEGER_KINDS:
        if not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number (kind {kind})")
        low, high = INTEGER_KINDS[kind]
        whole = int(number)
        if not low <= whole <= high:
            raise ValueError(f"{value!r} is out of range for kind {kind} ({low}..{high})")
        if kind in ("bit", "4bits"):
            return DPTBinary(whole)
        # Two's complement for the signed byte: -1 travels as 0xFF.
        return DPTArray((whole & 0xFF,))
    transcoder = DPT2ByteFloat if kind == "float2" else DPT4ByteFloat
    try:
        return transcoder.to_knx(number)
    except (ConversionError, OverflowError):
        raise ValueError(
            f"{value!r} is out of range for kind {kind} ({transcoder.value_min:g}..{transcoder.value_max:g})"
        ) from None
