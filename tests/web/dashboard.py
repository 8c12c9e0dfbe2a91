"""The dashboard in Chromium: logging a page in, a thing's card, stopping and starting the hub under an open page.

The hub is tests/api/web/rig.py's (the demo house, the dashboard, JSON-RPC and Thinknx on free
loopback ports, users `owner`, `viewer` and `kitchen`), given to browser tests by the `house`
fixture of tests/web/conftest.py. Playwright is imported when first used (see conftest.py).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from tests.api.web.rig import OWNER, PASSWORD, Rig
from thinggate.config import Config, Ports
from thinggate.core.model import Thing
from thinggate.server import start_server

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

LIVE_TEXT = "Live"
"""The status line of a page whose live channel is open (en.json live.online)."""


def expect(target: Any) -> Any:
    """Playwright's `expect` (its assertions retry until they hold or time out)."""
    from playwright.async_api import expect as playwright_expect

    return playwright_expect(target)


async def fill_login(page: Page, username: str, password: str) -> None:
    """Type into the login form and send it, as a person does."""
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def open_house(page: Page, rig: Rig, username: str = OWNER, password: str = PASSWORD) -> None:
    """Open the hub's front page, log in, and wait until the house is painted and live."""
    await page.goto(rig.base + "/")
    await fill_login(page, username, password)
    await expect(page.locator("#house")).to_have_attribute("aria-busy", "false")
    await expect(page.locator("#status")).to_have_text(LIVE_TEXT)


def card(page: Page, thing: Thing) -> Locator:
    """The card of a thing on the house page."""
    return page.locator(f'article.card[data-thing-id="{thing.id}"]')


def cards(page: Page) -> Locator:
    """Every card on the house page."""
    return page.locator("article.card")


async def stop_hub(rig: Rig) -> Config:
    """Stop the rig's hub (its clients of JSON-RPC and Thinknx too); answers its configuration with the ports it had."""
    old = rig.server
    assert old.http is not None
    ports = Ports(
        jsonrpc_tcp=old.doors["jsonrpc"].tcp_port,  # type: ignore[attr-defined]
        jsonrpc_ws=None,
        ezlo=None,
        thinknx=old.doors["thinknx"].port,  # type: ignore[attr-defined]
        http=old.http.port,
    )
    for close in rig.closers:
        await close()
    rig.closers.clear()
    await old.stop()
    return dataclasses.replace(old.config, ports=ports)


async def start_hub(rig: Rig, config: Config) -> None:
    """Start the hub again from stop_hub's configuration: the same data directory and ports (rig.server is it)."""
    rig.server = await start_server(config, demo=True)
    await rig.assembled()
