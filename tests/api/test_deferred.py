"""A door assembled by its first request: built once, reloaded only once built, never built after stop."""

from __future__ import annotations

import asyncio

import httpx
from aiohttp import web

from thinggate.api.deferred import DeferredDoor


class CountingDoor:
    """A built door that counts what it is asked."""

    def __init__(self) -> None:
        self.requests = 0
        self.reloads = 0
        self.stopped = False
        self.connection_count = 3

    async def answer(self, request: web.Request) -> web.Response:
        """Its one handler."""
        self.requests += 1
        return web.json_response({"path": request.path, "requests": self.requests})

    async def stop(self) -> None:
        """Stop it."""
        self.stopped = True


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """The app on a free loopback port."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def test_the_first_requests_build_the_door_once_and_it_serves_them_all() -> None:
    built: list[CountingDoor] = []

    async def assemble() -> CountingDoor:
        await asyncio.sleep(0.01)  # concurrent first requests all wait for this one build
        built.append(CountingDoor())
        return built[-1]

    deferred = DeferredDoor(assemble)
    app = web.Application()
    deferred.route(app, "GET", "/a/{tail:.*}", "answer")
    runner, base = await serve(app)
    try:
        assert deferred.built is None and deferred.connection_count == 0
        async with httpx.AsyncClient(base_url=base) as client:
            answers = await asyncio.gather(*(client.get(f"/a/{n}") for n in range(8)))
        assert [answer.status_code for answer in answers] == [200] * 8
        assert len(built) == 1 and built[0].requests == 8
        assert deferred.built is built[0] and deferred.connection_count == 3
    finally:
        await runner.cleanup()


async def test_a_reload_acts_only_on_a_built_door() -> None:
    door = CountingDoor()

    async def assemble() -> CountingDoor:
        return door

    deferred = DeferredDoor(assemble)

    async def reload(built: CountingDoor) -> None:
        built.reloads += 1

    reloader = deferred.when_built(reload)
    await reloader()
    assert door.reloads == 0 and deferred.built is None  # nothing to reload: the build reads everything anyway
    await deferred.door()
    await reloader()
    assert door.reloads == 1


async def test_after_stop_no_request_builds_the_door() -> None:
    assembled = 0

    async def assemble() -> CountingDoor:
        nonlocal assembled
        assembled += 1
        return CountingDoor()

    deferred = DeferredDoor(assemble)
    app = web.Application()
    deferred.route(app, "GET", "/a", "answer")
    runner, base = await serve(app)
    try:
        await deferred.stop()
        async with httpx.AsyncClient(base_url=base) as client:
            answer = await client.get("/a")
        assert answer.status_code == 503 and assembled == 0
    finally:
        await runner.cleanup()


async def test_stop_stops_a_built_door() -> None:
    door = CountingDoor()

    async def assemble() -> CountingDoor:
        return door

    deferred = DeferredDoor(assemble)
    await deferred.door()
    await deferred.stop()
    assert door.stopped


async def test_a_named_route_is_served_by_the_door_s_routes_table_and_a_get_answers_head() -> None:
    door = CountingDoor()
    door.routes = {"greeting": door.answer}  # type: ignore[attr-defined]

    async def assemble() -> CountingDoor:
        return door

    deferred = DeferredDoor(assemble)
    app = web.Application()
    deferred.route_named(app, "GET", "/hello", "greeting")
    runner, base = await serve(app)
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            got = await client.get("/hello")
            head = await client.head("/hello")
            posted = await client.post("/hello")
        assert got.status_code == 200 and got.json() == {"path": "/hello", "requests": 1}
        assert head.status_code == 200 and door.requests == 2
        assert posted.status_code == 405
    finally:
        await runner.cleanup()
