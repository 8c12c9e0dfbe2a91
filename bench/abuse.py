"""Reliability under attack: a real `thinggate serve --demo`, attacked from one address, used from another.

Each row runs one attack of issue 11 at full size from 127.0.0.1 against a hub process of its own
making, and meanwhile a good client on 127.0.0.2 logs in and is served on every door (JSON-RPC over
TCP and WebSocket, Ezlo over wss://, Thinknx over http:// and https://). Printed per attack:

- served: whether the good client logged in and got an answer on every door during the attack (with
  its token, as paired nymea and Ezlo clients reconnect; Thinknx with basic credentials, whose
  argon2 check - 64 MiB for a moment - is done once before the attacks, as a client's first request);
- RSS of the hub before the attack, at its peak during it (sampled every 20 ms) and after it;
- the hub's CPU during the attack (% of one core);
- the good client's GetStateValue round trip during the attack (median and p99), beside the same
  call with no attack, measured in the same run (the baseline) and their ratio;
- whether the hub's log has a traceback.

Goals (issue 11): served in every row; peak RSS under 2x idle; no traceback in the log.

Run: `.venv/bin/python bench/abuse.py [--only hello,slowloris-5051] [--seconds 4]`
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import logging
import os
import resource
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "bench", "BenchPW1!"
ATTACKER, GOOD = "127.0.0.1", "127.0.0.2"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def client_tls() -> ssl.SSLContext:
    """Certificate checks off: the hub's certificate is self-signed, as its clients expect."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# ------------------------------------------------------------------------------------------------
# The hub process
# ------------------------------------------------------------------------------------------------


@dataclass
class Hub:
    """A `thinggate serve --demo` child with every door on its own free port."""

    workdir: Path
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    token: str = ""

    @property
    def log(self) -> str:
        """What the hub wrote to stderr so far."""
        return (self.workdir / "hub.log").read_text(errors="replace")

    def _cli(self, *args: str) -> str:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "thinggate.cli", *args, "--data-dir", str(self.workdir / "data")],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.workdir,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"thinggate {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        """Write the configuration, add the user, start the hub and wait until it is up."""
        self.ports = {name: free_port() for name in ("jsonrpc_tcp", "jsonrpc_ws", "ezlo", "thinknx")}
        (self.workdir / "thinggate.toml").write_text(
            f"""
[ports]
jsonrpc_tcp = {self.ports["jsonrpc_tcp"]}
jsonrpc_ws = {self.ports["jsonrpc_ws"]}
ezlo = {self.ports["ezlo"]}
thinknx = {self.ports["thinknx"]}
http = 0

[jsonrpc]          # plain TCP and WebSocket, so that floods reach the protocol, not only TLS
tcp_tls = false
ws_tls = false
zeroconf = false

[ezlo]             # wss:// and ws:// on one port
insecure_access = true
"""
        )
        self._cli("user", "add", USER, "--password", PASSWORD)
        self.token = self._cli("user", "token", USER).strip().split()[-1]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = open(self.workdir / "hub.log", "wb")  # the child writes it for its life
        self.process = subprocess.Popen(
            [sys.executable, "-m", "thinggate.cli", "serve", "--demo", "--data-dir", str(self.workdir / "data")],
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=self.workdir,
            env=env,
        )
        deadline = time.monotonic() + 90
        while "thinggate is up" not in self.log:
            if self.process.poll() is not None:
                raise SystemExit(f"the hub died while starting:\n{self.log}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the hub did not start within 90 s:\n{self.log}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def alive(self) -> None:
        """Stop the bench at once, with the hub's log, if the hub died."""
        if self.process is not None and self.process.poll() is not None:
            raise SystemExit(f"the hub died (exit {self.process.returncode}):\n{self.log[-4000:]}")

    def rss_mb(self) -> float:
        """Resident memory of the hub now."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """CPU time the hub has used so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------------------
# The good client (from 127.0.0.2)
# ------------------------------------------------------------------------------------------------


