"""The history page in Chromium: a sensor's chart of readings uploaded through the real sensor-data door, a logged
state's chart of values switched through Thinknx (logging turned on on the page; new values arrive while it is
open), the range picker, axe at desktop and phone width, screenshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api.web.history_tools import minutes_ago, sensordata_client, temperature_sensor, upload
from tests.api.web.rig import VIEWER, Rig
from tests.web.browser import assert_accessible
from tests.web.conftest import Screenshot
from tests.web.login_tools import house, log_in
from thinggate.core.guids import guid_of
from thinggate.core.security import SYSTEM
from thinggate.integrations.sensordata.manifest import PLUGIN as SENSORDATA

if TYPE_CHECKING:
    from playwright.async_api import Page

__all__ = ["house"]  # the fixture, used by the tests below


def chart_of(page: Page, thing_id: object, type_id: object | None = None):  # type: ignore[no-untyped-def]
    selector = f'section.chart[data-thing-id="{thing_id}"]'
    if type_id is not None:
        selector += f'[data-type-id="{type_id}"]'
    return page.locator(selector)


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_a_sensors_chart_shows_readings_uploaded_through_the_sensor_data_door(
    house: Rig, page: Page, screenshot: Screenshot
) -> None:
    from playwright.async_api import expect

    uploader = await sensordata_client(house)
    sensor_id = await temperature_sensor(uploader)
    await upload(uploader, sensor_id, [(minutes_ago(40), 18.5), (minutes_ago(25), 21.25), (minutes_ago(5), 19.75)])
    await upload(uploader, sensor_id, [(minutes_ago(60 * 50), 4.5)])  # two days ago: only the week shows it

    await log_in(page, house, "/history")
    # The demo house's temperature sensor has a chart of its own: this is the sensor-data door's.
    sensor = next(
        thing
        for thing in house.server.hub.things.values()
        if thing.plugin_id == SENSORDATA.id and thing.thing_class.state_type_named("temperature")
    )
    chart = chart_of(page, sensor.id)
    await expect(chart).to_have_count(1)
    await expect(chart).to_have_attribute("data-points", "3")
    await expect(chart.locator(".summary")).to_contain_text("3 readings")
    await expect(chart.locator(".summary")).to_contain_text("19.75 °C")
    await expect(chart.locator("canvas")).to_have_count(1)  # uPlot drew it
    await chart.locator("details.readings summary").click()
    cells = chart.locator("details.readings tbody td:nth-child(2)")
    await expect(cells).to_have_text(["19.75 °C", "21.25 °C", "18.5 °C"])  # newest first
    await assert_accessible(page)
    await screenshot(page, "hour")

    await page.get_by_label("Last week").check()
    await expect(chart).to_have_attribute("data-points", "4")
    await expect(chart.locator(".summary")).to_contain_text("4 readings")

    # A reading uploaded while the page is open shows without a reload (the live channel's state message).
    await upload(uploader, sensor_id, [(minutes_ago(1), 22.0)])
    await expect(chart).to_have_attribute("data-points", "5")
    await expect(chart.locator(".summary")).to_contain_text("22 °C")
    await assert_accessible(page)


async def test_a_logged_states_chart_shows_values_switched_through_thinknx(
    house: Rig, page: Page, screenshot: Screenshot
) -> None:
    from playwright.async_api import expect

    lamp = house.thing("Reading lamp")
    power = lamp.thing_class.state_type_named("power")
    assert power is not None
    await log_in(page, house, "/history")
    await expect(chart_of(page, lamp.id).first).to_have_count(0)
    await expect(page.locator("section.chart").first).to_be_visible()  # the demo house's sensors log from the start

    await page.get_by_label("Thing", exact=True).select_option(label="Living room · Reading lamp")
    await page.locator(f"#log-{power.id}").check()
    chart = chart_of(page, lamp.id, power.id)
    await expect(chart).to_have_count(1)
    await expect(chart.locator(".summary")).to_have_text("No readings in this range.")
    assert power.id in lamp.logged_state_type_ids

    thinknx = house.thinknx()
    for command in ("1", "0"):
        answer = await thinknx.get("power", params={"guid": guid_of(lamp.id), "cmd": command})
        assert answer.status_code == 200, answer.text
    await expect(chart).to_have_attribute("data-points", "2")
    await expect(chart.locator(".summary")).to_contain_text("the latest No")
    answer = await thinknx.get("power", params={"guid": guid_of(lamp.id), "cmd": "1"})
    assert answer.status_code == 200
    await expect(chart).to_have_attribute("data-points", "3")
    await expect(chart.locator(".summary")).to_contain_text("the latest Yes")
    await assert_accessible(page)
    await screenshot(page, "logged")

    # Custom range: a day that holds none of it.
    await page.get_by_label("Custom").check()
    await page.get_by_label("From", exact=True).fill("2024-03-01T00:00:00")
    await page.get_by_label("To", exact=True).fill("2024-03-02T00:00:00")
    await page.get_by_role("button", name="Show").click()
    await expect(chart).to_have_attribute("data-points", "0")
    await expect(page.locator("#shown")).to_contain_text("Showing")

    # Logging off: the chart goes.
    await page.locator(f"#log-{power.id}").uncheck()
    await expect(chart).to_have_count(0)
    assert power.id not in lamp.logged_state_type_ids


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_a_user_without_configure_things_sees_charts_but_cannot_change_logging(
    house: Rig, page: Page, screenshot: Screenshot
) -> None:
    from playwright.async_api import expect

    lamp = house.thing("Reading lamp")
    power = lamp.thing_class.state_type_named("power")
    assert power is not None
    # Logging turned on through the core's own operation, as any door with the right would.
    assert (await house.server.hub.set_state_logging(SYSTEM, lamp.id, power.id, True)).ok
    await log_in(page, house, "/history", VIEWER)
    await expect(chart_of(page, lamp.id, power.id)).to_have_count(1)
    await expect(page.locator("#logging-note")).to_contain_text("no right to change it")
    await page.get_by_label("Thing", exact=True).select_option(label="Living room · Reading lamp")
    await expect(page.locator(f"#log-{power.id}")).to_be_disabled()
    await expect(page.locator(f"#log-{power.id}")).to_be_checked()
    await assert_accessible(page)
