"""Thinknx door benchmarks beside bare baselines doing the same I/O, measured in one run.

1. `powerstatus` requests per second with 50 concurrent keep-alive clients (HTTP basic auth on
   every request, as integrators send it) against thinggate's door, beside a bare aiohttp
   handler that returns the same JSON bytes. Goal: the door reaches >= 60 % of the bare server.
2. REST -> KNX telegram latency through a real knxd (p50, p99): from sending
   `/api/V1/power?...&cmd=N` until the telegram reaches another tunnel client of knxd, beside a
   bare xknx client writing the same telegram directly. Needs knxd; runs inside a private
   network namespace (the script re-executes itself under `unshare -n` as root).

Arrangement: each server runs in a child process of its own; this process is the load
generator, with one minimal asyncio HTTP/1.1 keep-alive client used against both.

Run: `.venv/bin/python bench/thinknx.py [--quick] [--no-knx]`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ServerChild, fast_hasher, new_loop, watched
from aiohttp import web

CLIENTS = 50
USER, PASSWORD = "bench", "BenchPW1!"


# -- servers (child processes) -----------------------------------------------------------------


async def _door_server(data_dir: Path, knx_gateway: tuple[str, int] | None, ready: Any) -> None:
    from thinggate.api.guard import ConnectionGuard, ListenerLimits
    from thinggate.api.thinknx import Authenticator, ThinknxDoor, ThinknxServer, ThinknxSettings
    from thinggate.api.thinknx.digest import DigestAuthority
    from thinggate.api.thinknx.key import IntegrationKey
    from thinggate.core.events import EventBus
    from thinggate.core.guids import guid_of
    from thinggate.core.hub import Hub
    from thinggate.core.security import SYSTEM, LoginLimiter, Scope, SecurityManager
    from thinggate.integrations.virtual import VirtualIntegration
    from thinggate.storage import open_store

    store = await open_store(None, data_dir)
    bus = EventBus()
    security = SecurityManager(store, hasher=fast_hasher(), bus=bus)
    await security.load()
    await security.create_user(USER, PASSWORD, scopes=Scope.ADMIN)
    hub = Hub(store=store, bus=bus)
    virtual = VirtualIntegration(auto_things=False)
    hub.register(virtual)
    knx: Any = None
    if knx_gateway is not None:
        from thinggate.integrations.knx import KnxIntegration
        from thinggate.integrations.knx.settings import parse_knx_section

        knx = KnxIntegration(settings=parse_knx_section({"gateway_ip": knx_gateway[0], "gateway_port": knx_gateway[1]}))
        hub.register(knx)
    await hub.start()
    await hub.wait_until_set_up()
    light = await hub.add_thing(SYSTEM, name="bench light", thing_class_id=virtual.thing_class_named("light").id)
    guids = {"light": guid_of(light.value)}  # type: ignore[arg-type]
    if knx is not None:
        switch_class = next(c for c in knx.thing_classes if c.name == "knxSwitch")
        address = switch_class.param_type_named("address")
        assert address is not None
        switch = await hub.add_thing(
            SYSTEM, name="bench switch", thing_class_id=switch_class.id, params=[(address.id, "1/0/1")]
        )
        assert switch.ok, switch
        guids["switch"] = guid_of(switch.value)  # type: ignore[arg-type]
        for _ in range(200):
            if knx.connected:
                break
            await asyncio.sleep(0.05)
    door = ThinknxDoor(hub=hub, settings=ThinknxSettings(rate_limit=""), raw_bus=knx)
    authenticator = Authenticator(
        security=security,
        key=IntegrationKey(store),
        limiter=LoginLimiter(),
        digest=DigestAuthority(secret_of=security.digest_secret, realm=await security.digest_realm()),
    )
    # All CLIENTS connect from one address before any has logged in: lift the per-address cap for them.
    guard = ConnectionGuard(ListenerLimits(unauthenticated_per_address=2 * CLIENTS))
    server = ThinknxServer(door, authenticator, host="127.0.0.1", port=0, guard=guard)
    await server.start()
    ready.send((server.port, guids))
    await asyncio.Event().wait()


async def _bare_server(body: bytes, ready: Any) -> None:
    async def powerstatus(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/V1/powerstatus", powerstatus)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ready.send((site._server.sockets[0].getsockname()[1], {}))  # type: ignore[union-attr]
    await asyncio.Event().wait()


def start(target: Any, *args: Any) -> tuple[ServerChild, int, dict[str, str]]:
    """A server in a child process: the child, its port and what it reports (GUIDs); ends the bench if it dies."""
    child = ServerChild(target, *args)
    port, extra = child.ready(120)
    return child, port, extra


# -- a minimal HTTP/1.1 keep-alive client --------------------------------------------------------


class Connection:
    """One keep-alive connection sending GETs one after another."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def get(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)


def request_bytes(path: str) -> bytes:
    credentials = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {credentials}\r\n\r\n").encode()


async def requests_per_second(port: int, path: str, seconds: float) -> tuple[float, bytes]:
    """Requests per second with CLIENTS connections each sending one request after another."""
    connections = [Connection(*await asyncio.open_connection("127.0.0.1", port)) for _ in range(CLIENTS)]
    request = request_bytes(path)
    status, body = await connections[0].get(request)
    assert status == 200, (status, body)
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(connection: Connection) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            status, _ = await connection.get(request)
            if status != 200:
                raise RuntimeError(f"answer {status}")
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.writer.close()
    return done / elapsed, body


# -- KNX latency -----------------------------------------------------------------------------


