"""Fixtures of the core's tests: a started hub with the virtual integration on a store in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.hubtools import running_hub
from thinggate.core.hub import Hub
from thinggate.integrations.virtual import PLUGIN, VirtualIntegration
from thinggate.storage.memory import MemoryStore


@pytest.fixture
def store() -> MemoryStore:
    """An empty store in memory (a test that restarts the hub starts a second one on it)."""
    return MemoryStore()


@pytest.fixture
async def hub(store: MemoryStore) -> AsyncIterator[Hub]:
    """A started hub on `store` with the virtual integration (test control and auto things on), all set up."""
    async with running_hub(store) as (running, _virtual):
        yield running


@pytest.fixture
def virtual(hub: Hub) -> VirtualIntegration:
    """The virtual integration of `hub`."""
    integration = hub.integrations[PLUGIN.id]
    assert isinstance(integration, VirtualIntegration)
    return integration
