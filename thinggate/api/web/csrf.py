"""Cross-site request forgery: a write needs the session's token in a header and a same-origin browser.

A page of another site can make a browser send a form or a request to the hub, but it cannot read
the session's CSRF token (it is handed out only to the hub's own pages, as JSON that no other
origin may read) and it cannot set a header on a form post. The browser also says where a request
comes from: `Sec-Fetch-Site` (anything but `same-origin` is refused) and `Origin` (it must be the
hub's own origin, as the request reached it, or one of the `origins` the settings trust, such as
a reverse proxy's). A client that sends neither is not a browser, and no page can make it act:
the token is what it needs.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from aiohttp import web

HEADER = "X-CSRF-Token"
"""The header a write carries the session's token in."""

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods that change state (GET and HEAD never do here)."""


class OriginCheck:
    """Whether a request comes from a page of the hub (or of an origin the settings trust)."""

    def __init__(self, trusted: Iterable[str] = ()) -> None:
        self.trusted = frozenset(origin.rstrip("/").lower() for origin in trusted)

    def same_origin(self, request: web.BaseRequest) -> bool:
        """False when the browser says the request comes from another site or origin."""
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site.strip().lower() != "same-origin":
            return False
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        origin = origin.strip().lower()
        # `null`: a sandboxed frame, a data: URL or a redirect from elsewhere; never the hub's page.
        return origin == own_origin(request) or origin in self.trusted


def own_origin(request: web.BaseRequest) -> str:
    """The origin the client reached the hub at: scheme and Host, as a browser writes its Origin."""
    host = request.host.lower()
    scheme = request.scheme
    # A browser leaves the default port out of Origin; a Host header may carry it.
    default_port = ":443" if scheme == "https" else ":80"
    if host.endswith(default_port):
        host = host[: -len(default_port)]
    return f"{scheme}://{host}"


def token_matches(expected: str, given: str | None) -> bool:
    """Whether the header's token is the session's (compared in constant time)."""
    return given is not None and hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))
