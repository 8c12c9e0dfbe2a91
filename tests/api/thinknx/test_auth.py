"""Authentication of the Thinknx door over real sockets: basic, digest, user=/pass=, the cloud key, limits.

Decisions under test: missing credentials -> 401 with challenges (Digest SHA-256, Digest MD5,
Basic; `auth=basic` / `auth=digest` narrow them); wrong ones -> 403 "authentication failed";
5 failures per address and minute -> 429 with Retry-After; the per-address rate limit -> 429
"rate limit exceeded"; digest nonces expire with stale=true, a repeated nonce count is refused
(403), a `uri` other than the raw request target is a bad request (400).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
import httpx
import pytest

from tests.api.thinknx.rig import (
    ADMIN,
    AUTH_FAILED,
    DEVICE_NOT_FOUND,
    OLD_REALM,
    PARAMS_ERRORS,
    PASSWORD,
    RATE_LIMITED,
    TENANT,
    VIEWER,
    ThinknxRig,
    assert_answer,
    basic_authorization,
    challenge_params,
    challenges,
    curl,
    digest_authorization,
    thinknx_rig,
)
from tests.hubtools import next_event
from thinggate.api.thinknx.key import REREAD_SECONDS, KeyState, save_key
from thinggate.api.thinknx.key import SETTING as KEY_SETTING
from thinggate.api.thinknx.settings import ThinknxConfig
from thinggate.core import events as ev
from thinggate.core.guids import guid_of
from thinggate.core.security import DIGEST_REALM_SETTING, Scope

AUTH_REQUIRED = {"error": "authentication required"}
KEY = "Zq3vK8pLm2Xr7Tn4Wb6Yc9Hd1Jf5Gs0A"


def status_body(rig: ThinknxRig, name: str = "Reading lamp") -> dict[str, Any]:
    thing = rig.thing(name)
    return {"namespace": "powerstatus", "guid": guid_of(thing.id), "status": 0, "comm_obj": 1}


def status_target(rig: ThinknxRig, name: str = "Reading lamp", extra: str = "") -> str:
    return f"/api/V1/powerstatus?guid={rig.guid(name)}{extra}"


async def fresh_challenge(rig: ThinknxRig, target: str, algorithm: str = "SHA-256") -> dict[str, str]:
    """The digest challenge of one algorithm from a 401 to an unauthenticated request."""
    response = await rig.get(target, auth=None)
    assert response.status_code == 401, response.text
    for value in challenges(response):
        if value.startswith("Digest ") and challenge_params(value)["algorithm"] == algorithm:
            return challenge_params(value)
    raise AssertionError(f"no {algorithm} challenge in {challenges(response)}")


class OnlyAlgorithm(httpx.Auth):
    """httpx.DigestAuth as a client that only knows one algorithm: it sees only that challenge."""

    def __init__(self, username: str, password: str, algorithm: str) -> None:
        self.inner = httpx.DigestAuth(username, password)
        self.algorithm = algorithm

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self.inner.auth_flow(request)
        outgoing = next(flow)
        while True:
            response = yield outgoing
            if response.status_code == 401:
                kept = [
                    value
                    for value in response.headers.get_list("WWW-Authenticate")
                    if value.startswith("Digest ") and f"algorithm={self.algorithm}," in value
                ]
                del response.headers["WWW-Authenticate"]
                for value in kept:
                    response.headers.update({"WWW-Authenticate": value})
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return


# -- missing and wrong credentials ------------------------------------------------------------------


async def test_missing_credentials_are_a_401_with_digest_sha256_digest_md5_and_basic_challenges(
    rig: ThinknxRig,
) -> None:
    response = await rig.get(status_target(rig), auth=None)
    assert_answer(response, 401, AUTH_REQUIRED)
    values = challenges(response)
    assert len(values) == 3, values
    sha, md5 = challenge_params(values[0]), challenge_params(values[1])
    assert sha["algorithm"] == "SHA-256" and md5["algorithm"] == "MD5"
    for params in (sha, md5):
        assert params["realm"] == rig.digest.realm and params["qop"] == "auth"
        assert params["nonce"] and params["opaque"]
        assert "stale" not in params
    assert values[2] == f'Basic realm="{rig.digest.realm}", charset="UTF-8"'
    # a new challenge has a new nonce
    again = challenge_params(challenges(await rig.get(status_target(rig), auth=None))[0])
    assert again["nonce"] != sha["nonce"]


async def test_auth_basic_and_auth_digest_narrow_the_challenges(rig: ThinknxRig) -> None:
    response = await rig.get(status_target(rig, extra="&auth=basic"), auth=None)
    assert_answer(response, 401, AUTH_REQUIRED)
    assert challenges(response) == [f'Basic realm="{rig.digest.realm}", charset="UTF-8"']
    response = await rig.get(status_target(rig, extra="&auth=digest"), auth=None)
    assert_answer(response, 401, AUTH_REQUIRED)
    values = challenges(response)
    assert [challenge_params(v)["algorithm"] for v in values] == ["SHA-256", "MD5"]
    response = await rig.get(status_target(rig, extra="&AUTH=Digest"), auth=None)
    assert [challenge_params(v)["algorithm"] for v in challenges(response)] == ["SHA-256", "MD5"]
    # a Basic header is not looked at when digest was asked for, and the other way round
    response = await rig.get(status_target(rig, extra="&auth=digest"), auth=(ADMIN, PASSWORD))
    assert response.status_code == 401 and len(challenges(response)) == 2
    challenge = challenge_params(challenges(response)[0])
    target = status_target(rig, extra="&auth=basic")
    header = digest_authorization(challenge=challenge, method="GET", uri=target)
    response = await rig.get(target, auth=None, headers={"Authorization": header})
    assert response.status_code == 401
    assert challenges(response) == [f'Basic realm="{rig.digest.realm}", charset="UTF-8"']


async def test_an_unknown_auth_scheme_is_a_params_error(rig: ThinknxRig) -> None:
    assert_answer(await rig.get(status_target(rig, extra="&auth=ntlm")), 400, PARAMS_ERRORS)
    assert_answer(await rig.get(status_target(rig, extra="&auth=")), 400, PARAMS_ERRORS)


@pytest.mark.parametrize(
    "credentials",
    [(ADMIN, "wrong-password"), ("nobody", PASSWORD), (ADMIN, ""), ("", "")],
    ids=["wrong-password", "unknown-user", "empty-password", "empty-both"],
)
async def test_wrong_basic_credentials_are_403(rig: ThinknxRig, credentials: tuple[str, str]) -> None:
    lamp = rig.thing("Reading lamp")
    response = await rig.get(f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1", auth=credentials)
    assert_answer(response, 403, AUTH_FAILED)
    assert rig.value(lamp, "power") is False


async def test_wrong_user_and_pass_params_are_403(rig: ThinknxRig) -> None:
    response = await rig.get(status_target(rig, extra=f"&auth=basic&user={ADMIN}&pass=nope"), auth=None)
    assert_answer(response, 403, AUTH_FAILED)
    response = await rig.get(status_target(rig, extra=f"&auth=basic&user={ADMIN}"), auth=None)
    assert_answer(response, 403, AUTH_FAILED)


# -- basic ------------------------------------------------------------------------------------------


async def test_basic_with_httpx(rig: ThinknxRig) -> None:
    response = await rig.get(status_target(rig), auth=(ADMIN, PASSWORD))
    assert_answer(response, 200, status_body(rig))
    assert response.request.headers["Authorization"] == basic_authorization(ADMIN, PASSWORD)
    # the user name is not case-sensitive for basic
    assert_answer(
        await rig.get(status_target(rig, extra="&auth=basic"), auth=("OWNER", PASSWORD)), 200, status_body(rig)
    )
    # a basic login works for a setter too
    lamp = rig.thing("Reading lamp")
    response = await rig.get(f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1&fb", auth=(ADMIN, PASSWORD))
    assert_answer(response, 200, {"namespace": "power", "guid": guid_of(lamp.id), "status": 1, "comm_obj": 1})


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # aiohttp 3.12+ deprecates BasicAuth for 4.0
async def test_basic_with_aiohttp(rig: ThinknxRig) -> None:
    lamp = rig.thing("Reading lamp")
    async with aiohttp.ClientSession(auth=aiohttp.BasicAuth(ADMIN, PASSWORD)) as session:
        async with session.get(rig.url(status_target(rig, extra="&auth=basic"))) as response:
            assert response.status == 200
            assert await response.json() == status_body(rig)
        form = {"guid": guid_of(lamp.id), "cmd": "1", "fb": ""}
        async with session.post(rig.url("/api/V1/power"), data=form) as response:
            assert response.status == 200, await response.text()
            assert response.request_info.headers["Content-Type"] == "application/x-www-form-urlencoded"
            body = await response.json()
    assert body == {"namespace": "power", "guid": guid_of(lamp.id), "status": 1, "comm_obj": 1}
    assert rig.value(lamp, "power") is True


async def test_basic_with_curl_u_and_credentials_in_the_url(rig: ThinknxRig) -> None:
    result = await curl("--verbose", "-u", f"{ADMIN}:{PASSWORD}", rig.url(status_target(rig, extra="&auth=basic")))
    assert result.status == 200 and result.json() == status_body(rig)
    assert result.sent("Authorization") == [basic_authorization(ADMIN, PASSWORD)]
    url = f"http://{ADMIN}:{PASSWORD}@127.0.0.1:{rig.port}{status_target(rig, extra='&auth=basic')}"
    result = await curl(url)
    assert result.status == 200 and result.json() == status_body(rig)
    # wrong credentials in the URL
    url = f"http://{ADMIN}:nope@127.0.0.1:{rig.port}{status_target(rig, extra='&auth=basic')}"
    result = await curl(url)
    assert result.status == 403 and result.json() == AUTH_FAILED


async def test_user_and_pass_params(rig: ThinknxRig) -> None:
    lamp = rig.thing("Reading lamp")
    target = f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1&fb&auth=basic&user={ADMIN}&pass=OwnerPW1%21"
    response = await rig.get(target, auth=None)
    assert_answer(response, 200, {"namespace": "power", "guid": guid_of(lamp.id), "status": 1, "comm_obj": 1})
    assert rig.value(lamp, "power") is True
    # as the seed writes it, with curl and a plain '!' in the query
    result = await curl(rig.url(status_target(rig, extra=f"&auth=basic&user={ADMIN}&pass={PASSWORD}")))
    assert result.status == 200
    assert result.json() == {**status_body(rig), "status": 1}
    # in a form body
    response = await rig.post("/api/V1/powerstatus", f"guid={guid_of(lamp.id)}&user={ADMIN}&pass={PASSWORD}", auth=None)
    assert response.status_code == 200, response.text


PERCENT_USER = "percent"
PERCENT_PASSWORD = "Pw%41&x+y z!"  # '%41' is three characters here, not an encoded 'A'


async def test_a_password_with_percent_ampersand_plus_and_space_over_basic_digest_and_form(rig: ThinknxRig) -> None:
    await rig.security.create_user(PERCENT_USER, PERCENT_PASSWORD, scopes=Scope.ADMIN, digest=True)
    target = "/api/V1/system/serverStatus"
    assert (await rig.get(target, auth=(PERCENT_USER, PERCENT_PASSWORD))).status_code == 200
    assert (await rig.get(target, auth=httpx.DigestAuth(PERCENT_USER, PERCENT_PASSWORD))).status_code == 200
    form = f"user={PERCENT_USER}&pass={quote(PERCENT_PASSWORD, safe='')}"
    assert (await rig.post(target, form, auth=None)).status_code == 200
    form = f"user={PERCENT_USER}&pass={quote_plus(PERCENT_PASSWORD)}"
    assert (await rig.post(target, form, auth=None)).status_code == 200


async def test_a_password_with_a_percent_in_the_pass_query_param(rig: ThinknxRig) -> None:
    await rig.security.create_user(PERCENT_USER, PERCENT_PASSWORD, scopes=Scope.ADMIN)
    target = f"/api/V1/system/serverStatus?user={PERCENT_USER}&pass={quote(PERCENT_PASSWORD, safe='')}"
    assert (await rig.get(target, auth=None)).status_code == 200


async def test_a_read_only_user_over_each_scheme_reads_but_may_not_set(rig: ThinknxRig) -> None:
    lamp = rig.thing("Reading lamp")
    setter = f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1"
    assert_answer(await rig.get(status_target(rig), auth=(VIEWER, PASSWORD)), 200, status_body(rig))
    assert_answer(await rig.get(setter, auth=(VIEWER, PASSWORD)), 403, AUTH_FAILED)
    assert_answer(await rig.get(setter, auth=httpx.DigestAuth(VIEWER, PASSWORD)), 403, AUTH_FAILED)
    assert_answer(await rig.get(f"{setter}&user={VIEWER}&pass={PASSWORD}", auth=None), 403, AUTH_FAILED)
    assert rig.value(lamp, "power") is False
    # not a failed login: the viewer is not locked out after more than five refusals
    for _ in range(6):
        assert (await rig.get(setter, auth=(VIEWER, PASSWORD))).status_code == 403
    assert_answer(await rig.get(status_target(rig), auth=(VIEWER, PASSWORD)), 200, status_body(rig))


# -- digest -----------------------------------------------------------------------------------------


async def test_digest_with_httpx_sha256_and_md5(rig: ThinknxRig) -> None:
    lamp = rig.thing("Reading lamp")
    target = f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1&fb&auth=digest"
    response = await rig.get(target, auth=httpx.DigestAuth(ADMIN, PASSWORD))
    assert_answer(response, 200, {"namespace": "power", "guid": guid_of(lamp.id), "status": 1, "comm_obj": 1})
    assert "algorithm=SHA-256" in response.request.headers["Authorization"]  # httpx takes the first
    assert rig.value(lamp, "power") is True
    # httpx's own MD5, as a client that only understands the MD5 challenge
    target = f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=0&fb"
    response = await rig.get(target, auth=OnlyAlgorithm(ADMIN, PASSWORD, "MD5"))
    assert_answer(response, 200, {"namespace": "power", "guid": guid_of(lamp.id), "status": 0, "comm_obj": 1})
    assert "algorithm=MD5" in response.request.headers["Authorization"]
    assert rig.value(lamp, "power") is False
    # wrong password
    response = await rig.get(target, auth=httpx.DigestAuth(ADMIN, "nope"))
    assert_answer(response, 403, AUTH_FAILED)


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
async def test_digest_crafted_by_hand(rig: ThinknxRig, algorithm: str) -> None:
    target = status_target(rig, extra="&auth=digest")
    challenge = await fresh_challenge(rig, target, algorithm)
    header = digest_authorization(challenge=challenge, method="GET", uri=target, algorithm=algorithm)
    assert_answer(await rig.get(target, auth=None, headers={"Authorization": header}), 200, status_body(rig))
    # the same nonce with the next count
    header = digest_authorization(challenge=challenge, method="GET", uri=target, algorithm=algorithm, nc=2)
    assert_answer(await rig.get(target, auth=None, headers={"Authorization": header}), 200, status_body(rig))
    # the wrong password, by hand
    header = digest_authorization(
        challenge=challenge, method="GET", uri=target, algorithm=algorithm, nc=3, password="nope"
    )
    assert_answer(await rig.get(target, auth=None, headers={"Authorization": header}), 403, AUTH_FAILED)
    # a digest signed for another method
    header = digest_authorization(challenge=challenge, method="POST", uri=target, algorithm=algorithm, nc=4)
    assert_answer(await rig.get(target, auth=None, headers={"Authorization": header}), 403, AUTH_FAILED)


async def test_digest_with_a_form_post(rig: ThinknxRig) -> None:
    lamp = rig.thing("Reading lamp")
    response = await rig.post(
        "/api/V1/power?auth=digest", f"guid={guid_of(lamp.id)}&cmd=1&fb", auth=httpx.DigestAuth(ADMIN, PASSWORD)
    )
    assert_answer(response, 200, {"namespace": "power", "guid": guid_of(lamp.id), "status": 1, "comm_obj": 1})
    assert 'uri="/api/V1/power?auth=digest"' in response.request.headers["Authorization"]


async def test_digest_user_names_are_lower_case(rig: ThinknxRig) -> None:
    target = status_target(rig, extra="&auth=digest")
    assert_answer(await rig.get(target, auth=httpx.DigestAuth("Owner", PASSWORD)), 403, AUTH_FAILED)
    assert_answer(await rig.get(target, auth=httpx.DigestAuth("owner", PASSWORD)), 200, status_body(rig))


async def test_digest_with_aiohttp_middleware(tmp_path: Path) -> None:
    assert hasattr(aiohttp, "DigestAuthMiddleware"), "aiohttp >= 3.12.8 is needed"
    async with thinknx_rig(tmp_path) as rig:
        lamp = rig.thing("Reading lamp")
        middleware = aiohttp.DigestAuthMiddleware(ADMIN, PASSWORD)
        async with aiohttp.ClientSession(middlewares=(middleware,)) as session:
            sent: list[str] = []
            for cmd, status in (("1", 1), ("0", 0), ("1", 1)):
                url = rig.url(f"/api/V1/power?guid={guid_of(lamp.id)}&cmd={cmd}&fb&auth=digest")
                async with session.get(url) as response:
                    assert response.status == 200, await response.text()
                    assert await response.json() == {
                        "namespace": "power",
                        "guid": guid_of(lamp.id),
                        "status": status,
                        "comm_obj": 1,
                    }
                    sent.append(response.request_info.headers["Authorization"])
        assert all("algorithm=SHA-256" in header for header in sent)
        # the middleware reuses the nonce with a growing count, and the door accepts it
        assert [h.split("nc=")[1][:8] for h in sent] == ["00000001", "00000002", "00000003"]
        assert rig.value(lamp, "power") is True
        async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware(ADMIN, "nope"),)) as session:
            async with session.get(rig.url(status_target(rig))) as response:
                assert response.status == 403
                assert await response.json() == AUTH_FAILED


async def test_digest_with_curl(rig: ThinknxRig) -> None:
    lamp = rig.thing("Reading lamp")
    target = f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1&fb&auth=digest"
    result = await curl("--verbose", "--digest", "-u", f"{ADMIN}:{PASSWORD}", rig.url(target))
    assert result.status == 200, result.body
    assert result.json() == {"namespace": "power", "guid": guid_of(lamp.id), "status": 1, "comm_obj": 1}
    [authorization] = result.sent("Authorization")
    assert authorization.startswith("Digest ") and "algorithm=SHA-256" in authorization
    assert rig.value(lamp, "power") is True
    # as the seed writes it: user and password in the URL, auth=digest
    url = f"http://{ADMIN}:{PASSWORD}@127.0.0.1:{rig.port}{status_target(rig, extra='&auth=digest')}"
    result = await curl("--digest", url)
    assert result.status == 200 and result.json() == {**status_body(rig), "status": 1}
    result = await curl("--digest", "-u", f"{ADMIN}:nope", rig.url(status_target(rig, extra="&auth=digest")))
    assert result.status == 403 and result.json() == AUTH_FAILED


async def test_a_replayed_nonce_count_is_refused(rig: ThinknxRig) -> None:
    lamp = rig.thing("Reading lamp")
    target = f"/api/V1/power?guid={guid_of(lamp.id)}&cmd=1"
    challenge = await fresh_challenge(rig, target)
    header = digest_authorization(challenge=challenge, method="GET", uri=target, nc=5)
    subscription = rig.subscribe()
    response = await rig.get(target, auth=None, headers={"Authorization": header})
    assert response.status_code == 200, response.text
    await next_event(subscription, ev.ActionExecuted, lambda e: e.thing_id == lamp.id, within=5)
    report_off(rig)
    # the same header again (a captured request replayed): refused, and nothing runs
    assert_answer(await rig.get(target, auth=None, headers={"Authorization": header}), 403, AUTH_FAILED)
    # a lower count on the same nonce too
    lower = digest_authorization(challenge=challenge, method="GET", uri=target, nc=4)
    assert_answer(await rig.get(target, auth=None, headers={"Authorization": lower}), 403, AUTH_FAILED)
    await asyncio.sleep(0.05)
    assert rig.value(lamp, "power") is False
    executed = [e for e in _queued(subscription) if isinstance(e, ev.ActionExecuted) and e.thing_id == lamp.id]
    assert executed == []
    # a higher one is fine
    higher = digest_authorization(challenge=challenge, method="GET", uri=target, nc=6)
    assert (await rig.get(target, auth=None, headers={"Authorization": higher})).status_code == 200
    assert rig.value(lamp, "power") is True
    subscription.close()


def _queued(subscription: Any) -> list[Any]:
    events = []
    while not subscription.queue.empty():
        events.append(subscription.queue.get_nowait())
    return events


def report_off(rig: ThinknxRig) -> None:
    """Switch the reading lamp off from the device side."""
    assert rig.virtual.test_control is not None
    rig.virtual.test_control.set_state(rig.thing("Reading lamp").id, "power", False)


async def test_an_expired_nonce_is_answered_401_stale_true(tmp_path: Path) -> None:
    now = [1_700_000_000.0]
    async with thinknx_rig(tmp_path, nonce_seconds=300.0, digest_clock=lambda: now[0]) as rig:
        target = status_target(rig, extra="&auth=digest")
        challenge = await fresh_challenge(rig, target)
        now[0] += 299.0
        header = digest_authorization(challenge=challenge, method="GET", uri=target)
        assert_answer(await rig.get(target, auth=None, headers={"Authorization": header}), 200, status_body(rig))
        now[0] += 2.0  # 301 s after the challenge
        header = digest_authorization(challenge=challenge, method="GET", uri=target, nc=2)
        response = await rig.get(target, auth=None, headers={"Authorization": header})
        assert_answer(response, 401, AUTH_REQUIRED)
        values = challenges(response)
        assert [challenge_params(v)["algorithm"] for v in values] == ["SHA-256", "MD5"]
        assert all(challenge_params(v).get("stale") == "true" for v in values), values
        assert all(challenge_params(v)["nonce"] != challenge["nonce"] for v in values)
        # a stale nonce is not a failed login: many of them do not lock the address out
        for count in range(3, 10):
            header = digest_authorization(challenge=challenge, method="GET", uri=target, nc=count)
            assert (await rig.get(target, auth=None, headers={"Authorization": header})).status_code == 401
        # the fresh nonce works at once
        fresh = challenge_params(values[0])
        header = digest_authorization(challenge=fresh, method="GET", uri=target)
        assert_answer(await rig.get(target, auth=None, headers={"Authorization": header}), 200, status_body(rig))


async def test_a_nonce_of_another_server_is_stale(rig: ThinknxRig) -> None:
    target = status_target(rig)
    challenge = await fresh_challenge(rig, target)
    stem = challenge["nonce"].rsplit(".", 1)[0]
    forged = {**challenge, "nonce": f"{stem}.{'0' * 32}"}
    header = digest_authorization(challenge=forged, method="GET", uri=target)
    response = await rig.get(target, auth=None, headers={"Authorization": header})
    assert_answer(response, 401, AUTH_REQUIRED)
    assert all(challenge_params(v).get("stale") == "true" for v in challenges(response) if v.startswith("Digest"))


async def test_a_uri_other_than_the_raw_target_is_a_bad_request(rig: ThinknxRig) -> None:
    target = status_target(rig, extra="&auth=digest")
    challenge = await fresh_challenge(rig, target)
    cases = [
        status_target(rig, "Path light", "&auth=digest"),  # a response for another request
        target.split("?")[0],  # the path without the query string
        target.replace("&auth=digest", "&&auth=digest"),
        rig.url(target),  # the absolute form
    ]
    for count, uri in enumerate(cases, start=1):
        header = digest_authorization(challenge=challenge, method="GET", uri=uri, nc=count)
        response = await rig.get(target, auth=None, headers={"Authorization": header})
        assert_answer(response, 400, PARAMS_ERRORS)
    # the raw target, percent-encoding as sent, is what counts
    encoded = status_target(rig, extra="&auth=%64igest")
    header = digest_authorization(challenge=challenge, method="GET", uri=encoded, nc=10)
    assert_answer(await rig.get(encoded, auth=None, headers={"Authorization": header}), 200, status_body(rig))


async def test_digest_for_a_user_homed_in_a_sub_domain(rig: ThinknxRig) -> None:
    loft = rig.thing("Loft light")
    auth = httpx.DigestAuth(TENANT, PASSWORD)
    response = await rig.get(f"/api/V1/powerstatus?guid={guid_of(loft.id)}", auth=auth)
    assert_answer(response, 200, {"namespace": "powerstatus", "guid": guid_of(loft.id), "status": 0, "comm_obj": 1})
    assert_answer(await rig.get(status_target(rig), auth=auth), 404, DEVICE_NOT_FOUND)


def ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """H(username:realm:password): what a digest secret is (and what a copy of the database held)."""
    return hashlib.new(algorithm, f"{username}:{realm}:{password}".encode()).hexdigest()


async def test_the_digest_realm_is_the_installations_own(rig: ThinknxRig) -> None:
    realm = rig.digest.realm
    assert re.fullmatch(r"thinggate-[0-9a-f]{8}", realm), realm
    assert (await rig.store.load_hub_settings())[DIGEST_REALM_SETTING] == realm
    response = await rig.get(status_target(rig, extra="&auth=digest"), auth=None)
    assert {challenge_params(value)["realm"] for value in challenges(response)} == {realm}


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
async def test_a_digest_secret_made_for_the_old_shared_realm_logs_in_nowhere(tmp_path: Path, algorithm: str) -> None:
    """Until now every hub used the realm "thinggate": a secret read from one hub's database was
    good on every hub where that user had that password. Now it is good on no hub."""
    name = {"SHA-256": "sha256", "MD5": "md5"}[algorithm]
    async with thinknx_rig(tmp_path) as rig:
        target = status_target(rig, extra="&auth=digest")
        old = ha1(name, ADMIN, OLD_REALM, PASSWORD)
        for count, claimed_realm in enumerate((OLD_REALM, rig.digest.realm), start=1):
            challenge = await fresh_challenge(rig, target, algorithm)
            header = digest_authorization(
                challenge=challenge,
                method="GET",
                uri=target,
                algorithm=algorithm,
                realm=claimed_realm,
                ha1=old,
                nc=count,
            )
            response = await rig.get(target, auth=None, headers={"Authorization": header})
            assert_answer(response, 403, AUTH_FAILED)
        # the same hand-made request with this hub's secret is served (the refusals above were the realm's)
        challenge = await fresh_challenge(rig, target, algorithm)
        current = ha1(name, ADMIN, rig.digest.realm, PASSWORD)
        header = digest_authorization(challenge=challenge, method="GET", uri=target, algorithm=algorithm, ha1=current)
        assert_answer(await rig.get(target, auth=None, headers={"Authorization": header}), 200, status_body(rig))


async def test_a_user_who_did_not_opt_in_gets_no_digest_login_as_an_unknown_user_gets_none(rig: ThinknxRig) -> None:
    await rig.security.create_user("plain", PASSWORD, scopes=Scope.ADMIN)  # without digest=True
    target = status_target(rig, extra="&auth=digest")
    assert_answer(await rig.get(status_target(rig), auth=("plain", PASSWORD)), 200, status_body(rig))
    assert rig.security.digest_secret("plain", "MD5") is None  # the basic login made none
    unknown = await rig.get(target, auth=httpx.DigestAuth("nobody", PASSWORD))
    refused = await rig.get(target, auth=httpx.DigestAuth("plain", PASSWORD))
    assert_answer(unknown, 403, AUTH_FAILED)
    assert_answer(refused, 403, AUTH_FAILED)
    assert refused.headers.get("WWW-Authenticate") == unknown.headers.get("WWW-Authenticate")
    rig.limiter.forget("127.0.0.1")  # keep the address from locking out here
    # opted in (as `thinggate user digest plain --enable` does): digest works; opted out again: refused
    await rig.security.enable_digest("plain", PASSWORD)
    assert_answer(await rig.get(target, auth=httpx.DigestAuth("plain", PASSWORD)), 200, status_body(rig))
    await rig.security.disable_digest("plain")
    assert_answer(await rig.get(target, auth=httpx.DigestAuth("plain", PASSWORD)), 403, AUTH_FAILED)


# -- the cloud form: /<KEY>/api/V1/... ----------------------------------------------------------------


async def test_the_cloud_form_with_the_enabled_key_needs_no_other_credentials(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, key=KeyState.of(KEY, enabled=True)) as rig:
        lamp = rig.thing("Reading lamp")
        assert_answer(await rig.get(f"/{KEY}{status_target(rig)}", auth=None), 200, status_body(rig))
        response = await rig.get(f"/{KEY}/api/v1/power?guid={guid_of(lamp.id)}&cmd=1&fb", auth=None)
        assert_answer(response, 200, {"namespace": "power", "guid": guid_of(lamp.id), "status": 1, "comm_obj": 1})
        assert rig.value(lamp, "power") is True
        response = await rig.post(f"/{KEY}/api/V1/powerstatus", f"guid={guid_of(lamp.id)}", auth=None)
        assert response.status_code == 200 and response.json()["status"] == 1
        result = await curl(rig.url(f"/{KEY}/api/V1/system/serverStatus"))
        assert result.status == 200 and result.json()["namespace"] == "system/serverStatus"
        # the key is the whole key, in its case
        for wrong in (KEY.lower(), KEY[:-1], KEY + "x", "x" * len(KEY)):
            assert_answer(await rig.get(f"/{wrong}{status_target(rig)}", auth=None), 403, AUTH_FAILED)
            rig.limiter.forget("127.0.0.1")  # keep the address from locking out here


async def test_a_disabled_key_is_refused(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, key=KeyState.of(KEY, enabled=False)) as rig:
        assert_answer(await rig.get(f"/{KEY}{status_target(rig)}", auth=None), 403, AUTH_FAILED)
        # basic credentials do not open the cloud form either
        assert_answer(await rig.get(f"/{KEY}{status_target(rig)}", auth=(ADMIN, PASSWORD)), 403, AUTH_FAILED)


async def test_no_key_made_yet_is_refused(rig: ThinknxRig) -> None:
    assert_answer(await rig.get(f"/{KEY}{status_target(rig)}", auth=None), 403, AUTH_FAILED)


async def test_a_key_enabled_while_running_is_accepted_after_the_reread(rig: ThinknxRig) -> None:
    assert_answer(await rig.get(f"/{KEY}{status_target(rig)}", auth=None), 403, AUTH_FAILED)
    await save_key(rig.store, KeyState.of(KEY, enabled=True))
    await asyncio.sleep(REREAD_SECONDS + 0.2)
    assert_answer(await rig.get(f"/{KEY}{status_target(rig)}", auth=None), 200, status_body(rig))


async def test_a_key_disabled_while_running_is_refused_after_the_reread(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, key=KeyState.of(KEY, enabled=True)) as rig:
        assert_answer(await rig.get(f"/{KEY}{status_target(rig)}", auth=None), 200, status_body(rig))
        await save_key(rig.store, KeyState.of(KEY, enabled=False))
        await asyncio.sleep(REREAD_SECONDS + 0.2)
        assert_answer(await rig.get(f"/{KEY}{status_target(rig)}", auth=None), 403, AUTH_FAILED)


async def test_a_key_an_older_version_stored_in_clear_is_hashed_at_load_and_keeps_working(rig: ThinknxRig) -> None:
    await rig.store.save_hub_setting(KEY_SETTING, {"enabled": True, "key": KEY})  # as stored before
    await rig.key.load()
    stored = (await rig.store.load_hub_settings())[KEY_SETTING]
    assert stored == {"enabled": True, "key_sha256": hashlib.sha256(KEY.encode()).hexdigest()}
    assert_answer(await rig.get(f"/{KEY}{status_target(rig)}", auth=None), 200, status_body(rig))


# -- failed logins and the rate limit -------------------------------------------------------------------


async def test_many_wrong_passwords_lock_the_address_out_with_429_others_are_served(rig: ThinknxRig) -> None:
    answers = [await rig.get(status_target(rig), auth=(ADMIN, f"guess-{n}")) for n in range(6)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[:4] == [403, 403, 403, 403], statuses
    assert statuses[4] in (403, 429) and statuses[5] == 429, statuses
    locked = answers[5]
    assert locked.json() == RATE_LIMITED
    assert int(locked.headers["Retry-After"]) >= 1
    # the right password from the locked address is refused too, as are digest and user=/pass=
    assert_answer(await rig.get(status_target(rig), auth=(ADMIN, PASSWORD)), 429, RATE_LIMITED)
    assert (await rig.get(status_target(rig), auth=httpx.DigestAuth(ADMIN, PASSWORD))).status_code == 429
    response = await rig.get(status_target(rig, extra=f"&user={ADMIN}&pass={PASSWORD}"), auth=None)
    assert response.status_code == 429 and "Retry-After" in response.headers
    # another client (another source address) is served meanwhile
    other = rig.new_client(local_address="127.0.0.2")
    response = await rig.get(status_target(rig), auth=(ADMIN, PASSWORD), client=other)
    assert_answer(response, 200, status_body(rig))
    result = await curl("--interface", "127.0.0.3", "-u", f"{ADMIN}:{PASSWORD}", rig.url(status_target(rig)))
    assert result.status == 200


async def test_wrong_digest_responses_count_as_failed_logins(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, max_failed_logins=3) as rig:
        statuses = [
            (await rig.get(status_target(rig), auth=httpx.DigestAuth(ADMIN, f"guess-{n}"))).status_code
            for n in range(4)
        ]
        assert statuses[:2] == [403, 403] and statuses[3] == 429, statuses


async def test_a_good_login_does_not_wipe_earlier_failures(rig: ThinknxRig) -> None:
    """Else one account would buy endless guesses at another: guess, log in as oneself, guess again."""
    statuses = []
    for n in range(6):
        statuses.append((await rig.get(status_target(rig), auth=(ADMIN, f"guess-{n}"))).status_code)
        statuses.append((await rig.get(status_target(rig), auth=(VIEWER, PASSWORD))).status_code)
    assert statuses[:8] == [403, 200] * 4, statuses
    assert 429 in statuses[8:], statuses  # the fifth wrong password locks the address out


async def test_the_rate_limit_per_address_is_429_with_retry_after(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, rate_limit="5/minute") as rig:
        for _ in range(5):
            assert (await rig.get(status_target(rig))).status_code == 200
        response = await rig.get(status_target(rig))
        assert_answer(response, 429, RATE_LIMITED)
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        # unauthenticated requests are limited too (before the credentials are looked at)
        assert_answer(await rig.get(status_target(rig), auth=None), 429, RATE_LIMITED)
        # and so are URLs that are no API at all (scanners get no free budget)
        assert_answer(await rig.get("/not/an/api", auth=None), 429, RATE_LIMITED)
        # another address has its own budget
        other = rig.new_client(local_address="127.0.0.2")
        assert_answer(await rig.get(status_target(rig), client=other), 200, status_body(rig))


async def test_the_cloud_form_is_limited_per_key(tmp_path: Path) -> None:
    async with thinknx_rig(tmp_path, rate_limit="3/minute", key=KeyState.of(KEY, enabled=True)) as rig:
        first = rig.new_client(local_address="127.0.0.2")
        second = rig.new_client(local_address="127.0.0.3")
        statuses = [
            (await rig.get(f"/{KEY}{status_target(rig)}", auth=None, client=client)).status_code
            for client in (first, second, first, second)
        ]
        assert statuses == [200, 200, 200, 429], statuses
        # the local form of the same addresses still has its budget
        assert_answer(await rig.get(status_target(rig), client=first), 200, status_body(rig))


async def test_the_default_rate_limit_is_100_per_second(tmp_path: Path) -> None:
    assert ThinknxConfig().rate_limit == "100/second"
    async with thinknx_rig(tmp_path, rate_limit=ThinknxConfig().rate_limit) as rig:
        target = rig.url(status_target(rig))
        # 20 connections: within the listener's cap on connections of one address that have not logged in.
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(limits=limits, timeout=15.0) as client:
            started = time.monotonic()
            answers = await asyncio.gather(*(client.get(target) for _ in range(250)))
            elapsed = time.monotonic() - started
        statuses = [answer.status_code for answer in answers]
        # Fixed one-second windows, the first opened by the first request: 100 get through in each
        # window the 250 requests spanned (two on an idle machine, more on a loaded one), never more.
        windows = math.floor(elapsed) + 1
        assert len(statuses) - statuses.count(429) <= 100 * windows, (statuses.count(429), elapsed)
        assert statuses.count(429) >= 250 - 100 * windows, (statuses.count(429), elapsed)
        if windows <= 2:
            assert statuses.count(429) >= 50
        assert set(statuses) <= {401, 429}
        assert all(answer.json() == RATE_LIMITED for answer in answers if answer.status_code == 429)


async def test_non_ascii_digest_values_are_refused_not_crashed_on(rig: ThinknxRig) -> None:
    target = status_target(rig, extra="&auth=digest")
    challenge = await fresh_challenge(rig, target, "SHA-256")
    header = digest_authorization(challenge=challenge, method="GET", uri=target)
    forged_nonce = header.replace(challenge["nonce"], challenge["nonce"][:-1] + "é")
    response = await rig.get(target, auth=None, headers={"Authorization": forged_nonce.encode()})
    assert response.status_code == 401  # an unknown nonce: a fresh challenge
    bad_response = re.sub(r'response="[^"]*"', 'response="ééé"', header)
    response = await rig.get(target, auth=None, headers={"Authorization": bad_response.encode()})
    assert_answer(response, 403, AUTH_FAILED)


@pytest.mark.parametrize(
    ("rate_limit", "accepted"),
    [
        ("100/second", True),
        ("10 per 2 minutes", True),
        ("5/hours", True),
        ("", True),
        ("1/sec", False),
        ("abc", False),
        ("100", False),
    ],
)
def test_the_rate_limit_setting_is_checked_in_the_notation_limits_parses(rate_limit: str, accepted: bool) -> None:
    """The check runs without importing `limits`; what it lets through, the transport's `limits` parses."""
    from limits import parse

    config = ThinknxConfig(rate_limit=rate_limit)
    if accepted:
        config.check()
        if rate_limit:
            parse(rate_limit)
    else:
        with pytest.raises(ValueError, match="rate_limit = "):
            config.check()
