"""One Ezlo client's state, the method table's entry type, and what handlers may use of the door.

Handlers (in `handlers/`) import this module, never `door.py`: the door imports the handlers'
table, so the dependency points one way (as `api/jsonrpc/session.py` does for that door).
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from thinggate.api.ezlo.item_index import Item, ItemIndex
from thinggate.api.ezlo.params import BadParams, Params, ezlo_convention
from thinggate.api.websocket import FrameOutbox
from thinggate.core.hub import Hub
from thinggate.core.model import Thing
from thinggate.core.modes import HouseModes
from thinggate.core.security import Principal, Scope

ANONYMOUS = Principal(name="", scopes=Scope.ADMIN)
"""Who a connection is with anonymous access on: the hub's owner on the local network."""


class Access(enum.Enum):
    """What a method needs: nothing (before login), EZLO READ/VIEW, or WRITE/EDIT."""

    OPEN = "open"
    READ = "read"
    WRITE = "write"


@dataclass(slots=True)
class EzloSession:
    """One WebSocket client: who it is logged in as, and its outbox."""

    id: int
    peer: str
    outbox: FrameOutbox
    principal: Principal | None = None
    username: str = ""
    token_id: uuid.UUID | None = None
    logged_in: bool = False
    sees_all: bool = False
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    on_authenticated: Callable[[], None] | None = None
    """Called once, when the client first acts as someone (the listener lifts its login deadline)."""
    shutdown: Callable[[str], None] | None = None
    """Closes the connection, telling the client why (the transport's part)."""

    def set_principal(self, principal: Principal | None) -> None:
        """Act as `principal` from now on (None: not logged in)."""
        self.principal = principal
        if principal is not None and self.on_authenticated is not None:
            on_authenticated, self.on_authenticated = self.on_authenticated, None
            on_authenticated()
        # Precomputed so that fan-out to an unrestricted client costs no per-thing check.
        self.sees_all = principal is not None and principal.sees_every_thing()

    def require_principal(self) -> Principal:
        """Who the session acts as; only for READ and WRITE methods, which the door lets through logged in only."""
        assert self.principal is not None
        return self.principal

    def may_see(self, thing: Thing) -> bool:
        """Whether the session's user sees this thing."""
        if self.sees_all:
            return True
        return self.principal is not None and self.principal.may_see(thing)

    def send(self, payload: bytes) -> bool:
        """Queue a message for the client."""
        return self.outbox.send(payload)


class HubFacts(Protocol):
    """The door settings `hub.info.get` reports."""

    @property
    def serial(self) -> str: ...
    @property
    def firmware(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def anonymous_access(self) -> bool: ...
    @property
    def insecure_access(self) -> bool: ...


class Door(Protocol):
    """What a handler may use of the door: the core it serves, the item index, login and broadcasts."""

    @property
    def hub(self) -> Hub: ...
    @property
    def modes(self) -> HouseModes: ...
    @property
    def index(self) -> ItemIndex: ...
    @property
    def server_uuid(self) -> uuid.UUID: ...
    @property
    def settings(self) -> HubFacts: ...

    def uptime(self) -> str:
        """`3d 3h 45m 20s`, as hub.info.get reports it."""
        ...

    async def log_in(self, session: EzloSession, user: str, token: str) -> None:
        """`hub.offline.login.ui`: a thinggate user name and one of that user's tokens."""
        ...

    def visible_item(self, session: EzloSession, item_id: str) -> Item:
        """The item with this id that the session may see; `rpc.unknown.error` otherwise."""
        ...

    def broadcast(self, subclass: str, result: dict[str, Any], *, thing: Any = None) -> None:
        """Send a `ui_broadcast` to every logged-in client (that sees `thing`, if given)."""
        ...


P = TypeVar("P", bound=Params)


@dataclass(frozen=True, slots=True)
class Method(Generic[P]):
    """One entry of the method table: the handler, the access it needs, its params and its answer to bad ones."""

    handler: Callable[[Door, EzloSession, P], Awaitable[Any]]
    access: Access
    params: type[P]
    """The struct the door decodes `params` into before the handler runs."""
    bad_params: BadParams = ezlo_convention
    """The error for params that do not decode (most methods: Ezlo's per-field convention)."""
    decode_params: Callable[[bytes | msgspec.Raw], P] = field(init=False, repr=False, compare=False)
    """`params`' decoder, built once with the table."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "decode_params", msgspec.json.Decoder(self.params).decode)
