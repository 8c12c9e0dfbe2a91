"""The store on SQLAlchemy 2 Core with an async engine: SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import msgspec
from sqlalchemy import Connection, Row, Table, bindparam, delete, event, func, insert, or_, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import Executable

from thinggate.core.store import (
    ApiKeyRecord,
    DomainRecord,
    EventQuery,
    EventRecord,
    HistoryEntry,
    IOConnectionRecord,
    OAuthClientRecord,
    RegistryTokenRecord,
    Store,
    ThingRecord,
    ThingTypeRecord,
    TokenRecord,
    UserRecord,
    WebSessionRecord,
)
from thinggate.storage import tables as t

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


def _async_engine_module() -> Any:
    """`sqlalchemy.ext.asyncio.engine`, loaded without its package's `__init__`.

    That `__init__` also imports the asyncio ORM session, which loads `sqlalchemy.orm`: 5.6 MB the
    store (Core only) never uses and a hub would carry for its whole life. The package is put in
    place un-run only while its engine module loads, then taken out again, so a later
    `import sqlalchemy.ext.asyncio` runs the real `__init__` (reusing this same engine module).
    """
    package_name = "sqlalchemy.ext.asyncio"
    if package_name in sys.modules:
        return sys.modules[package_name].engine
    spec = importlib.util.find_spec(package_name)
    assert spec is not None
    sys.modules[package_name] = importlib.util.module_from_spec(spec)
    try:
        return importlib.import_module(package_name + ".engine")
    finally:
        del sys.modules[package_name]


if not TYPE_CHECKING:  # mypy takes the function from the package (same object)
    create_async_engine = _async_engine_module().create_async_engine

_Row: TypeAlias = Row[*tuple[Any, ...]]

# Ids per statement when deleting by a list of ids: far below SQLite's and asyncpg's
# bound-parameter limits (32766 / 32767).
_CHUNK = 1000

_encoder = msgspec.json.Encoder()
_decode_any = msgspec.json.Decoder().decode
_decode_id_map = msgspec.json.Decoder(dict[uuid.UUID, Any]).decode
_decode_id_list = msgspec.json.Decoder(list[uuid.UUID]).decode
_decode_filters = msgspec.json.Decoder(dict[uuid.UUID, str]).decode
_decode_strings = msgspec.json.Decoder(list[str]).decode
_decode_objects = msgspec.json.Decoder(list[dict[str, Any]]).decode


def encode_json(value: Any) -> str:
    """A value as stored: JSON text, UUIDs (also as dict keys) in their canonical form."""
    return _encoder.encode(value).decode("utf-8")


def decode_json(text: str | bytes) -> Any:
    """A stored JSON value back as plain Python (UUIDs come back as strings)."""
    return _decode_any(text)


def decode_id_map(text: str | bytes) -> dict[uuid.UUID, Any]:
    """A stored JSON object keyed by ids (params, settings, configuration) with uuid.UUID keys."""
    return _decode_id_map(text)


_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bulk load fetches rows and builds records.

    Loading 100,000 things allocates millions of tuples, dicts and lists; the collector would
    rescan the growing heap again and again, two to three times the work of the load itself.
    The records form no cycles. Nested and concurrent pauses restore the state found by the first.
    """
    global _gc_pauses, _gc_was_enabled
    if _gc_pauses == 0:
        _gc_was_enabled = gc.isenabled()
        gc.disable()
    _gc_pauses += 1
    try:
        yield
    finally:
        _gc_pauses -= 1
        if _gc_pauses == 0 and _gc_was_enabled:
            gc.enable()


