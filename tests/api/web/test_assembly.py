"""The dashboard is assembled by its first request: an idle hub holds its paths only (issue 12 §1d)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.api.web.rig import Rig, fast_hasher, web_config
from thinggate.api.deferred import DeferredDoor
from thinggate.api.web.door import WebDoor
from thinggate.api.web.paths import web_routes
from thinggate.server import start_server


async def test_the_first_request_assembles_the_dashboard_and_every_route_has_a_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thinggate.core.security.manager.make_hasher", fast_hasher)
    server = await start_server(web_config(tmp_path), demo=True)
    try:
        deferred = server.doors["web"]
        assert isinstance(deferred, DeferredDoor)
        assert deferred.built is None and deferred.connection_count == 0
        rig = Rig(server)
        async with httpx.AsyncClient(base_url=rig.base) as client:
            page = await client.get("/history")
        assert page.status_code == 200 and "<form" in page.text  # the login page, for a stranger
        door = deferred.built
        assert isinstance(door, WebDoor)
        assert door.routes.keys() == {route.name for route in web_routes()}
    finally:
        await server.stop()
