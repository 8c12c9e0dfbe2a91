"""Fixtures of the Ezlo door's tests: the door running with the rig's defaults (tests/api/ezlo/rig.py).

A test that needs other settings (anonymous access, TLS, a ping interval, a frame limit) builds its
own with `async with ezlo_rig(tmp_path, ...) as rig`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.ezlo.rig import EzloRig, ezlo_rig


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[EzloRig]:
    """A hub with the demo house behind the Ezlo door on a free port, an admin and a viewer with tokens."""
    async with ezlo_rig(tmp_path) as running:
        yield running
