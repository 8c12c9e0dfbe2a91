"""Ezlo door benchmarks beside a bare aiohttp WebSocket server doing the same I/O, in one run.

Prints: `hub.item.value.set` round trips per second on one connection (sequential and 64 in
flight), `hub.items.list` time for 10,000 devices with 100,000 items, and `hub.item.updated`
fan-out latency to 100 logged-in clients, each next to the bare server's figure and a ratio.

Arrangement: the hub + door and the bare server each run in a child process of their own; this
process is the load generator with the same client code against both. Login is a real
`hub.offline.login.ui` with a thinggate token; TLS off (ws://); storage SQLite in a temp dir.

Run: `.venv/bin/python bench/ezlo.py [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from _common import ServerChild, fast_hasher, watched
from aiohttp import web

LIGHTS = 100
LIST_DEVICES = 10_000
FANOUT_CLIENTS = 100


# -- servers (child processes) -----------------------------------------------------------------


async def _hub_server(data_dir: Path, devices: int, ready: Any) -> None:
    from thinggate.api.ezlo.door import EzloDoor, EzloSettings
    from thinggate.api.ezlo.transport import EzloServer
    from thinggate.api.guard import ConnectionGuard, ListenerLimits
    from thinggate.core.events import EventBus
    from thinggate.core.hub import Hub
    from thinggate.core.modes import HouseModes
    from thinggate.core.security import Scope, SecurityManager
    from thinggate.core.store import ThingRecord
    from thinggate.integrations.virtual import VirtualIntegration
    from thinggate.storage import open_store

    store = await open_store(None, data_dir)
    virtual = VirtualIntegration(auto_things=False)
    light = virtual.thing_class_named("light")
    records = [
        ThingRecord(uuid.uuid4(), light.id, light.plugin_id, f"light {n}", {}, {}, room=f"room {n % 10}")
        for n in range(LIGHTS)
    ]
    if devices:
        # A thing class with ten items each: 10,000 devices give 100,000 items. Stored in one
        # batch and restored at start, as a restart of a big installation does.
        rich = virtual.thing_class_named("inputTypeMock")
        records += [
            ThingRecord(uuid.uuid4(), rich.id, rich.plugin_id, f"device {n}", {}, {}, room=f"room {n % 50}")
            for n in range(devices)
        ]
    await store.save_things(records)
    bus = EventBus()
    security = SecurityManager(store, hasher=fast_hasher(), bus=bus)
    await security.load()
    await security.create_user("bench", "BenchPW1!", scopes=Scope.ADMIN)
    token = await security.create_token("bench", "bench")
    hub = Hub(store=store, bus=bus)
    hub.register(virtual)
    await hub.start()
    await hub.wait_until_set_up()
    modes = HouseModes(store=store, bus=bus)
    await modes.load()
    door = EzloDoor(
        hub=hub, security=security, modes=modes, server_uuid=uuid.uuid4(), settings=EzloSettings(serial="90000001")
    )
    # The fan-out's clients connect from one address before they log in: lift the per-address cap for them.
    guard = ConnectionGuard(ListenerLimits(unauthenticated_per_address=2 * FANOUT_CLIENTS))
    server = EzloServer(door, host="127.0.0.1", port=0, tls=None, insecure=True, guard=guard)
    await server.start()
    ready.send((server.port, token))
    await asyncio.Event().wait()


async def _bare_server(reply: bytes, broadcast: bytes, ready: Any) -> None:
    sockets: list[web.WebSocketResponse] = []

    async def serve(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(compress=False, max_msg_size=0)
        await socket.prepare(request)
        sockets.append(socket)
        async for message in socket:
            data = json.loads(message.data)
            if data.get("method") == "broadcast":
                for other in sockets:
                    await other.send_str(broadcast.decode())
            elif data.get("method") == "big":
                # A reply of the size of thinggate's hub.items.list, built and encoded per request.
                count, width = data["params"]["count"], data["params"]["width"]
                items = [{"_id": str(n), "pad": "x" * width} for n in range(count)]
                await socket.send_str(json.dumps({"id": data["id"], "result": {"items": items}}))
            else:
                await socket.send_str(reply.decode().replace("REQID", str(data.get("id"))))
        return socket

    app = web.Application()
    app.router.add_get("/", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ready.send((site._server.sockets[0].getsockname()[1], ""))  # type: ignore[union-attr]
    await asyncio.Event().wait()


def start(target: Any, *args: Any) -> tuple[ServerChild, int, str]:
    """A server in a child process; answers it, its port and a token (ends the bench if it dies)."""
    child = ServerChild(target, *args)
    port, token = child.ready()
    return child, port, token


# -- client ------------------------------------------------------------------------------------


class Client:
    """One WebSocket connection: replies by id, broadcasts timed on arrival."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.broadcast_times: list[float] = []
        self.broadcast_arrived = asyncio.Event()
        self.reader = asyncio.get_running_loop().create_task(self._read())
        self.next_id = 0

    async def _read(self) -> None:
        async for message in self.socket:
            data = json.loads(message.data)
            if data.get("id") == "ui_broadcast":
                self.broadcast_times.append(time.perf_counter())
                self.broadcast_arrived.set()
                continue
            future = self.waiting.pop(str(data.get("id")), None)
            if future is not None and not future.done():
                future.set_result(data)

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        request_id = str(self.next_id)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[request_id] = future
        await self.socket.send_str(json.dumps({"method": method, "id": request_id, "params": params}))
        return await future


