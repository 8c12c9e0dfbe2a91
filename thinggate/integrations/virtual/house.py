"""The simulated house: lights, blinds, climate, sensors, a scene, a button and a door lock.

Each device is a DeviceBehaviour with its ThingClass. Devices that change by themselves (a blind
travelling, a room warming up, sensors wandering) run asyncio timers in *simulated* time: one
simulated second lasts 1 / integration.time_scale real seconds, so tests can run a 20 s blind
travel in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import Action, BasicType, StateType, Thing, ThingClass, Unit
from thinggate.integrations.virtual import builder
from thinggate.integrations.virtual.behaviour import DeviceBehaviour

if TYPE_CHECKING:
    from thinggate.integrations.virtual import VirtualIntegration

_LOG = logging.getLogger(__name__)

ADD_GRACE_SECONDS = 120.0
"""Real seconds a timer started in setup waits for the hub to add its thing before giving up."""
ADD_POLL_SECONDS = 0.02
"""Real seconds between two looks for a thing that is still being added."""

TimerBody = Callable[[uuid.UUID], Coroutine[Any, Any, None]]


class HouseBehaviour(DeviceBehaviour):
    """Base of the house devices: per-thing timers that run in simulated time."""

    def __init__(self, integration: VirtualIntegration) -> None:
        super().__init__(integration)
        self._timers: dict[uuid.UUID, dict[str, asyncio.Task[None]]] = {}
        self.random = random.Random()

    # -- simulated time ---------------------------------------------------------------------

    @property
    def time_scale(self) -> float:
        """How many simulated seconds pass per real second."""
        scale = float(getattr(self.integration, "time_scale", 1.0))
        # A zero or negative scale would stall or crash the sleeps; treat it as real time.
        return scale if scale > 0 else 1.0

    async def sleep(self, simulated_seconds: float) -> None:
        """Sleep for a span of simulated time."""
        await asyncio.sleep(simulated_seconds / self.time_scale)

    # -- timers -----------------------------------------------------------------------------

    def timer_names(self, thing_id: uuid.UUID) -> tuple[str, ...]:
        """Names of the timers still running for a thing (for diagnostics and tests)."""
        return tuple(name for name, task in self._timers.get(thing_id, {}).items() if not task.done())

    def start_timer(self, thing: Thing, name: str, body: TimerBody) -> None:
        """Run body(thing_id) as the thing's timer `name`, replacing one of that name."""
        timers = self._timers.setdefault(thing.id, {})
        previous = timers.get(name)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(
            self._run_timer(thing.id, name, body), name=f"{thing.thing_class.name}:{thing.id}:{name}"
        )
        timers[name] = task
        task.add_done_callback(lambda done: self._forget(thing.id, name, done))

    async def cancel_timer(self, thing_id: uuid.UUID, name: str) -> None:
        """Stop one timer of a thing and wait until it has stopped."""
        task = self._timers.get(thing_id, {}).get(name)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            # asyncio.wait neither raises the task's CancelledError nor swallows our own cancellation.
            await asyncio.wait([task])

    async def cancel_timers(self, thing_id: uuid.UUID) -> None:
        """Stop every timer of a thing and wait until they have stopped."""
        tasks = [task for task in self._timers.pop(thing_id, {}).values() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def stop(self) -> None:
        """Stop the timers of every thing (when the integration stops)."""
        for thing_id in list(self._timers):
            await self.cancel_timers(thing_id)

    async def removed(self, thing: Thing) -> None:
        """The thing is gone (or is set up anew): stop its timers."""
        await self.cancel_timers(thing.id)

    def _forget(self, thing_id: uuid.UUID, name: str, task: asyncio.Task[None]) -> None:
        timers = self._timers.get(thing_id)
        if timers is not None and timers.get(name) is task:
            del timers[name]
            if not timers:
                del self._timers[thing_id]

    async def _run_timer(self, thing_id: uuid.UUID, name: str, body: TimerBody) -> None:
        try:
            await body(thing_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A timer runs unobserved: log its failure rather than leave an unretrieved task exception.
            _LOG.exception("timer %r of thing %s failed", name, thing_id)

    # -- looking things up from timers ------------------------------------------------------

    def live(self, thing_id: uuid.UUID) -> Thing | None:
        """The hub's current object for a thing, or None while the hub does not know it."""
        # Timers look the thing up on every tick: the hub may replace the object on reconfigure.
        thing: Thing | None = self.host.thing(thing_id)
        return thing

    async def every(
        self, thing_id: uuid.UUID, interval: Callable[[Thing], float], tick: Callable[[Thing], bool]
    ) -> None:
        """Call tick(thing) every interval(thing) simulated seconds until it returns False or the thing goes."""
        loop = asyncio.get_running_loop()
        waiting_since = loop.time()
        seen = False
        while True:
            thing = self.live(thing_id)
            if thing is None:
                # Started in setup, the timer runs before the hub has added the thing. Once it was
                # known and is gone, it was removed without telling us; if it never shows up, its
                # add failed after our setup. Either way nobody will cancel us: stop.
                if seen or loop.time() - waiting_since > ADD_GRACE_SECONDS:
                    return
                await asyncio.sleep(ADD_POLL_SECONDS)
                continue
            seen = True
            await self.sleep(interval(thing))
            thing = self.live(thing_id)
            if thing is None:
                return
            if not tick(thing):
                return


def _drift(current: float, target: float, step: float) -> float:
    """Move current toward target by at most step (rounded so values stay readable)."""
    if abs(target - current) <= step:
        return float(target)
    return round(current + step if target > current else current - step, 2)


def _wander(rng: random.Random, value: float, step: float, low: float, high: float, digits: int) -> float:
    """One step of a bounded random walk."""
    return round(min(high, max(low, value + rng.uniform(-step, step))), digits)


def _written_value(action: Action, state_type: StateType) -> tuple[bool, Any]:
    """Whether the action is the one generated by a writable state, and the value it writes."""
    if action.action_type_id == state_type.id:
        return True, action.params[state_type.id]
    return False, None


# ----------------------------------------------------------------------------------------------
# Lights
# ----------------------------------------------------------------------------------------------

_LIGHT = "light"


class LightBehaviour(HouseBehaviour):
    """An on/off light: its power state is written directly."""

    thing_class: ThingClass = builder.thing_class(
        _LIGHT,
        "On/off light",
        interfaces=("light",),
        states=(builder.state(_LIGHT, "power", BasicType.BOOL, False, writable=True, display_name="Power"),),
    )


_DIMMER = "dimmableLight"
_DIMMER_POWER = builder.state(_DIMMER, "power", BasicType.BOOL, False, writable=True, display_name="Power")
_DIMMER_BRIGHTNESS = builder.state(
    _DIMMER,
    "brightness",
    BasicType.INT,
    100,
    writable=True,
    display_name="Brightness",
    unit=Unit.PERCENTAGE,
    min_value=0,
    max_value=100,
)


class DimmableLightBehaviour(HouseBehaviour):
    """A dimmable light: brightness above 0 switches it on, switching off keeps the brightness."""

    thing_class: ThingClass = builder.thing_class(
        _DIMMER,
        "Dimmable light",
        interfaces=("dimmablelight",),
        states=(_DIMMER_POWER, _DIMMER_BRIGHTNESS),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Set power or brightness, keeping the two consistent as a real dimmer does."""
        is_power, power = _written_value(action, _DIMMER_POWER)
        if is_power:
            # Switching on at 0 % would be on yet dark: come on at full brightness instead.
            if power and thing.state_value("brightness") == 0:
                self.set_state(thing, "brightness", 100)
            self.set_state(thing, "power", power)
            return
        is_brightness, brightness = _written_value(action, _DIMMER_BRIGHTNESS)
        if is_brightness:
            self.set_state(thing, "brightness", brightness)
            # A dimmer driven to 0 % reports itself off (KNX dimming actuators do).
            self.set_state(thing, "power", brightness > 0)
            return
        await super().execute(thing, action)


# ----------------------------------------------------------------------------------------------
# Venetian blind
# ----------------------------------------------------------------------------------------------

_BLIND = "venetianBlind"
_BLIND_PERCENTAGE = builder.state(
    _BLIND,
    "percentage",
    BasicType.INT,
    0,
    writable=True,
    display_name="Position",
    unit=Unit.PERCENTAGE,
    min_value=0,
    max_value=100,
)
# Not cached: after a restart the blind stands still, whatever was reported last.
_BLIND_MOVING = builder.state(_BLIND, "moving", BasicType.BOOL, False, display_name="Moving", cached=False)
_BLIND_ANGLE = builder.state(
    _BLIND,
    "angle",
    BasicType.INT,
    0,
    writable=True,
    display_name="Lamella angle",
    unit=Unit.DEGREE,
    min_value=-90,
    max_value=90,
)
_BLIND_OPEN = builder.action(_BLIND, "open", display_name="Open")
_BLIND_CLOSE = builder.action(_BLIND, "close", display_name="Close")
_BLIND_STOP = builder.action(_BLIND, "stop", display_name="Stop")
_BLIND_STEP_UP = builder.action(_BLIND, "stepUp", display_name="Step lamellas up")
_BLIND_STEP_DOWN = builder.action(_BLIND, "stepDown", display_name="Step lamellas down")
LAMELLA_STEP = 15
"""Degrees one lamella step turns the virtual blind's lamellas."""


class VenetianBlindBehaviour(HouseBehaviour):
    """A venetian blind that travels 1 % at a time (0 = open, 100 = closed, as nymea)."""

    thing_class: ThingClass = builder.thing_class(
        _BLIND,
        "Venetian blind",
        interfaces=("venetianblindstep",),
        settings=(
            builder.param(
                _BLIND,
                "travelTime",
                BasicType.DOUBLE,
                20.0,
                kind="setting",
                display_name="Full travel time",
                min_value=1.0,
                max_value=600.0,
                unit=Unit.SECONDS,
            ),
        ),
        states=(_BLIND_PERCENTAGE, _BLIND_MOVING, _BLIND_ANGLE),
        actions=(_BLIND_OPEN, _BLIND_CLOSE, _BLIND_STOP, _BLIND_STEP_UP, _BLIND_STEP_DOWN),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Travel to a position, open, close, stop or turn the lamellas."""
        is_position, position = _written_value(action, _BLIND_PERCENTAGE)
        if is_position:
            await self._travel_to(thing, int(position))
        elif action.action_type_id == _BLIND_OPEN.id:
            await self._travel_to(thing, 0)
        elif action.action_type_id == _BLIND_CLOSE.id:
            await self._travel_to(thing, 100)
        elif action.action_type_id == _BLIND_STOP.id:
            await self.cancel_timer(thing.id, "travel")
            self.set_state(thing, "moving", False)
            # A stopped actuator reports where it stands, as KNX blind actuators do.
            self.set_state(thing, "percentage", thing.state_value("percentage"))
        elif action.action_type_id in (_BLIND_STEP_UP.id, _BLIND_STEP_DOWN.id):
            step = -LAMELLA_STEP if action.action_type_id == _BLIND_STEP_UP.id else LAMELLA_STEP
            angle = max(-90, min(90, int(thing.state_value("angle")) + step))
            self.set_state(thing, "angle", angle)
        else:
            # The angle (and anything else state-generated) is set directly.
            await super().execute(thing, action)

    async def _travel_to(self, thing: Thing, target: int) -> None:
        # The action answers at once, as a real actuator acknowledges; the travel runs on a timer.
        await self.cancel_timer(thing.id, "travel")
        if thing.state_value("percentage") == target:
            self.set_state(thing, "moving", False)
            self.set_state(thing, "percentage", target)  # confirms the position it already has
            return
        self.set_state(thing, "moving", True)

        def step_interval(current: Thing) -> float:
            return float(current.setting("travelTime")) / 100.0

        def step(current: Thing) -> bool:
            position = int(current.state_value("percentage"))
            if position != target:
                position += 1 if target > position else -1
                self.set_state(current, "percentage", position)
            if position == target:
                self.set_state(current, "moving", False)
                return False
            return True

        async def travel(thing_id: uuid.UUID) -> None:
            await self.every(thing_id, step_interval, step)

        self.start_timer(thing, "travel", travel)


# ----------------------------------------------------------------------------------------------
# Climate
# ----------------------------------------------------------------------------------------------

DRIFT_STEP = 0.1
"""°C the room temperature moves toward the set point per DRIFT_INTERVAL."""
DRIFT_INTERVAL = 10.0
"""Simulated seconds between two temperature drift steps."""

MODE_TARGETS: dict[str, float] = {"comfort": 21.0, "night": 18.0, "standby": 16.0, "frost": 7.0}
"""The set point each thermostat operating mode selects."""

_THERMOSTAT = "thermostat"
_THERMOSTAT_TARGET = builder.state(
    _THERMOSTAT,
    "targetTemperature",
    BasicType.DOUBLE,
    21.0,
    writable=True,
    display_name="Target temperature",
    unit=Unit.DEGREE_CELSIUS,
    min_value=5.0,
    max_value=35.0,
    step_size=0.5,
)
_THERMOSTAT_MODE = builder.interface_state(
    _THERMOSTAT, "thermostatmode", "operatingMode", "comfort", display_name="Operating mode"
)


class ThermostatBehaviour(HouseBehaviour):
    """A room thermostat with operating modes and a week schedule switch; the room follows the set point."""

    thing_class: ThingClass = builder.thing_class(
        _THERMOSTAT,
        "Thermostat",
        interfaces=("thermostatmode", "chronothermostat", "temperaturesensor"),
        states=(
            _THERMOSTAT_TARGET,
            _THERMOSTAT_MODE,
            builder.state(
                _THERMOSTAT, "chronoEnabled", BasicType.BOOL, False, writable=True, display_name="Week schedule enabled"
            ),
            builder.state(
                _THERMOSTAT,
                "temperature",
                BasicType.DOUBLE,
                20.0,
                display_name="Room temperature",
                unit=Unit.DEGREE_CELSIUS,
            ),
        ),
    )

    async def setup(self, thing: Thing) -> None:
        """Start the room temperature drifting toward the set point."""
        self.start_timer(thing, "drift", self._drift)

    async def execute(self, thing: Thing, action: Action) -> None:
        """Choosing an operating mode also selects its set point."""
        is_mode, mode = _written_value(action, _THERMOSTAT_MODE)
        if is_mode:
            self.set_state(thing, "operatingMode", mode)
            self.set_state(thing, "targetTemperature", MODE_TARGETS[mode])
            return
        await super().execute(thing, action)

    async def _drift(self, thing_id: uuid.UUID) -> None:
        def tick(thing: Thing) -> bool:
            current = float(thing.state_value("temperature"))
            target = float(thing.state_value("targetTemperature"))
            if current != target:
                self.set_state(thing, "temperature", _drift(current, target, DRIFT_STEP))
            return True

        await self.every(thing_id, lambda _thing: DRIFT_INTERVAL, tick)


_HVAC = "hvacUnit"


class HvacBehaviour(HouseBehaviour):
    """An air conditioning unit: while on, the room moves toward the set point as its mode allows."""

    thing_class: ThingClass = builder.thing_class(
        _HVAC,
        "HVAC unit",
        interfaces=("hvac", "temperaturesensor"),
        states=(
            builder.state(_HVAC, "power", BasicType.BOOL, False, writable=True, display_name="Power"),
            builder.state(
                _HVAC,
                "targetTemperature",
                BasicType.DOUBLE,
                22.0,
                writable=True,
                display_name="Target temperature",
                unit=Unit.DEGREE_CELSIUS,
                min_value=16.0,
                max_value=30.0,
                step_size=0.5,
            ),
            builder.interface_state(_HVAC, "hvac", "hvacMode", "auto", display_name="Mode"),
            builder.interface_state(_HVAC, "hvac", "fanSpeed", "auto", display_name="Fan speed"),
            builder.state(
                _HVAC, "temperature", BasicType.DOUBLE, 25.0, display_name="Room temperature", unit=Unit.DEGREE_CELSIUS
            ),
        ),
    )

    async def setup(self, thing: Thing) -> None:
        """Start the climate timer (it does nothing while the unit is off)."""
        self.start_timer(thing, "drift", self._drift)

    async def _drift(self, thing_id: uuid.UUID) -> None:
        def tick(thing: Thing) -> bool:
            if not thing.state_value("power"):
                return True
            current = float(thing.state_value("temperature"))
            target = float(thing.state_value("targetTemperature"))
            mode = thing.state_value("hvacMode")
            # Cooling cannot warm the room nor heating cool it; fan and dry only move air.
            if mode == "auto" or (mode == "cool" and current > target) or (mode == "heat" and current < target):
                self.set_state(thing, "temperature", _drift(current, target, DRIFT_STEP))
            return True

        await self.every(thing_id, lambda _thing: DRIFT_INTERVAL, tick)


# ----------------------------------------------------------------------------------------------
# Analog value, scene, button
# ----------------------------------------------------------------------------------------------

_ANALOG = "analogValue"
_ANALOG_VALUE = builder.state(_ANALOG, "value", BasicType.DOUBLE, 0.0, writable=True, display_name="Value")


class AnalogValueBehaviour(HouseBehaviour):
    """A bare analog value whose range comes from the thing params minValue and maxValue."""

    thing_class: ThingClass = builder.thing_class(
        _ANALOG,
        "Analog value",
        interfaces=("analogvalue",),
        params=(
            builder.param(_ANALOG, "minValue", BasicType.DOUBLE, 0.0, display_name="Minimum"),
            builder.param(_ANALOG, "maxValue", BasicType.DOUBLE, 100.0, display_name="Maximum"),
        ),
        states=(_ANALOG_VALUE,),
    )

    async def setup(self, thing: Thing) -> None:
        """Apply the range from the params (the value is clamped into it)."""
        low, high = float(thing.param("minValue")), float(thing.param("maxValue"))
        if low >= high:
            raise ThingFailure(ThingError.SETUP_FAILED, f"minValue {low:g} must be below maxValue {high:g}")
        self.host.set_state_limits(thing.id, _ANALOG_VALUE.id, min_value=low, max_value=high)


_SCENE = "scene"
_SCENE_LAUNCH = builder.action(_SCENE, "launch", display_name="Launch")
_SCENE_STOP = builder.action(_SCENE, "stop", display_name="Stop")


class SceneBehaviour(HouseBehaviour):
    """A scene: launching makes it active and raises `launched`, stopping makes it inactive."""

    thing_class: ThingClass = builder.thing_class(
        _SCENE,
        "Scene",
        interfaces=("scene",),
        states=(builder.state(_SCENE, "active", BasicType.BOOL, False, display_name="Active"),),
        events=(builder.event(_SCENE, "launched", display_name="Launched"),),
        actions=(_SCENE_LAUNCH, _SCENE_STOP),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Launch or stop the scene."""
        if action.action_type_id == _SCENE_LAUNCH.id:
            self.set_state(thing, "active", True)
            self.emit(thing, "launched")
        elif action.action_type_id == _SCENE_STOP.id:
            self.set_state(thing, "active", False)
        else:
            await super().execute(thing, action)


_BUTTON = "button"
_BUTTON_TRIGGER = builder.action(_BUTTON, "trigger", display_name="Press")


class ButtonBehaviour(HouseBehaviour):
    """A generic push button: the `trigger` action presses it once."""

    thing_class: ThingClass = builder.thing_class(
        _BUTTON,
        "Button",
        interfaces=("button",),
        events=(builder.event(_BUTTON, "pressed", display_name="Pressed"),),
        actions=(_BUTTON_TRIGGER,),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Press the button."""
        if action.action_type_id == _BUTTON_TRIGGER.id:
            self.emit(thing, "pressed")
            return
        await super().execute(thing, action)


# ----------------------------------------------------------------------------------------------
# Sensors
# ----------------------------------------------------------------------------------------------

SENSOR_INTERVAL = 30.0
"""Simulated seconds between two readings of a battery sensor."""
BATTERY_DRAIN_PER_HOUR = 1.0
"""Battery percent a wireless sensor uses per simulated hour."""
BATTERY_CRITICAL_BELOW = 10
"""batteryCritical is true below this battery level."""


def _wireless_states(owner: str) -> tuple[StateType, ...]:
    """The battery and radio states every wireless sensor has."""
    return (
        builder.state(
            owner,
            "batteryLevel",
            BasicType.INT,
            100,
            display_name="Battery level",
            unit=Unit.PERCENTAGE,
            min_value=0,
            max_value=100,
        ),
        builder.state(owner, "batteryCritical", BasicType.BOOL, False, display_name="Battery critical"),
        builder.state(
            owner,
            "signalStrength",
            BasicType.UINT,
            80,
            display_name="Signal strength",
            unit=Unit.PERCENTAGE,
            min_value=0,
            max_value=100,
        ),
        builder.state(owner, "connected", BasicType.BOOL, True, display_name="Connected", cached=False),
    )


class WirelessSensorBehaviour(HouseBehaviour):
    """A battery-powered radio sensor whose reading wanders, battery drains and signal varies."""

    reading: str = ""
    """Name of the state the sensor measures."""
    walk: tuple[float, float, float, int] = (0.0, 0.0, 0.0, 0)
    """Random walk of the reading: (largest step, lowest, highest, decimals)."""

    def __init__(self, integration: VirtualIntegration) -> None:
        super().__init__(integration)
        # batteryLevel is an Int: keep the drained fraction until it adds up to a whole percent.
        self._drained: dict[uuid.UUID, float] = {}

    async def setup(self, thing: Thing) -> None:
        """Start the readings."""
        self.start_timer(thing, "readings", self._readings)

    async def removed(self, thing: Thing) -> None:
        """Stop the readings and forget the battery bookkeeping."""
        await super().removed(thing)
        self._drained.pop(thing.id, None)

    async def _readings(self, thing_id: uuid.UUID) -> None:
        def tick(thing: Thing) -> bool:
            step, low, high, digits = self.walk
            value = float(thing.state_value(self.reading))
            self.set_state(thing, self.reading, _wander(self.random, value, step, low, high, digits))
            signal = int(thing.state_value("signalStrength"))
            self.set_state(thing, "signalStrength", int(_wander(self.random, signal, 3, 30, 100, 0)))
            drained = self._drained.get(thing_id, 0.0) + BATTERY_DRAIN_PER_HOUR * SENSOR_INTERVAL / 3600.0
            level = int(thing.state_value("batteryLevel"))
            if drained >= 1.0 and level > 0:
                level -= int(drained)
                drained -= int(drained)
                self.set_state(thing, "batteryLevel", max(level, 0))
            self._drained[thing_id] = drained
            self.set_state(thing, "batteryCritical", level < BATTERY_CRITICAL_BELOW)
            return True

        await self.every(thing_id, lambda _thing: SENSOR_INTERVAL, tick)


_SENSOR_EXTRAS = ("batterylevel", "wirelessconnectable")

_TEMPERATURE_SENSOR = "temperatureSensor"


class TemperatureSensorBehaviour(WirelessSensorBehaviour):
    """A wireless room temperature sensor."""

    reading = "temperature"
    walk = (0.2, 15.0, 28.0, 1)
    thing_class: ThingClass = builder.thing_class(
        _TEMPERATURE_SENSOR,
        "Temperature sensor",
        interfaces=("temperaturesensor", *_SENSOR_EXTRAS),
        states=(
            builder.state(
                _TEMPERATURE_SENSOR,
                "temperature",
                BasicType.DOUBLE,
                21.0,
                display_name="Temperature",
                unit=Unit.DEGREE_CELSIUS,
            ),
            *_wireless_states(_TEMPERATURE_SENSOR),
        ),
    )


_HUMIDITY_SENSOR = "humiditySensor"


class HumiditySensorBehaviour(WirelessSensorBehaviour):
    """A wireless relative humidity sensor."""

    reading = "humidity"
    walk = (1.0, 30.0, 70.0, 1)
    thing_class: ThingClass = builder.thing_class(
        _HUMIDITY_SENSOR,
        "Humidity sensor",
        interfaces=("humiditysensor", *_SENSOR_EXTRAS),
        states=(
            builder.state(
                _HUMIDITY_SENSOR,
                "humidity",
                BasicType.DOUBLE,
                45.0,
                display_name="Humidity",
                unit=Unit.PERCENTAGE,
                min_value=0.0,
                max_value=100.0,
            ),
            *_wireless_states(_HUMIDITY_SENSOR),
        ),
    )


_MOISTURE_SENSOR = "moistureSensor"


class MoistureSensorBehaviour(WirelessSensorBehaviour):
    """A wireless soil moisture sensor (a plant pot)."""

    reading = "moisture"
    walk = (0.5, 10.0, 60.0, 1)
    thing_class: ThingClass = builder.thing_class(
        _MOISTURE_SENSOR,
        "Moisture sensor",
        interfaces=("moisturesensor", *_SENSOR_EXTRAS),
        states=(
            builder.state(
                _MOISTURE_SENSOR,
                "moisture",
                BasicType.DOUBLE,
                35.0,
                display_name="Soil moisture",
                unit=Unit.PERCENTAGE,
                min_value=0.0,
                max_value=100.0,
            ),
            *_wireless_states(_MOISTURE_SENSOR),
        ),
    )


_LIGHT_SENSOR = "lightSensor"


class LightSensorBehaviour(WirelessSensorBehaviour):
    """A wireless light intensity sensor."""

    reading = "lightIntensity"
    walk = (25.0, 0.0, 1000.0, 0)
    thing_class: ThingClass = builder.thing_class(
        _LIGHT_SENSOR,
        "Light sensor",
        interfaces=("lightsensor", *_SENSOR_EXTRAS),
        states=(
            builder.state(
                _LIGHT_SENSOR,
                "lightIntensity",
                BasicType.DOUBLE,
                300.0,
                display_name="Light intensity",
                unit=Unit.LUX,
                min_value=0.0,
            ),
            *_wireless_states(_LIGHT_SENSOR),
        ),
    )


ENERGY_INTERVAL = 10.0
"""Simulated seconds between two energy meter readings."""

_ENERGY_METER = "energyMeter"


class EnergyMeterBehaviour(HouseBehaviour):
    """A mains energy meter: the load wanders and the counter adds up what it draws."""

    thing_class: ThingClass = builder.thing_class(
        _ENERGY_METER,
        "Energy meter",
        interfaces=("energymeter",),
        states=(
            builder.state(
                _ENERGY_METER, "currentPower", BasicType.DOUBLE, 150.0, display_name="Current power", unit=Unit.WATT
            ),
            builder.state(
                _ENERGY_METER,
                "totalEnergyConsumed",
                BasicType.DOUBLE,
                0.0,
                display_name="Total energy consumed",
                unit=Unit.KILO_WATT_HOUR,
                min_value=0.0,
            ),
        ),
    )

    async def setup(self, thing: Thing) -> None:
        """Start metering."""
        self.start_timer(thing, "meter", self._meter)

    async def _meter(self, thing_id: uuid.UUID) -> None:
        def tick(thing: Thing) -> bool:
            power = float(thing.state_value("currentPower"))
            total = float(thing.state_value("totalEnergyConsumed"))
            # Energy over the interval at the power drawn during it, W * s -> kWh.
            self.set_state(thing, "totalEnergyConsumed", round(total + power * ENERGY_INTERVAL / 3_600_000.0, 6))
            self.set_state(thing, "currentPower", _wander(self.random, power, 50.0, 20.0, 3000.0, 1))
            return True

        await self.every(thing_id, lambda _thing: ENERGY_INTERVAL, tick)


# ----------------------------------------------------------------------------------------------
# Door lock
# ----------------------------------------------------------------------------------------------

_CODE = re.compile(r"[0-9]{4,8}")

_LOCK = "doorLock"
_LOCK_SET_SLOT = builder.param(
    _LOCK, "slot", BasicType.INT, kind="setUserCode", display_name="Slot", min_value=1, max_value=250
)
_LOCK_SET_NAME = builder.param(_LOCK, "name", BasicType.STRING, kind="setUserCode", display_name="Name")
_LOCK_SET_CODE = builder.param(_LOCK, "code", BasicType.STRING, kind="setUserCode", display_name="Code")
_LOCK_REMOVE_SLOT = builder.param(
    _LOCK, "slot", BasicType.INT, kind="removeUserCode", display_name="Slot", min_value=1, max_value=250
)
_LOCK_ENTER_CODE = builder.param(_LOCK, "code", BasicType.STRING, kind="enterCode", display_name="Code")
_LOCK_EVENT_SLOT = builder.param(_LOCK, "slot", BasicType.INT, kind="unlockedByCode", display_name="Slot")
_LOCK_SET_USER_CODE = builder.action(
    _LOCK, "setUserCode", _LOCK_SET_SLOT, _LOCK_SET_NAME, _LOCK_SET_CODE, display_name="Set user code"
)
_LOCK_REMOVE_USER_CODE = builder.action(_LOCK, "removeUserCode", _LOCK_REMOVE_SLOT, display_name="Remove user code")
_LOCK_ENTER = builder.action(_LOCK, "enterCode", _LOCK_ENTER_CODE, display_name="Enter code at the keypad")


class DoorLockBehaviour(HouseBehaviour):
    """A keypad door lock with user codes in slots 1..250 (userCodes: {"slot": {"name", "code"}})."""

    thing_class: ThingClass = builder.thing_class(
        _LOCK,
        "Door lock",
        interfaces=("doorlock",),
        states=(
            builder.state(_LOCK, "locked", BasicType.BOOL, True, writable=True, display_name="Locked"),
            builder.state(_LOCK, "userCodes", BasicType.OBJECT, {}, display_name="User codes"),
        ),
        events=(builder.event(_LOCK, "unlockedByCode", _LOCK_EVENT_SLOT, display_name="Unlocked by code"),),
        actions=(_LOCK_SET_USER_CODE, _LOCK_REMOVE_USER_CODE, _LOCK_ENTER),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Manage user codes, or simulate someone typing a code at the keypad."""
        # Slots are string keys: the dict travels as a JSON object, whose keys are strings anyway.
        codes: dict[str, dict[str, str]] = dict(thing.state_value("userCodes") or {})
        if action.action_type_id == _LOCK_SET_USER_CODE.id:
            slot = str(action.params[_LOCK_SET_SLOT.id])
            code = str(action.params[_LOCK_SET_CODE.id])
            if not _CODE.fullmatch(code):
                raise ThingFailure(ThingError.INVALID_PARAMETER, "a user code must be 4 to 8 digits")
            taken = next((other for other, entry in codes.items() if entry.get("code") == code and other != slot), None)
            if taken is not None:
                # The keypad could not tell the two users apart.
                raise ThingFailure(ThingError.INVALID_PARAMETER, f"this code is already used in slot {taken}")
            codes[slot] = {"name": str(action.params[_LOCK_SET_NAME.id]), "code": code}
            self.set_state(thing, "userCodes", codes)
        elif action.action_type_id == _LOCK_REMOVE_USER_CODE.id:
            slot = str(action.params[_LOCK_REMOVE_SLOT.id])
            if codes.pop(slot, None) is None:
                raise ThingFailure(ThingError.INVALID_PARAMETER, f"slot {slot} holds no code")
            self.set_state(thing, "userCodes", codes)
        elif action.action_type_id == _LOCK_ENTER.id:
            code = str(action.params[_LOCK_ENTER_CODE.id])
            opened_by = next((slot for slot, entry in codes.items() if entry.get("code") == code), None)
            if opened_by is None:
                raise ThingFailure(ThingError.AUTHENTICATION_FAILURE, "wrong code")
            self.set_state(thing, "locked", False)
            self.emit(thing, "unlockedByCode", {_LOCK_EVENT_SLOT.id: int(opened_by)})
        else:
            await super().execute(thing, action)


HOUSE_BEHAVIOURS: tuple[type[DeviceBehaviour], ...] = (
    LightBehaviour,
    DimmableLightBehaviour,
    VenetianBlindBehaviour,
    ThermostatBehaviour,
    HvacBehaviour,
    AnalogValueBehaviour,
    SceneBehaviour,
    ButtonBehaviour,
    TemperatureSensorBehaviour,
    HumiditySensorBehaviour,
    MoistureSensorBehaviour,
    LightSensorBehaviour,
    EnergyMeterBehaviour,
    DoorLockBehaviour,
)
"""Every device of the simulated house, one behaviour per thing class."""
