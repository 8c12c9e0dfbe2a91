"""ETS project import: the plan classifies group addresses into things; applying it adds them once."""

from __future__ import annotations

from pathlib import Path

import pytest
from xknx.dpt import DPTArray

from tests.integrations.knx.knxproj import LIVING_DIMMER, Ga, Main, Middle, Room, write_knxproj
from tests.integrations.knx.rig import FAST, FakeBus, started_hub, state
from thinggate.core.security import Principal, Scope
from thinggate.integrations.knx.importer import apply_import, plan_import


def _project(path: Path) -> Path:
    return write_knxproj(
        path,
        name="Test house",
        mains=[
            Main(
                "Lights",
                [
                    Middle(
                        "Living",
                        [
                            *LIVING_DIMMER,
                            Ga("1/0/5", "Ceiling light", "1.001"),
                            Ga("1/0/6", "Ceiling light Rückmeldung", "1.001"),
                            Ga("1/0/7", "Fountain pump", "1.001"),
                        ],
                    )
                ],
            ),
            Main(
                "Blinds",
                [
                    Middle(
                        "Kitchen",
                        [
                            Ga("2/1/1", "Kitchen blind up/down", "1.008"),
                            Ga("2/1/2", "Kitchen blind step", "1.007"),
                            Ga("2/1/3", "Kitchen blind stop", "1.010"),
                            Ga("2/1/4", "Kitchen blind position", "5.001"),
                            Ga("2/1/5", "Kitchen blind position status", "5.001"),
                            Ga("2/1/6", "Kitchen blind lamella", "5.001"),
                            Ga("2/1/7", "Kitchen blind lamella status", "5.001"),
                        ],
                    )
                ],
            ),
            Main(
                "Heating",
                [
                    Middle(
                        "Bath",
                        [
                            Ga("3/2/1", "Bath temperature", "9.001"),
                            Ga("3/2/2", "Bath setpoint", "9.001"),
                            Ga("3/2/3", "Bath setpoint status", "9.001"),
                            Ga("3/2/4", "Bath mode", "20.102"),
                            Ga("3/2/5", "Bath mode status", "20.102"),
                            Ga("3/2/6", "Outdoor temperature", "9.001"),
                        ],
                    )
                ],
            ),
            Main(
                "Central",
                [
                    Middle(
                        "Scenes",
                        [
                            Ga("4/0/1", "Evening scene 3", "17.001"),
                            Ga("4/0/2", "Clock", "10.001"),
                            Ga("4/0/3", "Mystery", None),
                        ],
                    )
                ],
            ),
        ],
        rooms=(Room("Living room", {"Dimmer": ["1/0/1", "1/0/3"]}),),
    )


