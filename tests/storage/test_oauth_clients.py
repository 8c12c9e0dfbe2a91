"""The sensor-data door's OAuth clients in every store (memory, SQLite, PostgreSQL): kept, replaced, deleted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from thinggate.core.store import OAuthClientRecord, Store
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


async def test_clients_round_trip_oldest_first_and_are_deleted(store: Store) -> None:
    reader = OAuthClientRecord("service-b", "dashboard", "alice", "b" * 64, ["sensor-data:read"], at(1))
    writer = OAuthClientRecord("service-a", "gateway", "bob", "a" * 64, ["itwin-platform"], at(0))
    await store.save_oauth_client(reader)
    await store.save_oauth_client(writer)
    assert await store.load_oauth_clients() == [writer, reader]
    renamed = replace(reader, name="dashboard-2", scopes=["sensor-data:read", "sensor-data:modify"])
    await store.save_oauth_client(renamed)
    await store.delete_oauth_client("service-a")
    await store.delete_oauth_client("service-unknown")
    assert await store.load_oauth_clients() == [renamed]


async def test_a_client_survives_reopening(sqlite_url: str, tmp_path: Path) -> None:
    record = OAuthClientRecord("service-c", "probe", "alice", "c" * 64, ["sensor-data:modify"], at(2))
    first = await open_store(sqlite_url, tmp_path)
    await first.save_oauth_client(record)
    await first.close()
    second = await open_store(sqlite_url, tmp_path)
    try:
        assert await second.load_oauth_clients() == [record]
    finally:
        await second.close()