class RpcClient:
    """A newline-delimited JSON-RPC client on TCP."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.next_id = 0
        self.token = ""

    @classmethod
    async def connect(cls, port: int, local: str = GOOD) -> RpcClient:
        """Connect from `local`."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0), limit=1 << 22)
        return cls(reader, writer)

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request, its reply (notifications skipped)."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if self.token:
            message["token"] = self.token
        self.writer.write(json.dumps(message).encode() + b"\n")
        while True:
            reply = json.loads(await self.reader.readline())
            if reply.get("id") == self.next_id and "notification" not in reply:
                return dict(reply)

    async def login_with_token(self, token: str) -> None:
        """Hello with a token, as a paired nymea client reconnects (no password check on the hub)."""
        self.token = token
        reply = await self.call("JSONRPC.Hello")
        if not reply.get("params", {}).get("authenticated"):
            raise RuntimeError(f"token refused: {reply}")

    async def login(self) -> None:
        """Hello and Authenticate."""
        await self.call("JSONRPC.Hello")
        reply = await self.call("JSONRPC.Authenticate", {"username": USER, "password": PASSWORD, "deviceName": "b"})
        if not reply.get("params", {}).get("success"):
            raise RuntimeError(f"login refused: {reply}")
        self.token = reply["params"]["token"]

    def close(self) -> None:
        """Hang up."""
        self.writer.close()


async def served_everywhere(hub: Hub) -> tuple[bool, str]:
    """Whether a client from GOOD logs in and is answered on every door (and where it was not)."""
    checks: list[tuple[str, Callable[[], Awaitable[None]]]] = []

    async def jsonrpc_tcp() -> None:
        client = await RpcClient.connect(hub.ports["jsonrpc_tcp"])
        try:
            await client.login_with_token(hub.token)
            assert (await client.call("Integrations.GetThings"))["status"] == "success"
        finally:
            client.close()

    async def jsonrpc_ws() -> None:
        connector = aiohttp.TCPConnector(local_addr=(GOOD, 0))
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.ws_connect(f"ws://127.0.0.1:{hub.ports['jsonrpc_ws']}/") as ws:
                await ws.send_str(json.dumps({"id": 1, "method": "JSONRPC.Hello", "token": hub.token}))
                assert json.loads(await ws.receive_str())["params"]["authenticated"]
                await ws.send_str(json.dumps({"id": 3, "method": "Integrations.GetThings", "token": hub.token}))
                assert json.loads(await ws.receive_str())["status"] == "success"

    async def ezlo() -> None:
        connector = aiohttp.TCPConnector(local_addr=(GOOD, 0))
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.ws_connect(f"wss://127.0.0.1:{hub.ports['ezlo']}/", ssl=client_tls()) as ws:
                login = {"user": USER, "token": hub.token}
                await ws.send_str(json.dumps({"id": "1", "method": "hub.offline.login.ui", "params": login}))
                assert json.loads(await ws.receive_str())["error"] is None
                await ws.send_str(json.dumps({"id": "2", "method": "hub.items.list", "params": {}}))
                while True:
                    reply = json.loads(await ws.receive_str())
                    if reply.get("id") == "2":
                        assert reply["error"] is None
                        return

    async def thinknx(scheme: str) -> None:
        connector = aiohttp.TCPConnector(local_addr=(GOOD, 0), ssl=client_tls() if scheme == "https" else False)
        async with aiohttp.ClientSession(connector=connector) as session:
            url = f"{scheme}://127.0.0.1:{hub.ports['thinknx']}/api/V1/system/serverStatus"
            basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            async with session.get(url, headers={"Authorization": basic}) as answer:
                assert answer.status == 200, answer.status

    checks = [
        ("jsonrpc-tcp", jsonrpc_tcp),
        ("jsonrpc-ws", jsonrpc_ws),
        ("ezlo-wss", ezlo),
        ("thinknx-http", lambda: thinknx("http")),
        ("thinknx-https", lambda: thinknx("https")),
    ]
    failed = []
    for name, check in checks:
        try:
            await asyncio.wait_for(check(), 10)
        except Exception as exc:
            failed.append(f"{name}: {type(exc).__name__} {exc}"[:120])
    return not failed, "; ".join(failed)


