"""Fixtures of the registry door's tests: a real hub with the door on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.registry.rig import Rig, registry_rig


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """A hub with the virtual integration, the registry door and an admin user."""
    async with registry_rig(tmp_path, monkeypatch) as running:
        yield running
