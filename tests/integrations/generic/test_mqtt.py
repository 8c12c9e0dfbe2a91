"""MQTT things against a real Mosquitto and a real hub: aiomqtt clients in the test play the devices.

A device reports `{"state": {"reported": {...}}}` on `thing-update/<domain path>/<thingName>` and
receives commands from every door there as `{"state": {"desired": {...}}}`; its thing's `connected`
state follows the hub's broker connection and the device's last will; junk is dropped and the
hub keeps serving.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import pytest

from tests.api.ezlo.rig import EzloClient
from tests.api.jsonrpc.rig import RpcClient
from tests.api.registry.rig import ADMIN, PASSWORD, Client, Rig, registry_rig
from tests.mosquitto import MosquittoServer
from thinggate.api.ezlo import ids as ezlo_ids
from thinggate.core.guids import guid_of
from thinggate.core.model import Thing
from thinggate.integrations.generic import GenericIntegration
from thinggate.integrations.generic.manifest import PLUGIN
from thinggate.integrations.generic.mqtt import MAX_PAYLOAD_BYTES, status_topic
from thinggate.mqtt.settings import MqttConfig

LIGHTS = {
    "id": "lights",
    "domain": "root",
    "label": "Lights",
    "resources": [
        {"name": "power", "type": "boolean", "isSettable": True},
        {"name": "brightness", "type": "long", "isSettable": True},
        {"name": "note", "type": "string"},
    ],
}
LAMP_TOPIC = "thing-update/lamp"
FAR_TOPIC = "thing-update/a/b/far-lamp"  # far-lamp lives in b below a below root


def ok(answer: Any) -> Any:
    """The body of a success."""
    assert answer.status_code == 200, answer.text
    return answer.json()


async def until(check: Callable[[], bool], within: float = 15.0) -> None:
    """Wait until `check()` holds (a deadline to fail by, not a timing assertion)."""
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition did not come true")
        await asyncio.sleep(0.02)


class House:
    """The running hub with a broker, a logged-in REST client and the two things."""

    def __init__(self, rig: Rig, broker: MosquittoServer, admin: Client) -> None:
        self.rig = rig
        self.broker = broker
        self.admin = admin

    @property
    def generic(self) -> GenericIntegration:
        integration = self.rig.server.hub.integrations[PLUGIN.id]
        assert isinstance(integration, GenericIntegration)
        return integration

    def thing(self, name: str) -> Thing:
        thing_id = self.generic.thing_id_named(name)
        assert thing_id is not None
        return self.rig.server.hub.things[thing_id]

    def value(self, name: str, state: str) -> Any:
        return self.thing(name).state_value(state)

    @asynccontextmanager
    async def device(self, identifier: str, *topics: str, **options: Any) -> AsyncIterator[aiomqtt.Client]:
        """An MQTT device (an aiomqtt client) subscribed to its topics."""
        async with aiomqtt.Client("127.0.0.1", self.broker.port, identifier=identifier, **options) as client:
            for topic in topics:
                await client.subscribe(topic, qos=1)
            yield client

    async def report(self, device: aiomqtt.Client, topic: str, reported: dict[str, Any], **extra: Any) -> None:
        await device.publish(topic, json.dumps({"state": {"reported": reported}, **extra}), qos=1)


async def next_message(client: aiomqtt.Client, within: float = 10.0) -> aiomqtt.Message:
    """The next message the client receives."""
    return await asyncio.wait_for(anext(client.messages), within)


@asynccontextmanager
async def house_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broker: MosquittoServer, **rig_options: Any
) -> AsyncIterator[House]:
    mqtt = MqttConfig(url=broker.url, reconnect_seconds=0.1, keepalive_seconds=5)
    async with registry_rig(tmp_path / "hub", monkeypatch, thinknx=True, mqtt=mqtt, **rig_options) as rig:
        admin = await rig.logged_in(ADMIN)
        await rig.domain("a")
        await rig.domain("b", "a")
        ok(await admin.post("/thingtypes", LIGHTS))
        ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root"}))
        ok(await admin.post("/things", {"thingName": "far-lamp", "thingType": "lights", "domain": "b"}))
        house = House(rig, broker, admin)
        await until(lambda: house.value("lamp", "connected") is True)
        yield house


@pytest.fixture
async def house(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mosquitto: MosquittoServer) -> AsyncIterator[House]:
    async with house_with(tmp_path, monkeypatch, mosquitto) as running:
        yield running


async def rpc_client(house: House) -> RpcClient:
    rpc = await RpcClient.tcp(house.rig.server.doors["jsonrpc"].tcp_port, tls=False)  # type: ignore[attr-defined]
    await rpc.login(ADMIN, PASSWORD)
    await rpc.notify("Integrations")
    return rpc


def thinknx(house: House) -> httpx.AsyncClient:
    port = house.rig.server.doors["thinknx"].port  # type: ignore[attr-defined]
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/V1", auth=(ADMIN, PASSWORD), timeout=30)


# -- reports in ----------------------------------------------------------------------------------


async def test_a_report_is_a_state_change_for_every_door(house: House) -> None:
    lamp = house.thing("lamp")
    power = lamp.thing_class.state_type_named("power")
    assert power is not None
    rpc = await rpc_client(house)
    try:
        async with house.device("lamp-device") as device:
            await house.report(device, LAMP_TOPIC, {"power": True, "brightness": 30})
            changed = await rpc.notification(
                "Integrations.StateChanged",
                where=lambda p: p["thingId"] == str(lamp.id) and p["stateTypeId"] == str(power.id),
            )
            assert changed["value"] is True
    finally:
        await rpc.close()
    async with thinknx(house) as client:
        status = await client.get("/powerstatus", params={"guid": guid_of(lamp.id)})
        assert status.status_code == 200 and status.json()["status"] == 1
    got = ok(await house.admin.get("/things/lamp"))
    assert got["state"]["reported"] == {"power": True, "brightness": 30, "note": "", "connected": True}


async def test_the_domain_path_must_be_the_things(house: House) -> None:
    async with house.device("far-device") as device:
        await house.report(device, "thing-update/far-lamp", {"note": "root path"})  # far-lamp is not in root
        await house.report(device, "thing-update/a/far-lamp", {"note": "a path"})  # nor in a
        await house.report(device, "thing-update/b/far-lamp", {"note": "b alone"})  # the path starts below root
        await house.report(device, "thing-update/a/b/nothing", {"note": "no such thing"})
        await house.report(device, FAR_TOPIC, {"note": "right"})
        await until(lambda: house.value("far-lamp", "note") == "right")
    assert house.generic.link is not None and house.generic.link.dropped == 4
    # The domain moved, the topic with it.
    ok(await house.admin.patch("/things/far-lamp", {"domain": "a"}))
    async with house.device("far-device") as device:
        await house.report(device, FAR_TOPIC, {"note": "old path"})
        await house.report(device, "thing-update/a/far-lamp", {"note": "new path"})
        await until(lambda: house.value("far-lamp", "note") == "new path")


async def test_values_are_checked_against_the_state_types(house: House) -> None:
    async with house.device("lamp-device") as device:
        # A bad value is dropped; the good ones of the same report are taken.
        await house.report(device, LAMP_TOPIC, {"brightness": 500, "power": "maybe", "note": "first"})
        await until(lambda: house.value("lamp", "note") == "first")
        assert (house.value("lamp", "brightness"), house.value("lamp", "power")) == (0, False)
        await house.report(device, LAMP_TOPIC, {"brightness": 55, "power": 1, "unknown": 3, "connected": False})
        await until(lambda: house.value("lamp", "brightness") == 55)
        assert house.value("lamp", "power") is True and house.value("lamp", "connected") is True


async def test_an_older_timestamp_than_one_applied_is_dropped(house: House) -> None:
    async with house.device("lamp-device") as device:
        await house.report(device, LAMP_TOPIC, {"note": "new"}, timestamp=1_700_000_002_000)
        await house.report(device, LAMP_TOPIC, {"note": "old"}, timestamp=1_700_000_001_000)
        await house.report(device, LAMP_TOPIC, {"brightness": 7})  # without a timestamp: applied as it comes
        await until(lambda: house.value("lamp", "brightness") == 7)
        assert house.value("lamp", "note") == "new"


JUNK: list[bytes] = [
    b"not json",
    b"",
    b"\xff\xfe\x00binary",
    b"[1, 2, 3]",
    b'"a string"',
    b'{"state": "on"}',
    b'{"state": {"reported": [true]}}',
    b'{"reported": {"power": true}}',
    b'{"state": {"reported": {"power": true}}, "timestamp": "yesterday"}',
    b'{"state": {"reported": {"power": true}}, "timestamp": 1.5}',
    b'{"state": {"reported": {"power": true}',
    b'{"state": {"reported": {"note": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}}}',
    json.dumps({"state": {"reported": {"power": {"nested": [1] * 100}}}}).encode(),
]


async def test_junk_is_dropped_and_the_loop_keeps_serving(house: House) -> None:
    link = house.generic.link
    assert link is not None
    async with house.device("junk-device") as device:
        for payload in JUNK:
            await device.publish(LAMP_TOPIC, payload, qos=1)
        await device.publish("thing-update/", b'{"state": {"reported": {"power": true}}}', qos=1)
        await device.publish("thing-update", b'{"state": {"reported": {"power": true}}}', qos=1)
        await house.report(device, LAMP_TOPIC, {"note": "still here"})
        await until(lambda: house.value("lamp", "note") == "still here")
    # Every junk message but the one with a value of the wrong type was dropped whole; that one lost its value.
    assert link.dropped == len(JUNK) - 1 + 2
    assert house.value("lamp", "power") is False
    assert link.connected


# -- commands out --------------------------------------------------------------------------------


async def test_a_thinknx_command_reaches_the_device_as_desired_state(house: House) -> None:
    lamp = house.thing("lamp")
    async with house.device("lamp-device", LAMP_TOPIC) as device, thinknx(house) as client:
        answer = await client.get("/power", params={"guid": guid_of(lamp.id), "cmd": "1"})
        assert answer.status_code == 200, answer.text
        message = await next_message(device)
        assert (message.topic.value, message.qos) == (LAMP_TOPIC, 1)
        assert json.loads(bytes(message.payload)) == {"state": {"desired": {"power": True}}}  # type: ignore[arg-type]
        # The hub does not take its own desired message back as a report: the device has not answered.
        got = ok(await house.admin.get("/things/lamp"))
        assert (got["state"]["reported"]["power"], got["state"]["desired"]) == (False, {"power": True})
        await house.report(device, LAMP_TOPIC, {"power": True})
        await until(lambda: house.value("lamp", "power") is True)
        assert ok(await house.admin.get("/things/lamp"))["state"]["desired"] == {}


async def test_a_command_with_feedback_waits_for_the_devices_report(house: House) -> None:
    lamp = house.thing("lamp")
    async with house.device("lamp-device", LAMP_TOPIC) as device, thinknx(house) as client:

        async def obey() -> None:
            # The device does what it is told and says so.
            async for message in device.messages:
                desired = json.loads(bytes(message.payload))["state"].get("desired")  # type: ignore[arg-type]
                if desired:
                    await house.report(device, LAMP_TOPIC, desired)
                    return

        obeying = asyncio.create_task(obey())
        answer = await client.get("/power", params={"guid": guid_of(lamp.id), "cmd": "1", "fb": ""})
        await obeying
        assert answer.status_code == 200 and answer.json()["status"] == 1, answer.text


async def test_rest_and_json_rpc_commands_reach_the_device_in_its_domain(house: House) -> None:
    far = house.thing("far-lamp")
    brightness = far.thing_class.state_type_named("brightness")
    assert brightness is not None
    async with house.device("far-device", FAR_TOPIC, LAMP_TOPIC) as device:
        ok(await house.admin.put("/things/far-lamp/state", {"desired": {"brightness": 80}}))
        message = await next_message(device)
        assert message.topic.value == FAR_TOPIC
        assert json.loads(bytes(message.payload)) == {"state": {"desired": {"brightness": 80}}}  # type: ignore[arg-type]
        rpc = await rpc_client(house)
        try:
            await rpc.call(
                "Integrations.ExecuteAction",
                {
                    "thingId": str(far.id),
                    "actionTypeId": str(brightness.id),
                    "params": [{"paramTypeId": str(brightness.id), "value": 20}],
                },
            )
        finally:
            await rpc.close()
        message = await next_message(device)
        assert json.loads(bytes(message.payload)) == {"state": {"desired": {"brightness": 20}}}  # type: ignore[arg-type]


async def test_an_ezlo_value_set_reaches_the_device_and_its_report_is_an_item_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mosquitto: MosquittoServer
) -> None:
    async with house_with(tmp_path, monkeypatch, mosquitto, ezlo=True) as house:
        lamp = house.thing("lamp")
        power = lamp.thing_class.state_type_named("power")
        assert power is not None
        item = ezlo_ids.item_id(lamp.id, str(power.id))
        port = house.rig.server.doors["ezlo"].port  # type: ignore[attr-defined]
        ezlo = await EzloClient.connect(f"ws://127.0.0.1:{port}")
        try:
            async with house.device("lamp-device", LAMP_TOPIC) as device:
                assert await ezlo.result("hub.item.value.set", {"_id": item, "value": True}) == {}
                message = await next_message(device)
                assert json.loads(bytes(message.payload)) == {"state": {"desired": {"power": True}}}  # type: ignore[arg-type]
                await house.report(device, LAMP_TOPIC, {"power": True})
                update = await ezlo.broadcast("hub.item.updated", lambda r: r["_id"] == item and r["value"] is True)
                assert update["result"]["valueType"] == "bool"
        finally:
            await ezlo.close()


# -- connected -----------------------------------------------------------------------------------


async def test_connected_follows_the_broker(house: House) -> None:
    lamp = house.thing("lamp")
    house.broker.stop()
    await until(lambda: house.value("lamp", "connected") is False and house.value("far-lamp", "connected") is False)
    async with thinknx(house) as client:
        answer = await client.get("/power", params={"guid": guid_of(lamp.id), "cmd": "1"})
        assert answer.status_code == 500  # Thinknx: a device that is not connected cannot be commanded
    refused = await house.admin.put("/things/lamp/state", {"desired": {"power": True}})
    assert (refused.status_code, refused.json()["messageKey"]) == (503, "BACKEND_ERROR")
    assert ok(await house.admin.get("/things/lamp"))["state"]["desired"] == {}
    house.broker.start()  # the same port: the hub connects again by itself
    await until(lambda: house.value("lamp", "connected") is True and house.value("far-lamp", "connected") is True)
    async with house.device("lamp-device", LAMP_TOPIC) as device:
        ok(await house.admin.put("/things/lamp/state", {"desired": {"power": True}}))
        assert json.loads(bytes((await next_message(device)).payload)) == {  # type: ignore[arg-type]
            "state": {"desired": {"power": True}}
        }


DEVICE_WITH_A_WILL = """
import asyncio, json, sys
import aiomqtt

