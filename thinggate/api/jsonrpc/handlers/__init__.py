"""One handler per namespace; each maps method names to coroutines `(session, params) -> reply params`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from thinggate.api.jsonrpc.session import Session

MethodCall = Callable[[Session, dict[str, Any]], Awaitable[dict[str, Any]]]


class NamespaceHandler(Protocol):
    """What the door needs of a namespace handler."""

    namespace: str
    methods: dict[str, MethodCall]
