"""Roles and privileges: the registry's roles and each user's custom privileges.

    GET  admin/roles               the roles, the objects privileges are given on, what the session's user may do
    POST admin/users/{name}/role   {"role": "ReadWrite" or null, "privileges": [{"object", "domain", "operations"}]}

A role stands for scopes in the user's home domain and below; privileges add C/R/U/D on one kind
of object in another subtree. The Directory decides: Users.UPDATE on the user's home domain, and
the session's user holds every right it gives, where it gives it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from thinggate.api.web.admin.parts import PREFIX, AdminParts
from thinggate.api.web.admin.users import user_view
from thinggate.api.web.api import Call, Route
from thinggate.api.web.errors import WebProblem
from thinggate.core.registry.directory import ROLE_ORDER, UserChanges
from thinggate.core.scopes import OBJECTS, ROLE_SCOPES, Privilege, scopes_to_names


class PrivilegeBody(msgspec.Struct, forbid_unknown_fields=True):
    """One custom privilege: operations on a kind of object in a domain's subtree."""

    object: str
    domain: str
    operations: list[str]


class RoleBody(msgspec.Struct, forbid_unknown_fields=True):
    """A user's role (None keeps the role, or the nymea scopes of a user without one) and its privileges
    (all of them: the list replaces the user's)."""

    role: str | None
    privileges: list[PrivilegeBody] = msgspec.field(default_factory=list)


def routes(parts: AdminParts) -> list[Route]:
    """The role rows."""
    directory = parts.directory

    async def roles(call: Call) -> dict[str, Any]:
        principal = call.session.principal
        return {
            "roles": [{"name": role, "scopes": scopes_to_names(ROLE_SCOPES[role])} for role in ROLE_ORDER],
            "objects": sorted(OBJECTS),
            "homeDomain": principal.home_domain,
            "permissions": directory.permissions(principal, sorted(OBJECTS)),
        }

    async def set_role(call: Call) -> dict[str, Any]:
        body: RoleBody = call.body
        privileges: list[Privilege] = []
        for index, given in enumerate(body.privileges):
            try:
                privileges.append(Privilege(given.object, given.domain, frozenset(given.operations)))
            except ValueError as exc:
                raise WebProblem(422, "InvalidValue", f"privileges[{index}]: {exc}") from None
        changes = UserChanges(role=body.role, privileges=tuple(privileges))
        user = await directory.update_user(call.session.principal, call.values["name"], changes)
        return user_view(user, call.session.principal)

    return [
        Route("GET", PREFIX + "roles", roles),
        Route("POST", PREFIX + "users/{name}/role", set_role, RoleBody),
    ]
