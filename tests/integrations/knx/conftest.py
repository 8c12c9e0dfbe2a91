"""Fixtures of the KNX tests: `fake_bus` patched into xknx, and `knx_hub`, a hub connected to it (rig.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.integrations.knx.rig import FAST, FakeBus, patched_into_xknx, started_hub
from thinggate.core.hub import Hub
from thinggate.integrations.knx import KnxIntegration


@pytest.fixture
def fake_bus() -> Iterator[FakeBus]:
    """The faked bus, patched into xknx for the test."""
    bus = FakeBus()
    with patched_into_xknx(bus):
        yield bus


@pytest.fixture
async def knx_hub(fake_bus: FakeBus) -> AsyncIterator[tuple[Hub, KnxIntegration, FakeBus]]:
    """A started hub with the KNX integration connected to the faked bus."""
    async with started_hub(fake_bus, FAST) as running:
        yield running
