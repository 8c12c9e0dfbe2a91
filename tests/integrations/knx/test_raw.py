"""Raw group writes (the Thinknx `sendknx` path): byte-exact, refused when the kind cannot carry the value."""

from __future__ import annotations

from typing import Any

import pytest
from xknx.exceptions import ConfirmationError

from tests.integrations.knx.rig import THERMOSTAT, FakeBus, state
from tests.integrations.knx.tools import add
from thinggate.core.errors import ThingError
from thinggate.core.events import EventTriggered
from thinggate.core.hub import Hub
from thinggate.integrations.knx import KnxIntegration

RAW: list[tuple[str, float, str, bool]] = [
    ("bit", 0, "00", True),
    ("bit", 1, "01", True),
    ("bit", 1.0, "01", True),
    ("4bits", 0, "00", True),
    ("4bits", 9, "09", True),
    ("4bits", 31, "1F", True),
    ("byte", 0, "00", False),
    ("byte", 200, "C8", False),
    ("byte", 255, "FF", False),
    ("byte_signed", -128, "80", False),
    ("byte_signed", -1, "FF", False),
    ("byte_signed", 0, "00", False),
    ("byte_signed", 127, "7F", False),
    ("float2", 21.5, "0C 33", False),
    ("float2", 0, "00 00", False),
    ("float2", -671088.64, "F8 00", False),
    ("float2", 670433.28, "7F FE", False),
    ("float4", 1234.5, "44 9A 50 00", False),
    ("float4", -1.0, "BF 80 00 00", False),
    ("float4", 3.4028234663852886e38, "7F 7F FF FF", False),
]


@pytest.mark.parametrize(("kind", "value", "expected", "is_small"), RAW, ids=[f"{k}-{v}" for k, v, _, _ in RAW])
async def test_raw_writes_are_byte_exact(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus], kind: str, value: float, expected: str, is_small: bool
) -> None:
    """Every kind at its edges: the payload bytes and whether they travel in the APCI byte."""
    _hub, knx, bus = knx_hub
    await knx.write_group_value("9/1/1", kind, value)
    assert bus.writes() == [("9/1/1", expected, is_small)]


RAW_REFUSED: list[tuple[str, Any, str]] = [
    ("bit", 2, "2"),
    ("bit", -1, "-1"),
    ("bit", 0.5, "0.5"),
    ("4bits", 32, "32"),
    ("4bits", -1, "-1"),
    ("byte", 256, "256"),
    ("byte", -1, "-1"),
    ("byte", 1.5, "1.5"),
    ("byte_signed", 128, "128"),
    ("byte_signed", -129, "-129"),
    ("byte_signed", 0.25, "0.25"),
    ("float2", 670760.97, "670760.97"),
    ("float2", -671088.65, "-671088.65"),
    ("float2", float("nan"), "nan"),
    ("float4", float("inf"), "inf"),
    ("float4", 1e39, "1e+39"),
    ("byte", "12", "'12'"),
    ("word", 1, "'word'"),
]


@pytest.mark.parametrize(("kind", "value", "named"), RAW_REFUSED, ids=[f"{k}-{v}" for k, v, _ in RAW_REFUSED])
async def test_raw_writes_refuse_what_the_kind_cannot_carry(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus], kind: str, value: Any, named: str
) -> None:
    """Out of range, not whole for an integer kind, not a number, unknown kind: ValueError naming it."""
    _hub, knx, bus = knx_hub
    with pytest.raises(ValueError, match=named.replace("+", r"\+").replace(".", r"\.")):
        await knx.write_group_value("9/1/1", kind, value)
    assert bus.sent == []


async def test_raw_writes_need_a_group_address_and_a_bus(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """A malformed address is a ValueError; no bus or a failed send is HARDWARE_NOT_AVAILABLE."""
    from thinggate.core.errors import ThingFailure

    _hub, knx, bus = knx_hub
    with pytest.raises(ValueError, match="x/y/z"):
        await knx.write_group_value("x/y/z", "bit", 1)
    bus.failure = ConfirmationError("no confirmation")
    with pytest.raises(ThingFailure) as failed:
        await knx.write_group_value("9/1/1", "bit", 1)
    assert failed.value.error is ThingError.HARDWARE_NOT_AVAILABLE and "9/1/1" in failed.value.message
    bus.failure = None
    bus.down = True
    bus.lose_link()
    with pytest.raises(ThingFailure) as unconnected:
        await knx.write_group_value("9/1/1", "bit", 1)
    assert unconnected.value.error is ThingError.HARDWARE_NOT_AVAILABLE
    assert bus.sent == []


async def test_raw_writes_update_listening_things(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """A raw write counts as if the bus echoed it: on a write address too, status address or not."""
    hub, knx, _bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
    thermostat = await add(hub, "knxThermostat", **THERMOSTAT)
    button = await add(hub, "knxButton", address="7/0/1")
    events: list[Any] = []
    hub.bus.listen(lambda e: events.append(e) if isinstance(e, EventTriggered) else None)
    await knx.write_group_value("1/0/1", "bit", 1)
    assert state(switch, "power") is True
    await knx.write_group_value("3/0/3", "float2", 23.5)
    assert state(thermostat, "targetTemperature") == 23.5
    await knx.write_group_value("7/0/1", "bit", 1)
    assert [e.event.thing_id for e in events] == [button.id]
