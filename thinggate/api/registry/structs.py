"""Every request and response body of the registry door, as msgspec structs with field docs.

Bodies are decoded into these before a handler runs; the OpenAPI document (issue 13 part 2) is
generated from the same structs. Required properties are declared optional here and checked by
the handler, so that a missing one answers MIC's PROPERTY_REQUIRED naming it (msgspec's own
message would not say it in MIC's words). Fields left UNSET are not written in a response.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType


def doc(text: str) -> Meta:
    """A field's documentation (it becomes the OpenAPI description)."""
    return Meta(description=text)


def need(text: str, **schema: Any) -> Meta:
    """A required property's documentation: the document lists it as required, non-empty, with `schema`'s keywords.

    Only the document says so: the handler checks it itself, to answer PROPERTY_REQUIRED naming it.
    """
    return Meta(description=f"{text} (required)", extra_json_schema={"x-required": True, "minLength": 1, **schema})


# -- errors and discovery ------------------------------------------------------------------------


class ErrorBody(Struct):
    """Every error answer."""

    message: Annotated[str, doc("What went wrong, in English")]
    messageKey: Annotated[str, doc("The key of the error (its HTTP status is fixed per key)")]
    messageParams: Annotated[dict[str, Any], doc("Details of the error, e.g. the domain refused")]
    property: Annotated[str | None, doc("The request property at fault, if one is")]


class Manifest(Struct):
    """`GET /manifest`: where the stack is and what it is called."""

    ApiGatewayRootUrl: Annotated[str, doc("This server's origin: scheme, host and port, no path")]
    StackName: Annotated[str, doc("The stack's name: every route is served under /<StackName>/")]
    Rev: Annotated[str, doc("The hub's version")]
    IotEndpoint: Annotated[str | None, doc("The MQTT broker devices use (null until MQTT is configured)")] = None
    Region: Annotated[str | None, doc("Not applicable to a self-hosted hub: null")] = None
    IdentityPool: Annotated[str | None, doc("Not applicable to a self-hosted hub: null")] = None
    UserPool: Annotated[str | None, doc("Not applicable to a self-hosted hub: null")] = None
    UserPoolClient: Annotated[str | None, doc("Not applicable to a self-hosted hub: null")] = None


class MetadataManifest(Struct):
    """`GET /<StackName>/metadata/manifest`: the API key clients send as `x-api-key`."""

    ApiKey: Annotated[str | None, doc("The published API key (null when `publish_api_key` is off)")]
    StackName: Annotated[str, doc("The stack's name")]
    IotEndpoint: Annotated[str | None, doc("The MQTT broker (null until MQTT is configured)")] = None
    IotEndpointATS: Annotated[str | None, doc("As IotEndpoint")] = None
    Region: Annotated[str | None, doc("Not applicable: null")] = None
    IdentityPool: Annotated[str | None, doc("Not applicable: null")] = None
    UserPool: Annotated[str | None, doc("Not applicable: null")] = None


class Empty(Struct):
    """A delete's answer and logout's: `{}`."""


# -- auth --------------------------------------------------------------------------------------


class LoginBody(Struct):
    """`POST /auth/login`."""

    userName: Annotated[str | UnsetType, need("The user's name")] = UNSET
    password: Annotated[str | UnsetType, need("The user's password")] = UNSET


class RefreshBody(Struct):
    """`POST /auth/refresh`."""

    refreshToken: Annotated[str | UnsetType, need("The refresh token of a login")] = UNSET


class LogoutBody(Struct):
    """`POST /auth/logout`: ends the login whose token authorises the call (the body may be empty)."""

    refreshToken: Annotated[str | UnsetType, doc("Ignored: the call's own token names the login")] = UNSET


class PrivilegeBody(Struct):
    """A privilege: operations on one kind of object in a domain and every domain below it."""

    objectName: Annotated[
        str | UnsetType, need("Things, ThingTypes, Domains or Users", enum=["Things", "ThingTypes", "Domains", "Users"])
    ] = UNSET
    domainId: Annotated[
        str | UnsetType, need("The domain the privilege covers, with its subtree", examples=["root"])
    ] = UNSET
    create: Annotated[bool | int, doc("Grants CREATE (true or 1)")] = False
    read: Annotated[bool | int, doc("Grants READ (true or 1)")] = False
    update: Annotated[bool | int, doc("Grants UPDATE (true or 1)")] = False
    delete: Annotated[bool | int, doc("Grants DELETE (true or 1)")] = False


