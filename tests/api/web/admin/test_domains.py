"""Domains on the administration page: the tree, one added (seen by the registry door), one removed."""

from __future__ import annotations

from tests.api.web.admin.common import code_of
from tests.api.web.rig import PASSWORD, Rig


async def test_a_domain_added_here_is_in_the_tree_and_can_be_a_home_then_removed_when_empty(rig: Rig) -> None:
    owner = await rig.logged_in()
    added = await owner.write("/web/api/admin/domains", {"name": "site", "displayName": "The site"})
    assert added.status_code == 200, added.text
    below = await owner.write("/web/api/admin/domains", {"name": "floor-1", "parent": "site"})
    assert below.json()["path"] == "/site/floor-1/"
    tree = (await owner.get("/web/api/admin/domains")).json()["items"]
    assert [(domain["name"], domain["parent"]) for domain in tree] == [
        ("root", None),
        ("site", "root"),
        ("floor-1", "site"),
    ]
    assert not tree[0]["mayRemove"] and tree[2]["mayRemove"]
    # The core's security model knows it at once: a user can live there.
    user = await owner.write(
        "/web/api/admin/users", {"username": "tenant", "password": PASSWORD, "role": "Admin", "homeDomain": "floor-1"}
    )
    assert user.status_code == 200, user.text
    held = await owner.write("/web/api/admin/domains/site/remove")
    assert held.status_code == 409 and code_of(held) == "DOMAIN_NOT_EMPTY"
    tenant = await rig.logged_in("tenant")
    # A domain administrator reads its own subtree only.
    assert [domain["name"] for domain in (await tenant.get("/web/api/admin/domains")).json()["items"]] == ["floor-1"]
    assert (await owner.write("/web/api/admin/users/tenant/remove")).status_code == 200
    assert (await owner.write("/web/api/admin/domains/floor-1/remove")).status_code == 200
    assert [domain["name"] for domain in (await owner.get("/web/api/admin/domains")).json()["items"]] == [
        "root",
        "site",
    ]


async def test_a_user_without_domain_rights_is_refused_by_the_core(rig: Rig) -> None:
    viewer = await rig.logged_in("viewer")
    answer = await viewer.write("/web/api/admin/domains", {"name": "mine"})
    assert answer.status_code == 403 and code_of(answer) == "NOT_AUTHORIZED_DOMAIN", answer.text
    owner = await rig.logged_in()
    for body, status, code in (
        ({"name": "Not Valid"}, 422, "INVALID_ARGUMENTS"),
        ({"name": "root"}, 409, "DOMAIN_ID_EXISTS"),
        ({"name": "orphan", "parent": "nowhere"}, 404, "DOMAIN_NOT_FOUND"),
        ({"parent": "root"}, 400, "BadRequest"),
    ):
        refused = await owner.write("/web/api/admin/domains", body)
        assert refused.status_code == status and code_of(refused) == code, (body, refused.text)
    root = await owner.write("/web/api/admin/domains/root/remove")
    assert root.status_code == 409 and code_of(root) == "INVALID_ACTION"
