"""The KNX page's bus monitor over the live channel: telegrams from the (faked) bus and from the hub's own
writes reach a page that asked for them when its user administers the hub, and no other page."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from xknx.dpt import DPTArray, DPTBinary

from tests.api.web.rig import KITCHEN, VIEWER, LiveClient, Rig, web_rig
from tests.integrations.knx.rig import FakeBus, patched_into_xknx
from tests.integrations.knx.tools import add
from tests.knxd import KnxdServer, free_udp_port, group_monitor, groupswrite, knxd_server, write_line
from thinggate.core.model import Thing
from thinggate.core.security import Scope
from thinggate.integrations.knx import KnxIntegration

__all__ = ["knxd_server"]  # the fixture of the one test against a real knxd


@pytest.fixture
def bus() -> Iterator[FakeBus]:
    """The faked KNX bus, patched into xknx for the test."""
    faked = FakeBus()
    with patched_into_xknx(faked):
        yield faked


@pytest.fixture
async def knx_rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bus: FakeBus) -> AsyncIterator[Rig]:
    """The demo house with the KNX integration connected to the faked bus."""
    knx = {"gateway_ip": "127.0.0.1", "gateway_port": free_udp_port(), "reconnect_seconds": 0.05}
    async with web_rig(tmp_path / "hub", monkeypatch, knx=knx) as running:
        integration = running.server.context.raw_bus
        assert isinstance(integration, KnxIntegration)
        bus.knx = integration
        assert await integration.wait_until_connected(5)
        yield running


async def lamp(rig: Rig) -> Thing:
    """A KNX light on 1/0/1 (status on 1/0/2)."""
    return await add(rig.server.hub, "knxLight", "Hall lamp", address="1/0/1", stateAddress="1/0/2")


async def ask(live: LiveClient, on: bool = True) -> dict[str, Any]:
    """Ask for the monitor (or stop it) as the KNX page does; the hub's answer."""
    await live.socket.send_str(json.dumps({"type": "knxMonitor", "on": on}))
    return await live.message("knxMonitor")


def power_of(thing: Thing) -> Any:
    """A filter for the live channel's messages of a thing's power state."""
    state_type = thing.thing_class.state_type_named("power")
    assert state_type is not None
    return lambda message: message["thingId"] == str(thing.id) and message["stateTypeId"] == str(state_type.id)


async def test_an_admins_page_that_asked_gets_the_bus_telegrams_named_and_decoded(knx_rig: Rig, bus: FakeBus) -> None:
    thing = await lamp(knx_rig)
    live = await (await knx_rig.logged_in()).live()
    assert await ask(live) == {"type": "knxMonitor", "on": True, "connected": True}
    await bus.incoming("1/0/2", DPTBinary(1))
    telegram = await live.message("knxTelegram")
    assert {key: value for key, value in telegram.items() if key != "time"} == {
        "type": "knxTelegram",
        "source": "1.1.7",
        "destination": "1/0/2",
        "kind": "write",
        "payload": "01",
        "name": f"{thing.name} · Power",
        "value": True,
        "unit": None,
    }
    assert isinstance(telegram["time"], float)
    # An address no thing uses: raw, unnamed; and a response is told as one.
    await bus.incoming("7/7/7", DPTArray((0x0C, 0x1A)), response=True)
    unknown = await live.message("knxTelegram")
    assert (unknown["destination"], unknown["kind"], unknown["payload"]) == ("7/7/7", "response", "0C 1A")
    assert (unknown["name"], unknown["value"], unknown["unit"]) == (None, None, None)


async def test_a_decoded_value_has_its_unit(knx_rig: Rig, bus: FakeBus) -> None:
    await add(
        knx_rig.server.hub,
        "knxThermostat",
        "Bath thermostat",
        temperatureAddress="3/0/1",
        targetTemperatureAddress="3/0/2",
    )
    live = await (await knx_rig.logged_in()).live()
    await ask(live)
    await bus.incoming("3/0/1", DPTArray((0x0C, 0x1A)))  # DPT 9.001: 21.0 °C
    telegram = await live.message("knxTelegram", lambda message: message["destination"] == "3/0/1")
    assert (telegram["name"], telegram["value"], telegram["unit"]) == (
        "Bath thermostat · Room temperature",
        21.0,
        "DegreeCelsius",
    )


async def test_the_hubs_own_writes_through_thinknx_are_on_the_monitor(knx_rig: Rig, bus: FakeBus) -> None:
    live = await (await knx_rig.logged_in()).live()
    await ask(live)
    answer = await knx_rig.thinknx().get("system/sendKNXbyte", params={"group": "5/1/9", "value": "200"})
    assert answer.status_code == 200, answer.text
    telegram = await live.message("knxTelegram")
    assert (telegram["destination"], telegram["kind"], telegram["payload"]) == ("5/1/9", "write", "C8")
    assert [str(sent.destination_address) for sent in bus.sent] == ["5/1/9"]


