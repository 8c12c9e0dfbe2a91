"""Every device controller of the Thinknx Integration Kit over a real socket, against virtual things.

Each test checks the exact JSON (keys in the seed's order: namespace, guid, status, comm_obj), the
state the hub holds afterwards and the StateChanged the hub bus carried.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.api.thinknx.rig import (
    AUTH_FAILED,
    DEVICE_NOT_FOUND,
    IMPOSSIBLE,
    PARAMS_ERRORS,
    PASSWORD,
    SUB_DOMAIN,
    TENANT,
    VIEWER,
    RecordingBus,
    ThinknxRig,
    assert_answer,
    state_changed,
    state_changes,
    thinknx_rig,
)
from tests.hubtools import next_event
from thinggate import __version__
from thinggate.core import events as ev
from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.guids import guid_of
from thinggate.core.hub import Timeouts
from thinggate.core.model import Thing
from thinggate.core.security import SYSTEM, Scope


def reply(namespace: str, thing: Thing, comm_obj: Any, status: Any = ...) -> dict[str, Any]:
    """The seed's success body: namespace, guid, [status,] comm_obj, in that order."""
    body: dict[str, Any] = {"namespace": namespace, "guid": guid_of(thing.id)}
    if status is not ...:
        body["status"] = status
    body["comm_obj"] = comm_obj
    return body


def report(rig: ThinknxRig, thing: Thing, state: str, value: Any) -> None:
    """Make the virtual device report a state value (test-control hook)."""
    assert rig.virtual.test_control is not None
    rig.virtual.test_control.set_state(thing.id, state, value)


# -- setters: every value of every set controller, with and without fb ------------------------------

# (controller, thing name, room, wire param, wire value, state, value in the hub, fb status, comm_obj)
SETTERS: list[tuple[str, str, str | None, str, str, str, Any, Any, int]] = [
    ("power", "Reading lamp", None, "cmd", "1", "power", True, 1, 1),
    ("power", "Reading lamp", None, "cmd", "0", "power", False, 0, 1),
    ("powerlevel", "Ceiling light", "Living room", "cmd", "50", "brightness", 50, 50, 2),
    ("powerlevel", "Ceiling light", "Living room", "cmd", "0", "brightness", 0, 0, 2),
    ("powerlevel", "Ceiling light", "Living room", "cmd", "100", "brightness", 100, 100, 2),
    ("heightlevel", "Blind south", None, "val", "50", "percentage", 50, 50, 1),
    ("heightlevel", "Blind south", None, "val", "0", "percentage", 0, 0, 1),
    # blindangle: 0..100 % of the virtual blind's -90..90 degrees
    ("blindangle", "Blind east", None, "cmd", "0", "angle", -90, 0, 3),
    ("blindangle", "Blind east", None, "cmd", "50", "angle", 0, 50, 3),
    ("blindangle", "Blind east", None, "cmd", "100", "angle", 90, 100, 3),
    ("blindangle", "Blind east", None, "cmd", "25", "angle", -45, 25, 3),
    ("setvalue", "Heating flow set point", None, "cmd", "85.325", "value", 85.325, 85.325, 1),
    ("setvalue", "Heating flow set point", None, "cmd", "0", "value", 0.0, 0.0, 1),
    ("setpoint", "Thermostat", "Office", "cmd", "20.5", "targetTemperature", 20.5, 20.5, 1),
    ("setpoint", "Thermostat", "Office", "cmd", "25", "targetTemperature", 25.0, 25.0, 1),
    ("tempmode", "Thermostat", "Office", "cmd", "0", "operatingMode", "standby", 0, 2),
    ("tempmode", "Thermostat", "Office", "cmd", "1", "operatingMode", "comfort", 1, 2),
    ("tempmode", "Thermostat", "Office", "cmd", "2", "operatingMode", "night", 2, 2),
    ("tempmode", "Thermostat", "Office", "cmd", "3", "operatingMode", "frost", 3, 2),
    ("chronoen", "Thermostat", "Office", "cmd", "1", "chronoEnabled", True, 1, 3),
    ("chronoen", "Thermostat", "Office", "cmd", "0", "chronoEnabled", False, 0, 3),
    ("hvacpower", "Air conditioning", None, "cmd", "1", "power", True, 1, 1),
    ("hvacpower", "Air conditioning", None, "cmd", "0", "power", False, 0, 1),
    ("hvacsetpoint", "Air conditioning", None, "cmd", "24.5", "targetTemperature", 24.5, 24.5, 2),
    ("hvacmode", "Air conditioning", None, "cmd", "0", "hvacMode", "cool", 0, 3),
    ("hvacmode", "Air conditioning", None, "cmd", "1", "hvacMode", "heat", 1, 3),
    ("hvacmode", "Air conditioning", None, "cmd", "2", "hvacMode", "dry", 2, 3),
    ("hvacmode", "Air conditioning", None, "cmd", "3", "hvacMode", "fan", 3, 3),
    ("hvacmode", "Air conditioning", None, "cmd", "4", "hvacMode", "auto", 4, 3),
    ("hvacfan", "Air conditioning", None, "cmd", "0", "fanSpeed", "auto", 0, 4),
    ("hvacfan", "Air conditioning", None, "cmd", "1", "fanSpeed", "min", 1, 4),
    ("hvacfan", "Air conditioning", None, "cmd", "2", "fanSpeed", "avg", 2, 4),
    ("hvacfan", "Air conditioning", None, "cmd", "3", "fanSpeed", "max", 3, 4),
    # the power controller works on anything with the power capability (an HVAC unit too)
    ("power", "Air conditioning", None, "cmd", "1", "power", True, 1, 1),
]

