"""The test bed: virtual devices with every setup path and failure mode of nymea's mock plugin.

These classes exist so that every hub operation (discovery, pairing of each kind, parents and
auto-created children, browsing, IO pins, actions that fail, finish late or never finish) can be
exercised against a real integration. Their ids are our own (derived from names).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.integration import Pairing
from thinggate.core.model import (
    Action,
    BasicType,
    BrowserIcon,
    BrowserItem,
    CreateMethod,
    IOType,
    MediaBrowserIcon,
    ParamValues,
    SetupMethod,
    StateType,
    StateValueFilter,
    Thing,
    ThingDescriptor,
    Unit,
)
from thinggate.integrations.virtual.behaviour import DeviceBehaviour
from thinggate.integrations.virtual.builder import action, event, interface_state, param, state, thing_class

B = BasicType


def bare_state(owner: str, interface: str, name: str, default: Any, **overrides: Any) -> StateType:
    """A state as the catalogue declares it, shown under its bare name (as the test bed always has)."""
    # Clients' tests compare the test bed's JSON exactly, display names included.
    return interface_state(owner, interface, name, default, display_name=name, **overrides)


# ---------------------------------------------------------------- mock: the all-rounder


def _mock_params(owner: str) -> tuple[Any, ...]:
    return (
        param(owner, "httpport", B.INT, display_name="HTTP port"),
        param(owner, "async", B.BOOL, False, display_name="Set up asynchronously", read_only=True),
        param(owner, "broken", B.BOOL, False, display_name="Broken"),
    )


MOCK = thing_class(
    "mock",
    "Virtual test thing",
    interfaces=("system", "light", "battery", "wirelessconnectable", "update", "multibutton"),
    create_methods=(CreateMethod.USER, CreateMethod.DISCOVERY),
    browsable=True,
    params=_mock_params("mock"),
    discovery_params=(param("mock", "resultCount", B.INT, 2, kind="discovery", allowed_values=(1, 2)),),
    settings=(
        param("mock", "setting1", B.INT, 5, kind="setting", display_name="Setting 1"),
        param("mock", "intStateWithLimitsMinValue", B.INT, 0, kind="setting"),
        param("mock", "intStateWithLimitsMaxValue", B.INT, 50, kind="setting"),
    ),
    states=(
        state("mock", "int", B.INT, 10, display_name="Dummy int state"),
        state("mock", "intWithLimits", B.INT, 0, writable=True, min_value=0, max_value=50),
        state("mock", "bool", B.BOOL, False, cached=False),
        state("mock", "double", B.DOUBLE, 2.7, min_value=0.0, max_value=100.0),
        bare_state("mock", "batterylevel", "batteryLevel", 0, writable=True),
        bare_state("mock", "battery", "batteryCritical", False),
        bare_state("mock", "power", "power", False),
        bare_state("mock", "connectable", "connected", True),
        bare_state(
            "mock", "wirelessconnectable", "signalStrength", 0, writable=True, filter_=StateValueFilter.ADAPTIVE
        ),
        bare_state(
            "mock", "update", "updateStatus", "idle", writable=True, possible_values=("idle", "available", "updating")
        ),
        bare_state("mock", "update", "currentVersion", "1.0.0"),
        bare_state("mock", "update", "availableVersion", "1.0.0"),
    ),
    actions=(
        action(
            "mock",
            "withParams",
            param("mock/withParams", "param1", B.INT),
            param("mock/withParams", "param2", B.BOOL),
            param("mock/withParams", "param3", B.STRING, ""),
        ),
        action("mock", "withoutParams"),
        action("mock", "async"),
        action("mock", "failing"),
        action("mock", "asyncFailing"),
        action("mock", "performUpdate"),
        action("mock", "pressButton", param("mock/pressButton", "buttonName", B.STRING)),
    ),
    events=(
        event("mock", "event1"),
        event("mock", "event2", param("mock/event2", "intParam", B.INT, 0)),
        event("mock", "pressed", param("mock/pressed", "buttonName", B.STRING, "")),
    ),
    browser_item_actions=(action("mock", "addToFavorites"), action("mock", "removeFromFavorites")),
)

AUTO_MOCK = thing_class(
    "autoMock",
    "Virtual auto thing",
    create_methods=(CreateMethod.AUTO,),
    params=_mock_params("autoMock"),
    settings=(param("autoMock", "mockSetting", B.INT, 5, kind="setting"),),
    states=(
        state("autoMock", "int", B.INT, 10),
        state("autoMock", "boolValue", B.BOOL, False, cached=False, writable=True),
    ),
    actions=(
        action(
            "autoMock",
            "withParams",
            param("autoMock/withParams", "param1", B.INT),
            param("autoMock/withParams", "param2", B.BOOL),
        ),
        action("autoMock", "mockActionNoParms"),
        action("autoMock", "mockActionAsync"),
        action("autoMock", "mockActionBroken"),
        action("autoMock", "mockActionAsyncBroken"),
    ),
    events=(event("autoMock", "event1"), event("autoMock", "event2", param("autoMock/event2", "intParam", B.INT, 0))),
)


def _pairing_states(owner: str) -> tuple[Any, ...]:
    return (
        state(owner, "color", B.COLOR, "#000000", writable=True),
        state(owner, "percentage", B.INT, 0, writable=True, unit=Unit.PERCENTAGE, min_value=0, max_value=100),
        state(
            owner,
            "allowedValues",
            B.STRING,
            "String value 1",
            writable=True,
            possible_values=("String value 1", "String value 2", "String value 3", "String value 4"),
        ),
        state(owner, "double", B.DOUBLE, 0.0, writable=True, min_value=-100.0, max_value=100.0),
        state(owner, "bool", B.BOOL, False, writable=True),
    )


PUSH_BUTTON_MOCK = thing_class(
    "pushButtonMock",
    "Virtual push-button thing",
    setup_method=SetupMethod.PUSH_BUTTON,
    create_methods=(CreateMethod.DISCOVERY,),
    discovery_params=(param("pushButtonMock", "resultCount", B.INT, 2, kind="discovery", allowed_values=(1, 2)),),
    states=_pairing_states("pushButtonMock"),
    actions=(action("pushButtonMock", "timeout"),),
)

DISPLAY_PIN_MOCK = thing_class(
    "displayPinMock",
    "Virtual display-PIN thing",
    setup_method=SetupMethod.DISPLAY_PIN,
    create_methods=(CreateMethod.DISCOVERY,),
    params=(param("displayPinMock", "pin", B.STRING, "243681", read_only=True),),
    discovery_params=(param("displayPinMock", "resultCount", B.INT, 2, kind="discovery", allowed_values=(1, 2)),),
    states=_pairing_states("displayPinMock"),
    actions=(action("displayPinMock", "timeout"),),
)

USER_AND_PASS_MOCK = thing_class(
    "userAndPassMock",
    "Virtual user-and-password thing",
    setup_method=SetupMethod.USER_AND_PASSWORD,
    create_methods=(CreateMethod.DISCOVERY, CreateMethod.USER),
    states=(state("userAndPassMock", "connected", B.BOOL, False),),
)

OAUTH_MOCK = thing_class(
    "oAuthMock",
    "Virtual OAuth thing",
    setup_method=SetupMethod.OAUTH,
    create_methods=(CreateMethod.USER,),
    states=(state("oAuthMock", "connected", B.BOOL, False),),
)

PARENT_MOCK = thing_class(
    "parentMock",
    "Virtual parent",
    create_methods=(CreateMethod.USER, CreateMethod.DISCOVERY),
    states=(state("parentMock", "boolValue", B.BOOL, False, writable=True),),
    events=(event("parentMock", "event1"),),
)

CHILD_MOCK = thing_class(
    "childMock",
    "Virtual child",
    create_methods=(CreateMethod.AUTO, CreateMethod.DISCOVERY),
    states=(state("childMock", "boolValue", B.BOOL, False, writable=True),),
    events=(event("childMock", "event1"),),
)

GENERIC_IO_MOCK = thing_class(
    "genericIoMock",
    "Virtual IO pins",
    states=(
        state("genericIoMock", "digitalInput1", B.BOOL, False, writable=True, io_type=IOType.DIGITAL_INPUT),
        state("genericIoMock", "digitalInput2", B.BOOL, False, writable=True, io_type=IOType.DIGITAL_INPUT),
        state("genericIoMock", "digitalOutput1", B.BOOL, False, writable=True, io_type=IOType.DIGITAL_OUTPUT),
        state("genericIoMock", "digitalOutput2", B.BOOL, False, writable=True, io_type=IOType.DIGITAL_OUTPUT),
        state(
            "genericIoMock",
            "analogInput1",
            B.DOUBLE,
            0.0,
            writable=True,
            io_type=IOType.ANALOG_INPUT,
            min_value=0.0,
            max_value=3.3,
        ),
        state(
            "genericIoMock",
            "analogInput2",
            B.DOUBLE,
            0.0,
            writable=True,
            io_type=IOType.ANALOG_INPUT,
            min_value=0.0,
            max_value=5.0,
        ),
        state(
            "genericIoMock",
            "analogOutput1",
            B.DOUBLE,
            0.0,
            writable=True,
            io_type=IOType.ANALOG_OUTPUT,
            min_value=0.0,
            max_value=3.3,
        ),
        state(
            "genericIoMock",
            "analogOutput2",
            B.DOUBLE,
            0.0,
            writable=True,
            io_type=IOType.ANALOG_OUTPUT,
            min_value=0.0,
            max_value=5.0,
        ),
    ),
)

VIRTUAL_IO_LIGHT_MOCK = thing_class(
    "virtualIoLightMock",
    "Virtual IO light",
    interfaces=("light",),
    states=(bare_state("virtualIoLightMock", "power", "power", False, io_type=IOType.DIGITAL_INPUT),),
)

INPUT_TYPE_MOCK = thing_class(
    "inputTypeMock",
    "Virtual thing with every value type",
    params=(
        param("inputTypeMock", "textLine", B.STRING, "", index=0),
        param("inputTypeMock", "password", B.STRING, "", index=1),
        param("inputTypeMock", "mail", B.STRING, "", index=2),
        param("inputTypeMock", "ipv4", B.STRING, "", index=3),
        param("inputTypeMock", "url", B.STRING, "", index=4),
        param("inputTypeMock", "mac", B.STRING, "", index=5),
    ),
    settings=(
        param("inputTypeMock", "boolSetting", B.BOOL, False, kind="setting"),
        param("inputTypeMock", "intSetting", B.INT, 0, kind="setting"),
        param("inputTypeMock", "intSettingWithLimits", B.INT, 2, kind="setting", min_value=1, max_value=3),
        param("inputTypeMock", "doubleSetting", B.DOUBLE, 0.5, kind="setting"),
        param("inputTypeMock", "stringSetting", B.STRING, "", kind="setting"),
        param("inputTypeMock", "colorSetting", B.COLOR, "#00ff00", kind="setting"),
    ),
    states=(
        state("inputTypeMock", "int", B.INT, -1, writable=True, min_value=-100, max_value=100),
        state("inputTypeMock", "uint", B.UINT, 1, writable=True, min_value=0, max_value=100),
        state("inputTypeMock", "double", B.DOUBLE, 0.5, writable=True, step_size=0.1),
        state("inputTypeMock", "string", B.STRING, "", writable=True),
        state("inputTypeMock", "stringList", B.STRING_LIST, [], writable=True),
        state("inputTypeMock", "color", B.COLOR, "#ff0000", writable=True),
        state("inputTypeMock", "time", B.TIME, "12:00", writable=True),
        state("inputTypeMock", "timestamp", B.UINT, 0, writable=True, unit=Unit.UNIX_TIME),
        state("inputTypeMock", "object", B.OBJECT, {}, writable=True),
        state(
            "inputTypeMock",
            "localizedList",
            B.STRING,
            "Item 1",
            writable=True,
            possible_values=("Item 1", "Item 2", "Item 3"),
        ),
    ),
)


def _sleep(behaviour: DeviceBehaviour, seconds: float) -> Any:
    """Sleep for simulated seconds (tests speed the house up with time_scale)."""
    return asyncio.sleep(seconds / behaviour.integration.time_scale)


def _by_name(params: ParamValues, owner_action: Any, name: str) -> Any:
    for param_type in owner_action.param_types:
        if param_type.name == name:
            return params.get(param_type.id)
    return None


class _MockBase(DeviceBehaviour):
    """Setup shared by mock and autoMock: async and broken params."""

    async def setup(self, thing: Thing) -> None:
        if thing.param("async"):
            await _sleep(self, 1.0)
        if thing.param("broken"):
            raise ThingFailure(ThingError.SETUP_FAILED, "This mocked thing is intentionally broken.")


class MockBehaviour(_MockBase):
    """The all-rounder: every kind of action, events, settings that move limits, and a browser tree."""

    thing_class = MOCK

    def __init__(self, integration: Any) -> None:
        super().__init__(integration)
        self.favorites: dict[uuid.UUID, list[str]] = {}

    async def setup(self, thing: Thing) -> None:
        await super().setup(thing)
        self.favorites.setdefault(thing.id, [])
        intWithLimits = MOCK.state_type_named("intWithLimits")
        assert intWithLimits is not None
        self.host.set_state_limits(
            thing.id,
            intWithLimits.id,
            min_value=thing.setting("intStateWithLimitsMinValue"),
            max_value=thing.setting("intStateWithLimitsMaxValue"),
        )

    async def removed(self, thing: Thing) -> None:
        self.favorites.pop(thing.id, None)

    async def setting_changed(self, thing: Thing, param_type_id: uuid.UUID, value: Any) -> None:
        setting = next(pt for pt in MOCK.settings_types if pt.id == param_type_id)
        limited = MOCK.state_type_named("intWithLimits")
        assert limited is not None
        if setting.name == "intStateWithLimitsMinValue":
            self.host.set_state_limits(thing.id, limited.id, min_value=value)
        elif setting.name == "intStateWithLimitsMaxValue":
            self.host.set_state_limits(thing.id, limited.id, max_value=value)

    async def execute(self, thing: Thing, action_request: Action) -> None:
        action_type = MOCK.action_type(action_request.action_type_id)
        assert action_type is not None
        name = action_type.name
        if name == "failing":
            raise ThingFailure(ThingError.SETUP_FAILED, "This action fails on purpose.")
        if name == "asyncFailing":
            await _sleep(self, 1.0)
            raise ThingFailure(ThingError.SETUP_FAILED, "This action fails on purpose, later.")
        if name == "async":
            await _sleep(self, 1.0)
        elif name == "performUpdate":
            self.set_state(thing, "updateStatus", "updating")
        elif name == "pressButton":
            pressed = MOCK.event_type_named("pressed")
            assert pressed is not None
            button = _by_name(action_request.params, action_type, "buttonName")
            self.host.emit_event(thing.id, pressed.id, {pressed.param_types[0].id: button})
        elif name not in ("withParams", "withoutParams"):
            await super().execute(thing, action_request)
        self.integration.record_action(thing, action_request)

    async def discover(self, params: ParamValues) -> list[ThingDescriptor]:
        count = params[MOCK.discovery_param_types[0].id]
        await _sleep(self, 1.0)
        port_type = MOCK.param_type_named("httpport")
        assert port_type is not None
        descriptors = []
        for number, port in ((1, 55555), (2, 55556))[:count]:
            existing = next((t for t in self.host.things_of_class(MOCK.id) if t.param("httpport") == port), None)
            descriptors.append(
                ThingDescriptor(
                    id=uuid.uuid4(),
                    thing_class_id=MOCK.id,
                    title=f"Virtual test thing {number} (discovered)",
                    description=f"found on port {port}",
                    params={port_type.id: port},
                    thing_id=existing.id if existing else None,
                )
            )
        return descriptors

    def _tree(self, thing: Thing) -> dict[str, list[BrowserItem]]:
        add, remove = MOCK.browser_item_action_types
        favorites = self.favorites.get(thing.id, [])
        root = [
            BrowserItem("001", "Item 0", "I'm a folder", BrowserIcon.FOLDER, browsable=True),
            BrowserItem(
                "002", "Item 1", "I'm executable", BrowserIcon.FILE, executable=True, action_type_ids=(add.id,)
            ),
            BrowserItem("003", "Item 2", "I'm a file", BrowserIcon.FILE, executable=True),
            BrowserItem(
                "004",
                "Item 3",
                "I have a thumbnail",
                BrowserIcon.PICTURES,
                executable=True,
                thumbnail="https://example.invalid/thumbnail.png",
            ),
            BrowserItem("005", "Item 4", "I'm disabled", BrowserIcon.FILE, disabled=True),
            BrowserItem("favorites", "Favorites", "My favourite items", BrowserIcon.FAVORITES, browsable=True),
            BrowserItem("mediaservices", "Media services", "Media icons", BrowserIcon.FOLDER, browsable=True),
        ]
        media = [
            BrowserItem(f"media-{icon.value}", icon.value, "", BrowserIcon.MUSIC, browsable=True, media_icon=icon)
            for icon in list(MediaBrowserIcon)[1:21]
        ]
        everything = {item.id: item for item in root}
        return {
            "": root,
            "001": [
                BrowserItem("sub-001", "Subitem 0", "I'm executable", BrowserIcon.FILE, executable=True),
                BrowserItem("sub-002", "Subitem 1", "I'm a folder", BrowserIcon.FOLDER, browsable=True),
            ],
            "sub-002": [],
            "favorites": [
                BrowserItem(
                    f"fav-{item_id}",
                    everything[item_id].display_name,
                    "",
                    everything[item_id].icon,
                    executable=True,
                    action_type_ids=(remove.id,),
                )
                for item_id in favorites
            ],
            "mediaservices": media,
            **{item.id: [] for item in media},
        }

    def _find(self, thing: Thing, item_id: str) -> BrowserItem:
        for items in self._tree(thing).values():
            for item in items:
                if item.id == item_id:
                    return item
        raise ThingFailure(ThingError.ITEM_NOT_FOUND, f"no browser item {item_id!r}")

    async def browse(self, thing: Thing, item_id: str) -> list[BrowserItem]:
        if thing.param("async"):
            await _sleep(self, 1.0)
        if thing.param("broken"):
            raise ThingFailure(ThingError.HARDWARE_FAILURE, "This mocked thing is intentionally broken.")
        tree = self._tree(thing)
        if item_id not in tree:
            raise ThingFailure(ThingError.ITEM_NOT_FOUND, f"no browser item {item_id!r}")
        return tree[item_id]

    async def browser_item(self, thing: Thing, item_id: str) -> BrowserItem:
        if item_id == "":
            return BrowserItem("", thing.name, "", BrowserIcon.FOLDER, browsable=True)
        return self._find(thing, item_id)

    async def execute_browser_item(self, thing: Thing, item_id: str) -> None:
        if thing.param("async"):
            await _sleep(self, 1.0)
        item = self._find(thing, item_id)
        if not item.executable or item.disabled:
            raise ThingFailure(ThingError.ITEM_NOT_EXECUTABLE, f"browser item {item_id!r} cannot be executed")

    async def execute_browser_item_action(
        self, thing: Thing, item_id: str, action_type_id: uuid.UUID, params: ParamValues
    ) -> None:
        item = self._find(thing, item_id)
        if action_type_id not in item.action_type_ids:
            raise ThingFailure(ThingError.ITEM_NOT_EXECUTABLE, f"browser item {item_id!r} has no such action")
        add, _remove = MOCK.browser_item_action_types
        favorites = self.favorites.setdefault(thing.id, [])
        if action_type_id == add.id:
            if item_id not in favorites:
                favorites.append(item_id)
        else:
            original = item_id.removeprefix("fav-")
            if original in favorites:
                favorites.remove(original)


class AutoMockBehaviour(_MockBase):
    """A thing that creates itself; the test-control hook can make it disappear or reconfigure it."""

    thing_class = AUTO_MOCK

    async def execute(self, thing: Thing, action_request: Action) -> None:
        action_type = AUTO_MOCK.action_type(action_request.action_type_id)
        assert action_type is not None
        if action_type.name == "mockActionBroken":
            raise ThingFailure(ThingError.SETUP_FAILED, "This action fails on purpose.")
        if action_type.name == "mockActionAsyncBroken":
            await _sleep(self, 1.0)
            raise ThingFailure(ThingError.SETUP_FAILED, "This action fails on purpose, later.")
        if action_type.name == "mockActionAsync":
            await _sleep(self, 1.0)
        elif action_type.name not in ("withParams", "mockActionNoParms"):
            await super().execute(thing, action_request)
        self.integration.record_action(thing, action_request)

    def descriptor(self, port: int | None = None, thing_id: uuid.UUID | None = None) -> ThingDescriptor:
        """A descriptor for an auto thing on a port (a random one in 4242..5241 by default)."""
        port_type = AUTO_MOCK.param_type_named("httpport")
        assert port_type is not None
        chosen = port if port is not None else random.randint(4242, 5241)
        return ThingDescriptor(
            id=uuid.uuid4(),
            thing_class_id=AUTO_MOCK.id,
            title="Virtual auto thing",
            params={port_type.id: chosen},
            thing_id=thing_id,
        )


class _PairingBehaviour(DeviceBehaviour):
    """Shared by the pairing test devices: writable states, and an action that never finishes."""

    async def execute(self, thing: Thing, action_request: Action) -> None:
        action_type = thing.thing_class.action_type(action_request.action_type_id)
        if action_type is not None and action_type.name == "timeout":
            await asyncio.Event().wait()  # never finishes: the hub answers Timeout
        await super().execute(thing, action_request)
        self.integration.record_action(thing, action_request)

    def _descriptors(self, count: int, message: str) -> list[ThingDescriptor]:
        return [
            ThingDescriptor(
                id=uuid.uuid4(),
                thing_class_id=self.thing_class.id,
                title=f"{self.thing_class.display_name} {number}",
                description=message,
            )
            for number in range(1, count + 1)
        ]


class PushButtonMockBehaviour(_PairingBehaviour):
    """Pairs once its (simulated) button was pressed, 3 s after PairThing."""

    thing_class = PUSH_BUTTON_MOCK
    MESSAGE = "This thing will simulate a push button press in 3 seconds."

    def __init__(self, integration: Any) -> None:
        super().__init__(integration)
        self.pressed: dict[uuid.UUID, asyncio.Event] = {}

    async def discover(self, params: ParamValues) -> list[ThingDescriptor]:
        count = params[PUSH_BUTTON_MOCK.discovery_param_types[0].id]
        return self._descriptors(count, self.MESSAGE)

    async def start_pairing(self, pairing: Pairing) -> None:
        pairing.display_message = "Wait 3 seconds before you continue, the push button will be pressed automatically."
        pressed = asyncio.Event()
        self.pressed[pairing.transaction_id] = pressed
        loop = asyncio.get_running_loop()
        loop.call_later(3.0 / self.integration.time_scale, pressed.set)

    async def confirm_pairing(self, pairing: Pairing, username: str, secret: str) -> None:
        pressed = self.pressed.pop(pairing.transaction_id, None)
        if pressed is None or not pressed.is_set():
            raise ThingFailure(ThingError.AUTHENTICATION_FAILURE, "The push button was not pressed yet.")
        await _sleep(self, 1.0)


class DisplayPinMockBehaviour(_PairingBehaviour):
    """Pairs when the user enters the PIN the device "displays" (its read-only pin param)."""

    thing_class = DISPLAY_PIN_MOCK

    async def discover(self, params: ParamValues) -> list[ThingDescriptor]:
        count = params[DISPLAY_PIN_MOCK.discovery_param_types[0].id]
        return self._descriptors(count, "Enter the PIN shown on the device: 243681")

    async def start_pairing(self, pairing: Pairing) -> None:
        pairing.display_message = "Please enter the secret which normally will be displayed on the device: 243681"

    async def confirm_pairing(self, pairing: Pairing, username: str, secret: str) -> None:
        pin_type = DISPLAY_PIN_MOCK.param_type_named("pin")
        assert pin_type is not None
        if secret != pairing.params.get(pin_type.id, pin_type.default_value):
            raise ThingFailure(ThingError.AUTHENTICATION_FAILURE, "Invalid PIN!")


class UserAndPassMockBehaviour(_PairingBehaviour):
    """Pairs with the credentials user / password."""

    thing_class = USER_AND_PASS_MOCK

    async def discover(self, params: ParamValues) -> list[ThingDescriptor]:
        if self.host.things_of_class(USER_AND_PASS_MOCK.id):
            return []
        return self._descriptors(1, "A device that wants a user name and a password")

    async def start_pairing(self, pairing: Pairing) -> None:
        pairing.display_message = "Please enter the user name 'user' and the password 'password'."

    async def confirm_pairing(self, pairing: Pairing, username: str, secret: str) -> None:
        if (username, secret) != ("user", "password"):
            raise ThingFailure(ThingError.AUTHENTICATION_FAILURE, "Wrong username or password")

    async def setup(self, thing: Thing) -> None:
        self.set_state(thing, "connected", True)


class OAuthMockBehaviour(_PairingBehaviour):
    """Pairs through an OAuth redirect: the secret is the redirect URL carrying `code=`."""

    thing_class = OAUTH_MOCK

    async def start_pairing(self, pairing: Pairing) -> None:
        pairing.oauth_url = (
            "https://login.example.invalid/oauth/authorize?response_type=code&client_id=thinggate"
            f"&redirect_uri=https%3A%2F%2F127.0.0.1%3A8888&state={pairing.transaction_id}"
        )

    async def confirm_pairing(self, pairing: Pairing, username: str, secret: str) -> None:
        if "code=" not in secret:
            raise ThingFailure(ThingError.AUTHENTICATION_FAILURE, "The redirect URL carries no authorization code.")


class ParentMockBehaviour(DeviceBehaviour):
    """A parent that creates one child of its own after setup."""

    thing_class = PARENT_MOCK

    async def post_setup(self, thing: Thing) -> None:
        children = [t for t in self.host.things_of_class(CHILD_MOCK.id) if t.parent_id == thing.id]
        if not children:
            await self.host.auto_things_appeared(
                [ThingDescriptor(id=uuid.uuid4(), thing_class_id=CHILD_MOCK.id, title="Child", parent_id=thing.id)]
            )

    async def discover(self, params: ParamValues) -> list[ThingDescriptor]:
        return [ThingDescriptor(id=uuid.uuid4(), thing_class_id=PARENT_MOCK.id, title="Parent (discovered)")]


class ChildMockBehaviour(DeviceBehaviour):
    """A child: discovered only below an existing parent."""

    thing_class = CHILD_MOCK

    async def discover(self, params: ParamValues) -> list[ThingDescriptor]:
        return [
            ThingDescriptor(
                id=uuid.uuid4(),
                thing_class_id=CHILD_MOCK.id,
                title=f"Child of {parent.name}",
                parent_id=parent.id,
            )
            for parent in self.host.things_of_class(PARENT_MOCK.id)
        ]


class GenericIoMockBehaviour(DeviceBehaviour):
    """IO pins: digital and analog inputs and outputs."""

    thing_class = GENERIC_IO_MOCK

    async def execute(self, thing: Thing, action_request: Action) -> None:
        await super().execute(thing, action_request)
        self.integration.record_action(thing, action_request)


class VirtualIoLightMockBehaviour(GenericIoMockBehaviour):
    """A light whose power is a digital input for IO connections."""

    thing_class = VIRTUAL_IO_LIGHT_MOCK


class InputTypeMockBehaviour(GenericIoMockBehaviour):
    """A thing with a param, a setting and a writable state of every value type."""

    thing_class = INPUT_TYPE_MOCK


TESTBED_BEHAVIOURS: tuple[type[DeviceBehaviour], ...] = (
    MockBehaviour,
    AutoMockBehaviour,
    PushButtonMockBehaviour,
    DisplayPinMockBehaviour,
    UserAndPassMockBehaviour,
    OAuthMockBehaviour,
    ParentMockBehaviour,
    ChildMockBehaviour,
    GenericIoMockBehaviour,
    VirtualIoLightMockBehaviour,
    InputTypeMockBehaviour,
)
"""Every test-bed device, in the order GetThingClasses lists them."""
