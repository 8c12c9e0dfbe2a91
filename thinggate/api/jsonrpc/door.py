"""The nymea JSON-RPC door: the protocol rules of nymea's JsonRPCServer over any transport.

A transport (TCP or WebSocket) opens a Session per client, feeds it decoded messages through
`handle`, and closes it. Everything else is here: the handshake, the token rule, initial setup,
the per-peer lockdown, permission scopes from the introspection, param validation, dispatch to
the namespace handlers and the notifications fanned out from the hub's event bus.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from thinggate.api.jsonrpc import packing
from thinggate.api.jsonrpc.framing import Garbage
from thinggate.api.jsonrpc.handlers import NamespaceHandler
from thinggate.api.jsonrpc.handlers.integrations import IntegrationsHandler
from thinggate.api.jsonrpc.handlers.jsonrpc import JsonRpcHandler
from thinggate.api.jsonrpc.handlers.users import UsersHandler
from thinggate.api.jsonrpc.pushbutton import INTERVAL_SECONDS, MAX_WAITING, PushButtonAuth
from thinggate.api.jsonrpc.schema import IMPLEMENTED_NAMESPACES, MethodSpec, Schema, ValidationError
from thinggate.api.jsonrpc.session import FlushQueue, Session
from thinggate.api.metering import RequestMeter, metered
from thinggate.core import eager
from thinggate.core import events as ev
from thinggate.core.errors import PermissionDenied, UserFailure
from thinggate.core.hub import Hub
from thinggate.core.security import LoginLimiter, Principal, Scope, SecurityManager, scopes_from_names

_LOG = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode

ANONYMOUS = Principal(name="", scopes=Scope.ADMIN)
"""Who a client is on a transport without authentication (nymea checks nothing there)."""

_SETUP_METHODS = frozenset({"JSONRPC.Hello", "JSONRPC.RequestPushButtonAuth", "JSONRPC.CreateUser"})
_OPEN_METHODS = frozenset({"JSONRPC.Hello", "JSONRPC.Authenticate", "JSONRPC.RequestPushButtonAuth"})
_MAX_IN_FLIGHT = 256
"""Requests of one client running at once; past this the client's reader waits (backpressure)."""


@dataclass(frozen=True, slots=True)
class JsonRpcSettings:
    """What the door needs to know beyond the hub and the users."""

    server_name: str = "thinggate"
    lockdown_seconds: float = 3.0
    hello_timeout: float = 10.0
    max_connections: int = 1000
    logins_waiting: int = 8
    """Password logins of one address queued behind the one in progress; past this they fail at once."""
    check_replies: bool = False
    """Check every reply and notification against the introspection (tests turn this on)."""
    push_button_interval: float = INTERVAL_SECONDS
    """Seconds an address must wait before it may ask for push-button authentication again."""
    push_button_max_waiting: int = MAX_WAITING
    """Push-button requests that may wait for the owner at once."""


