"""The thing model: vendors, integrations, thing classes and their types, things and their states."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from thinggate.core import interfaces as _interfaces

ParamValues = dict[uuid.UUID, Any]
"""Param values of a thing, an action or a plugin, by param type id, in declaration order."""


class BasicType(enum.Enum):
    """Value types of params and states."""

    UUID = "Uuid"
    STRING = "String"
    STRING_LIST = "StringList"
    INT = "Int"
    UINT = "Uint"
    DOUBLE = "Double"
    BOOL = "Bool"
    VARIANT = "Variant"
    COLOR = "Color"
    TIME = "Time"
    OBJECT = "Object"


class InputType(enum.Enum):
    """How a client should ask a person for a param value."""

    NONE = "None"
    TEXT_LINE = "TextLine"
    TEXT_AREA = "TextArea"
    PASSWORD = "Password"
    SEARCH = "Search"
    MAIL = "Mail"
    IPV4_ADDRESS = "IPv4Address"
    IPV6_ADDRESS = "IPv6Address"
    URL = "Url"
    MAC_ADDRESS = "MacAddress"


class IOType(enum.Enum):
    """Whether a state is an input or output pin that IO connections may link."""

    NONE = "None"
    DIGITAL_INPUT = "DigitalInput"
    DIGITAL_OUTPUT = "DigitalOutput"
    ANALOG_INPUT = "AnalogInput"
    ANALOG_OUTPUT = "AnalogOutput"


class SetupMethod(enum.Enum):
    """How a thing of a class is set up."""

    JUST_ADD = "JustAdd"
    DISPLAY_PIN = "DisplayPin"
    ENTER_PIN = "EnterPin"
    PUSH_BUTTON = "PushButton"
    USER_AND_PASSWORD = "UserAndPassword"
    OAUTH = "OAuth"


class CreateMethod(enum.Enum):
    """How things of a class come into being."""

    USER = "User"
    AUTO = "Auto"
    DISCOVERY = "Discovery"


class DiscoveryType(enum.Enum):
    """How certain a discovery result is."""

    PRECISE = "Precise"
    WEAK = "Weak"


class ThingSetupStatus(enum.Enum):
    """Where a thing is in its setup."""

    NONE = "None"
    IN_PROGRESS = "InProgress"
    COMPLETE = "Complete"
    FAILED = "Failed"


class StateValueFilter(enum.Enum):
    """Filter applied to a state's logged values."""

    NONE = "None"
    ADAPTIVE = "Adaptive"


class BrowserIcon(enum.Enum):
    """Icon of a browser item."""

    NONE = "None"
    FOLDER = "Folder"
    FILE = "File"
    MUSIC = "Music"
    VIDEO = "Video"
    PICTURES = "Pictures"
    APPLICATION = "Application"
    DOCUMENT = "Document"
    PACKAGE = "Package"
    FAVORITES = "Favorites"


class Unit(enum.Enum):
    """nymea's Unit enum (wire name = prefix + value)."""

    NONE = "None"
    MILLI_SECONDS = "MilliSeconds"
    SECONDS = "Seconds"
    MINUTES = "Minutes"
    HOURS = "Hours"
    UNIX_TIME = "UnixTime"
    METER_PER_SECOND = "MeterPerSecond"
    KILO_METER_PER_HOUR = "KiloMeterPerHour"
    DEGREE = "Degree"
    RADIANT = "Radiant"
    DEGREE_CELSIUS = "DegreeCelsius"
    DEGREE_KELVIN = "DegreeKelvin"
    MIRED = "Mired"
    MILLI_BAR = "MilliBar"
    BAR = "Bar"
    PASCAL = "Pascal"
    HECTO_PASCAL = "HectoPascal"
    ATMOSPHERE = "Atmosphere"
    LUMEN = "Lumen"
    LUX = "Lux"
    CANDELA = "Candela"
    MILLI_METER = "MilliMeter"
    CENTI_METER = "CentiMeter"
    METER = "Meter"
    KILO_METER = "KiloMeter"
    GRAM = "Gram"
    KILO_GRAM = "KiloGram"
    DEZIBEL = "Dezibel"
    BPM = "Bpm"
    KILO_BYTE = "KiloByte"
    MEGA_BYTE = "MegaByte"
    GIGA_BYTE = "GigaByte"
    TERA_BYTE = "TeraByte"
    MILLI_WATT = "MilliWatt"
    WATT = "Watt"
    KILO_WATT = "KiloWatt"
    KILO_WATT_HOUR = "KiloWattHour"
    EURO_PER_MEGA_WATT_HOUR = "EuroPerMegaWattHour"
    EURO_CENT_PER_KILO_WATT_HOUR = "EuroCentPerKiloWattHour"
    PERCENTAGE = "Percentage"
    PARTS_PER_MILLION = "PartsPerMillion"
    PARTS_PER_BILLION = "PartsPerBillion"
    EURO = "Euro"
    DOLLAR = "Dollar"
    HERTZ = "Hertz"
    AMPERE = "Ampere"
    MILLI_AMPERE = "MilliAmpere"
    VOLT = "Volt"
    MILLI_VOLT = "MilliVolt"
    VOLT_AMPERE = "VoltAmpere"
    VOLT_AMPERE_REACTIVE = "VoltAmpereReactive"
    AMPERE_HOUR = "AmpereHour"
    OHM = "Ohm"
    MICRO_SIEMENS_PER_CENTIMETER = "MicroSiemensPerCentimeter"
    DURATION = "Duration"
    NEWTON = "Newton"
    NEWTON_METER = "NewtonMeter"
    RPM = "Rpm"
    MILLIGRAM_PER_LITER = "MilligramPerLiter"
    LITER = "Liter"
    MICRO_GRAMM_PER_CUBICAL_METER = "MicroGrammPerCubicalMeter"


