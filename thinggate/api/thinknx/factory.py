"""Builds the Thinknx Integration Kit door from the shared door context and its `[thinknx]` settings."""

from __future__ import annotations

from thinggate.api.door import DoorContext
from thinggate.api.thinknx.admin import ThinknxAdministration
from thinggate.api.thinknx.auth import Authenticator
from thinggate.api.thinknx.digest import DigestAuthority
from thinggate.api.thinknx.door import ThinknxDoor, ThinknxSettings
from thinggate.api.thinknx.hooks import HookRegistry
from thinggate.api.thinknx.key import IntegrationKey
from thinggate.api.thinknx.settings import ThinknxConfig
from thinggate.api.thinknx.transport import ThinknxServer
from thinggate.api.tls import server_context
from thinggate.core.security import LoginLimiter


async def build(context: DoorContext, settings: ThinknxConfig) -> ThinknxServer | None:
    """The door on `[ports] thinknx` (None when closed), with its REST hooks, started."""
    if context.ports.thinknx is None:
        return None
    key = IntegrationKey(context.store)
    await key.load()
    context.reloaders.append(key.load)  # `thinggate thinknx key` changes it while the hub runs
    authenticator = Authenticator(
        security=context.security,
        key=key,
        limiter=LoginLimiter(max_failures=settings.max_failed_logins),
        digest=DigestAuthority(
            secret_of=context.security.digest_secret,
            realm=await context.security.digest_realm(),
            lifetime=settings.nonce_seconds,
        ),
        logins_waiting=context.guard.limits.logins_waiting_per_address,
    )
    door = ThinknxDoor(
        hub=context.hub,
        settings=ThinknxSettings(
            feedback_seconds=settings.feedback_seconds,
            rate_limit=settings.rate_limit,
            nonce_seconds=settings.nonce_seconds,
            version=context.version,
        ),
        raw_bus=context.raw_bus,
        client_count=context.client_count,
    )
    door.meter = context.request_meter
    hooks = door.hooks = HookRegistry(
        hub=context.hub,
        security=context.security,
        store=context.store,
        comm_obj=door.comm_obj,
        key=key,
        allow_loopback=settings.hooks_allow_loopback,
    )
    await hooks.start()
    server = ThinknxServer(
        door,
        authenticator,
        host=context.bind,
        port=context.ports.thinknx,
        rate_limit=settings.rate_limit,
        tls=server_context(context.hub_certificate()) if settings.tls else None,
        guard=context.guard,
    )
    await server.start()
    # The dashboard's administration reaches the key, the tree and the hooks through this (it imports no door).
    context.thinknx_admin = ThinknxAdministration(
        hub=context.hub, store=context.store, key=key, hooks=hooks, server=server
    )
    return server
