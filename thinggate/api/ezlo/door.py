"""The Ezlo hub door: sessions, login, the method table, and `ui_broadcast`s from the hub's bus.

Requests are `{"method", "id", "params"}` objects in WebSocket text frames; every reply echoes
`id` and `method` and carries `"error": null` on success (some clients crash without it).
Handlers (in `handlers/`) translate to core calls; this module owns who may call what, and decodes
`params` into the method's declared struct (`params.py`) before its handler runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from thinggate.api.ezlo import errors, ids
from thinggate.api.ezlo.errors import EzloError
from thinggate.api.ezlo.handlers import METHODS
from thinggate.api.ezlo.item_index import Item, ItemIndex, formatted, now_ms
from thinggate.api.ezlo.params import Fault, Params, ParamsProblem, problem_of
from thinggate.api.ezlo.session import ANONYMOUS, Access, EzloSession, Method
from thinggate.api.metering import RequestMeter, metered
from thinggate.api.websocket import FrameOutbox
from thinggate.core import eager
from thinggate.core import events as ev
from thinggate.core.errors import HubFailure
from thinggate.core.hub import Hub
from thinggate.core.modes import HouseModes
from thinggate.core.security import SYSTEM, Scope, SecurityManager

_LOG = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode


class _Request(msgspec.Struct, gc=False):
    """A request frame: `params` kept as raw JSON for the method's own decoder; `sender` echoed as sent."""

    method: Any = None
    id: Any = None
    params: msgspec.Raw = msgspec.Raw(b"{}")
    sender: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    # `api`, `jsonrpc`, `call` and whatever else clients add are ignored.


_decode_request = msgspec.json.Decoder(_Request).decode
_NO_PARAMS = (b"null", b'""')  # clients send these, or nothing, for methods without params
_EMPTY_OBJECT = b"{}"


@dataclass(frozen=True, slots=True)
class EzloSettings:
    """Door settings: anonymous access (off by default) and what `hub.info.get` reports."""

    serial: str
    anonymous_access: bool = False
    insecure_access: bool = False
    firmware: str = "0.1.0"
    model: str = "thinggate"


def _parse_error(exc: Exception) -> EzloError:
    return EzloError(errors.PARSE_ERROR, "rpc.parse.error", "Parse error", str(exc))


def _not_an_object(problem: ParamsProblem) -> bool:
    """Whether the value decoded (a request, or its params) was not a JSON object at all."""
    return not problem.field and problem.fault is Fault.TYPE


_MAX_IN_FLIGHT = 256
"""Requests of one client that may wait on devices at once; past it, reading that client pauses."""


