"""Bad input is answered in the iTwin envelope, never with a traceback: junk, wrong types, sizes, dates, paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.sensordata.rig import Client, Rig, sensordata_rig

NODE = "/api/0000EE/node"


def error(answer: httpx.Response) -> tuple[int, str, str | None]:
    """Status, code and target of an iTwin error (the envelope's shape checked, no traceback in it)."""
    assert "Traceback" not in answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]) <= {"code", "message", "target"}, body
    return answer.status_code, body["error"]["code"], body["error"].get("target")


async def temperature_sensor(client: Client) -> str:
    assert (await client.integrate({"changeState": "new", "nodeId": NODE})).status_code == 200
    answer = await client.integrate(
        {
            "nodeId": NODE,
            "devices": [
                {
                    "changeState": "new",
                    "refId": "d",
                    "props": {"INTEGRATION_ID": "DEMO_DEVICE_SDE"},
                    "sensors": [{"changeState": "new", "refId": "t", "props": {"INTEGRATION_ID": "TEMPERATURE_SDE"}}],
                }
            ],
        }
    )
    assert answer.status_code == 200, answer.text
    sensor_id: str = answer.json()["integration"]["devices"][0]["sensors"][0]["id"]
    return sensor_id


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("POST", "/integrations/integrate", "InvalidProcessIntegrationRequest"),
        ("POST", "/data/upload", "InvalidUploadDataRequest"),
        ("POST", "/data/observations", "InvalidObservationsRequest"),
        ("DELETE", "/data/observations", "InvalidObservationsRequest"),
    ],
)
@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b'{"integration": ', b"[]", b"null", b'"text"', "\ufeff{}".encode(), b"\xff\xfe{}"],
    ids=["empty", "junk", "cut", "array", "null", "string", "bom", "utf16"],
)
async def test_junk_bodies_are_refused_by_each_route_with_its_code(
    rig: Rig, method: str, path: str, code: str, body: bytes
) -> None:
    client = await rig.connected()
    assert error(await client.call(method, path, body))[:2] == (422, code)


@pytest.mark.parametrize(
    ("observation", "target"),
    [
        ({"sensorId": "SENSOR", "timestamp": "2024-01-01T00:00:00Z", "values": {"T": "hot"}}, "observations[0].values"),
        ({"sensorId": "SENSOR", "timestamp": "2024-01-01T00:00:00Z", "values": {"T": None}}, "observations[0].values"),
        (
            {"sensorId": "SENSOR", "timestamp": "2024-01-01T00:00:00Z", "values": {"T": "INFINITY"}},
            "observations[0].values",
        ),
        (
            {"sensorId": "SENSOR", "timestamp": "2024-01-01T00:00:00Z", "values": {"T": True}},
            "observations[0].values.T",
        ),
        ({"sensorId": "SENSOR", "timestamp": "2024-01-01T00:00:00Z", "values": {"X": 1}}, "observations[0].values"),
        ({"sensorId": "SENSOR", "timestamp": "2024-01-01T00:00:00Z", "values": [1]}, "observations[0].values"),
        ({"sensorId": 5, "timestamp": "2024-01-01T00:00:00Z", "values": {}}, "observations[0].sensorId"),
        (
            {"sensorId": "/api/0000EE/node", "timestamp": "2024-01-01T00:00:00Z", "values": {}},
            "observations[0].sensorId",
        ),
        ({"sensorId": "SENSOR", "timestamp": 1704067200, "values": {}}, "observations[0].timestamp"),
        ({"sensorId": "SENSOR", "timestamp": "yesterday", "values": {}}, "observations[0].timestamp"),
        ({"sensorId": "SENSOR", "timestamp": "2024-13-01T00:00:00Z", "values": {}}, "observations[0].timestamp"),
        ({"sensorId": "SENSOR", "timestamp": "1969-12-31T23:59:59Z", "values": {}}, "observations[0].timestamp"),
        ({"sensorId": "SENSOR", "timestamp": "0000-01-01T00:00:00Z", "values": {}}, "observations[0].timestamp"),
        ({"sensorId": "SENSOR", "timestamp": "9999-12-31T23:00:00-05:00", "values": {}}, "observations[0].timestamp"),
        ({"timestamp": "2024-01-01T00:00:00Z", "values": {}}, "observations[0]"),
    ],
)
async def test_bad_observations_are_refused_whole(rig: Rig, observation: dict[str, Any], target: str | None) -> None:
    client = await rig.connected()
    sensor = await temperature_sensor(client)
    good = {"sensorId": sensor, "timestamp": "2024-01-01T00:00:00Z", "values": {"T": 1}}
    bad = {key: (sensor if value == "SENSOR" else value) for key, value in observation.items()}
    # 1e999 is JSON (a number too large for a double): written as text, as a client's encoder may.
    body = json.dumps({"observations": [good, bad]}).replace('"INFINITY"', "1e999")
    answer = await client.call("POST", "/data/upload", body)
    status, code, where = error(answer)
    assert (status, code) == (422, "InvalidUploadDataRequest")
    assert where == (target.replace("[0]", "[1]") if target else None)
    # Nothing of the refused upload was kept, not even its good reading.
    query = {"sensorId": sensor, "startDate": "2024-01-01T00:00:00Z", "endDate": "2024-01-02T00:00:00Z"}
    assert (await client.observations(query)).json() == {}


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ({"startDate": "2024-01-01T00:00:00Z", "endDate": "2024-01-02T00:00:00Z"}, None),  # no sensorId
        ({"sensorId": "SENSOR", "startDate": "2024-01-01", "endDate": "2024-01-02T00:00:00Z"}, "startDate"),
        ({"sensorId": "SENSOR", "startDate": "1900-01-01T00:00:00Z", "endDate": "2024-01-02T00:00:00Z"}, "startDate"),
        ({"sensorId": "SENSOR", "startDate": "2024-01-01T00:00:00Z", "endDate": "+10000-01-01T00:00:00Z"}, "endDate"),
        (
            {
                "sensorId": "SENSOR",
                "startDate": "2024-01-01T00:00:00Z",
                "endDate": "2024-01-02T00:00:00Z",
                "metrics": 5,
            },
            "metrics",
        ),
        (
            {
                "sensorId": "SENSOR",
                "startDate": "2024-01-01T00:00:00Z",
                "endDate": "2024-01-02T00:00:00Z",
                "units": ["C"],
            },
            "units",
        ),
        (
            {"sensorId": "not-a-sensor", "startDate": "2024-01-01T00:00:00Z", "endDate": "2024-01-02T00:00:00Z"},
            "sensorId",
        ),
    ],
)
async def test_bad_queries_are_refused(rig: Rig, query: dict[str, Any], target: str | None) -> None:
    client = await rig.connected()
    sensor = await temperature_sensor(client)
    body = {key: (sensor if value == "SENSOR" else value) for key, value in query.items()}
    assert error(await client.observations(body)) == (422, "InvalidObservationsRequest", target)
    unknown = {**body, "sensorId": "/api/0000EE/node/dynamic/ABCDEF/device/ABCDEF/sensor"}
    if "sensorId" in body and target is None:
        assert error(await client.observations(unknown))[:2] == (404, "ResourceNotFound")


