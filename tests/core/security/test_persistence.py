"""What the manager stores, reloads and announces when another process changed the store."""

from __future__ import annotations

import uuid

import pytest

from tests.core.security.fakes import PASSWORD, FakeStore, fast_hasher, make_tree
from thinggate.core.errors import UserError, UserFailure
from thinggate.core.events import EventBus
from thinggate.core.security import (
    ROOT_DOMAIN,
    Privilege,
    Scope,
    SecurityManager,
)
from thinggate.core.store import DomainRecord

# --- persistence --------------------------------------------------------------------------


async def test_records_use_wire_names(manager: SecurityManager, store: FakeStore) -> None:
    await make_tree(manager)
    thing_id = uuid.uuid4()
    await manager.create_user(
        "Alice",
        PASSWORD,
        email="a@example.com",
        display_name="Alice A.",
        scopes=Scope.CONTROL_THINGS,
        allowed_thing_ids=[thing_id],
        home_domain="a",
        roles=["Read"],
        privileges=[Privilege("thing", "a1", frozenset({"U", "C"}))],
    )
    record = store.users["alice"]
    assert record.scopes == ["PermissionScopeControlThings"]
    assert record.roles == ["Read"]
    assert record.privileges == [{"object": "thing", "domain": "a1", "operations": ["C", "U"]}]
    assert record.allowed_thing_ids == [thing_id]
    assert (record.email, record.display_name, record.home_domain) == ("a@example.com", "Alice A.", "a")
    assert store.domains["a1"] == DomainRecord("a1", "a", "")
    assert ROOT_DOMAIN in store.domains


async def test_reload_gives_the_same_state(manager: SecurityManager, store: FakeStore) -> None:
    await make_tree(manager)
    await manager.add_domain("b1", parent="b", description="below b")
    await manager.create_user("alice", PASSWORD, home_domain="a", roles=["ReadWrite"])
    await manager.create_user(
        "bob",
        PASSWORD,
        scopes=Scope.CONTROL_THINGS,
        allowed_thing_ids=[uuid.uuid4()],
        privileges=[Privilege("thing", "b", frozenset("RU"))],
    )
    await manager.set_user_info("bob", email="bob@example.com")
    token = await manager.authenticate("alice", PASSWORD, "phone")
    assert token is not None

    reloaded = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await reloaded.load()
    assert reloaded.users() == manager.users()
    assert reloaded.tokens("alice") == manager.tokens("alice")
    assert reloaded.domain_records() == manager.domain_records()
    assert sorted(reloaded.domains.names()) == sorted(manager.domains.names())
    assert reloaded.domains.parent("b1") == "b"
    assert reloaded.principal_for_user("bob") == manager.principal_for_user("bob")
    principal = await reloaded.principal_for_token(token)
    assert principal == manager.principal_for_user("alice")
    assert principal is not None and principal.may("U", "thing", "a1")
    assert await reloaded.authenticate("bob", PASSWORD, "laptop") is not None


async def test_reload_keeps_the_tree_object(manager: SecurityManager, store: FakeStore) -> None:
    tree = manager.domains
    store.domains["x"] = DomainRecord("x", ROOT_DOMAIN)
    await manager.load()
    assert manager.domains is tree and "x" in tree


async def test_store_failure_is_backend_error_and_changes_nothing(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    store.fail = True
    with pytest.raises(UserFailure) as caught:
        await manager.create_user("bob", PASSWORD)
    assert caught.value.error is UserError.BACKEND_ERROR
    assert "disk on fire" in caught.value.message
    with pytest.raises(UserFailure) as caught:
        await manager.authenticate("alice", PASSWORD, "phone")
    assert caught.value.error is UserError.BACKEND_ERROR
    with pytest.raises(UserFailure):
        await manager.remove_user("alice")
    with pytest.raises(UserFailure):
        await manager.add_domain("a")
    assert [user.username for user in manager.users()] == ["alice"]
    assert manager.tokens("alice") == []
    assert "a" not in manager.domains


# --- what another process changed in the store is announced at the next load --------------------


async def test_a_load_announces_what_another_process_changed(store: FakeStore) -> None:
    from thinggate.core import events as ev

    hub_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await hub_side.load()
    await hub_side.create_user("alice", PASSWORD)
    await hub_side.create_user("bob", PASSWORD)
    await hub_side.create_user("carol", PASSWORD)
    kept = await hub_side.create_token("alice", "phone")
    revoked = await hub_side.create_token("alice", "tablet")
    await hub_side.create_token("bob", "laptop")
    revoked_info = hub_side.token_info(revoked)
    assert revoked_info is not None
    heard: list[ev.HubEvent] = []
    hub_side.bus.listen(heard.append)

    command_line = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await command_line.load()
    await command_line.remove_user("bob")
    await command_line.remove_token(revoked_info.id)
    await command_line.set_user_scopes("carol", Scope.ACCESS_ALL_THINGS)
    await command_line.create_user("dave", PASSWORD)
    await command_line.create_token("alice", "watch")  # new tokens need no announcement
    await hub_side.load()

    assert sorted(heard, key=repr) == sorted(
        [
            ev.UserRemoved("bob"),  # its token went with it: no TokenRemoved of its own
            ev.TokenRemoved(revoked_info.id, "alice"),
            ev.UserChanged(command_line.user("carol")),
            ev.UserAdded(command_line.user("dave")),
        ],
        key=repr,
    )
    assert await hub_side.principal_for_token(kept) is not None
    heard.clear()
    await hub_side.load()
    assert heard == []  # nothing changed since


async def test_the_first_load_announces_nothing(store: FakeStore) -> None:
    writer = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await writer.load()
    await writer.create_user("alice", PASSWORD)
    fresh = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    heard: list[object] = []
    fresh.bus.listen(heard.append)
    await fresh.load()
    assert heard == [] and fresh.has_users
