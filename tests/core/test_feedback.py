"""core.feedback: an action confirmed by the device's report of the state it acts on (Thinknx `fb`)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.hubtools import running_hub, state_id
from thinggate.core.errors import ThingError
from thinggate.core.feedback import execute_confirmed
from thinggate.core.hub import Hub
from thinggate.core.security import SYSTEM, Principal, Scope
from thinggate.core.store import Store
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.storage import open_store


async def _store(tmp_path: Path) -> Store:
    return await open_store(None, tmp_path)


async def _add(hub: Hub, virtual: VirtualIntegration, class_name: str) -> object:
    result = await hub.add_thing(SYSTEM, name=class_name, thing_class_id=virtual.thing_class_named(class_name).id)
    assert result.ok, result
    return hub.things[result.value]  # type: ignore[index]


async def test_a_report_equal_to_the_value_asked_for_answers_at_once(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    async with running_hub(store) as (hub, virtual):
        dimmer = await _add(hub, virtual, "dimmableLight")
        brightness = state_id(dimmer.thing_class, "brightness")  # type: ignore[attr-defined]
        started = time.monotonic()
        result = await execute_confirmed(
            hub,
            SYSTEM,
            thing_id=dimmer.id,
            action_type_id=brightness,  # type: ignore[attr-defined]
            params=[(brightness, 40)],
            state_type_id=brightness,
            expected=40,
            within=5,
        )
        assert (result.ok, result.value) == (True, 40)
        assert time.monotonic() - started < 1
    await store.close()


async def test_a_report_of_the_value_it_already_had_confirms_too(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    async with running_hub(store) as (hub, virtual):
        light = await _add(hub, virtual, "light")
        power = state_id(light.thing_class, "power")  # type: ignore[attr-defined]
        for _ in range(2):  # the second time nothing changes, and the light still reports
            result = await execute_confirmed(
                hub,
                SYSTEM,
                thing_id=light.id,
                action_type_id=power,  # type: ignore[attr-defined]
                params=[(power, True)],
                state_type_id=power,
                expected=True,
                within=2,
            )
            assert (result.ok, result.value) == (True, True)
    await store.close()


async def test_a_blind_still_travelling_at_the_deadline_answers_where_it_got_to(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    async with running_hub(store) as (hub, virtual):
        blind = await _add(hub, virtual, "venetianBlind")
        percentage = state_id(blind.thing_class, "percentage")  # type: ignore[attr-defined]
        result = await execute_confirmed(
            hub,
            SYSTEM,
            thing_id=blind.id,
            action_type_id=percentage,  # type: ignore[attr-defined]
            params=[(percentage, 100)],
            state_type_id=percentage,
            expected=100,
            within=0.3,
        )
        # 20 s of travel at 20x simulated time is 1 s real: after 0.3 s it is part of the way.
        assert result.ok and 0 < result.value < 100  # type: ignore[operator]
    await store.close()


async def test_no_report_within_the_time_is_a_timeout(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    async with running_hub(store) as (hub, virtual):
        blind = await _add(hub, virtual, "venetianBlind")
        angle = state_id(blind.thing_class, "angle")  # type: ignore[attr-defined]
        stop = blind.thing_class.action_type_named("stop")  # type: ignore[attr-defined]
        result = await execute_confirmed(
            hub,
            SYSTEM,
            thing_id=blind.id,
            action_type_id=stop.id,  # type: ignore[attr-defined]
            params=[],
            state_type_id=angle,
            within=0.2,
        )
        assert result.error is ThingError.TIMEOUT
        assert hub._state_watchers == {}  # the watch is gone with the call
    await store.close()


async def test_a_refused_action_answers_its_error_without_waiting(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    async with running_hub(store) as (hub, virtual):
        light = await _add(hub, virtual, "light")
        power = state_id(light.thing_class, "power")  # type: ignore[attr-defined]
        reader = Principal(name="reader", scopes=Scope.ACCESS_ALL_THINGS)
        started = time.monotonic()
        denied = await execute_confirmed(
            hub,
            reader,
            thing_id=light.id,
            action_type_id=power,  # type: ignore[attr-defined]
            params=[(power, True)],
            state_type_id=power,
            expected=True,
            within=5,
        )
        assert denied.permission_denied and time.monotonic() - started < 1
        invalid = await execute_confirmed(
            hub,
            SYSTEM,
            thing_id=light.id,
            action_type_id=power,  # type: ignore[attr-defined]
            params=[(power, "maybe")],
            state_type_id=power,
            expected=True,
            within=5,
        )
        assert invalid.error is ThingError.INVALID_PARAMETER
    await store.close()


async def test_add_thing_keeps_a_given_id_and_refuses_a_taken_one(tmp_path: Path) -> None:
    import uuid

    store = await _store(tmp_path)
    wanted = uuid.UUID("d65ccfb3-31d6-01eb-afcf-1b5704c93359")
    async with running_hub(store) as (hub, virtual):
        light_class = virtual.thing_class_named("light").id
        added = await hub.add_thing(SYSTEM, name="kept", thing_class_id=light_class, thing_id=str(wanted))
        assert added.ok and added.value == wanted
        again = await hub.add_thing(SYSTEM, name="twice", thing_class_id=light_class, thing_id=wanted)
        assert again.error is ThingError.DUPLICATE_UUID
        bad = await hub.add_thing(SYSTEM, name="bad", thing_class_id=light_class, thing_id="not-an-id")
        assert bad.error is ThingError.INVALID_PARAMETER
    await store.close()
