"""ETS project import: group addresses of a .knxproj (read with xknxproject) become KNX things.

Group addresses are grouped by their middle group and a *name stem*: the name without the words
that only say which object of a device it is ("status", "switch", "brightness", "up/down", ...).
Within a group the DPTs tell the class: 1.008 is a blind, 20.102 or a 9.001 set point a
thermostat, 5.001 beside a 1.001 a dimmer, a lone 1.001 a switch (a light when the name says so);
what is left over alone becomes a scene (17.001/18.001) or an analog value (9.xxx/14.xxx), or is
listed as skipped with the reason. Names with a status word are paired as status addresses.

Each planned thing's id derives from the set of group addresses it uses, so importing the same
project again adds nothing twice.
"""

from __future__ import annotations

import math
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from xknxproject import XKNXProj
from xknxproject.exceptions import XknxProjectException

from thinggate.core.hub import Hub
from thinggate.core.security import SYSTEM, Principal
from thinggate.integrations.knx.addresses import parse_group_address
from thinggate.integrations.knx.codecs import numeric_transcoder
from thinggate.integrations.knx.devices import CLASSES_BY_NAME
from thinggate.integrations.knx.ids import kid

STATUS_WORDS = frozenset({"status", "state", "rückmeldung", "rueckmeldung", "rm", "feedback", "stato"})
"""Words that mark a status (feedback) address, in the languages ETS projects are commonly written in."""

LIGHT_WORDS = frozenset({"light", "lights", "licht", "leuchte", "luce", "luci", "lamp", "lampe", "lampada"})
"""Words that make a switched 1.001 a light rather than a switch."""

ANGLE_WORDS = frozenset({"lamella", "lamellas", "lamelle", "lamellen", "slat", "slats", "angle", "winkel", "tilt"})
"""Words that make a blind's 5.001 the lamella angle rather than the height."""

SETPOINT_WORDS = frozenset({"setpoint", "sollwert", "target", "set", "setpunkt", "consigne", "setpoints"})
"""Words that make a 9.001 a thermostat's set point rather than the room temperature."""

CHRONO_WORDS = frozenset({"chrono", "schedule", "zeitprogramm", "wochenprogramm", "programma", "cronotermostato"})
"""Words that make a 1-bit object a thermostat's week schedule switch."""

STOP_WORDS = frozenset({"stop", "halt", "stopp"})
"""Words that make a 1-bit object a blind's stop."""

ROLE_WORDS = (
    STATUS_WORDS
    | ANGLE_WORDS
    | SETPOINT_WORDS
    | STOP_WORDS
    | frozenset(
        {
            "switch",
            "switching",
            "schalten",
            "on",
            "off",
            "ein",
            "aus",
            "dimming",
            "dimmen",
            "dim",
            "value",
            "wert",
            "brightness",
            "helligkeit",
            "luminosità",
            "up",
            "down",
            "auf",
            "ab",
            "updown",
            "move",
            "fahren",
            "step",
            "schritt",
            "position",
            "höhe",
            "height",
            "point",
            "temperature",
            "temperatur",
            "temp",
            "actual",
            "ist",
            "mode",
            "betriebsart",
            "modus",
            "operating",
            "absolute",
            "percent",
        }
    )
)
"""Words that name an object of a device rather than the device: dropped from the name stem."""

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _words(name: str) -> list[str]:
    return _WORD.findall(name)


class PlannedThing(NamedTuple):
    """A thing the import would add: its class name, name, room and params by name."""

    thing_class: str
    name: str
    room: str
    params: dict[str, Any]

    @property
    def addresses(self) -> tuple[str, ...]:
        """The group addresses it uses, sorted."""
        found = {
            value
            for key, value in self.params.items()
            if isinstance(value, str) and value and (key == "address" or key.endswith("Address"))
        }
        return tuple(sorted(found, key=lambda text: parse_group_address(text).raw))

    @property
    def thing_id(self) -> uuid.UUID:
        """Its id, derived from the group addresses it uses (a second import finds it again)."""
        return kid("import", ",".join(self.addresses))


@dataclass
class ImportPlan:
    """What an import would add, and the group addresses it would leave out with the reason."""

    project_name: str
    things: list[PlannedThing] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    """(group address, name, reason) of the addresses no thing uses."""


@dataclass
class ImportSummary:
    """What apply_import did: ids added, ids that existed already, and (name, message) failures."""

    added: list[uuid.UUID] = field(default_factory=list)
    existing: list[uuid.UUID] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Address:
    """One group address of the project, with what its name and DPT say."""

    address: str
    name: str
    main: int | None
    sub: int | None
    room: str
    group: str
    words: frozenset[str]

    @property
    def status(self) -> bool:
        return bool(self.words & STATUS_WORDS)

    def is_dpt(self, main: int, sub: int | None = None) -> bool:
        # A project that gives only the main number (DPT-1) leaves the sub type open: it counts.
        return self.main == main and (sub is None or self.sub in (sub, None))

    @property
    def dpt(self) -> str:
        if self.main is None:
            return "none"
        return f"{self.main}.{self.sub:03d}" if self.sub is not None else str(self.main)


