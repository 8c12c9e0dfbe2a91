"""Readings (mic-itwin.md §2.5): upload, observations (paging, offsets, filters), deletion, other doors, restart."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.ezlo.rig import EzloClient
from tests.api.jsonrpc.rig import RpcClient
from tests.api.sensordata.rig import ADMIN, PASSWORD, Client, Rig, sensordata_rig
from thinggate.api.ezlo.ids import device_id as ezlo_device_id
from thinggate.core.security import SYSTEM

START = datetime(2024, 3, 1, tzinfo=UTC)
NODE = "/api/0000DD/node"


def at(seconds: float, start: datetime = START) -> str:
    """A time `seconds` after `start`, as the API's clients write it."""
    return (start + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error(answer: httpx.Response) -> tuple[int, str, str | None]:
    body = answer.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]) <= {"code", "message", "target"}, body
    return answer.status_code, body["error"]["code"], body["error"].get("target")


async def sensors(client: Client, *templates: str, node: str = NODE, itwin: str | None = None) -> dict[str, str]:
    """A node with one device holding a sensor of each template: sensor ids by template."""
    kwargs: dict[str, Any] = {} if itwin is None else {"itwin": itwin}
    made = await client.integrate({"changeState": "new", "nodeId": node}, **kwargs)
    assert made.status_code == 200, made.text
    sensor_entries = [
        {
            "changeState": "new",
            "refId": template,
            "props": {
                "INTEGRATION_ID": template,
                "NAME": template,
                **(
                    {"UNKNOWN_METRICS": {"0": "vib", "1": "f"}, "UNKNOWN_UNITS": {"0": "mm/s", "1": "Hz"}}
                    if template == "GENERIC_SENSOR_SDE"
                    else {}
                ),
            },
        }
        for template in templates
    ]
    answer = await client.integrate(
        {
            "nodeId": node,
            "devices": [
                {
                    "changeState": "new",
                    "refId": "dev",
                    "props": {"INTEGRATION_ID": "DEMO_DEVICE_SDE"},
                    "sensors": sensor_entries,
                }
            ],
        },
        **kwargs,
    )
    assert answer.status_code == 200, answer.text
    return {sensor["refId"]: sensor["id"] for sensor in answer.json()["integration"]["devices"][0]["sensors"]}


