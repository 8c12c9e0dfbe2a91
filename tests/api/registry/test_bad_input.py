"""Bad input beyond test_errors.py: nesting, bytes that are not UTF-8, content types, repeated and
malformed query values, oversized heads, odd paths and methods — each answered in the error model,
never a traceback, while the door keeps serving a well-behaved client at the same time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.api.registry.rig import ADMIN, STACK, Client, Rig, registry_rig
from tests.api.registry.test_errors import ERROR_KEYS, assert_error
from thinggate.api.http import MAX_FIELD, MAX_HEADERS, MAX_LINE
from thinggate.api.registry.door import MAX_NESTING


@pytest.fixture
async def admin(rig: Rig) -> Client:
    return await rig.logged_in(ADMIN)


def nested(depth: int, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    """JSON `depth` levels deep, a 1 at the bottom."""
    return opener * depth + b"1" + closer * depth


async def raw_exchange(rig: Rig, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send a request head as bytes (what no HTTP client would send) and read the answer to the end."""
    assert rig.server.http is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", rig.server.http.port)
    try:
        writer.write(head)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=30)
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    header_block, _, body = rest.partition(b"\r\n\r\n")
    headers = {}
    for line in header_block.split(b"\r\n"):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def assert_raw_error(status: int, headers: dict[str, str], body: bytes, expected: int, key: str) -> None:
    """A raw answer in the error model."""
    assert status == expected, body
    assert headers["content-type"] == "application/json"
    decoded = httpx.Response(status, content=body).json()
    assert set(decoded) == ERROR_KEYS and decoded["messageKey"] == key
    assert b"Traceback" not in body


def credentials(rig: Rig, client: Client) -> bytes:
    """The key and token header lines of a logged-in client."""
    assert client.token is not None
    return b"x-api-key: " + rig.api_key.encode() + b"\r\nAuthorization: " + client.token.encode() + b"\r\n"


# -- nesting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("opener", "closer"), [(b"[", b"]"), (b'{"a":', b"}")])
@pytest.mark.parametrize("depth", [MAX_NESTING, 1_000, 40_000])
async def test_deep_nesting_is_invalid_arguments(
    rig: Rig, admin: Client, opener: bytes, closer: bytes, depth: int
) -> None:
    # The body's own object is one level: its `data` may hold MAX_NESTING - 1 more.
    body = b'{"id": "deep", "domain": "root", "label": "L", "data": ' + nested(depth, opener, closer) + b"}"
    answer = assert_error(await admin.post("/thingtypes", body), 400, "INVALID_ARGUMENTS")
    assert str(MAX_NESTING) in str(answer["message"])


async def test_nesting_up_to_the_limit_is_kept(rig: Rig, admin: Client) -> None:
    data = nested(MAX_NESTING - 1, b'{"a":', b"}")
    created = await admin.post("/domains", b'{"id": "deep", "data": ' + data + b"}")
    assert created.status_code == 200, created.text
    assert (await admin.get("/domains/deep")).json()["data"] == created.json()["data"]


async def test_brackets_in_strings_are_not_nesting(rig: Rig, admin: Client) -> None:
    text = '[{"\\"' * 5000  # brackets, quotes and escapes inside one string
    created = await admin.post("/domains", {"id": "brackets", "description": text})
    assert created.status_code == 200, created.text
    assert created.json()["description"] == text


# -- bytes that are not UTF-8, and characters no store keeps ------------------------------------


async def test_an_api_key_that_is_not_utf_8_is_invalid_api_key(rig: Rig) -> None:
    head = b"GET /" + STACK.encode() + b"/user HTTP/1.1\r\nHost: x\r\nx-api-key: \xff\xfe\r\nConnection: close\r\n\r\n"
    assert_raw_error(*await raw_exchange(rig, head), 403, "INVALID_API_KEY")


async def test_a_token_that_is_not_utf_8_is_not_authenticated(rig: Rig) -> None:
    for token in (b"\xff\xfe", b"Bearer \xc3\x28"):
        head = (
            b"GET /" + STACK.encode() + b"/user HTTP/1.1\r\nHost: x\r\nx-api-key: " + rig.api_key.encode() + b"\r\n"
            b"Authorization: " + token + b"\r\nConnection: close\r\n\r\n"
        )
        assert_raw_error(*await raw_exchange(rig, head), 401, "NOT_AUTHENTICATED")


