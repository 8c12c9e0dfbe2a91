"""Who may do what: principals, permission scopes, the domain tree, users, tokens and login limits.

One model for every door: nymea scopes, Ezlo READ/WRITE, Thinknx users, registry roles and
sensor-data token scopes are all expressed as a Principal with scopes, a home domain and
(optionally) a list of allowed things. `SecurityManager` owns users, tokens and domains and
writes every change through the store before it returns.

One concept per module: `thinggate.core.scopes` (scopes, roles, privileges: the vocabulary of
rights) and `thinggate.core.users` (user and token records) stand outside this package, since the
event bus carries them and must not depend on it; here `domains` (the domain tree), `principals`
(Principal), `manager` (users and tokens), `limiter` (failed-login throttling).
Every public name is re-exported here, so `from thinggate.core.security import X` keeps working.
"""

from __future__ import annotations

from thinggate.core.scopes import (
    OPERATIONS,
    ROLE_ADMIN,
    ROLE_READ,
    ROLE_READ_WRITE,
    ROLE_SCOPES,
    ROOT_DOMAIN,
    THING_OBJECTS,
    Privilege,
    Scope,
    scopes_consistent,
    scopes_from_names,
    scopes_to_names,
)
from thinggate.core.security.domains import DomainTree
from thinggate.core.security.limiter import LoginAttempt, LoginLimiter, LoginThrottled
from thinggate.core.security.manager import (
    DIGEST_ALGORITHMS,
    DIGEST_REALM_SETTING,
    STORE_REREAD_SECONDS,
    VERIFIED_CACHE_SECONDS,
    SecurityManager,
    digest_ha1,
    hash_token,
    new_digest_realm,
)
from thinggate.core.security.principals import SYSTEM, Principal
from thinggate.core.users import TokenInfo, UserInfo

__all__ = [
    "DIGEST_ALGORITHMS",
    "DIGEST_REALM_SETTING",
    "OPERATIONS",
    "ROLE_ADMIN",
    "ROLE_READ",
    "ROLE_READ_WRITE",
    "ROLE_SCOPES",
    "ROOT_DOMAIN",
    "STORE_REREAD_SECONDS",
    "SYSTEM",
    "THING_OBJECTS",
    "VERIFIED_CACHE_SECONDS",
    "DomainTree",
    "LoginAttempt",
    "LoginLimiter",
    "LoginThrottled",
    "Principal",
    "Privilege",
    "Scope",
    "SecurityManager",
    "TokenInfo",
    "UserInfo",
    "digest_ha1",
    "hash_token",
    "new_digest_realm",
    "scopes_consistent",
    "scopes_from_names",
    "scopes_to_names",
]
