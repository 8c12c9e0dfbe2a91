"""`thinggate thinknx key|tree`, `thinggate user digest` and `thinggate knx import`, run as real processes."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.command import ROOT, read_until, thinggate
from tests.integrations.knx.knxproj import LIVING_DIMMER, Ga, Main, Middle, Room, write_knxproj
from tests.peers import free_port
from thinggate.api.thinknx.key import KeyState, load_key
from thinggate.core.guids import guid_of
from thinggate.storage import open_store


def _project(path: Path) -> Path:
    return write_knxproj(
        path,
        name="Small house",
        mains=[
            Main(
                "Lights",
                [
                    Middle(
                        "Living",
                        [
                            *LIVING_DIMMER,
                        ],
                    )
                ],
            ),
            Main("Central", [Middle("Misc", [Ga("4/0/2", "Clock", "10.001")])]),
        ],
        rooms=(Room("Living room", {"Dimmer": ["1/0/1", "1/0/3"]}),),
    )


def _stored(data_dir: Path) -> list[tuple[str, str, str]]:
    async def read() -> list[tuple[str, str, str]]:
        store = await open_store(None, data_dir)
        try:
            return sorted((r.name, r.room, guid_of(r.id)) for r in await store.load_things())
        finally:
            await store.close()

    return asyncio.run(read())


def test_knx_import_adds_the_classified_things_once_and_reports_what_it_skipped(tmp_path: Path) -> None:
    project = _project(tmp_path / "house.knxproj")
    dry = thinggate("knx", "import", str(project), "--dry-run", data_dir=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "knxDimmer" in dry.stdout and "4/0/2" in dry.stdout and "would be added" in dry.stdout
    assert _stored(tmp_path) == []

    first = thinggate("knx", "import", str(project), data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "added 1 things, 0 were imported before" in first.stdout
    stored = _stored(tmp_path)
    assert [(name, room) for name, room, _ in stored] == [("Living dimmer", "Living room")]

    again = thinggate("knx", "import", str(project), data_dir=tmp_path)
    assert "added 0 things, 1 were imported before" in again.stdout
    assert _stored(tmp_path) == stored

    tree = thinggate("thinknx", "tree", data_dir=tmp_path)
    assert tree.returncode == 0, tree.stderr
    guid = stored[0][2]
    assert f"guid {guid}" in tree.stdout
    assert f"/api/V1/powerlevel?guid={guid}&cmd=[0 to 100]&fb" in tree.stdout
    assert f"/api/V1/powerstatus?guid={guid}" in tree.stdout
    assert "heightlevel" not in tree.stdout  # a dimmer has no blind controllers


def test_knx_import_of_a_broken_file_fails_with_a_message(tmp_path: Path) -> None:
    broken = tmp_path / "broken.knxproj"
    broken.write_bytes(b"not a zip")
    result = thinggate("knx", "import", str(broken), data_dir=tmp_path)
    assert result.returncode == 1
    assert "cannot import" in result.stderr


def _key_state(data_dir: Path) -> KeyState:
    async def read() -> KeyState:
        store = await open_store(None, data_dir)
        try:
            return await load_key(store)
        finally:
            await store.close()

    return asyncio.run(read())


def _database_bytes(data_dir: Path) -> bytes:
    return b"".join(path.read_bytes() for path in data_dir.glob("thinggate.db*"))


def _shown_key(output: str) -> str:
    match = re.search(r"^([A-Za-z0-9]+)  \((enabled|disabled)\)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_thinknx_key_is_shown_once_when_made_and_stored_hashed(tmp_path: Path) -> None:
    shown = thinggate("thinknx", "key", data_dir=tmp_path)
    assert shown.returncode == 0 and "no integration key yet" in shown.stdout
    enabled = thinggate("thinknx", "key", "--enable", data_dir=tmp_path)
    assert enabled.returncode == 0, enabled.stderr
    key = _shown_key(enabled.stdout)
    assert len(key) == 43 and "(enabled)" in enabled.stdout and "only time" in enabled.stdout
    state = _key_state(tmp_path)
    assert state == KeyState.of(key, enabled=True) and state.key_hash != key
    assert key.encode() not in _database_bytes(tmp_path)  # the stored key is not the key
    # shown once: afterwards the command says whether a key is set and enabled, never the key
    again = thinggate("thinknx", "key", data_dir=tmp_path)
    assert key not in again.stdout and "set and enabled" in again.stdout
    disabled = thinggate("thinknx", "key", "--disable", data_dir=tmp_path)
    assert key not in disabled.stdout and "set and disabled" in disabled.stdout
    assert _key_state(tmp_path) == KeyState.of(key, enabled=False)
    enabled_again = thinggate("thinknx", "key", "--enable", data_dir=tmp_path)
    assert key not in enabled_again.stdout
    assert _key_state(tmp_path) == KeyState.of(key, enabled=True)  # enabling again keeps the key
    regenerated = thinggate("thinknx", "key", "--regenerate", data_dir=tmp_path)
    new_key = _shown_key(regenerated.stdout)
    assert new_key != key and _key_state(tmp_path) == KeyState.of(new_key, enabled=True)
    both = thinggate("thinknx", "key", "--enable", "--disable", data_dir=tmp_path)
    assert both.returncode == 2


def test_user_digest_is_opt_in_and_enabling_needs_the_password(tmp_path: Path) -> None:
    password = "Secret123"
    assert thinggate("user", "add", "alice", "--password", password, data_dir=tmp_path).returncode == 0
    added = thinggate("user", "add", "bob", "--password", password, "--digest", data_dir=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "refused" in thinggate("user", "digest", "alice", data_dir=tmp_path).stdout
    bob = thinggate("user", "digest", "bob", data_dir=tmp_path).stdout
    realm = re.search(r"allowed \(realm (thinggate-[0-9a-f]{8})\)", bob)
    assert realm, bob
    wrong = thinggate("user", "digest", "alice", "--enable", "--password", "Wrong1234", data_dir=tmp_path)
    assert wrong.returncode == 1 and "BadPassword" in wrong.stderr
    enabled = thinggate("user", "digest", "alice", "--enable", "--password", password, data_dir=tmp_path)
    assert enabled.returncode == 0 and "allowed" in enabled.stdout, enabled.stderr
    disabled = thinggate("user", "digest", "bob", "--disable", data_dir=tmp_path)
    assert disabled.returncode == 0 and "refused" in disabled.stdout

    async def read() -> dict[str, dict[str, str]]:
        store = await open_store(None, tmp_path)
        try:
            return {record.username: record.digest_ha1 for record in await store.load_users()}
        finally:
            await store.close()

    secrets = asyncio.run(read())
    expected = hashlib.sha256(f"alice:{realm.group(1)}:{password}".encode()).hexdigest()
    assert secrets == {"alice": {"MD5": secrets["alice"]["MD5"], "SHA-256": expected}, "bob": {}}


def test_serve_with_knx_things_in_the_file_keeps_their_guids_and_serves_them_over_thinknx(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "thinggate.toml").write_text(
        f"""