async def test_huge_batches_and_bodies_are_refused_by_the_settings_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sensordata_rig(tmp_path, monkeypatch, max_observations=5, max_body_bytes=4096, max_changes=3) as rig:
        client = await rig.connected()
        sensor = await temperature_sensor(client)
        batch = [{"sensorId": sensor, "timestamp": f"2024-01-01T00:00:0{n}Z", "values": {"T": n}} for n in range(6)]
        assert error(await client.upload(batch)) == (413, "RequestTooLarge", "observations")
        assert (await client.upload(batch[:5])).status_code == 202
        big = [{"sensorId": sensor, "timestamp": "2024-01-01T00:00:00Z", "values": {"T": 1}, "pad": "x" * 5000}]
        assert error(await client.upload(big))[:2] == (413, "RequestTooLarge")

        # A body longer than it says, or streamed without a length, is cut off at the limit all the same.
        async def chunks() -> Any:
            for _ in range(10):
                yield b" " * 1000

        streamed = await client.http.post(
            "/sensor-data/data/upload", content=chunks(), headers=client.headers({"Content-Type": "application/json"})
        )
        assert error(streamed)[:2] == (413, "RequestTooLarge")
        many = {
            "nodeId": NODE,
            "devices": [{"changeState": "new", "props": {"INTEGRATION_ID": "D"}} for _ in range(4)],
        }
        assert error(await client.integrate(many))[:2] == (422, "InvalidProcessIntegrationRequest")
        deletion = {"sensorId": sensor, "timestamps": ["2024-01-01T00:00:00Z"] * 6}
        assert error(await client.call("DELETE", "/data/observations", deletion)) == (
            413,
            "RequestTooLarge",
            "timestamps",
        )


async def test_deep_nesting_and_nul_characters_are_refused_before_decoding(rig: Rig) -> None:
    client = await rig.connected()
    deep = (
        '{"integration": {"nodeId": "/api/0000EE/node", "props": {"NOTES": "x", "LOCATION": '
        + "[" * 5000
        + "]" * 5000
        + "}}}"
    )
    assert error(await client.call("POST", "/integrations/integrate", deep))[:2] == (
        422,
        "InvalidProcessIntegrationRequest",
    )
    nul = '{"integration": {"changeState": "new", "props": {"NAME": "a\\u0000b"}}}'
    assert error(await client.call("POST", "/integrations/integrate", nul))[:2] == (
        422,
        "InvalidProcessIntegrationRequest",
    )
    # Brackets inside strings are text, not nesting.
    text = {"changeState": "new", "props": {"NOTES": "[" * 200}}
    assert (await client.integrate(text)).status_code == 200


async def test_unknown_paths_and_methods_are_answered_in_the_envelope(rig: Rig) -> None:
    client = await rig.connected()
    for path in ("", "/", "/nope", "/data", "/data/upload/extra", "/integrations/nodes%0A"):
        assert error(await client.call("GET", path))[:2] == (404, "ResourceNotFound"), path
    wrong = await client.call("PUT", "/data/upload", {})
    assert error(wrong)[:2] == (405, "MethodNotAllowed") and wrong.headers["Allow"] == "POST"
    observations = await client.call("PATCH", "/data/observations", {})
    assert observations.headers["Allow"] == "DELETE, POST"
    # Unknown paths are not told apart by a caller without a token: still the envelope.
    anonymous = rig.client()
    assert error(await anonymous.call("GET", "/nope"))[:2] == (404, "ResourceNotFound")
    assert error(await anonymous.call("POST", "/data/upload", b"junk"))[:2] == (401, "HeaderNotFound")
    token = await anonymous.http.get("/connect/token")
    assert token.status_code == 405 and token.json()["error"] == "invalid_request"


async def test_unknown_fields_are_ignored_and_the_accept_header_is_not_required(rig: Rig) -> None:
    client = await rig.connected()
    sensor = await temperature_sensor(client)
    upload = {
        "observations": [{"sensorId": sensor, "timestamp": "2024-01-01T00:00:00Z", "values": {"T": 1}, "extra": 1}],
        "more": True,
    }
    plain = await client.http.post(
        "/sensor-data/data/upload", json=upload, headers={"Authorization": f"Bearer {client.token}"}
    )
    assert plain.status_code == 202
