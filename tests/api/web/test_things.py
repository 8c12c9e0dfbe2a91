"""The things page's API (/web/api/setup/...): every setup path of the test bed's classes, and editing things.

The hub is the web rig's with the virtual integration's test bed (a class for just add, discovery, push
button, display PIN, user and password, OAuth). Each row is asked as the page asks it; refusals are the
door's JSON errors with the core's codes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.web.rig import KITCHEN, VIEWER, Rig, WebClient
from tests.api.web.things_tools import class_named, param_id, rig_with_testbed
from tests.hubtools import TIME_SCALE


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """The web rig with the test bed's classes."""
    async with rig_with_testbed(tmp_path, monkeypatch) as running:
        yield running


def refusal(answer: httpx.Response) -> tuple[int, str]:
    """The status and code of one of the door's JSON errors."""
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return answer.status_code, body["error"]["code"]


def ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


async def discovered(client: WebClient, rig: Rig, class_name: str, count: int = 1) -> list[dict[str, Any]]:
    thing_class = class_named(rig, class_name)
    body = {"classId": str(thing_class.id), "params": {param_id(thing_class, "resultCount", "discovery"): count}}
    descriptors: list[dict[str, Any]] = ok(await client.write("/web/api/setup/discover", body))["descriptors"]
    return descriptors


async def test_the_classes_a_person_may_add_come_with_their_setup_method_and_params(rig: Rig) -> None:
    owner = await rig.logged_in()
    answer = ok(await owner.get("/web/api/setup/classes"))
    assert answer["mayConfigure"] is True
    classes = {thing_class["name"]: thing_class for thing_class in answer["classes"]}
    assert {
        name: classes[name]["setupMethod"]
        for name in ("mock", "pushButtonMock", "displayPinMock", "userAndPassMock", "oAuthMock")
    } == {
        "mock": "JustAdd",
        "pushButtonMock": "PushButton",
        "displayPinMock": "DisplayPin",
        "userAndPassMock": "UserAndPassword",
        "oAuthMock": "OAuth",
    }
    assert "autoMock" not in classes  # things of it only appear by themselves
    mock = classes["mock"]
    assert mock["createMethods"] == ["User", "Discovery"]
    port = next(param for param in mock["params"] if param["name"] == "httpport")
    assert port["type"] == "Int" and port["default"] is None and port["readOnly"] is False
    assert [param["name"] for param in mock["discoveryParams"]] == ["resultCount"]
    assert next(param for param in mock["params"] if param["name"] == "async")["readOnly"] is True

    viewer = await rig.logged_in(VIEWER)
    assert ok(await viewer.get("/web/api/setup/classes"))["mayConfigure"] is False


async def test_a_thing_is_just_added_by_hand_with_its_params_name_and_room(rig: Rig) -> None:
    owner = await rig.logged_in()
    mock = class_named(rig, "mock")
    port = param_id(mock, "httpport")
    body = {"classId": str(mock.id), "name": "Lab device", "room": "Lab", "params": {port: 4321}}
    thing_id = uuid.UUID(ok(await owner.write("/web/api/setup/add", body))["thingId"])
    thing = rig.server.hub.things[thing_id]
    assert (thing.name, thing.room, thing.params[uuid.UUID(port)], thing.thing_class.id) == (
        "Lab device",
        "Lab",
        4321,
        mock.id,
    )
    assert "Lab" in ok(await owner.get("/web/api/rooms"))

    without = {"classId": str(mock.id), "name": "No port"}
    assert refusal(await owner.write("/web/api/setup/add", without)) == (422, "MissingParameter")
    wrong = {**body, "params": {port: "eighty"}}
    assert refusal(await owner.write("/web/api/setup/add", wrong)) == (422, "InvalidParameter")
    push = class_named(rig, "pushButtonMock")
    answer = await owner.write("/web/api/setup/add", {"classId": str(push.id), "name": "Push"})
    assert refusal(answer) == (409, "CreationMethodNotSupported")
    assert refusal(await owner.write("/web/api/setup/add", {"name": "Nothing"})) == (422, "MissingParameter")
    unknown = {"classId": str(uuid.uuid4()), "name": "Nothing"}
    assert refusal(await owner.write("/web/api/setup/add", unknown)) == (404, "ThingClassNotFound")


async def test_a_discovered_device_is_added_with_the_params_discovery_found(rig: Rig) -> None:
    owner = await rig.logged_in()
    mock = class_named(rig, "mock")
    descriptors = await discovered(owner, rig, "mock", count=2)
    port = param_id(mock, "httpport")
    assert [descriptor["params"] for descriptor in descriptors] == [{port: 55555}, {port: 55556}]
    assert all(descriptor["thingId"] is None for descriptor in descriptors)
    body = {"descriptorId": descriptors[1]["id"], "name": "Found one", "room": "Lab"}
    thing = rig.server.hub.things[uuid.UUID(ok(await owner.write("/web/api/setup/add", body))["thingId"])]
    assert (thing.name, thing.room, thing.params[uuid.UUID(port)]) == ("Found one", "Lab", 55556)
    # Found again, it says which thing it is.
    again = await discovered(owner, rig, "mock", count=2)
    assert again[1]["thingId"] == str(thing.id)
    unknown = {"descriptorId": str(uuid.uuid4()), "name": "Gone"}
    assert refusal(await owner.write("/web/api/setup/add", unknown)) == (404, "ThingDescriptorNotFound")