class MediaBrowserIcon(enum.Enum):
    """nymea's MediaBrowserIcon enum (wire name = prefix + value)."""

    NONE = "None"
    PLAYLIST = "Playlist"
    RECENTLY_PLAYED = "RecentlyPlayed"
    LIBRARY = "Library"
    MUSIC_LIBRARY = "MusicLibrary"
    VIDEO_LIBRARY = "VideoLibrary"
    PICTURE_LIBRARY = "PictureLibrary"
    DISK = "Disk"
    USB = "USB"
    NETWORK = "Network"
    AUX = "Aux"
    BLUETOOTH = "Bluetooth"
    SPOTIFY = "Spotify"
    AMAZON = "Amazon"
    TUNE_IN = "TuneIn"
    SIRIUS_XM = "SiriusXM"
    VTUNER = "VTuner"
    TIDAL = "Tidal"
    AIRABLE = "Airable"
    DEEZER = "Deezer"
    NAPSTER = "Napster"
    SOUND_CLOUD = "SoundCloud"
    RADIO_PARADISE = "RadioParadise"


@dataclass(frozen=True, slots=True)
class ParamType:
    """A named, typed parameter of a thing, a setting, a discovery, an action, an event or a plugin."""

    id: uuid.UUID
    name: str
    display_name: str
    type: BasicType
    index: int = 0
    default_value: Any = None
    min_value: Any = None
    max_value: Any = None
    step_size: float | None = None
    allowed_values: tuple[Any, ...] | None = None
    input_type: InputType | None = None
    unit: Unit | None = None
    read_only: bool = False

    @property
    def has_default(self) -> bool:
        """Whether the param may be left out (it then takes its default)."""
        return self.default_value is not None


@dataclass(frozen=True, slots=True)
class StateType:
    """A value a thing has; writable ones can be set through an action with the same id."""

    id: uuid.UUID
    name: str
    display_name: str
    type: BasicType
    default_value: Any
    index: int = 0
    unit: Unit | None = None
    io_type: IOType | None = None
    min_value: Any = None
    max_value: Any = None
    step_size: float | None = None
    possible_values: tuple[Any, ...] | None = None
    possible_values_display_names: tuple[str, ...] | None = None
    writable: bool = False
    display_name_action: str = ""
    cached: bool = True
    suggest_logging: bool = False
    filter: StateValueFilter = StateValueFilter.NONE


@dataclass(frozen=True, slots=True)
class EventType:
    """Something a thing can report happening, with params."""

    id: uuid.UUID
    name: str
    display_name: str
    index: int = 0
    param_types: tuple[ParamType, ...] = ()
    suggest_logging: bool = False


@dataclass(frozen=True, slots=True)
class ActionType:
    """Something a thing can be asked to do, with params."""

    id: uuid.UUID
    name: str
    display_name: str
    index: int = 0
    param_types: tuple[ParamType, ...] = ()


@dataclass(frozen=True, slots=True)
class Vendor:
    """Who makes the devices of a thing class."""

    id: uuid.UUID
    name: str
    display_name: str


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """An integration as the API shows it: id, names and configuration param types."""

    id: uuid.UUID
    name: str
    display_name: str
    param_types: tuple[ParamType, ...] = ()