async def get_state_latency(client: RpcClient, thing_id: str, state_type_id: str, count: int) -> list[float]:
    """Round trips of GetStateValue, in ms."""
    params = {"thingId": thing_id, "stateTypeId": state_type_id}
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        reply = await client.call("Integrations.GetStateValue", params)
        samples.append((time.perf_counter() - started) * 1000)
        assert reply["status"] == "success", reply
    return samples


# ------------------------------------------------------------------------------------------------
# The attacks (from 127.0.0.1)
# ------------------------------------------------------------------------------------------------


class Attack:
    """Sockets held open, and tasks that keep attacking, until stopped."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.clients: list[RpcClient] = []
        self.tasks: list[asyncio.Task[Any]] = []
        self.refused = 0

    async def open(self, port: int, count: int, first: bytes) -> None:
        """`count` sockets to `port`, each having sent `first` (a refused one is counted, not retried)."""
        loop = asyncio.get_running_loop()
        for _ in range(count):
            attacker = socket.socket()
            attacker.setblocking(False)
            try:
                attacker.bind((ATTACKER, 0))
                await loop.sock_connect(attacker, ("127.0.0.1", port))
                if first:
                    await loop.sock_sendall(attacker, first)
            except OSError:
                self.refused += 1
                attacker.close()
                continue
            self.sockets.append(attacker)

    async def stop(self) -> None:
        """Close every socket and cancel every task."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(BaseException):
                await task
        for attacker in self.sockets:
            attacker.close()
        for client in self.clients:
            client.close()


async def hello_flood(hub: Hub, attack: Attack) -> None:
    """1,000 sockets that say Hello and nothing more."""
    await attack.open(hub.ports["jsonrpc_tcp"], 1000, b'{"id":1,"method":"JSONRPC.Hello"}\n')


def slowloris(door: str) -> Callable[[Hub, Attack], Awaitable[None]]:
    """2,000 sockets that send the first byte of a request and stop."""

    async def run(hub: Hub, attack: Attack) -> None:
        await attack.open(hub.ports[door], 2000, b"G")

    return run


async def stalled_tls(hub: Hub, attack: Attack) -> None:
    """2,000 TLS handshakes that send a ClientHello record header and stop (Thinknx https)."""
    await attack.open(hub.ports["thinknx"], 2000, b"\x16\x03\x01\x02\x00")


async def concurrent_logins(hub: Hub, attack: Attack) -> None:
    """100 JSON-RPC Authenticate and 100 Thinknx basic logins at once, 99 wrong and the right one last."""
    clients = []
    for _ in range(100):
        try:
            client = await RpcClient.connect(hub.ports["jsonrpc_tcp"], local=ATTACKER)
            await client.call("JSONRPC.Hello")
            clients.append(client)
        except (OSError, json.JSONDecodeError):
            attack.refused += 1

    async def authenticate(number: int, client: RpcClient) -> None:
        password = PASSWORD if number == len(clients) - 1 else f"wrong{number}"
        with contextlib.suppress(Exception):
            await client.call("JSONRPC.Authenticate", {"username": USER, "password": password, "deviceName": "x"})

    async def rest(number: int) -> None:
        password = PASSWORD if number == 99 else f"wrong{number}"
        header = "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode()
        with contextlib.suppress(Exception):
            reader, writer = await asyncio.open_connection("127.0.0.1", hub.ports["thinknx"], local_addr=(ATTACKER, 0))
            writer.write(f"GET /api/V1/system/serverStatus HTTP/1.1\r\nAuthorization: {header}\r\n\r\n".encode())
            await reader.read(4096)
            writer.close()

    async def everything() -> None:
        await asyncio.gather(
            *[authenticate(number, client) for number, client in enumerate(clients)],
            *[rest(number) for number in range(100)],
        )
        for client in clients:
            client.close()

    attack.tasks.append(asyncio.create_task(everything()))


