"""The seed's item commands through the Ezlo door: lists, filters, value.set, scales, percent.apply, dictionaries."""

from __future__ import annotations

from typing import Any

from tests.api.ezlo.rig import EzloClient, EzloRig, items_by_name
from thinggate.api.ezlo import ids
from thinggate.core.security import SYSTEM


async def device_items(rig: EzloRig, client: EzloClient, name: str, room: str | None = None) -> dict[str, Any]:
    """The items of one demo thing, by item name."""
    thing = rig.thing(name, room)
    items = (await client.result("hub.items.list", {"deviceIds": [ids.device_id(thing.id)]}))["items"]
    return items_by_name(items, ids.device_id(thing.id))


# -- hub.items.list ----------------------------------------------------------------------------


async def test_items_list_has_the_seed_fields_with_their_types(rig: EzloRig) -> None:
    client = await rig.admin()
    answer = await client.call("hub.items.list", {})
    assert answer["api"] == "1.0" and answer["error"] is None and answer["method"] == "hub.items.list"
    items = answer["result"]["items"]
    required = {
        "_id": str, "deviceId": str, "hasGetter": bool, "hasSetter": bool, "name": str,
        "show": bool, "valueType": str, "valueFormatted": str,
    }  # fmt: skip
    for item in items:
        for field, kind in required.items():
            assert isinstance(item[field], kind), (field, item)
        assert "value" in item
    temperature = (await device_items(rig, client, "Temperature"))["temp"]
    assert (temperature["valueType"], temperature["scale"]) == ("temperature", "celsius")
    meter = (await device_items(rig, client, "Energy meter"))["electric_meter_watt"]
    assert (meter["valueType"], meter["scale"]) == ("power", "watt")
    lock = (await device_items(rig, client, "Front door"))["door_lock"]
    assert lock["valueType"] == "token" and set(lock["enum"]) == {"secured", "unsecured"}
    dimmer = (await device_items(rig, client, "Desk light"))["dimmer"]
    assert (dimmer["minValue"], dimmer["maxValue"]) == (0, 100)


async def test_device_ids_filter_table(rig: EzloRig) -> None:
    client = await rig.admin()
    everything = (await client.result("hub.items.list"))["items"]
    assert (await client.result("hub.items.list", {}))["items"] == everything
    assert (await client.result("hub.items.list", {"deviceIds": []}))["items"] == everything
    lamp, desk = ids.device_id(rig.thing("Path light").id), ids.device_id(rig.thing("Desk light").id)
    one = (await client.result("hub.items.list", {"deviceIds": [lamp]}))["items"]
    assert one and {item["deviceId"] for item in one} == {lamp}
    two = (await client.result("hub.items.list", {"deviceIds": [lamp, desk]}))["items"]
    assert {item["deviceId"] for item in two} == {lamp, desk}
    unknown = await client.result("hub.items.list", {"deviceIds": ["5e4e6e3f7f00007ff33cffff"]})
    assert unknown == {"items": []}


# -- hub.item.value.set ------------------------------------------------------------------------


async def test_value_set_single_multicast_and_items_forms(rig: EzloRig) -> None:
    client = await rig.admin()
    path = (await device_items(rig, client, "Path light"))["switch"]["_id"]
    kitchen = (await device_items(rig, client, "Ceiling light", "Kitchen"))["switch"]["_id"]
    answer = await client.call("hub.item.value.set", {"_id": path, "value": True})
    assert answer["result"] == {} and answer["error"] is None
    assert rig.thing("Path light").state_value("power") is True
    assert await client.result("hub.item.value.set", {"ids": [path, kitchen], "value": False}) == {}
    assert rig.thing("Path light").state_value("power") is False
    assert rig.thing("Ceiling light", "Kitchen").state_value("power") is False
    items = {path: {"value": True}, kitchen: {"value": True}}
    assert await client.result("hub.item.value.set", {"items": items}) == {}
    assert rig.thing("Ceiling light", "Kitchen").state_value("power") is True
    update = await client.broadcast("hub.item.updated", lambda r: r["_id"] == kitchen and r["value"] is True)
    assert update["result"]["valueType"] == "bool" and update["result"]["valueFormatted"] == "true"


