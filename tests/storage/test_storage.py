"""The store on a real SQLite file and a real PostgreSQL server (and MemoryStore, which must agree)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import stat
import sys
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, insert, text

from tests.storage.backends import all_backends, new_id, sql_backends
from thinggate.core.store import (
    DomainRecord,
    HistoryEntry,
    IOConnectionRecord,
    Store,
    ThingRecord,
    TokenRecord,
    UserRecord,
)
from thinggate.storage import SqlStore, StoreClosedError, alembic_config, database_url, open_store, sql, tables
from thinggate.storage.memory import MemoryStore
from thinggate.storage.sql import make_engine
from thinggate.storage.tables import metadata

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def thing(**changes: Any) -> ThingRecord:
    """A thing record with every field set to something other than its default."""
    record = ThingRecord(
        id=new_id(),
        thing_class_id=new_id(),
        plugin_id=new_id(),
        name="Living room light",
        params={new_id(): "192.168.1.20", new_id(): 502, new_id(): 2.5, new_id(): True, new_id(): None},
        settings={new_id(): {"nested": [1, "two", 3.0, None, {"deep": False}]}, new_id(): ["a", "b"]},
        parent_id=new_id(),
        auto_created=True,
        domain="site-a",
        room="Kitchen",
        logged_state_type_ids=[new_id(), new_id()],
        logged_event_type_ids=[new_id()],
        logged_action_type_ids=[new_id(), new_id(), new_id()],
        state_filters={new_id(): "adaptive"},
    )
    return replace(record, **changes)


def user(username: str = "alice", **changes: Any) -> UserRecord:
    """A user record with every field set."""
    record = UserRecord(
        username=username,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        email=f"{username}@example.org",
        display_name=username.title(),
        home_domain="site-a",
        roles=["ReadWrite"],
        scopes=["ControlThings", "ConfigureThings"],
        allowed_thing_ids=[new_id(), new_id()],
        privileges=[{"object": "things", "domain": "site-a", "operations": ["C", "R"]}],
        digest_ha1={"MD5": "0" * 32, "SHA-256": "1" * 64},
    )
    return replace(record, **changes)


def token(username: str = "alice", created: datetime | None = None) -> TokenRecord:
    """A token record of a user."""
    return TokenRecord(
        id=new_id(),
        username=username,
        token_hash=uuid.uuid4().hex * 2,
        device_name="phone",
        created=created or datetime.now(UTC),
    )


async def save_everything(store: Store) -> dict[str, Any]:
    """Store one or more records of every kind; returns what load_* should give back."""
    parent = thing(parent_id=None, auto_created=False, domain="root", room="")
    child = thing(parent_id=parent.id)
    bare = ThingRecord(id=new_id(), thing_class_id=new_id(), plugin_id=new_id(), name="", params={}, settings={})
    for record in (parent, child, bare):
        await store.save_thing(record)
    state_type = new_id()
    await store.save_states([(parent.id, state_type, 21.5), (child.id, state_type, {"r": 1, "g": 2})])
    plugin_id = new_id()
    configuration = {new_id(): "secret", new_id(): [1, 2]}
    await store.save_plugin_configuration(plugin_id, configuration)
    connection = IOConnectionRecord(new_id(), parent.id, new_id(), child.id, new_id(), inverted=True)
    await store.save_io_connection(connection)
    history_entry = HistoryEntry(
        datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC), parent.id, "state", state_type, 21.5
    )
    await store.append_history([history_entry])
    alice = user("alice")
    await store.save_user(alice)
    alice_token = token("alice", datetime(2024, 5, 2, 8, 30, tzinfo=UTC))
    await store.save_token(alice_token)
    domains = [DomainRecord("root", None), DomainRecord("site-a", "root", "The first site")]
    for domain in domains:
        await store.save_domain(domain)
    return {
        "things": [parent, child, bare],
        "states": {parent.id: {state_type: 21.5}, child.id: {state_type: {"r": 1, "g": 2}}},
        "plugin_configurations": {plugin_id: configuration},
        "io_connections": [connection],
        "history": (parent.id, [history_entry]),
        "users": [alice],
        "tokens": [alice_token],
        "domains": domains,
    }


async def assert_holds(store: Store, expected: dict[str, Any]) -> None:
    """The store gives back exactly what save_everything stored."""
    assert sorted(await store.load_things(), key=lambda r: str(r.id)) == sorted(
        expected["things"], key=lambda r: str(r.id)
    )
    assert await store.load_states() == expected["states"]
    assert await store.load_plugin_configurations() == expected["plugin_configurations"]
    assert await store.load_io_connections() == expected["io_connections"]
    thing_id, entries = expected["history"]
    assert await store.load_history(thing_id) == entries
    assert await store.load_users() == expected["users"]
    assert await store.load_tokens() == expected["tokens"]
    assert sorted(await store.load_domains(), key=lambda d: d.name) == expected["domains"]


# --- round trips --------------------------------------------------------------------------


@all_backends()
async def test_an_empty_store_has_nothing(store: Store) -> None:
    assert await store.load_things() == []
    assert await store.load_states() == {}
    assert await store.load_plugin_configurations() == {}
    assert await store.load_io_connections() == []
    assert await store.load_history(new_id()) == []
    assert await store.load_users() == []
    assert await store.load_tokens() == []
    assert await store.load_domains() == []


@all_backends()
async def test_every_record_type_round_trips(store: Store) -> None:
    expected = await save_everything(store)
    await assert_holds(store, expected)


@all_backends()
async def test_things_are_replaced_by_id(store: Store) -> None:
    first = thing()
    await store.save_thing(first)
    renamed = replace(first, name="Hall light", params={new_id(): "x"}, parent_id=None, room="Hall")
    await store.save_thing(renamed)
    assert await store.load_things() == [renamed]


@all_backends()
async def test_param_keys_come_back_as_uuids(store: Store) -> None:
    record = thing()
    await store.save_thing(record)
    (loaded,) = await store.load_things()
    assert all(isinstance(key, uuid.UUID) for key in (*loaded.params, *loaded.settings, *loaded.state_filters))
    assert all(isinstance(key, uuid.UUID) for key in loaded.logged_state_type_ids)


@all_backends()
async def test_loaded_records_are_copies(store: Store) -> None:
    record = thing()
    await store.save_thing(record)
    record.params.clear()  # the caller's object is not the stored one
    (loaded,) = await store.load_things()
    assert loaded.params
    loaded.settings.clear()  # neither is what a load hands out
    (again,) = await store.load_things()
    assert again.settings


@all_backends()
async def test_values_that_are_not_json_are_refused(store: Store) -> None:
    with pytest.raises(TypeError):
        await store.save_states([(new_id(), new_id(), object())])
    assert await store.load_states() == {}


@all_backends()
async def test_many_things_at_once(store: Store) -> None:
    records = [thing(name=f"thing {n}") for n in range(2500)]
    assert isinstance(store, MemoryStore | SqlStore)  # bulk saving is beyond the protocol
    await store.save_things(records)
    loaded = await store.load_things()
    assert sorted(loaded, key=lambda r: str(r.id)) == sorted(records, key=lambda r: str(r.id))


# --- deleting things ----------------------------------------------------------------------


@all_backends()
async def test_deleting_things_deletes_their_states_and_io_connections(store: Store) -> None:
    a, b, c = thing(), thing(), thing()
    for record in (a, b, c):
        await store.save_thing(record)
    state_type = new_id()
    await store.save_states([(a.id, state_type, 1), (b.id, state_type, 2), (c.id, state_type, 3)])
    a_to_b = IOConnectionRecord(new_id(), a.id, new_id(), b.id, new_id(), inverted=False)
    b_to_a = IOConnectionRecord(new_id(), b.id, new_id(), a.id, new_id(), inverted=True)
    b_to_c = IOConnectionRecord(new_id(), b.id, new_id(), c.id, new_id(), inverted=False)
    for connection in (a_to_b, b_to_a, b_to_c):
        await store.save_io_connection(connection)

    await store.delete_things([a.id])

    assert sorted(r.id for r in await store.load_things()) == sorted([b.id, c.id])
    assert await store.load_states() == {b.id: {state_type: 2}, c.id: {state_type: 3}}
    assert await store.load_io_connections() == [b_to_c]


@all_backends()
async def test_deleting_many_things_and_unknown_ids(store: Store) -> None:
    records = [thing() for _ in range(1500)]  # more ids than one DELETE statement takes
    assert isinstance(store, MemoryStore | SqlStore)
    await store.save_things(records)
    await store.save_states([(record.id, new_id(), n) for n, record in enumerate(records)])
    survivor = records.pop()
    await store.delete_things([record.id for record in records] + [new_id()])
    assert await store.load_things() == [survivor]
    assert list(await store.load_states()) == [survivor.id]
    await store.delete_things([])  # nothing to do, no error


# --- state cache --------------------------------------------------------------------------


@all_backends()
async def test_state_batches_upsert(store: Store) -> None:
    thing_1, thing_2 = new_id(), new_id()
    power, brightness, colour = new_id(), new_id(), new_id()
    await store.save_states([(thing_1, power, True), (thing_1, brightness, 40), (thing_2, power, False)])
    await store.save_states(
        [
            (thing_1, brightness, 75),  # updated
            (thing_2, colour, "#ff0000"),  # added
            (thing_2, power, None),  # a null value is a value
            (thing_1, power, False),
            (thing_1, power, True),  # the last value of a key in a batch wins
        ]
    )
    await store.save_states([])
    assert await store.load_states() == {
        thing_1: {power: True, brightness: 75},
        thing_2: {power: None, colour: "#ff0000"},
    }


@all_backends()
async def test_state_values_keep_their_json_types(store: Store) -> None:
    thing_id = new_id()
    values: dict[uuid.UUID, Any] = {
        new_id(): 0,
        new_id(): -12,
        new_id(): 2**53,
        new_id(): 0.1,
        new_id(): 1.0,
        new_id(): "",
        new_id(): "ünïcode ✓",
        new_id(): [1, [2, [3]]],
        new_id(): {"a": {"b": None}},
        new_id(): False,
    }
    await store.save_states([(thing_id, key, value) for key, value in values.items()])
    loaded = (await store.load_states())[thing_id]
    assert loaded == values
    assert {key: type(value) for key, value in loaded.items()} == {key: type(value) for key, value in values.items()}


# --- plugin configurations and IO connections -----------------------------------------------


@all_backends()
async def test_plugin_configurations_are_replaced(store: Store) -> None:
    plugin_1, plugin_2, param = new_id(), new_id(), new_id()
    await store.save_plugin_configuration(plugin_1, {param: 1})
    await store.save_plugin_configuration(plugin_2, {})
    await store.save_plugin_configuration(plugin_1, {param: 2, new_id(): "x"})
    loaded = await store.load_plugin_configurations()
    assert set(loaded) == {plugin_1, plugin_2}
    assert loaded[plugin_1][param] == 2 and len(loaded[plugin_1]) == 2
    assert loaded[plugin_2] == {}


@all_backends()
async def test_io_connections_are_replaced_and_deleted(store: Store) -> None:
    first = IOConnectionRecord(new_id(), new_id(), new_id(), new_id(), new_id(), inverted=False)
    second = IOConnectionRecord(new_id(), new_id(), new_id(), new_id(), new_id(), inverted=True)
    await store.save_io_connection(first)
    await store.save_io_connection(second)
    first = replace(first, inverted=True, output_thing_id=new_id())
    await store.save_io_connection(first)
    assert sorted(await store.load_io_connections(), key=lambda r: str(r.id)) == sorted(
        [first, second], key=lambda r: str(r.id)
    )
    await store.delete_io_connection(second.id)
    await store.delete_io_connection(new_id())  # unknown: no error
    assert await store.load_io_connections() == [first]


# --- history ------------------------------------------------------------------------------


@all_backends()
async def test_history_is_loaded_newest_entries_oldest_first(store: Store) -> None:
    thing_id, other_thing = new_id(), new_id()
    temperature, switched = new_id(), new_id()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    entries = [
        HistoryEntry(
            start + timedelta(seconds=n), thing_id, "state" if n % 3 else "event", temperature if n % 3 else switched, n
        )
        for n in range(30)
    ]
    noise = [HistoryEntry(start, other_thing, "state", temperature, "other")]
    # In several batches, as the hub flushes them; one batch interleaves another thing.
    await store.append_history(entries[:10])
    await store.append_history(noise + entries[10:25])
    await store.append_history([])
    await store.append_history(entries[25:])

    assert await store.load_history(thing_id) == entries
    assert await store.load_history(thing_id, limit=5) == entries[-5:]
    of_temperature = [entry for entry in entries if entry.type_id == temperature]
    assert await store.load_history(thing_id, temperature) == of_temperature
    assert await store.load_history(thing_id, temperature, limit=3) == of_temperature[-3:]
    assert await store.load_history(thing_id, switched, limit=1) == [entries[27]]
    assert await store.load_history(thing_id, limit=0) == []
    assert await store.load_history(other_thing) == noise
    assert await store.load_history(new_id()) == []


@all_backends()
async def test_history_order_is_append_order_not_timestamp_order(store: Store) -> None:
    thing_id, type_id = new_id(), new_id()
    later = HistoryEntry(datetime(2024, 1, 2, tzinfo=UTC), thing_id, "action", type_id, {"params": []})
    earlier = HistoryEntry(datetime(2024, 1, 1, tzinfo=UTC), thing_id, "action", type_id, None)
    await store.append_history([later, earlier])  # the clock stepped back
    assert await store.load_history(thing_id) == [later, earlier]


@all_backends()
async def test_timestamps_come_back_as_aware_utc(store: Store) -> None:
    thing_id, type_id = new_id(), new_id()
    local = datetime(2024, 6, 1, 14, 30, 15, 999999, tzinfo=timezone(timedelta(hours=2)))
    await store.append_history([HistoryEntry(local, thing_id, "state", type_id, 1)])
    (entry,) = await store.load_history(thing_id)
    assert entry.timestamp == local
    assert entry.timestamp.tzinfo == UTC
    assert entry.timestamp.hour == 12 and entry.timestamp.microsecond == 999999

    await store.save_token(token(created=local))
    (loaded,) = await store.load_tokens()
    assert loaded.created == local and loaded.created.tzinfo == UTC


# --- users, tokens and domains --------------------------------------------------------------


@all_backends()
async def test_users_are_saved_replaced_and_deleted_with_their_tokens(store: Store) -> None:
    alice, bob = user("alice"), user("bob", roles=[], scopes=[], allowed_thing_ids=[], privileges=[])
    await store.save_user(alice)
    await store.save_user(bob)
    alice = replace(alice, password_hash="$argon2id$new", roles=["Admin"], email="a@example.com")
    await store.save_user(alice)
    assert sorted(await store.load_users(), key=lambda u: u.username) == [alice, bob]

    alice_phone = token("alice", datetime(2024, 1, 1, tzinfo=UTC))
    alice_laptop = token("alice", datetime(2024, 1, 2, tzinfo=UTC))
    bob_phone = token("bob", datetime(2024, 1, 3, tzinfo=UTC))
    for record in (alice_laptop, bob_phone, alice_phone):
        await store.save_token(record)
    assert await store.load_tokens() == [alice_phone, alice_laptop, bob_phone]  # oldest first

    await store.delete_token(alice_laptop.id)
    await store.delete_token(new_id())
    assert await store.load_tokens() == [alice_phone, bob_phone]

    await store.delete_user("alice")
    await store.delete_user("nobody")
    assert await store.load_users() == [bob]
    assert await store.load_tokens() == [bob_phone]


@all_backends()
async def test_domains_are_saved_replaced_and_deleted(store: Store) -> None:
    root = DomainRecord("root", None)
    site = DomainRecord("site-a", "root", "")
    floor = DomainRecord("floor-1", "site-a", "First floor")
    for record in (floor, site, root):  # any order: the store keeps no tree
        await store.save_domain(record)
    site = replace(site, description="Headquarters")
    await store.save_domain(site)
    assert sorted(await store.load_domains(), key=lambda d: d.name) == [floor, root, site]
    await store.delete_domain("floor-1")
    await store.delete_domain("nowhere")
    assert sorted(await store.load_domains(), key=lambda d: d.name) == [root, site]


# --- persistence, migrations, durability (SQL only) -----------------------------------------


@sql_backends()
async def test_everything_survives_reopening(database: str, tmp_path: Path) -> None:
    first = await open_store(database, tmp_path)
    expected = await save_everything(first)
    await first.close()
    second = await open_store(database, tmp_path)
    try:
        await assert_holds(second, expected)
    finally:
        await second.close()


@sql_backends()
async def test_migrations_are_idempotent_and_match_the_tables(database: str, tmp_path: Path) -> None:
    for _ in range(2):
        opened = await open_store(database, tmp_path)
        async with opened.engine.connect() as connection:
            revision = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
            )
        await opened.close()
        assert revision == ["0009"]  # the newest migration: the dashboard's sessions
        assert differences == []


@sql_backends()
async def test_hub_settings_survive_reopening_and_overwrite(database: str, tmp_path: Path) -> None:
    first = await open_store(database, tmp_path)
    assert await first.load_hub_settings() == {}
    await first.save_hub_setting("house_mode", "2")
    await first.save_hub_setting("house_mode", "3")
    await first.save_hub_setting("other", {"a": [1, 2]})
    await first.close()
    second = await open_store(database, tmp_path)
    try:
        assert await second.load_hub_settings() == {"house_mode": "3", "other": {"a": [1, 2]}}
    finally:
        await second.close()


@sql_backends()
async def test_opening_twice_at_once_shares_the_data(database: str, tmp_path: Path) -> None:
    first = await open_store(database, tmp_path)
    second = await open_store(database, tmp_path)
    try:
        record = thing()
        await first.save_thing(record)
        assert await second.load_things() == [record]
    finally:
        await first.close()
        await second.close()


@sql_backends()
async def test_a_closed_store_refuses_work(database: str, tmp_path: Path) -> None:
    opened = await open_store(database, tmp_path)
    await opened.close()
    await opened.close()  # closing twice is fine
    with pytest.raises(StoreClosedError):
        await opened.load_things()
    with pytest.raises(StoreClosedError):
        await opened.save_thing(thing())


def _upgrade_to(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


OLD_HA1 = {"MD5": "5d41402abc4b2a76b9719d911017c592", "SHA-256": "2cf24dba5fb0a30e26e83b2ac5b9e29e" * 2}
CLEAR_KEY = "Zq3vK8pLm2Xr7Tn4Wb6Yc9Hd1Jf5Gs0A"


@sql_backends()
async def test_the_secrets_migration_drops_old_digest_secrets_and_hashes_a_clear_key(
    database: str, tmp_path: Path
) -> None:
    # A database as the previous version (revision 0003) left it: a user with digest secrets of
    # the old shared realm, the integration key in clear.
    engine = make_engine(database_url(database, tmp_path))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0003")
            await connection.execute(insert(tables.users), sql.user_to_row(user("alice", digest_ha1=OLD_HA1)))
            clear = sql.encode_json({"enabled": True, "key": CLEAR_KEY})
            await connection.execute(insert(tables.hub_settings), {"key": "thinknx.integration_key", "value": clear})
    finally:
        await engine.dispose()
    opened = await open_store(database, tmp_path)
    try:
        [alice] = await opened.load_users()
        assert alice.digest_ha1 == {}
        assert alice == user("alice", digest_ha1={}, allowed_thing_ids=alice.allowed_thing_ids)  # the rest kept
        stored_key = (await opened.load_hub_settings())["thinknx.integration_key"]
        assert stored_key == {"enabled": True, "key_sha256": hashlib.sha256(CLEAR_KEY.encode()).hexdigest()}
    finally:
        await opened.close()
    if database.startswith("sqlite"):
        # Nor do they linger in the file's free space (secure_delete).
        files = [tmp_path / "thinggate.db", tmp_path / "thinggate.db-wal"]
        raw = b"".join(path.read_bytes() for path in files if path.exists())
        assert CLEAR_KEY.encode() not in raw
        assert not any(secret.encode() in raw for secret in OLD_HA1.values())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_sqlite_file_and_its_companions_are_owner_only(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    database = elsewhere / "hub.db"
    database.touch()
    database.chmod(0o644)  # as an older version made it
    opened = await open_store(f"sqlite:///{database}", tmp_path)
    try:
        await opened.save_domain(DomainRecord("root", None))
        companions = [database.with_name("hub.db-wal"), database.with_name("hub.db-shm")]
        assert all(path.exists() for path in companions)
        assert [_mode(path) for path in (database, *companions)] == [0o600] * 3
    finally:
        await opened.close()
    assert _mode(elsewhere) == 0o755  # a directory named in the URL may be anyone's: left as it is
    fresh = tmp_path / "new" / "dir"
    opened = await open_store(f"sqlite:///{fresh / 'hub.db'}", tmp_path)
    await opened.close()
    assert (_mode(fresh), _mode(fresh / "hub.db")) == (0o700, 0o600)  # one it makes is owner-only


async def test_default_database_is_a_file_in_the_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "not" / "there" / "yet"
    opened = await open_store(None, data_dir)
    try:
        await opened.save_domain(DomainRecord("root", None))
    finally:
        await opened.close()
    assert (data_dir / "thinggate.db").is_file()


async def test_sqlite_is_in_wal_mode_with_full_sync(sqlite_url: str, tmp_path: Path) -> None:
    opened = await open_store(sqlite_url, tmp_path)
    try:
        async with opened.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA synchronous"))).scalar() == 2  # FULL
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA secure_delete"))).scalar() == 2  # FAST
    finally:
        await opened.close()


async def test_concurrent_sqlite_writes_all_land(sqlite_url: str, tmp_path: Path) -> None:
    opened = await open_store(sqlite_url, tmp_path)
    try:
        records = [thing() for _ in range(40)]
        await asyncio.gather(
            *(opened.save_thing(record) for record in records),
            *(opened.save_states([(record.id, new_id(), n)]) for n, record in enumerate(records)),
        )
        assert len(await opened.load_things()) == 40
        assert len(await opened.load_states()) == 40
    finally:
        await opened.close()


_WRITER = """
import asyncio, pathlib, sys, uuid
from thinggate.core.store import ThingRecord
from thinggate.storage import open_store

