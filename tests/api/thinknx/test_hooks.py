"""Thinknx REST hooks through the wire: registered over the API, fed by state changes, retried, disabled."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from argon2 import PasswordHasher

from tests.hubtools import running_hub
from thinggate.api.thinknx import Authenticator, ThinknxDoor, ThinknxServer, ThinknxSettings
from thinggate.api.thinknx.digest import DigestAuthority
from thinggate.api.thinknx.hooks import REFUSED_TARGET, SETTING, HookRegistry, RetryPolicy
from thinggate.api.thinknx.key import IntegrationKey, KeyState, save_key
from thinggate.config import load_config
from thinggate.core.events import EventBus
from thinggate.core.guids import guid_of
from thinggate.core.hub import Hub
from thinggate.core.security import SYSTEM, LoginLimiter, Scope, SecurityManager
from thinggate.core.store import Store
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.server import start_server
from thinggate.storage import open_store

PASSWORD = "Secret123"
KEY = "K3yK3yK3yK3yK3yK3yK3yK3yK3yK3yK3"
FAST_RETRIES = RetryPolicy(attempts=3, first_delay=0.05, max_delay=0.2, timeout=2.0, disable_after=2)


@dataclass
class Receiver:
    """A real HTTP server standing for the integrator's callback endpoint."""

    status: int = 200
    bodies: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.status == 200:
            self.bodies.append(await request.json())
            self.arrived.set()
        return web.Response(status=self.status)


@dataclass
class Setup:
    hub: Hub
    virtual: VirtualIntegration
    store: Store
    security: SecurityManager
    base: str
    receiver: Receiver
    registry: HookRegistry
    key: IntegrationKey


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    """Hooks allowed to reach the receiver on this machine ([thinknx] hooks_allow_loopback = true)."""
    async with hook_rig(tmp_path, allow_loopback=True) as rig:
        yield rig


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[Setup]:
    """Hooks with the default settings: loopback targets refused."""
    async with hook_rig(tmp_path, allow_loopback=False) as rig:
        yield rig


@contextlib.asynccontextmanager
async def hook_rig(tmp_path: Path, *, allow_loopback: bool) -> AsyncIterator[Setup]:
    """A hub, the Thinknx door with hooks on a free port, and a receiver on 127.0.0.1."""
    store = await open_store(None, tmp_path)
    security = SecurityManager(store, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1), bus=EventBus())
    await security.load()
    await security.create_user("admin", PASSWORD)
    await security.create_user("viewer", PASSWORD, scopes=Scope.ACCESS_ALL_THINGS)
    await security.add_domain("upstairs")
    await security.create_user(
        "tenant", PASSWORD, scopes=Scope.CONFIGURE_THINGS | Scope.ACCESS_ALL_THINGS, home_domain="upstairs"
    )
    await save_key(store, KeyState.of(KEY, enabled=True))
    key = IntegrationKey(store)
    await key.load()
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"  # type: ignore[union-attr]
    async with running_hub(store) as (hub, virtual):
        door = ThinknxDoor(hub=hub, settings=ThinknxSettings(rate_limit=""))
        registry = HookRegistry(
            hub=hub,
            security=security,
            store=store,
            comm_obj=door.comm_obj,
            key=key,
            policy=FAST_RETRIES,
            allow_loopback=allow_loopback,
        )
        door.hooks = registry
        await registry.start()
        authenticator = Authenticator(
            security=security,
            key=key,
            limiter=LoginLimiter(),
            digest=DigestAuthority(secret_of=security.digest_secret, realm=await security.digest_realm()),
        )
        server = ThinknxServer(door, authenticator, host="127.0.0.1", port=0)
        await server.start()
        try:
            yield Setup(
                hub, virtual, store, security, f"http://127.0.0.1:{server.port}/api/V1", receiver, registry, key
            )
        finally:
            await server.stop()
            await runner.cleanup()
    await store.close()


async def add_light(setup: Setup, name: str, domain: str | None = None) -> Any:
    light_class = setup.virtual.thing_class_named("light")
    result = await setup.hub.add_thing(SYSTEM, name=name, thing_class_id=light_class.id, domain=domain)
    assert result.ok
    return setup.hub.things[result.value]  # type: ignore[index]


async def get(setup: Setup, path: str, user: str = "admin", **params: str) -> httpx.Response:
    async with httpx.AsyncClient(auth=(user, PASSWORD)) as client:
        return await client.get(f"{setup.base}/{path}", params=params)


