"""Pages across a hub restart, in Chromium: still logged in, and their writes carry the session's new CSRF token
(the administration, which has no live channel, reads it again when the hub refuses the one of before the
restart; the KNX page reads it again when its live channel reconnects)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.api.jsonrpc.protocol import until
from tests.api.web.rig import Rig
from tests.web import test_knx_page
from tests.web.dashboard import expect, start_hub, stop_hub
from tests.web.test_admin import WAIT, log_in, open_tab
from tests.web.test_knx_page import open_knx, project, upload
from thinggate.integrations.knx.importer import plan_import

if TYPE_CHECKING:
    from playwright.async_api import Page

knx_house = test_knx_page.knx_house
"""The KNX page's hub (the demo house with the KNX integration on), as a fixture here too."""


async def test_an_administration_page_opened_before_a_restart_adds_a_user_after_it(house: Rig, page: Page) -> None:
    await log_in(page, house)
    await open_tab(page, "Users")
    await start_hub(house, await stop_hub(house))

    form = page.get_by_role("form", name="Add a user")
    await form.get_by_label("User name").fill("guest")
    await form.get_by_label("Password").fill("Welcome123")
    await form.get_by_label("Display name").fill("A guest")
    await form.get_by_role("button", name="Add the user").click()
    await expect(page.get_by_role("heading", name="A guest (guest)")).to_be_visible(timeout=WAIT)
    assert house.server.security.user("guest").display_name == "A guest"
    await expect(page.get_by_role("button", name="Log in")).to_have_count(0)


async def test_logging_out_after_a_restart_ends_the_session_at_the_hub(house: Rig, page: Page) -> None:
    await log_in(page, house)
    await start_hub(house, await stop_hub(house))
    [kept] = house.door.sessions.of_user("owner")

    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=WAIT)
    assert kept.ended and house.door.sessions.of_user("owner") == []
    assert await house.server.store.load_web_sessions() == []


async def test_the_knx_page_uploads_with_the_token_it_reads_again_when_it_reconnects(
    knx_house: Rig, page: Page, tmp_path: Path
) -> None:
    file = project(tmp_path / "garden.knxproj")
    plan = plan_import(file)
    await open_knx(page, knx_house)
    seen: list[str] = []  # what the page did, in order: its live channel opened, its session read
    page.on("websocket", lambda _: seen.append("live"))
    page.on("response", lambda answer: seen.append("session") if answer.url.endswith("/web/api/session") else None)
    await start_hub(knx_house, await stop_hub(knx_house))
    await until(lambda: "session" in seen[seen.index("live") :] if "live" in seen else False, what="the page back")

    await upload(page, file)
    await expect(page.locator("#knx-status")).to_have_text(
        f"{len(plan.things)} things added, 0 imported before, 0 not added; 2 group addresses left out."
    )
