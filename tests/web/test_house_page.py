"""The live house page in Chromium against a real hub: switching, live changes from other doors, who sees what,
the house mode, offline cards, phone width, accessibility, and the hub restarting under an open page."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.jsonrpc.protocol import until
from tests.api.web.rig import KITCHEN, PASSWORD, VIEWER, Rig
from tests.web.browser import assert_accessible
from tests.web.conftest import Screenshot
from tests.web.dashboard import card, cards, expect, open_house, start_hub, stop_hub
from thinggate.core.guids import guid_of
from thinggate.core.model import StateType, Thing
from thinggate.core.security import SYSTEM, Scope

if TYPE_CHECKING:
    from playwright.async_api import Page

CONTROLS = "button, input, select, textarea"
"""What a person acts with; a card of a user who may not control things holds none."""
OFFLINE_BACKGROUND = "rgb(234, 238, 242)"
"""app.css --offline: the grey of a card whose thing is not connected."""


def state_type(thing: Thing, name: str) -> StateType:
    """A state type of the thing's class by its name."""
    found = thing.thing_class.state_type_named(name)
    assert found is not None, name
    return found


def state_change_of(thing: Thing, name: str) -> Any:
    """A filter of JSON-RPC StateChanged params: this thing's state `name`."""
    type_id = str(state_type(thing, name).id)
    return lambda params: params["thingId"] == str(thing.id) and params["stateTypeId"] == type_id


def things_in(rig: Rig, room: str) -> list[Thing]:
    """The demo house's things in a room."""
    return [thing for thing in rig.server.hub.things.values() if thing.room == room]


async def shown_thing_ids(page: Page) -> set[uuid.UUID]:
    """The ids of the things that have a card on the page."""
    ids = await cards(page).evaluate_all("cards => cards.map(card => card.dataset.thingId)")
    return {uuid.UUID(thing_id) for thing_id in ids}


async def test_a_light_switched_on_the_page_is_on_at_thinknx_and_told_over_jsonrpc(house: Rig, page: Page) -> None:
    rpc = await house.rpc()
    light = house.thing("Path light")
    await open_house(page, house)
    switch = card(page, light).get_by_role("switch", name="Power")
    await expect(switch).to_have_attribute("aria-checked", "false")

    await switch.click()

    told = await rpc.notification("Integrations.StateChanged", where=state_change_of(light, "power"))
    assert told["value"] is True
    status = await house.thinknx().get("powerstatus", params={"guid": guid_of(light.id)})
    assert status.status_code == 200, status.text
    assert status.json()["status"] == 1
    await expect(switch).to_have_attribute("aria-checked", "true")
    await expect(switch).to_have_text("On")


async def test_a_dimmer_changed_through_thinknx_shows_on_the_page_within_a_second(house: Rig, page: Page) -> None:
    dimmer = house.thing("Ceiling light", "Living room")
    await open_house(page, house)
    slider = card(page, dimmer).get_by_role("slider", name="Brightness")
    assert await slider.input_value() != "37"

    answer = await house.thinknx().get("powerlevel", params={"guid": guid_of(dimmer.id), "cmd": "37"})
    assert answer.status_code == 200, answer.text

    await expect(slider).to_have_value("37", timeout=1000)
    await expect(card(page, dimmer).locator("output")).to_have_text("37 %", timeout=1000)


async def test_a_user_allowed_some_things_sees_only_those_and_controls_them(house: Rig, page: Page) -> None:
    kitchen = things_in(house, "Kitchen")
    await open_house(page, house, KITCHEN)
    assert await shown_thing_ids(page) == {thing.id for thing in kitchen}
    assert await page.get_by_role("heading", level=2).all_inner_texts() == ["Kitchen"]
    light = house.thing("Ceiling light", "Kitchen")
    await card(page, light).get_by_role("switch", name="Power").click()
    await until(lambda: light.state_value("power") is True, what="the kitchen light on")
    # A restricted user may not switch the whole house's mode.
    await expect(page.get_by_role("radio", name="Away")).to_be_disabled()


async def test_a_user_without_control_things_sees_its_things_and_gets_no_controls(house: Rig, page: Page) -> None:
    kitchen = things_in(house, "Kitchen")
    await house.server.security.create_user("guest", PASSWORD, scopes=Scope.NONE, allowed_thing_ids=[kitchen[0].id])
    await open_house(page, house, "guest")
    assert await shown_thing_ids(page) == {kitchen[0].id}
    await expect(page.get_by_text("You may look but not control")).to_be_visible()
    await expect(cards(page).locator(CONTROLS)).to_have_count(0)
    radios = page.get_by_role("radio")
    await expect(radios).to_have_count(4)  # Home, Away, Night, Vacation: shown, not switchable
    for radio in await radios.all():
        await expect(radio).to_be_disabled()


async def test_a_user_who_sees_all_things_but_controls_none_gets_every_card_without_controls(
    house: Rig, page: Page
) -> None:
    await open_house(page, house, VIEWER)
    assert await shown_thing_ids(page) == set(house.server.hub.things)
    await expect(cards(page).locator(CONTROLS)).to_have_count(0)
    light = house.thing("Path light")
    # Still live: what others switch shows.
    power = str(state_type(light, "power").id)
    assert (await house.server.hub.execute_action(SYSTEM, str(light.id), power, [(power, True)])).ok
    await expect(card(page, light).locator(".reading .value").first).to_have_text("On")


