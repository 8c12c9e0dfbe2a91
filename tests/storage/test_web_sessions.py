"""The dashboard's sessions in every store (memory, SQLite, PostgreSQL): kept, touched, forgotten, and upgraded into."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, inspect

from tests.storage.backends import all_backends, sql_backends
from tests.storage.test_storage import _upgrade_to, user
from thinggate.core.store import Store, WebSessionRecord
from thinggate.storage import database_url, open_store, sql, tables
from thinggate.storage.sql import make_engine


def at(minutes: int) -> datetime:
    return datetime(2026, 12, 7, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes)


def session(key: str, username: str = "alice", started: int = 0, used: int = 0) -> WebSessionRecord:
    return WebSessionRecord(key * 64, username, at(started), at(used))


@all_backends()
async def test_sessions_round_trip_least_recently_used_first(store: Store) -> None:
    newer, older = session("a", used=5), session("b", "bob", used=1)
    await store.save_web_session(newer)
    await store.save_web_session(older)
    assert await store.load_web_sessions() == [older, newer]


@all_backends()
async def test_a_touch_moves_last_used_and_never_brings_a_forgotten_session_back(store: Store) -> None:
    kept, forgotten = session("a"), session("b")
    await store.save_web_session(kept)
    await store.save_web_session(forgotten)
    await store.delete_web_sessions([forgotten.key_hash, "f" * 64])
    await store.touch_web_sessions([(kept.key_hash, at(9)), (forgotten.key_hash, at(9))])
    await store.touch_web_sessions([])
    assert await store.load_web_sessions() == [session("a", used=9)]


@all_backends()
async def test_a_users_sessions_go_with_its_removal_or_by_its_name(store: Store) -> None:
    await store.save_user(user("alice"))
    await store.save_user(user("bob"))
    for record in (session("a"), session("b"), session("c", "bob"), session("d", "carol")):
        await store.save_web_session(record)
    await store.delete_user("alice")
    assert [record.key_hash for record in await store.load_web_sessions()] == ["c" * 64, "d" * 64]
    await store.delete_user_web_sessions("bob")
    assert await store.load_web_sessions() == [session("d", "carol")]


@sql_backends()
async def test_sessions_survive_reopening(database: str, tmp_path: Path) -> None:
    first = await open_store(database, tmp_path)
    await first.save_web_session(session("a", started=1, used=2))
    await first.close()
    second = await open_store(database, tmp_path)
    try:
        assert await second.load_web_sessions() == [session("a", started=1, used=2)]
    finally:
        await second.close()


@sql_backends()
async def test_a_database_of_the_version_before_gets_the_sessions_table_and_keeps_its_users(
    database: str, tmp_path: Path
) -> None:
    # As the previous version (revision 0008) left a data directory: a user, no sessions table.
    engine = make_engine(database_url(database, tmp_path))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0008")
            await connection.execute(insert(tables.users), sql.user_to_row(user("alice")))
            assert not await connection.run_sync(lambda sync: inspect(sync).has_table("web_sessions"))
    finally:
        await engine.dispose()
    opened = await open_store(database, tmp_path)
    try:
        assert [record.username for record in await opened.load_users()] == ["alice"]
        assert await opened.load_web_sessions() == []
        await opened.save_web_session(session("a"))
        assert await opened.load_web_sessions() == [session("a")]
    finally:
        await opened.close()