@pytest.mark.parametrize("target", [b"/domains/\xff\xfe", b"/domains?attributes=\xff", b"/users/\xc3\x28"])
async def test_a_request_line_that_is_not_utf_8_is_invalid_arguments(rig: Rig, admin: Client, target: bytes) -> None:
    head = b"GET /" + STACK.encode() + target + b" HTTP/1.1\r\nHost: x\r\n" + credentials(rig, admin) + b"\r\n"
    assert_raw_error(*await raw_exchange(rig, head), 400, "INVALID_ARGUMENTS")


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "a", "domain": "root", "label": "\\ud800"}',  # a lone surrogate: no character
        b'{"id": "a", "domain": "root", "label": "L", "data": {"\\udcff": 1}}',
        b'{"id": "a", "domain": "root", "label": "L\\u0000"}',  # NUL: PostgreSQL keeps none in text
        b'{"id": "a", "domain": "root", "label": "L", "data": ["\\u0000"]}',
    ],
)
async def test_characters_no_store_keeps_are_invalid_arguments(rig: Rig, admin: Client, body: bytes) -> None:
    assert_error(await admin.post("/thingtypes", body), 400, "INVALID_ARGUMENTS")


async def test_an_escaped_backslash_before_u0000_is_text(rig: Rig, admin: Client) -> None:
    created = await admin.post("/domains", b'{"id": "slash", "description": "C:\\\\u0000"}')
    assert created.status_code == 200, created.text
    assert created.json()["description"] == "C:\\u0000"


@pytest.mark.postgres
async def test_nul_never_reaches_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> None:
    async with registry_rig(tmp_path, monkeypatch, database=postgres_url) as rig:
        admin = await rig.logged_in(ADMIN)
        for path, body in [
            ("/domains", b'{"id": "a", "name": "x\\u0000"}'),
            ("/domains", b'{"id": "a", "data": {"k\\u0000": 1}}'),
            ("/thingtypes", b'{"id": "a", "domain": "root", "label": "L", "data": "\\u0000"}'),
            (
                "/users",
                b'{"userName": "u1", "password": "Secret123", "roleName": "Read", "domainName": "root", '
                b'"firstName": "\\u0000"}',
            ),
        ]:
            assert_error(await admin.post(path, body), 400, "INVALID_ARGUMENTS")
        assert (await admin.post("/domains", {"id": "a", "data": {"k": "v"}})).status_code == 200


# -- content types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"id=site&name=Site"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="id"\r\n\r\nsite\r\n--x--\r\n',
        ),
        ("application/xml", b"<domain><id>site</id></domain>"),
        ("application/json; charset=utf-16", '{"id": "site"}'.encode("utf-16")),
    ],
)
async def test_a_body_that_is_not_json_is_invalid_arguments(
    rig: Rig, admin: Client, content_type: str, body: bytes
) -> None:
    answer = await admin.post("/domains", body, headers={"Content-Type": content_type})
    assert_error(answer, 400, "INVALID_ARGUMENTS")


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", None])
async def test_json_is_read_as_json_whatever_it_is_labelled(rig: Rig, admin: Client, content_type: str | None) -> None:
    # MIC's clients are not all careful with Content-Type; the body decides, as the document's JSON.
    headers = {"Content-Type": content_type} if content_type else {}
    name = f"site-{(content_type or 'none').replace('/', '-')}"
    answer = await admin.post("/domains", f'{{"id": "{name}"}}'.encode(), headers=headers)
    assert answer.status_code == 200, answer.text


# -- query values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "property"),
    [
        ("/users?size=1&size=2", "size"),
        ("/users?page=0&page=0", "page"),
        ("/domains?attributes=name&attributes=data", "attributes"),
        ("/thingtypes?attributes=id&attributes=label", "attributes"),
        ("/thingtypes/virtual-light?label&label", "label"),
    ],
)
async def test_a_query_parameter_given_twice_is_invalid_arguments(
    rig: Rig, admin: Client, path: str, property: str
) -> None:
    answer = assert_error(await admin.get(path), 400, "INVALID_ARGUMENTS")
    assert answer["property"] == property


@pytest.mark.parametrize("value", ["", " 5", "5 ", "1_0", "1e3", "0x10", "٣", "+5", "99999999999999999999999"])
async def test_a_whole_number_is_decimal_digits(rig: Rig, admin: Client, value: str) -> None:
    answer = assert_error(await admin.get("/users", params={"size": value}), 400, "INVALID_ARGUMENTS")
    assert answer["property"] == "size"


@pytest.mark.parametrize("path", ["/domains", "/thingtypes", "/thingtypes/virtual-light"])
@pytest.mark.parametrize("value", ["\x1c", "name\t", "\u3000id", "id\n"])
async def test_attributes_take_spaces_around_names_and_no_other_whitespace(
    rig: Rig, admin: Client, path: str, value: str
) -> None:
    answer = assert_error(await admin.get(path, params={"attributes": value}), 400, "INVALID_ARGUMENTS")
    assert answer["property"] == "attributes"
    listed = "name , data" if path == "/domains" else " id, label ,"
    assert (await admin.get(path, params={"attributes": listed})).status_code == 200


async def test_unknown_query_parameters_are_ignored(rig: Rig, admin: Client) -> None:
    # MIC's SDKs send identityId and the like; only GET thingtypes/{id} reads every key as an attribute.
    assert (await admin.get("/users", params={"identityId": "x", "junk": "\u2603"})).status_code == 200


# -- oversized heads -------------------------------------------------------------------------------


