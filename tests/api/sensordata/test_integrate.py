"""Process integration and nodes (seed 004, mic-itwin.md §2.3-2.6) against a real hub: shapes, ids, rights."""

from __future__ import annotations

import copy
import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.jsonrpc.rig import RpcClient
from tests.api.sensordata.rig import ADMIN, ITWIN, PASSWORD, Client, Rig, sensordata_rig
from thinggate.integrations.sensordata.kinds import DEVICE_CLASS, NODE_CLASS, kind_of

SEED = json.loads((Path(__file__).parent / "seed_004.json").read_text())
HEX = "[0-9A-F]{6}"
NODE_ID = re.compile(rf"/api/{HEX}/node")
DEVICE_ID = re.compile(rf"/api/{HEX}/node/dynamic/{HEX}/device")
SENSOR_ID = re.compile(rf"/api/{HEX}/node/dynamic/{HEX}/device/{HEX}/sensor")
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")
MISSING_TEMPLATE = (
    "Minimum request parameters not provided, new Devices and Sensors must have a valid `props.INTEGRATION_ID` set."
)


def ok(answer: httpx.Response) -> Any:
    """The body of a 200 JSON answer."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


def error(answer: httpx.Response) -> tuple[int, str, str | None]:
    """Status, code and target of an iTwin error (after checking the envelope)."""
    body = answer.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]) <= {"code", "message", "target"}, body
    return answer.status_code, body["error"]["code"], body["error"].get("target")


def normalized(integration: dict[str, Any]) -> dict[str, Any]:
    """An integrate answer with what the server draws (dates, serials, codes, project id) as placeholders.

    Sensors are sorted by NAME (the seed's answer lists them in no order of the request's); refIds
    (ours echo the client's) are left out: the seed's answer shows none.
    """
    shaped = copy.deepcopy(integration)
    node_code = shaped["node"]["props"]["SERIAL_NO"]

    def generic(props: dict[str, Any]) -> None:
        assert DATE.fullmatch(props["CREATION_DATE"]), props
        assert re.fullmatch("[0-9A-F]{24}", props["PROJECT_ID"]), props
        props["CREATION_DATE"] = props["PROJECT_ID"] = "*"

    generic(shaped["node"]["props"])
    for entry in shaped["devices"]:
        device = entry["device"]
        device.pop("refId", None)
        generic(device["props"])
        uuid.UUID(device["props"]["SERIAL_NO"])
        device["props"]["SERIAL_NO"] = "*"
        assert DEVICE_ID.fullmatch(device["id"]) and device["id"].startswith(f"/api/{node_code}/")
        device_id = device["id"]
        device["id"] = "*device*"
        for sensor in entry["sensors"]:
            sensor.pop("refId", None)
            generic(sensor["props"])
            uuid.UUID(sensor["props"]["SERIAL_NO"])
            sensor["props"]["SERIAL_NO"] = "*"
            assert SENSOR_ID.fullmatch(sensor["id"]) and sensor["id"].startswith(device_id + "/")
            assert sensor["device"] == device_id
            sensor["id"], sensor["device"] = "*sensor*", "*device*"
        entry["sensors"].sort(key=lambda sensor: sensor["props"]["NAME"])
    return shaped


async def seed_node(client: Client) -> dict[str, Any]:
    """The seed's node (its id chosen by the client), then the seed's request: the answer's `integration`."""
    ok(await client.integrate({"changeState": "new", "nodeId": SEED["request"]["integration"]["nodeId"]}))
    return ok(await client.integrate(SEED["request"]["integration"]))["integration"]  # type: ignore[no-any-return]


async def test_the_seeds_request_answers_the_seeds_response(rig: Rig) -> None:
    admin = await rig.connected()
    integration = await seed_node(admin)
    assert normalized(integration) == normalized(SEED["response"]["integration"])
    # The ids and props the seed's answer shows, field by field.
    node = integration["node"]
    assert node["id"] == "/api/95A09D/node" and node["props"]["SERIAL_NO"] == "95A09D"
    assert list(node["props"]) == ["SERIAL_NO", "CREATION_DATE", "INTEGRATION_ID", "PROJECT_ID", "NAME"]
    assert node["props"]["NAME"] == "Data Source API Import 95A09D"
    (entry,) = integration["devices"]
    device = entry["device"]
    assert list(device["props"]) == [
        "SERIAL_NO",
        "SIZE",
        "CREATION_DATE",
        "NODE_ID",
        "INTEGRATION_ID",
        "PROJECT_ID",
        "NAME",
    ]
    assert device["props"]["SIZE"] == 7 and device["props"]["NODE_ID"] == node["id"]
    assert device["refId"] == "RefId"  # echoed: the client's key for later updates
    assert [sensor["refId"] for sensor in entry["sensors"]] == [f"RefId{n}" for n in range(1, 8)]
    assert {sensor["props"]["PROJECT_ID"] for sensor in entry["sensors"]} == {node["props"]["PROJECT_ID"]}
    # Each is a thing: the sensors children of the device, the device a child of the node.
    device_thing = rig.server.hub.things[uuid.UUID(device["props"]["SERIAL_NO"])]
    assert device_thing.thing_class.id == DEVICE_CLASS.id and device_thing.name == "Generic Device"
    node_thing = rig.server.hub.things[device_thing.parent_id]  # type: ignore[index]
    assert node_thing.thing_class.id == NODE_CLASS.id and node_thing.domain == ITWIN
    for sensor in entry["sensors"]:
        thing = rig.server.hub.things[uuid.UUID(sensor["props"]["SERIAL_NO"])]
        assert thing.parent_id == device_thing.id
        assert thing.thing_class.id == kind_of(sensor["props"]["INTEGRATION_ID"]).thing_class.id


async def test_the_node_id_alone_reads_the_whole_tree_back(rig: Rig) -> None:
    admin = await rig.connected()
    made = await seed_node(admin)
    second = ok(
        await admin.integrate(
            {
                "nodeId": "/api/95a09d/node",  # ids are read case-insensitively
                "devices": [{"changeState": "new", "refId": "D2", "props": {"INTEGRATION_ID": "IMPORT_DEVICE_SDE"}}],
            }
        )
    )["integration"]
    assert [entry["device"]["refId"] for entry in second["devices"]] == ["D2"]  # only what the request named
    tree = ok(await admin.integrate({"nodeId": "/api/95A09D/node"}))["integration"]
    assert tree["node"] == made["node"]
    assert [entry["device"]["refId"] for entry in tree["devices"]] == ["RefId", "D2"]
    assert tree["devices"][0] == made["devices"][0]
    assert tree["devices"][1]["sensors"] == [] and tree["devices"][1]["device"]["props"]["SIZE"] == 0


async def test_update_and_remove_by_ref_id(rig: Rig) -> None:
    admin = await rig.connected()
    made = await seed_node(admin)
    device = made["devices"][0]["device"]
    changed = ok(
        await admin.integrate(
            {
                "nodeId": "/api/95A09D/node",
                "devices": [
                    {
                        "changeState": "update",
                        "refId": "RefId",
                        "props": {
                            "NAME": "Renamed",
                            "NOTES": "north wall",
                            "LOCATION": {"type": "Point", "coordinates": [1, 2, 3]},
                        },
                        "sensors": [
                            {"changeState": "remove", "refId": "RefId3"},
                            {"changeState": "update", "refId": "RefId4", "props": {"NAME": "Lux"}},
                            {
                                "changeState": "new",
                                "refId": "RefId8",
                                "props": {"INTEGRATION_ID": "TEMPERATURE_SDE", "NAME": "T"},
                            },
                        ],
                    }
                ],
            }
        )
    )["integration"]
    (entry,) = changed["devices"]
    assert (
        entry["device"]["id"] == device["id"] and entry["device"]["props"]["SERIAL_NO"] == device["props"]["SERIAL_NO"]
    )
    props = entry["device"]["props"]
    assert props["NAME"] == "Renamed" and props["NOTES"] == "north wall"
    assert props["LOCATION"] == {"type": "Point", "coordinates": [1, 2, 3]}
    assert props["SIZE"] == 7  # one removed, one made: SIZE is the live count
    names = {sensor["refId"]: sensor["props"]["NAME"] for sensor in entry["sensors"]}
    assert "RefId3" not in names and names["RefId4"] == "Lux" and names["RefId8"] == "T"
    removed_moisture = next(s for s in made["devices"][0]["sensors"] if s["refId"] == "RefId3")
    assert uuid.UUID(removed_moisture["props"]["SERIAL_NO"]) not in rig.server.hub.things
    # The creation date and ids of what was updated stay as they were.
    lux = next(s for s in entry["sensors"] if s["refId"] == "RefId4")
    before = next(s for s in made["devices"][0]["sensors"] if s["refId"] == "RefId4")
    assert (lux["id"], lux["props"]["CREATION_DATE"]) == (before["id"], before["props"]["CREATION_DATE"])
    # Removing the device removes its sensors; the answer no longer lists it.
    gone = ok(
        await admin.integrate({"nodeId": "/api/95A09D/node", "devices": [{"changeState": "remove", "refId": "RefId"}]})
    )["integration"]
    assert gone["devices"] == []
    assert not any(t.thing_class.id != NODE_CLASS.id for t in _sensor_data_things(rig))


async def test_clients_without_ref_ids_are_served_by_name(rig: Rig) -> None:
    admin = await rig.connected()
    ok(await admin.integrate({"changeState": "new", "nodeId": "/api/00BEEF/node"}))
    made = ok(
        await admin.integrate(
            {
                "nodeId": "/api/00BEEF/node",
                "devices": [
                    {
                        "changeState": "new",
                        "props": {"INTEGRATION_ID": "IMPORT_DEVICE_SDE", "NAME": "Logger 1"},
                        "sensors": [{"changeState": "new", "props": {"INTEGRATION_ID": "HUMIDITY_SDE", "NAME": "RH"}}],
                    }
                ],
            }
        )
    )["integration"]
    (entry,) = made["devices"]
    assert "refId" not in entry["device"] and "refId" not in entry["sensors"][0]
    updated = ok(
        await admin.integrate(
            {
                "nodeId": "/api/00BEEF/node",
                "devices": [
                    {
                        "changeState": "update",
                        "props": {"NAME": "Logger 1", "NOTES": "found by name"},
                        "sensors": [{"changeState": "remove", "props": {"NAME": "RH"}}],
                    }
                ],
            }
        )
    )["integration"]
    assert updated["devices"][0]["device"]["props"]["NOTES"] == "found by name"
    assert updated["devices"][0]["sensors"] == [] and updated["devices"][0]["device"]["props"]["SIZE"] == 0
    # Two of one name: a removal by name is ambiguous, and says so.
    for _ in range(2):
        ok(
            await admin.integrate(
                {
                    "nodeId": "/api/00BEEF/node",
                    "devices": [{"changeState": "new", "props": {"INTEGRATION_ID": "X", "NAME": "Twin"}}],
                }
            )
        )
    ambiguous = await admin.integrate(
        {"nodeId": "/api/00BEEF/node", "devices": [{"changeState": "remove", "props": {"NAME": "Twin"}}]}
    )
    assert error(ambiguous) == (422, "InvalidProcessIntegrationRequest", "integration.devices[0]")
    unknown = await admin.integrate(
        {"nodeId": "/api/00BEEF/node", "devices": [{"changeState": "update", "props": {"NAME": "Nobody"}}]}
    )
    assert error(unknown) == (404, "ResourceNotFound", "integration.devices[0].props.NAME")


async def test_new_entries_without_a_template_are_refused_before_anything_changes(rig: Rig) -> None:
    admin = await rig.connected()
    ok(await admin.integrate({"changeState": "new", "nodeId": "/api/0000AA/node"}))
    for devices, target in (
        (
            [{"changeState": "new", "refId": "d", "props": {"NAME": "no template"}}],
            "integration.devices[0].props.INTEGRATION_ID",
        ),
        (
            [
                {
                    "changeState": "new",
                    "refId": "d",
                    "props": {"INTEGRATION_ID": "DEMO_DEVICE_SDE"},
                    "sensors": [
                        {"changeState": "new", "refId": "s1", "props": {"INTEGRATION_ID": "LIGHT_SDE"}},
                        {"changeState": "new", "refId": "s2", "props": {"NAME": "no template"}},
                    ],
                }
            ],
            "integration.devices[0].sensors[1].props.INTEGRATION_ID",
        ),
    ):
        answer = await admin.integrate({"nodeId": "/api/0000AA/node", "devices": devices})
        assert answer.status_code == 422
        assert answer.json() == {
            "error": {"code": "InvalidProcessIntegrationRequest", "message": MISSING_TEMPLATE, "target": target}
        }
    # Checked whole before any change: the valid device and sensor of the second request were not made.
    assert [t.thing_class.id for t in _sensor_data_things(rig)] == [NODE_CLASS.id]


@pytest.mark.parametrize(
    ("integration", "status", "target"),
    [
        ({}, 422, "integration.nodeId"),  # neither a node to make nor one named
        ({"changeState": "modified"}, 422, "integration.changeState"),
        ({"nodeId": "/api/12345/node"}, 422, "integration.nodeId"),
        ({"nodeId": "/api/ABCDEF/node"}, 404, "integration.nodeId"),
        (
            {"nodeId": "/api/0000AA/node", "devices": [{"refId": "x", "props": {"INTEGRATION_ID": "A"}}]},
            422,
            "integration.devices[0].changeState",
        ),
        (
            {"nodeId": "/api/0000AA/node", "devices": [{"changeState": "update", "refId": "none"}]},
            404,
            "integration.devices[0].refId",
        ),
        (
            {"nodeId": "/api/0000AA/node", "devices": [{"changeState": "new", "props": {"INTEGRATION_ID": 5}}]},
            422,
            "integration.devices[0].props.INTEGRATION_ID",
        ),
        (
            {
                "nodeId": "/api/0000AA/node",
                "devices": [{"changeState": "new", "props": {"INTEGRATION_ID": "A", "UNKNOWN_METRICS": ["x"]}}],
            },
            422,
            "integration.devices[0].props.UNKNOWN_METRICS",
        ),
        (
            {
                "nodeId": "/api/0000AA/node",
                "devices": [
                    {"changeState": "new", "refId": "twice", "props": {"INTEGRATION_ID": "A"}},
                    {"changeState": "new", "refId": "twice", "props": {"INTEGRATION_ID": "A"}},
                ],
            },
            422,
            "integration.devices[1].refId",
        ),
    ],
)
async def test_requests_that_cannot_be_processed_are_answered_in_the_envelope(
    rig: Rig, integration: dict[str, Any], status: int, target: str
) -> None:
    admin = await rig.connected()
    ok(await admin.integrate({"changeState": "new", "nodeId": "/api/0000AA/node"}))
    answer = await admin.integrate(integration)
    code = "ResourceNotFound" if status == 404 else "InvalidProcessIntegrationRequest"
    assert error(answer) == (status, code, target)
    assert len(_sensor_data_things(rig)) == 1


async def test_a_sensors_kind_cannot_change_and_unknown_templates_are_generic_sensors(rig: Rig) -> None:
    admin = await rig.connected()
    ok(await admin.integrate({"changeState": "new", "nodeId": "/api/0000BB/node"}))
    made = ok(
        await admin.integrate(
            {
                "nodeId": "/api/0000BB/node",
                "devices": [
                    {
                        "changeState": "new",
                        "refId": "d",
                        "props": {"INTEGRATION_ID": "DEMO_DEVICE_SDE"},
                        "sensors": [
                            {
                                "changeState": "new",
                                "refId": "v",
                                "props": {
                                    "INTEGRATION_ID": "VIBROMETER_SDE",
                                    "UNKNOWN_METRICS": {"0": "vib"},
                                    "UNKNOWN_UNITS": {"0": "mm/s"},
                                },
                            }
                        ],
                    }
                ],
            }
        )
    )["integration"]
    (sensor,) = made["devices"][0]["sensors"]
    assert sensor["props"]["INTEGRATION_ID"] == "VIBROMETER_SDE"  # kept as given
    assert sensor["props"]["UNKNOWN_METRICS"] == {"0": "vib"} and sensor["props"]["UNKNOWN_UNITS"] == {"0": "mm/s"}
    thing = rig.server.hub.things[uuid.UUID(sensor["props"]["SERIAL_NO"])]
    assert thing.thing_class.id == kind_of("GENERIC_SENSOR_SDE").thing_class.id
    change = {
        "nodeId": "/api/0000BB/node",
        "devices": [
            {
                "changeState": "update",
                "refId": "d",
                "sensors": [{"changeState": "update", "refId": "v", "props": {"INTEGRATION_ID": "TEMPERATURE_SDE"}}],
            }
        ],
    }
    answer = await admin.integrate(change)
    assert error(answer) == (
        422,
        "InvalidProcessIntegrationRequest",
        "integration.devices[0].sensors[0].props.INTEGRATION_ID",
    )
    # "new" with a refId in use is the same entity again (a retried request makes nothing twice).
    again = ok(
        await admin.integrate(
            {
                "nodeId": "/api/0000BB/node",
                "devices": [{"changeState": "new", "refId": "d", "props": {"INTEGRATION_ID": "DEMO_DEVICE_SDE"}}],
            }
        )
    )["integration"]
    assert again["devices"][0]["device"]["id"] == made["devices"][0]["device"]["id"]
    assert len(_sensor_data_things(rig)) == 3


async def test_removing_a_node_removes_its_tree(rig: Rig) -> None:
    admin = await rig.connected()
    made = await seed_node(admin)
    gone = ok(await admin.integrate({"changeState": "remove", "nodeId": "/api/95A09D/node"}))["integration"]
    assert gone == {"node": made["node"], "devices": []}
    assert _sensor_data_things(rig) == []
    assert error(await admin.integrate({"nodeId": "/api/95A09D/node"}))[:2] == (404, "ResourceNotFound")
    nodes = ok(await admin.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN}))
    assert nodes == {"nodes": []}


