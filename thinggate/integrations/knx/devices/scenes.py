"""KNX scenes: launching writes a scene number."""

from __future__ import annotations

from xknx.dpt import DPTBinary
from xknx.telegram import GroupAddress

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import Action, BasicType, Thing
from thinggate.integrations.knx import builder
from thinggate.integrations.knx.codecs import DECODE_ERRORS, Payload, SceneCodec
from thinggate.integrations.knx.devices.base import Bus, KnxDevice, Origin, encoded

_SCENE = "knxScene"
_SCENE_LAUNCH = builder.action(_SCENE, "launch", "Launch")
_SCENE_STOP = builder.action(_SCENE, "stop", "Stop")


class KnxScene(KnxDevice):
    """A KNX scene: launching writes its number (DPT 17.001 or 18.001) to the scene address."""

    thing_class = builder.thing_class(
        _SCENE,
        "KNX scene",
        interfaces=("scene", "connectable"),
        params=(
            builder.address_param(_SCENE, "address", "Scene group address", required=True),
            builder.param(
                _SCENE, "sceneNumber", BasicType.INT, 1, display_name="Scene number", min_value=1, max_value=64
            ),
            builder.param(
                _SCENE,
                "dpt",
                BasicType.STRING,
                "17.001",
                display_name="Datapoint type",
                allowed_values=("17.001", "18.001"),
            ),
            builder.address_param(_SCENE, "stopAddress", "Stop group address (1 bit, optional)"),
        ),
        states=(builder.connected_state(_SCENE),),
        events=(builder.event(_SCENE, "launched", "Launched"),),
        actions=(_SCENE_LAUNCH, _SCENE_STOP),
    )
    commands = {"launch": "address", "stop": "stopAddress"}
    event_addresses = {"launched": "address"}

    @staticmethod
    def codec(thing: Thing) -> SceneCodec:
        """The scene number codec for the thing's DPT."""
        try:
            return SceneCodec(str(thing.param("dpt")))
        except ValueError as exc:
            raise ThingFailure(ThingError.INVALID_PARAMETER, f"param 'dpt': {exc}") from None

    def validate(self, thing: Thing) -> dict[str, GroupAddress]:
        """The DPT must be a scene DPT."""
        self.codec(thing)
        return super().validate(thing)

    def on_telegram(self, bus: Bus, thing: Thing, param: str, payload: Payload, origin: Origin) -> None:
        """The scene's number on its address (recalled, not learnt) raises `launched`."""
        if param != "address":
            return
        try:
            number = self.codec(thing).decode(payload)
        except DECODE_ERRORS:
            return
        if number is not None and number == int(thing.param("sceneNumber")):
            bus.report_event(thing, "launched")

    async def execute(self, bus: Bus, thing: Thing, action: Action) -> None:
        """Launch writes the scene number; stop writes 0 to the stop address if there is one."""
        if action.action_type_id == _SCENE_LAUNCH.id:
            payload = encoded(self.codec(thing), thing.param("sceneNumber"))
            await bus.bus_write(thing, self._address(thing, "address"), payload)
        elif action.action_type_id == _SCENE_STOP.id:
            # KNX scenes are instantaneous: a recall sets values and is over. Only installations
            # with a dedicated stop object (e.g. for a running light sequence) have anything to stop.
            if self._has(thing, "stopAddress"):
                await bus.bus_write(thing, self._address(thing, "stopAddress"), DPTBinary(0))
        else:
            raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND, f"{thing.thing_class.name} cannot run this action")