def _spaces(locations: dict[str, Any], found: dict[str, str] | None = None) -> dict[str, str]:
    """Space id -> space name for every space of the project."""
    found = {} if found is None else found
    for space in locations.values():
        found[space["identifier"]] = space["name"]
        _spaces(space.get("spaces", {}), found)
    return found


def _ranges(ranges: dict[str, Any], parents: tuple[str, ...] = ()) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Group address -> (key of its innermost group range, names of the ranges around it)."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for key, group_range in ranges.items():
        names = (*parents, group_range["name"])
        for address in group_range.get("group_addresses", []):
            found[address] = (key, names)
        found.update(_ranges(group_range.get("group_ranges", {}), names))
    return found


def _stem(words: Iterable[str]) -> str:
    return " ".join(word for word in words if word.lower() not in ROLE_WORDS)


def _thing_name(members: list[_Address], fallback: str) -> str:
    if len(members) == 1 and members[0].name:
        return members[0].name  # one object alone: its whole name is the thing's
    for member in sorted(members, key=lambda m: m.status):
        stem = _stem(_words(member.name))
        if stem:
            return stem
    return fallback


class _Group:
    """The group addresses of one middle group and name stem, consumed as things take them."""

    def __init__(self, members: list[_Address]) -> None:
        self.left = list(members)

    def take(self, test: Callable[[_Address], bool], *, status: bool) -> _Address | None:
        for member in self.left:
            if member.status == status and test(member):
                self.left.remove(member)
                return member
        return None

    def has(self, test: Callable[[_Address], bool]) -> bool:
        return any(test(member) for member in self.left)


def _params(**given: _Address | None) -> dict[str, str]:
    return {name: member.address for name, member in given.items() if member is not None}


def _room(members: list[_Address]) -> str:
    return next((member.room for member in members if member.room), "")


def _plan_group(group: _Group, plan: ImportPlan) -> None:
    def planned(class_name: str, members: dict[str, _Address | None], **extra: Any) -> None:
        used = [member for member in members.values() if member is not None]
        fallback = used[0].name if used else class_name
        plan.things.append(
            PlannedThing(class_name, _thing_name(used, fallback), _room(used), {**_params(**members), **extra})
        )

    def one_bit(member: _Address) -> bool:
        return member.main == 1

    while group.left:
        if group.has(lambda m: m.is_dpt(1, 8)):

            def position(m: _Address) -> bool:
                return m.is_dpt(5, 1) and not m.words & ANGLE_WORDS

            def angle(m: _Address) -> bool:
                return m.is_dpt(5, 1) and bool(m.words & ANGLE_WORDS)

            members = {
                "upDownAddress": group.take(lambda m: m.is_dpt(1, 8), status=False)
                or group.take(lambda m: m.is_dpt(1, 8), status=True),
                "stepAddress": group.take(lambda m: m.is_dpt(1, 7), status=False),
                "stopAddress": group.take(
                    lambda m: m.is_dpt(1, 10) or m.is_dpt(1, 17) or (one_bit(m) and bool(m.words & STOP_WORDS)),
                    status=False,
                ),
                "positionAddress": group.take(position, status=False),
                "positionStateAddress": group.take(position, status=True),
                "angleAddress": group.take(angle, status=False),
                "angleStateAddress": group.take(angle, status=True),
            }
            planned("knxBlind", members)
            continue

        def setpoint(m: _Address) -> bool:
            return m.is_dpt(9, 1) and bool(m.words & SETPOINT_WORDS)

        if group.has(lambda m: m.is_dpt(20, 102)) or group.has(setpoint):

            def room_temperature(m: _Address) -> bool:
                return m.is_dpt(9, 1) and not m.words & SETPOINT_WORDS

            def chrono(m: _Address) -> bool:
                return one_bit(m) and bool(m.words & CHRONO_WORDS)

            members = {
                "temperatureAddress": group.take(room_temperature, status=True)
                or group.take(room_temperature, status=False),
                "targetTemperatureAddress": group.take(setpoint, status=False),
                "targetTemperatureStateAddress": group.take(setpoint, status=True),
                "operatingModeAddress": group.take(lambda m: m.is_dpt(20, 102), status=False),
                "operatingModeStateAddress": group.take(lambda m: m.is_dpt(20, 102), status=True),
                "chronoAddress": group.take(chrono, status=False),
                "chronoStateAddress": group.take(chrono, status=True),
            }
            planned("knxThermostat", members)
            continue

        def switch(m: _Address) -> bool:
            return m.is_dpt(1, 1)

        if group.has(lambda m: m.is_dpt(5, 1)) and group.has(switch):
            members = {
                "switchAddress": group.take(switch, status=False),
                "switchStateAddress": group.take(switch, status=True),
                "brightnessAddress": group.take(lambda m: m.is_dpt(5, 1), status=False),
                "brightnessStateAddress": group.take(lambda m: m.is_dpt(5, 1), status=True),
            }
            planned("knxDimmer", members)
            continue

        if group.has(lambda m: switch(m) and not m.status):
            command = group.take(switch, status=False)
            assert command is not None
            state = group.take(switch, status=True)
            words = {word.lower() for member in (command, state) if member for word in _words(member.name)}
            class_name = "knxLight" if words & LIGHT_WORDS else "knxSwitch"
            planned(class_name, {"address": command, "stateAddress": state}, invert=False)
            continue

        first = group.left[0]
        if first.is_dpt(17, 1) or first.is_dpt(18, 1):
            group.left.remove(first)
            numbers = [int(word) for word in _words(first.name) if word.isdigit() and 1 <= int(word) <= 64]
            plan.things.append(
                PlannedThing(
                    "knxScene",
                    first.name or first.address,
                    first.room,
                    {
                        "address": first.address,
                        "sceneNumber": numbers[-1] if numbers else 1,
                        "dpt": "18.001" if first.main == 18 else "17.001",
                    },
                )
            )
            continue

        if first.main in (9, 14):
            group.left.remove(first)

            # Pair a value with its status partner of the same DPT, whichever came first.
            def same_dpt(m: _Address, f: _Address = first) -> bool:
                return m.main == f.main and m.sub == f.sub

            partner = group.take(same_dpt, status=not first.status)
            command, state = (partner, first) if first.status else (first, partner)
            low, high = _dpt_range(first.dpt)
            planned(
                "knxAnalogValue",
                {"address": command, "stateAddress": state},
                dpt=first.dpt,
                minValue=low,
                maxValue=high,
            )
            continue

        group.left.remove(first)
        if first.main is None:
            reason = "no DPT in the project"
        elif first.status and first.main == 1:
            reason = f"status address without a command address (DPT {first.dpt})"
        else:
            reason = f"no thing class for DPT {first.dpt} here"
        plan.skipped.append((first.address, first.name, reason))