async def test_a_hook_on_one_controller_gets_each_change_as_the_status_controller_answers(setup: Setup) -> None:
    light = await add_light(setup, "Hall")
    guid = guid_of(light.id)
    added = await get(setup, "hooks/add", url=setup.receiver.url, guid=guid, controller="power")
    assert added.status_code == 200
    hook_id = added.json()["id"]
    assert added.json() == {"namespace": "hooks/add", "id": hook_id}

    assert (await get(setup, "power", guid=guid, cmd="1")).status_code == 200
    await asyncio.wait_for(setup.receiver.arrived.wait(), 5)
    body = setup.receiver.bodies[0]
    assert {k: body[k] for k in ("namespace", "guid", "status", "comm_obj", "event")} == {
        "namespace": "powerstatus",
        "guid": guid,
        "status": 1,
        "comm_obj": 1,
        "event": "state_changed",
    }
    assert body["timestamp"].endswith("Z")
    listed = (await get(setup, "hooks/list")).json()
    assert listed["hooks"][0]["id"] == hook_id and listed["hooks"][0]["enabled"] is True
    assert (await setup.store.load_hub_settings())[SETTING][0]["url"] == setup.receiver.url


async def test_a_hook_for_another_device_or_controller_gets_nothing(setup: Setup) -> None:
    watched = await add_light(setup, "Watched")
    other = await add_light(setup, "Other")
    await get(setup, "hooks/add", url=setup.receiver.url, guid=guid_of(watched.id))
    await get(setup, "power", guid=guid_of(other.id), cmd="1")
    await get(setup, "power", guid=guid_of(watched.id), cmd="1")
    await asyncio.wait_for(setup.receiver.arrived.wait(), 5)
    await asyncio.sleep(0.2)
    assert [body["guid"] for body in setup.receiver.bodies] == [guid_of(watched.id)]


async def test_deliveries_are_retried_and_a_failing_hook_is_disabled_and_reported(setup: Setup) -> None:
    light = await add_light(setup, "Flaky")
    guid = guid_of(light.id)
    setup.receiver.status = 500
    hook_id = (await get(setup, "hooks/add", url=setup.receiver.url, guid=guid)).json()["id"]
    for value in ("1", "0", "1"):
        await get(setup, "power", guid=guid, cmd=value)
    for _ in range(100):
        if not setup.registry.hooks[hook_id].enabled:
            break
        await asyncio.sleep(0.05)
    hook = setup.registry.hooks[hook_id]
    assert hook.enabled is False and hook.last_error == "HTTP 500"
    # Two events, each tried three times, then the hook was switched off: nothing more is sent.
    assert setup.receiver.attempts == FAST_RETRIES.attempts * FAST_RETRIES.disable_after
    stored = (await setup.store.load_hub_settings())[SETTING]
    assert stored[0]["enabled"] is False
    listed = (await get(setup, "hooks/list")).json()["hooks"][0]
    assert (listed["enabled"], listed["last_error"]) == (False, "HTTP 500")

    setup.receiver.status = 200
    assert (await get(setup, "hooks/enable", id=hook_id)).status_code == 200
    await get(setup, "power", guid=guid, cmd="0")
    await asyncio.wait_for(setup.receiver.arrived.wait(), 5)
    assert setup.receiver.bodies[-1]["status"] == 0


async def test_a_receiver_that_recovers_within_the_retries_gets_the_change(setup: Setup) -> None:
    light = await add_light(setup, "Recovering")
    guid = guid_of(light.id)
    setup.receiver.status = 503
    await get(setup, "hooks/add", url=setup.receiver.url, guid=guid)
    await get(setup, "power", guid=guid, cmd="1")
    for _ in range(50):
        if setup.receiver.attempts:
            break
        await asyncio.sleep(0.01)
    setup.receiver.status = 200
    await asyncio.wait_for(setup.receiver.arrived.wait(), 5)
    assert setup.receiver.bodies[0]["status"] == 1


async def test_hooks_need_configure_rights_and_valid_targets(setup: Setup) -> None:
    light = await add_light(setup, "Guarded")
    refused = await get(setup, "hooks/add", user="viewer", url=setup.receiver.url)
    assert (refused.status_code, refused.json()) == (403, {"error": "authentication failed"})
    bad_url = await get(setup, "hooks/add", url="ftp://example/x")
    assert (bad_url.status_code, bad_url.json()) == (400, {"error": "params errors"})
    unknown_device = await get(setup, "hooks/add", url=setup.receiver.url, guid="AAAAAAAAAAAAAAAAAAAAAA")
    assert (unknown_device.status_code, unknown_device.json()) == (404, {"error": "device not found"})
    no_state = await get(setup, "hooks/add", url=setup.receiver.url, guid=guid_of(light.id), controller="updown")
    assert no_state.status_code == 400
    gone = await get(setup, "hooks/remove", id="nope")
    assert gone.status_code == 400
    assert setup.registry.hooks == {}