# A value each state is moved to first, so that the set under test is a change (and raises StateChanged).
OTHER: dict[str, Any] = {
    "power": None,
    "brightness": 37,
    "percentage": 30,
    "angle": 30,
    "value": 12.5,
    "targetTemperature": 18.0,
    "operatingMode": None,
    "chronoEnabled": None,
    "hvacMode": None,
    "fanSpeed": None,
}


def _different(thing: Thing, state: str, value: Any) -> Any:
    """A value of the state other than `value`."""
    state_type = thing.thing_class.state_type_named(state)
    assert state_type is not None
    if isinstance(value, bool):
        return not value
    if state_type.possible_values:
        return next(v for v in state_type.possible_values if v != value)
    other = OTHER[state]
    return other if other != value else other + 1


async def _prepare(rig: ThinknxRig, thing: Thing, state: str, value: Any) -> None:
    """Bring the state to another value than the one the test sets, and settle."""
    start = _different(thing, state, value)
    report(rig, thing, state, start)
    if state == "operatingMode":  # the thermostat's mode also moves its set point; keep them apart
        report(rig, thing, "targetTemperature", 19.5)
    assert rig.value(thing, state) == start


SET_CONTROLLERS = list(dict.fromkeys(row[0] for row in SETTERS))


@pytest.mark.parametrize("controller", SET_CONTROLLERS)
async def test_set_controller_with_and_without_fb(rig: ThinknxRig, controller: str) -> None:
    """Every value the table lists for the controller, each once without and once with `fb`."""
    for _, name, room, param, wire, state, value, status, comm_obj in (r for r in SETTERS if r[0] == controller):
        thing = rig.thing(name, room)
        for fb, method in ((False, "GET"), (True, "GET"), (False, "POST"), (True, "POST")):
            case = (name, wire, method, "fb" if fb else "no fb")
            await _prepare(rig, thing, state, value)
            subscription = rig.subscribe()
            query = f"guid={guid_of(thing.id)}&{param}={wire}" + ("&fb" if fb else "")
            if method == "GET":
                response = await rig.get(f"/api/V1/{controller}?{query}")
            else:  # a form POST: the same params in an x-www-form-urlencoded body
                response = await rig.post(f"/api/V1/{controller}", query)
            if fb:
                assert_answer(response, 200, reply(controller, thing, comm_obj, status))
                # fb answers once the device has reported: the hub holds the value already
                assert rig.value(thing, state) == value, case
            else:
                assert_answer(response, 200, reply(controller, thing, comm_obj))
            event = await state_changed(subscription, thing, state, value)
            assert type(event.value) is type(value), case
            assert rig.value(thing, state) == value, case
            subscription.close()


async def test_fb_waits_for_the_device_and_no_fb_answers_at_once(rig: ThinknxRig) -> None:
    """A blind travels for a while: `fb` answers when it is there, without `fb` the answer comes first."""
    blind = rig.thing("Blind south")
    travel_type = blind.thing_class.settings_type_named("travelTime")
    assert travel_type is not None
    await rig.hub.set_thing_settings(SYSTEM, blind.id, [(travel_type.id, 40.0)])  # 0.8 s real for 100 %
    response = await rig.get(f"/api/V1/heightlevel?guid={guid_of(blind.id)}&val=80")
    assert_answer(response, 200, reply("heightlevel", blind, 1))
    assert rig.value(blind, "moving") is True
    assert rig.value(blind, "percentage") < 80
    started = time.monotonic()
    response = await rig.get(f"/api/V1/heightlevel?guid={guid_of(blind.id)}&val=20&fb")
    assert_answer(response, 200, reply("heightlevel", blind, 1, 20))
    assert time.monotonic() - started > 0.05  # it did wait for the travel
    assert rig.value(blind, "percentage") == 20


# -- status controllers -------------------------------------------------------------------------------

# (controller, thing name, room, state, value the device reports, status answered, comm_obj)
STATUSES: list[tuple[str, str, str | None, str, Any, Any, int]] = [
    ("powerstatus", "Reading lamp", None, "power", True, 1, 1),
    ("powerstatus", "Reading lamp", None, "power", False, 0, 1),
    ("powerlevelstatus", "Worktop light", None, "brightness", 42, 42, 2),
    ("powerlevelstatus", "Worktop light", None, "brightness", 0, 0, 2),
    ("heightlevelstatus", "Blind east", None, "percentage", 73, 73, 1),
    ("blindanglestatus", "Blind east", None, "angle", -90, 0, 3),
    ("blindanglestatus", "Blind east", None, "angle", 0, 50, 3),
    ("blindanglestatus", "Blind east", None, "angle", 90, 100, 3),
    ("blindanglestatus", "Blind east", None, "angle", -45, 25, 3),
    ("getvalue", "Heating flow set point", None, "value", 61.25, 61.25, 1),
    ("setpointstatus", "Thermostat", "Living room", "targetTemperature", 22.5, 22.5, 1),
    ("tempmodestatus", "Thermostat", "Living room", "operatingMode", "standby", 0, 2),
    ("tempmodestatus", "Thermostat", "Living room", "operatingMode", "comfort", 1, 2),
    ("tempmodestatus", "Thermostat", "Living room", "operatingMode", "night", 2, 2),
    ("tempmodestatus", "Thermostat", "Living room", "operatingMode", "frost", 3, 2),
    ("chronoenstatus", "Thermostat", "Living room", "chronoEnabled", True, 1, 3),
    ("chronoenstatus", "Thermostat", "Living room", "chronoEnabled", False, 0, 3),
    ("hvacpowerstatus", "Air conditioning", None, "power", True, 1, 1),
    ("hvacpowerstatus", "Air conditioning", None, "power", False, 0, 1),
    ("hvacsetpointstatus", "Air conditioning", None, "targetTemperature", 19.5, 19.5, 2),
    ("hvacmodestatus", "Air conditioning", None, "hvacMode", "cool", 0, 3),
    ("hvacmodestatus", "Air conditioning", None, "hvacMode", "heat", 1, 3),
    ("hvacmodestatus", "Air conditioning", None, "hvacMode", "dry", 2, 3),
    ("hvacmodestatus", "Air conditioning", None, "hvacMode", "fan", 3, 3),
    ("hvacmodestatus", "Air conditioning", None, "hvacMode", "auto", 4, 3),
    ("hvacfanstatus", "Air conditioning", None, "fanSpeed", "auto", 0, 4),
    ("hvacfanstatus", "Air conditioning", None, "fanSpeed", "min", 1, 4),
    ("hvacfanstatus", "Air conditioning", None, "fanSpeed", "avg", 2, 4),
    ("hvacfanstatus", "Air conditioning", None, "fanSpeed", "max", 3, 4),
    ("powerstatus", "Air conditioning", None, "power", True, 1, 1),
]


