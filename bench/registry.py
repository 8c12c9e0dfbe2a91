"""Registry door benchmarks, one section each, every figure beside a baseline measured in the same run.

Sections (run some with `--only NAME[,NAME]`; a new one is a function registered with `@section`):

  lifecycle  Lifecycle events per second from commit to `mosquitto_sub`: a backlog of committed events
             (thing types created with their events in the outbox) published by the hub's publisher,
             beside a bare aiomqtt loop publishing the same messages (same topics, same bytes, QoS 1,
             the same batches of 200) through the same Mosquitto to the same `mosquitto_sub`.
  creates    Thing-type creates per second through the REST API (durable: each committed, with its
             lifecycle event, on SQLite with synchronous=FULL before the answer), one at a time and 16
             in flight, beside a bare committed INSERT of a same-size row per transaction (sqlite3, WAL,
             synchronous=FULL) in the same run.
  mqtt-latency  An MQTT thing's report to the JSON-RPC `Integrations.StateChanged` it causes: a device
             (an aiomqtt client in this process) publishes `{"state": {"reported": {"power": ...}}}` QoS 1
             on `thing-update/<thingName>` to the run's Mosquitto; the hub (registry door, plain JSON-RPC,
             SQLite, `[mqtt] url` at that broker) runs in a child process; each report is timed from the
             publish call to the StateChanged on a logged-in JSON-RPC connection. Baseline: a bare aiomqtt
             publish -> receive round trip through the same broker, same QoS and payload size, in
             alternating blocks. p50, p99 (goal < 5 ms) and max over `--reports` reports.
  list       `GET /<stack>/thingtypes` requests per second, one at a time and 16 in flight over keep-alive
             connections, with 10,000 thing types and 100,000 things spread over them (written in bulk
             to the hub's store before it starts; `--quick`: 100 and 1,000), beside a bare aiohttp
             handler in a child process of its own answering the same list: the hub's answer fetched
             once, decoded, and encoded per request by msgspec (checked to be the same bytes).
             Goal: ratio >= 0.5. The note says how much CPU other processes on the machine took
             during the measured runs (it may be shared; measure again when that is high).

The hubs of `creates` and `list` run in a child process of their own (the load generator is this process); the
publisher of `lifecycle` runs in this process, with the broker and the receiver in processes of
their own. Each figure is the best of `--rounds` alternating runs.

Run: `.venv/bin/python bench/registry.py [--quick] [--only lifecycle,creates,mqtt-latency,list] [--rounds 3]
[--reports 1000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import ROOT, Ready, ServerChild, cpu_seconds, fast_hasher, free_port, new_loop, serve_app, watched

ADMIN = "bench"
PASSWORD = "BenchPW1!"
STACK = "thinggate"
BATCH = 200  # the publisher's batch, and the baseline's
MQTT_USER = ADMIN
THING_NAME = "bench-lamp"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: what was measured, ours, the baseline's, in what unit (higher is better)."""

    what: str
    ours: float
    baseline: float
    unit: str
    note: str = ""


Section = Callable[[argparse.Namespace, Path], Awaitable[list[Row]]]
SECTIONS: dict[str, tuple[str, Section]] = {}
"""Every section by name, in the order they run: a one-line description and the function measuring it."""


def section(name: str, about: str) -> Callable[[Section], Section]:
    """Register a section (the engineer adding one writes a function and puts this above it)."""

    def register(function: Section) -> Section:
        SECTIONS[name] = (about, function)
        return function

    return register


def _figure(value: float) -> str:
    # Rates in whole numbers, latencies in ms with three decimals.
    return f"{value:>10.0f}" if abs(value) >= 100 else f"{value:>10.3f}"


def print_rows(name: str, rows: list[Row]) -> None:
    """A section's rows with the ratio ours / baseline."""
    for row in rows:
        ratio = row.ours / row.baseline if row.baseline else float("nan")
        note = f"  {row.note}" if row.note else ""
        print(
            f"{name:<12} {row.what:<46} {_figure(row.ours)} {_figure(row.baseline)} {row.unit:<10} {ratio:>6.2f}{note}",
            flush=True,
        )


