"""Logging in to the dashboard: thinggate's users, the session cookie, logout, the lockout every door shares."""

from __future__ import annotations

import dataclasses
import ssl
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from tests.api.jsonrpc.protocol import until
from tests.api.jsonrpc.rig import RpcClient
from tests.api.web.rig import KITCHEN, OWNER, PASSWORD, VIEWER, Rig, WebClient, fast_hasher, web_rig
from thinggate.api.guard import ConnectionGuard
from thinggate.api.http import HttpSite
from thinggate.api.tls import ensure_self_signed, server_context
from thinggate.api.web.factory import build
from thinggate.api.web.session import COOKIE
from thinggate.api.web.settings import WebConfig
from thinggate.core.events import EventBus
from thinggate.core.security import Scope, SecurityManager

LOGIN_FORM = 'id="login-form"'
HOUSE = 'id="house"'


def _cookie(answer: httpx.Response) -> SimpleCookie:
    cookie = SimpleCookie()
    cookie.load(answer.headers["set-cookie"])
    return cookie


async def test_a_user_logs_in_with_the_form_and_gets_the_house_page(rig: Rig) -> None:
    browser = rig.client()
    assert LOGIN_FORM in (await browser.get("/")).text
    answer = await browser.login(OWNER, PASSWORD)
    assert answer.status_code == 200
    assert answer.json()["username"] == OWNER and answer.json()["mayControl"] is True
    assert browser.csrf  # the page's token for its writes
    assert HOUSE in (await browser.get("/")).text
    session = (await browser.get("/web/api/session")).json()
    assert (session["username"], session["csrfToken"]) == (OWNER, browser.csrf)


async def test_the_user_name_is_taken_in_any_case(rig: Rig) -> None:
    answer = await rig.client().login(OWNER.upper(), PASSWORD)
    assert answer.status_code == 200 and answer.json()["username"] == OWNER


