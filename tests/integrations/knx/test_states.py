"""How states follow a command: optimistically, or by the status address; a blind's travel."""

from __future__ import annotations

import asyncio
from unittest.mock import patch

from xknx.dpt import DPTArray, DPTBinary
from xknx.exceptions import CommunicationError, ConfirmationError

from tests.integrations.knx.rig import BLIND, FakeBus, state
from tests.integrations.knx.tools import add, run
from thinggate.core.errors import ThingError
from thinggate.core.hub import Hub
from thinggate.integrations.knx import KnxIntegration


async def test_without_status_address_the_state_follows_the_command(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    """No status address: the state is set once the send succeeded."""
    hub, _knx, _bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1")
    assert (await run(hub, switch, "power", True)).ok
    assert state(switch, "power") is True
    dimmer = await add(hub, "knxDimmer", switchAddress="1/1/1", brightnessAddress="1/1/3")
    assert (await run(hub, dimmer, "brightness", 40)).ok
    assert state(dimmer, "brightness") == 40
    assert state(dimmer, "power") is True  # no switch status: a brightness above 0 means on


async def test_with_status_address_the_state_waits_for_the_actuator(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    """A status address: the command leaves the state alone until the actuator reports."""
    hub, _knx, bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
    assert (await run(hub, switch, "power", True)).ok
    assert bus.writes()[-1] == ("1/0/1", "01", True)
    assert state(switch, "power") is False
    await bus.incoming("1/0/2", DPTBinary(1))
    assert state(switch, "power") is True


async def test_a_failed_send_sets_no_state(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """ConfirmationError and CommunicationError answer HARDWARE_NOT_AVAILABLE naming the address."""
    hub, _knx, bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1")
    bus.failure = ConfirmationError("no L_DATA_CON")
    result = await run(hub, switch, "power", True)
    assert result.error is ThingError.HARDWARE_NOT_AVAILABLE and "1/0/1" in result.message
    assert state(switch, "power") is False
    bus.failure = CommunicationError("tunnel gone")
    result = await run(hub, switch, "power", True)
    assert result.error is ThingError.HARDWARE_NOT_AVAILABLE and "1/0/1" in result.message


async def test_an_unconfirmed_send_times_out_as_hardware_not_available(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    """No confirmation within the send timeout: HARDWARE_NOT_AVAILABLE, and the caller is not cancelled.

    The hub runs actions eagerly (core.eager): a timeout entered before the action's first
    suspension would belong to the caller's task and cancel the caller instead.
    """
    hub, _knx, bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1")
    bus.hang = True
    with patch("thinggate.integrations.knx.connection.SEND_TIMEOUT", 0.2):
        result = await run(hub, switch, "power", True)
        await asyncio.sleep(0.3)  # a stray cancellation would hit this sleep
    assert result.error is ThingError.HARDWARE_NOT_AVAILABLE and "1/0/1" in result.message
    assert state(switch, "power") is False


async def test_commands_reach_other_things_on_the_same_address(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """A command on 1/0/1 is seen by a thing whose status address is 1/0/1 (the bus carries it to both)."""
    hub, _knx, _bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
    mirror = await add(hub, "knxLight", address="1/0/3", stateAddress="1/0/1")
    assert (await run(hub, switch, "power", True)).ok
    assert state(mirror, "power") is True
    assert state(switch, "power") is False


async def test_blind_moving_follows_travel_commands_and_position_reports(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    """Moving after close/position, still moving on the way, not once the target is reported or on stop."""
    hub, _knx, bus = knx_hub
    blind = await add(hub, "knxBlind", **BLIND)
    assert (await run(hub, blind, "close")).ok
    assert state(blind, "moving") is True
    await bus.incoming("2/0/5", DPTArray((0x80,)))  # 50 % on the way down
    assert (state(blind, "percentage"), state(blind, "moving")) == (50, True)
    await bus.incoming("2/0/5", DPTArray((0xFF,)))
    assert (state(blind, "percentage"), state(blind, "moving")) == (100, False)
    assert (await run(hub, blind, "percentage", 30)).ok
    assert (state(blind, "percentage"), state(blind, "moving")) == (100, True)  # follows the bus only
    assert (await run(hub, blind, "stop")).ok
    assert state(blind, "moving") is False
    await bus.incoming("2/0/1", DPTBinary(0))  # a wall switch sends up
    assert state(blind, "moving") is True
    await bus.incoming("2/0/2", DPTBinary(1))  # a step stops it
    assert state(blind, "moving") is False


async def test_blind_without_position_status_takes_the_target(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """No position feedback: the position is the target at once and nothing is left 'moving'."""
    hub, _knx, _bus = knx_hub
    blind = await add(hub, "knxBlind", upDownAddress="2/0/1", positionAddress="2/0/4", angleAddress="2/0/6")
    assert (await run(hub, blind, "close")).ok
    assert (state(blind, "percentage"), state(blind, "moving")) == (100, False)
    assert (await run(hub, blind, "percentage", 40)).ok
    assert state(blind, "percentage") == 40
    assert (await run(hub, blind, "angle", 60)).ok
    assert state(blind, "angle") == 60
