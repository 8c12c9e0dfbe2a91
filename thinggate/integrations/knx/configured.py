"""Make the hub's KNX things match the `[[knx.things]]` of the configuration file."""

from __future__ import annotations

import logging
from typing import Any

from thinggate.core.hub import Hub
from thinggate.core.security import SYSTEM
from thinggate.core.values import convert
from thinggate.integrations.knx import KnxIntegration
from thinggate.integrations.knx.settings import ConfiguredThing

_LOG = logging.getLogger(__name__)


def _desired_params(integration: KnxIntegration, configured: ConfiguredThing) -> dict[str, Any]:
    """Every param of the class by name: the file's value, else the default."""
    thing_class = integration.thing_class_named(configured.thing_class)
    given = configured.param_dict()
    return {pt.name: given.get(pt.name, pt.default_value) for pt in thing_class.param_types}


async def sync_configured_things(hub: Hub, integration: KnxIntegration) -> None:
    """After hub.start(): add the file's things that are missing, reconfigure changed ones.

    Things that are not in the file are left alone (they were added through an API or an
    import). A bad entry is logged and skipped; the others still get synchronised.
    """
    for configured in integration.settings.things:
        try:
            await _sync_one(hub, integration, configured)
        except Exception:  # one entry must not stop the rest, nor the hub
            _LOG.exception("configured KNX thing %r could not be synchronised", configured.name)


async def _sync_one(hub: Hub, integration: KnxIntegration, configured: ConfiguredThing) -> None:
    try:
        thing_class = integration.thing_class_named(configured.thing_class)
        thing_id = configured.thing_id
    except (KeyError, ValueError) as exc:
        _LOG.error("configured KNX thing %r: %s", configured.name, exc)
        return
    desired = _desired_params(integration, configured)
    by_id = thing_class.params_named(desired)
    existing = hub.things.get(thing_id)
    if existing is None:
        result = await hub.add_thing(
            SYSTEM,
            name=configured.name,
            thing_class_id=thing_class.id,
            params=by_id,
            room=configured.room,
            thing_id=thing_id,
        )
        if result.ok:
            _LOG.info("added configured KNX thing %r (%s)", configured.name, thing_id)
        else:
            _LOG.error("configured KNX thing %r not added: %s %s", configured.name, result.error.value, result.message)
        return
    if existing.thing_class.id != thing_class.id:
        _LOG.error(
            "configured KNX thing %r: id %s belongs to a %s, not a %s; left alone",
            configured.name,
            thing_id,
            existing.thing_class.name,
            thing_class.name,
        )
        return
    changed = False
    for param_id, value in by_id:
        param_type = thing_class.param_type(param_id)
        current = existing.params.get(param_id)
        try:
            wanted = convert(param_type.type, value) if param_type is not None else value
        except ValueError:
            wanted = value
        if current != wanted:
            changed = True
    if changed:
        reconfigured = await hub.reconfigure_thing(SYSTEM, thing_id=thing_id, params=by_id)
        if reconfigured.ok:
            _LOG.info("reconfigured KNX thing %r from the configuration file", configured.name)
        else:
            _LOG.error(
                "configured KNX thing %r not reconfigured: %s %s",
                configured.name,
                reconfigured.error.value,
                reconfigured.message,
            )
    if existing.name != configured.name or existing.room != configured.room:
        edited = await hub.edit_thing(SYSTEM, thing_id, name=configured.name, room=configured.room)
        if not edited.ok:
            _LOG.error(
                "configured KNX thing %r not renamed: %s %s", configured.name, edited.error.value, edited.message
            )
