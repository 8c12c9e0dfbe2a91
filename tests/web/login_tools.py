"""Browser tests' way into the dashboard: a hub with the demo house on the session's loop, and the login form."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from tests.api.web.rig import OWNER, PASSWORD, Rig, web_rig

if TYPE_CHECKING:
    from playwright.async_api import Page


@pytest_asyncio.fixture(loop_scope="session")
async def house(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """A hub with the demo house, the dashboard, JSON-RPC, Thinknx and sensor data, and the web rig's users."""
    async with web_rig(tmp_path, monkeypatch) as running:
        yield running


async def log_in(page: Page, rig: Rig, path: str, username: str = OWNER) -> None:
    """Open a section of the dashboard, log in with the form it answers, and land back on the section."""
    from playwright.async_api import expect

    await page.goto(rig.base + path)
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#login-form button[type=submit]").click()
    await expect(page.locator("#logout")).to_be_visible()
    assert page.url.endswith(path)
