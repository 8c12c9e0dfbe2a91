"""The [knx] settings section: defaults, a full section, bad values named, canonical GUIDs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integrations.knx.rig import GUID
from thinggate.integrations.knx import KnxSettings, parse_knx_section
from thinggate.integrations.knx.ids import NAMESPACE
from thinggate.integrations.knx.settings import guid_to_uuid, uuid_to_guid


def test_settings_defaults_and_a_full_section() -> None:
    """Defaults as documented; every key of the section lands in the settings, params converted."""
    assert parse_knx_section({}) == KnxSettings()
    assert KnxSettings().connection_type == "tunneling" and KnxSettings().gateway_port == 3671
    settings = parse_knx_section(
        {
            "connection_type": "routing",
            "gateway_ip": "192.168.1.10",
            "gateway_port": 3672,
            "local_ip": "192.168.1.2",
            "individual_address": "1.1.250",
            "multicast_group": "224.0.23.13",
            "multicast_port": 3673,
            "reconnect_seconds": 1.5,
            "rate_limit": 20,
            "things": [
                {"class": "knxSwitch", "name": "Pump", "room": "Garden", "address": "1/1", "invert": True},
                {"class": "knxBlind", "name": "Blind", "guid": GUID, "upDownAddress": "2/0/1"},
            ],
        }
    )
    assert (settings.connection_type, settings.gateway_ip, settings.gateway_port) == ("routing", "192.168.1.10", 3672)
    assert (settings.local_ip, settings.individual_address) == ("192.168.1.2", "1.1.250")
    assert (settings.multicast_group, settings.multicast_port) == ("224.0.23.13", 3673)
    assert (settings.reconnect_seconds, settings.rate_limit) == (1.5, 20)
    pump, blind = settings.things
    assert (pump.thing_class, pump.name, pump.room, pump.guid) == ("knxSwitch", "Pump", "Garden", None)
    assert pump.param_dict() == {"address": "1/0/1", "invert": True}
    assert pump.thing_id == uuid.uuid5(NAMESPACE, "configured/Pump")
    assert blind.thing_id == guid_to_uuid(GUID) and uuid_to_guid(blind.thing_id) == GUID


BAD_SECTIONS: list[tuple[dict[str, Any], str]] = [
    ({"connection_type": "tcp"}, "connection_type = 'tcp'"),
    ({"gateway_port": 70000}, "gateway_port = 70000"),
    ({"gateway_port": "3671"}, "gateway_port = '3671'"),
    ({"reconnect_seconds": 0}, "reconnect_seconds = 0"),
    ({"rate_limit": -1}, "rate_limit = -1"),
    ({"multicast_group": "10.0.0.1"}, "multicast_group = '10.0.0.1'"),
    ({"individual_address": "1/1/1"}, "individual_address = '1/1/1'"),
    ({"gatway_ip": "1.2.3.4"}, "gatway_ip = '1.2.3.4'"),
    ({"things": [{"class": "knxToaster", "name": "T"}]}, "things[0].class = 'knxToaster'"),
    ({"things": [{"class": "knxSwitch", "address": "1/0/1"}]}, "things[0].name = None"),
    ({"things": [{"class": "knxSwitch", "name": "S", "address": "x/y/z"}]}, "things[0].address = 'x/y/z'"),
    ({"things": [{"class": "knxSwitch", "name": "S", "adress": "1/0/1"}]}, "things[0].adress = '1/0/1'"),
    ({"things": [{"class": "knxSwitch", "name": "S"}]}, "needs address"),
    ({"things": [{"class": "knxSwitch", "name": "S", "address": "1/0/1", "invert": "maybe"}]}, "invert = 'maybe'"),
    ({"things": [{"class": "knxScene", "name": "S", "address": "1/0/1", "sceneNumber": 65}]}, "sceneNumber = 65"),
    ({"things": [{"class": "knxSwitch", "name": "S", "address": "1/0/1", "guid": "short"}]}, "guid = 'short'"),
    (
        {
            "things": [
                {"class": "knxSwitch", "name": "S", "address": "1/0/1"},
                {"class": "knxLight", "name": "S", "address": "1/0/2"},
            ]
        },
        "things[1]",
    ),
]


@pytest.mark.parametrize(("raw", "named"), BAD_SECTIONS, ids=[n for _, n in BAD_SECTIONS])
def test_a_bad_section_names_the_key_and_value(raw: dict[str, Any], named: str) -> None:
    """ValueError whose message says which key has which bad value."""
    with pytest.raises(ValueError) as refused:
        parse_knx_section(raw)
    assert named in str(refused.value)


def test_guids_are_canonical_22_character_base64() -> None:
    """A GUID is 16 bytes: other lengths, alphabets and non-canonical spellings are refused."""
    assert uuid_to_guid(guid_to_uuid(GUID)) == GUID
    for bad in ("", "1lzPszHWAeuvzxtXBMkzW", "1lzPszHWAeuvzxtXBMkzW+", "1lzPszHWAeuvzxtXBMkzWR"):
        with pytest.raises(ValueError):
            guid_to_uuid(bad)
