"""KNX things declared in the configuration file: added, reconfigured, others left alone."""

from __future__ import annotations

import logging
import uuid

import pytest

from tests.integrations.knx.rig import GUID, FakeBus
from tests.integrations.knx.tools import add
from thinggate.core.hub import Hub
from thinggate.integrations.knx import KnxIntegration, parse_knx_section
from thinggate.integrations.knx.configured import sync_configured_things
from thinggate.integrations.knx.ids import NAMESPACE
from thinggate.integrations.knx.settings import guid_to_uuid
from thinggate.storage.memory import MemoryStore


async def test_configured_things_are_added_reconfigured_and_others_left_alone(
    fake_bus: FakeBus, caplog: pytest.LogCaptureFixture
) -> None:
    """The file's things appear with their ids; a changed param reconfigures; API things stay."""
    section = {
        "things": [
            {"class": "knxSwitch", "name": "Pump", "room": "Garden", "address": "1/0/1"},
            {
                "class": "knxBlind",
                "name": "Blind",
                "guid": GUID,
                "upDownAddress": "2/0/1",
                "positionStateAddress": "2/0/5",
            },
        ]
    }
    settings = parse_knx_section({**section, "reconnect_seconds": 0.05})
    store = MemoryStore()
    hub = Hub(store=store)
    knx = KnxIntegration(settings=settings)
    fake_bus.knx = knx
    hub.register(knx)
    await hub.start()
    try:
        await hub.wait_until_set_up()
        other = await add(hub, "knxLight", "API light", address="1/0/9")
        await sync_configured_things(hub, knx)
        pump = hub.things[uuid.uuid5(NAMESPACE, "configured/Pump")]
        blind = hub.things[guid_to_uuid(GUID)]
        assert (pump.name, pump.room, pump.param("address")) == ("Pump", "Garden", "1/0/1")
        assert (blind.thing_class.name, blind.param("positionStateAddress")) == ("knxBlind", "2/0/5")
        assert len(hub.things) == 3
        await sync_configured_things(hub, knx)  # nothing changed: nothing happens
        assert len(hub.things) == 3
    finally:
        await hub.stop()

    # Restart with a changed address and a broken entry (a guid already used by another class).
    changed = {
        "things": [
            {"class": "knxSwitch", "name": "Pump", "room": "Garden", "address": "1/0/2"},
            {"class": "knxSwitch", "name": "Impostor", "guid": GUID, "address": "1/0/3"},
        ]
    }
    hub = Hub(store=store)
    knx = KnxIntegration(settings=parse_knx_section({**changed, "reconnect_seconds": 0.05}))
    fake_bus.knx = knx
    hub.register(knx)
    await hub.start()
    try:
        await hub.wait_until_set_up()
        with caplog.at_level(logging.ERROR):
            await sync_configured_things(hub, knx)
        assert hub.things[uuid.uuid5(NAMESPACE, "configured/Pump")].param("address") == "1/0/2"
        assert hub.things[guid_to_uuid(GUID)].thing_class.name == "knxBlind"  # left alone
        assert other.id in hub.things
        assert "Impostor" in caplog.text
    finally:
        await hub.stop()
