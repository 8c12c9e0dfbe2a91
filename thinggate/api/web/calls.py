"""What the page API modules share when they ask the core: a Result settled into its value or the door's refusal,
a thing by the id in the path as the session's user sees it, and whether the core lets the user do an operation."""

from __future__ import annotations

from typing import Any

from thinggate.api.web.api import Call
from thinggate.api.web.errors import WebProblem, for_failure
from thinggate.core.hub import Hub
from thinggate.core.model import Thing
from thinggate.core.operations import Result
from thinggate.core.security import Scope
from thinggate.core.values import parse_uuid


def settled(result: Result[Any]) -> Any:
    """The operation's value, or its failure as the door's JSON refusal."""
    if result.failure is not None:
        raise for_failure(result.failure)
    return result.value


def seen_thing(hub: Hub, call: Call, thing_id: str) -> Thing:
    """The thing with this id if the session's user may see it (404 ThingNotFound otherwise, as for an unknown one)."""
    thing = hub.visible_thing(call.session.principal, parse_uuid(thing_id))
    if thing is None:
        raise WebProblem(404, "ThingNotFound", f"no thing with id {thing_id}")
    return thing


def may(call: Call, operation: object) -> bool:
    """Whether the session's user has the scope the core's operation requires (its `required_scope`)."""
    scope: Scope = getattr(operation, "required_scope", Scope.ADMIN)
    return call.session.principal.has_scope(scope)
