"""The things page in Chromium: a thing just added by hand, one found by discovery, a push-button and a display-PIN
pairing, then renamed, moved to a room and removed; a user without ConfigureThings gets no forms; axe at
desktop and phone width; screenshots. The hub is the web rig's with the virtual integration's test bed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from tests.api.web.rig import VIEWER, Rig
from tests.api.web.things_tools import class_named, rig_with_testbed
from tests.web.browser import assert_accessible
from tests.web.conftest import Screenshot
from tests.web.login_tools import log_in
from thinggate.core.security import SYSTEM
from thinggate.integrations.sensordata.kinds import NODE_CLASS

if TYPE_CHECKING:
    from playwright.async_api import Page


@pytest_asyncio.fixture(loop_scope="session")
async def bed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    """The web rig's hub with the test bed's classes, on the browser's loop."""
    async with rig_with_testbed(tmp_path, monkeypatch) as running:
        yield running


def things_named(rig: Rig, name: str) -> list[object]:
    return [thing for thing in rig.server.hub.things.values() if thing.name == name]


async def choose_class(page: Page, rig: Rig, name: str) -> None:
    await page.get_by_label("Kind of thing").select_option(str(class_named(rig, name).id))


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_a_thing_is_just_added_by_hand_then_renamed_moved_and_removed(
    bed: Rig, page: Page, screenshot: Screenshot
) -> None:
    from playwright.async_api import expect

    await log_in(page, bed, "/things")
    await choose_class(page, bed, "mock")
    await expect(page.locator("#add-how")).to_have_text("Added at once: give it a name and its settings.")
    await page.get_by_label("Enter its details by hand").check()
    await page.get_by_label("Name", exact=True).fill("Lab device")
    await page.get_by_label("Room", exact=True).fill("Lab")
    await page.get_by_label("HTTP port").fill("4321")
    await assert_accessible(page)
    await screenshot(page, "add-form")
    await page.get_by_role("button", name="Add", exact=True).click()
    row = page.locator(".thing-row").filter(has_text="Lab device")
    await expect(row).to_contain_text("Lab")
    [thing] = things_named(bed, "Lab device")
    assert thing.room == "Lab"  # type: ignore[attr-defined]

    await row.get_by_role("button", name="Edit Lab device").click()
    editor = row.locator(".editor")
    await expect(editor.get_by_label("Name", exact=True)).to_be_focused()
    await editor.get_by_label("Name", exact=True).fill("Workbench")
    await editor.get_by_label("Room", exact=True).fill("Garage")
    await editor.get_by_role("button", name="Save name and room").click()
    row = page.locator(".thing-row").filter(has_text="Workbench")
    await expect(row).to_contain_text("Garage")
    assert (thing.name, thing.room) == ("Workbench", "Garage")  # type: ignore[attr-defined]
    editor = row.locator(".editor")
    await expect(editor.get_by_role("heading", name="Workbench")).to_be_visible()  # read again after the save

    await editor.get_by_label("Setting 1").fill("9")
    await editor.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#announce")).to_have_text("Settings of Workbench saved.")
    assert 9 in thing.settings.values()  # type: ignore[attr-defined]
    await assert_accessible(page)
    await screenshot(page, "editor")

    await editor.get_by_role("button", name="Remove", exact=True).click()
    await editor.get_by_role("button", name="Yes, remove").click()
    await expect(page.locator(".thing-row").filter(has_text="Workbench")).to_have_count(0)
    assert not things_named(bed, "Workbench")


async def test_a_discovered_device_is_added(bed: Rig, page: Page, screenshot: Screenshot) -> None:
    from playwright.async_api import expect

    await log_in(page, bed, "/things")
    await choose_class(page, bed, "mock")
    await expect(page.get_by_label("Search for devices")).to_be_checked()
    await page.locator("#discover-params select").select_option(label="2")
    await page.get_by_role("button", name="Search").click()
    found = page.locator("#found-list li")
    await expect(found).to_have_count(2)
    await expect(found.nth(1)).to_contain_text("found on port 55556")
    await screenshot(page, "found")
    await page.get_by_role("button", name="Choose Virtual test thing 2 (discovered)").click()
    await expect(page.get_by_label("Name", exact=True)).to_have_value("Virtual test thing 2 (discovered)")
    await page.get_by_label("Room", exact=True).fill("Lab")
    await page.get_by_role("button", name="Add", exact=True).click()
    await expect(page.locator("#add-how")).to_have_text("Virtual test thing 2 (discovered) was added.")
    [thing] = things_named(bed, "Virtual test thing 2 (discovered)")
    assert 55556 in thing.params.values() and thing.room == "Lab"  # type: ignore[attr-defined]
    await assert_accessible(page)


