"""Roles and privileges: role scopes, additive privileges, Principal.may."""

from __future__ import annotations

import pytest

from tests.core.security.fakes import PASSWORD, make_tree
from thinggate.core.security import (
    ROLE_SCOPES,
    ROOT_DOMAIN,
    Principal,
    Privilege,
    Scope,
    SecurityManager,
)

# --- roles and privileges -----------------------------------------------------------------


def test_role_scopes() -> None:
    assert ROLE_SCOPES["Read"] == Scope.ACCESS_ALL_THINGS
    assert ROLE_SCOPES["ReadWrite"] == Scope.CONTROL_THINGS | Scope.CONFIGURE_THINGS | Scope.ACCESS_ALL_THINGS
    assert ROLE_SCOPES["Admin"] == Scope.ADMIN


async def test_role_mapping(manager: SecurityManager) -> None:
    await make_tree(manager)
    await manager.create_user("reader", PASSWORD, roles=["Read"], home_domain="a")
    await manager.create_user("writer", PASSWORD, roles=["ReadWrite"], home_domain="a")
    await manager.create_user("boss", PASSWORD, roles=["Admin"], home_domain="a")
    reader = manager.principal_for_user("reader")
    writer = manager.principal_for_user("writer")
    boss = manager.principal_for_user("boss")
    assert reader.roles == ("Read",)

    # Read: R on everything in its subtree, nothing else.
    for obj in ("thing", "thingtype", "user", "domain"):
        assert reader.may("R", obj, "a1")
    assert not any(reader.may(op, "thing", "a") for op in "CUD")
    assert not reader.has_scope(Scope.CONTROL_THINGS)

    # ReadWrite: CRUD on things and thing types, read-only elsewhere.
    for obj in ("thing", "thingtype"):
        assert all(writer.may(op, obj, "a1") for op in "CRUD")
    assert writer.may("R", "user", "a")
    assert not any(writer.may(op, obj, "a") for op in "CUD" for obj in ("user", "domain", "role"))
    assert writer.has_scope(Scope.CONFIGURE_THINGS)

    # Admin: everything, users, domains and roles included.
    assert all(boss.may(op, obj, "a1") for op in "CRUD" for obj in ("thing", "user", "domain", "role"))

    # No role reaches above or beside the home domain.
    for principal in (reader, writer, boss):
        assert not principal.may("R", "thing", "b")
        assert not principal.may("R", "thing", ROOT_DOMAIN)


async def test_unknown_role_is_rejected(manager: SecurityManager) -> None:
    with pytest.raises(ValueError, match="'Owner'"):
        await manager.create_user("alice", PASSWORD, roles=["Owner"])
    await manager.create_user("alice", PASSWORD, roles=["Read"])
    with pytest.raises(ValueError, match="'read'"):
        await manager.set_user_roles("alice", ["read"])
    assert manager.user("alice").roles == ("Read",)


async def test_privileges_are_additive(manager: SecurityManager) -> None:
    await make_tree(manager)
    await manager.create_user("alice", PASSWORD, roles=["Read"], home_domain="a")
    assert not manager.principal_for_user("alice").may("U", "thing", "a1")

    await manager.set_user_privileges(
        "alice",
        [Privilege("thing", "a", frozenset({"U"})), Privilege("thingtype", "b", frozenset({"C", "R"}))],
    )
    alice = manager.principal_for_user("alice")
    assert alice.may("R", "thing", "a1")  # the role still counts
    assert alice.may("U", "thing", "a")
    assert alice.may("U", "thing", "a1")  # privilege domain covers its subtree
    assert not alice.may("D", "thing", "a")  # only the operations granted
    assert not alice.may("U", "thingtype", "a")  # only the object named
    assert not alice.may("U", "thing", "b")
    # A privilege reaches outside the home domain, for its own object only.
    assert alice.may("C", "thingtype", "b") and alice.may("R", "thingtype", "b")
    assert not alice.may("R", "thing", "b")
    assert not alice.may("R", "thingtype", ROOT_DOMAIN)


def test_may_rejects_unknown_operations_and_privilege_rejects_bad_ones() -> None:
    with pytest.raises(ValueError, match="'W'"):
        Principal(name="x").may("W", "thing", ROOT_DOMAIN)
    with pytest.raises(ValueError, match="'X'"):
        Privilege("thing", ROOT_DOMAIN, frozenset({"R", "X"}))
    with pytest.raises(ValueError):
        Privilege("thing", ROOT_DOMAIN, frozenset())


def test_principal_without_grants_may_nothing() -> None:
    nobody = Principal(name="nobody")
    assert not any(nobody.may(op, "thing", ROOT_DOMAIN) for op in "CRUD")
