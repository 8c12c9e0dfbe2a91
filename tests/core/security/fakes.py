"""A store in memory for the security tests, and their small helpers."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from argon2 import PasswordHasher

from thinggate.core.security import (
    SecurityManager,
)
from thinggate.core.store import DomainRecord, EventRecord, TokenRecord, UserRecord

PASSWORD = "Secret123"


class FakeStore:
    """The user/token/domain part of the Store protocol, in memory.

    Records are deep-copied in and out, as a database would, so the manager cannot lean on
    sharing objects with the store. `fail` makes every write raise.
    """

    def __init__(self) -> None:
        self.users: dict[str, UserRecord] = {}
        self.tokens: dict[uuid.UUID, TokenRecord] = {}
        self.domains: dict[str, DomainRecord] = {}
        self.hub_settings: dict[str, Any] = {}
        self.events: list[EventRecord] = []  # the outbox: events written with the changes they report
        self.fail = False

    def _write(self) -> None:
        if self.fail:
            raise OSError("disk on fire")

    async def load_users(self) -> list[UserRecord]:
        return copy.deepcopy(list(self.users.values()))

    async def save_user(self, record: UserRecord, event: EventRecord | None = None) -> None:
        self._write()
        if event is not None:
            self.events.append(copy.deepcopy(event))
        self.users[record.username] = copy.deepcopy(record)

    async def delete_user(self, username: str, event: EventRecord | None = None) -> None:
        self._write()
        if event is not None:
            self.events.append(copy.deepcopy(event))
        self.users.pop(username, None)
        self.tokens = {k: t for k, t in self.tokens.items() if t.username != username}

    async def load_tokens(self) -> list[TokenRecord]:
        return copy.deepcopy(list(self.tokens.values()))

    async def save_token(self, record: TokenRecord) -> None:
        self._write()
        self.tokens[record.id] = copy.deepcopy(record)

    async def delete_token(self, token_id: uuid.UUID) -> None:
        self._write()
        self.tokens.pop(token_id, None)

    async def load_domains(self) -> list[DomainRecord]:
        # Children first: the manager must cope with any order.
        return copy.deepcopy(list(reversed(self.domains.values())))

    async def save_domain(self, record: DomainRecord, event: EventRecord | None = None) -> None:
        self._write()
        if event is not None:
            self.events.append(copy.deepcopy(event))
        self.domains[record.name] = copy.deepcopy(record)

    async def delete_domain(self, name: str, event: EventRecord | None = None) -> None:
        self._write()
        if event is not None:
            self.events.append(copy.deepcopy(event))
        self.domains.pop(name, None)

    async def load_hub_settings(self) -> dict[str, Any]:
        return copy.deepcopy(self.hub_settings)

    async def save_hub_setting(self, key: str, value: Any) -> None:
        self._write()
        self.hub_settings[key] = copy.deepcopy(value)


def fast_hasher() -> PasswordHasher:
    """Cheap argon2 parameters: the tests check behaviour, not hash strength."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def make_tree(manager: SecurityManager) -> None:
    """root -> a -> a1, root -> b."""
    await manager.add_domain("a")
    await manager.add_domain("a1", parent="a")
    await manager.add_domain("b")
