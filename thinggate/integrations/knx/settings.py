"""The `[knx]` section of thinggate.toml: how to reach the bus and which things it has."""

from __future__ import annotations

import ipaddress
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from xknx.exceptions import CouldNotParseAddress
from xknx.telegram import IndividualAddress

from thinggate.core.errors import ThingFailure
from thinggate.core.guids import guid_of, thing_id_of
from thinggate.core.values import verify_value
from thinggate.integrations.knx.addresses import parse_group_address
from thinggate.integrations.knx.devices import CLASSES_BY_NAME
from thinggate.integrations.knx.ids import kid

CONNECTION_TYPES = ("tunneling", "routing", "automatic")
"""How the hub reaches the bus: a KNX/IP tunnel (UDP), multicast routing, or the first gateway found."""

_THING_KEYS = ("class", "name", "room", "guid")


def guid_to_uuid(guid: str) -> uuid.UUID:
    """The UUID behind a Thinknx GUID (22 characters of URL-safe base64, 16 bytes); ValueError if it is none."""
    thing_id = thing_id_of(guid) if isinstance(guid, str) else None
    if thing_id is None:
        raise ValueError(f"{guid!r} is not a Thinknx GUID (22 characters of URL-safe base64)")
    return thing_id


uuid_to_guid = guid_of
"""The Thinknx GUID of a UUID (its 16 bytes in URL-safe base64 without padding)."""


@dataclass(frozen=True, slots=True)
class ConfiguredThing:
    """A KNX thing declared in the configuration file, with its params by name."""

    thing_class: str
    name: str
    room: str = ""
    guid: str | None = None
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def thing_id(self) -> uuid.UUID:
        """Its id: the UUID of its Thinknx GUID, else one derived from its name."""
        if self.guid is not None:
            return guid_to_uuid(self.guid)
        return kid("configured", self.name)

    def param_dict(self) -> dict[str, Any]:
        """The given params as a dict by name."""
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class KnxSettings:
    """How to reach the KNX bus, and the things declared in the configuration file."""

    connection_type: str = "tunneling"
    gateway_ip: str = "127.0.0.1"
    gateway_port: int = 3671
    local_ip: str | None = None
    individual_address: str | None = None
    multicast_group: str = "224.0.23.12"
    multicast_port: int = 3671
    reconnect_seconds: float = 3.0
    rate_limit: int = 0
    heartbeat_seconds: float = 10.0
    """How often a tunnel is checked while idle (a gateway that vanished is noticed within this plus 2 s)."""
    things: tuple[ConfiguredThing, ...] = field(default=())


def _bad(key: str, value: Any, why: str) -> ValueError:
    return ValueError(f"knx.{key} = {value!r}: {why}")


def _text(raw: dict[str, Any], key: str, default: str | None) -> str | None:
    """A non-empty string without blanks (an address, a host or interface name), or None if absent."""
    value = raw.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or not value or any(char.isspace() for char in value):
        raise _bad(key, value, "must be a non-empty string without blanks")
    return value


