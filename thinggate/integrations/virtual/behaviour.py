"""How one virtual thing class acts; the virtual integration dispatches to one per class."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.integration import Pairing
from thinggate.core.model import Action, BrowserItem, ParamValues, Thing, ThingClass, ThingDescriptor

if TYPE_CHECKING:
    from thinggate.integrations.virtual import VirtualIntegration


class DeviceBehaviour:
    """Default behaviour: setup succeeds and a state-generated action sets its state."""

    thing_class: ThingClass

    def __init__(self, integration: VirtualIntegration) -> None:
        self.integration = integration

    @property
    def host(self) -> Any:
        """The hub (IntegrationHost) the integration reports to."""
        return self.integration.host

    def set_state(self, thing: Thing, name: str, value: Any) -> None:
        """Report a state of the thing by its name."""
        state_type = thing.thing_class.state_type_named(name)
        if state_type is None:
            raise KeyError(f"{thing.thing_class.name} has no state {name!r}")
        self.integration.host.set_state(thing.id, state_type.id, value)

    def emit(self, thing: Thing, name: str, params: ParamValues | None = None) -> None:
        """Raise an event of the thing by its name."""
        event_type = thing.thing_class.event_type_named(name)
        if event_type is None:
            raise KeyError(f"{thing.thing_class.name} has no event {name!r}")
        self.integration.host.emit_event(thing.id, event_type.id, params or {})

    async def setup(self, thing: Thing) -> None:
        """Set the thing up (raise ThingFailure to fail)."""

    async def post_setup(self, thing: Thing) -> None:
        """After setup and add."""

    async def removed(self, thing: Thing) -> None:
        """The thing is gone; stop its timers."""

    async def setting_changed(self, thing: Thing, param_type_id: uuid.UUID, value: Any) -> None:
        """A setting was set."""

    async def execute(self, thing: Thing, action: Action) -> None:
        """Run an action; a state-generated action sets its state."""
        state_type = thing.thing_class.state_type(action.action_type_id)
        if state_type is not None and state_type.writable:
            self.integration.host.set_state(thing.id, state_type.id, action.params[state_type.id])
            return
        raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND, f"{thing.thing_class.name} cannot run this action")

    async def discover(self, params: ParamValues) -> list[ThingDescriptor]:
        """Discovery results for the class."""
        raise ThingFailure(ThingError.CREATION_METHOD_NOT_SUPPORTED)

    async def start_pairing(self, pairing: Pairing) -> None:
        """Begin pairing."""
        raise ThingFailure(ThingError.SETUP_METHOD_NOT_SUPPORTED)

    async def confirm_pairing(self, pairing: Pairing, username: str, secret: str) -> None:
        """Finish pairing."""
        raise ThingFailure(ThingError.SETUP_METHOD_NOT_SUPPORTED)

    async def browse(self, thing: Thing, item_id: str) -> list[BrowserItem]:
        """Browse the thing."""
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
        """Run a browser item action."""
        raise ThingFailure(ThingError.UNSUPPORTED_FEATURE)
