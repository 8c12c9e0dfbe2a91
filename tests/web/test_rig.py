"""The browser rig end to end: a real hub on free ports, a page of it in Debian's Chromium, screenshots, axe-core.

No dashboard yet: the page is what the hub serves today, the registry door's /openapi.json, shown
by Chromium's own JSON viewer.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.api.registry.rig import STACK, Rig
from tests.web.browser import VIEWPORTS, assert_accessible, axe_violations, playwright_error
from tests.web.conftest import Screenshot

if TYPE_CHECKING:  # imported by the fixtures: a machine without Playwright skips these tests with the reason
    from playwright.async_api import Page

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_width(path: Path) -> int:
    """The pixel width in a PNG file's header (IHDR, the first chunk)."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} is not a PNG"
    width: int = struct.unpack(">I", data[16:20])[0]
    return width


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
async def test_the_hubs_openapi_document_opens_in_chromium(hub: Rig, page: Page, screenshot: Screenshot) -> None:
    """Chromium loads /openapi.json from the hub's HTTP port and shows the registry's document, at both widths."""
    response = await page.goto(f"{hub.base}/openapi.json")
    assert response is not None
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")

    shown = json.loads(await page.locator("pre").first.inner_text())
    assert shown["openapi"].startswith("3.1")
    assert f"/{STACK}/auth/login" in shown["paths"]

    options = VIEWPORTS[_layout_of(page)]
    assert await page.evaluate("() => screen.width") == options["viewport"]["width"]
    # A phone lays out a page that has no <meta name=viewport> (this one) 980 pixels wide, as a real one does.
    laid_out = await page.evaluate("() => document.documentElement.scrollWidth")
    kept = await screenshot(page, "openapi")
    assert png_width(kept) == laid_out * options.get("device_scale_factor", 1)


def _layout_of(page: Page) -> str:
    """The VIEWPORTS name of the layout the page's context was opened with (by its viewport width)."""
    size = page.viewport_size
    assert size is not None
    return next(name for name, options in VIEWPORTS.items() if options["viewport"]["width"] == size["width"])


async def test_chromium_reaches_nothing_but_loopback(hub: Rig, page: Page) -> None:
    """Only localhost and loopback addresses resolve: a page cannot fetch from outside the machine."""
    assert hub.server.http is not None
    port = hub.server.http.port
    for reachable in (f"http://127.0.0.1:{port}/manifest", f"http://localhost:{port}/manifest"):
        response = await page.goto(reachable)
        assert response is not None and response.status == 200, reachable
    # Chromium maps any *.localhost to loopback by itself; the rig resolves no name but localhost, so this
    # fails before any connection, as a CDN's or a font service's name would.
    for unreachable in (f"http://hub.localhost:{port}/manifest", "https://cdn.example.com/lib.js", "http://192.0.2.1/"):
        with pytest.raises(playwright_error(), match="ERR_NAME_NOT_RESOLVED"):
            await page.goto(unreachable)


async def test_assert_accessible_passes_a_labelled_page(page: Page) -> None:
    """A page with a language, a title, labelled controls and readable contrast passes."""
    await page.set_content(LABELLED_PAGE)
    await assert_accessible(page)


async def test_assert_accessible_fails_on_serious_and_critical_violations(page: Page) -> None:
    """An image without text, an unlabelled input and grey on white fail, each rule named in the message."""
    await page.set_content(INACCESSIBLE_PAGE)
    with pytest.raises(AssertionError) as failure:
        await assert_accessible(page)
    message = str(failure.value)
    for rule in ("image-alt", "label", "color-contrast"):
        assert f"\n{rule} (" in message, message


async def test_assert_accessible_lets_minor_and_moderate_violations_pass(page: Page) -> None:
    """A skipped heading level is a moderate violation: axe-core reports it, the page still passes."""
    await page.set_content(LABELLED_PAGE.replace("<h2>", "<h4>").replace("</h2>", "</h4>"))
    reported = {violation["id"]: violation["impact"] for violation in await axe_violations(page)}
    assert reported.get("heading-order") == "moderate", reported
    await assert_accessible(page)


async def test_assert_accessible_runs_under_a_strict_content_security_policy(page: Page) -> None:
    """A page that allows no script of any origin is still checked: axe-core is not a <script> of the page."""
    await page.set_content(INACCESSIBLE_PAGE.replace("<head>", f"<head>{NO_SCRIPTS_ALLOWED}"))
    assert await page.evaluate("() => document.querySelector('meta[http-equiv]') !== null")
    with pytest.raises(AssertionError, match="image-alt"):
        await assert_accessible(page)


NO_SCRIPTS_ALLOWED = """<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'none'">"""

LABELLED_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>House</title>
</head>
<body>
<main>
  <h1>House</h1>
  <h2>Kitchen</h2>
  <label for="light">Kitchen light</label> <input id="light" type="checkbox" role="switch">
  <button type="button">Run scene</button>
</main>
</body>
</html>
"""

INACCESSIBLE_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>House</title></head>
<body>
<main>
  <h1>House</h1>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="20" height="20">
  <input type="text">
  <p style="color: #d0d0d0; background: #ffffff">Kitchen light is on</p>
</main>
</body>
</html>
"""
