"""The link to the KNX/IP gateway: its settings, pacing, the connected state, reads on connect."""

from __future__ import annotations

import asyncio
import itertools

from tests.integrations.knx.rig import BLIND, FAST, FakeBus, started_hub, state
from tests.integrations.knx.tools import add, run
from thinggate.core.errors import ThingError
from thinggate.core.hub import Hub
from thinggate.integrations.knx import KnxIntegration, KnxSettings


def test_connection_config_follows_the_settings() -> None:
    """Tunnelling, routing and automatic map onto xknx's config; xknx's own reconnect is always off."""
    from xknx.io import ConnectionType

    from thinggate.integrations.knx.connection import connection_config

    tunnel = connection_config(KnxSettings(gateway_ip="10.0.0.5", gateway_port=3700, local_ip="10.0.0.2"))
    assert tunnel.connection_type is ConnectionType.TUNNELING
    assert (tunnel.gateway_ip, tunnel.gateway_port) == ("10.0.0.5", 3700)
    assert (tunnel.local_ip, tunnel.auto_reconnect) == ("10.0.0.2", False)
    routing = connection_config(
        KnxSettings(
            connection_type="routing",
            individual_address="1.1.250",
            multicast_group="224.0.23.13",
            multicast_port=3700,
        )
    )
    assert routing.connection_type is ConnectionType.ROUTING
    assert (str(routing.individual_address), routing.multicast_group, routing.multicast_port) == (
        "1.1.250",
        "224.0.23.13",
        3700,
    )
    assert not routing.auto_reconnect
    automatic = connection_config(KnxSettings(connection_type="automatic"))
    assert (automatic.connection_type, automatic.auto_reconnect) == (ConnectionType.AUTOMATIC, False)


async def test_rate_limit_paces_the_sends(fake_bus: FakeBus) -> None:
    """rate_limit = 10: consecutive telegrams leave at least 0.1 s apart."""
    times: list[float] = []
    loop = asyncio.get_running_loop()
    async with started_hub(fake_bus, KnxSettings(reconnect_seconds=0.05, rate_limit=10)) as (_hub, knx, bus):
        await asyncio.sleep(0.2)
        for number in range(4):
            await knx.write_group_value(f"9/0/{number + 1}", "bit", 1)
            times.append(loop.time())
        assert len(bus.writes()) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.095, gaps


async def test_connected_state_follows_the_link(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """Losing the link makes every thing unconnected and actions answer HARDWARE_NOT_AVAILABLE; it comes back."""
    hub, knx, bus = knx_hub
    switch = await add(hub, "knxSwitch", address="1/0/1")
    scene = await add(hub, "knxScene", address="6/0/1")
    assert state(switch, "connected") is True and knx.connected
    bus.down = True
    bus.lose_link()
    assert not knx.connected
    assert (state(switch, "connected"), state(scene, "connected")) == (False, False)
    bus.sent.clear()
    result = await run(hub, switch, "power", True)
    assert result.error is ThingError.HARDWARE_NOT_AVAILABLE
    assert (await run(hub, scene, "stop")).error is ThingError.HARDWARE_NOT_AVAILABLE
    assert bus.sent == []
    bus.down = False
    assert await knx.wait_until_connected(2)
    assert state(switch, "connected") is True
    assert (await run(hub, switch, "power", True)).ok


async def test_hub_starts_while_the_gateway_is_away(fake_bus: FakeBus) -> None:
    """start() does not wait for the gateway; things are set up unconnected and connect later."""
    fake_bus.down = True
    async with started_hub(fake_bus, FAST, wait=False) as (hub, knx, bus):
        switch = await add(hub, "knxSwitch", address="1/0/1", stateAddress="1/0/2")
        assert not knx.connected and state(switch, "connected") is False
        await asyncio.sleep(0.2)  # a few failed attempts
        bus.down = False
        assert await knx.wait_until_connected(2)
        assert state(switch, "connected") is True
        await asyncio.sleep(0.2)
        assert "1/0/2" in bus.reads()


async def test_status_addresses_are_read_on_connect(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    """GroupValueRead for every status address (once each), none for write-only addresses."""
    hub, _knx, bus = knx_hub
    await add(hub, "knxBlind", **BLIND)
    await add(hub, "knxSwitch", address="1/0/1", stateAddress="2/0/5")
    await add(hub, "knxButton", address="7/0/1")
    await asyncio.sleep(0.5)
    bus.sent.clear()
    bus.lose_link()
    assert await bus.knx.wait_until_connected(2)  # type: ignore[union-attr]
    for _ in range(40):
        if len(bus.reads()) >= 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    assert sorted(bus.reads()) == ["2/0/5", "2/0/7"]
