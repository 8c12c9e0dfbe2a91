"""The test-control hook: drive virtual devices from outside, as nymea's mock HTTP daemon does.

Off unless the configuration turns it on. Python callers use the methods; other processes use the
optional HTTP side port (loopback only):
  GET /setstate?thing=<id>&<stateTypeId or name>=<value>
  GET /generateevent?thing=<id>&eventtypeid=<id or name>&<paramTypeId or name>=<value>...
  GET /actionhistory[?thing=<id>]        GET /clearactionhistory
  GET /disappear?thing=<id>              GET /reconfigureautodevice?thing=<id>
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web

from thinggate.core.model import Thing
from thinggate.core.values import parse_uuid

if TYPE_CHECKING:
    from thinggate.integrations.virtual import VirtualIntegration

_LOG = logging.getLogger(__name__)


class TestControl:
    """Out-of-band control of virtual things for tests."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, integration: VirtualIntegration, *, http_port: int | None = None) -> None:
        self.integration = integration
        self.http_port = http_port
        self._runner: web.AppRunner | None = None

    def _thing(self, thing_id: Any) -> Thing:
        parsed = parse_uuid(thing_id)
        thing = self.integration.host.thing(parsed) if parsed else None
        if thing is None or thing.plugin_id != self.integration.plugin.id:
            raise KeyError(f"no virtual thing {thing_id!r}")
        return thing

    def set_state(self, thing_id: Any, state: Any, value: Any) -> None:
        """Make the device report a state value (state by id or name)."""
        thing = self._thing(thing_id)
        parsed = parse_uuid(state)
        state_type = thing.thing_class.state_type(parsed) if parsed else thing.thing_class.state_type_named(str(state))
        if state_type is None:
            raise KeyError(f"{thing.thing_class.name} has no state {state!r}")
        self.integration.host.set_state(thing.id, state_type.id, value)

    def generate_event(self, thing_id: Any, event: Any, params: dict[Any, Any] | None = None) -> None:
        """Make the device raise an event (event and params by id or name)."""
        thing = self._thing(thing_id)
        parsed = parse_uuid(event)
        event_type = thing.thing_class.event_type(parsed) if parsed else thing.thing_class.event_type_named(str(event))
        if event_type is None:
            raise KeyError(f"{thing.thing_class.name} has no event {event!r}")
        values: dict[uuid.UUID, Any] = {}
        for key, value in (params or {}).items():
            param_id = parse_uuid(key)
            param_type = next((pt for pt in event_type.param_types if pt.id == param_id or pt.name == str(key)), None)
            if param_type is None:
                raise KeyError(f"event {event_type.name} has no param {key!r}")
            values[param_type.id] = value
        self.integration.host.emit_event(thing.id, event_type.id, values)

    def action_history(self, thing_id: Any = None) -> list[uuid.UUID]:
        """Action type ids the devices executed, oldest first (of one thing if given)."""
        wanted = parse_uuid(thing_id) if thing_id is not None else None
        return [action for thing, action, _ in self.integration.action_history if wanted in (None, thing)]

    def clear_action_history(self) -> None:
        """Forget executed actions."""
        self.integration.action_history.clear()

    async def disappear(self, thing_id: Any) -> bool:
        """Make an auto thing vanish from the device side (a user-added thing stays); True if it went."""
        thing = self._thing(thing_id)
        if not thing.auto_created:
            return False
        await self.integration.host.auto_thing_disappeared(thing.id)
        return True

    async def reconfigure_auto_thing(self, thing_id: Any) -> None:
        """Make an auto thing announce itself again with its port + 1 (the id is kept)."""
        from thinggate.integrations.virtual.testbed import AUTO_MOCK, AutoMockBehaviour

        thing = self._thing(thing_id)
        behaviour = self.integration.behaviours[AUTO_MOCK.id]
        assert isinstance(behaviour, AutoMockBehaviour)
        descriptor = behaviour.descriptor(port=int(thing.param("httpport")) + 1, thing_id=thing.id)
        await self.integration.host.auto_things_appeared([descriptor])

    # ---------------------------------------------------------------- HTTP side port

    async def start(self) -> None:
        """Open the HTTP side port if one is configured."""
        if self.http_port is None:
            return
        app = web.Application()
        app.router.add_get("/{command}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.http_port)
        await site.start()
        _LOG.warning("virtual test-control hook listening on 127.0.0.1:%d (tests only)", self.http_port)

    async def stop(self) -> None:
        """Close the HTTP side port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        command = request.match_info["command"]
        query = dict(request.query)
        thing_id = query.pop("thing", None)
        try:
            if command == "setstate":
                for state, value in query.items():
                    self.set_state(thing_id, state, json.loads(value) if _is_json(value) else value)
            elif command == "generateevent":
                event = query.pop("eventtypeid")
                params = {k: json.loads(v) if _is_json(v) else v for k, v in query.items()}
                self.generate_event(thing_id, event, params)
            elif command == "actionhistory":
                return web.json_response([str(a) for a in self.action_history(thing_id)])
            elif command == "clearactionhistory":
                self.clear_action_history()
            elif command == "disappear":
                await self.disappear(thing_id)
            elif command == "reconfigureautodevice":
                await self.reconfigure_auto_thing(thing_id)
            else:
                return web.json_response({"error": f"unknown command {command!r}"}, status=404)
        except KeyError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
