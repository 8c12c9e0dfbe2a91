"""Params decoded into each method's declared struct: every method's answer to missing, mistyped and unknown params."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.api.ezlo.rig import ADMIN, EzloClient, EzloRig, ezlo_rig, items_by_name
from thinggate.api.ezlo import ids
from thinggate.api.ezlo.handlers import METHODS

NO_PARAMS = ("hub.info.get", "hub.network.get", "hub.devices.list", "hub.room.list", "hub.modes.get", "hub.scenes.list")

EMPTY = -32600  # INVALID_REQUEST: rpc.params.empty.F, rpc.params.notfound
INVALID = -32602  # INVALID_PARAMS: rpc.params.invalid.F, type, range and scale errors

GOOD_CODE = {"type": "userCode", "value": {"code": "1234", "name": "Alex"}}


def bad_params(switch: str, dimmer: str, codes: str) -> list[tuple[str, Any, int, str]]:
    """(method, params, code, data): each method's answer to params that do not decode (as before, but where noted)."""
    no_params = [(method, params, EMPTY, "rpc.params.notfound") for method in NO_PARAMS for params in ([], 5)]
    return [
        *no_params,
        ("hub.offline.login.ui", {}, INVALID, "rpc.params.invalid"),
        ("hub.offline.login.ui", {"user": ADMIN}, INVALID, "rpc.params.invalid"),
        ("hub.offline.login.ui", {"user": ADMIN, "token": 5}, INVALID, "rpc.params.invalid"),
        ("hub.offline.login.ui", {"user": "", "token": "x"}, INVALID, "rpc.params.invalid"),
        ("hub.data.list", [], EMPTY, "rpc.params.notfound"),
        ("hub.data.list", {"devices": 5}, INVALID, "rpc.params.invalid.devices"),
        ("hub.data.list", {"devices": {"ids": "x"}}, INVALID, "rpc.params.invalid.devices.ids"),
        # Changed: an id that is no string was looked up (a dict one failed as an internal error).
        ("hub.data.list", {"devices": {"ids": [{}]}}, INVALID, "rpc.params.invalid.devices.ids"),
        # Changed: `fields` that is no object was ignored, an include list of lists failed as an internal error.
        ("hub.data.list", {"rooms": {"fields": "name"}}, INVALID, "rpc.params.invalid.rooms.fields"),
        ("hub.data.list", {"items": {"fields": {"include": [["x"]]}}}, INVALID,
         "rpc.params.invalid.items.fields.include"),
        ("hub.items.list", {"deviceIds": "abc"}, INVALID, "rpc.params.invalid.deviceIds"),
        ("hub.items.list", {"deviceIds": [5]}, INVALID, "rpc.params.invalid.deviceIds"),
        ("hub.item.value.set", {"value": True}, EMPTY, "rpc.params.empty._id"),
        ("hub.item.value.set", {"_id": "", "value": True}, EMPTY, "rpc.params.empty._id"),
        ("hub.item.value.set", {"_id": switch}, EMPTY, "rpc.params.empty.value"),
        ("hub.item.value.set", {"_id": 5, "value": True}, INVALID, "rpc.params.invalid._id"),
        ("hub.item.value.set", {"_id": switch, "value": True, "scale": 5}, INVALID, "rpc.params.scale.invalid"),
        ("hub.item.value.set", {"ids": [switch]}, EMPTY, "rpc.params.empty.value"),
        ("hub.item.value.set", {"ids": [], "value": True}, INVALID, "rpc.params.invalid.ids"),
        ("hub.item.value.set", {"ids": [switch, 5], "value": True}, INVALID, "rpc.params.invalid.ids"),
        ("hub.item.value.set", {"ids": None, "value": True}, INVALID, "rpc.params.invalid.ids"),
        ("hub.item.value.set", {"items": {}}, INVALID, "rpc.params.invalid.items"),
        ("hub.item.value.set", {"items": {switch: True}}, INVALID, "rpc.params.invalid.items"),
        ("hub.item.value.set", {"items": {switch: {"scale": "celsius"}}}, INVALID, "rpc.params.invalid.items"),
        ("hub.item.value.set", {"items": {switch: {"value": True, "scale": 5}}}, INVALID, "rpc.params.scale.invalid"),
        ("hub.item.value.percent.apply", {"percent": 10}, EMPTY, "rpc.params.empty._id"),
        ("hub.item.value.percent.apply", {"_id": "", "percent": 10}, EMPTY, "rpc.params.empty._id"),
        ("hub.item.value.percent.apply", {"_id": dimmer}, INVALID, "rpc.params.type.invalid"),
        ("hub.item.value.percent.apply", {"_id": dimmer, "percent": True}, INVALID, "rpc.params.type.invalid"),
        ("hub.item.value.percent.apply", {"_id": dimmer, "percent": -101}, INVALID, "rpc.params.range.invalid"),
        # Changed: an id that is no string was looked up and not found (-32500 rpc.unknown.error).
        ("hub.item.value.percent.apply", {"_id": 5, "percent": 10}, INVALID, "rpc.params.type.invalid"),
        ("hub.item.dictionary.value.add", {"element": GOOD_CODE}, EMPTY, "rpc.params.empty._id"),
        ("hub.item.dictionary.value.add", {"_id": codes}, EMPTY, "rpc.params.empty.element"),
        ("hub.item.dictionary.value.add", {"_id": codes, "element": "x"}, EMPTY, "rpc.params.empty.element"),
        ("hub.item.dictionary.value.add", {"_id": codes, "element": {"value": {"code": "1234"}}}, INVALID,
         "rpc.params.invalid.element.type"),
        ("hub.item.dictionary.value.add", {"_id": codes, "element": {"type": 5, "value": {"code": "1234"}}}, INVALID,
         "rpc.params.invalid.element.type"),
        ("hub.item.dictionary.value.add", {"_id": codes, "element": {"type": "userCode"}}, INVALID,
         "rpc.params.type.invalid"),
        # Changed: an id that is no string was looked up and not found (-32500 rpc.unknown.error).
        ("hub.item.dictionary.value.add", {"_id": 5, "element": GOOD_CODE}, INVALID, "rpc.params.invalid._id"),
        ("hub.item.dictionary.value.set", {"_id": codes, "element": GOOD_CODE}, EMPTY, "rpc.params.empty.key"),
        ("hub.item.dictionary.value.set", {"_id": codes, "key": 1, "element": GOOD_CODE}, INVALID,
         "rpc.params.invalid.key"),
        ("hub.item.dictionary.value.set", {"key": "1", "element": GOOD_CODE}, EMPTY, "rpc.params.empty._id"),
        # Changed: the key was looked up first (-32600 rpc.params.notfound.key); params are checked before the hub.
        ("hub.item.dictionary.value.set", {"_id": codes, "key": "1"}, EMPTY, "rpc.params.empty.element"),
        ("hub.item.dictionary.value.remove", {"_id": codes}, EMPTY, "rpc.params.empty.key"),
        ("hub.item.dictionary.value.remove", {"_id": codes, "key": ""}, EMPTY, "rpc.params.empty.key"),
        ("hub.item.dictionary.value.remove", {"_id": codes, "key": 1}, INVALID, "rpc.params.invalid.key"),
        ("hub.item.dictionary.value.remove", {"key": "1"}, EMPTY, "rpc.params.empty._id"),
        ("hub.modes.switch", {}, EMPTY, "rpc.params.empty.modeId"),
        ("hub.modes.switch", {"modeId": 2}, INVALID, "rpc.params.invalid.modeId"),
        ("hub.modes.switch", {"name": 5}, INVALID, "rpc.params.invalid.modeId"),
        ("hub.scenes.run", {}, EMPTY, "rpc.params.empty.sceneId"),
        ("hub.scenes.run", {"sceneId": ""}, EMPTY, "rpc.params.empty.sceneId"),
        ("hub.scenes.run", {"sceneId": None}, EMPTY, "rpc.params.empty.sceneId"),
        # Changed: an id that is no string was looked up (-32500 ezlo.scenes.not.exist).
        ("hub.scenes.run", {"sceneId": 5}, INVALID, "rpc.params.invalid.sceneId"),
    ]  # fmt: skip


