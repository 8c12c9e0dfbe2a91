"""Thinknx GUIDs: the 16 bytes of a thing's UUID in URL-safe base64 without padding (22 characters).

In the core because two parts spell ids this way: the Thinknx door, and the KNX integration,
whose things declared with a Thinknx GUID keep it as their id (DESIGN.md, identifiers).
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid

_GUID = re.compile(r"[A-Za-z0-9_-]{22}")


def guid_of(thing_id: uuid.UUID) -> str:
    """The GUID of a thing."""
    return base64.urlsafe_b64encode(thing_id.bytes).rstrip(b"=").decode("ascii")


_CACHE: dict[str, uuid.UUID] = {}
_CACHE_SIZE = 4096


def thing_id_of(guid: str) -> uuid.UUID | None:
    """The thing id a GUID stands for, or None when it is not a GUID at all."""
    known = _CACHE.get(guid)
    if known is not None:
        return known  # the same few GUIDs are asked for over and over
    thing_id = _decode(guid)
    if thing_id is not None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[guid] = thing_id
    return thing_id


def _decode(guid: str) -> uuid.UUID | None:
    if not _GUID.fullmatch(guid):
        return None
    try:
        raw = base64.urlsafe_b64decode(guid + "==")
    except (binascii.Error, ValueError):
        return None
    # 22 characters carry 132 bits; a GUID made from 16 bytes has its last 4 bits zero.
    if len(raw) != 16 or guid_of(uuid.UUID(bytes=raw)) != guid:
        return None
    return uuid.UUID(bytes=raw)