def action_type_for_state(state_type: StateType) -> ActionType:
    """The action a writable state type gives: same id, one param with the same id as the state."""
    param = ParamType(
        id=state_type.id,
        name=state_type.name,
        display_name=state_type.display_name,
        type=state_type.type,
        index=0,
        default_value=state_type.default_value,
        min_value=state_type.min_value,
        max_value=state_type.max_value,
        step_size=state_type.step_size,
        allowed_values=state_type.possible_values,
        unit=state_type.unit,
    )
    return ActionType(
        id=state_type.id,
        name=state_type.name,
        display_name=state_type.display_name_action or f"Set {state_type.display_name}",
        index=state_type.index,
        param_types=(param,),
    )


@dataclass(frozen=True, slots=True)
class ThingClass:
    """A kind of thing: its params, settings, states, events, actions and how it is set up."""

    id: uuid.UUID
    name: str
    display_name: str
    vendor_id: uuid.UUID
    plugin_id: uuid.UUID
    declared_interfaces: tuple[str, ...] = ()
    provided_interfaces: tuple[str, ...] = ()
    browsable: bool = False
    setup_method: SetupMethod = SetupMethod.JUST_ADD
    create_methods: frozenset[CreateMethod] = frozenset({CreateMethod.USER})
    discovery_type: DiscoveryType = DiscoveryType.PRECISE
    param_types: tuple[ParamType, ...] = ()
    settings_types: tuple[ParamType, ...] = ()
    discovery_param_types: tuple[ParamType, ...] = ()
    state_types: tuple[StateType, ...] = ()
    event_types: tuple[EventType, ...] = ()
    declared_action_types: tuple[ActionType, ...] = ()
    browser_item_action_types: tuple[ActionType, ...] = ()
    # Filled in after construction: the lookups every call on a thing needs.
    interfaces: tuple[str, ...] = field(default=(), compare=False)
    action_types: tuple[ActionType, ...] = field(default=(), compare=False)
    # Keyed by the ids' ints: hashing a UUID is a Python call, and these run on every action and report.
    _state_types_by_id: dict[int, StateType] = field(default_factory=dict, compare=False, repr=False)
    _event_types_by_id: dict[int, EventType] = field(default_factory=dict, compare=False, repr=False)
    _action_types_by_id: dict[int, ActionType] = field(default_factory=dict, compare=False, repr=False)
    _state_types_by_name: dict[str, StateType] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        generated = tuple(action_type_for_state(st) for st in self.state_types if st.writable)
        object.__setattr__(self, "action_types", generated + self.declared_action_types)
        object.__setattr__(self, "interfaces", _interfaces.expand(self.declared_interfaces))
        self._state_types_by_id.update({st.id.int: st for st in self.state_types})
        self._state_types_by_name.update({st.name: st for st in self.state_types})
        self._event_types_by_id.update({et.id.int: et for et in self.event_types})
        self._action_types_by_id.update({at.id.int: at for at in self.action_types})

    def state_type(self, state_type_id: uuid.UUID) -> StateType | None:
        """The state type with this id, or None."""
        try:
            return self._state_types_by_id.get(state_type_id.int)
        except AttributeError:  # not a UUID: no such state type
            return None

    def state_type_named(self, name: str) -> StateType | None:
        """The state type with this name (as interfaces name states), or None."""
        return self._state_types_by_name.get(name)

    def event_type(self, event_type_id: uuid.UUID) -> EventType | None:
        """The event type with this id, or None."""
        try:
            return self._event_types_by_id.get(event_type_id.int)
        except AttributeError:
            return None

    def event_type_named(self, name: str) -> EventType | None:
        """The event type with this name, or None."""
        return next((et for et in self.event_types if et.name == name), None)

    def action_type(self, action_type_id: uuid.UUID) -> ActionType | None:
        """The action type with this id (state-generated ones included), or None."""
        try:
            return self._action_types_by_id.get(action_type_id.int)
        except AttributeError:
            return None

    def action_type_named(self, name: str) -> ActionType | None:
        """The action type with this name, or None."""
        return next((at for at in self.action_types if at.name == name), None)

    def browser_item_action_type(self, action_type_id: uuid.UUID) -> ActionType | None:
        """The browser item action type with this id, or None."""
        return next((at for at in self.browser_item_action_types if at.id == action_type_id), None)

    def param_type(self, param_type_id: uuid.UUID) -> ParamType | None:
        """The thing param type with this id, or None."""
        return next((pt for pt in self.param_types if pt.id == param_type_id), None)

    def param_type_named(self, name: str) -> ParamType | None:
        """The thing param type with this name, or None."""
        return next((pt for pt in self.param_types if pt.name == name), None)

    def params_named(self, values: Mapping[str, Any]) -> list[tuple[uuid.UUID, Any]]:
        """(param type id, value) pairs for values given by param name; unknown names and None are left out."""
        return [(pt.id, values[pt.name]) for pt in self.param_types if values.get(pt.name) is not None]

    def settings_type_named(self, name: str) -> ParamType | None:
        """The settings param type with this name, or None."""
        return next((pt for pt in self.settings_types if pt.name == name), None)

    def has_interface(self, interface: str) -> bool:
        """Whether the class offers this capability (parents included)."""
        return interface in self.interfaces


