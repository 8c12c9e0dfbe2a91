"""Dashboard benchmarks (issue 15), every figure beside a baseline measured in the same run.

A real `thinggate serve` (`python -m thinggate.cli serve`: the dashboard and Thinknx on the HTTP and
Thinknx ports, JSON-RPC over plain TCP, no demo house) runs in a child process on a fresh data
directory; its user is made with the command line (`thinggate user add`) and its 1,000 virtual on/off
lights through JSON-RPC `Integrations.AddThing`. Pages are headless Debian Chromium driven by
Playwright (`/usr/bin/chromium`, or THINGGATE_CHROMIUM), each context logged in with the login form's
POST and opened with bypass_csp, so that the bench's own script (a MutationObserver, added with
add_init_script or evaluate) runs in the hub's page. The baseline is a bare aiohttp server (a child
process of its own) serving a static page of the same 1,000 cards (the markup the hub's page painted,
with its stylesheet) and a WebSocket that sets a card's switch as the hub's page does.

  paint    Navigation to the house painted: the page's own clock (performance.now(), from the
           navigation's start) when all 1,000 cards are in the DOM, in a fresh context each time;
           median of alternating repeats beside the same Chromium loading the bare static page.
           Goal: < 1 s.
  change   A light switched through the Thinknx REST door (`/api/V1/power?guid=..&cmd=0|1`, HTTP basic,
           keep-alive) until the page's switch of that light changed (`aria-checked`, seen by a
           MutationObserver): the bench's time before sending and the page's Date.now() at the
           mutation, one clock (the system's); p50 and p99 over 200 changes, one at a time, each light
           once, beside a bare GET that makes the bare server push the same change over its WebSocket.
           Goal: p99 < 100 ms.
  pages    The hub's CPU while 100 changes/s go through the Thinknx door with 100 open pages on the
           live channel, beside the same load with no page open (ratio). The pages are raw `/live`
           WebSocket clients (100 live channels of one session, each reading every frame), not
           Chromium pages: 100 Chromium renderers applying 100 changes/s each would take this 2-CPU
           machine from the hub being measured (and fall behind, which the hub answers by dropping
           them). Every page must get every change. The CPU other processes took meanwhile is printed.

`--quick`: 100 lights, 20 changes, 10 pages for 2 s, one repeat.

Run: `.venv/bin/python bench/web.py [--quick] [--only paint,change,pages] [--things 1000] [--changes 200]
[--pages 100] [--rate 100] [--seconds 10] [--repeats 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from _common import (
    CHILDREN,
    ROOT,
    Ready,
    ServedProcess,
    ServerChild,
    child_env,
    cpu_seconds,
    free_port,
    machine_cpu,
    serve_app,
    watched,
)
from aiohttp import web

USER = "bench"
PASSWORD = "BenchPW1!"
CHROMIUM = "/usr/bin/chromium"
# tests/web/browser.py's flags (a bench runs from a clone without tests/): nothing but loopback, no Google services.
CHROMIUM_ARGS = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.*, EXCLUDE ::1",
)
VIEWPORT = {"width": 1280, "height": 800}
STATIC = ROOT / "thinggate" / "api" / "web" / "static"

HUB_CONFIG = """\
bind = "127.0.0.1"
log_level = "INFO"

[ports]
jsonrpc_tcp = {jsonrpc}
jsonrpc_ws = 0
ezlo = 0
thinknx = {thinknx}
http = 0

[jsonrpc]
tcp_tls = false
ws_tls = false
zeroconf = false

[ezlo]
zeroconf = false

[thinknx]
tls = false
rate_limit = ""      # the bench's 100 changes/s from one address are the load, not an abuse

[web]
live_per_session = {pages}   # the pages section's pages share one session

