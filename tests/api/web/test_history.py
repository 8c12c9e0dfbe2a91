"""The history page's API (/web/api/history/...): charts the user may see, readings in a range, logging on/off.

Readings come through real doors: a light switched through Thinknx (its power state logged), a
temperature uploaded through the sensor-data door. Every refusal is the dashboard's JSON error.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.api.web.history_tools import minutes_ago, sensordata_client, temperature_sensor, upload
from tests.api.web.rig import KITCHEN, VIEWER, Rig, WebClient
from thinggate.core.guids import guid_of
from thinggate.core.model import Thing


def refusal(answer: httpx.Response) -> tuple[int, str]:
    """The status and code of one of the door's JSON errors."""
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return answer.status_code, body["error"]["code"]


def state_id(thing: Thing, name: str) -> str:
    state_type = thing.thing_class.state_type_named(name)
    assert state_type is not None, name
    return str(state_type.id)


def window(minutes: float = 60) -> dict[str, str]:
    """The last `minutes` up to a second from now, as the page asks."""
    end = datetime.now(UTC) + timedelta(seconds=1)
    return {"start": (end - timedelta(minutes=minutes)).isoformat(), "end": end.isoformat()}


async def readings(client: WebClient, thing: Thing, type_id: str, **query: str) -> httpx.Response:
    return await client.get(
        "/web/api/history/readings", params={"thingId": str(thing.id), "typeId": type_id, **(query or window())}
    )


async def series_of(client: WebClient) -> list[dict[str, Any]]:
    answer = await client.get("/web/api/history/series")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["series"]
    return found


async def log(client: WebClient, thing: Thing, state: str, enabled: bool = True) -> httpx.Response:
    return await client.write(f"/web/api/history/logging/{thing.id}/{state_id(thing, state)}", {"enabled": enabled})


async def test_a_logged_light_switched_through_thinknx_is_charted_with_its_values(rig: Rig) -> None:
    owner = await rig.logged_in()
    lamp = rig.thing("Reading lamp")
    power = state_id(lamp, "power")
    assert not any(series["thingId"] == str(lamp.id) for series in await series_of(owner))

    answer = await log(owner, lamp, "power")
    assert answer.status_code == 200, answer.text
    states = {state["name"]: state for state in answer.json()["states"]}
    assert states["power"]["logged"] and states["power"]["charted"]
    charts = [series for series in await series_of(owner) if series["thingId"] == str(lamp.id)]
    assert [(chart["typeId"], chart["source"], chart["type"]) for chart in charts] == [(power, "state", "Bool")]

    thinknx = rig.thinknx()
    for command in ("1", "0", "1"):
        switched = await thinknx.get("power", params={"guid": guid_of(lamp.id), "cmd": command})
        assert switched.status_code == 200, switched.text
    answer = await readings(owner, lamp, power)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [value for _, value in body["points"]] == [1, 0, 1]  # a switch is charted as 1 and 0
    times = [time for time, _ in body["points"]]
    assert times == sorted(times) and not body["truncated"]

    answer = await log(owner, lamp, "power", enabled=False)
    assert answer.status_code == 200 and not any(series["thingId"] == str(lamp.id) for series in await series_of(owner))


async def test_readings_uploaded_through_the_sensor_data_door_are_a_sensors_chart(rig: Rig) -> None:
    uploader = await sensordata_client(rig)
    sensor_id = await temperature_sensor(uploader)
    recent = [(minutes_ago(30), 18.5), (minutes_ago(20), 19.0), (minutes_ago(10), 19.75)]
    long_ago = minutes_ago(60 * 30)  # a day and more ago
    await upload(uploader, sensor_id, recent)
    await upload(uploader, sensor_id, [(long_ago, 5.0)])

    owner = await rig.logged_in()
    charts = [series for series in await series_of(owner) if series["source"] == "sensor"]
    assert [(chart["name"], chart["unit"], chart["type"]) for chart in charts] == [
        ("Temperature", "DegreeCelsius", "Double")
    ]
    thing = rig.server.hub.things[uuid.UUID(charts[0]["thingId"])]
    assert thing.thing_class.state_type(uuid.UUID(charts[0]["typeId"])) is not None

    hour = (await readings(owner, thing, charts[0]["typeId"])).json()
    # The readings' own times (to the millisecond) and values, oldest first.
    assert hour["points"] == [[round(moment.timestamp() * 1000), value] for moment, value in recent]
    week = (await readings(owner, thing, charts[0]["typeId"], **window(7 * 24 * 60))).json()
    assert [value for _, value in week["points"]] == [5.0, 18.5, 19.0, 19.75]