def _knxd_ini(directory: Path) -> Path:
    ini = directory / "knxd.ini"
    ini.write_text(
        "[main]\nname = knxd-bench\naddr = 0.0.1\nclient-addrs = 0.0.2:8\nconnections = bus,ipserver,unixsock\n"
        "[bus]\ndriver = dummy\n"
        "[ipserver]\nserver = ets_router\ntunnel = tunnel\ninterface = lo\nport = 3671\n[tunnel]\n"
        "[unixsock]\nserver = knxd_unix\npath = knx.sock\nsystemd-ignore = true\n"
    )
    return ini


async def knx_latency(port: int, guid: str, samples: int) -> tuple[list[float], list[float]]:
    """Milliseconds from request (or bare write) to the telegram reaching another tunnel client."""
    from xknx import XKNX
    from xknx.dpt import DPTBinary
    from xknx.io import ConnectionConfig, ConnectionType
    from xknx.telegram import GroupAddress, Telegram
    from xknx.telegram.apci import GroupValueWrite

    arrived: asyncio.Queue[float] = asyncio.Queue()
    target = GroupAddress("1/0/1")

    def seen(telegram: Telegram) -> None:
        if telegram.destination_address == target:
            arrived.put_nowait(time.perf_counter())

    config = ConnectionConfig(
        connection_type=ConnectionType.TUNNELING, gateway_ip="127.0.0.1", gateway_port=3671, local_ip="127.0.0.1"
    )
    async with XKNX(connection_config=config, telegram_received_cb=seen) as watcher:
        del watcher
        sender_config = ConnectionConfig(
            connection_type=ConnectionType.TUNNELING, gateway_ip="127.0.0.1", gateway_port=3671, local_ip="127.0.0.1"
        )
        async with XKNX(connection_config=sender_config) as sender:
            bare: list[float] = []
            for n in range(samples):
                started = time.perf_counter()
                await sender.telegrams.put(
                    Telegram(destination_address=target, payload=GroupValueWrite(DPTBinary(n % 2)))
                )
                bare.append((await asyncio.wait_for(arrived.get(), 5) - started) * 1000)
        connection = Connection(*await asyncio.open_connection("127.0.0.1", port))
        rest: list[float] = []
        for n in range(samples):
            started = time.perf_counter()
            status, body = await connection.get(request_bytes(f"/api/V1/power?guid={guid}&cmd={(n + 1) % 2}"))
            assert status == 200, body
            rest.append((await asyncio.wait_for(arrived.get(), 5) - started) * 1000)
        connection.writer.close()
    return rest, bare


def start_knxd(directory: Path) -> subprocess.Popen[bytes]:
    """knxd on the dummy bus, tunnelling on 127.0.0.1:3671 (reference/thinknx-knx.md §3)."""
    ini = _knxd_ini(directory)
    knxd = subprocess.Popen(["knxd", str(ini)], cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(100):
        if (directory / "knx.sock").exists():
            break
        time.sleep(0.05)
    return knxd


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _in_namespace() -> bool:
    return os.environ.get("THINGGATE_KNX_NETNS") == "1"


def _reexec_in_namespace() -> None:
    script = Path(__file__).resolve().parent.parent / "scripts" / "knx-netns.sh"
    os.execv(str(script), [str(script), sys.executable, *sys.argv])


async def main(quick: bool, with_knx: bool) -> None:
    seconds = 3.0 if quick else 10.0
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as directory:
        knxd = start_knxd(Path(directory)) if with_knx else None
        gateway = ("127.0.0.1", 3671) if knxd is not None else None
        (Path(directory) / "hub").mkdir(exist_ok=True)
        door, door_port, guids = start(_door_server, Path(directory) / "hub", gateway)
        try:
            path = f"/api/V1/powerstatus?guid={guids['light']}&auth=basic"
            ours, body = await requests_per_second(door_port, path, seconds)
            bare_process, bare_port, _ = start(_bare_server, body)
            try:
                bare, bare_body = await requests_per_second(bare_port, "/api/V1/powerstatus", seconds)
                assert bare_body == body
            finally:
                bare_process.stop()
            rows.append(
                (
                    f"powerstatus, {CLIENTS} keep-alive clients",
                    f"{ours:,.0f} req/s",
                    f"{bare:,.0f} req/s",
                    f"{ours / bare:.2f}",
                )
            )
            if with_knx and "switch" in guids:
                samples = 50 if quick else 300
                rest, direct = await knx_latency(door_port, guids["switch"], samples)
                for label, fraction in (("p50", 0.5), ("p99", 0.99)):
                    ours_ms, bare_ms = percentile(rest, fraction), percentile(direct, fraction)
                    rows.append(
                        (
                            f"REST power -> KNX telegram {label}",
                            f"{ours_ms:.2f} ms",
                            f"{bare_ms:.2f} ms",
                            f"{ours_ms / bare_ms:.2f}",
                        )
                    )
        finally:
            door.stop()
            if knxd is not None:
                knxd.terminate()
                knxd.wait(5)
    width = max(len(row[0]) for row in rows)
    print(f"{'measure':<{width}}  {'thinggate':>14}  {'baseline':>14}  ratio")
    for measure, value, baseline, ratio in rows:
        print(f"{measure:<{width}}  {value:>14}  {baseline:>14}  {ratio}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (3 s, 50 latency samples)")
    parser.add_argument("--no-knx", action="store_true", help="skip the knxd latency measurement")
    arguments = parser.parse_args()
    want_knx = not arguments.no_knx and shutil.which("knxd") is not None
    if want_knx and not _in_namespace():
        _reexec_in_namespace()
    multiprocessing.set_start_method("fork")
    new_loop().run_until_complete(watched(main(arguments.quick, want_knx)))
