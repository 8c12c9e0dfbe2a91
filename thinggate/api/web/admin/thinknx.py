"""The Thinknx door's tree (GUIDs and URLs per controller), its integration key and its REST hooks.

    GET  admin/thinknx                       {port, tls, devices: [{room, name, kind, guid, controllers}]}, each
                                             controller {name, url (its values' range), example (a URL that works)}
    GET  admin/thinknx/key                   {set, enabled}
    POST admin/thinknx/key                   {"enabled": true, "regenerate": false}: the new key when one is made
    GET  admin/thinknx/hooks                 the hooks the user may manage, with their last error
    POST admin/thinknx/hooks/{id}/{action}   `remove` or `enable` (again, after failures disabled it)

The door's own parts, reached through DoorContext.thinknx_admin (this door imports no other);
what a user sees is the core's word there. 404 DoorClosed when the Thinknx door is closed.
"""

from __future__ import annotations

from typing import Any

import msgspec

from thinggate.api.door import ThinknxAdmin
from thinggate.api.web.admin.parts import PREFIX, AdminParts, closed, listed
from thinggate.api.web.api import Call, Route


class KeyChange(msgspec.Struct, forbid_unknown_fields=True):
    """The integration key's new state: enabled or not, and whether to make a new key."""

    enabled: bool
    regenerate: bool = False


def routes(parts: AdminParts) -> list[Route]:
    """The Thinknx rows."""

    def door() -> ThinknxAdmin:
        found = parts.thinknx()
        if found is None:
            raise closed("Thinknx")
        return found

    async def tree(call: Call) -> dict[str, Any]:
        thinknx = door()
        return {"port": thinknx.port, "tls": thinknx.tls, "devices": thinknx.tree(call.session.principal)}

    async def key(call: Call) -> dict[str, Any]:
        return dict(door().key(call.session.principal))

    async def change_key(call: Call) -> dict[str, Any]:
        body: KeyChange = call.body
        thinknx = door()
        made = await thinknx.change_key(call.session.principal, enabled=body.enabled, regenerate=body.regenerate)
        return {**thinknx.key(call.session.principal), "key": made}

    async def hooks(call: Call) -> dict[str, Any]:
        return listed(door().hooks(call.session.principal))

    async def change_hook(call: Call) -> dict[str, Any]:
        thinknx = door()
        await thinknx.change_hook(call.session.principal, call.values["id"], call.values["action"])
        return listed(thinknx.hooks(call.session.principal))

    return [
        Route("GET", PREFIX + "thinknx", tree),
        Route("GET", PREFIX + "thinknx/key", key),
        Route("POST", PREFIX + "thinknx/key", change_key, KeyChange),
        Route("GET", PREFIX + "thinknx/hooks", hooks),
        Route("POST", PREFIX + "thinknx/hooks/{id}/{action}", change_hook),
    ]
