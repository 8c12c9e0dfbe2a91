"""Wire values of the Integration Kit <-> thinggate state values, one codec per kind of value.

The seed gives every controller's encoding: 0/1 for on/off, 0..100 for levels, indexes into a
fixed list for modes, decimals with '.' for temperatures and analog values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from thinggate.api.thinknx.errors import params_errors
from thinggate.core.model import BasicType, State, StateType

# re.ASCII: without it \d also matches other scripts' digits ("\u0661", "\uff11"), which int() and
# float() accept, so cmd=%D9%A1 would read as 1; the API's numbers are ASCII digits.
_INTEGER = re.compile(r"[+-]?\d{1,12}", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(\d{1,15}(\.\d{0,15})?|\.\d{1,15})", re.ASCII)


def parse_integer(name: str, text: str | None, low: int, high: int) -> int:
    """An integer param within [low, high] (400 otherwise, naming the value)."""
    if text is None or not _INTEGER.fullmatch(text.strip()):
        raise params_errors(f"{name}={text!r} is not an integer")
    value = int(text.strip())
    if not low <= value <= high:
        raise params_errors(f"{name}={value} is outside {low}..{high}")
    return value


def parse_decimal(name: str, text: str | None) -> float:
    """A decimal param with '.' as separator (400 otherwise)."""
    if text is None or not _DECIMAL.fullmatch(text.strip()):
        raise params_errors(f"{name}={text!r} is not a decimal number")
    value = float(text.strip())
    if not math.isfinite(value):
        raise params_errors(f"{name}={text!r} is not finite")
    return value


class Codec:
    """How one controller's value travels: parsed from the query, shown as `status`."""

    def parse(self, name: str, text: str | None, state: State, state_type: StateType) -> Any:
        """The thinggate value for a wire value (raises a 400 ThinknxError)."""
        raise NotImplementedError

    def status(self, value: Any, state: State, state_type: StateType) -> Any:
        """The wire value of a thinggate value."""
        raise NotImplementedError


class OnOff(Codec):
    """0 = off / disabled, 1 = on / enabled."""

    def parse(self, name: str, text: str | None, state: State, state_type: StateType) -> Any:
        """0 or 1 -> False or True."""
        return parse_integer(name, text, 0, 1) == 1

    def status(self, value: Any, state: State, state_type: StateType) -> Any:
        """True -> 1."""
        return 1 if value else 0


class Percent(Codec):
    """0..100 mapped onto the state's own range (a lamella angle of -90..90 degrees reads 0..100)."""

    def parse(self, name: str, text: str | None, state: State, state_type: StateType) -> Any:
        """A percentage -> a value in the state's range."""
        percent = parse_integer(name, text, 0, 100)
        low, high = _range(state)
        value = low + (high - low) * percent / 100.0
        return round(value) if state_type.type in (BasicType.INT, BasicType.UINT) else value

    def status(self, value: Any, state: State, state_type: StateType) -> Any:
        """A value in the state's range -> 0..100."""
        low, high = _range(state)
        if high == low:
            return 0
        return max(0, min(100, round((float(value) - low) * 100.0 / (high - low))))


class Number(Codec):
    """A decimal number as is (the core checks it against the state's limits)."""

    def parse(self, name: str, text: str | None, state: State, state_type: StateType) -> Any:
        """'20.5' -> 20.5."""
        return parse_decimal(name, text)

    def status(self, value: Any, state: State, state_type: StateType) -> Any:
        """The value (a whole float reads as itself: 21.0)."""
        return value


@dataclass(frozen=True)
class Choice(Codec):
    """An index into a fixed list of modes (0 = the first)."""

    values: tuple[str, ...]

    def parse(self, name: str, text: str | None, state: State, state_type: StateType) -> Any:
        """An index -> the mode."""
        return self.values[parse_integer(name, text, 0, len(self.values) - 1)]

    def status(self, value: Any, state: State, state_type: StateType) -> Any:
        """The mode -> its index (None for a mode outside the list)."""
        return self.values.index(value) if value in self.values else None


def _range(state: State) -> tuple[float, float]:
    low = float(state.min_value) if state.min_value is not None else 0.0
    high = float(state.max_value) if state.max_value is not None else 100.0
    return low, high


ON_OFF = OnOff()
PERCENT = Percent()
NUMBER = Number()