@dataclass(slots=True)
class State:
    """The current value of one state of a thing, with its dynamic limits."""

    value: Any
    min_value: Any = None
    max_value: Any = None
    possible_values: tuple[Any, ...] | None = None
    filter: StateValueFilter = StateValueFilter.NONE


@dataclass(slots=True, eq=False)
class Thing:
    """One device (or service) the hub knows: its class, params, settings and states."""

    id: uuid.UUID
    thing_class: ThingClass
    name: str
    params: ParamValues
    settings: ParamValues
    states: dict[uuid.UUID, State]
    parent_id: uuid.UUID | None = None
    auto_created: bool = False
    domain: str = "root"
    room: str = ""
    setup_status: ThingSetupStatus = ThingSetupStatus.NONE
    setup_error: Any = None  # a ThingError once setup failed; typed loosely to keep model free of errors
    setup_display_message: str = ""
    logged_state_type_ids: set[uuid.UUID] = field(default_factory=set)
    logged_event_type_ids: set[uuid.UUID] = field(default_factory=set)
    logged_action_type_ids: set[uuid.UUID] = field(default_factory=set)

    @property
    def thing_class_id(self) -> uuid.UUID:
        """Id of the thing's class."""
        return self.thing_class.id

    @property
    def plugin_id(self) -> uuid.UUID:
        """Id of the integration that runs the thing."""
        return self.thing_class.plugin_id

    @property
    def setup_complete(self) -> bool:
        """Whether the thing is set up and can be used."""
        return self.setup_status is ThingSetupStatus.COMPLETE

    def param(self, name: str) -> Any:
        """Value of the thing param with this name (KeyError if the class has none such)."""
        param_type = self.thing_class.param_type_named(name)
        if param_type is None:
            raise KeyError(f"thing class {self.thing_class.name!r} has no param {name!r}")
        return self.params.get(param_type.id, param_type.default_value)

    def setting(self, name: str) -> Any:
        """Value of the setting with this name (KeyError if the class has none such)."""
        param_type = self.thing_class.settings_type_named(name)
        if param_type is None:
            raise KeyError(f"thing class {self.thing_class.name!r} has no setting {name!r}")
        return self.settings.get(param_type.id, param_type.default_value)

    def state_value(self, name: str) -> Any:
        """Current value of the state with this name (KeyError if the class has none such)."""
        state_type = self.thing_class.state_type_named(name)
        if state_type is None:
            raise KeyError(f"thing class {self.thing_class.name!r} has no state {name!r}")
        return self.states[state_type.id].value


@dataclass(frozen=True, slots=True)
class IOConnection:
    """A link that makes an output state follow an input state."""

    id: uuid.UUID
    input_thing_id: uuid.UUID
    input_state_type_id: uuid.UUID
    output_thing_id: uuid.UUID
    output_state_type_id: uuid.UUID
    inverted: bool = False


@dataclass(frozen=True, slots=True)
class ThingDescriptor:
    """A thing found by discovery (or announced as auto thing), not yet added."""

    id: uuid.UUID
    thing_class_id: uuid.UUID
    title: str
    description: str = ""
    params: ParamValues = field(default_factory=dict)
    thing_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class BrowserItem:
    """An entry of a browsable thing's tree."""

    id: str
    display_name: str
    description: str = ""
    icon: BrowserIcon = BrowserIcon.NONE
    thumbnail: str = ""
    executable: bool = False
    browsable: bool = False
    disabled: bool = False
    action_type_ids: tuple[uuid.UUID, ...] = ()
    media_icon: MediaBrowserIcon | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event a thing raised, with its param values."""

    thing_id: uuid.UUID
    event_type_id: uuid.UUID
    params: ParamValues


class Action(msgspec.Struct, frozen=True):
    """A request for a thing to do something, with verified param values."""

    # A record built in C (frozen, with slots, as the dataclasses here): one is made per action, and
    # a frozen dataclass pays an object.__setattr__ call per field.
    thing_id: uuid.UUID
    action_type_id: uuid.UUID
    params: ParamValues
