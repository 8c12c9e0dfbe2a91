"""Who is asking: the Principal every core operation takes, with its custom privileges."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from thinggate.core.model import Thing
from thinggate.core.security.domains import ROOT_DOMAIN, DomainTree
from thinggate.core.security.scopes import Scope

OPERATIONS = frozenset({"C", "R", "U", "D"})
"""Create, read, update, delete: the operations privileges and `Principal.may` speak of."""

_OPERATION_ORDER = "CRUD"

THING_OBJECTS = frozenset({"thing", "thingtype"})
"""Objects the ReadWrite role may create, update and delete."""


@dataclass(frozen=True, slots=True)
class Privilege:
    """A custom grant of some of C/R/U/D on one kind of object within a domain subtree."""

    object: str
    domain: str
    operations: frozenset[str]

    def __post_init__(self) -> None:
        # Accept any iterable of letters (e.g. "CR") but keep a frozenset so equality and
        # hashing do not depend on how the operations were spelled.
        operations = frozenset(self.operations)
        unknown = operations - OPERATIONS
        if unknown or not operations:
            raise ValueError(
                f"privilege operations must be a non-empty subset of C, R, U, D; got {sorted(map(str, operations))!r}"
            )
        if not self.object:
            raise ValueError("privilege object must not be empty")
        object.__setattr__(self, "operations", operations)

    def to_dict(self) -> dict[str, Any]:
        """The stored form: {"object", "domain", "operations": ["C", "R", ...]}."""
        return {
            "object": self.object,
            "domain": self.domain,
            "operations": [op for op in _OPERATION_ORDER if op in self.operations],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Privilege:
        """Read the stored form back (ValueError if it is malformed)."""
        try:
            return cls(str(data["object"]), str(data["domain"]), frozenset(data["operations"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed privilege {dict(data)!r}") from exc


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a user (or system part) with scopes, a home domain and allowed things."""

    name: str
    scopes: Scope = Scope.NONE
    home_domain: str = ROOT_DOMAIN
    allowed_thing_ids: frozenset[uuid.UUID] = frozenset()
    domains: DomainTree | None = field(default=None, compare=False, repr=False)
    privileges: tuple[Privilege, ...] = ()
    roles: tuple[str, ...] = ()

    def has_scope(self, scope: Scope) -> bool:
        """Whether the principal holds every bit of `scope` (Admin holds all)."""
        # On plain ints: IntFlag arithmetic is slow, and this runs on every request.
        held: int = self.scopes._value_
        wanted: int = scope._value_
        return (held & 0xFFFF) == 0xFFFF or (held & wanted) == wanted

    def _covers(self, home: str, domain: str) -> bool:
        """Whether `domain` is `home` or below it, using the live tree when there is one."""
        if home == ROOT_DOMAIN:
            return True
        if self.domains is None:
            return domain == home
        return self.domains.covers(home, domain)

    def covers_domain(self, domain: str) -> bool:
        """Whether the principal's home domain covers `domain`."""
        return self._covers(self.home_domain, domain)

    def may_see(self, thing: Thing) -> bool:
        """Whether the thing exists for this principal at all."""
        if not self.covers_domain(thing.domain):
            return False
        return self.has_scope(Scope.ACCESS_ALL_THINGS) or thing.id in self.allowed_thing_ids

    def may_reach_every_device(self) -> bool:
        """Whether the principal may act on any device, seen as a thing or not (raw bus telegrams).

        A raw telegram reaches whatever listens on its address, in any domain: that needs
        ControlThings and AccessAllThings in the root domain.
        """
        return self.has_scope(Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS) and self.home_domain == ROOT_DOMAIN

    def may(self, operation: str, object: str, domain: str) -> bool:
        """Whether a role (via scopes) or a privilege grants C/R/U/D on `object` in `domain`."""
        if operation not in OPERATIONS:
            # A misspelt operation would otherwise just deny, hiding the bug; fail loudly instead.
            raise ValueError(f"unknown operation {operation!r}; expected one of C, R, U, D")
        # Roles are expressed as scopes, so a nymea user with the same scopes gets the same
        # rights as a registry user with the matching role.
        if self.covers_domain(domain):
            if self.has_scope(Scope.ADMIN):
                return True
            if self.has_scope(Scope.ACCESS_ALL_THINGS):
                if operation == "R":
                    return True
                if object in THING_OBJECTS and self.has_scope(Scope.CONFIGURE_THINGS):
                    return True
        # Privileges are additive and independent of the home domain.
        return any(
            privilege.object == object and operation in privilege.operations and self._covers(privilege.domain, domain)
            for privilege in self.privileges
        )


SYSTEM = Principal(name="system", scopes=Scope.ADMIN)
"""The hub itself and its command line: may do everything."""
