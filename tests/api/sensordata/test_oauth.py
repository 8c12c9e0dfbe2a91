"""OAuth2 client credentials (mic-itwin.md §2.2): /connect/token, bearer checks, scopes, revocation, restart."""

from __future__ import annotations

import base64
import time
import urllib.parse
from pathlib import Path

import httpx
import pytest

from tests.api.sensordata.rig import ADMIN, ITWIN, Rig, sensordata_rig
from thinggate.api.sensordata.oauth import KEY_SETTING
from thinggate.core.credentials import hash_secret


def basic(client_id: str, secret: str) -> str:
    """An HTTP basic header with the client's id and secret, form-encoded first as RFC 6749 §2.3.1 says."""
    pair = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


async def token_request(rig: Rig, form: dict[str, str] | str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=rig.base) as http:
        if isinstance(form, str):
            return await http.post(
                "/connect/token",
                content=form,
                headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
            )
        return await http.post("/connect/token", data=form, headers=headers)


def oauth_error(answer: httpx.Response) -> tuple[int, str]:
    body = answer.json()
    assert set(body) == {"error", "error_description"}, body
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.status_code, body["error"]


def envelope(answer: httpx.Response) -> tuple[int, str]:
    """Status and code of an iTwin error (after checking the envelope's shape)."""
    body = answer.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]) <= {"code", "message", "target"}, body
    assert answer.headers["content-type"] == "application/json"
    return answer.status_code, body["error"]["code"]


async def test_form_and_basic_credentials_get_exactly_a_bearer_token(rig: Rig) -> None:
    client_id, secret = await rig.oauth_client()
    grant = {"grant_type": "client_credentials", "scope": "itwin-platform"}
    form = {**grant, "client_id": client_id, "client_secret": secret}
    by_form = await token_request(rig, form)
    assert by_form.status_code == 200 and by_form.headers["content-type"] == "application/json"
    body = by_form.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert by_form.headers["Cache-Control"] == "no-store" and by_form.headers["Pragma"] == "no-cache"
    by_basic = await token_request(rig, grant, {"Authorization": basic(client_id, secret)})
    assert by_basic.status_code == 200 and set(by_basic.json()) == {"access_token", "token_type", "expires_in"}
    # Either token works, and the door answers a route with it.
    for token in (body["access_token"], by_basic.json()["access_token"]):
        client = rig.client()
        client.token = token
        answer = await client.call("GET", "/integrations/nodes", params={"iTwinId": "unknown-twin"})
        assert envelope(answer) == (404, "ResourceNotFound")


async def test_the_curl_example_of_the_readme_works(rig: Rig) -> None:
    # README: curl -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials -d scope=itwin-platform
    client_id, secret = await rig.oauth_client()
    answer = await token_request(
        rig, "grant_type=client_credentials&scope=itwin-platform", {"Authorization": basic(client_id, secret)}
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("client_id=x&client_secret=y", (400, "invalid_request")),  # no grant_type
        ("grant_type=client_credentials&grant_type=client_credentials&client_id=x", (400, "invalid_request")),
        ("grant_type=client_credentials", (400, "invalid_request")),  # no client
        ("grant_type=password&client_id=CLIENT&client_secret=SECRET", (400, "unsupported_grant_type")),
        ("grant_type=client_credentials&client_id=CLIENT&client_secret=wrong", (401, "invalid_client")),
        ("grant_type=client_credentials&client_id=nobody&client_secret=SECRET", (401, "invalid_client")),
        ("grant_type=client_credentials&client_id=CLIENT&client_secret=SECRET&scope=foo", (400, "invalid_scope")),
        ("%ff=\xff", (400, "invalid_request")),
    ],
)
async def test_refusals_are_rfc_6749_errors(rig: Rig, form: str, expected: tuple[int, str]) -> None:
    client_id, secret = await rig.oauth_client()
    body = form.replace("CLIENT", client_id).replace("SECRET", secret)
    answer = await token_request(rig, body)
    assert oauth_error(answer) == expected
    assert "WWW-Authenticate" not in answer.headers  # only when the client tried HTTP basic


