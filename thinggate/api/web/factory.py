"""Opens the dashboard on the shared HTTP application; the door itself is assembled by its first request.

An idle hub holds the dashboard's paths and its session journal (which forgets the kept sessions
of a user removed meanwhile) and nothing more: its modules, its files and its sessions are loaded
when a browser first asks (`assembly.py`).
"""

from __future__ import annotations

from aiohttp import web

from thinggate.api.deferred import DeferredDoor
from thinggate.api.door import DoorContext
from thinggate.api.web.journal import SessionJournal
from thinggate.api.web.paths import web_routes
from thinggate.api.web.settings import WebConfig


async def build(context: DoorContext, settings: WebConfig) -> DeferredDoor | None:
    """The door's routes on the shared HTTP application (None when `enabled` is false or HTTP is closed)."""
    if not settings.enabled or context.ports.http is None:
        return None

    # The kept sessions are followed from the start: a user removed (or whose password changes) before
    # any browser assembles the door loses them all the same.
    journal = SessionJournal(context.store)
    unfollow = journal.follow(context.security.bus)

    async def assemble() -> object:
        from thinggate.api.web.assembly import assemble as assemble_door

        return await assemble_door(context, settings, journal)

    door = DeferredDoor(assemble)

    async def stop_following() -> None:
        unfollow()
        await journal.drain()

    door.stoppers.append(stop_following)
    for route in web_routes():
        door.route_named(context.http, route.method, route.path, route.name)

    async def close_pages(app: web.Application) -> None:
        # The HTTP site stops before the doors do, and waits for open requests: the live pages
        # (WebSockets that never end by themselves) are closed first.
        built = door.built
        if built is not None and built.live is not None:
            await built.live.close_all()

    context.http.on_shutdown.append(close_pages)
    return door
