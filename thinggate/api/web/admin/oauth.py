"""OAuth clients of the sensor-data door (client credentials): list, add (the secret shown once), revoke.

    GET  admin/oauth-clients               client id, name, the user it acts as, scopes, created; the scopes there are
    POST admin/oauth-clients               {"name", "username", "scopes"}: the secret, the only time it is shown
    POST admin/oauth-clients/{id}/revoke   its tokens stop working at the sensor-data door at once

core.admin's HubAdmin decides (Admin in the root domain) and tells the sensor-data door.
"""

from __future__ import annotations

from typing import Any

import msgspec

from thinggate.api.web.admin.parts import PREFIX, AdminParts, listed, when
from thinggate.api.web.api import Call, Route
from thinggate.core.credentials import OAUTH_SCOPES
from thinggate.core.store import OAuthClientRecord


class NewClient(msgspec.Struct, forbid_unknown_fields=True):
    """A client to make: its name, the user it acts as, the scopes it may ask for (none: itwin-platform)."""

    name: str
    username: str
    scopes: list[str] = msgspec.field(default_factory=list)


def client_view(record: OAuthClientRecord, user_exists: bool = True) -> dict[str, Any]:
    """A client as the page lists it (its secret's hash never leaves the hub)."""
    return {
        "clientId": record.client_id,
        "name": record.name,
        "username": record.username,
        # A client outlives its user's removal, but the door refuses its token requests from then on.
        "userExists": user_exists,
        "scopes": list(record.scopes),
        "created": when(record.created),
    }


def routes(parts: AdminParts) -> list[Route]:
    """The OAuth client rows."""
    admin = parts.hub_admin

    async def list_clients(call: Call) -> dict[str, Any]:
        records = await admin.oauth_clients(call.session.principal)
        users = {user.username.casefold() for user in parts.door.security.users()}
        views = [client_view(record, record.username.casefold() in users) for record in records]
        return {**listed(views), "scopes": list(OAUTH_SCOPES)}

    async def add_client(call: Call) -> dict[str, Any]:
        body: NewClient = call.body
        record, secret = await admin.add_oauth_client(call.session.principal, body.name, body.username, body.scopes)
        return {**client_view(record), "clientSecret": secret}

    async def revoke(call: Call) -> dict[str, Any]:
        return client_view(await admin.revoke_oauth_client(call.session.principal, call.values["id"]))

    return [
        Route("GET", PREFIX + "oauth-clients", list_clients),
        Route("POST", PREFIX + "oauth-clients", add_client, NewClient),
        Route("POST", PREFIX + "oauth-clients/{id}/revoke", revoke),
    ]
