"""IO links: an output state that follows an input state (nymea's IO connections), kept for the hub."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from thinggate.core import eager
from thinggate.core import events as ev
from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.integration import Integration
from thinggate.core.model import Action, IOConnection, IOType, StateType, Thing
from thinggate.core.operations import Timeouts
from thinggate.core.store import IOConnectionRecord, Store

_LOG = logging.getLogger(__name__)

_COMPATIBLE = {
    (IOType.DIGITAL_INPUT, IOType.DIGITAL_OUTPUT),
    (IOType.ANALOG_INPUT, IOType.ANALOG_OUTPUT),
}
"""The io types a connection may join: digital to digital, analog to analog."""


class IOLinks:
    """The IO connections between things: stored, announced, and followed when an input state changes."""

    def __init__(
        self,
        *,
        store: Store,
        bus: ev.EventBus,
        things: Mapping[uuid.UUID, Thing],
        integrations: Mapping[uuid.UUID, Integration],
        timeouts: Timeouts,
        spawn: Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]],
    ) -> None:
        self._store = store
        self._bus = bus
        # The hub's own live tables: a link follows things as they are added and removed.
        self._things = things
        self._integrations = integrations
        self._timeouts = timeouts
        self._spawn = spawn
        self.connections: dict[uuid.UUID, IOConnection] = {}

    async def load(self) -> None:
        """Read the stored connections (at start, before things are set up)."""
        for io_record in await self._store.load_io_connections():
            self.connections[io_record.id] = IOConnection(
                id=io_record.id,
                input_thing_id=io_record.input_thing_id,
                input_state_type_id=io_record.input_state_type_id,
                output_thing_id=io_record.output_thing_id,
                output_state_type_id=io_record.output_state_type_id,
                inverted=io_record.inverted,
            )

    async def connect(
        self, input_thing: Thing, input_type: StateType, output_thing: Thing, output_type: StateType, inverted: bool
    ) -> IOConnection:
        """Make the output follow the input, replacing any link on the same input or output state."""
        if (input_type.io_type, output_type.io_type) not in _COMPATIBLE:
            raise ThingFailure(
                ThingError.INVALID_PARAMETER,
                f"cannot connect {input_type.name!r} ({input_type.io_type}) "
                f"to {output_type.name!r} ({output_type.io_type})",
            )
        for existing in list(self.connections.values()):
            same_input = (existing.input_thing_id, existing.input_state_type_id) == (input_thing.id, input_type.id)
            same_output = (existing.output_thing_id, existing.output_state_type_id) == (output_thing.id, output_type.id)
            if same_input or same_output:
                await self._store.delete_io_connection(existing.id)
                del self.connections[existing.id]
                self._bus.publish(ev.IOConnectionRemoved(existing.id))
        connection = IOConnection(
            id=uuid.uuid4(),
            input_thing_id=input_thing.id,
            input_state_type_id=input_type.id,
            output_thing_id=output_thing.id,
            output_state_type_id=output_type.id,
            inverted=bool(inverted),
        )
        await self._store.save_io_connection(
            IOConnectionRecord(
                id=connection.id,
                input_thing_id=connection.input_thing_id,
                input_state_type_id=connection.input_state_type_id,
                output_thing_id=connection.output_thing_id,
                output_state_type_id=connection.output_state_type_id,
                inverted=connection.inverted,
            )
        )
        self.connections[connection.id] = connection
        self._bus.publish(ev.IOConnectionAdded(connection))
        self.sync(connection)
        return connection

    async def disconnect(self, connection: IOConnection) -> None:
        """Remove a connection from the store and announce it."""
        await self._store.delete_io_connection(connection.id)
        del self.connections[connection.id]
        self._bus.publish(ev.IOConnectionRemoved(connection.id))

    def forget_thing(self, thing_id: uuid.UUID) -> None:
        """Drop (and announce) the connections touching a removed thing; the store drops them with it."""
        for connection in [c for c in self.connections.values() if thing_id in (c.input_thing_id, c.output_thing_id)]:
            del self.connections[connection.id]
            self._bus.publish(ev.IOConnectionRemoved(connection.id))

    def input_changed(self, thing_id: uuid.UUID, state_type_id: uuid.UUID) -> None:
        """Follow an input state that changed on every output linked to it."""
        for connection in self.connections.values():
            if connection.input_thing_id == thing_id and connection.input_state_type_id == state_type_id:
                self.sync(connection)

    def sync_all(self) -> None:
        """Bring every output in line with its input (once things are set up)."""
        for connection in list(self.connections.values()):
            self.sync(connection)

    def sync(self, connection: IOConnection) -> None:
        """Write the input's value to the output: inverted for digital, scaled for analog."""
        source = self._things.get(connection.input_thing_id)
        target = self._things.get(connection.output_thing_id)
        if source is None or target is None or not target.setup_complete:
            return
        source_state = source.states.get(connection.input_state_type_id)
        output_type = target.thing_class.state_type(connection.output_state_type_id)
        if source_state is None or output_type is None:
            return
        value: Any
        if output_type.io_type is IOType.DIGITAL_OUTPUT:
            value = bool(source_state.value) != connection.inverted
        else:
            in_low, in_high = _float_or(source_state.min_value, 0.0), _float_or(source_state.max_value, 1.0)
            target_state = target.states[output_type.id]
            out_low, out_high = _float_or(target_state.min_value, 0.0), _float_or(target_state.max_value, 1.0)
            fraction = 0.0 if in_high == in_low else (float(source_state.value) - in_low) / (in_high - in_low)
            if connection.inverted:
                fraction = 1.0 - fraction
            value = out_low + fraction * (out_high - out_low)
        if target.states[output_type.id].value == value:
            return
        action = Action(thing_id=target.id, action_type_id=output_type.id, params={output_type.id: value})
        integration = self._integrations[target.plugin_id]
        self._spawn(self._run_action(integration, target, action), "thinggate-io-sync")

    async def _run_action(self, integration: Integration, thing: Thing, action: Action) -> None:
        try:
            await eager.within(integration.execute_action(thing, action), self._timeouts.action)
        except Exception as exc:
            _LOG.warning("IO sync to %s failed: %s", thing.name, exc)


def _float_or(value: Any, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default
