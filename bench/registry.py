"""Registry door benchmarks, each beside a bare baseline measured in the same run on the same machine.

Sections (`--only` picks some; all run by default):

- `mqtt-latency`: an MQTT thing's report to the JSON-RPC `Integrations.StateChanged` it causes.
  A device (an aiomqtt client in this process) publishes `{"state": {"reported": {"power": ...}}}`
  QoS 1 on `thing-update/<thingName>` to a Mosquitto started for the run; the hub (registry door,
  JSON-RPC door over plain TCP, SQLite, `[mqtt] url` pointing at that broker) runs in a child
  process; this process times each report from the publish call to the StateChanged notification
  on a logged-in JSON-RPC connection. The baseline is a bare aiomqtt publish -> receive round trip
  through the same broker (a second aiomqtt client in this process subscribed to the topic), with
  the same QoS and payload size. Reports alternate power true/false, so each one changes the state;
  runs of both alternate in blocks, so machine noise falls on both. Goal: p99 < 5 ms.

Needs Debian's `mosquitto` (/usr/sbin/mosquitto). Run: `.venv/bin/python bench/registry.py [--quick]
[--only mqtt-latency] [--reports 1000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from _common import ServerChild, fast_hasher, watched

USER = "bench"
PASSWORD = "BenchPW1!"
THING_NAME = "bench-lamp"
SECTIONS = ("mqtt-latency",)


# -- the broker ----------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def mosquitto(directory: Path) -> Any:
    """A Mosquitto of the run's own on a free loopback port (DESIGN.md's recipe); yields its port."""
    binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if binary is None:
        raise SystemExit("mqtt-latency needs Mosquitto: apt-get install -y mosquitto")
    port = free_port()
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", f"log_dest file {directory / 'mosquitto.log'}"]
    if os.geteuid() == 0:
        lines.append("user root")  # as root it would switch to `mosquitto`, who may not write here
    config = directory / "mosquitto.conf"
    config.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise SystemExit(f"mosquitto exited with {process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                raise SystemExit("mosquitto did not listen within 10 s")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


# -- the hub (child process) ---------------------------------------------------------------------


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
    manager.PasswordHasher = fast_hasher  # type: ignore[assignment,misc]  # the bench logs in once
    config = Config(
        data_dir=data_dir,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=None, thinknx=None, http=0),
        doors={"jsonrpc": JsonRpcConfig(tcp_tls=False, zeroconf=False, lockdown_seconds=0.0)},
        virtual=VirtualConfig(enabled=False),
        mqtt=MqttConfig(url=f"mqtt://127.0.0.1:{broker_port}", reconnect_seconds=0.1),
    )
    server = await start_server(config)
    await server.security.create_user(USER, PASSWORD)
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
            "JSONRPC.Authenticate", {"username": USER, "password": PASSWORD, "deviceName": "bench"}
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


async def mqtt_latency(workdir: Path, reports: int, quick: bool) -> None:
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
    print(f"\nmqtt-latency: {reports} reports, QoS 1, loopback broker (Mosquitto), hub in a child process")
    print(f"{'measure':<58} {'thinggate':>13} {'baseline':>13} {'ratio':>7}  goal")
    for percent in (50, 99):
        ours_q, theirs_q = quantile(ours, percent), quantile(theirs, percent)
        note = f"p99 < 5 ms: {'met' if ours_q < 5 else 'NOT met'}" if percent == 99 else ""
        row(f"MQTT report -> JSON-RPC StateChanged, p{percent}", ours_q, "ms", theirs_q, note)
    row("MQTT report -> JSON-RPC StateChanged, max", max(ours) * 1000, "ms", max(theirs) * 1000)


async def main(arguments: argparse.Namespace) -> None:
    only = set(arguments.only.split(",")) if arguments.only else set(SECTIONS)
    unknown = only - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s) {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    workdir = Path(tempfile.mkdtemp(prefix="thinggate-bench-registry-"))
    try:
        if "mqtt-latency" in only:
            await mqtt_latency(workdir, 20 if arguments.quick else arguments.reports, arguments.quick)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds in all: a smoke test, not a measurement")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(SECTIONS)}")
    parser.add_argument("--reports", type=int, default=1000, help="mqtt-latency: reports measured (default 1000)")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(watched(main(parse())))
