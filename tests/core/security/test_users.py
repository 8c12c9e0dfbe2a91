"""Users and passwords: names, the password policy, logins, argon2 hashes."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from argon2 import PasswordHasher

from tests.core.security.fakes import PASSWORD, FakeStore, fast_hasher
from thinggate.core.errors import UserError, UserFailure
from thinggate.core.events import EventBus
from thinggate.core.security import (
    Scope,
    SecurityManager,
)

# --- users and passwords ------------------------------------------------------------------


@pytest.mark.parametrize("username", ["a", "ab", "has space", "tab\tname", "", "ümlaut"])
async def test_invalid_usernames_are_rejected(manager: SecurityManager, username: str) -> None:
    with pytest.raises(UserFailure) as caught:
        await manager.create_user(username, PASSWORD)
    assert caught.value.error is UserError.INVALID_USER_ID
    assert repr(username) in caught.value.message
    assert not manager.has_users


@pytest.mark.parametrize("username", ["abc", "john.doe@example.com", "a_b+c-d"])
async def test_valid_usernames_are_accepted(manager: SecurityManager, username: str) -> None:
    await manager.create_user(username, PASSWORD)
    assert manager.user(username).username == username.lower()


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("weak", "at least 8 characters"),
        ("Short1a", "at least 8 characters"),
        ("alllower123", "upper-case"),
        ("ALLUPPER123", "lower-case"),
        ("NoDigitsHere", "digit"),
    ],
)
async def test_password_policy(manager: SecurityManager, password: str, complaint: str) -> None:
    with pytest.raises(UserFailure) as caught:
        await manager.create_user("alice", password)
    assert caught.value.error is UserError.BAD_PASSWORD
    assert complaint in caught.value.message
    assert password not in str(caught.value)  # never echo a password into logs
    assert not manager.has_users


async def test_duplicate_user_is_rejected_case_insensitively(manager: SecurityManager) -> None:
    await manager.create_user("Alice", PASSWORD)
    with pytest.raises(UserFailure) as caught:
        await manager.create_user("ALICE", "Other1234")
    assert caught.value.error is UserError.DUPLICATE_USER_ID
    assert "'ALICE'" in caught.value.message
    assert [user.username for user in manager.users()] == ["alice"]


async def test_concurrent_creation_of_one_name_creates_one_user(manager: SecurityManager, store: FakeStore) -> None:
    results = await asyncio.gather(
        manager.create_user("alice", PASSWORD),
        manager.create_user("ALICE", "Other1234"),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, UserFailure)]
    assert len(failures) == 1 and failures[0].error is UserError.DUPLICATE_USER_ID
    assert list(store.users) == ["alice"]
    # Whichever call finished hashing first won; its password is the one that works.
    winner_password = PASSWORD if not isinstance(results[0], UserFailure) else "Other1234"
    assert await manager.authenticate("alice", winner_password, "phone") is not None


async def test_has_users_tracks_initial_setup(manager: SecurityManager) -> None:
    assert not manager.has_users
    await manager.create_user("alice", PASSWORD)
    assert manager.has_users
    await manager.remove_user("ALICE")
    assert not manager.has_users


async def test_unknown_user_operations_raise_invalid_user_id(manager: SecurityManager) -> None:
    for call in (
        manager.remove_user("ghost"),
        manager.change_password("ghost", PASSWORD),
        manager.set_user_scopes("ghost", Scope.ADMIN),
        manager.create_token("ghost", "cli"),
    ):
        with pytest.raises(UserFailure) as caught:
            await call
        assert caught.value.error is UserError.INVALID_USER_ID
        assert "'ghost'" in caught.value.message
    with pytest.raises(UserFailure):
        manager.user("ghost")
    with pytest.raises(UserFailure):
        manager.principal_for_user("ghost")


async def test_login_is_case_insensitive(manager: SecurityManager) -> None:
    await manager.create_user("Alice", PASSWORD)
    token = await manager.authenticate("aLiCe", PASSWORD, "phone")
    assert token is not None
    principal = await manager.principal_for_token(token)
    assert principal is not None and principal.name == "alice"


async def test_wrong_password_or_user_gives_no_token(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    assert await manager.authenticate("alice", "Secret124", "phone") is None
    assert await manager.authenticate("alice", PASSWORD.lower(), "phone") is None
    assert await manager.authenticate("bob", PASSWORD, "phone") is None
    assert store.tokens == {}


async def test_change_password(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    with pytest.raises(UserFailure) as caught:
        await manager.change_password("alice", "weak")
    assert caught.value.error is UserError.BAD_PASSWORD
    await manager.change_password("Alice", "Changed999")
    assert await manager.authenticate("alice", PASSWORD, "phone") is None
    assert await manager.authenticate("alice", "Changed999", "phone") is not None


async def test_password_is_stored_as_argon2_hash(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    stored = store.users["alice"].password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_hashing_runs_off_the_event_loop_thread(store: FakeStore) -> None:
    threads: list[int] = []

    class RecordingHasher(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            threads.append(threading.get_ident())
            return super().hash(password, salt=salt)

        def verify(self, hash: str | bytes, password: str | bytes) -> Any:
            threads.append(threading.get_ident())
            return super().verify(hash, password)

    manager = SecurityManager(store, hasher=RecordingHasher(time_cost=1, memory_cost=8, parallelism=1), bus=EventBus())
    await manager.load()
    await manager.create_user("alice", PASSWORD)
    await manager.authenticate("alice", PASSWORD, "phone")
    await manager.change_password("alice", "Changed999")
    assert len(threads) == 3
    assert threading.get_ident() not in threads


async def test_outdated_hash_is_upgraded_at_login(store: FakeStore) -> None:
    old = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await old.load()
    await old.create_user("alice", PASSWORD)
    old_hash = store.users["alice"].password_hash

    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    new = SecurityManager(store, hasher=stronger, bus=EventBus())
    await new.load()
    assert await new.authenticate("alice", PASSWORD, "phone") is not None
    new_hash = store.users["alice"].password_hash
    assert new_hash != old_hash
    assert not stronger.check_needs_rehash(new_hash)
