"""The door's entities by id, refId and parent, kept from the hub's things: no request scans every thing.

Built from the hub's things when the door starts, then kept by the bus's ThingAdded, ThingChanged
and ThingRemoved (made through this door or any other). It holds ids only: what an entity is and
who may see it is always read from the hub's thing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from thinggate.api.sensordata.ids import canonical_entity_id
from thinggate.core.events import HubEvent, ThingAdded, ThingChanged, ThingRemoved
from thinggate.core.hub import Hub
from thinggate.core.model import Thing


@dataclass(frozen=True, slots=True)
class Entry:
    """An entity: its thing, its id, its parent thing and the client's refId ("" when it has none)."""

    thing_id: uuid.UUID
    entity_id: str
    parent_id: uuid.UUID | None
    ref_id: str
    domain: str
    is_node: bool


class EntityIndex:
    """Sensor-data things by entity id, children by parent, nodes by domain and refIds by parent."""

    def __init__(
        self,
        hub: Hub,
        *,
        classes: frozenset[uuid.UUID],
        node_class: uuid.UUID,
        entity_param: uuid.UUID,
        ref_param: uuid.UUID,
    ) -> None:
        self.hub = hub
        self.classes = classes
        self.node_class = node_class
        self.entity_param = entity_param
        self.ref_param = ref_param
        self._entries: dict[uuid.UUID, Entry] = {}
        self._by_entity: dict[str, uuid.UUID] = {}
        # Ordered sets (dicts of None): children and nodes keep the order they were made in.
        self._children: dict[uuid.UUID, dict[uuid.UUID, None]] = {}
        self._nodes: dict[str, dict[uuid.UUID, None]] = {}
        self._refs: dict[tuple[uuid.UUID | None, str], uuid.UUID] = {}
        self._unlisten: Callable[[], None] | None = None

    def start(self) -> None:
        """Index the hub's things and follow their changes."""
        self._unlisten = self.hub.bus.listen(self._heard, (ThingAdded, ThingChanged, ThingRemoved))
        self.add_all(self.hub.things.values())

    def stop(self) -> None:
        """Stop following the hub."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None

    def add_all(self, things: Iterable[Thing]) -> None:
        """Index things (the door's own; others are passed over)."""
        for thing in things:
            self._add(thing)

    # -- lookups -----------------------------------------------------------------------------

    def entry(self, thing_id: uuid.UUID) -> Entry | None:
        """The entry of a thing, if it is one of the door's entities."""
        return self._entries.get(thing_id)

    def thing_id(self, entity_id: str) -> uuid.UUID | None:
        """The thing an entity id (canonical) names."""
        return self._by_entity.get(entity_id)

    def taken(self, entity_id: str) -> bool:
        """Whether an entity id is in use."""
        return entity_id in self._by_entity

    def children(self, thing_id: uuid.UUID) -> list[uuid.UUID]:
        """A node's devices or a device's sensors, in the order they were made (or indexed)."""
        return list(self._children.get(thing_id, ()))

    def child_count(self, thing_id: uuid.UUID) -> int:
        """How many children an entity has (a device's SIZE)."""
        return len(self._children.get(thing_id, ()))

    def by_ref(self, parent_id: uuid.UUID | None, ref_id: str) -> uuid.UUID | None:
        """The child of a parent with this refId."""
        return self._refs.get((parent_id, ref_id)) if ref_id else None

    def nodes_in(self, domain: str) -> list[uuid.UUID]:
        """The nodes of a domain (an iTwin), in the order they were made."""
        return list(self._nodes.get(domain, ()))

    # -- upkeep ------------------------------------------------------------------------------

    def _heard(self, event: HubEvent) -> None:
        if isinstance(event, ThingRemoved):
            self._remove(event.thing_id, forget_children=True)
        elif isinstance(event, ThingChanged):
            self._changed(event.thing)
        elif isinstance(event, ThingAdded):
            self._add(event.thing)

    def _entry(self, thing: Thing) -> Entry | None:
        if thing.thing_class.id not in self.classes:
            return None
        raw = thing.params.get(self.entity_param)
        entity_id = canonical_entity_id(raw) if isinstance(raw, str) else None
        if entity_id is None:
            return None  # made through another door without an id of this one: not an entity here
        ref = thing.params.get(self.ref_param)
        return Entry(
            thing_id=thing.id,
            entity_id=entity_id,
            parent_id=thing.parent_id,
            ref_id=ref if isinstance(ref, str) else "",
            domain=thing.domain,
            is_node=thing.thing_class.id == self.node_class,
        )

    def _changed(self, thing: Thing) -> None:
        """A thing's params, name or domain changed: its entry follows, keeping its place among its siblings."""
        old, new = self._entries.get(thing.id), self._entry(thing)
        if old is None or new is None or (new.entity_id, new.parent_id) != (old.entity_id, old.parent_id):
            self._remove(thing.id, forget_children=False)
            self._add(thing)
            return
        self._entries[thing.id] = new
        if new.ref_id != old.ref_id:
            if old.ref_id and self._refs.get((old.parent_id, old.ref_id)) == thing.id:
                del self._refs[(old.parent_id, old.ref_id)]
            if new.ref_id:
                self._refs.setdefault((new.parent_id, new.ref_id), thing.id)
        if new.is_node and new.domain != old.domain:
            self._forget_node(old)
            self._nodes.setdefault(new.domain, {})[thing.id] = None

    def _forget_node(self, entry: Entry) -> None:
        nodes = self._nodes.get(entry.domain)
        if nodes is not None:
            nodes.pop(entry.thing_id, None)
            if not nodes:
                del self._nodes[entry.domain]

    def _add(self, thing: Thing) -> None:
        entry = self._entry(thing)
        if entry is None or entry.entity_id in self._by_entity:
            return
        self._entries[thing.id] = entry
        self._by_entity[entry.entity_id] = thing.id
        if entry.parent_id is not None:
            self._children.setdefault(entry.parent_id, {})[thing.id] = None
        if entry.is_node:
            self._nodes.setdefault(entry.domain, {})[thing.id] = None
        if entry.ref_id:
            self._refs.setdefault((entry.parent_id, entry.ref_id), thing.id)

    def _remove(self, thing_id: uuid.UUID, *, forget_children: bool) -> None:
        entry = self._entries.pop(thing_id, None)
        if forget_children:
            self._children.pop(thing_id, None)
        if entry is None:
            return
        self._by_entity.pop(entry.entity_id, None)
        if entry.parent_id is not None:
            siblings = self._children.get(entry.parent_id)
            if siblings is not None:
                siblings.pop(thing_id, None)
        if entry.is_node:
            self._forget_node(entry)
        if entry.ref_id and self._refs.get((entry.parent_id, entry.ref_id)) == thing_id:
            del self._refs[(entry.parent_id, entry.ref_id)]