class UserOut(Struct):
    """A user as the registry shows it."""

    userName: Annotated[str, doc("The user's name")]
    roleName: Annotated[str | None, doc("Read, ReadWrite or Admin (null: no registry role)")]
    domainName: Annotated[str, doc("The user's home domain")]
    domainPath: Annotated[str, doc("The home domain's path, e.g. /site-a/ (/ for root)")]
    firstName: Annotated[str, doc("First name")]
    lastName: Annotated[str, doc("Last name")]
    email: Annotated[str, doc("E-mail address")]
    privileges: Annotated[list[PrivilegeBody], doc("Custom privileges, added to the role's rights")]
    enabled: Annotated[bool, doc("Always true: a disabled user is removed")] = True


class Credentials(Struct):
    """The credentials of a login: every one a string."""

    token: Annotated[str, doc("Send as `Authorization: <token>` or `Authorization: Bearer <token>`")]
    refreshToken: Annotated[str, doc("Exchange for a new token at /auth/refresh")]
    identityId: Annotated[str, doc("The login's id (an identityId header sent back is ignored)")]


class Permissions(Struct):
    """What the user's rights allow in its home domain, per object."""

    objects: Annotated[dict[str, list[str]], doc("Object name -> CREATE/READ/UPDATE/DELETE allowed")]


class LoginAnswer(Struct):
    """`POST /auth/login` and `/auth/refresh`."""

    user: UserOut
    credentials: Credentials
    permissions: Permissions


# -- domains -----------------------------------------------------------------------------------


class DomainCreate(Struct):
    """`POST /domains`."""

    id: Annotated[str | UnsetType, need("The domain's id", pattern="^[a-z0-9_-]+$")] = UNSET
    parentId: Annotated[
        str | UnsetType, Meta(description="The parent domain (default: the caller's home domain)", examples=["root"])
    ] = UNSET
    name: Annotated[str | UnsetType, doc("A display name (default: the id)")] = UNSET
    description: Annotated[str, doc("A longer description")] = ""
    data: Annotated[dict[str, Any] | UnsetType, doc("Custom data about the domain")] = UNSET


class DomainUpdate(Struct):
    """`PATCH /domains/{id}`: what is given changes."""

    name: Annotated[str | UnsetType, doc("A display name")] = UNSET
    description: Annotated[str | UnsetType, doc("A longer description")] = UNSET
    data: Annotated[dict[str, Any] | UnsetType, doc("Custom data (replaces the old)")] = UNSET


class DomainOut(Struct):
    """A domain."""

    id: Annotated[str, doc("The domain's id")]
    name: Annotated[str, doc("Its display name")]
    description: Annotated[str, doc("A longer description")]
    data: Annotated[dict[str, Any], doc("Custom data")]
    parentId: Annotated[str | None, doc("The parent domain (null for root)")]
    path: Annotated[str, doc("The domain's path, e.g. /site-a/floor-1/ (/ for root)")]


# -- users -------------------------------------------------------------------------------------


class UserCreate(Struct):
    """`POST /users`."""

    userName: Annotated[
        str | UnsetType,
        need("The user's name: 3 or more of A-Z a-z 0-9 _ and + to @", pattern="^[a-zA-Z0-9_.+-@]{3,}$"),
    ] = UNSET
    password: Annotated[
        str | UnsetType, need("The password: 8+ characters, upper and lower case, a digit", examples=["Example123"])
    ] = UNSET
    roleName: Annotated[str | UnsetType, need("Read, ReadWrite or Admin", enum=["Read", "ReadWrite", "Admin"])] = UNSET
    domainName: Annotated[str | UnsetType, need("The home domain", examples=["root"])] = UNSET
    firstName: Annotated[str, doc("First name")] = ""
    lastName: Annotated[str, doc("Last name")] = ""
    email: Annotated[str, doc("E-mail address")] = ""
    privileges: Annotated[list[PrivilegeBody], doc("Custom privileges")] = msgspec.field(default_factory=list)


class UserUpdate(Struct):
    """`PATCH /users/{userName}`: what is given changes."""

    password: Annotated[str | UnsetType, doc("A new password")] = UNSET
    roleName: Annotated[str | UnsetType, doc("Read, ReadWrite or Admin")] = UNSET
    domainName: Annotated[str | UnsetType, doc("A new home domain")] = UNSET
    firstName: Annotated[str | UnsetType, doc("First name")] = UNSET
    lastName: Annotated[str | UnsetType, doc("Last name")] = UNSET
    email: Annotated[str | UnsetType, doc("E-mail address")] = UNSET
    privileges: Annotated[list[PrivilegeBody] | UnsetType, doc("Custom privileges (replace the old)")] = UNSET


