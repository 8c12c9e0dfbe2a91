"""OAuth2 client credentials (RFC 6749 §4.4): `POST /connect/token`, and the bearer check of every other route.

An access token is stateless and signed: HMAC-SHA256 over the client id, the granted scopes and
the expiry, with a key of the hub's kept in the store's hub settings (made on first use). So the
token endpoint writes nothing, and tokens outlive a restart. Every request still checks that the
client exists and its user too (a revoked client's, or a removed user's, tokens stop at once) and
acts as that user: the hub's principal for it decides what is visible and allowed.

Client authentication is by form fields (`client_id`, `client_secret`) or HTTP basic, not both.
Failures answer RFC 6749 §5.2's bodies, `{"error": ..., "error_description": ...}`: 400
invalid_request / unsupported_grant_type / invalid_scope, 401 invalid_client (with
`WWW-Authenticate: Basic` when basic was used). A wrong client secret counts as a failed login
of the caller's address in the shared lockout (429 with `retry-after` while it lasts).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from thinggate.api.sensordata.clients import OTHER_PLATFORM_SCOPES, OAuthClients, grants
from thinggate.core.credentials import OAUTH_SCOPES, SCOPE_ALL
from thinggate.core.errors import UserFailure
from thinggate.core.security import LoginLimiter, Principal, SecurityManager
from thinggate.core.store import OAuthClientRecord, SecurityStore

KEY_SETTING = "sensordata_token_key"
"""The hub setting that holds the token signing key (hex)."""

_PREFIX = "tg1"
_MAX_FORM_BYTES = 8192
_MAX_TOKEN_CHARS = 4096
_encode = msgspec.json.Encoder().encode


class _Claims(msgspec.Struct, array_like=True):
    client_id: str
    scopes: list[str]
    expires: int  # epoch seconds


_decode_claims = msgspec.json.Decoder(_Claims).decode


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Makes and checks the door's access tokens: `tg1.<claims>.<HMAC-SHA256 of the claims>`."""

    def __init__(self, key: bytes, *, lifetime: int) -> None:
        self._key = key
        self.lifetime = lifetime

    @classmethod
    async def load(cls, store: SecurityStore, *, lifetime: int) -> TokenSigner:
        """The signer with the hub's key, made and stored durably the first time."""
        stored = (await store.load_hub_settings()).get(KEY_SETTING)
        if not isinstance(stored, str) or len(stored) != 64:
            stored = secrets.token_hex(32)
            await store.save_hub_setting(KEY_SETTING, stored)
        return cls(bytes.fromhex(stored), lifetime=lifetime)

    def _signature(self, claims: str) -> str:
        return _b64(hmac.new(self._key, f"{_PREFIX}.{claims}".encode("ascii"), hashlib.sha256).digest())

    def issue(self, client_id: str, scopes: list[str], now: float | None = None) -> str:
        """A token for a client with these scopes, valid `lifetime` seconds from now."""
        expires = int(now if now is not None else time.time()) + self.lifetime
        claims = _b64(_encode(_Claims(client_id, scopes, expires)))
        return f"{_PREFIX}.{claims}.{self._signature(claims)}"

    def verify(self, token: str, now: float | None = None) -> tuple[str, frozenset[str]] | None:
        """The client id and scopes of a token this hub signed and that has not expired, else None."""
        if len(token) > _MAX_TOKEN_CHARS:
            return None
        prefix, _, rest = token.partition(".")
        claims, _, signature = rest.partition(".")
        if prefix != _PREFIX or not claims or not hmac.compare_digest(signature, self._signature(claims)):
            return None
        try:
            decoded = _decode_claims(_unb64(claims))
        except (ValueError, binascii.Error, msgspec.DecodeError):
            return None
        if decoded.expires <= (now if now is not None else time.time()):
            return None
        return decoded.client_id, frozenset(decoded.scopes)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request comes from: its client, the principal of the client's user, and the token's scopes."""

    client: OAuthClientRecord
    principal: Principal
    scopes: frozenset[str]


class OAuthProblem(Exception):
    """A token request refused with one of RFC 6749's error codes."""

    def __init__(self, error: str, description: str, *, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=_encode(body), content_type="application/json", headers={**_NO_STORE, **(headers or {})}
    )