async def test_hooks_survive_a_restart_of_the_registry(setup: Setup) -> None:
    light = await add_light(setup, "Kept")
    hook_id = (await get(setup, "hooks/add", url=setup.receiver.url, guid=guid_of(light.id))).json()["id"]
    again = HookRegistry(hub=setup.hub, security=setup.security, store=setup.store, comm_obj=lambda *_: 0)
    await again.start()
    try:
        assert list(again.hooks) == [hook_id]
        assert again.hooks[hook_id].url == setup.receiver.url
    finally:
        await again.stop()
    assert (await get(setup, "hooks/remove", id=hook_id)).json() == {"namespace": "hooks/remove", "id": hook_id}
    assert (await setup.store.load_hub_settings())[SETTING] == []
    assert json.dumps((await get(setup, "hooks/list")).json()) == json.dumps({"namespace": "hooks/list", "hooks": []})


async def test_a_hook_reports_only_what_its_owner_may_see(setup: Setup) -> None:
    downstairs = await add_light(setup, "Downstairs")
    upstairs = await add_light(setup, "Upstairs", domain="upstairs")
    invisible = await get(setup, "hooks/add", user="tenant", url=setup.receiver.url, guid=guid_of(downstairs.id))
    assert (invisible.status_code, invisible.json()) == (404, {"error": "device not found"})
    assert (await get(setup, "hooks/add", user="tenant", url=setup.receiver.url)).status_code == 200
    await get(setup, "power", guid=guid_of(downstairs.id), cmd="1")
    await get(setup, "power", guid=guid_of(upstairs.id), cmd="1")
    await asyncio.wait_for(setup.receiver.arrived.wait(), 5)
    await asyncio.sleep(0.2)
    assert [body["guid"] for body in setup.receiver.bodies] == [guid_of(upstairs.id)]
    # the tenant sees its own hooks only; the admin sees all
    admin_hook = (await get(setup, "hooks/add", url=setup.receiver.url)).json()["id"]
    assert admin_hook not in [h["id"] for h in (await get(setup, "hooks/list", user="tenant")).json()["hooks"]]
    refused = await get(setup, "hooks/remove", user="tenant", id=admin_hook)
    assert refused.status_code == 400 and admin_hook in setup.registry.hooks


async def test_the_hooks_of_a_removed_user_report_nothing(setup: Setup) -> None:
    light = await add_light(setup, "Orphaned", domain="upstairs")
    await get(setup, "hooks/add", user="tenant", url=setup.receiver.url)
    await setup.security.remove_user("tenant")
    await get(setup, "power", guid=guid_of(light.id), cmd="1")
    await asyncio.sleep(0.3)
    assert setup.receiver.bodies == []


async def test_the_hooks_of_the_integration_key_end_with_that_key(setup: Setup) -> None:
    light = await add_light(setup, "Keyed")
    cloud = setup.base.replace("/api/V1", f"/{KEY}/api/V1")
    async with httpx.AsyncClient() as client:
        added = await client.get(f"{cloud}/hooks/add", params={"url": setup.receiver.url})
    assert added.status_code == 200
    assert "key_fingerprint" not in (await get(setup, "hooks/list")).json()["hooks"][0]
    await get(setup, "power", guid=guid_of(light.id), cmd="1")
    await asyncio.wait_for(setup.receiver.arrived.wait(), 5)
    assert len(setup.receiver.bodies) == 1
    new_key = "N3wK3yN3wK3yN3wK3yN3wK3yN3wK3yN3"
    for state, cmd in ((KeyState.of(KEY, enabled=False), "0"), (KeyState.of(new_key, enabled=True), "1")):
        await save_key(setup.store, state)  # as `thinggate thinknx key --disable` / `--regenerate` do
        await setup.key.load()
        changes = setup.receiver.attempts
        assert (await get(setup, "power", guid=guid_of(light.id), cmd=cmd)).status_code == 200
        assert light.state_value("power") is (cmd == "1")  # the change happened ...
        await asyncio.sleep(0.3)
        assert setup.receiver.attempts == changes, state  # ... and was not reported


# -- targets hooks may not reach -----------------------------------------------------------------


def _port(setup: Setup) -> int:
    return int(setup.receiver.url.rsplit(":", 1)[1].split("/", 1)[0])


async def _disabled(setup: Setup, hook_id: str) -> Any:
    for _ in range(200):
        if not setup.registry.hooks[hook_id].enabled:
            break
        await asyncio.sleep(0.02)
    return setup.registry.hooks[hook_id]