async def test_nodes_lists_an_itwins_nodes_by_either_parameter(rig: Rig) -> None:
    admin = await rig.connected()
    first = ok(await admin.integrate({"changeState": "new"}))["integration"]["node"]
    second = ok(await admin.integrate({"changeState": "new", "props": {"NAME": "Second"}}))
    elsewhere = ok(await admin.integrate({"changeState": "new"}, itwin="other-twin"))["integration"]["node"]
    assert NODE_ID.fullmatch(first["id"]) and first["props"]["NAME"].startswith("Data Source API Import ")
    listed = ok(await admin.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN}))
    assert listed == {"nodes": [first, second["integration"]["node"]]}
    legacy = ok(await admin.call("GET", "/integrations/nodes", params={"projectIds": "other-twin"}))
    assert legacy == {"nodes": [elsewhere]}
    assert elsewhere["props"]["PROJECT_ID"] != first["props"]["PROJECT_ID"]  # one project id per iTwin
    assert error(await admin.call("GET", "/integrations/nodes")) == (422, "InvalidNodesRequest", "iTwinId")
    assert error(await admin.call("GET", "/integrations/nodes", params={"iTwinId": "a/b"})) == (
        422,
        "InvalidNodesRequest",
        "iTwinId",
    )


async def test_an_itwin_is_a_domain_made_by_a_user_allowed_to(rig: Rig) -> None:
    await rig.user("writer", role="ReadWrite")
    await rig.user("reader", role="Read")
    writer, reader = await rig.connected("writer"), await rig.connected("reader")
    # A ReadWrite user may not make domains: a new iTwin is refused, and nothing is made.
    assert error(await writer.integrate({"changeState": "new"}))[:2] == (403, "InsufficientPermissions")
    assert ITWIN not in rig.server.security.domains
    admin = await rig.connected()
    ok(await admin.integrate({"changeState": "new", "nodeId": "/api/0000CC/node"}))
    assert rig.server.security.domains.parent(ITWIN) == "root"  # made below the admin's home
    # Once it exists, the ReadWrite user works in it; the Read user reads it only.
    made = ok(
        await writer.integrate(
            {"nodeId": "/api/0000CC/node", "devices": [{"changeState": "new", "props": {"INTEGRATION_ID": "D"}}]}
        )
    )["integration"]
    assert len(made["devices"]) == 1
    refused = await reader.integrate(
        {"nodeId": "/api/0000CC/node", "devices": [{"changeState": "new", "props": {"INTEGRATION_ID": "D"}}]}
    )
    assert error(refused)[:2] == (403, "InsufficientPermissions")
    assert len(ok(await reader.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN}))["nodes"]) == 1


