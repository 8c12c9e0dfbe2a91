"""Credentials the hub hands to other systems' clients: registry API keys and sensor-data OAuth clients.

Made, hashed and checked in one place, so that the door that accepts them, the command line and
the dashboard's administration make them alike. Both are stored as their SHA-256 only (a key or
secret is 240-256 random bits: a slow hash would add nothing) and shown once, when made.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import UTC, datetime

from thinggate.core.store import ApiKeyRecord, OAuthClientRecord

# -- registry API keys (`x-api-key`) ---------------------------------------------------------------


def new_api_key() -> str:
    """A fresh key: 40 URL-safe characters (240 random bits)."""
    return secrets.token_urlsafe(30)


def hash_api_key(key: str) -> str:
    """The SHA-256 hex digest a key is stored and looked up by."""
    # surrogateescape: a header's bytes that are not UTF-8 arrive as surrogates; they hash, as bytes, to no key.
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def make_api_key(name: str, *, published: bool = False) -> tuple[ApiKeyRecord, str]:
    """A new key's record and the key itself (shown once)."""
    key = new_api_key()
    record = ApiKeyRecord(
        id=uuid.uuid4(),
        name=name,
        key_hash=hash_api_key(key),
        created=datetime.now(UTC),
        published_key=key if published else None,
    )
    return record, key


# -- OAuth clients of the sensor-data door (client credentials) -------------------------------------

SCOPE_ALL = "itwin-platform"
SCOPE_READ = "sensor-data:read"
SCOPE_MODIFY = "sensor-data:modify"
OAUTH_SCOPES = (SCOPE_ALL, SCOPE_READ, SCOPE_MODIFY)
"""The scopes a client may be given (itwin-platform: everything)."""

_CLIENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest a client secret is stored and checked by."""
    # surrogateescape: bytes that are not UTF-8 arrive as surrogates; they hash, as bytes, to no secret.
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def make_oauth_client(name: str, username: str, scopes: list[str]) -> tuple[OAuthClientRecord, str]:
    """A new client's record and its secret (shown once); ValueError for a bad name or scope."""
    if not _CLIENT_NAME.fullmatch(name):
        raise ValueError(f"client name {name!r}: 1-64 of A-Z a-z 0-9 space . _ -, starting with a letter or digit")
    unknown = [scope for scope in scopes if scope not in OAUTH_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; use {', '.join(OAUTH_SCOPES)}")
    secret = secrets.token_urlsafe(32)
    record = OAuthClientRecord(
        client_id=f"service-{secrets.token_hex(12)}",
        name=name,
        username=username,
        secret_hash=hash_secret(secret),
        scopes=list(dict.fromkeys(scopes or [SCOPE_ALL])),
        created=datetime.now(UTC),
    )
    return record, secret
