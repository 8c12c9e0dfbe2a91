"""Discovery, API keys, login/refresh/logout, token forms and lifetimes, the login lockout: a real hub."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.api.jsonrpc.rig import RpcClient
from tests.api.registry.rig import ADMIN, PASSWORD, STACK, Rig, registry_rig
from thinggate.core.credentials import hash_api_key
from thinggate.core.store import RegistryTokenRecord

ROOT = Path(__file__).resolve().parents[3]


def key_of(answer: httpx.Response) -> str:
    """The message key of an error answer."""
    return str(answer.json()["messageKey"])


# -- discovery -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/manifest", "/manifest/"])
async def test_the_manifest_names_this_origin_and_the_stack(rig: Rig, path: str) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{rig.base}{path}", params={"hostname": "hub.example.org"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    manifest = answer.json()
    assert manifest["ApiGatewayRootUrl"] == rig.base  # the origin: no path, no trailing slash
    assert manifest["StackName"] == STACK
    assert manifest["IotEndpoint"] is None and manifest["Rev"]


async def test_the_metadata_manifest_hands_out_the_key_without_one(rig: Rig) -> None:
    anonymous = rig.client(api_key=None)
    answer = await anonymous.get("/metadata/manifest")
    assert answer.status_code == 200
    key = answer.json()["ApiKey"]
    assert isinstance(key, str) and len(key) >= 32
    # Stored as its digest (and, being public, in clear as the published key).
    (record,) = await rig.server.store.load_api_keys()
    assert record.key_hash == hash_api_key(key)


async def test_a_hub_that_does_not_publish_a_key_answers_null(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch, publish_api_key=False) as rig:
        answer = await rig.client(api_key=None).get("/metadata/manifest")
        assert answer.json()["ApiKey"] is None
        assert await rig.server.store.load_api_keys() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/auth/login"),
        ("GET", "/thingtypes"),
        ("GET", "/domains"),
        ("GET", "/no/such/route"),
        ("PUT", "/users"),
    ],
)
@pytest.mark.parametrize("api_key", [None, "wrong-key"])
async def test_every_other_route_needs_a_known_api_key(rig: Rig, method: str, path: str, api_key: str | None) -> None:
    answer = await rig.client(api_key=api_key).call(method, path, {"userName": ADMIN, "password": PASSWORD})
    assert answer.status_code == 403 and key_of(answer) == "INVALID_API_KEY"


# -- login, refresh, logout ------------------------------------------------------------------------


async def test_login_answers_user_credentials_and_permissions(rig: Rig) -> None:
    await rig.domain("site-a")
    await rig.user("alice", role="ReadWrite", domain="site-a")
    client = rig.client()
    answer = await client.login("ALICE")  # user names are case-insensitive, as for every door
    assert answer["user"] | {"privileges": None} == {
        "userName": "alice",
        "roleName": "ReadWrite",
        "domainName": "site-a",
        "domainPath": "/site-a/",
        "firstName": "",
        "lastName": "",
        "email": "",
        "privileges": None,
        "enabled": True,
    }
    credentials = answer["credentials"]
    assert all(
        isinstance(credentials[name], str) and credentials[name] for name in ("token", "refreshToken", "identityId")
    )
    assert answer["permissions"]["objects"] == {
        "Things": ["CREATE", "READ", "UPDATE", "DELETE"],
        "ThingTypes": ["CREATE", "READ", "UPDATE", "DELETE"],
        "Domains": ["READ"],
        "Users": ["READ"],
        "Events": ["CREATE", "READ", "UPDATE", "DELETE"],
    }
    # Stored as digests only.
    (record,) = await rig.server.store.load_registry_tokens()
    assert record.access_hash == hashlib.sha256(credentials["token"].encode()).hexdigest()
    assert credentials["token"] not in str(record) and credentials["refreshToken"] not in str(record)


@pytest.mark.parametrize("bearer", [False, True], ids=["raw", "bearer"])
async def test_the_token_is_accepted_raw_and_as_bearer_and_identity_id_is_ignored(rig: Rig, bearer: bool) -> None:
    client = await rig.logged_in(ADMIN, bearer=bearer)
    answer = await client.get("/user", headers={"identityId": "eu-west-1:00000000-0000-0000-0000-000000000000"})
    assert answer.status_code == 200 and answer.json()["userName"] == ADMIN


@pytest.mark.parametrize(
    ("body", "status", "key", "property"),
    [
        ({"password": PASSWORD}, 400, "PROPERTY_REQUIRED", "userName"),
        ({"userName": ADMIN}, 400, "PROPERTY_REQUIRED", "password"),
        ({"userName": ADMIN, "password": "Wrong1234"}, 401, "INVALID_LOGIN", None),
        ({"userName": "nobody", "password": PASSWORD}, 401, "INVALID_LOGIN", None),
    ],
)
async def test_login_refusals(rig: Rig, body: dict[str, str], status: int, key: str, property: str | None) -> None:
    answer = await rig.client().post("/auth/login", body)
    assert (answer.status_code, key_of(answer), answer.json()["property"]) == (status, key, property)


async def test_calls_without_a_valid_token_are_unauthenticated(rig: Rig) -> None:
    client = rig.client()
    for token in (None, "not-a-token", "Bearer not-a-token"):
        headers = {"Authorization": token} if token else {}
        answer = await client.get("/thingtypes", headers=headers)
        assert (answer.status_code, key_of(answer)) == (401, "NOT_AUTHENTICATED")


async def test_refresh_answers_as_login_with_a_new_token(rig: Rig) -> None:
    client = await rig.logged_in(ADMIN)
    old_token = client.token
    answer = await client.post("/auth/refresh", {"refreshToken": client.refresh_token})
    assert answer.status_code == 200
    refreshed = answer.json()
    assert set(refreshed) == {"user", "credentials", "permissions"} and refreshed["user"]["userName"] == ADMIN
    assert refreshed["credentials"]["token"] != old_token
    assert refreshed["credentials"]["refreshToken"] == client.refresh_token  # kept, as Cognito keeps it
    assert (await client.get("/user")).status_code == 401  # the old token is replaced
    client.token = refreshed["credentials"]["token"]
    assert (await client.get("/user")).status_code == 200
    for body, key in (({}, "PROPERTY_REQUIRED"), ({"refreshToken": "unknown"}, "INVALID_LOGIN")):
        assert key_of(await rig.client().post("/auth/refresh", body)) == key


async def test_logout_revokes_the_token_and_the_refresh_token(rig: Rig) -> None:
    client = await rig.logged_in(ADMIN)
    other = await rig.logged_in(ADMIN)
    assert (await client.post("/auth/logout")).json() == {}
    assert (await client.get("/user")).status_code == 401
    refused = await client.post("/auth/refresh", {"refreshToken": client.refresh_token})
    assert (refused.status_code, key_of(refused)) == (401, "INVALID_LOGIN")
    assert (await other.get("/user")).status_code == 200  # another login of the same user goes on
    assert len(await rig.server.store.load_registry_tokens()) == 1


async def test_expired_tokens_are_refused(rig: Rig) -> None:
    # A login stored with times in the past, as an old one is after an hour (access) or 30 days (refresh).
    now = datetime.now(UTC)
    record = RegistryTokenRecord(
        id=uuid.uuid4(),
        username=ADMIN,
        access_hash=hashlib.sha256(b"old-token").hexdigest(),
        access_expires=now - timedelta(seconds=1),
        refresh_hash=hashlib.sha256(b"old-refresh").hexdigest(),
        refresh_expires=now + timedelta(days=1),
        created=now - timedelta(hours=2),
    )
    await rig.server.store.save_registry_token(record)
    await rig.door.tokens.load()
    client = rig.client()
    client.token = "old-token"
    assert (await client.get("/user")).status_code == 401
    refreshed = await client.post("/auth/refresh", {"refreshToken": "old-refresh"})
    assert refreshed.status_code == 200  # the refresh token still is valid
    expired = RegistryTokenRecord(
        id=uuid.uuid4(),
        username=ADMIN,
        access_hash=hashlib.sha256(b"older").hexdigest(),
        access_expires=now - timedelta(days=31),
        refresh_hash=hashlib.sha256(b"older-refresh").hexdigest(),
        refresh_expires=now - timedelta(days=1),
        created=now - timedelta(days=31),
    )
    await rig.server.store.save_registry_token(expired)
    await rig.door.tokens.load()
    assert key_of(await client.post("/auth/refresh", {"refreshToken": "older-refresh"})) == "INVALID_LOGIN"
    assert expired.id not in {r.id for r in await rig.server.store.load_registry_tokens()}  # deleted when met


async def test_lifetimes_are_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch, access_token_seconds=60, refresh_token_days=2) as rig:
        before = datetime.now(UTC)
        await rig.logged_in(ADMIN)
        (record,) = await rig.server.store.load_registry_tokens()
        assert timedelta(seconds=59) < record.access_expires - before <= timedelta(seconds=61)
        assert (
            timedelta(days=2) - timedelta(seconds=1) < record.refresh_expires - before <= timedelta(days=2, seconds=1)
        )


async def test_a_removed_users_token_stops_working(rig: Rig) -> None:
    await rig.user("alice")
    alice = await rig.logged_in("alice")
    await rig.server.security.remove_user("alice")
    assert (await alice.get("/user")).status_code == 401
    # Its login is deleted at the next reload (start, or the control socket's `reload`).
    await rig.door.tokens.load()
    assert [record.username for record in await rig.server.store.load_registry_tokens()] == []


async def test_failed_logins_lock_the_address_out_with_retry_after(rig: Rig) -> None:
    client = rig.client()
    for _ in range(5):
        answer = await client.post("/auth/login", {"userName": ADMIN, "password": "Wrong1234"})
        assert answer.status_code == 401
    locked = await client.post("/auth/login", {"userName": ADMIN, "password": PASSWORD})  # even the right one
    assert (locked.status_code, key_of(locked)) == (429, "TOO_MANY_REQUESTS")
    assert int(locked.headers["Retry-After"]) >= 1
    refresh = await client.post("/auth/refresh", {"refreshToken": "whatever"})
    assert refresh.status_code == 429
    # The lockout is the hub's shared one: JSON-RPC refuses the right password from that address too.
    assert rig.server.context.login_limiter.check("127.0.0.1") > 0
    port = rig.server.doors["jsonrpc"].tcp_port  # type: ignore[attr-defined]
    rpc = await RpcClient.tcp(port, tls=False)
    try:
        await rpc.hello()
        reply = await rpc.call("JSONRPC.Authenticate", {"username": ADMIN, "password": PASSWORD, "deviceName": "t"})
        assert reply["success"] is False
    finally:
        await rpc.close()


# -- API keys from the command line, while the hub runs ----------------------------------------------


async def thinggate(data_dir: Path, *args: str) -> str:
    """Run the command line against the data directory (without blocking the hub in this process)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "thinggate.cli",
        *args,
        "--data-dir",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=data_dir,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def test_apikey_add_and_revoke_reach_the_running_hub(rig: Rig) -> None:
    data_dir = rig.server.config.data_dir
    key = (await thinggate(data_dir, "apikey", "add", "--name", "ci")).splitlines()[0].strip()
    client = rig.client(api_key=key)
    assert (await client.post("/auth/login", {"userName": ADMIN, "password": PASSWORD})).status_code == 200
    listed = await thinggate(data_dir, "apikey", "list")
    assert "ci" in listed and "(hashed)" in listed and key not in listed
    assert rig.api_key in listed  # the published key is public: it is listed
    await thinggate(data_dir, "apikey", "revoke", "ci")
    answer = await client.post("/auth/login", {"userName": ADMIN, "password": PASSWORD})
    assert (answer.status_code, key_of(answer)) == (403, "INVALID_API_KEY")
