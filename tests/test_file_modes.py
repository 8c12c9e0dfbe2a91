"""Owner-only data: the data directory is 0700 and every file thinggate makes in it 0600.

Checked by walking the data directory of a hub started by the composition root (with the SQLite
database and its -wal and -shm, the TLS material, the server uuid and the control socket), of a
data directory an older version left 0755 with 0644 files, and of one the command line made.
"""

from __future__ import annotations

import stat
from pathlib import Path

from tests.command import thinggate
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.config import Config, Ports, VirtualConfig
from thinggate.server import start_server

PASSWORD = "Secret123"


def hub_config(data_dir: Path) -> Config:
    """Every door that makes files on (JSON-RPC and Ezlo with their self-signed certificates)."""
    return Config(
        data_dir=data_dir,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=0, thinknx=0, http=None),
        doors={"jsonrpc": JsonRpcConfig(zeroconf=False), "ezlo": EzloConfig(tls=True)},
        virtual=VirtualConfig(auto_things=False),
    )


def too_open(data_dir: Path) -> list[str]:
    """Every path under data_dir (itself included) others than its owner may use, with its mode."""
    found = []
    for path in [data_dir, *sorted(data_dir.rglob("*"))]:
        mode = path.lstat().st_mode
        if stat.S_ISDIR(mode):
            wrong = stat.S_IMODE(mode) != 0o700
        elif stat.S_ISREG(mode):
            wrong = stat.S_IMODE(mode) != 0o600
        else:  # the control socket: only its owner may connect
            wrong = mode & 0o077 != 0
        if wrong:
            found.append(f"{path.relative_to(data_dir.parent)} {stat.filemode(mode)}")
    return found


def names(data_dir: Path) -> set[str]:
    """Paths under data_dir, relative to it."""
    return {str(path.relative_to(data_dir)) for path in data_dir.rglob("*")}


async def run_hub_and_check(data_dir: Path) -> None:
    """Start the hub, give it a user and a write, and walk the data directory running and stopped."""
    server = await start_server(hub_config(data_dir))
    try:
        await server.security.create_user("alice", PASSWORD, digest=True)
        present = names(data_dir)
        expected = {"thinggate.db", "thinggate.db-wal", "thinggate.db-shm", "server-uuid", "control.sock"}
        expected |= {f"tls/{door}.{kind}" for door in ("jsonrpc", "ezlo") for kind in ("crt", "key")}
        assert expected <= present, present
        assert too_open(data_dir) == []
    finally:
        await server.stop()
    assert too_open(data_dir) == []


async def test_a_new_data_directory_and_everything_in_it_are_owner_only(tmp_path: Path) -> None:
    await run_hub_and_check(tmp_path / "data")


async def test_a_data_directory_an_older_version_made_is_narrowed_at_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = await start_server(hub_config(data_dir))
    await server.stop()
    # As an older version left it: the directories 0755, the files 0644, a -wal left by a crash.
    (data_dir / "thinggate.db-wal").write_bytes(b"")
    for path in [data_dir, *data_dir.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
        elif path.is_file():
            path.chmod(0o644)
    assert too_open(data_dir) != []
    await run_hub_and_check(data_dir)


def test_the_command_line_makes_its_files_owner_only_too(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)  # e.g. made by hand before the first command
    data_dir.chmod(0o755)
    added = thinggate("user", "add", "alice", "--password", PASSWORD, "--digest", data_dir=data_dir)
    assert added.returncode == 0, added.stderr
    assert "thinggate.db" in names(data_dir)
    assert too_open(data_dir) == []