STATUS_CONTROLLERS = list(dict.fromkeys(row[0] for row in STATUSES))


@pytest.mark.parametrize("controller", STATUS_CONTROLLERS)
async def test_status_controller(rig: ThinknxRig, controller: str) -> None:
    """Every value the table lists: the device reports it, the controller answers its wire value."""
    for _, name, room, state, value, status, comm_obj in (row for row in STATUSES if row[0] == controller):
        thing = rig.thing(name, room)
        report(rig, thing, state, value)
        response = await rig.get(f"/api/V1/{controller}?guid={guid_of(thing.id)}")
        assert_answer(response, 200, reply(controller, thing, comm_obj, status))
        response = await rig.post(f"/api/V1/{controller}", f"guid={guid_of(thing.id)}")
        assert_answer(response, 200, reply(controller, thing, comm_obj, status))
        assert rig.value(thing, state) == value  # a status reads, never writes


async def test_actualtemp_of_a_thermostat_an_hvac_unit_and_a_sensor(rig: ThinknxRig) -> None:
    thermostat = rig.thing("Thermostat", "Office")
    # set point == room temperature: the simulated room does not drift while we read
    report(rig, thermostat, "targetTemperature", 23.5)
    report(rig, thermostat, "temperature", 23.5)
    response = await rig.get(f"/api/V1/actualtemp?guid={guid_of(thermostat.id)}")
    assert_answer(response, 200, reply("actualtemp", thermostat, 4, 23.5))
    hvac = rig.thing("Air conditioning")  # off: its room does not drift
    report(rig, hvac, "temperature", 27.3)
    response = await rig.get(f"/api/V1/actualtemp?guid={guid_of(hvac.id)}")
    assert_answer(response, 200, reply("actualtemp", hvac, 5, 27.3))
    sensor = rig.thing("Temperature")
    response = await rig.get(f"/api/V1/actualtemp?guid={guid_of(sensor.id)}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["namespace", "guid", "status", "comm_obj"]
    assert body["namespace"] == "actualtemp" and body["guid"] == guid_of(sensor.id) and body["comm_obj"] == 1
    assert isinstance(body["status"], float) and 15.0 <= body["status"] <= 28.0


async def test_status_of_a_device_that_is_not_connected_is_impossible(rig: ThinknxRig) -> None:
    sensor = rig.thing("Temperature")
    report(rig, sensor, "connected", False)
    assert_answer(await rig.get(f"/api/V1/actualtemp?guid={guid_of(sensor.id)}"), 500, IMPOSSIBLE)
    mock = rig.thing("Mock")
    report(rig, mock, "connected", False)
    assert_answer(await rig.get(f"/api/V1/powerstatus?guid={guid_of(mock.id)}"), 500, IMPOSSIBLE)
    report(rig, mock, "connected", True)
    assert_answer(await rig.get(f"/api/V1/powerstatus?guid={guid_of(mock.id)}"), 200, reply("powerstatus", mock, 7, 0))


# -- command controllers -----------------------------------------------------------------------------


async def test_updown_1_closes_0_opens_and_stop_stops(rig: ThinknxRig) -> None:
    blind = rig.thing("Blind south")
    guid = guid_of(blind.id)
    subscription = rig.subscribe()
    assert_answer(await rig.get(f"/api/V1/updown?guid={guid}&cmd=1"), 200, reply("updown", blind, 5))
    await state_changed(subscription, blind, "moving", True)
    await state_changed(subscription, blind, "percentage", 100)  # 1 = close / down
    await state_changed(subscription, blind, "moving", False)
    assert_answer(await rig.get(f"/api/V1/updown?guid={guid}&cmd=0"), 200, reply("updown", blind, 4))
    await state_changed(subscription, blind, "moving", True)
    await state_changed(subscription, blind, "percentage", 0)  # 0 = open / up
    # stop in the middle of a travel
    travel_type = blind.thing_class.settings_type_named("travelTime")
    assert travel_type is not None
    await rig.hub.set_thing_settings(SYSTEM, blind.id, [(travel_type.id, 200.0)])  # 4 s real for 100 %
    assert_answer(await rig.get(f"/api/V1/updown?guid={guid}&cmd=1"), 200, reply("updown", blind, 5))
    await state_changed(subscription, blind, "percentage", 2)
    assert_answer(await rig.get(f"/api/V1/stop?guid={guid}&cmd=1"), 200, reply("stop", blind, 6))
    await state_changed(subscription, blind, "moving", False)
    stopped_at = rig.value(blind, "percentage")
    assert 0 < stopped_at < 100
    await asyncio.sleep(0.2)
    assert rig.value(blind, "percentage") == stopped_at
    assert rig.value(blind, "moving") is False
    subscription.close()


async def test_blindstep_0_steps_up_1_steps_down(rig: ThinknxRig) -> None:
    blind = rig.thing("Blind east")
    guid = guid_of(blind.id)
    subscription = rig.subscribe()
    assert_answer(await rig.get(f"/api/V1/blindstep?guid={guid}&cmd=1"), 200, reply("blindstep", blind, 8))
    await state_changed(subscription, blind, "angle", 15)
    assert_answer(await rig.get(f"/api/V1/blindstep?guid={guid}&cmd=0"), 200, reply("blindstep", blind, 7))
    await state_changed(subscription, blind, "angle", 0)
    assert_answer(await rig.get(f"/api/V1/blindstep?guid={guid}&cmd=0"), 200, reply("blindstep", blind, 7))
    await state_changed(subscription, blind, "angle", -15)
    # 0 .. 100 % reads the angle: -15 degrees is 41.67 % -> 42
    assert_answer(await rig.get(f"/api/V1/blindanglestatus?guid={guid}"), 200, reply("blindanglestatus", blind, 3, 42))
    subscription.close()


async def test_scenelaunch_1_launches_0_stops(rig: ThinknxRig) -> None:
    scene = rig.thing("Evening scene")
    guid = guid_of(scene.id)
    subscription = rig.subscribe()
    assert_answer(await rig.get(f"/api/V1/scenelaunch?guid={guid}&cmd=1"), 200, reply("scenelaunch", scene, 2))
    launched = scene.thing_class.event_type_named("launched")
    assert launched is not None
    await next_event(subscription, ev.EventTriggered, lambda e: e.event.event_type_id == launched.id, within=5)
    assert rig.value(scene, "active") is True
    assert_answer(await rig.get(f"/api/V1/scenelaunch?guid={guid}&cmd=0"), 200, reply("scenelaunch", scene, 3))
    await state_changed(subscription, scene, "active", False)
    subscription.close()


@pytest.mark.parametrize("query", ["", "&cmd=1"], ids=["bare", "cmd=1"])
async def test_trigger_presses_the_button(rig: ThinknxRig, query: str) -> None:
    button = rig.thing("Wall switch")
    subscription = rig.subscribe()
    response = await rig.get(f"/api/V1/trigger?guid={guid_of(button.id)}{query}")
    assert_answer(response, 200, reply("trigger", button, 1))
    pressed = button.thing_class.event_type_named("pressed")
    assert pressed is not None
    event = await next_event(subscription, ev.EventTriggered, lambda e: e.event.thing_id == button.id, within=5)
    assert event.event.event_type_id == pressed.id
    subscription.close()


# -- the URL forms: V1 / v1, case, &&, bare fb, form POST ----------------------------------------------


@pytest.mark.parametrize("prefix", ["/api/V1", "/api/v1", "/API/V1", "/Api/v1"], ids=["V1", "v1", "API", "Api"])
async def test_version_segment_in_either_case(rig: ThinknxRig, prefix: str) -> None:
    lamp = rig.thing("Reading lamp")
    response = await rig.get(f"{prefix}/power?guid={guid_of(lamp.id)}&cmd=1&fb")
    assert_answer(response, 200, reply("power", lamp, 1, 1))
    assert rig.value(lamp, "power") is True


async def test_controller_names_are_case_insensitive_and_answer_their_seed_spelling(rig: ThinknxRig) -> None:
    dimmer = rig.thing("Desk light")
    report(rig, dimmer, "brightness", 64)
    response = await rig.get(f"/api/V1/PowerLevelStatus?guid={guid_of(dimmer.id)}")
    assert_answer(response, 200, reply("powerlevelstatus", dimmer, 2, 64))


@pytest.mark.parametrize(
    "query",
    [
        "guid={g}&&cmd=50&fb",
        "guid={g}&cmd=50&&fb",
        "&&guid={g}&cmd=50&fb&&",
        "guid={g}&cmd=50&fb=",
        "guid={g}&cmd=50&FB",
    ],
    ids=["double-amp", "double-amp-before-fb", "leading-trailing", "fb-empty", "fb-upper"],
)
async def test_double_ampersands_and_bare_fb(rig: ThinknxRig, query: str) -> None:
    dimmer = rig.thing("Bedside light")
    response = await rig.get("/api/V1/powerlevel?" + query.format(g=guid_of(dimmer.id)))
    assert_answer(response, 200, reply("powerlevel", dimmer, 2, 50))
    assert rig.value(dimmer, "brightness") == 50


async def test_form_post_is_answered_like_get(rig: ThinknxRig) -> None:
    dimmer = rig.thing("Worktop light")
    guid = guid_of(dimmer.id)
    subscription = rig.subscribe()
    response = await rig.post("/api/V1/powerlevel", f"guid={guid}&cmd=30&fb")
    assert_answer(response, 200, reply("powerlevel", dimmer, 2, 30))
    await state_changed(subscription, dimmer, "brightness", 30)
    # query and form together: the guid in the URL, the value in the body
    response = await rig.post(f"/api/V1/powerlevel?guid={guid}", "cmd=70")
    assert_answer(response, 200, reply("powerlevel", dimmer, 2))
    await state_changed(subscription, dimmer, "brightness", 70)
    # a charset parameter on the content type is fine
    response = await rig.post(
        "/api/V1/powerlevelstatus", f"guid={guid}", content_type="application/x-www-form-urlencoded; charset=UTF-8"
    )
    assert_answer(response, 200, reply("powerlevelstatus", dimmer, 2, 70))
    # a status by POST with the guid in the query and an empty body
    response = await rig.post(f"/api/V1/powerlevelstatus?guid={guid}", "")
    assert_answer(response, 200, reply("powerlevelstatus", dimmer, 2, 70))
    # a param in both: the query's wins (as the first of a repeated param does)
    response = await rig.post(f"/api/V1/powerlevel?guid={guid}&cmd=40", "cmd=90")
    assert_answer(response, 200, reply("powerlevel", dimmer, 2))
    await state_changed(subscription, dimmer, "brightness", 40)
    subscription.close()


async def test_percent_encoded_params_are_decoded(rig: ThinknxRig) -> None:
    value = rig.thing("Heating flow set point")
    response = await rig.get(f"/api/V1/setvalue?%67uid={guid_of(value.id)}&cmd=%34%32.5&fb")
    assert_answer(response, 200, reply("setvalue", value, 1, 42.5))


# -- a change over REST is seen on the hub bus ---------------------------------------------------------


async def test_a_change_over_rest_is_a_state_changed_on_the_hub_bus(rig: ThinknxRig) -> None:
    lamp = rig.thing("Path light")
    subscription = rig.subscribe()
    assert_answer(await rig.get(f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1"), 200, reply("power", lamp, 1))
    event = await state_changed(subscription, lamp, "power")
    assert event.value is True
    executed = await next_event(subscription, ev.ActionExecuted, lambda e: e.thing_id == lamp.id, within=5)
    assert executed.status == "NoError"
    # setting the same value again changes nothing: no StateChanged
    assert_answer(await rig.get(f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1"), 200, reply("power", lamp, 1))
    await next_event(subscription, ev.ActionExecuted, lambda e: e.thing_id == lamp.id, within=5)
    assert [change for change in state_changes(subscription, lamp) if change[0] == "power"] == []
    subscription.close()


# -- fb and device failures -----------------------------------------------------------------------------


async def test_fb_on_a_device_that_never_reports_is_impossible_after_feedback_seconds(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, feedback_seconds=0.4) as rig:
        switch = rig.thing("Silent switch")
        started = time.monotonic()
        response = await rig.get(f"/api/V1/power?guid={guid_of(switch.id)}&cmd=1&fb")
        waited = time.monotonic() - started
        assert_answer(response, 500, IMPOSSIBLE)
        assert 0.35 <= waited < 3.0
        assert rig.fake.writes == [(switch.id, True)]  # the write did go out
        assert rig.value(switch, "power") is False
        # without fb the same device answers at once: the telegram was sent
        response = await rig.get(f"/api/V1/power?guid={guid_of(switch.id)}&cmd=1")
        assert_answer(response, 200, reply("power", switch, "2/1/11"))


async def test_fb_when_the_device_reports_late_but_in_time(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, feedback_seconds=2.0) as rig:
        switch = rig.thing("Silent switch")

        async def report_later() -> None:
            await asyncio.sleep(0.3)
            rig.hub.set_state(switch.id, switch.thing_class.state_type_named("power").id, True)  # type: ignore[union-attr]

        task = asyncio.create_task(report_later())
        response = await rig.get(f"/api/V1/power?guid={guid_of(switch.id)}&cmd=1&fb")
        await task
        assert_answer(response, 200, reply("power", switch, "2/1/11", 1))


async def test_a_failing_device_is_impossible_with_and_without_fb(rig: ThinknxRig) -> None:
    switch = rig.thing("Broken switch")
    assert_answer(await rig.get(f"/api/V1/power?guid={guid_of(switch.id)}&cmd=1"), 500, IMPOSSIBLE)
    assert_answer(await rig.get(f"/api/V1/power?guid={guid_of(switch.id)}&cmd=1&fb"), 500, IMPOSSIBLE)
    assert rig.value(switch, "power") is False


async def test_a_device_that_does_not_finish_in_the_hub_timeout_is_impossible(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, timeouts=Timeouts(action=0.3)) as rig:
        switch = rig.thing("Hanging switch")
        started = time.monotonic()
        assert_answer(await rig.get(f"/api/V1/power?guid={guid_of(switch.id)}&cmd=1"), 500, IMPOSSIBLE)
        assert time.monotonic() - started < 3.0
        assert_answer(await rig.get(f"/api/V1/power?guid={guid_of(switch.id)}&cmd=0&fb"), 500, IMPOSSIBLE)


async def test_fb_for_a_value_the_device_already_has_is_confirmed_at_once(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, feedback_seconds=3.0) as rig:
        dimmer = rig.thing("Desk light")
        hvac = rig.thing("Air conditioning")
        blind = rig.thing("Blind south")
        cases = [
            (f"/api/V1/powerlevel?guid={guid_of(dimmer.id)}&cmd=100&fb", reply("powerlevel", dimmer, 2, 100)),
            (f"/api/V1/hvacpower?guid={guid_of(hvac.id)}&cmd=0&fb", reply("hvacpower", hvac, 1, 0)),
            (f"/api/V1/hvacmode?guid={guid_of(hvac.id)}&cmd=4&fb", reply("hvacmode", hvac, 3, 4)),
            (f"/api/V1/heightlevel?guid={guid_of(blind.id)}&val=0&fb", reply("heightlevel", blind, 1, 0)),
        ]
        for target, body in cases:
            started = time.monotonic()
            assert_answer(await rig.get(target), 200, body)
            assert time.monotonic() - started < 1.0, target  # the device's report confirmed it, no waiting


async def test_every_blindangle_percentage_round_trips(rig: ThinknxRig) -> None:
    blind = rig.thing("Blind east")
    guid = guid_of(blind.id)
    for percent in range(101):
        response = await rig.get(f"/api/V1/blindangle?guid={guid}&cmd={percent}&fb")
        assert_answer(response, 200, reply("blindangle", blind, 3, percent))
        angle = rig.value(blind, "angle")
        assert angle == round(-90 + 1.8 * percent), (percent, angle)
        response = await rig.get(f"/api/V1/blindanglestatus?guid={guid}")
        assert response.json()["status"] == percent


async def test_a_waiting_fb_does_not_hold_up_other_requests(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, feedback_seconds=1.5) as rig:
        switch = rig.thing("Silent switch")
        waiting = asyncio.create_task(rig.get(f"/api/V1/power?guid={guid_of(switch.id)}&cmd=1&fb"))
        await asyncio.sleep(0.1)
        other = rig.new_client()
        lamp = rig.thing("Reading lamp")
        started = time.monotonic()
        for _ in range(10):
            response = await rig.get(f"/api/V1/powerstatus?guid={guid_of(lamp.id)}", client=other)
            assert_answer(response, 200, reply("powerstatus", lamp, 1, 0))
        assert time.monotonic() - started < 1.0
        assert not waiting.done()
        assert_answer(await waiting, 500, IMPOSSIBLE)


async def test_setting_a_device_that_is_not_connected_is_impossible(rig: ThinknxRig) -> None:
    mock = rig.thing("Mock")
    report(rig, mock, "connected", False)
    assert_answer(await rig.get(f"/api/V1/power?guid={guid_of(mock.id)}&cmd=1"), 500, IMPOSSIBLE)
    assert_answer(await rig.get(f"/api/V1/power?guid={guid_of(mock.id)}&cmd=1&fb"), 500, IMPOSSIBLE)
    assert rig.value(mock, "power") is False


# -- comm_obj ---------------------------------------------------------------------------------------------


async def test_comm_obj_of_a_knx_thing_is_its_group_address(rig: ThinknxRig) -> None:
    switch = rig.thing("KNX switch")
    guid = guid_of(switch.id)
    assert_answer(await rig.get(f"/api/V1/power?guid={guid}&cmd=1"), 200, reply("power", switch, "2/1/10"))
    assert_answer(await rig.get(f"/api/V1/power?guid={guid}&cmd=0&fb"), 200, reply("power", switch, "2/1/10", 0))
    assert_answer(await rig.get(f"/api/V1/powerstatus?guid={guid}"), 200, reply("powerstatus", switch, "2/1/10", 0))
    assert rig.fake.writes == [(switch.id, True), (switch.id, False)]


async def test_comm_obj_numbers_states_then_declared_actions(rig: ThinknxRig) -> None:
    """States from 1 in declaration order, then the declared (non-state) actions."""
    blind = rig.thing("Blind east")
    names = [st.name for st in blind.thing_class.state_types]
    actions = [at.name for at in blind.thing_class.declared_action_types]
    assert names == ["percentage", "moving", "angle"]
    assert actions == ["open", "close", "stop", "stepUp", "stepDown"]
    guid = guid_of(blind.id)
    expected = {
        "heightlevelstatus": 1,
        "blindanglestatus": 3,
        "updown?cmd=0": 4,
        "updown?cmd=1": 5,
        "stop?cmd=1": 6,
        "blindstep?cmd=0": 7,
        "blindstep?cmd=1": 8,
    }
    for call, number in expected.items():
        controller, _, query = call.partition("?")
        response = await rig.get(f"/api/V1/{controller}?guid={guid}&{query}")
        assert response.status_code == 200, (call, response.text)
        assert response.json()["comm_obj"] == number, call


# -- who may see and do what ------------------------------------------------------------------------------


async def test_a_read_only_user_reads_but_may_not_set(rig: ThinknxRig) -> None:
    lamp = rig.thing("Reading lamp")
    blind = rig.thing("Blind south")
    button = rig.thing("Wall switch")
    viewer = (VIEWER, PASSWORD)
    subscription = rig.subscribe()
    response = await rig.get(f"/api/V1/powerstatus?guid={guid_of(lamp.id)}", auth=viewer)
    assert_answer(response, 200, reply("powerstatus", lamp, 1, 0))
    for target in (
        f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1",
        f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1&fb",
        f"/api/V1/updown?guid={guid_of(blind.id)}&cmd=1",
        f"/api/V1/heightlevel?guid={guid_of(blind.id)}&val=50&fb",
        f"/api/V1/trigger?guid={guid_of(button.id)}",
    ):
        assert_answer(await rig.get(target, auth=viewer), 403, AUTH_FAILED)
    await asyncio.sleep(0.1)
    assert rig.value(lamp, "power") is False
    assert rig.value(blind, "moving") is False
    assert state_changes(subscription, lamp) == [] and state_changes(subscription, blind) == []
    subscription.close()


async def test_a_user_sees_only_things_in_the_home_domain_and_below(rig: ThinknxRig) -> None:
    loft = rig.thing("Loft light")
    assert loft.domain == SUB_DOMAIN
    lamp = rig.thing("Reading lamp")
    tenant = (TENANT, PASSWORD)
    response = await rig.get(f"/api/V1/power?guid={guid_of(loft.id)}&cmd=1&fb", auth=tenant)
    assert_answer(response, 200, reply("power", loft, 1, 1))
    assert rig.value(loft, "power") is True
    assert_answer(await rig.get(f"/api/V1/powerstatus?guid={guid_of(lamp.id)}", auth=tenant), 404, DEVICE_NOT_FOUND)
    assert_answer(await rig.get(f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1", auth=tenant), 404, DEVICE_NOT_FOUND)
    assert rig.value(lamp, "power") is False
    # the owner (root) sees both
    assert_answer(await rig.get(f"/api/V1/powerstatus?guid={guid_of(loft.id)}"), 200, reply("powerstatus", loft, 1, 1))


async def test_a_controller_the_device_lacks_is_a_params_error(rig: ThinknxRig) -> None:
    cases: dict[str, Any] = {
        "powerlevel?cmd=50": "Reading lamp",  # on/off light: no brightness
        "powerlevelstatus": "Reading lamp",
        "heightlevel?val=50": "Air conditioning",
        "updown?cmd=1": "Reading lamp",
        "blindangle?cmd=50": "Evening scene",
        "tempmode?cmd=1": "Air conditioning",  # an HVAC unit has no thermostat modes
        "hvacmode?cmd=1": ("Thermostat", "Office"),
        "setvalue?cmd=1": "Reading lamp",
        "actualtemp": "Reading lamp",
        "scenelaunch?cmd=1": "Wall switch",
        "trigger": "Evening scene",
        "power?cmd=1": "Blind south",
        "chronoen?cmd=1": "Air conditioning",
    }
    for call, name in cases.items():
        controller, _, query = call.partition("?")
        thing = rig.thing(*name) if isinstance(name, tuple) else rig.thing(name)
        response = await rig.get(f"/api/V1/{controller}?guid={guid_of(thing.id)}&{query}")
        assert response.status_code == 400, (call, name, response.text)
        assert response.json() == PARAMS_ERRORS


# -- system/serverStatus --------------------------------------------------------------------------------

SERVER_STATUS_KEYS = [
    "namespace",
    "version",
    "process_uptime",
    "server_uptime",
    "config_time",
    "connected_clients",
    "pbx_users",
]
UPTIME = re.compile(r"(\d+) days (\d+) hours (\d+) min")
CONFIG_TIME = "%H:%M:%S %Y-%m-%d"


def _minutes(uptime: str) -> int:
    match = UPTIME.fullmatch(uptime)
    assert match, uptime
    days, hours, minutes = (int(part) for part in match.groups())
    assert hours < 24 and minutes < 60, uptime
    return (days * 24 + hours) * 60 + minutes


async def _server_status(rig: ThinknxRig, **options: Any) -> dict[str, Any]:
    response = await rig.get("/api/V1/system/serverStatus", **options)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == SERVER_STATUS_KEYS
    return dict(body)


async def test_server_status_fields_and_formats(rig: ThinknxRig) -> None:
    body = await _server_status(rig)
    assert body["namespace"] == "system/serverStatus"
    assert re.fullmatch(r"\d\d\.\d\d\.\d\d\.\d\d", body["version"]), body["version"]
    parts = [int(part) for part in re.findall(r"\d+", __version__)[:4]]
    assert [int(part) for part in body["version"].split(".")] == [*parts, 0, 0, 0, 0][:4]
    assert body["process_uptime"] == "0 days 0 hours 0 min"
    assert _minutes(body["server_uptime"]) >= _minutes(body["process_uptime"])
    config_time = datetime.strptime(body["config_time"], CONFIG_TIME)
    assert abs((datetime.now() - config_time).total_seconds()) < 60
    assert isinstance(body["connected_clients"], int) and body["connected_clients"] >= 1
    assert body["pbx_users"] == ""
    # any user who may log in reads it, by any URL spelling
    assert (await _server_status(rig, auth=(VIEWER, PASSWORD)))["namespace"] == "system/serverStatus"
    response = await rig.get("/api/v1/SYSTEM/serverstatus")
    assert response.status_code == 200 and response.json()["namespace"] == "system/serverStatus"
    response = await rig.post("/api/V1/system/serverStatus", "")
    assert response.status_code == 200 and list(response.json()) == SERVER_STATUS_KEYS
    assert (await rig.get("/api/V1/system/serverStatus", auth=None)).status_code == 401


async def test_server_status_counts_connected_clients(rig: ThinknxRig) -> None:
    before = (await _server_status(rig))["connected_clients"]
    extra = [rig.new_client() for _ in range(3)]
    for client in extra:  # keep-alive: each holds its connection open
        assert (await rig.get("/api/V1/system/serverStatus", client=client)).status_code == 200
    during = (await _server_status(rig))["connected_clients"]
    assert during == before + 3
    for client in extra:
        await client.aclose()
    for _ in range(50):
        if (await _server_status(rig))["connected_clients"] == before:
            break
        await asyncio.sleep(0.02)
    assert (await _server_status(rig))["connected_clients"] == before


async def test_config_time_changes_when_a_thing_is_added_or_removed_not_when_a_state_changes(rig: ThinknxRig) -> None:
    first = (await _server_status(rig))["config_time"]
    await asyncio.sleep(1.1)  # the format has whole seconds
    lamp = rig.thing("Reading lamp")
    assert (await rig.get(f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1&fb")).status_code == 200
    assert (await _server_status(rig))["config_time"] == first
    added = await rig.add("Another lamp", "light")
    second = (await _server_status(rig))["config_time"]
    assert second != first
    assert datetime.strptime(second, CONFIG_TIME) > datetime.strptime(first, CONFIG_TIME)
    assert abs((datetime.now() - datetime.strptime(second, CONFIG_TIME)).total_seconds()) < 5
    await asyncio.sleep(1.1)
    assert (await rig.hub.remove_thing(SYSTEM, added.id)).ok
    third = (await _server_status(rig))["config_time"]
    assert datetime.strptime(third, CONFIG_TIME) > datetime.strptime(second, CONFIG_TIME)


# -- system/sendKNX* --------------------------------------------------------------------------------------

# (controller, kind the bus gets, values the seed allows, values outside)
RAW_KINDS: list[tuple[str, str, list[str], list[str]]] = [
    ("sendKNXbit", "bit", ["0", "1"], ["2", "-1", "0.5", "on"]),
    ("sendKNX4bits", "4bits", ["0", "30", "31"], ["32", "-1", "3.5"]),
    ("sendKNXbyte", "byte", ["0", "30", "255"], ["256", "-1", "1000", "12.5"]),
    ("sendKNXbyteun", "byte_signed", ["-128", "-1", "0", "30", "127"], ["128", "-129", "255", "1.5"]),
    ("sendKNXfloat2bytes", "float2", ["85.235", "-671088.64", "670760.96", "0", "-30"], ["670760.97", "-671088.65"]),
    ("sendKNXfloat4bytes", "float4", ["85.235", "-1.5", "123456789.125", "0"], []),
]
ALWAYS_BAD_VALUES = ["", "abc", "nan", "inf", "1e3", "1,5", "%D9%A1"]


def _wire(text: str, kind: str) -> int | float:
    return float(text) if kind.startswith("float") else int(text)


@pytest.mark.parametrize(("controller", "kind", "good", "bad"), RAW_KINDS, ids=[row[0] for row in RAW_KINDS])
async def test_send_knx_writes_group_kind_and_value_within_the_seed_range(
    tmp_path: Path, controller: str, kind: str, good: list[str], bad: list[str]
) -> None:
    bus = RecordingBus()
    async with thinknx_rig(tmp_path, raw_bus=bus) as rig:
        expected_writes = []
        for group in ("1/0/1", "31/7/255", "0/0/1", "1/2047", "4097"):
            for text in good:
                response = await rig.get(f"/api/V1/system/{controller}?group={group}&value={text}")
                value = _wire(text, kind)
                assert_answer(response, 200, {"namespace": f"system/{controller}", "group": group, "value": value})
                assert type(response.json()["value"]) is type(value)
                expected_writes.append((group, kind, value))
        assert bus.writes == expected_writes
        pairs = zip(bus.writes, expected_writes, strict=True)
        assert all(type(written[2]) is type(expected[2]) for written, expected in pairs)
        bus.writes.clear()
        for text in [*bad, *ALWAYS_BAD_VALUES]:
            response = await rig.get(f"/api/V1/system/{controller}?group=1/0/1&value={text}")
            assert response.status_code == 400, (text, response.text)
            assert response.json() == PARAMS_ERRORS
        assert_answer(await rig.get(f"/api/V1/system/{controller}?group=1/0/1"), 400, PARAMS_ERRORS)
        assert bus.writes == []
        # form POST, any case of the name
        response = await rig.post(f"/api/v1/SYSTEM/{controller.lower()}", f"group=2/3/4&value={good[-1]}")
        value = _wire(good[-1], kind)
        assert_answer(response, 200, {"namespace": f"system/{controller}", "group": "2/3/4", "value": value})
        assert bus.writes == [("2/3/4", kind, value)]


async def test_send_knx_without_a_knx_connection_is_impossible(rig: ThinknxRig) -> None:
    for controller, _kind, good, _bad in RAW_KINDS:
        response = await rig.get(f"/api/V1/system/{controller}?group=1/0/1&value={good[0]}")
        assert_answer(response, 500, IMPOSSIBLE)
        # the params are still checked first
        response = await rig.get(f"/api/V1/system/{controller}?group=1/0/300&value={good[0]}")
        assert_answer(response, 400, PARAMS_ERRORS)


async def test_send_knx_when_the_bus_fails_or_refuses(tmp_path: Path) -> None:
    bus = RecordingBus()
    async with thinknx_rig(tmp_path, raw_bus=bus) as rig:
        bus.fail = ThingFailure(ThingError.HARDWARE_FAILURE, "the tunnel is down")
        assert_answer(await rig.get("/api/V1/system/sendKNXbit?group=1/0/1&value=1"), 500, IMPOSSIBLE)
        bus.fail = ValueError("the bus refuses this address")
        assert_answer(await rig.get("/api/V1/system/sendKNXbit?group=1/0/1&value=1"), 400, PARAMS_ERRORS)
        bus.fail = None
        assert_answer(
            await rig.get("/api/V1/system/sendKNXbit?group=1/0/1&value=1"),
            200,
            {"namespace": "system/sendKNXbit", "group": "1/0/1", "value": 1},
        )
        assert bus.writes == [("1/0/1", "bit", 1)]


async def test_send_knx_needs_control_of_the_whole_house(tmp_path: Path) -> None:
    bus = RecordingBus()
    async with thinknx_rig(tmp_path, raw_bus=bus) as rig:
        target = "/api/V1/system/sendKNXbyte?group=1/0/1&value=30"
        assert_answer(await rig.get(target, auth=(VIEWER, PASSWORD)), 403, AUTH_FAILED)  # read-only
        assert_answer(await rig.get(target, auth=(TENANT, PASSWORD)), 403, AUTH_FAILED)  # homed in a sub-domain
        # ControlThings alone (a user restricted to some things) reaches no further than those things
        await rig.security.create_user("switcher", PASSWORD, scopes=Scope.CONTROL_THINGS)
        assert_answer(await rig.get(target, auth=("switcher", PASSWORD)), 403, AUTH_FAILED)
        assert bus.writes == []
        assert (await rig.get(target)).status_code == 200
        assert bus.writes == [("1/0/1", "byte", 30)]