async def test_a_push_button_pairing_confirms_once_the_button_was_pressed(rig: Rig) -> None:
    owner = await rig.logged_in()
    descriptor = (await discovered(owner, rig, "pushButtonMock"))[0]
    pairing = ok(await owner.write("/web/api/setup/pair", {"descriptorId": descriptor["id"], "name": "Hue bridge"}))
    assert pairing["setupMethod"] == "PushButton" and "push button" in pairing["displayMessage"]
    # The test bed presses its button 3 (simulated) seconds after the pairing started.
    await asyncio.sleep(2 * 3.0 / TIME_SCALE)
    confirm = {"transactionId": pairing["transactionId"], "room": "Hall"}
    thing = rig.server.hub.things[uuid.UUID(ok(await owner.write("/web/api/setup/confirm", confirm))["thingId"])]
    assert (thing.name, thing.room, thing.thing_class.name) == ("Hue bridge", "Hall", "pushButtonMock")
    # A transaction is used once.
    assert refusal(await owner.write("/web/api/setup/confirm", confirm)) == (404, "PairingTransactionIdNotFound")


async def test_a_display_pin_pairing_takes_the_pin_the_device_shows_and_refuses_another(rig: Rig) -> None:
    owner = await rig.logged_in()
    descriptors = await discovered(owner, rig, "displayPinMock")
    start = {"descriptorId": descriptors[0]["id"], "name": "Door panel"}
    pairing = ok(await owner.write("/web/api/setup/pair", start))
    assert pairing["setupMethod"] == "DisplayPin" and "243681" in pairing["displayMessage"]
    wrong = {"transactionId": pairing["transactionId"], "secret": "000000"}
    assert refusal(await owner.write("/web/api/setup/confirm", wrong)) == (502, "AuthenticationFailure")
    assert not [thing for thing in rig.server.hub.things.values() if thing.name == "Door panel"]

    pairing = ok(await owner.write("/web/api/setup/pair", start))
    right = {"transactionId": pairing["transactionId"], "secret": "243681", "room": "Hall"}
    thing_id = uuid.UUID(ok(await owner.write("/web/api/setup/confirm", right))["thingId"])
    assert (rig.server.hub.things[thing_id].name, rig.server.hub.things[thing_id].room) == ("Door panel", "Hall")


async def test_user_and_password_and_oauth_pairings_take_their_credentials(rig: Rig) -> None:
    owner = await rig.logged_in()
    user_class = class_named(rig, "userAndPassMock")
    pairing = ok(await owner.write("/web/api/setup/pair", {"classId": str(user_class.id), "name": "Router"}))
    assert pairing["setupMethod"] == "UserAndPassword"
    confirm = {"transactionId": pairing["transactionId"], "username": "user", "secret": "password"}
    router = uuid.UUID(ok(await owner.write("/web/api/setup/confirm", confirm))["thingId"])
    assert rig.server.hub.things[router].name == "Router"

    oauth_class = class_named(rig, "oAuthMock")
    pairing = ok(await owner.write("/web/api/setup/pair", {"classId": str(oauth_class.id), "name": "Cloud"}))
    assert pairing["setupMethod"] == "OAuth" and pairing["oauthUrl"].startswith("https://")
    no_code = {"transactionId": pairing["transactionId"], "secret": "https://127.0.0.1:8888/?error=denied"}
    assert refusal(await owner.write("/web/api/setup/confirm", no_code)) == (502, "AuthenticationFailure")
    pairing = ok(await owner.write("/web/api/setup/pair", {"classId": str(oauth_class.id), "name": "Cloud"}))
    back = {"transactionId": pairing["transactionId"], "secret": "https://127.0.0.1:8888/?code=abc&state=x"}
    cloud = uuid.UUID(ok(await owner.write("/web/api/setup/confirm", back))["thingId"])
    assert rig.server.hub.things[cloud].thing_class.id == oauth_class.id

    mock = class_named(rig, "mock")
    answer = await owner.write("/web/api/setup/pair", {"classId": str(mock.id), "name": "Plain"})
    assert refusal(answer) == (409, "SetupMethodNotSupported")


