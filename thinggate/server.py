"""The composition root: configuration -> storage -> security -> hub -> integrations -> doors."""

from __future__ import annotations

import asyncio
import ctypes
import gc
import json
import logging
import signal
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thinggate import __version__
from thinggate.api.ezlo.discovery import ezlo_service
from thinggate.api.ezlo.door import EzloDoor, EzloSettings
from thinggate.api.ezlo.ids import hub_serial
from thinggate.api.ezlo.transport import CIPHERS as EZLO_CIPHERS
from thinggate.api.ezlo.transport import EzloServer
from thinggate.api.guard import ConnectionGuard
from thinggate.api.jsonrpc import JsonRpcDoor, JsonRpcServer, JsonRpcSettings, Listener
from thinggate.api.jsonrpc.discovery import jsonrpc_services
from thinggate.api.jsonrpc.pushbutton import PushButtonAuth, WaitingRequest
from thinggate.api.thinknx import Authenticator, ThinknxDoor, ThinknxServer, ThinknxSettings
from thinggate.api.thinknx.digest import DigestAuthority
from thinggate.api.thinknx.hooks import HookRegistry
from thinggate.api.thinknx.key import IntegrationKey
from thinggate.api.thinknx.system import RawBus
from thinggate.api.tls import CertificateFiles, ensure_self_signed, server_context
from thinggate.api.zeroconf import Announcer, interfaces_for
from thinggate.config import Config, ConfigError, ThinknxConfig
from thinggate.control import Command, CommandError, ControlSocket, socket_path
from thinggate.core.events import EventBus
from thinggate.core.hub import Hub
from thinggate.core.modes import HouseModes
from thinggate.core.security import LoginLimiter, SecurityManager
from thinggate.core.store import Store
from thinggate.files import narrow_if_present, private_dir, write_private
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.storage import open_store

_LOG = logging.getLogger(__name__)


@dataclass(slots=True)
class Server:
    """A running thinggate: its store, security manager, hub and integrations."""

    config: Config
    store: Store
    security: SecurityManager
    hub: Hub
    virtual: VirtualIntegration | None
    server_uuid: uuid.UUID
    modes: HouseModes
    guard: ConnectionGuard
    jsonrpc: JsonRpcServer | None = None
    ezlo: EzloServer | None = None
    thinknx: ThinknxServer | None = None
    raw_bus: RawBus | None = None
    control: ControlSocket | None = None
    announcer: Announcer | None = None

    async def stop(self) -> None:
        """Close the doors, stop the hub (flushing state values) and close storage."""
        if self.announcer is not None:
            await self.announcer.close()
        if self.control is not None:
            await self.control.stop()
        if self.jsonrpc is not None:
            await self.jsonrpc.stop()
        if self.ezlo is not None:
            await self.ezlo.stop()
        if self.thinknx is not None:
            await self.thinknx.stop()
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


def _certificate(config: Config) -> CertificateFiles:
    settings = config.jsonrpc
    if settings.certificate and settings.private_key:
        return CertificateFiles(Path(settings.certificate), Path(settings.private_key))
    return ensure_self_signed(config.data_dir / "tls", "jsonrpc", common_name=settings.server_name)


async def _start_jsonrpc(server: Server) -> None:
    config = server.config
    settings = config.jsonrpc
    door = JsonRpcDoor(
        hub=server.hub,
        security=server.security,
        server_uuid=server.server_uuid,
        settings=JsonRpcSettings(
            server_name=settings.server_name,
            lockdown_seconds=settings.lockdown_seconds,
            max_connections=settings.max_connections,
            logins_waiting=config.limits.logins_waiting_per_address,
            push_button_interval=settings.push_button_interval,
        ),
    )
    tls = None
    if settings.tcp_tls or settings.ws_tls:
        tls = server_context(_certificate(config))
    tcp = ws = None
    if config.ports.jsonrpc_tcp is not None:
        tcp = Listener(config.ports.jsonrpc_tcp, tls if settings.tcp_tls else None, settings.tcp_authentication)
    if config.ports.jsonrpc_ws is not None:
        ws = Listener(config.ports.jsonrpc_ws, tls if settings.ws_tls else None, settings.ws_authentication)
    server.jsonrpc = JsonRpcServer(door, host=config.bind, tcp=tcp, websocket=ws, guard=server.guard)
    await server.jsonrpc.start()

    async def reload(args: list[str]) -> str:
        return await _reload(server)

    server.control = ControlSocket(
        socket_path(config.data_dir), {"reload": reload, "pushbutton": _push_button_command(door.push_button)}
    )
    await server.control.start()
    if settings.zeroconf:
        listeners = []
        if server.jsonrpc.tcp_port is not None:
            listeners.append(("tcp", server.jsonrpc.tcp_port, settings.tcp_tls))
        if server.jsonrpc.ws_port is not None:
            listeners.append(("ws", server.jsonrpc.ws_port, settings.ws_tls))
        await _announcer(server).add(
            jsonrpc_services(name=settings.server_name, server_uuid=server.server_uuid, listeners=listeners)
        )


