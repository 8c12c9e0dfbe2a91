"""The typed in-process event bus: every change in the hub is published here exactly once."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from thinggate.core.model import EventRecord, IOConnection, ParamValues, Thing
from thinggate.core.users import UserInfo

_LOG = logging.getLogger(__name__)


class StateChanged(msgspec.Struct, frozen=True):
    """A state of a thing has a new value (or new limits)."""

    # A record built in C (msgspec's Struct, frozen and with slots as the dataclasses here): one is
    # made per state change, and a frozen dataclass pays an object.__setattr__ call per field.
    thing_id: uuid.UUID
    state_type_id: uuid.UUID
    value: Any
    min_value: Any
    max_value: Any
    possible_values: tuple[Any, ...] | None


@dataclass(frozen=True, slots=True)
class EventTriggered:
    """A thing raised an event."""

    event: EventRecord


@dataclass(frozen=True, slots=True)
class ThingAdded:
    """A thing was added (set up and stored)."""

    thing: Thing


@dataclass(frozen=True, slots=True)
class ThingRemoved:
    """A thing was removed."""

    thing_id: uuid.UUID
    domain: str = "root"


@dataclass(frozen=True, slots=True)
class ThingChanged:
    """A thing's name, params, setup status, logging flags or filters changed."""

    thing: Thing


@dataclass(frozen=True, slots=True)
class ThingSettingChanged:
    """One setting of a thing was (re)set."""

    thing_id: uuid.UUID
    param_type_id: uuid.UUID
    value: Any


@dataclass(frozen=True, slots=True)
class IOConnectionAdded:
    """An IO connection was made."""

    io_connection: IOConnection


@dataclass(frozen=True, slots=True)
class IOConnectionRemoved:
    """An IO connection was removed."""

    io_connection_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PluginConfigurationChanged:
    """An integration's configuration was changed."""

    plugin_id: uuid.UUID
    configuration: ParamValues


class ActionExecuted(msgspec.Struct, frozen=True):
    """An action ran on a thing (published for history and dashboards, after the device answered)."""

    # One per action: a C-built record, as StateChanged.
    thing_id: uuid.UUID
    action_type_id: uuid.UUID
    params: ParamValues
    status: str


@dataclass(frozen=True, slots=True)
class UserAdded:
    """A user was created."""

    user: UserInfo


@dataclass(frozen=True, slots=True)
class UserChanged:
    """A user's scopes, allowed things, e-mail address or display name changed."""

    user: UserInfo


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    """A user's password was changed (its tokens stay, as in nymea; a door's password-made sessions may end)."""

    username: str


@dataclass(frozen=True, slots=True)
class UserRemoved:
    """A user was removed (and with it every token of it)."""

    username: str


@dataclass(frozen=True, slots=True)
class TokenRemoved:
    """A login token was revoked; connections using it lose their rights at once."""

    token_id: uuid.UUID
    username: str


@dataclass(frozen=True, slots=True)
class HouseModeChanged:
    """The house mode (Home, Away, Night, Vacation) was switched."""

    previous_mode_id: str
    mode_id: str


HubEvent = (
    StateChanged
    | EventTriggered
    | ThingAdded
    | ThingRemoved
    | ThingChanged
    | ThingSettingChanged
    | IOConnectionAdded
    | IOConnectionRemoved
    | PluginConfigurationChanged
    | ActionExecuted
    | UserAdded
    | UserChanged
    | PasswordChanged
    | UserRemoved
    | TokenRemoved
    | HouseModeChanged
)


class Subscription:
    """One subscriber's bounded queue of events; iterate it with `async for`."""

    def __init__(self, bus: EventBus, name: str, maxsize: int) -> None:
        self.name = name
        self.queue: asyncio.Queue[HubEvent | None] = asyncio.Queue(maxsize=maxsize)
        self.closed = False
        self.close_reason = ""
        self._bus = bus

    def close(self, reason: str = "closed by subscriber") -> None:
        """Stop receiving events; a waiting reader wakes up and the iteration ends."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self._bus._subscriptions.discard(self)
        try:
            self.queue.put_nowait(None)
        except asyncio.QueueFull:
            # The reader will see `closed` once it has drained the queue.
            pass

    async def get(self) -> HubEvent | None:
        """Next event, or None once the subscription is closed."""
        if self.closed and self.queue.empty():
            return None
        event = await self.queue.get()
        return event

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> HubEvent:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event


class EventBus:
    """Fans events out to subscribers; a subscriber that falls behind is dropped, never waited for."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        # (listener, the event types it wants or None for all); replaced, never changed in place,
        # so that publishing iterates it without a copy while a listener unlistens.
        self._listeners: tuple[tuple[Callable[[HubEvent], None], frozenset[type] | None], ...] = ()
        self._routes: dict[type, tuple[Callable[[HubEvent], None], ...]] = {}
        """Per event type, the listeners that want it (filled on first publish, reset on (un)listen)."""
        self.published = 0
        """Events published since the bus was made (for /metrics: one integer addition per event)."""
        self.dropped = 0
        """Events a queue subscriber lost by falling behind (it is dropped with the event that overflowed it)."""

    def subscribe(self, name: str, maxsize: int = 10_000) -> Subscription:
        """A new subscription with a bounded queue."""
        subscription = Subscription(self, name, maxsize)
        self._subscriptions.add(subscription)
        return subscription

    def listen(self, listener: Callable[[HubEvent], None], kinds: Iterable[type] | None = None) -> Callable[[], None]:
        """Call a fast synchronous listener for every event (or only those of `kinds`); returns an unlisten."""
        entry = (listener, frozenset(kinds) if kinds is not None else None)
        self._listeners = (*self._listeners, entry)
        self._routes = {}

        def unlisten() -> None:
            listeners = list(self._listeners)
            listeners.remove(entry)  # ValueError when unlistened twice, as list.remove always did
            self._listeners = tuple(listeners)
            self._routes = {}

        return unlisten

    @property
    def subscriber_count(self) -> int:
        """How many queue subscribers are attached."""
        return len(self._subscriptions)

    def _route(self, kind: type) -> tuple[Callable[[HubEvent], None], ...]:
        route = self._routes.get(kind)
        if route is None:
            route = self._routes[kind] = tuple(
                listener for listener, kinds in self._listeners if kinds is None or kind in kinds
            )
        return route

    def heard(self, kind: type) -> bool:
        """Whether an event of this type would reach anyone (so that nobody's event need not be built)."""
        if self._subscriptions:
            return True
        route = self._routes.get(kind)
        return bool(self._route(kind) if route is None else route)

    def publish(self, event: HubEvent) -> None:
        """Deliver an event to every listener and subscriber without waiting."""
        self.published += 1
        # The route looked up here (one per state change); _route only fills it the first time.
        route = self._routes.get(type(event))
        if route is None:
            route = self._route(type(event))
        for listener in route:
            try:
                listener(event)
            except Exception:  # a broken listener must not stop the hub
                _LOG.exception("event listener %r failed on %s", listener, type(event).__name__)
        if not self._subscriptions:
            return
        for subscription in list(self._subscriptions):
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                _LOG.warning(
                    "dropping event subscriber %r: %d events queued and not read",
                    subscription.name,
                    subscription.queue.maxsize,
                )
                self.dropped += 1
                subscription.closed = True
                subscription.close_reason = "fell behind"
                self._subscriptions.discard(subscription)