async def test_a_header_over_the_limit_is_invalid_arguments(rig: Rig, admin: Client) -> None:
    head = (
        b"GET /"
        + STACK.encode()
        + b"/user HTTP/1.1\r\nHost: x\r\n"
        + credentials(rig, admin)
        + b"x-junk: "
        + b"j" * (MAX_FIELD + 1)
        + b"\r\n\r\n"
    )
    assert_raw_error(*await raw_exchange(rig, head), 400, "INVALID_ARGUMENTS")


async def test_too_many_headers_are_invalid_arguments(rig: Rig, admin: Client) -> None:
    many = b"".join(b"x-h%d: v\r\n" % index for index in range(MAX_HEADERS + 1))
    head = b"GET /" + STACK.encode() + b"/user HTTP/1.1\r\nHost: x\r\n" + credentials(rig, admin) + many + b"\r\n"
    assert_raw_error(*await raw_exchange(rig, head), 400, "INVALID_ARGUMENTS")


async def test_a_request_line_over_the_limit_is_invalid_arguments(rig: Rig, admin: Client) -> None:
    answer = await admin.get("/domains/" + "a" * (MAX_LINE + 1))
    assert_error(answer, 400, "INVALID_ARGUMENTS")


async def test_long_credentials_under_the_limit_are_refused_as_unknown(rig: Rig, admin: Client) -> None:
    assert_error(await admin.get("/user", headers={"Authorization": "t" * (MAX_FIELD - 100)}), 401, "NOT_AUTHENTICATED")
    assert_error(await admin.get("/user", headers={"x-api-key": "k" * (MAX_FIELD - 100)}), 403, "INVALID_API_KEY")


# -- paths and methods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "key"),
    [
        ("/domains/a%2Fb", 404, "ROUTE_NOT_FOUND"),  # a slash in a value is a slash: no such route
        ("/domains/a%0Ab", 404, "DOMAIN_NOT_FOUND"),  # a newline is a character of the value
        ("/users/%00", 404, "USER_NOT_FOUND"),
        ("/thingtypes/" + "%F0%9F%92%A1", 404, "THING_TYPE_NOT_FOUND"),
        ("/domains/", 400, "PROPERTY_REQUIRED"),
        ("//domains", 404, "ROUTE_NOT_FOUND"),
    ],
)
async def test_odd_paths_answer_in_the_model(rig: Rig, admin: Client, path: str, status: int, key: str) -> None:
    assert_error(await admin.get(path), status, key)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("POST", "/manifest", "GET"), ("DELETE", "/manifest/", "GET"), ("PUT", "/openapi.json", "GET")],
)
async def test_the_top_level_routes_refuse_other_methods_in_the_model(
    rig: Rig, method: str, path: str, allowed: str
) -> None:
    async with httpx.AsyncClient(base_url=rig.base) as client:
        answer = await client.request(method, path)
    assert_error(answer, 405, "METHOD_NOT_ALLOWED")
    assert answer.headers["Allow"] == allowed


async def test_a_path_served_without_a_key_tells_its_methods_without_one(rig: Rig) -> None:
    client = rig.client(api_key=None)
    answer = await client.call("TRACE", "/metadata/manifest")
    assert_error(answer, 405, "METHOD_NOT_ALLOWED")
    assert answer.headers["Allow"] == "GET"
    # A path that needs a key tells nothing without one.
    assert_error(await client.call("TRACE", "/users"), 403, "INVALID_API_KEY")


async def test_head_is_get_without_a_body(rig: Rig, admin: Client) -> None:
    answer = await admin.call("HEAD", "/user")
    assert answer.status_code == 200 and answer.content == b""


# -- the door keeps serving ------------------------------------------------------------------------


async def test_a_client_is_served_while_another_sends_junk(rig: Rig, admin: Client) -> None:
    good = await rig.logged_in(ADMIN)
    limit = rig.door.settings.max_body_bytes
    junk = [
        ("POST", "/thingtypes", b"{junk"),
        ("POST", "/thingtypes", b'{"id": "x", "data": ' + nested(50_000) + b"}"),
        ("POST", "/domains", b'{"id": "' + b"x" * (limit + 1) + b'"}'),
        ("POST", "/domains", b"\xff" * 1000),
        ("GET", "/users?size=1&size=2", None),
        ("GET", "/nope", None),
        ("BREW", "/domains", None),
    ]
    stop = asyncio.Event()

    async def well_behaved() -> list[int]:
        statuses = []
        while not stop.is_set():
            statuses.append((await good.get("/user")).status_code)
        return statuses

    served = asyncio.create_task(well_behaved())
    for _ in range(10):
        answers = await asyncio.gather(*(admin.call(method, path, body) for method, path, body in junk))
        assert all(400 <= answer.status_code < 500 for answer in answers), [a.text for a in answers]
        assert all(set(answer.json()) == ERROR_KEYS for answer in answers)
    stop.set()
    statuses = await served
    assert statuses and set(statuses) == {200}
