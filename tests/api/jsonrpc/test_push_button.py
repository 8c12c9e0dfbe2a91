"""Push-button authentication: the owner sees who waits and grants one; nobody can take their place.

The attack tests run the hub in this process (`start_server`, JSON-RPC over TCP on a free port)
and the real `thinggate pushbutton` as a process; the attacker connects from 127.0.0.2, the owner
from 127.0.0.1. The rate limit and the bound are also checked on PushButtonAuth itself, with a
clock the test moves. nymea's flow itself (reference/nymea-jsonrpc.md §6.16) is checked last,
on the door alone (the `rig` fixture).
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.jsonrpc.protocol import IMPLEMENTED, INVALID_TOKEN, NO_ERROR, until
from tests.api.jsonrpc.rig import ADMIN, ADMIN_PASSWORD, Rig, RpcClient, jsonrpc_rig
from tests.command import ROOT, thinggate
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.jsonrpc.pushbutton import PushButtonAuth
from thinggate.api.jsonrpc.session import Session
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.control_socket import send_command, socket_path
from thinggate.core.events import EventBus
from thinggate.core.security import SecurityManager
from thinggate.server import Server, start_server

OWNER_ADDRESS = "127.0.0.1"
ATTACKER_ADDRESS = "127.0.0.2"
REFUSED = {"success": False, "transactionId": -1}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    config = Config(
        data_dir=tmp_path,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=None, thinknx=None, http=None),
        # An interval far longer than the test: every second ask of an address falls inside it.
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=False, zeroconf=False, push_button_interval=3600.0),
            "ezlo": EzloConfig(tls=False),
        },
        virtual=VirtualConfig(auto_things=False),
    )
    running = await start_server(config)
    await running.security.create_user("alice", "Secret123")
    try:
        yield running
    finally:
        await running.stop()


async def connect(server: Server, address: str) -> RpcClient:
    assert server.doors["jsonrpc"] is not None and server.doors["jsonrpc"].tcp_port is not None
    client = await RpcClient.tcp(server.doors["jsonrpc"].tcp_port, local_address=address)
    await client.hello()
    return client


async def ask(client: RpcClient, device_name: str) -> dict[str, Any]:
    return await client.call("JSONRPC.RequestPushButtonAuth", {"deviceName": device_name})


async def waiting(data_dir: Path) -> list[dict[str, Any]]:
    """What the control socket lists (the command line's view)."""
    answer = json.loads(await send_command(socket_path(data_dir), "pushbutton list"))
    listed: list[dict[str, Any]] = answer["waiting"]
    return listed


async def button(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`thinggate pushbutton ARGS` with no terminal (in a thread: the hub in this loop answers it)."""
    return await asyncio.to_thread(thinggate, "pushbutton", *args, data_dir=data_dir)


def button_in_terminal(data_dir: Path, typed: str) -> subprocess.CompletedProcess[str]:
    """`thinggate pushbutton` with a terminal as its input, where a person types `typed`."""
    primary, secondary = pty.openpty()
    try:
        os.write(primary, typed.encode())
        return subprocess.run(
            [sys.executable, "-m", "thinggate.cli", "pushbutton", "--data-dir", str(data_dir)],
            stdin=secondary,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=data_dir,
            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
        )
    finally:
        os.close(primary)
        os.close(secondary)


async def test_a_client_asking_over_and_over_cannot_take_the_owners_place(server: Server, tmp_path: Path) -> None:
    owner = await connect(server, OWNER_ADDRESS)
    attacker = await connect(server, ATTACKER_ADDRESS)
    try:
        first = await ask(attacker, "Living room tablet")
        assert first["success"] is True
        owned = await ask(owner, "Living room tablet")
        assert owned["success"] is True
        owner_id = owned["transactionId"]

        # Every few milliseconds, on this connection and on fresh ones: all refused.
        answers = []
        for _ in range(40):
            answers.append(await ask(attacker, "Living room tablet"))
            await asyncio.sleep(0.002)
        for _ in range(3):
            fresh = await connect(server, ATTACKER_ADDRESS)
            answers.append(await ask(fresh, "Living room tablet"))
            await fresh.close()
        assert answers == [REFUSED] * len(answers)
        await owner.no_notification(0.1)  # the owner's request was not cancelled

        listed = await waiting(tmp_path)
        assert [(r["transactionId"], r["address"]) for r in listed] == [
            (first["transactionId"], ATTACKER_ADDRESS),
            (owner_id, OWNER_ADDRESS),
        ]
        shown = await button(data_dir=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert ATTACKER_ADDRESS in shown.stdout and OWNER_ADDRESS in shown.stdout
        assert "granted" not in shown.stdout  # no terminal and no --grant: it only lists

        pressed = await button("--grant", str(owner_id), data_dir=tmp_path)
        assert pressed.returncode == 0, pressed.stderr
        assert f"granted transaction {owner_id} to {OWNER_ADDRESS}" in pressed.stdout
        finished = await owner.notification("JSONRPC.PushButtonAuthFinished")
        assert finished["success"] is True and finished["transactionId"] == owner_id
        owner.token = finished["token"]
        assert (await owner.hello())["authenticated"] is True
        assert "things" in await owner.call("Integrations.GetThings")

        # The attacker got nothing, and is still only waiting.
        await attacker.no_notification(0.1)
        assert [r["address"] for r in await waiting(tmp_path)] == [ATTACKER_ADDRESS]
        assert [token.device_name for token in server.security.tokens("alice")] == ["Living room tablet"]
        again = await button("--grant", str(owner_id), data_dir=tmp_path)
        assert again.returncode == 1 and "no request with transaction id" in again.stderr
    finally:
        await owner.close()
        await attacker.close()


async def test_the_button_in_a_terminal_asks_which_to_grant(server: Server, tmp_path: Path) -> None:
    owner = await connect(server, OWNER_ADDRESS)
    other = await connect(server, ATTACKER_ADDRESS)
    try:
        other_id = (await ask(other, "unknown\x1b[2Jdevice"))["transactionId"]
        owner_id = (await ask(owner, "Kitchen phone"))["transactionId"]

        declined = await asyncio.to_thread(button_in_terminal, tmp_path, "\n")
        assert declined.returncode == 0, declined.stderr
        assert "nothing granted" in declined.stdout
        assert "\x1b[2J" not in declined.stdout  # a device name cannot steer the terminal
        assert len(await waiting(tmp_path)) == 2

        chosen = await asyncio.to_thread(button_in_terminal, tmp_path, "2\n")  # rows are in order of asking
        assert chosen.returncode == 0, chosen.stderr
        assert f"granted transaction {owner_id} to {OWNER_ADDRESS} (Kitchen phone)" in chosen.stdout
        finished = await owner.notification("JSONRPC.PushButtonAuthFinished")
        assert finished["success"] is True and finished["token"]
        await other.no_notification(0.1)
        assert [r["transactionId"] for r in await waiting(tmp_path)] == [other_id]
    finally:
        await owner.close()
        await other.close()


async def test_an_address_that_asked_moments_ago_is_refused_and_disturbs_nobody(tmp_path: Path) -> None:
    async with jsonrpc_rig(tmp_path, push_button_interval=3600.0) as rig:
        await rig.ensure_admin()
        first = await rig.connect()
        await first.hello()
        first_id = (await ask(first, "first"))["transactionId"]
        second = await rig.connect()  # the same address, another connection
        await second.hello()
        assert await ask(second, "second") == REFUSED
        assert await ask(first, "first again") == REFUSED  # its own request stays as it was
        await first.no_notification(0.1)
        elsewhere = await rig.connect(local_address=ATTACKER_ADDRESS)
        await elsewhere.hello()
        assert (await ask(elsewhere, "elsewhere"))["success"] is True
        assert [(r.device_name, r.address) for r in rig.door.push_button.waiting()] == [
            ("first", "127.0.0.1"),
            ("elsewhere", ATTACKER_ADDRESS),
        ]

        await rig.door.push_button.grant(first_id)
        finished = await first.notification("JSONRPC.PushButtonAuthFinished")
        assert finished["success"] is True and finished["transactionId"] == first_id
        assert len(rig.security.tokens(ADMIN)) == 1


def _session(number: int, address: str) -> Session:
    return Session(
        id=number,
        peer=address,
        transport_name="tcp",
        authentication_required=True,
        write=lambda messages: None,
        buffered=lambda: 0,
        shutdown=lambda graceful: None,
    )


async def test_the_rate_limit_ends_after_the_interval_and_the_waiting_list_is_bounded(tmp_path: Path) -> None:
    from thinggate.storage import open_store

    store = await open_store(None, tmp_path)
    try:
        now = [1000.0]
        told: list[tuple[int, bool, int]] = []
        push_button = PushButtonAuth(
            SecurityManager(store, bus=EventBus()),
            lambda session, success, transaction_id, token: told.append((session.id, success, transaction_id)),
            interval=5.0,
            max_waiting=2,
            clock=lambda: now[0],
        )
        one, two, three = _session(1, "10.0.0.1"), _session(2, "10.0.0.2"), _session(3, "10.0.0.3")
        first = push_button.request(one, "one")
        assert first is not None
        now[0] += 4.0
        assert push_button.request(one, "one again") is None  # 4 s after its last ask
        now[0] += 4.0
        assert push_button.request(one, "one again") is None  # that refused ask counted too
        now[0] += 5.0
        replaced = push_button.request(one, "one again")
        assert replaced is not None and replaced != first
        assert told == [(1, False, first)]  # its own earlier request ended
        assert push_button.request(two, "two") is not None
        assert push_button.request(three, "three") is None  # two are waiting: full
        assert [r.device_name for r in push_button.waiting()] == ["one again", "two"]
        now[0] += 5.0
        assert push_button.request(two, "two again") is not None  # replacing its own fits
        push_button.forget(one)
        now[0] += 5.0
        assert push_button.request(three, "three") is not None
        assert [r.device_name for r in push_button.waiting()] == ["two again", "three"]
        assert push_button.request(_session(4, "10.0.0.4"), "x" * 1000) is None  # full again
        now[0] += 5.0
        push_button.forget(three)
        long_name = push_button.request(_session(5, "10.0.0.5"), "x" * 1000)
        assert long_name is not None
        assert [len(r.device_name) for r in push_button.waiting()][-1] == 256
    finally:
        await store.close()


# ---------------------------------------------------------------- nymea's push-button flow (§6.16)


async def test_push_button_auth_gives_the_requester_a_token(rig: Rig) -> None:
    await rig.ensure_admin()
    other = await rig.admin()
    await other.notify(*IMPLEMENTED)
    client = await rig.connect()
    await client.hello()
    requested = await client.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "pb client"})
    assert requested["success"] is True
    transaction_id = requested["transactionId"]
    assert isinstance(transaction_id, int) and not isinstance(transaction_id, bool)

    assert [r.transaction_id for r in rig.door.push_button.waiting()] == [transaction_id]
    await rig.door.push_button.grant(transaction_id)
    # To the requester, although it never turned notifications on.
    finished = await client.notification("JSONRPC.PushButtonAuthFinished")
    assert finished["success"] is True
    assert finished["transactionId"] == transaction_id
    assert isinstance(finished["token"], str) and finished["token"]
    await other.no_notification(0.2)

    # The connection now acts with the new token.
    client.token = finished["token"]
    assert (await client.call("Integrations.GetThings"))["thingError"] == NO_ERROR
    fresh = await rig.connect()
    fresh.token = finished["token"]
    assert (await fresh.hello())["authenticated"] is True


async def test_a_second_push_button_request_waits_beside_the_first(rig: Rig) -> None:
    await rig.ensure_admin()
    first = await rig.connect()
    await first.hello()
    second = await rig.connect("ws")
    await second.hello()
    first_id = (await first.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "one"}))["transactionId"]
    second_id = (await second.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "two"}))["transactionId"]
    assert first_id != second_id
    # Unlike nymea, the second request does not cancel the first: the owner chooses.
    assert [(r.transaction_id, r.device_name) for r in rig.door.push_button.waiting()] == [
        (first_id, "one"),
        (second_id, "two"),
    ]
    await first.no_notification(0.1)

    await rig.door.push_button.grant(second_id)
    finished = await second.notification("JSONRPC.PushButtonAuthFinished")
    assert finished["success"] is True and finished["transactionId"] == second_id
    assert finished["token"]
    await first.no_notification(0.1)
    assert [r.transaction_id for r in rig.door.push_button.waiting()] == [first_id]


async def test_asking_again_replaces_the_connections_own_request(rig: Rig) -> None:
    await rig.ensure_admin()
    client = await rig.connect()
    await client.hello()
    old_id = (await client.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "old"}))["transactionId"]
    new_id = (await client.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "new"}))["transactionId"]
    ended = await client.notification("JSONRPC.PushButtonAuthFinished")
    assert ended == {"success": False, "transactionId": old_id}
    assert [(r.transaction_id, r.device_name) for r in rig.door.push_button.waiting()] == [(new_id, "new")]
    with pytest.raises(LookupError):
        await rig.door.push_button.grant(old_id)
    await rig.door.push_button.grant(new_id)
    finished = await client.notification("JSONRPC.PushButtonAuthFinished")
    assert finished["success"] is True and finished["transactionId"] == new_id


async def test_push_button_request_of_a_disconnected_client_is_cancelled(rig: Rig) -> None:
    await rig.ensure_admin()
    watcher = await rig.admin()
    await watcher.notify(*IMPLEMENTED)
    leaving = await rig.connect()
    await leaving.hello()
    left_id = (await leaving.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "leaving"}))["transactionId"]
    await leaving.close()
    await until(lambda: len(rig.door.sessions) == 1, what="the leaving session to go")
    assert rig.door.push_button.waiting() == []
    with pytest.raises(LookupError):
        await rig.door.push_button.grant(left_id)
    await watcher.no_notification(0.2)
    tokens_before = len(rig.security.tokens(ADMIN))

    staying = await rig.connect()
    await staying.hello()
    transaction_id = (await staying.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "s"}))["transactionId"]
    await rig.door.push_button.grant(transaction_id)
    finished = await staying.notification("JSONRPC.PushButtonAuthFinished")
    assert finished["success"] is True and finished["transactionId"] == transaction_id
    assert len(rig.security.tokens(ADMIN)) == tokens_before + 1


async def test_push_button_during_initial_setup_creates_the_user(rig: Rig) -> None:
    client = await rig.connect()
    assert (await client.hello())["initialSetupRequired"] is True
    transaction_id = (await client.call("JSONRPC.RequestPushButtonAuth", {"deviceName": "setup"}))["transactionId"]
    await rig.door.push_button.grant(transaction_id)
    finished = await client.notification("JSONRPC.PushButtonAuthFinished")
    assert finished["success"] is True and finished["transactionId"] == transaction_id
    assert rig.security.has_users

    client.token = finished["token"]
    hello = await client.hello()
    assert hello["initialSetupRequired"] is False
    assert hello["authenticated"] is True
    assert "PermissionScopeAdmin" in hello["permissionScopes"]
    assert (await client.call("Integrations.GetThings"))["thingError"] == NO_ERROR

    late = await rig.connect()
    await late.hello()
    reply = await late.request("JSONRPC.CreateUser", {"username": "Dummy", "password": ADMIN_PASSWORD})
    assert reply == {"id": reply["id"], "status": "unauthorized", "error": INVALID_TOKEN}
    await late.wait_closed()
