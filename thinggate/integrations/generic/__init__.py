"""The generic integration: things whose type was defined through the registry API and whose states the API feeds.

Its classes are made at run time from thing types (`classes.thing_class_for`); the core's
`ThingTypes` stores the types and declares the classes to the hub. Every generic thing has a
`thingName` (the registry's name, unique hub-wide) and a `connected` state.

Without a broker (`[mqtt] url` unset) a generic thing has no device behind it: a settable
resource set through any door takes the value at once, and the thing is always connected. With
a broker its things are MQTT things (`mqtt.py`): a command from any door is published to the
device as a desired value, and the state changes when the device reports it; `connected` is
false while the hub is away from the broker or the device said `connection_status:
"disconnected"` (its last will, say), true again once it reports `"connected"` or any value.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.integration import Integration
from thinggate.core.model import Action, Thing, ThingClass
from thinggate.core.registry.things import CONNECTED_STATE, THING_NAME, domain_topic, thing_name_of
from thinggate.core.security.domains import DomainTree
from thinggate.core.store import ThingTypeRecord
from thinggate.core.values import convert
from thinggate.integrations.generic.classes import thing_class_for
from thinggate.integrations.generic.manifest import PLUGIN, VENDOR
from thinggate.mqtt.settings import MqttConfig

if TYPE_CHECKING:
    from thinggate.integrations.generic.mqtt import ThingUpdateLink

_LOG = logging.getLogger(__name__)

CONNECTION_STATUS = "connection_status"
"""MIC's resource a device (or its last will) reports its connection with: "connected" or "disconnected"."""