[virtual]
auto_things = false
"""


# ------------------------------------------------------------------------------------------------
# The served hub
# ------------------------------------------------------------------------------------------------


class ServedHub(ServedProcess):
    """`thinggate serve` in a child process; it logs to a file the bench reads its HTTP port from."""

    def __init__(self, work: Path, pages: int) -> None:
        self.work = work
        self.jsonrpc_port, self.thinknx_port = free_port(), free_port()
        self.config = work / "thinggate.toml"
        self.config.write_text(
            HUB_CONFIG.format(jsonrpc=self.jsonrpc_port, thinknx=self.thinknx_port, pages=max(pages, 8))
        )
        self.data = work / "data"
        self.log = work / "hub.log"
        self.http_port = 0

    @property
    def base(self) -> str:
        """The dashboard's origin."""
        return f"http://127.0.0.1:{self.http_port}"

    def _command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "thinggate.cli",
            *args,
            "--config",
            str(self.config),
            "--data-dir",
            str(self.data),
        ]

    def _spawn(self) -> None:
        """Its user (made with the command line), then the hub itself."""
        done = subprocess.run(
            self._command("user", "add", USER, "--password", PASSWORD),
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=self.work,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"`thinggate user add` failed (exit {done.returncode}):\n{done.stderr}")
        with open(self.log, "wb") as log:  # the child writes it for its life
            self.process = subprocess.Popen(
                self._command("serve"),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=child_env(),
                cwd=self.work,
            )

    async def start(self) -> None:
        """Start it, and wait until its log says it is up (stopped if that fails)."""
        await asyncio.to_thread(self._spawn)
        CHILDREN.append(self)
        try:
            self.http_port = await self.http_port_once_up()
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        """The hub's process id."""
        assert self.process is not None
        return self.process.pid


async def add_lights(hub: ServedHub, count: int) -> list[tuple[str, str]]:
    """`count` virtual on/off lights through JSON-RPC (one login, requests pipelined); their GUIDs and ids."""
    from thinggate.core.guids import guid_of

    reader, writer = await asyncio.open_connection("127.0.0.1", hub.jsonrpc_port, limit=1 << 24)
    serial = 0

    async def call(method: str, params: dict[str, Any], token: str = "") -> dict[str, Any]:
        nonlocal serial
        serial += 1
        message: dict[str, Any] = {"id": serial, "method": method, "params": params}
        if token:
            message["token"] = token
        writer.write(json.dumps(message).encode() + b"\n")
        while True:
            answer = json.loads(await reader.readline())
            if answer.get("id") == serial:
                if answer.get("status") != "success":
                    raise SystemExit(f"JSON-RPC {method} failed: {answer}")
                reply: dict[str, Any] = answer["params"]
                return reply

    try:
        await call("JSONRPC.Hello", {})
        login = {"username": USER, "password": PASSWORD, "deviceName": "bench"}
        token = (await call("JSONRPC.Authenticate", login))["token"]
        classes = (await call("Integrations.GetThingClasses", {}, token))["thingClasses"]
        light = next(thing_class["id"] for thing_class in classes if thing_class["name"] == "light")
        first = serial + 1
        for number in range(count):
            params = {"thingClassId": light, "name": f"light {number:04d}"}
            writer.write(json.dumps({"id": first + number, "method": "Integrations.AddThing", "params": params,
                                     "token": token}).encode() + b"\n")  # fmt: skip
        await writer.drain()
        added: dict[int, str] = {}
        while len(added) < count:
            answer = json.loads(await reader.readline())
            if answer.get("id", 0) >= first:
                error = answer.get("params", {}).get("thingError")
                if error != "ThingErrorNoError":
                    raise SystemExit(f"AddThing failed: {answer}")
                added[answer["id"]] = answer["params"]["thingId"]
    finally:
        writer.close()
    return [(guid_of(uuid.UUID(added[key])), added[key]) for key in sorted(added)]


# ------------------------------------------------------------------------------------------------
# The baseline: a bare aiohttp server with the same cards, static
# ------------------------------------------------------------------------------------------------

BARE_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>House</title>
  <link rel="stylesheet" href="/web/static/app.css">
  <script type="module" src="/bare.js"></script>
</head>
<body>
  <main id="main"><div id="house">{cards}</div></main>
