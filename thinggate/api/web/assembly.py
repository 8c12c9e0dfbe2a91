"""Assembles the dashboard door when its first request arrives: sessions, pages, login, the JSON API
and the live channel, each route's handler under its name in paths.py.
"""

from __future__ import annotations

import asyncio

from thinggate.api.door import DoorContext
from thinggate.api.web import admin, history, things
from thinggate.api.web.api import WebApi
from thinggate.api.web.door import WebDoor
from thinggate.api.web.journal import SessionJournal
from thinggate.api.web.knx import KnxApi
from thinggate.api.web.live import LiveChannels
from thinggate.api.web.login import Login
from thinggate.api.web.pages import Pages, load_static
from thinggate.api.web.paths import web_routes
from thinggate.api.web.session import Sessions
from thinggate.api.web.settings import WebConfig


async def assemble(context: DoorContext, settings: WebConfig, journal: SessionJournal) -> WebDoor:
    """The dashboard door, with a handler for every route of paths.py and the sessions the store kept."""
    sessions = Sessions(
        context.security,
        journal,
        idle_seconds=settings.session_idle_seconds,
        max_sessions=settings.max_sessions,
        per_user=settings.sessions_per_user,
    )
    # A user removed or changed (here, at another door, or by the command line and the control
    # socket's `reload`, which reads users again and announces what changed) is on the hub's bus.
    unlisten = sessions.watch(context.security.bus)
    # Browsers logged in before the hub (re)started are logged in still.
    await sessions.load()
    door = WebDoor(
        settings=settings,
        hub=context.hub,
        security=context.security,
        modes=context.modes,
        limiter=context.login_limiter,
        guard=context.guard,
        sessions=sessions,
    )
    live = LiveChannels(door, raw_bus=context.raw_bus)
    door.live = live

    async def stop_following() -> None:
        unlisten()
        await live.close_all()

    door.stoppers.append(stop_following)
    files = await asyncio.to_thread(load_static)
    api = WebApi(door)
    # Each page's own API module adds its rows here: api.add(<module>.routes(door)).
    api.add(history.routes(door))
    api.add(things.routes(door))
    api.add(admin.routes(door, context))
    api.add(KnxApi(door).routes())
    door.routes = {**Pages(door, files).handlers(), **Login(door).handlers(), **api.handlers(), **live.handlers()}
    missing = {route.name for route in web_routes()} - door.routes.keys()
    if missing:
        raise RuntimeError(f"the dashboard has no handler for the routes {sorted(missing)}")
    writing_use = asyncio.create_task(sessions.write_use_every_minute())

    async def stop_writing_use() -> None:
        writing_use.cancel()

    door.stoppers.append(stop_writing_use)
    return door
