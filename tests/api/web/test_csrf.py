"""Writes a page of another site could make a browser send are refused: no token, a wrong one, a foreign origin."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from tests.api.web.rig import OWNER, PASSWORD, Rig, web_rig

EVIL = "http://evil.example"


async def test_an_action_needs_the_sessions_token(rig: Rig) -> None:
    browser = await rig.logged_in()
    light = rig.thing("Path light")
    power = light.thing_class.state_type_named("power")
    assert power is not None
    path = f"/web/api/things/{light.id}/actions/{power.id}"
    body = {"params": {str(power.id): True}}
    for csrf in ("", "not-the-token", browser.csrf + "x"):
        answer = await browser.write(path, body, csrf=csrf)
        assert answer.status_code == 403, csrf
        assert answer.json()["error"]["code"] == "CrossSiteRefused"
    # The token of another session is not this one's.
    other = await rig.logged_in()
    assert (await browser.write(path, body, csrf=other.csrf)).status_code == 403
    assert light.state_value("power") is False
    assert (await browser.write(path, body)).status_code == 200
    assert light.state_value("power") is True


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Origin": "https://127.0.0.1"},  # another scheme is another origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain's page is another origin too
    ],
)
async def test_a_write_from_another_origin_is_refused_even_with_the_token(rig: Rig, headers: dict[str, str]) -> None:
    browser = await rig.logged_in()
    answer = await browser.write("/web/api/mode", {"mode": "2"}, **headers)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "CrossSiteRefused"
    assert rig.server.modes.current.id == "1"
    assert (await browser.write("/logout", **headers)).status_code == 403
    assert (await browser.get("/web/api/session")).status_code == 200


async def test_a_write_from_the_hubs_own_page_passes(rig: Rig) -> None:
    browser = await rig.logged_in()
    same = {"Origin": rig.base, "Sec-Fetch-Site": "same-origin"}
    assert (await browser.write("/web/api/mode", {"mode": "2"}, **same)).status_code == 200
    # A client that is no browser sends neither header: the token is what it needs.
    answer = await browser.http.post("/web/api/mode", json={"mode": "3"}, headers={"X-CSRF-Token": browser.csrf})
    assert answer.status_code == 200, answer.text


async def test_an_origin_the_settings_trust_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with web_rig(tmp_path, monkeypatch, origins=["https://hub.example.org"]) as rig:
        browser = await rig.logged_in()
        assert (
            await browser.write("/web/api/mode", {"mode": "2"}, Origin="https://hub.example.org")
        ).status_code == 200
        assert (await browser.write("/web/api/mode", {"mode": "3"}, Origin=EVIL)).status_code == 403


async def test_reads_need_no_token(rig: Rig) -> None:
    browser = await rig.logged_in()
    answer = await browser.http.get("/web/api/house", headers={"Origin": EVIL})
    # Another site's page cannot read it (no CORS header grants that), and reading changes nothing.
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


async def test_a_login_posted_by_another_sites_page_is_refused(rig: Rig) -> None:
    browser = rig.client()
    for headers in ({"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}):
        answer = await browser.login(OWNER, PASSWORD, **headers)
        assert answer.status_code == 403, headers
        assert answer.json()["error"]["code"] == "CrossSiteRefused"
        assert "set-cookie" not in answer.headers
    assert rig.door.limiter.check("127.0.0.1") == 0  # refused before any password was checked


async def test_a_live_channel_opened_by_another_sites_page_is_refused(rig: Rig) -> None:
    browser = await rig.logged_in()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await browser.live(origin=EVIL)
    assert refused.value.status == 403
    assert rig.door.connection_count == 0
