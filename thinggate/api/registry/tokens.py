"""Registry logins: an access token (1 h) and a refresh token (30 days), stored as SHA-256, revocable.

A login is one row of `registry_tokens`. Refresh gives the login a new access token (and keeps
its refresh token, as Cognito does); logout deletes the row, revoking both. A removed user's
logins stop working at once (its principal is gone); expired rows are deleted as they are met.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from thinggate.core.errors import UserFailure
from thinggate.core.security import Principal, SecurityManager
from thinggate.core.store import RegistryStore, RegistryTokenRecord


def _digest(token: str) -> str:
    # surrogateescape: a header's bytes that are not UTF-8 arrive as surrogates; they hash, as bytes, to no token.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedLogin:
    """The credentials of a login, shown to the client once."""

    id: uuid.UUID
    username: str
    token: str
    refresh_token: str


class RegistryTokens:
    """Every registry login, by the digests of its tokens; written through the store before it counts."""

    def __init__(
        self, store: RegistryStore, security: SecurityManager, *, access_seconds: float, refresh_days: float
    ) -> None:
        self.store = store
        self.security = security
        self.access_lifetime = timedelta(seconds=access_seconds)
        self.refresh_lifetime = timedelta(days=refresh_days)
        self._by_access: dict[str, RegistryTokenRecord] = {}
        self._by_refresh: dict[str, RegistryTokenRecord] = {}
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Read the logins from the store (at start and on `reload`), deleting those that can never work again.

        A login whose refresh token expired, or whose user is gone, is deleted here: a client that
        never comes back would otherwise leave its row forever.
        """
        now = datetime.now(UTC)
        live: list[RegistryTokenRecord] = []
        dead: list[uuid.UUID] = []
        for record in await self.store.load_registry_tokens():
            if record.refresh_expires <= now or self._principal(record) is None:
                dead.append(record.id)
            else:
                live.append(record)
        if dead:
            await self.store.delete_registry_tokens(dead)
        self._by_access = {record.access_hash: record for record in live}
        self._by_refresh = {record.refresh_hash: record for record in live}

    async def login(self, username: str) -> IssuedLogin:
        """A new login for a user whose password was checked."""
        now = datetime.now(UTC)
        token, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        record = RegistryTokenRecord(
            id=uuid.uuid4(),
            username=username,
            access_hash=_digest(token),
            access_expires=now + self.access_lifetime,
            refresh_hash=_digest(refresh),
            refresh_expires=now + self.refresh_lifetime,
            created=now,
        )
        async with self._lock:
            await self.store.save_registry_token(record)
            self._by_access[record.access_hash] = record
            self._by_refresh[record.refresh_hash] = record
        return IssuedLogin(record.id, username, token, refresh)

    async def refresh(self, refresh_token: str) -> IssuedLogin | None:
        """A new access token for a login's refresh token (None: unknown, expired or its user gone)."""
        now = datetime.now(UTC)
        async with self._lock:
            record = self._by_refresh.get(_digest(refresh_token)) if refresh_token else None
            if record is None:
                return None
            if record.refresh_expires <= now or self._principal(record) is None:
                await self._forget(record)
                return None
            token = secrets.token_urlsafe(32)
            renewed = replace(record, access_hash=_digest(token), access_expires=now + self.access_lifetime)
            await self.store.save_registry_token(renewed)
            self._by_access.pop(record.access_hash, None)
            self._by_access[renewed.access_hash] = renewed
            self._by_refresh[renewed.refresh_hash] = renewed
        return IssuedLogin(record.id, record.username, token, refresh_token)

    async def principal(self, token: str) -> tuple[Principal, uuid.UUID] | None:
        """The principal an access token stands for, with its login's id (None: unknown, expired or revoked)."""
        record = self._by_access.get(_digest(token)) if token else None
        if record is None:
            return None
        if record.access_expires <= datetime.now(UTC):
            if record.refresh_expires <= datetime.now(UTC):
                async with self._lock:
                    await self._forget(record)
            return None
        principal = self._principal(record)
        return (principal, record.id) if principal is not None else None

    async def logout(self, login_id: uuid.UUID) -> None:
        """End a login: its token and refresh token stop working."""
        async with self._lock:
            record = next((record for record in self._by_access.values() if record.id == login_id), None)
            if record is not None:
                await self._forget(record)

    def _principal(self, record: RegistryTokenRecord) -> Principal | None:
        try:
            return self.security.principal_for_user(record.username)
        except UserFailure:
            return None

    async def _forget(self, record: RegistryTokenRecord) -> None:
        await self.store.delete_registry_tokens([record.id])
        self._by_access.pop(record.access_hash, None)
        self._by_refresh.pop(record.refresh_hash, None)
