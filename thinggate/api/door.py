"""The seam every door plugs into: a shared context in, a FrontDoor out, one row in thinggate.doors.DOORS.

A door package has a `settings.py` (its `[section]` of thinggate.toml as a frozen dataclass, cheap to
import, checked by `check()`) and a factory `build(context, settings)` that answers a started
FrontDoor, or None when its settings leave it closed. The composition root builds the context once,
calls every factory in the table's order, stops the doors in the reverse order and counts their
connections. HTTP doors add routes to `context.http`, the one aiohttp application on `[ports] http`.
A door (or an integration) that keeps links of its own (an MQTT client, say) may answer
`connections()`: each link's name and whether it is up, for /metrics.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from thinggate.api.guard import ConnectionGuard
from thinggate.api.metering import RequestMeter
from thinggate.api.tls import CertificateFiles
from thinggate.api.zeroconf import Announcer
from thinggate.core.hub import Hub
from thinggate.core.modes import HouseModes
from thinggate.core.registry import Directory, LifecycleEvents, Things, ThingTypes
from thinggate.core.security import LoginLimiter, Principal, SecurityManager
from thinggate.core.store import Store
from thinggate.mqtt.settings import MqttConfig

ControlCommand = Callable[[list[str]], Awaitable[str]]
"""A command of the hub's local control socket: its arguments in, one answer line out."""


class ThinknxAdmin(Protocol):
    """What the Thinknx door lets the dashboard's administration see and change, on behalf of a principal.

    The door's own state (its integration key, REST hooks and controllers) stays in the door: it puts
    an implementation on `DoorContext.thinknx_admin` when it starts, and the core decides what the
    principal may see and do. Failures are the core's (PermissionDenied, UnknownItem).
    """

    @property
    def port(self) -> int | None:
        """The door's port (None while it is not listening)."""
        ...

    @property
    def tls(self) -> bool:
        """Whether the door speaks HTTPS."""
        ...

    def tree(self, principal: Principal) -> list[dict[str, Any]]:
        """The devices the principal sees with their GUIDs and, per controller, the URL and a working example."""
        ...

    def key(self, principal: Principal) -> dict[str, bool]:
        """Whether the integration key is set and enabled."""
        ...

    async def change_key(self, principal: Principal, *, enabled: bool, regenerate: bool) -> str | None:
        """Enable or disable the key, making a new one when asked or when there is none; the new key, shown once."""
        ...

    def hooks(self, principal: Principal) -> list[dict[str, Any]]:
        """The REST hooks the principal may manage, with their last error."""
        ...

    async def change_hook(self, principal: Principal, hook_id: str, action: str) -> None:
        """`remove` or `enable` (again, after it was disabled by failures) a hook."""
        ...


class FrontDoor(Protocol):
    """A running door: an API of the original systems, served on its own listeners."""

    @property
    def connection_count(self) -> int:
        """Clients connected through this door right now."""
        ...

    async def stop(self) -> None:
        """Close the listeners and every client."""
        ...


@dataclass(slots=True)
class DoorContext:
    """What every door may use; built once by the composition root."""

    hub: Hub
    security: SecurityManager
    modes: HouseModes
    store: Store
    server_uuid: uuid.UUID
    data_dir: Path
    bind: str
    ports: Any
    """thinggate.config.Ports: each door reads its own port(s) by name."""
    guard: ConnectionGuard
    version: str
    hub_certificate: Callable[[], CertificateFiles]
    """The hub's TLS certificate (configured, or self-signed and kept), made on first use."""
    http: web.Application = field(default_factory=web.Application)
    """The one HTTP application on `[ports] http`: HTTP doors add routes; it listens if any did."""
    raw_bus: Any = None
    """An integration's raw telegram bus (KNX), for doors that write raw telegrams; None without one."""
    control_commands: dict[str, ControlCommand] = field(default_factory=dict)
    """Commands doors add to the hub's local control socket (`thinggate pushbutton`, say)."""
    reloaders: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """What the control socket's `reload` runs besides users and modes (a door's own stored settings)."""
    announcer: Announcer = field(default_factory=Announcer)
    """The one mDNS responder: doors add the services clients discover them by; withdrawn at stop."""
    doors: dict[str, FrontDoor] = field(default_factory=dict)
    """The doors started so far, by name (a door's status page may count every door's clients)."""
    login_limiter: LoginLimiter = field(default_factory=LoginLimiter)
    """The per-address failed-login lockout doors share (a guesser locked out at one is locked out at all)."""
    thing_types: ThingTypes | None = None
    """Thing types (the generic integration's classes and every integration's, read-only); None without them."""
    things: Things | None = None
    """Things of registry thing types as a principal may see and change them; None without thing types."""
    directory: Directory | None = None
    """Domains and users as a principal may see and change them; None: a door makes one on `security`."""
    events: LifecycleEvents | None = None
    """The lifecycle events registry changes are stored with (the outbox); None: changes make none."""
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    """The `[mqtt]` broker the hub connects out to (none when its url is empty)."""
    thinknx_admin: ThinknxAdmin | None = None
    """The Thinknx door's key, tree and hooks for the dashboard's administration (set by that door when open)."""
    request_meter: RequestMeter | None = None
    """Counts and times each door's requests for /metrics (thinggate.api.metering); None: the metrics door is closed.

    Set by the metrics door, which is built first; a door takes it when built and wraps each request's
    work in `metered` (HTTP doors need nothing: the metrics door times the shared application's requests)."""

    http_connections: Callable[[], int] = lambda: 0
    """Connections open right now on the shared HTTP site: the clients of the doors on it (set once it listens)."""

    def client_count(self) -> int:
        """Clients connected through every door right now (the HTTP site's connections once, not per door)."""
        return sum(door.connection_count for door in self.doors.values()) + self.http_connections()


DoorFactory = Callable[[DoorContext, Any], Awaitable[FrontDoor | None]]
"""Builds and starts a door from the context and its settings; None when the settings leave it closed."""
