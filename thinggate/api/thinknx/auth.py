"""Who is asking the Integration Kit: basic or digest credentials, `user=`/`pass=`, or the cloud key.

`&auth=basic` or `&auth=digest` chooses the scheme a client is challenged with; without it both
are offered. Missing credentials get 401 with the challenge (the seed's error list has no 401,
but basic and digest clients only send credentials after one); wrong ones get 403. Failures
count per peer address: past the limit the peer gets 429 with Retry-After until the lockout ends.
Digest logins are for users who opted in (`thinggate user digest NAME --enable`); for any other
user a digest response is refused as one for an unknown user is.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass

from thinggate.api.thinknx.digest import DigestAuthority
from thinggate.api.thinknx.errors import ThinknxError, forbidden, params_errors
from thinggate.api.thinknx.key import IntegrationKey
from thinggate.core.errors import UserFailure
from thinggate.core.security import LoginLimiter, LoginThrottled, Principal, Scope, SecurityManager

KEY_PRINCIPAL = Principal(name="integration key", scopes=Scope.ADMIN)
"""Who a request with the enabled Integration Kit key is: the key "connects without additional authentication".

The name has a blank, which no user name may have: nobody can be taken for the key."""


@dataclass(slots=True)  # not frozen: a frozen init costs more, and one is made per request
class Credentials:
    """What a request brings to prove who it is."""

    method: str
    target: str  # the raw request target, query string included (digest signs it)
    authorization: str
    params: dict[str, str | None]
    peer: str
    key: str | None = None  # the cloud form's path key


class Authenticator:
    """Turns a request's credentials into a Principal or an error answer."""

    def __init__(
        self,
        *,
        security: SecurityManager,
        key: IntegrationKey,
        limiter: LoginLimiter,
        digest: DigestAuthority,
        logins_waiting: int = 8,
    ) -> None:
        self.security = security
        self.key = key
        self.limiter = limiter
        self.digest = digest
        self.logins_waiting = logins_waiting

    async def principal(self, credentials: Credentials) -> Principal:
        """The Principal of a request (raises a ThinknxError: 400, 401, 403 or 429)."""
        wait = self.limiter.check(credentials.peer)
        if wait > 0:
            raise _too_many(wait, "too many failed logins from this address")
        if credentials.key is not None:
            if await self.key.accepts(credentials.key):
                return KEY_PRINCIPAL
            raise self._failed(credentials, "unknown or disabled integration key")
        scheme = credentials.params.get("auth")
        if scheme is not None:
            scheme = scheme.lower()
            if scheme not in ("basic", "digest"):
                raise params_errors(f"auth={scheme!r}: use auth=basic or auth=digest")
        params = credentials.params
        if "user" in params:
            return await self._password(credentials, params.get("user") or "", params.get("pass") or "")
        header = credentials.authorization
        kind, _, value = header.partition(" ")
        kind = kind.lower()
        if kind == "basic" and scheme != "digest":
            username, password = _basic(value)
            return await self._password(credentials, username, password)
        if kind == "digest" and scheme != "basic":
            await self.security.refresh()  # a user removed from the command line loses its secret
            outcome = self.digest.check(value, method=credentials.method, target=credentials.target)
            if outcome.ok:
                try:
                    return self.security.principal_for_user(outcome.username)
                except UserFailure:  # removed since its secret was read
                    raise self._failed(credentials, f"no user {outcome.username!r}") from None
            if outcome.stale:
                raise self.challenge(scheme, stale=True, reason=outcome.reason)
            if outcome.reason.startswith("uri "):
                raise params_errors(outcome.reason)  # RFC 7616 §3.4.6: a mismatched uri is a bad request
            raise self._failed(credentials, outcome.reason)
        raise self.challenge(scheme, reason="credentials are missing")

    def challenge(self, scheme: str | None, *, stale: bool = False, reason: str = "") -> ThinknxError:
        """401 with the WWW-Authenticate challenges of the scheme (both when none was asked for)."""
        challenges: list[str] = []
        if scheme in (None, "digest"):
            challenges.extend(self.digest.challenges(stale=stale))
        if scheme in (None, "basic"):
            challenges.append(f'Basic realm="{self.digest.realm}", charset="UTF-8"')
        return ThinknxError(401, "authentication required", reason, challenges=tuple(challenges))

    def _failed(self, credentials: Credentials, reason: str) -> ThinknxError:
        wait = self.limiter.failed(credentials.peer)
        if wait > 0:
            return _too_many(wait, f"{reason}; too many failed logins from this address")
        return forbidden(reason)

    async def _password(self, credentials: Credentials, username: str, password: str) -> Principal:
        # Basic credentials come with every request: a pair checked a moment ago needs no argon2.
        remembered = self.security.remembered_password(username, password)
        if remembered is not None:
            await self.security.refresh()  # a user removed from the command line stops working
            remembered = self.security.remembered_password(username, password)
            if remembered is not None:
                return remembered
        try:
            # One check at a time per address, counted before it runs: a hundred concurrent guesses
            # no longer all pass the lockout check, and argon2's memory stays bounded.
            async with self.limiter.attempt(credentials.peer, max_waiting=self.logins_waiting) as attempt:
                principal = await self.security.verify_password(username, password)
                if principal is not None:
                    # Takes back this attempt's count only: a good login does not wipe the address's
                    # failures, else anyone with one account could guess another's password forever.
                    attempt.succeeded()
                    return principal
                wait = attempt.failed()
        except LoginThrottled as throttled:
            raise _too_many(throttled.wait, f"{throttled.reason} from this address") from None
        if wait > 0:
            raise _too_many(wait, "wrong user name or password; too many failed logins from this address")
        raise forbidden("wrong user name or password")


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise params_errors("the Basic credentials are not base64 of user:password") from None
    username, _, password = decoded.partition(":")
    return username, password


def _too_many(wait: float, reason: str) -> ThinknxError:
    return ThinknxError(429, "rate limit exceeded", reason, headers={"Retry-After": str(max(1, math.ceil(wait)))})
