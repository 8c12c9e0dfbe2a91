"""The domain tree: a home domain covers its children, never its parent or a sibling."""

from __future__ import annotations

import pytest

from tests.core.security.fakes import PASSWORD, FakeStore, make_tree
from thinggate.core.security import (
    ROOT_DOMAIN,
    DomainTree,
    Privilege,
    SecurityManager,
)

# --- domains ------------------------------------------------------------------------------


async def test_home_domain_covers_children_never_parent_or_sibling(manager: SecurityManager) -> None:
    await make_tree(manager)
    await manager.create_user("alice", PASSWORD, home_domain="a")
    principal = manager.principal_for_user("alice")
    assert principal.home_domain == "a"
    assert principal.covers_domain("a")
    assert principal.covers_domain("a1")
    assert not principal.covers_domain(ROOT_DOMAIN)
    assert not principal.covers_domain("b")
    assert not principal.covers_domain("nowhere")
    # The principal follows the live tree: a domain added later below home is covered.
    await manager.add_domain("a2", parent="a1")
    assert principal.covers_domain("a2")
    # Root covers everything.
    await manager.create_user("root_admin", PASSWORD)
    assert all(manager.principal_for_user("root_admin").covers_domain(d) for d in ("a", "a1", "b", ROOT_DOMAIN))


def test_domain_tree_covers() -> None:
    tree = DomainTree()
    tree.add("a")
    tree.add("a1", "a")
    tree.add("b")
    assert tree.covers("a", "a1") and tree.covers("a", "a")
    assert not tree.covers("a1", "a")
    assert not tree.covers("a", "b")
    assert tree.covers(ROOT_DOMAIN, "b")


@pytest.mark.parametrize("name", ["", "Upper", "has space", "dot.ted", "slash/ed"])
async def test_bad_domain_names_are_rejected(manager: SecurityManager, store: FakeStore, name: str) -> None:
    with pytest.raises(ValueError, match="invalid domain name") as caught:
        await manager.add_domain(name)
    assert repr(name) in str(caught.value)
    assert name not in manager.domains
    assert name not in store.domains


async def test_domain_add_errors(manager: SecurityManager) -> None:
    await manager.add_domain("site-1_a", description="first site")
    assert manager.domains.parent("site-1_a") == ROOT_DOMAIN
    with pytest.raises(ValueError, match="'site-1_a' already exists"):
        await manager.add_domain("site-1_a")
    with pytest.raises(ValueError, match="already exists"):
        await manager.add_domain(ROOT_DOMAIN)
    with pytest.raises(ValueError, match="unknown parent domain 'nope'"):
        await manager.add_domain("child", parent="nope")
    assert "child" not in manager.domains


async def test_domain_remove_rules(manager: SecurityManager, store: FakeStore) -> None:
    await make_tree(manager)
    with pytest.raises(ValueError, match="root"):
        await manager.remove_domain(ROOT_DOMAIN)
    with pytest.raises(ValueError, match="'a' has child domains: a1"):
        await manager.remove_domain("a")
    with pytest.raises(ValueError, match="unknown domain 'zz'"):
        await manager.remove_domain("zz")
    await manager.create_user("alice", PASSWORD, home_domain="a1")
    with pytest.raises(ValueError, match="home domain of users: alice"):
        await manager.remove_domain("a1")
    await manager.create_user("bob", PASSWORD, privileges=[Privilege("thing", "b", frozenset("R"))])
    with pytest.raises(ValueError, match="privileges of users: bob"):
        await manager.remove_domain("b")
    await manager.set_user_privileges("bob", [])
    await manager.remove_domain("b")
    assert "b" not in manager.domains
    assert "b" not in store.domains


async def test_user_in_unknown_domain_is_rejected(manager: SecurityManager, store: FakeStore) -> None:
    with pytest.raises(ValueError, match="unknown home domain 'mars'"):
        await manager.create_user("alice", PASSWORD, home_domain="mars")
    with pytest.raises(ValueError, match="'mars'"):
        await manager.create_user("alice", PASSWORD, privileges=[Privilege("thing", "mars", frozenset("R"))])
    assert store.users == {}
