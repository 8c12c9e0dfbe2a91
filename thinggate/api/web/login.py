"""`POST /login` and `POST /logout`: thinggate's users, the hub's shared login lockout, the session cookie.

The login is a form (`username`, `password`). The password is checked by the core (argon2, one
check at a time per address, counted as a failure before it runs: a right password takes back
its own count only), and an address locked out at a door sharing the hub's lockout (JSON-RPC,
registry, sensor data) is locked out here too (429 with Retry-After). A good login ends the
session the browser came with, if any, and starts a new one: its cookie is HttpOnly (no script
reads it), SameSite=Strict (no other site's page sends it), Path=/ and, over TLS, Secure. A
page that asks for JSON (`Accept: application/json`) is answered JSON (the user and the
session's CSRF token; a refusal's code); a plain form post is sent back to `/` (303), with
`?login=failed` or `?login=locked` when it was refused.
`POST /logout` is a write: it needs the session's CSRF token, and it ends the session and its pages
(the store forgets it before the answer: a restarted hub does not log the browser in again).
"""

from __future__ import annotations

import logging

from aiohttp import web

from thinggate.api.web.body import decode_form, read_body
from thinggate.api.web.door import Handler, WebDoor
from thinggate.api.web.errors import WebProblem, too_many
from thinggate.api.web.sections import SECTIONS
from thinggate.api.web.session import COOKIE, Session
from thinggate.core.errors import UserFailure
from thinggate.core.modes import may_switch
from thinggate.core.security import LoginThrottled, Scope

_LOG = logging.getLogger(__name__)

MAX_FIELD = 1024
"""Longest user name or password taken (argon2 would hash a megabyte as readily)."""


def session_answer(door: WebDoor, session: Session) -> dict[str, object]:
    """What the page knows of its session: who, its CSRF token and what the core lets it do."""
    principal = session.principal
    try:
        display_name = door.security.user(session.username).display_name
    except UserFailure:  # removed this very moment: its session ends with the event that says so
        display_name = ""
    # Whether controls are offered is the core's word: the scope its action operation requires.
    action_scope: Scope = getattr(door.hub.execute_action, "required_scope", Scope.CONTROL_THINGS)
    return {
        "username": session.username,
        "displayName": display_name or session.username,
        "csrfToken": session.csrf_token,
        "mayControl": principal.has_scope(action_scope),
        "maySwitchMode": may_switch(principal),
        # The pages the navigation lists for this user (the administration only to those who may administer).
        "sections": [section.path for section in SECTIONS if section.shown(principal)],
    }


class Login:
    """The login and logout routes."""

    def __init__(self, door: WebDoor) -> None:
        self.door = door

    def handlers(self) -> dict[str, Handler]:
        """`POST /login`, `POST /logout`, by their names in paths.py."""
        return {"login": self.door.answered(self.login), "logout": self.door.answered(self.logout)}

    async def login(self, request: web.Request) -> web.StreamResponse:
        """Check the form's user and password; start a session and set its cookie."""
        wants_json = _wants_json(request)
        try:
            return await self._login(request, wants_json)
        except WebProblem as problem:
            if wants_json:
                raise
            outcome = "locked" if problem.status == 429 else "failed"
            raise web.HTTPSeeOther(f"/?login={outcome}", headers=problem.headers) from None

    async def _login(self, request: web.Request, wants_json: bool) -> web.StreamResponse:
        door = self.door
        door.check_origin(request)  # a login from another site's page would log the browser in as someone else
        form = decode_form(request, await read_body(request, door.settings.max_body_bytes))
        username, password = form.get("username", ""), form.get("password", "")
        if not username or not password:
            raise WebProblem.of("BadRequest", "the form needs username and password")
        if len(username) > MAX_FIELD or len(password) > MAX_FIELD:
            raise WebProblem.of("WrongLogin", "wrong user name or password")
        peer = door.peer(request)
        try:
            async with door.limiter.attempt(peer, max_waiting=door.guard.limits.logins_waiting_per_address) as attempt:
                principal = await door.security.verify_password(username, password)
                if principal is None:
                    wait = attempt.failed()
                    if wait > 0:
                        raise too_many(wait, "wrong user name or password; too many failed logins from this address")
                    raise WebProblem.of("WrongLogin", "wrong user name or password")
                attempt.succeeded()
        except LoginThrottled as throttled:
            raise too_many(throttled.wait, f"{throttled.reason} from this address") from None
        previous = door.sessions.find(request.cookies.get(COOKIE))
        if previous is not None:
            door.sessions.end(previous, "logged in again")
        cookie, session = await door.sessions.start(principal)
        door.guard.authenticated(request.transport)
        _LOG.info("web: %s logged in from %s", session.username, peer)
        if wants_json:
            response = web.json_response(session_answer(door, session), headers={"Cache-Control": "no-store"})
        else:
            response = web.Response(status=303, headers={"Location": "/"})
        response.set_cookie(COOKIE, cookie, path="/", httponly=True, samesite="Strict", secure=request.secure or None)
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """End the request's session (a write: its CSRF token is needed); the cookie is dropped."""
        door = self.door
        session = door.session_of(request)
        if session is not None:
            door.check_write(request, session)
            await door.sessions.log_out(session)
            _LOG.info("web: %s logged out", session.username)
        response = web.Response(status=204, headers={"Cache-Control": "no-store"})
        response.del_cookie(COOKIE, path="/", httponly=True, samesite="Strict", secure=request.secure or None)
        return response


def _wants_json(request: web.BaseRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")