def make_engine(url: URL) -> AsyncEngine:
    """An async engine for an async-driver URL, with SQLite set up for durable configuration writes."""
    if url.get_backend_name() != "sqlite":
        # pool_pre_ping: a restarted PostgreSQL server must not fail the next write.
        return create_async_engine(url, pool_pre_ping=True)
    in_memory = url.database in (None, "", ":memory:")
    engine = create_async_engine(
        url,
        # Every connection to ":memory:" is its own database: share one.
        poolclass=StaticPool if in_memory else None,
        # Seconds a connection waits for another process's write lock before failing.
        connect_args={"timeout": 30},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it would not BEGIN before DDL,
        # leaving migrations half-applied on a crash); the "begin" hook below emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk (WAL fsynced) before it returns, so acknowledged changes survive kill -9.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Zero what a changed or deleted row leaves behind in its page (no extra I/O in FAST mode):
        # dropped digest secrets and replaced password hashes must not stay readable in free space.
        cursor.execute("PRAGMA secure_delete=FAST")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


# Record <-> row conversions, shared with MemoryStore so that both stores give back the same values.


def thing_to_row(record: ThingRecord) -> dict[str, Any]:
    """A thing as a `things` row."""
    return {
        "id": str(record.id),
        "thing_class_id": str(record.thing_class_id),
        "plugin_id": str(record.plugin_id),
        "name": record.name,
        "params": encode_json(record.params),
        "settings": encode_json(record.settings),
        "parent_id": None if record.parent_id is None else str(record.parent_id),
        "auto_created": record.auto_created,
        "domain": record.domain,
        "room": record.room,
        "logged_state_type_ids": encode_json(record.logged_state_type_ids),
        "logged_event_type_ids": encode_json(record.logged_event_type_ids),
        "logged_action_type_ids": encode_json(record.logged_action_type_ids),
        "state_filters": encode_json(record.state_filters),
    }


def thing_from_row(row: Mapping[Any, Any], shared_ids: dict[str, uuid.UUID] | None = None) -> ThingRecord:
    """A `things` row as a thing record; `shared_ids` caches class and plugin ids across a bulk load."""
    # Thousands of things share a handful of class and plugin ids: parse each once.
    cache = {} if shared_ids is None else shared_ids
    class_text, plugin_text, parent_id = row["thing_class_id"], row["plugin_id"], row["parent_id"]
    return ThingRecord(
        id=uuid.UUID(row["id"]),
        thing_class_id=cache.get(class_text) or cache.setdefault(class_text, uuid.UUID(class_text)),
        plugin_id=cache.get(plugin_text) or cache.setdefault(plugin_text, uuid.UUID(plugin_text)),
        name=row["name"],
        params=_decode_id_map(row["params"]),
        settings=_decode_id_map(row["settings"]),
        parent_id=None if parent_id is None else uuid.UUID(parent_id),
        auto_created=bool(row["auto_created"]),
        domain=row["domain"],
        room=row["room"],
        logged_state_type_ids=_decode_id_list(row["logged_state_type_ids"]),
        logged_event_type_ids=_decode_id_list(row["logged_event_type_ids"]),
        logged_action_type_ids=_decode_id_list(row["logged_action_type_ids"]),
        state_filters=_decode_filters(row["state_filters"]),
    )


def io_connection_to_row(record: IOConnectionRecord) -> dict[str, Any]:
    """An IO connection as an `io_connections` row."""
    return {
        "id": str(record.id),
        "input_thing_id": str(record.input_thing_id),
        "input_state_type_id": str(record.input_state_type_id),
        "output_thing_id": str(record.output_thing_id),
        "output_state_type_id": str(record.output_state_type_id),
        "inverted": record.inverted,
    }


def io_connection_from_row(row: Mapping[Any, Any]) -> IOConnectionRecord:
    """An `io_connections` row as a record."""
    return IOConnectionRecord(
        id=uuid.UUID(row["id"]),
        input_thing_id=uuid.UUID(row["input_thing_id"]),
        input_state_type_id=uuid.UUID(row["input_state_type_id"]),
        output_thing_id=uuid.UUID(row["output_thing_id"]),
        output_state_type_id=uuid.UUID(row["output_state_type_id"]),
        inverted=bool(row["inverted"]),
    )


def user_to_row(record: UserRecord) -> dict[str, Any]:
    """A user as a `users` row."""
    return {
        "username": record.username,
        "password_hash": record.password_hash,
        "email": record.email,
        "display_name": record.display_name,
        "home_domain": record.home_domain,
        "roles": encode_json(record.roles),
        "scopes": encode_json(record.scopes),
        "allowed_thing_ids": encode_json(record.allowed_thing_ids),
        "privileges": encode_json(record.privileges),
        "digest_ha1": encode_json(record.digest_ha1),
    }


def user_from_row(row: Mapping[Any, Any]) -> UserRecord:
    """A `users` row as a record."""
    return UserRecord(
        username=row["username"],
        password_hash=row["password_hash"],
        email=row["email"],
        display_name=row["display_name"],
        home_domain=row["home_domain"],
        roles=_decode_strings(row["roles"]),
        scopes=_decode_strings(row["scopes"]),
        allowed_thing_ids=_decode_id_list(row["allowed_thing_ids"]),
        privileges=_decode_objects(row["privileges"]),
        digest_ha1=_decode_digest_secrets(row.get("digest_ha1")),
    )


def _decode_digest_secrets(raw: Any) -> dict[str, str]:
    value = decode_json(raw) if raw else {}
    if not isinstance(value, dict):
        return {}
    return {str(key): str(item) for key, item in value.items()}


def token_to_row(record: TokenRecord) -> dict[str, Any]:
    """A token as a `tokens` row."""
    return {
        "id": str(record.id),
        "username": record.username,
        "token_hash": record.token_hash,
        "device_name": record.device_name,
        "created": record.created,
    }


def token_from_row(row: Mapping[Any, Any]) -> TokenRecord:
    """A `tokens` row as a record (created as an aware UTC datetime)."""
    return TokenRecord(
        id=uuid.UUID(row["id"]),
        username=row["username"],
        token_hash=row["token_hash"],
        device_name=row["device_name"],
        created=t.as_utc(row["created"]),
    )


def domain_to_row(record: DomainRecord) -> dict[str, Any]:
    """A domain as a `domains` row."""
    return {
        "name": record.name,
        "parent": record.parent,
        "description": record.description,
        "display_name": record.display_name,
        "data": encode_json(record.data),
    }


def domain_from_row(row: Mapping[Any, Any]) -> DomainRecord:
    """A `domains` row as a record."""
    data = decode_json(row["data"]) if row.get("data") else {}
    return DomainRecord(
        name=row["name"],
        parent=row["parent"],
        description=row["description"],
        display_name=row.get("display_name") or "",
        data=data if isinstance(data, dict) else {},
    )


def api_key_to_row(record: ApiKeyRecord) -> dict[str, Any]:
    """An API key as an `api_keys` row."""
    return {
        "id": str(record.id),
        "name": record.name,
        "key_hash": record.key_hash,
        "published_key": record.published_key,
        "created": record.created,
    }


def api_key_from_row(row: Mapping[Any, Any]) -> ApiKeyRecord:
    """An `api_keys` row as a record."""
    return ApiKeyRecord(
        id=uuid.UUID(row["id"]),
        name=row["name"],
        key_hash=row["key_hash"],
        created=t.as_utc(row["created"]),
        published_key=row["published_key"],
    )


def registry_token_to_row(record: RegistryTokenRecord) -> dict[str, Any]:
    """A registry login as a `registry_tokens` row."""
    return {
        "id": str(record.id),
        "username": record.username,
        "access_hash": record.access_hash,
        "access_expires": record.access_expires,
        "refresh_hash": record.refresh_hash,
        "refresh_expires": record.refresh_expires,
        "created": record.created,
    }


def registry_token_from_row(row: Mapping[Any, Any]) -> RegistryTokenRecord:
    """A `registry_tokens` row as a record (times as aware UTC datetimes)."""
    return RegistryTokenRecord(
        id=uuid.UUID(row["id"]),
        username=row["username"],
        access_hash=row["access_hash"],
        access_expires=t.as_utc(row["access_expires"]),
        refresh_hash=row["refresh_hash"],
        refresh_expires=t.as_utc(row["refresh_expires"]),
        created=t.as_utc(row["created"]),
    )


def thing_type_to_row(record: ThingTypeRecord) -> dict[str, Any]:
    """A thing type as a `thing_types` row (created now if the record has no time yet)."""
    return {
        "id": record.id,
        "domain": record.domain,
        "label": record.label,
        "description": record.description,
        "data": encode_json(record.data),
        "resources": encode_json(record.resources),
        "virtual_resources": encode_json(record.virtual_resources),
        "lock_mappings": record.lock_mappings,
        "created": record.created if record.created is not None else datetime.now(UTC),
    }


def thing_type_from_row(row: Mapping[Any, Any]) -> ThingTypeRecord:
    """A `thing_types` row as a record."""
    return ThingTypeRecord(
        id=row["id"],
        domain=row["domain"],
        label=row["label"],
        description=row["description"],
        data=_decode_any(row["data"]),
        resources=_decode_objects(row["resources"]),
        virtual_resources=_decode_objects(row["virtual_resources"]),
        lock_mappings=bool(row["lock_mappings"]),
        created=t.as_utc(row["created"]),
    )


def oauth_client_to_row(record: OAuthClientRecord) -> dict[str, Any]:
    """An OAuth client as an `oauth_clients` row."""
    return {
        "client_id": record.client_id,
        "name": record.name,
        "username": record.username,
        "secret_hash": record.secret_hash,
        "scopes": encode_json(record.scopes),
        "created": record.created,
    }


def oauth_client_from_row(row: Mapping[Any, Any]) -> OAuthClientRecord:
    """An `oauth_clients` row as a record (its time as an aware UTC datetime)."""
    return OAuthClientRecord(
        client_id=row["client_id"],
        name=row["name"],
        username=row["username"],
        secret_hash=row["secret_hash"],
        scopes=_decode_strings(row["scopes"]),
        created=t.as_utc(row["created"]),
    )


def web_session_to_row(record: WebSessionRecord) -> dict[str, Any]:
    """A dashboard session as a `web_sessions` row."""
    return {
        "key_hash": record.key_hash,
        "username": record.username,
        "started": record.started,
        "last_used": record.last_used,
    }


def web_session_from_row(row: Mapping[Any, Any]) -> WebSessionRecord:
    """A `web_sessions` row as a record (its times as aware UTC datetimes)."""
    return WebSessionRecord(
        key_hash=row["key_hash"],
        username=row["username"],
        started=t.as_utc(row["started"]),
        last_used=t.as_utc(row["last_used"]),
    )


def history_to_row(entry: HistoryEntry) -> dict[str, Any]:
    """A history entry as a `history` row (without its id, which the database assigns)."""
    return {
        "timestamp": entry.timestamp,
        "thing_id": str(entry.thing_id),
        "kind": entry.kind,
        "type_id": str(entry.type_id),
        "value": encode_json(entry.value),
    }


def history_from_row(row: Mapping[Any, Any]) -> HistoryEntry:
    """A `history` row as an entry (timestamp as an aware UTC datetime)."""
    return HistoryEntry(
        timestamp=t.as_utc(row["timestamp"]),
        thing_id=uuid.UUID(row["thing_id"]),
        kind=row["kind"],
        type_id=uuid.UUID(row["type_id"]),
        value=_decode_any(row["value"]),
    )


_HISTORY_COLUMNS = ["timestamp", "thing_id", "kind", "type_id", "value"]
_INSERT_HISTORY = "INSERT INTO history (timestamp, thing_id, kind, type_id, value) VALUES (?, ?, ?, ?, ?)"


def sqlite_time(moment: datetime) -> str:
    """A time as SQLite's history table holds it: UTC text as SQLAlchemy's DATETIME writes it (sorts as time)."""
    if moment.tzinfo is not UTC:
        moment = t.as_utc(moment)
    return moment.isoformat(" ", "microseconds")[:26]  # without its "+00:00"


def _aware_time(moment: datetime) -> datetime:
    """A time for asyncpg: aware (it would take a naive one for local time; naive means UTC here)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _history_rows(entries: Sequence[HistoryEntry], moment: Callable[[datetime], Any]) -> list[tuple[Any, ...]]:
    """History entries as rows of `_HISTORY_COLUMNS`, the time as `moment` makes it."""
    # A batch holds few things and types: each id's text is made once (keyed by its int, which hashes in C).
    ids: dict[int, str] = {}
    # And often few times (a gateway uploads many sensors' readings taken together, a sensor many metrics
    # of one time): each made once, SQLite's text taking 0.9 us (1.4 ms of a batch of 1,000, 0.4 ms so).
    times: dict[datetime, Any] = {}
    encode = _encoder.encode
    return [
        (
            times.get(entry.timestamp) or times.setdefault(entry.timestamp, moment(entry.timestamp)),
            ids.get(entry.thing_id.int) or ids.setdefault(entry.thing_id.int, str(entry.thing_id)),
            entry.kind,
            ids.get(entry.type_id.int) or ids.setdefault(entry.type_id.int, str(entry.type_id)),
            encode(entry.value).decode(),
        )
        for entry in entries
    ]


# The newest time of each (thing, type) pair given, by the pair's position (from 0) in the list.
_LATEST_TIMES_SQLITE = (
    "SELECT pair.key, (SELECT timestamp FROM history"
    " WHERE thing_id = json_extract(pair.value, '$[0]') AND type_id = json_extract(pair.value, '$[1]')"
    " ORDER BY timestamp DESC LIMIT 1) FROM json_each(?) AS pair"
)
_LATEST_TIMES_POSTGRESQL = (
    "SELECT pair.position - 1, (SELECT timestamp FROM history"
    " WHERE thing_id = pair.thing AND type_id = pair.type ORDER BY timestamp DESC LIMIT 1)"
    " FROM unnest($1::varchar[], $2::varchar[]) WITH ORDINALITY AS pair(thing, type, position)"
)


# The `limit` oldest entries before a time, found through the index on time (SQLite as Python builds
# it has no DELETE ... LIMIT). PostgreSQL takes them as an array: with `IN (subquery)` it planned a
# hash join over the whole table for every chunk (200 ms for 5,000 of 1,000,000 rows, not 17).
_PRUNE_OLDEST_SQLITE = (
    "DELETE FROM history WHERE id IN (SELECT id FROM history WHERE timestamp < ? ORDER BY timestamp LIMIT ?)"
)
_PRUNE_OLDEST_POSTGRESQL = (
    "DELETE FROM history WHERE id = ANY(ARRAY(SELECT id FROM history WHERE timestamp < $1 ORDER BY timestamp LIMIT $2))"
)


def _as_datetime(moment: datetime | str) -> datetime:
    """A time as a driver gives it back: SQLite's text, asyncpg's datetime."""
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment


def history_between_sql(postgresql: bool, by_type: bool) -> str:
    """A thing's entries in [start, end) by time then arrival, read through the (thing, time, id) index."""
    if postgresql:
        types = " AND type_id = ANY($4::varchar[])" if by_type else ""
        limit = "$5" if by_type else "$4"
        where = f"thing_id = $1 AND timestamp >= $2 AND timestamp < $3{types}"
    else:
        types = " AND type_id IN (SELECT value FROM json_each(?))" if by_type else ""
        limit = "?"
        where = f"thing_id = ? AND timestamp >= ? AND timestamp < ?{types}"
    return f"SELECT timestamp, kind, type_id, value FROM history WHERE {where} ORDER BY timestamp, id LIMIT {limit}"


def event_to_row(record: EventRecord) -> dict[str, Any]:
    """A lifecycle event as an `outbox` row (without its sequence, which the database assigns)."""
    return {
        "id": str(record.id),
        "timestamp": record.timestamp,
        "type": record.type,
        "domain": record.domain,
        "domain_path": record.domain_path,
        "source": encode_json(record.source),
        "message": record.message,
        "classification": record.classification,
        "acknowledgement_required": record.acknowledgement_required,
        "acknowledged_at": record.acknowledged_at,
        "acknowledged_by": record.acknowledged_by,
        "published": record.published,
    }


def event_from_row(row: Mapping[Any, Any]) -> EventRecord:
    """An `outbox` row as a lifecycle event."""
    source = _decode_any(row["source"])
    return EventRecord(
        id=uuid.UUID(row["id"]),
        timestamp=int(row["timestamp"]),
        type=row["type"],
        domain=row["domain"],
        domain_path=row["domain_path"],
        source=source if isinstance(source, dict) else {},
        message=row["message"],
        classification=row["classification"],
        acknowledgement_required=bool(row["acknowledgement_required"]),
        acknowledged_at=None if row["acknowledged_at"] is None else int(row["acknowledged_at"]),
        acknowledged_by=row["acknowledged_by"],
        published=bool(row["published"]),
        sequence=int(row["sequence"]),
    )


class EventSignal:
    """Wakes whoever waits for new outbox events (the publisher), in whichever event loop it waits."""

    def __init__(self) -> None:
        self._written = False
        self._waiters: set[asyncio.Future[None]] = set()

    def written(self) -> None:
        """An event was committed."""
        self._written = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.get_loop().call_soon_threadsafe(_resolve, waiter)

    async def wait(self) -> None:
        """Return at once if an event was written since the last wait, else when one is."""
        if not self._written:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.add(waiter)
            try:
                await waiter
            finally:
                self._waiters.discard(waiter)
        self._written = False


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


# PostgreSQL: the key of the advisory lock event-writing transactions hold until they commit, so
# that events commit in the order of their sequence numbers (a publisher never sees a gap filled later).
OUTBOX_LOCK_KEY = 0x7468696E67  # "thing"


def _chunks(ids: Sequence[uuid.UUID]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield [str(i) for i in ids[start : start + _CHUNK]]


class StoreClosedError(RuntimeError):
    """The store was used after `close()`."""


class SqlStore:
    """The `thinggate.core.store.Store` protocol on an async SQLAlchemy engine (SQLite or PostgreSQL).

    Every write runs in its own transaction, committed before the coroutine returns.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        # SQLite has one writer at a time; queueing writers here keeps them off the busy timeout.
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self._dialect == "sqlite" else None
        self._closed = False
        self._upserts: dict[tuple[str, tuple[str, ...]], Executable] = {}
        self._event_signal = EventSignal()

    @property
    def engine(self) -> AsyncEngine:
        """The engine the store runs on (for tools and tests)."""
        return self._engine

    # -- plumbing ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError("the store is closed")

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        self._check_open()
        if self._write_lock is None:
            async with self._engine.begin() as connection:
                yield connection
            return
        async with self._write_lock, self._engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def _writing_with(self, event: EventRecord | None) -> AsyncIterator[AsyncConnection]:
        """A write transaction that also puts `event` (if any) into the outbox, committed together."""
        async with self._writing() as connection:
            if event is not None:
                if self._dialect == "postgresql":
                    await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK_KEY})
                await connection.execute(insert(t.outbox), event_to_row(event))
            yield connection
        if event is not None:
            self._event_signal.written()

    async def _rows(self, statement: Executable) -> Sequence[_Row]:
        self._check_open()
        async with self._engine.connect() as connection:
            result = await connection.execute(statement)
            return result.all()

    async def _driver_rows(self, statement: str, parameters: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """A query's rows as the driver gives them (tuples, asyncpg records), in the driver's parameter style.

        SQLAlchemy's result rows cost more than the query itself on a page of 10,000 history entries
        (14 ms of 25 on PostgreSQL): reads of many rows skip them.
        """
        self._check_open()
        async with self._engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            if self._dialect == "postgresql":
                return list(await driver.fetch(statement, *parameters))
            return list(await driver.execute_fetchall(statement, tuple(parameters)))

    def _upsert(self, table: Table, keys: Sequence[str]) -> Executable:
        """INSERT ... ON CONFLICT (keys) DO UPDATE every other column, usable with executemany."""
        # Built once per table: constructing the statement cost as much as a quarter of a durable add.
        cache_key = (table.name, tuple(keys))
        cached = self._upserts.get(cache_key)
        if cached is not None:
            return cached
        # The dialect's module is imported here: the PostgreSQL one costs ~2 MB a SQLite hub never uses.
        statement: postgresql.Insert | sqlite.Insert
        if self._dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            statement = postgresql_insert(table)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            statement = sqlite_insert(table)
        updates = {column.name: statement.excluded[column.name] for column in table.columns if column.name not in keys}
        upsert = statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
        self._upserts[cache_key] = upsert
        return upsert

    # -- things -----------------------------------------------------------------------------

    async def load_things(self) -> list[ThingRecord]:
        """Every stored thing."""
        shared_ids: dict[str, uuid.UUID] = {}
        with _gc_paused():
            rows = await self._rows(select(t.things))
            return [thing_from_row(row._mapping, shared_ids) for row in rows]

    async def save_thing(self, record: ThingRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a thing, durably (with the event reporting it, in the same transaction)."""
        async with self._writing_with(event) as connection:
            await connection.execute(self._upsert(t.things, ["id"]), thing_to_row(record))

    async def save_things(self, records: Sequence[ThingRecord]) -> None:
        """Insert or replace many things in one transaction, durably (not in the protocol: for imports)."""
        if not records:
            return
        # One row per id: PostgreSQL refuses to update the same row twice in one statement.
        rows = list({record.id: thing_to_row(record) for record in records}.values())
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.things, ["id"]), rows)

    async def delete_things(self, thing_ids: list[uuid.UUID], event: EventRecord | None = None) -> None:
        """Delete things, their cached states and their IO connections, durably (with an event, together)."""
        if not thing_ids and event is None:
            return
        async with self._writing_with(event) as connection:
            for chunk in _chunks(thing_ids):
                await connection.execute(
                    delete(t.io_connections).where(
                        or_(t.io_connections.c.input_thing_id.in_(chunk), t.io_connections.c.output_thing_id.in_(chunk))
                    )
                )
                await connection.execute(delete(t.thing_states).where(t.thing_states.c.thing_id.in_(chunk)))
                # A removed thing's readings go with it (iTwin: removing a sensor deletes its observations).
                await connection.execute(delete(t.history).where(t.history.c.thing_id.in_(chunk)))
                await connection.execute(delete(t.things).where(t.things.c.id.in_(chunk)))

    # -- state cache ------------------------------------------------------------------------

    async def load_states(self) -> dict[uuid.UUID, dict[uuid.UUID, Any]]:
        """Cached state values by thing id and state type id."""
        states: dict[uuid.UUID, dict[uuid.UUID, Any]] = {}
        # Many states share a thing, and many things share state types: parse each id once.
        thing_ids: dict[str, uuid.UUID] = {}
        state_type_ids: dict[str, uuid.UUID] = {}
        columns = t.thing_states.c
        with _gc_paused():
            rows = await self._rows(select(columns.thing_id, columns.state_type_id, columns.value))
            for thing_text, state_type_text, value in rows:
                thing_id = thing_ids.get(thing_text)
                if thing_id is None:
                    thing_id = thing_ids[thing_text] = uuid.UUID(thing_text)
                    states[thing_id] = {}
                state_type_id = state_type_ids.get(state_type_text) or state_type_ids.setdefault(
                    state_type_text, uuid.UUID(state_type_text)
                )
                states[thing_id][state_type_id] = _decode_any(value)
        return states

    async def save_states(self, values: list[tuple[uuid.UUID, uuid.UUID, Any]]) -> None:
        """Upsert a batch of (thing id, state type id, value) state cache entries."""
        if not values:
            return
        # The last value of a key in the batch wins (and each key appears once, see save_things).
        latest = {(thing_id, state_type_id): value for thing_id, state_type_id, value in values}
        rows = [
            {"thing_id": str(thing_id), "state_type_id": str(state_type_id), "value": encode_json(value)}
            for (thing_id, state_type_id), value in latest.items()
        ]
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.thing_states, ["thing_id", "state_type_id"]), rows)

    # -- plugin configurations --------------------------------------------------------------

    async def load_plugin_configurations(self) -> dict[uuid.UUID, dict[uuid.UUID, Any]]:
        """Stored configuration of every integration that has one."""
        rows = await self._rows(select(t.plugin_configurations))
        return {uuid.UUID(row.plugin_id): _decode_id_map(row.configuration) for row in rows}

    async def save_plugin_configuration(self, plugin_id: uuid.UUID, values: dict[uuid.UUID, Any]) -> None:
        """Store an integration's configuration, durably."""
        row = {"plugin_id": str(plugin_id), "configuration": encode_json(values)}
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.plugin_configurations, ["plugin_id"]), row)

    # -- hub settings -----------------------------------------------------------------------

    async def load_hub_settings(self) -> dict[str, Any]:
        """Hub-wide settings (house mode, ...) by key."""
        rows = await self._rows(select(t.hub_settings))
        return {row.key: decode_json(row.value) for row in rows}

    async def save_hub_setting(self, key: str, value: Any) -> None:
        """Store one hub-wide setting (a JSON value), durably."""
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.hub_settings, ["key"]), {"key": key, "value": encode_json(value)})

    # -- IO connections ---------------------------------------------------------------------

    async def load_io_connections(self) -> list[IOConnectionRecord]:
        """Every stored IO connection."""
        return [io_connection_from_row(row._mapping) for row in await self._rows(select(t.io_connections))]

    async def save_io_connection(self, record: IOConnectionRecord) -> None:
        """Insert or replace an IO connection, durably."""
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.io_connections, ["id"]), io_connection_to_row(record))

    async def delete_io_connection(self, io_connection_id: uuid.UUID) -> None:
        """Delete an IO connection, durably."""
        async with self._writing() as connection:
            await connection.execute(delete(t.io_connections).where(t.io_connections.c.id == str(io_connection_id)))

    # -- history ----------------------------------------------------------------------------

    async def append_history(self, entries: list[HistoryEntry]) -> None:
        """Append a batch of history entries, in one transaction."""
        if not entries:
            return
        # Rows go to the driver as tuples made here: SQLAlchemy's per-row work (a dict, a bind
        # processor per timestamp) cost as much as the insert itself on batches of 1,000 readings.
        if self._dialect == "postgresql":
            await self._copy_history(entries)
            return
        rows = _history_rows(entries, sqlite_time)
        async with self._writing() as connection:
            await connection.exec_driver_sql(_INSERT_HISTORY, rows)

    async def _copy_history(self, entries: list[HistoryEntry]) -> None:
        """PostgreSQL: the batch in one COPY, in a transaction of its own (a third faster than executemany)."""
        rows = _history_rows(entries, _aware_time)
        self._check_open()
        async with self._engine.connect() as connection:
            # The asyncpg connection itself: SQLAlchemy has no COPY. Its own transaction, committed
            # here; SQLAlchemy began none on this connection, so it has nothing to roll back.
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            async with driver.transaction():
                await driver.copy_records_to_table("history", records=rows, columns=_HISTORY_COLUMNS)

    async def load_history(
        self, thing_id: uuid.UUID, type_id: uuid.UUID | None = None, limit: int = 1000
    ) -> list[HistoryEntry]:
        """The newest history entries of a thing (of one type if given), oldest first."""
        if limit <= 0:
            return []
        history = t.history
        statement = select(history).where(history.c.thing_id == str(thing_id))
        if type_id is not None:
            statement = statement.where(history.c.type_id == str(type_id))
        # Ids grow with appends, so they order entries even when clocks step back.
        statement = statement.order_by(history.c.id.desc()).limit(limit)
        rows = await self._rows(statement)
        return [history_from_row(row._mapping) for row in reversed(rows)]

    async def load_history_between(
        self,
        thing_id: uuid.UUID,
        start: datetime,
        end: datetime,
        *,
        type_ids: Sequence[uuid.UUID] | None = None,
        limit: int = 1000,
    ) -> list[HistoryEntry]:
        """A thing's entries from `start` (inclusive) to `end` (exclusive), by time then by arrival; at most `limit`."""
        if limit <= 0:
            return []
        # The driver's rows as they come (a page is up to 10,000 of them): SQLAlchemy's result
        # processing, a UUID parsed twice per row and a timestamp converted twice took 3/4 of the time.
        postgresql = self._dialect == "postgresql"
        bound_time: Callable[[datetime], Any] = _aware_time if postgresql else sqlite_time
        parameters: list[Any] = [str(thing_id), bound_time(start), bound_time(end)]
        if type_ids is not None:
            wanted = [str(type_id) for type_id in type_ids]
            # One parameter however many types are asked for (bound-parameter limits).
            parameters.append(wanted if postgresql else encode_json(wanted))
        parameters.append(limit)
        rows = await self._driver_rows(history_between_sql(postgresql, type_ids is not None), parameters)
        # Every row is of this thing; a page holds a few types, each parsed once.
        types: dict[str, uuid.UUID] = {}
        decode = _decode_any
        if postgresql:  # asyncpg gives timestamptz back as aware UTC datetimes
            return [
                HistoryEntry(
                    stamp,
                    thing_id,
                    kind,
                    types.get(type_text) or types.setdefault(type_text, uuid.UUID(type_text)),
                    decode(value),
                )
                for stamp, kind, type_text, value in rows
            ]
        parse = datetime.fromisoformat
        # The text is UTC: parsed with its offset (the UTC singleton comes back), 5x faster than a replace().
        return [
            HistoryEntry(
                parse(stamp + "+00:00"),
                thing_id,
                kind,
                types.get(type_text) or types.setdefault(type_text, uuid.UUID(type_text)),
                decode(value),
            )
            for stamp, kind, type_text, value in rows
        ]

    async def latest_history_time(self, thing_id: uuid.UUID, type_id: uuid.UUID) -> datetime | None:
        """The time of a thing's newest entry of one type, or None."""
        history = t.history
        statement = select(func.max(history.c.timestamp)).where(
            history.c.thing_id == str(thing_id), history.c.type_id == str(type_id)
        )
        rows = await self._rows(statement)
        value = rows[0][0] if rows else None
        return None if value is None else t.as_utc(value)

    async def latest_history_times(
        self, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
        """The time of the newest entry of each (thing id, type id) that has one, in one query."""
        if not keys:
            return {}
        # One round trip for an upload's new sensors (one query each took 40% of an upload of
        # 1,000 readings of 10 new sensors); each key's newest found through the (thing, time) index.
        things = [str(thing_id) for thing_id, _ in keys]
        types = [str(type_id) for _, type_id in keys]
        if self._dialect == "postgresql":
            parameters: tuple[Any, ...] = (things, types)
            statement = _LATEST_TIMES_POSTGRESQL
        else:
            parameters = (encode_json(list(zip(things, types, strict=True))),)
            statement = _LATEST_TIMES_SQLITE
        rows = await self._driver_rows(statement, parameters)
        return {keys[position]: t.as_utc(_as_datetime(moment)) for position, moment in rows if moment is not None}

    async def delete_history(
        self,
        thing_id: uuid.UUID,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        timestamps: Sequence[datetime] | None = None,
    ) -> int:
        """Delete a thing's entries in [start, end) (all without bounds), or only at `timestamps`; durably."""
        history = t.history
        conditions = [history.c.thing_id == str(thing_id)]
        if start is not None:
            conditions.append(history.c.timestamp >= start)
        if end is not None:
            conditions.append(history.c.timestamp < end)
        deleted = 0
        async with self._writing() as connection:
            if timestamps is None:
                result = await connection.execute(delete(history).where(*conditions))
                return int(result.rowcount or 0)
            moments = list(timestamps)
            for first in range(0, len(moments), _CHUNK):
                chunk = moments[first : first + _CHUNK]
                result = await connection.execute(delete(history).where(*conditions, history.c.timestamp.in_(chunk)))
                deleted += int(result.rowcount or 0)
        return deleted

    async def prune_history(self, older_than: datetime, *, limit: int | None = None) -> int:
        """Delete entries before `older_than` (only the `limit` oldest of them if given), durably; the count deleted."""
        async with self._writing() as connection:
            if limit is None:
                result = await connection.execute(delete(t.history).where(t.history.c.timestamp < older_than))
            elif self._dialect == "postgresql":
                result = await connection.exec_driver_sql(_PRUNE_OLDEST_POSTGRESQL, (_aware_time(older_than), limit))
            else:
                result = await connection.exec_driver_sql(_PRUNE_OLDEST_SQLITE, (sqlite_time(older_than), limit))
        return int(result.rowcount or 0)

    # -- users and tokens -------------------------------------------------------------------

    async def load_users(self) -> list[UserRecord]:
        """Every user."""
        rows = await self._rows(select(t.users).order_by(t.users.c.username))
        return [user_from_row(row._mapping) for row in rows]

    async def save_user(self, record: UserRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a user, durably (with the event reporting it, in the same transaction)."""
        async with self._writing_with(event) as connection:
            await connection.execute(self._upsert(t.users, ["username"]), user_to_row(record))

    async def delete_user(self, username: str, event: EventRecord | None = None) -> None:
        """Delete a user, its tokens and its dashboard sessions, durably (with the event reporting it, together)."""
        async with self._writing_with(event) as connection:
            await connection.execute(delete(t.tokens).where(t.tokens.c.username == username))
            # A user made again under this name later must not find the old one's browsers logged in.
            await connection.execute(delete(t.web_sessions).where(t.web_sessions.c.username == username))
            await connection.execute(delete(t.users).where(t.users.c.username == username))

    async def load_tokens(self) -> list[TokenRecord]:
        """Every token."""
        rows = await self._rows(select(t.tokens).order_by(t.tokens.c.created, t.tokens.c.id))
        return [token_from_row(row._mapping) for row in rows]

    async def save_token(self, record: TokenRecord) -> None:
        """Insert a token, durably (saving the same id again replaces it, so a retry is harmless)."""
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.tokens, ["id"]), token_to_row(record))

    async def delete_token(self, token_id: uuid.UUID) -> None:
        """Delete a token, durably."""
        async with self._writing() as connection:
            await connection.execute(delete(t.tokens).where(t.tokens.c.id == str(token_id)))

    # -- domains ----------------------------------------------------------------------------

    async def load_domains(self) -> list[DomainRecord]:
        """Every domain."""
        return [domain_from_row(row._mapping) for row in await self._rows(select(t.domains).order_by(t.domains.c.name))]

    async def save_domain(self, record: DomainRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a domain, durably (with the event reporting it, in the same transaction)."""
        row = domain_to_row(record)
        async with self._writing_with(event) as connection:
            await connection.execute(self._upsert(t.domains, ["name"]), row)

    async def delete_domain(self, name: str, event: EventRecord | None = None) -> None:
        """Delete a domain, durably (with the event reporting it, in the same transaction)."""
        async with self._writing_with(event) as connection:
            await connection.execute(delete(t.domains).where(t.domains.c.name == name))

    # -- registry ---------------------------------------------------------------------------

    async def load_api_keys(self) -> list[ApiKeyRecord]:
        """Every API key, oldest first."""
        rows = await self._rows(select(t.api_keys).order_by(t.api_keys.c.created, t.api_keys.c.id))
        return [api_key_from_row(row._mapping) for row in rows]

    async def save_api_key(self, record: ApiKeyRecord) -> None:
        """Insert or replace an API key, durably."""
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.api_keys, ["id"]), api_key_to_row(record))

    async def delete_api_key(self, key_id: uuid.UUID) -> None:
        """Delete an API key, durably."""
        async with self._writing() as connection:
            await connection.execute(delete(t.api_keys).where(t.api_keys.c.id == str(key_id)))

    async def load_registry_tokens(self) -> list[RegistryTokenRecord]:
        """Every registry login, oldest first."""
        columns = t.registry_tokens.c
        rows = await self._rows(select(t.registry_tokens).order_by(columns.created, columns.id))
        return [registry_token_from_row(row._mapping) for row in rows]

    async def save_registry_token(self, record: RegistryTokenRecord) -> None:
        """Insert or replace a registry login, durably."""
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.registry_tokens, ["id"]), registry_token_to_row(record))

    async def delete_registry_tokens(self, token_ids: Sequence[uuid.UUID]) -> None:
        """Delete registry logins, durably."""
        if not token_ids:
            return
        async with self._writing() as connection:
            for chunk in _chunks(token_ids):
                await connection.execute(delete(t.registry_tokens).where(t.registry_tokens.c.id.in_(chunk)))

    async def load_oauth_clients(self) -> list[OAuthClientRecord]:
        """Every OAuth client, oldest first."""
        columns = t.oauth_clients.c
        rows = await self._rows(select(t.oauth_clients).order_by(columns.created, columns.client_id))
        return [oauth_client_from_row(row._mapping) for row in rows]

    async def save_oauth_client(self, record: OAuthClientRecord) -> None:
        """Insert or replace an OAuth client, durably."""
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.oauth_clients, ["client_id"]), oauth_client_to_row(record))

    async def delete_oauth_client(self, client_id: str) -> None:
        """Delete an OAuth client, durably."""
        async with self._writing() as connection:
            await connection.execute(delete(t.oauth_clients).where(t.oauth_clients.c.client_id == client_id))

    async def load_thing_types(self) -> list[ThingTypeRecord]:
        """Every thing type, oldest first."""
        rows = await self._rows(select(t.thing_types).order_by(t.thing_types.c.created, t.thing_types.c.id))
        return [thing_type_from_row(row._mapping) for row in rows]

    async def save_thing_type(self, record: ThingTypeRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a thing type, durably (with the event reporting it, in the same transaction)."""
        async with self._writing_with(event) as connection:
            await connection.execute(self._upsert(t.thing_types, ["id"]), thing_type_to_row(record))

    async def delete_thing_type(self, thing_type_id: str, event: EventRecord | None = None) -> None:
        """Delete a thing type, durably (with the event reporting it, in the same transaction)."""
        async with self._writing_with(event) as connection:
            await connection.execute(delete(t.thing_types).where(t.thing_types.c.id == thing_type_id))

    # -- dashboard sessions -----------------------------------------------------------------------

    async def load_web_sessions(self) -> list[WebSessionRecord]:
        """Every kept session, least recently used first."""
        columns = t.web_sessions.c
        rows = await self._rows(select(t.web_sessions).order_by(columns.last_used, columns.key_hash))
        return [web_session_from_row(row._mapping) for row in rows]

    async def save_web_session(self, record: WebSessionRecord) -> None:
        """Insert or replace a session, durably."""
        async with self._writing() as connection:
            await connection.execute(self._upsert(t.web_sessions, ["key_hash"]), web_session_to_row(record))

    async def touch_web_sessions(self, last_used: Sequence[tuple[str, datetime]]) -> None:
        """Set when sessions (by key hash) were last used, durably; a session no longer kept is not made again."""
        if not last_used:
            return
        columns = t.web_sessions.c
        # An UPDATE, not an upsert: a session forgotten meanwhile (logout) stays forgotten.
        statement = (
            update(t.web_sessions).where(columns.key_hash == bindparam("key")).values(last_used=bindparam("used"))
        )
        async with self._writing() as connection:
            await connection.execute(statement, [{"key": key, "used": used} for key, used in last_used])

    async def delete_web_sessions(self, key_hashes: Sequence[str]) -> None:
        """Forget sessions by key hash, durably."""
        if not key_hashes:
            return
        async with self._writing() as connection:
            for start in range(0, len(key_hashes), _CHUNK):
                chunk = list(key_hashes[start : start + _CHUNK])
                await connection.execute(delete(t.web_sessions).where(t.web_sessions.c.key_hash.in_(chunk)))

    async def delete_user_web_sessions(self, username: str) -> None:
        """Forget every session of a user, durably."""
        async with self._writing() as connection:
            await connection.execute(delete(t.web_sessions).where(t.web_sessions.c.username == username))

    # -- lifecycle events (the outbox) ----------------------------------------------------------

    async def pending_events(self, limit: int) -> list[EventRecord]:
        """The oldest events not yet published, in outbox order."""
        columns = t.outbox.c
        statement = select(t.outbox).where(columns.published.is_(False)).order_by(columns.sequence).limit(limit)
        return [event_from_row(row._mapping) for row in await self._rows(statement)]

    async def count_pending_events(self) -> int:
        """How many events are not yet published (the outbox's depth; ix_outbox_pending reads only those)."""
        statement = select(func.count()).select_from(t.outbox).where(t.outbox.c.published.is_(False))
        rows = await self._rows(statement)
        return int(rows[0][0])

    async def mark_events_published(self, sequences: Sequence[int]) -> None:
        """Mark events published (the broker acknowledged them), durably."""
        if not sequences:
            return
        async with self._writing() as connection:
            for start in range(0, len(sequences), _CHUNK):
                chunk = list(sequences[start : start + _CHUNK])
                await connection.execute(update(t.outbox).where(t.outbox.c.sequence.in_(chunk)).values(published=True))

    async def wait_for_events(self) -> None:
        """Return when an event was written since the last call (callers bound the wait with a timeout)."""
        await self._event_signal.wait()

    async def find_events(self, query: EventQuery) -> tuple[list[EventRecord], int]:
        """The events a query finds (one page, in time order) and how many it finds in all."""
        columns = t.outbox.c
        conditions: list[Any] = []
        if query.domains is not None:
            if not query.domains:
                return [], 0
            conditions.append(columns.domain.in_(sorted(query.domains)))
        if query.types:
            conditions.append(columns.type.in_(sorted(query.types)))
        if query.since is not None:
            conditions.append(columns.timestamp >= query.since)
        if query.until is not None:
            conditions.append(columns.timestamp < query.until)
        if query.acknowledged is not None:
            conditions.append(
                columns.acknowledged_at.is_not(None) if query.acknowledged else columns.acknowledged_at.is_(None)
            )
        order = (
            (columns.timestamp.desc(), columns.sequence.desc())
            if query.newest_first
            else (columns.timestamp, columns.sequence)
        )
        page = select(t.outbox).where(*conditions).order_by(*order).offset(query.offset).limit(query.limit)
        total = select(func.count()).select_from(t.outbox).where(*conditions)
        self._check_open()
        async with self._engine.connect() as connection:
            rows = (await connection.execute(page)).all()
            count = (await connection.execute(total)).scalar_one()
        return [event_from_row(row._mapping) for row in rows], int(count)

    async def load_event(self, event_id: uuid.UUID) -> EventRecord | None:
        """One event by id (None when there is none)."""
        rows = await self._rows(select(t.outbox).where(t.outbox.c.id == str(event_id)))
        return event_from_row(rows[0]._mapping) if rows else None

    async def acknowledge_event(self, event_id: uuid.UUID, at: int, by: str) -> EventRecord | None:
        """Set when and by whom an event was acknowledged, durably (None when there is no such event)."""
        async with self._writing() as connection:
            await connection.execute(
                update(t.outbox).where(t.outbox.c.id == str(event_id)).values(acknowledged_at=at, acknowledged_by=by)
            )
            rows = (await connection.execute(select(t.outbox).where(t.outbox.c.id == str(event_id)))).all()
        return event_from_row(rows[0]._mapping) if rows else None

    async def prune_events(self, older_than: int) -> int:
        """Delete events made before `older_than` (epoch ms), durably; how many went."""
        async with self._writing() as connection:
            result = await connection.execute(delete(t.outbox).where(t.outbox.c.timestamp < older_than))
        return int(result.rowcount or 0)

    # -- lifecycle --------------------------------------------------------------------------

    async def close(self) -> None:
        """Flush what is pending and close (every write is already committed: this releases connections)."""
        if self._closed:
            return
        if self._write_lock is not None:
            # Let a write that is under way finish before the connections go.
            async with self._write_lock:
                self._closed = True
        self._closed = True
        await self._engine.dispose()


if TYPE_CHECKING:

    def _is_a_store(store: SqlStore) -> Store:
        # mypy checks here that SqlStore satisfies the protocol the hub is typed against.
        return store
