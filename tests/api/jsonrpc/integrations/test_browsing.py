"""nymea's Integrations items 45-47: browsing, browser items, favorites."""

from __future__ import annotations

import uuid

import pytest

from tests.api.jsonrpc.integrations.helpers import MOCK_ID, NO_ERROR, add, add_mock, cid, error
from tests.api.jsonrpc.rig import RpcClient
from thinggate.integrations.virtual.testbed import GENERIC_IO_MOCK, MOCK


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_45_browse(client: RpcClient, asynchronous: bool) -> None:
    [mock_class] = (await client.call("Integrations.GetThingClasses", {"thingClassIds": [MOCK_ID]}))["thingClasses"]
    assert mock_class["browsable"] is True
    thing_id = await add_mock(client, **{"async": asynchronous})
    root = await client.call("Integrations.BrowseThing", {"thingId": thing_id})
    assert error(root) == NO_ERROR and len(root["items"]) > 0
    assert [item["id"] for item in root["items"]][:5] == ["001", "002", "003", "004", "005"]
    without_item = await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": ""})
    assert without_item["items"] == root["items"]
    folder = await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "001"})
    assert error(folder) == NO_ERROR and len(folder["items"]) == 2
    missing = await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "nope"})
    assert error(missing) == "ThingErrorItemNotFound" and missing["items"] == []
    item = await client.call("Integrations.GetBrowserItem", {"thingId": thing_id, "itemId": "002"})
    assert error(item) == NO_ERROR
    assert (item["item"]["id"], item["item"]["executable"], item["item"]["browsable"]) == ("002", True, False)
    assert [cid(a) for a in item["item"]["actionTypeIds"]] == [str(MOCK.browser_item_action_types[0].id)]
    media = await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "mediaservices"})
    assert len(media["items"]) == 20 and all("mediaIcon" in m for m in media["items"])


async def test_browse_errors(client: RpcClient) -> None:
    io = await add(client, GENERIC_IO_MOCK, "io")
    unsupported = await client.call("Integrations.BrowseThing", {"thingId": io})
    assert error(unsupported) == "ThingErrorUnsupportedFeature" and unsupported["items"] == []
    unknown = await client.call("Integrations.BrowseThing", {"thingId": str(uuid.uuid4())})
    assert error(unknown) == "ThingErrorThingNotFound"
    unknown_item = await client.call("Integrations.GetBrowserItem", {"thingId": str(uuid.uuid4())})
    assert error(unknown_item) == "ThingErrorThingNotFound" and "item" not in unknown_item
    broken = await add_mock(client)
    missing = await client.call("Integrations.GetBrowserItem", {"thingId": broken, "itemId": "nope"})
    assert error(missing) == "ThingErrorItemNotFound" and "item" not in missing


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_46_execute_browser_item(client: RpcClient, asynchronous: bool) -> None:
    thing_id = await add_mock(client, **{"async": asynchronous})
    executed = await client.call("Integrations.ExecuteBrowserItem", {"thingId": thing_id, "itemId": "002"})
    assert error(executed) == NO_ERROR
    folder = await client.call("Integrations.ExecuteBrowserItem", {"thingId": thing_id, "itemId": "001"})
    assert error(folder) == "ThingErrorItemNotExecutable"


async def test_47_favorites(client: RpcClient) -> None:
    thing_id = await add_mock(client)
    add_action, remove_action = (str(a.id) for a in MOCK.browser_item_action_types)
    reply = await client.call(
        "Integrations.ExecuteBrowserItemAction", {"thingId": thing_id, "itemId": "002", "actionTypeId": add_action}
    )
    assert error(reply) == NO_ERROR
    favorites = (await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "favorites"}))["items"]
    assert len(favorites) == 1 and favorites[0]["displayName"] == "Item 1"
    reply = await client.call(
        "Integrations.ExecuteBrowserItemAction",
        {"thingId": thing_id, "itemId": favorites[0]["id"], "actionTypeId": remove_action},
    )
    assert error(reply) == NO_ERROR
    favorites = (await client.call("Integrations.BrowseThing", {"thingId": thing_id, "itemId": "favorites"}))["items"]
    assert favorites == []
