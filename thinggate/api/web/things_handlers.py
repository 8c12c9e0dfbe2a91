"""The things page's handlers (api/web/things.py lists its rows): loaded by the page's first request."""

from __future__ import annotations

from typing import Any

from thinggate.api.web.api import Call
from thinggate.api.web.calls import may, seen_thing, settled
from thinggate.api.web.door import WebDoor
from thinggate.api.web.errors import WebProblem
from thinggate.api.web.things import AddBody, ConfirmBody, DiscoverBody, EditBody, SettingsBody
from thinggate.api.web.views import param_type_view, thing_view
from thinggate.core.model import CreateMethod, InputType, ParamType, Thing, ThingClass, ThingDescriptor

MAX_NAME = 200
"""Longest thing or room name taken."""


def _name(text: str, what: str) -> str:
    text = text.strip()
    if len(text) > MAX_NAME:
        raise WebProblem.of("BadRequest", f"a {what} is at most {MAX_NAME} characters")
    return text


def _params(types: tuple[ParamType, ...]) -> list[dict[str, Any]]:
    return [param_type_view(param_type) for param_type in sorted(types, key=lambda param: param.index)]


def _values(types: tuple[ParamType, ...], values: dict[Any, Any]) -> dict[str, Any]:
    """Param values by id; a password's is never sent back to a page."""
    secret = {param.id for param in types if param.input_type is InputType.PASSWORD}
    return {str(key): value for key, value in values.items() if key not in secret}


def _descriptor(descriptor: ThingDescriptor, thing_class: ThingClass) -> dict[str, Any]:
    return {
        "id": str(descriptor.id),
        "classId": str(descriptor.thing_class_id),
        "title": descriptor.title,
        "description": descriptor.description,
        "thingId": str(descriptor.thing_id) if descriptor.thing_id is not None else None,
        "params": _values(thing_class.param_types, descriptor.params),
    }


class ThingsApi:
    """The handlers of the things page's rows."""

    def __init__(self, door: WebDoor) -> None:
        self.door = door

    def _may_configure(self, call: Call) -> bool:
        # The core's word: the scope its add operation requires.
        return may(call, self.door.hub.add_thing)

    async def classes(self, call: Call) -> dict[str, Any]:
        """The classes a person may add (by hand or by discovery), by vendor, with their params."""
        hub = self.door.hub
        vendors = {vendor.id: vendor for vendor in hub.get_vendors()}
        found: list[ThingClass] = settled(await hub.get_thing_classes(call.session.principal))
        addable = [
            thing_class
            for thing_class in found
            if CreateMethod.USER in thing_class.create_methods or CreateMethod.DISCOVERY in thing_class.create_methods
        ]
        views = []
        for thing_class in sorted(addable, key=lambda thing_class: thing_class.display_name.lower()):
            vendor = vendors.get(thing_class.vendor_id)
            views.append(
                {
                    "id": str(thing_class.id),
                    "name": thing_class.name,
                    "displayName": thing_class.display_name,
                    "vendor": vendor.display_name if vendor is not None else "",
                    "setupMethod": thing_class.setup_method.value,
                    # In the catalogue's order: a class keeps its own as a set, in no fixed order.
                    "createMethods": [method.value for method in CreateMethod if method in thing_class.create_methods],
                    "params": _params(thing_class.param_types),
                    "discoveryParams": _params(thing_class.discovery_param_types),
                }
            )
        return {"mayConfigure": self._may_configure(call), "classes": views}

    async def add(self, call: Call) -> dict[str, Any]:
        """Add a thing that needs no pairing, by hand or from a discovery's descriptor."""
        body: AddBody = call.body
        thing_id = settled(
            await self.door.hub.add_thing(
                call.session.principal,
                name=_name(body.name, "name"),
                thing_class_id=body.classId,
                descriptor_id=body.descriptorId,
                params=list(body.params.items()),
                room=_name(body.room, "room"),
            )
        )
        return {"thingId": str(thing_id)}

    async def discover(self, call: Call) -> dict[str, Any]:
        """Run a class's discovery; its descriptors can be added or paired."""
        body: DiscoverBody = call.body
        hub = self.door.hub
        found: list[ThingDescriptor] = settled(
            await hub.discover_things(call.session.principal, body.classId, list(body.params.items()))
        )
        return {
            "descriptors": [
                _descriptor(descriptor, hub.thing_classes[descriptor.thing_class_id])
                for descriptor in found
                if descriptor.thing_class_id in hub.thing_classes
            ]
        }

    async def pair(self, call: Call) -> dict[str, Any]:
        """Start pairing a thing whose class needs it; the answer says what the person does next."""
        body: AddBody = call.body
        pairing = settled(
            await self.door.hub.pair_thing(
                call.session.principal,
                thing_class_id=body.classId,
                descriptor_id=body.descriptorId,
                name=_name(body.name, "name"),
                params=list(body.params.items()),
            )
        )
        return {
            "transactionId": str(pairing.transaction_id),
            "setupMethod": pairing.setup_method.value,
            "displayMessage": pairing.display_message,
            "oauthUrl": pairing.oauth_url,
            "pin": pairing.pin,
        }

    async def confirm(self, call: Call) -> dict[str, Any]:
        """Finish a pairing; the new thing goes to the room asked for."""
        body: ConfirmBody = call.body
        room = _name(body.room, "room")
        principal = call.session.principal
        thing_id = settled(
            await self.door.hub.confirm_pairing(
                principal, body.transactionId, username=body.username, secret=body.secret
            )
        )
        if room:
            settled(await self.door.hub.edit_thing(principal, thing_id, room=room))
        return {"thingId": str(thing_id)}

    def _thing(self, call: Call) -> Thing:
        return seen_thing(self.door.hub, call, call.values["thingId"])

    async def thing(self, call: Call) -> dict[str, Any]:
        """A thing as its edit form shows it: name, room, params and settings with their types."""
        thing = self._thing(call)
        thing_class = thing.thing_class
        return {
            "thing": thing_view(thing),
            "className": thing_class.display_name,
            "mayConfigure": self._may_configure(call),
            "autoCreated": thing.auto_created,
            "params": _params(thing_class.param_types),
            "paramValues": _values(thing_class.param_types, thing.params),
            "settings": _params(thing_class.settings_types),
            "settingValues": _values(thing_class.settings_types, thing.settings),
        }

    async def edit(self, call: Call) -> dict[str, Any]:
        """Rename a thing and/or move it to a room."""
        body: EditBody = call.body
        name = _name(body.name, "name") if body.name is not None else None
        if name == "":
            raise WebProblem.of("BadRequest", "a thing needs a name")
        room = _name(body.room, "room") if body.room is not None else None
        settled(await self.door.hub.edit_thing(call.session.principal, call.values["thingId"], name=name, room=room))
        return await self.thing(call)

    async def settings(self, call: Call) -> dict[str, Any]:
        """Change a thing's settings (the core checks them against the class's setting types)."""
        body: SettingsBody = call.body
        settled(
            await self.door.hub.set_thing_settings(
                call.session.principal, call.values["thingId"], list(body.settings.items())
            )
        )
        return await self.thing(call)

    async def remove(self, call: Call) -> dict[str, Any]:
        """Remove a thing and its children."""
        removed = settled(await self.door.hub.remove_thing(call.session.principal, call.values["thingId"]))
        return {"removed": [str(thing_id) for thing_id in removed]}
