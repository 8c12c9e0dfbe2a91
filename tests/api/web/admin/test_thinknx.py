"""The Thinknx door on the administration page: the tree's URLs work at that door, the key, the hooks' last error."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import tests.api.web.rig as web_rig_module
from tests.api.web.admin.common import code_of, refused_to_non_admins
from tests.api.web.rig import PASSWORD, Rig, web_rig
from thinggate.api.thinknx.hooks import RetryPolicy
from thinggate.api.thinknx.settings import ThinknxConfig
from thinggate.config import Config
from thinggate.core.guids import guid_of


def device(tree: dict[str, Any], name: str, room: str) -> dict[str, Any]:
    """One device of the tree answer."""
    return next(item for item in tree["devices"] if item["name"] == name and item["room"] == room)


async def test_a_url_copied_from_the_tree_switches_the_light_at_the_thinknx_door(rig: Rig) -> None:
    owner = await rig.logged_in()
    tree = (await owner.get("/web/api/admin/thinknx")).json()
    light = rig.thing("Ceiling light", "Kitchen")
    shown = device(tree, "Ceiling light", "Kitchen")
    assert shown["guid"] == guid_of(light.id)
    power = next(controller for controller in shown["controllers"] if controller["name"] == "power")
    assert power["url"] == f"/api/V1/power?guid={shown['guid']}&cmd=[0 or 1]&fb"
    assert power["example"] == f"/api/V1/power?guid={shown['guid']}&cmd=1&fb"
    # As the page builds it: the door's own port on the host the page came from.
    url = f"http://127.0.0.1:{tree['port']}{power['example']}"
    async with httpx.AsyncClient(auth=("owner", PASSWORD), timeout=30) as thinknx:
        answer = await thinknx.get(url)
    assert answer.status_code == 200, answer.text
    state = light.thing_class.state_type_named("power")
    assert state is not None and light.states[state.id].value is True


async def test_the_tree_holds_only_the_things_the_user_sees(rig: Rig) -> None:
    kitchen = await rig.logged_in("kitchen")
    tree = (await kitchen.get("/web/api/admin/thinknx")).json()
    assert tree["devices"] and {item["room"] for item in tree["devices"]} == {"Kitchen"}


async def test_the_integration_key_made_here_opens_the_cloud_form_at_once_and_closes_it_when_disabled(rig: Rig) -> None:
    owner = await rig.logged_in()
    assert (await owner.get("/web/api/admin/thinknx/key")).json() == {"set": False, "enabled": False}
    enabled = await owner.write("/web/api/admin/thinknx/key", {"enabled": True})
    assert enabled.status_code == 200, enabled.text
    key = enabled.json()["key"]
    assert enabled.json()["set"] and enabled.json()["enabled"] and key
    light = rig.thing("Ceiling light", "Kitchen")
    port = rig.server.doors["thinknx"].port  # type: ignore[attr-defined]
    status_url = f"http://127.0.0.1:{port}/{key}/api/V1/powerstatus?guid={guid_of(light.id)}"
    async with httpx.AsyncClient(timeout=30) as cloud:
        assert (await cloud.get(status_url)).status_code == 200
        disabled = await owner.write("/web/api/admin/thinknx/key", {"enabled": False})
        assert disabled.json() == {"set": True, "enabled": False, "key": None}
        assert (await cloud.get(status_url)).status_code == 403
        again = await owner.write("/web/api/admin/thinknx/key", {"enabled": True, "regenerate": True})
        assert again.json()["key"] not in (None, key)
        assert (await cloud.get(status_url)).status_code == 403  # the old key is gone
        fresh = status_url.replace(key, again.json()["key"])
        assert (await cloud.get(fresh)).status_code == 200


async def test_only_the_hubs_administrators_see_or_change_the_key(rig: Rig) -> None:
    await refused_to_non_admins(rig, "GET", "/web/api/admin/thinknx/key")
    await refused_to_non_admins(rig, "POST", "/web/api/admin/thinknx/key", {"enabled": True})
    owner = await rig.logged_in()
    assert (await owner.get("/web/api/admin/thinknx/key")).json() == {"set": False, "enabled": False}
    bad = await owner.write("/web/api/admin/thinknx/key", {"enabled": "yes"})
    assert bad.status_code == 400 and code_of(bad) == "BadRequest"
    unknown = await owner.write("/web/api/admin/thinknx/hooks/nothing/enable")
    assert unknown.status_code == 404 and code_of(unknown) == "UnknownItem"


@pytest.fixture
async def hooked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """The rig with Thinknx hooks allowed to reach loopback (the receiver here is on this machine)."""
    plain = web_rig_module.web_config

    def config(data_dir: Path, **web: Any) -> Config:
        made = plain(data_dir, **web)
        made.doors["thinknx"] = ThinknxConfig(tls=False, rate_limit="", hooks_allow_loopback=True)
        return made

    monkeypatch.setattr(web_rig_module, "web_config", config)
    async with web_rig(tmp_path, monkeypatch) as running:
        yield running


def closed_port() -> int:
    """A loopback port nobody listens on (a hook aimed there fails to connect)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_failing_hook_shows_its_last_error_and_is_enabled_again_here(hooked: Rig) -> None:
    rig = hooked
    hooks = rig.server.doors["thinknx"].door.hooks  # type: ignore[attr-defined]
    # One attempt per change, disabled after the first failed one: the test waits for one delivery, not twelve.
    hooks.policy = RetryPolicy(attempts=1, first_delay=0.01, disable_after=1)
    thinknx = rig.thinknx()
    light = rig.thing("Ceiling light", "Kitchen")
    guid = guid_of(light.id)
    added = await thinknx.get("/hooks/add", params={"url": f"http://127.0.0.1:{closed_port()}/hook", "guid": guid})
    assert added.status_code == 200, added.text
    hook_id = added.json()["id"]
    assert (await thinknx.get("/power", params={"guid": guid, "cmd": "1"})).status_code == 200
    owner = await rig.logged_in()
    async with asyncio.timeout(10):
        while True:
            shown = (await owner.get("/web/api/admin/thinknx/hooks")).json()["items"]
            if not shown[0]["enabled"]:
                break
            await asyncio.sleep(0.05)
    assert shown[0]["id"] == hook_id and shown[0]["last_error"] == "could not connect"
    # Another user sees none of the owner's hooks (the door's rule: one's own, or all for an administrator).
    viewer = await rig.logged_in("viewer")
    assert (await viewer.get("/web/api/admin/thinknx/hooks")).json()["items"] == []
    refused = await viewer.write(f"/web/api/admin/thinknx/hooks/{hook_id}/enable")
    assert refused.status_code in (403, 404), refused.text

    enabled = await owner.write(f"/web/api/admin/thinknx/hooks/{hook_id}/enable")
    assert enabled.status_code == 200, enabled.text
    listed = (await thinknx.get("/hooks/list")).json()["hooks"]
    assert [(hook["id"], hook["enabled"], hook["last_error"]) for hook in listed] == [(hook_id, True, "")]
    assert (await owner.write(f"/web/api/admin/thinknx/hooks/{hook_id}/remove")).status_code == 200
    assert (await thinknx.get("/hooks/list")).json()["hooks"] == []
