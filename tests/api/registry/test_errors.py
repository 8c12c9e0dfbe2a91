"""The error model on bad input: junk JSON, huge bodies, wrong types, unknown routes and methods; 200 for success."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.api.registry.rig import ADMIN, STACK, Client, Rig, registry_rig
from thinggate.api.registry.errors import STATUS
from thinggate.core.registry import RegistryError

ERROR_KEYS = {"message", "messageKey", "messageParams", "property"}


def assert_error(answer: httpx.Response, status: int, key: str) -> dict[str, object]:
    """An answer in the error model with the key's status, and no traceback anywhere in it."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body: dict[str, object] = answer.json()
    assert set(body) == ERROR_KEYS and body["messageKey"] == key
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    return body


@pytest.fixture
async def admin(rig: Rig) -> Client:
    return await rig.logged_in(ADMIN)


def test_every_core_failure_kind_has_one_status() -> None:
    assert all(kind.value in STATUS for kind in RegistryError)
    assert {key: STATUS[key] for key in ("PROPERTY_REQUIRED", "INVALID_ARGUMENTS", "NOT_AUTHENTICATED")} == {
        "PROPERTY_REQUIRED": 400,
        "INVALID_ARGUMENTS": 400,
        "NOT_AUTHENTICATED": 401,
    }
    assert all(STATUS[key] == 403 for key in STATUS if key.startswith("NOT_AUTHORIZED"))
    assert all(STATUS[key] == 404 for key in STATUS if key.endswith("_NOT_FOUND"))
    assert all(STATUS[key] == 409 for key in STATUS if key.endswith(("_EXISTS", "_HAS_THINGS")))


@pytest.mark.parametrize(
    "body",
    [b"{junk", b'{"id": "lights",', b"\xff\xfe", b'{"id": "a"} trailing', b"[1, 2", b"nul"],
)
async def test_junk_json_is_invalid_arguments(rig: Rig, admin: Client, body: bytes) -> None:
    assert_error(await admin.post("/thingtypes", body), 400, "INVALID_ARGUMENTS")


@pytest.mark.parametrize(
    ("body", "property"),
    [
        (b"[]", None),
        (b"null", None),
        (b'"text"', None),
        (b'{"id": 7, "domain": "root", "label": "L"}', "id"),
        (b'{"id": "a", "domain": ["root"], "label": "L"}', "domain"),
        (b'{"id": "a", "domain": "root", "label": "L", "lockMappings": "yes"}', "lockMappings"),
        (b'{"id": "a", "domain": "root", "label": "L", "resources": [{"name": "x"}]}', "resources[0]"),
        (b'{"id": "a", "domain": "root", "label": "L", "resources": {"name": "x"}}', "resources"),
    ],
)
async def test_wrong_types_name_the_property(rig: Rig, admin: Client, body: bytes, property: str | None) -> None:
    answer = assert_error(await admin.post("/thingtypes", body), 400, "INVALID_ARGUMENTS")
    assert answer["property"] == property


async def test_a_body_over_the_limit_is_payload_too_large(rig: Rig, admin: Client) -> None:
    limit = rig.door.settings.max_body_bytes
    huge = b'{"id": "a", "label": "' + b"x" * limit + b'", "domain": "root"}'
    body = assert_error(await admin.post("/thingtypes", huge), 413, "PAYLOAD_TOO_LARGE")
    assert body["messageParams"] == {"maxBytes": limit}

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while reading
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536]

    assert_error(await admin.post("/thingtypes", content=chunks()), 413, "PAYLOAD_TOO_LARGE")
    # The door still answers afterwards.
    assert (await admin.get("/thingtypes", params={"attributes": "id"})).status_code == 200


