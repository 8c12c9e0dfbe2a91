"""The registry's API keys (`x-api-key`): stored as SHA-256, checked by digest, one of them published.

MIC's API key identifies the calling application, not a person: its SDKs read it from
`/<stack>/metadata/manifest`, which needs no credentials. That published key is therefore public
by design and the store keeps it in clear beside its hash; every other key is shown once when it
is made (`thinggate apikey add`, the dashboard's administration) and kept as its hash only;
thinggate.core.credentials makes and hashes them.
"""

from __future__ import annotations

from thinggate.core.credentials import hash_api_key, make_api_key
from thinggate.core.store import RegistryStore

PUBLISHED_NAME = "manifest"
"""The name of the key the manifest hands out."""


class ApiKeys:
    """The keys the door accepts, read from the store (again on `reload`)."""

    def __init__(self, store: RegistryStore, *, publish: bool) -> None:
        self.store = store
        self.publish = publish
        self._hashes: frozenset[str] = frozenset()
        self.published: str | None = None

    async def load(self) -> None:
        """Read the keys; with `publish`, make the published key on first start."""
        records = await self.store.load_api_keys()
        if self.publish and not any(record.published_key for record in records):
            record, _ = make_api_key(PUBLISHED_NAME, published=True)
            await self.store.save_api_key(record)
            records.append(record)
        self._hashes = frozenset(record.key_hash for record in records)
        published = [record.published_key for record in records if record.published_key]
        self.published = published[0] if self.publish and published else None

    def accepts(self, key: str | None) -> bool:
        """Whether a key sent as x-api-key is one of the hub's."""
        if not key:
            return False
        # Looked up by digest: timing reveals nothing about the bytes of a stored key.
        return hash_api_key(key) in self._hashes
