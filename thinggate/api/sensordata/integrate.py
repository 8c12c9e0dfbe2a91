"""Process integration and nodes: `POST /sensor-data/integrations/integrate` and `GET .../integrations/nodes`.

An iTwin (`iTwinId`, or `projectIds` as older clients name it) is a domain of the hub, made on
first use below the caller's home domain by a caller allowed to make domains there. A node is a
thing of that domain, its devices child things, their sensors child things of the device
(classes of the sensor-data integration, one per sensor kind). A request is checked whole before
anything changes: every entry's changeState, the device or sensor each update or removal names
(by `refId`, else by `props.NAME`) and each new one's INTEGRATION_ID; then the changes are made
through the hub, on behalf of the caller's user, so its rights decide and every door sees them.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from thinggate.api.sensordata import ids
from thinggate.api.sensordata.door import Call
from thinggate.api.sensordata.errors import SensorDataProblem, forbidden, not_found, problem_of
from thinggate.api.sensordata.index import EntityIndex
from thinggate.api.sensordata.structs import (
    DeviceAnswer,
    DeviceChange,
    Entity,
    IntegrationAnswer,
    IntegrationRequest,
    IntegrationResponse,
    NodesResponse,
    SensorChange,
)
from thinggate.core.hub import Hub
from thinggate.core.model import Thing, ThingClass
from thinggate.core.operations import Result
from thinggate.core.registry import Directory, RegistryError, RegistryFailure
from thinggate.core.scopes import OBJECT_THING
from thinggate.core.security import Principal
from thinggate.core.security.domains import DomainTree
from thinggate.integrations.sensordata import kinds
from thinggate.integrations.sensordata.kinds import DEVICE_CLASS, NODE_CLASS, SensorKind

INVALID = "InvalidProcessIntegrationRequest"
MISSING_TEMPLATE = (
    "Minimum request parameters not provided, new Devices and Sensors must have a valid `props.INTEGRATION_ID` set."
)
CHANGE_STATES = ("new", "update", "remove")
COMPUTED_PROPS = frozenset({"SERIAL_NO", "SIZE", "CREATION_DATE", "NODE_ID", "PROJECT_ID", "INTEGRATION_ID", "NAME"})
"""Props the door answers from the entity itself: never kept from a request."""
MAX_NAME = 256
MAX_METRIC_NAME = 64
_ITWIN_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
_ITWIN_PARAMS = ("iTwinId", "projectIds")

_PARAM = {param.name: param.id for param in kinds.ENTITY_PARAMS}


def project_id(domain: str) -> str:
    """The 24-hex legacy project id of an iTwin: stable, derived from its domain."""
    return hashlib.sha256(f"thinggate-itwin:{domain}".encode()).hexdigest()[:24].upper()


def creation_date(now: datetime | None = None) -> str:
    """A creation date as the API writes it: UTC, milliseconds, `Z`."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def itwin_of(call: Call, *, invalid: str) -> tuple[str | None, str]:
    """The iTwin's domain a request names (`iTwinId` or `projectIds`), or None; and the parameter's name."""
    for name in _ITWIN_PARAMS:
        values = call.query.getall(name, [])
        if not values:
            continue
        if len(values) > 1 or "," in values[0]:
            raise SensorDataProblem(invalid, f"{name} names one iTwin", target=name)
        value = values[0].strip().lower()
        if not value or len(value) > 64 or not set(value) <= _ITWIN_ID_CHARS:
            raise SensorDataProblem(invalid, f"{name} must be 1-64 of A-Z, a-z, 0-9, - and _", target=name)
        return value, name
    return None, _ITWIN_PARAMS[0]


def _settled(result: Result[Any], target: str | None = None) -> Any:
    """A hub operation's value, or the door's problem for its failure."""
    if result.failure is not None:
        raise problem_of(result.failure, invalid=INVALID, target=target)
    return result.value


@dataclass(slots=True)
class SensorPlan:
    """What one sensor entry of the request will do."""

    action: str  # "create", "update" or "remove"
    change: SensorChange
    target: str
    kind: SensorKind
    thing_id: uuid.UUID | None = None


