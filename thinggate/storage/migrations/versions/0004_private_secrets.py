"""Secrets at rest: digest secrets of the fixed realm dropped, the Integration Kit key hashed.

Digest secrets are H(user:realm:password), made until now for the realm "thinggate" that every
hub shared and for every user: an unsalted MD5 that logs in as well as the password. From now
on a user has them only when opted in (`thinggate user digest NAME --enable`), for a realm of
the installation's own; the old ones are dropped here and their users opt in again.

The Integration Kit key was kept in clear in the hub settings; only its SHA-256 is kept now
(the door checks a key against it; nothing is lost: the same key keeps working).

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-12
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As thinggate.api.thinknx.key stores it (written out: a migration must not change with the code).
_KEY_SETTING = "thinknx.integration_key"


def upgrade() -> None:
    """Empty every users.digest_ha1; replace a clear integration key by {"enabled", "key_sha256"}."""
    connection = op.get_bind()
    connection.execute(sa.text("UPDATE users SET digest_ha1 = '{}' WHERE digest_ha1 <> '{}'"))
    stored = connection.execute(
        sa.text("SELECT value FROM hub_settings WHERE key = :key"), {"key": _KEY_SETTING}
    ).scalar()
    if stored is None:
        return
    try:
        value = json.loads(stored)
    except ValueError:
        return  # not ours to judge: the key's loader treats it as no key
    if not isinstance(value, dict) or "key" not in value:
        return
    key = str(value.get("key") or "")
    hashed = {
        "enabled": bool(value.get("enabled")),
        "key_sha256": hashlib.sha256(key.encode()).hexdigest() if key else "",
    }
    connection.execute(
        sa.text("UPDATE hub_settings SET value = :value WHERE key = :key"),
        {"value": json.dumps(hashed, separators=(",", ":")), "key": _KEY_SETTING},
    )


def downgrade() -> None:
    """Nothing to restore: dropped secrets and a hashed key cannot be made back.

    An older version then remakes a user's digest secrets at its next basic login, and finds no
    integration key (`thinggate thinknx key --regenerate` makes a new one).
    """
