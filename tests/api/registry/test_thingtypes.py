"""Seed 002, the Thing Type API, row by row, against a real hub (and its things seen through JSON-RPC)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.jsonrpc.rig import RpcClient
from tests.api.registry.rig import ADMIN, PASSWORD, Client, Rig, registry_rig
from thinggate.core.guids import guid_of
from thinggate.core.security import SYSTEM, Privilege
from thinggate.integrations.generic.manifest import class_id

LIGHTS = {"id": "lights", "domain": "root", "label": "Lights", "description": "Light switches"}
LIGHT_RESOURCES = [
    {"name": "power", "type": "boolean", "isSettable": True},
    {"name": "brightness", "type": "long", "isSettable": True, "label": "Dim level"},
]
LIST_ATTRIBUTES = {
    "id",
    "label",
    "description",
    "resources",
    "virtualResources",
    "domain",
    "readOnly",
    "thingCount",
    "lockMappings",
}


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


async def add_thing(rig: Rig, type_id: str, domain: str = "root") -> uuid.UUID:
    """A thing of a registry thing type (through the core, as any door adds one)."""
    result = await rig.server.hub.add_thing(
        SYSTEM, name=f"{type_id} thing", thing_class_id=class_id(type_id), domain=domain
    )
    assert result.ok and result.value is not None, result.message
    return result.value


@pytest.fixture
async def admin(rig: Rig) -> Client:
    return await rig.logged_in(ADMIN)


# -- LIST ----------------------------------------------------------------------------------------


async def test_list_is_a_bare_array_of_every_attribute(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", {**LIGHTS, "resources": LIGHT_RESOURCES, "data": {"x": 1}}))
    listed = ok(await admin.get("/thingtypes"))
    assert isinstance(listed, list)
    lights = next(item for item in listed if item["id"] == "lights")
    assert set(lights) == LIST_ATTRIBUTES  # no `data` in LIST: the seed's list has none
    assert lights == {
        "id": "lights",
        "label": "Lights",
        "description": "Light switches",
        "resources": LIGHT_RESOURCES,
        "virtualResources": [],
        "domain": "root",
        "readOnly": False,
        "thingCount": 0,
        "lockMappings": False,
    }


async def test_list_with_attributes_returns_only_those(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", LIGHTS))
    listed = ok(await admin.get("/thingtypes", params={"attributes": "label,thingCount"}))
    assert listed and all(set(item) == {"label", "thingCount"} for item in listed)
    listed = ok(await admin.get("/thingtypes", params={"attributes": "id"}))
    assert {"id": "lights"} in listed
    assert error(await admin.get("/thingtypes", params={"attributes": "label,colour"})) == (
        400,
        "INVALID_ARGUMENTS",
        "attributes",
    )


async def test_integration_classes_are_listed_read_only(rig: Rig, admin: Client) -> None:
    listed = ok(await admin.get("/thingtypes", params={"attributes": "id,readOnly,domain,resources"}))
    virtual = [item for item in listed if item["id"].startswith("virtual-")]
    assert virtual and all(item["readOnly"] and item["domain"] == "root" for item in virtual)
    light = next(item for item in virtual if item["id"] == "virtual-light")
    assert {"name": "power", "type": "boolean", "label": "Power", "isSettable": True} in light["resources"]
    answer = await admin.patch("/thingtypes/virtual-light", {"label": "Mine", "domain": "root"})
    assert error(answer) == (403, "NOT_AUTHORIZED", "id")
    assert error(await admin.delete("/thingtypes/virtual-light")) == (403, "NOT_AUTHORIZED", "id")


async def test_list_answers_not_authorized_domain_when_the_only_type_is_out_of_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with registry_rig(tmp_path, monkeypatch, virtual=False) as rig:
        await rig.domain("a")
        await rig.domain("b")
        await rig.user("bob", role="ReadWrite", domain="b")
        admin = await rig.logged_in(ADMIN)
        ok(await admin.post("/thingtypes", {**LIGHTS, "domain": "a"}))
        bob = await rig.logged_in("bob")
        answer = await bob.get("/thingtypes")
        assert error(answer) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
        assert answer.json()["messageParams"] == {"domain": "a"}
        ok(await admin.post("/thingtypes", {**LIGHTS, "id": "switches", "domain": "a"}))
        assert ok(await bob.get("/thingtypes")) == []  # two types, none readable: an empty list


# -- CREATE --------------------------------------------------------------------------------------


async def test_create_answers_the_seeds_response(rig: Rig, admin: Client) -> None:
    created = ok(await admin.post("/thingtypes", LIGHTS))
    assert created == {
        "id": "lights",
        "domain": "root",
        "label": "Lights",
        "description": "Light switches",
        "data": None,
        "lockMappings": False,
    }


async def test_create_keeps_data_and_lock_mappings(rig: Rig, admin: Client) -> None:
    data = {"vendor": "acme", "nested": [1, {"deep": True}], "none": None}
    created = ok(await admin.post("/thingtypes", {**LIGHTS, "data": data, "lockMappings": True}))
    assert (created["data"], created["lockMappings"]) == (data, True)
    got = ok(await admin.get("/thingtypes/lights"))
    assert (got["data"], got["lockMappings"]) == (data, True)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"domain": "root", "label": "Lights"}, (400, "PROPERTY_REQUIRED", "id")),
        ({"id": "", "domain": "root", "label": "Lights"}, (400, "PROPERTY_REQUIRED", "id")),
        ({"id": "lights", "domain": "root"}, (400, "PROPERTY_REQUIRED", "label")),
        ({"id": "lights", "label": "Lights"}, (400, "PROPERTY_REQUIRED", "domain")),
        ({"id": "Lights", "domain": "root", "label": "Lights"}, (400, "INVALID_ARGUMENTS", "id")),
        ({"id": "my lights", "domain": "root", "label": "Lights"}, (400, "INVALID_ARGUMENTS", "id")),
        ({"id": "lights", "domain": "root", "label": 7}, (400, "INVALID_ARGUMENTS", "label")),
        ({"id": "lights", "domain": "nowhere", "label": "Lights"}, (404, "DOMAIN_NOT_FOUND", "domain")),
        (
            {"id": "lights", "domain": "root", "label": "L", "resources": [{"name": "x", "type": "varchar"}]},
            (400, "INVALID_ARGUMENTS", "resources"),
        ),
    ],
)
async def test_create_refuses_with_the_seeds_errors(
    rig: Rig, admin: Client, body: dict[str, Any], expected: tuple[int, str, str]
) -> None:
    assert error(await admin.post("/thingtypes", body)) == expected


async def test_create_refuses_an_id_in_use(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", LIGHTS))
    assert error(await admin.post("/thingtypes", LIGHTS)) == (409, "THING_TYPE_ID_EXISTS", "id")
    # An integration's class holds its id too.
    taken = {**LIGHTS, "id": "virtual-light"}
    assert error(await admin.post("/thingtypes", taken)) == (409, "THING_TYPE_ID_EXISTS", "id")


async def test_create_needs_thing_types_create_on_the_domain(rig: Rig) -> None:
    await rig.domain("a")
    await rig.user("reader", role="Read")
    await rig.user("writer", role="ReadWrite", domain="a")
    reader = await rig.logged_in("reader")
    assert error(await reader.post("/thingtypes", LIGHTS)) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
    writer = await rig.logged_in("writer")
    assert error(await writer.post("/thingtypes", LIGHTS)) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
    # A domain the caller cannot reach is refused whether it exists or not: nothing is told about it.
    assert error(await writer.post("/thingtypes", {**LIGHTS, "domain": "nowhere"})) == (
        403,
        "NOT_AUTHORIZED_DOMAIN",
        "domain",
    )
    ok(await writer.post("/thingtypes", {**LIGHTS, "domain": "a"}))


# -- GET -----------------------------------------------------------------------------------------


async def test_get_with_only_the_id_answers_every_attribute(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", {**LIGHTS, "resources": LIGHT_RESOURCES, "data": [1, 2]}))
    got = ok(await admin.get("/thingtypes/lights"))
    assert got == {
        "id": "lights",
        "domain": "root",
        "label": "Lights",
        "description": "Light switches",
        "data": [1, 2],
        "readOnly": False,
        "thingCount": 0,
        "lockMappings": False,
        "resources": LIGHT_RESOURCES,
        "virtualResources": [],
    }


@pytest.mark.parametrize(
    "params",
    [{"attributes": "label,thingCount"}, "label&thingCount", "label=null&thingCount=null"],
    ids=["attributes", "keys", "null-values"],
)
async def test_get_with_attributes_answers_the_id_and_those(rig: Rig, admin: Client, params: Any) -> None:
    ok(await admin.post("/thingtypes", LIGHTS))
    assert ok(await admin.get("/thingtypes/lights", params=params)) == {
        "id": "lights",
        "label": "Lights",
        "thingCount": 0,
    }


async def test_get_refuses_with_the_seeds_errors(rig: Rig, admin: Client) -> None:
    assert error(await admin.get("/thingtypes/")) == (400, "PROPERTY_REQUIRED", "id")
    assert error(await admin.get("/thingtypes/nothing")) == (404, "THING_TYPE_NOT_FOUND", "id")
    ok(await admin.post("/thingtypes", LIGHTS))
    assert error(await admin.get("/thingtypes/lights", params="colour")) == (400, "INVALID_ARGUMENTS", "colour")


async def test_identity_id_as_a_query_parameter_is_ignored(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", LIGHTS))
    assert ok(await admin.get("/thingtypes/lights", params={"identityId": "x", "attributes": "label"})) == {
        "id": "lights",
        "label": "Lights",
    }


# -- UPDATE --------------------------------------------------------------------------------------


async def test_update_answers_the_seeds_response(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", {**LIGHTS, "data": {"keep": 1}}))
    updated = ok(await admin.patch("/thingtypes/lights", {"label": "Lamps", "domain": "root", "description": "All"}))
    assert updated == {"id": "lights", "label": "Lamps", "description": "All", "data": {"keep": 1}}
    got = ok(await admin.get("/thingtypes/lights", params={"attributes": "label,description,data"}))
    assert got == {"id": "lights", "label": "Lamps", "description": "All", "data": {"keep": 1}}


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/thingtypes", {"label": "L", "domain": "root"}, (400, "PROPERTY_REQUIRED", "id")),
        ("/thingtypes/", {"label": "L", "domain": "root"}, (400, "PROPERTY_REQUIRED", "id")),
        ("/thingtypes/lights", {"domain": "root"}, (400, "PROPERTY_REQUIRED", "label")),
        ("/thingtypes/lights", {"label": "L"}, (400, "PROPERTY_REQUIRED", "domain")),
        ("/thingtypes/nothing", {"label": "L", "domain": "root"}, (404, "THING_TYPE_NOT_FOUND", "id")),
    ],
)
async def test_update_refuses_with_the_seeds_errors(
    rig: Rig, admin: Client, path: str, body: dict[str, Any], expected: tuple[int, str, str]
) -> None:
    ok(await admin.post("/thingtypes", LIGHTS))
    assert error(await admin.patch(path, body)) == expected


async def test_moving_a_type_needs_delete_on_the_old_domain_and_create_on_the_new(rig: Rig, admin: Client) -> None:
    await rig.domain("a")
    await rig.domain("b")
    ok(await admin.post("/thingtypes", {**LIGHTS, "domain": "a"}))
    move = {"label": "Lights", "domain": "b"}

    async def mover(*privileges: Privilege) -> Client:
        name = f"mover{len(rig.clients)}"
        await rig.user(name, role="Read", privileges=privileges)
        return await rig.logged_in(name)

    # UPDATE on a alone: the label may change, the domain may not.
    only_update = await mover(Privilege("thingtype", "a", frozenset("U")))
    ok(await only_update.patch("/thingtypes/lights", {"label": "Lights", "domain": "a"}))
    assert error(await only_update.patch("/thingtypes/lights", move)) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
    no_create = await mover(Privilege("thingtype", "a", frozenset("UD")))
    assert error(await no_create.patch("/thingtypes/lights", move)) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
    no_delete = await mover(Privilege("thingtype", "a", frozenset("U")), Privilege("thingtype", "b", frozenset("C")))
    assert error(await no_delete.patch("/thingtypes/lights", move)) == (403, "NOT_AUTHORIZED_DOMAIN", "domain")
    both = await mover(Privilege("thingtype", "a", frozenset("UD")), Privilege("thingtype", "b", frozenset("C")))
    ok(await both.patch("/thingtypes/lights", move))
    assert ok(await admin.get("/thingtypes/lights", params="domain"))["domain"] == "b"


async def test_a_new_label_is_the_class_display_name_for_its_things_too(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", {**LIGHTS, "resources": LIGHT_RESOURCES}))
    thing_id = await add_thing(rig, "lights")
    ok(await admin.patch("/thingtypes/lights", {"label": "Lamps", "domain": "root"}))
    hub = rig.server.hub
    assert hub.thing_classes[class_id("lights")].display_name == "Lamps"
    assert hub.things[thing_id].thing_class is hub.thing_classes[class_id("lights")]


async def test_resources_change_only_while_the_type_has_no_things(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", {**LIGHTS, "resources": LIGHT_RESOURCES}))
    fewer = {"label": "Lights", "domain": "root", "resources": LIGHT_RESOURCES[:1]}
    ok(await admin.patch("/thingtypes/lights", fewer))
    # Every generic class has a `connected` state after its resources.
    assert [s.name for s in rig.server.hub.thing_classes[class_id("lights")].state_types] == ["power", "connected"]
    await add_thing(rig, "lights")
    assert error(await admin.patch("/thingtypes/lights", {**fewer, "resources": LIGHT_RESOURCES})) == (
        409,
        "THING_TYPE_HAS_THINGS",
        "resources",
    )


# -- REMOVE --------------------------------------------------------------------------------------


async def test_remove_answers_an_empty_object_and_the_type_is_gone(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", LIGHTS))
    assert ok(await admin.delete("/thingtypes/lights")) == {}
    assert error(await admin.get("/thingtypes/lights")) == (404, "THING_TYPE_NOT_FOUND", "id")
    assert class_id("lights") not in rig.server.hub.thing_classes


async def test_remove_refuses_with_the_seeds_errors(rig: Rig, admin: Client) -> None:
    assert error(await admin.delete("/thingtypes")) == (400, "PROPERTY_REQUIRED", "id")
    assert error(await admin.delete("/thingtypes/")) == (400, "PROPERTY_REQUIRED", "id")
    assert error(await admin.delete("/thingtypes/nothing")) == (404, "THING_TYPE_NOT_FOUND", "id")
    ok(await admin.post("/thingtypes", LIGHTS))
    thing_id = await add_thing(rig, "lights")
    answer = await admin.delete("/thingtypes/lights")
    assert error(answer) == (409, "THING_TYPE_HAS_THINGS", None)
    assert answer.json()["messageParams"] == {"thingCount": 1}
    assert (await rig.server.hub.remove_thing(SYSTEM, thing_id)).ok
    assert ok(await admin.delete("/thingtypes/lights")) == {}


# -- per caller, live, durable, seen through JSON-RPC ----------------------------------------------


async def test_read_only_is_per_caller(rig: Rig, admin: Client) -> None:
    await rig.user("reader", role="Read")
    ok(await admin.post("/thingtypes", LIGHTS))
    reader = await rig.logged_in("reader")
    assert ok(await admin.get("/thingtypes/lights", params="readOnly"))["readOnly"] is False
    assert ok(await reader.get("/thingtypes/lights", params="readOnly"))["readOnly"] is True
    assert error(await reader.patch("/thingtypes/lights", {"label": "x", "domain": "root"})) == (
        403,
        "NOT_AUTHORIZED_DOMAIN",
        "id",
    )


async def test_thing_count_is_live_and_counts_what_the_caller_sees(rig: Rig, admin: Client) -> None:
    await rig.domain("a")
    await rig.domain("b")
    await rig.user("anna", role="Read", domain="a", privileges=[Privilege("thingtype", "root", frozenset("R"))])
    ok(await admin.post("/thingtypes", LIGHTS))
    anna = await rig.logged_in("anna")
    await add_thing(rig, "lights", "a")
    await add_thing(rig, "lights", "b")
    assert ok(await admin.get("/thingtypes/lights", params="thingCount"))["thingCount"] == 2
    assert ok(await anna.get("/thingtypes/lights", params="thingCount"))["thingCount"] == 1  # b is a sibling
    listed = ok(await admin.get("/thingtypes", params={"attributes": "id,thingCount"}))
    assert {"id": "lights", "thingCount": 2} in listed


async def test_thing_types_and_their_things_survive_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch) as rig:
        admin = await rig.logged_in(ADMIN)
        ok(await admin.post("/thingtypes", {**LIGHTS, "resources": LIGHT_RESOURCES, "data": {"k": [1]}}))
        thing_id = await add_thing(rig, "lights")
    async with registry_rig(tmp_path, monkeypatch) as again:
        admin = await again.logged_in(ADMIN)
        got = ok(await admin.get("/thingtypes/lights", params={"attributes": "data,thingCount,resources"}))
        assert got == {"id": "lights", "data": {"k": [1]}, "thingCount": 1, "resources": LIGHT_RESOURCES}
        assert again.server.hub.things[thing_id].thing_class.id == class_id("lights")


async def test_a_thing_type_is_a_thing_class_of_the_generic_integration_over_json_rpc(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", {**LIGHTS, "resources": LIGHT_RESOURCES}))
    port = rig.server.doors["jsonrpc"].tcp_port  # type: ignore[attr-defined]
    client = await RpcClient.tcp(port, tls=False)
    try:
        await client.login(ADMIN, PASSWORD)
        answer = await client.call("Integrations.GetThingClasses", {"thingClassIds": [str(class_id("lights"))]})
        (thing_class,) = answer["thingClasses"]
        assert thing_class["displayName"] == "Lights"
        assert set(thing_class["interfaces"]) >= {"dimmablelight", "light", "power"}
        assert {state["name"] for state in thing_class["stateTypes"]} == {"power", "brightness", "connected"}
        assert {action["name"] for action in thing_class["actionTypes"]} == {"power", "brightness"}
        brightness = next(state for state in thing_class["stateTypes"] if state["name"] == "brightness")
        assert (brightness["displayName"], brightness["maxValue"]) == ("Dim level", 100)
    finally:
        await client.close()


async def test_a_types_catalogue_interface_reaches_its_things_through_thinknx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A thing type with power and brightness resources is a dimmable light to every door.
    async with registry_rig(tmp_path, monkeypatch, thinknx=True) as rig:
        admin = await rig.logged_in(ADMIN)
        ok(await admin.post("/thingtypes", {**LIGHTS, "resources": LIGHT_RESOURCES}))
        rpc = await RpcClient.tcp(rig.server.doors["jsonrpc"].tcp_port, tls=False)  # type: ignore[attr-defined]
        try:
            await rpc.login(ADMIN, PASSWORD)
            added = await rpc.call("Integrations.AddThing", {"thingClassId": str(class_id("lights")), "name": "Desk"})
        finally:
            await rpc.close()
        thing_id = uuid.UUID(added["thingId"])
        port = rig.server.doors["thinknx"].port  # type: ignore[attr-defined]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/V1", auth=(ADMIN, PASSWORD)) as thinknx:
            assert (await thinknx.get("/power", params={"guid": guid_of(thing_id), "cmd": "1"})).status_code == 200
            assert (
                await thinknx.get("/powerlevel", params={"guid": guid_of(thing_id), "cmd": "42"})
            ).status_code == 200
        thing = rig.server.hub.things[thing_id]
        assert (thing.state_value("power"), thing.state_value("brightness")) == (True, 42)


async def test_the_whole_list_follows_changes_and_matches_the_list_by_attributes(rig: Rig, admin: Client) -> None:
    # The whole list is written from JSON kept per type: it must change as the types and their things do.
    await rig.user("reader", role="Read")
    reader = await rig.logged_in("reader")
    every = ",".join(sorted(LIST_ATTRIBUTES))

    async def listed(client: Client) -> dict[str, Any]:
        whole = ok(await client.get("/thingtypes"))
        assert whole == ok(await client.get("/thingtypes", params={"attributes": every}))
        return {item["id"]: item for item in whole}

    ok(await admin.post("/thingtypes", LIGHTS))
    assert (await listed(admin))["lights"]["thingCount"] == 0
    first = await add_thing(rig, "lights")
    await add_thing(rig, "lights")
    assert (await listed(admin))["lights"]["thingCount"] == 2
    assert (await listed(admin))["lights"]["readOnly"] is False
    assert (await listed(reader))["lights"]["readOnly"] is True
    assert (await rig.server.hub.remove_thing(SYSTEM, first)).ok
    ok(await admin.patch("/thingtypes/lights", {"label": "Lamps", "domain": "root", "description": "Lamps"}))
    lights = (await listed(admin))["lights"]
    assert (lights["label"], lights["description"], lights["thingCount"]) == ("Lamps", "Lamps", 1)
    ok(await admin.post("/thingtypes", {"id": "fans", "domain": "root", "label": "Fans"}))
    assert set(await listed(admin)) >= {"lights", "fans"}
