"""The lifecycle events' outbox in every store (memory, SQLite, PostgreSQL): written with the change, read in order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from thinggate.core.store import DomainRecord, EventQuery, EventRecord, Store, ThingTypeRecord, UserRecord
from thinggate.storage import open_store, sql, tables
from thinggate.storage.memory import MemoryStore

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
SQL_BACKENDS = BACKENDS[1:]


async def _open(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "memory":
        return MemoryStore()
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return await open_store(url, tmp_path)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open store of each backend, closed afterwards."""
    opened = await _open(request, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(params=SQL_BACKENDS)
async def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open SQL store (SQLite, PostgreSQL), closed afterwards."""
    opened = await _open(request, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


def event(kind: str, domain: str = "root", *, at: int = 1_000, **source: str) -> EventRecord:
    """An event as the core makes one."""
    path = "/" if domain == "root" else f"/{domain}/"
    return EventRecord(uuid.uuid4(), at, kind, domain, path, {**source, "domain": domain}, "set by thinggate")


def thing_type(type_id: str, domain: str = "root") -> ThingTypeRecord:
    return ThingTypeRecord(type_id, domain, type_id, created=datetime(2026, 12, 7, tzinfo=UTC))


async def test_every_registry_write_stores_its_event_in_order(store: Store) -> None:
    made = [
        event("DOMAIN.CREATE", "site"),
        event("DOMAIN.UPDATE", "site"),
        event("USER.CREATE", "site", userName="ann"),
        event("USER.REMOVE", "site", userName="ann"),
        event("THING_TYPE.CREATE", "site", thingType="lamp"),
        event("THING_TYPE.REMOVE", "site", thingType="lamp"),
        event("DOMAIN.REMOVE", "site"),
    ]
    await store.save_domain(DomainRecord("site", "root"), made[0])
    await store.save_domain(DomainRecord("site", "root", "changed"), made[1])
    await store.save_user(UserRecord("ann", "hash", home_domain="site"), made[2])
    await store.delete_user("ann", made[3])
    await store.save_thing_type(thing_type("lamp", "site"), made[4])
    await store.delete_thing_type("lamp", made[5])
    await store.delete_domain("site", made[6])
    await store.save_thing_type(thing_type("no-event"))  # a write without an event adds none

    pending = await store.pending_events(100)
    assert [record.id for record in pending] == [record.id for record in made]
    sequences = [record.sequence for record in pending]
    assert all(isinstance(number, int) for number in sequences) and sequences == sorted(set(sequences))  # type: ignore[type-var]
    first = pending[2]
    assert (first.type, first.domain, first.domain_path, first.source, first.message, first.classification) == (
        "USER.CREATE",
        "site",
        "/site/",
        {"userName": "ann", "domain": "site"},
        "set by thinggate",
        "INTERNAL",
    )
    assert (first.published, first.acknowledged_at, first.acknowledgement_required) == (False, None, False)

    assert await store.count_pending_events() == 7
    await store.mark_events_published([record.sequence for record in pending[:3] if record.sequence is not None])
    assert [record.id for record in await store.pending_events(2)] == [made[3].id, made[4].id]
    assert await store.count_pending_events() == 4
    assert (await store.load_event(made[0].id)).published is True  # type: ignore[union-attr]
    assert await store.load_event(uuid.uuid4()) is None


async def test_events_are_found_by_domain_type_time_and_acknowledgement_a_page_at_a_time(store: Store) -> None:
    for number in range(10):
        domain = "a" if number % 2 else "b"
        kind = "THING_TYPE.CREATE" if number < 6 else "THING_TYPE.REMOVE"
        await store.save_thing_type(thing_type(f"t{number}", domain), event(kind, domain, at=1_000 + number))
    everything, total = await store.find_events(EventQuery(limit=100))
    assert total == 10 and [record.timestamp for record in everything] == list(range(1_009, 999, -1))  # newest first
    oldest, total = await store.find_events(EventQuery(limit=3, offset=2, newest_first=False))
    assert total == 10 and [record.timestamp for record in oldest] == [1_002, 1_003, 1_004]
    in_a, total = await store.find_events(EventQuery(domains=frozenset({"a"}), types=frozenset({"THING_TYPE.CREATE"})))
    assert total == 3 and {record.timestamp for record in in_a} == {1_001, 1_003, 1_005}
    window, total = await store.find_events(EventQuery(since=1_004, until=1_007))
    assert total == 3 and {record.timestamp for record in window} == {1_004, 1_005, 1_006}
    assert await store.find_events(EventQuery(domains=frozenset())) == ([], 0)

    target = everything[0]
    acknowledged = await store.acknowledge_event(target.id, 5_000, "ann")
    assert acknowledged is not None and (acknowledged.acknowledged_at, acknowledged.acknowledged_by) == (5_000, "ann")
    assert await store.acknowledge_event(uuid.uuid4(), 5_000, "ann") is None
    done, total = await store.find_events(EventQuery(acknowledged=True))
    assert total == 1 and done[0].id == target.id
    assert (await store.find_events(EventQuery(acknowledged=False)))[1] == 9

    assert await store.prune_events(1_005) == 5
    assert (await store.find_events(EventQuery()))[1] == 5


async def test_a_write_wakes_whoever_waits_for_events(store: Store) -> None:
    waiting = asyncio.create_task(store.wait_for_events())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await store.save_domain(DomainRecord("site", "root"), event("DOMAIN.CREATE", "site"))
    await asyncio.wait_for(waiting, 10)
    # An event written while nobody waited is not missed by the next wait.
    await store.save_domain(DomainRecord("other", "root"), event("DOMAIN.CREATE", "other"))
    await asyncio.wait_for(store.wait_for_events(), 10)


async def test_a_change_and_its_event_commit_together_or_not_at_all(sql_store: Store) -> None:
    first = event("THING_TYPE.CREATE", thingType="one")
    await sql_store.save_thing_type(thing_type("one"), first)
    # The same event id again: the outbox refuses it, so the thing type written with it is not kept either.
    with pytest.raises(Exception):  # noqa: B017 - each backend's own integrity error
        await sql_store.save_thing_type(thing_type("two"), first)
    assert [record.id for record in await sql_store.load_thing_types()] == ["one"]
    assert len(await sql_store.pending_events(10)) == 1
    with pytest.raises(Exception):  # noqa: B017
        await sql_store.delete_thing_type("one", first)
    assert [record.id for record in await sql_store.load_thing_types()] == ["one"]


async def test_events_survive_reopening(tmp_path: Path, sqlite_url: str) -> None:
    first = await open_store(sqlite_url, tmp_path)
    made = [event("THING_TYPE.CREATE", thingType=f"t{n}", at=n) for n in range(5)]
    for number, record in enumerate(made):
        await first.save_thing_type(thing_type(f"t{number}"), record)
    await first.close()
    again = await open_store(sqlite_url, tmp_path)
    try:
        assert [record.id for record in await again.pending_events(10)] == [record.id for record in made]
        # New events follow the old ones.
        later = event("THING_TYPE.REMOVE", thingType="t0", at=10)
        await again.delete_thing_type("t0", later)
        assert (await again.pending_events(10))[-1].id == later.id
    finally:
        await again.close()


@pytest.mark.postgres
async def test_postgresql_event_writes_commit_in_sequence_order(postgres_url: str, tmp_path: Path) -> None:
    # Another transaction holds a lower sequence, uncommitted: a later write must wait for it, or a
    # publisher could publish the later event and then meet the earlier one (out of order).
    store = await open_store(postgres_url, tmp_path)
    first, second = event("THING_TYPE.CREATE", thingType="one"), event("THING_TYPE.CREATE", thingType="two")
    try:
        async with store.engine.connect() as other:
            await other.begin()
            await other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": sql.OUTBOX_LOCK_KEY})
            await other.execute(insert(tables.outbox), sql.event_to_row(first))
            write = asyncio.create_task(store.save_thing_type(thing_type("two"), second))
            await asyncio.sleep(0.2)
            assert not write.done()  # waiting for the earlier event's transaction
            assert await store.pending_events(10) == []
            await other.commit()
        await write
        assert [record.id for record in await store.pending_events(10)] == [first.id, second.id]
    finally:
        await store.close()