async def streaming(hub: Hub, attack: Attack) -> None:
    """20 clients streaming `}`-ended chunks of an endless message at about 1 MB/s each."""
    chunk = b"{" * 1023 + b"}"

    async def stream() -> None:
        while True:
            try:
                _, writer = await asyncio.open_connection(
                    "127.0.0.1", hub.ports["jsonrpc_tcp"], local_addr=(ATTACKER, 0)
                )
            except OSError:
                attack.refused += 1
                await asyncio.sleep(0.1)
                continue
            try:
                while not writer.is_closing():
                    for _ in range(10):
                        writer.write(chunk)
                    await writer.drain()
                    await asyncio.sleep(0.01)  # 10 KiB every 10 ms: about 1 MB/s
            except (ConnectionError, OSError):
                pass
            writer.close()

    attack.tasks.extend(asyncio.create_task(stream()) for _ in range(20))


async def non_reader(hub: Hub, attack: Attack) -> None:
    """A logged-in client that asks for every notification and never reads, while states change fast."""
    client = await RpcClient.connect(hub.ports["jsonrpc_tcp"], local=ATTACKER)
    await client.login_with_token(hub.token)  # a logged-in client (by token: no password check to measure)
    await client.call("JSONRPC.SetNotificationStatus", {"enabled": True})
    things = (await client.call("Integrations.GetThings"))["params"]["things"]
    changer = await RpcClient.connect(hub.ports["jsonrpc_tcp"], local=ATTACKER)
    await changer.login_with_token(hub.token)
    classes = (await changer.call("Integrations.GetThingClasses"))["params"]["thingClasses"]
    power_actions = {
        thing_class["id"]: (action["id"], action["paramTypes"][0]["id"])
        for thing_class in classes
        for action in thing_class.get("actionTypes", [])
        if action.get("name") == "power" and action.get("paramTypes")
    }
    switchable = [thing for thing in things if thing["thingClassId"] in power_actions]
    client.reader._limit = 1  # type: ignore[attr-defined]  # the point: it never reads

    async def toggle() -> None:
        value = True
        while True:
            for thing in switchable:
                action, param_type = power_actions[thing["thingClassId"]]
                params = [{"paramTypeId": param_type, "value": value}]
                await changer.call(
                    "Integrations.ExecuteAction", {"thingId": thing["id"], "actionTypeId": action, "params": params}
                )
            value = not value

    attack.tasks.append(asyncio.create_task(toggle()))
    attack.clients.extend([client, changer])


ATTACKS: dict[str, tuple[str, Callable[[Hub, Attack], Awaitable[None]]]] = {
    "hello": ("1,000 Hello sockets (JSON-RPC TCP)", hello_flood),
    "slowloris-5051": ("2,000 slowloris sockets on 5051 (Thinknx)", slowloris("thinknx")),
    "slowloris-17000": ("2,000 slowloris sockets on 17000 (Ezlo)", slowloris("ezlo")),
    "slowloris-4444": ("2,000 slowloris sockets on 4444 (JSON-RPC WS)", slowloris("jsonrpc_ws")),
    "logins": ("100 concurrent logins (JSON-RPC + Thinknx)", concurrent_logins),
    "tls": ("2,000 stalled TLS handshakes (5051)", stalled_tls),
    "stream": ("20 clients streaming }-ended chunks", streaming),
    "non-reader": ("a reader that never reads", non_reader),
}


# ------------------------------------------------------------------------------------------------
# Measuring
# ------------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One attack's figures."""

    name: str
    served: bool
    why: str
    rss_before: float
    rss_peak: float
    rss_after: float
    cpu_percent: float
    p50: float
    p99: float
    base_p50: float
    base_p99: float
    traceback: bool


