"""Fixtures of the Integrations tests: `client`, an admin connection with Integrations notifications on,
over `kind` (TCP unless a test parametrizes it).
"""

from __future__ import annotations

import pytest

from tests.api.jsonrpc.integrations.helpers import admin_client
from tests.api.jsonrpc.rig import Rig, RpcClient


@pytest.fixture
def kind() -> str:
    """The transport (tests that run on both parametrize this)."""
    return "tcp"


@pytest.fixture
async def client(rig: Rig, kind: str) -> RpcClient:
    """An admin connection to `rig` over `kind`, Integrations notifications on."""
    return await admin_client(rig, kind)
