"""Fixtures of the storage tests: an empty database or an open store of the backend a test is parametrised with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from thinggate.core.store import Store
from thinggate.storage import open_store
from thinggate.storage.memory import MemoryStore


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    """A URL of an empty database of the backend the test is parametrised with."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return url


@pytest.fixture
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open store of the backend the test is parametrised with, closed afterwards."""
    backend: str = request.param
    opened: Store
    if backend == "memory":
        opened = MemoryStore()
    else:
        opened = await open_store(
            request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url"), tmp_path
        )
    try:
        yield opened
    finally:
        await opened.close()