class EzloDoor:
    """The Ezlo door's behaviour, independent of the WebSocket server around it."""

    def __init__(
        self,
        *,
        hub: Hub,
        security: SecurityManager,
        modes: HouseModes,
        server_uuid: uuid.UUID,
        settings: EzloSettings,
    ) -> None:
        self.hub = hub
        self.security = security
        self.modes = modes
        self.server_uuid = server_uuid
        self.settings = settings
        self.methods: dict[str, Method[Any]] = METHODS
        self.index = ItemIndex()
        self.sessions: dict[int, EzloSession] = {}
        self.meter: RequestMeter | None = None
        """Counts and times each method's requests for /metrics (set by the factory when the metrics door is open)."""
        self.started_at = time.monotonic()
        self._next_session_id = 1
        self._broadcast_id = 0
        # Dictionary values as last broadcast: a change is announced element by element.
        self._dictionaries: dict[str, dict[str, Any]] = {}
        # Every thing is indexed; what a session is shown is decided when it is served.
        for thing in hub.visible_things(SYSTEM):
            self._index(thing)
        self._event_table: dict[type, Callable[[Any], None]] = {
            ev.StateChanged: self._state_changed,
            ev.ThingAdded: self._thing_added,
            ev.ThingChanged: self._thing_changed,
            ev.ThingRemoved: self._thing_removed,
            ev.HouseModeChanged: self._house_mode_changed,
            ev.TokenRemoved: self._token_removed,
            ev.UserChanged: self._user_changed,
            ev.UserRemoved: self._user_removed,
        }
        # Users and tokens change on the hub's bus too: SecurityManager publishes there.
        self._unlisten = [hub.bus.listen(self._on_event)]

    def close(self) -> None:
        """Stop following the hub."""
        for unlisten in self._unlisten:
            unlisten()
        self._unlisten.clear()

    # -- sessions ------------------------------------------------------------------------------

    def open_session(
        self,
        *,
        peer: str,
        outbox: FrameOutbox,
        on_authenticated: Callable[[], None] | None = None,
        shutdown: Callable[[str], None] | None = None,
    ) -> EzloSession:
        """A new client: `on_authenticated` lifts its login deadline, `shutdown(reason)` closes it."""
        session = EzloSession(
            id=self._next_session_id, peer=peer, outbox=outbox, on_authenticated=on_authenticated, shutdown=shutdown
        )
        self._next_session_id += 1
        if self.settings.anonymous_access:
            session.set_principal(ANONYMOUS)
        self.sessions[session.id] = session
        return session

    def close_session(self, session: EzloSession) -> None:
        """The client is gone (its login with it)."""
        self.sessions.pop(session.id, None)
        session.outbox.closed = True

    # -- requests ------------------------------------------------------------------------------

    async def handle(self, session: EzloSession, frame: str | bytes) -> None:
        """Answer one text frame."""
        try:
            request = _decode_request(frame)
        except msgspec.ValidationError as exc:
            if _not_an_object(problem_of(exc)):
                self._reply_error(session, None, None, errors.bad_request("a request is a JSON object"))
            else:  # a number beyond a double in `id` or `method`: JSON this side cannot read
                self._reply_error(session, None, None, _parse_error(exc))
            return
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
            # RecursionError: msgspec's nesting limit (a frame 100,000 brackets deep) is a parse error too.
            self._reply_error(session, None, None, _parse_error(exc))
            return
        request_id, method_name, sender = request.id, request.method, request.sender
        if not isinstance(method_name, str) or not method_name:
            self._reply_error(session, request_id, method_name, errors.missing("method"), sender)
            return
        method = self.methods.get(method_name)
        if method is None:
            self._reply_error(session, request_id, method_name, errors.method_not_found(method_name), sender)
            return
        if method.access is not Access.OPEN:
            principal = session.principal
            if principal is None:
                error = errors.bad_request("log in first: hub.offline.login.ui")
                self._reply_error(session, request_id, method_name, error, sender)
                return
            if method.access is Access.WRITE and not principal.has_scope(Scope.CONTROL_THINGS):
                error = errors.no_permission(f"{method_name} needs WRITE/EDIT")
                self._reply_error(session, request_id, method_name, error, sender)
                return
        # Decoded only for a caller the method lets in: a client not logged in learns nothing of params.
        raw: msgspec.Raw | bytes = request.params
        if len(raw) <= 4 and bytes(raw) in _NO_PARAMS:
            raw = _EMPTY_OBJECT
        try:
            params = method.decode_params(raw)
        except msgspec.ValidationError as exc:
            problem = problem_of(exc)
            if _not_an_object(problem):
                error = errors.bad_request("params must be an object")
            else:
                error = method.bad_params(problem)
            self._reply_error(session, request_id, method_name, error, sender)
            return
        except (msgspec.DecodeError, RecursionError) as exc:  # bad UTF-8 the skim of `params` let by; nesting
            self._reply_error(session, request_id, method_name, _parse_error(exc), sender)
            return
        while len(session.tasks) >= _MAX_IN_FLIGHT:
            await asyncio.wait(list(session.tasks), return_when=asyncio.FIRST_COMPLETED)
        running = self._run(session, method, request_id, method_name, params, sender)
        finished, waiting_on = eager.start(running)
        if finished:
            return
        task = asyncio.get_running_loop().create_task(eager.resume(running, waiting_on))
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)

    async def _run(
        self,
        session: EzloSession,
        method: Method[Any],
        request_id: Any,
        method_name: str,
        params: Params,
        sender: msgspec.Raw | msgspec.UnsetType,
    ) -> None:
        work = method.handler(self, session, params)
        if self.meter is not None:
            work = metered(work, self.meter, "ezlo", method_name)
        try:
            result = await work
        except EzloError as error:
            self._reply_error(session, request_id, method_name, error, sender)
            return
        except HubFailure as failure:  # a core failure a handler let through: the door's one table
            _LOG.info("ezlo: %s of client %d failed: %s", method_name, session.id, failure)
            self._reply_error(session, request_id, method_name, errors.for_failure(failure), sender)
            return
        except Exception as exc:  # a handler bug answers this request; everyone else is served on
            _LOG.exception("ezlo: %s of client %d failed", method_name, session.id)
            internal = EzloError(errors.INTERNAL_ERROR, "internal.operation.error", "Internal error", repr(exc))
            self._reply_error(session, request_id, method_name, internal, sender)
            return
        reply: dict[str, Any] = {"api": "1.0", "error": None, "id": request_id, "method": method_name, "result": result}
        if sender is not msgspec.UNSET:
            reply["sender"] = sender
        session.send(_encode(reply))

    def _reply_error(
        self,
        session: EzloSession,
        request_id: Any,
        method_name: Any,
        error: EzloError,
        sender: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET,
    ) -> None:
        reply: dict[str, Any] = {
            "api": "1.0",
            "error": error.json(),
            "id": request_id,
            "method": method_name,
            "result": {},
        }
        if sender is not msgspec.UNSET:
            reply["sender"] = sender
        session.send(_encode(reply))

    # -- login ---------------------------------------------------------------------------------

    async def log_in(self, session: EzloSession, user: str, token: str) -> None:
        """`hub.offline.login.ui`: a thinggate user name and one of that user's tokens."""
        if session.logged_in:
            raise EzloError(errors.APPLICATION_ERROR, "user.login.alreadylogged", "User has logged")
        principal = await self.security.principal_for_token(token)
        info = self.security.token_info(token)
        if principal is None or info is None or info.username.lower() != user.lower():
            raise EzloError(errors.APPLICATION_ERROR, "user.login.badpassword", "Bad password")
        session.set_principal(principal)
        session.username = info.username
        session.token_id = info.id
        session.logged_in = True

    # -- things --------------------------------------------------------------------------------

    def visible_item(self, session: EzloSession, item_id: str) -> Item:
        """The item with this id that the session may see; `rpc.unknown.error` otherwise."""
        item = self.index.items.get(item_id)
        principal = session.principal
        if item is None or principal is None or self.hub.visible_thing(principal, item.thing.id) is None:
            raise errors.item_not_found(item_id)
        return item

    def _index(self, thing: Any) -> list[Item]:
        found = self.index.add(thing)
        for item in found:
            if item.spec.dictionary is not None:
                self._dictionaries[item.id] = dict(item.value())
        return found

    # -- broadcasts ----------------------------------------------------------------------------

    def _broadcast(self, subclass: str, result: dict[str, Any], visible: Callable[[EzloSession], bool] | None) -> None:
        data: bytes | None = None
        for session in list(self.sessions.values()):
            if session.principal is None or (visible is not None and not visible(session)):
                continue
            if data is None:
                self._broadcast_id += 1
                message = {
                    "id": "ui_broadcast",
                    "msg_subclass": subclass,
                    "msg_id": self._broadcast_id,
                    "result": result,
                }
                data = _encode(message)
            session.send(data)

    def broadcast(self, subclass: str, result: dict[str, Any], *, thing: Any = None) -> None:
        """Send a `ui_broadcast` to every logged-in client (that sees `thing`, if given)."""
        self._broadcast(subclass, result, (lambda session: session.may_see(thing)) if thing is not None else None)

    def _on_event(self, event: ev.HubEvent) -> None:
        handler = self._event_table.get(type(event))
        if handler is not None:
            handler(event)

    def _device_fields(self, item: Item) -> dict[str, Any]:
        from thinggate.api.ezlo.item_table import device_kind

        thing = item.thing
        kind = device_kind(thing.thing_class)
        return {
            "_id": item.id,
            "deviceId": item.device_id,
            "deviceName": thing.name,
            "deviceCategory": kind.category,
            "deviceSubcategory": kind.subcategory,
            "roomName": thing.room,
            "serviceNotification": False,
            "userNotification": False,
            "notifications": None,
            "name": item.name,
            "valueType": item.value_type,
            "syncNotification": False,
            "fwTimestampMs": now_ms(),
        }

    def _state_changed(self, event: ev.StateChanged) -> None:
        item = self.index.by_state.get((event.thing_id, event.state_type_id))
        if item is None:
            thing = self.hub.thing(event.thing_id)
            state_type = thing.thing_class.state_type(event.state_type_id) if thing is not None else None
            if thing is not None and state_type is not None and state_type.name == "connected":
                self.broadcast(
                    "hub.device.updated",
                    {
                        "_id": ids.device_id(thing.id),
                        "reachable": bool(event.value),
                        "serviceNotification": False,
                        "syncNotification": False,
                    },
                    thing=thing,
                )
            return
        if not self.sessions:
            if item.spec.dictionary is not None:
                self._dictionaries[item.id] = dict(item.to_ezlo(event.value))
            return
        if item.spec.dictionary is not None:
            self._dictionary_changed(item, item.to_ezlo(event.value))
            return
        value = item.to_ezlo(event.value)
        result = self._device_fields(item)
        result["value"] = value
        result["valueFormatted"] = formatted(value, item.value_type)
        if item.spec.scale is not None:
            result["scale"] = item.spec.scale
        if event.min_value is not None:
            result["minValue"] = event.min_value
        if event.max_value is not None:
            result["maxValue"] = event.max_value
        self.broadcast("hub.item.updated", result, thing=item.thing)

    def _dictionary_changed(self, item: Item, value: dict[str, Any]) -> None:
        before = self._dictionaries.get(item.id, {})
        self._dictionaries[item.id] = dict(value)
        changes: list[tuple[str, str, Any]] = []
        for key in before.keys() - value.keys():
            changes.append(("removed", key, before[key]))
        for key in value.keys() - before.keys():
            changes.append(("added", key, value[key]))
        for key in value.keys() & before.keys():
            if value[key] != before[key]:
                changes.append(("updated", key, value[key]))
        dictionary = item.spec.dictionary
        assert dictionary is not None
        for operation, key, element in sorted(changes, key=lambda change: (change[1], change[0])):
            result = self._device_fields(item)
            result.update(
                {
                    "operation": operation,
                    "element": {key: {"value": element}},
                    "elementType": dictionary.element_type,
                    "elementsMaxNumber": dictionary.max_elements,
                    "userCodeRestriction": dictionary.code_restriction,
                    "valueFormatted": "",
                }
            )
            self.broadcast("hub.item.dictionary.updated", result, thing=item.thing)

    def _thing_added(self, event: ev.ThingAdded) -> None:
        found = self._index(event.thing)
        self.broadcast("hub.device.added", self.index.device_json(event.thing), thing=event.thing)
        for item in found:
            result = item.json()
            result.update({"syncNotification": True, "fwTimestampMs": now_ms()})
            self.broadcast("hub.item.added", result, thing=event.thing)

    def _thing_changed(self, event: ev.ThingChanged) -> None:
        self._index(event.thing)
        device = self.index.device_json(event.thing)
        changes = {name: device[name] for name in ("_id", "name", "roomId", "reachable", "ready", "status")}
        changes.update({"serviceNotification": False, "syncNotification": True})
        self.broadcast("hub.device.updated", changes, thing=event.thing)

    def _thing_removed(self, event: ev.ThingRemoved) -> None:
        gone = self.index.remove(event.thing_id)
        for item in gone:
            self._dictionaries.pop(item.id, None)

        def saw(session: EzloSession) -> bool:
            principal = session.principal
            if session.sees_all:
                return True
            return principal is not None and self.hub.saw_removed(principal, event)

        self._broadcast("hub.device.removed", {"_id": ids.device_id(event.thing_id)}, saw)

    def _house_mode_changed(self, event: ev.HouseModeChanged) -> None:
        for status in ("begin", "done"):
            self.broadcast(
                "hub.modes.switched",
                {"from": event.previous_mode_id, "to": event.mode_id, "status": status, "switchToDelay": 0},
            )

    # -- users and tokens change under open connections ----------------------------------------

    def _token_removed(self, event: ev.TokenRemoved) -> None:
        for session in list(self.sessions.values()):
            if session.token_id == event.token_id:
                self._drop(session, "token revoked")

    def _user_removed(self, event: ev.UserRemoved) -> None:
        for session in list(self.sessions.values()):
            if session.logged_in and session.username.lower() == event.username.lower():
                self._drop(session, "user removed")

    def _drop(self, session: EzloSession, reason: str) -> None:
        """The connection's token or user is gone: it loses its rights now and is closed."""
        self._log_out(session)
        session.set_principal(None)  # nothing more reaches it, anonymous access or not
        session.outbox.closed = True  # replies still being worked out are not sent either
        _LOG.info("ezlo client %d (%s) dropped: %s", session.id, session.peer, reason)
        if session.shutdown is not None:
            session.shutdown(reason)

    def _user_changed(self, event: ev.UserChanged) -> None:
        for session in list(self.sessions.values()):
            if session.logged_in and session.username.lower() == event.user.username.lower():
                session.set_principal(self.security.principal_for_user(session.username))

    def _log_out(self, session: EzloSession) -> None:
        session.logged_in = False
        session.token_id = None
        session.username = ""
        session.set_principal(ANONYMOUS if self.settings.anonymous_access else None)

    # -- hub facts -----------------------------------------------------------------------------

    def uptime(self) -> str:
        """`3d 3h 45m 20s`, as hub.info.get reports it."""
        seconds = int(time.monotonic() - self.started_at)
        days, seconds = divmod(seconds, 86400)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        return f"{days}d {hours}h {minutes}m {seconds}s"
