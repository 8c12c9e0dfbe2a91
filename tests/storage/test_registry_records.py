"""The registry's records in every store (memory, SQLite, PostgreSQL): API keys, logins, thing types, domains."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from thinggate.core.store import ApiKeyRecord, DomainRecord, RegistryTokenRecord, Store, ThingTypeRecord
from thinggate.storage import open_store
from thinggate.storage.memory import MemoryStore

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open store of each backend, closed afterwards."""
    opened: Store
    if request.param == "memory":
        opened = MemoryStore()
    else:
        url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
        opened = await open_store(url, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


def at(minutes: int) -> datetime:
    return datetime(2026, 12, 7, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes)


async def test_api_keys_round_trip_and_are_deleted(store: Store) -> None:
    published = ApiKeyRecord(uuid.uuid4(), "manifest", "a" * 64, at(0), published_key="public-key")
    private = ApiKeyRecord(uuid.uuid4(), "ci", "b" * 64, at(1))
    await store.save_api_key(private)
    await store.save_api_key(published)
    assert await store.load_api_keys() == [published, private]  # oldest first
    renamed = replace(private, name="ci-2")
    await store.save_api_key(renamed)
    await store.delete_api_key(published.id)
    await store.delete_api_key(uuid.uuid4())
    assert await store.load_api_keys() == [renamed]


async def test_an_api_key_hash_is_unique(store: Store) -> None:
    await store.save_api_key(ApiKeyRecord(uuid.uuid4(), "one", "c" * 64, at(0)))
    with pytest.raises(Exception):  # noqa: B017 - each backend's own integrity error
        await store.save_api_key(ApiKeyRecord(uuid.uuid4(), "two", "c" * 64, at(1)))


async def test_registry_logins_round_trip_and_are_deleted(store: Store) -> None:
    first = RegistryTokenRecord(uuid.uuid4(), "alice", "1" * 64, at(60), "2" * 64, at(43200), at(0))
    second = RegistryTokenRecord(uuid.uuid4(), "bob", "3" * 64, at(61), "4" * 64, at(43201), at(1))
    await store.save_registry_token(second)
    await store.save_registry_token(first)
    assert await store.load_registry_tokens() == [first, second]
    refreshed = replace(first, access_hash="5" * 64, access_expires=at(120))
    await store.save_registry_token(refreshed)
    assert await store.load_registry_tokens() == [refreshed, second]
    await store.delete_registry_tokens([first.id, uuid.uuid4()])
    await store.delete_registry_tokens([])
    assert await store.load_registry_tokens() == [second]


async def test_thing_types_round_trip_with_their_data_and_resources(store: Store) -> None:
    lights = ThingTypeRecord(
        id="lights",
        domain="site-a",
        label="Lights",
        description="Light switches",
        data={"nested": [1, "two", None, {"deep": True}]},
        resources=[{"name": "power", "type": "boolean", "isSettable": True}],
        virtual_resources=[{"name": "note", "type": "string", "isSettable": False, "label": "Note"}],
        lock_mappings=True,
        created=at(0),
    )
    bare = ThingTypeRecord(id="bare", domain="root", label="Bare", data="just text", created=at(1))
    await store.save_thing_type(bare)
    await store.save_thing_type(lights)
    assert await store.load_thing_types() == [lights, bare]
    moved = replace(lights, domain="root", label="Lamps", data=None)
    await store.save_thing_type(moved)
    await store.delete_thing_type("bare")
    await store.delete_thing_type("nothing")
    assert await store.load_thing_types() == [moved]


async def test_domains_keep_a_display_name_and_data(store: Store) -> None:
    site = DomainRecord("site-a", "root", "HQ", "Site A", {"city": "Oslo", "floors": [1, 2]})
    await store.save_domain(site)
    await store.save_domain(DomainRecord("root", None))
    assert await store.load_domains() == [DomainRecord("root", None), site]