</body>
</html>
"""

BARE_SCRIPT = """\
// Sets a card's switch as the hub's page does when its live channel tells a change.
const socket = new WebSocket(`ws://${location.host}/ws`);
socket.addEventListener("message", (event) => {
  const change = JSON.parse(event.data);
  const button = document.querySelector(`article[data-thing-id="${change.thingId}"] [role=switch]`);
  button.setAttribute("aria-checked", String(change.value === true));
  button.querySelector(".switch-text").textContent = change.value ? "On" : "Off";
});
"""


async def serve_bare(css: bytes, ready: Ready) -> None:
    """The static page of cards (its cards PUT to /page once the hub's page painted them), its stylesheet,
    and a WebSocket that GET /set?thingId=..&value=0|1 pushes to."""
    sockets: set[web.WebSocketResponse] = set()
    page = [b""]

    async def front(request: web.Request) -> web.Response:
        return web.Response(body=page[0], content_type="text/html", charset="utf-8")

    async def put_page(request: web.Request) -> web.Response:
        page[0] = await request.read()
        return web.Response(status=204)

    async def stylesheet(request: web.Request) -> web.Response:
        return web.Response(body=css, content_type="text/css", charset="utf-8")

    async def script(request: web.Request) -> web.Response:
        return web.Response(text=BARE_SCRIPT, content_type="text/javascript")

    async def live(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        sockets.add(socket)
        try:
            async for _ in socket:
                pass
        finally:
            sockets.discard(socket)
        return socket

    async def change(request: web.Request) -> web.Response:
        frame = json.dumps({"thingId": request.query["thingId"], "value": request.query["value"] == "1"})
        for peer in sockets:
            await peer.send_str(frame)
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=64 << 20)  # the page of 1,000 cards is PUT whole
    app.router.add_get("/", front)
    app.router.add_put("/page", put_page)
    app.router.add_get("/web/static/app.css", stylesheet)
    app.router.add_get("/bare.js", script)
    app.router.add_get("/ws", live)
    app.router.add_get("/set", change)
    await serve_app(app, ready)


# ------------------------------------------------------------------------------------------------
# Chromium
# ------------------------------------------------------------------------------------------------

CARDS_IN_DOM = """
// The page's clock (ms from the navigation's start) when `wanted` cards are in the DOM.
window.benchCards = new Promise((resolve) => {
  const wanted = WANTED;
  const cards = document.getElementsByClassName("card");
  new MutationObserver((records, observer) => {
    if (cards.length >= wanted) {
      observer.disconnect();
      resolve(performance.now());
    }
  }).observe(document, { childList: true, subtree: true });
});
"""

SWITCH_WATCH = """() => {
  // Each switch changed: its thing and value, and the system's clock (Date.now()) at the mutation.
  new MutationObserver((records) => {
    const at = Date.now();
    for (const record of records) {
      const card = record.target.closest("article");
      if (card) window.benchSwitched(card.dataset.thingId, record.target.getAttribute("aria-checked"), at);
    }
  }).observe(document.getElementById("house"), { attributes: true, attributeFilter: ["aria-checked"], subtree: true });
}"""


def chromium_path() -> str:
    """The Chromium to drive (THINGGATE_CHROMIUM, /usr/bin/chromium or `chromium` on the path)."""
    found = os.environ.get("THINGGATE_CHROMIUM") or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)
    found = found or shutil.which("chromium")
    if not found:
        raise SystemExit("Chromium is not installed (apt-get install -y chromium)")
    return found


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Headless Chromium through Playwright (never `playwright install`: the system's Chromium)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        raise SystemExit("Playwright for Python is not installed (pip install -e '.[test]')") from None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                   args=list(CHROMIUM_ARGS))  # fmt: skip
        try:
            yield browser
        finally:
            await browser.close()


async def logged_in_context(browser: Any, hub: ServedHub) -> Any:
    """A fresh context (no cache) with a login's session cookie, its pages' CSP bypassed for the bench's script."""
    context = await browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    answer = await context.request.post(
        hub.base + "/login",
        form={"username": USER, "password": PASSWORD},
        headers={"Accept": "application/json", "Origin": hub.base},
    )
    if answer.status != 200:
        raise SystemExit(f"POST /login answered {answer.status}: {await answer.text()}")
    return context


async def time_to_cards(context: Any, url: str, cards: int) -> float:
    """Milliseconds from navigating to `url` until `cards` cards are in the DOM (the page's own clock)."""
    page = await context.new_page()
    try:
        await page.add_init_script(CARDS_IN_DOM.replace("WANTED", str(cards)))
        await page.goto(url, wait_until="commit")
        painted: float = await page.evaluate("() => window.benchCards", [])
        return painted
    finally:
        await page.close()


# ------------------------------------------------------------------------------------------------
# The sections
# ------------------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of them lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


HEADER = f"{'measure':<58} {'thinggate':>12} {'baseline':>12} {'ratio':>7}  goal"


def row(name: str, ours: float, base: float, unit: str, goal: str = "") -> None:
    """One line of the table."""
    ratio = ours / base if base else float("nan")
    print(f"{name:<58} {ours:>9.1f} {unit:<2} {base:>9.1f} {unit:<2} {ratio:>7.2f}  {goal}".rstrip(), flush=True)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


class Bench:
    """The served hub, the bare server and the browser of one run."""

    def __init__(self, arguments: argparse.Namespace, hub: ServedHub, lights: list[tuple[str, str]]) -> None:
        self.arguments = arguments
        self.hub = hub
        self.lights = lights
        """Each light's Thinknx GUID and thing id."""
        self.on = [False] * len(lights)
        """Whether each light is on (each is added off; the bench switches it the other way each time)."""
        self.browser: Any = None
        """Headless Chromium (Playwright's Browser), once it runs."""
        self.bare_port = 0
        self.auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    @property
    def bare(self) -> str:
        """The bare server's origin."""
        return f"http://127.0.0.1:{self.bare_port}"

    async def start_bare(self) -> None:
        """The bare server, started before Chromium (a child forked later would hold Playwright's pipes open)."""
        child = ServerChild(serve_bare, (STATIC / "app.css").read_bytes())
        self.bare_port = await asyncio.to_thread(child.ready)

    async def copy_cards(self) -> None:
        """Paint the hub's page once; the bare server serves its cards statically from then on."""
        context = await logged_in_context(self.browser, self.hub)
        try:
            page = await context.new_page()
            await page.add_init_script(CARDS_IN_DOM.replace("WANTED", str(len(self.lights))))
            await page.goto(self.hub.base + "/")
            await page.evaluate("() => window.benchCards")
            markup = await page.locator("#house").inner_html()
        finally:
            await context.close()
        async with (
            aiohttp.ClientSession() as session,
            session.put(self.bare + "/page", data=BARE_PAGE.replace("{cards}", markup).encode()) as answer,
        ):
            if answer.status != 204:
                raise SystemExit(f"the bare server answered PUT /page with {answer.status}")

    async def paint(self) -> None:
        """Navigation -> all cards in the DOM, hub page and bare page alternately."""
        ours: list[float] = []
        base: list[float] = []
        count = len(self.lights)
        for _ in range(self.arguments.repeats):
            context = await logged_in_context(self.browser, self.hub)
            try:
                ours.append(await time_to_cards(context, self.hub.base + "/", count))
            finally:
                await context.close()
            context = await self.browser.new_context(viewport=VIEWPORT, bypass_csp=True)
            try:
                base.append(await time_to_cards(context, self.bare + "/", count))
            finally:
                await context.close()
        mine, theirs = statistics.median(ours), statistics.median(base)
        row(f"house painted, {count:,} cards in the DOM (median of {len(ours)})", mine, theirs, "ms",
            f"< 1000 ms: {verdict(mine < 1000)}")  # fmt: skip

    async def change(self) -> None:
        """Thinknx REST change -> the page's switch changed, one at a time; then the bare server's push alike."""
        changes = min(self.arguments.changes, len(self.lights))
        ours = await self._latencies(self.hub.base + "/", changes, self._switch)
        base = await self._latencies(self.bare + "/", changes, self._switch_bare)
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            mine, theirs = percentile(ours, fraction), percentile(base, fraction)
            goal = f"< 100 ms: {verdict(mine < 100)}" if name == "p99" else ""
            row(f"change through Thinknx -> DOM updated, {name} of {changes}", mine, theirs, "ms", goal)

    async def _thinknx(self, session: aiohttp.ClientSession, controller: str, guid: str, **params: str) -> None:
        url = f"http://127.0.0.1:{self.hub.thinknx_port}/api/V1/{controller}"
        async with session.get(url, params={"guid": guid, **params}, headers={"Authorization": self.auth}) as answer:
            if answer.status != 200:
                raise SystemExit(f"Thinknx {controller} answered {answer.status}: {await answer.text()}")
            await answer.read()

    async def _switch(self, session: aiohttp.ClientSession, index: int) -> bool:
        """Switch a light of the hub the other way through Thinknx; the value it has now."""
        value = not self.on[index]
        await self._thinknx(session, "power", self.lights[index][0], cmd="1" if value else "0")
        self.on[index] = value
        return value

    async def _switch_bare(self, session: aiohttp.ClientSession, index: int) -> bool:
        """Switch a card of the bare page on (each page is fresh: all off)."""
        params = {"thingId": self.lights[index][1], "value": "1"}
        async with session.get(self.bare + "/set", params=params) as answer:
            await answer.read()
        return True

    async def _latencies(
        self, url: str, changes: int, send: Callable[[aiohttp.ClientSession, int], Awaitable[bool]]
    ) -> list[float]:
        context = await (logged_in_context(self.browser, self.hub) if url.startswith(self.hub.base)
                         else self.browser.new_context(viewport=VIEWPORT, bypass_csp=True))  # fmt: skip
        seen: dict[tuple[str, str], float] = {}
        arrived = asyncio.Event()

        def switched(thing_id: str, checked: str, at: float) -> None:
            seen[(thing_id, checked)] = at
            arrived.set()

        try:
            page = await context.new_page()
            await page.expose_function("benchSwitched", switched)
            await page.add_init_script(CARDS_IN_DOM.replace("WANTED", str(len(self.lights))))
            await page.goto(url)
            await page.evaluate("() => window.benchCards")
            if url.startswith(self.hub.base):
                # The page's live channel is open (its status says so) before the first change.
                await page.locator("#status[data-status=online]").wait_for()
            else:
                await asyncio.sleep(0.5)  # the bare page's WebSocket
            await page.evaluate(SWITCH_WATCH)
            latencies: list[float] = []
            async with aiohttp.ClientSession() as session:
                for number in range(changes):
                    thing_id = self.lights[number][1]
                    arrived.clear()
                    sent = time.time() * 1000
                    shown = (thing_id, "true" if await send(session, number) else "false")
                    async with asyncio.timeout(10):
                        while shown not in seen:
                            await arrived.wait()
                            arrived.clear()
                    latencies.append(seen.pop(shown) - sent)
            return latencies
        finally:
            await context.close()

    async def pages(self) -> None:
        """Hub CPU with the change load and no page, then with the pages open (raw /live clients)."""
        count, rate, seconds = self.arguments.pages, self.arguments.rate, self.arguments.seconds
        alone = await self._load()
        # The jar keeps the session cookie of 127.0.0.1 (aiohttp's default one refuses cookies of addresses).
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            answer = await session.post(
                self.hub.base + "/login",
                data={"username": USER, "password": PASSWORD},
                headers={"Accept": "application/json", "Origin": self.hub.base},
            )
            if answer.status != 200:
                raise SystemExit(f"POST /login answered {answer.status}")
            live = self.hub.base.replace("http", "ws", 1) + "/live"
            sockets = [await session.ws_connect(live, headers={"Origin": self.hub.base}) for _ in range(count)]
            expected = count * int(rate * seconds)
            received = [0]
            everything = asyncio.Event()

            async def read(socket: aiohttp.ClientWebSocketResponse) -> None:
                async for frame in socket:
                    if frame.type is aiohttp.WSMsgType.TEXT and json.loads(frame.data)["type"] == "state":
                        received[0] += 1
                        if received[0] >= expected:
                            everything.set()

            readers = [asyncio.create_task(read(socket)) for socket in sockets]
            try:
                watched_pages = await self._load()
                with contextlib.suppress(TimeoutError):  # the last frames are still on their way
                    await asyncio.wait_for(everything.wait(), 10)
            finally:
                for socket in sockets:
                    await socket.close()
                for reader in readers:
                    reader.cancel()
        missing = expected - received[0]
        told = "every page got every change" if missing == 0 else f"NOT every change arrived: {missing} missing"
        row(f"hub CPU at {rate:g} changes/s, {count} pages open (vs none)", watched_pages.hub * 100, alone.hub * 100,
            "%", told)  # fmt: skip
        print(f"  ({seconds:g} s each; other processes on this machine meanwhile: {alone.others:.0%} and"
              f" {watched_pages.others:.0%} of a CPU)", flush=True)  # fmt: skip

    async def _load(self) -> Load:
        """`rate` changes/s for `seconds` through Thinknx, each light in turn; the CPU the hub and others took."""
        rate, seconds = self.arguments.rate, self.arguments.seconds
        total = int(rate * seconds)
        async with aiohttp.ClientSession() as session:
            await self._thinknx(session, "powerstatus", self.lights[0][0])  # the connection open before the clock
            began, hub_began, machine_began = time.perf_counter(), cpu_seconds(self.hub.pid), machine_cpu()
            mine_began = time.process_time()
            for number in range(total):
                delay = began + number / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self._switch(session, number % len(self.lights))  # each light in turn: each a change
            elapsed = time.perf_counter() - began
            hub = cpu_seconds(self.hub.pid) - hub_began
            others = machine_cpu() - machine_began - hub - (time.process_time() - mine_began)
        return Load(hub / elapsed, max(0.0, others) / elapsed, total)


@dataclass(frozen=True)
class Load:
    """What a run of the change load cost: the hub's share of a CPU, other processes' share, changes sent."""

    hub: float
    others: float
    sent: int


SECTIONS = ("paint", "change", "pages")


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100 lights, 20 changes, 10 pages for 2 s, 1 repeat")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"sections to run, of {','.join(SECTIONS)}")
    parser.add_argument("--things", type=int, default=1000, help="virtual lights on the hub")
    parser.add_argument("--changes", type=int, default=200, help="changes timed through Thinknx -> DOM")
    parser.add_argument("--pages", type=int, default=100, help="open pages (raw /live clients) for the CPU figure")
    parser.add_argument("--rate", type=float, default=100.0, help="changes per second for the CPU figure")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the change load runs")
    parser.add_argument("--repeats", type=int, default=5, help="page loads of each kind for paint")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.things, arguments.changes, arguments.pages = 100, 20, 10
        arguments.seconds, arguments.repeats = 2.0, 1
    unknown = set(arguments.only.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"no section {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    return arguments


async def main(arguments: argparse.Namespace) -> None:
    """Start the hub, add its lights, open Chromium, run the sections."""
    only = arguments.only.split(",")
    with tempfile.TemporaryDirectory(prefix="thinggate-bench-web-") as work:
        hub = ServedHub(Path(work), arguments.pages)
        await hub.start()
        try:
            lights = await add_lights(hub, arguments.things)
            print(f"thinggate serve: {len(lights):,} virtual lights; headless Chromium {chromium_path()}", flush=True)
            bench = Bench(arguments, hub, lights)
            if "paint" in only or "change" in only:
                await bench.start_bare()
            async with chromium() as browser:
                bench.browser = browser
                print(HEADER, flush=True)
                if "paint" in only or "change" in only:
                    await bench.copy_cards()
                for name in SECTIONS:
                    if name in only:
                        await getattr(bench, name)()
        finally:
            hub.stop()
            for child in list(CHILDREN):
                child.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    asyncio.run(watched(main(parse(sys.argv[1:]))))
