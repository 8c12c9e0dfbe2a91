"""Readings for the history page's tests, uploaded through the real sensor-data door of a web rig's hub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.sensordata.rig import Client
from tests.api.web.rig import OWNER, Rig
from thinggate.core.credentials import make_oauth_client as make_client


async def sensordata_client(rig: Rig, username: str = OWNER) -> Client:
    """A client of the sensor-data door holding a token of a new OAuth client of the user (made as the CLI does)."""
    record, secret = make_client(f"history-{username}", username, [])
    server = rig.server
    await server.store.save_oauth_client(record)
    assert server.control_socket is not None
    assert await server.control_socket.answer("reload") == "reloaded"
    client = Client(rig.base, record.client_id, secret)
    rig.closers.append(client.close)
    await client.fetch_token()
    return client


async def temperature_sensor(client: Client, node: str = "/api/0000AB/node") -> str:
    """A node with a device holding one temperature sensor (iTwin's TEMPERATURE_SDE): the sensor's id."""
    made = await client.integrate({"changeState": "new", "nodeId": node})
    assert made.status_code == 200, made.text
    answer = await client.integrate(
        {
            "nodeId": node,
            "devices": [
                {
                    "changeState": "new",
                    "refId": "weather",
                    "props": {"INTEGRATION_ID": "DEMO_DEVICE_SDE", "NAME": "Weather station"},
                    "sensors": [
                        {
                            "changeState": "new",
                            "refId": "outside",
                            "props": {"INTEGRATION_ID": "TEMPERATURE_SDE", "NAME": "Outside temperature"},
                        }
                    ],
                }
            ],
        }
    )
    assert answer.status_code == 200, answer.text
    sensor_id: str = answer.json()["integration"]["devices"][0]["sensors"][0]["id"]
    return sensor_id


def minutes_ago(minutes: float) -> datetime:
    """A time this many minutes before now, to the millisecond (the door keeps readings so)."""
    moment = datetime.now(UTC) - timedelta(minutes=minutes)
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


async def upload(client: Client, sensor_id: str, readings: list[tuple[datetime, float]]) -> None:
    """Upload temperatures (metric T) at their times through POST data/upload."""
    observations: list[dict[str, Any]] = [
        {"sensorId": sensor_id, "timestamp": moment.isoformat(timespec="milliseconds"), "values": {"T": value}}
        for moment, value in readings
    ]
    answer = await client.upload(observations)
    assert answer.status_code == 202, answer.text
