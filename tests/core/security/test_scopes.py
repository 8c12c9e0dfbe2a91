"""nymea's permission scopes: names, consistency, defaults, allowed things."""

from __future__ import annotations

import uuid

import pytest

from tests.core.security.fakes import PASSWORD
from thinggate.core.errors import UserError, UserFailure
from thinggate.core.security import (
    Scope,
    SecurityManager,
    scopes_consistent,
    scopes_from_names,
    scopes_to_names,
)

# --- scopes -------------------------------------------------------------------------------

SCOPE_TABLE = [
    (["PermissionScopeAdmin"], True),
    (["PermissionScopeNone"], True),
    (["PermissionScopeControlThings"], True),  # bare Control: restricted to allowed things
    (["PermissionScopeControlThings", "PermissionScopeAccessAllThings"], True),
    (["PermissionScopeControlThings", "PermissionScopeConfigureThings", "PermissionScopeAccessAllThings"], True),
    (["PermissionScopeAccessAllThings"], True),
    (["PermissionScopeAccessAllThings", "PermissionScopeExecuteRules"], True),
    (["PermissionScopeControlThings", "PermissionScopeAccessAllThings", "PermissionScopeExecuteRules"], True),
    (["PermissionScopeConfigureThings"], False),
    (["PermissionScopeControlThings", "PermissionScopeConfigureThings"], False),
    (["PermissionScopeExecuteRules"], False),
    (["PermissionScopeConfigureRules"], False),
    (["PermissionScopeExecuteRules", "PermissionScopeConfigureRules"], False),
    (["PermissionScopeControlThings", "PermissionScopeExecuteRules"], False),
]


@pytest.mark.parametrize(("names", "valid"), SCOPE_TABLE)
async def test_scope_consistency(manager: SecurityManager, names: list[str], valid: bool) -> None:
    scopes = scopes_from_names(names)
    assert scopes_consistent(scopes) is valid
    await manager.create_user("alice", PASSWORD, scopes=Scope.NONE)
    if valid:
        await manager.set_user_scopes("alice", scopes)
        assert manager.user("alice").scopes == scopes
    else:
        with pytest.raises(UserFailure) as caught:
            await manager.set_user_scopes("alice", scopes)
        assert caught.value.error is UserError.INCONSISTENT_SCOPES
        assert manager.user("alice").scopes == Scope.NONE
        with pytest.raises(UserFailure) as caught:
            await manager.create_user("bob", PASSWORD, scopes=scopes)
        assert caught.value.error is UserError.INCONSISTENT_SCOPES


def test_scope_names() -> None:
    assert scopes_to_names(Scope.NONE) == ["PermissionScopeNone"]
    assert scopes_to_names(Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS) == [
        "PermissionScopeControlThings",
        "PermissionScopeAccessAllThings",
    ]
    # As nymea's scopesToStringList: every flag held, so Configure lists Control too.
    assert scopes_to_names(Scope.CONFIGURE_THINGS) == ["PermissionScopeControlThings", "PermissionScopeConfigureThings"]
    assert "PermissionScopeAdmin" in scopes_to_names(Scope.ADMIN)
    assert scopes_from_names([]) == Scope.NONE
    assert scopes_from_names(["PermissionScopeAdmin"]) == Scope.ADMIN
    for scopes in (Scope.ADMIN, Scope.CONFIGURE_RULES | Scope.ACCESS_ALL_THINGS, Scope.CONTROL_THINGS, Scope.NONE):
        assert scopes_from_names(scopes_to_names(scopes)) == scopes
    with pytest.raises(ValueError, match="PermissionScopeEverything"):
        scopes_from_names(["PermissionScopeControlThings", "PermissionScopeEverything"])


async def test_default_scopes_are_admin_without_roles_and_none_with_roles(manager: SecurityManager) -> None:
    assert (await manager.create_user("alice", PASSWORD)).scopes == Scope.ADMIN
    reader = await manager.create_user("bob", PASSWORD, roles=["Read"])
    assert reader.scopes == Scope.NONE
    assert manager.principal_for_user("bob").scopes == Scope.ACCESS_ALL_THINGS


async def test_allowed_things_reach_the_principal(manager: SecurityManager) -> None:
    allowed = uuid.uuid4()
    await manager.create_user("guest", PASSWORD, scopes=Scope.CONTROL_THINGS)
    await manager.set_user_scopes("guest", Scope.CONTROL_THINGS, [allowed])
    assert manager.principal_for_user("guest").allowed_thing_ids == frozenset({allowed})
    await manager.set_user_scopes("guest", Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS)  # None keeps them
    assert manager.user("guest").allowed_thing_ids == frozenset({allowed})