def percentile(samples: list[float], fraction: float) -> float:
    """The value below which `fraction` of the samples lie."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(hub: Hub, name: str, seconds: float, samples: int) -> Row:
    """Run one attack for `seconds` and measure the hub and the good client meanwhile."""
    title, start_attack = ATTACKS[name]
    client = await RpcClient.connect(hub.ports["jsonrpc_tcp"])
    await client.login_with_token(hub.token)
    things = (await client.call("Integrations.GetThings"))["params"]["things"]
    thing = next(thing for thing in things if thing.get("states"))
    state_type_id = thing["states"][0]["stateTypeId"]
    baseline = await get_state_latency(client, thing["id"], state_type_id, samples)
    log_before = len(hub.log)
    rss_before = hub.rss_mb()
    peak = rss_before
    sampling = True

    async def sample_rss() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, hub.rss_mb())
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample_rss())
    cpu_before, wall_before = hub.cpu_seconds(), time.monotonic()
    attack = Attack()
    try:
        await start_attack(hub, attack)
        await asyncio.sleep(1.0)  # the attack in full swing
        hub.alive()
        served, why = await served_everywhere(hub)
        during = await get_state_latency(client, thing["id"], state_type_id, samples)
        remaining = seconds - (time.monotonic() - wall_before)
        if remaining > 0:
            await asyncio.sleep(remaining)
        cpu = (hub.cpu_seconds() - cpu_before) / (time.monotonic() - wall_before) * 100
    finally:
        await attack.stop()
        client.close()
        sampling = False
        await sampler
    await asyncio.sleep(1.0)
    hub.alive()
    log = hub.log[log_before:]
    return Row(
        name=title,
        served=served,
        why=why,
        rss_before=rss_before,
        rss_peak=peak,
        rss_after=hub.rss_mb(),
        cpu_percent=cpu,
        p50=statistics.median(during),
        p99=percentile(during, 0.99),
        base_p50=statistics.median(baseline),
        base_p99=percentile(baseline, 0.99),
        traceback="Traceback" in log,
    )


def print_table(rows: list[Row], idle: float) -> None:
    """The table the issue asks for, then the verdicts."""
    print(
        f"{'attack':<46} {'served':<7} {'RSS MB before/peak/after':<25} {'CPU %':>6} "
        f"{'GetStateValue ms p50 / p99':<27} {'no attack p50 / p99':<20} {'p50 ratio':>9} {'traceback':<9}"
    )
    for row in rows:
        print(
            f"{row.name:<46} {'yes' if row.served else 'NO':<7} "
            f"{f'{row.rss_before:.0f} / {row.rss_peak:.0f} / {row.rss_after:.0f}':<25} {row.cpu_percent:>6.0f} "
            f"{f'{row.p50:.2f} / {row.p99:.2f}':<27} {f'{row.base_p50:.2f} / {row.base_p99:.2f}':<20} "
            f"{row.p50 / row.base_p50:>9.2f} {'YES' if row.traceback else 'no':<9}"
        )
        if not row.served:
            print(f"    not served: {row.why}")
    print()
    print(f"idle RSS {idle:.0f} MB; goal: peak under {2 * idle:.0f} MB")
    print(f"served in every row: {'met' if all(row.served for row in rows) else 'NOT MET'}")
    peak_met = all(row.rss_peak < 2 * idle for row in rows)
    print(f"peak RSS under 2x idle: {'met' if peak_met else 'NOT MET'}")
    print(f"no traceback in the log: {'met' if not any(row.traceback for row in rows) else 'NOT MET'}")


async def main(arguments: argparse.Namespace) -> None:
    """Start the hub, run the attacks one after another, print the table."""
    # Writes to a socket the hub dropped are the point of some attacks: no warning per write.
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the attacker holds thousands of sockets
    names = arguments.only.split(",") if arguments.only else list(ATTACKS)
    unknown = [name for name in names if name not in ATTACKS]
    if unknown:
        raise SystemExit(f"unknown attack(s) {unknown}; known: {', '.join(ATTACKS)}")
    with tempfile.TemporaryDirectory(prefix="thinggate-abuse-") as workdir:
        hub = Hub(Path(workdir))
        hub.start()
        try:
            await asyncio.sleep(2.0)  # let start-up settle before idle memory is read
            idle = hub.rss_mb()
            served, why = await served_everywhere(hub)  # the good client's first visit (Thinknx checks its password)
            if not served:
                raise SystemExit(f"the good client is not served even without an attack: {why}")
            rows = []
            for name in names:
                print(f"-- {ATTACKS[name][0]} ...", flush=True)
                rows.append(await measure(hub, name, arguments.seconds, arguments.samples))
            print()
            print_table(rows, idle)
        finally:
            hub.stop()


def parse() -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", default="", help=f"comma-separated attacks: {', '.join(ATTACKS)}")
    parser.add_argument("--seconds", type=float, default=4.0, help="how long each attack runs")
    parser.add_argument("--samples", type=int, default=200, help="GetStateValue round trips per measurement")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
