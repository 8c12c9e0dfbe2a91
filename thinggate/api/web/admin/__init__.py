"""The dashboard's administration API under `/web/api/admin/`: one module per concern, each giving its routes.

Every call goes to the core with the session's principal, and the core decides: users, roles,
domains and tokens through the Directory (per user and domain), API keys, OAuth clients and the
outbox through core.admin's HubAdmin (the hub's administrators), thing types through ThingTypes,
and the Thinknx door's key, tree and hooks through the ThinknxAdmin protocol that door puts on the
door context (this door imports no other). A change made here is in the running hub at once: the
credentials' doors read them again (the hub's reloaders, as the command line's `reload`), and the
Thinknx door changes its own state in place.

    users.py       GET users, POST users, users/{name}/password, users/{name}/scopes, users/{name}/remove
    roles.py       GET roles, POST users/{name}/role
    domains.py     GET domains, POST domains, domains/{name}/remove
    tokens.py      GET tokens, POST tokens/{id}/revoke
    apikeys.py     GET apikeys, POST apikeys, apikeys/{id}/revoke
    oauth.py       GET oauth-clients, POST oauth-clients, oauth-clients/{id}/revoke
    thingtypes.py  GET thingtypes
    thinknx.py     GET thinknx, GET thinknx/key, POST thinknx/key, thinknx/hooks/{id}/{action}
    status.py      GET status (the outbox's depth, the MQTT links)
"""

from __future__ import annotations

from thinggate.api.door import DoorContext
from thinggate.api.web.admin import apikeys, domains, oauth, roles, status, thingtypes, thinknx, tokens, users
from thinggate.api.web.admin.parts import AdminParts
from thinggate.api.web.api import Route
from thinggate.api.web.door import WebDoor


def routes(door: WebDoor, context: DoorContext) -> list[Route]:
    """Every row of the administration API."""
    parts = AdminParts.of(door, context)
    return [
        *users.routes(parts),
        *roles.routes(parts),
        *domains.routes(parts),
        *tokens.routes(parts),
        *apikeys.routes(parts),
        *oauth.routes(parts),
        *thingtypes.routes(parts),
        *thinknx.routes(parts),
        *status.routes(parts),
    ]