@dataclass(slots=True)
class DevicePlan:
    """What one device entry will do, with its sensors."""

    action: str
    change: DeviceChange
    target: str
    thing_id: uuid.UUID | None = None
    sensors: list[SensorPlan] = field(default_factory=list)


class Integrator:
    """Reads and changes nodes, devices and sensors for the door's callers."""

    def __init__(self, *, hub: Hub, directory: Directory, index: EntityIndex, max_changes: int) -> None:
        self.hub = hub
        self.directory = directory
        self.index = index
        self.max_changes = max_changes
        # One integration at a time: two requests naming the same refId must not both make it.
        self._lock = asyncio.Lock()

    # -- routes -------------------------------------------------------------------------------

    async def integrate(self, call: Call) -> IntegrationResponse:
        """`POST /sensor-data/integrations/integrate`: apply the changes, answer the node and its devices."""
        request: IntegrationRequest = call.body
        principal = call.caller.principal
        domain, itwin_param = itwin_of(call, invalid=INVALID)
        integration = request.integration
        node_state = _change_state(integration.changeState, "integration.changeState", optional=True)
        count = len(integration.devices) + sum(len(device.sensors) for device in integration.devices)
        if count > self.max_changes:
            raise SensorDataProblem(INVALID, f"at most {self.max_changes} devices and sensors per request")
        _check_props(integration.props, "integration.props")
        async with self._lock:
            node = self._named_node(principal, integration.nodeId, domain, node_state)
            if node_state == "remove":
                if node is None:
                    raise not_found("The node", "integration.nodeId")
                gone = self.entity(node)
                _settled(await self.hub.remove_thing(principal, node.id), "integration.nodeId")
                return IntegrationResponse(IntegrationAnswer(node=gone, devices=[]))
            plans = self._plan(node, integration.devices)
            if node is None:
                if domain is None:
                    raise SensorDataProblem(INVALID, "iTwinId is required to make a node", target=itwin_param)
                await self._ensure_domain(principal, domain)
                node = await self._make_node(principal, domain, integration.nodeId, integration.props)
            elif integration.props:
                await self._update(principal, node, integration.props, "integration.props")
            for plan in plans:
                await self._apply_device(principal, node, plan)
            devices = (
                [self._device_answer(thing_id) for thing_id in self._live([p.thing_id for p in plans])]
                if integration.devices
                else [self._device_answer(thing_id) for thing_id in self._live(self.index.children(node.id))]
            )
            return IntegrationResponse(IntegrationAnswer(node=self.entity(node), devices=devices))

    async def nodes(self, call: Call) -> NodesResponse:
        """`GET /sensor-data/integrations/nodes?iTwinId=...`: the iTwin's nodes the caller may see."""
        principal = call.caller.principal
        domain, itwin_param = itwin_of(call, invalid="InvalidNodesRequest")
        if domain is None:
            raise SensorDataProblem("InvalidNodesRequest", "iTwinId is required", target=itwin_param)
        if domain not in self.hub_domains() or not principal.may("R", OBJECT_THING, domain):
            raise not_found("The iTwin", itwin_param)
        nodes = [self.hub.visible_thing(principal, thing_id) for thing_id in self.index.nodes_in(domain)]
        return NodesResponse(nodes=[self.entity(node) for node in nodes if node is not None])

    def hub_domains(self) -> DomainTree:
        """The hub's domain tree."""
        return self.directory.security.domains

    # -- the node ----------------------------------------------------------------------------

    def _named_node(
        self, principal: Principal, node_text: str | msgspec.UnsetType, domain: str | None, state: str | None
    ) -> Thing | None:
        """The existing node a request names (None: a node to make); 404 for one unknown or hidden."""
        if isinstance(node_text, msgspec.UnsetType) or not node_text:
            if state != "new":
                raise SensorDataProblem(
                    INVALID,
                    "integration.nodeId names the node; leave it out only with integration.changeState new",
                    target="integration.nodeId",
                )
            return None
        node_id = ids.canonical_node_id(node_text)
        if node_id is None:
            raise SensorDataProblem(INVALID, "integration.nodeId is not a node id", target="integration.nodeId")
        thing_id = self.index.thing_id(node_id)
        node = self.hub.visible_thing(principal, thing_id) if thing_id is not None else None
        if node is not None and (domain is None or node.domain == domain):
            return node
        if state == "new":
            if thing_id is not None:
                raise SensorDataProblem(INVALID, f"node {node_id} exists already", target="integration.nodeId")
            return None  # made with the id the client chose
        raise not_found("The node", "integration.nodeId")

    async def _ensure_domain(self, principal: Principal, domain: str) -> None:
        """The iTwin's domain, made below the caller's home on first use (403 for a caller who may not)."""
        for _ in range(2):
            if domain in self.hub_domains():
                if not principal.covers_domain(domain) and not principal.may("C", OBJECT_THING, domain):
                    raise forbidden()
                return
            try:
                await self.directory.create_domain(
                    principal, domain, principal.home_domain, description="an iTwin of the sensor-data door"
                )
                return
            except RegistryFailure as failure:
                if failure.error is RegistryError.DOMAIN_ID_EXISTS:
                    continue  # made meanwhile: check the rights on it
                if failure.error in (RegistryError.NOT_AUTHORIZED_DOMAIN, RegistryError.NOT_AUTHORIZED):
                    raise forbidden() from None
                if failure.error is RegistryError.BACKEND_ERROR:
                    raise SensorDataProblem("ServiceUnavailable", failure.message) from None
                raise SensorDataProblem(INVALID, failure.message, target="iTwinId") from None
        raise forbidden()

    async def _make_node(
        self, principal: Principal, domain: str, node_text: str | msgspec.UnsetType, props: Mapping[str, Any]
    ) -> Thing:
        chosen = ids.canonical_node_id(node_text) if isinstance(node_text, str) and node_text else None
        entity_id = chosen or self._free_id(ids.node_id)
        code = ids.code_of(entity_id)
        name = props.get("NAME") if isinstance(props.get("NAME"), str) else None
        template = props.get("INTEGRATION_ID")
        params = self._params(
            entity_id,
            ref_id="",
            integration_id=template if isinstance(template, str) and template else kinds.NODE_INTEGRATION_ID,
            project=project_id(domain),
            props=_kept(props, {}),
        )
        thing_id = _settled(
            await self.hub.add_thing(
                principal,
                name=name or f"Data Source API Import {code}",
                thing_class_id=NODE_CLASS.id,
                params=params,
                domain=domain,
            ),
            "integration.nodeId",
        )
        return self._thing(thing_id)

    # -- planning ------------------------------------------------------------------------------

    def _plan(self, node: Thing | None, devices: list[DeviceChange]) -> list[DevicePlan]:
        """Every entry's change, checked against what exists, before anything is changed."""
        plans: list[DevicePlan] = []
        made_refs: set[str] = set()
        for position, device in enumerate(devices):
            target = f"integration.devices[{position}]"
            state = _change_state(device.changeState, f"{target}.changeState")
            _check_props(device.props, f"{target}.props")
            ref = _ref(device.refId)
            existing = self._find(node.id if node else None, ref, device.props, target, must=state != "new")
            if state == "new":
                if not existing and not _template(device.props):
                    raise SensorDataProblem(INVALID, MISSING_TEMPLATE, target=f"{target}.props.INTEGRATION_ID")
                if ref and ref in made_refs:
                    raise SensorDataProblem(INVALID, f"refId {ref!r} is made twice", target=f"{target}.refId")
                made_refs.add(ref)
            action = "remove" if state == "remove" else "update" if existing else "create"
            plan = DevicePlan(action, device, target, existing)
            if action != "remove":
                plan.sensors = self._plan_sensors(existing, device.sensors, target)
            plans.append(plan)
        return plans

    def _plan_sensors(self, device_id: uuid.UUID | None, sensors: list[SensorChange], where: str) -> list[SensorPlan]:
        plans: list[SensorPlan] = []
        made_refs: set[str] = set()
        for position, sensor in enumerate(sensors):
            target = f"{where}.sensors[{position}]"
            state = _change_state(sensor.changeState, f"{target}.changeState")
            _check_props(sensor.props, f"{target}.props")
            ref = _ref(sensor.refId)
            existing = self._find(device_id, ref, sensor.props, target, must=state != "new")
            template = _template(sensor.props)
            if state == "new":
                if not existing and not template:
                    raise SensorDataProblem(INVALID, MISSING_TEMPLATE, target=f"{target}.props.INTEGRATION_ID")
                if ref and ref in made_refs:
                    raise SensorDataProblem(INVALID, f"refId {ref!r} is made twice", target=f"{target}.refId")
                made_refs.add(ref)
            current = self.hub.thing(existing) if existing else None
            kind = (
                kinds.kind_of(template)
                if template
                else kinds.KINDS_BY_CLASS.get(current.thing_class.id, kinds.GENERIC)
                if current
                else kinds.GENERIC
            )
            if current is not None and state != "remove" and current.thing_class.id != kind.thing_class.id:
                raise SensorDataProblem(
                    INVALID,
                    f"a sensor's kind cannot change ({_param(current, kinds.INTEGRATION_ID)} to {template})",
                    target=f"{target}.props.INTEGRATION_ID",
                )
            action = "remove" if state == "remove" else "update" if existing else "create"
            plans.append(SensorPlan(action, sensor, target, kind, existing))
        return plans

    def _find(
        self, parent_id: uuid.UUID | None, ref: str, props: Mapping[str, Any], target: str, *, must: bool
    ) -> uuid.UUID | None:
        """The child an entry names: by refId, else (no refId) by props.NAME; 404 when it `must` exist and does not."""
        if parent_id is None:
            found = None
        elif ref:
            found = self.index.by_ref(parent_id, ref)
        elif must:
            name = props.get("NAME")
            if not isinstance(name, str) or not name:
                raise SensorDataProblem(INVALID, "refId or props.NAME must name the entry", target=f"{target}.refId")
            named = [
                thing_id
                for thing_id in self.index.children(parent_id)
                if (thing := self.hub.thing(thing_id)) is not None and thing.name == name
            ]
            if len(named) > 1:
                raise SensorDataProblem(INVALID, f"{len(named)} entries are named {name!r}: give refId", target=target)
            found = named[0] if named else None
        else:
            found = None  # a new entry without refId is always made anew
        if found is None and must:
            raise not_found("The entry", f"{target}.refId" if ref else f"{target}.props.NAME")
        return found

    # -- applying -----------------------------------------------------------------------------

    async def _apply_device(self, principal: Principal, node: Thing, plan: DevicePlan) -> None:
        change = plan.change
        if plan.action == "remove":
            assert plan.thing_id is not None
            _settled(await self.hub.remove_thing(principal, plan.thing_id), plan.target)
            return
        if plan.action == "create":
            plan.thing_id = await self._make_child(
                principal, node, DEVICE_CLASS, _ref(change.refId), change.props, plan.target
            )
        else:
            assert plan.thing_id is not None
            await self._update(principal, self._thing(plan.thing_id), change.props, plan.target)
        device = self._thing(plan.thing_id)
        for sensor in plan.sensors:
            if sensor.action == "remove":
                assert sensor.thing_id is not None
                _settled(await self.hub.remove_thing(principal, sensor.thing_id), sensor.target)
            elif sensor.action == "create":
                sensor.thing_id = await self._make_child(
                    principal,
                    device,
                    sensor.kind.thing_class,
                    _ref(sensor.change.refId),
                    sensor.change.props,
                    sensor.target,
                )
            else:
                assert sensor.thing_id is not None
                await self._update(principal, self._thing(sensor.thing_id), sensor.change.props, sensor.target)

    async def _make_child(
        self,
        principal: Principal,
        parent: Thing,
        thing_class: ThingClass,
        ref: str,
        props: Mapping[str, Any],
        target: str,
    ) -> uuid.UUID:
        """A device below a node or a sensor below a device: discovered below the parent, then added."""
        parent_entity = self.index.entry(parent.id)
        assert parent_entity is not None
        if thing_class.id == DEVICE_CLASS.id:
            entity_id = self._free_id(lambda code: ids.device_id(ids.code_of(parent_entity.entity_id), code))
        else:
            node_code = ids.code_of(ids.node_of(parent_entity.entity_id))
            device_code = ids.code_of(parent_entity.entity_id)
            entity_id = self._free_id(lambda code: ids.sensor_id(node_code, device_code, code))
        template = _template(props) or kinds.GENERIC_INTEGRATION_ID
        params = self._params(
            entity_id,
            ref_id=ref,
            integration_id=template,
            project=_param(parent, kinds.PROJECT_ID) or project_id(parent.domain),
            props=_kept(props, {}),
        )
        found = _settled(
            await self.hub.discover_things(principal, thing_class.id, [(kinds.PARENT_PARAM.id, str(parent.id))]),
            target,
        )
        name = props.get("NAME")
        thing_id = _settled(
            await self.hub.add_thing(
                principal,
                name=name if isinstance(name, str) and name else f"{template} {ids.code_of(entity_id)}",
                descriptor_id=found[0].id,
                params=params,
                domain=parent.domain,
            ),
            target,
        )
        assert isinstance(thing_id, uuid.UUID)
        return thing_id

    async def _update(self, principal: Principal, thing: Thing, props: Mapping[str, Any], target: str) -> None:
        """Merge props into an entity: NAME renames it, INTEGRATION_ID and the others are its params."""
        changed: list[tuple[uuid.UUID, Any]] = []
        template = _template(props)
        if template and template != _param(thing, kinds.INTEGRATION_ID):
            changed.append((_PARAM[kinds.INTEGRATION_ID], template))
        stored = _param(thing, kinds.PROPS)
        merged = _kept(props, stored if isinstance(stored, dict) else {})
        if merged != stored:
            changed.append((_PARAM[kinds.PROPS], merged))
        if changed:
            _settled(await self.hub.reconfigure_thing(principal, thing.id, params=changed), target)
        name = props.get("NAME")
        if isinstance(name, str) and name and name != thing.name:
            _settled(await self.hub.edit_thing(principal, thing.id, name=name), target)

    def _free_id(self, make: Any) -> str:
        """An entity id whose new code is not in use."""
        while True:
            entity_id: str = make(ids.new_code())
            if not self.index.taken(entity_id):
                return entity_id

    @staticmethod
    def _params(
        entity_id: str, *, ref_id: str, integration_id: str, project: str, props: dict[str, Any]
    ) -> list[tuple[uuid.UUID, Any]]:
        return [
            (_PARAM[kinds.ENTITY_ID], entity_id),
            (_PARAM[kinds.REF_ID], ref_id),
            (_PARAM[kinds.INTEGRATION_ID], integration_id),
            (_PARAM[kinds.CREATION_DATE], creation_date()),
            (_PARAM[kinds.PROJECT_ID], project),
            (_PARAM[kinds.PROPS], props),
        ]

    # -- answers ------------------------------------------------------------------------------

    def _thing(self, thing_id: uuid.UUID | None) -> Thing:
        thing = self.hub.thing(thing_id) if thing_id is not None else None
        if thing is None:  # removed by another door between two steps
            raise SensorDataProblem("ResourceNotFound", "the entity was removed meanwhile")
        return thing

    def _live(self, thing_ids: Sequence[uuid.UUID | None]) -> list[uuid.UUID]:
        return [thing_id for thing_id in thing_ids if thing_id is not None and self.index.entry(thing_id)]

    def _device_answer(self, device_id: uuid.UUID) -> DeviceAnswer:
        device = self._thing(device_id)
        sensors = [self.hub.thing(sensor_id) for sensor_id in self.index.children(device_id)]
        return DeviceAnswer(
            device=self.entity(device), sensors=[self.entity(sensor) for sensor in sensors if sensor is not None]
        )

    def entity(self, thing: Thing) -> Entity:
        """A node, device or sensor as the API answers it."""
        entry = self.index.entry(thing.id)
        entity_id = entry.entity_id if entry is not None else str(_param(thing, kinds.ENTITY_ID))
        ref = _param(thing, kinds.REF_ID)
        props: dict[str, Any] = {}
        if thing.thing_class.id == NODE_CLASS.id:
            props["SERIAL_NO"] = ids.code_of(entity_id)
        else:
            props["SERIAL_NO"] = str(thing.id)
        if thing.thing_class.id == DEVICE_CLASS.id:
            props["SIZE"] = self.index.child_count(thing.id)
        props["CREATION_DATE"] = _param(thing, kinds.CREATION_DATE)
        if thing.thing_class.id != NODE_CLASS.id:
            props["NODE_ID"] = ids.node_of(entity_id)
        props["INTEGRATION_ID"] = _param(thing, kinds.INTEGRATION_ID)
        props["PROJECT_ID"] = _param(thing, kinds.PROJECT_ID)
        props["NAME"] = thing.name
        extra = _param(thing, kinds.PROPS)
        if isinstance(extra, dict):
            props.update((key, value) for key, value in extra.items() if key not in props)
        is_sensor = thing.thing_class.id not in (NODE_CLASS.id, DEVICE_CLASS.id)
        parent = ids.parent_of(entity_id) if is_sensor else None
        return Entity(
            props=props,
            id=entity_id,
            observationType="DYNAMIC" if is_sensor else None,
            type="DYNAMIC",
            device=parent,
            refId=ref if isinstance(ref, str) and ref else None,
        )


