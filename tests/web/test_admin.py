"""The administration page in Chromium: add a user and log in as them, revoke an API key, an OAuth client's
secret shown once, a Thinknx URL copied from the page, each tab accessible at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import pytest_asyncio

from tests.api.web.rig import PASSWORD, Rig, web_rig
from tests.web.browser import assert_accessible
from tests.web.conftest import Screenshot
from thinggate.core.security import Scope

if TYPE_CHECKING:  # imported by the fixtures: a machine without Playwright skips these tests with the reason
    from playwright.async_api import Page

TABS = ("users", "roles", "domains", "tokens", "apikeys", "oauth", "thingtypes", "thinknx", "status")
STACK = "thinggate"
WAIT = 10_000  # ms: how long an expect waits for the page


@pytest_asyncio.fixture(loop_scope="session")
async def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """A hub with the demo house, the dashboard, the registry, sensor-data, JSON-RPC and Thinknx doors."""
    async with web_rig(tmp_path, monkeypatch) as running:
        yield running


async def log_in(page: Page, web: Rig, username: str = "owner", password: str = PASSWORD, path: str = "/admin") -> None:
    """Open a page, log in on the login page it shows, and wait for the page itself."""
    from playwright.async_api import expect

    await page.goto(f"{web.base}{path}")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=WAIT)


async def open_tab(page: Page, name: str) -> None:
    """Click a tab and wait until its panel has been read from the hub."""
    from playwright.async_api import expect

    await page.get_by_role("tab", name=name).click()
    panel = page.locator("[role=tabpanel]:not([hidden])")
    await expect(panel).to_have_attribute("aria-busy", "false", timeout=WAIT)


async def test_add_a_user_and_log_in_as_them(web: Rig, page: Page, screenshot: Screenshot) -> None:
    from playwright.async_api import expect

    await log_in(page, web)
    await open_tab(page, "Users")
    form = page.get_by_role("form", name="Add a user")
    await form.get_by_label("User name").fill("guest")
    # The hub's rules are said beside the field, before any refusal.
    await expect(form.get_by_label("Password")).to_have_accessible_description(re.compile("At least 8 characters"))
    await form.get_by_label("Password").fill("Welcome123")
    await form.get_by_label("Display name").fill("A guest")
    await form.get_by_label("Role").select_option("ReadWrite")
    await form.get_by_role("button", name="Add the user").click()
    await expect(page.get_by_role("heading", name="A guest (guest)")).to_be_visible(timeout=WAIT)
    await screenshot(page, "user-added")

    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=WAIT)  # back at the login page
    await log_in(page, web, "guest", "Welcome123", path="/")
    await expect(page.locator("#user")).to_have_text("Logged in as A guest", timeout=WAIT)
    # ReadWrite administers nothing: the hub lists no administration for it.
    await expect(page.get_by_role("link", name="Administration", exact=True)).to_have_count(0)


async def test_a_wrong_password_is_said_in_the_form(web: Rig, page: Page) -> None:
    from playwright.async_api import expect

    await log_in(page, web)
    await open_tab(page, "Users")
    form = page.get_by_role("form", name="Add a user")
    await form.get_by_label("User name").fill("weakling")
    await form.get_by_label("Password").fill("weakpassword")  # long enough for the browser, not for the hub
    await form.get_by_role("button", name="Add the user").click()
    await expect(form.get_by_role("alert")).to_contain_text("password", timeout=WAIT)
    assert all(user.username != "weakling" for user in web.server.security.users())


async def test_revoke_an_api_key(web: Rig, page: Page, screenshot: Screenshot) -> None:
    from playwright.async_api import expect

    await log_in(page, web)
    await open_tab(page, "API keys")
    panel = page.locator("#panel-apikeys")
    await panel.get_by_label("Name", exact=True).fill("building management")
    await panel.get_by_role("button", name="Make the key").click()
    secret = page.locator(".secret code")
    await expect(secret).to_be_visible(timeout=WAIT)
    key = await secret.inner_text()
    await screenshot(page, "key-made")
    async with httpx.AsyncClient(base_url=f"{web.base}/{STACK}", timeout=30, headers={"x-api-key": key}) as registry:
        login = {"userName": "owner", "password": PASSWORD}
        assert (await registry.post("/auth/login", json=login)).status_code == 200
        await page.get_by_role("button", name="Revoke the API key building management").click()
        await expect(page.get_by_role("cell", name="building management")).to_have_count(0, timeout=WAIT)
        refused = await registry.post("/auth/login", json=login)
        assert refused.status_code == 403 and "INVALID_API_KEY" in refused.text


async def test_add_an_oauth_client_and_see_its_secret_once(web: Rig, page: Page, screenshot: Screenshot) -> None:
    from playwright.async_api import expect

    await log_in(page, web)
    await open_tab(page, "OAuth clients")
    panel = page.locator("#panel-oauth")
    await panel.get_by_label("Name", exact=True).fill("weather station")
    await panel.get_by_label("Acts as").select_option("viewer")
    await panel.get_by_label("sensor-data:read").check()
    await panel.get_by_role("button", name="Make the client").click()
    shown = page.locator(".secret code")
    await expect(shown).to_have_count(2, timeout=WAIT)
    client_id, secret = await shown.nth(0).inner_text(), await shown.nth(1).inner_text()
    await expect(page.get_by_role("cell", name=client_id)).to_be_visible()
    await screenshot(page, "secret-shown")
    async with httpx.AsyncClient(base_url=web.base, timeout=30) as client:
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        assert (await client.post("/connect/token", data=form)).status_code == 200
    # Once: the list read again knows the client, not its secret.
    await page.reload()
    await expect(page.get_by_role("cell", name=client_id)).to_be_visible(timeout=WAIT)
    assert secret not in await page.content()


async def test_a_thinknx_url_copied_from_the_page_switches_the_light(web: Rig, page: Page) -> None:
    from playwright.async_api import expect

    await log_in(page, web)
    await open_tab(page, "Thinknx")
    await page.locator(".device", has_text="Path light").get_by_text("URLs of Path light").click()
    copy = page.get_by_role("button", name="Copy the power URL of Path light in Garden")
    await expect(copy).to_be_visible(timeout=WAIT)
    copied = await copy.get_attribute("data-copy")
    assert copied is not None and re.fullmatch(r"http://127\.0\.0\.1:\d+/api/V1/power\?guid=[\w-]{22}&cmd=1&fb", copied)
    light = web.thing("Path light")
    power = light.thing_class.state_type_named("power")
    assert power is not None and light.states[power.id].value is False
    async with httpx.AsyncClient(auth=("owner", PASSWORD), timeout=30) as thinknx:
        assert (await thinknx.get(copied)).status_code == 200
    assert light.states[power.id].value is True


async def test_a_user_who_may_not_administer_gets_no_administration(web: Rig, page: Page) -> None:
    from playwright.async_api import expect

    await log_in(page, web, "viewer", path="/")
    # The navigation lists the pages the user has, without the administration.
    await expect(page.get_by_role("link", name="History", exact=True)).to_have_count(1)
    await expect(page.get_by_role("link", name="Administration", exact=True)).to_have_count(0)
    # Opened by its address, the page says whose it is instead of forms the hub would refuse.
    await page.goto(f"{web.base}/admin#apikeys")
    await expect(page.locator("#panels")).to_contain_text("Only the hub's administrators", timeout=WAIT)
    await expect(page.get_by_role("tab")).to_have_count(0)
    await expect(page.get_by_role("form")).to_have_count(0)


async def test_the_page_is_live_and_closes_when_its_user_is_removed(web: Rig, page: Page) -> None:
    from playwright.async_api import expect

    await web.server.security.create_user("carol", PASSWORD, scopes=Scope.ADMIN)
    await log_in(page, web, "carol", path="/admin#tokens")
    await expect(page.locator("#status")).to_have_text("Live", timeout=WAIT)
    await web.server.security.remove_user("carol")
    # The session ended: the same address shows the login page, and the tab again once logged in.
    await expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=WAIT)
    assert page.url.endswith("/admin#tokens")


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_every_tab_is_accessible(web: Rig, page: Page, screenshot: Screenshot) -> None:
    from playwright.async_api import expect

    await log_in(page, web)
    await expect(page.get_by_role("link", name="Administration", exact=True)).to_have_attribute("aria-current", "page")
    for tab in TABS:
        await page.locator(f"#tab-{tab}").click()
        panel = page.locator(f"#panel-{tab}")
        await expect(panel).to_have_attribute("aria-busy", "false", timeout=WAIT)
        await expect(panel.locator(".error:visible")).to_have_count(0)
        await assert_accessible(page)
        await screenshot(page, tab)


async def test_the_tabs_are_keyboard_usable(web: Rig, page: Page) -> None:
    from playwright.async_api import expect

    await log_in(page, web)
    users = page.get_by_role("tab", name="Users")
    await expect(users).to_have_attribute("aria-selected", "true", timeout=WAIT)
    await users.focus()
    await page.keyboard.press("ArrowRight")
    roles = page.get_by_role("tab", name="Roles and privileges")
    await expect(roles).to_be_focused()
    await expect(roles).to_have_attribute("aria-selected", "true")
    await page.keyboard.press("End")
    await expect(page.get_by_role("tab", name="Events and broker")).to_be_focused()
    assert page.url.endswith("#status")


async def test_logging_in_at_a_tabs_address_opens_that_tab(web: Rig, page: Page) -> None:
    from playwright.async_api import expect

    await log_in(page, web, path="/admin#apikeys")
    await expect(page.get_by_role("tab", name="API keys")).to_have_attribute("aria-selected", "true", timeout=WAIT)
