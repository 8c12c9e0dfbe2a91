"""Param verification, conversion and clamping (nymea's ThingUtils) as pure functions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import BasicType, ParamType
from thinggate.core.values import clamp, convert, parse_uuid, verify_params


@pytest.mark.parametrize(
    ("value", "basic_type", "low", "high", "step", "expected"),
    [
        # reference/nymea-jsonrpc.md §6 item 52
        (5.789, BasicType.DOUBLE, None, None, 0.1, 5.8),
        (1.3, BasicType.DOUBLE, 1, 5, 0.5, 1.5),
        (11, BasicType.INT, 0, 10, 3, 9),
        (7, BasicType.INT, 0, 20, 5, 5),
        (-5, BasicType.INT, 0, 20, None, 0),
        (25, BasicType.INT, 0, 20, None, 20),
        (True, BasicType.BOOL, 0, 1, None, True),
    ],
)
def test_52_value_clamping(value: Any, basic_type: BasicType, low: Any, high: Any, step: Any, expected: Any) -> None:
    result = clamp(value, basic_type, low, high, step)
    assert result == expected
    assert type(result) is type(expected)


def test_parse_uuid_accepts_braces() -> None:
    value = uuid.uuid4()
    assert parse_uuid(f"{{{value}}}") == value
    assert parse_uuid(str(value)) == value
    assert parse_uuid("not a uuid") is None
    assert parse_uuid(42) is None


@pytest.mark.parametrize(
    ("basic_type", "value", "expected"),
    [
        (BasicType.INT, "13", 13),
        (BasicType.INT, 13.0, 13),
        (BasicType.UINT, 3, 3),
        (BasicType.DOUBLE, "2.5", 2.5),
        (BasicType.BOOL, "true", True),
        (BasicType.BOOL, 0, False),
        (BasicType.STRING, 12, "12"),
        (BasicType.TIME, "7:05", "07:05"),
        (BasicType.COLOR, "#ff00ff", "#ff00ff"),
        (BasicType.STRING_LIST, ["a"], ["a"]),
        (BasicType.OBJECT, {"a": 1}, {"a": 1}),
    ],
)
def test_convert_is_liberal_like_qvariant(basic_type: BasicType, value: Any, expected: Any) -> None:
    assert convert(basic_type, value) == expected


@pytest.mark.parametrize(
    ("basic_type", "value"),
    [
        (BasicType.INT, "blabla"),
        (BasicType.INT, 1.5),
        (BasicType.UINT, -1),
        (BasicType.DOUBLE, float("nan")),
        (BasicType.BOOL, "maybe"),
        (BasicType.TIME, "25:00"),
        (BasicType.COLOR, "red"),
        (BasicType.UUID, "x"),
        (BasicType.OBJECT, [1]),
        (BasicType.INT, None),
    ],
)
def test_convert_rejects(basic_type: BasicType, value: Any) -> None:
    with pytest.raises(ValueError, match=basic_type.value):
        convert(basic_type, value)


PORT = ParamType(id=uuid.uuid4(), name="port", display_name="Port", type=BasicType.INT, min_value=1, max_value=65535)
MODE = ParamType(
    id=uuid.uuid4(),
    name="mode",
    display_name="Mode",
    type=BasicType.STRING,
    default_value="a",
    allowed_values=("a", "b"),
)
LEVEL = ParamType(
    id=uuid.uuid4(), name="level", display_name="Level", type=BasicType.DOUBLE, default_value=0.0, step_size=0.5
)
TYPES = (PORT, MODE, LEVEL)


def test_verify_fills_defaults_and_requires_the_rest() -> None:
    assert verify_params(TYPES, [(str(PORT.id), "80")]) == {PORT.id: 80, MODE.id: "a", LEVEL.id: 0.0}
    with pytest.raises(ThingFailure) as missing:
        verify_params(TYPES, [])
    assert missing.value.error is ThingError.MISSING_PARAMETER and "port" in missing.value.message


@pytest.mark.parametrize(
    "given_params",
    [
        [(PORT.id, 0)],  # below min
        [(PORT.id, 70000)],  # above max
        [(PORT.id, 80), (MODE.id, "c")],  # not allowed
        [(PORT.id, 80), (LEVEL.id, 0.3)],  # off the step
        [(PORT.id, 80), (uuid.uuid4(), 1)],  # unknown id
        [(PORT.id, 80), ("garbage", 1)],  # not even a uuid
    ],
)
def test_verify_rejects_with_invalid_parameter(given_params: list[tuple[Any, Any]]) -> None:
    with pytest.raises(ThingFailure) as rejected:
        verify_params(TYPES, given_params)
    assert rejected.value.error is ThingError.INVALID_PARAMETER


def test_dynamic_limits_override_static_ones() -> None:
    with pytest.raises(ThingFailure):
        verify_params((PORT,), [(PORT.id, 40)], limits={PORT.id: (1, 8)})
    assert verify_params((PORT,), [(PORT.id, 8)], limits={PORT.id: (1, 8)}) == {PORT.id: 8}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
param_ids = st.one_of(
    st.sampled_from([PORT.id, MODE.id, LEVEL.id, str(PORT.id), f"{{{MODE.id}}}"]),
    st.uuids(),
    st.text(max_size=40),
    st.integers(),
    st.none(),
)
all_types = st.builds(
    ParamType,
    id=st.uuids(),
    name=st.text(min_size=1, max_size=8),
    display_name=st.just("x"),
    type=st.sampled_from(list(BasicType)),
    default_value=st.none() | json_values,
    min_value=st.none() | st.integers() | st.floats(allow_nan=False),
    max_value=st.none() | st.integers() | st.floats(allow_nan=False),
    step_size=st.none() | st.floats(min_value=0.001, max_value=10),
    allowed_values=st.none() | st.lists(json_values, max_size=3).map(tuple),
)


@settings(max_examples=400, deadline=None)
@given(
    param_types=st.lists(all_types, max_size=4) | st.just(list(TYPES)),
    given_params=st.lists(st.tuples(param_ids, json_values), max_size=5),
)
def test_verify_never_raises_anything_but_thing_failures(
    param_types: list[ParamType], given_params: list[tuple[Any, Any]]
) -> None:
    try:
        result = verify_params(param_types, given_params)
    except ThingFailure as failure:
        assert failure.error in (ThingError.INVALID_PARAMETER, ThingError.MISSING_PARAMETER)
    else:
        assert set(result) <= {pt.id for pt in param_types}
