"""Builds the Ezlo door from the shared door context and its `[ezlo]` settings."""

from __future__ import annotations

from pathlib import Path

from thinggate.api.door import DoorContext
from thinggate.api.ezlo.discovery import ezlo_service
from thinggate.api.ezlo.door import EzloDoor, EzloSettings
from thinggate.api.ezlo.ids import hub_serial
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.ezlo.transport import CIPHERS, EzloServer
from thinggate.api.tls import CertificateFiles, ensure_self_signed, server_context


async def build(context: DoorContext, settings: EzloConfig) -> EzloServer | None:
    """The door on `[ports] ezlo` (None when closed, or with neither wss:// nor ws://), started."""
    if context.ports.ezlo is None or not (settings.tls or settings.insecure_access):
        return None
    serial = hub_serial(context.server_uuid)
    door = EzloDoor(
        hub=context.hub,
        security=context.security,
        modes=context.modes,
        server_uuid=context.server_uuid,
        settings=EzloSettings(
            serial=serial,
            anonymous_access=settings.anonymous_access,
            insecure_access=settings.insecure_access,
            firmware=context.version,
        ),
    )
    door.meter = context.request_meter
    tls = None
    if settings.tls:
        if settings.certificate and settings.private_key:
            files = CertificateFiles(Path(settings.certificate), Path(settings.private_key))
        else:  # an Ezlo hub's own: self-signed with the serial as its name, as clients expect
            files = ensure_self_signed(context.data_dir / "tls", "ezlo", common_name=serial)
        tls = server_context(files, ciphers=CIPHERS)
    server = EzloServer(
        door,
        host=context.bind,
        port=context.ports.ezlo,
        tls=tls,
        insecure=settings.insecure_access,
        guard=context.guard,
    )
    await server.start()
    if settings.zeroconf:  # as Ezlo hubs are found: _ezlo._tcp with the serial
        await context.announcer.add([ezlo_service(serial=serial, port=server.port)])
    return server
