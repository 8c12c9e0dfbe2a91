"""nymea's notification switches (§6.13-15): namespaces on and off, what is sent while they are on."""

from __future__ import annotations

from tests.api.jsonrpc.protocol import IMPLEMENTED, NO_ERROR, auto_thing, cid, control
from tests.api.jsonrpc.rig import Rig
from tests.hubtools import state_id
from thinggate.integrations.virtual import PLUGIN
from thinggate.integrations.virtual.testbed import AUTO_MOCK


async def test_set_notification_status_enabled_and_namespaces(rig: Rig) -> None:
    client = await rig.admin()
    on = await client.call("JSONRPC.SetNotificationStatus", {"enabled": True})
    assert on["enabled"] is True
    assert sorted(on["namespaces"]) == sorted(IMPLEMENTED)
    off = await client.call("JSONRPC.SetNotificationStatus", {"enabled": False})
    assert off == {"namespaces": [], "enabled": False}
    some = await client.call(
        "JSONRPC.SetNotificationStatus", {"namespaces": ["Integrations", "NoSuchNamespace", "Users"]}
    )
    assert sorted(some["namespaces"]) == ["Integrations", "Users"]
    assert some["enabled"] is True
    none = await client.call("JSONRPC.SetNotificationStatus", {"namespaces": []})
    assert none == {"namespaces": [], "enabled": False}

    # Only the listed namespaces are heard.
    await client.notify("Users")
    control(rig).set_state(auto_thing(rig), "int", 99)
    await rig.security.create_user("someone", "SomeonePW1!")
    added = await client.notification("Users.UserAdded")
    assert added["userInfo"]["username"] == "someone"
    await client.no_notification(0.2)


async def test_state_changes_are_notified_only_while_notifications_are_on(rig: Rig) -> None:
    client = await rig.admin()
    thing_id = auto_thing(rig)
    int_state = str(state_id(AUTO_MOCK, "int"))
    # Off by default on a new connection.
    control(rig).set_state(thing_id, "int", 41)
    await client.no_notification(0.3)

    await client.notify("Integrations")
    control(rig).set_state(thing_id, "int", 42)
    changed = await client.notification("Integrations.StateChanged")
    assert set(changed) == {"thingId", "stateTypeId", "value", "minValue", "maxValue", "possibleValues"}
    assert cid(changed["thingId"]) == str(thing_id)
    assert cid(changed["stateTypeId"]) == int_state
    assert changed["value"] == 42

    await client.call("JSONRPC.SetNotificationStatus", {"enabled": False})
    control(rig).set_state(thing_id, "int", 43)
    await client.no_notification(0.5)
    value = await client.call("Integrations.GetStateValue", {"thingId": str(thing_id), "stateTypeId": int_state})
    assert value == {"thingError": NO_ERROR, "value": 43}


async def test_set_plugin_configuration_sends_plugin_configuration_changed(rig: Rig) -> None:
    client = await rig.admin()
    await client.notify("Integrations")
    config_int = str(PLUGIN.param_types[0].id)
    reply = await client.call(
        "Integrations.SetPluginConfiguration",
        {"pluginId": str(PLUGIN.id), "configuration": [{"paramTypeId": config_int, "value": 13}]},
    )
    assert reply == {"thingError": NO_ERROR}
    changed = await client.notification("Integrations.PluginConfigurationChanged")
    assert cid(changed["pluginId"]) == str(PLUGIN.id)
    assert {cid(p["paramTypeId"]): p["value"] for p in changed["configuration"]}[config_int] == 13