async def test_value_set_scales_convert_both_ways_and_impossible_ones_are_refused(rig: EzloRig) -> None:
    client = await rig.admin()
    thermostat = rig.thing("Thermostat", "Living room")
    setpoint = (await device_items(rig, client, "Thermostat", "Living room"))["thermostat_setpoint"]["_id"]
    await client.result("hub.item.value.set", {"_id": setpoint, "value": 68, "scale": "fahrenheit"})
    assert thermostat.state_value("targetTemperature") == 20.0
    await client.result("hub.item.value.set", {"_id": setpoint, "value": 22.5, "scale": "celsius"})
    assert thermostat.state_value("targetTemperature") == 22.5
    update = await client.broadcast("hub.item.updated", lambda r: r["_id"] == setpoint and r["value"] == 22.5)
    assert update["result"]["scale"] == "celsius"
    switch = (await device_items(rig, client, "Path light"))["switch"]["_id"]
    for item_id, value, scale in ((setpoint, 20, "watt"), (switch, True, "celsius")):
        answer = await client.call("hub.item.value.set", {"_id": item_id, "value": value, "scale": scale})
        assert answer["error"]["code"] == -32602
        assert answer["error"]["data"] == "rpc.params.scale.invalid"
    assert thermostat.state_value("targetTemperature") == 22.5


async def test_value_set_type_range_and_unknown_item_errors_change_nothing(rig: EzloRig) -> None:
    client = await rig.admin()
    switch = (await device_items(rig, client, "Path light"))["switch"]["_id"]
    dimmer = (await device_items(rig, client, "Desk light"))["dimmer"]["_id"]
    wrong_type = await client.call("hub.item.value.set", {"_id": switch, "value": "on"})
    assert (wrong_type["error"]["code"], wrong_type["error"]["data"]) == (-32602, "rpc.params.type.invalid")
    too_big = await client.call("hub.item.value.set", {"_id": dimmer, "value": 150})
    assert too_big["error"]["code"] == -32602
    assert too_big["error"]["data"].startswith("rpc.params.range.invalid")
    unknown = await client.call("hub.item.value.set", {"_id": "ffffffffffffffffffffffff", "value": True})
    assert (unknown["error"]["code"], unknown["error"]["data"]) == (-32500, "rpc.unknown.error")
    missing = await client.call("hub.item.value.set", {"value": True})
    assert missing["error"]["code"] == -32600
    # One bad id in a multicast: none of the items changes.
    mixed = await client.call("hub.item.value.set", {"ids": [switch, "ffffffffffffffffffffffff"], "value": True})
    assert mixed["error"] is not None
    assert rig.thing("Path light").state_value("power") is False
    assert rig.thing("Desk light").state_value("brightness") != 150


async def test_a_change_made_through_the_core_is_broadcast_as_item_updated(rig: EzloRig) -> None:
    client = await rig.admin()
    desk = rig.thing("Desk light")
    dimmer = (await device_items(rig, client, "Desk light"))["dimmer"]["_id"]
    brightness = desk.thing_class.state_type_named("brightness")
    assert brightness is not None
    result = await rig.hub.execute_action(SYSTEM, desk.id, brightness.id, [(brightness.id, 42)])
    assert result.ok
    message = await client.broadcast("hub.item.updated", lambda r: r["_id"] == dimmer and r["value"] == 42)
    assert set(message) == {"id", "msg_subclass", "msg_id", "result"}
    assert message["id"] == "ui_broadcast"
    update = message["result"]
    assert update["deviceId"] == ids.device_id(desk.id)
    assert (update["name"], update["valueFormatted"], update["valueType"]) == ("dimmer", "42", "int")
    assert update["roomName"] == "Office" and update["deviceName"] == "Desk light"


# -- hub.item.value.percent.apply --------------------------------------------------------------


async def test_percent_apply_seed_examples_and_clamps(rig: EzloRig) -> None:
    client = await rig.admin()
    desk = rig.thing("Desk light")
    dimmer = (await device_items(rig, client, "Desk light"))["dimmer"]["_id"]
    await client.result("hub.item.value.set", {"_id": dimmer, "value": 30})
    assert await client.result("hub.item.value.percent.apply", {"_id": dimmer, "percent": 40}) == {"newValue": 70}
    assert desk.state_value("brightness") == 70
    await client.broadcast("hub.item.updated", lambda r: r["_id"] == dimmer and r["value"] == 70)
    assert (await client.result("hub.item.value.percent.apply", {"_id": dimmer, "percent": 100}))["newValue"] == 100
    assert (await client.result("hub.item.value.percent.apply", {"_id": dimmer, "percent": -100}))["newValue"] == 0

    thermostat = rig.thing("Thermostat", "Living room")
    target = thermostat.thing_class.state_type_named("targetTemperature")
    assert target is not None
    rig.hub.set_state_limits(thermostat.id, target.id, min_value=0, max_value=40)
    setpoint = (await device_items(rig, client, "Thermostat", "Living room"))["thermostat_setpoint"]["_id"]
    await client.result("hub.item.value.set", {"_id": setpoint, "value": 30})
    result = await client.result("hub.item.value.percent.apply", {"_id": setpoint, "percent": 10})
    assert result == {"newValue": 34, "scale": "celsius", "valueType": "temperature"}
    assert thermostat.state_value("targetTemperature") == 34


