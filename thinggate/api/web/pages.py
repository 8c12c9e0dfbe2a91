"""The page's files: each section's path (sections.py; `/` is the house), the login page in its
place for a browser that is not logged in, and `/web/static/<file>`.

The files of `static/` are listed once when the door starts, into a table by their path: only
regular files inside that folder, with a known type, are in it, so no request can list a folder
or reach a file outside it, whatever `..`, `%2e`, symbolic links or NUL it tries. A file's bytes
are read by its first request and kept (an idle hub holds none of them). Every file is answered
with an ETag (a page that has it already gets 304) and `Cache-Control: no-cache`, so an updated
hub is picked up at the next load.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from thinggate.api.web.door import Handler, WebDoor
from thinggate.api.web.errors import WebProblem
from thinggate.api.web.paths import section_route
from thinggate.api.web.sections import SECTIONS, Section

_LOG = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
LOGIN_PAGE = "login.html"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
"""The types served; a file of any other kind in the folder is not served at all."""


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One file as it is served: where it is, its type and entity tag (its size and time, as web servers make one)."""

    path: Path
    content_type: str
    etag: str

    def read(self) -> bytes:
        """Its bytes (a file made a symbolic link since the door started is not followed)."""
        descriptor = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "rb") as file:
            return file.read()


def load_static(folder: Path = STATIC_DIR) -> dict[str, StaticFile]:
    """Every servable file below `folder`, by its path relative to it (`/`-separated)."""
    root = folder.resolve()
    files: dict[str, StaticFile] = {}
    for directory, subdirectories, names in os.walk(root, followlinks=False):
        # Hidden folders (.git, editors' state) are not the page's.
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
        for name in names:
            path = Path(directory) / name
            content_type = CONTENT_TYPES.get(path.suffix.lower())
            if name.startswith(".") or content_type is None or path.is_symlink() or not path.is_file():
                continue
            if not path.resolve().is_relative_to(root):
                continue
            name = path.relative_to(root).as_posix()
            stat = path.stat()
            etag = '"' + hashlib.sha256(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:32] + '"'
            files[name] = StaticFile(path, content_type, etag)
    return files


class Pages:
    """Serves the page's files from the table read at start."""

    def __init__(self, door: WebDoor, files: dict[str, StaticFile], sections: tuple[Section, ...] = SECTIONS) -> None:
        self.door = door
        self.files = files
        self.sections = sections
        self._bodies: dict[str, bytes] = {}  # read by a file's first request
        for page in (LOGIN_PAGE, *(section.page for section in sections)):
            if page not in files:
                raise RuntimeError(f"the dashboard's {page} is missing from {STATIC_DIR}")

    def handlers(self) -> dict[str, Handler]:
        """Each section's page, `GET /login` (back to `/`) and the static files, by their names in paths.py."""
        answered = self.door.answered
        return {
            **{section_route(section): answered(self._front(section)) for section in self.sections},
            "login page": answered(self.login_page),
            "static": answered(self.static),
        }

    def _front(self, section: Section) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def front(request: web.Request) -> web.Response:
            """The section's page for a logged-in browser, the login page for anyone else."""
            page = section.page if self.door.session_of(request) is not None else LOGIN_PAGE
            response = await self._file(request, page)
            # The same URL answers two pages: a cache must not give one for the other.
            response.headers["Vary"] = "Cookie"
            return response

        return front

    async def login_page(self, request: web.Request) -> web.Response:
        """`GET /login` (a bookmark, a reload after a failed form post): the front page decides."""
        raise web.HTTPSeeOther("/")

    async def static(self, request: web.Request) -> web.Response:
        """One file of the table, or 404."""
        name = request.match_info["tail"]
        if name not in self.files:
            raise WebProblem.of("NotFound", "no such file")
        return await self._file(request, name)

    async def _file(self, request: web.Request, name: str) -> web.Response:
        found = self.files[name]
        headers = {"ETag": found.etag, "Cache-Control": "no-cache"}
        if found.etag in (tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")):
            return web.Response(status=304, headers=headers)
        body = self._bodies.get(name)
        if body is None:
            try:
                body = self._bodies[name] = await asyncio.to_thread(found.read)
            except OSError:  # gone or replaced since the door started: not served
                raise WebProblem.of("NotFound", "no such file") from None
        response = web.Response(body=body, headers=headers)
        response.headers["Content-Type"] = found.content_type
        return response
