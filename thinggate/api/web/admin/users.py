"""Users: list, add, remove, reset a password, set nymea's scopes and allowed things.

    GET  admin/users                       the users the session's user may see
    POST admin/users                       {"username", "password", "role", "homeDomain", "displayName", "email"}
    POST admin/users/{name}/password       {"password"}: a new password (the user's logins by token stay)
    POST admin/users/{name}/scopes         {"scopes": [nymea scope names], "allowedThings": [thing ids]}
    POST admin/users/{name}/remove         the user and its logins go; its dashboard sessions end

The Directory decides: Users.CREATE/UPDATE/DELETE on the user's home domain, and nobody gives or
takes a right it does not hold itself.
"""

from __future__ import annotations

from typing import Any

import msgspec

from thinggate.api.web.admin.parts import PREFIX, AdminParts, listed
from thinggate.api.web.api import Call, Route
from thinggate.api.web.errors import WebProblem
from thinggate.core.registry.directory import UserChanges, role_of
from thinggate.core.scopes import ROOT_DOMAIN, scopes_from_names, scopes_to_names
from thinggate.core.security import Principal
from thinggate.core.users import UserInfo
from thinggate.core.values import parse_uuid


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    """A user to add."""

    username: str
    password: str
    role: str
    homeDomain: str = ROOT_DOMAIN
    displayName: str = ""
    email: str = ""


class NewPassword(msgspec.Struct, forbid_unknown_fields=True):
    """A user's new password."""

    password: str


class ScopesBody(msgspec.Struct, forbid_unknown_fields=True):
    """nymea's permission scopes of a user (wire names) and the things it may use without AccessAllThings."""

    scopes: list[str]
    allowedThings: list[str] = msgspec.field(default_factory=list)


def user_view(user: UserInfo, principal: Principal) -> dict[str, Any]:
    """A user as the page shows it (never its password or digest secrets)."""
    return {
        "username": user.username,
        "displayName": user.display_name,
        "email": user.email,
        "homeDomain": user.home_domain,
        "role": role_of(user),
        "roles": list(user.roles),
        "scopes": scopes_to_names(user.scopes),
        "effectiveScopes": scopes_to_names(user.effective_scopes),
        "allowedThings": sorted(str(thing_id) for thing_id in user.allowed_thing_ids),
        "privileges": [privilege.to_dict() for privilege in user.privileges],
        "self": user.username == principal.name,
    }


def routes(parts: AdminParts) -> list[Route]:
    """The user rows."""
    directory = parts.directory

    async def list_users(call: Call) -> dict[str, Any]:
        principal = call.session.principal
        return listed([user_view(user, principal) for user in directory.visible_users(principal)])

    async def add_user(call: Call) -> dict[str, Any]:
        body: NewUser = call.body
        user = await directory.create_user(
            call.session.principal,
            body.username,
            body.password,
            role=body.role,
            home_domain=body.homeDomain,
            email=body.email,
            display_name=body.displayName,
        )
        return user_view(user, call.session.principal)

    async def reset_password(call: Call) -> dict[str, Any]:
        body: NewPassword = call.body
        user = await directory.update_user(
            call.session.principal, call.values["name"], UserChanges(password=body.password)
        )
        return user_view(user, call.session.principal)

    async def set_scopes(call: Call) -> dict[str, Any]:
        body: ScopesBody = call.body
        try:
            scopes = scopes_from_names(body.scopes)
        except ValueError as exc:
            raise WebProblem(422, "InvalidValue", str(exc)) from None
        thing_ids = []
        for text in body.allowedThings:
            thing_id = parse_uuid(text)
            if thing_id is None:
                raise WebProblem(422, "InvalidValue", f"{text!r} is not a thing id")
            thing_ids.append(thing_id)
        user = await directory.set_user_scopes(call.session.principal, call.values["name"], scopes, thing_ids)
        return user_view(user, call.session.principal)

    async def remove_user(call: Call) -> dict[str, Any]:
        await directory.remove_user(call.session.principal, call.values["name"])
        return {}

    return [
        Route("GET", PREFIX + "users", list_users),
        Route("POST", PREFIX + "users", add_user, NewUser),
        Route("POST", PREFIX + "users/{name}/password", reset_password, NewPassword),
        Route("POST", PREFIX + "users/{name}/scopes", set_scopes, ScopesBody),
        Route("POST", PREFIX + "users/{name}/remove", remove_user),
    ]