async def test_a_push_button_pairing(bed: Rig, page: Page, screenshot: Screenshot) -> None:
    from playwright.async_api import expect

    await log_in(page, bed, "/things")
    await choose_class(page, bed, "pushButtonMock")
    await expect(page.locator("#add-how")).to_have_text("Paired by pressing a button on the device.")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("button", name="Choose Virtual push-button thing 1").click()
    await page.get_by_label("Name", exact=True).fill("Bridge")
    await page.get_by_label("Room", exact=True).fill("Hall")
    await page.get_by_role("button", name="Start pairing").click()
    await expect(page.locator("#pair-message")).to_contain_text("push button will be pressed")
    await expect(page.get_by_role("button", name="I pressed the button")).to_be_focused()
    await assert_accessible(page)
    await screenshot(page, "pairing")
    # The test bed presses its button 3 simulated seconds after the pairing started; confirming before
    # that is refused (and the page offers the form again), after it the thing is added.
    row = page.locator(".thing-row").filter(has_text="Bridge")
    for _ in range(20):
        await page.get_by_role("button", name="I pressed the button").click()
        outcome = page.locator("#add-how").filter(has_text="Bridge was added.").or_(page.locator("#toast:visible"))
        await expect(outcome).to_be_visible()
        if await row.count():
            break
        # A refusal says what the device missed (its button, not a PIN or password).
        await expect(page.locator("#toast")).to_contain_text("did not see its button pressed")
        await page.locator("#toast").click()  # away with the refusal
        await page.get_by_role("button", name="Start pairing").click()
    await expect(row).to_contain_text("Hall")
    [thing] = things_named(bed, "Bridge")
    assert thing.thing_class.name == "pushButtonMock"  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_a_display_pin_pairing(bed: Rig, page: Page, screenshot: Screenshot) -> None:
    from playwright.async_api import expect

    await log_in(page, bed, "/things")
    await choose_class(page, bed, "displayPinMock")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("button", name="Choose Virtual display-PIN thing 1").click()
    await page.get_by_label("Name", exact=True).fill("Door panel")
    await page.get_by_role("button", name="Start pairing").click()
    await expect(page.locator("#pair-message")).to_contain_text("243681")
    await expect(page.get_by_label("PIN", exact=True)).to_be_focused()
    await page.get_by_label("PIN", exact=True).fill("111111")
    await page.get_by_role("button", name="Confirm").click()
    # Told as the way of pairing has it: the PIN is what the device refused.
    await expect(page.locator("#toast")).to_have_text(
        "The device refused the PIN: start again and enter the PIN it shows."
    )
    assert not things_named(bed, "Door panel")
    await page.locator("#toast").click()

    await page.get_by_role("button", name="Start pairing").click()
    await page.get_by_label("PIN", exact=True).fill("243681")
    await assert_accessible(page)
    await screenshot(page, "pin")
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.locator(".thing-row").filter(has_text="Door panel")).to_have_count(1)
    assert len(things_named(bed, "Door panel")) == 1


async def test_a_user_without_configure_things_sees_no_forms(bed: Rig, page: Page) -> None:
    from playwright.async_api import expect

    await log_in(page, bed, "/things", VIEWER)
    await expect(page.locator("#view-only")).to_be_visible()
    await expect(page.locator("#add")).to_be_hidden()
    row = page.locator(".thing-row").filter(has_text="Reading lamp")
    await row.get_by_role("button", name="Details of Reading lamp").click()
    await expect(row.get_by_label("Name", exact=True)).to_be_disabled()
    await expect(row.get_by_role("button", name="Remove", exact=True)).to_be_disabled()
    await assert_accessible(page)


async def test_a_things_id_param_is_picked_from_the_things_by_name(bed: Rig, page: Page) -> None:
    from playwright.async_api import expect

    # A sensor-data device is discovered below its node: the node is named from a list, not typed as an id.
    node = (await bed.server.hub.add_thing(SYSTEM, name="Site node", thing_class_id=NODE_CLASS.id)).value
    await log_in(page, bed, "/things")
    await choose_class(page, bed, "sensorDataDevice")
    parent = page.get_by_label("Parent thing")
    await expect(parent.locator("option", has_text="Site node")).to_have_count(1)
    await parent.select_option(label="Site node")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("button", name="Choose Sensor data device").click()
    await page.get_by_label("Name", exact=True).fill("Boiler room")
    await page.get_by_role("button", name="Add", exact=True).click()
    await expect(page.locator(".thing-row").filter(has_text="Boiler room")).to_have_count(1)
    [device] = things_named(bed, "Boiler room")
    assert device.parent_id == node  # type: ignore[attr-defined]
    await assert_accessible(page)
