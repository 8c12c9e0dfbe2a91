"""The live channel: what changes through any door or device reaches the page, as its user may see it."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from tests.api.jsonrpc.protocol import until
from tests.api.web.rig import KITCHEN, OWNER, PASSWORD, Rig, web_rig
from thinggate.core.guids import guid_of
from thinggate.core.security import SYSTEM, Scope


def _state(thing_id: object, state_type_id: object) -> object:
    return lambda message: message["thingId"] == str(thing_id) and message["stateTypeId"] == str(state_type_id)


async def test_a_dimmer_changed_through_thinknx_arrives_on_the_page(rig: Rig) -> None:
    browser = await rig.logged_in()
    live = await browser.live()
    dimmer = rig.thing("Ceiling light", "Living room")
    brightness = dimmer.thing_class.state_type_named("brightness")
    assert brightness is not None
    answer = await rig.thinknx().get("powerlevel", params={"guid": guid_of(dimmer.id), "cmd": "37"})
    assert answer.status_code == 200, answer.text
    message = await live.message("state", _state(dimmer.id, brightness.id))
    assert message["value"] == 37


async def test_a_light_switched_through_jsonrpc_arrives_on_the_page(rig: Rig) -> None:
    browser = await rig.logged_in()
    live = await browser.live()
    rpc = await rig.rpc()
    light = rig.thing("Path light")
    power = light.thing_class.state_type_named("power")
    assert power is not None
    reply = await rpc.call(
        "Integrations.ExecuteAction",
        {
            "thingId": str(light.id),
            "actionTypeId": str(power.id),
            "params": [{"paramTypeId": str(power.id), "value": True}],
        },
    )
    assert reply["thingError"] == "ThingErrorNoError"
    assert (await live.message("state", _state(light.id, power.id)))["value"] is True


async def test_a_restricted_user_is_told_only_of_its_things(rig: Rig) -> None:
    browser = await rig.logged_in(KITCHEN)
    live = await browser.live()
    owner = await rig.logged_in(OWNER)
    garden, kitchen = rig.thing("Path light"), rig.thing("Ceiling light", "Kitchen")
    assert (await owner.act(garden, "power", power=True)).status_code == 200
    assert (await owner.act(kitchen, "power", power=True)).status_code == 200
    power = kitchen.thing_class.state_type_named("power")
    assert power is not None
    await live.message("state", _state(kitchen.id, power.id))
    # Changes are told in order: the garden's came first, and was not told at all.
    assert str(garden.id) not in {message.get("thingId") for message in live.received}


async def test_the_house_mode_switched_elsewhere_arrives(rig: Rig) -> None:
    browser = await rig.logged_in(KITCHEN)
    live = await browser.live()
    await rig.server.modes.switch(SYSTEM, rig.server.modes.find(name="Away"))
    assert (await live.message("mode"))["mode"] == "2"


async def test_things_added_renamed_and_removed_arrive(rig: Rig) -> None:
    browser = await rig.logged_in()
    live = await browser.live()
    hub = rig.server.hub
    light = rig.thing("Path light")
    added = await hub.add_thing(SYSTEM, name="Shed light", thing_class_id=light.thing_class.id, room="Garden")
    assert added.ok, added.message
    message = await live.message("thingAdded", lambda m: m["thing"]["name"] == "Shed light")
    assert message["thingClass"]["id"] == str(light.thing_class.id) and message["thing"]["room"] == "Garden"
    shed = message["thing"]["id"]
    assert (await hub.edit_thing(SYSTEM, shed, name="Shed lamp", room="Shed")).ok
    changed = await live.message("thingChanged", lambda m: m["thing"]["id"] == shed)
    assert (changed["thing"]["name"], changed["thing"]["room"]) == ("Shed lamp", "Shed")
    assert (await hub.remove_thing(SYSTEM, shed)).ok
    assert (await live.message("thingRemoved"))["thingId"] == shed


async def test_a_thing_moved_out_of_the_users_domain_leaves_its_page_and_comes_back(rig: Rig) -> None:
    security, hub = rig.server.security, rig.server.hub
    await security.add_domain("upstairs")
    await security.create_user(
        "tenant", PASSWORD, scopes=Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS, home_domain="upstairs"
    )
    lamp = rig.thing("Bedside light")
    assert (await hub.move_thing(SYSTEM, lamp.id, "upstairs")).ok
    browser = await rig.logged_in("tenant")
    live = await browser.live()
    assert (await hub.move_thing(SYSTEM, lamp.id, "root")).ok
    assert (await live.message("thingRemoved"))["thingId"] == str(lamp.id)
    assert (await hub.move_thing(SYSTEM, lamp.id, "upstairs")).ok
    assert (await live.message("thingAdded"))["thing"]["id"] == str(lamp.id)


async def test_a_user_given_more_rights_is_told_to_read_the_house_again_and_then_sees_more(rig: Rig) -> None:
    browser = await rig.logged_in(KITCHEN)
    live = await browser.live()
    garden = rig.thing("Path light")
    kitchen = [thing.id for thing in rig.server.hub.things.values() if thing.room == "Kitchen"]
    await rig.server.security.set_user_scopes(KITCHEN, Scope.CONTROL_THINGS, [*kitchen, garden.id])
    await live.message("rights")
    assert str(garden.id) in {thing["id"] for thing in (await browser.get("/web/api/things")).json()}
    power = garden.thing_class.state_type_named("power")
    assert power is not None
    assert (await browser.act(garden, "power", power=True)).status_code == 200
    await live.message("state", _state(garden.id, power.id))


async def test_logging_out_closes_the_sessions_pages(rig: Rig) -> None:
    browser = await rig.logged_in()
    first, second = await browser.live(), await browser.live()
    other = await rig.logged_in()
    kept = await other.live()
    assert rig.door.connection_count == 3
    assert (await browser.write("/logout")).status_code == 204
    assert await first.wait_closed() == 4401 and await second.wait_closed() == 4401
    assert not kept.closed.is_set()
    await until(lambda: rig.door.connection_count == 1, what="the pages closed")


async def test_a_page_needs_a_session(rig: Rig) -> None:
    browser = rig.client()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await browser.live()
    assert refused.value.status == 401


async def test_a_plain_get_of_the_live_path_is_told_to_upgrade(rig: Rig) -> None:
    browser = await rig.logged_in()
    answer = await browser.get("/live")
    assert answer.status_code == 426 and answer.json()["error"]["code"] == "UpgradeRequired"


async def test_too_many_pages_of_one_session_close_the_oldest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with web_rig(tmp_path, monkeypatch, live_per_session=2) as rig:
        browser = await rig.logged_in()
        first, second = await browser.live(), await browser.live()
        third = await browser.live()
        assert await first.wait_closed() == 4401
        assert not second.closed.is_set() and not third.closed.is_set()


async def test_the_hub_stopping_closes_the_pages_as_going_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with web_rig(tmp_path, monkeypatch) as rig:
        browser = await rig.logged_in()
        live = await browser.live()
        await rig.server.http.stop()  # type: ignore[union-attr]
        assert await live.wait_closed() == aiohttp.WSCloseCode.GOING_AWAY
        rig.server.http = None
