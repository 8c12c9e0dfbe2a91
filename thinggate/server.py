"""The composition root: configuration -> storage -> security -> hub -> integrations -> doors."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass

from thinggate.config import Config
from thinggate.core.hub import Hub
from thinggate.core.security import SecurityManager
from thinggate.core.store import Store
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.storage import open_store

_LOG = logging.getLogger(__name__)


@dataclass(slots=True)
class Server:
    """A running thinggate: its store, security manager, hub and integrations."""

    config: Config
    store: Store
    security: SecurityManager
    hub: Hub
    virtual: VirtualIntegration | None

    async def stop(self) -> None:
        """Stop the hub (flushing state values) and close storage."""
        await self.hub.stop()
        await self.store.close()


async def start_server(config: Config, *, demo: bool = False) -> Server:
    """Open storage, load users and start the hub with its integrations."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_store(config.database, config.data_dir)
    security = SecurityManager(store)
    await security.load()
    hub = Hub(store=store)
    virtual: VirtualIntegration | None = None
    if config.virtual.enabled:
        virtual = VirtualIntegration(
            time_scale=config.virtual.time_scale,
            test_control=config.virtual.test_control,
            test_control_port=config.virtual.test_control_port,
            auto_things=config.virtual.auto_things,
        )
        hub.register(virtual)
    await hub.start()
    if demo and virtual is not None:
        from thinggate.integrations.virtual.demo import populate

        await hub.wait_until_set_up()
        await populate(hub, virtual)
    _LOG.info("thinggate is up: %d things, data in %s", len(hub.things), config.data_dir)
    return Server(config=config, store=store, security=security, hub=hub, virtual=virtual)


async def serve(config: Config, *, demo: bool = False, ready: asyncio.Event | None = None) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly."""
    # Handlers first: a SIGTERM that arrives while the hub starts must still stop it cleanly.
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    server = await start_server(config, demo=demo)
    if ready is not None:
        ready.set()
    try:
        await stopping.wait()
    finally:
        _LOG.info("stopping")
        await server.stop()