class TokenEndpoint:
    """`POST /connect/token` with `grant_type=client_credentials`."""

    def __init__(
        self,
        *,
        clients: OAuthClients,
        signer: TokenSigner,
        security: SecurityManager,
        limiter: LoginLimiter,
        realm: str = "thinggate",
    ) -> None:
        self.clients = clients
        self.signer = signer
        self.security = security
        self.limiter = limiter
        self.realm = realm

    async def handle(self, request: web.Request) -> web.Response:
        """Issue a token, or answer RFC 6749's error."""
        if request.method != "POST":
            return _oauth_response(
                405, {"error": "invalid_request", "error_description": "use POST"}, {"Allow": "POST"}
            )
        peer = request.remote or "unknown"
        wait = self.limiter.check(peer)
        if wait > 0:
            return self._throttled(wait)
        try:
            token, expires_in = await self._issue(request, peer)
        except OAuthProblem as problem:
            body = {"error": problem.error, "error_description": problem.description}
            return _oauth_response(problem.status, body, problem.headers)
        return _oauth_response(200, {"access_token": token, "token_type": "Bearer", "expires_in": expires_in})

    def _throttled(self, wait: float) -> web.Response:
        seconds = max(1, math.ceil(wait))
        body = {"error": "too_many_requests", "error_description": f"too many failed attempts; try in {seconds} s"}
        return _oauth_response(429, body, {"retry-after": str(seconds)})

    async def _issue(self, request: web.Request, peer: str) -> tuple[str, int]:
        form = await _read_form(request)
        basic = _basic_credentials(request.headers.get("Authorization", ""))
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthProblem("invalid_request", "grant_type is required")
        if basic is not None and ("client_id" in form or "client_secret" in form):
            raise OAuthProblem("invalid_request", "authenticate the client one way: HTTP basic or form fields")
        client_id, secret = basic if basic is not None else (form.get("client_id", ""), form.get("client_secret", ""))
        if not client_id:
            raise OAuthProblem("invalid_request", "client_id is required (form field or HTTP basic)")
        if grant_type != "client_credentials":
            raise OAuthProblem("unsupported_grant_type", "only grant_type=client_credentials is served")
        client = await self.clients.authenticate(client_id, secret)
        if client is None or self._principal(client) is None:
            self.limiter.failed(peer)
            headers = {"WWW-Authenticate": f'Basic realm="{self.realm}"'} if basic is not None else None
            raise OAuthProblem("invalid_client", "unknown client or wrong secret", status=401, headers=headers)
        scopes = _granted_scopes(form.get("scope"), client)
        return self.signer.issue(client.client_id, scopes), self.signer.lifetime

    def _principal(self, client: OAuthClientRecord) -> Principal | None:
        try:
            return self.security.principal_for_user(client.username)
        except UserFailure:
            return None

    def caller(self, token: str) -> Caller | None:
        """Who a bearer token stands for: None when it is not the hub's, expired, or its client or user is gone."""
        verified = self.signer.verify(token)
        if verified is None:
            return None
        client_id, scopes = verified
        client = self.clients.get(client_id)
        if client is None:
            return None
        principal = self._principal(client)
        if principal is None:
            return None
        # What the client may do now bounds what its token said (its scopes are never widened).
        allowed = frozenset(scope for scope in scopes if scope in client.scopes or SCOPE_ALL in client.scopes)
        return Caller(client, principal, allowed)


async def _read_form(request: web.Request) -> dict[str, str]:
    """The form body's fields (each at most once), read up to a small limit."""
    if request.content_type == "application/json":
        raise OAuthProblem("invalid_request", "send the parameters as application/x-www-form-urlencoded")
    raw = bytearray()
    while chunk := await request.content.read(_MAX_FORM_BYTES + 1 - len(raw)):
        raw += chunk
        if len(raw) > _MAX_FORM_BYTES:
            raise OAuthProblem("invalid_request", f"the body is larger than {_MAX_FORM_BYTES} bytes", status=413)
    try:
        text = raw.decode("utf-8")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=32, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise OAuthProblem("invalid_request", "the body is not a form (application/x-www-form-urlencoded)") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OAuthProblem("invalid_request", f"{name} is given more than once")
        form[name] = value
    return form


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """The client id and secret of an HTTP basic Authorization header (form-encoded as RFC 6749 §2.3.1 says)."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthProblem("invalid_request", "the Basic credentials are not base64 of id:secret") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthProblem("invalid_request", "the Basic credentials are not id:secret")
    return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)


def _granted_scopes(requested: str | None, client: OAuthClientRecord) -> list[str]:
    """The scopes a token gets: those asked for (all of the client's when none are), never more than the client's."""
    if requested is None or not requested.strip():
        return list(client.scopes)
    granted: list[str] = []
    for scope in requested.split():
        if scope in OTHER_PLATFORM_SCOPES:
            continue  # the platform's other APIs: nothing of them is served here
        if scope not in OAUTH_SCOPES:
            raise OAuthProblem("invalid_scope", f"unknown scope {scope!r}")
        if not (scope in client.scopes or (scope != SCOPE_ALL and grants(client.scopes, scope))):
            raise OAuthProblem("invalid_scope", f"the client may not ask for {scope!r}")
        if scope not in granted:
            granted.append(scope)
    if not granted:
        raise OAuthProblem("invalid_scope", f"ask for one of {', '.join(OAUTH_SCOPES)}")
    return granted
