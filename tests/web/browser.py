"""The browser rig's parts: Debian's Chromium driven by Playwright, viewports, screenshots kept, axe-core.

DESIGN.md "Testing with real peers": Playwright drives /usr/bin/chromium through `executable_path`
(`playwright install`, which downloads a browser of its own, never runs); the flags are the machine
notes' for a closed network. The fixtures built from these live in tests/web/conftest.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Playwright is a test dependency: a machine without it skips the browser tests.
    from playwright.async_api import Page

ROOT = Path(__file__).parent.parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
"""Where every browser test's pages are kept as PNG (ignored by git; the CI run's artefacts)."""

SCREENSHOT_MAX_HEIGHT = 3000
"""CSS pixels of a page kept from its top (a dashboard page fits; a very long document is cut)."""

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium (`apt-get install chromium`, done by scripts/setup.sh --test); THINGGATE_CHROMIUM overrides."""

LOOPBACK_ONLY = "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.*, EXCLUDE ::1"
"""Chromium resolves no name and reaches no address but loopback: a page that fetches from the internet
fails in the test (net::ERR_NAME_NOT_RESOLVED), as it would on a hub without internet, and nothing leaves."""

CHROMIUM_ARGS = (
    # Playwright adds --headless and --no-sandbox (root, no screen) and a fresh --user-data-dir of its
    # own (a temporary profile it removes on close; Chromium refuses the flag beside it).
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls Google's services at start and now and then, and this machine's
    # closed network refuses each connection.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--host-resolver-rules={LOOPBACK_ONLY}",
)

VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    # A phone held upright: the width of the common ones, touch, and the page's <meta name=viewport> obeyed.
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
"""Browser context options per layout; a test asks for one with parametrize("page", [...], indirect=True)."""

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
FAILING_IMPACTS = ("serious", "critical")
"""axe-core's impacts that fail a page; "minor" and "moderate" ones are reported by axe but let pass."""


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when none is installed."""
    configured = os.environ.get("THINGGATE_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


def playwright_error() -> type[Exception]:
    """Playwright's error class (what a failed navigation or action raises), imported once the browser runs."""
    from playwright.async_api import Error

    return Error


def screenshot_path(node_id: str, label: str = "") -> Path:
    """The PNG file kept for a test (its pytest node id) and an optional label, under artifacts/screenshots/."""
    path, _, name = node_id.partition("::")
    # tests/web/test_x.py::test_y[phone] -> artifacts/screenshots/web/test_x/test_y[phone]-label.png
    folder = SCREENSHOTS / Path(path).with_suffix("").relative_to("tests")
    stem = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", name.replace("::", ".")) or "page"
    return folder / (f"{stem}-{label}.png" if label else f"{stem}.png")


async def keep_screenshot(page: Page, path: Path) -> Path:
    """Save the page as a PNG at `path`: its whole width, and its length below the viewport up to a limit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    # A long document (the registry's OpenAPI text) would make a PNG of tens of megabytes; its top tells enough.
    clip = {"x": 0, "y": 0, "width": max(width, 1), "height": max(min(height, SCREENSHOT_MAX_HEIGHT), 1)}
    await page.screenshot(path=path, full_page=True, clip=clip)
    return path


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """axe-core's violations as lines a failing test can print: rule, impact, help, the elements at fault."""
    lines: list[str] = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} - {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])}: {node.get('failureSummary', '').strip()}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


async def axe_violations(page: Page, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (all impacts), after injecting the vendored axe-core."""
    # evaluate, not a <script> tag: it runs over the DevTools protocol, so the page's own
    # Content-Security-Policy (a hub page allows no foreign script) does not stop it.
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = await page.evaluate(
        "options => axe.run(document, options).then(result => result.violations)",
        {"resultTypes": ["violations"], **(options or {})},
    )
    return violations


async def assert_accessible(page: Page, options: dict[str, Any] | None = None) -> None:
    """Fail when axe-core finds a serious or critical accessibility violation on the page (WCAG A/AA and more)."""
    violations = await axe_violations(page, options)
    failing = [violation for violation in violations if violation["impact"] in FAILING_IMPACTS]
    assert not failing, f"axe-core {AXE_VERSION} on {page.url}:\n{describe_violations(failing)}"
