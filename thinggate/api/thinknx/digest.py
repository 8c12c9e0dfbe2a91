"""HTTP digest authentication, server side (RFC 7616): challenges, nonces and response checks.

Nonces are `time.random.HMAC(secret, time.random)`: unique per challenge, checkable without
state, expiring after `lifetime` seconds (answered with `stale=true` so clients retry at once).
Per nonce the highest nonce count seen is kept; a count that does not grow is a replay.
The `uri` a client signs must be the raw request target, query string included. The realm is
the installation's own (`SecurityManager.digest_realm`): the users' digest secrets are made for it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from thinggate.core.security import DIGEST_ALGORITHMS

_NAME = re.compile(r"[A-Za-z0-9_*-]+")
_SEPARATORS = re.compile(r"[\s,]*")
_BLANKS = re.compile(r"\s*")
_TOKEN = re.compile(r"[^\s,]*")
_PLAIN = re.compile(r'[^"\\]*')
_HASHES: dict[str, Callable[[bytes], Any]] = dict(DIGEST_ALGORITHMS)
MAX_TRACKED_NONCES = 100_000
"""Nonces whose counts are remembered at once; the oldest are forgotten (and then read as stale)."""


def parse_digest_header(value: str) -> dict[str, str]:
    """The parameters of an `Authorization: Digest ...` header (names lower-case).

    One pass over the text, every pattern anchored where the last one ended. (A regex finditer
    used before retried a parameter name from every position of a run of name characters:
    quadratic, so one `Authorization: Digest aaaa...` header of 1 MiB, sent without any login,
    held the event loop, and with it every door, for over an hour.)
    A parameter that is not `name=token` or `name="quoted"` is skipped up to the next comma.
    """
    params: dict[str, str] = {}
    position, end = 0, len(value)
    while True:
        position = _run(_SEPARATORS, value, position)[1]
        if position >= end:
            return params
        name = _NAME.match(value, position)
        if name is None:
            position = _after_comma(value, position)
            continue
        position = _run(_BLANKS, value, name.end())[1]
        if position >= end or value[position] != "=":
            position = _after_comma(value, position)
            continue
        position = _run(_BLANKS, value, position + 1)[1]
        if position < end and value[position] == '"':
            text, position = _quoted(value, position + 1)
            if text is None:  # an unterminated quote: nothing after it is a parameter
                return params
        else:
            text, position = _run(_TOKEN, value, position)
        position = _run(_BLANKS, value, position)[1]
        if position < end and value[position] != ",":  # junk after the value: not a parameter
            position = _after_comma(value, position)
            continue
        params[name.group().lower()] = text


def _run(pattern: re.Pattern[str], value: str, position: int) -> tuple[str, int]:
    """What a pattern that always matches (a starred class) takes at `position`, and where it ends."""
    match = pattern.match(value, position)
    assert match is not None
    return match.group(), match.end()


def _after_comma(value: str, position: int) -> int:
    comma = value.find(",", position)
    return len(value) if comma < 0 else comma + 1


def _quoted(value: str, position: int) -> tuple[str | None, int]:
    """A quoted string's text, from just after its opening quote (a backslash keeps the next character)."""
    pieces: list[str] = []
    end = len(value)
    while True:
        plain, position = _run(_PLAIN, value, position)
        pieces.append(plain)
        if position >= end:
            return None, end
        if value[position] == '"':
            return "".join(pieces), position + 1
        if position + 1 >= end:  # a backslash at the very end
            return None, end
        pieces.append(value[position + 1])
        position += 2


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    """What checking a digest response found: the user, or why not (stale = retry with a new nonce)."""

    username: str = ""
    stale: bool = False
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the response proved the password."""
        return bool(self.username)


class DigestAuthority:
    """Issues digest challenges and checks responses against the users' digest secrets."""

    def __init__(
        self,
        *,
        secret_of: Callable[[str, str], str | None],
        realm: str,
        lifetime: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret_of = secret_of  # (username, algorithm) -> H(username:realm:password)
        self.realm = realm
        self._key = secrets.token_bytes(32)
        self._opaque = secrets.token_hex(16)
        self.lifetime = lifetime
        self._clock = clock
        self._counts: dict[str, int] = {}
        # Nonces issued up to this time whose counts were forgotten early read as stale.
        self._forgotten_up_to = -1

    def _sign(self, stem: str) -> str:
        return hmac.new(self._key, stem.encode(), hashlib.sha256).hexdigest()[:32]

    def new_nonce(self) -> str:
        """A fresh nonce."""
        stem = f"{int(self._clock()):x}.{secrets.token_hex(8)}"
        return f"{stem}.{self._sign(stem)}"

    def challenges(self, *, stale: bool = False) -> list[str]:
        """WWW-Authenticate values: SHA-256 first (preferred), then MD5 for older clients."""
        nonce = self.new_nonce()
        extra = ", stale=true" if stale else ""
        return [
            f'Digest realm="{self.realm}", qop="auth", algorithm={algorithm}, nonce="{nonce}", '
            f'opaque="{self._opaque}", charset=UTF-8{extra}'
            for algorithm in ("SHA-256", "MD5")
        ]

    def check(self, header_value: str, *, method: str, target: str) -> DigestOutcome:
        """Check `Authorization: Digest ...` for a request with this method and raw target."""
        params = parse_digest_header(header_value)
        username, nonce = params.get("username", ""), params.get("nonce", "")
        algorithm = params.get("algorithm", "MD5")
        base, sess = (algorithm[:-5], True) if algorithm.upper().endswith("-SESS") else (algorithm, False)
        base = base.upper()
        hash_function = _HASHES.get(base)
        if not username or not nonce or "response" not in params:
            return DigestOutcome(reason="username, nonce and response are required")
        if hash_function is None:
            return DigestOutcome(reason=f"algorithm {algorithm!r} is not offered")
        if params.get("realm") != self.realm:
            return DigestOutcome(reason=f"realm {params.get('realm')!r} is not {self.realm!r}")
        if params.get("uri") != target:
            return DigestOutcome(reason=f"uri {params.get('uri')!r} is not the request target {target!r}")
        if "opaque" in params and params["opaque"] != self._opaque:
            return DigestOutcome(stale=True, reason="opaque of another server run")
        stem, _, signature = nonce.rpartition(".")
        # Bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not a "no").
        if not stem or not hmac.compare_digest(signature.encode(), self._sign(stem).encode()):
            # A nonce of an earlier run of the hub (or a forged one): ask for a fresh challenge.
            return DigestOutcome(stale=True, reason="unknown nonce")
        try:
            issued = int(stem.split(".", 1)[0], 16)
        except ValueError:
            return DigestOutcome(stale=True, reason="malformed nonce")
        if self._clock() - issued > self.lifetime or (issued <= self._forgotten_up_to and nonce not in self._counts):
            return DigestOutcome(stale=True, reason="expired nonce")
        qop = params.get("qop", "")
        if qop != "auth":
            return DigestOutcome(reason=f"qop {qop!r}: only qop=auth is offered")
        try:
            count = int(params.get("nc", ""), 16)
        except ValueError:
            return DigestOutcome(reason=f"nonce count {params.get('nc')!r} is not hexadecimal")
        cnonce = params.get("cnonce", "")
        ha1 = self._secret_of(username, base)
        if ha1 is None:
            # Unknown, or without digest secrets (not opted in): refused alike.
            return DigestOutcome(reason=f"no digest secret for user {username!r}")

        def digest(text: str) -> str:
            return str(hash_function(text.encode()).hexdigest())

        if sess:
            ha1 = digest(f"{ha1}:{nonce}:{cnonce}")
        ha2 = digest(f"{method}:{params['uri']}")
        expected = digest(f"{ha1}:{nonce}:{params.get('nc', '')}:{cnonce}:{qop}:{ha2}")
        if not hmac.compare_digest(expected.encode(), params["response"].lower().encode()):
            return DigestOutcome(reason="wrong response (password)")
        # Counted only once the response is proven, so nobody can burn another client's nonce.
        if count <= self._counts.get(nonce, 0):
            return DigestOutcome(reason=f"nonce count {count} was used already (replay)")
        self._remember(nonce, count)
        return DigestOutcome(username=username)

    def _remember(self, nonce: str, count: int) -> None:
        if nonce not in self._counts and len(self._counts) >= MAX_TRACKED_NONCES:
            self._prune()
        self._counts[nonce] = count

    def _prune(self) -> None:
        now = self._clock()
        for nonce in list(self._counts):
            try:
                issued = int(nonce.split(".", 1)[0], 16)
            except ValueError:
                issued = 0
            if now - issued > self.lifetime:
                del self._counts[nonce]
        while len(self._counts) >= MAX_TRACKED_NONCES:
            oldest = next(iter(self._counts))  # dicts keep insertion order: oldest first
            del self._counts[oldest]
            self._forgotten_up_to = max(self._forgotten_up_to, int(oldest.split(".", 1)[0], 16))
