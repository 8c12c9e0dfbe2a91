"""The vocabulary of rights: the root domain, nymea's permission scopes, registry roles and privileges.

Plain values with no behaviour of the security manager: principals, user records and the doors
all speak of them, so they sit below every one of those.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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


# nymea's wire names in its declaration order (scopesToStringList lists them in this order).
_SCOPE_NAMES: dict[Scope, str] = {
    Scope.NONE: "PermissionScopeNone",
    Scope.CONTROL_THINGS: "PermissionScopeControlThings",
    Scope.CONFIGURE_THINGS: "PermissionScopeConfigureThings",
    Scope.ACCESS_ALL_THINGS: "PermissionScopeAccessAllThings",
    Scope.EXECUTE_RULES: "PermissionScopeExecuteRules",
    Scope.CONFIGURE_RULES: "PermissionScopeConfigureRules",
    Scope.ADMIN: "PermissionScopeAdmin",
}
_SCOPES_BY_NAME: dict[str, Scope] = {name: scope for scope, name in _SCOPE_NAMES.items()}


def _holds(scopes: Scope, flag: Scope) -> bool:
    """Qt's testFlag for a non-zero flag: every bit of `flag` is set."""
    return (scopes & flag) == flag


def scopes_to_names(scopes: Scope) -> list[str]:
    """nymea wire names of a scope set: every flag it holds, as nymea's scopesToStringList does."""
    if scopes == Scope.NONE:
        return [_SCOPE_NAMES[Scope.NONE]]
    return [name for flag, name in _SCOPE_NAMES.items() if flag != Scope.NONE and _holds(scopes, flag)]


def scopes_from_names(names: Iterable[str]) -> Scope:
    """The scope set named by nymea wire names (ValueError naming an unknown name)."""
    scopes = Scope.NONE
    for name in names:
        try:
            scopes |= _SCOPES_BY_NAME[name]
        except KeyError:
            raise ValueError(f"unknown permission scope {name!r}") from None
    return scopes


def scopes_consistent(scopes: Scope) -> bool:
    """Whether a scope set is one nymea accepts (UserManager::validateScopes)."""
    if _holds(scopes, Scope.ADMIN) or scopes in (Scope.NONE, Scope.CONTROL_THINGS):
        return True
    # Anything that acts on things or rules without AccessAllThings would act on things the
    # user cannot see; only a bare ControlThings (handled above) restricts to allowed things.
    # nymea's separate rule "ConfigureThings needs ControlThings and AccessAllThings" is
    # covered here: ConfigureThings carries the ControlThings bit.
    return _holds(scopes, Scope.ACCESS_ALL_THINGS) or not (
        _holds(scopes, Scope.CONTROL_THINGS)
        or _holds(scopes, Scope.EXECUTE_RULES)
        or _holds(scopes, Scope.CONFIGURE_RULES)
    )


ROLE_READ = "Read"
ROLE_READ_WRITE = "ReadWrite"
ROLE_ADMIN = "Admin"

ROLE_SCOPES: Mapping[str, Scope] = {
    ROLE_READ: Scope.ACCESS_ALL_THINGS,
    ROLE_READ_WRITE: Scope.CONTROL_THINGS | Scope.CONFIGURE_THINGS | Scope.ACCESS_ALL_THINGS,
    ROLE_ADMIN: Scope.ADMIN,
}
"""The registry roles and the scopes each one stands for."""

OPERATIONS = frozenset({"C", "R", "U", "D"})
"""Create, read, update, delete: the operations privileges and `Principal.may` speak of."""

_OPERATION_ORDER = "CRUD"

OBJECT_THING = "thing"
OBJECT_THING_TYPE = "thingtype"
OBJECT_DOMAIN = "domain"
OBJECT_USER = "user"
OBJECT_EVENT = "event"  # lifecycle events: read them, acknowledge them (UPDATE)

THING_OBJECTS = frozenset({OBJECT_THING, OBJECT_THING_TYPE, OBJECT_EVENT})
"""Objects the ReadWrite role may create, update and delete (events: acknowledge, as operators do)."""

OBJECTS = frozenset({OBJECT_THING, OBJECT_THING_TYPE, OBJECT_DOMAIN, OBJECT_USER, OBJECT_EVENT})
"""The kinds of object rights are given on (privileges may name others, for what doors add later)."""


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
