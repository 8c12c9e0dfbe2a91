"""The four transports (§1) and the door under floods and bad peers."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import pytest

from tests.api.jsonrpc.protocol import (
    NO_ERROR,
    add_mock,
    alive,
    auto_thing,
    cid,
    control,
    outcome,
    request_bytes,
    until,
)
from tests.api.jsonrpc.rig import ADMIN, Rig, jsonrpc_rig
from tests.hubtools import state_id
from thinggate.api.guard import ListenerLimits
from thinggate.api.jsonrpc.session import MAX_WRITE_BUFFER
from thinggate.integrations.virtual.testbed import AUTO_MOCK, MOCK


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
@pytest.mark.parametrize("kind", ["tcp", "ws"])
async def test_hello_call_and_notification_over_each_transport(tmp_path: Path, kind: str, tls: bool) -> None:
    async with jsonrpc_rig(tmp_path, tls=tls) as rig:
        client = await rig.admin(kind)  # the WebSocket client asserts that every frame ends in "\n"
        hello = await client.hello()
        assert hello["protocol version"] == "9.0" and hello["authenticated"] is True
        things = await client.call("Integrations.GetThings")
        assert str(auto_thing(rig)) in {cid(t["id"]) for t in things["things"]}
        await client.notify("Integrations")
        control(rig).set_state(auto_thing(rig), "int", 5)
        assert (await client.notification("Integrations.StateChanged"))["value"] == 5


async def test_websocket_binary_frames_are_ignored(rig: Rig) -> None:
    await rig.ensure_admin()
    async with aiohttp.ClientSession() as http, http.ws_connect(f"ws://127.0.0.1:{rig.ws_port}/") as socket_:
        await socket_.send_bytes(request_bytes(1, "JSONRPC.Hello") + b"\n")
        await socket_.send_str(request_bytes(2, "JSONRPC.Hello").decode() + "\n")
        frame = await socket_.receive(timeout=5)
        assert frame.type is aiohttp.WSMsgType.TEXT
        reply = json.loads(frame.data)
        assert reply["id"] == 2 and reply["status"] == "success"
        with pytest.raises(TimeoutError):
            await socket_.receive(timeout=0.2)


@pytest.mark.parametrize("limit", [1000, 100])
async def test_flood_of_connections_is_served_or_refused_and_others_go_on(tmp_path: Path, limit: int) -> None:
    # The door's own cap on clients; the listener's cap per address is lifted out of the way.
    limits = ListenerLimits(unauthenticated_per_address=1000)
    async with jsonrpc_rig(tmp_path, max_connections=limit, limits=limits) as rig:
        bystander = await rig.admin()
        clients = await asyncio.gather(*(rig.connect() for _ in range(200)))
        replies = await asyncio.gather(*(outcome(client, "JSONRPC.Hello") for client in clients))
        served = [reply for reply in replies if reply is not None]
        assert all(reply["status"] == "success" for reply in served)
        assert len(served) == min(200, limit - 1)  # the rest are dropped
        loop = asyncio.get_running_loop()
        started = loop.time()
        await alive(bystander)
        assert loop.time() - started < 1.0
        for client in clients:
            await client.close()
        await until(lambda: len(rig.door.sessions) == 1, what="the flood to go")
        await alive(await rig.admin())


async def test_flood_of_pipelined_requests_gets_every_reply_and_others_go_on(rig: Rig) -> None:
    bystander = await rig.admin()
    client = await rig.admin()
    thing_id = str(auto_thing(rig))
    int_state = str(state_id(AUTO_MOCK, "int"))
    requests: list[bytes] = []
    for n in range(1, 2001):
        request_id = 10_000 + n
        if n % 4 == 0:
            requests.append(request_bytes(request_id, "JSONRPC.Foobar", token=client.token))
        elif n % 4 == 1:
            requests.append(request_bytes(request_id, "JSONRPC.KeepAlive", {"sessionId": str(n)}, client.token))
        elif n % 4 == 2:
            params = {"thingId": thing_id, "stateTypeId": int_state}
            requests.append(request_bytes(request_id, "Integrations.GetStateValue", params, client.token))
        else:
            requests.append(request_bytes(request_id, "Integrations.GetThings", {"thingId": 5}, client.token))
    futures = {10_000 + n: client.expect(10_000 + n) for n in range(1, 2001)}
    flood = asyncio.ensure_future(client.send_raw(b"\n".join(requests) + b"\n"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await alive(bystander)
    assert loop.time() - started < 2.0
    await flood
    replies = await asyncio.wait_for(asyncio.gather(*futures.values()), 20)
    for n, reply in enumerate(replies, start=1):
        assert reply["id"] == 10_000 + n
        if n % 4 == 0:
            assert reply == {"id": reply["id"], "status": "error", "error": "No such method"}
        elif n % 4 == 1:
            assert reply["params"] == {"success": True, "sessionId": str(n)}
        elif n % 4 == 2:
            assert reply["params"] == {"thingError": NO_ERROR, "value": 10}
        else:
            assert reply["status"] == "error" and reply["error"].startswith("Invalid params: ")
    await alive(client)
    await alive(bystander)


async def test_client_that_stops_reading_is_dropped_and_others_are_served(rig: Rig) -> None:
    admin = await rig.admin()
    thing_id = await add_mock(rig, 6020)
    int_state = state_id(MOCK, "intWithLimits")
    token = await rig.security.create_token(ADMIN, "slow reader")

    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server notices sooner
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, ("127.0.0.1", rig.tcp_port))
        await loop.sock_sendall(
            sock,
            request_bytes(1, "JSONRPC.Hello", token=token)
            + b"\n"
            + request_bytes(2, "JSONRPC.SetNotificationStatus", {"namespaces": ["Integrations"]}, token)
            + b"\n",
        )
        received = b""
        while received.count(b"\n") < 2:
            received += await asyncio.wait_for(loop.sock_recv(sock, 65536), 5)
        assert all(json.loads(line)["status"] == "success" for line in received.splitlines())
        slow = next(s for s in rig.door.sessions.values() if s.token == token)
        sessions_before = len(rig.door.sessions)

        # From now on the socket is never read again.
        for n in range(400_000):
            rig.hub.set_state(thing_id, int_state, 1 + n % 2)
            if n % 250 == 0:
                await asyncio.sleep(0)
                if slow.closed:
                    break
        assert slow.closed, "the server kept buffering for a client that does not read"
        assert str(MAX_WRITE_BUFFER) in slow.close_reason

        started = loop.time()
        await alive(admin)
        assert loop.time() - started < 1.0
        await until(lambda: slow.id not in rig.door.sessions, what="the slow session to go")
        assert len(rig.door.sessions) == sessions_before - 1
    finally:
        sock.close()