async def test_the_session_cookie_is_httponly_samesite_strict_for_the_whole_site_and_not_secure_on_plain_http(
    rig: Rig,
) -> None:
    answer = await rig.client().login()
    morsel = _cookie(answer)[COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["path"] == "/"
    assert not morsel["secure"]  # plain http: a Secure cookie would never come back
    assert not morsel["max-age"] and not morsel["expires"]  # the browser's session; the hub ends it when idle


async def test_over_tls_the_session_cookie_is_secure(rig: Rig, tmp_path: Path) -> None:
    # A second dashboard on the same hub, served over TLS as an HTTP site with a certificate serves it.
    context = dataclasses.replace(rig.server.context, http=web.Application(), reloaders=[], doors={})
    door = await build(context, WebConfig())
    assert door is not None
    certificate = ensure_self_signed(tmp_path / "tls", "web", common_name="localhost")
    site = HttpSite(context.http, host="127.0.0.1", port=0, guard=ConnectionGuard(), tls=server_context(certificate))
    await site.start()
    try:
        trusting = ssl.create_default_context()
        trusting.load_verify_locations(str(certificate.certificate))
        trusting.check_hostname = False
        base = f"https://127.0.0.1:{site.port}"
        async with httpx.AsyncClient(base_url=base, verify=trusting) as client:
            answer = await client.post(
                "/login",
                data={"username": OWNER, "password": PASSWORD},
                headers={"Accept": "application/json", "Origin": base},
            )
            assert answer.status_code == 200, answer.text
            morsel = _cookie(answer)[COOKIE]
            assert morsel["secure"] is True and morsel["httponly"] is True and morsel["samesite"] == "Strict"
    finally:
        await site.stop()
        await door.stop()


async def test_a_wrong_password_or_unknown_user_is_refused_alike_and_sets_no_cookie(rig: Rig) -> None:
    for username, password in ((OWNER, "Wrong1234"), ("nobody", PASSWORD)):
        browser = rig.client()
        answer = await browser.login(username, password)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "WrongLogin"
        assert "set-cookie" not in answer.headers
        assert (await browser.get("/web/api/session")).status_code == 401
    rig.door.limiter.forget("127.0.0.1")


async def test_a_form_without_its_fields_or_not_a_form_is_a_bad_request_and_counts_no_failure(rig: Rig) -> None:
    browser = rig.client()
    for body, content_type, status in (
        ("username=owner", "application/x-www-form-urlencoded", 400),
        ("password=x", "application/x-www-form-urlencoded", 400),
        ('{"username": "owner", "password": "Secret123"}', "application/json", 415),
        ("username=owner&username=other&password=x", "application/x-www-form-urlencoded", 400),
        ("username=%ff&password=%ff", "application/x-www-form-urlencoded", 400),
    ):
        answer = await browser.http.post(
            "/login", content=body, headers={"Content-Type": content_type, "Accept": "application/json"}
        )
        assert answer.status_code == status, (body, answer.text)
    assert rig.door.limiter.check("127.0.0.1") == 0
    assert (await browser.login()).status_code == 200


async def test_a_plain_form_post_is_sent_back_to_the_front_page(rig: Rig) -> None:
    browser = rig.client()
    form = {"username": OWNER, "password": "Wrong1234"}
    failed = await browser.http.post("/login", data=form, headers={"Origin": rig.base})
    assert (failed.status_code, failed.headers["location"]) == (303, "/?login=failed")
    assert COOKIE not in browser.http.cookies
    done = await browser.http.post("/login", data={**form, "password": PASSWORD}, headers={"Origin": rig.base})
    assert (done.status_code, done.headers["location"]) == (303, "/")
    assert HOUSE in (await browser.get("/")).text


async def test_logout_ends_the_session_and_drops_the_cookie(rig: Rig) -> None:
    browser = await rig.logged_in()
    cookie = browser.cookie
    answer = await browser.write("/logout")
    assert answer.status_code == 204
    morsel = _cookie(answer)[COOKIE]
    assert morsel.value == "" and morsel["max-age"] == "0"
    # The cookie is worth nothing any more, even sent again by hand.
    again = WebClient(rig.base)
    try:
        again.http.cookies.set(COOKIE, cookie or "")
        assert (await again.get("/web/api/session")).status_code == 401
        assert LOGIN_FORM in (await again.get("/")).text
    finally:
        await again.close()
    assert len(rig.door.sessions) == 0


async def test_logout_needs_the_sessions_csrf_token(rig: Rig) -> None:
    browser = await rig.logged_in()
    assert (await browser.write("/logout", csrf="")).status_code == 403
    assert (await browser.write("/logout", csrf="not-the-token")).status_code == 403
    assert (await browser.get("/web/api/session")).status_code == 200  # still logged in


async def test_logging_in_again_replaces_the_browsers_session(rig: Rig) -> None:
    browser = await rig.logged_in()
    first = browser.cookie
    await browser.logged_in(VIEWER)
    assert browser.cookie != first
    assert len(rig.door.sessions) == 1
    assert (await browser.get("/web/api/session")).json()["username"] == VIEWER


async def test_the_hub_keeps_only_a_hash_of_the_cookie(rig: Rig) -> None:
    browser = await rig.logged_in()
    assert browser.cookie is not None
    kept = [session for session in rig.door.sessions.of_user(OWNER)]
    assert len(kept) == 1
    assert browser.cookie.encode() not in kept[0].key and kept[0].key != browser.cookie.encode()


async def test_failed_logins_here_lock_the_address_out_of_the_other_doors_and_theirs_out_of_here(rig: Rig) -> None:
    browser = rig.client()
    for _ in range(4):
        assert (await browser.login(OWNER, "Wrong1234")).status_code == 401
    # The fifth failure locks the address out; a 429 says how long.
    locked = await browser.login(OWNER, "Wrong1234")
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    assert locked.json()["error"]["code"] == "TooManyRequests"
    # The right password is refused now, here and at JSON-RPC (which shares the lockout).
    assert (await browser.login(OWNER, PASSWORD)).status_code == 429
    rpc = await _rpc(rig)
    assert await _authenticate(rpc, PASSWORD) is False

    # And the other way round: failures at JSON-RPC lock the address out here.
    rig.door.limiter.forget("127.0.0.1")
    assert (await browser.login(OWNER, PASSWORD)).status_code == 200
    for _ in range(5):
        assert await _authenticate(rpc, "Wrong1234") is False
    assert (await browser.login(OWNER, PASSWORD)).status_code == 429


async def _rpc(rig: Rig) -> RpcClient:
    client = await RpcClient.tcp(rig.server.doors["jsonrpc"].tcp_port)  # type: ignore[attr-defined]
    rig.closers.append(client.close)
    await client.hello()
    return client


async def _authenticate(rpc: RpcClient, password: str) -> bool:
    reply = await rpc.call("JSONRPC.Authenticate", {"username": OWNER, "password": password, "deviceName": "test"})
    return bool(reply["success"])


async def test_a_user_removed_from_the_command_line_loses_its_session_at_once(rig: Rig) -> None:
    browser = await rig.logged_in(KITCHEN)
    live = await browser.live()
    # As `thinggate user remove` does: the store changes, then the control socket says reload.
    await rig.server.store.delete_user(KITCHEN)
    assert rig.server.control_socket is not None
    assert await rig.server.control_socket.answer("reload") == "reloaded"
    assert (await browser.get("/web/api/session")).status_code == 401
    assert await live.wait_closed() == 4401
    assert rig.door.sessions.of_user(KITCHEN) == []


async def test_a_password_changed_at_another_door_ends_that_users_sessions_only(rig: Rig) -> None:
    kitchen = await rig.logged_in(KITCHEN)
    live = await kitchen.live()
    viewer = await rig.logged_in(VIEWER)
    admin = await rig.rpc(OWNER)
    changed = await admin.call("Users.ChangeUserPassword", {"username": KITCHEN, "newPassword": "Changed456"})
    assert changed["error"] == "UserErrorNoError"
    assert (await kitchen.get("/web/api/session")).status_code == 401
    assert await live.wait_closed() == 4401
    assert rig.door.sessions.of_user(KITCHEN) == []
    assert (await viewer.get("/web/api/session")).status_code == 200
    # The new password logs in; the old one no longer does.
    assert (await rig.client().login(KITCHEN, "Changed456")).status_code == 200
    assert (await rig.client().login(KITCHEN, PASSWORD)).status_code == 401


async def test_a_password_changed_from_the_command_line_ends_that_users_sessions(rig: Rig) -> None:
    kitchen = await rig.logged_in(KITCHEN)
    owner = await rig.logged_in(OWNER)
    # As a command would: the store gets a new hash (another manager on the store), then `reload`.
    other = SecurityManager(rig.server.store, hasher=fast_hasher(), bus=EventBus())
    await other.load()
    await other.change_password(KITCHEN, "Changed456")
    assert rig.server.control_socket is not None
    assert await rig.server.control_socket.answer("reload") == "reloaded"
    assert (await kitchen.get("/web/api/session")).status_code == 401
    assert (await owner.get("/web/api/session")).status_code == 200


async def test_a_user_whose_rights_change_acts_with_the_new_ones_at_once(rig: Rig) -> None:
    browser = await rig.logged_in(VIEWER)
    assert (await browser.get("/web/api/session")).json()["mayControl"] is False
    await rig.server.security.set_user_scopes(VIEWER, Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS)
    assert (await browser.get("/web/api/session")).json()["mayControl"] is True
    light = rig.thing("Path light")
    assert (await browser.act(light, "power", power=True)).status_code == 200


async def test_an_idle_session_ends_and_a_used_one_does_not(rig: Rig) -> None:
    now = [1000.0]
    rig.door.sessions.clock = lambda: now[0]
    idle, used = await rig.logged_in(), await rig.logged_in(VIEWER)
    limit = rig.door.settings.session_idle_seconds
    for _ in range(3):
        now[0] += limit * 0.6
        assert (await used.get("/web/api/session")).status_code == 200
    assert (await idle.get("/web/api/session")).status_code == 401
    assert rig.door.sessions.of_user(OWNER) == []


async def test_a_session_with_an_open_page_does_not_go_idle(rig: Rig) -> None:
    now = [1000.0]
    rig.door.sessions.clock = lambda: now[0]
    browser = await rig.logged_in()
    live = await browser.live()
    now[0] += rig.door.settings.session_idle_seconds * 10
    rig.door.sessions.prune()
    assert (await browser.get("/web/api/session")).status_code == 200
    await live.close()
    await until(lambda: not rig.door.connection_count, what="the page closed")
    now[0] += rig.door.settings.session_idle_seconds + 1
    assert (await browser.get("/web/api/session")).status_code == 401


async def test_too_many_sessions_of_one_user_end_the_least_recently_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with web_rig(tmp_path, monkeypatch, sessions_per_user=2, max_sessions=3) as rig:
        first, second = await rig.logged_in(), await rig.logged_in()
        assert (await first.get("/web/api/session")).status_code == 200  # the first is the more recently used now
        third = await rig.logged_in()
        assert (await second.get("/web/api/session")).status_code == 401
        assert (await first.get("/web/api/session")).status_code == 200
        viewer, kitchen = await rig.logged_in(VIEWER), await rig.logged_in(KITCHEN)
        # Three in all: the least recently used of everyone's (`third`) ended for the kitchen's.
        assert (await third.get("/web/api/session")).status_code == 401
        for browser in (first, viewer, kitchen):
            assert (await browser.get("/web/api/session")).status_code == 200
