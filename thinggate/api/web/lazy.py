"""Page API handlers loaded by their first request: a page's table of rows is small and read at start, the
code behind it is imported when somebody first uses the page (an idle hub keeps only what it serves)."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from thinggate.api.web.api import Call
from thinggate.api.web.door import WebDoor


class LazyHandlers:
    """The handlers of one class in one module, made with the door when the first of them is called."""

    def __init__(self, door: WebDoor, module: str, factory: str) -> None:
        self.door = door
        self.module = module
        self.factory = factory
        self._handlers: Any = None

    def _loaded(self) -> Any:
        if self._handlers is None:
            self._handlers = getattr(importlib.import_module(self.module), self.factory)(self.door)
        return self._handlers

    def __call__(self, method: str) -> Callable[[Call], Awaitable[Any]]:
        """The handler `method` of the class, as a route takes it."""

        async def handle(call: Call) -> Any:
            return await getattr(self._loaded(), method)(call)

        handle.__name__ = method
        return handle