async def test_percent_apply_error_table(rig: EzloRig) -> None:
    client = await rig.admin()
    dimmer = (await device_items(rig, client, "Desk light"))["dimmer"]["_id"]
    switch = (await device_items(rig, client, "Path light"))["switch"]["_id"]
    cases = [
        ({"percent": 10}, -32600, "rpc.params.empty._id", "Bad request, id is empty"),
        ({"_id": dimmer, "percent": "ten"}, -32602, "rpc.params.type.invalid", "Value has invalid type"),
        ({"_id": dimmer, "percent": 1.5}, -32602, "rpc.params.type.invalid", "Value has invalid type"),
        (
            {"_id": switch, "percent": 10},
            -32602,
            "rpc.params.type.invalid",
            "Currently only items with type int are supported",
        ),
        ({"_id": dimmer, "percent": 101}, -32602, "rpc.params.range.invalid", "Value is not in valid range"),
        ({"_id": "ffffffffffffffffffffffff", "percent": 10}, -32500, "rpc.unknown.error", "Unknown error"),
    ]
    before = rig.thing("Desk light").state_value("brightness")
    for params, code, data, message in cases:
        error = (await client.call("hub.item.value.percent.apply", params))["error"]
        assert (error["code"], error["data"], error["message"]) == (code, data, message), params
    unknown = await client.call("hub.item.value.percent.apply", {"_id": "ffffffffffffffffffffffff", "percent": 1})
    assert "Item not found by id" in unknown["error"]["reason"]
    assert rig.thing("Desk light").state_value("brightness") == before


# -- dictionaries ------------------------------------------------------------------------------


async def test_user_codes_add_set_remove_with_their_broadcasts(rig: EzloRig) -> None:
    client = await rig.admin()
    lock = rig.thing("Front door")
    codes = (await device_items(rig, client, "Front door"))["user_codes"]
    assert (codes["valueType"], codes["elementType"], codes["elementsMaxNumber"]) == ("dictionary", "userCode", 250)
    item_id = codes["_id"]
    element = {"type": "userCode", "value": {"code": "1234", "name": "Alex"}}
    assert await client.result("hub.item.dictionary.value.add", {"_id": item_id, "element": element}) == {}
    added = await client.broadcast("hub.item.dictionary.updated", lambda r: r["operation"] == "added")
    assert added["result"]["element"] == {"1": {"value": {"code": "1234", "name": "Alex", "mode": "enabled"}}}
    assert lock.state_value("userCodes") == {"1": {"name": "Alex", "code": "1234"}}
    # The house's simulated sensors go on reporting meanwhile: only the user codes' item counts.
    await client.no_broadcast("hub.item.updated", lambda result: result["_id"] == item_id, within=0.1)

    changed = {"type": "userCode", "value": {"code": "5678", "name": "Alex"}}
    await client.result("hub.item.dictionary.value.set", {"_id": item_id, "key": "1", "element": changed})
    updated = await client.broadcast("hub.item.dictionary.updated", lambda r: r["operation"] == "updated")
    assert updated["result"]["element"]["1"]["value"]["code"] == "5678"

    await client.result("hub.item.dictionary.value.remove", {"_id": item_id, "key": "1"})
    removed = await client.broadcast("hub.item.dictionary.updated", lambda r: r["operation"] == "removed")
    assert list(removed["result"]["element"]) == ["1"]
    assert lock.state_value("userCodes") == {}


async def test_dictionary_errors_change_nothing(rig: EzloRig) -> None:
    client = await rig.admin()
    item_id = (await device_items(rig, client, "Front door"))["user_codes"]["_id"]
    short_code = {"type": "userCode", "value": {"code": "1"}}
    good_code = {"type": "userCode", "value": {"code": "1234"}}
    bad = [
        ("hub.item.dictionary.value.add", {"_id": item_id, "element": {"type": "string", "value": "x"}}),
        ("hub.item.dictionary.value.add", {"_id": item_id, "element": short_code}),
        ("hub.item.dictionary.value.set", {"_id": item_id, "key": "7", "element": good_code}),
        ("hub.item.dictionary.value.remove", {"_id": item_id, "key": "7"}),
        ("hub.item.dictionary.value.remove", {"_id": item_id}),
    ]
    for method, params in bad:
        answer = await client.call(method, params)
        assert answer["error"] is not None, (method, params)
    assert rig.thing("Front door").state_value("userCodes") == {}
