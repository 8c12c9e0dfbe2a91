"""`thinggate oauth-client add | list | revoke`, run as a real process beside a running hub on the same data.

The hub runs in this process (the sensor-data door on a free loopback port). A client made on the
command line gets a token at once, and a revoked one's token stops at once: the command line tells
the hub through its control socket.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.api.sensordata.rig import ADMIN, Rig, sensordata_rig
from tests.command import thinggate


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    async with sensordata_rig(tmp_path, monkeypatch) as running:
        await running.user("reader", role="Read")
        yield running


async def cli(*args: str, data_dir: Path) -> tuple[int, str, str]:
    """Run `thinggate ARGS` beside the hub (in a thread: the hub in this loop answers its control socket)."""
    finished = await asyncio.to_thread(thinggate, *args, data_dir=data_dir)
    assert "could not tell" not in finished.stderr, finished.stderr
    return finished.returncode, finished.stdout, finished.stderr


async def token(rig: Rig, client_id: str, secret: str, scope: str | None = None) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope:
        form["scope"] = scope
    async with httpx.AsyncClient(base_url=rig.base) as http:
        return await http.post("/connect/token", data=form)


async def nodes(rig: Rig, access_token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=rig.base) as http:
        return await http.get(
            "/sensor-data/integrations/nodes",
            params={"iTwinId": "some-twin"},
            headers={"Authorization": f"Bearer {access_token}"},
        )


async def test_a_client_added_on_the_command_line_works_at_once_and_stops_when_revoked(
    rig: Rig, tmp_path: Path
) -> None:
    code, out, err = await cli("oauth-client", "add", "gateway", "--user", ADMIN, data_dir=tmp_path)
    assert code == 0, err
    client_id = re.search(r"^client_id: (\S+)$", out, re.MULTILINE)
    secret = re.search(r"^client_secret: (\S+)$", out, re.MULTILINE)
    assert client_id and secret, out
    stored = await rig.server.store.load_oauth_clients()
    assert [record.client_id for record in stored] == [client_id.group(1)]
    assert secret.group(1) not in stored[0].secret_hash  # kept as its digest only
    granted = await token(rig, client_id.group(1), secret.group(1))
    assert granted.status_code == 200, granted.text
    access = granted.json()["access_token"]
    assert (await nodes(rig, access)).status_code == 404  # served (the iTwin is unknown)

    code, out, _ = await cli("oauth-client", "list", data_dir=tmp_path)
    assert code == 0 and client_id.group(1) in out and "gateway" in out and "itwin-platform" in out
    assert secret.group(1) not in out

    code, out, err = await cli("oauth-client", "revoke", "gateway", data_dir=tmp_path)
    assert code == 0, err
    assert (await nodes(rig, access)).status_code == 401  # at once: the hub reloaded its clients
    assert (await token(rig, client_id.group(1), secret.group(1))).status_code == 401
    assert await rig.server.store.load_oauth_clients() == []


async def test_scopes_users_and_names_are_checked(rig: Rig, tmp_path: Path) -> None:
    code, out, err = await cli(
        "oauth-client", "add", "viewer", "--user", "reader", "--scope", "sensor-data:read", data_dir=tmp_path
    )
    assert code == 0, err
    client_id = re.search(r"^client_id: (\S+)$", out, re.MULTILINE)
    secret = re.search(r"^client_secret: (\S+)$", out, re.MULTILINE)
    assert client_id and secret
    assert (await token(rig, client_id.group(1), secret.group(1), "sensor-data:read")).status_code == 200
    assert (await token(rig, client_id.group(1), secret.group(1), "itwin-platform")).status_code == 400
    code, _, err = await cli("oauth-client", "add", "x", "--user", "nobody", data_dir=tmp_path)
    assert code == 1 and "InvalidUserId" in err
    code, _, err = await cli("oauth-client", "add", "x", "--user", ADMIN, "--scope", "everything", data_dir=tmp_path)
    assert code == 2 and "unknown scope" in err
    code, _, err = await cli("oauth-client", "revoke", "nothing-such", data_dir=tmp_path)
    assert code == 1 and "no OAuth client" in err
    assert len(await rig.server.store.load_oauth_clients()) == 1
