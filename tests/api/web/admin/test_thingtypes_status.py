"""Thing types and the events' outbox and broker on the administration page."""

from __future__ import annotations

import httpx

from tests.api.web.admin.common import refused_to_non_admins
from tests.api.web.rig import PASSWORD, Rig

STACK = "thinggate"


async def test_a_thing_type_made_at_the_registry_door_is_listed_with_its_resources(rig: Rig) -> None:
    owner = await rig.logged_in()
    key = next(item for item in (await owner.get("/web/api/admin/apikeys")).json()["items"] if item["publishedKey"])
    async with httpx.AsyncClient(
        base_url=f"{rig.base}/{STACK}", timeout=30, headers={"x-api-key": key["publishedKey"]}
    ) as registry:
        login = await registry.post("/auth/login", json={"userName": "owner", "password": PASSWORD})
        token = login.json()["credentials"]["token"]
        made = await registry.post(
            "/thingtypes",
            json={
                "id": "weather-station",
                "label": "Weather station",
                "domain": "root",
                "resources": [{"name": "temperature", "type": "double", "unit": "DegreeCelsius"}],
            },
            headers={"Authorization": token},
        )
        assert made.status_code in (200, 201), made.text
    types = (await owner.get("/web/api/admin/thingtypes")).json()["items"]
    station = next(item for item in types if item["id"] == "weather-station")
    assert station["label"] == "Weather station" and not station["integration"] and station["things"] == 0
    assert station["resources"][0]["name"] == "temperature"
    assert any(item["integration"] and item["readOnly"] for item in types)
    # The kitchen user (no AccessAllThings) reads no thing types.
    kitchen = await rig.logged_in("kitchen")
    assert (await kitchen.get("/web/api/admin/thingtypes")).json()["items"] == []


async def test_the_status_tells_the_outbox_depth_and_that_no_broker_is_configured(rig: Rig) -> None:
    owner = await rig.logged_in()
    before = (await owner.get("/web/api/admin/status")).json()
    assert before["broker"] == {"configured": False, "links": {}}
    # A domain added here is a lifecycle event waiting in the outbox (no broker takes it).
    assert (await owner.write("/web/api/admin/domains", {"name": "annex"})).status_code == 200
    after = (await owner.get("/web/api/admin/status")).json()
    assert after["outbox"] == before["outbox"] + 1
    await refused_to_non_admins(rig, "GET", "/web/api/admin/status")