# ------------------------------------------------------------------------------------------------
# Peers: a Mosquitto of the bench's own, mosquitto_sub as the receiver
# ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def mosquitto(directory: Path) -> Any:
    """A broker on a free loopback port (DESIGN.md's recipe), stopped afterwards; yields its port."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        raise SystemExit("Mosquitto is not installed (apt-get install -y mosquitto mosquitto-clients)")
    port = free_port()
    config = directory / "mosquitto.conf"
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", "max_queued_messages 0"]
    config.write_text("\n".join([*lines, *(["user root"] if _is_root() else [])]) + "\n")
    process = subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("mosquitto did not start")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _is_root() -> bool:

    return os.geteuid() == 0


class Receiver:
    """`mosquitto_sub -t 'lifecycle/#' -q 1`: counts messages and notes when the last one came."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        binary = shutil.which("mosquitto_sub")
        if binary is None:
            raise SystemExit("mosquitto_sub is not installed (apt-get install -y mosquitto-clients)")
        self.process = await asyncio.create_subprocess_exec(
            binary, "-h", "127.0.0.1", "-p", str(self.port), "-t", "lifecycle/#", "-q", "1",
            stdout=subprocess.PIPE, limit=1 << 20,
        )  # fmt: skip
        # Subscribed once a probe comes back.
        while True:
            await _publish_probe(self.port)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.3):
                    if (await self._line()) == b"probe":
                        return

    async def _line(self) -> bytes:
        assert self.process is not None and self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise SystemExit("mosquitto_sub exited")
        return line.rstrip(b"\n")

    async def receive(self, count: int) -> tuple[float, list[str]]:
        """The time the `count`-th lifecycle message arrived, and the event ids in the order they came."""
        ids: list[str] = []
        while len(ids) < count:
            line = await self._line()
            if line != b"probe":
                ids.append(json.loads(line)["id"])
        return time.perf_counter(), ids

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def _publish_probe(port: int) -> None:
    binary = shutil.which("mosquitto_pub") or "mosquitto_pub"
    probe = await asyncio.create_subprocess_exec(
        binary, "-h", "127.0.0.1", "-p", str(port), "-t", "lifecycle/probe", "-m", "probe", "-q", "1"
    )
    await probe.wait()


# ------------------------------------------------------------------------------------------------
# lifecycle: events per second from commit to mosquitto_sub
# ------------------------------------------------------------------------------------------------


@section("lifecycle", "lifecycle events/s from commit to mosquitto_sub, beside a bare aiomqtt publish loop")
async def lifecycle(arguments: argparse.Namespace, work: Path) -> list[Row]:
    import aiomqtt
    from sqlalchemy import update

    from thinggate.api.registry.lifecycle import LifecyclePublisher, payload, topic
    from thinggate.core.registry import LifecycleEvents
    from thinggate.core.registry.events import CREATE
    from thinggate.core.security import DomainTree
    from thinggate.core.store import ThingTypeRecord
    from thinggate.mqtt.settings import MqttConfig
    from thinggate.storage import open_store, tables

    count = 500 if arguments.quick else 5000
    store = await open_store(None, work / "lifecycle")
    events = LifecycleEvents(store, DomainTree())
    for number in range(count):  # committed one by one, as the door does
        name = f"type-{number:05d}"
        await store.save_thing_type(ThingTypeRecord(name, "root", name), events.thing_type(CREATE, name, "root"))
    backlog = await store.pending_events(count)
    messages = [(topic(record), payload(record)) for record in backlog]
    wanted = [str(record.id) for record in backlog]

    with mosquitto(work) as port:
        settings = MqttConfig(url=f"mqtt://127.0.0.1:{port}")

        async def ours() -> float:
            async with store.engine.begin() as connection:  # the backlog unpublished again
                await connection.execute(update(tables.outbox).values(published=False))
            receiver = Receiver(port)
            await receiver.start()
            publisher = LifecyclePublisher(store, settings, identifier=f"bench-{uuid.uuid4().hex[:8]}")
            started = time.perf_counter()
            publisher.start()
            finished, ids = await receiver.receive(count)
            await publisher.stop()
            await receiver.stop()
            if ids != wanted:
                raise SystemExit("lifecycle: the events did not arrive in order")
            return count / (finished - started)

        async def bare() -> float:
            receiver = Receiver(port)
            await receiver.start()
            started = time.perf_counter()
            # As the publisher's client: a batch in flight at once, no warning that so many are pending.
            client = aiomqtt.Client(
                "127.0.0.1", port, identifier=f"bare-{uuid.uuid4().hex[:8]}", max_inflight_messages=BATCH
            )
            client.pending_calls_threshold = BATCH + 1
            async with client:
                for start in range(0, count, BATCH):
                    async with asyncio.TaskGroup() as group:
                        for message_topic, message in messages[start : start + BATCH]:
                            group.create_task(client.publish(message_topic, message, qos=1))
                finished, _ = await receiver.receive(count)
            await receiver.stop()
            return count / (finished - started)

        best_ours, best_bare = 0.0, 0.0
        for _ in range(arguments.rounds):
            best_bare = max(best_bare, await bare())
            best_ours = max(best_ours, await ours())
    await store.close()
    return [Row(f"{count} committed events -> mosquitto_sub", best_ours, best_bare, "events/s", "in order")]


