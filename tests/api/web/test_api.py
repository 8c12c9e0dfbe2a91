"""The page's JSON API: the house as each user may see it, actions and the house mode, decided by the core."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.web.rig import KITCHEN, OWNER, VIEWER, Rig, thing_ids
from thinggate.integrations.virtual.demo import DEMO_HOUSE


async def test_the_house_answer_has_the_session_mode_rooms_classes_and_things(rig: Rig) -> None:
    browser = await rig.logged_in()
    house = (await browser.get("/web/api/house")).json()
    assert house["session"]["username"] == OWNER and house["session"]["csrfToken"] == browser.csrf
    assert house["mode"]["current"] == "1" and [mode["name"] for mode in house["mode"]["modes"]] == [
        "Home",
        "Away",
        "Night",
        "Vacation",
    ]
    assert house["mode"]["maySwitch"] is True
    assert house["rooms"] == sorted({room for room, _, _ in DEMO_HOUSE})
    assert thing_ids(house["things"]) == set(rig.server.hub.things)
    assert {thing["classId"] for thing in house["things"]} == {klass["id"] for klass in house["classes"]}
    light = rig.thing("Ceiling light", "Living room")
    shown = next(thing for thing in house["things"] if thing["id"] == str(light.id))
    assert (shown["name"], shown["room"], shown["setupStatus"]) == ("Ceiling light", "Living room", "Complete")
    brightness = light.thing_class.state_type_named("brightness")
    assert brightness is not None
    assert shown["states"][str(brightness.id)] == light.state_value("brightness")
    klass = next(klass for klass in house["classes"] if klass["id"] == str(light.thing_class.id))
    assert "dimmablelight" in klass["interfaces"] and "power" in klass["interfaces"]  # parents included
    state = next(state for state in klass["stateTypes"] if state["name"] == "brightness")
    assert (state["type"], state["unit"], state["min"], state["max"], state["writable"]) == (
        "Int",
        "Percentage",
        0,
        100,
        True,
    )
    action = next(action for action in klass["actionTypes"] if action["id"] == str(brightness.id))
    assert [param["id"] for param in action["params"]] == [str(brightness.id)]  # a state's action: the state's id


def without_values(things: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Things as they are shown, without their state values: the demo house's sensors change between two reads."""
    return [{key: value for key, value in thing.items() if key != "states"} for thing in things]


async def test_the_separate_reads_agree_with_the_house(rig: Rig) -> None:
    browser = await rig.logged_in()
    house = (await browser.get("/web/api/house")).json()
    assert without_values((await browser.get("/web/api/things")).json()) == without_values(house["things"])
    assert (await browser.get("/web/api/classes")).json() == house["classes"]
    assert (await browser.get("/web/api/rooms")).json() == house["rooms"]
    assert (await browser.get("/web/api/mode")).json() == house["mode"]
    # A thing without sensors (a switch nobody touches) reads the same, state values and all.
    one = next(thing for thing in house["things"] if thing["name"] == "Path light")
    assert (await browser.get(f"/web/api/things/{one['id']}")).json() == one


async def test_dynamic_limits_are_told_with_the_thing(rig: Rig) -> None:
    browser = await rig.logged_in()
    analog = rig.thing("Heating flow set point")
    value = analog.thing_class.state_type_named("value")
    assert value is not None
    shown = (await browser.get(f"/web/api/things/{analog.id}")).json()
    assert shown["limits"][str(value.id)] == {"min": 0.0, "max": 100.0, "values": None}


async def test_a_restricted_user_sees_only_its_things_and_may_act_only_on_them(rig: Rig) -> None:
    browser = await rig.logged_in(KITCHEN)
    kitchen = {thing.id for thing in rig.server.hub.things.values() if thing.room == "Kitchen"}
    assert thing_ids((await browser.get("/web/api/things")).json()) == kitchen
    house = (await browser.get("/web/api/house")).json()
    assert thing_ids(house["things"]) == kitchen and house["rooms"] == ["Kitchen"]
    assert house["session"]["mayControl"] is True and house["mode"]["maySwitch"] is False  # not the whole house
    garden = rig.thing("Path light")
    answer = await browser.get(f"/web/api/things/{garden.id}")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "ThingNotFound"
    # Another's thing is not there for it, as an unknown one is not.
    refused = await browser.act(garden, "power", power=True)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "ThingNotFound"
    assert garden.state_value("power") is False
    light = rig.thing("Ceiling light", "Kitchen")
    assert (await browser.act(light, "power", power=True)).status_code == 200
    assert light.state_value("power") is True


