"""An HTTP door built by its first request: its routes are on the shared application from the start,
its modules and state are loaded only when a client comes (an idle hub keeps within its memory budget).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DeferredDoor:
    """A FrontDoor standing in for one that `assemble` builds when the first request for it arrives."""

    def __init__(self, assemble: Callable[[], Awaitable[Any]]) -> None:
        self._assemble = assemble
        self._door: Any = None
        self._building = asyncio.Lock()
        self._stopped = False
        self.stoppers: list[Callable[[], Awaitable[None]]] = []
        """What runs beside the door whether it is built or not (a periodic clean-up), stopped with it."""

    @property
    def built(self) -> Any:
        """The door, once a request has built it (None before)."""
        return self._door

    async def door(self) -> Any:
        """The door, built now if no request has built it yet (concurrent first requests build it once)."""
        if self._door is None:
            async with self._building:
                if self._door is None:
                    if self._stopped:
                        raise web.HTTPServiceUnavailable(text="the hub is stopping")
                    self._door = await self._assemble()
        return self._door

    def route(self, app: web.Application, method: str, path: str, handler: str) -> None:
        """Serve `path` with the built door's method named `handler`."""
        self._add(app, method, path, lambda door: getattr(door, handler))

    def route_named(self, app: web.Application, method: str, path: str, name: str) -> None:
        """Serve `path` with the handler the built door lists under `name` in its `routes` table."""
        self._add(app, method, path, lambda door: door.routes[name])

    def _add(self, app: web.Application, method: str, path: str, handler_of: Callable[[Any], Handler]) -> None:
        async def handle(request: web.Request) -> web.StreamResponse:
            door = self._door if self._door is not None else await self.door()
            return await handler_of(door)(request)

        # Counted under the door that made it (/metrics names a route's door by its handler's module).
        handle.__module__ = getattr(self._assemble, "__module__", __name__)
        if method == "GET":
            app.router.add_get(path, handle)  # and HEAD, as aiohttp's own GET routes answer it
        else:
            app.router.add_route(method, path, handle)

    def when_built(self, action: Callable[[Any], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """A reloader that acts on the door if it is built (one not built yet reads everything when it is)."""

        async def act() -> None:
            if self._door is not None:
                await action(self._door)

        return act

    @property
    def connection_count(self) -> int:
        """Clients of the built door (none before it is built)."""
        return 0 if self._door is None else int(self._door.connection_count)

    def connections(self) -> dict[str, bool]:
        """The built door's links to other systems and whether each is up (none before it is built)."""
        connections = getattr(self._door, "connections", None)
        return dict(connections()) if callable(connections) else {}

    async def stop(self) -> None:
        """Stop the built door, if any, and what runs beside it; no request builds it afterwards."""
        async with self._building:
            self._stopped = True
        for stop in reversed(self.stoppers):
            await stop()
        if self._door is not None:
            await self._door.stop()
