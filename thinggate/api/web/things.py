"""The things page's API rows: adding things by every setup path the hub has, and editing them.

    GET  /web/api/setup/classes                      the classes a person may add, with their params
    POST /web/api/setup/add        {"classId" | "descriptorId", "name", "room", "params"}   -> {"thingId"}
    POST /web/api/setup/discover   {"classId", "params"}                                     -> {"descriptors"}
    POST /web/api/setup/pair       {"classId" | "descriptorId", "name", "params"}            -> the pairing
    POST /web/api/setup/confirm    {"transactionId", "username", "secret", "room"}           -> {"thingId"}
    GET  /web/api/setup/things/{thingId}             a thing with its params, settings and their types
    POST /web/api/setup/things/{thingId}/edit       {"name", "room"}: rename, move to a room
    POST /web/api/setup/things/{thingId}/settings   {"settings": {paramTypeId: value}}
    POST /web/api/setup/things/{thingId}/remove     {}: the thing and its children -> {"removed"}

These are the JSON-RPC door's AddThing, DiscoverThings, PairThing, ConfirmPairing, EditThing,
SetThingSettings and RemoveThing, asked of the core with the session's principal: it checks
ConfigureThings (403 PermissionDenied), the params against the class (422 MissingParameter /
InvalidParameter), the setup method (409 CreationMethodNotSupported, SetupMethodNotSupported) and
the pairing (404 PairingTransactionIdNotFound, 502 AuthenticationFailure for a wrong PIN). A
pairing is the class's setup method: push button and display PIN show the device's message and
confirm (with the PIN), user and password send both, OAuth opens the URL and confirms with the
address it redirected to. Params are given by param type id; a class's password params are never
answered back.
"""

from __future__ import annotations

from typing import Any

import msgspec

from thinggate.api.web.api import Route
from thinggate.api.web.door import WebDoor
from thinggate.api.web.lazy import LazyHandlers


class AddBody(msgspec.Struct, forbid_unknown_fields=True):
    """A thing to add (of a class, or a descriptor discovery found), or to pair."""

    classId: str | None = None
    descriptorId: str | None = None
    name: str = ""
    room: str = ""
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class DiscoverBody(msgspec.Struct, forbid_unknown_fields=True):
    """A discovery of a class, with its discovery params."""

    classId: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class ConfirmBody(msgspec.Struct, forbid_unknown_fields=True):
    """The end of a pairing: the user's credentials, PIN or OAuth redirect, and the room to put the thing in."""

    transactionId: str
    username: str = ""
    secret: str = ""
    room: str = ""


class EditBody(msgspec.Struct, forbid_unknown_fields=True):
    """A new name and/or room (left out: unchanged)."""

    name: str | None = None
    room: str | None = None


class SettingsBody(msgspec.Struct, forbid_unknown_fields=True):
    """Settings to change, by param type id."""

    settings: dict[str, Any]


class EmptyBody(msgspec.Struct, forbid_unknown_fields=True):
    """A write that carries nothing."""


def routes(door: WebDoor) -> list[Route]:
    """The things page's rows of the API table."""
    things = LazyHandlers(door, "thinggate.api.web.things_handlers", "ThingsApi")
    return [
        Route("GET", "setup/classes", things("classes")),
        Route("POST", "setup/add", things("add"), AddBody),
        Route("POST", "setup/discover", things("discover"), DiscoverBody),
        Route("POST", "setup/pair", things("pair"), AddBody),
        Route("POST", "setup/confirm", things("confirm"), ConfirmBody),
        Route("GET", "setup/things/{thingId}", things("thing")),
        Route("POST", "setup/things/{thingId}/edit", things("edit"), EditBody),
        Route("POST", "setup/things/{thingId}/settings", things("settings"), SettingsBody),
        Route("POST", "setup/things/{thingId}/remove", things("remove"), EmptyBody),
    ]
