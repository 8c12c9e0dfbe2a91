"""Things (MIC §1.10) over REST against a real hub: every route and error row, and the things seen by every door."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.ezlo.rig import EzloClient
from tests.api.jsonrpc.rig import RpcClient
from tests.api.registry.rig import ADMIN, PASSWORD, Client, Rig, registry_rig
from thinggate.api.ezlo import ids as ezlo_ids
from thinggate.api.thinknx.tree import project_tree
from thinggate.core.guids import guid_of
from thinggate.core.security import SYSTEM, Privilege
from thinggate.integrations.generic.manifest import class_id

LIGHTS = {
    "id": "lights",
    "domain": "root",
    "label": "Lights",
    "resources": [
        {"name": "power", "type": "boolean", "isSettable": True},
        {"name": "brightness", "type": "long", "isSettable": True},
        {"name": "energy", "type": "double"},
    ],
}
SENSORS = {"id": "sensors", "domain": "root", "label": "Sensors", "resources": [{"name": "pm25", "type": "double"}]}


def error(answer: Any) -> tuple[int, str, str | None]:
    """Status, message key and property of an error answer (after checking the model's shape)."""
    body = answer.json()
    assert set(body) == {"message", "messageKey", "messageParams", "property"}, body
    assert answer.headers["content-type"] == "application/json"
    return answer.status_code, body["messageKey"], body["property"]


def ok(answer: Any) -> Any:
    """The body of a success, which is exactly 200 application/json."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


@pytest.fixture
async def admin(rig: Rig) -> Client:
    client = await rig.logged_in(ADMIN)
    ok(await client.post("/thingtypes", LIGHTS))
    ok(await client.post("/thingtypes", SENSORS))
    return client


def thing_id(rig: Rig, name: str) -> uuid.UUID:
    """The core id of a registry thing."""
    found = rig.server.context.things.shadows.thing_id_named(name)  # type: ignore[union-attr]
    assert found is not None
    return found


# -- CREATE --------------------------------------------------------------------------------------


async def test_create_answers_the_thing(rig: Rig, admin: Client) -> None:
    body = {
        "thingName": "desk-lamp",
        "thingType": "lights",
        "domain": "root",
        "label": "Desk lamp",
        "description": "On the desk",
        "externalId": "ext-1",
    }
    created = ok(await admin.post("/things", body))
    assert created == {
        "thingName": "desk-lamp",
        "thingType": "lights",
        "domain": "root",
        "domainTopic": "",
        "label": "Desk lamp",
        "description": "On the desk",
        "externalId": "ext-1",
        "state": {"reported": {"power": False, "brightness": 0, "energy": 0.0, "connected": True}, "desired": {}},
    }
    assert ok(await admin.get("/things/desk-lamp")) == created
    thing = rig.server.hub.things[thing_id(rig, "desk-lamp")]
    assert (thing.name, thing.thing_class.id, thing.domain) == ("Desk lamp", class_id("lights"), "root")
    # Counted by its type, which cannot be removed while it has things.
    assert ok(await admin.get("/thingtypes/lights", params="thingCount"))["thingCount"] == 1
    assert error(await admin.delete("/thingtypes/lights")) == (409, "THING_TYPE_HAS_THINGS", None)


async def test_names_are_generated_in_sequence_and_never_handed_out_twice(rig: Rig, admin: Client) -> None:
    first = ok(await admin.post("/things", {"thingType": "lights", "domain": "root"}))
    second = ok(await admin.post("/things", {"thingType": "sensors", "domain": "root"}))
    assert (first["thingName"], second["thingName"]) == ("00000001", "00000002")
    assert second["label"] == "00000002"  # without a label, the name is the label
    ok(await admin.delete("/things/00000002"))
    ok(await admin.post("/things", {"thingName": "00000004", "thingType": "lights", "domain": "root"}))
    third = ok(await admin.post("/things", {"thingType": "lights", "domain": "root"}))
    fourth = ok(await admin.post("/things", {"thingType": "lights", "domain": "root"}))
    assert (third["thingName"], fourth["thingName"]) == ("00000003", "00000005")  # 00000004 was taken by hand


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"domain": "root"}, (400, "PROPERTY_REQUIRED", "thingType")),
        ({"thingType": "lights"}, (400, "PROPERTY_REQUIRED", "domain")),
        ({"thingType": "", "domain": "root"}, (400, "PROPERTY_REQUIRED", "thingType")),
        ({"thingType": "lights", "domain": "root", "thingName": ""}, (400, "INVALID_ARGUMENTS", "thingName")),
        ({"thingType": "lights", "domain": "root", "thingName": "a/b"}, (400, "INVALID_ARGUMENTS", "thingName")),
        ({"thingType": "lights", "domain": "root", "thingName": "a#"}, (400, "INVALID_ARGUMENTS", "thingName")),
        ({"thingType": "lights", "domain": "root", "thingName": "x" * 129}, (400, "INVALID_ARGUMENTS", "thingName")),
        ({"thingType": "lights", "domain": "root", "thingName": 5}, (400, "INVALID_ARGUMENTS", "thingName")),
        ({"thingType": "lights", "domain": "root", "label": ["x"]}, (400, "INVALID_ARGUMENTS", "label")),
        ({"thingType": "nothing", "domain": "root"}, (404, "THING_TYPE_NOT_FOUND", "thingType")),
        ({"thingType": "virtual-light", "domain": "root"}, (400, "INVALID_ARGUMENTS", "thingType")),
        ({"thingType": "lights", "domain": "nowhere"}, (404, "DOMAIN_NOT_FOUND", "domain")),
    ],
)
async def test_create_refuses_with_the_error_model(
    rig: Rig, admin: Client, body: dict[str, Any], expected: tuple[int, str, str]
) -> None:
    assert error(await admin.post("/things", body)) == expected
    assert rig.server.hub.things_of_class(class_id("lights")) == []


async def test_create_refuses_junk_and_a_name_in_use(rig: Rig, admin: Client) -> None:
    assert error(await admin.post("/things", b"{not json")) == (400, "INVALID_ARGUMENTS", None)
    assert error(await admin.post("/things", [1, 2])) == (400, "INVALID_ARGUMENTS", None)
    ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root"}))
    assert error(await admin.post("/things", {"thingName": "lamp", "thingType": "sensors", "domain": "root"})) == (
        409,
        "THING_NAME_EXISTS",
        "thingName",
    )


async def test_create_needs_things_create_on_the_domain(rig: Rig, admin: Client) -> None:
    await rig.domain("a")
    await rig.user("reader", role="Read")
    await rig.user("writer", role="ReadWrite", domain="a")
    await rig.user("granted", role="Read", privileges=[Privilege("thing", "a", frozenset("C"))])
    reader = await rig.logged_in("reader")
    body = {"thingType": "lights", "domain": "a"}
    assert error(await reader.post("/things", body)) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
    writer = await rig.logged_in("writer")
    assert error(await writer.post("/things", {**body, "domain": "root"})) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
    # The writer cannot read the root's thing type: it does not exist for the writer.
    assert error(await writer.post("/things", body)) == (404, "THING_TYPE_NOT_FOUND", "thingType")
    ok(await admin.post("/thingtypes", {**SENSORS, "id": "a-sensors", "domain": "a"}))
    assert ok(await writer.post("/things", {**body, "thingType": "a-sensors"}))["domain"] == "a"
    granted = await rig.logged_in("granted")  # Read everywhere, plus Things.CREATE in a
    assert ok(await granted.post("/things", body))["domainTopic"] == "a"


# -- LIST and GET --------------------------------------------------------------------------------


async def test_list_filters_pages_and_shows_only_what_the_caller_may_see(rig: Rig, admin: Client) -> None:
    await rig.domain("a")
    await rig.domain("b")
    await rig.domain("a1", "a")
    for name, kind, domain in [
        ("l-root", "lights", "root"),
        ("l-a", "lights", "a"),
        ("s-a1", "sensors", "a1"),
        ("l-b", "lights", "b"),
    ]:
        ok(await admin.post("/things", {"thingName": name, "thingType": kind, "domain": domain}))
    listed = ok(await admin.get("/things"))
    assert [t["thingName"] for t in listed["things"]] == ["l-root", "l-a", "s-a1", "l-b"]
    assert (listed["totalPages"], listed["page"], listed["metadata"]) == (1, 0, {"count": 4})
    assert [t["thingName"] for t in ok(await admin.get("/things", params={"thingType": "lights"}))["things"]] == [
        "l-root",
        "l-a",
        "l-b",
    ]
    assert [t["thingName"] for t in ok(await admin.get("/things", params={"domain": "a1"}))["things"]] == ["s-a1"]
    assert ok(await admin.get("/things", params={"thingType": "nothing"}))["things"] == []
    paged = ok(await admin.get("/things", params={"size": 3, "page": 1}))
    assert ([t["thingName"] for t in paged["things"]], paged["totalPages"], paged["page"]) == (["l-b"], 2, 1)
    assert error(await admin.get("/things", params={"size": 0})) == (400, "INVALID_ARGUMENTS", "size")
    assert error(await admin.get("/things", params={"page": "x"})) == (400, "INVALID_ARGUMENTS", "page")
    assert s_a1_topic(ok(await admin.get("/things/s-a1"))) == "a/a1"
    # A user of a sees a and below; never its parent or its sibling.
    await rig.user("anna", role="Read", domain="a")
    anna = await rig.logged_in("anna")
    assert [t["thingName"] for t in ok(await anna.get("/things"))["things"]] == ["l-a", "s-a1"]
    assert error(await anna.get("/things/l-b")) == (404, "THING_NOT_FOUND", "thingName")
    assert error(await anna.get("/things/l-root")) == (404, "THING_NOT_FOUND", "thingName")
    # A Things.READ privilege on b shows b's things too.
    await rig.user("bea", role="Read", domain="a", privileges=[Privilege("thing", "b", frozenset("R"))])
    bea = await rig.logged_in("bea")
    assert [t["thingName"] for t in ok(await bea.get("/things"))["things"]] == ["l-a", "s-a1", "l-b"]


def s_a1_topic(thing: dict[str, Any]) -> str:
    return str(thing["domainTopic"])


async def test_get_of_an_unknown_thing(rig: Rig, admin: Client) -> None:
    assert error(await admin.get("/things/nothing")) == (404, "THING_NOT_FOUND", "thingName")
    # A thing of an integration's class is its integration's, not a registry thing.
    virtual = next(iter(rig.server.hub.things.values()), None)
    if virtual is not None:
        assert error(await admin.get(f"/things/{virtual.id.hex}")) == (404, "THING_NOT_FOUND", "thingName")


async def test_a_thing_added_through_another_door_is_named_by_its_id(rig: Rig, admin: Client) -> None:
    result = await rig.server.hub.add_thing(SYSTEM, name="Added over JSON-RPC", thing_class_id=class_id("lights"))
    assert result.ok and result.value is not None
    got = ok(await admin.get(f"/things/{result.value.hex}"))
    assert (got["thingName"], got["label"], got["thingType"]) == (result.value.hex, "Added over JSON-RPC", "lights")


# -- UPDATE --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
async def test_update_changes_what_is_given(rig: Rig, admin: Client, method: str) -> None:
    ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root", "label": "L"}))
    changed = ok(await admin.call(method, "/things/lamp", {"label": "Lamp", "externalId": "x-9"}))
    assert (changed["label"], changed["description"], changed["externalId"]) == ("Lamp", "", "x-9")
    changed = ok(await admin.call(method, "/things/lamp", {"description": "by the door"}))
    assert (changed["label"], changed["description"], changed["externalId"]) == ("Lamp", "by the door", "x-9")
    assert ok(await admin.get("/things/lamp")) == changed
    assert rig.server.hub.things[thing_id(rig, "lamp")].name == "Lamp"


async def test_update_refuses_with_the_error_model(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root"}))
    assert error(await admin.patch("/things/nothing", {"label": "x"})) == (404, "THING_NOT_FOUND", "thingName")
    assert error(await admin.patch("/things/lamp", {"label": ""})) == (400, "PROPERTY_REQUIRED", "label")
    assert error(await admin.patch("/things/lamp", {"domain": ""})) == (400, "PROPERTY_REQUIRED", "domain")
    assert error(await admin.patch("/things/lamp", {"label": 3})) == (400, "INVALID_ARGUMENTS", "label")
    assert error(await admin.patch("/things/lamp", {"domain": "nowhere"})) == (404, "DOMAIN_NOT_FOUND", "domain")
    await rig.user("reader", role="Read")
    reader = await rig.logged_in("reader")
    assert error(await reader.patch("/things/lamp", {"label": "x"})) == (403, "NOT_AUTHORIZED_DOMAIN", "thingName")
    assert error(await reader.delete("/things/lamp")) == (403, "NOT_AUTHORIZED_DOMAIN", "thingName")


async def test_moving_a_thing_needs_delete_on_the_old_domain_and_create_on_the_new(rig: Rig, admin: Client) -> None:
    await rig.domain("a")
    await rig.domain("b")
    ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "a"}))
    can_update = Privilege("thing", "a", frozenset("RU"))
    await rig.user("upd", role="Read", domain="a", privileges=[can_update])
    await rig.user("upd-del", role="Read", domain="a", privileges=[Privilege("thing", "a", frozenset("RUD"))])
    await rig.user(
        "mover",
        role="Read",
        domain="a",
        privileges=[Privilege("thing", "a", frozenset("RUD")), Privilege("thing", "b", frozenset("C"))],
    )
    upd = await rig.logged_in("upd")
    assert error(await upd.patch("/things/lamp", {"domain": "b"})) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
    upd_del = await rig.logged_in("upd-del")
    assert error(await upd_del.patch("/things/lamp", {"domain": "b"})) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
    mover = await rig.logged_in("mover")
    moved = ok(await mover.patch("/things/lamp", {"domain": "b"}))
    assert (moved["domain"], moved["domainTopic"]) == ("b", "b")
    assert rig.server.hub.things[thing_id(rig, "lamp")].domain == "b"
    # Out of a, out of sight for those who read only a (the mover too: it may create in b, not read there).
    assert error(await upd.get("/things/lamp")) == (404, "THING_NOT_FOUND", "thingName")
    assert error(await mover.get("/things/lamp")) == (404, "THING_NOT_FOUND", "thingName")


# -- REMOVE --------------------------------------------------------------------------------------


async def test_remove_answers_an_empty_object_and_the_thing_is_gone(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root"}))
    core_id = thing_id(rig, "lamp")
    assert ok(await admin.delete("/things/lamp")) == {}
    assert core_id not in rig.server.hub.things
    assert error(await admin.get("/things/lamp")) == (404, "THING_NOT_FOUND", "thingName")
    assert error(await admin.delete("/things/lamp")) == (404, "THING_NOT_FOUND", "thingName")
    assert ok(await admin.delete("/thingtypes/lights")) == {}  # no things left: the type may go
    # The name is free again.
    ok(await admin.post("/things", {"thingName": "lamp", "thingType": "sensors", "domain": "root"}))


# -- desired state -------------------------------------------------------------------------------


async def test_desired_state_runs_the_hubs_action(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root"}))
    # Without a broker the hub is the device: the value is taken at once, nothing stays desired.
    changed = ok(await admin.put("/things/lamp/state", {"desired": {"power": True, "brightness": 40}}))
    assert changed["state"] == {
        "reported": {"power": True, "brightness": 40, "energy": 0.0, "connected": True},
        "desired": {},
    }
    thing = rig.server.hub.things[thing_id(rig, "lamp")]
    assert (thing.state_value("power"), thing.state_value("brightness")) == (True, 40)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (400, "PROPERTY_REQUIRED", "desired")),
        ({"desired": {}}, (400, "PROPERTY_REQUIRED", "desired")),
        ({"desired": 5}, (400, "INVALID_ARGUMENTS", "desired")),
        ({"desired": {"nothing": 1}}, (400, "INVALID_ARGUMENTS", "desired.nothing")),
        ({"desired": {"energy": 1.0}}, (400, "INVALID_ARGUMENTS", "desired.energy")),  # not settable
        ({"desired": {"connected": False}}, (400, "INVALID_ARGUMENTS", "desired.connected")),
        ({"desired": {"power": True, "brightness": 101}}, (400, "INVALID_ARGUMENTS", "desired.brightness")),
        ({"desired": {"power": True, "brightness": "dim"}}, (400, "INVALID_ARGUMENTS", "desired.brightness")),
    ],
)
async def test_desired_state_refuses_with_the_error_model(
    rig: Rig, admin: Client, body: dict[str, Any], expected: tuple[int, str, str]
) -> None:
    ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root"}))
    assert error(await admin.put("/things/lamp/state", body)) == expected
    # Nothing is sent when one value is refused.
    assert rig.server.hub.things[thing_id(rig, "lamp")].state_value("power") is False


async def test_desired_state_needs_things_update(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root"}))
    await rig.user("reader", role="Read")
    reader = await rig.logged_in("reader")
    assert error(await reader.put("/things/lamp/state", {"desired": {"power": True}})) == (
        403,
        "NOT_AUTHORIZED_DOMAIN",
        "thingName",
    )
    assert error(await reader.put("/things/nothing/state", {"desired": {"power": True}})) == (
        404,
        "THING_NOT_FOUND",
        "thingName",
    )


# -- every door sees them ------------------------------------------------------------------------


async def test_things_are_seen_through_json_rpc_ezlo_and_thinknx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with registry_rig(tmp_path, monkeypatch, thinknx=True, ezlo=True) as rig:
        admin = await rig.logged_in(ADMIN)
        ok(await admin.post("/thingtypes", LIGHTS))
        ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root", "label": "Desk"}))
        core_id = thing_id(rig, "lamp")
        rpc = await RpcClient.tcp(rig.server.doors["jsonrpc"].tcp_port, tls=False)  # type: ignore[attr-defined]
        try:
            await rpc.login(ADMIN, PASSWORD)
            await rpc.notify("Integrations")
            (thing,) = (await rpc.call("Integrations.GetThings", {"thingId": str(core_id)}))["things"]
            assert (thing["name"], thing["thingClassId"]) == ("Desk", str(class_id("lights")))
            params = {param["paramTypeId"]: param["value"] for param in thing["params"]}
            name_param = rig.server.hub.thing_classes[class_id("lights")].param_type_named("thingName")
            assert name_param is not None and params[str(name_param.id)] == "lamp"
            # A value set over REST is a StateChanged over JSON-RPC.
            ok(await admin.put("/things/lamp/state", {"desired": {"power": True}}))
            changed = await rpc.notification("Integrations.StateChanged", where=lambda p: p["thingId"] == str(core_id))
            assert changed["value"] is True
        finally:
            await rpc.close()
        ezlo = await EzloClient.connect(f"ws://127.0.0.1:{rig.server.doors['ezlo'].port}")  # type: ignore[attr-defined]
        try:
            devices = (await ezlo.result("hub.devices.list"))["devices"]
            device = next(d for d in devices if d["_id"] == ezlo_ids.device_id(core_id))
            assert device["name"] == "Desk"
        finally:
            await ezlo.close()
        (tree_device,) = [d for d in project_tree(list(rig.server.hub.things.values())) if d.guid == guid_of(core_id)]
        assert tree_device.name == "Desk" and any("/power?" in url for url in tree_device.urls)
        port = rig.server.doors["thinknx"].port  # type: ignore[attr-defined]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/V1", auth=(ADMIN, PASSWORD)) as thinknx:
            status = await thinknx.get("/powerstatus", params={"guid": guid_of(core_id)})
            assert status.status_code == 200 and status.json()["status"] == 1
        # Removed over REST: gone for every door.
        ok(await admin.delete("/things/lamp"))
        assert core_id not in rig.server.hub.things


async def test_things_and_the_name_counter_survive_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch) as rig:
        admin = await rig.logged_in(ADMIN)
        ok(await admin.post("/thingtypes", LIGHTS))
        ok(await admin.post("/things", {"thingType": "lights", "domain": "root", "description": "kept"}))
        ok(await admin.post("/things", {"thingType": "lights", "domain": "root"}))
        ok(await admin.delete("/things/00000002"))
    async with registry_rig(tmp_path, monkeypatch) as again:
        admin = await again.logged_in(ADMIN)
        assert ok(await admin.get("/things/00000001"))["description"] == "kept"
        assert ok(await admin.post("/things", {"thingType": "lights", "domain": "root"}))["thingName"] == "00000003"