async def connect(session: aiohttp.ClientSession, port: int, token: str) -> Client:
    socket = await session.ws_connect(f"ws://127.0.0.1:{port}", max_msg_size=0, compress=0)
    client = Client(socket)
    if token:
        answer = await client.call("hub.offline.login.ui", {"user": "bench", "token": token})
        assert answer.get("error") is None, answer
    return client


async def round_trips(client: Client, requests: list[dict[str, Any]], in_flight: int, seconds: float) -> float:
    """Round trips per second with `in_flight` requests outstanding."""
    done = 0
    deadline = time.perf_counter() + seconds
    index = 0

    async def worker() -> None:
        nonlocal done, index
        while time.perf_counter() < deadline:
            request = requests[index % len(requests)]
            index += 1
            await client.call(request["method"], request["params"])
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return done / (time.perf_counter() - started)


def row(name: str, value: float, unit: str, baseline: float, goal: str = "") -> None:
    ratio = value / baseline if baseline else float("nan")
    print(f"{name:<52} {value:>12,.1f} {unit:<5} {baseline:>12,.1f} {unit:<5} {ratio:>6.2f}  {goal}")


async def main(quick: bool) -> None:
    seconds = 0.5 if quick else 2.0
    devices = 1_000 if quick else LIST_DEVICES
    workdir = Path(tempfile.mkdtemp(prefix="thinggate-bench-ezlo-"))
    hub_process, hub_port, token = start(_hub_server, workdir / "hub", devices)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        client = await connect(session, hub_port, token)
        items = (await client.call("hub.items.list", {}))["result"]["items"]
        switches = [item["_id"] for item in items if item["name"] == "switch"][:LIGHTS]
        sets = [
            {"method": "hub.item.value.set", "params": {"_id": s, "value": v}} for v in (True, False) for s in switches
        ]
        sample = await client.call("hub.item.value.set", {"_id": switches[0], "value": True})
        reply = json.dumps(sample).replace('"id": "' + str(sample["id"]) + '"', '"id": "REQID"').encode()
        bare_process, bare_port, _ = start(
            _bare_server, reply, json.dumps({"id": "ui_broadcast", "pad": "x" * 400}).encode()
        )
        bare = await connect(session, bare_port, "")
        echo = [{"method": "hub.item.value.set", "params": {"_id": switches[0], "value": True}}]

        print(f"thinggate Ezlo door vs bare aiohttp WebSocket server; {LIGHTS} lights, SQLite, ws://, logged in")
        print(f"{'measure':<52} {'thinggate':>18} {'baseline':>18} {'ratio':>6}  goal")
        for in_flight in (1, 64):
            ours = await round_trips(client, sets, in_flight, seconds)
            theirs = await round_trips(bare, echo, in_flight, seconds)
            label = "sequential" if in_flight == 1 else f"{in_flight} in flight"
            goal = "ratio >= 0.50: " + ("met" if ours / theirs >= 0.5 else "NOT met") if in_flight == 64 else ""
            row(f"hub.item.value.set, 1 conn, {label}", ours, "rt/s", theirs, goal)

        times = []
        size = 0
        for _ in range(3):
            started = time.perf_counter()
            answer = await client.call("hub.items.list", {})
            times.append(time.perf_counter() - started)
            size = len(json.dumps(answer))
            count = len(answer["result"]["items"])
        bare_times = []
        width = max(size // max(count, 1) - 20, 1)
        for _ in range(3):
            started = time.perf_counter()
            await bare.call("big", {"count": count, "width": width})
            bare_times.append(time.perf_counter() - started)
        goal = "< 1 s: " + ("met" if min(times) < 1.0 else "NOT met")
        row(
            f"hub.items.list, {count:,} items, {size / 1e6:.1f} MB",
            min(times) * 1000,
            "ms",
            min(bare_times) * 1000,
            goal + "  (baseline: the bare server builds and sends a same-size list)",
        )

        # A known value first: the rounds then change it every time (a set to the value it already
        # has broadcasts nothing, and the round would wait for ever).
        await client.call("hub.item.value.set", {"_id": switches[1], "value": False})
        listeners = [await connect(session, hub_port, token) for _ in range(FANOUT_CLIENTS)]
        latencies: list[float] = []
        for round_ in range(20 if quick else 200):
            for listener in listeners:
                listener.broadcast_times.clear()
                listener.broadcast_arrived.clear()
            sent = time.perf_counter()
            await client.call("hub.item.value.set", {"_id": switches[1], "value": round_ % 2 == 0})
            await asyncio.gather(*(listener.broadcast_arrived.wait() for listener in listeners))
            latencies += [listener.broadcast_times[0] - sent for listener in listeners]
        bare_listeners = [await connect(session, bare_port, "") for _ in range(FANOUT_CLIENTS)]
        bare_latencies: list[float] = []
        for _ in range(20 if quick else 200):
            for listener in bare_listeners:
                listener.broadcast_times.clear()
                listener.broadcast_arrived.clear()
            sent = time.perf_counter()
            await bare.socket.send_str(json.dumps({"method": "broadcast", "id": "b"}))
            await asyncio.gather(*(listener.broadcast_arrived.wait() for listener in bare_listeners))
            bare_latencies += [listener.broadcast_times[0] - sent for listener in bare_listeners]
        for name, quantile in (("p50", 50), ("p99", 99)):
            ours_q = statistics.quantiles(latencies, n=100)[quantile - 1] * 1000
            theirs_q = statistics.quantiles(bare_latencies, n=100)[quantile - 1] * 1000
            row(f"hub.item.updated fan-out to {FANOUT_CLIENTS} clients, {name}", ours_q, "ms", theirs_q)
    hub_process.stop()
    bare_process.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds in all: a smoke test")
    arguments = parser.parse_args()
    asyncio.run(watched(main(arguments.quick)))
