"""The KNX page in Chromium: an ETS project uploaded through the page, its progress and the table of what
was and was not imported, against a hub with the KNX integration (its gateway is not there: nothing is sent)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from xknx.dpt import DPTArray, DPTBinary

from tests.api.web.rig import VIEWER, Rig, web_rig
from tests.integrations.knx.knxproj import LIVING_DIMMER, Ga, Main, Middle, Room, write_knxproj
from tests.integrations.knx.rig import FakeBus, patched_into_xknx
from tests.integrations.knx.tools import add
from tests.knxd import free_udp_port
from tests.web.browser import assert_accessible
from tests.web.conftest import Screenshot
from tests.web.dashboard import expect, open_house
from thinggate.integrations.knx import KnxIntegration
from thinggate.integrations.knx.importer import plan_import

if TYPE_CHECKING:
    from playwright.async_api import Page


@pytest_asyncio.fixture(loop_scope="session")
async def knx_house(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """The demo house with the KNX integration on, towards a gateway that is not there."""
    knx = {"gateway_ip": "127.0.0.1", "gateway_port": free_udp_port(), "reconnect_seconds": 0.2}
    async with web_rig(tmp_path / "hub", monkeypatch, knx=knx) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def bus_house(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Rig, FakeBus]]:
    """The demo house with the KNX integration connected to a faked bus the test talks on."""
    bus = FakeBus()
    knx = {"gateway_ip": "127.0.0.1", "gateway_port": free_udp_port(), "reconnect_seconds": 0.05}
    with patched_into_xknx(bus):
        async with web_rig(tmp_path / "hub", monkeypatch, knx=knx) as running:
            integration = running.server.context.raw_bus
            assert isinstance(integration, KnxIntegration)
            bus.knx = integration
            assert await integration.wait_until_connected(5)
            yield running, bus


def project(path: Path) -> Path:
    """A small ETS project: a dimmer in the living room, a light, and two addresses no thing can use."""
    return write_knxproj(
        path,
        name="Garden house",
        mains=[
            Main(
                "Lights",
                [
                    Middle(
                        "Living",
                        [
                            *LIVING_DIMMER,
                            Ga("1/0/5", "Porch light", "1.001"),
                        ],
                    )
                ],
            ),
            Main("Central", [Middle("Misc", [Ga("4/0/2", "Clock", "10.001"), Ga("4/0/3", "Mystery", None)])]),
        ],
        rooms=(Room("Living room", {"Dimmer": ["1/0/1", "1/0/3"]}),),
    )


async def open_knx(page: Page, rig: Rig, username: str = "owner") -> None:
    """Log in, then open the KNX page from the navigation."""
    await open_house(page, rig, username)
    await page.get_by_role("navigation", name="Pages").get_by_role("link", name="KNX").click()
    await expect(page.get_by_role("heading", name="Import an ETS project")).to_be_visible()


async def upload(page: Page, path: Path) -> None:
    """Choose the file and send the form."""
    await page.get_by_label("ETS project file (.knxproj)").set_input_files(path)
    await page.get_by_role("button", name="Import").click()


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_a_project_uploaded_on_the_page_is_imported_and_tabled(
    knx_house: Rig, page: Page, tmp_path: Path, screenshot: Screenshot
) -> None:
    file = project(tmp_path / "garden.knxproj")
    plan = plan_import(file)
    await open_knx(page, knx_house)
    await assert_accessible(page)
    # The upload's progress: the bar shown, at 100 % once the file went up (XHR upload events).
    await page.evaluate(
        """() => new MutationObserver(() => {
             const bar = document.getElementById("knx-upload");
             if (!document.getElementById("knx-progress").hidden) window.uploadShown = bar.value;
           }).observe(document.getElementById("knx-upload"), {attributes: true})"""
    )
    await upload(page, file)

    status = page.locator("#knx-status")
    await expect(status).to_have_text(
        f"{len(plan.things)} things added, 0 imported before, 0 not added; 2 group addresses left out."
    )
    assert await page.evaluate("() => window.uploadShown") == 100
    things = page.get_by_role("table", name="Things of Garden house")
    await expect(things.locator("tbody tr")).to_have_count(len(plan.things))
    dimmer = things.get_by_role("row").filter(has_text="1/0/3")
    await expect(dimmer).to_contain_text("Living room")
    await expect(dimmer).to_contain_text("KNX dimmer")  # the kind as the house cards name it, not its id
    await expect(dimmer).to_contain_text("Added")
    skipped = page.get_by_role("table", name="Group addresses left out")
    await expect(skipped.locator("tbody tr")).to_have_count(2)
    await expect(skipped.get_by_role("row").filter(has_text="4/0/3")).to_contain_text("Mystery")
    hub = knx_house.server.hub
    for planned in plan.things:
        assert planned.thing_id in hub.things, planned.name
    await assert_accessible(page)
    await screenshot(page, "imported")

    # Again: nothing is added twice.
    await upload(page, file)
    await expect(status).to_have_text(
        f"0 things added, {len(plan.things)} imported before, 0 not added; 2 group addresses left out."
    )
    await expect(dimmer).to_contain_text("Imported before")


async def test_a_user_who_may_not_add_things_is_told_and_nothing_is_added(
    knx_house: Rig, page: Page, tmp_path: Path
) -> None:
    file = project(tmp_path / "garden.knxproj")
    before = set(knx_house.server.hub.things)
    await open_house(page, knx_house, VIEWER)
    # Not in the navigation of a user who may not add things; by its address, the core refuses the import.
    await expect(page.get_by_role("navigation", name="Pages").get_by_role("link", name="KNX")).to_have_count(0)
    await page.goto(f"{knx_house.base}/knx")
    await expect(page.get_by_text("only users who may configure things can do it")).to_be_visible()
    await expect(page.get_by_label("ETS project file (.knxproj)")).to_be_hidden()
    # The core refuses the import all the same (the page's own request, with its session and CSRF token).
    session = await (await page.request.get(f"{knx_house.base}/web/api/session")).json()
    answer = await page.request.post(
        f"{knx_house.base}/web/api/knx/import",
        data=file.read_bytes(),
        headers={
            "X-CSRF-Token": session["csrfToken"],
            "Origin": knx_house.base,
            "Content-Type": "application/octet-stream",
            "Accept": "application/json",
        },
    )
    assert answer.status == 403 and (await answer.json())["error"]["code"] == "PermissionDenied", await answer.text()
    assert set(knx_house.server.hub.things) == before


async def test_a_file_that_is_no_project_is_refused_with_the_reason(knx_house: Rig, page: Page, tmp_path: Path) -> None:
    file = tmp_path / "notes.knxproj"
    file.write_text("not a zip")
    await open_knx(page, knx_house)
    await upload(page, file)
    await expect(page.get_by_role("alert")).to_have_text(
        "This file is not an ETS project the hub can read (or its password is wrong)."
    )


async def test_a_hub_without_knx_says_so_and_offers_no_import(house: Rig, page: Page, tmp_path: Path) -> None:
    await open_knx(page, house)
    await expect(page.get_by_text("add a [knx] section to thinggate.toml to import projects")).to_be_visible()
    await expect(page.get_by_label("ETS project file (.knxproj)")).to_be_hidden()
    # An upload all the same (an old page, a script) is refused with the reason.
    session = await (await page.request.get(f"{house.base}/web/api/session")).json()
    answer = await page.request.post(
        f"{house.base}/web/api/knx/import",
        data=project(tmp_path / "garden.knxproj").read_bytes(),
        headers={"X-CSRF-Token": session["csrfToken"], "Origin": house.base, "Accept": "application/json"},
    )
    assert answer.status == 409 and (await answer.json())["error"]["code"] == "KnxNotConfigured", await answer.text()


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_the_bus_monitor_shows_telegrams_newest_first_and_pauses_clears_and_filters(
    bus_house: tuple[Rig, FakeBus], page: Page, screenshot: Screenshot
) -> None:
    rig, bus = bus_house
    await add(rig.server.hub, "knxLight", "Hall lamp", address="1/0/1", stateAddress="1/0/2")
    await open_knx(page, rig)
    telegrams = page.get_by_role("table", name="Group telegrams, newest first")
    await expect(telegrams).to_be_visible()
    rows = telegrams.locator("tbody tr")
    await bus.incoming("1/0/2", DPTBinary(1))
    await bus.incoming("7/7/7", DPTArray((0x0C, 0x1A)), response=True)
    newest, lamp = rows.nth(0), rows.filter(has_text="1/0/2").first
    await expect(newest).to_contain_text("7/7/7")
    await expect(newest).to_contain_text("Response")
    await expect(newest).to_contain_text("0C 1A")
    for text in ("1.1.7", "Hall lamp · Power", "Write", "01", "Yes"):
        await expect(lamp).to_contain_text(text)
    await assert_accessible(page)
    await screenshot(page, "monitor")

    await page.get_by_label("Filter by group address or name").fill("1/0")
    await expect(rows.filter(has_text="7/7/7")).to_have_count(0)
    await expect(rows.filter(has_text="1/0/2")).not_to_have_count(0)
    await page.get_by_label("Filter by group address or name").fill("")

    pause = page.get_by_role("button", name="Pause")
    await pause.click()
    kept = await rows.count()
    await bus.incoming("2/2/2", DPTBinary(1))
    await expect(page.get_by_text(f"Paused: {kept} telegrams shown; {kept + 1} kept.")).to_be_visible()
    await expect(rows.filter(has_text="2/2/2")).to_have_count(0)
    resume = page.get_by_role("button", name="Resume")
    await expect(resume).to_have_attribute("aria-pressed", "true")
    await resume.click()
    await expect(rows.nth(0)).to_contain_text("2/2/2")

    await page.get_by_role("button", name="Clear").click()
    await expect(rows).to_have_count(0)
    await bus.incoming("3/3/3", DPTBinary(0))
    await expect(rows).to_have_count(1)


async def test_a_hub_without_knx_shows_a_note_instead_of_the_monitor(house: Rig, page: Page) -> None:
    await open_knx(page, house)
    await expect(
        page.get_by_text(
            "The hub has no KNX integration: add a [knx] section to thinggate.toml to import projects and watch "
            "the bus."
        )
    ).to_be_visible()
    await expect(page.get_by_role("table", name="Group telegrams, newest first")).to_have_count(0)
    await assert_accessible(page)


async def test_a_user_who_may_not_administer_the_hub_is_told_instead_of_the_monitor(knx_house: Rig, page: Page) -> None:
    await open_house(page, knx_house, VIEWER)
    await page.goto(f"{knx_house.base}/knx")
    await expect(
        page.get_by_text("Only an administrator of the whole hub may watch the bus", exact=False)
    ).to_be_visible()
    await expect(page.get_by_role("table", name="Group telegrams, newest first")).to_have_count(0)
