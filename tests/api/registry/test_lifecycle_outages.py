"""No lifecycle event is lost, and none comes out of order, when the broker or the hub goes away mid-stream.

The broker is a real Mosquitto with persistence (killed with SIGKILL and started again on its
port); the receiver is `mosquitto_sub` with a persistent session; the hub is a real one: in this
process for the broker's outage, a `thinggate serve` process killed with SIGKILL for its own.
Receivers drop repeats by id, so repeats are allowed, with the same id; after dropping them the
events must be exactly the 1,000 creates, in the order they were made.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.api.registry.rig import ADMIN, PASSWORD, STACK, Client, registry_rig
from tests.api.registry.subscriber import LifecycleSubscriber, Received, first_seen
from tests.command import ROOT, thinggate
from tests.mosquitto import MosquittoServer, start_mosquitto
from tests.peers import free_port
from thinggate.mqtt.settings import MqttConfig

CREATES = 1000


@pytest.fixture
async def persistent_broker(tmp_path: Path) -> AsyncIterator[MosquittoServer]:
    server = start_mosquitto(tmp_path / "mosquitto", persistent=True)
    try:
        yield server
    finally:
        server.stop()


async def session_subscriber(broker: MosquittoServer, name: str) -> LifecycleSubscriber:
    """mosquitto_sub with a persistent session, once the broker has saved that session (it survives a SIGKILL)."""
    subscriber = LifecycleSubscriber(broker.port, session=name)
    subscribed = time.time()
    await subscriber.start()
    database = broker.directory / "mosquitto.db"
    # The broker saves its state every second (autosave_interval 1): wait for a save after the subscription.
    await asyncio.to_thread(_wait_for_save, database, subscribed)
    return subscriber


def _wait_for_save(database: Path, after: float) -> None:
    while not (database.exists() and database.stat().st_mtime > after):
        time.sleep(0.05)


def assert_all_in_order(received: list[Received], names: list[str]) -> None:
    """After dropping repeats, exactly the creates, in order; every repeat is a byte-for-byte copy."""
    kept = first_seen(received)
    assert [message.event["source"]["thingType"] for message in kept] == names
    assert all(message.event["type"] == "THING_TYPE.CREATE" for message in kept)
    assert all(message.topic == "lifecycle/THING_TYPE/CREATE" for message in kept)
    by_id = {message.event["id"]: message.event for message in kept}
    assert all(by_id[message.event["id"]] == message.event for message in received)


def create_body(name: str) -> dict[str, str]:
    return {"id": name, "label": name, "domain": "root"}


async def test_the_broker_killed_during_1000_creates_loses_no_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, persistent_broker: MosquittoServer
) -> None:
    subscriber = await session_subscriber(persistent_broker, "lifecycle-broker-outage")
    mqtt = MqttConfig(url=persistent_broker.url, reconnect_seconds=0.1)
    names = [f"type-{number:04d}" for number in range(CREATES)]
    try:
        async with registry_rig(tmp_path / "hub", monkeypatch, mqtt=mqtt) as rig:
            admin = await rig.logged_in(ADMIN)
            for number, name in enumerate(names):
                if number == 300:
                    persistent_broker.kill()
                if number == 700:
                    persistent_broker.start()  # the same port and persistence directory
                answer = await admin.post("/thingtypes", create_body(name))
                assert answer.status_code == 200, answer.text
            received = await subscriber.until(await all_ids(admin))
            assert_all_in_order(received, names)
            publisher = rig.door.publisher
            assert publisher is not None and publisher.connected
            # The receiver may have the last event before the publisher has marked it: the mark follows.
            async with asyncio.timeout(60):
                for _ in itertools.count():
                    if not await rig.server.store.pending_events(10):
                        break
                    await asyncio.sleep(0.05)
    finally:
        await subscriber.stop()


async def all_ids(client: Client) -> set[str]:
    """The ids of every event the hub holds (as /events finds them)."""
    ids: set[str] = set()
    offset = 0
    while True:
        answer = await client.get("/events", params={"from": offset, "size": 1000})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        ids.update(event["id"] for event in page["events"])
        offset += len(page["events"])
        if offset >= page["total"] or not page["events"]:
            return ids


# -- the hub killed --------------------------------------------------------------------------------


HUB_CONFIG = """
bind = "127.0.0.1"

