"""OAuth clients of the sensor-data door: made, listed and revoked by `thinggate oauth-client` and the
dashboard's administration (thinggate.core.credentials makes them), checked here.

A client has an id (`client_id`), a secret shown once when it is made and stored as its SHA-256
(it is 256 random bits: a slow hash would add nothing), the user it acts as and the scopes it may
ask for. The hub keeps them in memory, read from the store at start and on the control socket's
`reload` (the command line sends it after a change), and reads them again when a token request
names a client it does not know: a client made while the hub runs gets a token at once, even from
a hub that shares the database and was not told.
"""

from __future__ import annotations

import asyncio
import hmac
import time

from thinggate.core.credentials import SCOPE_ALL, hash_secret
from thinggate.core.store import OAuthClientRecord, OAuthStore

OTHER_PLATFORM_SCOPES = frozenset({"users:read", "itwins:read", "itwins:modify"})
"""iTwin platform scopes a sensor-data client may ask for beside ours: accepted, and they grant nothing here."""


def grants(scopes: frozenset[str] | set[str] | list[str], wanted: str) -> bool:
    """Whether scopes grant `wanted` (sensor-data:read or :modify); itwin-platform grants both."""
    return SCOPE_ALL in scopes or wanted in scopes


class OAuthClients:
    """The clients the door knows, by id; read from the store (again on `reload`)."""

    def __init__(self, store: OAuthStore) -> None:
        self.store = store
        self._clients: dict[str, OAuthClientRecord] = {}
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Read every client from the store."""
        records = await self.store.load_oauth_clients()
        self._clients = {record.client_id: record for record in records}
        self._read_at = time.monotonic()

    def ids(self) -> set[str]:
        """The ids of every client known now."""
        return set(self._clients)

    def get(self, client_id: str) -> OAuthClientRecord | None:
        """A client by id (None once it is revoked and the hub has reloaded)."""
        return self._clients.get(client_id)

    async def authenticate(self, client_id: str, secret: str) -> OAuthClientRecord | None:
        """The client whose id and secret these are, or None."""
        record = self._clients.get(client_id)
        if record is None and client_id:
            asked_at = time.monotonic()
            async with self._lock:
                # One read serves every request that was waiting for it. A guesser's unknown ids cost a
                # read each only until the shared lockout stops its address (each is a failed login).
                if self._read_at <= asked_at:
                    await self.load()
            record = self._clients.get(client_id)
        # The digest is compared whatever was found: the time taken tells nothing about which ids exist.
        expected = record.secret_hash if record is not None else "0" * 64
        matches = hmac.compare_digest(hash_secret(secret), expected)
        return record if record is not None and matches else None
