"""nymea's Integrations items 18-21: plugins, vendors, plugin configuration, thing classes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.api.jsonrpc.integrations.helpers import (
    CONFIG_BOOL,
    CONFIG_INT,
    MOCK_ID,
    NO_ERROR,
    PLUGIN_ID,
    VENDOR_ID,
    admin_client,
    by_id,
    cid,
    collect,
    error,
    named,
    param,
    values,
)
from tests.api.jsonrpc.rig import Rig, RpcClient, jsonrpc_rig


@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_18_plugins_and_vendors(client: RpcClient) -> None:
    plugins = by_id((await client.call("Integrations.GetPlugins"))["plugins"])
    assert PLUGIN_ID in plugins
    assert plugins[PLUGIN_ID]["name"] == "virtual"
    assert [p["name"] for p in plugins[PLUGIN_ID]["paramTypes"]] == ["configParamInt", "configParamBool"]
    vendors = by_id((await client.call("Integrations.GetVendors"))["vendors"])
    assert VENDOR_ID in vendors


async def test_19_get_plugin_configuration(client: RpcClient) -> None:
    reply = await client.call("Integrations.GetPluginConfiguration", {"pluginId": PLUGIN_ID})
    assert error(reply) == NO_ERROR
    assert values(reply["configuration"]) == {CONFIG_INT: 42, CONFIG_BOOL: True}
    unknown = await client.call("Integrations.GetPluginConfiguration", {"pluginId": str(uuid.uuid4())})
    assert unknown == {"thingError": "ThingErrorPluginNotFound"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (13, NO_ERROR),
        (130, "ThingErrorInvalidParameter"),
        (-13, "ThingErrorInvalidParameter"),
        ("wrontType", "ThingErrorInvalidParameter"),
    ],
)
async def test_20_set_plugin_configuration(client: RpcClient, value: Any, expected: str) -> None:
    reply = await client.call(
        "Integrations.SetPluginConfiguration", {"pluginId": PLUGIN_ID, "configuration": [param(CONFIG_INT, value)]}
    )
    assert reply == {"thingError": expected}
    if expected == NO_ERROR:
        changed = await client.notification("Integrations.PluginConfigurationChanged")  # item 15
        assert cid(changed["pluginId"]) == PLUGIN_ID
        assert values(changed["configuration"]) == {CONFIG_INT: 13, CONFIG_BOOL: True}
    else:
        assert named(await collect(client), "Integrations.PluginConfigurationChanged") == []
    stored = await client.call("Integrations.GetPluginConfiguration", {"pluginId": PLUGIN_ID})
    assert values(stored["configuration"])[CONFIG_INT] == (13 if expected == NO_ERROR else 42)


async def test_20_unknown_plugin_configuration(client: RpcClient) -> None:
    reply = await client.call(
        "Integrations.SetPluginConfiguration",
        {"pluginId": str(uuid.uuid4()), "configuration": [param(CONFIG_INT, 13)]},
    )
    assert reply == {"thingError": "ThingErrorPluginNotFound"}


async def test_20_plugin_configuration_persists(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        reply = await client.call(
            "Integrations.SetPluginConfiguration", {"pluginId": PLUGIN_ID, "configuration": [param(CONFIG_INT, 13)]}
        )
        assert error(reply) == NO_ERROR
    async with jsonrpc_rig(tmp_path) as rig:
        client = await admin_client(rig)
        stored = await client.call("Integrations.GetPluginConfiguration", {"pluginId": PLUGIN_ID})
        assert values(stored["configuration"]) == {CONFIG_INT: 13, CONFIG_BOOL: True}


async def test_21_thing_classes(rig: Rig, client: RpcClient) -> None:
    total = len(rig.virtual.thing_classes)
    everything = await client.call("Integrations.GetThingClasses")
    assert error(everything) == NO_ERROR and len(everything["thingClasses"]) == total
    by_vendor = await client.call("Integrations.GetThingClasses", {"vendorId": VENDOR_ID})
    assert error(by_vendor) == NO_ERROR and len(by_vendor["thingClasses"]) == total
    unknown_vendor = await client.call("Integrations.GetThingClasses", {"vendorId": str(uuid.uuid4())})
    assert unknown_vendor == {"thingError": NO_ERROR, "thingClasses": []}
    only_mock = await client.call("Integrations.GetThingClasses", {"thingClassIds": [MOCK_ID]})
    assert [cid(c["id"]) for c in only_mock["thingClasses"]] == [MOCK_ID]
    unknown_class = await client.call("Integrations.GetThingClasses", {"thingClassIds": [str(uuid.uuid4())]})
    assert unknown_class == {"thingError": NO_ERROR, "thingClasses": []}
    [mock] = only_mock["thingClasses"]
    # Interfaces are expanded depth-first with their parents.
    assert mock["interfaces"] == [
        "system",
        "light",
        "power",
        "battery",
        "wirelessconnectable",
        "connectable",
        "update",
        "multibutton",
        "button",
    ]
    assert (cid(mock["vendorId"]), cid(mock["pluginId"])) == (VENDOR_ID, PLUGIN_ID)
    assert mock["browsable"] is True
    assert mock["setupMethod"] == "SetupMethodJustAdd"
    assert mock["createMethods"] == ["CreateMethodUser", "CreateMethodDiscovery"]
    params = {p["name"]: p for p in mock["paramTypes"]}
    assert params["httpport"]["type"] == "Int" and "defaultValue" not in params["httpport"]
    assert params["async"]["readOnly"] is True and params["async"]["defaultValue"] is False
