"""User and token records as the core hands them out: what the security manager keeps and the bus announces.

Both `security` (which keeps them) and `events` (which carries them) import this module; it imports
neither, so the two do not depend on each other through it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from thinggate.core.scopes import ROLE_SCOPES, ROOT_DOMAIN, Privilege, Scope


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as the doors see it (never the password hash)."""

    username: str
    email: str = ""
    display_name: str = ""
    scopes: Scope = Scope.NONE
    allowed_thing_ids: frozenset[uuid.UUID] = frozenset()
    home_domain: str = ROOT_DOMAIN
    roles: tuple[str, ...] = ()
    privileges: tuple[Privilege, ...] = ()

    @property
    def effective_scopes(self) -> Scope:
        """The user's own scopes together with those its roles stand for."""
        scopes = self.scopes
        for role in self.roles:
            scopes |= ROLE_SCOPES.get(role, Scope.NONE)
        return scopes


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A login token as the doors list it (never the token or its hash)."""

    id: uuid.UUID
    username: str
    device_name: str
    created: datetime