def _announcer(server: Server) -> Announcer:
    """The one mDNS responder of every door (made by the first door that announces itself)."""
    if server.announcer is None:
        server.announcer = Announcer(interfaces_for(server.config.bind))
    return server.announcer


async def _reload(server: Server) -> str:
    """Control command `reload`: read users, tokens, the Integration Kit key and the house mode again.

    The command line sends it after changing them in the store; what changed is announced on
    the bus as if a door had changed it, so every door acts on it at once.
    """
    await server.security.load()
    await server.modes.reload()
    if server.thinknx is not None:
        await server.thinknx.authenticator.key.load()
    return "reloaded"


def _waiting_json(request: WaitingRequest) -> dict[str, Any]:
    return {
        "transactionId": request.transaction_id,
        "address": request.address,
        "deviceName": request.device_name,
        "since": request.since.isoformat(),
    }


def _push_button_command(push_button: PushButtonAuth) -> Command:
    """Control command `pushbutton list` (JSON) and `pushbutton grant TRANSACTION_ID`."""

    async def command(args: list[str]) -> str:
        if args == ["list"]:
            return json.dumps({"waiting": [_waiting_json(request) for request in push_button.waiting()]})
        if len(args) == 2 and args[0] == "grant":
            try:
                transaction_id = int(args[1])
            except ValueError:
                raise CommandError(f"not a transaction id: {args[1]!r}") from None
            try:
                granted = await push_button.grant(transaction_id)
            except LookupError as exc:
                raise CommandError(str(exc)) from None
            return json.dumps({"granted": _waiting_json(granted)})
        raise CommandError("use: pushbutton list | pushbutton grant TRANSACTION_ID")

    return command


async def _start_ezlo(server: Server) -> None:
    config = server.config
    settings = config.ezlo
    if config.ports.ezlo is None or not (settings.tls or settings.insecure_access):
        return
    serial = hub_serial(server.server_uuid)
    door = EzloDoor(
        hub=server.hub,
        security=server.security,
        modes=server.modes,
        server_uuid=server.server_uuid,
        settings=EzloSettings(
            serial=serial,
            anonymous_access=settings.anonymous_access,
            insecure_access=settings.insecure_access,
            firmware=__version__,
        ),
    )
    tls = None
    if settings.tls:
        if settings.certificate and settings.private_key:
            files = CertificateFiles(Path(settings.certificate), Path(settings.private_key))
        else:
            files = ensure_self_signed(config.data_dir / "tls", "ezlo", common_name=serial)
        tls = server_context(files, ciphers=EZLO_CIPHERS)
    server.ezlo = EzloServer(
        door,
        host=config.bind,
        port=config.ports.ezlo,
        tls=tls,
        insecure=settings.insecure_access,
        guard=server.guard,
    )
    await server.ezlo.start()
    if settings.zeroconf:
        await _announcer(server).add([ezlo_service(serial=serial, port=server.ezlo.port)])


