"""Dashboard sessions across a hub restart: a real hub stopped and started again on the same data directory (SQLite).

A browser logged in stays logged in (with a new CSRF token, its old one refused); a session ended
before the restart (logout, its user removed, its password changed, idle past its time) stays
ended; the store keeps the cookie's hash, never the cookie; when it was last used is written
coarsely and when the hub stops.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from tests.api.web.rig import KITCHEN, OWNER, PASSWORD, VIEWER, Rig, WebClient, web_rig
from tests.web.dashboard import stop_hub
from thinggate.api.web.session import Sessions
from thinggate.api.web.settings import WebConfig
from thinggate.config import Config
from thinggate.core.security import Scope
from thinggate.core.store import WebSessionRecord
from thinggate.server import start_server
from thinggate.storage import open_store


async def restart(rig: Rig) -> Config:
    """Stop the rig's hub and start it again on its data directory and ports; no request has reached the dashboard."""
    config = await stop_hub(rig)
    rig.server = await start_server(config, demo=True)
    return config


async def kept_sessions(data_dir: Path) -> list[WebSessionRecord]:
    """The sessions the store of a stopped hub keeps."""
    store = await open_store(None, data_dir)
    try:
        return await store.load_web_sessions()
    finally:
        await store.close()


def fake_clocks(sessions: Sessions) -> list[float]:
    """Set the sessions' monotonic and wall clocks to a time the test moves on (now[0], in seconds)."""
    now = [1000.0]
    sessions.clock = lambda: now[0]
    sessions.wall_clock = lambda: 1_800_000_000 + now[0]
    return now


async def status_of(browser: WebClient) -> int:
    """Whether the browser is logged in: the status of its session read."""
    return (await browser.get("/web/api/session")).status_code


async def test_a_browser_logged_in_before_a_restart_is_logged_in_after_it_with_a_new_token(rig: Rig) -> None:
    browser = await rig.logged_in()
    before = browser.csrf
    await restart(rig)
    assert rig.server.doors["web"].built is None  # type: ignore[attr-defined]  # sessions load with the first request

    session = (await browser.get("/web/api/session")).json()
    assert session["username"] == OWNER
    assert session["csrfToken"] != before
    # The page's token of before the restart is refused; the one it reads again works.
    refused = await browser.write("/web/api/mode", {"mode": "2"}, csrf=before)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "CrossSiteRefused")
    assert (await browser.write("/logout", csrf=before)).status_code == 403
    assert await status_of(browser) == 200
    browser.csrf = session["csrfToken"]
    assert (await browser.write("/logout")).status_code == 204
    assert await status_of(browser) == 401


async def test_a_page_reconnects_after_a_restart_and_its_next_write_works(rig: Rig) -> None:
    browser = await rig.logged_in()
    live = await browser.live()
    await restart(rig)
    assert await live.wait_closed() == 1001  # going away, not logged out (4401)
    again = await browser.live()
    browser.csrf = (await browser.get("/web/api/session")).json()["csrfToken"]  # as the page does on reconnect
    light = rig.thing("Path light")
    assert (await browser.act(light, "power", power=True)).status_code == 200
    message = await again.message("state", lambda m: m["thingId"] == str(light.id) and m["value"] is True)
    assert message["value"] is True


async def test_a_session_acts_with_its_users_rights_as_they_are_when_it_is_loaded(rig: Rig) -> None:
    viewer = await rig.logged_in(VIEWER)
    assert (await viewer.get("/web/api/session")).json()["mayControl"] is False
    await restart(rig)
    # Rights changed before the dashboard loads its sessions (no browser has asked since the start).
    await rig.server.security.set_user_scopes(VIEWER, Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS)
    assert (await viewer.get("/web/api/session")).json()["mayControl"] is True
    assert (await viewer.act(rig.thing("Path light"), "power", power=True)).status_code == 403  # the old token
    viewer.csrf = (await viewer.get("/web/api/session")).json()["csrfToken"]
    assert (await viewer.act(rig.thing("Path light"), "power", power=True)).status_code == 200


async def test_sessions_ended_before_a_restart_stay_ended(rig: Rig, tmp_path: Path) -> None:
    logged_out, removed, changed, kept = (
        await rig.logged_in(),
        await rig.logged_in(KITCHEN),
        await rig.logged_in(VIEWER),
        await rig.logged_in(),
    )
    assert (await logged_out.write("/logout")).status_code == 204
    await rig.server.security.remove_user(KITCHEN)
    await rig.server.security.change_password(VIEWER, "Changed456")
    config = await stop_hub(rig)
    assert [record.username for record in await kept_sessions(config.data_dir)] == [OWNER]
    rig.server = await start_server(config, demo=True)
    assert [await status_of(browser) for browser in (logged_out, removed, changed, kept)] == [401, 401, 401, 200]


async def test_a_user_removed_or_whose_password_changed_before_the_first_request_has_no_session(rig: Rig) -> None:
    viewer, kitchen, owner = await rig.logged_in(VIEWER), await rig.logged_in(KITCHEN), await rig.logged_in()
    config = await restart(rig)
    # No browser has asked since the start: the dashboard is not assembled, its sessions are not loaded.
    await rig.server.security.change_password(VIEWER, "Changed456")
    await rig.server.security.remove_user(KITCHEN)
    await rig.server.security.create_user(KITCHEN, PASSWORD)  # a new user of the old name is not the old one
    config = await stop_hub(rig)
    assert [record.username for record in await kept_sessions(config.data_dir)] == [OWNER]
    rig.server = await start_server(config, demo=True)
    assert [await status_of(browser) for browser in (viewer, kitchen, owner)] == [401, 401, 200]


