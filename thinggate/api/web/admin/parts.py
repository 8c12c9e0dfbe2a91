"""What the administration's API modules share: the core services they call and the door's context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from thinggate.api.door import DoorContext, ThinknxAdmin
from thinggate.api.web.door import WebDoor
from thinggate.api.web.errors import WebProblem
from thinggate.core.admin import HubAdmin
from thinggate.core.registry import Directory, ThingTypes

PREFIX = "admin/"
"""Where the administration's rows are below /web/api/."""


@dataclass(slots=True)
class AdminParts:
    """The core services behind the administration pages, and where the doors' own parts are."""

    door: WebDoor
    directory: Directory
    hub_admin: HubAdmin
    thing_types: ThingTypes | None
    thinknx: Callable[[], ThinknxAdmin | None]
    """The Thinknx door's part (None when that door is closed); asked at each call."""
    context: DoorContext

    @classmethod
    def of(cls, door: WebDoor, context: DoorContext) -> AdminParts:
        """The parts of a running hub: the composition root's directory, and credentials that tell the doors."""

        async def reload_doors() -> None:
            # What `thinggate apikey|oauth-client ... ` makes the control socket's `reload` do: each door
            # reads what it accepts again, so a key revoked here is refused there from now on.
            for reloader in context.reloaders:
                await reloader()

        return cls(
            door=door,
            directory=context.directory or Directory(context.security, events=context.events),
            hub_admin=HubAdmin(context.store, context.security, changed=reload_doors),
            thing_types=context.thing_types,
            thinknx=lambda: context.thinknx_admin,
            context=context,
        )


def when(moment: datetime | None) -> str | None:
    """A time as the page reads it (ISO 8601 with its offset), or None."""
    return moment.isoformat(timespec="seconds") if moment is not None else None


def closed(door: str) -> WebProblem:
    """404 for a part of a door that is closed on this hub."""
    return WebProblem(404, "DoorClosed", f"the {door} door is closed on this hub")


def listed(items: list[Any]) -> dict[str, Any]:
    """A list answer: an object with the items (a top-level JSON array is harder to extend later)."""
    return {"items": items}
