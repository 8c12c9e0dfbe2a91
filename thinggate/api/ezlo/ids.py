"""Ezlo ids: 24 lower-case hex characters, derived from thinggate's ids so they survive restarts."""

from __future__ import annotations

import hashlib
import uuid


def _hex24(*parts: bytes) -> str:
    return hashlib.blake2b(b"\0".join(parts), digest_size=12).hexdigest()


def device_id(thing_id: uuid.UUID) -> str:
    """The Ezlo device id of a thing."""
    return _hex24(b"device", thing_id.bytes)


def item_id(thing_id: uuid.UUID, key: str) -> str:
    """The Ezlo item id of a thing's state (key: state type id) or command (key: action name)."""
    return _hex24(b"item", thing_id.bytes, key.encode())


def room_id(name: str) -> str:
    """The Ezlo room id of a room name."""
    return _hex24(b"room", name.encode())


def gateway_id(plugin_id: uuid.UUID) -> str:
    """The Ezlo gateway id of an integration."""
    return _hex24(b"gateway", plugin_id.bytes)


def hub_serial(server_uuid: uuid.UUID) -> str:
    """The hub's serial number: eight digits, as Ezlo Linux hubs have (also the certificate's CN)."""
    return str(90_000_000 + server_uuid.int % 10_000_000)
