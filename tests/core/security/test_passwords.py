"""Passwords checked per request (HTTP basic) and digest secrets."""

from __future__ import annotations

import asyncio
import hashlib
import re

import pytest
from argon2 import PasswordHasher

from tests.core.security.fakes import PASSWORD, FakeStore, fast_hasher
from thinggate.core.errors import UserError, UserFailure
from thinggate.core.events import EventBus
from thinggate.core.security import (
    DIGEST_REALM_SETTING,
    STORE_REREAD_SECONDS,
    Scope,
    SecurityManager,
)

# --- passwords checked per request (HTTP basic) and digest secrets -------------------------------


async def test_verify_password_answers_the_principal_and_makes_no_token(
    manager: SecurityManager, store: FakeStore
) -> None:
    await manager.create_user("alice", PASSWORD, scopes=Scope.ACCESS_ALL_THINGS)
    principal = await manager.verify_password("ALICE", PASSWORD)
    assert principal is not None and principal.name == "alice" and principal.scopes == Scope.ACCESS_ALL_THINGS
    assert await manager.verify_password("alice", "Secret124") is None
    assert await manager.verify_password("nobody", PASSWORD) is None
    assert store.tokens == {}


async def test_a_remembered_password_stops_working_once_the_user_changes(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    assert await manager.verify_password("alice", PASSWORD) is not None  # now remembered
    await manager.change_password("alice", "Changed999")
    assert await manager.verify_password("alice", PASSWORD) is None
    assert await manager.verify_password("alice", "Changed999") is not None
    await manager.set_user_scopes("alice", Scope.NONE)
    principal = await manager.verify_password("alice", "Changed999")
    assert principal is not None and principal.scopes == Scope.NONE  # not the remembered Admin one
    await manager.remove_user("alice")
    assert await manager.verify_password("alice", "Changed999") is None


async def test_remembered_passwords_skip_argon2(store: FakeStore) -> None:
    calls: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            calls.append("verify")
            return super().verify(hash, password)

    manager = SecurityManager(store, hasher=CountingHasher(time_cost=1, memory_cost=8, parallelism=1), bus=EventBus())
    await manager.load()
    await manager.create_user("alice", PASSWORD)
    for _ in range(5):
        assert await manager.verify_password("alice", PASSWORD) is not None
    assert calls == ["verify"]


def ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """H(username:realm:password), as a digest client computes it."""
    return hashlib.new(algorithm, f"{username}:{realm}:{password}".encode()).hexdigest()


async def test_the_digest_realm_is_made_once_per_installation_and_kept(store: FakeStore) -> None:
    first = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await first.load()
    realm = await first.digest_realm()
    assert re.fullmatch(r"thinggate-[0-9a-f]{8}", realm), realm
    assert store.hub_settings[DIGEST_REALM_SETTING] == realm
    again = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await again.load()
    assert await again.digest_realm() == realm  # kept, not made anew
    elsewhere = SecurityManager(FakeStore(), hasher=fast_hasher(), bus=EventBus())
    assert await elsewhere.digest_realm() != realm  # another installation, another realm


async def test_digest_secrets_are_kept_only_for_users_who_opt_in(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("bob", PASSWORD)
    assert manager.digest_secret("bob", "MD5") is None and not manager.digest_enabled("bob")
    assert store.users["bob"].digest_ha1 == {}
    await manager.create_user("Alice", PASSWORD, digest=True)
    realm = await manager.digest_realm()
    expected = {"MD5": ha1("md5", "alice", realm, PASSWORD), "SHA-256": ha1("sha256", "alice", realm, PASSWORD)}
    assert manager.digest_secret("alice", "MD5") == expected["MD5"]
    assert manager.digest_secret("ALICE", "SHA-256") == expected["SHA-256"]
    assert store.users["alice"].digest_ha1 == expected
    assert manager.digest_secret("nobody", "MD5") is None
    # a new password: new secrets for the user who opted in, still none for the other
    await manager.change_password("alice", "Changed999")
    assert manager.digest_secret("alice", "MD5") == ha1("md5", "alice", realm, "Changed999")
    await manager.change_password("bob", "Changed999")
    assert store.users["bob"].digest_ha1 == {}


async def test_enabling_digest_needs_the_password_and_disabling_drops_the_secrets(
    manager: SecurityManager, store: FakeStore
) -> None:
    await manager.create_user("alice", PASSWORD)
    with pytest.raises(UserFailure) as caught:
        await manager.enable_digest("alice", "Wrong1234")
    assert caught.value.error is UserError.BAD_PASSWORD
    assert store.users["alice"].digest_ha1 == {}
    await manager.enable_digest("ALICE", PASSWORD)
    assert manager.digest_enabled("alice")
    assert store.users["alice"].digest_ha1["SHA-256"] == ha1("sha256", "alice", await manager.digest_realm(), PASSWORD)
    await manager.disable_digest("alice")
    assert not manager.digest_enabled("alice") and store.users["alice"].digest_ha1 == {}
    assert manager.digest_secret("alice", "MD5") is None
    with pytest.raises(UserFailure) as caught:
        await manager.enable_digest("nobody", PASSWORD)
    assert caught.value.error is UserError.INVALID_USER_ID


async def test_a_basic_login_makes_no_digest_secrets(store: FakeStore) -> None:
    manager = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await manager.load()
    await manager.create_user("alice", PASSWORD)
    assert await manager.verify_password("alice", PASSWORD) is not None
    assert manager.digest_secret("alice", "MD5") is None
    assert store.users["alice"].digest_ha1 == {}


async def test_digest_enabled_by_the_command_line_is_seen_by_the_hub_after_the_reread(store: FakeStore) -> None:
    hub_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await hub_side.load()
    await hub_side.create_user("alice", PASSWORD)
    command_line = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await command_line.load()
    await command_line.enable_digest("alice", PASSWORD)
    hub_side._store_read_at -= STORE_REREAD_SECONDS + 1  # as if the last read was a while ago
    await hub_side.refresh()
    assert hub_side.digest_secret("alice", "MD5") == ha1("md5", "alice", await hub_side.digest_realm(), PASSWORD)


async def test_a_user_removed_through_the_store_stops_verifying_after_the_reread(store: FakeStore) -> None:
    hub_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await hub_side.load()
    await hub_side.create_user("alice", PASSWORD)
    assert await hub_side.verify_password("alice", PASSWORD) is not None  # remembered now
    command_line = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await command_line.load()
    await command_line.remove_user("alice")
    hub_side._store_read_at -= STORE_REREAD_SECONDS + 1  # as if the last read was a while ago
    assert await hub_side.verify_password("alice", PASSWORD) is None
    assert hub_side.digest_secret("alice", "MD5") is None


async def test_a_password_changed_while_argon2_checks_the_old_one_is_not_accepted(store: FakeStore) -> None:
    manager = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await manager.load()
    await manager.create_user("alice", PASSWORD)
    checking = asyncio.Event()
    release = asyncio.Event()
    real_verify = manager._verify

    async def slow_verify(password_hash: str, password: str) -> bool:
        checking.set()
        await release.wait()
        return await real_verify(password_hash, password)

    manager._verify = slow_verify  # type: ignore[method-assign]
    login = asyncio.create_task(manager.verify_password("alice", PASSWORD))
    await checking.wait()
    manager._verify = real_verify  # type: ignore[method-assign]
    await manager.change_password("alice", "Changed999")
    release.set()
    assert await login is None
    assert await manager.verify_password("alice", PASSWORD) is None
    assert await manager.verify_password("alice", "Changed999") is not None
