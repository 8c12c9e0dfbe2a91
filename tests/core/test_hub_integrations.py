"""nymea's Integrations behaviours (reference/nymea-jsonrpc.md §6, items 18-54) against the core hub."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.hubtools import (
    TIME_SCALE,
    action_id,
    action_param_id,
    drain,
    next_event,
    param_id,
    running_hub,
    state_id,
    things_named,
)
from thinggate.core import events as ev
from thinggate.core.errors import ThingError
from thinggate.core.hub import Hub, Timeouts
from thinggate.core.model import SetupMethod, StateValueFilter, ThingSetupStatus
from thinggate.core.security import SYSTEM, Principal, Scope
from thinggate.integrations.virtual import PLUGIN, VENDOR, VirtualIntegration
from thinggate.integrations.virtual.house import HOUSE_BEHAVIOURS
from thinggate.integrations.virtual.testbed import (
    CHILD_MOCK,
    DISPLAY_PIN_MOCK,
    GENERIC_IO_MOCK,
    MOCK,
    PARENT_MOCK,
    PUSH_BUTTON_MOCK,
    TESTBED_BEHAVIOURS,
    USER_AND_PASS_MOCK,
    VIRTUAL_IO_LIGHT_MOCK,
)
from thinggate.storage.memory import MemoryStore

HTTPPORT = param_id(MOCK, "httpport")
ASYNC = param_id(MOCK, "async")
BROKEN = param_id(MOCK, "broken")


async def add_mock(hub: Hub, port: int = 5555, **extra: object) -> uuid.UUID:
    params = [(HTTPPORT, port), *[(param_id(MOCK, name), value) for name, value in extra.items()]]
    result = await hub.add_thing(SYSTEM, name="Mock", thing_class_id=MOCK.id, params=params)
    assert result.error is ThingError.NO_ERROR, result
    assert result.value is not None
    return result.value


# ---------------------------------------------------------------- 18-21 plugins, vendors, classes


async def test_18_plugins_and_vendors(hub: Hub) -> None:
    assert PLUGIN.id in [p.id for p in hub.get_plugins()]
    assert VENDOR.id in [v.id for v in hub.get_vendors()]


async def test_19_get_plugin_configuration(hub: Hub) -> None:
    result = await hub.get_plugin_configuration(SYSTEM, PLUGIN.id)
    assert result.error is ThingError.NO_ERROR
    assert result.value == {PLUGIN.param_types[0].id: 42, PLUGIN.param_types[1].id: True}
    assert (await hub.get_plugin_configuration(SYSTEM, uuid.uuid4())).error is ThingError.PLUGIN_NOT_FOUND


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (13, ThingError.NO_ERROR),
        (130, ThingError.INVALID_PARAMETER),
        (-13, ThingError.INVALID_PARAMETER),
        ("wrontType", ThingError.INVALID_PARAMETER),
    ],
)
async def test_20_set_plugin_configuration(hub: Hub, value: object, expected: ThingError) -> None:
    config_int = PLUGIN.param_types[0].id
    sub = hub.bus.subscribe("test")
    result = await hub.set_plugin_configuration(SYSTEM, PLUGIN.id, [(config_int, value)])
    assert result.error is expected
    stored = await hub.get_plugin_configuration(SYSTEM, PLUGIN.id)
    assert stored.value is not None
    assert stored.value[config_int] == (13 if expected is ThingError.NO_ERROR else 42)
    if expected is ThingError.NO_ERROR:
        changed = await next_event(sub, ev.PluginConfigurationChanged)  # item 15
        assert changed.configuration[config_int] == 13


async def test_20_unknown_plugin_configuration(hub: Hub) -> None:
    result = await hub.set_plugin_configuration(SYSTEM, uuid.uuid4(), [])
    assert result.error is ThingError.PLUGIN_NOT_FOUND


async def test_20_plugin_configuration_persists(store: MemoryStore) -> None:
    config_int = PLUGIN.param_types[0].id
    async with running_hub(store) as (hub, _):
        assert (await hub.set_plugin_configuration(SYSTEM, PLUGIN.id, [(config_int, 13)])).ok
    async with running_hub(store) as (hub, _):
        assert (await hub.get_plugin_configuration(SYSTEM, PLUGIN.id)).value[config_int] == 13  # type: ignore[index]


async def test_21_thing_classes(hub: Hub, virtual: VirtualIntegration) -> None:
    total = len(virtual.thing_classes)
    assert total == len(TESTBED_BEHAVIOURS) + len(HOUSE_BEHAVIOURS)
    all_classes = (await hub.get_thing_classes(SYSTEM)).value
    assert all_classes is not None and len(all_classes) == total
    by_vendor = (await hub.get_thing_classes(SYSTEM, vendor_id=VENDOR.id)).value
    assert by_vendor is not None and len(by_vendor) == total
    assert (await hub.get_thing_classes(SYSTEM, vendor_id=uuid.uuid4())).value == []
    assert [c.id for c in (await hub.get_thing_classes(SYSTEM, thing_class_ids=[MOCK.id])).value or []] == [MOCK.id]
    assert (await hub.get_thing_classes(SYSTEM, thing_class_ids=[uuid.uuid4()])).value == []
    # Interfaces are expanded depth-first with their parents.
    assert MOCK.interfaces == (
        "system",
        "light",
        "power",
        "battery",
        "wirelessconnectable",
        "connectable",
        "update",
        "multibutton",
        "button",
    )


# ---------------------------------------------------------------- 22-28 adding things


async def test_22_add_thing(hub: Hub) -> None:
    thing_id = await add_mock(hub)
    assert hub.things[thing_id].setup_status is ThingSetupStatus.COMPLETE
    async_id = await add_mock(hub, 5556, **{"async": True})
    assert hub.things[async_id].setup_complete


async def test_23_add_unknown_class(hub: Hub) -> None:
    result = await hub.add_thing(SYSTEM, name="x", thing_class_id=uuid.uuid4(), params=[])
    assert result.error is ThingError.THING_CLASS_NOT_FOUND


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_24_broken_setup_is_not_added(hub: Hub, asynchronous: bool) -> None:
    before = set(hub.things)
    result = await hub.add_thing(
        SYSTEM,
        name="broken",
        thing_class_id=MOCK.id,
        params=[(HTTPPORT, 5557), (BROKEN, True), (ASYNC, asynchronous)],
    )
    assert result.error is ThingError.SETUP_FAILED
    assert "intentionally broken" in result.message
    assert set(hub.things) == before


async def test_25_missing_param(hub: Hub) -> None:
    result = await hub.add_thing(SYSTEM, name="x", thing_class_id=MOCK.id, params=[])
    assert result.error is ThingError.MISSING_PARAMETER


async def test_27_invalid_params(hub: Hub) -> None:
    bad = await hub.add_thing(SYSTEM, name="x", thing_class_id=MOCK.id, params=[(HTTPPORT, "blabla")])
    assert bad.error is ThingError.INVALID_PARAMETER
    unknown = await hub.add_thing(
        SYSTEM, name="x", thing_class_id=MOCK.id, params=[(HTTPPORT, 5558), (uuid.uuid4(), 3)]
    )
    assert unknown.error is ThingError.INVALID_PARAMETER
    duplicate = await hub.add_thing(
        SYSTEM, name="x", thing_class_id=MOCK.id, params=[(HTTPPORT, 5558), (HTTPPORT, "bad")]
    )
    assert duplicate.error is ThingError.INVALID_PARAMETER


async def test_add_without_class_or_descriptor(hub: Hub) -> None:
    assert (await hub.add_thing(SYSTEM, name="x")).error is ThingError.MISSING_PARAMETER


async def test_add_pairing_class_needs_pairing(hub: Hub) -> None:
    result = await hub.add_thing(SYSTEM, name="x", thing_class_id=USER_AND_PASS_MOCK.id)
    assert result.error is ThingError.CREATION_METHOD_NOT_SUPPORTED


async def test_empty_name_becomes_class_name(hub: Hub) -> None:
    result = await hub.add_thing(SYSTEM, name="", thing_class_id=MOCK.id, params=[(HTTPPORT, 1)])
    assert result.value is not None and hub.things[result.value].name == MOCK.name


async def test_28_added_and_removed_events(hub: Hub) -> None:
    sub = hub.bus.subscribe("test")
    thing_id = await add_mock(hub)
    added = await next_event(sub, ev.ThingAdded)
    assert added.thing.id == thing_id and added.thing.thing_class.id == MOCK.id
    assert added.thing.params[HTTPPORT] == 5555
    assert (await hub.remove_thing(SYSTEM, thing_id)).ok
    removed = await next_event(sub, ev.ThingRemoved)
    assert removed.thing_id == thing_id


# ---------------------------------------------------------------- 29-32 changes, listing, restart


async def test_29_reconfigure_and_edit_emit_thing_changed(hub: Hub) -> None:
    thing_id = await add_mock(hub)
    sub = hub.bus.subscribe("test")
    assert (await hub.reconfigure_thing(SYSTEM, thing_id=thing_id, params=[(HTTPPORT, 6000)])).ok
    changed = await next_event(sub, ev.ThingChanged)
    assert changed.thing.params[HTTPPORT] == 6000
    assert (await hub.edit_thing(SYSTEM, thing_id, "Renamed")).ok
    changed = await next_event(sub, ev.ThingChanged)
    assert changed.thing.name == "Renamed"


async def test_30_get_things(hub: Hub) -> None:
    # At start only the auto thing exists; add a plain and an async one as nymea's tests do.
    await add_mock(hub)
    await add_mock(hub, 5556, **{"async": True})
    result = await hub.get_things(SYSTEM)
    assert result.value is not None and len(result.value) == 3
    one = await hub.get_things(SYSTEM, thing_id=result.value[0].id)
    assert one.value is not None and len(one.value) == 1
    assert (await hub.get_things(SYSTEM, thing_id=uuid.uuid4())).error is ThingError.THING_NOT_FOUND


async def test_31_things_persist_across_restart(store: MemoryStore) -> None:
    async with running_hub(store) as (hub, _):
        thing_id = await add_mock(hub, 7000)
        await hub.edit_thing(SYSTEM, thing_id, "Kept")
        await hub.set_thing_settings(SYSTEM, thing_id, [(MOCK.settings_types[0].id, 9)])
        auto_ids = {t.id for t in things_named(hub, "autoMock")}
    async with running_hub(store) as (hub, _):
        thing = hub.things[thing_id]
        assert thing.name == "Kept"
        assert thing.params[HTTPPORT] == 7000
        assert thing.settings[MOCK.settings_types[0].id] == 9
        # The auto thing is not created a second time.
        assert {t.id for t in things_named(hub, "autoMock")} == auto_ids


async def test_31_restart_logs_no_unchanged_state(store: MemoryStore) -> None:
    async with running_hub(store) as (hub, _):
        thing_id = await add_mock(hub, 7001)
        assert (await hub.set_state_logging(SYSTEM, thing_id, state_id(MOCK, "int"), True)).ok
    async with running_hub(store) as (hub, _):
        await hub.flush()
        history = (await hub.history(SYSTEM, thing_id)).value
        assert history == []


async def test_32_state_cache(store: MemoryStore) -> None:
    async with running_hub(store) as (hub, virtual):
        thing_id = await add_mock(hub, 7002)
        assert virtual.test_control is not None
        virtual.test_control.set_state(thing_id, "int", 77)
        virtual.test_control.set_state(thing_id, "bool", True)
    async with running_hub(store) as (hub, _):
        assert hub.things[thing_id].state_value("int") == 77
        assert hub.things[thing_id].state_value("bool") is False


# ---------------------------------------------------------------- 33-36 discovery, pairing, children


async def test_33_discovery(hub: Hub) -> None:
    two = await hub.discover_things(SYSTEM, MOCK.id)
    assert two.value is not None and len(two.value) == 2
    result_count = MOCK.discovery_param_types[0].id
    one = await hub.discover_things(SYSTEM, MOCK.id, [(result_count, 1)])
    assert one.value is not None and len(one.value) == 1
    three = await hub.discover_things(SYSTEM, MOCK.id, [(result_count, 3)])
    assert three.error is ThingError.INVALID_PARAMETER
    assert (await hub.discover_things(SYSTEM, uuid.uuid4())).error is ThingError.THING_CLASS_NOT_FOUND
    added = await hub.add_thing(SYSTEM, name="d", descriptor_id=one.value[0].id)
    assert added.ok
    assert (await hub.add_thing(SYSTEM, name="d", descriptor_id=uuid.uuid4())).error is (
        ThingError.THING_DESCRIPTOR_NOT_FOUND
    )


async def test_discovery_of_class_without_discovery(hub: Hub) -> None:
    result = await hub.discover_things(SYSTEM, GENERIC_IO_MOCK.id)
    assert result.error is ThingError.CREATION_METHOD_NOT_SUPPORTED


async def test_34_push_button_pairing(hub: Hub) -> None:
    descriptors = (await hub.discover_things(SYSTEM, PUSH_BUTTON_MOCK.id)).value
    assert descriptors
    early = await hub.pair_thing(SYSTEM, descriptor_id=descriptors[0].id, name="pb")
    assert early.ok and early.value is not None
    assert early.value.setup_method is SetupMethod.PUSH_BUTTON
    confirm_now = await hub.confirm_pairing(SYSTEM, early.value.transaction_id)
    assert confirm_now.error is ThingError.AUTHENTICATION_FAILURE
    pairing = await hub.pair_thing(SYSTEM, descriptor_id=descriptors[0].id, name="pb")
    assert pairing.value is not None
    await asyncio.sleep(3.5 / TIME_SCALE)
    confirmed = await hub.confirm_pairing(SYSTEM, pairing.value.transaction_id)
    assert confirmed.ok and confirmed.value in hub.things


async def test_35_display_pin_pairing(hub: Hub) -> None:
    descriptors = (await hub.discover_things(SYSTEM, DISPLAY_PIN_MOCK.id)).value
    assert descriptors
    wrong = await hub.pair_thing(SYSTEM, descriptor_id=descriptors[0].id)
    assert wrong.value is not None
    result = await hub.confirm_pairing(SYSTEM, wrong.value.transaction_id, secret="243682")
    assert result.error is ThingError.AUTHENTICATION_FAILURE and result.message == "Invalid PIN!"
    right = await hub.pair_thing(SYSTEM, descriptor_id=descriptors[0].id)
    assert right.value is not None
    assert (await hub.confirm_pairing(SYSTEM, right.value.transaction_id, secret="243681")).ok


async def test_user_and_password_pairing(hub: Hub) -> None:
    pairing = await hub.pair_thing(SYSTEM, thing_class_id=USER_AND_PASS_MOCK.id, name="up")
    assert pairing.value is not None
    bad = await hub.confirm_pairing(SYSTEM, pairing.value.transaction_id, username="john", secret="smith")
    assert bad.error is ThingError.AUTHENTICATION_FAILURE
    pairing = await hub.pair_thing(SYSTEM, thing_class_id=USER_AND_PASS_MOCK.id, name="up")
    assert pairing.value is not None
    good = await hub.confirm_pairing(SYSTEM, pairing.value.transaction_id, username="user", secret="password")
    assert good.ok and hub.things[good.value].state_value("connected") is True  # type: ignore[index]


async def test_pairing_errors(hub: Hub) -> None:
    assert (await hub.pair_thing(SYSTEM, thing_class_id=MOCK.id)).error is ThingError.SETUP_METHOD_NOT_SUPPORTED
    assert (await hub.confirm_pairing(SYSTEM, uuid.uuid4())).error is ThingError.PAIRING_TRANSACTION_ID_NOT_FOUND
    assert (await hub.pair_thing(SYSTEM)).error is ThingError.MISSING_PARAMETER


async def test_36_parent_and_child(hub: Hub) -> None:
    discovered = await hub.discover_things(SYSTEM, CHILD_MOCK.id)
    assert discovered.value == []
    sub = hub.bus.subscribe("test")
    parent = await hub.add_thing(SYSTEM, name="parent", thing_class_id=PARENT_MOCK.id)
    assert parent.ok
    first = await next_event(sub, ev.ThingAdded)
    second = await next_event(sub, ev.ThingAdded)
    assert first.thing.id == parent.value
    child = second.thing
    assert child.parent_id == parent.value and child.thing_class.id == CHILD_MOCK.id
    assert (await hub.remove_thing(SYSTEM, child.id)).error is ThingError.THING_IS_CHILD
    assert child.id in hub.things
    discovered = await hub.discover_things(SYSTEM, CHILD_MOCK.id)
    assert discovered.value is not None and len(discovered.value) == 1
    assert discovered.value[0].parent_id == parent.value
    assert (await hub.add_thing(SYSTEM, name="second child", descriptor_id=discovered.value[0].id)).ok
    removed = await hub.remove_thing(SYSTEM, parent.value)
    assert removed.ok and removed.value is not None and len(removed.value) == 3
    assert child.id not in hub.things and parent.value not in hub.things


# ---------------------------------------------------------------- 37-41 types, states, settings


async def test_37_types(hub: Hub) -> None:
    assert len(hub.get_action_types(MOCK.id)) == 12
    assert len(hub.get_event_types(MOCK.id)) == 3
    state_types = hub.get_state_types(MOCK.id)
    assert len(state_types) == 12 and state_types[0].name == "int"
    assert hub.get_action_types(uuid.uuid4()) == []
    assert hub.get_event_types(uuid.uuid4()) == []
    assert hub.get_state_types(uuid.uuid4()) == []
    # A writable state gives an action with the same id and one param with that id.
    power = MOCK.action_type(state_id(MOCK, "power"))
    assert power is not None and [p.id for p in power.param_types] == [power.id]


async def test_38_state_values(hub: Hub) -> None:
    thing_id = await add_mock(hub)
    value = await hub.get_state_value(SYSTEM, thing_id, state_id(MOCK, "int"))
    assert value.ok and value.value == 10
    assert (await hub.get_state_value(SYSTEM, uuid.uuid4(), state_id(MOCK, "int"))).error is (
        ThingError.THING_NOT_FOUND
    )
    assert (await hub.get_state_value(SYSTEM, thing_id, uuid.uuid4())).error is ThingError.STATE_TYPE_NOT_FOUND
    values = await hub.get_state_values(SYSTEM, thing_id)
    assert values.value is not None and len(values.value) == 12
    assert (await hub.get_state_values(SYSTEM, uuid.uuid4())).error is ThingError.THING_NOT_FOUND


async def test_39_edit_persists(store: MemoryStore) -> None:
    async with running_hub(store) as (hub, _):
        thing_id = await add_mock(hub)
        assert (await hub.edit_thing(SYSTEM, thing_id, "New name")).ok
        assert (await hub.edit_thing(SYSTEM, uuid.uuid4(), "x")).error is ThingError.THING_NOT_FOUND
    async with running_hub(store) as (hub, _):
        assert hub.things[thing_id].name == "New name"


async def test_40_settings(store: MemoryStore) -> None:
    setting1 = MOCK.settings_types[0].id
    async with running_hub(store) as (hub, _):
        thing_id = await add_mock(hub)
        thing = hub.things[thing_id]
        assert len(thing.settings) == 3 and next(iter(thing.settings.values())) == 5
        sub = hub.bus.subscribe("test")
        assert (await hub.set_thing_settings(SYSTEM, thing_id, [(setting1, 7)])).ok
        announced = [e for e in drain(sub) if isinstance(e, ev.ThingSettingChanged)]
        # nymea announces every setting of the merged list, not only the changed one.
        assert len(announced) == 3 and announced[0].value == 7
        bad = await hub.set_thing_settings(SYSTEM, thing_id, [(setting1, "seven")])
        assert bad.error is ThingError.INVALID_PARAMETER
    async with running_hub(store) as (hub, _):
        assert hub.things[thing_id].settings[setting1] == 7


async def test_41_reconfigure(store: MemoryStore) -> None:
    async with running_hub(store) as (hub, _):
        thing_id = await add_mock(hub, 5555)
        readonly = await hub.reconfigure_thing(SYSTEM, thing_id=thing_id, params=[(ASYNC, True)])
        assert readonly.error is ThingError.PARAMETER_NOT_WRITABLE
        assert hub.things[thing_id].params[ASYNC] is False
        assert (await hub.reconfigure_thing(SYSTEM, thing_id=thing_id, params=[(HTTPPORT, 5566)])).ok
        assert (await hub.reconfigure_thing(SYSTEM)).error is ThingError.MISSING_PARAMETER
        assert (await hub.reconfigure_thing(SYSTEM, thing_id=uuid.uuid4())).error is ThingError.THING_NOT_FOUND
    async with running_hub(store) as (hub, _):
        assert hub.things[thing_id].params[HTTPPORT] == 5566
        assert hub.things[thing_id].params[ASYNC] is False


async def test_42_reconfigure_by_discovery(hub: Hub) -> None:
    result_count = MOCK.discovery_param_types[0].id
    first = (await hub.discover_things(SYSTEM, MOCK.id, [(result_count, 1)])).value
    assert first
    added = await hub.add_thing(SYSTEM, name="d", descriptor_id=first[0].id)
    assert added.ok
    again = (await hub.discover_things(SYSTEM, MOCK.id, [(result_count, 1)])).value
    assert again and again[0].thing_id == added.value
    result = await hub.reconfigure_thing(SYSTEM, descriptor_id=again[0].id, params=[(HTTPPORT, 55556)])
    assert result.ok
    assert hub.things[added.value].params[HTTPPORT] == 55556  # type: ignore[index]
    assert len(things_named(hub, "mock")) == 1


async def test_42_repair_through_display_pin(hub: Hub) -> None:
    descriptors = (await hub.discover_things(SYSTEM, DISPLAY_PIN_MOCK.id)).value
    assert descriptors
    pairing = await hub.pair_thing(SYSTEM, descriptor_id=descriptors[0].id)
    assert pairing.value is not None
    thing_id = (await hub.confirm_pairing(SYSTEM, pairing.value.transaction_id, secret="243681")).value
    again = await hub.pair_thing(SYSTEM, thing_id=thing_id)
    assert again.value is not None
    confirmed = await hub.confirm_pairing(SYSTEM, again.value.transaction_id, secret="243681")
    assert confirmed.ok and confirmed.value == thing_id
    assert len(things_named(hub, "displayPinMock")) == 1


async def test_43_auto_thing_reconfigure_and_disappear(hub: Hub, virtual: VirtualIntegration) -> None:
    assert virtual.test_control is not None
    [auto] = things_named(hub, "autoMock")
    port = auto.param("httpport")
    await virtual.test_control.reconfigure_auto_thing(auto.id)
    [again] = things_named(hub, "autoMock")
    assert again.id == auto.id and again.param("httpport") == port + 1
    user_thing = await add_mock(hub)
    assert await virtual.test_control.disappear(user_thing) is False
    assert user_thing in hub.things
    assert await virtual.test_control.disappear(auto.id) is True
    assert auto.id not in hub.things


async def test_44_remove(store: MemoryStore) -> None:
    async with running_hub(store) as (hub, _):
        thing_id = await add_mock(hub)
        assert (await hub.remove_thing(SYSTEM, thing_id)).ok
        assert (await hub.remove_thing(SYSTEM, uuid.uuid4())).error is ThingError.THING_NOT_FOUND
        assert thing_id not in [r.id for r in await store.load_things()]


# ---------------------------------------------------------------- 45-47 browsing


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_45_browse(hub: Hub, asynchronous: bool) -> None:
    assert MOCK.browsable
    thing_id = await add_mock(hub, **{"async": asynchronous})
    root = await hub.browse_thing(SYSTEM, thing_id)
    assert root.value
    folder = await hub.browse_thing(SYSTEM, thing_id, "001")
    assert folder.value is not None and len(folder.value) == 2
    missing = await hub.browse_thing(SYSTEM, thing_id, "nope")
    assert missing.error is ThingError.ITEM_NOT_FOUND and not missing.value
    item = await hub.get_browser_item(SYSTEM, thing_id, "002")
    assert item.value is not None and item.value.executable


async def test_browse_unsupported(hub: Hub) -> None:
    io = await hub.add_thing(SYSTEM, name="io", thing_class_id=GENERIC_IO_MOCK.id)
    assert (await hub.browse_thing(SYSTEM, io.value)).error is ThingError.UNSUPPORTED_FEATURE


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_46_execute_browser_item(hub: Hub, asynchronous: bool) -> None:
    thing_id = await add_mock(hub, **{"async": asynchronous})
    assert (await hub.execute_browser_item(SYSTEM, thing_id, "002")).ok
    assert (await hub.execute_browser_item(SYSTEM, thing_id, "001")).error is ThingError.ITEM_NOT_EXECUTABLE


async def test_47_favorites(hub: Hub) -> None:
    thing_id = await add_mock(hub)
    add, remove = MOCK.browser_item_action_types
    assert (await hub.execute_browser_item_action(SYSTEM, thing_id, "002", add.id)).ok
    favorites = (await hub.browse_thing(SYSTEM, thing_id, "favorites")).value
    assert favorites is not None and len(favorites) == 1
    assert (await hub.execute_browser_item_action(SYSTEM, thing_id, favorites[0].id, remove.id)).ok
    assert (await hub.browse_thing(SYSTEM, thing_id, "favorites")).value == []


# ---------------------------------------------------------------- 48-52 actions, events, limits


async def test_48_execute_action(hub: Hub, virtual: VirtualIntegration) -> None:
    assert virtual.test_control is not None
    thing_id = await add_mock(hub)
    with_params = action_id(MOCK, "withParams")
    params = [
        (action_param_id(MOCK, "withParams", "param1"), 5),
        (action_param_id(MOCK, "withParams", "param2"), True),
    ]
    assert (await hub.execute_action(SYSTEM, thing_id, with_params, params)).ok
    assert virtual.test_control.action_history(thing_id) == [with_params]
    assert (await hub.execute_action(SYSTEM, uuid.uuid4(), with_params, params)).error is ThingError.THING_NOT_FOUND
    assert (await hub.execute_action(SYSTEM, thing_id, uuid.uuid4())).error is ThingError.ACTION_TYPE_NOT_FOUND
    assert (await hub.execute_action(SYSTEM, thing_id, with_params)).error is ThingError.MISSING_PARAMETER
    assert (await hub.execute_action(SYSTEM, thing_id, action_id(MOCK, "async"))).ok
    virtual.test_control.clear_action_history()
    for failing in ("failing", "asyncFailing"):
        result = await hub.execute_action(SYSTEM, thing_id, action_id(MOCK, failing))
        assert result.error is ThingError.SETUP_FAILED
    assert virtual.test_control.action_history(thing_id) == []


async def test_action_timeout() -> None:
    async with running_hub(MemoryStore(), timeouts=Timeouts(action=0.3)) as (hub, _):
        descriptors = (await hub.discover_things(SYSTEM, DISPLAY_PIN_MOCK.id)).value
        assert descriptors
        pairing = await hub.pair_thing(SYSTEM, descriptor_id=descriptors[0].id)
        assert pairing.value is not None
        thing_id = (await hub.confirm_pairing(SYSTEM, pairing.value.transaction_id, secret="243681")).value
        result = await hub.execute_action(SYSTEM, thing_id, action_id(DISPLAY_PIN_MOCK, "timeout"))
        assert result.error is ThingError.TIMEOUT


async def test_49_event(hub: Hub, virtual: VirtualIntegration) -> None:
    assert virtual.test_control is not None
    thing_id = await add_mock(hub)
    sub = hub.bus.subscribe("test")
    virtual.test_control.generate_event(thing_id, "event1")
    triggered = [e for e in drain(sub) if isinstance(e, ev.EventTriggered)]
    assert len(triggered) == 1
    assert triggered[0].event.thing_id == thing_id
    assert triggered[0].event.event_type_id == MOCK.event_type_named("event1").id  # type: ignore[union-attr]


async def test_14_state_changed(hub: Hub, virtual: VirtualIntegration) -> None:
    assert virtual.test_control is not None
    thing_id = await add_mock(hub)
    sub = hub.bus.subscribe("test")
    virtual.test_control.set_state(thing_id, "int", 11)
    changed = await next_event(sub, ev.StateChanged)
    assert (changed.thing_id, changed.state_type_id, changed.value) == (thing_id, state_id(MOCK, "int"), 11)
    assert (await hub.get_state_value(SYSTEM, thing_id, state_id(MOCK, "int"))).value == 11


async def test_50_dynamic_min_max(hub: Hub, virtual: VirtualIntegration) -> None:
    assert virtual.test_control is not None
    thing_id = await add_mock(hub)
    limited = state_id(MOCK, "intWithLimits")
    sub = hub.bus.subscribe("test")
    virtual.test_control.set_state(thing_id, "intWithLimits", 11)
    changed = await next_event(sub, ev.StateChanged)
    assert (changed.value, changed.min_value, changed.max_value) == (11, 0, 50)
    max_setting = MOCK.settings_type_named("intStateWithLimitsMaxValue").id  # type: ignore[union-attr]
    assert (await hub.set_thing_settings(SYSTEM, thing_id, [(max_setting, 8)])).ok
    changed = await next_event(sub, ev.StateChanged, lambda e: e.state_type_id == limited)
    assert (changed.value, changed.max_value) == (8, 8)
    assert (await hub.execute_action(SYSTEM, thing_id, limited, [(limited, 40)])).error is (
        ThingError.INVALID_PARAMETER
    )
    assert (await hub.set_thing_settings(SYSTEM, thing_id, [(max_setting, 100)])).ok
    assert (await hub.execute_action(SYSTEM, thing_id, limited, [(limited, 52)])).ok
    assert hub.things[thing_id].state_value("intWithLimits") == 52


async def test_51_setup_status_after_restart(store: MemoryStore) -> None:
    async with running_hub(store) as (hub, _):
        thing_id = await add_mock(hub, 5555, **{"async": True})
    async with running_hub(store, wait_for_setup=False) as (hub, _):
        assert hub.things[thing_id].setup_status is ThingSetupStatus.IN_PROGRESS
        sub = hub.bus.subscribe("test")
        changed = await next_event(sub, ev.ThingChanged, lambda e: e.thing.id == thing_id)
        assert changed.thing.setup_status is ThingSetupStatus.COMPLETE


# ---------------------------------------------------------------- 53-54 IO connections


IO_MATRIX = [
    ("digitalInput1", "digitalOutput1", ThingError.NO_ERROR),
    ("analogInput1", "analogOutput1", ThingError.NO_ERROR),
    ("digitalInput1", "analogOutput1", ThingError.INVALID_PARAMETER),
    ("analogInput1", "digitalOutput1", ThingError.INVALID_PARAMETER),
    ("digitalOutput1", "digitalInput1", ThingError.INVALID_PARAMETER),
    ("digitalInput1", "digitalInput2", ThingError.INVALID_PARAMETER),
    ("digitalOutput1", "digitalOutput2", ThingError.INVALID_PARAMETER),
    ("analogOutput1", "analogInput1", ThingError.INVALID_PARAMETER),
    ("analogInput1", "analogInput2", ThingError.INVALID_PARAMETER),
]


@pytest.mark.parametrize(("source", "target", "expected"), IO_MATRIX)
async def test_53_connect_io_matrix(hub: Hub, source: str, target: str, expected: ThingError) -> None:
    io = (await hub.add_thing(SYSTEM, name="io", thing_class_id=GENERIC_IO_MOCK.id)).value
    result = await hub.connect_io(SYSTEM, io, state_id(GENERIC_IO_MOCK, source), io, state_id(GENERIC_IO_MOCK, target))
    assert result.error is expected


async def test_53_connect_io_unknowns(hub: Hub) -> None:
    io = (await hub.add_thing(SYSTEM, name="io", thing_class_id=GENERIC_IO_MOCK.id)).value
    digital_in, digital_out = state_id(GENERIC_IO_MOCK, "digitalInput1"), state_id(GENERIC_IO_MOCK, "digitalOutput1")
    assert (await hub.connect_io(SYSTEM, uuid.uuid4(), digital_in, io, digital_out)).error is (
        ThingError.THING_NOT_FOUND
    )
    assert (await hub.connect_io(SYSTEM, io, digital_in, uuid.uuid4(), digital_out)).error is (
        ThingError.THING_NOT_FOUND
    )
    assert (await hub.connect_io(SYSTEM, io, uuid.uuid4(), io, digital_out)).error is ThingError.STATE_TYPE_NOT_FOUND
    assert (await hub.disconnect_io(SYSTEM, uuid.uuid4())).error is ThingError.ITEM_NOT_FOUND


async def wait_for_value(hub: Hub, thing_id: uuid.UUID, name: str, expected: object) -> None:
    for _ in range(200):
        if hub.things[thing_id].state_value(name) == expected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{name} stayed {hub.things[thing_id].state_value(name)!r}, expected {expected!r}")


@pytest.mark.parametrize("inverted", [False, True])
async def test_54_digital_io(hub: Hub, virtual: VirtualIntegration, inverted: bool) -> None:
    assert virtual.test_control is not None
    light = (await hub.add_thing(SYSTEM, name="light", thing_class_id=VIRTUAL_IO_LIGHT_MOCK.id)).value
    io = (await hub.add_thing(SYSTEM, name="io", thing_class_id=GENERIC_IO_MOCK.id)).value
    assert light and io
    connection = await hub.connect_io(
        SYSTEM,
        light,
        state_id(VIRTUAL_IO_LIGHT_MOCK, "power"),
        io,
        state_id(GENERIC_IO_MOCK, "digitalOutput1"),
        inverted,
    )
    assert connection.ok
    await wait_for_value(hub, io, "digitalOutput1", inverted)  # initial sync
    virtual.test_control.set_state(light, "power", True)
    await wait_for_value(hub, io, "digitalOutput1", not inverted)
    virtual.test_control.set_state(light, "power", False)
    await wait_for_value(hub, io, "digitalOutput1", inverted)
    assert (await hub.disconnect_io(SYSTEM, connection.value)).ok
    virtual.test_control.set_state(light, "power", True)
    await asyncio.sleep(0.1)
    assert hub.things[io].state_value("digitalOutput1") is inverted


async def test_54_analog_io_scales(hub: Hub, virtual: VirtualIntegration) -> None:
    assert virtual.test_control is not None
    io = (await hub.add_thing(SYSTEM, name="io", thing_class_id=GENERIC_IO_MOCK.id)).value
    assert io
    # analogInput2 is 0..5, analogOutput1 is 0..3.3: 2.5 is half way, so 1.65.
    result = await hub.connect_io(
        SYSTEM, io, state_id(GENERIC_IO_MOCK, "analogInput2"), io, state_id(GENERIC_IO_MOCK, "analogOutput1")
    )
    assert result.ok
    virtual.test_control.set_state(io, "analogInput2", 2.5)
    for _ in range(200):
        if abs(hub.things[io].state_value("analogOutput1") - 1.65) < 1e-9:
            break
        await asyncio.sleep(0.01)
    assert hub.things[io].state_value("analogOutput1") == pytest.approx(1.65)


async def test_io_connection_replaced_and_removed_with_thing(hub: Hub) -> None:
    io = (await hub.add_thing(SYSTEM, name="io", thing_class_id=GENERIC_IO_MOCK.id)).value
    d1, d2, out = (state_id(GENERIC_IO_MOCK, n) for n in ("digitalInput1", "digitalInput2", "digitalOutput1"))
    first = await hub.connect_io(SYSTEM, io, d1, io, out)
    second = await hub.connect_io(SYSTEM, io, d2, io, out)  # same output: replaces the first
    assert first.ok and second.ok
    assert [c.id for c in (await hub.get_io_connections(SYSTEM)).value or []] == [second.value]
    await hub.remove_thing(SYSTEM, io)
    assert (await hub.get_io_connections(SYSTEM)).value == []


# ---------------------------------------------------------------- logging, filters, permissions


async def test_logging_flags_and_quirks(hub: Hub) -> None:
    thing_id = await add_mock(hub)
    sub = hub.bus.subscribe("test")
    assert (await hub.set_state_logging(SYSTEM, thing_id, state_id(MOCK, "int"), True)).ok
    assert isinstance(await next_event(sub, ev.ThingChanged), ev.ThingChanged)
    assert (await hub.set_state_logging(SYSTEM, thing_id, uuid.uuid4(), True)).error is (
        ThingError.STATE_TYPE_NOT_FOUND
    )
    assert (await hub.set_event_logging(SYSTEM, thing_id, uuid.uuid4(), True)).error is (
        ThingError.EVENT_TYPE_NOT_FOUND
    )
    # nymea's quirks: unknown action (logging) and unknown state (filter) answer EventTypeNotFound.
    assert (await hub.set_action_logging(SYSTEM, thing_id, uuid.uuid4(), True)).error is (
        ThingError.EVENT_TYPE_NOT_FOUND
    )
    assert (await hub.set_state_filter(SYSTEM, thing_id, uuid.uuid4(), StateValueFilter.ADAPTIVE)).error is (
        ThingError.EVENT_TYPE_NOT_FOUND
    )
    assert (await hub.set_state_filter(SYSTEM, thing_id, state_id(MOCK, "int"), StateValueFilter.ADAPTIVE)).ok


async def test_logged_state_goes_to_history(hub: Hub, virtual: VirtualIntegration) -> None:
    assert virtual.test_control is not None
    thing_id = await add_mock(hub)
    int_state = state_id(MOCK, "int")
    assert (await hub.set_state_logging(SYSTEM, thing_id, int_state, True)).ok
    for value in (1, 2, 3):
        virtual.test_control.set_state(thing_id, "int", value)
    history = (await hub.history(SYSTEM, thing_id, int_state)).value
    assert [entry.value for entry in history or []] == [1, 2, 3]


async def test_55_restricted_principal(hub: Hub) -> None:
    a = await add_mock(hub, 1)
    b = await add_mock(hub, 2)
    guest = Principal(name="guest", scopes=Scope.CONTROL_THINGS, allowed_thing_ids=frozenset({b}))
    listed = (await hub.get_things(guest)).value
    assert [t.id for t in listed or []] == [b]
    assert (await hub.get_things(guest, thing_id=a)).error is ThingError.THING_NOT_FOUND
    assert (await hub.get_state_value(guest, a, state_id(MOCK, "int"))).error is ThingError.THING_NOT_FOUND
    assert (await hub.browse_thing(guest, a)).error is ThingError.THING_NOT_FOUND
    assert (await hub.get_browser_item(guest, a)).error is ThingError.THING_NOT_FOUND
    assert (await hub.get_things(guest, thing_id=b)).ok
    # A scope the principal lacks is refused before anything happens.
    denied = await hub.remove_thing(guest, b)
    assert denied.permission_denied and b in hub.things


async def test_domains_restrict_things(hub: Hub) -> None:
    from thinggate.core.security import DomainTree

    tree = DomainTree()
    tree.add("site-a")
    tree.add("site-b")
    admin_a = Principal(name="a", scopes=Scope.ADMIN, home_domain="site-a", domains=tree)
    added = await hub.add_thing(admin_a, name="m", thing_class_id=MOCK.id, params=[(HTTPPORT, 1)])
    assert added.ok and hub.things[added.value].domain == "site-a"  # type: ignore[index]
    admin_b = Principal(name="b", scopes=Scope.ADMIN, home_domain="site-b", domains=tree)
    assert (await hub.get_things(admin_b, thing_id=added.value)).error is ThingError.THING_NOT_FOUND
    assert (await hub.get_things(SYSTEM, thing_id=added.value)).ok
