"""The contract between the hub and a device backend (an integration, nymea's "plugin")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import (
    Action,
    BrowserItem,
    ParamValues,
    PluginInfo,
    SetupMethod,
    Thing,
    ThingClass,
    ThingDescriptor,
    Vendor,
)


@dataclass(slots=True)
class Pairing:
    """A pairing in progress: what PairThing started and ConfirmPairing finishes."""

    transaction_id: uuid.UUID
    thing_class: ThingClass
    name: str
    params: ParamValues
    thing_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None
    domain: str = "root"
    display_message: str = ""
    oauth_url: str = ""
    pin: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def setup_method(self) -> SetupMethod:
        """How the class is set up."""
        return self.thing_class.setup_method


class IntegrationHost(Protocol):
    """What the hub offers an integration: report states and events, announce auto things."""

    def set_state(self, thing_id: uuid.UUID, state_type_id: uuid.UUID, value: Any) -> None:
        """Set a state value as the device reports it (converted and clamped, event if changed)."""

    def set_state_limits(
        self, thing_id: uuid.UUID, state_type_id: uuid.UUID, *, min_value: Any = None, max_value: Any = None
    ) -> None:
        """Change a state's dynamic min/max (the value is clamped into the new range)."""

    def emit_event(self, thing_id: uuid.UUID, event_type_id: uuid.UUID, params: ParamValues | None = None) -> None:
        """Report an event of a thing."""

    async def auto_things_appeared(self, descriptors: list[ThingDescriptor]) -> list[uuid.UUID]:
        """Add things the integration found by itself (a descriptor with thing_id reconfigures that thing)."""

    async def auto_thing_disappeared(self, thing_id: uuid.UUID) -> None:
        """Remove an auto-created thing that is gone from the device side."""

    def thing(self, thing_id: uuid.UUID) -> Thing | None:
        """A configured thing by id."""

    def things_of_class(self, thing_class_id: uuid.UUID) -> list[Thing]:
        """Every configured thing of a class."""


class Integration:
    """A device backend: declares its vendors and thing classes, sets up things and runs actions.

    Subclasses override what their classes need; the defaults answer as nymea does for a plugin
    that lacks a feature. Integrations raise ThingFailure to fail an operation.
    """

    plugin: PluginInfo
    vendors: tuple[Vendor, ...] = ()
    thing_classes: tuple[ThingClass, ...] = ()

    def __init__(self) -> None:
        self._host: IntegrationHost | None = None
        self.configuration: ParamValues = {}

    @property
    def host(self) -> IntegrationHost:
        """The hub this integration is attached to."""
        if self._host is None:
            raise RuntimeError(f"integration {self.plugin.name!r} is not attached to a hub")
        return self._host

    def attach(self, host: IntegrationHost) -> None:
        """Called once by the hub when the integration is registered."""
        self._host = host

    async def start(self) -> None:
        """Called once the hub has loaded its things (before their setup)."""

    def connections(self) -> dict[str, bool]:
        """The links to devices this integration keeps, by name, and whether each is up now (none by default)."""
        return {}

    async def stop(self) -> None:
        """Release devices and sockets."""

    async def start_monitoring_auto_things(self) -> None:
        """Begin announcing things that create themselves (CreateMethod Auto)."""

    async def configuration_changed(self, configuration: ParamValues) -> None:
        """The plugin configuration was changed and stored."""

    async def setup_thing(self, thing: Thing) -> None:
        """Connect to the device; raise ThingFailure(SETUP_FAILED, message) if that is impossible."""

    async def post_setup_thing(self, thing: Thing) -> None:
        """Called after a thing was set up and added (may announce child things)."""

    async def thing_removed(self, thing: Thing) -> None:
        """The thing was removed from the hub (or is being set up anew)."""

    async def thing_setting_changed(self, thing: Thing, param_type_id: uuid.UUID, value: Any) -> None:
        """A setting of the thing was set."""

    def address_of(self, thing: Thing, type_id: uuid.UUID) -> str | None:
        """The device-side address behind a state or action type (a KNX group address), if any."""
        return None

    async def discover_things(self, thing_class: ThingClass, params: ParamValues) -> list[ThingDescriptor]:
        """Look for devices of a class."""
        raise ThingFailure(ThingError.CREATION_METHOD_NOT_SUPPORTED, f"{thing_class.name} cannot be discovered")

    async def start_pairing(self, pairing: Pairing) -> None:
        """Begin pairing (may set pairing.display_message, oauth_url or pin)."""
        raise ThingFailure(ThingError.SETUP_METHOD_NOT_SUPPORTED)

    async def confirm_pairing(self, pairing: Pairing, username: str, secret: str) -> None:
        """Finish pairing with what the user entered; raise AUTHENTICATION_FAILURE if it is wrong."""
        raise ThingFailure(ThingError.SETUP_METHOD_NOT_SUPPORTED)

    async def execute_action(self, thing: Thing, action: Action) -> None:
        """Run an action whose params the hub has verified."""
        raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND)

    async def browse_thing(self, thing: Thing, item_id: str) -> list[BrowserItem]:
        """The children of a browser item ("" is the root)."""
        raise ThingFailure(ThingError.UNSUPPORTED_FEATURE)

    async def browser_item(self, thing: Thing, item_id: str) -> BrowserItem:
        """One browser item."""
        raise ThingFailure(ThingError.UNSUPPORTED_FEATURE)

    async def execute_browser_item(self, thing: Thing, item_id: str) -> None:
        """Launch a browser item."""
        raise ThingFailure(ThingError.UNSUPPORTED_FEATURE)

    async def execute_browser_item_action(
        self, thing: Thing, item_id: str, action_type_id: uuid.UUID, params: ParamValues
    ) -> None:
        """Run a browser item action (e.g. add to favourites)."""
        raise ThingFailure(ThingError.UNSUPPORTED_FEATURE)