# ------------------------------------------------------------------------------------------------
# creates: durable thing-type creates through the REST API
# ------------------------------------------------------------------------------------------------


async def serve_registry_hub(data_dir: str, ready: Ready) -> None:
    """A hub with the registry door only (SQLite, no integration but the generic one), for the load generator."""
    import logging

    import thinggate.core.security.manager as security_module
    from thinggate.api.jsonrpc.settings import JsonRpcConfig
    from thinggate.config import Config, Ports, VirtualConfig
    from thinggate.server import start_server

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    security_module.PasswordHasher = fast_hasher  # type: ignore[assignment, misc]  # one login; nothing measured hashes
    config = Config(
        data_dir=Path(data_dir),
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=None, jsonrpc_ws=None, ezlo=None, thinknx=None, http=0),
        doors={"jsonrpc": JsonRpcConfig(zeroconf=False)},
        virtual=VirtualConfig(enabled=False),
    )
    server = await start_server(config)
    await server.security.create_user(ADMIN, PASSWORD)
    await server.hub.wait_until_set_up()  # things restored in the background would share the measured CPU
    door = await server.doors["registry"].door()  # type: ignore[attr-defined]  # built by a first request otherwise
    gc.freeze()  # as `thinggate serve` does once the hub is up
    assert server.http is not None
    ready.send({"http": server.http.port, "key": door.keys.published})
    await asyncio.Event().wait()


@contextlib.asynccontextmanager
async def registry_client(base: str, key: str) -> AsyncIterator[Any]:
    import httpx

    async with httpx.AsyncClient(base_url=f"{base}/{STACK}", headers={"x-api-key": key}, timeout=60) as client:
        answer = await client.post("/auth/login", json={"userName": ADMIN, "password": PASSWORD})
        answer.raise_for_status()
        client.headers["Authorization"] = answer.json()["credentials"]["token"]
        yield client