async def main() -> None:
    port, topic = int(sys.argv[1]), sys.argv[2]
    will = aiomqtt.Will(topic, json.dumps({"state": {"reported": {"connection_status": "disconnected"}}}), qos=1)
    async with aiomqtt.Client("127.0.0.1", port, identifier="mortal-lamp", keepalive=5, will=will) as client:
        await client.publish(topic, json.dumps({"state": {"reported": {"connection_status": "connected"}}}), qos=1)
        print("connected", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_connected_follows_the_devices_will(house: House) -> None:
    device = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DEVICE_WITH_A_WILL, str(house.broker.port), LAMP_TOPIC, stdout=asyncio.subprocess.PIPE
    )
    assert device.stdout is not None
    assert await asyncio.wait_for(device.stdout.readline(), timeout=30) == b"connected\n"
    device.kill()  # no DISCONNECT: the broker publishes the device's will
    await device.wait()
    await until(lambda: house.value("lamp", "connected") is False)
    assert house.value("far-lamp", "connected") is True  # only that device's thing
    async with thinknx(house) as client:
        answer = await client.get("/powerstatus", params={"guid": guid_of(house.thing("lamp").id)})
        assert answer.status_code == 500
    # Back: "connected", or any report, says it is there.
    async with house.device("lamp-device") as again:
        await house.report(again, LAMP_TOPIC, {"connection_status": "connected"})
        await until(lambda: house.value("lamp", "connected") is True)
        await house.report(again, LAMP_TOPIC, {"connection_status": "disconnected"})
        await until(lambda: house.value("lamp", "connected") is False)
        await house.report(again, LAMP_TOPIC, {"power": True})
        await until(lambda: house.value("lamp", "connected") is True)