async def test_a_wrong_basic_secret_is_401_with_a_basic_challenge(rig: Rig) -> None:
    client_id, _ = await rig.oauth_client()
    answer = await token_request(rig, {"grant_type": "client_credentials"}, {"Authorization": basic(client_id, "bad")})
    assert oauth_error(answer) == (401, "invalid_client")
    assert answer.headers["WWW-Authenticate"].startswith("Basic ")
    # Both ways at once is no way: refused before any secret is checked.
    both = await token_request(
        rig,
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "bad"},
        {"Authorization": basic(client_id, "bad")},
    )
    assert oauth_error(both) == (400, "invalid_request")
    json_body = await rig.client().http.post("/connect/token", json={"grant_type": "client_credentials"})
    assert oauth_error(json_body) == (400, "invalid_request")


async def test_a_scope_beyond_the_clients_is_invalid_and_other_platform_scopes_grant_nothing(rig: Rig) -> None:
    client_id, secret = await rig.oauth_client(scopes=("sensor-data:read",))
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    for beyond in ("sensor-data:modify", "itwin-platform", "sensor-data:read sensor-data:modify"):
        assert oauth_error(await token_request(rig, {**form, "scope": beyond})) == (400, "invalid_scope")
    # The finer platform scopes iTwin clients ask for beside ours are taken; alone they are no sensor-data scope.
    ok = await token_request(rig, {**form, "scope": "sensor-data:read users:read itwins:read"})
    assert ok.status_code == 200
    assert oauth_error(await token_request(rig, {**form, "scope": "users:read"})) == (400, "invalid_scope")
    # No scope asked: the client's own.
    assert (await token_request(rig, form)).status_code == 200


async def test_read_and_modify_scopes_hold_on_every_route(rig: Rig) -> None:
    reader = await rig.connected(scope="sensor-data:read")
    writer = await rig.connected(scope="sensor-data:modify")
    made = await writer.integrate({"changeState": "new"})
    assert made.status_code == 200, made.text
    # Reading with the modify scope alone, and changing with the read scope alone, are refused.
    assert envelope(await writer.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})) == (
        403,
        "InsufficientPermissions",
    )
    refused = await reader.integrate({"changeState": "new"})
    assert envelope(refused) == (403, "InsufficientPermissions")
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert envelope(await reader.upload([])) == (403, "InsufficientPermissions")
    assert envelope(await reader.call("DELETE", "/data/observations", {"sensorId": "x"})) == (
        403,
        "InsufficientPermissions",
    )
    nodes = await reader.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})
    assert nodes.status_code == 200 and len(nodes.json()["nodes"]) == 1
    both = await rig.connected(scope="sensor-data:read sensor-data:modify")
    assert (await both.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})).status_code == 200
    assert (await both.upload([])).status_code == 202


async def test_requests_without_or_with_a_bad_token_are_401(rig: Rig) -> None:
    client = rig.client()
    answer = await client.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})
    assert answer.json() == {
        "error": {
            "code": "HeaderNotFound",
            "message": "Header Authorization was not found in the request. Access denied.",
        }
    }
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    good = await rig.connected()
    assert good.token is not None
    prefix, claims, signature = good.token.split(".")
    tampered_claims = claims[:-2] + ("AA" if claims[-2:] != "AA" else "BB")
    for token in ("garbage", f"{prefix}.{tampered_claims}.{signature}", f"{prefix}.{claims}.{signature[:-1]}"):
        client.token = token
        assert envelope(await client.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})) == (
            401,
            "InvalidToken",
        )
    raw = await client.http.get(
        "/sensor-data/integrations/nodes", params={"iTwinId": ITWIN}, headers={"Authorization": good.token}
    )
    assert envelope(raw) == (401, "InvalidToken")  # a token without Bearer is not one


