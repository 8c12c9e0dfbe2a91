"""Shared fixtures. Real peers live in tests/peers.py and are registered here by importing them."""

from __future__ import annotations

from tests.knxd import knxd_server
from tests.peers import postgres_server, postgres_url, sqlite_url

__all__ = ["knxd_server", "postgres_server", "postgres_url", "sqlite_url"]
