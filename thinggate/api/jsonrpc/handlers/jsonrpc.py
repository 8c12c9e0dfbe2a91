"""The JSONRPC namespace: handshake, login, initial setup, push button, notifications, introspection."""

from __future__ import annotations

import hashlib
import platform
from typing import TYPE_CHECKING, Any

import msgspec

from thinggate import __version__
from thinggate.api.jsonrpc import packing
from thinggate.api.jsonrpc.handlers import MethodCall
from thinggate.api.jsonrpc.schema import IMPLEMENTED_NAMESPACES, PROTOCOL_VERSION
from thinggate.api.jsonrpc.session import Session
from thinggate.core.errors import UserError, UserFailure
from thinggate.core.security import LoginThrottled, scopes_to_names

if TYPE_CHECKING:
    from thinggate.api.jsonrpc.door import JsonRpcDoor

Args = dict[str, Any]

SERVER = "nymea"
"""What Hello's `server` says: clients of nymea look for it."""

NO_TRANSACTION = -1
"""The transactionId of a refused push-button request (nymea's own "no transaction")."""


def _md5(value: Any) -> str:
    return hashlib.md5(msgspec.json.encode(value), usedforsecurity=False).hexdigest()


class JsonRpcHandler:
    """Answers JSONRPC.*; these calls change the session itself, so the door runs them in order."""

    namespace = "JSONRPC"

    def __init__(self, door: JsonRpcDoor) -> None:
        self.door = door
        self._hashes: dict[tuple[str, int, int, int], list[dict[str, str]]] = {}
        self.methods: dict[str, MethodCall] = {
            "Hello": self.hello,
            "Authenticate": self.authenticate,
            "CreateUser": self.create_user,
            "RequestPushButtonAuth": self.request_push_button_auth,
            "SetNotificationStatus": self.set_notification_status,
            "Introspect": self.introspect,
            "Version": self.version,
            "KeepAlive": self.keep_alive,
        }

    async def hello(self, session: Session, args: Args) -> dict[str, Any]:
        """JSONRPC.Hello: the door has already taken the token; this reports what it means."""
        if args.get("locale"):
            session.locale = args["locale"]
        security = self.door.security
        reply: dict[str, Any] = {
            "server": SERVER,
            "name": self.door.settings.server_name,
            "version": __version__,
            "uuid": packing.braced(self.door.server_uuid),
            "language": session.locale,
            "locale": session.locale,
            "protocol version": PROTOCOL_VERSION,
            "initialSetupRequired": session.authentication_required and not security.has_users,
            "authenticationRequired": session.authentication_required,
            "pushButtonAuthAvailable": self.door.push_button_available,
            "cacheHashes": self._cache_hashes(session),
        }
        if session.token:
            principal = session.principal
            reply["authenticated"] = principal is not None
            if principal is not None:
                reply["permissionScopes"] = scopes_to_names(principal.scopes)
                reply["username"] = principal.name
        return reply

    def _cache_hashes(self, session: Session) -> list[dict[str, str]]:
        hub = self.door.hub
        key = (session.locale, len(hub.thing_classes), len(hub.vendors), len(hub.integrations))
        cached = self._hashes.get(key)
        if cached is None:
            translate = session.translate
            by_id = sorted(hub.thing_classes.values(), key=lambda c: str(c.id))
            vendors = sorted(hub.get_vendors(), key=lambda v: str(v.id))
            plugins = sorted(hub.get_plugins(), key=lambda p: str(p.id))
            lists = {
                "Integrations.GetThingClasses": [packing.thing_class(c, translate) for c in by_id],
                "Integrations.GetVendors": [packing.vendor(v, translate) for v in vendors],
                "Integrations.GetPlugins": [packing.plugin(p, translate) for p in plugins],
            }
            cached = [{"method": method, "hash": _md5(packed)} for method, packed in lists.items()]
            if len(self._hashes) > 32:
                self._hashes.clear()
            self._hashes[key] = cached
        return cached

    async def authenticate(self, session: Session, args: Args) -> dict[str, Any]:
        """JSONRPC.Authenticate: a token for a username (any case) and password."""
        door = self.door
        token: str | None = None
        try:
            # One password check at a time per address, counted before it runs: concurrent guesses
            # cannot slip past the lockout, and argon2 work stays bounded.
            async with door.limiter.attempt(session.peer, max_waiting=door.settings.logins_waiting) as attempt:
                token = await door.security.authenticate(args["username"], args["password"], args["deviceName"])
                if token is not None:
                    attempt.succeeded()  # takes back this attempt's count only: earlier failures stay
        except LoginThrottled:
            token = None
        if token is None:
            door.auth_failed(session)
            return {"success": False}
        door.adopt_token(session, token)
        principal = session.principal
        assert principal is not None
        return {
            "success": True,
            "token": token,
            "username": principal.name,
            "scopes": scopes_to_names(principal.scopes),
        }

    async def create_user(self, session: Session, args: Args) -> dict[str, Any]:
        """JSONRPC.CreateUser: the first (admin) user at initial setup; later, an admin's call."""
        try:
            await self.door.security.create_user(
                args["username"],
                args["password"],
                email=args.get("email", ""),
                display_name=args.get("displayName", ""),
            )
        except UserFailure as failure:
            return {"error": packing.user_error(failure.error)}
        return {"error": packing.user_error(UserError.NO_ERROR)}

    async def request_push_button_auth(self, session: Session, args: Args) -> dict[str, Any]:
        """JSONRPC.RequestPushButtonAuth: waits for the owner's grant; PushButtonAuthFinished follows, to it only.

        `success: false` (and no transaction) when the client's address asked moments ago or too
        many requests are waiting; the requests already waiting are not disturbed.
        """
        transaction_id = self.door.push_button.request(session, args["deviceName"])
        if transaction_id is None:
            return {"success": False, "transactionId": NO_TRANSACTION}
        return {"success": True, "transactionId": transaction_id}

    async def set_notification_status(self, session: Session, args: Args) -> dict[str, Any]:
        """JSONRPC.SetNotificationStatus: namespaces to hear from (unknown names are dropped)."""
        if "namespaces" in args:
            wanted = [name for name in dict.fromkeys(args["namespaces"]) if name in IMPLEMENTED_NAMESPACES]
        elif "enabled" in args:
            wanted = list(IMPLEMENTED_NAMESPACES) if args["enabled"] else []
        else:
            wanted = [name for name in IMPLEMENTED_NAMESPACES if name in session.notifications]
        self.door.set_notifications(session, wanted)
        return {"namespaces": wanted, "enabled": bool(wanted)}

    async def introspect(self, session: Session, args: Args) -> dict[str, Any]:
        """JSONRPC.Introspect: nymea's own declarations of the namespaces thinggate implements."""
        return self.door.introspection

    async def version(self, session: Session, args: Args) -> dict[str, Any]:
        """JSONRPC.Version (no Qt here: the Qt fields carry the Python version)."""
        return {
            "version": __version__,
            "protocol version": PROTOCOL_VERSION,
            "qtVersion": platform.python_version(),
            "qtBuildVersion": platform.python_version(),
        }

    async def keep_alive(self, session: Session, args: Args) -> dict[str, Any]:
        """JSONRPC.KeepAlive: echoes the session id."""
        return {"success": True, "sessionId": args["sessionId"]}
