"""Domains and users as a principal may see and change them: one rule for every door.

A principal may do an operation (C/R/U/D) on an object in a domain when `Principal.may` says so:
its role (as scopes) covers its home domain and every domain below, never upward or sideways;
custom privileges add rights on other subtrees. What is hidden from a principal answers as
unknown, so a door never tells a caller which names exist outside its reach — except ids that
must be unique system-wide (a new domain's id, a new user's name), which MIC reveals as well.
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from thinggate.core.errors import UserError, UserFailure
from thinggate.core.registry.errors import RegistryError, RegistryFailure
from thinggate.core.registry.events import CREATE, REMOVE, UPDATE, LifecycleEvents
from thinggate.core.scopes import (
    OBJECT_DOMAIN,
    OBJECT_USER,
    OBJECTS,
    OPERATIONS,
    ROLE_ADMIN,
    ROLE_READ,
    ROLE_READ_WRITE,
    ROLE_SCOPES,
    ROOT_DOMAIN,
    Privilege,
    Scope,
)
from thinggate.core.security.manager import DOMAIN_NAME, SecurityManager
from thinggate.core.security.principals import Principal
from thinggate.core.store import DomainRecord
from thinggate.core.users import TokenInfo, UserInfo

DomainHoldings = Callable[[str], list[str]]
"""What else a domain holds (things, thing types), as short descriptions; empty when nothing."""

ROLE_ORDER = (ROLE_READ, ROLE_READ_WRITE, ROLE_ADMIN)


def role_of(user: UserInfo) -> str | None:
    """The registry role a user acts with: its role, else the one its scopes amount to (None: no role)."""
    if user.roles:
        return max(user.roles, key=lambda role: ROLE_ORDER.index(role) if role in ROLE_ORDER else -1)
    scopes = user.effective_scopes
    for role in reversed(ROLE_ORDER):
        wanted = ROLE_SCOPES[role]
        if (scopes & wanted) == wanted:
            return role
    return None


@dataclass(frozen=True, slots=True)
class UserChanges:
    """What an update changes of a user; None leaves a field as it is."""

    role: str | None = None
    home_domain: str | None = None
    email: str | None = None
    display_name: str | None = None
    password: str | None = None
    privileges: tuple[Privilege, ...] | None = None

    @property
    def profile_only(self) -> bool:
        """Whether only what users may change of themselves changes (names, e-mail, password)."""
        return self.role is None and self.home_domain is None and self.privileges is None


class Directory:
    """Domains and users seen and changed on behalf of a principal."""

    def __init__(self, security: SecurityManager, *, events: LifecycleEvents | None = None) -> None:
        self.security = security
        self.events = events
        """Makes the lifecycle event each change is stored with (None: changes make no events)."""
        self.holdings: list[DomainHoldings] = []
        """Asked before a domain is removed: what it still holds besides child domains and users."""

    # -- domains ---------------------------------------------------------------------------

    def domain_path(self, name: str) -> str:
        """A domain's path below root with a slash at each end: `/` for root, `/a/b/` for b below a."""
        parts: list[str] = []
        current: str | None = name
        while current is not None and current != ROOT_DOMAIN:
            parts.append(current)
            current = self.security.domains.parent(current)
        return "/" + "".join(f"{part}/" for part in reversed(parts))

    def readable_domains(self, principal: Principal) -> list[DomainRecord]:
        """Every domain the principal may read, parents before children."""
        return [record for record in self.security.domain_records() if principal.may("R", OBJECT_DOMAIN, record.name)]

    def top_domains(self, principal: Principal) -> list[DomainRecord]:
        """The readable domains whose parent the principal may not read (the tops of what it sees)."""
        readable = self.readable_domains(principal)
        names = {record.name for record in readable}
        return [record for record in readable if record.parent not in names]

    def domain(self, principal: Principal, name: str) -> DomainRecord:
        """One domain the principal may read (DOMAIN_NOT_FOUND when unknown or hidden alike)."""
        record = self.security.domain_record(name)
        if record is None or not principal.may("R", OBJECT_DOMAIN, name):
            raise RegistryFailure(RegistryError.DOMAIN_NOT_FOUND, f"no domain {name!r}", property="id")
        return record

    def check_domain(self, principal: Principal, operation: str, object: str, domain: str, property: str) -> None:
        """Refuse an operation on an object in a domain (NOT_AUTHORIZED_DOMAIN), or an unknown domain.

        The right is checked first: a domain outside the principal's reach is refused whether
        or not it exists, so the answer tells nothing about names there.
        """
        if not principal.may(operation, object, domain):
            raise RegistryFailure(
                RegistryError.NOT_AUTHORIZED_DOMAIN,
                f"not authorized for {object} in domain {domain!r}",
                property=property,
                params={"domain": domain},
            )
        if domain not in self.security.domains:
            raise RegistryFailure(
                RegistryError.DOMAIN_NOT_FOUND, f"no domain {domain!r}", property=property, params={"domain": domain}
            )

    async def create_domain(
        self,
        principal: Principal,
        name: str,
        parent: str,
        *,
        display_name: str = "",
        description: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> DomainRecord:
        """Add a domain below `parent` (needs Domains.CREATE on the parent)."""
        if not DOMAIN_NAME.fullmatch(name):
            raise RegistryFailure(
                RegistryError.INVALID_ARGUMENTS, f"invalid domain id {name!r}: use a-z, 0-9, - and _", property="id"
            )
        self.check_domain(principal, "C", OBJECT_DOMAIN, parent, "parentId")
        if name in self.security.domains:
            raise RegistryFailure(RegistryError.DOMAIN_ID_EXISTS, f"domain {name!r} exists already", property="id")
        try:
            return await self.security.add_domain(
                name,
                parent,
                description,
                display_name=display_name or name,
                data=data,
                event=self.events.domain(CREATE, name, parent) if self.events else None,
            )
        except UserFailure as failure:  # the store failed: BACKEND_ERROR
            raise _user_failure(failure, name) from None
        except ValueError as exc:  # added or its parent removed meanwhile
            raise RegistryFailure(RegistryError.INVALID_ARGUMENTS, str(exc), property="id") from None

    async def update_domain(
        self,
        principal: Principal,
        name: str,
        *,
        display_name: str | None = None,
        description: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> DomainRecord:
        """Change a domain's name, description or data (needs Domains.UPDATE on it)."""
        record = self.domain(principal, name)
        self.check_domain(principal, "U", OBJECT_DOMAIN, name, "id")
        try:
            return await self.security.update_domain(
                name,
                display_name=display_name,
                description=description,
                data=data,
                event=self.events.domain(UPDATE, name, record.parent) if self.events else None,
            )
        except UserFailure as failure:  # the store failed: BACKEND_ERROR
            raise _user_failure(failure, name) from None
        except ValueError as exc:
            raise RegistryFailure(RegistryError.DOMAIN_NOT_FOUND, str(exc), property="id") from None

    async def remove_domain(self, principal: Principal, name: str) -> None:
        """Remove a domain that holds nothing (needs Domains.DELETE on it; DOMAIN_NOT_EMPTY otherwise)."""
        record = self.domain(principal, name)
        if name == ROOT_DOMAIN:
            raise RegistryFailure(RegistryError.INVALID_ACTION, "the root domain cannot be removed", property="id")
        self.check_domain(principal, "D", OBJECT_DOMAIN, name, "id")
        held = self.held_by(name)
        if held:
            raise RegistryFailure(
                RegistryError.DOMAIN_NOT_EMPTY,
                f"domain {name!r} still holds {'; '.join(held)}",
                property="id",
                params={"holds": held},
            )
        try:
            await self.security.remove_domain(
                name, event=self.events.domain(REMOVE, name, record.parent) if self.events else None
            )
        except UserFailure as failure:  # the store failed: BACKEND_ERROR
            raise _user_failure(failure, name) from None
        except ValueError as exc:  # something arrived meanwhile
            raise RegistryFailure(RegistryError.DOMAIN_NOT_EMPTY, str(exc), property="id") from None

    def held_by(self, name: str) -> list[str]:
        """What a domain holds: child domains, users living there or given rights there, things, thing types."""
        held: list[str] = []
        children = sorted(self.security.domains.children(name))
        if children:
            held.append("domains " + ", ".join(children))
        users = self.security.users()
        residents = [user.username for user in users if user.home_domain == name]
        if residents:
            held.append("users " + ", ".join(residents))
        holders = [user.username for user in users if any(p.domain == name for p in user.privileges)]
        if holders:
            held.append("privileges of users " + ", ".join(holders))
        for holdings in self.holdings:
            held.extend(holdings(name))
        return held

    # -- users -----------------------------------------------------------------------------

    def visible_users(self, principal: Principal) -> list[UserInfo]:
        """Every user the principal may read (Users.READ on the user's home domain), by name."""
        return [user for user in self.security.users() if self._sees_user(principal, user)]

    def user(self, principal: Principal, username: str) -> UserInfo:
        """One user the principal may read (USER_NOT_FOUND when unknown or hidden alike)."""
        try:
            user = self.security.user(username)
        except UserFailure:
            user = None
        if user is None or not self._sees_user(principal, user):
            raise RegistryFailure(RegistryError.USER_NOT_FOUND, f"no user {username!r}", property="userName")
        return user

    @staticmethod
    def _sees_user(principal: Principal, user: UserInfo) -> bool:
        return user.username == principal.name or principal.may("R", OBJECT_USER, user.home_domain)

    async def create_user(
        self,
        principal: Principal,
        username: str,
        password: str,
        *,
        role: str,
        home_domain: str,
        email: str = "",
        display_name: str = "",
        privileges: Iterable[Privilege] = (),
    ) -> UserInfo:
        """Add a user with a role in a home domain (needs Users.CREATE there, and every right it gives)."""
        granted = tuple(privileges)
        self.check_domain(principal, "C", OBJECT_USER, home_domain, "domainName")
        self._check_grants(principal, role, home_domain, granted)
        try:
            return await self.security.create_user(
                username,
                password,
                email=email,
                display_name=display_name,
                home_domain=home_domain,
                roles=(role,),
                privileges=granted,
                event=self.events.user(CREATE, username.lower(), home_domain) if self.events else None,
            )
        except UserFailure as failure:
            raise _user_failure(failure, username) from None
        except ValueError as exc:  # a domain removed meanwhile
            raise RegistryFailure(RegistryError.INVALID_ARGUMENTS, str(exc), property="domainName") from None

    async def update_user(self, principal: Principal, username: str, changes: UserChanges) -> UserInfo:
        """Change a user (Users.UPDATE on its home domain; moving it also DELETE there and CREATE on the new one).

        Users may change their own names, e-mail address and password without any privilege.
        """
        user = self.user(principal, username)
        if not (user.username == principal.name and changes.profile_only):
            self.check_domain(principal, "U", OBJECT_USER, user.home_domain, "userName")
            self._check_holds_all_of(principal, user)
        home = user.home_domain
        if changes.home_domain is not None and changes.home_domain != user.home_domain:
            self.check_domain(principal, "D", OBJECT_USER, user.home_domain, "domainName")
            self.check_domain(principal, "C", OBJECT_USER, changes.home_domain, "domainName")
            home = changes.home_domain
        role = changes.role or role_of(user) or ROLE_READ
        if changes.role is not None or changes.home_domain is not None or changes.privileges is not None:
            granted = changes.privileges if changes.privileges is not None else user.privileges
            self._check_grants(principal, role, home, granted)
        try:
            # One write: the change and its event commit together, or neither does.
            await self.security.update_user(
                user.username,
                role=changes.role,
                home_domain=changes.home_domain,
                privileges=changes.privileges,
                email=changes.email,
                display_name=changes.display_name,
                password=changes.password,
                event=self.events.user(UPDATE, user.username, home) if self.events else None,
            )
        except UserFailure as failure:
            raise _user_failure(failure, username) from None
        except ValueError as exc:
            raise RegistryFailure(RegistryError.INVALID_ARGUMENTS, str(exc)) from None
        return self.security.user(user.username)

    async def remove_user(self, principal: Principal, username: str) -> None:
        """Remove a user and its logins (needs Users.DELETE on its home domain; never oneself)."""
        user = self.user(principal, username)
        if user.username == principal.name:
            raise RegistryFailure(RegistryError.INVALID_ACTION, "users cannot remove themselves", property="userName")
        self.check_domain(principal, "D", OBJECT_USER, user.home_domain, "userName")
        self._check_holds_all_of(principal, user)
        try:
            await self.security.remove_user(
                user.username, event=self.events.user(REMOVE, user.username, user.home_domain) if self.events else None
            )
        except UserFailure as failure:
            raise _user_failure(failure, username) from None

    async def set_user_scopes(
        self, principal: Principal, username: str, scopes: Scope, allowed_thing_ids: Iterable[uuid.UUID]
    ) -> UserInfo:
        """Give a user nymea's scopes and allowed things in place of its role (Users.UPDATE on its home domain).

        The principal must hold every right of the user as it is and every right the scopes give.
        """
        user = self.user(principal, username)
        self.check_domain(principal, "U", OBJECT_USER, user.home_domain, "userName")
        self._check_holds_all_of(principal, user)
        self._check_rights(principal, scopes, user.home_domain, (), f"the scopes given to {user.username}")
        try:
            return await self.security.set_user_scopes(user.username, scopes, allowed_thing_ids, roles=())
        except UserFailure as failure:
            raise _user_failure(failure, username) from None

    # -- login tokens ----------------------------------------------------------------------------

    def tokens(self, principal: Principal) -> list[TokenInfo]:
        """The login tokens the principal may see and revoke: its own, and those of users it may change."""
        return [
            token
            for user in self.security.users()
            if self._manages_logins_of(principal, user)
            for token in self.security.tokens(user.username)
        ]

    async def revoke_token(self, principal: Principal, token_id: str) -> TokenInfo:
        """Revoke one of those tokens (TOKEN_NOT_FOUND for any other, as for an unknown one)."""
        token = next((token for token in self.tokens(principal) if str(token.id) == token_id), None)
        if token is None:
            raise UserFailure(UserError.TOKEN_NOT_FOUND, f"no token with id {token_id!r}")
        await self.security.remove_token(token.id)
        return token

    def _manages_logins_of(self, principal: Principal, user: UserInfo) -> bool:
        if user.username == principal.name:
            return True
        if not principal.may("U", OBJECT_USER, user.home_domain):
            return False
        try:
            self._check_holds_all_of(principal, user)
        except RegistryFailure:
            return False
        return True

    def _check_grants(self, principal: Principal, role: str, home: str, privileges: Iterable[Privilege]) -> None:
        """Refuse (NOT_AUTHORIZED) giving a right the principal does not hold itself, where it is given."""
        if role not in ROLE_SCOPES:
            raise RegistryFailure(
                RegistryError.INVALID_ARGUMENTS,
                f"unknown role {role!r}; expected one of {', '.join(ROLE_ORDER)}",
                property="roleName",
            )
        self._check_rights(principal, ROLE_SCOPES[role], home, privileges, f"role {role}")

    def _check_holds_all_of(self, principal: Principal, user: UserInfo) -> None:
        """Refuse (NOT_AUTHORIZED) changing or removing a user who holds a right the principal does not.

        Otherwise a right to update users would set an administrator's password and log in as one.
        """
        self._check_rights(principal, user.effective_scopes, user.home_domain, user.privileges, f"user {user.username}")

    def _check_rights(
        self, principal: Principal, scopes: Scope, home: str, privileges: Iterable[Privilege], whose: str
    ) -> None:
        # Scopes give rights in the home subtree: the principal must hold each of them there.
        holder = Principal(name="", scopes=scopes, home_domain=home, domains=self.security.domains)
        for object in sorted(OBJECTS):
            for operation in sorted(OPERATIONS):
                if holder.may(operation, object, home) and not principal.may(operation, object, home):
                    raise RegistryFailure(
                        RegistryError.NOT_AUTHORIZED,
                        f"{whose} has rights in {home!r} the caller does not have there",
                        property="roleName",
                    )
        if holder.has_scope(Scope.ADMIN) and not (principal.has_scope(Scope.ADMIN) and principal.covers_domain(home)):
            raise RegistryFailure(
                RegistryError.NOT_AUTHORIZED,
                f"only an administrator of {home!r} may do this for {whose}",
                property="roleName",
            )
        for privilege in privileges:
            if privilege.domain not in self.security.domains:
                raise RegistryFailure(
                    RegistryError.DOMAIN_NOT_FOUND, f"no domain {privilege.domain!r}", property="privileges"
                )
            for operation in privilege.operations:
                if not principal.may(operation, privilege.object, privilege.domain):
                    raise RegistryFailure(
                        RegistryError.NOT_AUTHORIZED,
                        f"the caller does not hold {privilege.object}.{operation} in {privilege.domain!r} ({whose})",
                        property="privileges",
                    )

    def permissions(self, principal: Principal, objects: Iterable[str] = OBJECTS) -> dict[str, list[str]]:
        """The operations the principal may do on each object in its home domain (C, R, U, D order)."""
        allowed: dict[str, list[str]] = collections.OrderedDict()
        for object in objects:
            allowed[object] = [op for op in "CRUD" if principal.may(op, object, principal.home_domain)]
        return dict(allowed)


def _user_failure(failure: UserFailure, username: str) -> RegistryFailure:
    """The registry's failure for the security manager's."""
    if failure.error is UserError.DUPLICATE_USER_ID:
        return RegistryFailure(
            RegistryError.USER_USERNAME_EXISTS, f"a user named {username!r} exists already", property="userName"
        )
    if failure.error is UserError.INVALID_USER_ID:
        return RegistryFailure(RegistryError.INVALID_ARGUMENTS, failure.message, property="userName")
    if failure.error is UserError.BAD_PASSWORD:
        return RegistryFailure(RegistryError.INVALID_ARGUMENTS, failure.message, property="password")
    if failure.error is UserError.INCONSISTENT_SCOPES:
        return RegistryFailure(RegistryError.INVALID_ARGUMENTS, failure.message, property="scopes")
    return RegistryFailure(RegistryError.BACKEND_ERROR, failure.message)
