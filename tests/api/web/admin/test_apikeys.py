"""The registry's API keys on the administration page: made (shown once), listed, revoked, as the registry door sees."""

from __future__ import annotations

import httpx

from tests.api.web.admin.common import code_of, refused_to_non_admins
from tests.api.web.rig import PASSWORD, Rig

STACK = "thinggate"


async def registry_login(rig: Rig, key: str) -> httpx.Response:
    """Log in at the registry door with an x-api-key (the owner's password)."""
    async with httpx.AsyncClient(base_url=rig.base, timeout=30) as client:
        return await client.post(
            f"/{STACK}/auth/login", json={"userName": "owner", "password": PASSWORD}, headers={"x-api-key": key}
        )


async def test_a_key_made_here_opens_the_registry_door_and_is_refused_there_once_revoked(rig: Rig) -> None:
    owner = await rig.logged_in()
    made = await owner.write("/web/api/admin/apikeys", {"name": "building management"})
    assert made.status_code == 200, made.text
    key = made.json()["key"]
    assert (await registry_login(rig, key)).status_code == 200

    listed = (await owner.get("/web/api/admin/apikeys")).json()["items"]
    mine = next(item for item in listed if item["id"] == made.json()["id"])
    # Listed by name, never with the key again (only the published key is public, by design).
    assert mine["name"] == "building management" and mine["publishedKey"] is None
    assert key not in (await owner.get("/web/api/admin/apikeys")).text

    revoked = await owner.write(f"/web/api/admin/apikeys/{mine['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    refused = await registry_login(rig, key)
    assert refused.status_code == 403 and "INVALID_API_KEY" in refused.text
    assert all(item["id"] != mine["id"] for item in (await owner.get("/web/api/admin/apikeys")).json()["items"])


async def test_revoking_the_published_key_makes_the_registry_publish_a_new_one(rig: Rig) -> None:
    owner = await rig.logged_in()
    published = next(
        item for item in (await owner.get("/web/api/admin/apikeys")).json()["items"] if item["publishedKey"]
    )
    assert (await owner.write(f"/web/api/admin/apikeys/{published['id']}/revoke")).status_code == 200
    assert (await registry_login(rig, published["publishedKey"])).status_code == 403
    async with httpx.AsyncClient(base_url=rig.base, timeout=30) as client:
        manifest = (await client.get(f"/{STACK}/metadata/manifest")).json()
    assert manifest["ApiKey"] not in (None, published["publishedKey"])
    assert (await registry_login(rig, manifest["ApiKey"])).status_code == 200


async def test_only_the_hubs_administrators_manage_api_keys(rig: Rig) -> None:
    await refused_to_non_admins(rig, "GET", "/web/api/admin/apikeys")
    await refused_to_non_admins(rig, "POST", "/web/api/admin/apikeys", {"name": "sneaky"})
    owner = await rig.logged_in()
    key = (await owner.get("/web/api/admin/apikeys")).json()["items"][0]
    await refused_to_non_admins(rig, "POST", f"/web/api/admin/apikeys/{key['id']}/revoke")
    assert any(item["id"] == key["id"] for item in (await owner.get("/web/api/admin/apikeys")).json()["items"])


async def test_bad_input_is_refused_with_the_doors_errors(rig: Rig) -> None:
    owner = await rig.logged_in()
    for body, status, code in (
        ({"name": ""}, 422, "InvalidValue"),
        ({"name": "x" * 65}, 422, "InvalidValue"),
        ({"name": 5}, 400, "BadRequest"),
        ({"label": "x"}, 400, "BadRequest"),
    ):
        answer = await owner.write("/web/api/admin/apikeys", body)
        assert answer.status_code == status and code_of(answer) == code, (body, answer.text)
    unknown = await owner.write("/web/api/admin/apikeys/00000000-0000-0000-0000-000000000000/revoke")
    assert unknown.status_code == 404 and code_of(unknown) == "UnknownItem"
    # A write without the session's CSRF token never reaches the core.
    forged = await owner.write("/web/api/admin/apikeys", {"name": "forged"}, csrf="")
    assert forged.status_code == 403 and code_of(forged) == "CrossSiteRefused"
