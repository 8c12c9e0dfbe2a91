"""The composition root: configuration -> storage -> security -> hub -> integrations -> doors."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from thinggate import __version__
from thinggate.api.door import DoorContext, FrontDoor
from thinggate.api.guard import ConnectionGuard
from thinggate.api.http import HttpSite
from thinggate.api.tls import CertificateFiles, ensure_self_signed
from thinggate.api.zeroconf import Announcer, interfaces_for
from thinggate.config import Config, ConfigError
from thinggate.control_socket import ControlSocket, socket_path
from thinggate.core.events import EventBus
from thinggate.core.hub import Hub
from thinggate.core.modes import HouseModes
from thinggate.core.registry import Directory, LifecycleEvents, Things, ThingTypes
from thinggate.core.security import SecurityManager
from thinggate.core.store import Store
from thinggate.doors import DOORS
from thinggate.files import narrow_if_present, private_dir, write_private
from thinggate.integrations.generic import GenericIntegration
from thinggate.integrations.sensordata import SensorDataIntegration
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.storage import open_store

_LOG = logging.getLogger(__name__)


@dataclass(slots=True)
class Server:
    """A running thinggate: its store, security manager, hub, integrations and doors."""

    config: Config
    store: Store
    security: SecurityManager
    hub: Hub
    virtual: VirtualIntegration | None
    server_uuid: uuid.UUID
    modes: HouseModes
    guard: ConnectionGuard
    context: DoorContext
    doors: dict[str, FrontDoor] = field(default_factory=dict)
    """The running doors by their section name (thinggate.doors.DOORS), in start order."""
    http: HttpSite | None = None
    control_socket: ControlSocket | None = None
    demo_password: str | None = None
    """The password of the `demo` user `serve --demo` made at this start (None when it made none)."""

    async def stop(self) -> None:
        """Close the doors, stop the hub (flushing state values) and close storage."""
        # Goodbyes first: clients stop looking for the hub before its doors close.
        await self.context.announcer.close()
        if self.control_socket is not None:
            await self.control_socket.stop()
        if self.http is not None:
            await self.http.stop()
        for door in reversed(list(self.doors.values())):
            await door.stop()
        await self.hub.stop()
        await self.store.close()


def server_uuid(data_dir: Path) -> uuid.UUID:
    """This hub's identity, made on first start and kept (clients pin certificates by it)."""
    path = data_dir / "server-uuid"
    try:
        value = uuid.UUID(path.read_text().strip())
        narrow_if_present(path)  # made 0644 by an older version
        return value
    except (FileNotFoundError, ValueError):
        value = uuid.uuid4()
        write_private(path, f"{value}\n".encode())
        return value


def _hub_certificate(config: Config) -> Callable[[], CertificateFiles]:
    """The hub's certificate: `[jsonrpc] certificate`/`private_key`, else self-signed and kept (made once)."""
    made: list[CertificateFiles] = []

    def certificate() -> CertificateFiles:
        if not made:
            settings = config.door("jsonrpc")
            if settings.certificate and settings.private_key:
                made.append(CertificateFiles(Path(settings.certificate), Path(settings.private_key)))
            else:
                made.append(ensure_self_signed(config.data_dir / "tls", "jsonrpc", common_name=settings.server_name))
        return made[0]

    return certificate


def _check(config: Config) -> None:
    """Refuse settings that cannot work before anything starts, naming the section, the key and the value."""
    try:
        config.limits.check()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    try:
        config.mqtt.check()
    except ValueError as exc:
        raise ConfigError(f"[mqtt] {exc}") from None
    try:
        config.history.check()
    except ValueError as exc:
        raise ConfigError(f"[history] {exc}") from None
    for spec in DOORS:
        check = getattr(config.door(spec.name), "check", None)
        if check is not None:
            try:
                check()
            except ValueError as exc:
                raise ConfigError(f"[{spec.name}] {exc}") from None


