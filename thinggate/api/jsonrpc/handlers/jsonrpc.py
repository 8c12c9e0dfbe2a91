"""The JSONRPC namespace: handshake, login, initial setup, push button, notifications, introspection."""

from __future__ import annotations

import hashlib
import platform
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from thinggate import __version__
from thinggate.api.jsonrpc import packing
from thinggate.api.jsonrpc.handlers import MethodCall
from thinggate.api.jsonrpc.schema import IMPLEMENTED_NAMESPACES, PROTOCOL_VERSION
from thinggate.api.jsonrpc.session import Session
from thinggate.core.errors import UserError, UserFailure
from thinggate.core.hub import Hub
from thinggate.core.security import LoginLimiter, LoginThrottled, SecurityManager, scopes_to_names

if TYPE_CHECKING:
    from thinggate.api.jsonrpc.pushbutton import PushButtonAuth

Args = dict[str, Any]

SERVER = "nymea"
"""What Hello's `server` says: clients of nymea look for it."""

NO_TRANSACTION = -1
"""The transactionId of a refused push-button request (nymea's own "no transaction")."""


def _md5(value: Any) -> str:
    return hashlib.md5(msgspec.json.encode(value), usedforsecurity=False).hexdigest()


class HandshakeSettings(Protocol):
    """The door settings this namespace reads."""

    @property
    def server_name(self) -> str: ...
    @property
    def logins_waiting(self) -> int: ...


class JsonRpcHandler:
    """Answers JSONRPC.*; these calls change the session itself, so the door runs them in order."""

    namespace = "JSONRPC"

    def __init__(
        self,
        *,
        hub: Hub,
        security: SecurityManager,
        settings: HandshakeSettings,
        server_uuid: uuid.UUID,
        limiter: LoginLimiter,
        push_button: PushButtonAuth,
        push_button_available: bool,
        introspection: dict[str, Any],
        auth_failed: Callable[[Session], None],
        adopt_token: Callable[[Session, str], None],
        set_notifications: Callable[[Session, list[str]], None],
    ) -> None:
        """`auth_failed`, `adopt_token` and `set_notifications` are the door's rules for a session."""
        self.hub = hub
        self.security = security
        self.settings = settings
        self.server_uuid = server_uuid
        self.limiter = limiter
        self.push_button = push_button
        self.push_button_available = push_button_available
        self.introspection = introspection
        self._auth_failed = auth_failed
        self._adopt_token = adopt_token
        self._set_notifications = set_notifications
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
        security = self.security
        reply: dict[str, Any] = {
            "server": SERVER,
            "name": self.settings.server_name,
            "version": __version__,
            "uuid": packing.braced(self.server_uuid),
            "language": session.locale,
            "locale": session.locale,
            "protocol version": PROTOCOL_VERSION,
            "initialSetupRequired": session.authentication_required and not security.has_users,
            "authenticationRequired": session.authentication_required,
            "pushButtonAuthAvailable": self.push_button_available,
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
        hub = self.hub
        classes, vendors, plugins = hub.all_thing_classes(), hub.get_vendors(), hub.get_plugins()
        key = (session.locale, len(classes), len(vendors), len(plugins))
        cached = self._hashes.get(key)
        if cached is None:
            translate = session.translate
            classes.sort(key=lambda c: str(c.id))
            vendors.sort(key=lambda v: str(v.id))
            plugins.sort(key=lambda p: str(p.id))
            lists = {
                "Integrations.GetThingClasses": [packing.thing_class(c, translate) for c in classes],
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
        token: str | None = None
        try:
            # One password check at a time per address, counted before it runs: concurrent guesses
            # cannot slip past the lockout, and argon2 work stays bounded.
            async with self.limiter.attempt(session.peer, max_waiting=self.settings.logins_waiting) as attempt:
                token = await self.security.authenticate(args["username"], args["password"], args["deviceName"])
                if token is not None:
                    attempt.succeeded()  # takes back this attempt's count only: earlier failures stay
        except LoginThrottled:
            token = None
        if token is None:
            self._auth_failed(session)
            return {"success": False}
        self._adopt_token(session, token)
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
            await self.security.create_user(
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
        transaction_id = self.push_button.request(session, args["deviceName"])
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
        self._set_notifications(session, wanted)
        return {"namespaces": wanted, "enabled": bool(wanted)}

    async def introspect(self, session: Session, args: Args) -> dict[str, Any]:
        """JSONRPC.Introspect: nymea's own declarations of the namespaces thinggate implements."""
        return self.introspection

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