async def test_a_configured_body_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch, max_body_bytes=2048) as rig:
        admin = await rig.logged_in(ADMIN)
        description = "d" * 3000
        answer = await admin.post(
            "/thingtypes", {"id": "a", "label": "L", "domain": "root", "description": description}
        )
        assert_error(answer, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("path", ["/nope", "/thingtypes/a/b", "/", "", "/auth", "/domains/a/b/c"])
async def test_unknown_routes_are_route_not_found(rig: Rig, admin: Client, path: str) -> None:
    assert_error(await admin.get(path), 404, "ROUTE_NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/thingtypes", "DELETE, GET, PATCH, POST"),
        ("POST", "/thingtypes/lights", "DELETE, GET, PATCH"),
        ("GET", "/auth/login", "POST"),
        ("DELETE", "/user", "GET"),
        ("OPTIONS", "/domains/list", "DELETE, GET, PATCH, PUT"),  # `list` may be a domain's id too
    ],
)
async def test_unknown_methods_are_method_not_allowed(
    rig: Rig, admin: Client, method: str, path: str, allowed: str
) -> None:
    answer = await admin.call(method, path)
    assert_error(answer, 405, "METHOD_NOT_ALLOWED")
    assert answer.headers["Allow"] == allowed


async def test_every_success_is_exactly_200_json(rig: Rig, admin: Client) -> None:
    calls = [
        ("POST", "/thingtypes", {"id": "lights", "domain": "root", "label": "Lights"}),
        ("GET", "/thingtypes", None),
        ("GET", "/thingtypes/lights", None),
        ("PATCH", "/thingtypes/lights", {"label": "Lamps", "domain": "root"}),
        ("DELETE", "/thingtypes/lights", None),
        ("POST", "/domains", {"id": "site"}),
        ("GET", "/domains", None),
        ("GET", "/domains/list", None),
        ("PATCH", "/domains/site", {"description": "d"}),
        ("DELETE", "/domains/site", None),
        ("GET", "/users", None),
        ("GET", "/user", None),
        ("GET", "/metadata/manifest", None),
    ]
    for method, path, body in calls:
        answer = await admin.call(method, path, body)
        assert (answer.status_code, answer.headers["content-type"]) == (200, "application/json"), (method, path)
    assert (await admin.delete("/domains/nothing")).status_code == 404


async def test_nothing_the_client_sends_makes_a_server_error(rig: Rig, admin: Client) -> None:
    # A spread of odd requests, sent at once: every answer is in the model, none is a 5xx.
    odd = [
        (
            "POST",
            "/thingtypes",
            b'{"id": "x", "domain": "root", "label": "L", "resources": [{"name": "1", "type": 5}]}',
        ),
        ("POST", "/users", b'{"userName": "a", "password": "Short", "roleName": "Boss", "domainName": "root"}'),
        ("POST", "/users", b'{"userName": "ab", "password": "Secret123", "roleName": "Read", "domainName": "root"}'),
        ("POST", "/domains", b'{"id": "UPPER"}'),
        ("PATCH", "/users/admin", b'{"privileges": [{"objectName": "Cats", "domainId": "root", "read": 1}]}'),
        ("PATCH", "/users/admin", b'{"privileges": [{"objectName": "Things", "domainId": "root"}]}'),
        ("GET", "/users?page=-1", None),
        ("GET", "/users?size=abc", None),
        ("GET", "/domains?attributes=secret", None),
        ("POST", "/auth/login", b'{"userName": null, "password": null}'),
        ("GET", "/thingtypes/%00%ff", None),
    ]
    answers = await asyncio.gather(*(admin.call(method, path, body) for method, path, body in odd))
    for (method, path, _), answer in zip(odd, answers, strict=True):
        assert 400 <= answer.status_code < 500, (method, path, answer.text)
        assert set(answer.json()) == ERROR_KEYS


async def test_the_stack_name_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch, stack_name="prod") as rig:
        async with httpx.AsyncClient(base_url=rig.base) as client:
            manifest = (await client.get("/manifest")).json()
            assert manifest["StackName"] == "prod"
            key = (await client.get("/prod/metadata/manifest")).json()["ApiKey"]
            assert (await client.get(f"/{STACK}/metadata/manifest")).status_code == 404  # not the registry's
            login = await client.post(
                "/prod/auth/login", json={"userName": ADMIN, "password": "Secret123"}, headers={"x-api-key": key}
            )
            assert login.status_code == 200
