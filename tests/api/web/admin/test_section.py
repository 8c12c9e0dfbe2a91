"""The administration's section: listed in the navigation only for those the core lets administer (and the
KNX import only for those who may configure things)."""

from __future__ import annotations

from tests.api.web.rig import Rig
from thinggate.api.web.pages import STATIC_DIR


async def test_the_session_lists_the_administration_only_for_those_who_may_administer(rig: Rig) -> None:
    owner = await rig.logged_in()
    assert (await owner.get("/web/api/session")).json()["sections"] == ["/", "/history", "/things", "/knx", "/admin"]
    for user in ("viewer", "kitchen"):
        member = await rig.logged_in(user)
        assert (await member.get("/web/api/session")).json()["sections"] == ["/", "/history", "/things"], user
    # A privilege to change users somewhere is a part of the administration: the core says so, at once.
    assert (
        await owner.write(
            "/web/api/admin/users/viewer/role",
            {"role": "Read", "privileges": [{"object": "user", "domain": "root", "operations": ["U"]}]},
        )
    ).status_code == 200
    viewer = await rig.logged_in("viewer")
    assert (await viewer.get("/web/api/session")).json()["sections"] == ["/", "/history", "/things", "/admin"]


async def test_the_administration_page_is_served_at_its_path(rig: Rig) -> None:
    owner = await rig.logged_in()
    page = await owner.get("/admin")
    assert page.status_code == 200 and page.content == (STATIC_DIR / "admin.html").read_bytes()