async def test_no_telegram_reaches_a_page_that_did_not_ask_or_whose_user_may_not_watch(
    knx_rig: Rig, bus: FakeBus
) -> None:
    thing = await lamp(knx_rig)
    watching = await (await knx_rig.logged_in()).live()
    assert (await ask(watching))["on"] is True
    not_asking = await (await knx_rig.logged_in()).live()
    viewer = await (await knx_rig.logged_in(VIEWER)).live()
    assert await ask(viewer) == {"type": "knxMonitor", "on": False, "error": "PermissionDenied"}
    kitchen = await (await knx_rig.logged_in(KITCHEN)).live()
    assert (await ask(kitchen))["error"] == "PermissionDenied"
    await bus.incoming("1/0/2", DPTBinary(1))
    assert (await watching.message("knxTelegram"))["destination"] == "1/0/2"
    # The telegram's state change comes after its monitor frame on a channel: once a page has the
    # state change, a telegram meant for it would already be there.
    for page in (not_asking, viewer):
        await page.message("state", power_of(thing))
    for page in (not_asking, viewer, kitchen):
        assert [message for message in page.received if message["type"] == "knxTelegram"] == []


async def test_a_page_that_stops_the_monitor_gets_no_more_telegrams(knx_rig: Rig, bus: FakeBus) -> None:
    thing = await lamp(knx_rig)
    live = await (await knx_rig.logged_in()).live()
    await ask(live)
    assert await ask(live, on=False) == {"type": "knxMonitor", "on": False}
    await bus.incoming("1/0/2", DPTBinary(1))
    await live.message("state", power_of(thing))
    assert [message for message in live.received if message["type"] == "knxTelegram"] == []


async def test_a_user_who_loses_the_right_gets_no_more_telegrams(knx_rig: Rig, bus: FakeBus) -> None:
    thing = await lamp(knx_rig)
    security = knx_rig.server.security
    await security.create_user("deputy", "Secret123")
    live = await (await knx_rig.client().logged_in("deputy", "Secret123")).live()
    assert (await ask(live))["on"] is True
    await security.set_user_scopes("deputy", Scope.ACCESS_ALL_THINGS)
    await live.message("rights")
    await bus.incoming("1/0/2", DPTBinary(1))
    await live.message("knxMonitor", lambda message: message.get("error") == "PermissionDenied")
    await live.message("state", power_of(thing))
    assert [message for message in live.received if message["type"] == "knxTelegram"] == []


async def test_a_hub_without_knx_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with web_rig(tmp_path / "hub", monkeypatch) as rig:
        live = await (await rig.logged_in()).live()
        assert await ask(live) == {"type": "knxMonitor", "on": False, "error": "KnxNotConfigured"}
        # Told to anyone (the page then offers no import): there is no bus to keep from them.
        viewer = await (await rig.logged_in(VIEWER)).live()
        assert (await ask(viewer))["error"] == "KnxNotConfigured"


@pytest.mark.knxd
async def test_telegrams_on_a_real_knxd_bus_appear_on_the_monitor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, knxd_server: KnxdServer
) -> None:
    """Run: scripts/knx-netns.sh .venv/bin/python -m pytest -q -m knxd tests/api/web/test_knx_monitor.py"""
    knx = {
        "gateway_ip": "127.0.0.1",
        "gateway_port": knxd_server.port,
        "local_ip": "127.0.0.1",
        "reconnect_seconds": 0.2,
        "heartbeat_seconds": 0.5,
    }
    async with web_rig(tmp_path / "hub", monkeypatch, knx=knx) as rig, group_monitor(knxd_server) as on_bus:
        integration = rig.server.context.raw_bus
        assert isinstance(integration, KnxIntegration)
        assert await integration.wait_until_connected(5), knxd_server.log()
        thing = await lamp(rig)
        live = await (await rig.logged_in()).live()
        assert (await ask(live))["on"] is True
        # Written through the Thinknx door: on the real bus, and on the monitor with the hub's tunnel address.
        answer = await rig.thinknx().get("system/sendKNXbyte", params={"group": "5/1/9", "value": "200"})
        assert answer.status_code == 200, answer.text
        await on_bus.wait_for(write_line("5/1/9", "C8 "))  # groupsocketlisten ends whole data bytes with a space
        own = await live.message("knxTelegram", lambda message: message["destination"] == "5/1/9")
        assert (own["kind"], own["payload"]) == ("write", "C8")
        assert own["source"] == str(integration.connection.xknx.current_address)  # type: ignore[union-attr]
        # Written by another client of knxd (knxtool): received from the bus, named and decoded.
        await groupswrite(knxd_server, "1/0/2", 1)
        heard = await live.message("knxTelegram", lambda message: message["destination"] == "1/0/2")
        assert (heard["kind"], heard["payload"], heard["name"], heard["value"]) == (
            "write",
            "01",
            f"{thing.name} · Power",
            True,
        )
        assert heard["source"] != own["source"]


async def test_a_hub_that_does_not_reach_the_bus_says_so_when_the_monitor_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No faked bus: the gateway's port answers nothing, so the tunnel never comes up.
    knx = {"gateway_ip": "127.0.0.1", "gateway_port": free_udp_port(), "reconnect_seconds": 60}
    async with web_rig(tmp_path / "hub", monkeypatch, knx=knx) as rig:
        live = await (await rig.logged_in()).live()
        assert await ask(live) == {"type": "knxMonitor", "on": True, "connected": False}