async def test_an_expired_token_is_refused(rig: Rig) -> None:
    client_id, _ = await rig.oauth_client()
    client = rig.client()
    signer = (await rig.assembled_door()).tokens.signer
    # Signed by the hub an hour and a second ago: no waiting for a real expiry.
    client.token = signer.issue(client_id, ["itwin-platform"], now=time.time() - 3601)
    assert envelope(await client.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})) == (401, "InvalidToken")
    client.token = signer.issue(client_id, ["itwin-platform"])
    assert envelope(await client.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})) == (
        404,
        "ResourceNotFound",
    )


async def test_a_revoked_client_and_a_removed_users_tokens_stop_at_once(rig: Rig) -> None:
    await rig.user("carol", role="Admin")
    revoked = await rig.connected()
    orphaned = await rig.connected("carol")
    kept = await rig.connected()
    await rig.server.store.delete_oauth_client(revoked.client_id)
    assert await rig.server.control_socket.answer("reload") == "reloaded"  # type: ignore[union-attr]
    await rig.server.security.remove_user("carol")
    for client in (revoked, orphaned):
        assert envelope(await client.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})) == (
            401,
            "InvalidToken",
        )
    assert (await kept.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})).status_code == 404
    form = {"grant_type": "client_credentials", "client_id": orphaned.client_id, "client_secret": orphaned.secret}
    assert oauth_error(await token_request(rig, form)) == (401, "invalid_client")


async def test_a_client_stored_by_another_process_gets_a_token_without_a_reload(rig: Rig) -> None:
    # As a command line that could not reach the hub (or a hub elsewhere on the same PostgreSQL) leaves it.
    from thinggate.core.credentials import make_oauth_client as make_client

    record, secret = make_client("late", ADMIN, [])
    await rig.server.store.save_oauth_client(record)
    client = rig.client(record.client_id, secret)
    await client.fetch_token()
    assert (await client.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})).status_code == 404


async def test_secrets_are_stored_hashed_and_tokens_survive_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sensordata_rig(tmp_path, monkeypatch) as rig:
        client = await rig.connected()
        (stored,) = await rig.server.store.load_oauth_clients()
        assert stored.secret_hash == hash_secret(client.secret) and client.secret not in repr(stored)
        key = (await rig.server.store.load_hub_settings())[KEY_SETTING]
        token, client_id, secret = client.token, client.client_id, client.secret
        assert (await client.integrate({"changeState": "new"})).status_code == 200
    async with sensordata_rig(tmp_path, monkeypatch) as rig:
        assert (await rig.server.store.load_hub_settings())[KEY_SETTING] == key
        again = rig.client(client_id, secret)
        again.token = token  # the token from before the restart
        nodes = await again.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})
        assert nodes.status_code == 200 and len(nodes.json()["nodes"]) == 1


async def test_failed_client_secrets_lock_the_address_out(rig: Rig) -> None:
    client_id, secret = await rig.oauth_client()
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"}
    answers = [await token_request(rig, form) for _ in range(12)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[0] == 401 and 429 in statuses
    locked = answers[statuses.index(429)]
    assert int(locked.headers["retry-after"]) >= 1
    # While locked out, even the right secret waits.
    right = await token_request(rig, {**form, "client_secret": secret})
    assert right.status_code == 429


async def test_the_rate_limit_per_client_answers_429_with_the_platform_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sensordata_rig(tmp_path, monkeypatch, requests_per_minute=3) as rig:
        busy = await rig.connected()
        other = await rig.connected()
        answers = [await busy.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN}) for _ in range(4)]
        assert [answer.status_code for answer in answers] == [404, 404, 404, 429]
        assert [answer.headers["iTwinPlatform-RateLimit-RemainingCalls"] for answer in answers] == ["2", "1", "0", "0"]
        limited = answers[-1]
        assert limited.json()["error"]["code"] == "TooManyRequests"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["iTwinPlatform-RateLimit-Retry-After-Seconds"] == limited.headers["retry-after"]
        # Per client: another one is not held back, and the token endpoint is not counted.
        assert (await other.call("GET", "/integrations/nodes", params={"iTwinId": ITWIN})).status_code == 404
        await busy.fetch_token()