async def test_two_users_itwins_are_apart(rig: Rig) -> None:
    for name in ("site-a", "site-b"):
        await rig.domain(name)
    await rig.user("alice", role="Admin", domain="site-a")
    await rig.user("bob", role="Admin", domain="site-b")
    alice, bob = await rig.connected("alice"), await rig.connected("bob")
    alices = ok(await alice.integrate({"changeState": "new"}, itwin="twin-a"))["integration"]["node"]
    bobs = ok(await bob.integrate({"changeState": "new"}, itwin="twin-b"))["integration"]["node"]
    assert rig.server.security.domains.parent("twin-a") == "site-a"
    assert rig.server.security.domains.parent("twin-b") == "site-b"
    # Bob cannot see, list, use or change Alice's iTwin or node: unknown or refused, never shown.
    assert error(await bob.call("GET", "/integrations/nodes", params={"iTwinId": "twin-a"}))[:2] == (
        404,
        "ResourceNotFound",
    )
    assert error(await bob.integrate({"changeState": "new"}, itwin="twin-a"))[:2] == (403, "InsufficientPermissions")
    assert error(await bob.integrate({"nodeId": alices["id"]}, itwin=None))[:2] == (404, "ResourceNotFound")
    assert error(await bob.integrate({"nodeId": alices["id"], "changeState": "remove"}, itwin=None))[:2] == (
        404,
        "ResourceNotFound",
    )
    # His own node named with her iTwin is not found there either.
    assert error(await bob.integrate({"nodeId": bobs["id"]}, itwin="twin-a"))[:2] == (404, "ResourceNotFound")
    assert ok(await alice.call("GET", "/integrations/nodes", params={"iTwinId": "twin-a"})) == {"nodes": [alices]}
    assert ok(await bob.call("GET", "/integrations/nodes", params={"iTwinId": "twin-b"})) == {"nodes": [bobs]}


