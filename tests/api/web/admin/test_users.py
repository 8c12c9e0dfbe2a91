"""Users on the administration page: added (and logging in through JSON-RPC), password reset, scopes, removed."""

from __future__ import annotations

from typing import Any

from tests.api.web.admin.common import code_of
from tests.api.web.admin.rpc import rpc_login
from tests.api.web.rig import PASSWORD, Rig

NEW_PASSWORD = "Another456"


def user_named(answer: dict[str, Any], name: str) -> dict[str, Any]:
    """One user of a users answer."""
    return next(user for user in answer["items"] if user["username"] == name)


async def test_a_user_added_here_logs_in_through_json_rpc(rig: Rig) -> None:
    owner = await rig.logged_in()
    added = await owner.write(
        "/web/api/admin/users",
        {"username": "Guest", "password": PASSWORD, "role": "Read", "displayName": "A guest"},
    )
    assert added.status_code == 200, added.text
    assert added.json()["username"] == "guest" and added.json()["role"] == "Read"
    logged_in, client = await rpc_login(rig, "guest", PASSWORD)
    assert logged_in
    # Read: sees every thing, controls none.
    things = (await client.call("Integrations.GetThings"))["things"]
    assert len(things) == len(rig.server.hub.things)
    listed = user_named((await owner.get("/web/api/admin/users")).json(), "guest")
    assert listed["displayName"] == "A guest" and listed["homeDomain"] == "root"
    assert "password" not in str(listed).lower()


async def test_a_password_reset_here_is_the_one_json_rpc_takes(rig: Rig) -> None:
    owner = await rig.logged_in()
    reset = await owner.write("/web/api/admin/users/viewer/password", {"password": NEW_PASSWORD})
    assert reset.status_code == 200, reset.text
    assert (await rpc_login(rig, "viewer", NEW_PASSWORD))[0]
    assert not (await rpc_login(rig, "viewer", PASSWORD))[0]


async def test_scopes_and_allowed_things_set_here_decide_what_json_rpc_shows(rig: Rig) -> None:
    owner = await rig.logged_in()
    lamp = min(rig.server.hub.things.values(), key=lambda thing: str(thing.id))
    answer = await owner.write(
        "/web/api/admin/users/kitchen/scopes",
        {"scopes": ["PermissionScopeControlThings"], "allowedThings": [str(lamp.id)]},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["allowedThings"] == [str(lamp.id)]
    logged_in, client = await rpc_login(rig, "kitchen", PASSWORD)
    assert logged_in
    things = (await client.call("Integrations.GetThings"))["things"]
    assert [thing["id"].strip("{}") for thing in things] == [str(lamp.id)]


async def test_a_user_removed_here_logs_in_nowhere_and_its_page_session_ends(rig: Rig) -> None:
    owner = await rig.logged_in()
    viewer = await rig.logged_in("viewer")
    assert (await viewer.get("/web/api/session")).status_code == 200
    removed = await owner.write("/web/api/admin/users/viewer/remove")
    assert removed.status_code == 200, removed.text
    assert not (await rpc_login(rig, "viewer", PASSWORD))[0]
    assert (await viewer.get("/web/api/session")).status_code == 401
    assert all(user["username"] != "viewer" for user in (await owner.get("/web/api/admin/users")).json()["items"])


async def test_a_user_without_rights_over_users_is_refused_by_the_core(rig: Rig) -> None:
    viewer = await rig.logged_in("viewer")
    # The viewer sees users (AccessAllThings reads them) but may change none: the core's 403.
    added = await viewer.write("/web/api/admin/users", {"username": "mallory", "password": PASSWORD, "role": "Admin"})
    assert added.status_code == 403 and code_of(added) == "NOT_AUTHORIZED_DOMAIN", added.text
    reset = await viewer.write("/web/api/admin/users/owner/password", {"password": NEW_PASSWORD})
    assert reset.status_code == 403, reset.text
    assert (await viewer.write("/web/api/admin/users/owner/remove")).status_code == 403
    scopes = await viewer.write("/web/api/admin/users/viewer/scopes", {"scopes": ["PermissionScopeAdmin"]})
    assert scopes.status_code == 403, scopes.text
    assert (await rpc_login(rig, "owner", PASSWORD))[0]  # nothing changed
    kitchen = await rig.logged_in("kitchen")
    # Without AccessAllThings a user sees only itself.
    assert [user["username"] for user in (await kitchen.get("/web/api/admin/users")).json()["items"]] == ["kitchen"]


async def test_bad_input_is_refused_with_the_doors_errors(rig: Rig) -> None:
    owner = await rig.logged_in()
    cases = (
        ("/web/api/admin/users", {"username": "ab", "password": PASSWORD, "role": "Read"}, 422, "INVALID_ARGUMENTS"),
        ("/web/api/admin/users", {"username": "weak", "password": "short", "role": "Read"}, 422, "INVALID_ARGUMENTS"),
        (
            "/web/api/admin/users",
            {"username": "viewer", "password": PASSWORD, "role": "Read"},
            409,
            "USER_USERNAME_EXISTS",
        ),
        (
            "/web/api/admin/users",
            {"username": "someone", "password": PASSWORD, "role": "God"},
            422,
            "INVALID_ARGUMENTS",
        ),
        ("/web/api/admin/users", {"username": "someone", "password": PASSWORD}, 400, "BadRequest"),
        ("/web/api/admin/users/nobody/password", {"password": NEW_PASSWORD}, 404, "USER_NOT_FOUND"),
        ("/web/api/admin/users/viewer/scopes", {"scopes": ["PermissionScopeEverything"]}, 422, "InvalidValue"),
        ("/web/api/admin/users/viewer/scopes", {"scopes": [], "allowedThings": ["not-an-id"]}, 422, "InvalidValue"),
        (
            "/web/api/admin/users/viewer/scopes",
            {"scopes": ["PermissionScopeConfigureThings"]},
            422,
            "INVALID_ARGUMENTS",
        ),
        ("/web/api/admin/users/owner/remove", None, 409, "INVALID_ACTION"),
    )
    for path, body, status, code in cases:
        answer = await owner.write(path, body)
        assert answer.status_code == status and code_of(answer) == code, (path, body, answer.text)
