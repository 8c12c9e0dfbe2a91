"""A real Mosquitto broker for tests, as DESIGN.md's recipe starts one: own config, free port, stopped by pid."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.peers import free_port, missing_peer


@dataclass
class MosquittoServer:
    """A mosquitto process on 127.0.0.1:`port`; `persistent` keeps QoS 1 messages across its restarts."""

    directory: Path
    port: int
    persistent: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        """The hub's `[mqtt] url` for this broker."""
        return f"mqtt://127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true"]
        # As root, mosquitto would switch to the `mosquitto` user, who may not write our directory.
        if os.geteuid() == 0:
            lines.append("user root")
        if self.persistent:
            lines += ["persistence true", f"persistence_location {self.directory}/", "autosave_interval 1"]
        lines.append(f"log_dest file {self.directory / 'mosquitto.log'}")
        config = self.directory / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self) -> None:
        """Start the broker and wait until it accepts connections."""
        binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
        if binary is None:
            missing_peer("Mosquitto is not installed (apt-get install -y mosquitto mosquitto-clients)")
        config = self._write_config()
        self.process = subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"mosquitto exited with {self.process.returncode}: {error}{self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not listen on {self.port} within 10 s: {self.log()}")

    def stop(self) -> None:
        """Stop the broker (SIGTERM: it saves its persistent messages), by SIGKILL if it does not go."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def kill(self) -> None:
        """Kill the broker at once (SIGKILL): the outage a power cut makes."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        """The broker's log so far (for failure messages)."""
        with contextlib.suppress(OSError):
            return (self.directory / "mosquitto.log").read_text(errors="replace")
        return ""


def start_mosquitto(directory: Path, *, persistent: bool = False) -> MosquittoServer:
    """Start a broker on a free port in `directory` (a free port may be taken between probe and bind: try a few)."""
    directory.mkdir(parents=True, exist_ok=True)
    failure: Exception | None = None
    for _ in range(3):
        server = MosquittoServer(directory=directory, port=free_port(), persistent=persistent)
        try:
            server.start()
        except RuntimeError as exc:
            failure = exc
            continue
        return server
    raise RuntimeError(f"mosquitto did not start: {failure}")


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoServer]:
    """A broker of this test's own (starting one takes a few milliseconds), stopped after it."""
    server = start_mosquitto(tmp_path / "mosquitto")
    try:
        yield server
    finally:
        server.stop()