def bare_inserts(path: Path, count: int, row_bytes: int) -> float:
    """Rows per second: one INSERT and COMMIT per row, WAL and synchronous=FULL, as the store writes."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS rows (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    body = "x" * row_bytes
    started = time.perf_counter()
    for _ in range(count):
        connection.execute("BEGIN")
        connection.execute("INSERT INTO rows VALUES (?, ?)", (uuid.uuid4().hex, body))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return count / elapsed


@section("creates", "thing-type creates/s through REST (durable), beside a bare committed INSERT")
async def creates(arguments: argparse.Namespace, work: Path) -> list[Row]:
    count = 100 if arguments.quick else 1000
    (work / "hub").mkdir()
    child = ServerChild(serve_registry_hub, str(work / "hub"))
    try:
        started = await asyncio.to_thread(child.ready)
        base = f"http://127.0.0.1:{started['http']}"
        # A thing type row and its outbox row, as stored: about this many bytes together.
        row_bytes = 600
        round_number = 0

        async def ours(in_flight: int) -> float:
            nonlocal round_number
            round_number += 1
            names = [f"r{round_number}-{number:05d}" for number in range(count)]
            async with registry_client(base, started["key"]) as client:
                queue = iter(names)

                async def worker() -> None:
                    for name in queue:
                        answer = await client.post("/thingtypes", json={"id": name, "label": name, "domain": "root"})
                        answer.raise_for_status()

                begun = time.perf_counter()
                async with asyncio.TaskGroup() as group:
                    for _ in range(in_flight):
                        group.create_task(worker())
                return count / (time.perf_counter() - begun)

        best: dict[str, float] = {"seq": 0.0, "16": 0.0, "bare": 0.0}
        for round_index in range(arguments.rounds):
            best["bare"] = max(
                best["bare"], await asyncio.to_thread(bare_inserts, work / f"bare-{round_index}.db", count, row_bytes)
            )
            best["seq"] = max(best["seq"], await ours(1))
            best["16"] = max(best["16"], await ours(16))
    finally:
        child.stop()
    return [
        Row("thing-type creates, one at a time", best["seq"], best["bare"], "creates/s", "bare: INSERT+COMMIT"),
        Row("thing-type creates, 16 in flight", best["16"], best["bare"], "creates/s", "bare: INSERT+COMMIT"),
    ]


# ------------------------------------------------------------------------------------------------
# mqtt-latency: an MQTT report to the JSON-RPC StateChanged it causes
# ------------------------------------------------------------------------------------------------


async def _hub_server(data_dir: Path, broker_port: int, ready: Any) -> None:
    import logging

    import thinggate.core.security.manager as manager
    from thinggate.api.jsonrpc.settings import JsonRpcConfig
    from thinggate.config import Config, Ports, VirtualConfig
    from thinggate.core.security import SYSTEM
    from thinggate.core.store import ThingTypeRecord
    from thinggate.mqtt.settings import MqttConfig
    from thinggate.server import start_server

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    manager.make_hasher = fast_hasher  # the bench logs in once
    config = Config(
        data_dir=data_dir,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=None, thinknx=None, http=0),
        doors={"jsonrpc": JsonRpcConfig(tcp_tls=False, zeroconf=False, lockdown_seconds=0.0)},
        virtual=VirtualConfig(enabled=False),
        mqtt=MqttConfig(url=f"mqtt://127.0.0.1:{broker_port}", reconnect_seconds=0.1),
    )
    server = await start_server(config)
    await server.security.create_user(MQTT_USER, PASSWORD)
    context = server.context
    assert context.thing_types is not None and context.things is not None
    await context.thing_types.create(
        SYSTEM,
        ThingTypeRecord(
            id="bench-lights",
            domain="root",
            label="Bench lights",
            resources=[{"name": "power", "type": "boolean", "isSettable": True}],
        ),
    )
    thing = await context.things.create(SYSTEM, thing_type="bench-lights", domain="root", thing_name=THING_NAME)
    power = thing.thing_class.state_type_named("power")
    connected = thing.thing_class.state_type_named("connected")
    assert power is not None and connected is not None
    # The hub reaches the broker in the background: wait for the thing to say it is connected.
    reached = asyncio.Event()
    unwatch = server.hub.watch_state(thing.id, connected.id, lambda value: reached.set() if value else None)
    if not thing.states[connected.id].value:
        await reached.wait()
    unwatch()
    jsonrpc = server.doors["jsonrpc"]
    ready.send({"jsonrpc": jsonrpc.tcp_port, "thing": str(thing.id), "power": str(power.id)})  # type: ignore[attr-defined]
    await asyncio.Event().wait()


# -- JSON-RPC client -----------------------------------------------------------------------------


class RpcConnection:
    """Newline-delimited JSON-RPC over TCP: replies by id; StateChanged of one state timed on arrival."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, thing: str, state: str) -> None:
        self.reader = reader
        self.writer = writer
        self.thing = thing
        self.state = state
        self.token = ""
        self.replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.changed: asyncio.Queue[tuple[float, Any]] = asyncio.Queue()
        self.next_id = 0
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        while line := await self.reader.readline():
            arrived = time.perf_counter()
            message = json.loads(line)
            if message.get("notification") == "Integrations.StateChanged":
                params = message["params"]
                if params["thingId"] == self.thing and params["stateTypeId"] == self.state:
                    self.changed.put_nowait((arrived, params["value"]))
                continue
            future = self.replies.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result(message)

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        request: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if self.token:
            request["token"] = self.token
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.replies[self.next_id] = future
        self.writer.write(json.dumps(request).encode() + b"\n")
        reply = await asyncio.wait_for(future, 30)
        assert reply.get("status") == "success", reply
        return dict(reply["params"])

    @classmethod
    async def open(cls, port: int, thing: str, state: str) -> RpcConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        connection = cls(reader, writer, thing, state)
        await connection.call("JSONRPC.Hello")
        answer = await connection.call(
            "JSONRPC.Authenticate", {"username": MQTT_USER, "password": PASSWORD, "deviceName": "bench"}
        )
        connection.token = answer["token"]
        await connection.call("JSONRPC.SetNotificationStatus", {"namespaces": ["Integrations"]})
        return connection

    def close(self) -> None:
        self.task.cancel()
        self.writer.close()


