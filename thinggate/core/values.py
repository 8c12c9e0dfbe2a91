"""Value conversion, param verification and clamping: done once here for every door."""

from __future__ import annotations

import math
import re
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import BasicType, ParamType, ParamValues

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_COLOR = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_MISSING = object()
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


_UUID_CACHE: dict[str, uuid.UUID | None] = {}
_UUID_CACHE_SIZE = 8192
# Ids the hub keys its tables by, by value: parse_uuid hands out these very objects, so that a dict
# lookup with a parsed id finds its key by identity (UUID.__eq__ is a Python call) and `is` tests
# hold. Weak: an id the model no longer holds goes by itself.
_KNOWN_IDS: weakref.WeakValueDictionary[int, uuid.UUID] = weakref.WeakValueDictionary()


def know_ids(ids: Iterable[uuid.UUID]) -> None:
    """Let parse_uuid answer these UUID objects for their value (the hub's things and types)."""
    for value in ids:
        _KNOWN_IDS[value.int] = value


def parse_uuid(value: Any) -> uuid.UUID | None:
    """A UUID from a string with or without braces, or None if it is not one."""
    # Doors hand in the same few ids over and over; uuid.UUID() is a noticeable part of a request,
    # and so are the type checks before the cache: a string found there is answered first.
    if value.__class__ is str:
        cached = _UUID_CACHE.get(value, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > 40:
        return None
    text = value.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    parsed: uuid.UUID | None
    try:
        fresh = uuid.UUID(text)
    except ValueError:
        parsed = None
    else:
        parsed = _KNOWN_IDS.get(fresh.int, fresh)
    if len(_UUID_CACHE) >= _UUID_CACHE_SIZE:
        _UUID_CACHE.clear()  # bounded: ids from clients are not trusted to repeat
    _UUID_CACHE[value] = parsed
    return parsed


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            number = _to_float(value)
            return int(number) if number is not None and number.is_integer() else None
    return None


def _to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and len(value) < 64:
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _int(value: Any) -> Any:
    return _to_int(value)


def _uint(value: Any) -> Any:
    result = _to_int(value)
    return None if result is not None and result < 0 else result


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None


def _string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _string_list(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    if isinstance(value, str):
        return [value]
    return None


def _uuid_string(value: Any) -> Any:
    parsed = parse_uuid(value)
    return str(parsed) if parsed else None


def _color(value: Any) -> Any:
    return value if isinstance(value, str) and _COLOR.match(value) else None


def _time(value: Any) -> Any:
    match = _TIME.match(value) if isinstance(value, str) else None
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


def _object(value: Any) -> Any:
    return value if isinstance(value, dict) else None


# Per basic type but Variant (by its value: a str, whose hash is cached, where an enum member's is a
# Python call), the conversion, None when impossible. Every state report and action param takes one.
_CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    BasicType.INT.value: _int,
    BasicType.UINT.value: _uint,
    BasicType.DOUBLE.value: _to_float,
    BasicType.BOOL.value: _bool,
    BasicType.STRING.value: _string,
    BasicType.STRING_LIST.value: _string_list,
    BasicType.UUID.value: _uuid_string,
    BasicType.COLOR.value: _color,
    BasicType.TIME.value: _time,
    BasicType.OBJECT.value: _object,
}


_BOOL, _INT, _STRING = BasicType.BOOL, BasicType.INT, BasicType.STRING


def convert(basic_type: BasicType, value: Any) -> Any:
    """Convert a wire value to the basic type, liberal as Qt's QVariant is; raise ValueError if impossible."""
    if basic_type is BasicType.VARIANT:
        return value
    kind = value.__class__
    if (
        (kind is bool and basic_type is _BOOL)
        or (kind is int and basic_type is _INT)
        or (kind is str and basic_type is _STRING)
    ):
        return value  # its own conversion (the usual action param and state report): no call
    if value is None:
        raise ValueError(f"null is not a {basic_type.value}")
    result = _CONVERSIONS[basic_type._value_](value)
    if result is None:
        raise ValueError(f"{value!r} is not a valid {basic_type.value}")
    return result


def _number(value: Any) -> float | None:
    return _to_float(value) if value is not None else None


def verify_value(param_type: ParamType, value: Any, *, min_value: Any = None, max_value: Any = None) -> Any:
    """Convert and check one value against its param type; raise InvalidParameter with the reason."""
    try:
        converted = convert(param_type.type, value)
    except ValueError as exc:
        raise ThingFailure(ThingError.INVALID_PARAMETER, f"param {param_type.name!r}: {exc}") from None
    if isinstance(converted, (int, float)) and not isinstance(converted, bool):
        low = _number(min_value if min_value is not None else param_type.min_value)
        high = _number(max_value if max_value is not None else param_type.max_value)
        if low is not None and converted < low:
            raise ThingFailure(
                ThingError.INVALID_PARAMETER, f"param {param_type.name!r}: {converted} is below the minimum {low:g}"
            )
        if high is not None and converted > high:
            raise ThingFailure(
                ThingError.INVALID_PARAMETER, f"param {param_type.name!r}: {converted} is above the maximum {high:g}"
            )
        if param_type.step_size:
            steps = (converted - (low or 0)) / param_type.step_size
            if abs(steps - round(steps)) > 1e-6:
                raise ThingFailure(
                    ThingError.INVALID_PARAMETER,
                    f"param {param_type.name!r}: {converted} is not a multiple of the step {param_type.step_size:g}",
                )
    if param_type.allowed_values is not None and converted not in param_type.allowed_values:
        raise ThingFailure(
            ThingError.INVALID_PARAMETER,
            f"param {param_type.name!r}: {converted!r} is not one of {list(param_type.allowed_values)!r}",
        )
    return converted


def verify_params(
    param_types: Iterable[ParamType],
    given: Iterable[tuple[Any, Any]],
    *,
    require_all: bool = True,
    fill_defaults: bool = True,
    limits: Mapping[uuid.UUID, tuple[Any, Any]] | None = None,
) -> ParamValues:
    """Verify given (param type id, value) pairs and fill in defaults (nymea's verifyParams + buildParams).

    Unknown ids and bad values give InvalidParameter; a param without default that is missing gives
    MissingParameter when require_all. With fill_defaults off only the given params are answered
    (for merging into existing values). `limits` overrides min/max per param (dynamic state limits).
    """
    types = list(param_types)
    by_id = {pt.id: pt for pt in types}
    values: ParamValues = {}
    for raw_id, value in given:
        param_type_id = parse_uuid(raw_id)
        param_type = by_id.get(param_type_id) if param_type_id else None
        if param_type is None:
            raise ThingFailure(ThingError.INVALID_PARAMETER, f"no param type with id {raw_id!r}")
        low, high = limits.get(param_type.id, (None, None)) if limits else (None, None)
        values[param_type.id] = verify_value(param_type, value, min_value=low, max_value=high)
    result: ParamValues = {}
    for param_type in types:
        if param_type.id in values:
            result[param_type.id] = values[param_type.id]
        elif param_type.has_default and fill_defaults:
            result[param_type.id] = param_type.default_value
        elif require_all:
            raise ThingFailure(ThingError.MISSING_PARAMETER, f"param {param_type.name!r} is required")
    return result


def _round_half_away(number: float) -> float:
    return math.floor(number + 0.5) if number >= 0 else -math.floor(-number + 0.5)


def clamp(value: Any, basic_type: BasicType, min_value: Any, max_value: Any, step_size: float | None) -> Any:
    """Clamp a numeric state value into [min, max] and onto its step (nymea's ensureValueClamping)."""
    if basic_type not in (BasicType.INT, BasicType.UINT, BasicType.DOUBLE) or isinstance(value, bool):
        return value
    number = _to_float(value)
    if number is None:
        return value
    low, high = _number(min_value), _number(max_value)
    if low is not None and number < low:
        number = low
    if high is not None and number > high:
        number = high
    if step_size:
        origin = low or 0.0
        number = origin + _round_half_away((number - origin) / step_size) * step_size
        if high is not None and number > high:
            number -= step_size
        if low is not None and number < low:
            number += step_size
        # A step like 0.1 is not exact in binary: give back the decimal the step implies.
        number = round(number, 10)
    if basic_type is BasicType.DOUBLE:
        return float(number)
    return int(_round_half_away(number))
