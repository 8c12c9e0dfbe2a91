"""Tokens: per device, stored hashed, revoked with their user, found when another process made them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.security.fakes import PASSWORD, FakeStore, fast_hasher
from thinggate.core.errors import UserError, UserFailure
from thinggate.core.events import EventBus
from thinggate.core.security import (
    Scope,
    SecurityManager,
)

# --- tokens -------------------------------------------------------------------------------


async def test_token_round_trip(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD, scopes=Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS)
    token = await manager.authenticate("alice", PASSWORD, "phone")
    assert token is not None and len(token) >= 32
    principal = await manager.principal_for_token(token)
    assert principal is not None
    assert principal.name == "alice"
    assert principal.scopes == Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS
    assert principal.domains is manager.domains
    [info] = manager.tokens("ALICE")
    assert (info.username, info.device_name) == ("alice", "phone")
    assert manager.token_info(token) == info
    assert await manager.principal_for_token(token + "x") is None
    assert await manager.principal_for_token("") is None


async def test_tokens_are_per_device_and_distinct(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    phone = await manager.authenticate("alice", PASSWORD, "phone")
    laptop = await manager.create_token("alice", "laptop")
    assert phone != laptop
    assert [info.device_name for info in manager.tokens("alice")] == ["phone", "laptop"]


async def test_revoked_token_gives_no_principal(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    keep = await manager.create_token("alice", "laptop")
    token = await manager.authenticate("alice", PASSWORD, "phone")
    assert token is not None
    info = manager.token_info(token)
    assert info is not None
    await manager.remove_token(info.id)
    assert await manager.principal_for_token(token) is None
    assert info.id not in store.tokens
    assert await manager.principal_for_token(keep) is not None  # only that one is revoked
    with pytest.raises(UserFailure) as caught:
        await manager.remove_token(info.id)
    assert caught.value.error is UserError.TOKEN_NOT_FOUND
    assert str(info.id) in caught.value.message
    with pytest.raises(UserFailure) as caught:
        await manager.remove_token("not-a-uuid")
    assert caught.value.error is UserError.TOKEN_NOT_FOUND


async def test_removing_another_users_token_is_denied(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    await manager.create_user("bob", PASSWORD)
    token = await manager.create_token("alice", "phone")
    [info] = manager.tokens("alice")
    with pytest.raises(UserFailure) as caught:
        await manager.remove_token(str(info.id), owner="bob")
    assert caught.value.error is UserError.PERMISSION_DENIED
    assert await manager.principal_for_token(token) is not None
    await manager.remove_token(str(info.id), owner="ALICE")
    assert await manager.principal_for_token(token) is None


async def test_removing_a_user_revokes_its_tokens(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    token = await manager.create_token("alice", "cli")
    await manager.remove_user("alice")
    assert await manager.principal_for_token(token) is None
    assert manager.tokens("alice") == []


async def test_token_is_stored_only_hashed(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    token = await manager.authenticate("alice", PASSWORD, "phone")
    assert token is not None
    assert len(store.tokens) == 1
    everything = repr(store.users) + repr(store.tokens) + repr(store.domains)
    assert token not in everything
    [record] = store.tokens.values()
    assert record.token_hash and record.token_hash != token
    assert record.device_name == "phone" and record.username == "alice"


async def test_a_token_made_by_another_process_is_found_in_the_store(
    store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `thinggate user token` runs in its own process against the same store while the hub serves.
    import thinggate.core.security.manager as security_module

    hub_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await hub_side.load()
    cli_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await cli_side.load()
    await cli_side.create_user("late", "LatePW12!")
    token = await cli_side.create_token("late", "ezlo app")
    monkeypatch.setattr(security_module, "STORE_REREAD_SECONDS", 0.0)
    principal = await hub_side.principal_for_token(token)
    assert principal is not None and principal.name == "late"
    assert await hub_side.principal_for_token("no-such-token") is None


async def test_unknown_tokens_do_not_reread_the_store_more_than_every_few_seconds(store: FakeStore) -> None:
    manager = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await manager.load()
    reads = 0
    real_load_tokens = store.load_tokens

    async def counting_load_tokens() -> Any:
        nonlocal reads
        reads += 1
        return await real_load_tokens()

    store.load_tokens = counting_load_tokens  # type: ignore[method-assign]
    for _ in range(50):
        assert await manager.principal_for_token("guess") is None
    assert reads == 0  # the manager read the store at load(), moments ago
