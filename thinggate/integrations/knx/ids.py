"""Stable ids for the KNX integration, derived from names so they survive restarts and releases."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("a0a6ed21-a834-4312-9744-4569977e04e7")


def kid(*parts: str) -> uuid.UUID:
    """The id of a KNX vendor, class, type or thing, e.g. kid("knxBlind", "state", "percentage")."""
    return uuid.uuid5(NAMESPACE, "/".join(parts))
