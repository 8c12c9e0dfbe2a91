"""What the hub stored comes back after a restart, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.hubtools import param_id, running_hub, state_id, things_named
from thinggate.core.errors import ThingError
from thinggate.core.events import EventBus
from thinggate.core.hub import Hub
from thinggate.core.model import StateValueFilter
from thinggate.core.security import SYSTEM, SecurityManager
from thinggate.integrations.virtual import PLUGIN, VirtualIntegration
from thinggate.integrations.virtual.testbed import GENERIC_IO_MOCK, MOCK
from thinggate.storage import open_store

HTTPPORT = param_id(MOCK, "httpport")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str | None]:
    """Where the restarted hubs keep their data: a SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path, None
    return tmp_path, request.getfixturevalue("postgres_url")


@asynccontextmanager
async def restarted(
    database: tuple[Path, str | None], *, wait: bool = True
) -> AsyncIterator[tuple[Hub, VirtualIntegration]]:
    """One life of the hub on the given database."""
    store = await open_store(database[1], database[0])
    try:
        async with running_hub(store, wait_for_setup=wait) as running:
            yield running
    finally:
        await store.close()


async def test_things_params_names_settings_survive(database: tuple[Path, str | None]) -> None:
    setting1 = MOCK.settings_types[0].id
    async with restarted(database) as (hub, _):
        added = await hub.add_thing(SYSTEM, name="Mock", thing_class_id=MOCK.id, params=[(HTTPPORT, 4321)], room="Hall")
        assert added.ok and added.value is not None
        thing_id = added.value
        assert (await hub.edit_thing(SYSTEM, thing_id, "Renamed")).ok
        assert (await hub.set_thing_settings(SYSTEM, thing_id, [(setting1, 7)])).ok
        assert (await hub.set_state_logging(SYSTEM, thing_id, state_id(MOCK, "double"), True)).ok
        assert (await hub.set_state_filter(SYSTEM, thing_id, state_id(MOCK, "int"), StateValueFilter.ADAPTIVE)).ok
        auto_ids = {t.id for t in things_named(hub, "autoMock")}
        assert (await hub.set_plugin_configuration(SYSTEM, PLUGIN.id, [(PLUGIN.param_types[0].id, 13)])).ok
    async with restarted(database) as (hub, _):
        thing = hub.things[thing_id]
        assert (thing.name, thing.room, thing.params[HTTPPORT], thing.settings[setting1]) == (
            "Renamed",
            "Hall",
            4321,
            7,
        )
        assert state_id(MOCK, "double") in thing.logged_state_type_ids
        assert thing.states[state_id(MOCK, "int")].filter is StateValueFilter.ADAPTIVE
        assert {t.id for t in things_named(hub, "autoMock")} == auto_ids
        config = await hub.get_plugin_configuration(SYSTEM, PLUGIN.id)
        assert config.value is not None and config.value[PLUGIN.param_types[0].id] == 13


async def test_state_cache(database: tuple[Path, str | None]) -> None:
    async with restarted(database) as (hub, virtual):
        thing_id = (await hub.add_thing(SYSTEM, name="m", thing_class_id=MOCK.id, params=[(HTTPPORT, 1)])).value
        assert virtual.test_control is not None
        virtual.test_control.set_state(thing_id, "int", 77)  # cached
        virtual.test_control.set_state(thing_id, "bool", True)  # not cached
    async with restarted(database) as (hub, _):
        assert hub.things[thing_id].state_value("int") == 77  # type: ignore[index]
        assert hub.things[thing_id].state_value("bool") is False  # type: ignore[index]


async def test_removed_thing_stays_removed(database: tuple[Path, str | None]) -> None:
    async with restarted(database) as (hub, _):
        thing_id = (await hub.add_thing(SYSTEM, name="m", thing_class_id=MOCK.id, params=[(HTTPPORT, 1)])).value
        assert (await hub.remove_thing(SYSTEM, thing_id)).ok
    async with restarted(database) as (hub, _):
        assert thing_id not in hub.things
        assert (await hub.get_things(SYSTEM, thing_id=thing_id)).error is ThingError.THING_NOT_FOUND


async def test_io_connections_survive_and_keep_syncing(database: tuple[Path, str | None]) -> None:
    d_in, d_out = state_id(GENERIC_IO_MOCK, "digitalInput1"), state_id(GENERIC_IO_MOCK, "digitalOutput1")
    async with restarted(database) as (hub, _):
        io = (await hub.add_thing(SYSTEM, name="io", thing_class_id=GENERIC_IO_MOCK.id)).value
        connection = await hub.connect_io(SYSTEM, io, d_in, io, d_out, True)
        assert connection.ok
    async with restarted(database) as (hub, virtual):
        assert [c.id for c in (await hub.get_io_connections(SYSTEM)).value or []] == [connection.value]
        assert virtual.test_control is not None
        virtual.test_control.set_state(io, "digitalInput1", True)
        for _ in range(200):
            if hub.things[io].state_value("digitalOutput1") is False:  # type: ignore[index]
                break
            import asyncio

            await asyncio.sleep(0.01)
        assert hub.things[io].state_value("digitalOutput1") is False  # type: ignore[index]


async def test_history_is_appended(database: tuple[Path, str | None]) -> None:
    int_state = state_id(MOCK, "int")
    async with restarted(database) as (hub, virtual):
        thing_id = (await hub.add_thing(SYSTEM, name="m", thing_class_id=MOCK.id, params=[(HTTPPORT, 1)])).value
        assert (await hub.set_state_logging(SYSTEM, thing_id, int_state, True)).ok
        assert virtual.test_control is not None
        for value in (1, 2, 3):
            virtual.test_control.set_state(thing_id, "int", value)
    async with restarted(database) as (hub, _):
        history = (await hub.history(SYSTEM, thing_id, int_state)).value
        assert [entry.value for entry in history or []] == [1, 2, 3]


async def test_users_tokens_and_domains_survive(database: tuple[Path, str | None]) -> None:
    store = await open_store(database[1], database[0])
    security = SecurityManager(store, bus=EventBus())
    await security.load()
    await security.create_user("dummy", "DummyPW1!")
    token = await security.authenticate("Dummy", "DummyPW1!", "phone")
    assert token is not None
    await security.add_domain("site-a")
    await store.close()

    store = await open_store(database[1], database[0])
    security = SecurityManager(store, bus=EventBus())
    await security.load()
    principal = await security.principal_for_token(token)
    assert principal is not None and principal.name == "dummy"
    assert "site-a" in security.domains
    await store.close()