async def test_the_house_mode_is_switched_on_the_page_and_follows_the_hub(house: Rig, page: Page) -> None:
    modes = house.server.modes
    await open_house(page, house)
    home, away, night = (page.get_by_role("radio", name=name) for name in ("Home", "Away", "Night"))
    await expect(home).to_be_checked()

    await away.check()
    await until(lambda: modes.current.name == "Away", what="the hub in Away")
    await expect(away).to_be_checked()

    await modes.switch(SYSTEM, modes.find(name="Night"))
    await expect(night).to_be_checked()
    await expect(page.locator("#announce")).to_have_text("House mode: Night")


async def test_a_card_greys_while_its_thing_is_not_connected(house: Rig, page: Page) -> None:
    sensor = house.thing("Humidity")
    connected = state_type(sensor, "connected")
    await open_house(page, house)
    shown = card(page, sensor)
    badge = shown.get_by_text("Offline")
    await expect(shown).not_to_have_class("card offline")
    await expect(badge).to_be_hidden()

    house.server.hub.set_state(sensor.id, connected.id, False)
    await expect(shown).to_have_class("card offline")
    await expect(shown).to_have_css("background-color", OFFLINE_BACKGROUND)
    await expect(badge).to_be_visible()
    await assert_accessible(page)  # the grey card's texts keep their contrast

    house.server.hub.set_state(sensor.id, connected.id, True)
    await expect(shown).to_have_class("card")
    await expect(badge).to_be_hidden()


OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || element.closest(".visually-hidden")) continue;
    if (box.left < -0.5 || box.right > width + 0.5) wide.push(element.outerHTML.slice(0, 160));
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, wide};
}"""


@pytest.mark.parametrize("page", ["phone"], indirect=True)
async def test_at_phone_width_nothing_is_wider_than_the_screen_and_the_controls_work_by_touch(
    house: Rig, page: Page
) -> None:
    await open_house(page, house)
    # Every card's details open too: the action forms must fit as well.
    await page.evaluate("() => document.querySelectorAll('details').forEach(details => { details.open = true; })")
    laid_out = await page.evaluate(OVERFLOWING)
    assert laid_out["width"] == 390
    assert laid_out["scrollWidth"] <= laid_out["width"], laid_out
    assert laid_out["wide"] == [], laid_out

    light, dimmer = house.thing("Path light"), house.thing("Desk light")
    await card(page, light).get_by_role("switch", name="Power").tap()
    await until(lambda: light.state_value("power") is True, what="the path light on")
    slider = card(page, dimmer).get_by_role("slider", name="Brightness")
    before = int(await slider.input_value())
    await slider.focus()
    await page.keyboard.press("ArrowLeft")  # a demo dimmer starts at 100 %
    await until(lambda: dimmer.state_value("brightness") == before - 1, what="the desk light one step darker")


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_the_house_page_is_accessible(house: Rig, page: Page, screenshot: Screenshot) -> None:
    await open_house(page, house)
    await assert_accessible(page)
    await screenshot(page, "house")
    # The generic part of every card (all states, every action's form) too.
    await page.evaluate("() => document.querySelectorAll('details').forEach(details => { details.open = true; })")
    await assert_accessible(page)
    await screenshot(page, "details")


async def test_a_view_only_house_page_is_accessible(house: Rig, page: Page) -> None:
    await open_house(page, house, VIEWER)
    await assert_accessible(page)


async def test_the_page_survives_the_hub_restarting_and_shows_what_changed_meanwhile(
    house: Rig, page: Page, screenshot: Screenshot
) -> None:
    light = house.thing("Path light")
    await open_house(page, house)
    switch = card(page, light).get_by_role("switch", name="Power")
    await expect(switch).to_have_attribute("aria-checked", "false")
    status = page.locator("#status")

    config = await stop_hub(house)
    # The hub said goodbye (1001) to the page, which says it lost the hub and keeps trying.
    await expect(status).to_have_attribute("data-status", "lost")
    await expect(status).to_have_text("Connection to the hub lost. Reconnecting…")
    await screenshot(page, "hub-away")
    await start_hub(house, config)
    # The restarted hub kept the session: the page, back in touch, reads the house afresh without a login,
    # and shows the light switched while it was away (this switch may come before or after its reconnect).
    thinknx = house.thinknx()
    answer = await thinknx.get("power", params={"guid": guid_of(light.id), "cmd": "1"})
    assert answer.status_code == 200, answer.text
    await expect(status).to_have_text("Live", timeout=30_000)
    await expect(card(page, light).get_by_role("switch", name="Power")).to_have_attribute("aria-checked", "true")
    await expect(page.locator("#login-form")).to_have_count(0)
    assert page.url == house.base + "/"
    await screenshot(page, "back-after-restart")
    # Its next write carries the session's new token (the one of before the restart is refused): it works.
    await card(page, light).get_by_role("switch", name="Power").click()
    await until(lambda: house.thing("Path light").state_value("power") is False, what="the path light off")
    # And it is live again: a change from another door arrives.
    await thinknx.get("power", params={"guid": guid_of(light.id), "cmd": "1"})
    await expect(card(page, light).get_by_role("switch", name="Power")).to_have_attribute("aria-checked", "true")


async def test_the_house_is_used_by_keyboard_alone(house: Rig, page: Page) -> None:
    light = house.thing("Path light")
    await open_house(page, house)
    switch = card(page, light).get_by_role("switch", name="Power")
    # The first Tab reaches the skip link, which takes the keyboard past the header to the house.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to the house")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#main")).to_be_focused()
    for _ in range(200):  # every control in between is reachable; the switch comes in document order
        await page.keyboard.press("Tab")
        if await switch.evaluate("element => element === document.activeElement"):
            break
    await expect(switch).to_be_focused()
    await page.keyboard.press("Space")
    await until(lambda: light.state_value("power") is True, what="the path light on")
    await expect(switch).to_have_attribute("aria-checked", "true")
