"""knxd as a real KNX/IP peer for tests (reference/thinknx-knx.md §3), plus knxtool and xknx clients of it.

knxd runs with a dummy bus and an `ets_router` (UDP tunnelling and multicast routing) on a free
port, only inside the private network namespace scripts/knx-netns.sh makes: there its multicast
membership and every telegram stay on loopback. Outside it the fixture skips (fails in CI).
Processes are stopped by their pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from xknx import XKNX
from xknx.exceptions import CommunicationError
from xknx.io import ConnectionConfig, ConnectionType
from xknx.telegram import GroupAddress, Telegram
from xknx.telegram.apci import GroupValueRead, GroupValueResponse, GroupValueWrite

from tests.peers import missing_peer

NETNS_VARIABLE = "THINGGATE_KNX_NETNS"
START_TIMEOUT = 5.0
"""Seconds knxd gets to create its socket (about 10-200 ms here)."""

INI = """\
[main]
name = thinggate-test
addr = 0.0.1
client-addrs = 0.0.2:16
connections = bus,ipserver,unixsock

[bus]
driver = dummy

[ipserver]
server = ets_router
tunnel = tunnel
router = router
interface = lo
port = {port}

[tunnel]

[router]

[unixsock]
server = knxd_unix
path = {socket}
systemd-ignore = true
"""


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class KnxdServer:
    """One knxd: UDP tunnelling/routing on `port`, the knxd protocol on the unix socket `url`."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def socket(self) -> Path:
        """knxd's unix socket (knxtool's `local:` URL)."""
        return self.directory / "knx.sock"

    @property
    def url(self) -> str:
        """The URL knxtool connects to."""
        return f"local:{self.socket}"

    @property
    def ini(self) -> Path:
        """The configuration file."""
        return self.directory / "knxd.ini"

    def log(self) -> str:
        """knxd's output so far (for failure messages)."""
        with contextlib.suppress(OSError):
            return (self.directory / "knxd.log").read_text(errors="replace")
        return ""

    def _launch(self) -> None:
        self.ini.write_text(INI.format(port=self.port, socket=self.socket))
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()  # left behind by a knxd that was killed
        with (self.directory / "knxd.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["knxd", str(self.ini)], stdout=log, stderr=subprocess.STDOUT, cwd=self.directory
            )

    def _failed(self) -> RuntimeError:
        return RuntimeError(f"knxd did not start within {START_TIMEOUT:g} s:\n{self.log()}")

    def start(self) -> None:
        """Start knxd and wait until its socket exists (for sync fixtures)."""
        self._launch()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.socket.exists():
            if time.monotonic() > deadline or (self.process is not None and self.process.poll() is not None):
                raise self._failed()
            time.sleep(0.01)

    async def start_async(self) -> None:
        """Start knxd and wait until its socket exists, without blocking the event loop."""
        self._launch()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.socket.exists():
            if time.monotonic() > deadline or (self.process is not None and self.process.poll() is not None):
                raise self._failed()
            await asyncio.sleep(0.01)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop knxd by its pid (SIGKILL after 5 s); SIGKILL at once makes it vanish without a word."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, sig)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture
def knxd_server() -> Iterator[KnxdServer]:
    """A running knxd for one test, in the KNX network namespace (skips outside it; fails in CI)."""
    if os.environ.get(NETNS_VARIABLE) != "1":
        missing_peer(f"knxd tests run inside scripts/knx-netns.sh ({NETNS_VARIABLE}=1 is not set)")
    if shutil.which("knxd") is None or shutil.which("knxtool") is None:
        missing_peer("knxd is not installed (apt-get install -y knxd knxd-tools)")
    # Unix socket paths are short (107 bytes): pytest's tmp_path can be too deep.
    directory = Path(tempfile.mkdtemp(prefix="thinggate-knxd-", dir="/tmp"))
    server = KnxdServer(directory=directory, port=free_udp_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# knxtool
# ------------------------------------------------------------------------------------------------

_SYNC_ADDRESS = "31/7/254"


async def _knxtool(*args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "knxtool", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"knxtool {' '.join(args)} failed ({process.returncode}): {output.decode(errors='replace')}")


async def groupswrite(server: KnxdServer, address: str, value: int) -> None:
    """`knxtool groupswrite`: a small (up to 6-bit) write from the knxd side."""
    await _knxtool("groupswrite", server.url, address, f"{value:x}")


async def groupwrite(server: KnxdServer, address: str, *data: int) -> None:
    """`knxtool groupwrite`: a write of whole data bytes from the knxd side."""
    await _knxtool("groupwrite", server.url, address, *(f"{byte:02x}" for byte in data))


class GroupMonitor:
    """`knxtool groupsocketlisten` in the background; its lines ("Write from 0.0.5 to 1/0/1: 01")."""

    def __init__(self, server: KnxdServer) -> None:
        self.server = server
        self.lines: list[str] = []
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._new_line = asyncio.Event()

    async def start(self) -> None:
        """Start listening; returns once the monitor sees telegrams (a probe write came through)."""
        self._process = await asyncio.create_subprocess_exec(
            "knxtool", "groupsocketlisten", self.server.url, stdout=asyncio.subprocess.PIPE
        )
        self._reader = asyncio.create_task(self._read())
        for _attempt in range(50):
            await groupswrite(self.server, _SYNC_ADDRESS, 0)
            if await self._seen(lambda line: f"to {_SYNC_ADDRESS}:" in line, 0.2):
                return
        raise RuntimeError("groupsocketlisten never saw a telegram")

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while line := await self._process.stdout.readline():
            # Keep the trailing blank: knxtool prints data bytes as "0C 33 ", small values as "01".
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._new_line.set()

    async def _seen(self, test: object, within: float) -> str | None:
        predicate = test if callable(test) else (lambda line: line == test)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        checked = 0
        while True:
            for line in self.lines[checked:]:
                if predicate(line):
                    return line
            checked = len(self.lines)
            self._new_line.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._new_line.wait()

    def telegrams(self, address: str) -> list[str]:
        """Every line about one group address so far."""
        return [line for line in self.lines if f" to {address}:" in line or line.endswith(f" to {address}")]

    async def wait_for(self, pattern: str, within: float = 5.0) -> str:
        """The first line matching a regular expression (fails the test after `within` seconds)."""
        regex = re.compile(pattern)
        found = await self._seen(lambda line: regex.fullmatch(line) is not None, within)
        assert found is not None, f"no line matching {pattern!r} within {within:g} s; saw {self.lines[-20:]}"
        return found

    async def stop(self) -> None:
        """Stop the monitor by its pid."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            await process.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


@contextlib.asynccontextmanager
async def group_monitor(server: KnxdServer) -> AsyncIterator[GroupMonitor]:
    """A running groupsocketlisten on the server, stopped afterwards."""
    monitor = GroupMonitor(server)
    try:
        await monitor.start()
        yield monitor
    finally:
        await monitor.stop()


def write_line(address: str, data: str) -> str:
    """The regular expression of a groupsocketlisten line for a write from any tunnel client."""
    return rf"Write from \d+\.\d+\.\d+ to {re.escape(address)}: {re.escape(data)}"


# ------------------------------------------------------------------------------------------------
# A fake actuator: a second xknx tunnel client
# ------------------------------------------------------------------------------------------------


class FakeActuator:
    """A device on the bus: answers a write on a command address by writing its status address,
    and answers reads of a status address with the last value."""

    def __init__(self, server: KnxdServer, status_of: dict[str, str]) -> None:
        self.server = server
        self.status_of = {str(GroupAddress(k)): str(GroupAddress(v)) for k, v in status_of.items()}
        self.values: dict[str, object] = {}
        self.received: list[Telegram] = []
        self.xknx: XKNX | None = None

    async def start(self) -> None:
        """Connect as a tunnel client of the server."""
        config = ConnectionConfig(
            connection_type=ConnectionType.TUNNELING,
            gateway_ip="127.0.0.1",
            gateway_port=self.server.port,
            local_ip="127.0.0.1",
            auto_reconnect=False,
        )
        # knxd's unix socket can appear a moment before its UDP server answers (seen on a loaded
        # machine): try a few times before calling the peer broken.
        for attempt in range(5):
            self.xknx = XKNX(connection_config=config, telegram_received_cb=self._received, state_updater=False)
            try:
                await self.xknx.start()
                return
            except CommunicationError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.2)

    def _received(self, telegram: Telegram) -> None:
        assert self.xknx is not None
        self.received.append(telegram)
        destination = str(telegram.destination_address)
        if isinstance(telegram.payload, GroupValueWrite) and destination in self.status_of:
            status = self.status_of[destination]
            self.values[status] = telegram.payload.value
            self.xknx.telegrams.put_nowait(
                Telegram(destination_address=GroupAddress(status), payload=GroupValueWrite(telegram.payload.value))
            )
        elif isinstance(telegram.payload, GroupValueRead) and destination in self.values:
            value = self.values[destination]
            self.xknx.telegrams.put_nowait(
                Telegram(destination_address=GroupAddress(destination), payload=GroupValueResponse(value))  # type: ignore[arg-type]
            )

    async def stop(self) -> None:
        """Disconnect."""
        xknx, self.xknx = self.xknx, None
        if xknx is not None:
            await xknx.stop()


@contextlib.asynccontextmanager
async def fake_actuator(server: KnxdServer, status_of: dict[str, str]) -> AsyncIterator[FakeActuator]:
    """A connected fake actuator, disconnected afterwards."""
    actuator = FakeActuator(server, status_of)
    await actuator.start()
    try:
        yield actuator
    finally:
        await actuator.stop()