def _port(raw: dict[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise _bad(key, value, "must be a port number 1..65535")
    return value


def _seconds(raw: dict[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise _bad(key, value, "must be a positive number of seconds")
    return float(value)


def _thing(index: int, entry: Any) -> ConfiguredThing:
    where = f"things[{index}]"
    if not isinstance(entry, dict):
        raise _bad(where, entry, "must be a table ([[knx.things]])")
    class_name = entry.get("class")
    thing_class = CLASSES_BY_NAME.get(class_name) if isinstance(class_name, str) else None
    if thing_class is None or not isinstance(class_name, str):
        raise _bad(f"{where}.class", class_name, f"must be one of {sorted(CLASSES_BY_NAME)}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _bad(f"{where}.name", name, "must be a non-empty string")
    room = entry.get("room", "")
    if not isinstance(room, str):
        raise _bad(f"{where}.room", room, "must be a string")
    guid = entry.get("guid")
    if guid is not None:
        try:
            guid_to_uuid(guid)
        except ValueError as exc:
            raise _bad(f"{where}.guid", guid, str(exc)) from None
    params: list[tuple[str, Any]] = []
    for key, value in entry.items():
        if key in _THING_KEYS:
            continue
        param_type = thing_class.param_type_named(key)
        if param_type is None:
            names = [pt.name for pt in thing_class.param_types]
            raise _bad(f"{where}.{key}", value, f"{class_name} has no such param (it has {names})")
        try:
            converted = verify_value(param_type, value)
        except ThingFailure as failure:
            raise _bad(f"{where}.{key}", value, failure.message) from None
        if key.endswith("Address") or key == "address":
            if converted:
                try:
                    converted = str(parse_group_address(converted))
                except ValueError as exc:
                    raise _bad(f"{where}.{key}", value, str(exc)) from None
        params.append((key, converted))
    given = {key for key, _ in params}
    missing = [pt.name for pt in thing_class.param_types if not pt.has_default and pt.name not in given]
    if missing:
        raise _bad(where, name, f"{class_name} needs {', '.join(missing)}")
    return ConfiguredThing(thing_class=class_name, name=name, room=room, guid=guid, params=tuple(params))


_KEYS = (
    "connection_type",
    "gateway_ip",
    "gateway_port",
    "local_ip",
    "individual_address",
    "multicast_group",
    "multicast_port",
    "reconnect_seconds",
    "rate_limit",
    "heartbeat_seconds",
    "things",
)


def parse_knx_section(raw: dict[str, Any]) -> KnxSettings:
    """Settings from a `[knx]` TOML table (with `[[knx.things]]`); ValueError naming the bad key and value."""
    if not isinstance(raw, dict):
        raise ValueError(f"[knx] must be a table, not {raw!r}")
    for key, value in raw.items():
        if key not in _KEYS:
            raise _bad(key, value, f"unknown key (known: {', '.join(_KEYS)})")
    defaults = KnxSettings()
    connection_type = raw.get("connection_type", defaults.connection_type)
    if connection_type not in CONNECTION_TYPES:
        raise _bad("connection_type", connection_type, f"must be one of {', '.join(CONNECTION_TYPES)}")
    individual_address = _text(raw, "individual_address", None)
    if individual_address is not None:
        try:
            IndividualAddress(individual_address)
        except CouldNotParseAddress:
            raise _bad("individual_address", individual_address, "must be an individual address like 1.1.250") from None
    multicast_group = raw.get("multicast_group", defaults.multicast_group)
    try:
        is_multicast = isinstance(multicast_group, str) and ipaddress.IPv4Address(multicast_group).is_multicast
    except ValueError:
        is_multicast = False
    if not is_multicast:
        raise _bad("multicast_group", multicast_group, "must be an IPv4 multicast address (224.0.0.0/4)")
    rate_limit = raw.get("rate_limit", defaults.rate_limit)
    if isinstance(rate_limit, bool) or not isinstance(rate_limit, int) or rate_limit < 0:
        raise _bad("rate_limit", rate_limit, "must be a whole number of telegrams per second (0 = no limit)")
    things_raw = raw.get("things", [])
    if not isinstance(things_raw, list):
        raise _bad("things", things_raw, "must be an array of tables ([[knx.things]])")
    things = tuple(_thing(index, entry) for index, entry in enumerate(things_raw))
    seen: dict[uuid.UUID, str] = {}
    for index, thing in enumerate(things):
        other = seen.get(thing.thing_id)
        if other is not None:
            why = "the same guid as" if thing.guid else "the same name as"
            raise _bad(f"things[{index}]", thing.guid or thing.name, f"has {why} {other!r}")
        seen[thing.thing_id] = thing.name
    # xknx resolves host names and takes interface names for the local side: only blanks are refused.
    gateway_ip = _text(raw, "gateway_ip", defaults.gateway_ip) or defaults.gateway_ip
    return KnxSettings(
        connection_type=connection_type,
        gateway_ip=gateway_ip,
        gateway_port=_port(raw, "gateway_port", defaults.gateway_port),
        local_ip=_text(raw, "local_ip", None),
        individual_address=individual_address,
        multicast_group=multicast_group,
        multicast_port=_port(raw, "multicast_port", defaults.multicast_port),
        reconnect_seconds=_seconds(raw, "reconnect_seconds", defaults.reconnect_seconds),
        rate_limit=rate_limit,
        heartbeat_seconds=_seconds(raw, "heartbeat_seconds", defaults.heartbeat_seconds),
        things=things,
    )