async def test_the_hubs_status_topic_and_its_will(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mosquitto: MosquittoServer
) -> None:
    async with house_with(tmp_path, monkeypatch, mosquitto) as house:
        topic = status_topic(house.generic.client_id)
        assert house.generic.client_id == f"thinggate-{house.rig.server.server_uuid}"
        async with house.device("watcher", topic) as watcher:
            assert (await next_message(watcher)).payload == b"online"  # retained
            await house.rig.server.stop()
            assert (await next_message(watcher)).payload == b"offline"


async def test_things_start_disconnected_until_the_broker_is_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mosquitto: MosquittoServer
) -> None:
    mosquitto.stop()
    mqtt = MqttConfig(url=mosquitto.url, reconnect_seconds=0.1)
    async with registry_rig(tmp_path / "hub", monkeypatch, mqtt=mqtt) as rig:
        admin = await rig.logged_in(ADMIN)
        ok(await admin.post("/thingtypes", LIGHTS))
        created = ok(await admin.post("/things", {"thingName": "lamp", "thingType": "lights", "domain": "root"}))
        assert created["state"]["reported"]["connected"] is False
        mosquitto.start()
        await _wait_connected(admin)


async def _wait_connected(admin: Client) -> None:
    async def connected() -> bool:
        return bool(ok(await admin.get("/things/lamp"))["state"]["reported"]["connected"])

    await _until_async(connected)


async def _until_async(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition did not come true")
        await asyncio.sleep(0.05)


def test_reconnect_waits_double_up_to_a_minute() -> None:
    from thinggate.integrations.generic.mqtt import reconnect_waits

    waits = reconnect_waits(2.0)
    assert [next(waits) for _ in range(8)] == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