async def test_a_user_without_control_things_gets_no_controls_and_a_refusal(rig: Rig) -> None:
    browser = await rig.logged_in(VIEWER)
    session = (await browser.get("/web/api/session")).json()
    assert (session["mayControl"], session["maySwitchMode"]) == (False, False)
    assert thing_ids((await browser.get("/web/api/things")).json()) == set(rig.server.hub.things)  # it sees all
    light = rig.thing("Path light")
    refused = await browser.act(light, "power", power=True)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "PermissionDenied"
    assert light.state_value("power") is False
    mode = await browser.write("/web/api/mode", {"mode": "2"})
    assert mode.status_code == 403 and mode.json()["error"]["code"] == "PermissionDenied"
    assert rig.server.modes.current.id == "1"


async def test_a_light_switched_here_is_a_jsonrpc_state_changed(rig: Rig) -> None:
    rpc = await rig.rpc()
    browser = await rig.logged_in()
    light = rig.thing("Path light")
    power = light.thing_class.state_type_named("power")
    assert power is not None
    answer = await browser.act(light, "power", power=True)
    assert (answer.status_code, answer.json()) == (200, {})
    changed = await rpc.notification("Integrations.StateChanged", where=lambda p: uuid.UUID(p["thingId"]) == light.id)
    assert (uuid.UUID(changed["stateTypeId"]), changed["value"]) == (power.id, True)


async def test_actions_with_params_and_without(rig: Rig) -> None:
    browser = await rig.logged_in()
    dimmer = rig.thing("Worktop light")
    assert (await browser.act(dimmer, "brightness", brightness=42)).status_code == 200
    assert dimmer.state_value("brightness") == 42
    scene = rig.thing("Evening scene")
    assert (await browser.act(scene, "launch")).status_code == 200
    assert scene.state_value("active") is True


async def test_values_the_core_refuses_are_answered_with_its_code(rig: Rig) -> None:
    browser = await rig.logged_in()
    dimmer = rig.thing("Worktop light")
    before = dimmer.state_value("brightness")
    for value in (101, "bright", None):
        answer = await browser.act(dimmer, "brightness", brightness=value)
        assert answer.status_code == 422, (value, answer.text)
        assert answer.json()["error"]["code"] == "InvalidParameter"
    lock = rig.thing("Front door")
    missing = await browser.act(lock, "setUserCode", slot=1, name="Ann")
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "MissingParameter")
    assert dimmer.state_value("brightness") == before


async def test_the_house_mode_is_switched_as_the_user(rig: Rig) -> None:
    browser = await rig.logged_in()
    answer = await browser.write("/web/api/mode", {"mode": "3"})
    assert answer.status_code == 200 and answer.json()["current"] == "3"
    assert rig.server.modes.current.name == "Night"
    unknown = await browser.write("/web/api/mode", {"mode": "9"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "UnknownHouseMode")


async def test_every_api_route_needs_a_session(rig: Rig) -> None:
    browser = rig.client()
    light = rig.thing("Path light")
    for method, path in (
        ("GET", "/web/api/session"),
        ("GET", "/web/api/house"),
        ("GET", "/web/api/things"),
        ("GET", f"/web/api/things/{light.id}"),
        ("GET", "/web/api/classes"),
        ("GET", "/web/api/rooms"),
        ("GET", "/web/api/mode"),
        ("POST", "/web/api/mode"),
        ("POST", f"/web/api/things/{light.id}/actions/{light.id}"),
        ("GET", "/web/api/no-such-route"),
    ):
        answer = await browser.http.request(method, path)
        assert answer.status_code == 401, (method, path)
        assert answer.json()["error"]["code"] == "NotLoggedIn"
    assert light.state_value("power") is False


async def test_answers_are_never_kept_by_a_cache(rig: Rig) -> None:
    browser = await rig.logged_in()
    for path in ("/web/api/session", "/web/api/house"):
        assert (await browser.get(path)).headers["cache-control"] == "no-store"
