"""The virtual integration: a simulated house and a test bed with every setup path of nymea's mock."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.integration import Integration, Pairing
from thinggate.core.model import (
    Action,
    BasicType,
    BrowserItem,
    ParamValues,
    PluginInfo,
    Thing,
    ThingClass,
    ThingDescriptor,
    Vendor,
)
from thinggate.integrations.virtual.behaviour import DeviceBehaviour
from thinggate.integrations.virtual.builder import PLUGIN_ID, VENDOR_ID, param
from thinggate.integrations.virtual.house import HOUSE_BEHAVIOURS
from thinggate.integrations.virtual.testcontrol import TestControl

if TYPE_CHECKING:
    from thinggate.integrations.virtual.testbed import AutoMockBehaviour

PLUGIN = PluginInfo(
    id=PLUGIN_ID,
    name="virtual",
    display_name="Virtual things",
    param_types=(
        param("plugin", "configParamInt", BasicType.INT, 42, kind="config", min_value=1, max_value=50, index=0),
        param("plugin", "configParamBool", BasicType.BOOL, True, kind="config", index=1),
    ),
)
VENDOR = Vendor(id=VENDOR_ID, name="thinggate", display_name="thinggate")

_LOG = logging.getLogger(__name__)


class VirtualIntegration(Integration):
    """Simulated devices; each thing class is run by its DeviceBehaviour."""

    plugin = PLUGIN
    vendors = (VENDOR,)

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        test_control: bool = False,
        test_control_port: int | None = None,
        auto_things: bool = False,
        house: bool = True,
        testbed: bool = True,
    ) -> None:
        super().__init__()
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, not {time_scale!r}")
        self.time_scale = time_scale
        self.auto_things = auto_things
        kinds: tuple[type[DeviceBehaviour], ...] = HOUSE_BEHAVIOURS if house else ()
        if testbed:
            # Imported only when asked for, so that a hub without the test bed never loads it.
            from thinggate.integrations.virtual.testbed import TESTBED_BEHAVIOURS

            kinds = TESTBED_BEHAVIOURS + kinds
        self.behaviours: dict[uuid.UUID, DeviceBehaviour] = {kind.thing_class.id: kind(self) for kind in kinds}
        # By the class id's int for the action path (hashing a UUID is a Python call).
        self._behaviours_by_int = {class_id.int: behaviour for class_id, behaviour in self.behaviours.items()}
        self._auto_mock: AutoMockBehaviour | None = None  # the test bed's auto thing, when it is loaded
        if testbed:
            from thinggate.integrations.virtual.testbed import AutoMockBehaviour

            auto = self.behaviours[AutoMockBehaviour.thing_class.id]
            assert isinstance(auto, AutoMockBehaviour)
            self._auto_mock = auto
        self.thing_classes: tuple[ThingClass, ...] = tuple(kind.thing_class for kind in kinds)
        self.action_history: list[tuple[uuid.UUID, uuid.UUID, ParamValues]] = []
        # Only test_control = true opens the hook: its side port takes unauthenticated commands,
        # so a port left in the configuration (as in the README's sample) must not open it.
        self.test_control: TestControl | None = TestControl(self, http_port=test_control_port) if test_control else None
        if test_control_port is not None and not test_control:
            _LOG.info("virtual: test_control_port %d ignored (test_control is false)", test_control_port)

    def behaviour(self, thing_class_id: uuid.UUID) -> DeviceBehaviour:
        """The behaviour that runs a class."""
        try:
            return self.behaviours[thing_class_id]
        except KeyError:
            raise ThingFailure(ThingError.THING_CLASS_NOT_FOUND, f"no virtual class {thing_class_id}") from None

    def record_action(self, thing: Thing, action: Action) -> None:
        """Remember an action the device executed (read through the test-control hook)."""
        self.action_history.append((thing.id, action.action_type_id, dict(action.params)))
        del self.action_history[:-1000]  # bounded: the history is for tests, not an archive

    def thing_class_named(self, name: str) -> ThingClass:
        """A virtual class by name (KeyError if there is none)."""
        for thing_class in self.thing_classes:
            if thing_class.name == name:
                return thing_class
        raise KeyError(f"no virtual thing class named {name!r}")

    async def start(self) -> None:
        if self.test_control is not None:
            await self.test_control.start()

    async def stop(self) -> None:
        for behaviour in self.behaviours.values():
            stop = getattr(behaviour, "stop", None)
            if stop is not None:
                await stop()
        if self.test_control is not None:
            await self.test_control.stop()

    async def start_monitoring_auto_things(self) -> None:
        auto = self._auto_mock
        if auto is not None and self.auto_things and not self.host.things_of_class(auto.thing_class.id):
            await self.host.auto_things_appeared([auto.descriptor()])

    async def setup_thing(self, thing: Thing) -> None:
        await self.behaviour(thing.thing_class.id).setup(thing)

    async def post_setup_thing(self, thing: Thing) -> None:
        await self.behaviour(thing.thing_class.id).post_setup(thing)

    async def thing_removed(self, thing: Thing) -> None:
        await self.behaviour(thing.thing_class.id).removed(thing)

    async def thing_setting_changed(self, thing: Thing, param_type_id: uuid.UUID, value: Any) -> None:
        await self.behaviour(thing.thing_class.id).setting_changed(thing, param_type_id, value)

    async def discover_things(self, thing_class: ThingClass, params: ParamValues) -> list[ThingDescriptor]:
        return await self.behaviour(thing_class.id).discover(params)

    async def start_pairing(self, pairing: Pairing) -> None:
        await self.behaviour(pairing.thing_class.id).start_pairing(pairing)

    async def confirm_pairing(self, pairing: Pairing, username: str, secret: str) -> None:
        await self.behaviour(pairing.thing_class.id).confirm_pairing(pairing, username, secret)

    def execute_action(self, thing: Thing, action: Action) -> Coroutine[Any, Any, None]:
        # The behaviour's coroutine itself, not one awaiting it: a frame fewer on every action
        # (and `behaviour` inline: a call fewer). An unknown class raises here rather than when
        # awaited; the hub's call is in its try.
        behaviour = self._behaviours_by_int.get(thing.thing_class.id.int)
        if behaviour is None:
            return self.behaviour(thing.thing_class.id).execute(thing, action)  # raises ThingClassNotFound
        return behaviour.execute(thing, action)

    async def browse_thing(self, thing: Thing, item_id: str) -> list[BrowserItem]:
        return await self.behaviour(thing.thing_class.id).browse(thing, item_id)

    async def browser_item(self, thing: Thing, item_id: str) -> BrowserItem:
        return await self.behaviour(thing.thing_class.id).browser_item(thing, item_id)

    async def execute_browser_item(self, thing: Thing, item_id: str) -> None:
        await self.behaviour(thing.thing_class.id).execute_browser_item(thing, item_id)

    async def execute_browser_item_action(
        self, thing: Thing, item_id: str, action_type_id: uuid.UUID, params: ParamValues
    ) -> None:
        await self.behaviour(thing.thing_class.id).execute_browser_item_action(thing, item_id, action_type_id, params)


__all__ = ["PLUGIN", "VENDOR", "VirtualIntegration"]
