"""Stable ids for the simulated house, derived from names so they survive restarts and releases."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("5a1d0c3e-8f1b-4a53-9b8e-2f7c6d1e0a10")


def vid(*parts: str) -> uuid.UUID:
    """The id of a virtual vendor, class or type, e.g. vid("blind", "state", "percentage")."""
    return uuid.uuid5(NAMESPACE, "/".join(parts))
