"""Lifecycle events: made with the change they report, kept in the store's outbox, found and acknowledged by principal.

Every registry change (a thing type, domain or user created, updated or removed) makes one
`EventRecord` here and hands it to the store write that makes the change, so both commit in one
transaction: an event exists exactly when its change does. The record holds MIC's Event fields
(`type` like "THING_TYPE.CREATE", `source`, `classification` INTERNAL) and the path of its source's
domain at that moment, which a publisher turns into its topic. Who may see an event is decided
here: Events.READ on the domain of its source (UPDATE to acknowledge it), never other domains'.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from thinggate.core.registry.errors import RegistryError, RegistryFailure
from thinggate.core.scopes import OBJECT_EVENT, ROOT_DOMAIN
from thinggate.core.security.domains import DomainTree
from thinggate.core.security.principals import Principal
from thinggate.core.store import EventQuery, EventRecord, EventStore

THING_TYPE = "THING_TYPE"
THING = "THING"
DOMAIN = "DOMAIN"
USER = "USER"
"""The objects lifecycle events speak of (the first half of an event's type)."""

CREATE = "CREATE"
UPDATE = "UPDATE"
REMOVE = "REMOVE"
"""What happened to the object (the second half of an event's type)."""

MESSAGE = "set by thinggate"
"""The message of every lifecycle event (MIC's say "set by Managed IoT Cloud")."""

DAY_MS = 86_400_000

_T = TypeVar("_T")


def now_ms() -> int:
    """The time now in epoch milliseconds, as events carry it."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What a caller asks of the stored events (the principal's reach is added by `LifecycleEvents.find`)."""

    types: frozenset[str] = frozenset()  # empty: every type
    domain: str | None = None  # only events of this domain and the domains below it
    since: int | None = None  # epoch ms, inclusive
    until: int | None = None  # epoch ms, exclusive
    acknowledged: bool | None = None
    offset: int = 0
    limit: int = 100
    newest_first: bool = True


class LifecycleEvents:
    """Makes lifecycle events for the store's outbox, and finds and acknowledges them on behalf of a principal."""

    def __init__(self, store: EventStore, domains: DomainTree, *, clock: Callable[[], int] = now_ms) -> None:
        self.store = store
        self.domains = domains  # the live tree: an event's topic path is its source domain's path now
        self.clock = clock

    # -- making --------------------------------------------------------------------------------

    def path(self, domain: str) -> str:
        """A domain's path with a slash at each end: `/` for root, `/a/b/` for b below a."""
        parts: list[str] = []
        current: str | None = domain
        for _ in range(len(self.domains.names()) + 1):  # bounded: a cycle must not hang a write
            if current is None or current == ROOT_DOMAIN:
                break
            parts.append(current)
            current = self.domains.parent(current)
        return "/" + "".join(f"{part}/" for part in reversed(parts))

    def event(
        self, object: str, action: str, source: dict[str, str], domain: str, *, path: str | None = None
    ) -> EventRecord:
        """A new event of `object.action` whose source lives in `domain` (its path now, unless given)."""
        return EventRecord(
            id=uuid.uuid4(),
            timestamp=self.clock(),
            type=f"{object}.{action}",
            domain=domain,
            domain_path=self.path(domain) if path is None else path,
            source={**source, "domain": domain},
            message=MESSAGE,
        )

    def thing_type(self, action: str, thing_type: str, domain: str) -> EventRecord:
        """THING_TYPE.<action> of a thing type in its domain."""
        return self.event(THING_TYPE, action, {"thingType": thing_type}, domain)

    def thing(self, action: str, thing_name: str, thing_type: str, domain: str) -> EventRecord:
        """THING.<action> of a thing (by its name and type) in its domain."""
        return self.event(THING, action, {"thingName": thing_name, "thingType": thing_type}, domain)

    def domain(self, action: str, name: str, parent: str | None) -> EventRecord:
        """DOMAIN.<action> of a domain: it is its own event's domain (a new one is not in the tree yet)."""
        source = {"parentDomain": parent} if parent is not None else {}
        path = self.path(parent) + f"{name}/" if action == CREATE and parent is not None else None
        return self.event(DOMAIN, action, source, name, path=path)

    def user(self, action: str, username: str, domain: str) -> EventRecord:
        """USER.<action> of a user in its home domain."""
        return self.event(USER, action, {"userName": username}, domain)

    # -- reading -------------------------------------------------------------------------------

    def readable_domains(self, principal: Principal, below: str | None = None) -> frozenset[str] | None:
        """The domains whose events the principal may read (within `below` if given); None: every domain.

        A reader of the whole tree also sees the events of domains removed since (they are in no
        subtree any more, so nobody else does).
        """
        names = self.domains.names()
        if below is None and principal.may("R", OBJECT_EVENT, ROOT_DOMAIN):
            return None
        within: Iterable[str] = names if below is None else [n for n in names if self.domains.covers(below, n)]
        return frozenset(name for name in within if principal.may("R", OBJECT_EVENT, name))

    async def find(self, principal: Principal, wanted: EventFilter) -> tuple[list[EventRecord], int]:
        """The events the principal may see that the filter finds (one page), and how many there are in all."""
        if wanted.domain is not None and wanted.domain not in self.domains:
            return [], 0
        query = EventQuery(
            domains=self.readable_domains(principal, wanted.domain),
            types=wanted.types,
            since=wanted.since,
            until=wanted.until,
            acknowledged=wanted.acknowledged,
            offset=wanted.offset,
            limit=wanted.limit,
            newest_first=wanted.newest_first,
        )
        return await self._backend(self.store.find_events(query))

    async def get(self, principal: Principal, event_id: uuid.UUID) -> EventRecord:
        """One event the principal may see (EVENT_NOT_FOUND when unknown or hidden alike)."""
        record = await self._backend(self.store.load_event(event_id))
        if record is None or not self._sees(principal, record):
            raise RegistryFailure(RegistryError.EVENT_NOT_FOUND, f"no event {event_id}", property="id")
        return record

    async def acknowledge(self, principal: Principal, event_id: uuid.UUID) -> EventRecord:
        """Acknowledge an event (Events.UPDATE on the domain of its source); again keeps the first time."""
        record = await self.get(principal, event_id)
        if not principal.may("U", OBJECT_EVENT, record.domain):
            raise RegistryFailure(
                RegistryError.NOT_AUTHORIZED_DOMAIN,
                f"not authorized to acknowledge events in domain {record.domain!r}",
                property="id",
                params={"domain": record.domain},
            )
        if record.acknowledged_at is not None:
            return record
        acknowledged = await self._backend(self.store.acknowledge_event(event_id, self.clock(), principal.name))
        if acknowledged is None:  # pruned meanwhile
            raise RegistryFailure(RegistryError.EVENT_NOT_FOUND, f"no event {event_id}", property="id")
        return acknowledged

    def _sees(self, principal: Principal, record: EventRecord) -> bool:
        if record.domain in self.domains:
            return principal.may("R", OBJECT_EVENT, record.domain)
        return principal.may("R", OBJECT_EVENT, ROOT_DOMAIN)  # a removed domain's: whole-tree readers only

    async def prune(self, keep_days: float) -> int:
        """Delete the events older than `keep_days` (published or not); how many went."""
        return await self._backend(self.store.prune_events(self.clock() - int(keep_days * DAY_MS)))

    @staticmethod
    async def _backend(awaitable: Awaitable[_T]) -> _T:
        try:
            return await awaitable
        except RegistryFailure:
            raise
        except Exception as exc:
            raise RegistryFailure(RegistryError.BACKEND_ERROR, f"could not read or write events: {exc}") from exc