# -- mqtt-latency --------------------------------------------------------------------------------


def report(value: bool) -> bytes:
    """A device's report of its power."""
    return json.dumps({"state": {"reported": {"power": value}}}).encode()


@contextlib.asynccontextmanager
async def mqtt_client(port: int, identifier: str) -> AsyncIterator[Any]:
    import aiomqtt

    async with aiomqtt.Client("127.0.0.1", port, identifier=identifier) as client:
        yield client


async def hub_latencies(device: Any, rpc: RpcConnection, count: int, current: bool) -> tuple[list[float], bool]:
    """Report -> StateChanged, `count` times, power alternating from the thing's `current` value; and the last."""
    topic = f"thing-update/{THING_NAME}"
    latencies: list[float] = []
    value = current
    for _ in range(count):
        value = not value
        sent = time.perf_counter()
        await device.publish(topic, report(value), qos=1)
        while True:
            arrived, got = await asyncio.wait_for(rpc.changed.get(), 30)
            if got is value:
                break
        latencies.append(arrived - sent)
    return latencies, value


async def bare_latencies(device: Any, receiver: Any, count: int) -> list[float]:
    """Publish -> receive through the same broker, `count` times, the same payloads."""
    topic = "bench/echo"
    latencies: list[float] = []
    messages = receiver.messages
    value = False
    for _ in range(count):
        value = not value
        sent = time.perf_counter()
        await device.publish(topic, report(value), qos=1)
        await asyncio.wait_for(anext(messages), 30)
        latencies.append(time.perf_counter() - sent)
    return latencies


def quantile(values: list[float], percent: int) -> float:
    """The `percent` quantile in ms."""
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1] * 1000


def row(name: str, ours: float, unit: str, base: float, note: str = "") -> None:
    """One line: thinggate, the baseline, the ratio."""
    ratio = ours / base if base else float("nan")
    print(f"{name:<58} {ours:>9.3f} {unit:<3} {base:>9.3f} {unit:<3} {ratio:>7.2f}  {note}".rstrip(), flush=True)


async def mqtt_latency(workdir: Path, reports: int, quick: bool) -> list[Row]:
    with mosquitto(workdir) as broker_port:
        hub = ServerChild(_hub_server, workdir / "hub", broker_port)
        try:
            info = hub.ready()
            rpc = await RpcConnection.open(info["jsonrpc"], info["thing"], info["power"])
            try:
                async with (
                    mqtt_client(broker_port, "bench-device") as device,
                    mqtt_client(broker_port, "bench-receiver") as receiver,
                ):
                    await receiver.subscribe("bench/echo", qos=1)
                    warmup = 5 if quick else 50
                    _, power = await hub_latencies(device, rpc, warmup, False)  # the thing starts off
                    await bare_latencies(device, receiver, warmup)
                    ours: list[float] = []
                    theirs: list[float] = []
                    block = 10 if quick else 100
                    while len(ours) < reports:
                        size = min(block, reports - len(ours))
                        measured, power = await hub_latencies(device, rpc, size, power)
                        ours += measured
                        theirs += await bare_latencies(device, receiver, size)
            finally:
                rpc.close()
        finally:
            hub.stop()
    rows = []
    for percent in (50, 99):
        ours_q, theirs_q = quantile(ours, percent), quantile(theirs, percent)
        note = (
            f"lower is better; goal p99 < 5 ms: {'met' if ours_q < 5 else 'NOT met'}"
            if percent == 99
            else "lower is better"
        )
        rows.append(Row(f"MQTT report -> JSON-RPC StateChanged, p{percent}", ours_q, theirs_q, "ms", note))
    rows.append(Row("MQTT report -> JSON-RPC StateChanged, max", max(ours) * 1000, max(theirs) * 1000, "ms"))
    return rows


@section("mqtt-latency", "an MQTT thing's report -> JSON-RPC StateChanged (p50, p99), beside a bare aiomqtt round trip")
async def mqtt_latency_section(arguments: argparse.Namespace, work: Path) -> list[Row]:
    return await mqtt_latency(work, 20 if arguments.quick else arguments.reports, arguments.quick)