[ports]
jsonrpc_tcp = 0
jsonrpc_ws = 0
ezlo = 0
thinknx = {port}
http = 0

[jsonrpc]
tcp_tls = false
zeroconf = false

[ezlo]
zeroconf = false

[knx]
gateway_ip = "127.0.0.1"
gateway_port = {free_port()}

[[knx.things]]
class = "knxSwitch"
name = "Hall light"
room = "Hall"
guid = "1lzPszHWAeuvzxtXBMkzWQ"
address = "1/0/1"
stateAddress = "1/0/2"
"""
    )
    assert thinggate("user", "add", "alice", "--password", "Secret123", data_dir=tmp_path).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "thinggate.cli", "serve", "--data-dir", str(tmp_path)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stderr is not None
        read_until(process.stderr, "thinggate is up")
        base = f"http://127.0.0.1:{port}/api/V1"
        auth = ("alice", "Secret123")
        known = httpx.get(f"{base}/powerstatus", params={"guid": "1lzPszHWAeuvzxtXBMkzWQ"}, auth=auth)
        # Found by its own GUID; the gateway is not there, so its status is not known.
        assert (known.status_code, known.json()) == (500, {"error": "impossible to execute"})
        unknown = httpx.get(f"{base}/powerstatus", params={"guid": "AAAAAAAAAAAAAAAAAAAAAA"}, auth=auth)
        assert unknown.status_code == 404
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert ("Hall light", "Hall", "1lzPszHWAeuvzxtXBMkzWQ") in _stored(tmp_path)


def test_serve_with_a_bad_knx_table_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "thinggate.toml").write_text('[knx]\nconnection_type = "carrier-pigeon"\n')
    result = thinggate("serve", data_dir=tmp_path)
    assert result.returncode == 2
    assert "configuration error" in result.stderr and "carrier-pigeon" in result.stderr


def test_serve_with_bad_thinknx_settings_is_a_configuration_error(tmp_path: Path) -> None:
    for setting, named in (
        ('rate_limit = "lots"', "rate_limit"),
        ("feedback_seconds = -1", "feedback_seconds"),
        ("nonce_seconds = 0", "nonce_seconds"),
        ("max_failed_logins = 0", "max_failed_logins"),
    ):
        (tmp_path / "thinggate.toml").write_text(
            f"[ports]\njsonrpc_tcp = 0\njsonrpc_ws = 0\nezlo = 0\nthinknx = 0\n[jsonrpc]\nzeroconf = false\n"
            "[ezlo]\nzeroconf = false\n"
            f"[thinknx]\n{setting}\n"
        )
        result = thinggate("serve", data_dir=tmp_path)
        assert result.returncode == 2, (setting, result.stderr)
        assert "configuration error" in result.stderr and named in result.stderr
