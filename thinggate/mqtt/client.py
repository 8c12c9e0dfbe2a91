"""An aiomqtt client for the configured broker, with its TLS material and a last will (imports aiomqtt)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import aiomqtt

from thinggate.mqtt.settings import MqttConfig


def tls_context(settings: MqttConfig) -> ssl.SSLContext:
    """The TLS context for an mqtts:// broker: its CA (or the system's) and the hub's client certificate."""
    context = ssl.create_default_context(cafile=str(Path(settings.ca_file).expanduser()) if settings.ca_file else None)
    if settings.cert_file:
        context.load_cert_chain(str(Path(settings.cert_file).expanduser()), str(Path(settings.key_file).expanduser()))
    return context


def make_client(
    settings: MqttConfig,
    *,
    identifier: str,
    will: aiomqtt.Will | None = None,
    clean_session: bool = True,
    **extra: Any,
) -> aiomqtt.Client:
    """A client of the configured broker (not yet connected: `async with` it)."""
    address = settings.address()
    return aiomqtt.Client(
        hostname=address.host,
        port=address.port,
        username=address.username,
        password=address.password,
        identifier=identifier,
        keepalive=settings.keepalive_seconds,
        tls_context=tls_context(settings) if address.tls else None,
        will=will,
        clean_session=clean_session,
        **extra,
    )