async def test_ids_refs_and_props_read_back_exactly_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sensordata_rig(tmp_path, monkeypatch) as rig:
        admin = await rig.connected()
        await seed_node(admin)
        ok(
            await admin.integrate(
                {
                    "nodeId": "/api/95A09D/node",
                    "devices": [
                        {
                            "changeState": "update",
                            "refId": "RefId",
                            "props": {"NOTES": "kept", "LOCATION": {"type": "Point", "coordinates": [7.5, 47.1, 410]}},
                            "sensors": [
                                {
                                    "changeState": "update",
                                    "refId": "RefId1",
                                    "props": {
                                        "UNKNOWN_METRICS": {"0": "vib", "1": "f"},
                                        "UNKNOWN_UNITS": {"0": "mm/s"},
                                    },
                                }
                            ],
                        }
                    ],
                }
            )
        )
        before = ok(await admin.integrate({"nodeId": "/api/95A09D/node"}))
        client_id, secret = admin.client_id, admin.secret
    async with sensordata_rig(tmp_path, monkeypatch) as rig:
        admin = rig.client(client_id, secret)
        await admin.fetch_token()
        after = ok(await admin.integrate({"nodeId": "/api/95A09D/node"}))
        assert after == before


def _sensor_data_things(rig: Rig) -> list[Any]:
    """The things of the sensor-data integration (nodes, devices, sensors)."""
    return [thing for thing in rig.server.hub.things.values() if thing.plugin_id == NODE_CLASS.plugin_id]


