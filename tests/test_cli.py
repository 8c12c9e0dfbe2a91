"""The `thinggate` command, run as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.command import ROOT, read_until, thinggate


def test_user_add_list_token_remove(tmp_path: Path) -> None:
    added = thinggate("user", "add", "alice", "--password", "Secret123", data_dir=tmp_path)
    assert added.returncode == 0, added.stderr
    listed = thinggate("user", "list", data_dir=tmp_path)
    assert "alice" in listed.stdout
    token = thinggate("user", "token", "alice", "--device", "laptop", data_dir=tmp_path)
    assert token.returncode == 0 and len(token.stdout.strip()) >= 20
    weak = thinggate("user", "add", "bob", "--password", "weak", data_dir=tmp_path)
    assert weak.returncode == 1 and "BadPassword" in weak.stderr
    removed = thinggate("user", "remove", "alice", data_dir=tmp_path)
    assert removed.returncode == 0
    assert "alice" not in thinggate("user", "list", data_dir=tmp_path).stdout


QUIET_PORTS = """
[ports]
jsonrpc_tcp = 0
jsonrpc_ws = 0

[jsonrpc]
tcp_tls = false
zeroconf = false

[ezlo]
zeroconf = false
"""


def test_serve_demo_then_things(tmp_path: Path) -> None:
    (tmp_path / "thinggate.toml").write_text(QUIET_PORTS)
    process = subprocess.Popen(
        [sys.executable, "-m", "thinggate.cli", "serve", "--demo", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        lines: list[str] = []
        assert process.stderr is not None
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "thinggate is up" in line:
                break
        assert any("thinggate is up" in line for line in lines), "".join(lines)
        assert any("demo house: 21 things" in line for line in lines), "".join(lines)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    table = thinggate("things", data_dir=tmp_path)
    assert table.returncode == 0, table.stderr
    for expected in ("Living room", "Ceiling light", "Dimmable light", "Front door"):
        assert expected in table.stdout
    # The demo is the house alone: the test bed's auto thing appears only when configured.
    assert "Virtual auto thing" not in table.stdout


async def _push_button_flow(port: int, data_dir: Path) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def call(request_id: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
        writer.write(json.dumps({"id": request_id, "method": method, "params": params}).encode() + b"\n")
        reply: dict[str, Any] = json.loads(await reader.readline())
        return reply

    try:
        hello = await call(1, "JSONRPC.Hello", {})
        assert hello["params"]["initialSetupRequired"] is True
        assert hello["params"]["pushButtonAuthAvailable"] is True
        requested = await call(2, "JSONRPC.RequestPushButtonAuth", {"deviceName": "tablet"})
        assert requested["params"]["success"] is True
        transaction_id = requested["params"]["transactionId"]
        # The owner looks at who is waiting on the hub's command line (no terminal: it only lists)...
        listed = await asyncio.to_thread(thinggate, "pushbutton", data_dir=data_dir)
        assert listed.returncode == 0, listed.stderr
        assert "tablet" in listed.stdout and "127.0.0.1" in listed.stdout
        assert "granted" not in listed.stdout
        # ...and grants the request.
        pressed = await asyncio.to_thread(thinggate, "pushbutton", "--grant", str(transaction_id), data_dir=data_dir)
        assert pressed.returncode == 0, pressed.stderr
        assert f"granted transaction {transaction_id} to 127.0.0.1 (tablet)" in pressed.stdout
        finished: dict[str, Any] = json.loads(await asyncio.wait_for(reader.readline(), 10))
        assert finished["notification"] == "JSONRPC.PushButtonAuthFinished"
        assert finished["params"]["transactionId"] == requested["params"]["transactionId"]
        token = finished["params"]["token"]
        writer.write(json.dumps({"id": 3, "method": "Integrations.GetThings", "token": token}).encode() + b"\n")
        things: dict[str, Any] = json.loads(await reader.readline())
        return things
    finally:
        writer.close()


def test_pushbutton_command_authenticates_a_waiting_client(tmp_path: Path) -> None:
    (tmp_path / "thinggate.toml").write_text(QUIET_PORTS)
    idle = thinggate("pushbutton", data_dir=tmp_path)
    assert idle.returncode == 1 and "no running hub" in idle.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "thinggate.cli", "serve", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stderr is not None
        lines = read_until(process.stderr, "thinggate is up")
        listening = next(line for line in lines if "jsonrpc door listening" in line)
        port = int(re.search(r"tcp (\d+)", listening).group(1))  # type: ignore[union-attr]
        nobody = thinggate("pushbutton", data_dir=tmp_path)
        assert nobody.returncode == 0 and "nobody is waiting" in nobody.stdout
        things = asyncio.run(_push_button_flow(port, tmp_path))
        assert things["status"] == "success", things
        assert things["params"]["thingError"] == "ThingErrorNoError"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    # The press created the admin user the token belongs to.
    assert "admin" in thinggate("user", "list", data_dir=tmp_path).stdout
