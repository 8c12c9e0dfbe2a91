"""The dashboard door: the house page, its login and its live channel on the shared HTTP application.

Routes (each module adds its own): `/` and `/web/static/...` (pages.py), `POST /login` and
`POST /logout` (login.py), the JSON API under `/web/api/` (api.py) and the WebSocket `/live`
(live.py). Every answer of the door goes through `answered`: a refusal is the JSON of errors.py,
a core failure is mapped there, a bug is logged and answered 500 (never a traceback), and each
carries the headers that keep the page from being framed, sniffed or given away in a referrer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web

from thinggate.api.guard import ConnectionGuard
from thinggate.api.web import csrf
from thinggate.api.web.errors import WebProblem, for_failure
from thinggate.api.web.session import COOKIE, Session, Sessions
from thinggate.api.web.settings import WebConfig
from thinggate.core.errors import HubFailure
from thinggate.core.hub import Hub
from thinggate.core.modes import HouseModes
from thinggate.core.security import LoginLimiter, SecurityManager

_LOG = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Only the hub's own files: no inline script or style, no other origin, nothing framing the page.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}


class OpenPages(Protocol):
    """The pages connected to the live channel (live.py's LiveChannels), as the door counts them."""

    @property
    def count(self) -> int:
        """Open pages."""
        ...

    async def close_all(self) -> None:
        """Close every page's channel (the hub stops)."""
        ...


class WebDoor:
    """The dashboard's parts: sessions, the origin check, and what its handlers share."""

    def __init__(
        self,
        *,
        settings: WebConfig,
        hub: Hub,
        security: SecurityManager,
        modes: HouseModes,
        limiter: LoginLimiter,
        guard: ConnectionGuard,
        sessions: Sessions,
    ) -> None:
        self.settings = settings
        self.hub = hub
        self.security = security
        self.modes = modes
        self.limiter = limiter
        self.guard = guard
        self.sessions = sessions
        self.origins = csrf.OriginCheck(settings.origins)
        self.live: OpenPages | None = None
        self.stoppers: list[Callable[[], Awaitable[None]]] = []
        self.routes: dict[str, Handler] = {}
        """Each route's handler by its name in paths.py (filled by assembly.py)."""

    @property
    def connection_count(self) -> int:
        """Pages connected to the live channel (plain requests are the shared HTTP site's connections)."""
        return self.live.count if self.live is not None else 0

    async def stop(self) -> None:
        """Close the live channels (the pages hear the hub goes away, not a logout); the sessions stay kept for the
        hub's next start."""
        for stop in reversed(self.stoppers):
            await stop()
        await self.sessions.stop()

    # -- who asks ------------------------------------------------------------------------------

    def session_of(self, request: web.BaseRequest) -> Session | None:
        """The request's session (its cookie's), or None; a connection with one is a logged-in one."""
        session = self.sessions.find(request.cookies.get(COOKIE))
        if session is not None:
            self.guard.authenticated(request.transport)
        return session

    def logged_in(self, request: web.BaseRequest) -> Session:
        """The request's session, or 401 NotLoggedIn."""
        session = self.session_of(request)
        if session is None:
            raise WebProblem.of("NotLoggedIn", "log in first (POST /login)")
        return session

    def check_origin(self, request: web.BaseRequest) -> None:
        """403 CrossSiteRefused when the browser says another site sent the request."""
        if not self.origins.same_origin(request):
            raise WebProblem.of("CrossSiteRefused", "the request comes from another site")

    def check_write(self, request: web.BaseRequest, session: Session) -> None:
        """A state-changing request: the browser's origin and the session's CSRF token (403 otherwise)."""
        self.check_origin(request)
        if not csrf.token_matches(session.csrf_token, request.headers.get(csrf.HEADER)):
            raise WebProblem.of("CrossSiteRefused", f"the session's token is missing from the {csrf.HEADER} header")

    def peer(self, request: web.BaseRequest) -> str:
        """The client's address, as the login limiter counts it."""
        return request.remote or "unknown"

    # -- answers -------------------------------------------------------------------------------

    def answered(self, handler: Handler) -> Handler:
        """The handler with the door's refusals, failures, bugs and headers handled."""

        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                response = await handler(request)
            except WebProblem as problem:
                response = problem.response()
            except HubFailure as failure:
                response = for_failure(failure).response()
            except web.HTTPException:
                raise  # aiohttp's own answers (a WebSocket handshake refused by it, say)
            except Exception:
                _LOG.exception("web: %s %s failed", request.method, request.path)
                response = WebProblem.of("InternalError", "internal error").response()
            if not response.prepared:  # a WebSocket is under way: its headers went out with the upgrade
                for name, value in SECURITY_HEADERS.items():
                    response.headers.setdefault(name, value)
            return response

        return handle
