"""Fixtures of the sensor-data door's tests: a real hub with the door on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.sensordata.rig import Rig, sensordata_rig


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """A hub with the virtual integration, the sensor-data door and an admin user."""
    async with sensordata_rig(tmp_path, monkeypatch) as running:
        yield running
