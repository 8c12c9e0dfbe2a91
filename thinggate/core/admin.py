"""Administering the hub: who may, and the hub-wide credentials and outbox an administrator manages.

One rule for every door and the dashboard. `may_administer` says whether any part of the
administration is a principal's (the dashboard shows its Administration section only then):
the Admin scope, or a privilege to create, change or remove users or domains somewhere. Users,
domains, roles and tokens are then changed through the Directory, which decides per user and
domain. What belongs to the whole hub (API keys of the registry door, OAuth clients of the
sensor-data door, integration keys, the lifecycle-event outbox) needs `administers_hub`: Admin
in the root domain.

`HubAdmin` changes the stored credentials on behalf of a principal, and then runs `changed`
(the hub's reloaders, as the command line's `reload` does): the doors that check them read them
again, so a key revoked here is refused at its door at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from thinggate.core.credentials import make_api_key, make_oauth_client
from thinggate.core.errors import HubFailure, PermissionDenied, UserFailure
from thinggate.core.scopes import OBJECT_DOMAIN, OBJECT_USER, ROOT_DOMAIN, Scope
from thinggate.core.security.manager import SecurityManager
from thinggate.core.security.principals import Principal
from thinggate.core.store import ApiKeyRecord, EventStore, OAuthClientRecord, OAuthStore, RegistryStore

MAX_NAME = 64
"""Longest name of an API key."""


class InvalidValue(HubFailure):
    """A value the administration refuses (an empty name, an unknown scope, a user that does not exist)."""


class UnknownItem(HubFailure):
    """No API key, OAuth client or hook with that id (or none the principal may see)."""


def may_administer(principal: Principal) -> bool:
    """Whether some part of the administration is the principal's (Admin, or rights to change users or domains)."""
    if principal.has_scope(Scope.ADMIN):
        return True
    return any(
        privilege.object in (OBJECT_USER, OBJECT_DOMAIN) and privilege.operations & {"C", "U", "D"}
        for privilege in principal.privileges
    )


def administers_hub(principal: Principal) -> bool:
    """Whether the principal administers the whole hub: Admin in the root domain."""
    return principal.has_scope(Scope.ADMIN) and principal.home_domain == ROOT_DOMAIN


def check_administers_hub(principal: Principal, what: str) -> None:
    """PermissionDenied unless the principal administers the whole hub."""
    if not administers_hub(principal):
        who = principal.name or "an anonymous caller"
        raise PermissionDenied(f"{who} may not {what}: that needs Admin in the root domain")


class AdminStore(RegistryStore, OAuthStore, EventStore, Protocol):
    """The part of the store the hub-wide credentials and the outbox live in."""


class HubAdmin:
    """API keys, OAuth clients and the outbox's depth, read and changed on behalf of a principal."""

    def __init__(
        self,
        store: AdminStore,
        security: SecurityManager,
        *,
        changed: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.security = security
        self.changed = changed
        """Run after every change: the doors read the credentials again (None: nothing to tell)."""

    async def _tell(self) -> None:
        if self.changed is not None:
            await self.changed()

    # -- registry API keys ------------------------------------------------------------------------

    async def api_keys(self, principal: Principal) -> list[ApiKeyRecord]:
        """Every API key, oldest first."""
        check_administers_hub(principal, "read the API keys")
        return list(await self.store.load_api_keys())

    async def add_api_key(self, principal: Principal, name: str) -> tuple[ApiKeyRecord, str]:
        """A new API key: its record and the key itself (shown only now)."""
        check_administers_hub(principal, "add API keys")
        name = name.strip()
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise InvalidValue(f"an API key's name is 1 to {MAX_NAME} printable characters")
        record, key = make_api_key(name)
        await self.store.save_api_key(record)
        await self._tell()
        return record, key

    async def revoke_api_key(self, principal: Principal, key_id: str) -> ApiKeyRecord:
        """Revoke an API key: the registry door refuses it from now on (the published one is made anew)."""
        check_administers_hub(principal, "revoke API keys")
        records = await self.store.load_api_keys()
        record = next((record for record in records if str(record.id) == _uuid_text(key_id)), None)
        if record is None:
            raise UnknownItem(f"no API key with id {key_id!r}")
        await self.store.delete_api_key(record.id)
        await self._tell()
        return record

    # -- OAuth clients of the sensor-data door ----------------------------------------------------

    async def oauth_clients(self, principal: Principal) -> list[OAuthClientRecord]:
        """Every OAuth client, oldest first."""
        check_administers_hub(principal, "read the OAuth clients")
        return list(await self.store.load_oauth_clients())

    async def add_oauth_client(
        self, principal: Principal, name: str, username: str, scopes: Iterable[str]
    ) -> tuple[OAuthClientRecord, str]:
        """A new OAuth client acting as `username`: its record and its secret (shown only now)."""
        check_administers_hub(principal, "add OAuth clients")
        try:
            user = self.security.user(username)
        except UserFailure:
            raise InvalidValue(f"no user named {username!r}") from None
        try:
            record, secret = make_oauth_client(name, user.username, list(scopes))
        except ValueError as exc:
            raise InvalidValue(str(exc)) from None
        await self.store.save_oauth_client(record)
        await self._tell()
        return record, secret

    async def revoke_oauth_client(self, principal: Principal, client_id: str) -> OAuthClientRecord:
        """Revoke an OAuth client: its tokens stop working at once."""
        check_administers_hub(principal, "revoke OAuth clients")
        records = await self.store.load_oauth_clients()
        record = next((record for record in records if record.client_id == client_id), None)
        if record is None:
            raise UnknownItem(f"no OAuth client with id {client_id!r}")
        await self.store.delete_oauth_client(record.client_id)
        await self._tell()
        return record

    # -- lifecycle events -------------------------------------------------------------------------

    async def outbox_depth(self, principal: Principal) -> int:
        """Lifecycle events stored and not yet acknowledged by the broker."""
        check_administers_hub(principal, "read the outbox")
        return await self.store.count_pending_events()


def _uuid_text(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text
