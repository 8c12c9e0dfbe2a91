"""Who may do what: principals, permission scopes and the domain tree.

One model for every door: nymea scopes, Ezlo READ/WRITE, Thinknx users, registry roles and
sensor-data token scopes are all expressed as a Principal with scopes, a home domain and
(optionally) a list of allowed things.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

from thinggate.core.model import Thing

ROOT_DOMAIN = "root"


class Scope(enum.IntFlag):
    """nymea's permission scopes; higher scopes include the bits of the ones they imply."""

    NONE = 0x0000
    CONTROL_THINGS = 0x0001
    CONFIGURE_THINGS = 0x0003
    ACCESS_ALL_THINGS = 0x0004
    EXECUTE_RULES = 0x0010
    CONFIGURE_RULES = 0x0030
    ADMIN = 0xFFFF


class DomainTree:
    """The tree of domains (tenants, sites, floors); `root` is at the top."""

    def __init__(self) -> None:
        self._parents: dict[str, str | None] = {ROOT_DOMAIN: None}

    def add(self, name: str, parent: str = ROOT_DOMAIN) -> None:
        """Add a domain under an existing parent (KeyError if the parent is unknown)."""
        if parent not in self._parents:
            raise KeyError(f"unknown parent domain {parent!r}")
        self._parents[name] = parent

    def remove(self, name: str) -> None:
        """Remove a leaf domain (ValueError for root or a domain with children)."""
        if name == ROOT_DOMAIN:
            raise ValueError("the root domain cannot be removed")
        if any(parent == name for parent in self._parents.values()):
            raise ValueError(f"domain {name!r} has child domains")
        self._parents.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._parents

    def parent(self, name: str) -> str | None:
        """The parent of a domain (None for root or an unknown domain)."""
        return self._parents.get(name)

    def children(self, name: str) -> list[str]:
        """The direct children of a domain."""
        return [child for child, parent in self._parents.items() if parent == name]

    def names(self) -> list[str]:
        """Every domain name."""
        return list(self._parents)

    def covers(self, home: str, domain: str) -> bool:
        """Whether `domain` is `home` or below it (never upward or sideways)."""
        current: str | None = domain
        # Bounded walk: a tree deeper than its size would mean a cycle.
        for _ in range(len(self._parents) + 1):
            if current is None:
                return False
            if current == home:
                return True
            current = self._parents.get(current)
        return False


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a user (or system part) with scopes, a home domain and allowed things."""

    name: str
    scopes: Scope = Scope.NONE
    home_domain: str = ROOT_DOMAIN
    allowed_thing_ids: frozenset[uuid.UUID] = frozenset()
    domains: DomainTree | None = field(default=None, compare=False, repr=False)

    def has_scope(self, scope: Scope) -> bool:
        """Whether the principal holds every bit of `scope` (Admin holds all)."""
        return (self.scopes & Scope.ADMIN) == Scope.ADMIN or (self.scopes & scope) == scope

    def covers_domain(self, domain: str) -> bool:
        """Whether the principal's home domain covers `domain`."""
        if self.home_domain == ROOT_DOMAIN:
            return True
        if self.domains is None:
            return domain == self.home_domain
        return self.domains.covers(self.home_domain, domain)

    def may_see(self, thing: Thing) -> bool:
        """Whether the thing exists for this principal at all."""
        if not self.covers_domain(thing.domain):
            return False
        return self.has_scope(Scope.ACCESS_ALL_THINGS) or thing.id in self.allowed_thing_ids


SYSTEM = Principal(name="system", scopes=Scope.ADMIN)
"""The hub itself and its command line: may do everything."""
