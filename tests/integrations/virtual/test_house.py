"""The simulated house: its classes keep the interface contracts, its devices behave plausibly."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from thinggate.core import interfaces
from thinggate.core.errors import ThingError
from thinggate.core.events import EventTriggered, HubEvent, StateChanged, Subscription
from thinggate.core.hub import Hub
from thinggate.core.model import ThingClass, Unit
from thinggate.core.security import SYSTEM
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.integrations.virtual.house import (
    HOUSE_BEHAVIOURS,
    AnalogValueBehaviour,
    ButtonBehaviour,
    DimmableLightBehaviour,
    DoorLockBehaviour,
    EnergyMeterBehaviour,
    HouseBehaviour,
    HvacBehaviour,
    SceneBehaviour,
    TemperatureSensorBehaviour,
    ThermostatBehaviour,
    VenetianBlindBehaviour,
)
from thinggate.storage.memory import MemoryStore

CLASSES: list[ThingClass] = [behaviour.thing_class for behaviour in HOUSE_BEHAVIOURS]
TEST_BED_PREFIXES = (
    "mock",
    "pushButton",
    "displayPin",
    "userAndPass",
    "parent",
    "child",
    "genericIo",
    "autoMock",
    "inputType",
    "virtualIo",
)

# ------------------------------------------------------------------------------------------------
# Interface conformance (no hub needed)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("thing_class", CLASSES, ids=[c.name for c in CLASSES])
def test_class_claims_an_interface(thing_class: ThingClass) -> None:
    """Every house device claims a known interface (that it implements them: tests/core/test_catalogue.py)."""
    assert thing_class.declared_interfaces, "a house device must claim at least one interface"
    for interface_name in thing_class.declared_interfaces:
        assert interface_name in interfaces.CATALOGUE, interface_name


@pytest.mark.parametrize("thing_class", CLASSES, ids=[c.name for c in CLASSES])
def test_type_ids_are_unique_within_a_class(thing_class: ThingClass) -> None:
    """State, event and declared action ids do not collide (a state action shares its state's id on purpose)."""
    ids = [st.id for st in thing_class.state_types]
    ids += [et.id for et in thing_class.event_types]
    ids += [at.id for at in thing_class.declared_action_types]
    assert len(ids) == len(set(ids))
    for action_type in thing_class.action_types:
        param_ids = [pt.id for pt in action_type.param_types]
        assert len(param_ids) == len(set(param_ids))


def test_class_names_and_ids_are_unique_and_clear_of_the_test_bed() -> None:
    """Ids derive from names, so a name shared with the test bed would make two classes one."""
    names = [c.name for c in CLASSES]
    assert len(names) == len(set(names))
    assert len({c.id for c in CLASSES}) == len(CLASSES)
    for name in names:
        assert not name.startswith(TEST_BED_PREFIXES), name


def test_the_house_and_the_demo_do_not_load_the_test_bed() -> None:
    """Importing the integration and the demo house leaves the test-bed module unloaded (a fresh process)."""
    script = (
        "import sys\n"
        "import thinggate.integrations.virtual.demo\n"
        "from thinggate.integrations.virtual import VirtualIntegration\n"
        "VirtualIntegration(testbed=False)\n"
        "print('thinggate.integrations.virtual.testbed' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr


async def test_without_the_test_bed_only_the_house_is_declared_and_no_auto_thing_appears() -> None:
    """testbed=False: the house's classes alone, and starting the hub adds no test-bed auto thing."""
    virtual = VirtualIntegration(testbed=False)
    assert {c.id for c in virtual.thing_classes} == {c.id for c in CLASSES}
    hub = Hub(store=MemoryStore())
    hub.register(virtual)
    await hub.start()
    try:
        await hub.wait_until_set_up()
        assert list(hub.things) == []
    finally:
        await hub.stop()


def test_units_follow_the_quantities() -> None:
    """Temperatures in °C, light in lux, power in W, energy in kWh, levels in %."""
    for thing_class in CLASSES:
        for state_type in thing_class.state_types:
            if state_type.name in ("temperature", "targetTemperature"):
                assert state_type.unit is Unit.DEGREE_CELSIUS, thing_class.name
            if state_type.name in ("humidity", "moisture", "batteryLevel", "signalStrength", "brightness"):
                assert state_type.unit is Unit.PERCENTAGE, thing_class.name
    assert TemperatureSensorBehaviour.thing_class.state_type_named("temperature") is not None
    light_sensor = next(c for c in CLASSES if c.has_interface("lightsensor"))
    assert light_sensor.state_type_named("lightIntensity").unit is Unit.LUX  # type: ignore[union-attr]
    meter = EnergyMeterBehaviour.thing_class
    assert meter.state_type_named("currentPower").unit is Unit.WATT  # type: ignore[union-attr]
    assert meter.state_type_named("totalEnergyConsumed").unit is Unit.KILO_WATT_HOUR  # type: ignore[union-attr]


def test_the_house_covers_the_catalogue_devices() -> None:
    """One class per device kind of the brief."""
    declared = {name for c in CLASSES for name in c.interfaces}  # parents included
    for interface_name in (
        "light",
        "dimmablelight",
        "venetianblind",
        "venetianblindstep",
        "thermostatmode",
        "chronothermostat",
        "hvac",
        "analogvalue",
        "scene",
        "button",
        "temperaturesensor",
        "humiditysensor",
        "moisturesensor",
        "lightsensor",
        "energymeter",
        "doorlock",
        "batterylevel",
        "wirelessconnectable",
    ):
        assert interface_name in declared, interface_name
    assert len(HOUSE_BEHAVIOURS) == 14


# ------------------------------------------------------------------------------------------------
# Behaviour on a running hub
# ------------------------------------------------------------------------------------------------

DEADLINE = 20.0
"""Real seconds a test waits for the simulation to get somewhere; generous, only a failure waits it out."""


class House:
    """A started hub with the virtual integration, plus the helpers the tests share."""

    def __init__(self, hub: Any, virtual: Any) -> None:
        self.hub = hub
        self.virtual = virtual
        self.events: Subscription = hub.bus.subscribe("test")

    def behaviour(self, kind: type[HouseBehaviour]) -> HouseBehaviour:
        """The running instance of a behaviour class."""
        behaviour = self.virtual.behaviour(kind.thing_class.id)
        assert isinstance(behaviour, kind)
        return behaviour

    async def add(self, kind: type[HouseBehaviour], params: dict[str, Any] | None = None) -> uuid.UUID:
        """Add a thing of a house class with params given by name."""
        thing_class = kind.thing_class
        given = []
        for name, value in (params or {}).items():
            param_type = thing_class.param_type_named(name)
            assert param_type is not None, name
            given.append((param_type.id, value))
        result = await self.hub.add_thing(
            SYSTEM, name=thing_class.display_name, thing_class_id=thing_class.id, params=given
        )
        assert result.error is ThingError.NO_ERROR, result.message
        assert isinstance(result.value, uuid.UUID)
        return result.value

    async def act(self, thing_id: uuid.UUID, action_name: str, /, **params: Any) -> Any:
        """Run an action by name with params by name; answers the hub's Result."""
        thing_class = self.hub.thing(thing_id).thing_class
        action_type = thing_class.action_type_named(action_name)
        assert action_type is not None, action_name
        by_name = {pt.name: pt.id for pt in action_type.param_types}
        return await self.hub.execute_action(
            SYSTEM, thing_id, action_type.id, params=[(by_name[key], value) for key, value in params.items()]
        )

    async def set(self, thing_id: uuid.UUID, name: str, value: Any) -> None:
        """Write a writable state through its action and insist it was accepted."""
        result = await self.act(thing_id, name, **{name: value})
        assert result.error is ThingError.NO_ERROR, result.message

    def value(self, thing_id: uuid.UUID, name: str) -> Any:
        """A state's current value."""
        return self.hub.thing(thing_id).state_value(name)

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        """Poll the condition until it holds, failing after the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while not condition():
            assert loop.time() < deadline, f"timed out waiting until {what}"
            await asyncio.sleep(0.01)

    def drain(self) -> list[HubEvent]:
        """Every event published so far and not read yet."""
        drained: list[HubEvent] = []
        while not self.events.queue.empty():
            event = self.events.queue.get_nowait()
            if event is not None:
                drained.append(event)
        return drained

    def state_changes(self, thing_id: uuid.UUID) -> list[tuple[str, Any]]:
        """(state name, value) of the thing's StateChanged events published so far, in order."""
        thing_class = self.hub.thing(thing_id).thing_class
        return [
            (thing_class.state_type(event.state_type_id).name, event.value)
            for event in self.drain()
            if isinstance(event, StateChanged) and event.thing_id == thing_id
        ]

    def events_named(self, drained: list[HubEvent], thing_id: uuid.UUID, name: str) -> list[EventTriggered]:
        """The thing's EventTriggered of one event type among drained events."""
        thing_class = self.hub.thing(thing_id).thing_class
        event_type = thing_class.event_type_named(name)
        assert event_type is not None, name
        return [
            event
            for event in drained
            if isinstance(event, EventTriggered)
            and event.event.thing_id == thing_id
            and event.event.event_type_id == event_type.id
        ]


HouseFactory = Callable[..., Awaitable[House]]


@pytest.fixture
async def make_house() -> AsyncIterator[HouseFactory]:
    """Start hubs with a virtual integration at a given time scale; stop them afterwards."""
    started: list[House] = []

    async def make(time_scale: float = 50.0, store: MemoryStore | None = None) -> House:
        virtual = VirtualIntegration(time_scale=time_scale, auto_things=True)
        hub = Hub(store=store or MemoryStore())
        hub.register(virtual)
        await hub.start()
        house = House(hub, virtual)
        started.append(house)
        return house

    yield make
    for house in started:
        await house.hub.stop()
        # The integration stops every behaviour: no house timer may outlive the hub.
        for kind in HOUSE_BEHAVIOURS:
            behaviour = house.virtual.behaviour(kind.thing_class.id)
            assert isinstance(behaviour, HouseBehaviour)
            assert not behaviour._timers, f"{kind.__name__} left timers running"


@pytest.fixture
async def house(make_house: HouseFactory) -> House:
    """A house at 50x: a 20 s blind travel takes 0.4 s."""
    return await make_house(50.0)


async def test_blind_travels_step_by_step_reporting_moving(house: House) -> None:
    blind = await house.add(VenetianBlindBehaviour)
    house.drain()

    await house.set(blind, "percentage", 30)
    await house.until(lambda: house.value(blind, "percentage") == 30, "the blind reached 30 %")
    await house.until(lambda: house.value(blind, "moving") is False, "the blind stopped")

    changes = house.state_changes(blind)
    assert changes[0] == ("moving", True)
    assert changes[-1] == ("moving", False)
    assert [value for name, value in changes if name == "percentage"] == list(range(1, 31))
    assert [name for name, _ in changes].count("moving") == 2
    assert not house.behaviour(VenetianBlindBehaviour).timer_names(blind)


async def test_blind_stop_halts_mid_way_and_open_returns(house: House) -> None:
    blind = await house.add(VenetianBlindBehaviour)
    behaviour = house.behaviour(VenetianBlindBehaviour)

    assert (await house.act(blind, "close")).error is ThingError.NO_ERROR
    await house.until(lambda: house.value(blind, "percentage") >= 10, "the blind is 10 % closed")
    assert house.value(blind, "moving") is True

    assert (await house.act(blind, "stop")).error is ThingError.NO_ERROR
    halted = house.value(blind, "percentage")
    assert 10 <= halted < 100
    assert house.value(blind, "moving") is False
    # The travel timer is gone, so nothing can move the blind any further.
    assert not behaviour.timer_names(blind)
    assert house.value(blind, "percentage") == halted

    assert (await house.act(blind, "open")).error is ThingError.NO_ERROR
    await house.until(lambda: house.value(blind, "percentage") == 0, "the blind is open again")
    await house.until(lambda: house.value(blind, "moving") is False, "the blind stopped")


async def test_blind_angle_and_travel_time_setting(house: House) -> None:
    blind = await house.add(VenetianBlindBehaviour)
    await house.set(blind, "angle", -45)
    assert house.value(blind, "angle") == -45
    result = await house.act(blind, "angle", angle=91)
    assert result.error is ThingError.INVALID_PARAMETER
    assert house.hub.thing(blind).setting("travelTime") == 20.0


async def test_blind_removed_mid_travel_stops_its_timer(house: House) -> None:
    blind = await house.add(VenetianBlindBehaviour)
    behaviour = house.behaviour(VenetianBlindBehaviour)
    assert (await house.act(blind, "close")).error is ThingError.NO_ERROR
    assert behaviour.timer_names(blind) == ("travel",)
    task = behaviour._timers[blind]["travel"]

    result = await house.hub.remove_thing(SYSTEM, blind)
    assert result.error is ThingError.NO_ERROR
    assert task.done()
    assert not behaviour.timer_names(blind)


async def test_thermostat_mode_sets_target_and_the_room_follows(house: House) -> None:
    thermostat = await house.add(ThermostatBehaviour)
    assert house.value(thermostat, "operatingMode") == "comfort"
    start = house.value(thermostat, "temperature")
    house.drain()

    await house.set(thermostat, "operatingMode", "frost")
    assert house.value(thermostat, "operatingMode") == "frost"
    assert house.value(thermostat, "targetTemperature") == 7.0
    await house.until(lambda: house.value(thermostat, "temperature") < start, "the room cools down")
    temperatures = [value for name, value in house.state_changes(thermostat) if name == "temperature"]
    # Each step moves toward the target, never past it or away from it.
    assert all(later < earlier for earlier, later in zip([start, *temperatures], temperatures, strict=False))
    assert all(value >= 7.0 for value in temperatures)

    for mode, target in (("night", 18.0), ("standby", 16.0), ("comfort", 21.0)):
        await house.set(thermostat, "operatingMode", mode)
        assert house.value(thermostat, "targetTemperature") == target

    await house.set(thermostat, "targetTemperature", 22.5)
    assert house.value(thermostat, "targetTemperature") == 22.5
    assert (await house.act(thermostat, "targetTemperature", targetTemperature=22.3)).error is (
        ThingError.INVALID_PARAMETER
    )
    assert (await house.act(thermostat, "targetTemperature", targetTemperature=40)).error is (
        ThingError.INVALID_PARAMETER
    )
    assert (await house.act(thermostat, "operatingMode", operatingMode="party")).error is (ThingError.INVALID_PARAMETER)
    await house.set(thermostat, "chronoEnabled", True)
    assert house.value(thermostat, "chronoEnabled") is True


async def test_hvac_moves_the_room_while_on(house: House) -> None:
    hvac = await house.add(HvacBehaviour)
    start = house.value(hvac, "temperature")
    assert house.value(hvac, "power") is False
    await house.set(hvac, "hvacMode", "cool")
    await house.set(hvac, "fanSpeed", "max")
    await house.set(hvac, "targetTemperature", 18.0)
    await house.set(hvac, "power", True)
    await house.until(lambda: house.value(hvac, "temperature") < start, "the unit cools the room")
    assert (await house.act(hvac, "targetTemperature", targetTemperature=31)).error is ThingError.INVALID_PARAMETER
    assert (await house.act(hvac, "fanSpeed", fanSpeed="turbo")).error is ThingError.INVALID_PARAMETER


async def test_dimmer_switches_on_with_brightness_and_keeps_it_when_off(house: House) -> None:
    dimmer = await house.add(DimmableLightBehaviour)
    assert house.value(dimmer, "power") is False

    await house.set(dimmer, "brightness", 40)
    assert house.value(dimmer, "power") is True
    assert house.value(dimmer, "brightness") == 40

    await house.set(dimmer, "power", False)
    assert house.value(dimmer, "brightness") == 40
    await house.set(dimmer, "power", True)
    assert house.value(dimmer, "brightness") == 40

    await house.set(dimmer, "brightness", 0)
    assert house.value(dimmer, "power") is False


async def test_door_lock_user_codes(house: House) -> None:
    lock = await house.add(DoorLockBehaviour)
    assert house.value(lock, "locked") is True
    assert house.value(lock, "userCodes") == {}

    ok = await house.act(lock, "setUserCode", slot=3, name="Alice", code="1234")
    assert ok.error is ThingError.NO_ERROR, ok.message
    ok = await house.act(lock, "setUserCode", slot=7, name="Bob", code="87654321")
    assert ok.error is ThingError.NO_ERROR, ok.message
    expected = {"3": {"name": "Alice", "code": "1234"}, "7": {"name": "Bob", "code": "87654321"}}
    assert house.value(lock, "userCodes") == expected

    for bad in ("123", "123456789", "12a4", "", " 1234"):
        rejected = await house.act(lock, "setUserCode", slot=4, name="Eve", code=bad)
        assert rejected.error is ThingError.INVALID_PARAMETER, bad
        assert rejected.message
    assert (await house.act(lock, "setUserCode", slot=251, name="Eve", code="1111")).error is (
        ThingError.INVALID_PARAMETER
    )
    assert house.value(lock, "userCodes") == expected

    house.drain()
    assert (await house.act(lock, "enterCode", code="1234")).error is ThingError.NO_ERROR
    assert house.value(lock, "locked") is False
    unlocked = house.events_named(house.drain(), lock, "unlockedByCode")
    assert len(unlocked) == 1
    assert list(unlocked[0].event.params.values()) == [3]
    assert (await house.act(lock, "enterCode", code="0000")).error is ThingError.AUTHENTICATION_FAILURE

    assert (await house.act(lock, "removeUserCode", slot=3)).error is ThingError.NO_ERROR
    assert house.value(lock, "userCodes") == {"7": {"name": "Bob", "code": "87654321"}}
    assert (await house.act(lock, "removeUserCode", slot=3)).error is ThingError.INVALID_PARAMETER
    await house.set(lock, "locked", True)
    assert house.value(lock, "locked") is True


async def test_button_trigger_raises_exactly_one_pressed_event(house: House) -> None:
    button = await house.add(ButtonBehaviour)
    house.drain()
    assert (await house.act(button, "trigger")).error is ThingError.NO_ERROR
    # The event is published while the action runs, so it is queued by the time the action answers.
    pressed = house.events_named(house.drain(), button, "pressed")
    assert len(pressed) == 1
    assert pressed[0].event.params == {}


async def test_scene_launch_and_stop(house: House) -> None:
    scene = await house.add(SceneBehaviour)
    house.drain()
    assert (await house.act(scene, "launch")).error is ThingError.NO_ERROR
    assert house.value(scene, "active") is True
    assert len(house.events_named(house.drain(), scene, "launched")) == 1
    assert (await house.act(scene, "stop")).error is ThingError.NO_ERROR
    assert house.value(scene, "active") is False


async def test_analog_value_takes_its_range_from_params(house: House) -> None:
    analog = await house.add(AnalogValueBehaviour, {"minValue": -10.0, "maxValue": 10.0})
    state_type = AnalogValueBehaviour.thing_class.state_type_named("value")
    assert state_type is not None
    state = house.hub.thing(analog).states[state_type.id]
    assert (state.min_value, state.max_value) == (-10.0, 10.0)
    await house.set(analog, "value", -7.5)
    assert house.value(analog, "value") == -7.5
    assert (await house.act(analog, "value", value=10.5)).error is ThingError.INVALID_PARAMETER

    default = await house.add(AnalogValueBehaviour)
    state = house.hub.thing(default).states[state_type.id]
    assert (state.min_value, state.max_value) == (0.0, 100.0)

    thing_class = AnalogValueBehaviour.thing_class
    upside_down = await house.hub.add_thing(
        SYSTEM,
        name="bad",
        thing_class_id=thing_class.id,
        params=[(thing_class.param_type_named("minValue").id, 5.0), (thing_class.param_type_named("maxValue").id, 1.0)],  # type: ignore[union-attr]
    )
    assert upside_down.error is ThingError.SETUP_FAILED


async def test_energy_meter_counts_and_its_timer_stops_on_removal(house: House) -> None:
    meter = await house.add(EnergyMeterBehaviour)
    behaviour = house.behaviour(EnergyMeterBehaviour)
    assert behaviour.timer_names(meter) == ("meter",)
    await house.until(lambda: house.value(meter, "totalEnergyConsumed") > 0, "the meter counts energy")
    assert 20.0 <= house.value(meter, "currentPower") <= 3000.0
    task = behaviour._timers[meter]["meter"]

    result = await house.hub.remove_thing(SYSTEM, meter)
    assert result.error is ThingError.NO_ERROR
    assert task.done()
    assert not behaviour.timer_names(meter)
    assert meter not in behaviour._timers


async def test_wireless_sensor_wanders_and_drains_its_battery(make_house: HouseFactory) -> None:
    # A simulated hour per 0.1 s: the battery loses a percent within a fraction of a second.
    house = await make_house(36_000.0)
    sensor = await house.add(TemperatureSensorBehaviour)
    assert house.value(sensor, "connected") is True
    assert house.value(sensor, "batteryLevel") == 100
    await house.until(lambda: house.value(sensor, "batteryLevel") < 100, "the battery drains")
    assert house.value(sensor, "batteryCritical") is False

    temperatures = [value for name, value in house.state_changes(sensor) if name == "temperature"]
    assert temperatures, "the temperature wanders"
    assert all(15.0 <= value <= 28.0 for value in temperatures)
    assert all(30 <= value <= 100 for name, value in house.state_changes(sensor) if name == "signalStrength")

    # Put the battery just above critical, as a device report would, and let it drain below.
    level_type = TemperatureSensorBehaviour.thing_class.state_type_named("batteryLevel")
    assert level_type is not None
    house.hub.set_state(sensor, level_type.id, 10)
    await house.until(lambda: house.value(sensor, "batteryLevel") < 10, "the battery drains below 10 %")
    await house.until(lambda: house.value(sensor, "batteryCritical") is True, "the battery is critical")


async def test_a_restarted_house_keeps_its_states_and_restarts_its_timers(make_house: HouseFactory) -> None:
    store = MemoryStore()
    before = await make_house(50.0, store)
    lock = await before.add(DoorLockBehaviour)
    assert (await before.act(lock, "setUserCode", slot=12, name="Carol", code="24680")).error is ThingError.NO_ERROR
    thermostat = await before.add(ThermostatBehaviour)
    await before.set(thermostat, "operatingMode", "frost")
    await before.hub.stop()
    assert not before.behaviour(ThermostatBehaviour).timer_names(thermostat)

    after = await make_house(50.0, store)
    await after.hub.wait_until_set_up()
    # userCodes went through the JSON state cache and came back as it was.
    assert after.value(lock, "userCodes") == {"12": {"name": "Carol", "code": "24680"}}
    assert after.value(thermostat, "targetTemperature") == 7.0
    assert after.behaviour(ThermostatBehaviour).timer_names(thermostat) == ("drift",)
    restored = after.value(thermostat, "temperature")
    await after.until(lambda: after.value(thermostat, "temperature") < restored, "the restored room cools down")


async def test_the_sensors_readings_are_logged_from_the_start_and_nothing_else_is(make_house: HouseFactory) -> None:
    # As nymea plugins suggest logging their sensors' readings: a new hub's history fills by itself.
    house = await make_house(36_000.0)
    logged: dict[str, list[str]] = {}
    for kind in HOUSE_BEHAVIOURS:
        thing = house.hub.things[await house.add(kind)]
        state_types = kind.thing_class.state_types
        logged[kind.thing_class.name] = sorted(st.name for st in state_types if st.id in thing.logged_state_type_ids)
    assert {name: states for name, states in logged.items() if states} == {
        "temperatureSensor": ["temperature"],
        "humiditySensor": ["humidity"],
        "moistureSensor": ["moisture"],
        "lightSensor": ["lightIntensity"],
        "energyMeter": ["currentPower"],
    }
    sensor = next(thing.id for thing in house.hub.things.values() if thing.thing_class.name == "temperatureSensor")
    temperature = TemperatureSensorBehaviour.thing_class.state_type_named("temperature")
    assert temperature is not None

    async def logged_temperatures() -> int:
        return len((await house.hub.history(SYSTEM, sensor, temperature.id)).value or [])

    for _ in range(200):
        if await logged_temperatures() >= 2:
            break
        await asyncio.sleep(0.01)
    assert await logged_temperatures() >= 2, "the wandering temperature is in history"