def test_import_plan_classifies_the_project(tmp_path: Path) -> None:
    """Dimmer, blind, thermostat, light, switch, analog value and scene; time and no-DPT skipped."""
    plan = plan_import(_project(tmp_path / "house.knxproj"))
    assert plan.project_name == "Test house"
    by_class = {(t.thing_class, t.name): t for t in plan.things}
    assert sorted(by_class) == sorted(
        [
            ("knxDimmer", "Living dimmer"),
            ("knxLight", "Ceiling light"),
            ("knxSwitch", "Fountain pump"),
            ("knxBlind", "Kitchen blind"),
            ("knxThermostat", "Bath"),
            ("knxAnalogValue", "Outdoor temperature"),
            ("knxScene", "Evening scene 3"),
        ]
    )
    dimmer = by_class[("knxDimmer", "Living dimmer")]
    assert dimmer.room == "Living room"  # from the building structure
    assert dimmer.params == {
        "switchAddress": "1/0/1",
        "switchStateAddress": "1/0/2",
        "brightnessAddress": "1/0/3",
        "brightnessStateAddress": "1/0/4",
    }
    light = by_class[("knxLight", "Ceiling light")]
    assert light.params == {"address": "1/0/5", "stateAddress": "1/0/6", "invert": False}
    assert by_class[("knxSwitch", "Fountain pump")].params == {"address": "1/0/7", "invert": False}
    blind = by_class[("knxBlind", "Kitchen blind")]
    assert blind.room == "Kitchen"  # from the middle group
    assert blind.params == {
        "upDownAddress": "2/1/1",
        "stepAddress": "2/1/2",
        "stopAddress": "2/1/3",
        "positionAddress": "2/1/4",
        "positionStateAddress": "2/1/5",
        "angleAddress": "2/1/6",
        "angleStateAddress": "2/1/7",
    }
    assert by_class[("knxThermostat", "Bath")].params == {
        "temperatureAddress": "3/2/1",
        "targetTemperatureAddress": "3/2/2",
        "targetTemperatureStateAddress": "3/2/3",
        "operatingModeAddress": "3/2/4",
        "operatingModeStateAddress": "3/2/5",
    }
    assert by_class[("knxAnalogValue", "Outdoor temperature")].params["dpt"] == "9.001"
    assert by_class[("knxScene", "Evening scene 3")].params == {"address": "4/0/1", "sceneNumber": 3, "dpt": "17.001"}
    assert sorted(plan.skipped) == [
        ("4/0/2", "Clock", "no thing class for DPT 10.001 here"),
        ("4/0/3", "Mystery", "no DPT in the project"),
    ]


def test_import_of_a_file_that_is_no_project(tmp_path: Path) -> None:
    """Not a zip, or a zip without a project: ValueError naming the file."""
    junk = tmp_path / "junk.knxproj"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"junk\.knxproj"):
        plan_import(junk)


async def test_apply_import_adds_once(fake_bus: FakeBus, tmp_path: Path) -> None:
    """The planned things are added with their params and rooms; a second import adds nothing."""
    plan = plan_import(_project(tmp_path / "house.knxproj"))
    async with started_hub(fake_bus, FAST) as (hub, _knx, bus):
        seen: list[tuple[int, int]] = []
        summary = await apply_import(hub, plan, progress=lambda done, total: seen.append((done, total)))
        assert summary.failed == [] and summary.existing == []
        assert len(summary.added) == len(plan.things) == 7
        assert seen == [(n, 7) for n in range(1, 8)]
        blind = next(t for t in hub.things.values() if t.thing_class.name == "knxBlind")
        assert (blind.name, blind.room, blind.param("positionStateAddress")) == ("Kitchen blind", "Kitchen", "2/1/5")
        assert blind.id == plan.things[[t.name for t in plan.things].index("Kitchen blind")].thing_id
        again = await apply_import(hub, plan_import(tmp_path / "house.knxproj"))
        assert again.added == [] and sorted(again.existing) == sorted(summary.added)
        assert len(hub.things) == 7
        # The imported things work: the dimmer's brightness status arrives.
        dimmer = next(t for t in hub.things.values() if t.thing_class.name == "knxDimmer")
        await bus.incoming("1/0/4", DPTArray((0x80,)))
        assert state(dimmer, "brightness") == 50


async def test_apply_import_adds_as_the_principal_given_and_the_core_refuses_one_without_the_right(
    fake_bus: FakeBus, tmp_path: Path
) -> None:
    """The dashboard imports as its user: a user without ConfigureThings adds nothing."""
    plan = plan_import(_project(tmp_path / "house.knxproj"))
    async with started_hub(fake_bus, FAST) as (hub, _knx, _bus):
        looker = Principal(name="looker", scopes=Scope.ACCESS_ALL_THINGS)
        refused = await apply_import(hub, plan, principal=looker)
        assert refused.added == [] and len(refused.failed) == len(plan.things)
        assert all("looker may not add_thing" in message for _, message in refused.failed), refused.failed
        assert hub.things == {}
        builder = Principal(name="builder", scopes=Scope.CONFIGURE_THINGS | Scope.ACCESS_ALL_THINGS)
        summary = await apply_import(hub, plan, principal=builder)
        assert len(summary.added) == len(plan.things)
