"""The `Store` protocol in memory, for unit tests of the hub, the security layer and the doors.

Records pass through the same JSON conversions as in `SqlStore`, so a test sees exactly what a
real database would give back (lists for tuples, UTC timestamps, a TypeError for a value that
is not JSON-compatible), and no caller can change stored state by mutating a record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

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
from thinggate.storage import sql
from thinggate.storage.tables import as_utc


class MemoryStore:
    """Every record in plain dicts; a closed store keeps its data and may be used again, like a reopened file.

    The attributes hold the stored form and are there for tests to inspect, not to modify.
    """

    def __init__(self) -> None:
        self.things: dict[uuid.UUID, dict[str, Any]] = {}
        self.states: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
        self.plugin_configurations: dict[uuid.UUID, str] = {}
        self.hub_settings: dict[str, str] = {}
        self.io_connections: dict[uuid.UUID, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens: dict[uuid.UUID, dict[str, Any]] = {}
        self.domains: dict[str, DomainRecord] = {}
        self.api_keys: dict[uuid.UUID, dict[str, Any]] = {}
        self.registry_tokens: dict[uuid.UUID, dict[str, Any]] = {}
        self.thing_types: dict[str, dict[str, Any]] = {}
        self.oauth_clients: dict[str, dict[str, Any]] = {}
        self.web_sessions: dict[str, dict[str, Any]] = {}
        self.outbox: list[dict[str, Any]] = []  # rows in sequence order
        self._next_sequence = 1
        self._event_signal = sql.EventSignal()
        self.closed = False

    def _add_event(self, event: EventRecord | None) -> None:
        """Put an event into the outbox (with the write it reports: nothing between them can fail)."""
        if event is None:
            return
        row = sql.event_to_row(event)
        row["sequence"] = self._next_sequence
        self._next_sequence += 1
        self.outbox.append(row)
        self._event_signal.written()

    # -- things -----------------------------------------------------------------------------

    async def load_things(self) -> list[ThingRecord]:
        """Every stored thing, in the order they were first saved."""
        return [sql.thing_from_row(row) for row in self.things.values()]

    async def save_thing(self, record: ThingRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a thing (and put the event reporting it into the outbox)."""
        row = sql.thing_to_row(record)
        self.things[record.id] = row
        self._add_event(event)

    async def save_things(self, records: Sequence[ThingRecord]) -> None:
        """Insert or replace many things (as `SqlStore.save_things`)."""
        for record in records:
            self.things[record.id] = sql.thing_to_row(record)

    async def delete_things(self, thing_ids: list[uuid.UUID], event: EventRecord | None = None) -> None:
        """Delete things, their cached states and their IO connections (and put the event into the outbox)."""
        self._add_event(event)
        doomed = set(thing_ids)
        for thing_id in doomed:
            self.things.pop(thing_id, None)
        self.states = {key: value for key, value in self.states.items() if key[0] not in doomed}
        doomed_text = {str(thing_id) for thing_id in doomed}
        self.history = [row for row in self.history if row["thing_id"] not in doomed_text]
        self.io_connections = {
            key: row
            for key, row in self.io_connections.items()
            if uuid.UUID(row["input_thing_id"]) not in doomed and uuid.UUID(row["output_thing_id"]) not in doomed
        }

    # -- state cache ------------------------------------------------------------------------

    async def load_states(self) -> dict[uuid.UUID, dict[uuid.UUID, Any]]:
        """Cached state values by thing id and state type id."""
        states: dict[uuid.UUID, dict[uuid.UUID, Any]] = {}
        for (thing_id, state_type_id), value in self.states.items():
            states.setdefault(thing_id, {})[state_type_id] = sql.decode_json(value)
        return states

    async def save_states(self, values: list[tuple[uuid.UUID, uuid.UUID, Any]]) -> None:
        """Upsert a batch of (thing id, state type id, value) state cache entries."""
        # Encode all first: a value that is not JSON-compatible fails the batch, as in SqlStore.
        encoded = [((thing_id, state_type_id), sql.encode_json(value)) for thing_id, state_type_id, value in values]
        self.states.update(encoded)

    # -- plugin configurations --------------------------------------------------------------

    async def load_plugin_configurations(self) -> dict[uuid.UUID, dict[uuid.UUID, Any]]:
        """Stored configuration of every integration that has one."""
        return {plugin_id: sql.decode_id_map(text) for plugin_id, text in self.plugin_configurations.items()}

    async def save_plugin_configuration(self, plugin_id: uuid.UUID, values: dict[uuid.UUID, Any]) -> None:
        """Store an integration's configuration."""
        self.plugin_configurations[plugin_id] = sql.encode_json(values)

    # -- hub settings -----------------------------------------------------------------------

    async def load_hub_settings(self) -> dict[str, Any]:
        """Hub-wide settings (house mode, ...) by key."""
        return {key: sql.decode_json(text) for key, text in self.hub_settings.items()}

    async def save_hub_setting(self, key: str, value: Any) -> None:
        """Store one hub-wide setting (a JSON value)."""
        self.hub_settings[key] = sql.encode_json(value)

    # -- IO connections ---------------------------------------------------------------------

    async def load_io_connections(self) -> list[IOConnectionRecord]:
        """Every stored IO connection."""
        return [sql.io_connection_from_row(row) for row in self.io_connections.values()]

    async def save_io_connection(self, record: IOConnectionRecord) -> None:
        """Insert or replace an IO connection."""
        self.io_connections[record.id] = sql.io_connection_to_row(record)

    async def delete_io_connection(self, io_connection_id: uuid.UUID) -> None:
        """Delete an IO connection."""
        self.io_connections.pop(io_connection_id, None)

    # -- history ----------------------------------------------------------------------------

    async def append_history(self, entries: list[HistoryEntry]) -> None:
        """Append a batch of history entries."""
        rows = [sql.history_to_row(entry) for entry in entries]
        for row in rows:
            row["timestamp"] = as_utc(row["timestamp"])
        self.history.extend(rows)

    async def load_history(
        self, thing_id: uuid.UUID, type_id: uuid.UUID | None = None, limit: int = 1000
    ) -> list[HistoryEntry]:
        """The newest history entries of a thing (of one type if given), oldest first."""
        if limit <= 0:
            return []
        wanted_thing = str(thing_id)
        wanted_type = None if type_id is None else str(type_id)
        newest: list[HistoryEntry] = []
        for row in reversed(self.history):
            if row["thing_id"] == wanted_thing and (wanted_type is None or row["type_id"] == wanted_type):
                newest.append(sql.history_from_row(row))
                if len(newest) == limit:
                    break
        newest.reverse()
        return newest

    def _history_rows(
        self, thing_id: uuid.UUID, start: datetime | None, end: datetime | None
    ) -> list[tuple[int, dict[str, Any]]]:
        wanted = str(thing_id)
        low = None if start is None else as_utc(start)
        high = None if end is None else as_utc(end)
        return [
            (position, row)
            for position, row in enumerate(self.history)
            if row["thing_id"] == wanted
            and (low is None or row["timestamp"] >= low)
            and (high is None or row["timestamp"] < high)
        ]

    async def load_history_between(
        self,
        thing_id: uuid.UUID,
        start: datetime,
        end: datetime,
        *,
        type_ids: Sequence[uuid.UUID] | None = None,
        limit: int = 1000,
    ) -> list[HistoryEntry]:
        """A thing's entries from `start` (inclusive) to `end` (exclusive), by time then by arrival."""
        if limit <= 0:
            return []
        types = None if type_ids is None else {str(type_id) for type_id in type_ids}
        rows = [
            (row["timestamp"], position, row)
            for position, row in self._history_rows(thing_id, start, end)
            if types is None or row["type_id"] in types
        ]
        rows.sort(key=lambda item: (item[0], item[1]))
        return [sql.history_from_row(row) for _, _, row in rows[:limit]]

    async def latest_history_time(self, thing_id: uuid.UUID, type_id: uuid.UUID) -> datetime | None:
        """The time of a thing's newest entry of one type, or None."""
        wanted = str(type_id)
        times = [row["timestamp"] for _, row in self._history_rows(thing_id, None, None) if row["type_id"] == wanted]
        return max(times, default=None)

    async def latest_history_times(
        self, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
        """The time of the newest entry of each (thing id, type id) that has one."""
        wanted = {(str(thing_id), str(type_id)): (thing_id, type_id) for thing_id, type_id in keys}
        latest: dict[tuple[uuid.UUID, uuid.UUID], datetime] = {}
        for row in self.history:
            key = wanted.get((row["thing_id"], row["type_id"]))
            if key is not None and (key not in latest or row["timestamp"] > latest[key]):
                latest[key] = row["timestamp"]
        return latest

    async def delete_history(
        self,
        thing_id: uuid.UUID,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        timestamps: Sequence[datetime] | None = None,
    ) -> int:
        """Delete a thing's entries in [start, end) (all without bounds), or only at `timestamps`."""
        at = None if timestamps is None else {as_utc(moment) for moment in timestamps}
        doomed = {
            position
            for position, row in self._history_rows(thing_id, start, end)
            if at is None or row["timestamp"] in at
        }
        self.history = [row for position, row in enumerate(self.history) if position not in doomed]
        return len(doomed)

    async def prune_history(self, older_than: datetime, *, limit: int | None = None) -> int:
        """Delete entries before `older_than` (only the `limit` oldest of them if given)."""
        bound = as_utc(older_than)
        older = sorted(
            (row["timestamp"], position) for position, row in enumerate(self.history) if row["timestamp"] < bound
        )
        doomed = {position for _, position in (older if limit is None else older[: max(limit, 0)])}
        self.history = [row for position, row in enumerate(self.history) if position not in doomed]
        return len(doomed)

    # -- users and tokens -------------------------------------------------------------------

    async def load_users(self) -> list[UserRecord]:
        """Every user, by name."""
        return [sql.user_from_row(self.users[name]) for name in sorted(self.users)]

    async def save_user(self, record: UserRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a user (and put the event reporting it into the outbox)."""
        self.users[record.username] = sql.user_to_row(record)
        self._add_event(event)

    async def delete_user(self, username: str, event: EventRecord | None = None) -> None:
        """Delete a user, its tokens and its dashboard sessions (and put the event reporting it into the outbox)."""
        self._add_event(event)
        self.users.pop(username, None)
        self.tokens = {key: row for key, row in self.tokens.items() if row["username"] != username}
        await self.delete_user_web_sessions(username)

    async def load_tokens(self) -> list[TokenRecord]:
        """Every token, oldest first."""
        records = [sql.token_from_row(row) for row in self.tokens.values()]
        records.sort(key=lambda record: (record.created, str(record.id)))
        return records

    async def save_token(self, record: TokenRecord) -> None:
        """Insert a token (saving the same id again replaces it)."""
        row = sql.token_to_row(record)
        row["created"] = as_utc(row["created"])
        self.tokens[record.id] = row

    async def delete_token(self, token_id: uuid.UUID) -> None:
        """Delete a token."""
        self.tokens.pop(token_id, None)

    # -- domains ----------------------------------------------------------------------------

    async def load_domains(self) -> list[DomainRecord]:
        """Every domain, by name."""
        # Through the row form: a copy whose data no caller shares with the store.
        return [sql.domain_from_row(sql.domain_to_row(self.domains[name])) for name in sorted(self.domains)]

    async def save_domain(self, record: DomainRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a domain (and put the event reporting it into the outbox)."""
        self.domains[record.name] = sql.domain_from_row(sql.domain_to_row(record))
        self._add_event(event)

    async def delete_domain(self, name: str, event: EventRecord | None = None) -> None:
        """Delete a domain (and put the event reporting it into the outbox)."""
        self._add_event(event)
        self.domains.pop(name, None)

    # -- registry ---------------------------------------------------------------------------

    async def load_api_keys(self) -> list[ApiKeyRecord]:
        """Every API key, oldest first."""
        records = [sql.api_key_from_row(row) for row in self.api_keys.values()]
        return sorted(records, key=lambda record: (record.created, str(record.id)))

    async def save_api_key(self, record: ApiKeyRecord) -> None:
        """Insert or replace an API key (its hash unique, as the table's constraint makes it)."""
        if any(row["key_hash"] == record.key_hash and key != record.id for key, row in self.api_keys.items()):
            raise ValueError("an API key with this hash exists already")
        row = sql.api_key_to_row(record)
        row["created"] = as_utc(row["created"])
        self.api_keys[record.id] = row

    async def delete_api_key(self, key_id: uuid.UUID) -> None:
        """Delete an API key."""
        self.api_keys.pop(key_id, None)

    async def load_registry_tokens(self) -> list[RegistryTokenRecord]:
        """Every registry login, oldest first."""
        records = [sql.registry_token_from_row(row) for row in self.registry_tokens.values()]
        return sorted(records, key=lambda record: (record.created, str(record.id)))

    async def save_registry_token(self, record: RegistryTokenRecord) -> None:
        """Insert or replace a registry login."""
        self.registry_tokens[record.id] = sql.registry_token_to_row(record)

    async def delete_registry_tokens(self, token_ids: Sequence[uuid.UUID]) -> None:
        """Delete registry logins."""
        for token_id in token_ids:
            self.registry_tokens.pop(token_id, None)

    async def load_oauth_clients(self) -> list[OAuthClientRecord]:
        """Every OAuth client, oldest first."""
        records = [sql.oauth_client_from_row(row) for row in self.oauth_clients.values()]
        return sorted(records, key=lambda record: (record.created, record.client_id))

    async def save_oauth_client(self, record: OAuthClientRecord) -> None:
        """Insert or replace an OAuth client."""
        row = sql.oauth_client_to_row(record)
        row["created"] = as_utc(row["created"])
        self.oauth_clients[record.client_id] = row

    async def delete_oauth_client(self, client_id: str) -> None:
        """Delete an OAuth client."""
        self.oauth_clients.pop(client_id, None)

    # -- dashboard sessions -----------------------------------------------------------------------

    async def load_web_sessions(self) -> list[WebSessionRecord]:
        """Every kept session, least recently used first."""
        records = [sql.web_session_from_row(row) for row in self.web_sessions.values()]
        return sorted(records, key=lambda record: (record.last_used, record.key_hash))

    async def save_web_session(self, record: WebSessionRecord) -> None:
        """Insert or replace a session."""
        self.web_sessions[record.key_hash] = sql.web_session_to_row(record)

    async def touch_web_sessions(self, last_used: Sequence[tuple[str, datetime]]) -> None:
        """Set when sessions were last used; a session no longer kept is not made again."""
        for key, used in last_used:
            row = self.web_sessions.get(key)
            if row is not None:
                row["last_used"] = as_utc(used)

    async def delete_web_sessions(self, key_hashes: Sequence[str]) -> None:
        """Forget sessions by key hash."""
        for key in key_hashes:
            self.web_sessions.pop(key, None)

    async def delete_user_web_sessions(self, username: str) -> None:
        """Forget every session of a user."""
        self.web_sessions = {key: row for key, row in self.web_sessions.items() if row["username"] != username}

    async def load_thing_types(self) -> list[ThingTypeRecord]:
        """Every thing type, oldest first."""
        records = [sql.thing_type_from_row(row) for row in self.thing_types.values()]
        return sorted(records, key=lambda record: (record.created or as_utc(datetime.min), record.id))

    async def save_thing_type(self, record: ThingTypeRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a thing type (and put the event reporting it into the outbox)."""
        self.thing_types[record.id] = sql.thing_type_to_row(record)
        self._add_event(event)

    async def delete_thing_type(self, thing_type_id: str, event: EventRecord | None = None) -> None:
        """Delete a thing type (and put the event reporting it into the outbox)."""
        self._add_event(event)
        self.thing_types.pop(thing_type_id, None)

    # -- lifecycle events (the outbox) ----------------------------------------------------------

    async def pending_events(self, limit: int) -> list[EventRecord]:
        """The oldest events not yet published, in outbox order."""
        pending = [row for row in self.outbox if not row["published"]]
        return [sql.event_from_row(row) for row in pending[:limit]]

    async def count_pending_events(self) -> int:
        """How many events are not yet published."""
        return sum(1 for row in self.outbox if not row["published"])

    async def mark_events_published(self, sequences: Sequence[int]) -> None:
        """Mark events published."""
        wanted = set(sequences)
        for row in self.outbox:
            if row["sequence"] in wanted:
                row["published"] = True

    async def wait_for_events(self) -> None:
        """Return when an event was written since the last call (callers bound the wait with a timeout)."""
        await self._event_signal.wait()

    async def find_events(self, query: EventQuery) -> tuple[list[EventRecord], int]:
        """The events a query finds (one page, in time order) and how many it finds in all."""
        found = [row for row in self.outbox if _matches(row, query)]
        found.sort(key=lambda row: (row["timestamp"], row["sequence"]), reverse=query.newest_first)
        page = found[query.offset : query.offset + query.limit]
        return [sql.event_from_row(row) for row in page], len(found)

    async def load_event(self, event_id: uuid.UUID) -> EventRecord | None:
        """One event by id (None when there is none)."""
        row = next((row for row in self.outbox if row["id"] == str(event_id)), None)
        return None if row is None else sql.event_from_row(row)

    async def acknowledge_event(self, event_id: uuid.UUID, at: int, by: str) -> EventRecord | None:
        """Set when and by whom an event was acknowledged (None when there is no such event)."""
        row = next((row for row in self.outbox if row["id"] == str(event_id)), None)
        if row is None:
            return None
        row["acknowledged_at"], row["acknowledged_by"] = at, by
        return sql.event_from_row(row)

    async def prune_events(self, older_than: int) -> int:
        """Delete events made before `older_than` (epoch ms); how many went."""
        kept = [row for row in self.outbox if row["timestamp"] >= older_than]
        pruned = len(self.outbox) - len(kept)
        self.outbox = kept
        return pruned

    # -- lifecycle --------------------------------------------------------------------------

    async def close(self) -> None:
        """Nothing is pending; only remember that the store was closed."""
        self.closed = True


def _matches(row: dict[str, Any], query: EventQuery) -> bool:
    """Whether an outbox row passes a query's filters."""
    return (
        (query.domains is None or row["domain"] in query.domains)
        and (not query.types or row["type"] in query.types)
        and (query.since is None or row["timestamp"] >= query.since)
        and (query.until is None or row["timestamp"] < query.until)
        and (query.acknowledged is None or (row["acknowledged_at"] is not None) == query.acknowledged)
    )


if TYPE_CHECKING:

    def _is_a_store(store: MemoryStore) -> Store:
        # mypy checks here that MemoryStore satisfies the protocol the hub is typed against.
        return store
