"""Fixtures for every test: the real peers (PostgreSQL in tests/peers.py, knxd in tests/knxd.py), registered here.

Each folder's own conftest.py has its rig as fixtures (tests/api/jsonrpc/, tests/api/thinknx/,
tests/integrations/knx/, tests/core/, ...).
"""

from __future__ import annotations

import thinggate.api.tls
import thinggate.storage
from tests.knxd import knxd_server
from tests.mosquitto import mosquitto
from tests.peers import postgres_server, postgres_url, sqlite_url

# In one long test process, migrations and self-signed certificates are made in-process: a child
# Python per fresh store or certificate would cost minutes. A real `serve` (subprocess tests, and
# tests/test_serve_modules.py) still takes the child route, which keeps a hub's memory small.
thinggate.storage.MIGRATE_IN_CHILD = False
thinggate.api.tls.MAKE_IN_CHILD = False

__all__ = ["knxd_server", "mosquitto", "postgres_server", "postgres_url", "sqlite_url"]
