"""Login tokens on the administration page: one's own, an administrator's view of all, revoked at every door."""

from __future__ import annotations

from tests.api.jsonrpc.rig import RpcClient
from tests.api.web.admin.common import code_of
from tests.api.web.admin.rpc import rpc_login
from tests.api.web.rig import PASSWORD, Rig


async def test_a_token_revoked_here_logs_in_no_more_at_json_rpc(rig: Rig) -> None:
    logged_in, client = await rpc_login(rig, "viewer", PASSWORD)
    assert logged_in
    viewer = await rig.logged_in("viewer")
    mine = (await viewer.get("/web/api/admin/tokens")).json()["items"]
    assert [(token["username"], token["deviceName"]) for token in mine] == [("viewer", "admin tests")]
    owner = await rig.logged_in()
    everyone = (await owner.get("/web/api/admin/tokens")).json()["items"]
    assert any(token["id"] == mine[0]["id"] for token in everyone)
    # Someone else's token is not the viewer's to see or revoke; the kitchen user's list is its own (empty).
    kitchen = await rig.logged_in("kitchen")
    assert (await kitchen.get("/web/api/admin/tokens")).json()["items"] == []
    refused = await kitchen.write(f"/web/api/admin/tokens/{mine[0]['id']}/revoke")
    assert refused.status_code == 404 and code_of(refused) == "TokenNotFound"
    assert (await client.request("Integrations.GetThings"))["status"] == "success"

    revoked = await viewer.write(f"/web/api/admin/tokens/{mine[0]['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    # A fresh connection with the revoked token is refused (the old one is closed by the door).
    fresh = await RpcClient.tcp(rig.server.doors["jsonrpc"].tcp_port)  # type: ignore[attr-defined]
    rig.closers.append(fresh.close)
    await fresh.hello()
    refused_call = await fresh.request("Integrations.GetThings", token=client.token)
    assert refused_call["status"] == "unauthorized", refused_call
    assert (await viewer.get("/web/api/admin/tokens")).json()["items"] == []
