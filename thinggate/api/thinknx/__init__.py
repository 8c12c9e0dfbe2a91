"""The Thinknx Integration Kit door (REST on port 5051): lights, blinds, climate, scenes, raw KNX telegrams."""

from __future__ import annotations

from typing import TYPE_CHECKING

from thinggate.api.lazy import lazy_exports

if TYPE_CHECKING:
    from thinggate.api.thinknx.auth import Authenticator
    from thinggate.api.thinknx.door import ThinknxDoor, ThinknxSettings
    from thinggate.api.thinknx.transport import ThinknxServer

__all__ = ["Authenticator", "ThinknxDoor", "ThinknxServer", "ThinknxSettings"]

_HOMES = {
    "Authenticator": "thinggate.api.thinknx.auth",
    "ThinknxDoor": "thinggate.api.thinknx.door",
    "ThinknxSettings": "thinggate.api.thinknx.door",
    "ThinknxServer": "thinggate.api.thinknx.transport",
}


# Loaded on first use: reading the door's settings (thinggate.doors) must not load the door itself.
__getattr__ = lazy_exports(__name__, _HOMES)