class GenericIntegration(Integration):
    """Registry thing types as classes; their things hold what the API (or their MQTT device) feeds them."""

    plugin = PLUGIN
    vendors = (VENDOR,)
    thing_classes: tuple[ThingClass, ...] = ()

    def __init__(
        self, *, mqtt: MqttConfig | None = None, client_id: str = "", domains: DomainTree | None = None
    ) -> None:
        super().__init__()
        self.mqtt_settings = mqtt if mqtt is not None and mqtt.enabled else None
        self.client_id = client_id
        self.domains = domains or DomainTree()
        self.link: ThingUpdateLink | None = None
        self._ids: dict[str, uuid.UUID] = {}  # thingName -> thing id
        self._names: dict[uuid.UUID, str] = {}  # thing id -> thingName
        self._desired: dict[uuid.UUID, dict[str, Any]] = {}
        self._offline: set[uuid.UUID] = set()  # devices that said connection_status "disconnected"
        self._last_report: dict[uuid.UUID, int] = {}  # the newest report timestamp applied, per thing

    @property
    def plugin_id(self) -> uuid.UUID:
        """The integration's id (the classes of thing types carry it)."""
        return PLUGIN.id

    def connections(self) -> dict[str, bool]:
        """The MQTT link to the broker its things speak through (none without `[mqtt] url`), and whether it is up."""
        if self.mqtt_settings is None:
            return {}
        return {"mqtt_things": self.link is not None and self.link.connected}

    def thing_class(self, record: ThingTypeRecord) -> ThingClass:
        """The class of a thing type (ValueError for a resource that cannot be a state)."""
        return thing_class_for(record)

    # -- the core's ThingShadows -------------------------------------------------------------

    def thing_id_named(self, thing_name: str) -> uuid.UUID | None:
        """The id of the generic thing with this thingName, if there is one."""
        return self._ids.get(thing_name)

    def desired(self, thing_id: uuid.UUID) -> dict[str, Any]:
        """Values asked of the thing's device that it has not reported back yet, by resource name."""
        return dict(self._desired.get(thing_id, {}))

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the broker when one is configured (in the background: the hub does not wait for it)."""
        if self.mqtt_settings is not None:
            from thinggate.integrations.generic.mqtt import ThingUpdateLink  # aiomqtt: only with a broker

            self.link = ThingUpdateLink(
                self.mqtt_settings,
                client_id=self.client_id,
                on_report=self.device_reported,
                on_connection=self._broker_connection,
            )
            self.link.start()

    async def stop(self) -> None:
        """Leave the broker."""
        if self.link is not None:
            await self.link.stop()
            self.link = None

    async def setup_thing(self, thing: Thing) -> None:
        """Take the thing's name (unique, topic-safe) and its connection state."""
        name = thing_name_of(thing)
        if not THING_NAME.fullmatch(name):
            raise ThingFailure(ThingError.INVALID_PARAMETER, f"thingName {name!r} must match {THING_NAME.pattern}")
        holder = self._ids.get(name)
        if holder is not None and holder != thing.id:
            raise ThingFailure(ThingError.INVALID_PARAMETER, f"thingName {name!r} is taken by another thing")
        self._ids[name] = thing.id
        self._names[thing.id] = name
        self._set_connected(thing)

    async def thing_removed(self, thing: Thing) -> None:
        """Forget the thing's name, desired values and device status."""
        name = self._names.pop(thing.id, None)
        if name is not None and self._ids.get(name) == thing.id:
            del self._ids[name]
        self._desired.pop(thing.id, None)
        self._offline.discard(thing.id)
        self._last_report.pop(thing.id, None)

    async def execute_action(self, thing: Thing, action: Action) -> None:
        """Set a settable resource: at once without a broker, else as a desired value published to the device."""
        # Every action of a generic class is a writable state's: same id, one param with the state's id.
        state_type = thing.thing_class.state_type(action.action_type_id)
        if state_type is None:
            raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND)
        value = action.params.get(action.action_type_id)
        if self.link is None:
            self.host.set_state(thing.id, state_type.id, value)
            return
        desired = self._desired.setdefault(thing.id, {})
        desired[state_type.name] = value
        try:
            await self.link.publish_desired(
                domain_topic(self.domains, thing.domain),
                self._names.get(thing.id, thing_name_of(thing)),
                {state_type.name: value},
            )
        except ThingFailure:
            if desired.get(state_type.name) == value:
                del desired[state_type.name]
            raise

    # -- MQTT ------------------------------------------------------------------------------

    def device_reported(
        self, domain_path: str, thing_name: str, reported: dict[str, Any], timestamp: int | None
    ) -> None:
        """A device's report: each known resource's value checked and set; anything else dropped (ValueError)."""
        thing_id = self._ids.get(thing_name)
        thing = self.host.thing(thing_id) if thing_id is not None else None
        if thing is None:
            raise ValueError(f"no thing {thing_name!r}")
        if domain_topic(self.domains, thing.domain) != domain_path:
            raise ValueError(f"thing {thing_name!r} is not in domain path {domain_path!r}")
        if timestamp is not None:
            if timestamp < self._last_report.get(thing.id, 0):
                raise ValueError(f"a report of {thing_name!r} older than one applied")
            self._last_report[thing.id] = timestamp
        status = reported.get(CONNECTION_STATUS)
        if status == "disconnected":
            self._offline.add(thing.id)
        elif status == "connected" or any(name != CONNECTION_STATUS for name in reported):
            self._offline.discard(thing.id)  # a device that reports is there
        self._set_connected(thing)
        desired = self._desired.get(thing.id)
        for name, value in reported.items():
            state_type = thing.thing_class.state_type_named(name)
            if state_type is None or name == CONNECTED_STATE:
                if name != CONNECTION_STATUS:
                    _LOG.warning("MQTT things: %s reported %r, which its type has not; dropped", thing_name, name)
                continue
            state = thing.states[state_type.id]
            try:
                converted = convert(state_type.type, value)
                _check_range(converted, state.min_value, state.max_value, state.possible_values)
            except ValueError as exc:
                _LOG.warning("MQTT things: %s reported %s = %.200r: %s; dropped", thing_name, name, value, exc)
                continue
            self.host.set_state(thing.id, state_type.id, converted)
            if desired is not None and name in desired and desired[name] == converted:
                del desired[name]  # the device did what was asked

    def _broker_connection(self, connected: bool) -> None:
        for thing_id in list(self._names):
            thing = self.host.thing(thing_id)
            if thing is not None:
                self._set_connected(thing)

    def _set_connected(self, thing: Thing) -> None:
        state_type = thing.thing_class.state_type_named(CONNECTED_STATE)
        if state_type is None:
            return
        if self.mqtt_settings is None:
            connected = True  # no device behind it: the hub is the device
        else:
            connected = self.link is not None and self.link.connected and thing.id not in self._offline
        self.host.set_state(thing.id, state_type.id, connected)


def _check_range(value: Any, low: Any, high: Any, possible: tuple[Any, ...] | None) -> None:
    """ValueError for a number outside the state's range or a value it cannot take (a device is not clamped)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if low is not None and value < low:
            raise ValueError(f"below the minimum {low}")
        if high is not None and value > high:
            raise ValueError(f"above the maximum {high}")
    if possible is not None and value not in possible:
        raise ValueError(f"not one of {list(possible)!r}")


__all__ = ["PLUGIN", "VENDOR", "GenericIntegration"]
