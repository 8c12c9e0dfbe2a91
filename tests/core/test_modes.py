"""House modes in the core: stored before a switch is acknowledged, announced once, guarded by scope."""

from __future__ import annotations

import uuid

import pytest

from thinggate.core import events as ev
from thinggate.core.errors import PermissionDenied
from thinggate.core.modes import HouseModes, UnknownHouseMode
from thinggate.core.security import SYSTEM, Principal, Scope
from thinggate.storage.memory import MemoryStore


async def test_home_first_then_the_stored_mode_after_a_restart() -> None:
    store, bus = MemoryStore(), ev.EventBus()
    modes = HouseModes(store=store, bus=bus)
    await modes.load()
    assert (modes.current.id, modes.current.name) == ("1", "Home")
    assert [(m.id, m.name) for m in modes.modes] == [("1", "Home"), ("2", "Away"), ("3", "Night"), ("4", "Vacation")]
    assert await modes.switch(SYSTEM, modes.find(mode_id="3")) is True
    again = HouseModes(store=store, bus=bus)
    await again.load()
    assert again.current.name == "Night"


async def test_a_switch_is_announced_once_and_switching_to_the_current_mode_is_no_change() -> None:
    store, bus = MemoryStore(), ev.EventBus()
    seen: list[ev.HubEvent] = []
    bus.listen(seen.append)
    modes = HouseModes(store=store, bus=bus)
    await modes.load()
    await modes.switch(SYSTEM, modes.find(name="away"))
    assert seen == [ev.HouseModeChanged("1", "2")]
    assert await modes.switch(SYSTEM, modes.find(mode_id="2")) is False
    assert seen == [ev.HouseModeChanged("1", "2")]


async def test_only_principals_that_control_things_switch() -> None:
    modes = HouseModes(store=MemoryStore(), bus=ev.EventBus())
    await modes.load()
    with pytest.raises(PermissionDenied):
        await modes.switch(Principal(name="guest", scopes=Scope.ACCESS_ALL_THINGS), modes.find(mode_id="2"))
    assert modes.current.id == "1"


async def test_switching_needs_every_thing_from_the_root_domain() -> None:
    modes = HouseModes(store=MemoryStore(), bus=ev.EventBus())
    await modes.load()
    one_lamp = Principal(name="guest", scopes=Scope.CONTROL_THINGS, allowed_thing_ids=frozenset({uuid.uuid4()}))
    tenant = Principal(name="tenant", scopes=Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS, home_domain="upstairs")
    for principal in (one_lamp, tenant):
        with pytest.raises(PermissionDenied):
            await modes.switch(principal, modes.find(mode_id="2"))
        assert modes.current.id == "1"
    owner = Principal(name="owner", scopes=Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS)
    assert await modes.switch(owner, modes.find(mode_id="2")) is True


async def test_unknown_modes_are_refused_by_id_and_by_name() -> None:
    modes = HouseModes(store=MemoryStore(), bus=ev.EventBus())
    with pytest.raises(UnknownHouseMode):
        modes.find(mode_id="9")
    with pytest.raises(UnknownHouseMode):
        modes.find(name="Party")


async def test_an_unknown_stored_mode_falls_back_to_home() -> None:
    store = MemoryStore()
    await store.save_hub_setting("house_mode", "42")
    modes = HouseModes(store=store, bus=ev.EventBus())
    await modes.load()
    assert modes.current.id == "1"
