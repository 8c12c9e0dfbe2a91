"""The page's files: served with their types and the headers that protect the page; no listing, no escape."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.api.web.rig import Rig
from thinggate.api.web.pages import STATIC_DIR, load_static

PAGES = ("index.html", "login.html")
MODULES = ("app.js", "login.js", "i18n.js", "api.js", "live.js", "cards.js", "nav.js")
PAGES += ("history.html", "things.html")
MODULES += ("history.js", "page.js", "things.js")


async def test_the_pages_files_are_served_with_their_types(rig: Rig) -> None:
    browser = rig.client()
    expected = {
        "index.html": "text/html; charset=utf-8",
        "login.html": "text/html; charset=utf-8",
        "app.css": "text/css; charset=utf-8",
        **{module: "text/javascript; charset=utf-8" for module in MODULES},
        "i18n/en.json": "application/json",
    }
    for name, content_type in expected.items():
        answer = await browser.get(f"/web/static/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"] == content_type
        assert answer.content == (STATIC_DIR / name).read_bytes()
        assert answer.headers["x-content-type-options"] == "nosniff"


async def test_pages_are_protected_by_their_headers(rig: Rig) -> None:
    browser = rig.client()
    answer = await browser.get("/")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["vary"] == "Cookie"  # the login page and the house share the URL


async def test_a_file_the_page_has_already_is_not_sent_again(rig: Rig) -> None:
    browser = rig.client()
    first = await browser.get("/web/static/app.js")
    again = await browser.get("/web/static/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert first.headers["cache-control"] == "no-cache"  # asked again at every load: an updated hub shows at once


@pytest.mark.parametrize(
    "path",
    [
        "/web/static/",
        "/web/static",
        "/web/static/i18n",
        "/web/static/i18n/",
        "/web/static/.",
        "/web/static/..",
        "/web/static/../door.py",
        "/web/static/%2e%2e/door.py",
        "/web/static/i18n/%2e%2e/%2e%2e/door.py",
        "/web/static/..%2fdoor.py",
        "/web/static/%2e%2e%2fsettings.py",
        "/web/static/..\\door.py",
        "/web/static//etc/passwd",
        "/web/static/%2fetc%2fpasswd",
        "/web/static/app.js%00.html",
        "/web/static/app.js/",
        "/web/static/APP.JS",
        "/web/static/app.js%0A",
        "/web/static/i18n%2fen.json%2f..%2f..%2f__init__.py",
    ],
)
async def test_no_folder_is_listed_and_nothing_outside_the_folder_is_served(rig: Rig, path: str) -> None:
    browser = rig.client()
    answer = await browser.http.get(path)
    assert answer.status_code == 404, (path, answer.text[:200])
    assert b"import" not in answer.content and b"root:" not in answer.content


def test_only_regular_files_of_known_types_inside_the_folder_are_in_the_table(tmp_path: Path) -> None:
    folder = tmp_path / "static"
    (folder / "i18n").mkdir(parents=True)
    (folder / "app.js").write_text("export {};")
    (folder / "i18n" / "en.json").write_text("{}")
    (folder / ".hidden.js").write_text("secret")
    (folder / ".git").mkdir()
    (folder / ".git" / "config.txt").write_text("secret")
    (folder / "notes.py").write_text("secret")
    outside = tmp_path / "outside.js"
    outside.write_text("secret")
    os.symlink(outside, folder / "link.js")
    os.symlink(tmp_path, folder / "up")
    assert sorted(load_static(folder)) == ["app.js", "i18n/en.json"]


def test_every_text_the_pages_name_is_in_the_translation_table() -> None:
    table = json.loads((STATIC_DIR / "i18n" / "en.json").read_text())
    named: set[str] = set()
    for page in PAGES:
        named |= set(re.findall(r'data-i18n(?:-label|-title)?="([^"]+)"', (STATIC_DIR / page).read_text()))
    for module in MODULES:
        # Keys handed to t() whole (keys built from a prefix, like `unit.${unit}`, are checked by the page).
        named |= set(re.findall(r'\bt\("([a-zA-Z0-9.]+)"', (STATIC_DIR / module).read_text()))
    assert named and named <= set(table), sorted(named - set(table))
    assert all(isinstance(text, str) and text for text in table.values())


def test_the_page_fetches_nothing_from_elsewhere() -> None:
    served = load_static()
    assert "vendor/uplot/uPlot.iife.min.js" in served
    for name, found in served.items():
        # A vendored file's licence banner (`/*! https://github.com/... */`) names its source; it fetches nothing.
        text = re.sub(r"/\*!.*?\*/", "", found.read().decode(), flags=re.S)
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), name


def test_a_file_is_read_when_asked_and_a_link_put_in_its_place_is_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "app.js").write_text("export {};")
    files = load_static(folder)
    (folder / "app.js").write_text("export const changed = 1;")
    assert files["app.js"].read() == b"export const changed = 1;"  # the bytes are the file's when first asked
    secret = tmp_path / "secret.js"
    secret.write_text("secret")
    (folder / "app.js").unlink()
    os.symlink(secret, folder / "app.js")
    with pytest.raises(OSError):
        files["app.js"].read()
