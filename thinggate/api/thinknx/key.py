"""The Integration Kit key of the cloud form (`/<KEY>/api/V1/...`): enabled, shown and regenerated.

Kept in the hub settings so that `thinggate thinknx key` can change it while the hub runs; the
running door reads it again when an unknown key arrives (at most every few seconds).
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
KEY_LENGTH = 32
REREAD_SECONDS = 2.0
_ALPHABET = string.ascii_letters + string.digits  # "an alphanumerical code"


class SettingsStore(Protocol):
    """The part of the store the key lives in."""

    async def load_hub_settings(self) -> dict[str, Any]:
        """Every hub setting."""

    async def save_hub_setting(self, key: str, value: Any) -> None:
        """Write one hub setting."""


@dataclass(frozen=True, slots=True)
class KeyState:
    """Whether the key is enabled, and the key."""

    enabled: bool = False
    key: str = ""


def key_fingerprint(key: str) -> str:
    """A short digest naming a key without keeping the key itself (with a hook, in a rate bucket)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else ""


def new_key() -> str:
    """A fresh random key."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))


async def load_key(store: SettingsStore) -> KeyState:
    """The stored key (disabled and empty when none was ever made)."""
    raw = (await store.load_hub_settings()).get(SETTING)
    if not isinstance(raw, dict):
        return KeyState()
    return KeyState(enabled=bool(raw.get("enabled")), key=str(raw.get("key") or ""))


async def save_key(store: SettingsStore, state: KeyState) -> None:
    """Store the key (written before the command that changed it answers)."""
    await store.save_hub_setting(SETTING, {"enabled": state.enabled, "key": state.key})


class IntegrationKey:
    """The door's view of the key: constant-time checks, re-read when an unknown key arrives."""

    def __init__(self, store: SettingsStore, state: KeyState | None = None) -> None:
        self._store = store
        self.state = state or KeyState()
        self._read_at = time.monotonic()
        self._reading = asyncio.Lock()

    async def load(self) -> None:
        """Read the key from the store."""
        self.state = await load_key(self._store)
        self._read_at = time.monotonic()

    def _matches(self, given: str) -> bool:
        key = self.state.key
        # compare_digest on equal-length inputs: neither content nor length leaks through timing.
        padded = given.encode()[: len(key)].ljust(len(key), b"\0")
        return self.state.enabled and bool(key) and hmac.compare_digest(padded, key.encode()) and len(given) == len(key)

    async def accepts(self, given: str) -> bool:
        """Whether `given` is the enabled key (as the store says it, at most a few seconds ago)."""
        # `thinggate thinknx key` changes the store while the hub runs: a key disabled or
        # replaced there must stop working here too, so the store is read again every few
        # seconds whatever key arrives (not only for unknown ones).
        if time.monotonic() - self._read_at > REREAD_SECONDS:
            async with self._reading:  # one read for everyone asking at that moment
                if time.monotonic() - self._read_at > REREAD_SECONDS:
                    await self.load()
        return self._matches(given)