async def demo_ids(rig: EzloRig, client: EzloClient) -> tuple[str, str, str]:
    """The Path light's switch, the Desk light's dimmer and the Front door's user_codes item ids."""
    items = (await client.result("hub.items.list"))["items"]

    def item(name: str, item_name: str) -> str:
        return str(items_by_name(items, ids.device_id(rig.thing(name).id))[item_name]["_id"])

    return item("Path light", "switch"), item("Desk light", "dimmer"), item("Front door", "user_codes")


def test_every_method_has_bad_params_cases() -> None:
    cases = bad_params("switch", "dimmer", "codes")
    assert {method for method, *_ in cases} == set(METHODS)


async def test_params_that_do_not_decode_get_the_methods_error_and_the_connection_serves_on(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path) as rig:
        client = await rig.admin()
        switch, dimmer, codes = await demo_ids(rig, client)
        brightness = rig.thing("Desk light").state_value("brightness")
        wrong = []
        for method, params, code, data in bad_params(switch, dimmer, codes):
            answer = await client.call(method, params, api="1.0")
            error = answer["error"] or {}
            if (error.get("code"), error.get("data")) != (code, data) or answer["result"] != {}:
                wrong.append((method, params, error or answer["result"]))
            assert answer["method"] == method
        assert not wrong, "\n".join(map(repr, wrong))
        assert not client.closed.is_set()
        assert len((await client.result("hub.devices.list"))["devices"]) == len(rig.hub.things)
        # Nothing changed.
        assert rig.thing("Path light").state_value("power") is False
        assert rig.thing("Desk light").state_value("brightness") == brightness
        assert rig.thing("Front door").state_value("userCodes") == {}
        assert rig.modes.current.id == "1"


