"""The `[registry]` section: read from thinggate.toml, checked before anything starts; the door on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.api.registry.rig import ADMIN, registry_config, registry_rig
from thinggate.api.registry.settings import RegistryConfig
from thinggate.config import ConfigError, load_config
from thinggate.server import start_server


def test_the_section_is_read_from_thinggate_toml(tmp_path: Path) -> None:
    path = tmp_path / "thinggate.toml"
    path.write_text('[registry]\nstack_name = "prod"\naccess_token_seconds = 600\npublish_api_key = false\n')
    assert load_config(path).door("registry") == RegistryConfig(
        stack_name="prod", access_token_seconds=600, publish_api_key=False
    )


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"stack_name": "a/b"}, "stack_name"),
        ({"stack_name": ""}, "stack_name"),
        ({"stack_name": "manifest"}, "stack_name"),
        ({"access_token_seconds": 0}, "access_token_seconds"),
        ({"refresh_token_days": -1}, "refresh_token_days"),
        ({"max_body_bytes": 10}, "max_body_bytes"),
        ({"list_cache_bytes": -1}, "list_cache_bytes"),
        ({"list_cache_bytes": 1.5}, "list_cache_bytes"),
        ({"public_url": "https://hub.example.org/path"}, "public_url"),
        ({"enabled": "yes"}, "enabled"),
    ],
)
async def test_bad_settings_are_refused_before_anything_starts(
    tmp_path: Path, setting: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigError, match=rf"\[registry\] {named}"):
        await start_server(registry_config(tmp_path, **setting))


async def test_a_public_url_is_the_manifests_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch, public_url="https://hub.example.org") as rig:
        answer = await rig.client().http.get("/manifest")
        assert answer.json()["ApiGatewayRootUrl"] == "https://hub.example.org"


async def test_a_disabled_registry_serves_no_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch, enabled=False) as rig:
        assert "registry" not in rig.server.doors and rig.server.http is None


async def test_concurrent_creates_of_one_id_make_one_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch) as rig:
        admin = await rig.logged_in(ADMIN)
        body = {"id": "lights", "domain": "root", "label": "Lights"}
        answers = await asyncio.gather(*(admin.post("/thingtypes", body) for _ in range(8)))
        assert sorted(answer.status_code for answer in answers) == [200] + [409] * 7
        assert [record.id for record in await rig.server.store.load_thing_types()] == ["lights"]


@pytest.mark.postgres
async def test_the_registry_on_postgresql_keeps_types_keys_and_logins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    async with registry_rig(tmp_path, monkeypatch, database=postgres_url) as rig:
        admin = await rig.logged_in(ADMIN)
        assert (await admin.post("/domains", {"id": "site-a", "data": {"k": 1}})).status_code == 200
        created = await admin.post("/thingtypes", {"id": "lights", "domain": "site-a", "label": "L", "data": [1]})
        assert created.status_code == 200
        key, token = rig.api_key, admin.token
    async with registry_rig(tmp_path, monkeypatch, database=postgres_url) as again:
        assert again.api_key == key  # the published key is kept, not made anew
        client = again.client()
        client.token = token  # the login survives the restart
        got = await client.get("/thingtypes/lights", params={"attributes": "domain,data"})
        assert got.json() == {"id": "lights", "domain": "site-a", "data": [1]}
        assert (await client.get("/domains/site-a")).json()["data"] == {"k": 1}
