"""Write small ETS project files (.knxproj) for import tests, in the layout xknxproject reads.

An ETS 6 project is a zip with `knx_master.xml`, `P-XXXX.signature`, `P-XXXX/project.xml`
(project information) and `P-XXXX/0.xml` (group addresses, group ranges, building structure).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from xknx.telegram import GroupAddress

NAMESPACE = "http://knx.org/xml/project/21"
PROJECT_ID = "P-0A1B"


@dataclass
class Ga:
    """A group address: "main/middle/sub", its name and DPT ("1.001", "9", or None for none)."""

    address: str
    name: str
    dpt: str | None


@dataclass
class Middle:
    """A middle group with its group addresses."""

    name: str
    addresses: list[Ga]


@dataclass
class Main:
    """A main group with its middle groups."""

    name: str
    middles: list[Middle]


@dataclass
class Room:
    """A room of the building with functions, each naming some group addresses."""

    name: str
    functions: dict[str, list[str]] = field(default_factory=dict)


LIVING_DIMMER: tuple[Ga, ...] = (
    Ga("1/0/1", "Living dimmer switch", "1.001"),
    Ga("1/0/2", "Living dimmer switch status", "1.001"),
    Ga("1/0/3", "Living dimmer brightness", "5.001"),
    Ga("1/0/4", "Living dimmer brightness status", "5.001"),
)
"""A dimmer's four group addresses (switch, brightness, each with its status), as the test projects share them."""


def _dpt_attribute(dpt: str | None) -> str:
    if dpt is None:
        return ""
    main, _, sub = dpt.partition(".")
    value = f"DPST-{int(main)}-{int(sub)}" if sub else f"DPT-{int(main)}"
    return f" DatapointType={quoteattr(value)}"


def write_knxproj(path: Path, *, name: str, mains: list[Main], rooms: tuple[Room, ...] = ()) -> Path:
    """Write a .knxproj with these group ranges and rooms; answers the path."""
    ids: dict[str, str] = {}
    counter = 0
    ranges_xml: list[str] = []
    for main in mains:
        middles_xml: list[str] = []
        main_number = GroupAddress(main.middles[0].addresses[0].address).main or 0
        for middle in main.middles:
            gas_xml = []
            for ga in middle.addresses:
                counter += 1
                ids[ga.address] = f"{PROJECT_ID}-0_GA-{counter}"
                raw = GroupAddress(ga.address).raw
                gas_xml.append(
                    f'<GroupAddress Id="{ids[ga.address]}" Address="{raw}" Name={quoteattr(ga.name)}'
                    f"{_dpt_attribute(ga.dpt)}/>"
                )
            first = GroupAddress(middle.addresses[0].address)
            start = (first.main << 11) | (first.middle << 8)  # type: ignore[operator]
            counter += 1
            middles_xml.append(
                f'<GroupRange Id="{PROJECT_ID}-0_GR-{counter}" Name={quoteattr(middle.name)} '
                f'RangeStart="{start}" RangeEnd="{start + 255}">{"".join(gas_xml)}</GroupRange>'
            )
        counter += 1
        start = main_number << 11
        ranges_xml.append(
            f'<GroupRange Id="{PROJECT_ID}-0_GR-{counter}" Name={quoteattr(main.name)} '
            f'RangeStart="{start}" RangeEnd="{start + 2047}">{"".join(middles_xml)}</GroupRange>'
        )
    rooms_xml: list[str] = []
    for room_index, room in enumerate(rooms, start=1):
        functions_xml = []
        for function_index, (function_name, addresses) in enumerate(room.functions.items(), start=1):
            function_id = f"{PROJECT_ID}-0_F-{room_index}{function_index}"
            refs = "".join(
                f'<GroupAddressRef Id="{function_id}_GAR-{n}" RefId="{ids[address]}" Name="" Role=""/>'
                for n, address in enumerate(addresses, start=1)
            )
            functions_xml.append(
                f'<Function Id="{function_id}" Name={quoteattr(function_name)} Type="FT-0">{refs}</Function>'
            )
        rooms_xml.append(
            f'<Space Id="{PROJECT_ID}-0_BP-{room_index + 1}" Name={quoteattr(room.name)} Type="Room">'
            f"{''.join(functions_xml)}</Space>"
        )
    master = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<KNX xmlns="{NAMESPACE}" CreatedBy="ETS6" ToolVersion="6.1">'
        '<MasterData Version="0" Signature=""><Manufacturers/><SpaceUsages/>'
        '<ProductLanguages><Language Identifier="en-US"/></ProductLanguages><FunctionTypes/><Languages/>'
        "</MasterData></KNX>\n"
    )
    project = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<KNX xmlns="{NAMESPACE}" CreatedBy="ETS6" ToolVersion="6.1"><Project Id="{PROJECT_ID}">'
        f'<ProjectInformation Name={quoteattr(name)} GroupAddressStyle="ThreeLevel" '
        'Guid="0a1b0000-0000-4000-8000-000000000001" LastModified="2024-01-01T00:00:00Z"/>'
        "</Project></KNX>\n"
    )
    zero = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<KNX xmlns="{NAMESPACE}" CreatedBy="ETS6" ToolVersion="6.1"><Project Id="{PROJECT_ID}">'
        '<Installations><Installation Name="" InstallationId="0"><Topology/>'
        f'<Locations><Space Id="{PROJECT_ID}-0_BP-1" Name="House" Type="Building">{"".join(rooms_xml)}</Space>'
        f"</Locations><GroupAddresses><GroupRanges>{''.join(ranges_xml)}</GroupRanges></GroupAddresses>"
        "</Installation></Installations></Project></KNX>\n"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("knx_master.xml", master)
        archive.writestr(f"{PROJECT_ID}.signature", "")
        archive.writestr(f"{PROJECT_ID}/project.xml", project)
        archive.writestr(f"{PROJECT_ID}/0.xml", zero)
    return path