async def _start_doors(server: Server) -> None:
    """Every door of the table, in its order; then the HTTP application if a door added routes to it."""
    context = server.context
    for spec in DOORS:
        door = await spec.load_factory()(context, server.config.door(spec.name))
        if door is not None:
            server.doors[spec.name] = door
            context.doors[spec.name] = door
    port = server.config.ports.http
    if port is not None and len(context.http.router.routes()) > 0:
        site = server.http = HttpSite(context.http, host=server.config.bind, port=port, guard=server.guard)
        await site.start()
        context.http_connections = lambda: site.connection_count

    async def reload(args: list[str]) -> str:
        # The command line sends this after changing users, tokens, keys or the house mode in the store:
        # what changed is announced on the bus as if a door had changed it, so every door acts on it at once.
        await server.security.load()
        await server.modes.reload()
        for reloader in context.reloaders:
            await reloader()
        return "reloaded"

    server.control_socket = ControlSocket(
        socket_path(server.config.data_dir), {"reload": reload, **context.control_commands}
    )
    await server.control_socket.start()


async def start_server(config: Config, *, demo: bool = False) -> Server:
    """Open storage, load users and start the hub with its integrations."""
    _check(config)
    private_dir(config.data_dir)  # 0700, also one an older version made 0755 (with PostgreSQL too)
    store = await open_store(config.database, config.data_dir)
    bus = EventBus()
    security = SecurityManager(store, bus=bus, password_checks=config.limits.password_checks)
    await security.load()
    hub = Hub(store=store, bus=bus, history_retention=config.history.retention)
    modes = HouseModes(store=store, bus=bus)
    await modes.load()
    virtual: VirtualIntegration | None = None
    if config.virtual.enabled:
        virtual = VirtualIntegration(
            time_scale=config.virtual.time_scale,
            test_control=config.virtual.test_control,
            test_control_port=config.virtual.test_control_port,
            auto_things=config.virtual.auto_things,
            # The test bed is for tests: a house loads only the house's classes.
            testbed=config.virtual.testbed or config.virtual.auto_things,
        )
        hub.register(virtual)
    knx = None
    if config.knx is not None:
        # A [knx] table turns the KNX integration on: its classes, its connection, its things.
        from thinggate.integrations.knx import KnxIntegration
        from thinggate.integrations.knx.settings import parse_knx_section

        try:
            knx_settings = parse_knx_section(config.knx)
        except ValueError as exc:
            await store.close()
            raise ConfigError(f"[knx]: {exc}") from None
        knx = KnxIntegration(settings=knx_settings)
        hub.register(knx)
    # Thing types made through the registry: their classes are declared before the hub restores things.
    identity = server_uuid(config.data_dir)
    generic = GenericIntegration(
        mqtt=config.mqtt, client_id=config.mqtt.client_id or f"thinggate-{identity}", domains=security.domains
    )
    hub.register(generic)
    if config.door("sensordata").enabled:
        # The sensor-data door's nodes, devices and sensors, declared while the door is open (as KNX's with [knx]).
        hub.register(SensorDataIntegration())
    # Lifecycle events go into the store's outbox with the changes they report (published by the registry door).
    events = LifecycleEvents(store, security.domains)
    thing_types = ThingTypes(hub=hub, store=store, maker=generic, domains=security.domains, events=events)
    await thing_types.load()
    things = Things(
        hub=hub, store=store, thing_types=thing_types, shadows=generic, domains=security.domains, events=events
    )
    directory = Directory(security, events=events)
    directory.holdings.append(thing_types.in_domain)
    directory.holdings.append(_things_in(hub))
    await hub.start()
    if knx is not None:
        from thinggate.integrations.knx.configured import sync_configured_things

        await hub.wait_until_set_up()
        await sync_configured_things(hub, knx)
    if demo and virtual is not None:
        from thinggate.integrations.virtual.demo import populate

        await hub.wait_until_set_up()
        await populate(hub, virtual)
    demo_password = await _demo_user(security) if demo else None
    guard = ConnectionGuard(config.limits)
    context = DoorContext(
        hub=hub,
        security=security,
        modes=modes,
        store=store,
        server_uuid=identity,
        data_dir=config.data_dir,
        bind=config.bind,
        ports=config.ports,
        guard=guard,
        version=__version__,
        hub_certificate=_hub_certificate(config),
        raw_bus=knx,
        announcer=Announcer(interfaces_for(config.bind)),
        thing_types=thing_types,
        things=things,
        directory=directory,
        events=events,
        mqtt=config.mqtt,
    )
    server = Server(
        config=config,
        store=store,
        security=security,
        hub=hub,
        virtual=virtual,
        server_uuid=identity,
        modes=modes,
        guard=guard,
        context=context,
        demo_password=demo_password,
    )
    try:
        await _start_doors(server)
    except BaseException:
        await server.stop()
        raise
    _release_start_up_memory()
    _LOG.info("thinggate is up: %d things, data in %s", len(hub.things), config.data_dir)
    return server


