"""The Integration Kit key of the cloud form (`/<KEY>/api/V1/...`): enabled, made and regenerated.

Kept in the hub settings so that `thinggate thinknx key` can change it while the hub runs; the
running door reads it again every few seconds. Only its SHA-256 is stored: a key is 256 random
bits, so a plain hash cannot be searched back to it, and a copy of the database does not open
the door. The key itself is shown once, when it is made or regenerated.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any, Protocol

SETTING = "thinknx.integration_key"
KEY_LENGTH = 43
"""Characters of a new key: 43 of 62 letters and digits are 256 bits (keys of older versions had 32)."""
REREAD_SECONDS = 2.0
_ALPHABET = string.ascii_letters + string.digits  # "an alphanumerical code"


class SettingsStore(Protocol):
    """The part of the store the key lives in."""

    async def load_hub_settings(self) -> dict[str, Any]:
        """Every hub setting."""

    async def save_hub_setting(self, key: str, value: Any) -> None:
        """Write one hub setting."""


def hash_key(key: str) -> str:
    """The SHA-256 hex digest a key is stored as."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_fingerprint(key: str) -> str:
    """A short digest naming a key without keeping the key itself (with a hook, in a rate bucket)."""
    return hash_key(key)[:16] if key else ""


@dataclass(frozen=True, slots=True)
class KeyState:
    """Whether the key is enabled, and its SHA-256 ("" when none was ever made)."""

    enabled: bool = False
    key_hash: str = ""

    @classmethod
    def of(cls, key: str, *, enabled: bool) -> KeyState:
        """The state of a key given in clear (a new one, or one an older version stored)."""
        return cls(enabled=enabled, key_hash=hash_key(key) if key else "")

    @property
    def is_set(self) -> bool:
        """Whether a key was made."""
        return bool(self.key_hash)

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint (as `key_fingerprint` of the key gives it)."""
        return self.key_hash[:16]

    def accepts(self, given: str) -> bool:
        """Whether `given` is this key and the key is enabled (compared in constant time)."""
        if not (self.enabled and self.key_hash):
            return False
        # Digests of equal length: neither the key's content nor its length leaks through timing.
        return hmac.compare_digest(hash_key(given).encode(), self.key_hash.encode())


def new_key() -> str:
    """A fresh random key."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))


async def load_key(store: SettingsStore) -> KeyState:
    """The stored key (disabled and unset when none was ever made); one stored in clear is hashed now."""
    raw = (await store.load_hub_settings()).get(SETTING)
    if not isinstance(raw, dict):
        return KeyState()
    if "key" in raw:
        # Stored in clear by an older version: keep the same key, as its hash from now on.
        state = KeyState.of(str(raw.get("key") or ""), enabled=bool(raw.get("enabled")))
        await save_key(store, state)
        return state
    return KeyState(enabled=bool(raw.get("enabled")), key_hash=str(raw.get("key_sha256") or ""))


async def save_key(store: SettingsStore, state: KeyState) -> None:
    """Store the key's state (written before the command that changed it answers)."""
    await store.save_hub_setting(SETTING, {"enabled": state.enabled, "key_sha256": state.key_hash})


class IntegrationKey:
    """The door's view of the key: constant-time checks against the stored hash, read again every few seconds."""

    def __init__(self, store: SettingsStore, state: KeyState | None = None) -> None:
        self._store = store
        self.state = state or KeyState()
        self._read_at = time.monotonic()
        self._reading = asyncio.Lock()

    async def load(self) -> None:
        """Read the key from the store."""
        self.state = await load_key(self._store)
        self._read_at = time.monotonic()

    async def accepts(self, given: str) -> bool:
        """Whether `given` is the enabled key (as the store says it, at most a few seconds ago)."""
        # `thinggate thinknx key` changes the store while the hub runs: a key disabled or
        # replaced there must stop working here too, so the store is read again every few
        # seconds whatever key arrives (not only for unknown ones).
        if time.monotonic() - self._read_at > REREAD_SECONDS:
            async with self._reading:  # one read for everyone asking at that moment
                if time.monotonic() - self._read_at > REREAD_SECONDS:
                    await self.load()
        return self.state.accepts(given)
