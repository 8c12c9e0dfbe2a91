"""Bad input is answered cleanly, in the door's JSON, and never as a traceback (nothing logged at ERROR)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.web.rig import Rig, web_rig


@pytest.fixture(autouse=True)
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A bug answered 500 is logged at ERROR: none may be."""
    caplog.set_level(logging.ERROR, logger="thinggate")
    yield
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]


def _action_path(rig: Rig, name: str = "Worktop light", state: str = "brightness") -> str:
    thing = rig.thing(name)
    state_type = thing.thing_class.state_type_named(state)
    assert state_type is not None
    return f"/web/api/things/{thing.id}/actions/{state_type.id}"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"not json",
        b"[]",
        b'{"params": []}',
        b'{"params": {"x": 1}, "extra": true}',
        b'{"params": "a"}',
        b"\xff\xfe",
        b'{"params": {"a": "\\u0000"}}',
        b"[" * 1000 + b"]" * 1000,
        b'{"params": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}",
    ],
)
async def test_junk_bodies_are_bad_requests(rig: Rig, body: bytes) -> None:
    browser = await rig.logged_in()
    answer = await browser.write(_action_path(rig), body)
    if body == b"":  # no body at all: an action without params
        assert answer.status_code == 200
        return
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "BadRequest"


async def test_params_the_action_does_not_have_or_values_of_the_wrong_type_are_the_cores_to_refuse(rig: Rig) -> None:
    browser = await rig.logged_in()
    for params in ({"not-an-id": 1}, {"00000000-0000-0000-0000-000000000000": 1}, {"": None}):
        answer = await browser.write(_action_path(rig), {"params": params})
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["error"]["code"] == "InvalidParameter"


async def test_unknown_things_and_actions_are_not_found(rig: Rig) -> None:
    browser = await rig.logged_in()
    light = rig.thing("Path light")
    for path, code in (
        (f"/web/api/things/{'0' * 8}-0000-0000-0000-{'0' * 12}/actions/{light.id}", "ThingNotFound"),
        ("/web/api/things/not-a-uuid/actions/also-not", "ThingNotFound"),
        (f"/web/api/things/{light.id}/actions/not-a-uuid", "ActionTypeNotFound"),
        (f"/web/api/things/{light.id}/actions/{light.id}", "ActionTypeNotFound"),
    ):
        answer = await browser.write(path, {"params": {}})
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == code
    for path in ("/web/api/things/nope", f"/web/api/things/{'f' * 40}", "/web/api/things/%00"):
        answer = await browser.get(path)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "ThingNotFound", path


async def test_unknown_routes_and_methods_are_answered_in_json(rig: Rig) -> None:
    browser = await rig.logged_in()
    for path in ("/web/api/", "/web/api/nope", "/web/api/things/a/b", "/web/api/mode/x", "/web/api/things%0A"):
        answer = await browser.get(path)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "NotFound", path
    wrong = await browser.write("/web/api/house", {})
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
    assert wrong.json()["error"]["code"] == "MethodNotAllowed"
    put = await browser.write("/web/api/mode", {"mode": "2"}, method="PUT")
    assert put.status_code == 405 and put.headers["allow"] == "GET, POST"
    assert (await browser.http.head("/web/api/house")).status_code == 200


async def test_an_oversized_body_is_refused_before_it_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with web_rig(tmp_path, monkeypatch, max_body_bytes=1024) as rig:
        browser = await rig.logged_in()
        big = {"params": {"x": "a" * 2000}}
        answer = await browser.write(_action_path(rig), big)
        assert answer.status_code == 413 and answer.json()["error"]["code"] == "TooLarge"

        async def chunks() -> object:  # no Content-Length: the door counts what comes
            for _ in range(10):
                yield b"a" * 512

        streamed = await browser.http.post(
            _action_path(rig),
            content=chunks(),  # type: ignore[arg-type]
            headers={"X-CSRF-Token": browser.csrf, "Content-Type": "application/json"},
        )
        assert streamed.status_code == 413
        form = await browser.http.post(
            "/login",
            content="username=owner&password=" + "x" * 2000,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        assert form.status_code == 413
        assert (await browser.write("/web/api/mode", {"mode": "2"})).status_code == 200  # still serving


async def test_very_long_credentials_are_refused_without_hashing_them(rig: Rig) -> None:
    browser = rig.client()
    answer = await browser.login("owner", "P4ss" + "x" * 5000)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "WrongLogin"


async def test_many_form_fields_are_a_bad_request(rig: Rig) -> None:
    browser = rig.client()
    body = "&".join(f"f{number}=x" for number in range(100)) + "&username=owner&password=Secret123"
    answer = await browser.http.post(
        "/login",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "BadRequest"


async def test_a_junk_cookie_is_no_session(rig: Rig) -> None:
    browser = rig.client()
    for cookie in ("", "x", "a" * 5000, "%00", "é".encode().decode("latin-1")):
        headers = {"Cookie": f"thinggate_session={cookie}".encode("latin-1")}
        answer = await browser.http.get("/web/api/session", headers=headers)
        assert answer.status_code == 401, cookie
