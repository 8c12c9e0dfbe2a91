"""Fixtures of the Thinknx door's tests: the door running with the rig's defaults (tests/api/thinknx/rig.py).

A test that needs other settings (a raw bus, an integration key, lowered limits, a feedback time)
builds its own with `async with thinknx_rig(tmp_path, ...) as rig`, or overrides `rig` in its module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.thinknx.rig import ThinknxRig, thinknx_rig


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[ThinknxRig]:
    """A hub with the demo house behind the Thinknx door on a free port; fails the test if the door logged an error."""
    async with thinknx_rig(tmp_path) as running:
        yield running
