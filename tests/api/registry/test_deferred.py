"""The registry door of an idle hub is its paths only: its first request assembles it, and answers as it would have."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.api.registry.rig import STACK, fast_hasher, registry_config
from thinggate.api.deferred import DeferredDoor
from thinggate.server import start_server


async def test_the_first_request_assembles_the_door_and_is_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thinggate.core.security.manager.make_hasher", fast_hasher)
    server = await start_server(registry_config(tmp_path))
    try:
        deferred = server.doors["registry"]
        assert isinstance(deferred, DeferredDoor) and deferred.built is None
        # The published key is made at start all the same: the command line and the dashboard list it.
        stored = await server.store.load_api_keys()
        assert len(stored) == 1 and stored[0].published_key is not None
        assert server.http is not None
        base = f"http://127.0.0.1:{server.http.port}"
        async with httpx.AsyncClient(base_url=base) as client:
            # Two first requests at once: one door is assembled, and both are answered by it.
            manifest, document = await asyncio.gather(client.get("/manifest"), client.get("/openapi.json"))
            assert manifest.status_code == 200 and manifest.json()["StackName"] == STACK
            assert document.status_code == 200 and f"/{STACK}/auth/login" in document.json()["paths"]
            built = deferred.built
            assert built is not None
            published = (await client.get(f"/{STACK}/metadata/manifest")).json()["ApiKey"]
            assert published == built.keys.published == stored[0].published_key
            assert (await client.get(f"/{STACK}/users")).json()["messageKey"] == "INVALID_API_KEY"
        assert deferred.built is built
    finally:
        await server.stop()


async def test_a_request_aiohttp_cannot_read_gets_the_registrys_error_before_the_door_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thinggate.core.security.manager.make_hasher", fast_hasher)
    server = await start_server(registry_config(tmp_path))
    try:
        assert server.http is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", server.http.port)
        writer.write(
            b"GET /" + STACK.encode() + b"/users HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n"
        )
        await writer.drain()
        answer = await reader.read()
        writer.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b" ", 2)[1] in (b"400", b"431"), head
        assert b'"messageKey":"INVALID_ARGUMENTS"' in body.replace(b" ", b""), body
        assert server.doors["registry"].built is None  # type: ignore[attr-defined]  # answered without the door
    finally:
        await server.stop()
