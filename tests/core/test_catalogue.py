"""The capability catalogue: a class that claims an interface must implement it, or its integration is refused."""

from __future__ import annotations

import uuid

import pytest

from thinggate.core.hub import Hub
from thinggate.core.integration import Integration
from thinggate.core.interfaces import InterfaceMismatch
from thinggate.core.model import BasicType, PluginInfo, ThingClass, Unit, Vendor
from thinggate.integrations.knx import KnxIntegration
from thinggate.integrations.knx.settings import KnxSettings
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.integrations.virtual import builder as vb
from thinggate.storage.memory import MemoryStore

_PLUGIN = PluginInfo(id=uuid.uuid5(uuid.NAMESPACE_URL, "thinggate-tests/catalogue"), name="catalogue", display_name="C")
_VENDOR = Vendor(id=uuid.uuid5(uuid.NAMESPACE_URL, "thinggate-tests/catalogue/vendor"), name="c", display_name="C")


def _integration_with(thing_class: ThingClass) -> Integration:
    """An integration offering the one class."""

    class Offering(Integration):
        plugin = _PLUGIN
        vendors = (_VENDOR,)
        thing_classes = (thing_class,)

    return Offering()


def test_a_class_lacking_a_state_of_its_interface_is_refused_at_register() -> None:
    """A dimmable light without brightness is refused, the error names class, interface and state, nothing is kept."""
    dimmer = vb.thing_class(
        "brightlessDimmer",
        "Dimmer without brightness",
        interfaces=("dimmablelight",),
        states=(vb.interface_state("brightlessDimmer", "power", "power", False),),
    )
    hub = Hub(store=MemoryStore())
    with pytest.raises(InterfaceMismatch) as refused:
        hub.register(_integration_with(dimmer))
    message = str(refused.value)
    assert "brightlessDimmer" in message and "'dimmablelight'" in message and "'brightness'" in message
    assert _PLUGIN.id not in hub.integrations
    assert dimmer.id not in hub.thing_classes


def test_a_class_lacking_an_action_or_with_a_read_only_state_is_refused_at_register() -> None:
    """A blind that cannot stop and whose position cannot be written is refused with both faults named."""
    blind = vb.thing_class(
        "stuckBlind",
        "Blind that cannot stop",
        interfaces=("extendedblind",),
        states=(
            vb.interface_state("stuckBlind", "extendedclosable", "moving", False),
            vb.state("stuckBlind", "percentage", BasicType.INT, 0, unit=Unit.PERCENTAGE, min_value=0, max_value=100),
        ),
        actions=(vb.action("stuckBlind", "open"), vb.action("stuckBlind", "close")),
    )
    hub = Hub(store=MemoryStore())
    with pytest.raises(InterfaceMismatch) as refused:
        hub.register(_integration_with(blind))
    message = str(refused.value)
    assert "'closable' needs action 'stop'" in message
    assert "'extendedclosable' needs state 'percentage' writable" in message
    assert _PLUGIN.id not in hub.integrations


def test_every_shipped_class_passes_at_register() -> None:
    """The KNX integration and the virtual one (house and test bed) register: every class implements its interfaces."""
    hub = Hub(store=MemoryStore())
    knx = KnxIntegration(settings=KnxSettings())
    virtual = VirtualIntegration(house=True, testbed=True)
    hub.register(knx)
    hub.register(virtual)
    shipped = {thing_class.id for thing_class in (*knx.thing_classes, *virtual.thing_classes)}
    assert set(hub.thing_classes) == shipped and len(shipped) > 30


def test_interface_states_carry_the_catalogue_display_name_and_unit() -> None:
    """A state declared from its interface gets the catalogue's display name, unit and range; a device's own wins."""
    humidity = vb.interface_state("someSensor", "humiditysensor", "humidity", 50.0)
    assert (humidity.display_name, humidity.unit, humidity.min_value, humidity.max_value) == (
        "Humidity",
        Unit.PERCENTAGE,
        0.0,
        100.0,
    )
    assert humidity.type is BasicType.DOUBLE and not humidity.writable
    angle = vb.interface_state(
        "someBlind", "venetianblind", "angle", 0, unit=Unit.PERCENTAGE, min_value=0, max_value=100
    )
    assert (angle.unit, angle.min_value, angle.max_value, angle.writable) == (Unit.PERCENTAGE, 0, 100, True)
    with pytest.raises(KeyError):
        vb.interface_state("someSensor", "humiditysensor", "moisture", 0.0)
