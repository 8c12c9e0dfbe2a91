"""Auth (§1.3): login, refresh and logout, for thinggate's users, with the shared per-address lockout."""

from __future__ import annotations

from thinggate.api.registry.door import Call, RegistryDoor, Route, required_text
from thinggate.api.registry.errors import RegistryProblem
from thinggate.api.registry.structs import (
    Credentials,
    Empty,
    LoginAnswer,
    LoginBody,
    LogoutBody,
    Permissions,
    RefreshBody,
)
from thinggate.api.registry.tokens import IssuedLogin
from thinggate.api.registry.users import permissions_of, user_out
from thinggate.core.security import LoginThrottled


def routes(door: RegistryDoor) -> list[Route]:
    """The auth routes (login and refresh need the API key only)."""

    def login_answer(issued: IssuedLogin) -> LoginAnswer:
        principal = door.security.principal_for_user(issued.username)
        return LoginAnswer(
            user=user_out(door.directory, door.security.user(issued.username)),
            credentials=Credentials(
                token=issued.token, refreshToken=issued.refresh_token, identityId=f"thinggate:{issued.id}"
            ),
            permissions=Permissions(objects=permissions_of(door.directory, principal)),
        )

    async def login(call: Call) -> LoginAnswer:
        body: LoginBody = call.body
        username = required_text(body.userName, "userName")
        password = required_text(body.password, "password")
        peer = door.peer(call.request)
        try:
            # Counted as a failure before argon2 runs; a right password takes its own count back.
            async with door.limiter.attempt(peer, max_waiting=door.guard.limits.logins_waiting_per_address) as attempt:
                principal = await door.security.verify_password(username, password)
                if principal is None:
                    raise RegistryProblem("INVALID_LOGIN", "wrong user name or password")
                attempt.succeeded()
        except LoginThrottled as throttled:
            raise door.throttled(throttled.wait, throttled.reason) from None
        issued = await door.tokens.login(principal.name)
        door.guard.authenticated(call.request.transport)
        return login_answer(issued)

    async def refresh(call: Call) -> LoginAnswer:
        body: RefreshBody = call.body
        refresh_token = required_text(body.refreshToken, "refreshToken")
        peer = door.peer(call.request)
        wait = door.limiter.check(peer)
        if wait > 0:
            raise door.throttled(wait, "too many failed logins")
        issued = await door.tokens.refresh(refresh_token)
        if issued is None:
            door.limiter.failed(peer)
            raise RegistryProblem(
                "INVALID_LOGIN", "the refresh token is unknown, expired or revoked", property="refreshToken"
            )
        door.guard.authenticated(call.request.transport)
        return login_answer(issued)

    async def logout(call: Call) -> Empty:
        assert call.login_id is not None
        await door.tokens.logout(call.login_id)
        return Empty()

    return [
        Route(
            "POST",
            "/auth/login",
            login,
            LoginBody,
            authenticated=False,
            summary="Log in: the user, a token and a refresh token, and what the user may do",
            rights="thinggate's users (argon2), with the per-address lockout every door shares",
            errors=("PROPERTY_REQUIRED", "INVALID_LOGIN", "TOO_MANY_REQUESTS"),
        ),
        Route(
            "POST",
            "/auth/refresh",
            refresh,
            RefreshBody,
            authenticated=False,
            summary="A new token for a login's refresh token (the refresh token is kept)",
            errors=("PROPERTY_REQUIRED", "INVALID_LOGIN", "TOO_MANY_REQUESTS"),
        ),
        Route(
            "POST",
            "/auth/logout",
            logout,
            LogoutBody,
            summary="End the login whose token authorises the call: its token and refresh token stop working",
        ),
    ]