DEMO_USER = "demo"


async def _demo_user(security: SecurityManager) -> str | None:
    """Make the `demo` user (an admin) with a random password, unless there is one; answers the password."""
    if any(user.username == DEMO_USER for user in security.users()):
        _LOG.info("demo: user %r exists; its password was printed when it was made", DEMO_USER)
        return None
    # Both cases and a digit, as the password policy asks; 64 random bits; nothing a terminal mangles.
    password = f"Demo{secrets.randbelow(10)}-{secrets.token_hex(8)}"
    await security.create_user(DEMO_USER, password, display_name="Demo", password_hash=await _hash_in_child(password))
    # No credential in a log (DESIGN): `serve` prints the password once on stdout, for the person who
    # started the demo; it is not kept anywhere in the clear.
    _LOG.info("demo: made the user %r; its password is printed on standard output", DEMO_USER)
    return password


_CHECKOUT = str(Path(__file__).resolve().parents[1])
"""The directory this thinggate package is in (a child process imports the same one)."""

_HASH_CHILD = (
    "import sys\n"
    "from thinggate.core.security.manager import make_hasher\n"
    "sys.stdout.write(make_hasher().hash(sys.stdin.read()))\n"
)


async def _hash_in_child(password: str) -> str:
    """The password's argon2 hash, made in a child process: argon2's modules and C library (0.4 MB)
    would otherwise stay in a demo hub that nobody has logged in to by password yet."""
    env = dict(os.environ)
    # The child must import this very thinggate, wherever the parent found it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_CHECKOUT, env.get("PYTHONPATH")]))
    # The password goes through stdin, not argv: it must not show in `ps`.
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HASH_CHILD,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    hashed, stderr = await child.communicate(password.encode())
    if child.returncode != 0 or not hashed.startswith(b"$argon2"):
        raise RuntimeError(
            f"hashing the demo password failed (exit {child.returncode}):\n{stderr.decode(errors='replace')}"
        )
    return hashed.decode()


def _things_in(hub: Hub) -> Callable[[str], list[str]]:
    """What a domain holds of things (the directory asks before removing a domain)."""

    def things(domain: str) -> list[str]:
        count = sum(1 for thing in hub.things.values() if thing.domain == domain)
        return [f"{count} thing(s)"] if count else []

    return things


def _release_start_up_memory() -> None:
    """Hand memory freed after start-up (migrations, restore buffers) back to the system."""
    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


async def serve(config: Config, *, demo: bool = False, ready: asyncio.Event | None = None) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    # Handlers first: a SIGTERM that arrives while the hub starts must still stop it cleanly.
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    server = await start_server(config, demo=demo)
    # What start-up made (100,000 things, their states, classes) lives as long as the process: frozen,
    # the collector's full passes no longer walk it (they halved a large registry list's rate). Here,
    # not in start_server: a process starting many hubs (the tests) must still collect what they leave.
    gc.freeze()
    if server.demo_password is not None:
        port = server.http.port if server.http is not None else None
        where = f" at http://localhost:{port}" if port is not None else ""
        print(f"demo: log in{where} as {DEMO_USER!r} with the password {server.demo_password}", flush=True)
    if ready is not None:
        ready.set()
    try:
        await stopping.wait()
    finally:
        _LOG.info("stopping")
        await server.stop()
