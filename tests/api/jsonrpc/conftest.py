"""Fixtures of the JSON-RPC door's tests: the door running with the rig's defaults (tests/api/jsonrpc/rig.py).

A test that needs other settings (TLS, lowered limits, a lockdown, a second life on the same data
directory) builds its own with `async with jsonrpc_rig(tmp_path, ...) as rig`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.jsonrpc.rig import Rig, jsonrpc_rig


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """A hub with the virtual integration (auto things on) behind the JSON-RPC door on free TCP and WS ports."""
    async with jsonrpc_rig(tmp_path) as running:
        yield running