def _param(thing: Thing, name: str) -> Any:
    return thing.params.get(_PARAM[name], "")


def _ref(value: str | msgspec.UnsetType | None) -> str:
    return value if isinstance(value, str) else ""


def _template(props: Mapping[str, Any]) -> str:
    value = props.get("INTEGRATION_ID")
    return value if isinstance(value, str) else ""


def _change_state(value: str | msgspec.UnsetType, target: str, *, optional: bool = False) -> str | None:
    if isinstance(value, msgspec.UnsetType):
        if optional:
            return None
        raise SensorDataProblem(INVALID, f"{target} is required: one of {', '.join(CHANGE_STATES)}", target=target)
    if value not in CHANGE_STATES:
        raise SensorDataProblem(INVALID, f"{target} must be one of {', '.join(CHANGE_STATES)}", target=target)
    return value


def _check_props(props: Mapping[str, Any], target: str) -> None:
    """The props the door reads must have their types; the others are kept as given."""
    for key in ("INTEGRATION_ID", "NAME", "NOTES"):
        value = props.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_NAME):
            raise SensorDataProblem(
                INVALID, f"{key} must be text of at most {MAX_NAME} characters", target=f"{target}.{key}"
            )
    for key in ("UNKNOWN_METRICS", "UNKNOWN_UNITS", "KNOWN_METRICS", "KNOWN_UNITS"):
        value = props.get(key)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(
            isinstance(text, str) and 0 < len(text) <= MAX_METRIC_NAME for text in value.values()
        ):
            raise SensorDataProblem(
                INVALID,
                f'{key} must be an object of names ("0": "name", ...) of 1-{MAX_METRIC_NAME} characters',
                target=f"{target}.{key}",
            )
    if len(kinds.free_metrics(props)) > kinds.MAX_FREE_METRICS:
        raise SensorDataProblem(INVALID, f"at most {kinds.MAX_FREE_METRICS} metrics per sensor", target=target)


def _kept(given: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The props an entity keeps: the stored ones with the given ones over them (null removes one)."""
    kept = dict(stored)
    for key, value in given.items():
        if key in COMPUTED_PROPS:
            continue
        if value is None:
            kept.pop(key, None)
        else:
            kept[key] = value
    return kept
