"""The registry door's API keys (`x-api-key`): list, add (the key shown once), revoke.

    GET  admin/apikeys                id, name, created, and the published key (public by design) if it is one
    POST admin/apikeys                {"name"}: answers the new key, the only time it is shown
    POST admin/apikeys/{id}/revoke    the registry door refuses it from the next request

core.admin's HubAdmin decides (Admin in the root domain) and tells the registry door.
"""

from __future__ import annotations

from typing import Any

import msgspec

from thinggate.api.web.admin.parts import PREFIX, AdminParts, listed, when
from thinggate.api.web.api import Call, Route
from thinggate.core.store import ApiKeyRecord


class NewApiKey(msgspec.Struct, forbid_unknown_fields=True):
    """A key to make: what it is for."""

    name: str


def key_view(record: ApiKeyRecord) -> dict[str, Any]:
    """A key as the page lists it (its hash never leaves the hub)."""
    return {
        "id": str(record.id),
        "name": record.name,
        "created": when(record.created),
        "publishedKey": record.published_key,
    }


def routes(parts: AdminParts) -> list[Route]:
    """The API key rows."""
    admin = parts.hub_admin

    async def list_keys(call: Call) -> dict[str, Any]:
        return listed([key_view(record) for record in await admin.api_keys(call.session.principal)])

    async def add_key(call: Call) -> dict[str, Any]:
        body: NewApiKey = call.body
        record, key = await admin.add_api_key(call.session.principal, body.name)
        return {**key_view(record), "key": key}

    async def revoke(call: Call) -> dict[str, Any]:
        return key_view(await admin.revoke_api_key(call.session.principal, call.values["id"]))

    return [
        Route("GET", PREFIX + "apikeys", list_keys),
        Route("POST", PREFIX + "apikeys", add_key, NewApiKey),
        Route("POST", PREFIX + "apikeys/{id}/revoke", revoke),
    ]
