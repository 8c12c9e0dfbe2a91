"""The Ezlo door's envelope, login, access, start-up methods, device broadcasts and bad input."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.api.ezlo.rig import ADMIN, SERIAL, SERVER_UUID, VIEWER, EzloClient, EzloRig, ezlo_rig, items_by_name
from thinggate.api.ezlo import ids
from thinggate.core.security import SYSTEM

# -- envelope ----------------------------------------------------------------------------------


async def test_replies_echo_id_and_method_with_error_null_and_tolerate_extra_keys(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True) as rig:
        client = await rig.connect()
        sender = {"conn_hash": "abc", "user_id": "u1"}
        answer = await client.call(
            "hub.info.get", {}, request_id="_ID_", api="1.0", jsonrpc="2.0", sender=sender, call="hub.info.get"
        )
        assert answer["api"] == "1.0"
        assert "error" in answer and answer["error"] is None
        assert answer["id"] == "_ID_" and answer["method"] == "hub.info.get"
        assert answer["sender"] == sender
        # Ids may repeat: one client sends "_ID_" for everything.
        again = await client.call("hub.modes.get", request_id="_ID_")
        assert again["id"] == "_ID_" and again["method"] == "hub.modes.get" and again["error"] is None


async def test_params_may_be_missing_or_an_empty_string(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True) as rig:
        client = await rig.connect()
        await client.send({"method": "hub.modes.get", "id": "a"})
        assert (await client.reply())["error"] is None
        await client.send({"method": "hub.room.list", "id": "b", "params": ""})
        answer = await client.reply()
        assert answer["error"] is None and isinstance(answer["result"], list)


async def test_unknown_method_is_32602_rpc_method_notfound(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True) as rig:
        client = await rig.connect()
        answer = await client.call("hub.no.such.method", {})
        assert answer["error"]["code"] == -32602
        assert answer["error"]["data"] == "rpc.method.notfound"
        assert answer["error"]["message"] == "Unknown method"
        assert answer["result"] == {} and answer["method"] == "hub.no.such.method"


# -- login -------------------------------------------------------------------------------------


async def test_before_login_only_info_answers(rig: EzloRig) -> None:
    client = await rig.connect()
    info = await client.result("hub.info.get")
    assert info["serial"] == SERIAL and info["uuid"] == str(SERVER_UUID)
    assert info["offlineAnonymousAccess"] is False
    for method in ("hub.items.list", "hub.devices.list", "hub.modes.get", "hub.item.value.set"):
        answer = await client.call(method, {})
        assert answer["error"]["code"] == -32600, method
        assert answer["error"]["data"] == "rpc.params.notfound", method


async def test_login_with_a_thinggate_token_then_again_is_alreadylogged(rig: EzloRig) -> None:
    client = await rig.connect()
    answer = await client.login(ADMIN, rig.admin_token)
    assert answer == {
        "api": "1.0",
        "error": None,
        "id": answer["id"],
        "method": "hub.offline.login.ui",
        "result": {},
    }
    assert len((await client.result("hub.devices.list"))["devices"]) == len(rig.hub.things)
    again = await client.login(ADMIN, rig.admin_token)
    assert again["error"]["code"] == -32500
    assert again["error"]["data"] == "user.login.alreadylogged"


@pytest.mark.parametrize(
    ("user", "token_of"),
    [
        (ADMIN, lambda rig: "not-a-token"),
        (VIEWER, lambda rig: rig.admin_token),
        ("nobody", lambda rig: rig.admin_token),
    ],
    ids=["bad token", "someone else's token", "unknown user"],
)
async def test_bad_login_is_badpassword_and_stays_logged_out(rig: EzloRig, user: str, token_of: Any) -> None:
    client = await rig.connect()
    answer = await client.login(user, token_of(rig))
    assert answer["error"]["code"] == -32500
    assert answer["error"]["data"] == "user.login.badpassword"
    assert (await client.call("hub.items.list", {}))["error"]["data"] == "rpc.params.notfound"


async def test_login_params_must_be_strings(rig: EzloRig) -> None:
    client = await rig.connect()
    for params in ({}, {"user": ADMIN}, {"user": ADMIN, "token": 5}):
        answer = await client.call("hub.offline.login.ui", params)
        assert answer["error"]["code"] == -32602 and answer["error"]["data"] == "rpc.params.invalid", params


async def test_anonymous_access_needs_no_login_and_is_reported(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True) as rig:
        client = await rig.connect()
        assert (await client.result("hub.info.get"))["offlineAnonymousAccess"] is True
        lamp = rig.thing("Path light")
        switch = items_by_name((await client.result("hub.items.list"))["items"], ids.device_id(lamp.id))["switch"]
        await client.result("hub.item.value.set", {"_id": switch["_id"], "value": True})
        assert lamp.state_value("power") is True


async def test_revoking_the_token_closes_the_connection_at_once(rig: EzloRig) -> None:
    client = await rig.admin()
    viewer = await rig.viewer()
    token_id = rig.security.token_info(rig.admin_token).id
    await rig.security.remove_token(token_id)
    await asyncio.wait_for(client.closed.wait(), 5)  # without a request of its own
    assert client.close_code == 1008  # policy violation, with the reason
    assert (await viewer.result("hub.info.get"))["serial"] == SERIAL  # another token's connection stays


async def test_removing_the_user_closes_its_connections_even_with_anonymous_access(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True) as rig:
        client = await rig.admin()
        anonymous = await rig.connect()
        await rig.security.remove_user("owner")
        await asyncio.wait_for(client.closed.wait(), 5)
        assert client.close_code == 1008
        assert (await anonymous.result("hub.info.get"))["serial"] == SERIAL


# -- access ------------------------------------------------------------------------------------


async def test_read_only_user_reads_but_may_not_write(rig: EzloRig) -> None:
    client = await rig.viewer()
    items = (await client.result("hub.items.list"))["items"]
    lamp = rig.thing("Path light")
    switch = items_by_name(items, ids.device_id(lamp.id))["switch"]
    for method, params in (
        ("hub.item.value.set", {"_id": switch["_id"], "value": True}),
        ("hub.modes.switch", {"modeId": "2"}),
    ):
        answer = await client.call(method, params)
        assert answer["error"]["code"] == -32500, method
        assert answer["error"]["data"] == "user.permission.doesnothave", method
    assert lamp.state_value("power") is False
    assert rig.modes.current.id == "1"


async def test_a_user_limited_to_some_things_sees_only_those(rig: EzloRig) -> None:
    from thinggate.core.security import Scope

    lamp = rig.thing("Path light")
    hidden = rig.thing("Desk light")
    await rig.security.create_user("guest", "GuestPW1!", scopes=Scope.CONTROL_THINGS, allowed_thing_ids=[lamp.id])
    token = await rig.security.create_token("guest", "test")
    client = await rig.connect()
    assert (await client.login("guest", token))["error"] is None
    devices = (await client.result("hub.devices.list"))["devices"]
    assert [device["_id"] for device in devices] == [ids.device_id(lamp.id)]
    items = (await client.result("hub.items.list"))["items"]
    assert {item["deviceId"] for item in items} == {ids.device_id(lamp.id)}
    admin = await rig.admin()
    all_items = (await admin.result("hub.items.list"))["items"]
    hidden_switch = items_by_name(all_items, ids.device_id(hidden.id))["switch"]
    answer = await client.call("hub.item.value.set", {"_id": hidden_switch["_id"], "value": True})
    assert answer["error"]["data"] == "rpc.unknown.error"
    assert hidden.state_value("power") is False
    # Changes of things it may not see are not broadcast to it.
    await admin.result("hub.item.value.set", {"_id": hidden_switch["_id"], "value": True})
    await admin.broadcast("hub.item.updated", lambda r: r["_id"] == hidden_switch["_id"])
    await client.no_broadcast("hub.item.updated")


async def test_only_users_that_control_the_whole_hub_switch_the_house_mode(rig: EzloRig) -> None:
    from thinggate.core.security import Scope

    lamp = rig.thing("Path light")
    await rig.security.add_domain("upstairs")
    await rig.security.create_user("guest", "GuestPW1!", scopes=Scope.CONTROL_THINGS, allowed_thing_ids=[lamp.id])
    await rig.security.create_user(
        "tenant", "TenantPW1!", scopes=Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS, home_domain="upstairs"
    )
    for user in ("guest", "tenant"):
        client = await rig.connect()
        assert (await client.login(user, await rig.security.create_token(user, "test")))["error"] is None
        answer = await client.call("hub.modes.switch", {"modeId": "2"})
        assert (answer["error"]["code"], answer["error"]["data"]) == (-32500, "user.permission.doesnothave"), user
        assert rig.modes.current.id == "1" and (await client.result("hub.modes.get"))["current"] == "1"
    admin = await rig.admin()
    await admin.result("hub.modes.switch", {"modeId": "2"})
    assert rig.modes.current.id == "2"


# -- start-up methods --------------------------------------------------------------------------


async def test_devices_have_the_fields_clients_read(rig: EzloRig) -> None:
    client = await rig.admin()
    devices = {device["_id"]: device for device in (await client.result("hub.devices.list"))["devices"]}
    rooms = {room["_id"]: room["name"] for room in await client.result("hub.room.list")}
    lock = devices[ids.device_id(rig.thing("Front door").id)]
    assert (lock["category"], lock["name"], rooms[lock["roomId"]]) == ("door_lock", "Front door", "Hall")
    sensor = devices[ids.device_id(rig.thing("Humidity").id)]
    assert sensor["batteryPowered"] is True and sensor["category"] == "humidity"
    required = {
        "_id": str, "parentDeviceId": str, "category": str, "subcategory": str, "deviceTypeId": str,
        "gatewayId": str, "name": str, "type": str, "batteryPowered": bool, "reachable": bool,
        "roomId": str, "serviceNotification": bool, "security": str, "ready": bool, "status": str,
    }  # fmt: skip
    for device in devices.values():
        for name, kind in required.items():
            assert isinstance(device[name], kind), (name, device)
        assert len(device["_id"]) == 24 and int(device["_id"], 16) >= 0


async def test_ids_are_stable_across_restarts(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path) as rig:
        client = await rig.admin()
        first = sorted(item["_id"] for item in (await client.result("hub.items.list"))["items"])
    async with ezlo_rig(tmp_path) as rig:
        client = await rig.admin()
        assert sorted(item["_id"] for item in (await client.result("hub.items.list"))["items"]) == first


async def test_house_modes_switch_broadcast_and_persist(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path) as rig:
        client = await rig.admin()
        modes = await client.result("hub.modes.get")
        assert modes["current"] == "1"
        assert [(m["_id"], m["name"]) for m in modes["modes"]] == [
            ("1", "Home"),
            ("2", "Away"),
            ("3", "Night"),
            ("4", "Vacation"),
        ]
        assert "switchToDelay" in (await client.result("hub.modes.switch", {"modeId": "2"}))
        begin = await client.broadcast("hub.modes.switched", lambda r: r["status"] == "begin")
        done = await client.broadcast("hub.modes.switched", lambda r: r["status"] == "done")
        assert (begin["result"]["from"], begin["result"]["to"], done["result"]["to"]) == ("1", "2", "2")
        await client.result("hub.modes.switch", {"name": "Night"})
        unknown = await client.call("hub.modes.switch", {"modeId": "9"})
        assert unknown["error"]["data"] == "ezlo.house_mode.not.exist"
    async with ezlo_rig(tmp_path) as rig:
        client = await rig.admin()
        assert (await client.result("hub.modes.get"))["current"] == "3"


async def test_room_list_is_an_array_of_the_demo_rooms(rig: EzloRig) -> None:
    client = await rig.admin()
    rooms = await client.result("hub.room.list")
    assert isinstance(rooms, list)
    assert sorted(room["name"] for room in rooms) == sorted(
        {"Living room", "Kitchen", "Bedroom", "Office", "Garden", "Hall", "Utility room"}
    )


async def test_scenes_list_and_run_launch_the_scene_thing_with_progress(rig: EzloRig) -> None:
    client = await rig.admin()
    scenes = (await client.result("hub.scenes.list"))["scenes"]
    scene = rig.thing("Evening scene")
    assert [(s["_id"], s["name"]) for s in scenes] == [(ids.device_id(scene.id), "Evening scene")]
    launched = asyncio.get_running_loop().create_future()

    def on_event(event: Any) -> None:
        if getattr(event, "thing_id", None) == scene.id and not launched.done():
            launched.set_result(event)

    unlisten = rig.hub.bus.listen(on_event)
    try:
        assert await client.result("hub.scenes.run", {"sceneId": scenes[0]["_id"]}) == {}
        await asyncio.wait_for(launched, 5)
    finally:
        unlisten()
    started = await client.broadcast("hub.scene.run.progress", lambda r: r["status"] == "started")
    finished = await client.broadcast("hub.scene.run.progress", lambda r: r["status"] == "finished")
    assert started["result"]["scene_id"] == finished["result"]["scene_id"] == scenes[0]["_id"]
    assert finished["result"]["scene_name"] == "Evening scene"
    missing = await client.call("hub.scenes.run", {"sceneId": "000000000000000000000000"})
    assert missing["error"]["data"] == "ezlo.scenes.not.exist"


async def test_data_list_answers_sections_by_ids_with_null_for_unknown_and_field_filters(rig: EzloRig) -> None:
    client = await rig.admin()
    lamp_id = ids.device_id(rig.thing("Path light").id)
    result = await client.result(
        "hub.data.list",
        {"devices": {"ids": [lamp_id, "ffffffffffffffffffffffff"], "fields": {"include": ["name"]}}},
    )
    assert result == {"devices": [{"_id": lamp_id, "name": "Path light"}, None]}
    everything = await client.result("hub.data.list", {})
    assert set(everything) == {"devices", "items", "rooms", "scenes"}
    assert len(everything["devices"]) == len(rig.hub.things)


async def test_network_get_lists_interfaces(rig: EzloRig) -> None:
    client = await rig.admin()
    interfaces = (await client.result("hub.network.get"))["interfaces"]
    assert isinstance(interfaces, list)
    for interface in interfaces:
        assert {"_id", "type", "status", "ipv4"} <= set(interface)


# -- device broadcasts -------------------------------------------------------------------------


async def test_things_added_changed_and_removed_are_device_broadcasts(rig: EzloRig) -> None:
    client = await rig.admin()
    light_class = rig.virtual.thing_class_named("light")
    added = await rig.hub.add_thing(SYSTEM, name="Porch light", thing_class_id=light_class.id, room="Garden")
    assert added.ok
    thing_id = added.value if not hasattr(added.value, "id") else added.value.id
    device_id = ids.device_id(thing_id)
    device = await client.broadcast("hub.device.added", lambda r: r["_id"] == device_id)
    assert device["result"]["name"] == "Porch light" and device["result"]["category"] == "switch"
    item = await client.broadcast("hub.item.added", lambda r: r["deviceId"] == device_id)
    assert item["result"]["name"] == "switch"
    assert (await rig.hub.edit_thing(SYSTEM, thing_id, name="Porch lamp")).ok
    changed = await client.broadcast("hub.device.updated", lambda r: r["_id"] == device_id)
    assert changed["result"]["name"] == "Porch lamp"
    assert (await rig.hub.remove_thing(SYSTEM, thing_id)).ok
    await client.broadcast("hub.device.removed", lambda r: r["_id"] == device_id)
    items = (await client.result("hub.items.list", {"deviceIds": [device_id]}))["items"]
    assert items == []


# -- transport and bad input -------------------------------------------------------------------


async def test_wss_serves_a_client_pinned_to_aes256_sha256_and_plain_ws_on_the_same_port(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, tls=True, insecure=True) as rig:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers("AES256-SHA256")
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"wss://127.0.0.1:{rig.server.port}", ssl=context) as socket_:
                transport_ssl = socket_.get_extra_info("ssl_object")
                assert transport_ssl.cipher()[0] == "AES256-SHA256"
                certificate = ssl.DER_cert_to_PEM_cert(transport_ssl.getpeercert(binary_form=True))
                assert certificate
                await socket_.send_str(json.dumps({"method": "hub.info.get", "id": "1", "params": {}}))
                reply = json.loads((await socket_.receive()).data)
                assert reply["result"]["serial"] == SERIAL
        plain = await rig.connect(f"ws://127.0.0.1:{rig.server.port}")
        assert (await plain.result("hub.info.get"))["offlineInsecureAccess"] is True


async def test_certificate_common_name_is_the_serial(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, tls=True, insecure=False) as rig:
        from cryptography import x509

        pem = (tmp_path / "tls" / "ezlo.crt").read_bytes()
        certificate = x509.load_pem_x509_certificate(pem)
        common_name = certificate.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
        assert common_name == SERIAL
        # With insecure access off, a plain ws:// client is turned away.
        with pytest.raises((aiohttp.ClientError, ConnectionError)):
            await EzloClient.connect(f"ws://127.0.0.1:{rig.server.port}")
        secure = await rig.connect()
        assert (await secure.result("hub.info.get"))["offlineInsecureAccess"] is False


async def test_non_json_frames_get_an_error_and_the_connection_stays(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True) as rig:
        client = await rig.connect()
        for frame in ("{not json", "[1, 2]", "42", '"text"', '{"id": "x"}', '{"method": 5, "id": "y"}'):
            await client.send(frame)
            answer = await client.reply()
            assert answer["error"]["code"] in (-32700, -32600), frame
            assert answer["result"] == {}
        await client.send('{"method": "hub.info.get", "id": "z", "params": []}')
        assert (await client.reply())["error"]["code"] == -32600
        assert (await client.result("hub.info.get"))["serial"] == SERIAL


async def test_binary_frames_close_the_connection_others_are_served(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True) as rig:
        bystander = await rig.connect()
        client = await rig.connect()
        await client.send(b'{"method": "hub.info.get", "id": "1"}')
        await asyncio.wait_for(client.closed.wait(), 5)
        assert client.close_code == 1003
        assert (await bystander.result("hub.info.get"))["serial"] == SERIAL


async def test_oversized_frames_close_with_1009(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True, max_frame=64 * 1024) as rig:
        client = await rig.connect(max_msg_size=0)
        await client.send(json.dumps({"method": "hub.info.get", "id": "1", "params": {"pad": "x" * 100_000}}))
        await asyncio.wait_for(client.closed.wait(), 5)
        assert client.close_code == 1009
        other = await rig.connect()
        assert (await other.result("hub.info.get"))["serial"] == SERIAL


async def test_the_hub_pings_clients(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True, ping_seconds=0.2) as rig:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"ws://127.0.0.1:{rig.server.port}", autoping=False) as socket_:
                # Broadcasts (sensors wander) may come first; a ping must come within a few periods.
                message = await socket_.receive(timeout=5)
                while message.type is aiohttp.WSMsgType.TEXT:
                    message = await socket_.receive(timeout=5)
                assert message.type is aiohttp.WSMsgType.PING
                await socket_.pong(message.data)


async def test_a_client_that_stops_reading_is_dropped_and_others_keep_their_broadcasts(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path, anonymous=True) as rig:
        reader = await rig.connect()
        lamp = rig.thing("Path light")
        power = lamp.thing_class.state_type_named("power")
        assert power is not None
        # A raw socket that upgrades and then never reads a byte.
        stalled = socket.create_connection(("127.0.0.1", rig.server.port))
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await asyncio.sleep(0.2)
        try:
            assert len(rig.door.sessions) == 2
            changes = 30_000  # about 12 MB of broadcasts: far past what a client may leave unread
            for round_ in range(changes):
                rig.hub.set_state(lamp.id, power.id, round_ % 2 == 0)
                if round_ % 200 == 0:
                    await asyncio.sleep(0.001)
            # The stalled client is gone; the reading one got every change.
            for _ in range(100):
                updates = [m for m in reader.broadcasts if m["result"].get("deviceId") == ids.device_id(lamp.id)]
                if len(updates) == changes and len(rig.door.sessions) == 1:
                    break
                await asyncio.sleep(0.05)
            assert len(rig.door.sessions) == 1
            assert len(updates) == changes
            assert (await reader.result("hub.info.get"))["serial"] == SERIAL
        finally:
            stalled.close()
