"""The login page in Chromium: logging in and out, a wrong password, the lockout, accessibility at both widths."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api.web.rig import OWNER, PASSWORD, Rig
from tests.web.browser import assert_accessible
from tests.web.conftest import Screenshot
from tests.web.dashboard import expect, fill_login, open_house

if TYPE_CHECKING:
    from playwright.async_api import Page

WRONG = "Wrong1234"
MAX_FAILURES = 5
"""Failed logins of one address before the hub's shared lockout (LoginLimiter's default; no setting lowers it)."""


async def test_a_user_logs_in_sees_the_house_and_logs_out(house: Rig, page: Page, screenshot: Screenshot) -> None:
    await page.goto(house.base + "/")
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await screenshot(page, "login")
    await open_house(page, house)
    await expect(page.locator("#user")).to_have_text(f"Logged in as {OWNER}")
    await expect(page).to_have_title("House · thinggate")
    assert len(house.door.sessions) == 1

    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert len(house.door.sessions) == 0
    # The cookie the browser may still hold opens nothing: the house page is the login page again.
    await page.goto(house.base + "/")
    await expect(page.locator("#login-form")).to_be_visible()
    assert (await page.request.get(house.base + "/web/api/house")).status == 401


async def test_a_wrong_password_shows_the_error_and_the_user_can_try_again(house: Rig, page: Page) -> None:
    await page.goto(house.base + "/")
    await fill_login(page, OWNER, WRONG)
    error = page.get_by_role("alert")
    await expect(error).to_have_text("Wrong user name or password.")
    await expect(page.locator("#login-form")).to_be_visible()
    assert len(house.door.sessions) == 0

    await fill_login(page, OWNER, PASSWORD)
    await expect(page.locator("#status")).to_have_text("Live")


async def test_repeated_failures_lock_the_address_out_even_with_the_right_password(house: Rig, page: Page) -> None:
    await page.goto(house.base + "/")
    error = page.get_by_role("alert")
    for _ in range(MAX_FAILURES - 1):
        await answered_login(page, house, WRONG)
        await expect(error).to_have_text("Wrong user name or password.")
    await answered_login(page, house, WRONG)
    await expect(error).to_contain_text("Too many failed logins from this address. Try again in")

    await answered_login(page, house, PASSWORD)
    await expect(error).to_contain_text("Too many failed logins")
    assert len(house.door.sessions) == 0
    # Once the lockout is over (here: forgotten), the right password gets in.
    house.door.limiter.forget("127.0.0.1")
    await fill_login(page, OWNER, PASSWORD)
    await expect(page.locator("#status")).to_have_text("Live")


async def answered_login(page: Page, rig: Rig, password: str) -> None:
    """Send the login form and wait for the hub's answer (the error shown before it is the last one's)."""
    async with page.expect_response(rig.base + "/login"):
        await fill_login(page, OWNER, password)


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_the_login_page_is_accessible(house: Rig, page: Page, screenshot: Screenshot) -> None:
    await page.goto(house.base + "/")
    await expect(page.get_by_label("User name")).to_be_visible()
    await assert_accessible(page)
    # With its error shown too (the alert's colours are checked for contrast).
    await fill_login(page, OWNER, WRONG)
    await expect(page.get_by_role("alert")).to_be_visible()
    await assert_accessible(page)
    await screenshot(page, "error")
