"""`serve --demo` makes a `demo` user with a random password, printed once at start-up, to log in to the dashboard."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.web.rig import fast_hasher, web_config
from tests.command import ROOT, read_until
from thinggate.server import DEMO_USER, start_server

CONFIG = """
bind = "127.0.0.1"

[ports]
jsonrpc_tcp = 0
jsonrpc_ws = 0
ezlo = 0
thinknx = 0
http = 0

[jsonrpc]
tcp_tls = false
ws_tls = false
zeroconf = false

[ezlo]
zeroconf = false
"""


async def _login(base: str, password: str) -> int:
    async with httpx.AsyncClient(base_url=base) as client:
        answer = await client.post(
            "/login", data={"username": DEMO_USER, "password": password}, headers={"Accept": "application/json"}
        )
        return answer.status_code


async def test_a_demo_hub_makes_the_demo_user_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("thinggate.core.security.manager.make_hasher", fast_hasher)
    server = await start_server(web_config(tmp_path), demo=True)
    try:
        password = server.demo_password
        assert password is not None
        assert await _login(f"http://127.0.0.1:{server.http.port}", password) == 200  # type: ignore[union-attr]
        assert await _login(f"http://127.0.0.1:{server.http.port}", password + "x") == 401  # type: ignore[union-attr]
    finally:
        await server.stop()
    # Started again on the same data: the user is there, with its password; none is made or printed.
    again = await start_server(web_config(tmp_path), demo=True)
    try:
        assert again.demo_password is None
        assert await _login(f"http://127.0.0.1:{again.http.port}", password) == 200  # type: ignore[union-attr]
    finally:
        await again.stop()


async def test_a_hub_without_demo_makes_no_demo_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("thinggate.core.security.manager.make_hasher", fast_hasher)
    server = await start_server(web_config(tmp_path))
    try:
        assert server.demo_password is None
        assert not server.security.has_users
    finally:
        await server.stop()


def test_serve_demo_prints_where_to_log_in_and_the_password(tmp_path: Path) -> None:
    (tmp_path / "thinggate.toml").write_text(CONFIG)
    process = subprocess.Popen(
        [sys.executable, "-m", "thinggate.cli", "serve", "--demo", "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        said = read_until(process.stdout, "demo: log in")
        found = re.search(r"at http://localhost:(\d+) as 'demo' with the password (\S+)", said[-1])
        assert found is not None, said
        port, password = found.groups()
        answer = httpx.post(
            f"http://127.0.0.1:{port}/login",
            data={"username": DEMO_USER, "password": password},
            headers={"Accept": "application/json"},
        )
        assert answer.status_code == 200, answer.text
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, log
    # No credential in a log: the log says the user was made, the password only goes to stdout.
    assert "demo: made the user 'demo'" in log and password not in log
