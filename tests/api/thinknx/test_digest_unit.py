"""DigestAuthority alone: nonce counts kept per nonce, and what happens when too many are kept."""

from __future__ import annotations

import hashlib

import pytest

from thinggate.api.thinknx import digest
from thinggate.api.thinknx.digest import DigestAuthority
from thinggate.core.security import digest_ha1

REALM = "thinggate-0123abcd"
SECRETS = digest_ha1("alice", REALM, "Secret123")


def header(nonce: str, nc: int, uri: str = "/api/V1/powerstatus?guid=x") -> str:
    def h(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    ha2 = h(f"GET:{uri}")
    response = h(f"{SECRETS['SHA-256']}:{nonce}:{nc:08x}:c:auth:{ha2}")
    return (
        f'username="alice", realm="{REALM}", nonce="{nonce}", uri="{uri}", algorithm=SHA-256, '
        f'response="{response}", qop=auth, nc={nc:08x}, cnonce="c"'
    )


def authority(clock: list[float]) -> DigestAuthority:
    return DigestAuthority(
        secret_of=lambda user, algorithm: SECRETS.get(algorithm), realm=REALM, clock=lambda: clock[0]
    )


def check(authority: DigestAuthority, value: str) -> digest.DigestOutcome:
    return authority.check(value, method="GET", target="/api/V1/powerstatus?guid=x")


def test_counts_must_grow_per_nonce() -> None:
    clock = [1000.0]
    issuer = authority(clock)
    nonce = issuer.new_nonce()
    assert check(issuer, header(nonce, 1)).ok
    assert check(issuer, header(nonce, 3)).ok  # gaps are fine (another request may still be in flight)
    replay = check(issuer, header(nonce, 3))
    assert not replay.ok and not replay.stale and "replay" in replay.reason
    assert not check(issuer, header(nonce, 2)).ok


def test_an_expired_nonce_is_stale() -> None:
    clock = [1000.0]
    issuer = authority(clock)
    nonce = issuer.new_nonce()
    clock[0] += issuer.lifetime + 1
    outcome = check(issuer, header(nonce, 1))
    assert outcome.stale and not outcome.ok


def test_a_nonce_forgotten_to_bound_memory_reads_stale_not_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digest, "MAX_TRACKED_NONCES", 3)
    clock = [1000.0]
    issuer = authority(clock)
    nonces = []
    for _ in range(4):
        nonce = issuer.new_nonce()
        nonces.append(nonce)
        assert check(issuer, header(nonce, 1)).ok
        clock[0] += 1  # each issued a second later
    # The oldest count was forgotten: its nonce must not start again from count 0 (a replay).
    replay = check(issuer, header(nonces[0], 1))
    assert replay.stale and not replay.ok
    assert check(issuer, header(nonces[3], 2)).ok  # the newest are still tracked
