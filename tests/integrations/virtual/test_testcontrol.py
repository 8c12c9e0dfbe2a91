"""The virtual integration's test-control hook opens only with `test_control = true`.

Its HTTP side port takes unauthenticated commands (`/setstate` ...), so a port left in
thinggate.toml with the hook switched off, as in the README's sample, must not open it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.peers import free_port
from thinggate.config import load_config
from thinggate.server import start_server


def _config_file(tmp_path: Path, *, test_control: bool, port: int) -> Path:
    path = tmp_path / "thinggate.toml"
    path.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        'bind = "127.0.0.1"\n'
        "[ports]\n"
        "jsonrpc_tcp = 0\njsonrpc_ws = 0\nezlo = 0\nthinknx = 0\nhttp = 0\n"
        "[jsonrpc]\nzeroconf = false\n"
        "[virtual]\n"
        "auto_things = false\n"
        f"test_control = {'true' if test_control else 'false'}\n"
        f"test_control_port = {port}\n"
    )
    return path


async def test_a_side_port_with_test_control_false_is_not_opened(tmp_path: Path) -> None:
    port = free_port()
    server = await start_server(load_config(_config_file(tmp_path, test_control=False, port=port)), demo=True)
    try:
        assert server.virtual is not None and server.virtual.test_control is None
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
    finally:
        await server.stop()


async def test_test_control_true_opens_the_side_port_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    server = await start_server(load_config(_config_file(tmp_path, test_control=True, port=port)), demo=True)
    try:
        assert server.virtual is not None
        light = next(t for t in server.hub.things.values() if t.name == "Path light")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            answer = await client.get("/setstate", params={"thing": str(light.id), "power": "true"})
        assert (answer.status_code, answer.json()) == (200, {"ok": True})
        assert light.state_value("power") is True
    finally:
        await server.stop()
