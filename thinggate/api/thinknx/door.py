"""The Thinknx Integration Kit door: `api/V1/<controller>` calls translated to core calls.

Device controllers (controllers.py) find the thing by GUID and the state or action by
interface; values are checked by the core, which answers the errors mapped in errors.py.
System controllers (system.py) write raw KNX telegrams and report the server status.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from thinggate.api.metering import RequestMeter, metered
from thinggate.api.thinknx import errors
from thinggate.api.thinknx.codecs import parse_integer
from thinggate.api.thinknx.controllers import CONTROLLERS, Controller, Kind
from thinggate.api.thinknx.hooks import HookRegistry
from thinggate.api.thinknx.system import SYSTEM_CONTROLLERS, RawBus, SystemCalls
from thinggate.core.feedback import execute_confirmed
from thinggate.core.guids import thing_id_of
from thinggate.core.hub import Hub, Result
from thinggate.core.model import State, StateType, Thing
from thinggate.core.security import Principal

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ThinknxSettings:
    """Door settings: how long `fb` waits for the device, the rate limit, digest nonce lifetime."""

    feedback_seconds: float = 3.0
    rate_limit: str = "100/second"  # per client address (per key in the cloud form); "" = none
    nonce_seconds: float = 300.0
    version: str = "0.1.0"


class ThinknxDoor:
    """The API's behaviour, independent of the HTTP server around it."""

    def __init__(
        self,
        *,
        hub: Hub,
        settings: ThinknxSettings,
        raw_bus: RawBus | None = None,
        client_count: Callable[[], int] = lambda: 0,
    ) -> None:
        self.hub = hub
        self.settings = settings
        self.system = SystemCalls(
            raw_bus=raw_bus, version=settings.version, client_count=client_count, started=time.time()
        )
        self.system.follow(hub.bus)
        self.hooks: HookRegistry | None = None  # set by whoever starts the door with a store
        self.meter: RequestMeter | None = None
        """Counts and times each controller's requests for /metrics (set by the factory when metrics are on)."""

    def close(self) -> None:
        """Stop following the hub."""
        self.system.unfollow()

    async def call(self, principal: Principal, path: str, params: dict[str, str | None]) -> dict[str, Any]:
        """Answer `api/V1/<path>` (path lower-case, e.g. "powerstatus" or "system/sendknxbit")."""
        if self.meter is None:
            return await self._call(principal, path, params)
        # Labelled by the controller when there is one by that name: never by a path a client made up.
        known = path in CONTROLLERS or path in SYSTEM_CONTROLLERS
        method = path if known else "hooks" if path.startswith("hooks/") else "(no controller)"
        return await metered(self._call(principal, path, params), self.meter, "thinknx", method)

    async def _call(self, principal: Principal, path: str, params: dict[str, str | None]) -> dict[str, Any]:
        controller = CONTROLLERS.get(path)
        if controller is not None:
            return await self._device_call(principal, controller, params)
        system_call = SYSTEM_CONTROLLERS.get(path)
        if system_call is not None:
            return await self.system.call(principal, system_call, params)
        if path.startswith("hooks/") and self.hooks is not None:
            return await self.hooks.call(principal, path.removeprefix("hooks/"), params)
        raise errors.params_errors(f"there is no controller {path!r}")

    # -- device controllers --------------------------------------------------------------------

    def thing_for(self, principal: Principal, guid: str | None) -> Thing:
        """The thing a GUID names, if the principal may see it (404 otherwise)."""
        if not guid:
            raise errors.params_errors("guid is missing")
        thing_id = thing_id_of(guid)
        thing = self.hub.visible_thing(principal, thing_id)
        if thing is None:
            raise errors.device_not_found(f"no device with guid {guid!r}")
        return thing

    async def _device_call(
        self, principal: Principal, controller: Controller, params: dict[str, str | None]
    ) -> dict[str, Any]:
        thing = self.thing_for(principal, params.get("guid"))
        if not thing.thing_class.has_interface(controller.interface):
            raise errors.params_errors(f"{thing.name!r} has no {controller.interface} capability for {controller.name}")
        # thing_for only accepts a GUID in its one canonical spelling: answer it as given.
        body: dict[str, Any] = {"namespace": controller.name, "guid": params["guid"]}
        if controller.kind is Kind.COMMAND:
            type_id = await self._command(principal, thing, controller, params)
            body["comm_obj"] = self.comm_obj(thing, type_id)
            return body
        state_type = thing.thing_class.state_type_named(controller.state)
        if state_type is None:  # a class claiming the interface without its state: a bug there
            raise errors.params_errors(f"{thing.thing_class.name} lacks the state {controller.state!r}")
        state = thing.states[state_type.id]
        codec = controller.codec
        assert codec is not None  # status and set controllers always have one
        if controller.kind is Kind.STATUS:
            self._reachable(thing)
            body["status"] = codec.status(state.value, state, state_type)
        else:
            param = controller.param if controller.param in params else ("val" if controller.param == "cmd" else "cmd")
            value = codec.parse(param, params.get(param), state, state_type)
            self._reachable(thing)  # after the params: a malformed request is 400 whatever the device does
            if "fb" in params:
                confirmed = await execute_confirmed(
                    self.hub,
                    principal,
                    thing_id=thing.id,
                    action_type_id=state_type.id,
                    params=[(state_type.id, value)],
                    state_type_id=state_type.id,
                    expected=value,
                    within=self.settings.feedback_seconds,
                )
                _check(confirmed)
                body["status"] = codec.status(confirmed.value, state, state_type)
            else:
                _check(await self.hub.execute_action(principal, thing.id, state_type.id, [(state_type.id, value)]))
        body["comm_obj"] = self.comm_obj(thing, state_type.id)
        return body

    async def _command(
        self, principal: Principal, thing: Thing, controller: Controller, params: dict[str, str | None]
    ) -> uuid.UUID:
        text = params.get("cmd", params.get("val"))
        if text is None and controller.cmd_optional:
            text = str(next(iter(controller.commands)))
        choices = controller.commands
        cmd = parse_integer("cmd", text, min(choices), max(choices))
        if cmd not in choices:
            raise errors.params_errors(f"cmd={cmd} is not one of {sorted(choices)}")
        action_type = thing.thing_class.action_type_named(choices[cmd])
        if action_type is None:
            raise errors.params_errors(f"{thing.thing_class.name} has no action {choices[cmd]!r}")
        self._reachable(thing)
        _check(await self.hub.execute_action(principal, thing.id, action_type.id, ()))
        return action_type.id

    def _reachable(self, thing: Thing) -> None:
        """A device that is not set up or not connected can neither be read nor commanded: 500."""
        if not thing.setup_complete:
            raise errors.impossible(f"{thing.name!r} is not set up")
        connected = thing.thing_class.state_type_named("connected")
        if connected is not None and thing.thing_class.has_interface("connectable"):
            if not thing.states[connected.id].value:
                raise errors.impossible(f"{thing.name!r} is not connected")

    def comm_obj(self, thing: Thing, type_id: uuid.UUID) -> Any:
        """The communication object behind a value: its group address, else a stable number.

        KNX things answer the group address ("1/0/1") of the state's status object (or of the
        object the command writes). Other things answer a number fixed by their class: states
        are numbered from 1 in declaration order, then the actions that are not state actions.
        """
        integration = self.hub.integrations.get(thing.plugin_id)
        address = integration.address_of(thing, type_id) if integration is not None else None
        if address:
            return address
        return comm_obj_number(thing, type_id)


def comm_obj_number(thing: Thing, type_id: uuid.UUID) -> int:
    """The stable number of a state or action of a thing's class (see ThinknxDoor.comm_obj)."""
    thing_class = thing.thing_class
    for position, state_type in enumerate(thing_class.state_types, start=1):
        if state_type.id == type_id:
            return position
    offset = len(thing_class.state_types)
    for position, action_type in enumerate(thing_class.declared_action_types, start=1):
        if action_type.id == type_id:
            return offset + position
    return 0


def status_of(controller: Controller, thing: Thing) -> Any:
    """The `status` a status controller answers for a thing right now."""
    state_type: StateType | None = thing.thing_class.state_type_named(controller.state)
    assert state_type is not None and controller.codec is not None
    state: State = thing.states[state_type.id]
    return controller.codec.status(state.value, state, state_type)


def _check(result: Result[Any]) -> None:
    if result.failure is not None:
        raise errors.for_failure(result.failure)
