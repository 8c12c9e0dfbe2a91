"""Login tokens (JSON-RPC, Ezlo, sensor data by password): the user's own and, for those who may change users, theirs.

    GET  admin/tokens                 id, user, device name, when it was made
    POST admin/tokens/{id}/revoke     the token logs in nowhere from now on; connections using it close

The Directory decides: one's own tokens, and those of users one may change (Users.UPDATE on
their home domain, holding every right they hold).
"""

from __future__ import annotations

from typing import Any

from thinggate.api.web.admin.parts import PREFIX, AdminParts, listed, when
from thinggate.api.web.api import Call, Route
from thinggate.core.users import TokenInfo


def token_view(token: TokenInfo) -> dict[str, Any]:
    """A token as the page lists it (never the token itself: only its hash is kept)."""
    return {
        "id": str(token.id),
        "username": token.username,
        "deviceName": token.device_name,
        "created": when(token.created),
    }


def routes(parts: AdminParts) -> list[Route]:
    """The token rows."""
    directory = parts.directory

    async def list_tokens(call: Call) -> dict[str, Any]:
        principal = call.session.principal
        return {
            **listed([token_view(token) for token in directory.tokens(principal)]),
            "username": principal.name,
        }

    async def revoke(call: Call) -> dict[str, Any]:
        return token_view(await directory.revoke_token(call.session.principal, call.values["id"]))

    return [
        Route("GET", PREFIX + "tokens", list_tokens),
        Route("POST", PREFIX + "tokens/{id}/revoke", revoke),
    ]