class UserList(Struct):
    """`GET /users`."""

    users: list[UserOut]
    totalPages: Annotated[int, doc("Pages of `size` users")]
    page: Annotated[int, doc("This page (0 is the first)")]
    metadata: Annotated[dict[str, int], doc("{count}: users in all")]


# -- thing types -------------------------------------------------------------------------------


class Resource(Struct):
    """A resource of a thing type: a state of its things (settable ones also an action)."""

    name: Annotated[str, doc("The resource's name, ^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    type: Annotated[
        str, doc("boolean, long, integer, short, byte, double, float, string, keyword, text, date, object or geo_point")
    ]
    label: Annotated[str | UnsetType, doc("A display name")] = UNSET
    unit: Annotated[str | UnsetType, doc("A unit, by nymea's name (e.g. DegreeCelsius)")] = UNSET
    isSettable: Annotated[bool, doc("Whether clients may set it (it becomes an action)")] = False


class ThingTypeCreate(Struct):
    """`POST /thingtypes`."""

    id: Annotated[str | UnsetType, need("The id", pattern="^[a-z0-9_-]+$")] = UNSET
    domain: Annotated[str | UnsetType, need("The domain the type belongs to", examples=["root"])] = UNSET
    label: Annotated[str | UnsetType, need("The label describing the type")] = UNSET
    description: Annotated[str, doc("A longer description")] = ""
    data: Annotated[Any, doc("Custom data about the type, kept as given")] = None
    lockMappings: Annotated[bool, doc("Accepted and kept (deprecated in MIC)")] = False
    resources: Annotated[list[Resource], doc("The type's resources")] = msgspec.field(default_factory=list)
    virtualResources: Annotated[list[Resource], doc("Resources kept in the hub only")] = msgspec.field(
        default_factory=list
    )


class ThingTypeUpdate(Struct):
    """`PATCH /thingtypes/{id}`."""

    label: Annotated[str | UnsetType, need("The label")] = UNSET
    domain: Annotated[str | UnsetType, need("The domain (a new one moves the type)", examples=["root"])] = UNSET
    description: Annotated[str | UnsetType, doc("A longer description")] = UNSET
    data: Annotated[Any, doc("Custom data (replaces the old when given)")] = UNSET
    lockMappings: Annotated[bool | UnsetType, doc("Accepted and kept (deprecated in MIC)")] = UNSET
    resources: Annotated[list[Resource] | UnsetType, doc("New resources (only while the type has no things)")] = UNSET
    virtualResources: Annotated[list[Resource] | UnsetType, doc("New virtual resources (as resources)")] = UNSET


class ThingTypeOut(Struct, omit_defaults=True):
    """A thing type: only the attributes asked for are written."""

    id: Annotated[str | UnsetType, doc("The id")] = UNSET
    label: Annotated[str | UnsetType, doc("The label")] = UNSET
    description: Annotated[str | UnsetType, doc("A longer description")] = UNSET
    resources: Annotated[list[dict[str, Any]] | UnsetType, doc("The resources")] = UNSET
    virtualResources: Annotated[list[dict[str, Any]] | UnsetType, doc("The virtual resources")] = UNSET
    domain: Annotated[str | UnsetType, doc("The domain")] = UNSET
    readOnly: Annotated[bool | UnsetType, doc("Whether the caller may not change it")] = UNSET
    thingCount: Annotated[int | UnsetType, doc("Things of the type the caller may see")] = UNSET
    lockMappings: Annotated[bool | UnsetType, doc("Kept as given (deprecated)")] = UNSET
    data: Annotated[Any | UnsetType, doc("Custom data, kept as given")] = UNSET


class ThingTypeCreated(Struct):
    """`POST /thingtypes`'s answer."""

    id: str
    domain: str
    label: str
    description: str
    data: Any
    lockMappings: bool


class ThingTypeUpdated(Struct):
    """`PATCH /thingtypes/{id}`'s answer."""

    id: str
    label: str
    description: str
    data: Any


# -- things ------------------------------------------------------------------------------------


class ThingCreate(Struct):
    """`POST /things`."""

    thingType: Annotated[str | UnsetType, doc("The thing type's id (required)")] = UNSET
    domain: Annotated[str | UnsetType, doc("The domain the thing belongs to (required)")] = UNSET
    thingName: Annotated[
        str | UnsetType,
        doc("The thing's name, ^[A-Za-z0-9:_-]{1,128}$, fixed for its life (default: the next of 00000001, ...)"),
    ] = UNSET
    label: Annotated[str | UnsetType, doc("A display name (default: the thing name)")] = UNSET
    description: Annotated[str, doc("A longer description")] = ""
    externalId: Annotated[str, doc("The thing's id in another system")] = ""


class ThingUpdate(Struct):
    """`PATCH` or `PUT /things/{thingName}`: what is given changes."""

    label: Annotated[str | UnsetType, doc("A display name")] = UNSET
    description: Annotated[str | UnsetType, doc("A longer description")] = UNSET
    externalId: Annotated[str | UnsetType, doc("The thing's id in another system")] = UNSET
    domain: Annotated[
        str | UnsetType, doc("A new domain (needs Things.DELETE on the old and Things.CREATE on the new)")
    ] = UNSET


class ThingStateUpdate(Struct):
    """`PUT /things/{thingName}/state`: values asked of the device, each a settable resource."""

    desired: Annotated[dict[str, Any] | UnsetType, doc("Resource name -> value (required)")] = UNSET


class ThingState(Struct):
    """A thing's state, as a device shadow."""

    reported: Annotated[dict[str, Any], doc("Every resource's current value, and `connected`")]
    desired: Annotated[dict[str, Any], doc("Values asked of the device it has not reported back yet")]


class ThingOut(Struct):
    """A thing."""

    thingName: Annotated[str, doc("The thing's name (its id in the registry and on MQTT)")]
    thingType: Annotated[str, doc("The thing type's id")]
    domain: Annotated[str, doc("The domain it belongs to")]
    domainTopic: Annotated[str, doc("The domain's path in MQTT topics (empty for root)")]
    label: Annotated[str, doc("Its display name")]
    description: Annotated[str, doc("A longer description")]
    externalId: Annotated[str, doc("Its id in another system")]
    state: ThingState


class ThingList(Struct):
    """`GET /things`."""

    things: list[ThingOut]
    totalPages: Annotated[int, doc("Pages of `size` things")]
    page: Annotated[int, doc("This page (0 is the first)")]
    metadata: Annotated[dict[str, int], doc("{count}: things in all that match")]


# -- lifecycle events --------------------------------------------------------------------------
class EventOut(Struct, omit_defaults=True):
    """One lifecycle event, as MIC's Event API shows it and as it is published on `lifecycle/...`."""

    id: Annotated[str, doc("The event's id (a UUID), the same in every repeat: receivers drop repeats by it")]
    timestamp: Annotated[int, doc("When the change was made, in epoch milliseconds")]
    message: Annotated[str, doc('"set by thinggate" (MIC: "set by Managed IoT Cloud")')]
    classification: Annotated[str, doc("INTERNAL for lifecycle events")]
    type: Annotated[str, doc('"<OBJECT>.<ACTION>", e.g. "THING_TYPE.CREATE"')]
    source: Annotated[dict[str, Any], doc("What changed, e.g. {thingType, domain}; always its `domain`")]
    acknowledgementRequired: Annotated[bool, doc("false: lifecycle events need no acknowledgement")]
    acknowledgedAt: Annotated[int | None, doc("When it was acknowledged (epoch ms); left out until then")] = None
    acknowledgedBy: Annotated[str | None, doc("Who acknowledged it; left out until then")] = None


EpochMs = Annotated[int, Meta(ge=0, le=2**53)]
"""A time in epoch milliseconds (JSON clients hold up to 2**53 exactly)."""


class EventFind(Struct):
    """`POST events/find`: which events to find (every filter given must hold), and which page."""

    types: Annotated[list[str] | UnsetType, doc('Event types, e.g. ["THING_TYPE.CREATE"] (any if left out)')] = UNSET
    domain: Annotated[str | UnsetType, doc("Only events of this domain and the domains below it")] = UNSET
    since: Annotated[EpochMs | UnsetType, doc("Only events at or after this time (epoch ms)")] = UNSET
    until: Annotated[EpochMs | UnsetType, doc("Only events before this time (epoch ms)")] = UNSET
    acknowledged: Annotated[bool | UnsetType, doc("Only acknowledged (true) or unacknowledged (false) events")] = UNSET
    from_: Annotated[int, doc("How many events to skip (paging)"), Meta(ge=0, le=2**31)] = msgspec.field(
        default=0, name="from"
    )
    size: Annotated[int, doc("How many events to answer at most (1-1000)"), Meta(ge=1, le=1000)] = 100
    order: Annotated[str, doc('"desc" (newest first, the default) or "asc"')] = "desc"


class EventPage(Struct):
    """The answer of `events/find` and `GET events`: one page of events and how many were found in all."""

    total: Annotated[int, doc("How many events the query finds in all")]
    events: Annotated[list[EventOut], doc("This page of them")]
    from_: Annotated[int, doc("How many were skipped")] = msgspec.field(default=0, name="from")
    size: Annotated[int, doc("The page size asked for")] = 100