async def _start_thinknx(server: Server) -> None:
    config = server.config
    if config.ports.thinknx is None:
        return
    settings = config.thinknx
    _check_thinknx(settings)
    key = IntegrationKey(server.store)
    await key.load()
    authenticator = Authenticator(
        security=server.security,
        key=key,
        limiter=LoginLimiter(max_failures=settings.max_failed_logins),
        digest=DigestAuthority(
            secret_of=server.security.digest_secret,
            realm=await server.security.digest_realm(),
            lifetime=settings.nonce_seconds,
        ),
        logins_waiting=config.limits.logins_waiting_per_address,
    )
    holder: list[ThinknxServer] = []
    door = ThinknxDoor(
        hub=server.hub,
        settings=ThinknxSettings(
            feedback_seconds=settings.feedback_seconds,
            rate_limit=settings.rate_limit,
            nonce_seconds=settings.nonce_seconds,
            version=__version__,
        ),
        raw_bus=server.raw_bus,
        client_count=lambda: _client_count(server, holder),
    )
    door.hooks = HookRegistry(
        hub=server.hub,
        security=server.security,
        store=server.store,
        comm_obj=door.comm_obj,
        key=key,
        allow_loopback=settings.hooks_allow_loopback,
    )
    await door.hooks.start()
    server.thinknx = ThinknxServer(
        door,
        authenticator,
        host=config.bind,
        port=config.ports.thinknx,
        rate_limit=settings.rate_limit,
        tls=server_context(_certificate(config)) if settings.tls else None,
        guard=server.guard,
    )
    holder.append(server.thinknx)
    await server.thinknx.start()


def _check_thinknx(settings: ThinknxConfig) -> None:
    """Refuse [thinknx] values the door cannot work with, naming the key and the value."""
    from limits import parse

    if settings.rate_limit:
        try:
            parse(settings.rate_limit)
        except ValueError:
            raise ConfigError(f'[thinknx] rate_limit = {settings.rate_limit!r}: write e.g. "100/second"') from None
    for name in ("feedback_seconds", "nonce_seconds"):
        value = getattr(settings, name)
        if not isinstance(value, int | float) or not value > 0:
            raise ConfigError(f"[thinknx] {name} = {value!r}: must be a number of seconds above 0")
    if not isinstance(settings.max_failed_logins, int) or settings.max_failed_logins < 1:
        raise ConfigError(f"[thinknx] max_failed_logins = {settings.max_failed_logins!r}: must be 1 or more")


def _client_count(server: Server, thinknx: list[ThinknxServer]) -> int:
    """Clients connected through every door right now (Thinknx serverStatus' connected_clients)."""
    count = sum(door.connection_count for door in thinknx)
    if server.jsonrpc is not None:
        count += len(server.jsonrpc.door.sessions)
    if server.ezlo is not None:
        count += len(server.ezlo.door.sessions)
    return count


async def start_server(config: Config, *, demo: bool = False) -> Server:
    """Open storage, load users and start the hub with its integrations."""
    try:
        config.limits.check()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    private_dir(config.data_dir)  # 0700, also one an older version made 0755 (with PostgreSQL too)
    store = await open_store(config.database, config.data_dir)
    bus = EventBus()
    security = SecurityManager(store, bus=bus, password_checks=config.limits.password_checks)
    await security.load()
    hub = Hub(store=store, bus=bus)
    modes = HouseModes(store=store, bus=bus)
    await modes.load()
    virtual: VirtualIntegration | None = None
    if config.virtual.enabled:
        virtual = VirtualIntegration(
            time_scale=config.virtual.time_scale,
            test_control=config.virtual.test_control,
            test_control_port=config.virtual.test_control_port,
            auto_things=config.virtual.auto_things,
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
    await hub.start()
    if knx is not None:
        from thinggate.integrations.knx.configured import sync_configured_things

        await hub.wait_until_set_up()
        await sync_configured_things(hub, knx)
    if demo and virtual is not None:
        from thinggate.integrations.virtual.demo import populate

        await hub.wait_until_set_up()
        await populate(hub, virtual)
    server = Server(
        config=config,
        store=store,
        security=security,
        hub=hub,
        virtual=virtual,
        server_uuid=server_uuid(config.data_dir),
        modes=modes,
        guard=ConnectionGuard(config.limits),
        raw_bus=knx,
    )
    try:
        await _start_jsonrpc(server)
        await _start_ezlo(server)
        await _start_thinknx(server)
    except BaseException:
        await server.stop()
        raise
    _release_start_up_memory()
    _LOG.info("thinggate is up: %d things, data in %s", len(hub.things), config.data_dir)
    return server


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
    if ready is not None:
        ready.set()
    try:
        await stopping.wait()
    finally:
        _LOG.info("stopping")
        await server.stop()
