"""Fixtures of the dashboard door's tests: a real hub with the demo house and the door on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.web.rig import Rig, web_rig


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """A hub with the demo house, the dashboard, JSON-RPC and Thinknx, and three users."""
    async with web_rig(tmp_path, monkeypatch) as running:
        yield running
