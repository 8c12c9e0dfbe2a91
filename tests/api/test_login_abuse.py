"""Logins under attack, through the composition root: concurrent guesses, and secrets kept out of the log.

Issue 11, findings 3, 4 and 13.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from tests.api.ezlo.rig import EzloClient
from tests.api.jsonrpc.rig import RpcClient
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.guard import ListenerLimits
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.api.thinknx.key import KeyState, new_key, save_key
from thinggate.api.thinknx.settings import ThinknxConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.server import Server, start_server

USER, PASSWORD = "owner", "Secret123x"
OTHER, OTHER_PASSWORD = "guest", "Guest123x"


class CountingHasher(PasswordHasher):
    """Cheap argon2 that records how many checks ran at once (at most)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.checks = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.running += 1
            self.checks += 1
            self.most = max(self.most, self.running)
        try:
            threading.Event().wait(0.005)  # long enough for concurrent checks to overlap
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
async def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hasher: CountingHasher) -> AsyncIterator[Server]:
    # The composition root makes its own SecurityManager: give it the counting hasher.
    import thinggate.core.security as security_module

    original = security_module.SecurityManager.__init__

    def with_hasher(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["hasher"] = hasher
        original(self, *args, **kwargs)

    monkeypatch.setattr(security_module.SecurityManager, "__init__", with_hasher)
    config = Config(
        data_dir=tmp_path,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=0, thinknx=0, http=None),
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=False, zeroconf=False, lockdown_seconds=0.01),
            "ezlo": EzloConfig(tls=False, insecure_access=True),
            "thinknx": ThinknxConfig(tls=False, rate_limit=""),
        },
        virtual=VirtualConfig(auto_things=False),
        # Room for a hundred connections from one address: the login limiter is what is tested here.
        limits=ListenerLimits(unauthenticated_per_address=200),
    )
    running = await start_server(config)
    await running.security.create_user(USER, PASSWORD)
    await running.security.create_user(OTHER, OTHER_PASSWORD)
    try:
        yield running
    finally:
        await running.stop()


# -------------------------------------------------------------------- finding 3: concurrent guesses


async def test_concurrent_jsonrpc_guesses_do_not_get_past_the_lockout(hub: Server, hasher: CountingHasher) -> None:
    assert hub.doors["jsonrpc"] is not None and hub.doors["jsonrpc"].tcp_port is not None
    clients = [await RpcClient.tcp(hub.doors["jsonrpc"].tcp_port) for _ in range(100)]
    try:
        for client in clients:
            await client.hello()
        hasher.most = hasher.checks = 0

        async def authenticate(number: int) -> bool:
            password = PASSWORD if number == 99 else f"wrong-{number}"
            reply = await clients[number].request(
                "JSONRPC.Authenticate", {"username": USER, "password": password, "deviceName": "flood"}
            )
            return bool(reply.get("params", {}).get("success"))

        results = await asyncio.gather(*[authenticate(number) for number in range(100)], return_exceptions=True)
        # 99 wrong, the right one last: it comes after the lockout and fails too.
        assert results[99] is False
        assert all(result is False or isinstance(result, Exception) for result in results)
        assert hasher.most == 1  # one argon2 check at a time
        assert hasher.checks <= 5  # the lockout stops the checks, not only the answers
    finally:
        for client in clients:
            await client.close()


async def test_concurrent_thinknx_guesses_do_not_get_past_the_lockout(hub: Server, hasher: CountingHasher) -> None:
    assert hub.doors["thinknx"] is not None
    hasher.most = hasher.checks = 0
    url = f"http://127.0.0.1:{hub.doors['thinknx'].port}/api/V1/system/serverStatus"
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=30) as rest:

        async def guess(number: int) -> int:
            password = PASSWORD if number == 99 else f"wrong-{number}"
            return (await rest.get(url, auth=(USER, password))).status_code

        statuses = await asyncio.gather(*[guess(number) for number in range(100)])
    assert statuses[99] == 429  # the right password, after the lockout: no way in
    assert 200 not in statuses
    assert statuses.count(403) == 4  # four failures answered 403, the fifth locks the address out
    assert hasher.most == 1
    assert hasher.checks <= 5