def _dpt_range(dpt: str) -> tuple[float, float]:
    """A finite range for an analog value of a DPT (4-byte floats have none of their own)."""
    try:
        transcoder = numeric_transcoder(dpt)
    except ValueError:
        return (0.0, 100.0)
    low = float(transcoder.value_min) if math.isfinite(transcoder.value_min) else -1e9
    high = float(transcoder.value_max) if math.isfinite(transcoder.value_max) else 1e9
    return (low, high)


def plan_import(path: Path, *, password: str | None = None, language: str | None = None) -> ImportPlan:
    """Read a .knxproj and classify its group addresses into KNX things (ValueError if it cannot be read)."""
    try:
        project = XKNXProj(path, password=password, language=language).parse()
    except (XknxProjectException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ValueError(f"{path}: not a readable ETS project ({type(exc).__name__}: {exc})") from None
    spaces = _spaces(project.get("locations", {}))
    room_of: dict[str, str] = {}
    for function in project.get("functions", {}).values():
        space = spaces.get(function.get("space_id", ""), "")
        for address in function.get("group_addresses", {}):
            room_of.setdefault(address, space)
    ranges = _ranges(project.get("group_ranges", {}))
    plan = ImportPlan(project_name=project["info"].get("name", ""))
    groups: dict[tuple[str, str], list[_Address]] = {}
    for text, entry in project["group_addresses"].items():
        try:
            canonical = str(parse_group_address(str(entry["raw_address"])))
        except ValueError:
            plan.skipped.append((text, entry.get("name", ""), "not a usable group address"))
            continue
        dpt: dict[str, Any] = dict(entry.get("dpt") or {})
        range_key, range_names = ranges.get(text, ("", ()))
        # A room from the building structure wins; else the innermost group range names it.
        room = room_of.get(text) or (range_names[-1] if range_names else "")
        words = _words(entry.get("name", ""))
        member = _Address(
            address=canonical,
            name=entry.get("name", ""),
            main=dpt.get("main"),
            sub=dpt.get("sub"),
            room=room,
            group=range_key,
            words=frozenset(word.lower() for word in words),
        )
        groups.setdefault((range_key, _stem(word.lower() for word in words)), []).append(member)
    for key in sorted(groups):
        _plan_group(_Group(groups[key]), plan)
    return plan


async def apply_import(
    hub: Hub,
    plan: ImportPlan,
    *,
    principal: Principal = SYSTEM,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Add the planned things to the hub as `principal` (the core checks it may), skipping those that exist
    already (same group addresses)."""
    summary = ImportSummary()
    total = len(plan.things)
    for done, planned in enumerate(plan.things, start=1):
        thing_id = planned.thing_id
        thing_class = CLASSES_BY_NAME.get(planned.thing_class)
        if thing_id in hub.things:
            summary.existing.append(thing_id)
        elif thing_class is None:
            summary.failed.append((planned.name, f"no KNX thing class {planned.thing_class!r}"))
        else:
            result = await hub.add_thing(
                principal,
                name=planned.name,
                thing_class_id=thing_class.id,
                params=thing_class.params_named(planned.params),
                room=planned.room,
                thing_id=thing_id,
            )
            if result.ok:
                summary.added.append(thing_id)
            else:
                summary.failed.append((planned.name, f"{result.error.value}: {result.message}"))
        if progress is not None:
            progress(done, total)
    return summary
