"""The Users namespace: users, scopes and tokens through the core's SecurityManager."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from thinggate.api.jsonrpc import packing
from thinggate.api.jsonrpc.handlers import MethodCall
from thinggate.api.jsonrpc.session import Session
from thinggate.core.errors import UserError, UserFailure
from thinggate.core.security import SecurityManager, scopes_from_names
from thinggate.core.values import parse_uuid

Args = dict[str, Any]


def _no_error() -> dict[str, Any]:
    return {"error": packing.user_error(UserError.NO_ERROR)}


def _thing_ids(values: list[str] | None) -> list[uuid.UUID] | None:
    if values is None:
        return None
    parsed = [parse_uuid(value) for value in values]
    return [value for value in parsed if value is not None]


def _answering_user_errors(call: MethodCall) -> MethodCall:
    async def handle(session: Session, args: Args) -> dict[str, Any]:
        try:
            return await call(session, args)
        except UserFailure as failure:
            return {"error": packing.user_error(failure.error)}
        except ValueError:  # e.g. an unknown scope name that slipped past the schema
            return {"error": packing.user_error(UserError.INCONSISTENT_SCOPES)}

    return handle


class UsersHandler:
    """Answers Users.*; the caller is the session's user (nymea scopes: Admin except GetUserInfo)."""

    namespace = "Users"

    def __init__(self, security: SecurityManager) -> None:
        self.security = security
        calls: dict[str, Callable[[Session, Args], Awaitable[dict[str, Any]]]] = {
            "CreateUser": self.create_user,
            "GetUsers": self.get_users,
            "GetUserInfo": self.get_user_info,
            "SetUserInfo": self.set_user_info,
            "RemoveUser": self.remove_user,
            "ChangePassword": self.change_password,
            "ChangeUserPassword": self.change_user_password,
            "SetUserScopes": self.set_user_scopes,
            "GetTokens": self.get_tokens,
            "GetUserTokens": self.get_user_tokens,
            "RemoveToken": self.remove_token,
        }
        self.methods: dict[str, MethodCall] = {name: _answering_user_errors(call) for name, call in calls.items()}

    @staticmethod
    def _own_name(session: Session) -> str:
        name = session.principal.name if session.principal is not None else ""
        if not name:
            # An unauthenticated transport has no user to speak of.
            raise UserFailure(UserError.PERMISSION_DENIED, "this connection has no user")
        return name

    async def create_user(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.CreateUser (scopes default to Admin, as in nymea)."""
        scopes = scopes_from_names(args["scopes"]) if "scopes" in args else None
        await self.security.create_user(
            args["username"],
            args["password"],
            email=args.get("email", ""),
            display_name=args.get("displayName", ""),
            scopes=scopes,
            allowed_thing_ids=_thing_ids(args.get("allowedThingIds")) or (),
        )
        return _no_error()

    async def get_users(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.GetUsers."""
        return {"users": [packing.user_info(user) for user in self.security.users()]}

    async def get_user_info(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.GetUserInfo: the connection's own user."""
        info = self.security.user(self._own_name(session))
        return {"error": packing.user_error(UserError.NO_ERROR), "userInfo": packing.user_info(info)}

    async def set_user_info(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.SetUserInfo: the given user's (default: own) display name and e-mail address."""
        username = args.get("username") or self._own_name(session)
        await self.security.set_user_info(username, email=args.get("email"), display_name=args.get("displayName"))
        return _no_error()

    async def remove_user(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.RemoveUser."""
        await self.security.remove_user(args["username"])
        return _no_error()

    async def change_password(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.ChangePassword: the connection's own password."""
        await self.security.change_password(self._own_name(session), args["newPassword"])
        return _no_error()

    async def change_user_password(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.ChangeUserPassword."""
        await self.security.change_password(args["username"], args["newPassword"])
        return _no_error()

    async def set_user_scopes(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.SetUserScopes (allowedThingIds left out keeps the current list)."""
        await self.security.set_user_scopes(
            args["username"], scopes_from_names(args["scopes"]), _thing_ids(args.get("allowedThingIds"))
        )
        return _no_error()

    async def get_tokens(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.GetTokens: the connection's own user's tokens."""
        tokens = self.security.tokens(self._own_name(session))
        return {**_no_error(), "tokenInfoList": [packing.token_info(token) for token in tokens]}

    async def get_user_tokens(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.GetUserTokens."""
        self.security.user(args["username"])  # InvalidUserId for an unknown user
        tokens = self.security.tokens(args["username"])
        return {**_no_error(), "tokenInfoList": [packing.token_info(token) for token in tokens]}

    async def remove_token(self, session: Session, args: Args) -> dict[str, Any]:
        """Users.RemoveToken: revoked at once, also on open connections."""
        await self.security.remove_token(args["tokenId"].strip("{}"))
        return _no_error()
