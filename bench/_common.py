"""What the benchmarks share: this checkout on the path, cheap hashing, server children that report their death.

A bench run as a script (`.venv/bin/python bench/NAME.py`) has bench/ on sys.path, not the checkout:
importing this module puts the checkout first, so the bench measures the code beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def child_env() -> dict[str, str]:
    """The environment of a bench's child processes (a hub, the command line): this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """CPU time of a process so far, all its threads (SQLite runs in one), nanosecond resolution; 0 once it is gone."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):  # a thread that just ended
                total += int((task / "schedstat").read_text().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):  # no schedstat: clock ticks from stat
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = Path(f"/proc/{pid}/stat").read_text()
            fields = text[text.rindex(")") + 2 :].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return 0.0


def machine_cpu() -> float:
    """CPU seconds every process on the machine took so far (user + system on every CPU)."""
    with open("/proc/stat") as stat:
        user, nice, system = (int(value) for value in stat.readline().split()[1:4])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


def fast_hasher() -> Any:
    """Cheap argon2 parameters: a bench logs in once; what it measures never hashes."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop when it is importable, as `thinggate serve` runs."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class Mortal(Protocol):
    """A server child the watch looks after."""

    def death(self) -> str | None:
        """None while it runs (or was stopped on purpose); else how it died, with its traceback."""
        ...


# Children running now; `watched` ends the bench when one of them dies.
CHILDREN: list[Mortal] = []


class Ready:
    """Handed to a child's server coroutine: `send` reports it is serving (ports, tokens...)."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def send(self, value: Any) -> None:
        """Tell the parent the server is up."""
        self._connection.send(("ready", value))


def _child_main(target: Callable[..., Coroutine[Any, Any, None]], args: tuple[Any, ...], connection: Any) -> None:
    try:
        new_loop().run_until_complete(target(*args, Ready(connection)))
    except BaseException:
        # The parent prints it and stops: a bench must not wait for a server that is gone.
        connection.send(("died", traceback.format_exc()))
        raise SystemExit(1) from None


class ServerChild:
    """A server coroutine `target(*args, ready)` in a child process of its own."""

    def __init__(self, target: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
        self._parent, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_child_main, args=(target, args, child), daemon=True)
        self.process.start()
        self._stopping = False
        self._report: str | None = None
        CHILDREN.append(self)

    def _receive(self) -> tuple[str, Any] | None:
        with contextlib.suppress(EOFError, OSError):
            if self._parent.poll():
                message: tuple[str, Any] = self._parent.recv()
                return message
        return None

    def death(self) -> str | None:
        """None while it runs; else its traceback (or exit code, when it had none to give)."""
        if self._stopping:
            return None
        message = self._receive()
        if message is not None and message[0] == "died":
            self._report = message[1]
        if self._report is None and self.process.exitcode is None:
            return None
        if self._report is None:
            self._report = f"(no traceback: exit code {self.process.exitcode})\n"
        return f"server child {self.process.name} died:\n{self._report}"

    def ready(self, within: float = 300.0) -> Any:
        """What the child reported when it began serving; ends the bench at once if it dies first."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            message = self._receive()
            if message is not None:
                if message[0] == "ready":
                    return message[1]
                self._report = message[1]
            report = self.death()
            if report is not None:
                raise SystemExit(report)
            self._parent.poll(0.1)
        self.stop()
        raise SystemExit(f"server child {self.process.name} did not start within {within:g} s")

    def stop(self) -> None:
        """Terminate it (on purpose: the watch lets it go)."""
        self._stopping = True
        if self in CHILDREN:
            CHILDREN.remove(self)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(10)


async def watched(main: Coroutine[Any, Any, Any]) -> Any:
    """Run the bench; if a server child dies meanwhile, stop it at once with the child's traceback."""
    task = asyncio.ensure_future(main)
    while not task.done():
        await asyncio.wait({task}, timeout=0.2)
        for child in list(CHILDREN):
            report = child.death()
            if report is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                raise SystemExit(report)
    return task.result()


class ServedProcess:
    """A server the bench started as a command (`thinggate serve`) logging to a file; `watched` looks after it."""

    process: subprocess.Popen[bytes] | None = None
    log: Path
    stopping: bool = False

    def death(self) -> str | None:
        """None while it runs (or was stopped on purpose); else its exit code and the end of its log."""
        if self.stopping or self.process is None or self.process.poll() is None:
            return None
        said = self.log.read_text(errors="replace")[-8000:]
        return f"the hub (`thinggate serve`) died (exit {self.process.returncode}):\n{said}"

    def log_since(self, offset: int) -> str:
        """What it logged from `offset` on."""
        with open(self.log, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    async def http_port_once_up(self, since: int = 0, within: float = 120.0) -> int:
        """Wait until its log (from `since` on: a restart appends) says it is up; the HTTP port it names."""
        deadline = time.monotonic() + within
        while "thinggate is up" not in (said := self.log_since(since)):
            report = self.death()
            if report is not None:
                raise SystemExit(report)
            if time.monotonic() > deadline:
                raise SystemExit(f"the hub did not start within {within:g} s:\n{said[-4000:]}")
            await asyncio.sleep(0.1)
        ports = re.findall(r"http: listening on 127\.0\.0\.1:(\d+)", said)
        if not ports:
            raise SystemExit(f"the hub's log names no HTTP port:\n{said[-4000:]}")
        return int(ports[-1])

    def stop(self) -> None:
        """SIGTERM (it stops cleanly), SIGKILL if it hangs."""
        self.stopping = True
        if self in CHILDREN:
            CHILDREN.remove(self)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def serve_app(app: Any, ready: Ready) -> None:
    """Serve an aiohttp application on a free loopback port, tell the parent the port, and serve on."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    ready.send(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
    await asyncio.Event().wait()