async def test_percent_apply_messages_are_the_documented_ones(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path) as rig:
        client = await rig.admin()
        _, dimmer, _ = await demo_ids(rig, client)
        for params, message, reason in (
            ({"percent": 10}, "Bad request, id is empty", None),
            ({"_id": dimmer, "percent": 99.5}, "Value has invalid type", None),
            ({"_id": dimmer, "percent": 200}, "Value is not in valid range", "percent: -100..100"),
        ):
            error = (await client.call("hub.item.value.percent.apply", params))["error"]
            assert error["message"] == message, params
            assert error.get("reason") == reason or reason is None, params


async def test_unknown_fields_are_ignored_as_the_original_hub_does(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path) as rig:
        extra = {"source": {"type": "user"}, "valueType": "bool", "api": "2.0"}
        fresh = await rig.connect()
        assert (await fresh.call("hub.offline.login.ui", {"user": ADMIN, "token": rig.admin_token, **extra}))[
            "error"
        ] is None
        client = await rig.admin()
        switch, dimmer, codes = await demo_ids(rig, client)
        lamp = ids.device_id(rig.thing("Path light").id)
        for method in NO_PARAMS:
            await client.result(method, extra)
        items = (await client.result("hub.items.list", {"deviceIds": [lamp], **extra}))["items"]
        assert {item["deviceId"] for item in items} == {lamp}
        assert set(await client.result("hub.data.list", {"rooms": {"ids": [], "sort": 1}, **extra})) == {"rooms"}
        await client.result("hub.item.value.set", {"_id": switch, "value": True, **extra})
        assert rig.thing("Path light").state_value("power") is True
        await client.result("hub.item.value.set", {"items": {switch: {"value": False, "unit": "x"}}, **extra})
        assert rig.thing("Path light").state_value("power") is False
        await client.result("hub.item.value.set", {"_id": dimmer, "value": 30})
        # A whole percent written as a float is a whole percent.
        assert await client.result("hub.item.value.percent.apply", {"_id": dimmer, "percent": 10.0, **extra}) == {
            "newValue": 40
        }
        element = {**GOOD_CODE, "elementNumber": 1}
        await client.result("hub.item.dictionary.value.add", {"_id": codes, "element": element, **extra})
        await client.result("hub.item.dictionary.value.set", {"_id": codes, "key": "1", "element": GOOD_CODE, **extra})
        await client.result("hub.item.dictionary.value.remove", {"_id": codes, "key": "1", **extra})
        assert rig.thing("Front door").state_value("userCodes") == {}
        await client.result("hub.modes.switch", {"modeId": "2", **extra})
        assert rig.modes.current.id == "2"
        scene = ids.device_id(rig.thing("Evening scene").id)
        assert await client.result("hub.scenes.run", {"sceneId": scene, **extra}) == {}


async def test_params_nested_too_deep_or_not_json_this_side_reads_are_refused_and_the_connection_stays(
    tmp_path: Path,
) -> None:
    async with ezlo_rig(tmp_path, anonymous=True) as rig:
        client = await rig.connect()
        switch, _, _ = await demo_ids(rig, client)
        deep = "[" * 100_000 + "]" * 100_000
        await client.send('{"method": "hub.item.value.set", "id": "d", "params": {"_id": "x", "value": ' + deep + "}}")
        assert (await client.reply())["error"]["code"] == -32700
        # A number beyond a double is this value's problem: the request is answered with its id.
        frame = json.dumps({"method": "hub.item.value.set", "id": "n", "params": {"_id": switch}})
        await client.send(frame.replace('"}}', '", "value": 1e400}}'))
        answer = await client.reply()
        assert (answer["id"], answer["error"]["code"], answer["error"]["data"]) == (
            "n",
            -32602,
            "rpc.params.invalid.value",
        )
        assert rig.thing("Path light").state_value("power") is False
        assert (await client.result("hub.info.get"))["serial"]
