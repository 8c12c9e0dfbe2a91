"""A first look through the Ezlo door: login, a switch set, its broadcast."""

from __future__ import annotations

from pathlib import Path

from tests.ezlo_tools import ADMIN, ezlo_rig, items_by_name
from thinggate.api.ezlo import ids


async def test_switch_set_broadcasts_item_updated(tmp_path: Path) -> None:
    async with ezlo_rig(tmp_path) as rig:
        client = await rig.admin()
        items = (await client.result("hub.items.list"))["items"]
        lamp = rig.thing("Reading lamp")
        switch = items_by_name(items, ids.device_id(lamp.id))["switch"]
        assert await client.result("hub.item.value.set", {"_id": switch["_id"], "value": True}) == {}
        update = await client.broadcast("hub.item.updated", lambda r: r["_id"] == switch["_id"])
        assert update["result"]["value"] is True
        assert lamp.state_value("power") is True
        assert ADMIN
