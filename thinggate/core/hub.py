"""The hub: every operation on things, with nymea's semantics, for every door alike.

Each public operation takes the Principal who asks and answers with a Result; no exception
escapes to the caller. Integrations report through the IntegrationHost methods; every change
is published once on the event bus.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from thinggate.core import eager
from thinggate.core import events as ev
from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.integration import Integration, Pairing
from thinggate.core.interfaces import check_interfaces
from thinggate.core.iolinks import IOLinks
from thinggate.core.model import (
    Action,
    ActionType,
    BasicType,
    BrowserItem,
    CreateMethod,
    EventRecord,
    IOConnection,
    ParamValues,
    PluginInfo,
    SetupMethod,
    State,
    StateType,
    StateValueFilter,
    Thing,
    ThingClass,
    ThingDescriptor,
    ThingSetupStatus,
    Vendor,
)
from thinggate.core.operations import ParamInput, Result, Timeouts, failed, operation, refused
from thinggate.core.retention import HistoryRetention
from thinggate.core.scopes import OBJECT_THING
from thinggate.core.security import SYSTEM, Principal, Scope
from thinggate.core.store import EventRecord as OutboxEvent
from thinggate.core.store import HistoryEntry, Store, ThingRecord
from thinggate.core.values import clamp, convert, know_ids, parse_uuid, verify_params, verify_value
from thinggate.core.writebehind import WriteBehind

_LOG = logging.getLogger(__name__)
_CLAMPED = (BasicType.INT, BasicType.UINT, BasicType.DOUBLE)  # a tuple: `in` compares identity, no hashing
"""The basic types `clamp` works on (it gives any other value back as it is)."""
_MAYBE_NUMBERS = (*_CLAMPED, BasicType.VARIANT)
"""The basic types whose values may be numbers, held to min/max by verify_value."""

T = TypeVar("T")


def _know_class_ids(thing_class: ThingClass) -> None:
    """The ids requests name (class, state, action and their param types): parse_uuid answers these objects."""
    know_ids((thing_class.id,))
    know_ids(state_type.id for state_type in thing_class.state_types)
    for action_type in thing_class.action_types:
        know_ids((action_type.id,))
        know_ids(param_type.id for param_type in action_type.param_types)


@dataclass(frozen=True, slots=True)
class PairingResult:
    """What PairThing answers."""

    transaction_id: uuid.UUID
    setup_method: SetupMethod
    display_message: str = ""
    oauth_url: str = ""
    pin: str = ""


class Hub:
    """The thing manager: owns integrations, thing classes, things, IO connections and pairings."""

    DESCRIPTOR_CACHE_SIZE = 1000
    FLUSH_INTERVAL = 0.5
    SETUP_CONCURRENCY = 64

    def __init__(
        self,
        *,
        store: Store,
        bus: ev.EventBus | None = None,
        timeouts: Timeouts | None = None,
        history_retention: timedelta | None = None,
    ) -> None:
        self.store = store
        self.bus = bus or ev.EventBus()
        self.timeouts = timeouts or Timeouts()
        self.integrations: dict[uuid.UUID, Integration] = {}
        self.vendors: dict[uuid.UUID, Vendor] = {}
        self.thing_classes: dict[uuid.UUID, ThingClass] = {}
        self.things: dict[uuid.UUID, Thing] = {}
        # The same things by the id's `int`, kept with `things` in _keep and _forget: an action looks its
        # thing up twice (the request, the device's report), and a UUID key hashes in Python, an int in C.
        self._things_by_int: dict[int, Thing] = {}
        # Things per class, by the class id's `int`, kept as things come and go: a registry list of 10,000
        # thing types counts 100,000 things without a pass over them (and an int hashes in C, a UUID in Python).
        self._class_counts: Counter[int] = Counter()
        self.inventory_generation = 0
        """Counts changes to which classes and things exist and to things' domains (`_inventory_changed`)."""
        self.io_links = IOLinks(
            store=store,
            bus=self.bus,
            things=self.things,
            integrations=self.integrations,
            timeouts=self.timeouts,
            spawn=lambda coroutine, name: self._spawn(coroutine, name=name),
        )
        self.io_connections: dict[uuid.UUID, IOConnection] = self.io_links.connections
        self.plugin_configurations: dict[uuid.UUID, ParamValues] = {}
        self._descriptors: OrderedDict[uuid.UUID, ThingDescriptor] = OrderedDict()
        self._pairings: dict[uuid.UUID, Pairing] = {}
        self._in_setup: dict[uuid.UUID, Thing] = {}
        self._state_watchers: dict[tuple[uuid.UUID, uuid.UUID], list[Callable[[Any], None]]] = {}
        self._write_behind = WriteBehind(store)
        self._integrations_by_int: dict[int, Integration] = {}  # the action path's lookup (no UUID hashing)
        self.history_retention = None if history_retention is None else HistoryRetention(store, history_retention)
        """Deletes history older than the retention period while the hub runs (None: history is kept forever)."""
        # The time of the newest reading per (thing, state type) ids' ints, read from history on first sight:
        # an upload's older readings are kept but must not turn a state back.
        self._reading_times: dict[tuple[int, int], datetime] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._started = False
        self.setup_finished = asyncio.Event()
        self.started_at = 0.0

    # ------------------------------------------------------------------ lifecycle

    def register(self, integration: Integration) -> None:
        """Add an integration with its vendors and thing classes (before start)."""
        plugin = integration.plugin
        if plugin.id in self.integrations:
            raise ValueError(f"integration {plugin.name!r} ({plugin.id}) is registered already")
        for thing_class in integration.thing_classes:
            check_interfaces(thing_class)  # before anything is kept: a refused integration leaves no trace
        self.integrations[plugin.id] = integration
        self._integrations_by_int[plugin.id.int] = integration
        for vendor in integration.vendors:
            self.vendors[vendor.id] = vendor
        for thing_class in integration.thing_classes:
            if thing_class.id in self.thing_classes:
                raise ValueError(f"thing class {thing_class.name!r} ({thing_class.id}) is declared twice")
            self.thing_classes[thing_class.id] = thing_class
            _know_class_ids(thing_class)
        self._inventory_changed()
        integration.configuration = verify_params(plugin.param_types, (), require_all=False)
        integration.attach(self)

    def add_thing_class(self, thing_class: ThingClass) -> None:
        """Declare a thing class at run time (thing types made through the registry API)."""
        if thing_class.plugin_id not in self.integrations:
            raise ValueError(f"no integration {thing_class.plugin_id} for thing class {thing_class.name!r}")
        self.thing_classes[thing_class.id] = thing_class
        _know_class_ids(thing_class)
        self._inventory_changed()

    def remove_thing_class(self, thing_class_id: uuid.UUID) -> None:
        """Withdraw a run-time thing class (ValueError while things of it exist)."""
        if any(thing.thing_class.id == thing_class_id for thing in self.things.values()):
            raise ValueError(f"thing class {thing_class_id} still has things")
        self.thing_classes.pop(thing_class_id, None)
        self._inventory_changed()

    async def start(self) -> None:
        """Load configuration, restore things and start setting them up in the background."""
        if self._started:
            return
        self._started = True
        self.started_at = time.monotonic()
        stored_configurations = await self.store.load_plugin_configurations()
        for plugin_id, integration in self.integrations.items():
            stored = stored_configurations.get(plugin_id, {})
            known = [
                (key, value)
                for key, value in stored.items()
                if any(pt.id == key for pt in integration.plugin.param_types)
            ]
            try:
                configuration = verify_params(integration.plugin.param_types, known, require_all=False)
            except ThingFailure as failure:
                _LOG.warning("ignoring stored configuration of %s: %s", integration.plugin.name, failure)
                configuration = verify_params(integration.plugin.param_types, (), require_all=False)
            integration.configuration = configuration
            self.plugin_configurations[plugin_id] = configuration
        states = await self.store.load_states()
        records = await self.store.load_things()
        restored: list[Thing] = []
        for record in records:
            thing_class = self.thing_classes.get(record.thing_class_id)
            if thing_class is None:
                _LOG.warning(
                    "thing %s (%s) has unknown class %s; left in storage", record.name, record.id, record.thing_class_id
                )
                continue
            thing = self._thing_from_record(thing_class, record, states.get(record.id, {}))
            thing.setup_status = ThingSetupStatus.IN_PROGRESS
            self._keep(thing)
            restored.append(thing)
        await self.io_links.load()
        for integration in self.integrations.values():
            await integration.start()
        self._write_behind.start(self.FLUSH_INTERVAL)
        if self.history_retention is not None:
            self.history_retention.start()
        self._spawn(self._setup_restored(restored), name="thinggate-restore-setup")
        _LOG.info("hub started: %d things restored, %d integrations", len(restored), len(self.integrations))

    async def wait_until_set_up(self) -> None:
        """Wait until every restored thing has finished (or failed) its setup."""
        await self.setup_finished.wait()

    async def stop(self) -> None:
        """Stop integrations, flush pending state values and history."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for integration in self.integrations.values():
            try:
                await integration.stop()
            except Exception:
                _LOG.exception("integration %s failed to stop", integration.plugin.name)
        if self.history_retention is not None:
            await self.history_retention.stop()
        await self._write_behind.stop()
        self._started = False

    async def flush(self) -> None:
        """Write pending state-cache values and history entries now."""
        await self._write_behind.flush()

    def _spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _setup_restored(self, restored: list[Thing]) -> None:
        async def set_up(thing: Thing) -> None:
            integration = self.integrations[thing.plugin_id]
            try:
                await asyncio.wait_for(integration.setup_thing(thing), self.timeouts.setup)
            except (ThingFailure, TimeoutError) as failure:
                error = failure.error if isinstance(failure, ThingFailure) else ThingError.TIMEOUT
                thing.setup_status = ThingSetupStatus.FAILED
                thing.setup_error = error
                thing.setup_display_message = str(getattr(failure, "message", ""))
                _LOG.warning("setting up %s (%s) failed: %s", thing.name, thing.id, error.value)
            except Exception:
                _LOG.exception("setting up %s (%s) failed", thing.name, thing.id)
                thing.setup_status = ThingSetupStatus.FAILED
                thing.setup_error = ThingError.HARDWARE_FAILURE
            else:
                thing.setup_status = ThingSetupStatus.COMPLETE
                thing.setup_error = ThingError.NO_ERROR
            self.bus.publish(ev.ThingChanged(thing))
            if thing.setup_complete:
                try:
                    await integration.post_setup_thing(thing)
                except Exception:
                    _LOG.exception("post-setup of %s failed", thing.name)

        remaining = iter(restored)

        async def worker() -> None:
            # Workers share one iterator: a bounded pool instead of one task per thing.
            for thing in remaining:
                await set_up(thing)

        try:
            await asyncio.gather(*(worker() for _ in range(max(1, min(self.SETUP_CONCURRENCY, len(restored))))))
            for integration in self.integrations.values():
                await integration.start_monitoring_auto_things()
            self.io_links.sync_all()
        finally:
            self.setup_finished.set()
            _LOG.info("set up %d things in %.2f s", len(restored), time.monotonic() - self.started_at)

    # ------------------------------------------------------------------ building things

    def _thing_from_record(self, thing_class: ThingClass, record: ThingRecord, cached: dict[uuid.UUID, Any]) -> Thing:
        states: dict[uuid.UUID, State] = {}
        for state_type in thing_class.state_types:
            value = state_type.default_value
            if state_type.cached and state_type.id in cached:
                try:
                    value = convert(state_type.type, cached[state_type.id])
                except ValueError:
                    value = state_type.default_value
            states[state_type.id] = State(
                value=value,
                min_value=state_type.min_value,
                max_value=state_type.max_value,
                possible_values=state_type.possible_values,
                filter=StateValueFilter(record.state_filters.get(state_type.id, state_type.filter.value)),
            )
        params = {pt.id: record.params.get(pt.id, pt.default_value) for pt in thing_class.param_types}
        settings = {pt.id: record.settings.get(pt.id, pt.default_value) for pt in thing_class.settings_types}
        return Thing(
            id=record.id,
            thing_class=thing_class,
            name=record.name,
            params=params,
            settings=settings,
            states=states,
            parent_id=record.parent_id,
            auto_created=record.auto_created,
            domain=record.domain,
            room=record.room,
            logged_state_type_ids=set(record.logged_state_type_ids),
            logged_event_type_ids=set(record.logged_event_type_ids),
            logged_action_type_ids=set(record.logged_action_type_ids),
        )

    @staticmethod
    def _new_thing(
        thing_class: ThingClass,
        *,
        thing_id: uuid.UUID,
        name: str,
        params: ParamValues,
        parent_id: uuid.UUID | None,
        auto_created: bool,
        domain: str,
    ) -> Thing:
        states = {
            st.id: State(
                value=st.default_value,
                min_value=st.min_value,
                max_value=st.max_value,
                possible_values=st.possible_values,
                filter=st.filter,
            )
            for st in thing_class.state_types
        }
        settings = verify_params(thing_class.settings_types, (), require_all=False)
        return Thing(
            id=thing_id,
            thing_class=thing_class,
            name=name or thing_class.name,
            params=params,
            settings=settings,
            states=states,
            parent_id=parent_id,
            auto_created=auto_created,
            domain=domain,
            setup_status=ThingSetupStatus.IN_PROGRESS,
            logged_state_type_ids={st.id for st in thing_class.state_types if st.suggest_logging},
            logged_event_type_ids={et.id for et in thing_class.event_types if et.suggest_logging},
        )

    @staticmethod
    def _record(thing: Thing) -> ThingRecord:
        return ThingRecord(
            id=thing.id,
            thing_class_id=thing.thing_class.id,
            plugin_id=thing.plugin_id,
            name=thing.name,
            params=dict(thing.params),
            settings=dict(thing.settings),
            parent_id=thing.parent_id,
            auto_created=thing.auto_created,
            domain=thing.domain,
            room=thing.room,
            logged_state_type_ids=sorted(thing.logged_state_type_ids),
            logged_event_type_ids=sorted(thing.logged_event_type_ids),
            logged_action_type_ids=sorted(thing.logged_action_type_ids),
            state_filters={
                state_type_id: state.filter.value
                for state_type_id, state in thing.states.items()
                if state.filter is not StateValueFilter.NONE
            },
        )

    async def _persist(self, thing: Thing, event: OutboxEvent | None = None) -> None:
        if event is None:
            await self.store.save_thing(self._record(thing))
        else:
            # A registry lifecycle event, written in the same transaction as the thing it reports.
            await self.store.save_thing(self._record(thing), event=event)

    async def _set_up_and_add(self, thing: Thing, event: OutboxEvent | None = None) -> None:
        """Run the integration's setup; on success store the thing, publish ThingAdded, then post-setup."""
        integration = self.integrations[thing.plugin_id]
        self._in_setup[thing.id] = thing
        try:
            await asyncio.wait_for(integration.setup_thing(thing), self.timeouts.setup)
        except TimeoutError:
            raise ThingFailure(ThingError.TIMEOUT, "the device did not finish its setup in time") from None
        finally:
            del self._in_setup[thing.id]
        thing.setup_status = ThingSetupStatus.COMPLETE
        thing.setup_error = ThingError.NO_ERROR
        await self._persist(thing, event)
        self._keep(thing)
        for state_type_id, state in thing.states.items():
            self._queue_state(thing, state_type_id, state.value)
        self.bus.publish(ev.ThingAdded(thing))
        _LOG.info("added %s %r (%s)", thing.thing_class.name, thing.name, thing.id)
        try:
            await integration.post_setup_thing(thing)
        except Exception:
            _LOG.exception("post-setup of %s failed", thing.name)

    # ------------------------------------------------------------------ lookups

    def thing(self, thing_id: uuid.UUID) -> Thing | None:
        """A configured thing by id (no permission check: for integrations and the core)."""
        return self.things.get(thing_id)

    def visible_things(self, principal: Principal) -> list[Thing]:
        """Every thing the principal may see: where doors list things, visibility is decided here."""
        if principal.sees_every_thing():
            return list(self.things.values())
        return [thing for thing in self.things.values() if principal.may_see(thing)]

    def visible_thing(self, principal: Principal, thing_id: uuid.UUID | None) -> Thing | None:
        """The thing with this id if the principal may see it; None when it is unknown or hidden alike."""
        thing = self.things.get(thing_id) if thing_id is not None else None
        return thing if thing is not None and principal.may_see(thing) else None

    @staticmethod
    def saw_removed(principal: Principal, event: ev.ThingRemoved) -> bool:
        """Whether the principal could see the thing that `event` removed (it is no longer there to ask)."""
        return (
            event.thing_id in principal.allowed_thing_ids
            or (principal.has_scope(Scope.ACCESS_ALL_THINGS) and principal.covers_domain(event.domain))
            # A Things.READ privilege on the domain showed it too (Principal.may_see).
            or (bool(principal.privileges) and principal.may("R", OBJECT_THING, event.domain))
        )

    def all_thing_classes(self) -> list[ThingClass]:
        """Every thing class (every principal may read them: nymea checks no scope for them)."""
        return list(self.thing_classes.values())

    def _keep(self, thing: Thing) -> None:
        """Put a thing into `things` (counted by class)."""
        replaced = self.things.get(thing.id)
        if replaced is not None:
            self._class_counts[replaced.thing_class.id.int] -= 1
        self.things[thing.id] = thing
        self._things_by_int[thing.id.int] = thing
        know_ids((thing.id,))
        self._class_counts[thing.thing_class.id.int] += 1
        self._inventory_changed()

    def _forget(self, thing_id: uuid.UUID) -> None:
        """Take a thing out of `things` (counted by class)."""
        removed = self.things.pop(thing_id, None)
        if removed is not None:
            del self._things_by_int[removed.id.int]
            self._class_counts[removed.thing_class.id.int] -= 1
            self._inventory_changed()

    def _inventory_changed(self) -> None:
        """Note that a class or thing came or went, or a thing moved to another domain.

        What is derived from the whole inventory and kept between calls (a registry list's answer)
        compares this generation instead of walking every thing again.
        """
        self.inventory_generation += 1

    def thing_counts_by_class(self) -> Mapping[int, int]:
        """Things per class, by the class id's `int` (kept live; a class without things may be missing)."""
        if self._class_counts.total() != len(self.things):  # `things` changed behind the hub's back: count anew
            self._class_counts = Counter(thing.thing_class.id.int for thing in self.things.values())
        return self._class_counts

    def things_of_class(self, thing_class_id: uuid.UUID) -> list[Thing]:
        """Every configured thing of a class."""
        return [thing for thing in self.things.values() if thing.thing_class.id == thing_class_id]

    def things_with_interface(self, principal: Principal, interface: str) -> list[Thing]:
        """Every thing the principal may see whose class offers an interface."""
        return [t for t in self.things.values() if t.thing_class.has_interface(interface) and principal.may_see(t)]

    def _visible_thing(self, principal: Principal, thing_id: Any) -> Thing:
        parsed = parse_uuid(thing_id)
        thing = self._things_by_int.get(parsed.int) if parsed else None
        if thing is None or not principal.may_see(thing):
            raise ThingFailure(ThingError.THING_NOT_FOUND, f"no thing with id {thing_id}")
        return thing

    def _thing_class(self, thing_class_id: Any) -> ThingClass:
        parsed = parse_uuid(thing_class_id)
        thing_class = self.thing_classes.get(parsed) if parsed else None
        if thing_class is None:
            raise ThingFailure(ThingError.THING_CLASS_NOT_FOUND, f"no thing class with id {thing_class_id}")
        return thing_class

    def _descriptor(self, descriptor_id: Any) -> ThingDescriptor:
        parsed = parse_uuid(descriptor_id)
        descriptor = self._descriptors.get(parsed) if parsed else None
        if descriptor is None:
            raise ThingFailure(ThingError.THING_DESCRIPTOR_NOT_FOUND, f"no thing descriptor with id {descriptor_id}")
        return descriptor

    def _integration(self, plugin_id: Any) -> Integration:
        parsed = parse_uuid(plugin_id)
        integration = self.integrations.get(parsed) if parsed else None
        if integration is None:
            raise ThingFailure(ThingError.PLUGIN_NOT_FOUND, f"no integration with id {plugin_id}")
        return integration

    def _domain_for(self, principal: Principal, domain: str | None) -> str:
        if domain is None:
            return principal.home_domain
        if not principal.covers_domain(domain):
            raise ThingFailure(ThingError.INVALID_PARAMETER, f"domain {domain!r} is outside {principal.home_domain!r}")
        return domain

    # ------------------------------------------------------------------ read operations

    def get_vendors(self) -> list[Vendor]:
        """Every vendor."""
        return list(self.vendors.values())

    def get_plugins(self) -> list[PluginInfo]:
        """Every integration's plugin info."""
        return [integration.plugin for integration in self.integrations.values()]

    @operation(Scope.NONE)
    async def get_thing_classes(
        self, principal: Principal, vendor_id: Any = None, thing_class_ids: Iterable[Any] | None = None
    ) -> Result[list[ThingClass]]:
        """Thing classes, optionally of one vendor and/or with the given ids (unknown ids give none)."""
        classes = list(self.thing_classes.values())
        if vendor_id is not None:
            vendor = parse_uuid(vendor_id)
            classes = [c for c in classes if c.vendor_id == vendor]
        if thing_class_ids is not None:
            wanted = {parse_uuid(i) for i in thing_class_ids}
            classes = [c for c in classes if c.id in wanted]
        return Result(value=classes)

    def get_state_types(self, thing_class_id: Any) -> list[StateType]:
        """State types of a class (empty for an unknown class, as nymea answers)."""
        parsed = parse_uuid(thing_class_id)
        thing_class = self.thing_classes.get(parsed) if parsed else None
        return list(thing_class.state_types) if thing_class else []

    def get_event_types(self, thing_class_id: Any) -> list[Any]:
        """Event types of a class (empty for an unknown class)."""
        parsed = parse_uuid(thing_class_id)
        thing_class = self.thing_classes.get(parsed) if parsed else None
        return list(thing_class.event_types) if thing_class else []

    def get_action_types(self, thing_class_id: Any) -> list[ActionType]:
        """Action types of a class, state-generated ones included (empty for an unknown class)."""
        parsed = parse_uuid(thing_class_id)
        thing_class = self.thing_classes.get(parsed) if parsed else None
        return list(thing_class.action_types) if thing_class else []

    @operation(Scope.NONE)
    async def get_things(self, principal: Principal, thing_id: Any = None) -> Result[list[Thing]]:
        """Every thing the principal may see, or the one with `thing_id`."""
        if thing_id is not None:
            return Result(value=[self._visible_thing(principal, thing_id)])
        return Result(value=[thing for thing in self.things.values() if principal.may_see(thing)])

    @operation(Scope.NONE)
    async def get_state_value(self, principal: Principal, thing_id: Any, state_type_id: Any) -> Result[Any]:
        """The current value of one state."""
        thing = self._visible_thing(principal, thing_id)
        parsed = parse_uuid(state_type_id)
        state = thing.states.get(parsed) if parsed else None
        if state is None:
            raise ThingFailure(ThingError.STATE_TYPE_NOT_FOUND, f"no state type {state_type_id} on {thing.name}")
        return Result(value=state.value)

    @operation(Scope.NONE)
    async def get_state_values(self, principal: Principal, thing_id: Any) -> Result[dict[uuid.UUID, State]]:
        """Every state of a thing."""
        thing = self._visible_thing(principal, thing_id)
        return Result(value=dict(thing.states))

    @operation(Scope.NONE)
    async def get_io_connections(self, principal: Principal, thing_id: Any = None) -> Result[list[IOConnection]]:
        """IO connections, all or those touching one thing."""
        if thing_id is None:
            visible = [
                c
                for c in self.io_connections.values()
                if self._sees(principal, c.input_thing_id) and self._sees(principal, c.output_thing_id)
            ]
            return Result(value=visible)
        thing = self._visible_thing(principal, thing_id)
        return Result(
            value=[c for c in self.io_connections.values() if thing.id in (c.input_thing_id, c.output_thing_id)]
        )

    def _sees(self, principal: Principal, thing_id: uuid.UUID) -> bool:
        thing = self.things.get(thing_id)
        return thing is not None and principal.may_see(thing)

    # ------------------------------------------------------------------ plugin configuration

    @operation(Scope.CONFIGURE_THINGS)
    async def get_plugin_configuration(self, principal: Principal, plugin_id: Any) -> Result[ParamValues]:
        """An integration's configuration."""
        integration = self._integration(plugin_id)
        return Result(value=dict(integration.configuration))

    @operation(Scope.CONFIGURE_THINGS)
    async def set_plugin_configuration(
        self, principal: Principal, plugin_id: Any, configuration: ParamInput
    ) -> Result[None]:
        """Verify, store and apply an integration's configuration."""
        integration = self._integration(plugin_id)
        given = verify_params(integration.plugin.param_types, configuration, require_all=False, fill_defaults=False)
        merged = {**integration.configuration, **given}
        await self.store.save_plugin_configuration(integration.plugin.id, merged)
        integration.configuration = merged
        self.plugin_configurations[integration.plugin.id] = merged
        await integration.configuration_changed(merged)
        self.bus.publish(ev.PluginConfigurationChanged(integration.plugin.id, dict(merged)))
        return Result()

    # ------------------------------------------------------------------ adding things

    @operation(Scope.CONFIGURE_THINGS)
    async def add_thing(
        self,
        principal: Principal,
        name: str = "",
        thing_class_id: Any = None,
        descriptor_id: Any = None,
        params: ParamInput = (),
        domain: str | None = None,
        room: str = "",
        thing_id: Any = None,
        event: OutboxEvent | None = None,
    ) -> Result[uuid.UUID]:
        """Add a thing of a JustAdd class, directly or from a discovery descriptor.

        `thing_id` keeps an id the thing already has elsewhere (a device imported with its own
        Thinknx GUID, a thing declared in the configuration file); by default a new one is made.
        `event` (a registry lifecycle event) is stored in the same write as the new thing.
        """
        given = list(params)
        new_id = uuid.uuid4()
        if thing_id is not None:
            parsed_id = parse_uuid(thing_id)
            if parsed_id is None:
                raise ThingFailure(ThingError.INVALID_PARAMETER, f"{thing_id!r} is not a thing id")
            if parsed_id in self.things or parsed_id in self._in_setup:
                raise ThingFailure(ThingError.DUPLICATE_UUID, f"a thing with id {parsed_id} exists already")
            new_id = parsed_id
        parent_id: uuid.UUID | None = None
        if descriptor_id is not None:
            descriptor = self._descriptor(descriptor_id)
            thing_class = self._thing_class(descriptor.thing_class_id)
            if CreateMethod.DISCOVERY not in thing_class.create_methods:
                raise ThingFailure(ThingError.CREATION_METHOD_NOT_SUPPORTED, f"{thing_class.name} is not discoverable")
            # Descriptor params first, the caller's win.
            given = list(descriptor.params.items()) + given
            parent_id = descriptor.parent_id
        elif thing_class_id is not None:
            thing_class = self._thing_class(thing_class_id)
            if CreateMethod.USER not in thing_class.create_methods:
                raise ThingFailure(
                    ThingError.CREATION_METHOD_NOT_SUPPORTED, f"{thing_class.name} cannot be added by hand"
                )
        else:
            raise ThingFailure(ThingError.MISSING_PARAMETER, "thingClassId or thingDescriptorId is required")
        if thing_class.setup_method is not SetupMethod.JUST_ADD:
            raise ThingFailure(
                ThingError.CREATION_METHOD_NOT_SUPPORTED,
                f"{thing_class.name} needs pairing ({thing_class.setup_method.value})",
            )
        verified = verify_params(thing_class.param_types, given)
        thing = self._new_thing(
            thing_class,
            thing_id=new_id,
            name=name,
            params=verified,
            parent_id=parent_id,
            auto_created=False,
            domain=self._domain_for(principal, domain),
        )
        thing.room = room
        await self._set_up_and_add(thing, event)
        return Result(value=thing.id)

    @operation(Scope.CONFIGURE_THINGS)
    async def discover_things(
        self, principal: Principal, thing_class_id: Any, discovery_params: ParamInput = ()
    ) -> Result[list[ThingDescriptor]]:
        """Run discovery for a class; descriptors are kept for AddThing, PairThing and ReconfigureThing."""
        thing_class = self._thing_class(thing_class_id)
        if CreateMethod.DISCOVERY not in thing_class.create_methods:
            raise ThingFailure(ThingError.CREATION_METHOD_NOT_SUPPORTED, f"{thing_class.name} is not discoverable")
        verified = verify_params(thing_class.discovery_param_types, discovery_params)
        integration = self.integrations[thing_class.plugin_id]
        try:
            found = await asyncio.wait_for(integration.discover_things(thing_class, verified), self.timeouts.discovery)
        except TimeoutError:
            raise ThingFailure(ThingError.TIMEOUT, "discovery did not finish in time") from None
        for descriptor in found:
            self._descriptors[descriptor.id] = descriptor
            while len(self._descriptors) > self.DESCRIPTOR_CACHE_SIZE:
                self._descriptors.popitem(last=False)
        return Result(value=found)

    @operation(Scope.CONFIGURE_THINGS)
    async def pair_thing(
        self,
        principal: Principal,
        thing_class_id: Any = None,
        descriptor_id: Any = None,
        thing_id: Any = None,
        name: str = "",
        params: ParamInput = (),
        domain: str | None = None,
    ) -> Result[PairingResult]:
        """Start pairing a thing of a class that needs it (PIN, push button, user and password, OAuth)."""
        given = list(params)
        target_id: uuid.UUID | None = None
        parent_id: uuid.UUID | None = None
        if descriptor_id is not None:
            descriptor = self._descriptor(descriptor_id)
            thing_class = self._thing_class(descriptor.thing_class_id)
            given = list(descriptor.params.items()) + given
            target_id, parent_id = descriptor.thing_id, descriptor.parent_id
        elif thing_id is not None:
            existing = self._visible_thing(principal, thing_id)
            thing_class = existing.thing_class
            given = list(existing.params.items()) + given
            target_id = existing.id
        elif thing_class_id is not None:
            thing_class = self._thing_class(thing_class_id)
        else:
            raise ThingFailure(ThingError.MISSING_PARAMETER, "thingClassId, thingDescriptorId or thingId is required")
        if thing_class.setup_method is SetupMethod.JUST_ADD:
            raise ThingFailure(ThingError.SETUP_METHOD_NOT_SUPPORTED, f"{thing_class.name} is added without pairing")
        verified = verify_params(thing_class.param_types, given)
        pairing = Pairing(
            transaction_id=uuid.uuid4(),
            thing_class=thing_class,
            name=name,
            params=verified,
            thing_id=target_id,
            parent_id=parent_id,
            domain=self._domain_for(principal, domain),
        )
        integration = self.integrations[thing_class.plugin_id]
        try:
            await asyncio.wait_for(integration.start_pairing(pairing), self.timeouts.pairing)
        except TimeoutError:
            raise ThingFailure(ThingError.TIMEOUT, "pairing did not start in time") from None
        self._pairings[pairing.transaction_id] = pairing
        return Result(
            value=PairingResult(
                transaction_id=pairing.transaction_id,
                setup_method=thing_class.setup_method,
                display_message=pairing.display_message,
                oauth_url=pairing.oauth_url,
                pin=pairing.pin,
            ),
        )

    @operation(Scope.CONFIGURE_THINGS)
    async def confirm_pairing(
        self, principal: Principal, transaction_id: Any, username: str = "", secret: str = ""
    ) -> Result[uuid.UUID]:
        """Finish a pairing: the thing is set up and added (or reconfigured); answers its id."""
        parsed = parse_uuid(transaction_id)
        pairing = self._pairings.pop(parsed, None) if parsed else None
        if pairing is None:
            raise ThingFailure(ThingError.PAIRING_TRANSACTION_ID_NOT_FOUND, f"no pairing {transaction_id}")
        integration = self.integrations[pairing.thing_class.plugin_id]
        try:
            await asyncio.wait_for(integration.confirm_pairing(pairing, username, secret), self.timeouts.pairing)
        except TimeoutError:
            raise ThingFailure(ThingError.TIMEOUT, "pairing did not finish in time") from None
        existing = self.things.get(pairing.thing_id) if pairing.thing_id else None
        if existing is not None:
            await self._reconfigure(existing, pairing.params)
            return Result(value=existing.id)
        thing = self._new_thing(
            pairing.thing_class,
            thing_id=uuid.uuid4(),
            name=pairing.name,
            params=pairing.params,
            parent_id=pairing.parent_id,
            auto_created=False,
            domain=pairing.domain,
        )
        await self._set_up_and_add(thing)
        return Result(value=thing.id)

    # ------------------------------------------------------------------ changing things

    @operation(Scope.CONFIGURE_THINGS)
    async def reconfigure_thing(
        self, principal: Principal, thing_id: Any = None, descriptor_id: Any = None, params: ParamInput = ()
    ) -> Result[None]:
        """Change a thing's params (read-only ones only through a rediscovered descriptor); the id is kept."""
        given = list(params)
        if descriptor_id is not None:
            descriptor = self._descriptor(descriptor_id)
            if descriptor.thing_id is None:
                raise ThingFailure(ThingError.THING_NOT_FOUND, "the descriptor names no configured thing")
            thing = self._visible_thing(principal, descriptor.thing_id)
            merged = list(thing.params.items()) + list(descriptor.params.items()) + given
        elif thing_id is not None:
            thing = self._visible_thing(principal, thing_id)
            for raw_id, value in given:
                param_type = thing.thing_class.param_type(parse_uuid(raw_id) or uuid.UUID(int=0))
                if param_type is not None and param_type.read_only and thing.params.get(param_type.id) != value:
                    raise ThingFailure(ThingError.PARAMETER_NOT_WRITABLE, f"param {param_type.name!r} is read-only")
            merged = list(thing.params.items()) + given
        else:
            raise ThingFailure(ThingError.MISSING_PARAMETER, "thingId or thingDescriptorId is required")
        verified = verify_params(thing.thing_class.param_types, merged)
        await self._reconfigure(thing, verified)
        return Result()

    async def _reconfigure(self, thing: Thing, params: ParamValues) -> None:
        integration = self.integrations[thing.plugin_id]
        old_params = thing.params
        await integration.thing_removed(thing)
        thing.params = params
        thing.setup_status = ThingSetupStatus.IN_PROGRESS
        try:
            await asyncio.wait_for(integration.setup_thing(thing), self.timeouts.setup)
        except (ThingFailure, TimeoutError):
            # Keep the thing working with what it had: the new params did not set up.
            thing.params = old_params
            try:
                await asyncio.wait_for(integration.setup_thing(thing), self.timeouts.setup)
                thing.setup_status = ThingSetupStatus.COMPLETE
            except Exception:
                thing.setup_status = ThingSetupStatus.FAILED
            raise
        thing.setup_status = ThingSetupStatus.COMPLETE
        await self._persist(thing)
        self.bus.publish(ev.ThingChanged(thing))
        try:
            await integration.post_setup_thing(thing)
        except Exception:
            _LOG.exception("post-setup of %s failed", thing.name)

    @operation(Scope.CONFIGURE_THINGS)
    async def edit_thing(
        self,
        principal: Principal,
        thing_id: Any,
        name: str | None = None,
        room: str | None = None,
        event: OutboxEvent | None = None,
    ) -> Result[None]:
        """Rename a thing and/or move it to another room (`event`: a lifecycle event stored with the change)."""
        thing = self._visible_thing(principal, thing_id)
        if name is not None:
            thing.name = name
        if room is not None:
            thing.room = room
        await self._persist(thing, event)
        self.bus.publish(ev.ThingChanged(thing))
        return Result()

    @operation(Scope.CONFIGURE_THINGS)
    async def move_thing(
        self, principal: Principal, thing_id: Any, domain: str, event: OutboxEvent | None = None
    ) -> Result[None]:
        """Move a thing to another domain the principal covers (the registry's domain change)."""
        thing = self._visible_thing(principal, thing_id)
        new_domain = self._domain_for(principal, domain)
        if new_domain != thing.domain:
            old_domain = thing.domain
            thing.domain = new_domain
            self._inventory_changed()
            try:
                await self._persist(thing, event)
            except BaseException:
                thing.domain = old_domain
                self._inventory_changed()
                raise
            self.bus.publish(ev.ThingChanged(thing))
        return Result()

    @operation(Scope.CONFIGURE_THINGS)
    async def remove_thing(
        self, principal: Principal, thing_id: Any, event: OutboxEvent | None = None
    ) -> Result[list[uuid.UUID]]:
        """Remove a thing and its children; an auto-created child answers ThingIsChild."""
        thing = self._visible_thing(principal, thing_id)
        if thing.parent_id is not None and thing.auto_created and thing.parent_id in self.things:
            raise ThingFailure(ThingError.THING_IS_CHILD, f"{thing.name} is created by its parent; remove the parent")
        return Result(value=await self._remove(thing, event))

    async def _remove(self, thing: Thing, event: OutboxEvent | None = None) -> list[uuid.UUID]:
        doomed = self._with_descendants(thing)
        doomed_ids = [t.id for t in doomed]
        if event is None:
            await self.store.delete_things(doomed_ids)
        else:
            await self.store.delete_things(doomed_ids, event=event)
        for victim in doomed:
            self.io_links.forget_thing(victim.id)
            self._forget(victim.id)
            self._write_behind.forget_thing(victim.id)
            try:
                await self.integrations[victim.plugin_id].thing_removed(victim)
            except Exception:
                _LOG.exception("integration failed to release %s", victim.name)
            self.bus.publish(ev.ThingRemoved(victim.id, victim.domain))
            _LOG.info("removed %s %r (%s)", victim.thing_class.name, victim.name, victim.id)
        return doomed_ids

    def _with_descendants(self, thing: Thing) -> list[Thing]:
        """The thing's descendants, deepest first, then the thing itself."""
        children = [t for t in self.things.values() if t.parent_id == thing.id]
        result: list[Thing] = []
        for child in children:
            result.extend(self._with_descendants(child))
        result.append(thing)
        return result

    @operation(Scope.CONFIGURE_THINGS)
    async def set_thing_settings(
        self, principal: Principal, thing_id: Any, settings: ParamInput, event: OutboxEvent | None = None
    ) -> Result[None]:
        """Verify and merge settings; every setting of the merged list is announced."""
        thing = self._visible_thing(principal, thing_id)
        given = verify_params(thing.thing_class.settings_types, settings, require_all=False, fill_defaults=False)
        merged = {**thing.settings, **given}
        thing.settings = merged
        await self._persist(thing, event)
        integration = self.integrations[thing.plugin_id]
        for param_type_id, value in merged.items():
            if param_type_id in given:
                await integration.thing_setting_changed(thing, param_type_id, value)
        for param_type_id, value in merged.items():
            self.bus.publish(ev.ThingSettingChanged(thing.id, param_type_id, value))
        return Result()

    @operation(Scope.CONFIGURE_THINGS)
    async def set_state_logging(
        self, principal: Principal, thing_id: Any, state_type_id: Any, enabled: bool
    ) -> Result[None]:
        """Turn history logging of a state on or off."""
        thing = self._visible_thing(principal, thing_id)
        state_type = thing.thing_class.state_type(parse_uuid(state_type_id) or uuid.UUID(int=0))
        if state_type is None:
            raise ThingFailure(ThingError.STATE_TYPE_NOT_FOUND, f"no state type {state_type_id}")
        await self._set_flag(thing, thing.logged_state_type_ids, state_type.id, enabled)
        return Result()

    @operation(Scope.CONFIGURE_THINGS)
    async def set_event_logging(
        self, principal: Principal, thing_id: Any, event_type_id: Any, enabled: bool
    ) -> Result[None]:
        """Turn history logging of an event on or off."""
        thing = self._visible_thing(principal, thing_id)
        event_type = thing.thing_class.event_type(parse_uuid(event_type_id) or uuid.UUID(int=0))
        if event_type is None:
            raise ThingFailure(ThingError.EVENT_TYPE_NOT_FOUND, f"no event type {event_type_id}")
        await self._set_flag(thing, thing.logged_event_type_ids, event_type.id, enabled)
        return Result()

    @operation(Scope.CONFIGURE_THINGS)
    async def set_action_logging(
        self, principal: Principal, thing_id: Any, action_type_id: Any, enabled: bool
    ) -> Result[None]:
        """Turn history logging of an action on or off (an unknown action answers EventTypeNotFound, as nymea)."""
        thing = self._visible_thing(principal, thing_id)
        action_type = thing.thing_class.action_type(parse_uuid(action_type_id) or uuid.UUID(int=0))
        if action_type is None:
            raise ThingFailure(ThingError.EVENT_TYPE_NOT_FOUND, f"no action type {action_type_id}")
        await self._set_flag(thing, thing.logged_action_type_ids, action_type.id, enabled)
        return Result()

    async def _set_flag(self, thing: Thing, flags: set[uuid.UUID], type_id: uuid.UUID, enabled: bool) -> None:
        if (type_id in flags) == enabled:
            return
        if enabled:
            flags.add(type_id)
        else:
            flags.discard(type_id)
        await self._persist(thing)
        self.bus.publish(ev.ThingChanged(thing))

    @operation(Scope.CONFIGURE_THINGS)
    async def set_state_filter(
        self, principal: Principal, thing_id: Any, state_type_id: Any, state_filter: StateValueFilter
    ) -> Result[None]:
        """Set a state's value filter (an unknown state answers EventTypeNotFound, as nymea)."""
        thing = self._visible_thing(principal, thing_id)
        state = thing.states.get(parse_uuid(state_type_id) or uuid.UUID(int=0))
        if state is None:
            raise ThingFailure(ThingError.EVENT_TYPE_NOT_FOUND, f"no state type {state_type_id}")
        if state.filter is not state_filter:
            state.filter = state_filter
            await self._persist(thing)
            self.bus.publish(ev.ThingChanged(thing))
        return Result()

    # ------------------------------------------------------------------ actions and browsing

    def _usable_thing(self, principal: Principal, thing_id: Any) -> Thing:
        # _visible_thing and setup_complete inline: every action starts here.
        parsed = parse_uuid(thing_id)
        thing = self._things_by_int.get(parsed.int) if parsed else None
        if thing is None or not principal.may_see(thing):
            raise ThingFailure(ThingError.THING_NOT_FOUND, f"no thing with id {thing_id}")
        if thing.setup_status is not ThingSetupStatus.COMPLETE:
            raise ThingFailure(ThingError.SETUP_FAILED, f"{thing.name} is not set up")
        return thing

    async def execute_action(
        self, principal: Principal, thing_id: Any, action_type_id: Any, params: ParamInput = ()
    ) -> Result[None]:
        """Verify an action's params (dynamic limits for state actions) and run it, 15 s at most."""
        # What @operation(Scope.CONTROL_THINGS) does, spelled out in the body: every action runs
        # through here, and the decorator's wrapper is a coroutine frame (and an await) more.
        if not principal.has_scope(Scope.CONTROL_THINGS):
            return refused(principal, Scope.CONTROL_THINGS, "execute_action")
        try:
            thing = self._usable_thing(principal, thing_id)
            action_type = thing.thing_class.action_type(parse_uuid(action_type_id) or uuid.UUID(int=0))
            if action_type is None:
                raise ThingFailure(
                    ThingError.ACTION_TYPE_NOT_FOUND, f"{thing.thing_class.name} has no action {action_type_id}"
                )
            verified = self._verify_action_params(thing, action_type, params)
            action = Action(thing.id, action_type.id, verified)
            integration = self._integrations_by_int[thing.thing_class.plugin_id.int]
            try:
                # eager.within spelled out (the hot path: a coroutine and a call fewer); most devices
                # answer at once and need no task, no timer.
                running = integration.execute_action(thing, action)
                try:
                    waiting_on = running.send(None)
                except StopIteration:
                    pass
                else:
                    await asyncio.wait_for(eager.resume(running, waiting_on), self.timeouts.action)
            except ThingFailure as failure:
                self._action_done(thing, action, failure.error)
                raise
            except TimeoutError:
                self._action_done(thing, action, ThingError.TIMEOUT)
                raise ThingFailure(ThingError.TIMEOUT, "the device did not finish the action in time") from None
            if thing.logged_action_type_ids or self.bus.heard(ev.ActionExecuted):  # the usual action: nothing to do
                self._action_done(thing, action, ThingError.NO_ERROR)
            return Result()
        except Exception as exc:
            return failed(exc, "execute_action", _LOG)

    execute_action.required_scope = Scope.CONTROL_THINGS  # type: ignore[attr-defined]  # as @operation sets it

    @staticmethod
    def _verify_action_params(thing: Thing, action_type: ActionType, params: ParamInput) -> ParamValues:
        """The action's params verified; a state's action is held to the state's dynamic limits."""
        given = params if isinstance(params, list) else list(params)
        param_types = action_type.param_types
        if len(param_types) == 1 and len(given) == 1:
            # The usual action (a state's, or one with one param) given its one param: the answer
            # verify_params would give, without building its lookup tables on every call.
            param_type = param_types[0]
            raw_id, value = given[0]
            param_type_id = param_type.id
            parsed = parse_uuid(raw_id)
            if parsed is param_type_id or parsed == param_type_id:  # `is` first: UUID's == is a Python call
                # A state's dynamic limits matter only where the value can be a number.
                limited = param_type.type in _MAYBE_NUMBERS and (
                    param_type_id is action_type.id or param_type_id == action_type.id
                )
                state = thing.states.get(param_type_id) if limited else None
                if state is None:
                    return {param_type_id: verify_value(param_type, value)}
                return {
                    param_type_id: verify_value(param_type, value, min_value=state.min_value, max_value=state.max_value)
                }
        limits = None
        state = thing.states.get(action_type.id)
        if state is not None:
            limits = {action_type.id: (state.min_value, state.max_value)}
        return verify_params(param_types, given, limits=limits)

    def _action_done(self, thing: Thing, action: Action, error: ThingError) -> None:
        # An empty set first: `in` would hash the UUID, a Python call, to find nothing.
        if thing.logged_action_type_ids and action.action_type_id in thing.logged_action_type_ids:
            self._write_behind.add_history(
                HistoryEntry(
                    _now(),
                    thing.id,
                    "action",
                    action.action_type_id,
                    {"params": _json_params(action.params), "status": error.value},
                )
            )
        if self.bus.heard(ev.ActionExecuted):  # most doors ignore it: build it only for someone
            self.bus.publish(ev.ActionExecuted(thing.id, action.action_type_id, action.params, error.value))

    def _browsable_thing(self, principal: Principal, thing_id: Any) -> tuple[Thing, Integration]:
        thing = self._usable_thing(principal, thing_id)
        if not thing.thing_class.browsable:
            raise ThingFailure(ThingError.UNSUPPORTED_FEATURE, f"{thing.name} cannot be browsed")
        return thing, self.integrations[thing.plugin_id]

    async def _bounded(self, awaitable: Awaitable[T], seconds: float) -> T:
        try:
            return await asyncio.wait_for(awaitable, seconds)
        except TimeoutError:
            raise ThingFailure(ThingError.TIMEOUT, "the device did not answer in time") from None

    @operation(Scope.NONE)
    async def browse_thing(self, principal: Principal, thing_id: Any, item_id: str = "") -> Result[list[BrowserItem]]:
        """The browser items below `item_id` ("" is the root)."""
        thing, integration = self._browsable_thing(principal, thing_id)
        items = await self._bounded(integration.browse_thing(thing, item_id or ""), self.timeouts.browse)
        return Result(value=items)

    @operation(Scope.NONE)
    async def get_browser_item(self, principal: Principal, thing_id: Any, item_id: str = "") -> Result[BrowserItem]:
        """One browser item."""
        thing, integration = self._browsable_thing(principal, thing_id)
        item = await self._bounded(integration.browser_item(thing, item_id or ""), self.timeouts.browse)
        return Result(value=item)

    @operation(Scope.CONTROL_THINGS)
    async def execute_browser_item(self, principal: Principal, thing_id: Any, item_id: str) -> Result[None]:
        """Launch a browser item."""
        thing, integration = self._browsable_thing(principal, thing_id)
        await self._bounded(integration.execute_browser_item(thing, item_id), self.timeouts.action)
        return Result()

    @operation(Scope.CONTROL_THINGS)
    async def execute_browser_item_action(
        self, principal: Principal, thing_id: Any, item_id: str, action_type_id: Any, params: ParamInput = ()
    ) -> Result[None]:
        """Run an action on a browser item (e.g. add to favourites)."""
        thing, integration = self._browsable_thing(principal, thing_id)
        action_type = thing.thing_class.browser_item_action_type(parse_uuid(action_type_id) or uuid.UUID(int=0))
        if action_type is None:
            raise ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND, f"no browser item action {action_type_id}")
        verified = verify_params(action_type.param_types, params)
        await self._bounded(
            integration.execute_browser_item_action(thing, item_id, action_type.id, verified), self.timeouts.action
        )
        return Result()

    # ------------------------------------------------------------------ IO connections

    @operation(Scope.CONFIGURE_THINGS)
    async def connect_io(
        self,
        principal: Principal,
        input_thing_id: Any,
        input_state_type_id: Any,
        output_thing_id: Any,
        output_state_type_id: Any,
        inverted: bool = False,
    ) -> Result[uuid.UUID]:
        """Make an output state follow an input state (digital to digital, analog to analog)."""
        input_thing = self._visible_thing(principal, input_thing_id)
        output_thing = self._visible_thing(principal, output_thing_id)
        input_type = input_thing.thing_class.state_type(parse_uuid(input_state_type_id) or uuid.UUID(int=0))
        output_type = output_thing.thing_class.state_type(parse_uuid(output_state_type_id) or uuid.UUID(int=0))
        if input_type is None or output_type is None:
            raise ThingFailure(ThingError.STATE_TYPE_NOT_FOUND, "no such input or output state type")
        connection = await self.io_links.connect(input_thing, input_type, output_thing, output_type, inverted)
        return Result(value=connection.id)

    @operation(Scope.CONFIGURE_THINGS)
    async def disconnect_io(self, principal: Principal, io_connection_id: Any) -> Result[None]:
        """Remove an IO connection (an unknown id answers ItemNotFound, as nymea)."""
        parsed = parse_uuid(io_connection_id)
        connection = self.io_connections.get(parsed) if parsed else None
        if connection is None or not (
            self._sees(principal, connection.input_thing_id) and self._sees(principal, connection.output_thing_id)
        ):
            raise ThingFailure(ThingError.ITEM_NOT_FOUND, f"no IO connection {io_connection_id}")
        await self.io_links.disconnect(connection)
        return Result()

    # ------------------------------------------------------------------ IntegrationHost

    def set_state(self, thing_id: uuid.UUID, state_type_id: uuid.UUID, value: Any, *, log: bool = True) -> None:
        """Set a state value as the device reports it: converted, clamped, published when it changed.

        `log=False`: the value is in history already (a reading, with its own time), so a logged state
        does not keep it a second time.
        """
        try:
            thing = self._things_by_int.get(thing_id.int)
        except AttributeError:  # not a UUID: no thing has it
            thing = None
        added = thing is not None
        if thing is None:
            # Integrations report states while a thing is still being set up, before it is added.
            thing = self._in_setup.get(thing_id)
            if thing is None:
                _LOG.debug("state for unknown thing %s ignored", thing_id)
                return
        state_type = thing.thing_class.state_type(state_type_id)
        if state_type is None:
            raise KeyError(f"{thing.thing_class.name} has no state type {state_type_id}")
        state = thing.states[state_type_id]
        try:
            converted = convert(state_type.type, value)
        except ValueError:
            _LOG.warning(
                "%s reported %r for %s.%s; ignored", thing.thing_class.name, value, thing.name, state_type.name
            )
            return
        if state_type.type in _CLAMPED:  # clamp changes nothing else: spare the call
            converted = clamp(converted, state_type.type, state.min_value, state.max_value, state_type.step_size)
        if not (state.value == converted and type(state.value) is type(converted)):
            state.value = converted
            if added:  # one still being set up is announced whole when it is added
                self._announce_state(thing, state_type, state, log)
        if self._state_watchers:
            # Every report counts, changed or not: a device confirming a value it already had
            # is still the feedback a waiting request asked for.
            for watcher in list(self._state_watchers.get((thing.id, state_type_id), ())):
                watcher(converted)

    def watch_state(
        self, thing_id: uuid.UUID, state_type_id: uuid.UUID, watcher: Callable[[Any], None]
    ) -> Callable[[], None]:
        """Call `watcher` with every value the device reports for one state; returns an unwatch."""
        key = (thing_id, state_type_id)
        self._state_watchers.setdefault(key, []).append(watcher)

        def unwatch() -> None:
            watchers = self._state_watchers.get(key)
            if watchers is not None and watcher in watchers:
                watchers.remove(watcher)
                if not watchers:
                    del self._state_watchers[key]

        return unwatch

    def _state_changed(self, thing: Thing, state_type: StateType, state: State) -> None:
        if thing.id not in self.things:
            return  # still being set up: the first snapshot is taken when it is added
        self._announce_state(thing, state_type, state)

    def _announce_state(self, thing: Thing, state_type: StateType, state: State, log: bool = True) -> None:
        """A state of an added thing changed: cache it, log it, publish it, follow its IO links."""
        if state_type.cached:
            self._write_behind.queue_state(thing.id, state_type.id, state.value)
        # An empty set first: `in` would hash the UUID, a Python call, to find nothing.
        if log and thing.logged_state_type_ids and state_type.id in thing.logged_state_type_ids:
            self._write_behind.add_history(HistoryEntry(_now(), thing.id, "state", state_type.id, state.value))
        self.bus.publish(
            ev.StateChanged(
                thing.id, state_type.id, state.value, state.min_value, state.max_value, state.possible_values
            )
        )
        if self.io_connections:  # most hubs have none: spare the call on every state change
            self.io_links.input_changed(thing.id, state_type.id)

    def _queue_state(self, thing: Thing, state_type_id: uuid.UUID, value: Any) -> None:
        state_type = thing.thing_class.state_type(state_type_id)
        if state_type is not None and state_type.cached:
            self._write_behind.queue_state(thing.id, state_type_id, value)

    def _known(self, thing_id: uuid.UUID) -> Thing | None:
        # Integrations report states while a thing is still being set up, before it is added.
        return self.things.get(thing_id) or self._in_setup.get(thing_id)

    def set_state_limits(
        self, thing_id: uuid.UUID, state_type_id: uuid.UUID, *, min_value: Any = None, max_value: Any = None
    ) -> None:
        """Change a state's dynamic min/max; the value is clamped into the new range."""
        thing = self._known(thing_id)
        if thing is None:
            return
        state_type = thing.thing_class.state_type(state_type_id)
        if state_type is None:
            raise KeyError(f"{thing.thing_class.name} has no state type {state_type_id}")
        state = thing.states[state_type_id]
        if min_value is not None:
            state.min_value = convert(state_type.type, min_value)
        if max_value is not None:
            state.max_value = convert(state_type.type, max_value)
        state.value = clamp(state.value, state_type.type, state.min_value, state.max_value, state_type.step_size)
        self._state_changed(thing, state_type, state)

    def emit_event(self, thing_id: uuid.UUID, event_type_id: uuid.UUID, params: ParamValues | None = None) -> None:
        """Publish an event a device raised (params are checked against the event type)."""
        thing = self.things.get(thing_id)
        if thing is None:
            return
        event_type = thing.thing_class.event_type(event_type_id)
        if event_type is None:
            raise KeyError(f"{thing.thing_class.name} has no event type {event_type_id}")
        verified = verify_params(event_type.param_types, (params or {}).items(), require_all=False)
        record = EventRecord(thing_id=thing.id, event_type_id=event_type.id, params=verified)
        if event_type.id in thing.logged_event_type_ids:
            self._write_behind.add_history(
                HistoryEntry(_now(), thing.id, "event", event_type.id, _json_params(verified))
            )
        self.bus.publish(ev.EventTriggered(record))

    async def auto_things_appeared(self, descriptors: list[ThingDescriptor]) -> list[uuid.UUID]:
        """Add auto things (or reconfigure the ones a descriptor names); answers their ids."""
        added: list[uuid.UUID] = []
        for descriptor in descriptors:
            thing_class = self.thing_classes.get(descriptor.thing_class_id)
            if thing_class is None:
                _LOG.warning("auto thing of unknown class %s ignored", descriptor.thing_class_id)
                continue
            try:
                params = verify_params(thing_class.param_types, descriptor.params.items())
                existing = self.things.get(descriptor.thing_id) if descriptor.thing_id else None
                if existing is not None:
                    await self._reconfigure(existing, params)
                    added.append(existing.id)
                    continue
                parent = self.things.get(descriptor.parent_id) if descriptor.parent_id else None
                thing = self._new_thing(
                    thing_class,
                    thing_id=uuid.uuid4(),
                    name=descriptor.title,
                    params=params,
                    parent_id=descriptor.parent_id,
                    auto_created=True,
                    domain=parent.domain if parent else "root",
                )
                await self._set_up_and_add(thing)
                added.append(thing.id)
            except ThingFailure as failure:
                _LOG.warning("auto thing %r could not be added: %s", descriptor.title, failure)
        return added

    async def auto_thing_disappeared(self, thing_id: uuid.UUID) -> None:
        """Remove an auto thing the device side lost."""
        thing = self.things.get(thing_id)
        if thing is not None and thing.auto_created:
            await self._remove(thing)

    # ------------------------------------------------------------------ history

    @operation(Scope.NONE)
    async def history(
        self, principal: Principal, thing_id: Any, type_id: Any = None, limit: int = 1000
    ) -> Result[list[HistoryEntry]]:
        """Logged values of a thing, oldest first (pending entries are written first)."""
        thing = self._visible_thing(principal, thing_id)
        await self.flush()
        entries = await self.store.load_history(thing.id, parse_uuid(type_id) if type_id else None, limit)
        return Result(value=entries)

    @operation(Scope.CONTROL_THINGS)
    async def record_readings(self, principal: Principal, readings: Sequence[HistoryEntry]) -> Result[int]:
        """Keep readings in history durably, in one transaction; a state's newest, if newest yet, becomes its value."""
        # Things by their ids' ints: a UUID hashes through a Python call, its int in C (an upload is 1,000s).
        things: dict[int, Thing] = {}
        newest: dict[tuple[int, int], HistoryEntry] = {}
        for reading in readings:
            key = (reading.thing_id.int, reading.type_id.int)
            if key[0] not in things:
                things[key[0]] = self._visible_thing(principal, reading.thing_id)
            current = newest.get(key)
            if current is None or reading.timestamp >= current.timestamp:
                newest[key] = reading
        # What each state's reading competes with, read before this batch is in history (one query
        # for the states seen first in this upload).
        unseen = [
            (reading.thing_id, reading.type_id)
            for key, reading in newest.items()
            if key not in self._reading_times and things[key[0]].thing_class.state_type(reading.type_id)
        ]
        if unseen:
            for (thing_id, type_id), stored_time in (await self.store.latest_history_times(unseen)).items():
                self._reading_times[(thing_id.int, type_id.int)] = stored_time
        await self.store.append_history(list(readings))
        for key, reading in newest.items():
            thing = things[key[0]]
            if thing.thing_class.state_type(reading.type_id) is None:
                continue  # a free metric: history only
            latest = self._reading_times.get(key)
            if latest is not None and reading.timestamp < latest:
                continue
            self._reading_times[key] = reading.timestamp
            if self.things.get(thing.id) is thing:  # not removed meanwhile
                # The reading is in history with its own time: logging the state would keep it twice,
                # stamped now, and that newer stamp would then turn later readings away as older.
                self.set_state(thing.id, reading.type_id, reading.value, log=False)
        return Result(value=len(readings))

    @operation(Scope.NONE)
    async def readings_between(
        self,
        principal: Principal,
        thing_id: Any,
        start: datetime,
        end: datetime,
        type_ids: Sequence[uuid.UUID] | None = None,
        limit: int = 1000,
    ) -> Result[list[HistoryEntry]]:
        """A thing's readings (uploaded, or its logged states) in [start, end), in time order."""
        thing = self._visible_thing(principal, thing_id)
        await self.flush()  # the hub's own logged states wait in the write-behind
        entries = await self.store.load_history_between(thing.id, start, end, type_ids=type_ids, limit=limit)
        return Result(value=entries)

    @operation(Scope.CONTROL_THINGS)
    async def delete_readings(
        self,
        principal: Principal,
        thing_id: Any,
        start: datetime | None = None,
        end: datetime | None = None,
        timestamps: Sequence[datetime] | None = None,
    ) -> Result[int]:
        """Delete a thing's readings in [start, end) (all without bounds), or only those at `timestamps`."""
        thing = self._visible_thing(principal, thing_id)
        await self.flush()
        deleted = await self.store.delete_history(thing.id, start=start, end=end, timestamps=timestamps)
        # The states keep their values; the next reading competes with what history still holds.
        for key in [key for key in self._reading_times if key[0] == thing.id.int]:
            del self._reading_times[key]
        return Result(value=deleted)


def _json_params(params: ParamValues) -> dict[str, Any]:
    return {str(key): value for key, value in params.items()}


def _now() -> datetime:
    return datetime.now(UTC)


__all__ = ["SYSTEM", "Hub", "PairingResult", "ParamInput", "Result", "Timeouts", "operation"]
