"""The Integrations namespace: a table from method name to one hub operation and how to pack its result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from thinggate.api.jsonrpc import packing
from thinggate.api.jsonrpc.packing import Translate, param_pairs
from thinggate.api.jsonrpc.session import Session
from thinggate.core.errors import PermissionDenied, ThingError
from thinggate.core.hub import Hub, PairingResult, Result
from thinggate.core.model import StateValueFilter
from thinggate.core.security import Principal

Args = dict[str, Any]
Call = Callable[[Hub, Principal, Args], Awaitable[Result[Any]]]
Pack = Callable[[Any, Translate], dict[str, Any]]

_NO_ERROR = packing.thing_error(ThingError.NO_ERROR)


@dataclass(frozen=True, slots=True)
class Route:
    """One method: the hub call, what a success adds to the reply, and what every reply carries."""

    call: Call
    pack: Pack | None = None
    always: Callable[[], dict[str, Any]] | None = None


def _things(value: Any, translate: Translate) -> dict[str, Any]:
    return {"things": [packing.thing(thing, translate) for thing in value]}


def _pairing(value: PairingResult, translate: Translate) -> dict[str, Any]:
    packed: dict[str, Any] = {
        "pairingTransactionId": packing.braced(value.transaction_id),
        "setupMethod": packing.enum_name("SetupMethod", value.setup_method),
    }
    if value.display_message:
        packed["displayMessage"] = translate(value.display_message)
    if value.oauth_url:
        packed["oAuthUrl"] = value.oauth_url
    if value.pin:
        packed["pin"] = value.pin
    return packed


def _filter(name: str) -> StateValueFilter:
    # The schema has already checked that the name is one of StateValueFilter's.
    return StateValueFilter(name.removeprefix("StateValueFilter"))


ROUTES: dict[str, Route] = {
    "GetThingClasses": Route(
        lambda hub, who, a: hub.get_thing_classes(who, a.get("vendorId"), a.get("thingClassIds")),
        lambda value, t: {"thingClasses": [packing.thing_class(c, t) for c in value]},
    ),
    "GetThings": Route(lambda hub, who, a: hub.get_things(who, a.get("thingId")), _things),
    "GetStateValue": Route(
        lambda hub, who, a: hub.get_state_value(who, a["thingId"], a["stateTypeId"]),
        lambda value, t: {"value": value},
    ),
    "GetStateValues": Route(
        lambda hub, who, a: hub.get_state_values(who, a["thingId"]),
        lambda value, t: {"values": packing.states(value)},
    ),
    "BrowseThing": Route(
        lambda hub, who, a: hub.browse_thing(who, a["thingId"], a.get("itemId", "")),
        lambda value, t: {"items": [packing.browser_item(item, t) for item in value]},
        # nymea answers an empty list with every error (e.g. ItemNotFound).
        always=lambda: {"items": []},
    ),
    "GetBrowserItem": Route(
        lambda hub, who, a: hub.get_browser_item(who, a["thingId"], a.get("itemId", "")),
        lambda value, t: {"item": packing.browser_item(value, t)},
    ),
    "GetIOConnections": Route(
        lambda hub, who, a: hub.get_io_connections(who, a.get("thingId")),
        lambda value, t: {"ioConnections": [packing.io_connection(c) for c in value]},
    ),
    "ExecuteAction": Route(
        lambda hub, who, a: hub.execute_action(who, a["thingId"], a["actionTypeId"], param_pairs(a.get("params")))
    ),
    "ExecuteBrowserItem": Route(lambda hub, who, a: hub.execute_browser_item(who, a["thingId"], a["itemId"])),
    "ExecuteBrowserItemAction": Route(
        lambda hub, who, a: hub.execute_browser_item_action(
            who, a["thingId"], a["itemId"], a["actionTypeId"], param_pairs(a.get("params"))
        )
    ),
    "GetPluginConfiguration": Route(
        lambda hub, who, a: hub.get_plugin_configuration(who, a["pluginId"]),
        lambda value, t: {"configuration": packing.param_list(value)},
    ),
    "SetPluginConfiguration": Route(
        lambda hub, who, a: hub.set_plugin_configuration(who, a["pluginId"], param_pairs(a["configuration"]))
    ),
    "AddThing": Route(
        lambda hub, who, a: hub.add_thing(
            who,
            name=a["name"],
            thing_class_id=a.get("thingClassId"),
            descriptor_id=a.get("thingDescriptorId"),
            params=param_pairs(a.get("thingParams")),
        ),
        lambda value, t: {"thingId": value},
    ),
    "DiscoverThings": Route(
        lambda hub, who, a: hub.discover_things(who, a["thingClassId"], param_pairs(a.get("discoveryParams"))),
        lambda value, t: {"thingDescriptors": [packing.descriptor(d, t) for d in value]},
    ),
    "PairThing": Route(
        lambda hub, who, a: hub.pair_thing(
            who,
            thing_class_id=a.get("thingClassId"),
            descriptor_id=a.get("thingDescriptorId"),
            thing_id=a.get("thingId"),
            name=a.get("name", ""),
            params=param_pairs(a.get("thingParams")),
        ),
        _pairing,
    ),
    "ConfirmPairing": Route(
        lambda hub, who, a: hub.confirm_pairing(
            who, a["pairingTransactionId"], username=a.get("username", ""), secret=a.get("secret", "")
        ),
        lambda value, t: {"thingId": packing.braced(value)},
    ),
    "ReconfigureThing": Route(
        lambda hub, who, a: hub.reconfigure_thing(
            who,
            thing_id=a.get("thingId"),
            descriptor_id=a.get("thingDescriptorId"),
            params=param_pairs(a.get("thingParams")),
        )
    ),
    "EditThing": Route(lambda hub, who, a: hub.edit_thing(who, a["thingId"], name=a["name"])),
    "RemoveThing": Route(lambda hub, who, a: hub.remove_thing(who, a["thingId"])),
    "SetThingSettings": Route(
        lambda hub, who, a: hub.set_thing_settings(who, a["thingId"], param_pairs(a["settings"]))
    ),
    "SetStateLogging": Route(
        lambda hub, who, a: hub.set_state_logging(who, a["thingId"], a["stateTypeId"], a["enabled"])
    ),
    "SetEventLogging": Route(
        lambda hub, who, a: hub.set_event_logging(who, a["thingId"], a["eventTypeId"], a["enabled"])
    ),
    "SetActionLogging": Route(
        lambda hub, who, a: hub.set_action_logging(who, a["thingId"], a["actionTypeId"], a["enabled"])
    ),
    "SetStateFilter": Route(
        lambda hub, who, a: hub.set_state_filter(who, a["thingId"], a["stateTypeId"], _filter(a["filter"]))
    ),
    "ConnectIO": Route(
        lambda hub, who, a: hub.connect_io(
            who,
            a["inputThingId"],
            a["inputStateTypeId"],
            a["outputThingId"],
            a["outputStateTypeId"],
            inverted=a.get("inverted", False),
        ),
        lambda value, t: {"ioConnectionId": value},
    ),
    "DisconnectIO": Route(lambda hub, who, a: hub.disconnect_io(who, a["ioConnectionId"])),
}


class IntegrationsHandler:
    """Answers Integrations.* through the hub; the session's principal decides what is visible."""

    namespace = "Integrations"

    def __init__(self, hub: Hub, declared_returns: dict[str, dict[str, Any]]) -> None:
        self.hub = hub
        # A displayMessage is only sent by methods that declare one.
        self._with_message = {
            name.removeprefix(f"{self.namespace}.")
            for name, returns in declared_returns.items()
            if "o:displayMessage" in returns
        }
        self.methods: dict[str, Callable[[Session, Args], Awaitable[dict[str, Any]]]] = {
            "GetVendors": self.get_vendors,
            "GetPlugins": self.get_plugins,
            "GetStateTypes": self.get_state_types,
            "GetEventTypes": self.get_event_types,
            "GetActionTypes": self.get_action_types,
        }
        for name, route in ROUTES.items():
            self.methods[name] = self._routed(name, route)

    def _routed(self, name: str, route: Route) -> Callable[[Session, Args], Awaitable[dict[str, Any]]]:
        with_message = name in self._with_message

        async def handle(session: Session, args: Args) -> dict[str, Any]:
            assert session.principal is not None  # the door never dispatches without one
            result = await route.call(self.hub, session.principal, args)
            failure = result.failure
            if failure is None:  # the usual answer, spelled out: no properties, no lookups
                if route.pack is None:
                    return {"thingError": _NO_ERROR}
                return {"thingError": _NO_ERROR, **route.pack(result.value, session.translate)}
            if isinstance(failure, PermissionDenied):
                raise failure  # the door answers it, as for any method: "Permission denied."
            reply: dict[str, Any] = {"thingError": packing.thing_error(result.error)}
            if result.ok:
                if route.pack is not None:
                    reply.update(route.pack(result.value, session.translate))
            elif route.always is not None:
                reply.update(route.always())
            if with_message and result.message and not result.ok:
                reply["displayMessage"] = session.translate(result.message)
            return reply

        return handle

    async def get_vendors(self, session: Session, args: Args) -> dict[str, Any]:
        """Integrations.GetVendors."""
        return {"vendors": [packing.vendor(v, session.translate) for v in self.hub.get_vendors()]}

    async def get_plugins(self, session: Session, args: Args) -> dict[str, Any]:
        """Integrations.GetPlugins."""
        return {"plugins": [packing.plugin(p, session.translate) for p in self.hub.get_plugins()]}

    async def get_state_types(self, session: Session, args: Args) -> dict[str, Any]:
        """Integrations.GetStateTypes (an unknown class gives an empty list, no error)."""
        types = self.hub.get_state_types(args["thingClassId"])
        return {"stateTypes": [packing.state_type(s, session.translate) for s in types]}

    async def get_event_types(self, session: Session, args: Args) -> dict[str, Any]:
        """Integrations.GetEventTypes."""
        types = self.hub.get_event_types(args["thingClassId"])
        return {"eventTypes": [packing.event_type(e, session.translate) for e in types]}

    async def get_action_types(self, session: Session, args: Args) -> dict[str, Any]:
        """Integrations.GetActionTypes."""
        types = self.hub.get_action_types(args["thingClassId"])
        return {"actionTypes": [packing.action_type(a, session.translate) for a in types]}
