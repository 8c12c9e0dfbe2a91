"""One model, every door: a light switched through one API is seen switching through the others.

The hub is started by the composition root (`thinggate.server.start_server`) with the demo house,
the JSON-RPC (TCP), Ezlo (ws) and Thinknx doors on free ports, and the KNX integration pointed at
a gateway that is not there.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.ezlo.rig import EzloClient
from tests.api.jsonrpc.rig import RpcClient
from tests.knxd import free_udp_port
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.core.guids import guid_of
from thinggate.core.model import Thing
from thinggate.server import Server, start_server

USER, PASSWORD = "integrator", "Secret123"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    config = Config(
        data_dir=tmp_path,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=0, thinknx=0, http=None),
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=False, zeroconf=False),
            "ezlo": EzloConfig(tls=False, insecure_access=True),
        },
        virtual=VirtualConfig(auto_things=False, time_scale=20.0),
        # Nothing listens there: KNX things exist, and say the bus is away.
        knx={"gateway_ip": "127.0.0.1", "gateway_port": free_udp_port(), "reconnect_seconds": 0.2},
    )
    running = await start_server(config, demo=True)
    await running.security.create_user(USER, PASSWORD)
    try:
        yield running
    finally:
        await running.stop()


def _named(server: Server, name: str, class_name: str) -> Thing:
    return next(t for t in server.hub.things.values() if t.name == name and t.thing_class.name == class_name)


async def _clients(server: Server) -> tuple[RpcClient, EzloClient, httpx.AsyncClient]:
    assert (
        server.doors["jsonrpc"] is not None and server.doors["ezlo"] is not None and server.doors["thinknx"] is not None
    )
    rpc = await RpcClient.tcp(server.doors["jsonrpc"].tcp_port)  # type: ignore[arg-type]
    await rpc.login(USER, PASSWORD)
    await rpc.notify("Integrations")
    ezlo = await EzloClient.connect(f"ws://127.0.0.1:{server.doors['ezlo'].port}")
    token = await server.security.create_token(USER, "cross-door test")
    assert (await ezlo.login(USER, token))["error"] is None
    rest = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.doors['thinknx'].port}/api/V1", auth=(USER, PASSWORD))
    return rpc, ezlo, rest


async def test_a_light_switched_over_thinknx_is_seen_on_jsonrpc_and_ezlo(server: Server) -> None:
    rpc, ezlo, rest = await _clients(server)
    try:
        light = _named(server, "Path light", "light")
        power = light.thing_class.state_type_named("power")
        assert power is not None
        answer = await rest.get("power", params={"guid": guid_of(light.id), "cmd": "1"})
        assert answer.status_code == 200, answer.text
        changed = await rpc.notification(
            "Integrations.StateChanged", where=lambda p: uuid.UUID(p["thingId"]) == light.id
        )
        assert (uuid.UUID(changed["stateTypeId"]), changed["value"]) == (power.id, True)
        updated = await ezlo.broadcast("hub.item.updated", where=lambda r: r.get("name") == "switch")
        assert updated["result"]["value"] is True
    finally:
        await rpc.close()
        await ezlo.close()
        await rest.aclose()


async def test_a_light_switched_over_jsonrpc_reads_back_over_thinknx(server: Server) -> None:
    rpc, ezlo, rest = await _clients(server)
    try:
        light = _named(server, "Path light", "light")
        power = light.thing_class.state_type_named("power")
        assert power is not None
        reply = await rpc.call(
            "Integrations.ExecuteAction",
            {
                "thingId": str(light.id),
                "actionTypeId": str(power.id),
                "params": [{"paramTypeId": str(power.id), "value": True}],
            },
        )
        assert reply["thingError"] == "ThingErrorNoError"
        status = await rest.get("powerstatus", params={"guid": guid_of(light.id)})
        assert status.json() == {"namespace": "powerstatus", "guid": guid_of(light.id), "status": 1, "comm_obj": 1}
    finally:
        await rpc.close()
        await ezlo.close()
        await rest.aclose()


async def test_a_knx_thing_added_over_jsonrpc_answers_on_thinknx_and_the_bus_away_is_an_error_everywhere(
    server: Server,
) -> None:
    rpc, ezlo, rest = await _clients(server)
    try:
        classes = await rpc.call("Integrations.GetThingClasses", {})
        switch_class: dict[str, Any] = next(c for c in classes["thingClasses"] if c["name"] == "knxSwitch")
        params = {p["name"]: p["id"] for p in switch_class["paramTypes"]}
        added = await rpc.call(
            "Integrations.AddThing",
            {
                "thingClassId": switch_class["id"],
                "name": "Hall switch",
                "thingParams": [
                    {"paramTypeId": params["address"], "value": "1/0/1"},
                    {"paramTypeId": params["stateAddress"], "value": "1/0/2"},
                ],
            },
        )
        assert added["thingError"] == "ThingErrorNoError", added
        thing_id = uuid.UUID(added["thingId"])
        guid = guid_of(thing_id)
        assert (
            server.hub.integrations[server.hub.things[thing_id].plugin_id].address_of(
                server.hub.things[thing_id],
                server.hub.things[thing_id].thing_class.state_type_named("power").id,  # type: ignore[union-attr]
            )
            == "1/0/2"
        )
        for path, query in (("power", {"cmd": "1"}), ("powerstatus", {})):
            answer = await rest.get(path, params={"guid": guid, **query})
            assert (answer.status_code, answer.json()) == (500, {"error": "impossible to execute"}), path
        power = next(s for s in switch_class["stateTypes"] if s["name"] == "power")
        reply = await rpc.call(
            "Integrations.ExecuteAction",
            {
                "thingId": str(thing_id),
                "actionTypeId": power["id"],
                "params": [{"paramTypeId": power["id"], "value": True}],
            },
        )
        assert reply["thingError"] == "ThingErrorHardwareNotAvailable"
        malformed = await rpc.call(
            "Integrations.AddThing",
            {
                "thingClassId": switch_class["id"],
                "name": "Bad switch",
                "thingParams": [{"paramTypeId": params["address"], "value": "1/9/999"}],
            },
        )
        assert malformed["thingError"] == "ThingErrorInvalidParameter"
    finally:
        await rpc.close()
        await ezlo.close()
        await rest.aclose()


async def test_thinknx_answers_https_and_http_on_one_port(server: Server) -> None:
    assert server.doors["thinknx"] is not None
    url = f"127.0.0.1:{server.doors['thinknx'].port}/api/V1/system/serverStatus"
    async with httpx.AsyncClient(auth=(USER, PASSWORD), verify=False) as client:
        secure = await client.get(f"https://{url}")
        plain = await client.get(f"http://{url}")
    assert secure.status_code == plain.status_code == 200
    assert secure.json()["namespace"] == plain.json()["namespace"] == "system/serverStatus"
    assert secure.json()["connected_clients"] >= 1