# ------------------------------------------------------------------------------------------------
# list: GET /<stack>/thingtypes with many types and things, beside a bare aiohttp JSON list
# ------------------------------------------------------------------------------------------------


async def _fill_registry(data_dir: Path, type_count: int, thing_count: int) -> None:
    """`type_count` thing types and `thing_count` things spread over them, written in bulk to the hub's store."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from thinggate.core.store import ThingRecord, ThingTypeRecord
    from thinggate.integrations.generic import PLUGIN
    from thinggate.integrations.generic.classes import thing_class_for
    from thinggate.storage import open_store, tables
    from thinggate.storage.sql import thing_type_to_row

    store = await open_store(None, data_dir)
    began = datetime.now(UTC)
    records = [
        ThingTypeRecord(
            id=f"bench-type-{number:05d}",
            domain="root",
            label=f"Bench type {number}",
            description=f"A thing type of the list bench, number {number}",
            resources=[
                {"name": "power", "type": "boolean", "isSettable": True, "label": "Power"},
                {"name": "temperature", "type": "double", "isSettable": False, "unit": "°C"},
            ],
            created=began + timedelta(microseconds=number),  # loaded oldest first: in this order
        )
        for number in range(type_count)
    ]
    async with store.engine.begin() as connection:  # one transaction, not one durable write per type
        await connection.execute(insert(tables.thing_types), [thing_type_to_row(record) for record in records])
    classes = [thing_class_for(record) for record in records]
    things: list[ThingRecord] = []
    for number in range(thing_count):
        thing_class = classes[number % type_count]
        name_param = thing_class.param_type_named("thingName")
        assert name_param is not None
        things.append(
            ThingRecord(
                id=uuid.uuid4(),
                thing_class_id=thing_class.id,
                plugin_id=PLUGIN.id,
                name=f"bench thing {number}",
                params={name_param.id: f"bench-{number:06d}"},
                settings={},
            )
        )
    await store.save_things(things)
    await store.close()


async def serve_full_registry_hub(data_dir: str, type_count: int, thing_count: int, ready: Ready) -> None:
    """The registry hub of `creates`, its store filled first with thing types and things (in bulk)."""
    await _fill_registry(Path(data_dir), type_count, thing_count)
    await serve_registry_hub(data_dir, ready)


async def serve_bare_list(body: bytes, ready: Ready) -> None:
    """A bare aiohttp handler answering every GET with the same list, encoded by msgspec per request."""
    import msgspec
    from aiohttp import web

    listed = msgspec.json.decode(body)  # the same Python list the hub's answer holds
    encode = msgspec.json.Encoder().encode
    if encode(listed) != body:
        raise SystemExit("list: the bare handler's encoding differs from the hub's answer")

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=encode(listed), content_type="application/json")

    application = web.Application()
    application.router.add_get("/{tail:.*}", handle)
    await serve_app(application, ready)


async def fetches_per_second(url: str, headers: dict[str, str], count: int, in_flight: int, size: int) -> float:
    """GET `url` `count` times, `in_flight` at once over as many keep-alive connections; whole bodies read."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=in_flight, force_close=False)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def fetch() -> None:
            async with session.get(url) as answer:
                body = await answer.read()
                if answer.status != 200 or len(body) != size:
                    raise SystemExit(f"list: {url} answered {answer.status} with {len(body)} bytes, not {size}")

        # The connections opened (and each side warmed) before the clock starts.
        await asyncio.gather(*(fetch() for _ in range(in_flight)))
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                await fetch()

        begun = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return count / (time.perf_counter() - begun)


def machine_busy() -> float:
    """CPU seconds every process on the machine has used so far (user + system on every CPU)."""
    with open("/proc/stat") as stat:
        user, nice, system = (int(value) for value in stat.readline().split()[1:4])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