def _cross_checked(spec: MethodSpec, params_test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """A params test made to prove (under tests) that it only accepts what check_params returns unchanged."""

    def as_is(params: Any) -> bool:
        if not params_test(params):
            return False
        try:
            checked = spec.check_params(params, "")
        except ValidationError as error:
            raise AssertionError(f"{spec.name}: params taken as they are fail the check: {error}") from None
        if _encode(checked) != _encode(params):
            raise AssertionError(f"{spec.name}: params taken as they are would be converted: {params!r}")
        return True

    return as_is


class JsonRpcDoor:
    """nymea's JSON-RPC API (protocol 9.0) over the hub: JSONRPC, Integrations and Users."""

    def __init__(
        self,
        *,
        hub: Hub,
        security: SecurityManager,
        server_uuid: uuid.UUID,
        settings: JsonRpcSettings | None = None,
        push_button_available: bool = True,
        limiter: LoginLimiter | None = None,
    ) -> None:
        self.hub = hub
        self.security = security
        self.server_uuid = server_uuid
        self.settings = settings or JsonRpcSettings()
        self.push_button_available = push_button_available
        self.schema = Schema.load()
        self.introspection = self.schema.introspection(IMPLEMENTED_NAMESPACES)
        # The hub's shared lockout (DoorContext.login_limiter) when given: a guesser locked out at one door is at all.
        self.limiter = limiter if limiter is not None else LoginLimiter()
        self.push_button = PushButtonAuth(
            security,
            self._push_button_finished,
            interval=self.settings.push_button_interval,
            max_waiting=self.settings.push_button_max_waiting,
        )
        self.sessions: dict[int, Session] = {}
        self.meter: RequestMeter | None = None
        """Counts and times each method's requests for /metrics (set by the factory when the metrics door is open)."""
        self._flushes = FlushQueue()
        self._next_session_id = 1
        self._notification_id = 0
        self._lockdown: dict[str, float] = {}
        handlers: list[NamespaceHandler] = [
            JsonRpcHandler(
                hub=hub,
                security=security,
                settings=self.settings,
                server_uuid=server_uuid,
                limiter=self.limiter,
                push_button=self.push_button,
                push_button_available=push_button_available,
                introspection=self.introspection,
                auth_failed=self.auth_failed,
                adopt_token=self.adopt_token,
                set_notifications=self.set_notifications,
            ),
            IntegrationsHandler(hub, {n: m.returns for n, m in self.schema.methods.items()}),
            UsersHandler(security),
        ]
        self.handlers: dict[str, NamespaceHandler] = {handler.namespace: handler for handler in handlers}
        self._check_complete()
        # Method name -> (runs in order, handler, declaration, scope needed, params test): one lookup per request.
        self._dispatch: dict[str, tuple[bool, Any, MethodSpec, Scope, Callable[[Any], bool]]] = {}
        for handler in self.handlers.values():
            for name, call in handler.methods.items():
                spec = self.schema.methods[f"{handler.namespace}.{name}"]
                scope = scopes_from_names([spec.permission_scope])
                # The params test is written at the method's first request: an idle hub keeps no
                # code for the ~100 methods it serves, most of which a given client never calls.
                as_is = self._params_test_on_first_use(spec)
                self._dispatch[spec.name] = (handler.namespace == "JSONRPC", call, spec, scope, as_is)
        # Per namespace, the clients that asked for its notifications: fan-out never walks the rest.
        self._subscribers: dict[str, dict[int, Session]] = {}
        # Users and tokens change on the hub's bus too: SecurityManager publishes there.
        # One listener per event type: the bus calls the notifier straight away (a state change is the hot path).
        self._unlisten: list[Callable[[], None]] = [
            hub.bus.listen(notify, (kind,)) for kind, notify in self._build_event_table().items()
        ]

    def _params_test_on_first_use(self, spec: MethodSpec) -> Callable[[Any], bool]:
        """A params test that writes the method's real one when first asked, and puts it in the dispatch table."""

        def first_use(params: Any) -> bool:
            as_is = self.schema.params_test(spec.name)
            if self.settings.check_replies:
                as_is = _cross_checked(spec, as_is)
            in_order, call, _, scope, _ = self._dispatch[spec.name]
            self._dispatch[spec.name] = (in_order, call, spec, scope, as_is)
            return as_is(params)

        return first_use

    def _check_complete(self) -> None:
        # Every declared method of an implemented namespace has a handler, and nothing else does.
        declared = {n for n, m in self.schema.methods.items() if m.namespace in self.handlers}
        served = {f"{h.namespace}.{name}" for h in self.handlers.values() for name in h.methods}
        if declared != served:
            raise RuntimeError(f"JSON-RPC handlers do not match the introspection: {sorted(declared ^ served)}")

    def close(self) -> None:
        """Stop listening to the hub and drop every client."""
        for unlisten in self._unlisten:
            unlisten()
        self._unlisten.clear()
        for session in list(self.sessions.values()):
            session.close("server stopping")

    # -- sessions ----------------------------------------------------------------------------

    def open_session(
        self,
        *,
        peer: str,
        transport_name: str,
        authentication_required: bool,
        write: Callable[[list[bytes]], None],
        buffered: Callable[[], int],
        shutdown: Callable[[bool], None],
        on_authenticated: Callable[[], None] | None = None,
    ) -> Session | None:
        """A new client, or None when it must be refused (lockdown of its peer, too many clients).

        `on_authenticated` is called once the client acts as someone (at once without authentication).
        """
        if self._locked(peer):
            _LOG.info("jsonrpc: refusing %s during its lockdown", peer)
            return None
        if len(self.sessions) >= self.settings.max_connections:
            _LOG.warning("jsonrpc: refusing %s: %d clients connected", peer, len(self.sessions))
            return None
        session = Session(
            id=self._next_session_id,
            peer=peer,
            transport_name=transport_name,
            authentication_required=authentication_required,
            write=write,
            buffered=buffered,
            shutdown=shutdown,
            on_authenticated=on_authenticated,
            flushes=self._flushes,
        )
        self._next_session_id += 1
        if not authentication_required:
            session.set_principal(ANONYMOUS)
        self.sessions[session.id] = session
        asyncio.get_running_loop().call_later(self.settings.hello_timeout, self._hello_deadline, session)
        return session

    def _hello_deadline(self, session: Session) -> None:
        if not session.hello_done:
            session.close(f"no JSONRPC.Hello within {self.settings.hello_timeout:g} s")

    def close_session(self, session: Session) -> None:
        """The transport is gone: forget the client (its running requests finish unanswered)."""
        session.close("connection closed")
        self.sessions.pop(session.id, None)
        self.set_notifications(session, [])
        self.push_button.forget(session)

    def set_notifications(self, session: Session, namespaces: list[str]) -> None:
        """The namespaces whose notifications a client hears from now on."""
        for namespace in session.notifications - set(namespaces):
            self._subscribers.get(namespace, {}).pop(session.id, None)
        session.notifications = set(namespaces)
        for namespace in namespaces:
            self._subscribers.setdefault(namespace, {})[session.id] = session

    # -- lockdown (per peer, where nymea has one for the whole server) -------------------------

    def _locked(self, peer: str) -> bool:
        return self._lockdown.get(peer, 0.0) > time.monotonic()

    def auth_failed(self, session: Session) -> None:
        """An authentication failure: starts the peer's lockdown; a second one drops the client."""
        now = time.monotonic()
        if self._lockdown.get(session.peer, 0.0) > now:
            session.drop_after_reply = "second authentication failure during lockdown"
            return
        if len(self._lockdown) > 10_000:
            self._lockdown = {peer: until for peer, until in self._lockdown.items() if until > now}
        self._lockdown[session.peer] = now + self.settings.lockdown_seconds

    def _unauthorized(self, session: Session, request_id: Any, text: str) -> None:
        session.error(request_id, text, status="unauthorized")
        self.auth_failed(session)
        session.close(text)

    # -- tokens --------------------------------------------------------------------------------

    def _principal_for(self, token: str) -> tuple[Principal | None, uuid.UUID | None]:
        info = self.security.token_info(token) if token else None
        if info is None:
            return None, None
        try:
            return self.security.principal_for_user(info.username), info.id
        except UserFailure:
            return None, None

    def adopt_token(self, session: Session, token: str) -> None:
        """The connection now acts with `token` (Hello, Authenticate, push button)."""
        session.token = token
        principal, token_id = self._principal_for(token)
        if principal is None and not session.authentication_required:
            principal = ANONYMOUS
        session.set_principal(principal, token_id)

    def _take_hello_token(self, session: Session, token: str) -> None:
        self.adopt_token(session, token)
        if token and session.token_id is None:
            self.auth_failed(session)

    # -- requests ------------------------------------------------------------------------------

    def handle(self, session: Session, message: Any) -> Awaitable[None] | None:
        """Answer one decoded message (or parse failure) from a client.

        Most requests are answered before this returns (None). An awaitable is returned when the
        transport must await it before handing in the next message: a JSONRPC.* call (they change
        the session, so they run in order) or a client at its limit of requests in flight.
        """
        # Exact type tests first (a few opcodes each): the usual request passes them, the rest is worded below.
        if message.__class__ is not dict and not isinstance(message, dict):
            if isinstance(message, Garbage):
                session.error(-1, f"Failed to parse JSON data: {message.reason}")
            else:
                session.error(-1, "Failed to parse JSON data: a request must be a JSON object")
            return None
        request_id = message.get("id")
        if request_id.__class__ is not int and (not isinstance(request_id, int) or isinstance(request_id, bool)):
            session.error(0, "Error parsing command. Missing 'id'")
            return None
        method = message.get("method")
        known = self._dispatch.get(method) if isinstance(method, str) else None
        if known is None:
            if not isinstance(method, str) or method.count(".") != 1:
                shown = method if isinstance(method, str) else ""
                session.error(request_id, f"Error parsing method. Got: '{shown}'', Expected: 'Namespace.method'")
                return None
        if not session.hello_done and method != "JSONRPC.Hello":
            session.error(request_id, "Handshake required. Call JSONRPC.Hello first.")
            session.close("request before the handshake")
            return None
        if known is None:
            namespace = method.split(".")[0]
            error = "No such namespace" if namespace not in self.handlers else "No such method"
            session.error(request_id, error)
            return None
        in_order, call, spec, scope, as_is = known
        token = message.get("token") or ""
        if method == "JSONRPC.Hello":
            self._take_hello_token(session, token if isinstance(token, str) else "")
        elif token != session.token:
            self._unauthorized(
                session, request_id, "Changing the user (token) requires a new handshake. Call JSONRPC.Hello."
            )
            return None
        principal = session.principal
        if principal is not None and (not session.authentication_required or self.security.has_users):
            # Someone with a valid token (the usual request): only the method's scope is left to check.
            if not principal.has_scope(scope):
                session.error(request_id, "Permission denied.")
                return None
        elif not self._authorized(session, request_id, method, scope):
            return None
        args = message.get("params")
        if args is None:
            args = {}
        if not as_is(args):  # the usual request is valid as it is: nothing to walk, nothing to copy
            try:
                args = spec.check_params(args, "")
            except ValidationError as error:
                session.error(request_id, f"Invalid params: {error.reason} in {method}, param {error.path}")
                return None
        if in_order:
            # These change the session (token, locale, notifications): run them in order.
            return self._run_in_order(session, request_id, spec, call, args)
        if len(session.tasks) >= _MAX_IN_FLIGHT:
            return self._start_when_there_is_room(session, request_id, spec, call, args)
        self._start(session, request_id, spec, call, args)
        return None

    def _start(self, session: Session, request_id: Any, spec: MethodSpec, call: Any, args: dict[str, Any]) -> None:
        # Run eagerly (eager.start spelled out, on the hot path): most requests (reads, actions a
        # device confirms at once) finish without suspending, and then cost no task. One that waits
        # (a slow device) continues in a task, so the client's later requests are not held up behind it.
        running = call(session, args)
        if self.meter is not None:
            running = metered(running, self.meter, "jsonrpc", spec.name)
        try:
            waiting_on = running.send(None)
        except StopIteration as done:
            self._succeeded(session, request_id, spec, done.value)
            return
        except Exception as exc:
            self._failed(session, request_id, exc)
            return
        task = asyncio.get_running_loop().create_task(
            self._run(session, request_id, spec, eager.resume(running, waiting_on))
        )
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)

    async def _start_when_there_is_room(
        self, session: Session, request_id: Any, spec: MethodSpec, call: Any, args: dict[str, Any]
    ) -> None:
        while len(session.tasks) >= _MAX_IN_FLIGHT:
            await asyncio.wait(list(session.tasks), return_when=asyncio.FIRST_COMPLETED)
        self._start(session, request_id, spec, call, args)

    async def _run_in_order(
        self, session: Session, request_id: Any, spec: MethodSpec, call: Any, args: dict[str, Any]
    ) -> None:
        running = call(session, args)
        if self.meter is not None:
            running = metered(running, self.meter, "jsonrpc", spec.name)
        await self._run(session, request_id, spec, running)
        if spec.name == "JSONRPC.Hello":
            session.hello_done = True

    def _authorized(self, session: Session, request_id: Any, method: str, scope: Scope) -> bool:
        if session.authentication_required:
            if not self.security.has_users:
                if method not in _SETUP_METHODS and session.principal is None:
                    self._unauthorized(session, request_id, "Initial setup required. Call JSONRPC.CreateUser first.")
                    return False
                if method in _SETUP_METHODS:
                    return True
            elif method not in _OPEN_METHODS and session.principal is None:
                self._unauthorized(session, request_id, "Forbidden: Invalid token.")
                return False
        principal = session.principal
        if principal is not None and not principal.has_scope(scope):
            session.error(request_id, "Permission denied.")
            return False
        return True

    async def _run(
        self, session: Session, request_id: Any, spec: MethodSpec, running: Awaitable[dict[str, Any]]
    ) -> None:
        try:
            reply = await running
        except Exception as exc:
            self._failed(session, request_id, exc)
            return
        self._succeeded(session, request_id, spec, reply)

    def _succeeded(self, session: Session, request_id: Any, spec: MethodSpec, reply: dict[str, Any]) -> None:
        # Introspect's reply carries enums and flags beyond its declared returns (nymea's own quirk).
        if self.settings.check_replies and spec.name != "JSONRPC.Introspect":
            try:
                self._conforms(spec.check_returns, reply, spec.name)
            except Exception as exc:
                self._failed(session, request_id, exc)
                return
        session.reply(request_id, reply)
        if session.drop_after_reply:
            session.close(session.drop_after_reply)

    @staticmethod
    def _failed(session: Session, request_id: Any, exc: Exception) -> None:
        if isinstance(exc, PermissionDenied):  # the core refused: nymea's answer, whichever namespace asked
            session.error(request_id, "Permission denied.")
            return
        # A handler bug answers this request and serves everyone else on.
        _LOG.error("jsonrpc: request %s of client %d failed", request_id, session.id, exc_info=exc)
        session.error(request_id, f"Internal error: {type(exc).__name__}")

    # -- notifications -------------------------------------------------------------------------

    @staticmethod
    def _conforms(check: Any, value: dict[str, Any], what: str) -> None:
        try:
            check(msgspec.json.decode(_encode(value)), "")
        except ValidationError as error:
            raise AssertionError(f"{what} does not match nymea's declaration: {error}") from None

    def _notification(self, name: str, params: dict[str, Any]) -> bytes:
        if self.settings.check_replies:
            self._conforms(self.schema.notification_checkers[name], params, name)
        self._notification_id += 1
        return _encode({"id": self._notification_id, "notification": name, "params": params}) + b"\n"

    def _broadcast(
        self,
        namespace: str,
        name: str,
        build: Callable[[], dict[str, Any]],
        visible: Callable[[Session], bool] | None = None,
    ) -> None:
        subscribers = self._subscribers.get(namespace)
        if not subscribers:
            return
        data: bytes | None = None
        for session in list(subscribers.values()):
            if session.principal is None:
                continue
            if visible is not None and not visible(session):
                continue
            if data is None:
                data = self._notification(f"{namespace}.{name}", build())
            session.send(data)

    def _sees_thing(self, thing_id: uuid.UUID) -> Callable[[Session], bool]:
        def visible(session: Session) -> bool:
            if session.sees_all:
                return True
            principal = session.principal
            return principal is not None and self.hub.visible_thing(principal, thing_id) is not None

        return visible

    def _build_event_table(self) -> dict[type, Callable[[Any], None]]:
        return {
            ev.StateChanged: self._state_changed,
            ev.EventTriggered: self._event_triggered,
            ev.ThingAdded: self._thing_added_or_changed,
            ev.ThingChanged: self._thing_added_or_changed,
            ev.ThingRemoved: self._thing_removed,
            ev.ThingSettingChanged: self._thing_setting_changed,
            ev.IOConnectionAdded: self._io_connection_added,
            ev.IOConnectionRemoved: self._io_connection_removed,
            ev.PluginConfigurationChanged: self._plugin_configuration_changed,
            ev.UserAdded: self._on_security_event,
            ev.UserChanged: self._on_security_event,
            ev.UserRemoved: self._on_security_event,
            ev.TokenRemoved: self._on_security_event,
        }

    def _state_changed(self, event: ev.StateChanged) -> None:
        # _broadcast with _sees_thing, spelled out: one state change may go to hundreds of clients.
        subscribers = self._subscribers.get("Integrations")
        if not subscribers:
            return
        data: bytes | None = None
        thing_id = event.thing_id
        for session in list(subscribers.values()):
            principal = session.principal
            if principal is None:
                continue
            if not session.sees_all and self.hub.visible_thing(principal, thing_id) is None:
                continue
            if data is None:
                params = {
                    "thingId": thing_id,
                    "stateTypeId": event.state_type_id,
                    "value": event.value,
                    "minValue": event.min_value,
                    "maxValue": event.max_value,
                    "possibleValues": list(event.possible_values or ()),
                }
                data = self._notification("Integrations.StateChanged", params)
            session.send(data)

    def _event_triggered(self, event: ev.EventTriggered) -> None:
        self._broadcast(
            "Integrations",
            "EventTriggered",
            lambda: {"event": packing.event(event.event)},
            self._sees_thing(event.event.thing_id),
        )

    def _thing_added_or_changed(self, event: ev.ThingAdded | ev.ThingChanged) -> None:
        name = "ThingAdded" if isinstance(event, ev.ThingAdded) else "ThingChanged"
        self._broadcast(
            "Integrations", name, lambda: {"thing": packing.thing(event.thing)}, self._sees_thing(event.thing.id)
        )

    def _thing_removed(self, event: ev.ThingRemoved) -> None:
        self._broadcast("Integrations", "ThingRemoved", lambda: {"thingId": event.thing_id}, self._saw_removed(event))

    def _thing_setting_changed(self, event: ev.ThingSettingChanged) -> None:
        self._broadcast(
            "Integrations",
            "ThingSettingChanged",
            lambda: {
                "thingId": event.thing_id,
                "paramTypeId": packing.braced(event.param_type_id),
                "value": event.value,
            },
            self._sees_thing(event.thing_id),
        )

    def _io_connection_added(self, event: ev.IOConnectionAdded) -> None:
        connection = event.io_connection
        input_visible = self._sees_thing(connection.input_thing_id)
        output_visible = self._sees_thing(connection.output_thing_id)
        self._broadcast(
            "Integrations",
            "IOConnectionAdded",
            lambda: {"ioConnection": packing.io_connection(connection)},
            lambda session: input_visible(session) and output_visible(session),
        )

    def _io_connection_removed(self, event: ev.IOConnectionRemoved) -> None:
        self._broadcast("Integrations", "IOConnectionRemoved", lambda: {"ioConnectionId": event.io_connection_id})

    def _plugin_configuration_changed(self, event: ev.PluginConfigurationChanged) -> None:
        self._broadcast(
            "Integrations",
            "PluginConfigurationChanged",
            lambda: {"pluginId": event.plugin_id, "configuration": packing.param_list(event.configuration)},
        )

    def _saw_removed(self, event: ev.ThingRemoved) -> Callable[[Session], bool]:
        def visible(session: Session) -> bool:
            principal = session.principal
            if session.sees_all:
                return True
            return principal is not None and self.hub.saw_removed(principal, event)

        return visible

    # -- users and tokens change under open connections ----------------------------------------

    def _on_security_event(self, event: ev.UserAdded | ev.UserChanged | ev.UserRemoved | ev.TokenRemoved) -> None:
        if isinstance(event, ev.TokenRemoved):
            for session in list(self.sessions.values()):
                if session.token_id == event.token_id:
                    self._revoke(session, "its token was revoked")
            return
        username = event.username if isinstance(event, ev.UserRemoved) else event.user.username

        def concerns(session: Session) -> bool:
            principal = session.principal
            return principal is not None and (principal.has_scope(Scope.ADMIN) or principal.name == username)

        if isinstance(event, ev.UserRemoved):
            for session in list(self.sessions.values()):
                if session.token_id is not None and session.principal and session.principal.name == username:
                    self._revoke(session, "its user was removed")
            self._broadcast("Users", "UserRemoved", lambda: {"username": username}, concerns)
            return
        if isinstance(event, ev.UserChanged):
            for session in list(self.sessions.values()):
                if session.token_id is not None and session.principal and session.principal.name == username:
                    self._refresh(session)
        name = "UserAdded" if isinstance(event, ev.UserAdded) else "UserChanged"
        self._broadcast("Users", name, lambda: {"userInfo": packing.user_info(event.user)}, concerns)

    def _revoke(self, session: Session, reason: str) -> None:
        """The connection's token or user is gone: it loses its rights now and is closed."""
        # Rights go at once: nothing more reaches it, whatever it sends until it is closed
        # (on a transport without authentication it is anonymous, as everyone there is).
        session.set_principal(None if session.authentication_required else ANONYMOUS)
        # Closed a loop turn later, so that a client revoking its own token or user
        # (Users.RemoveToken, Users.RemoveUser) still gets the reply to that call first.
        asyncio.get_running_loop().call_soon(session.close, reason)

    def _refresh(self, session: Session) -> None:
        before = {t.id for t in self.hub.visible_things(session.principal)} if session.principal else set()
        principal, token_id = self._principal_for(session.token)
        session.set_principal(principal, token_id)
        if principal is None or "Integrations" not in session.notifications:
            return
        # Granting or withdrawing things is announced to that user as things coming and going.
        after = {t.id: t for t in self.hub.visible_things(principal)}
        for thing_id in sorted(after.keys() - before, key=str):
            thing = packing.thing(after[thing_id])
            session.send(self._notification("Integrations.ThingAdded", {"thing": thing}))
        for thing_id in sorted(before - after.keys(), key=str):
            session.send(self._notification("Integrations.ThingRemoved", {"thingId": thing_id}))

    # -- push button ---------------------------------------------------------------------------

    def _push_button_finished(self, session: Session, success: bool, transaction_id: int, token: str) -> None:
        params: dict[str, Any] = {"success": success, "transactionId": transaction_id}
        if success:
            params["token"] = token
            self.adopt_token(session, token)
        # To the requester only, whatever its notification settings.
        session.send(self._notification("JSONRPC.PushButtonAuthFinished", params))