async def main() -> None:
    store = await open_store(sys.argv[1], pathlib.Path(sys.argv[2]))
    n = 0
    while True:
        thing_id = uuid.uuid4()
        await store.save_thing(ThingRecord(thing_id, uuid.uuid4(), uuid.uuid4(), f"t{n}", {}, {}))
        print(thing_id, flush=True)  # acknowledged: it must survive kill -9 from now on
        n += 1

asyncio.run(main())
"""


async def test_acknowledged_writes_survive_kill_9(sqlite_url: str, tmp_path: Path) -> None:
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _WRITER,
        sqlite_url,
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert writer.stdout is not None
    acknowledged: list[uuid.UUID] = []
    try:
        while len(acknowledged) < 25:
            line = await writer.stdout.readline()
            assert line, f"the writer stopped (exit code {writer.returncode})"
            acknowledged.append(uuid.UUID(line.decode().strip()))
    finally:
        writer.send_signal(signal.SIGKILL)
        await writer.wait()
    opened = await open_store(sqlite_url, tmp_path)
    try:
        stored = {record.id for record in await opened.load_things()}
    finally:
        await opened.close()
    assert set(acknowledged) <= stored


# --- URLs ---------------------------------------------------------------------------------


def test_database_urls_name_the_async_drivers(tmp_path: Path) -> None:
    default = database_url(None, tmp_path)
    assert default.drivername == "sqlite+aiosqlite" and default.database == str(tmp_path / "thinggate.db")
    assert database_url("sqlite:////var/lib/tg.db", tmp_path).render_as_string() == "sqlite+aiosqlite:////var/lib/tg.db"
    assert (
        database_url("postgresql://hub:pa%40ss@db.example:5433/thinggate", tmp_path).render_as_string(
            hide_password=False
        )
        == "postgresql+asyncpg://hub:pa%40ss@db.example:5433/thinggate"
    )
    assert database_url("postgres://u@h/d", tmp_path).drivername == "postgresql+asyncpg"
    assert database_url("postgresql+asyncpg://u@h/d", tmp_path).drivername == "postgresql+asyncpg"
    for unsupported in ("mysql://u@h/d", "postgresql+psycopg2://u@h/d", "not a url"):
        with pytest.raises(ValueError):
            database_url(unsupported, tmp_path)


async def test_a_closed_memory_store_keeps_its_data() -> None:
    store: Store = MemoryStore()  # a closed MemoryStore keeps its data, like a database file
    await store.save_domain(DomainRecord("root", None))
    await store.close()
    assert await store.load_domains() == [DomainRecord("root", None)]