async def test_a_thing_is_renamed_moved_set_up_and_removed(rig: Rig) -> None:
    owner = await rig.logged_in()
    mock = class_named(rig, "mock")
    body = {"classId": str(mock.id), "name": "Bench", "params": {param_id(mock, "httpport"): 1234}}
    thing_id = ok(await owner.write("/web/api/setup/add", body))["thingId"]
    thing = rig.server.hub.things[uuid.UUID(thing_id)]
    live = await owner.live()

    shown = ok(await owner.get(f"/web/api/setup/things/{thing_id}"))
    assert shown["thing"]["name"] == "Bench" and shown["className"] == mock.display_name
    setting = param_id(mock, "setting1", "setting")
    assert shown["settingValues"][setting] == 5 and shown["mayConfigure"] is True
    assert {param["name"] for param in shown["params"]} == {"httpport", "async", "broken"}

    edited = ok(await owner.write(f"/web/api/setup/things/{thing_id}/edit", {"name": "Workbench", "room": "Garage"}))
    assert (thing.name, thing.room) == ("Workbench", "Garage")
    assert edited["thing"]["room"] == "Garage"
    told = await live.message("thingChanged", lambda message: message["thing"]["id"] == thing_id)
    assert told["thing"]["name"] == "Workbench"
    ok(await owner.write(f"/web/api/setup/things/{thing_id}/edit", {"room": ""}))
    assert (thing.name, thing.room) == ("Workbench", "")
    assert refusal(await owner.write(f"/web/api/setup/things/{thing_id}/edit", {"name": " "})) == (400, "BadRequest")

    changed = ok(await owner.write(f"/web/api/setup/things/{thing_id}/settings", {"settings": {setting: 7}}))
    assert changed["settingValues"][setting] == 7 and thing.settings[uuid.UUID(setting)] == 7
    answer = await owner.write(f"/web/api/setup/things/{thing_id}/settings", {"settings": {setting: "many"}})
    assert refusal(answer) == (422, "InvalidParameter")

    removed = ok(await owner.write(f"/web/api/setup/things/{thing_id}/remove", {}))
    assert removed == {"removed": [thing_id]} and uuid.UUID(thing_id) not in rig.server.hub.things
    await live.message("thingRemoved", lambda message: message["thingId"] == thing_id)
    assert refusal(await owner.get(f"/web/api/setup/things/{thing_id}")) == (404, "ThingNotFound")
    assert refusal(await owner.write(f"/web/api/setup/things/{thing_id}/remove", {})) == (404, "ThingNotFound")


async def test_only_a_user_with_configure_things_adds_or_edits_and_only_what_it_sees(rig: Rig) -> None:
    lamp = rig.thing("Reading lamp")
    kitchen_light = rig.thing("Ceiling light", "Kitchen")
    mock = class_named(rig, "mock")
    add = {"classId": str(mock.id), "name": "Sneaky", "params": {param_id(mock, "httpport"): 1}}
    for username in (VIEWER, KITCHEN):
        client = await rig.logged_in(username)
        assert refusal(await client.write("/web/api/setup/add", add)) == (403, "PermissionDenied")
        body = {"classId": str(class_named(rig, "mock").id), "params": {}}
        assert refusal(await client.write("/web/api/setup/discover", body)) == (403, "PermissionDenied")
        edit = await client.write(f"/web/api/setup/things/{kitchen_light.id}/edit", {"name": "Renamed"})
        assert refusal(edit) == (403, "PermissionDenied")
        remove = await client.write(f"/web/api/setup/things/{kitchen_light.id}/remove", {})
        assert refusal(remove) == (403, "PermissionDenied")
    assert kitchen_light.name == "Ceiling light" and kitchen_light.id in rig.server.hub.things
    kitchen = await rig.logged_in(KITCHEN)
    assert ok(await kitchen.get(f"/web/api/setup/things/{kitchen_light.id}"))["mayConfigure"] is False
    assert refusal(await kitchen.get(f"/web/api/setup/things/{lamp.id}")) == (404, "ThingNotFound")


async def test_a_setup_write_needs_its_body_its_token_and_a_session(rig: Rig) -> None:
    owner = await rig.logged_in()
    lamp = rig.thing("Reading lamp")
    edit = f"/web/api/setup/things/{lamp.id}/edit"
    assert refusal(await owner.write(edit, {"name": "x", "colour": "red"})) == (400, "BadRequest")
    assert refusal(await owner.write(edit, {"name": 5})) == (400, "BadRequest")
    assert refusal(await owner.write(edit, {"name": "x" * 201})) == (400, "BadRequest")
    assert refusal(await owner.write("/web/api/setup/confirm", {})) == (400, "BadRequest")
    assert refusal(await owner.write(edit, {"name": "Forged"}, csrf="nope")) == (403, "CrossSiteRefused")
    assert refusal(await owner.get(edit)) == (405, "MethodNotAllowed")
    assert lamp.name == "Reading lamp"
    stranger = rig.client()
    assert refusal(await stranger.get("/web/api/setup/classes")) == (401, "NotLoggedIn")