async def test_each_user_sees_the_charts_of_the_things_it_may_see(rig: Rig) -> None:
    owner = await rig.logged_in()
    lamp = rig.thing("Reading lamp")
    kitchen_light = rig.thing("Ceiling light", "Kitchen")
    for thing in (lamp, kitchen_light):
        assert (await log(owner, thing, "power")).status_code == 200

    kitchen = await rig.logged_in(KITCHEN)
    seen = {series["thingId"] for series in await series_of(kitchen)}
    # The kitchen's humidity sensor logs its readings from the start (the demo house's sensors do).
    assert seen == {str(kitchen_light.id), str(rig.thing("Humidity", "Kitchen").id)}
    # A thing outside the user's sight is not found, as an unknown one.
    assert refusal(await readings(kitchen, lamp, state_id(lamp, "power"))) == (404, "ThingNotFound")
    assert refusal(await kitchen.get(f"/web/api/history/logging/{lamp.id}")) == (404, "ThingNotFound")

    viewer = await rig.logged_in(VIEWER)
    answer = await viewer.get("/web/api/history/series")
    assert answer.json()["mayConfigure"] is False and {s["thingId"] for s in answer.json()["series"]} >= {
        str(lamp.id),
        str(kitchen_light.id),
    }
    assert (await owner.get("/web/api/history/series")).json()["mayConfigure"] is True


async def test_only_a_user_with_configure_things_turns_logging_on_or_off(rig: Rig) -> None:
    lamp = rig.thing("Reading lamp")
    viewer = await rig.logged_in(VIEWER)
    shown = (await viewer.get(f"/web/api/history/logging/{lamp.id}")).json()
    assert shown["mayConfigure"] is False
    assert refusal(await log(viewer, lamp, "power")) == (403, "PermissionDenied")
    assert not lamp.logged_state_type_ids
    kitchen = await rig.logged_in(KITCHEN)
    light = rig.thing("Ceiling light", "Kitchen")
    assert refusal(await log(kitchen, light, "power")) == (403, "PermissionDenied")
    assert not light.logged_state_type_ids


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({}, "BadRequest"),
        ({"thingId": "not-an-id"}, "BadRequest"),
        ({"start": "yesterday"}, "BadRequest"),
        ({"start": "2024-03-01T00:00:00"}, "BadRequest"),  # no offset
        ({"start": "2024-03-02T00:00:00Z", "end": "2024-03-01T00:00:00Z"}, "BadRequest"),  # backwards
        ({"start": "2024-03-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"}, "BadRequest"),  # empty
        ({"start": "2022-01-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"}, "BadRequest"),  # over a year
        ({"start": "0001-01-01T00:00:00+14:00"}, "BadRequest"),  # out of range
        ({"typeId": "00000000-0000-0000-0000-00000000000g"}, "BadRequest"),
    ],
)
async def test_a_bad_range_or_id_is_refused_with_the_doors_json_error(
    rig: Rig, query: dict[str, str], code: str
) -> None:
    owner = await rig.logged_in()
    lamp = rig.thing("Reading lamp")
    full = {"thingId": str(lamp.id), "typeId": state_id(lamp, "power"), **window()}
    asked = {**full, **query} if query else {}
    answer = await owner.get("/web/api/history/readings", params=asked)
    assert refusal(answer) == (400, code)


async def test_the_widest_range_is_a_year_and_an_unknown_thing_or_state_is_not_found(rig: Rig) -> None:
    owner = await rig.logged_in()
    lamp = rig.thing("Reading lamp")
    year = {"start": "2023-01-01T00:00:00Z", "end": "2024-01-01T00:00:00+00:00"}
    answer = await readings(owner, lamp, state_id(lamp, "power"), **year)
    assert answer.status_code == 200 and answer.json() == {"points": [], "truncated": False}
    unknown = "6f1e4a8e-0000-4000-8000-000000000000"
    answer = await owner.get(
        "/web/api/history/readings", params={"thingId": unknown, "typeId": state_id(lamp, "power"), **window()}
    )
    assert refusal(answer) == (404, "ThingNotFound")
    answer = await owner.write(f"/web/api/history/logging/{lamp.id}/{unknown}", {"enabled": True})
    assert refusal(answer) == (404, "StateTypeNotFound")


async def test_a_logging_write_needs_its_body_its_token_and_a_session(rig: Rig) -> None:
    owner = await rig.logged_in()
    lamp = rig.thing("Reading lamp")
    path = f"/web/api/history/logging/{lamp.id}/{state_id(lamp, 'power')}"
    assert refusal(await owner.write(path, {"enabled": "yes"})) == (400, "BadRequest")
    assert refusal(await owner.write(path, {"enabled": True, "extra": 1})) == (400, "BadRequest")
    assert refusal(await owner.write(path, b"{")) == (400, "BadRequest")
    assert refusal(await owner.write(path, {"enabled": True}, csrf="forged")) == (403, "CrossSiteRefused")
    assert refusal(await owner.get(path)) == (405, "MethodNotAllowed")
    assert not lamp.logged_state_type_ids
    stranger = rig.client()
    assert refusal(await stranger.get("/web/api/history/series")) == (401, "NotLoggedIn")
    assert refusal(await stranger.write(path, {"enabled": True})) == (401, "NotLoggedIn")
