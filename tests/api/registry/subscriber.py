"""`mosquitto_sub` on `lifecycle/#` as a test's independent receiver of lifecycle events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

from tests.peers import missing_peer


@dataclass(frozen=True, slots=True)
class Received:
    """One message as mosquitto_sub printed it: its topic and its JSON."""

    topic: str
    event: dict[str, Any]


@dataclass
class LifecycleSubscriber:
    """A `mosquitto_sub -t 'lifecycle/#' -v -q 1` process; `session` keeps its subscription across broker restarts."""

    port: int
    session: str | None = None
    process: asyncio.subprocess.Process | None = field(default=None, init=False)

    async def start(self) -> None:
        """Start it and wait until it is subscribed (a probe it publishes to itself comes back)."""
        binary = shutil.which("mosquitto_sub")
        if binary is None:
            missing_peer("mosquitto_sub is not installed (apt-get install -y mosquitto-clients)")
        args = [binary, "-h", "127.0.0.1", "-p", str(self.port), "-t", "lifecycle/#", "-v", "-q", "1"]
        if self.session is not None:
            args += ["-c", "-i", self.session]  # a persistent session: queued messages wait for it
        self.process = await asyncio.create_subprocess_exec(
            *args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, limit=1 << 20
        )
        for _ in range(100):
            await _publish(self.port, "lifecycle/probe", "ready")
            with contextlib.suppress(TimeoutError):
                line = await asyncio.wait_for(self._line(), 0.3)
                if line.startswith("lifecycle/probe "):
                    return
        raise RuntimeError("mosquitto_sub did not subscribe")

    async def _line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        raw = await self.process.stdout.readline()
        if not raw:
            raise RuntimeError("mosquitto_sub exited")
        return raw.decode().rstrip("\n")

    async def receive(self, count: int, *, seconds: float = 60.0) -> list[Received]:
        """The next `count` lifecycle events (probes skipped); fails if they do not come within `seconds`."""
        received: list[Received] = []
        async with asyncio.timeout(seconds):
            while len(received) < count:
                line = await self._line()
                topic, _, text = line.partition(" ")
                if topic == "lifecycle/probe":
                    continue
                received.append(Received(topic, json.loads(text)))
        return received

    async def until(self, wanted_ids: set[str], *, seconds: float = 120.0) -> list[Received]:
        """Every event received until each of `wanted_ids` came at least once (repeats included)."""
        received: list[Received] = []
        missing = set(wanted_ids)
        async with asyncio.timeout(seconds):
            while missing:
                (message,) = await self.receive(1, seconds=seconds)
                received.append(message)
                missing.discard(message.event["id"])
        return received

    async def stop(self) -> None:
        """Stop the process."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def _publish(port: int, topic: str, message: str) -> None:
    binary = shutil.which("mosquitto_pub") or "mosquitto_pub"
    publisher = await asyncio.create_subprocess_exec(
        binary,
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-t",
        topic,
        "-m",
        message,
        "-q",
        "1",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await publisher.wait()


def first_seen(received: list[Received]) -> list[Received]:
    """The messages with repeats (same id) dropped, as a receiver does: the first of each id, in order."""
    seen: set[str] = set()
    kept: list[Received] = []
    for message in received:
        if message.event["id"] not in seen:
            seen.add(message.event["id"])
            kept.append(message)
    return kept
