"""OAuth clients of the sensor-data door on the administration page: the secret shown once, tokens at /connect/token."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.web.admin.common import code_of, refused_to_non_admins
from tests.api.web.rig import Rig


async def token(rig: Rig, client_id: str, secret: str) -> httpx.Response:
    """Ask the sensor-data door's /connect/token for a client-credentials token."""
    async with httpx.AsyncClient(base_url=rig.base, timeout=30) as client:
        return await client.post(
            "/connect/token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        )


async def nodes(rig: Rig, access_token: str) -> httpx.Response:
    """A sensor-data call with the token."""
    async with httpx.AsyncClient(base_url=rig.base, timeout=30) as client:
        return await client.get(
            "/sensor-data/integrations/nodes",
            params={"iTwinId": "site"},
            headers={"Authorization": f"Bearer {access_token}"},
        )


async def test_a_client_added_here_gets_a_token_and_loses_it_when_revoked(rig: Rig) -> None:
    owner = await rig.logged_in()
    made = await owner.write(
        "/web/api/admin/oauth-clients",
        {"name": "weather station", "username": "viewer", "scopes": ["sensor-data:read"]},
    )
    assert made.status_code == 200, made.text
    client: dict[str, Any] = made.json()
    assert client["username"] == "viewer" and client["scopes"] == ["sensor-data:read"]
    issued = await token(rig, client["clientId"], client["clientSecret"])
    assert issued.status_code == 200, issued.text
    access = issued.json()["access_token"]
    assert (await nodes(rig, access)).status_code != 401

    listed = await owner.get("/web/api/admin/oauth-clients")
    assert [item["clientId"] for item in listed.json()["items"]] == [client["clientId"]]
    assert client["clientSecret"] not in listed.text  # shown once, when made

    assert (await owner.write(f"/web/api/admin/oauth-clients/{client['clientId']}/revoke")).status_code == 200
    assert (await nodes(rig, access)).status_code == 401  # its token stops at once
    assert (await token(rig, client["clientId"], client["clientSecret"])).status_code != 200


async def test_only_the_hubs_administrators_manage_oauth_clients(rig: Rig) -> None:
    await refused_to_non_admins(rig, "GET", "/web/api/admin/oauth-clients")
    await refused_to_non_admins(rig, "POST", "/web/api/admin/oauth-clients", {"name": "x", "username": "viewer"})
    owner = await rig.logged_in()
    assert (await owner.get("/web/api/admin/oauth-clients")).json()["items"] == []


async def test_bad_input_is_refused_with_the_doors_errors(rig: Rig) -> None:
    owner = await rig.logged_in()
    for body, status, code in (
        ({"name": "x", "username": "nobody"}, 422, "InvalidValue"),
        ({"name": "x", "username": "viewer", "scopes": ["everything"]}, 422, "InvalidValue"),
        ({"name": " leading space", "username": "viewer"}, 422, "InvalidValue"),
        ({"name": "x"}, 400, "BadRequest"),
    ):
        answer = await owner.write("/web/api/admin/oauth-clients", body)
        assert answer.status_code == status and code_of(answer) == code, (body, answer.text)
    unknown = await owner.write("/web/api/admin/oauth-clients/service-nothing/revoke")
    assert unknown.status_code == 404 and code_of(unknown) == "UnknownItem"


async def test_a_client_whose_user_was_removed_is_listed_as_such_and_gets_no_token(rig: Rig) -> None:
    owner = await rig.logged_in()
    await rig.server.security.create_user("bob", "Bob-pw-12345!")
    made = (await owner.write("/web/api/admin/oauth-clients", {"name": "station", "username": "bob"})).json()
    listed = (await owner.get("/web/api/admin/oauth-clients")).json()["items"]
    assert [item["userExists"] for item in listed] == [True]

    await rig.server.security.remove_user("bob")
    listed = (await owner.get("/web/api/admin/oauth-clients")).json()["items"]
    assert [(item["username"], item["userExists"]) for item in listed] == [("bob", False)]
    assert (await token(rig, made["clientId"], made["clientSecret"])).status_code != 200
