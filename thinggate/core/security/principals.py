"""Who is asking: the Principal every core operation takes, with its custom privileges."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from thinggate.core.model import Thing
from thinggate.core.scopes import OBJECT_THING, OPERATIONS, ROOT_DOMAIN, THING_OBJECTS, Privilege, Scope
from thinggate.core.security.domains import DomainTree


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
    # sees_every_thing's answer, fixed at construction (the fields it reads never change): may_see
    # runs on every request, and most principals see every thing.
    _sees_every_thing: bool = field(init=False, default=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_sees_every_thing", self.has_scope(Scope.ACCESS_ALL_THINGS) and self.home_domain == ROOT_DOMAIN
        )

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
        """Whether the thing exists for this principal at all (its home domain's reach, or a read privilege)."""
        if self._sees_every_thing:
            return True
        if self.covers_domain(thing.domain) and (
            self.has_scope(Scope.ACCESS_ALL_THINGS) or thing.id in self.allowed_thing_ids
        ):
            return True
        # A privilege to read things in another subtree shows them through every door alike.
        return bool(self.privileges) and self._granted("R", OBJECT_THING, thing.domain)

    def sees_every_thing(self) -> bool:
        """Whether every thing is visible to the principal (AccessAllThings from the root domain)."""
        return self._sees_every_thing

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
        return self._granted(operation, object, domain)

    def _granted(self, operation: str, object: str, domain: str) -> bool:
        """Whether a custom privilege grants the operation on the object in `domain` (its subtree's)."""
        return any(
            privilege.object == object and operation in privilege.operations and self._covers(privilege.domain, domain)
            for privilege in self.privileges
        )


SYSTEM = Principal(name="system", scopes=Scope.ADMIN)
"""The hub itself and its command line: may do everything."""