async def observations(client: Client, sensor: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    answer = await client.observations({"sensorId": sensor, "startDate": start, "endDate": end, **extra})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_an_upload_is_accepted_kept_with_any_offset_and_read_back(rig: Rig) -> None:
    admin = await rig.connected()
    ids = await sensors(admin, "TEMPERATURE_SDE", "ELECTRICITY_USAGE_SDE")
    answer = await admin.upload(
        [
            {"sensorId": ids["TEMPERATURE_SDE"], "timestamp": "2024-03-01T02:00:00+02:00", "values": {"T": 20.5}},
            {"sensorId": ids["TEMPERATURE_SDE"], "timestamp": "2024-02-29T19:30:00.250-05:00", "values": {"T": 21}},
            {"sensorId": ids["TEMPERATURE_SDE"], "timestamp": "2024-03-01T00:10:00.123456", "values": {"T": 19.25}},
            {
                "sensorId": ids["ELECTRICITY_USAGE_SDE"],
                "timestamp": "2024-03-01T00:00:00Z",
                "values": {"P": 230, "E": 1.5},
            },
        ]
    )
    assert answer.status_code == 202 and answer.json() == {"status": "ACCEPTED"}
    data = await observations(admin, ids["TEMPERATURE_SDE"], "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z")
    # UTC keys to the millisecond, oldest first; a time without offset is UTC.
    assert list(data["data"].items()) == [
        ("2024-03-01T00:00:00.000Z", {"T": 20.5}),
        ("2024-03-01T00:10:00.123Z", {"T": 19.25}),
        ("2024-03-01T00:30:00.250Z", {"T": 21.0}),
    ]
    meter = await observations(admin, ids["ELECTRICITY_USAGE_SDE"], "2024-03-01T00:00:00Z", "2024-03-01T00:00:00.001Z")
    assert meter == {"data": {"2024-03-01T00:00:00.000Z": {"P": 230.0, "E": 1.5}}}


async def test_the_newest_reading_is_the_state_every_door_sees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with sensordata_rig(tmp_path, monkeypatch, ezlo=True) as rig:
        admin = await rig.connected()
        ids = await sensors(admin, "MOISTURE_SDE")
        thing = rig.server.hub.things[rig.door_thing(ids["MOISTURE_SDE"])]
        moisture = thing.thing_class.state_type_named("moisture")
        assert moisture is not None
        jsonrpc = rig.server.doors["jsonrpc"]
        rpc = await RpcClient.tcp(jsonrpc.tcp_port)  # type: ignore[attr-defined]
        ezlo = await EzloClient.connect(f"ws://127.0.0.1:{rig.server.doors['ezlo'].port}")  # type: ignore[attr-defined]
        try:
            await rpc.login(ADMIN, PASSWORD)
            await rpc.notify("Integrations")
            token = await rig.server.security.create_token(ADMIN, "readings test")
            assert (await ezlo.login(ADMIN, token))["error"] is None
            answer = await admin.upload(
                [
                    {"sensorId": ids["MOISTURE_SDE"], "timestamp": at(60), "values": {"moisture": 41.5}},
                    {"sensorId": ids["MOISTURE_SDE"], "timestamp": at(0), "values": {"moisture": 12.0}},
                ]
            )
            assert answer.status_code == 202
            changed = await rpc.notification(
                "Integrations.StateChanged", where=lambda p: uuid.UUID(p["thingId"]) == thing.id
            )
            assert (uuid.UUID(changed["stateTypeId"]), changed["value"]) == (moisture.id, 41.5)
            updated = await ezlo.broadcast(
                "hub.item.updated",
                where=lambda r: r.get("deviceId") == ezlo_device_id(thing.id) and r.get("name") == "moisture",
            )
            assert updated["result"]["value"] == 41.5
            # An older reading is kept, and does not turn the state back.
            older = await admin.upload(
                [{"sensorId": ids["MOISTURE_SDE"], "timestamp": at(30), "values": {"moisture": 5}}]
            )
            assert older.status_code == 202 and thing.states[moisture.id].value == 41.5
            kept = await observations(admin, ids["MOISTURE_SDE"], at(0), at(3600))
            assert [values["moisture"] for values in kept["data"].values()] == [12.0, 5.0, 41.5]
        finally:
            await rpc.close()
            await ezlo.close()


async def test_paging_across_ten_thousand_readings_loses_and_repeats_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 700 times per page: pages end mid-way through what was uploaded together, and each time has two metrics.
    async with sensordata_rig(tmp_path, monkeypatch, page_size=700) as rig:
        admin = await rig.connected()
        meter = (await sensors(admin, "ELECTRICITY_USAGE_SDE"))["ELECTRICITY_USAGE_SDE"]
        count = 10_000
        for metric in ("P", "E"):  # each metric in its own uploads: a time's two readings arrive apart
            for first in range(0, count, 5000):
                batch = [
                    {"sensorId": meter, "timestamp": at(n * 1.5), "values": {metric: n if metric == "P" else n / 2}}
                    for n in range(first, first + 5000)
                ]
                assert (await admin.upload(batch)).status_code == 202
        seen: list[str] = []
        values: dict[str, dict[str, Any]] = {}
        sizes: list[int] = []
        start, end = at(0), at(count * 2)
        while True:
            page = await observations(admin, meter, start, end)
            if "data" not in page:
                break
            sizes.append(len(page["data"]))
            seen += list(page["data"])
            values.update(page["data"])
            last = datetime.fromisoformat(seen[-1].replace("Z", "+00:00"))
            start = (last + timedelta(milliseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        assert sizes == [700] * 14 + [200]  # every page full but the last
        assert seen == [at(n * 1.5) for n in range(count)]  # every time once, in order
        assert all(values[at(n * 1.5)] == {"P": float(n), "E": n / 2} for n in range(count))
        # Asking again from the last key (inclusive) answers that time again, whole.
        again = await observations(admin, meter, seen[699], end)
        assert next(iter(again["data"])) == seen[699] and again["data"][seen[699]] == values[seen[699]]


async def test_empty_ranges_have_no_data_and_unknown_metrics_or_units_are_ignored(rig: Rig) -> None:
    admin = await rig.connected()
    ids = await sensors(admin, "TEMPERATURE_SDE", "GENERIC_SENSOR_SDE")
    temperature, generic = ids["TEMPERATURE_SDE"], ids["GENERIC_SENSOR_SDE"]
    await admin.upload(
        [
            {"sensorId": temperature, "timestamp": at(10), "values": {"T": 3}},
            {"sensorId": generic, "timestamp": at(10), "values": {"vib": 0.5, "f": 50}},
            {"sensorId": generic, "timestamp": at(20), "values": {"f": 51}},
        ]
    )
    assert await observations(admin, temperature, at(11), at(100)) == {}  # 200 without `data`
    assert await observations(admin, temperature, at(10), at(10)) == {}  # an empty range
    assert await observations(admin, temperature, at(20), at(10)) == {}
    assert await observations(admin, temperature, at(0), at(10)) == {}  # endDate is exclusive
    assert await observations(admin, temperature, at(0), at(100), metrics=["nope"]) == {}
    assert await observations(admin, temperature, at(0), at(100), units={"T": "F", "x": "y"}, metrics=["T", "x"]) == {
        "data": {at(10): {"T": 3.0}}
    }
    # A generic sensor's own metrics, from UNKNOWN_METRICS; `metrics` picks (a list, or keyed like the props).
    assert await observations(admin, generic, at(0), at(100)) == {
        "data": {at(10): {"vib": 0.5, "f": 50}, at(20): {"f": 51}}
    }
    assert await observations(admin, generic, at(0), at(100), metrics={"0": "f"}) == {
        "data": {at(10): {"f": 50}, at(20): {"f": 51}}
    }


async def test_readings_are_deleted_in_a_range_or_at_listed_times(rig: Rig) -> None:
    admin = await rig.connected()
    sensor = (await sensors(admin, "LIGHT_SDE"))["LIGHT_SDE"]
    await admin.upload([{"sensorId": sensor, "timestamp": at(n), "values": {"lux": n * 10}} for n in range(10)])
    deleted = await admin.call(
        "DELETE", "/data/observations", {"sensorId": sensor, "startDate": at(2), "endDate": at(5)}
    )
    assert deleted.status_code == 202 and deleted.json() == {"status": "ACCEPTED"}
    listed = await admin.call(
        "DELETE", "/data/observations", {"sensorId": sensor, "timestamps": [at(7), "2024-03-01T02:00:08+02:00"]}
    )
    assert listed.status_code == 202
    kept = await observations(admin, sensor, at(0), at(60))
    assert list(kept["data"]) == [at(n) for n in (0, 1, 5, 6, 9)]
    nothing = await admin.call("DELETE", "/data/observations", {"sensorId": sensor})
    assert error(nothing) == (422, "InvalidObservationsRequest", "startDate")


async def test_a_removed_sensors_readings_go_with_it(rig: Rig) -> None:
    admin = await rig.connected()
    sensor = (await sensors(admin, "BATTERY_CHARGE_SDE"))["BATTERY_CHARGE_SDE"]
    await admin.upload([{"sensorId": sensor, "timestamp": at(n), "values": {"battery": 90 - n}} for n in range(5)])
    thing_id = rig.door_thing(sensor)
    removed = await admin.integrate(
        {
            "nodeId": NODE,
            "devices": [
                {
                    "changeState": "update",
                    "refId": "dev",
                    "sensors": [{"changeState": "remove", "refId": "BATTERY_CHARGE_SDE"}],
                }
            ],
        }
    )
    assert removed.status_code == 200
    assert error(await admin.observations({"sensorId": sensor, "startDate": at(0), "endDate": at(9)}))[:2] == (
        404,
        "ResourceNotFound",
    )
    assert await rig.server.store.load_history_between(thing_id, START, START + timedelta(days=1)) == []


async def test_the_hubs_own_things_are_read_as_sensors_by_their_uuid(rig: Rig) -> None:
    admin = await rig.connected()
    virtual = rig.server.virtual
    assert virtual is not None
    sensor_class = virtual.thing_class_named("temperatureSensor")
    added = await rig.server.hub.add_thing(SYSTEM, name="Hall probe", thing_class_id=sensor_class.id)
    assert added.ok and added.value is not None
    temperature = sensor_class.state_type_named("temperature")
    assert temperature is not None
    assert (await rig.server.hub.set_state_logging(SYSTEM, added.value, temperature.id, True)).ok
    before = datetime.now(UTC) - timedelta(seconds=1)
    rig.server.hub.set_state(added.value, temperature.id, 23.5)
    after = datetime.now(UTC) + timedelta(seconds=1)
    sensor_id = f"/thinggate/{added.value}/sensor"
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # noqa: E731
    data = await observations(admin, sensor_id, stamp(before), stamp(after))
    assert list(data["data"].values()) == [{"temperature": 23.5}]
    assert await observations(admin, sensor_id, stamp(before), stamp(after), metrics=["humidity"]) == {}
    # Read only: uploads feed this door's sensors, not the hub's devices.
    refused = await admin.upload([{"sensorId": sensor_id, "timestamp": at(0), "values": {"temperature": 1}}])
    assert error(refused) == (422, "InvalidUploadDataRequest", "observations[0].sensorId")


async def test_readings_keep_to_their_itwin_and_need_the_right_to_control(rig: Rig) -> None:
    for name in ("site-a", "site-b"):
        await rig.domain(name)
    await rig.user("alice", role="Admin", domain="site-a")
    await rig.user("bob", role="Admin", domain="site-b")
    alice, bob = await rig.connected("alice"), await rig.connected("bob")
    sensor = (await sensors(alice, "TEMPERATURE_SDE", itwin="twin-a"))["TEMPERATURE_SDE"]
    assert (await alice.upload([{"sensorId": sensor, "timestamp": at(1), "values": {"T": 1}}])).status_code == 202
    assert error(await bob.upload([{"sensorId": sensor, "timestamp": at(2), "values": {"T": 2}}])) == (
        404,
        "ResourceNotFound",
        "observations[0].sensorId",
    )
    assert error(await bob.observations({"sensorId": sensor, "startDate": at(0), "endDate": at(9)}))[:2] == (
        404,
        "ResourceNotFound",
    )
    assert error(await bob.call("DELETE", "/data/observations", {"sensorId": sensor, "startDate": at(0)}))[:2] == (
        404,
        "ResourceNotFound",
    )
    # A Read user of Alice's site sees the readings and may not upload.
    await rig.user("viewer", role="Read", domain="site-a")
    viewer = await rig.connected("viewer")
    assert (await observations(viewer, sensor, at(0), at(9)))["data"] == {at(1): {"T": 1.0}}
    assert error(await viewer.upload([{"sensorId": sensor, "timestamp": at(3), "values": {"T": 3}}]))[:2] == (
        403,
        "InsufficientPermissions",
    )
    assert (await observations(alice, sensor, at(0), at(9)))["data"] == {at(1): {"T": 1.0}}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_readings_are_kept_across_a_restart(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    database = None if backend == "sqlite" else request.getfixturevalue("postgres_url")
    # Recent readings: history retention (365 days by default) prunes older ones when the hub starts.
    week_ago = (datetime.now(UTC) - timedelta(days=7)).replace(microsecond=0)

    def recent(seconds: float) -> str:
        return at(seconds, week_ago)

    async with sensordata_rig(tmp_path, monkeypatch, database=database) as rig:
        admin = await rig.connected()
        ids = await sensors(admin, "HUMIDITY_SDE", "ACTIVITY_SDE")
        uploaded = await admin.upload(
            [{"sensorId": ids["HUMIDITY_SDE"], "timestamp": recent(n), "values": {"RH": 40 + n}} for n in range(3)]
            + [{"sensorId": ids["ACTIVITY_SDE"], "timestamp": recent(5), "values": {"activity": 3}}]
        )
        assert uploaded.status_code == 202
        client_id, secret = admin.client_id, admin.secret
    async with sensordata_rig(tmp_path, monkeypatch, database=database) as rig:
        admin = rig.client(client_id, secret)
        await admin.fetch_token()
        assert await observations(admin, ids["HUMIDITY_SDE"], recent(0), recent(9)) == {
            "data": {recent(0): {"RH": 40.0}, recent(1): {"RH": 41.0}, recent(2): {"RH": 42.0}}
        }
        # Activity is presence: a count above zero is someone there, kept and read back as such.
        assert await observations(admin, ids["ACTIVITY_SDE"], recent(0), recent(9)) == {
            "data": {recent(5): {"activity": True}}
        }
        humidity = rig.server.hub.things[rig.door_thing(ids["HUMIDITY_SDE"])]
        assert humidity.state_value("humidity") == 42.0  # the newest reading is the state after the restart too