async def test_a_good_login_does_not_reset_the_address_failures(hub: Server) -> None:
    # Finding 13: with any account, an attacker logged in between guesses to reset the lockout.
    assert hub.doors["jsonrpc"] is not None and hub.doors["jsonrpc"].tcp_port is not None
    outcomes = []
    for attempt in range(8):
        client = await RpcClient.tcp(hub.doors["jsonrpc"].tcp_port)
        try:
            await client.hello()
            if attempt % 2:
                reply = await client.request(
                    "JSONRPC.Authenticate", {"username": OTHER, "password": OTHER_PASSWORD, "deviceName": "own"}
                )
            else:
                reply = await client.request(
                    "JSONRPC.Authenticate", {"username": USER, "password": f"guess-{attempt}", "deviceName": "x"}
                )
            outcomes.append(reply.get("params", {}).get("success"))
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            outcomes.append(None)
        finally:
            await client.close()
        await asyncio.sleep(0.02)  # past the door's short lockdown between connections
    # Guesses 0, 2, 4, 6 and 8 would be five failures: the limiter counted them despite the good logins.
    assert hub.doors["jsonrpc"].door.limiter.check("127.0.0.1") == 0  # four failures so far
    client = await RpcClient.tcp(hub.doors["jsonrpc"].tcp_port)
    try:
        await client.hello()
        reply = await client.request(
            "JSONRPC.Authenticate", {"username": USER, "password": "guess-last", "deviceName": "x"}
        )
        assert reply["params"]["success"] is False
    finally:
        await client.close()
    assert hub.doors["jsonrpc"].door.limiter.check("127.0.0.1") > 0


# -------------------------------------------------------------------- finding 4: secrets in the log


async def test_no_credential_token_or_key_reaches_the_log(hub: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert hub.doors["jsonrpc"] is not None and hub.doors["jsonrpc"].tcp_port is not None
    assert hub.doors["ezlo"] is not None and hub.doors["thinknx"] is not None
    token = await hub.security.create_token(USER, "log test")
    secrets = [PASSWORD, token, "WrongPass987", base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()]
    base = f"http://127.0.0.1:{hub.doors['thinknx'].port}"
    async with httpx.AsyncClient(timeout=10) as rest:
        await rest.get(f"{base}/api/V1/system/serverStatus?user={USER}&pass={PASSWORD}")
        await rest.get(f"{base}/api/V1/system/serverStatus?user={USER}&pass=WrongPass987")
        await rest.get(f"{base}/api/V1/system/serverStatus", auth=(USER, PASSWORD))
        await rest.get(f"{base}/api/V1/nosuchcontroller?user={USER}&pass={PASSWORD}")
        await rest.post(f"{base}/api/V1/system/serverStatus", data={"user": USER, "pass": PASSWORD})
        wrong_key = "CloudKey" + "x" * 30
        cloud_key = new_key()
        await save_key(hub.store, KeyState.of(cloud_key, enabled=True))
        await hub.doors["thinknx"].authenticator.key.load()
        secrets.extend([wrong_key, cloud_key])
        await rest.get(f"{base}/{wrong_key}/api/V1/system/serverStatus")
        answer = await rest.get(f"{base}/{cloud_key}/api/V1/system/serverStatus")
        assert answer.status_code == 200, answer.text
        await rest.get(f"{base}/{cloud_key}/api/V1/power?guid=nothing&cmd=1")
    # A request aiohttp cannot parse, carrying a password in its query.
    reader, writer = await asyncio.open_connection("127.0.0.1", hub.doors["thinknx"].port)
    writer.write(f"GET /api/V1/power?user={USER}&pass={PASSWORD} HTTP/1.1\r\nBad Header: x\r\n\r\n".encode())
    await asyncio.wait_for(reader.read(), 5)
    writer.close()
    rpc = await RpcClient.tcp(hub.doors["jsonrpc"].tcp_port)
    try:
        await rpc.hello()
        await rpc.request("JSONRPC.Authenticate", {"username": USER, "password": "WrongPass987", "deviceName": "d"})
        await rpc.request("JSONRPC.Authenticate", {"username": USER, "password": PASSWORD, "deviceName": "d"})
    finally:
        await rpc.close()
    rpc = await RpcClient.tcp(hub.doors["jsonrpc"].tcp_port)
    try:
        await rpc.send_raw(json.dumps({"id": 1, "method": "JSONRPC.Hello", "token": token}) + "\n")
        await asyncio.sleep(0.1)
    finally:
        await rpc.close()
    ezlo = await EzloClient.connect(f"ws://127.0.0.1:{hub.doors['ezlo'].port}")
    try:
        await ezlo.call("hub.offline.login.ui", {"user": USER, "token": "WrongPass987"})
        await ezlo.call("hub.offline.login.ui", {"user": USER, "token": token})
    finally:
        await ezlo.close()
    # The hub's lines only: the test's own HTTP client logs the URLs it asks for.
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert "aiohttp" in logged or "thinggate" in logged, "nothing was logged: the test would prove nothing"
    for secret in secrets:
        assert secret not in logged, f"{secret[:6]}... is in the log"