async def test_a_session_idle_past_its_time_while_the_hub_was_away_is_gone(rig: Rig) -> None:
    idle, used = await rig.logged_in(), await rig.logged_in(VIEWER)
    assert idle.cookie is not None
    idle_key = hashlib.sha256(idle.cookie.encode()).hexdigest()
    config = await stop_hub(rig)
    # The hub was away longer than the idle time since the idle browser's last use.
    store = await open_store(None, config.data_dir)
    try:
        [record] = [record for record in await store.load_web_sessions() if record.key_hash == idle_key]
        away = timedelta(seconds=rig.door.settings.session_idle_seconds + 60)
        await store.touch_web_sessions([(idle_key, record.last_used - away)])
    finally:
        await store.close()
    rig.server = await start_server(config, demo=True)
    assert [await status_of(browser) for browser in (idle, used)] == [401, 200]
    config = await stop_hub(rig)
    assert [record.username for record in await kept_sessions(config.data_dir)] == [VIEWER]
    rig.server = await start_server(config, demo=True)


async def test_the_store_holds_the_hash_of_the_cookie_never_the_cookie_or_the_token(rig: Rig) -> None:
    browser = await rig.logged_in()
    assert browser.cookie is not None
    config = await stop_hub(rig)
    [record] = await kept_sessions(config.data_dir)
    assert record.key_hash == hashlib.sha256(browser.cookie.encode()).hexdigest()
    assert (record.username, record.started <= record.last_used) == (OWNER, True)
    files = [path for path in config.data_dir.iterdir() if path.name.startswith("thinggate.db")]
    raw = b"".join(path.read_bytes() for path in files)
    assert record.key_hash.encode() in raw  # the table is in these files
    assert browser.cookie.encode() not in raw and browser.csrf.encode() not in raw
    rig.server = await start_server(config, demo=True)


async def test_last_used_is_written_at_most_once_a_minute_and_when_the_hub_stops(rig: Rig) -> None:
    sessions = rig.door.sessions
    now = fake_clocks(sessions)
    browser = await rig.logged_in()
    [started] = await rig.server.store.load_web_sessions()
    assert started.last_used == started.started

    async def stored_use() -> timedelta:
        sessions.write_use()
        await sessions.journal.drain()
        [record] = await rig.server.store.load_web_sessions()
        return record.last_used - started.started

    now[0] += 30
    assert await status_of(browser) == 200
    assert await stored_use() == timedelta(0)  # used 30 s after the login: not written yet
    now[0] += 31
    assert await status_of(browser) == 200
    assert await stored_use() == timedelta(seconds=61)
    now[0] += 10
    assert await status_of(browser) == 200
    assert await stored_use() == timedelta(seconds=61)
    config = await stop_hub(rig)
    [record] = await kept_sessions(config.data_dir)
    assert record.last_used - started.started == timedelta(seconds=71)  # the last use, written at stop
    rig.server = await start_server(config, demo=True)


async def test_a_session_holding_an_open_page_is_written_as_in_use(rig: Rig) -> None:
    sessions = rig.door.sessions
    now = fake_clocks(sessions)
    browser = await rig.logged_in()
    await browser.live()
    [started] = await rig.server.store.load_web_sessions()
    now[0] += 3600  # a wall tablet showing the house for an hour, no request
    sessions.write_use()
    await sessions.journal.drain()
    [record] = await rig.server.store.load_web_sessions()
    assert record.last_used - started.started == timedelta(hours=1)


async def test_sessions_past_the_limits_are_forgotten_and_a_limit_lowered_meanwhile_holds_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with web_rig(tmp_path, monkeypatch, sessions_per_user=2) as rig:
        first, second, third = await rig.logged_in(), await rig.logged_in(), await rig.logged_in()
        assert await status_of(third) == 200 and await status_of(second) == 200  # the second the last used
        await rig.door.sessions.journal.drain()
        assert len(await rig.server.store.load_web_sessions()) == 2  # the first ended, and is forgotten
        config = await stop_hub(rig)
        fewer = WebConfig(sessions_per_user=1)
        rig.server = await start_server(dataclasses.replace(config, doors={**config.doors, "web": fewer}), demo=True)
        assert [await status_of(browser) for browser in (first, second, third)] == [401, 200, 401]
        config = await stop_hub(rig)
        [kept] = await kept_sessions(config.data_dir)
        assert second.cookie is not None and kept.key_hash == hashlib.sha256(second.cookie.encode()).hexdigest()
        rig.server = await start_server(config, demo=True)


async def test_a_password_changed_while_the_kept_sessions_are_read_ends_that_users(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer, owner = await rig.logged_in(VIEWER), await rig.logged_in()
    await restart(rig)
    store, security = rig.server.store, rig.server.security
    read = store.load_web_sessions

    async def read_then_change() -> list[WebSessionRecord]:
        records = await read()
        await security.change_password(VIEWER, "Changed456")  # as another door might, while the rows come back
        return records

    monkeypatch.setattr(store, "load_web_sessions", read_then_change)
    assert [await status_of(browser) for browser in (viewer, owner)] == [401, 200]