[ports]
jsonrpc_tcp = 0
jsonrpc_ws = 0
ezlo = 0
thinknx = 0
http = {http}

[jsonrpc]
tcp_tls = false
ws_tls = false
zeroconf = false

[ezlo]
tls = false
zeroconf = false

[thinknx]
tls = false

[virtual]
enabled = false

[mqtt]
url = "{broker}"
reconnect_seconds = 0.1
"""


class ServeProcess:
    """`thinggate serve` as a process of its own, killed as a power cut kills it."""

    def __init__(self, data_dir: Path, config: Path) -> None:
        self.data_dir = data_dir
        self.config = config
        self.process: asyncio.subprocess.Process | None = None
        self.output: list[str] = []

    async def start(self) -> None:
        """Start it and wait until it says it is up."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "thinggate.cli",
            "serve",
            "--config",
            str(self.config),
            "--data-dir",
            str(self.data_dir),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.data_dir,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self.process.stderr is not None
        async with asyncio.timeout(120):
            while True:
                line = (await self.process.stderr.readline()).decode(errors="replace")
                assert line, "thinggate serve exited:\n" + "".join(self.output)
                self.output.append(line)
                if "thinggate is up" in line:
                    break
        # Keep reading its log, so that a full pipe never stalls it.
        asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.output.append(line.decode(errors="replace"))

    async def kill(self) -> None:
        """SIGKILL: no chance to publish, flush or close anything."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert await self.process.wait() == -signal.SIGKILL

    async def stop(self) -> None:
        """SIGTERM, and wait."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await self.process.wait()


async def registry_client(base: str) -> Client:
    """A logged-in admin client of the hub at `base`, with the API key the hub publishes."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        answer = await http.get(f"/{STACK}/metadata/manifest")
        assert answer.status_code == 200, answer.text
        key = answer.json()["ApiKey"]
    client = Client(base, key)
    await client.login(ADMIN, PASSWORD)
    return client


async def test_the_hub_killed_mid_stream_publishes_all_1000_events_in_order_after_restart(
    tmp_path: Path, persistent_broker: MosquittoServer
) -> None:
    data_dir = tmp_path / "hub"
    data_dir.mkdir()
    added = await asyncio.to_thread(thinggate, "user", "add", ADMIN, "--password", PASSWORD, data_dir=data_dir)
    assert added.returncode == 0, added.stderr
    http = free_port()
    config = tmp_path / "thinggate.toml"
    config.write_text(HUB_CONFIG.format(http=http, broker=persistent_broker.url))
    base = f"http://127.0.0.1:{http}"
    subscriber = await session_subscriber(persistent_broker, "lifecycle-hub-killed")
    hub = ServeProcess(data_dir, config)
    names = [f"type-{number:04d}" for number in range(CREATES)]
    client: Client | None = None
    try:
        await hub.start()
        client = await registry_client(base)
        for number, name in enumerate(names):
            if number == 400:
                # The broker goes away first, so that events are waiting in the outbox when the hub is killed.
                persistent_broker.stop()
            if number == 600:
                # Killed while a create is in flight: it may or may not have been committed.
                in_flight = asyncio.create_task(client.post("/thingtypes", create_body(name)))
                await asyncio.sleep(0)
                await hub.kill()
                with contextlib.suppress(httpx.TransportError):  # cut off, most likely; or answered just before
                    await in_flight
                await client.close()
                persistent_broker.start()
                await hub.start()
                client = await registry_client(base)
            answer = await client.post("/thingtypes", create_body(name))
            # A create the kill cut off may have been committed: it is there, with its event.
            assert answer.status_code == 200 or (
                number == 600 and answer.json()["messageKey"] == "THING_TYPE_ID_EXISTS"
            )
        ids = await all_ids(client)
        assert len(ids) == CREATES  # one event per create, the one cut off included
        received = await subscriber.until(ids)
        assert_all_in_order(received, names)
    finally:
        if client is not None:
            await client.close()
        await hub.stop()
        await subscriber.stop()