class OtherLoad:
    """What other processes on the machine took while runs were measured, in CPUs (the machine may be shared)."""

    def __init__(self, *children: ServerChild) -> None:
        self.pids = [child.process.pid for child in children if child.process.pid is not None]
        self.shares: list[float] = []

    def _ours(self) -> float:
        return time.process_time() + sum(cpu_seconds(pid) for pid in self.pids)

    async def measured(self, run: Awaitable[float]) -> float:
        """The run's figure; what others took meanwhile is noted."""
        machine, ours, began = machine_busy(), self._ours(), time.perf_counter()
        figure = await run
        elapsed = time.perf_counter() - began
        self.shares.append(max(0.0, (machine_busy() - machine) - (self._ours() - ours)) / elapsed)
        return figure

    def note(self) -> str:
        """Mean and max over the runs, for the table."""
        if not self.shares:
            return ""
        return f"other processes: mean {statistics.fmean(self.shares):.0%}, max {max(self.shares):.0%} of a CPU"


@section("list", "GET /thingtypes with 10,000 types and 100,000 things, beside a bare aiohttp handler of the same list")
async def list_section(arguments: argparse.Namespace, work: Path) -> list[Row]:
    quick = arguments.quick  # runs of a few ms: the other processes' share (in clock ticks) would be noise
    type_count, thing_count = (100, 1000) if quick else (10_000, 100_000)
    (work / "hub").mkdir()
    hub = ServerChild(serve_full_registry_hub, str(work / "hub"), type_count, thing_count)
    bare: ServerChild | None = None
    try:
        started = await asyncio.to_thread(hub.ready)
        base = f"http://127.0.0.1:{started['http']}"
        async with registry_client(base, started["key"]) as client:
            headers = {"x-api-key": started["key"], "Authorization": client.headers["Authorization"]}
            first = await client.get("/thingtypes")
        first.raise_for_status()
        body = first.content
        listed = json.loads(body)
        if len(listed) < type_count or sum(t.get("thingCount", 0) for t in listed) != thing_count:
            raise SystemExit(f"list: the hub listed {len(listed)} types, not the {type_count} made with their things")
        bare = ServerChild(serve_bare_list, body)
        bare_port = await asyncio.to_thread(bare.ready)
        ours_url, bare_url = f"{base}/{STACK}/thingtypes", f"http://127.0.0.1:{bare_port}/{STACK}/thingtypes"
        # About two seconds a figure at full size on this class of machine; a few requests when quick.
        sequential, parallel = (10, 32) if arguments.quick else (20, 64)
        best = {"ours-1": 0.0, "bare-1": 0.0, "ours-16": 0.0, "bare-16": 0.0}
        others = OtherLoad(hub, bare)
        for _ in range(arguments.rounds):
            for in_flight, count in ((1, sequential), (16, parallel)):
                for side, url in (("bare", bare_url), ("ours", ours_url)):
                    rate = await others.measured(fetches_per_second(url, headers, count, in_flight, len(body)))
                    best[f"{side}-{in_flight}"] = max(best[f"{side}-{in_flight}"], rate)
    finally:
        if bare is not None:
            bare.stop()
        hub.stop()
    size = f"{len(body) / 1e6:.1f} MB" if len(body) >= 1e5 else f"{len(body) / 1e3:.1f} kB"
    rows = []
    for in_flight, how in ((1, "sequential"), (16, "16 in flight")):
        ours, theirs = best[f"ours-{in_flight}"], best[f"bare-{in_flight}"]
        met = "met" if ours >= 0.5 * theirs else "NOT met"
        rows.append(
            Row(
                f"{type_count} types list ({size}), {how}",
                ours,
                theirs,
                "req/s",
                f"goal >= 0.5: {met}; bare: msgspec encode per request" + ("" if quick else f"; {others.note()}"),
            )
        )
    return rows


# ------------------------------------------------------------------------------------------------


async def main(arguments: argparse.Namespace) -> None:
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()] or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
    print(f"{'section':<12} {'what':<46} {'thinggate':>10} {'baseline':>10} {'unit':<10} {'ratio':>6}", flush=True)
    for name in chosen:
        with tempfile.TemporaryDirectory(prefix=f"thinggate-bench-{name}-") as work:
            rows = await SECTIONS[name][1](arguments, Path(work))
        print_rows(name, rows)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds a section: a smoke test, not a measurement")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {','.join(SECTIONS)}")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per figure; the best is printed")
    parser.add_argument("--reports", type=int, default=1000, help="mqtt-latency: reports measured (default 1000)")
    return parser.parse_args()


if __name__ == "__main__":
    assert str(ROOT) in sys.path
    new_loop().run_until_complete(watched(main(parse())))
