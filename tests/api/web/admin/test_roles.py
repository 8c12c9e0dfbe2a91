"""Roles and privileges on the administration page: set here, they are what the registry door grants."""

from __future__ import annotations

import httpx

from tests.api.web.admin.common import code_of
from tests.api.web.rig import PASSWORD, Rig

STACK = "thinggate"


async def registry_users(rig: Rig, username: str) -> httpx.Response:
    """GET /users at the registry door, logged in as the user (with the published API key)."""
    owner = await rig.logged_in()
    key = next(item for item in (await owner.get("/web/api/admin/apikeys")).json()["items"] if item["publishedKey"])
    async with httpx.AsyncClient(
        base_url=f"{rig.base}/{STACK}", timeout=30, headers={"x-api-key": key["publishedKey"]}
    ) as client:
        login = await client.post("/auth/login", json={"userName": username, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["credentials"]["token"]
        return await client.get("/users", headers={"Authorization": token})


async def test_roles_lists_the_roles_and_the_users_rights(rig: Rig) -> None:
    viewer = await rig.logged_in("viewer")
    answer = (await viewer.get("/web/api/admin/roles")).json()
    assert [role["name"] for role in answer["roles"]] == ["Read", "ReadWrite", "Admin"]
    assert answer["permissions"]["user"] == ["R"] and answer["homeDomain"] == "root"


async def test_a_privilege_given_here_is_what_the_registry_door_allows(rig: Rig) -> None:
    owner = await rig.logged_in()
    # The kitchen user sees only itself at the registry door...
    assert [user["userName"] for user in (await registry_users(rig, "kitchen")).json()["users"]] == ["kitchen"]
    given = await owner.write(
        "/web/api/admin/users/kitchen/role",
        {"role": "Read", "privileges": [{"object": "user", "domain": "root", "operations": ["R"]}]},
    )
    assert given.status_code == 200, given.text
    assert given.json()["role"] == "Read" and given.json()["privileges"] == [
        {"object": "user", "domain": "root", "operations": ["R"]}
    ]
    # What the user may do is its own scopes with its role's, as `thinggate user list` shows them.
    assert given.json()["scopes"] == ["PermissionScopeNone"]
    assert given.json()["effectiveScopes"] == ["PermissionScopeAccessAllThings"]
    # ...and every user once the Read role (and the privilege) is given here.
    names = {user["userName"] for user in (await registry_users(rig, "kitchen")).json()["users"]}
    assert {"owner", "viewer", "kitchen"} <= names


async def test_nobody_gives_a_right_it_does_not_hold(rig: Rig) -> None:
    viewer = await rig.logged_in("viewer")
    answer = await viewer.write("/web/api/admin/users/kitchen/role", {"role": "Admin"})
    assert answer.status_code == 403 and code_of(answer) in ("NOT_AUTHORIZED", "NOT_AUTHORIZED_DOMAIN"), answer.text
    owner = await rig.logged_in()
    for body, status, code in (
        ({"role": "God"}, 422, "INVALID_ARGUMENTS"),
        (
            {"role": "Read", "privileges": [{"object": "user", "domain": "root", "operations": ["X"]}]},
            422,
            "InvalidValue",
        ),
        (
            {"role": "Read", "privileges": [{"object": "user", "domain": "nowhere", "operations": ["R"]}]},
            404,
            "DOMAIN_NOT_FOUND",
        ),
        ({"privileges": []}, 400, "BadRequest"),
    ):
        refused = await owner.write("/web/api/admin/users/kitchen/role", body)
        assert refused.status_code == status and code_of(refused) == code, (body, refused.text)


async def test_privileges_given_without_a_role_keep_a_users_scopes(rig: Rig) -> None:
    owner = await rig.logged_in()
    given = await owner.write(
        "/web/api/admin/users/kitchen/role",
        {"role": None, "privileges": [{"object": "thing", "domain": "root", "operations": ["R"]}]},
    )
    assert given.status_code == 200, given.text
    assert given.json()["roles"] == [] and given.json()["scopes"] == ["PermissionScopeControlThings"]
    assert given.json()["privileges"] == [{"object": "thing", "domain": "root", "operations": ["R"]}]
