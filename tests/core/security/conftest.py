"""Fixtures of the security tests: a fake store and a loaded SecurityManager on it."""

from __future__ import annotations

import pytest

from tests.core.security.fakes import FakeStore, fast_hasher
from thinggate.core.events import EventBus
from thinggate.core.security import SecurityManager


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
async def manager(store: FakeStore) -> SecurityManager:
    result = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await result.load()
    return result
