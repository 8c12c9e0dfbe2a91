"""Fixtures of the browser tests: one Debian Chromium per session (Playwright, async), a fresh context per test.

Every test here is marked `browser` (`-m "not browser"` leaves them out) and runs on the session's
event loop, the loop the browser was started on: Playwright's objects belong to the loop that made
them. An async fixture that a browser test uses must run there too: declare it with
`@pytest_asyncio.fixture(loop_scope="session")` (any scope), as `page` and `hub` are.

A machine without Chromium or Playwright skips these tests with the reason; CI (CI=true) fails them
instead, as it does for PostgreSQL and knxd. Test modules import Playwright only for type hints
(under TYPE_CHECKING), so that without it they are skipped rather than fail to import. Each page a
test used is kept as a PNG under artifacts/screenshots/ (tests/web/browser.py).
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from pytest_asyncio import is_async_test

from tests.api.registry.rig import Rig, registry_rig
from tests.api.web.rig import Rig as WebRig
from tests.api.web.rig import web_rig
from tests.peers import missing_peer
from tests.web.browser import CHROMIUM_ARGS, ROOT, VIEWPORTS, chromium_path, keep_screenshot, screenshot_path

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

HERE = Path(__file__).parent

Screenshot = Callable[["Page", str], Awaitable[Path]]


def _node_id(item: pytest.Item) -> str:
    # The id from the repository root whatever directory pytest was started in: screenshots are named by it.
    return f"{item.path.relative_to(ROOT).as_posix()}::{item.name}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark this folder's tests `browser` and run its async ones on the session's loop (the browser's)."""
    on_session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.browser)
        if is_async_test(item):
            item.add_marker(on_session_loop, append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Debian Chromium for the whole session (skipped, or failed in CI, where there is none)."""
    executable = chromium_path()
    if executable is None:
        missing_peer("Chromium is not installed (apt-get install -y chromium; scripts/setup.sh --test does it)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        missing_peer("Playwright for Python is not installed (pip install -e '.[test]'; never `playwright install`)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, headless=True, args=list(CHROMIUM_ARGS))
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A page in a fresh browser context (no cookies, no storage) at desktop width, or at the layout asked for.

    `@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)` runs a test at both widths
    (tests/web/browser.py VIEWPORTS). The page as the test left it is kept as a screenshot.
    """
    layout = getattr(request, "param", "desktop")
    context = await browser.new_context(**VIEWPORTS[layout])
    try:
        opened = await context.new_page()
        yield opened
        if not opened.is_closed():
            try:
                await keep_screenshot(opened, screenshot_path(_node_id(request.node)))
            except Exception as exc:  # a crashed page must not hide the test's own outcome
                warnings.warn(f"no screenshot of {request.node.nodeid}: {exc}", stacklevel=1)
    finally:
        await context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """`await screenshot(page, "label")` keeps the page as it is now, beside the test's final screenshot."""

    async def keep(shown: Page, label: str) -> Path:
        return await keep_screenshot(shown, screenshot_path(_node_id(request.node), label))

    return keep


@pytest_asyncio.fixture(loop_scope="session")
async def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """A hub serving HTTP on a free loopback port (the registry door, JSON-RPC over TCP, an admin user)."""
    async with registry_rig(tmp_path, monkeypatch) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def house(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[WebRig]:
    """A hub with the demo house and the dashboard, JSON-RPC and Thinknx doors, users owner, viewer and kitchen."""
    async with web_rig(tmp_path, monkeypatch) as running:
        yield running
