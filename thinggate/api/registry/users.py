"""Users (§1.6): list, get, whoami, create, update, remove; privileges as MIC's `objectName` + flags."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NoReturn

import msgspec

from thinggate.api.registry.door import Call, QueryParam, RegistryDoor, Route, given, required_text
from thinggate.api.registry.errors import invalid, required
from thinggate.api.registry.structs import Empty, PrivilegeBody, UserCreate, UserList, UserOut, UserUpdate
from thinggate.core.registry import Directory
from thinggate.core.registry.directory import UserChanges, role_of
from thinggate.core.scopes import OBJECT_DOMAIN, OBJECT_EVENT, OBJECT_THING, OBJECT_THING_TYPE, OBJECT_USER, Privilege
from thinggate.core.users import UserInfo

OBJECT_NAMES: dict[str, str] = {
    "Things": OBJECT_THING,
    "ThingTypes": OBJECT_THING_TYPE,
    "Domains": OBJECT_DOMAIN,
    "Users": OBJECT_USER,
    "Events": OBJECT_EVENT,
}
"""MIC's object names and the core's."""

MIC_NAMES = {core: mic for mic, core in OBJECT_NAMES.items()}
VERBS = {"C": "CREATE", "R": "READ", "U": "UPDATE", "D": "DELETE"}
PAGE = QueryParam.whole("page", "The page (0 is the first)", default=0, low=0, high=1_000_000)
SIZE = QueryParam.whole("size", "Users per page", default=100, low=1, high=1000)
NAME_REQUIRED = ("PROPERTY_REQUIRED",)


def user_out(directory: Directory, user: UserInfo) -> UserOut:
    """A user as the registry shows it (first and last name are the display name's two parts)."""
    first, _, last = user.display_name.partition(" ")
    return UserOut(
        userName=user.username,
        roleName=role_of(user),
        domainName=user.home_domain,
        domainPath=directory.domain_path(user.home_domain),
        firstName=first,
        lastName=last,
        email=user.email,
        privileges=[privilege_out(privilege) for privilege in user.privileges],
    )


def privilege_out(privilege: Privilege) -> PrivilegeBody:
    """A core privilege in MIC's form."""
    return PrivilegeBody(
        objectName=MIC_NAMES.get(privilege.object, privilege.object),
        domainId=privilege.domain,
        create="C" in privilege.operations,
        read="R" in privilege.operations,
        update="U" in privilege.operations,
        delete="D" in privilege.operations,
    )


def privileges_in(bodies: Iterable[PrivilegeBody]) -> tuple[Privilege, ...]:
    """MIC privileges as the core's (PROPERTY_REQUIRED / INVALID_ARGUMENTS naming the one at fault)."""
    privileges: list[Privilege] = []
    for index, body in enumerate(bodies):
        where = f"privileges[{index}]"
        object_name = required_text(body.objectName, f"{where}.objectName")
        domain = required_text(body.domainId, f"{where}.domainId")
        core_object = OBJECT_NAMES.get(object_name)
        if core_object is None:
            raise invalid(f"{where}.objectName", f"objectName must be one of {', '.join(OBJECT_NAMES)}")
        operations = "".join(
            letter
            for letter, flag in zip("CRUD", (body.create, body.read, body.update, body.delete), strict=True)
            if flag
        )
        if not operations:
            raise invalid(where, "a privilege grants at least one of create, read, update, delete")
        privileges.append(Privilege(core_object, domain, frozenset(operations)))
    return tuple(privileges)


def _display_name(first: str, last: str) -> str:
    return " ".join(part for part in (first.strip(), last.strip()) if part)


def routes(door: RegistryDoor) -> list[Route]:
    """The user routes."""
    directory = door.directory

    async def list_users(call: Call) -> UserList:
        users = directory.visible_users(call.who)
        size = SIZE.read(call.query)
        page = PAGE.read(call.query)
        shown = users[page * size : (page + 1) * size]
        return UserList(
            users=[user_out(directory, user) for user in shown],
            totalPages=math.ceil(len(users) / size),
            page=page,
            metadata={"count": len(users)},
        )

    async def get_user(call: Call) -> UserOut:
        name = required_text(call.params["userName"], "userName")
        return user_out(directory, directory.user(call.who, name))

    async def whoami(call: Call) -> UserOut:
        return user_out(directory, directory.user(call.who, call.who.name))

    async def create_user(call: Call) -> UserOut:
        body: UserCreate = call.body
        name = required_text(body.userName, "userName")
        password = required_text(body.password, "password")
        role = required_text(body.roleName, "roleName")
        domain = required_text(body.domainName, "domainName")
        user = await directory.create_user(
            call.who,
            name,
            password,
            role=role,
            home_domain=domain,
            email=body.email,
            display_name=_display_name(body.firstName, body.lastName),
            privileges=privileges_in(body.privileges),
        )
        return user_out(directory, user)

    async def update_user(call: Call) -> UserOut:
        name = required_text(call.params["userName"], "userName")
        body: UserUpdate = call.body
        current = directory.user(call.who, name)
        display_name = None
        if body.firstName is not msgspec.UNSET or body.lastName is not msgspec.UNSET:
            first, _, last = current.display_name.partition(" ")
            display_name = _display_name(given(body.firstName, first), given(body.lastName, last))
        privileges = given(body.privileges)
        changes = UserChanges(
            role=given(body.roleName),
            home_domain=given(body.domainName),
            email=given(body.email),
            display_name=display_name,
            password=given(body.password),
            privileges=privileges_in(privileges) if privileges is not None else None,
        )
        return user_out(directory, await directory.update_user(call.who, name, changes))

    async def remove_user(call: Call) -> Empty:
        await directory.remove_user(call.who, required_text(call.params["userName"], "userName"))
        return Empty()

    async def name_required(call: Call) -> NoReturn:
        raise required("userName")

    found = ("USER_NOT_FOUND", "NOT_AUTHORIZED_DOMAIN")
    changed = ("PROPERTY_REQUIRED", "INVALID_ARGUMENTS", "NOT_AUTHORIZED", "DOMAIN_NOT_FOUND")
    return [
        Route(
            "GET",
            "/users",
            list_users,
            summary="The users the caller may see, a page at a time",
            rights="Users.READ on each user's home domain",
            query=(PAGE, SIZE),
        ),
        Route(
            "POST",
            "/users",
            create_user,
            UserCreate,
            summary="Create a user with a role, a home domain and privileges",
            rights="Users.CREATE on the home domain; nobody gives a right it does not hold",
            errors=(*changed, "NOT_AUTHORIZED_DOMAIN", "USER_USERNAME_EXISTS"),
        ),
        Route("PATCH", "/users", name_required, summary="Refused: name the user in the path", errors=NAME_REQUIRED),
        Route("DELETE", "/users", name_required, summary="Refused: name the user in the path", errors=NAME_REQUIRED),
        Route(
            "GET",
            "/users/{userName}",
            get_user,
            summary="One user",
            rights="Users.READ on its home domain",
            errors=("PROPERTY_REQUIRED", *found),
        ),
        Route(
            "PATCH",
            "/users/{userName}",
            update_user,
            UserUpdate,
            summary="Change a user: what is given changes",
            rights="Users.UPDATE on its home domain (moving it: DELETE on the old, CREATE on the new); "
            "one's own names, e-mail and password need nothing",
            errors=(*changed, *found),
        ),
        Route(
            "PUT",
            "/users/{userName}",
            update_user,
            UserUpdate,
            summary="As PATCH",
            rights="As PATCH",
            errors=(*changed, *found),
        ),
        Route(
            "DELETE",
            "/users/{userName}",
            remove_user,
            summary="Remove a user (not oneself); its logins stop working",
            rights="Users.DELETE on its home domain",
            errors=("PROPERTY_REQUIRED", "INVALID_ACTION", "NOT_AUTHORIZED", *found),
        ),
        Route("GET", "/user", whoami, summary="The caller"),
    ]


def permissions_of(directory: Directory, call_principal: Any) -> dict[str, list[str]]:
    """`permissions.objects` of a login: MIC object name -> verbs allowed in the home domain."""
    allowed = directory.permissions(call_principal, OBJECT_NAMES.values())
    return {MIC_NAMES[core]: [VERBS[letter] for letter in letters] for core, letters in allowed.items()}