async def test_literal_loopback_link_local_and_unspecified_targets_are_refused_when_added(guarded: Setup) -> None:
    port = _port(guarded)
    for host in (
        "127.0.0.1",
        "127.1",  # old-style numeric forms are the same address to a connect
        "[::1]",
        "169.254.169.254",
        "[fe80::1]",
        "0.0.0.0",
        "[::]",
        "[::ffff:127.0.0.1]",
        "[::ffff:169.254.169.254]",
    ):
        refused = await get(guarded, "hooks/add", url=f"http://{host}:{port}/hook")
        assert (refused.status_code, refused.json()) == (400, {"error": "params errors"}), host
    assert guarded.registry.hooks == {}
    assert (await guarded.store.load_hub_settings()).get(SETTING) in (None, [])
    # LAN addresses stay allowed (nothing is delivered here: no change happens).
    assert (await get(guarded, "hooks/add", url="http://192.168.1.20:8080/hook")).status_code == 200
    assert (await get(guarded, "hooks/add", url="http://[fd00::20]/hook")).status_code == 200


async def test_a_name_resolving_to_loopback_is_refused_at_delivery(guarded: Setup) -> None:
    light = await add_light(guarded, "Named")
    guid = guid_of(light.id)
    url = f"http://localhost:{_port(guarded)}/hook"  # the receiver listens on 127.0.0.1
    hook_id = (await get(guarded, "hooks/add", url=url, guid=guid)).json()["id"]
    for value in ("1", "0"):
        assert (await get(guarded, "power", guid=guid, cmd=value)).status_code == 200
    hook = await _disabled(guarded, hook_id)
    assert (hook.enabled, hook.last_error) == (False, REFUSED_TARGET)
    assert guarded.receiver.attempts == 0
    listed = (await get(guarded, "hooks/list")).json()["hooks"][0]
    assert (listed["enabled"], listed["last_error"]) == (False, REFUSED_TARGET)


async def test_a_stored_literal_loopback_hook_is_refused_at_delivery(setup: Setup) -> None:
    light = await add_light(setup, "Stored")
    guid = guid_of(light.id)
    hook_id = (await get(setup, "hooks/add", url=setup.receiver.url, guid=guid)).json()["id"]
    # The same store, read by a registry with the default settings (loopback turned off again).
    again = HookRegistry(
        hub=setup.hub, security=setup.security, store=setup.store, comm_obj=lambda *_: 0, policy=FAST_RETRIES
    )
    await setup.registry.stop()
    await again.start()
    try:
        setup.registry = again
        for value in ("1", "0"):
            await get(setup, "power", guid=guid, cmd=value)
        hook = await _disabled(setup, hook_id)
        assert (hook.enabled, hook.last_error) == (False, REFUSED_TARGET)
        assert setup.receiver.attempts == 0
    finally:
        await again.stop()


async def test_loopback_names_reach_a_receiver_on_this_machine_when_allowed(setup: Setup) -> None:
    light = await add_light(setup, "Local")
    guid = guid_of(light.id)
    url = f"http://localhost:{_port(setup)}/hook"
    assert (await get(setup, "hooks/add", url=url, guid=guid)).status_code == 200
    await get(setup, "power", guid=guid, cmd="1")
    await asyncio.wait_for(setup.receiver.arrived.wait(), 5)
    assert setup.receiver.bodies[0]["guid"] == guid
    # Link-local stays refused even then.
    refused = await get(setup, "hooks/add", url="http://169.254.169.254/latest/meta-data/")
    assert (refused.status_code, refused.json()) == (400, {"error": "params errors"})


@pytest.mark.parametrize("allowed", [False, True])
async def test_the_thinknx_section_sets_whether_hooks_reach_loopback(tmp_path: Path, allowed: bool) -> None:
    (tmp_path / "thinggate.toml").write_text(
        f'data_dir = "{tmp_path / "data"}"\nbind = "127.0.0.1"\n'
        "[ports]\njsonrpc_tcp = 0\njsonrpc_ws = 0\nezlo = 0\nthinknx = 0\nhttp = 0\n"
        "[jsonrpc]\nzeroconf = false\n[virtual]\nauto_things = false\n"
        + ("[thinknx]\nhooks_allow_loopback = true\n" if allowed else "")
    )
    server = await start_server(load_config(tmp_path / "thinggate.toml"))
    try:
        assert server.doors["thinknx"] is not None
        base = f"http://127.0.0.1:{server.doors['thinknx'].port}/api/V1"
        await server.security.create_user("admin", PASSWORD)
        async with httpx.AsyncClient(auth=("admin", PASSWORD)) as client:
            added = await client.get(f"{base}/hooks/add", params={"url": "http://127.0.0.1:9/hook"})
        assert added.status_code == (200 if allowed else 400), added.text
    finally:
        await server.stop()