async def test_changes_made_through_another_door_are_seen_here(rig: Rig) -> None:
    admin = await rig.connected()
    made = await seed_node(admin)
    device = made["devices"][0]
    light = next(sensor for sensor in device["sensors"] if sensor["refId"] == "RefId4")
    moisture = next(sensor for sensor in device["sensors"] if sensor["refId"] == "RefId3")
    rpc = await RpcClient.tcp(rig.server.doors["jsonrpc"].tcp_port)  # type: ignore[attr-defined]
    try:
        await rpc.login(ADMIN, PASSWORD)
        things = await rpc.call("Integrations.GetThings", {})
        listed = {thing["id"].strip("{}"): thing for thing in things["things"]}
        assert listed[light["props"]["SERIAL_NO"]]["parentId"].strip("{}") == device["device"]["props"]["SERIAL_NO"]
        edited = await rpc.call("Integrations.EditThing", {"thingId": light["props"]["SERIAL_NO"], "name": "Lux meter"})
        assert edited["thingError"] == "ThingErrorNoError"
        removed = await rpc.call("Integrations.RemoveThing", {"thingId": moisture["props"]["SERIAL_NO"]})
        assert removed["thingError"] == "ThingErrorNoError"
    finally:
        await rpc.close()
    tree = ok(await admin.integrate({"nodeId": "/api/95A09D/node"}))["integration"]
    (entry,) = tree["devices"]
    assert entry["device"]["props"]["SIZE"] == 6
    names = {sensor["refId"]: sensor["props"]["NAME"] for sensor in entry["sensors"]}
    assert names["RefId4"] == "Lux meter" and "RefId3" not in names
    # The removed sensor's refId is free again: "new" with it makes a new sensor.
    again = ok(
        await admin.integrate(
            {
                "nodeId": "/api/95A09D/node",
                "devices": [
                    {
                        "changeState": "update",
                        "refId": "RefId",
                        "sensors": [
                            {"changeState": "new", "refId": "RefId3", "props": {"INTEGRATION_ID": "MOISTURE_SDE"}}
                        ],
                    }
                ],
            }
        )
    )["integration"]
    remade = next(sensor for sensor in again["devices"][0]["sensors"] if sensor["refId"] == "RefId3")
    assert remade["id"] != moisture["id"] and again["devices"][0]["device"]["props"]["SIZE"] == 7
