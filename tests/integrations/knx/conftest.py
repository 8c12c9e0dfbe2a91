"""Fixtures of the KNX tests: `fake_bus` patched into xknx, and `knx_hub`, a hub connected to it (rig.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any
from unittest.mock import patch

import pytest
from xknx.cemi import CEMIHandler
from xknx.telegram import Telegram

from tests.integrations.knx.rig import FAST, FakeBus, FakeInterface, started_hub
from thinggate.core.hub import Hub
from thinggate.integrations.knx import KnxIntegration


@pytest.fixture
def fake_bus() -> Iterator[FakeBus]:
    """The faked bus, patched into xknx for the test."""
    bus = FakeBus()

    async def send_telegram(_handler: CEMIHandler, telegram: Telegram) -> None:
        if bus.hang:
            await asyncio.sleep(3600)  # a gateway that never confirms
        if bus.failure is not None:
            raise bus.failure
        bus.sent.append(telegram)

    def interface(xknx: Any, connection_config: Any) -> FakeInterface:
        return FakeInterface(bus, xknx, connection_config)

    with (
        patch("xknx.xknx.knx_interface_factory", interface),
        patch.object(CEMIHandler, "send_telegram", send_telegram),
    ):
        yield bus


@pytest.fixture
async def knx_hub(fake_bus: FakeBus) -> AsyncIterator[tuple[Hub, KnxIntegration, FakeBus]]:
    """A started hub with the KNX integration connected to the faked bus."""
    async with started_hub(fake_bus, FAST) as running:
        yield running
