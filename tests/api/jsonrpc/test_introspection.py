"""JSONRPC.Introspect, Version and KeepAlive (§6.17, §3.5): nymea's declaration, served method by method."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import thinggate
from tests.api.jsonrpc.protocol import API_FILE, API_SHA256, IMPLEMENTED, alive
from tests.api.jsonrpc.rig import Rig, jsonrpc_rig


def _refs(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value[5:]} if value.startswith("$ref:") else set()
    if isinstance(value, list):
        return set().union(*(_refs(item) for item in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(_refs(item) for item in value.values())) if value else set()
    return set()


def test_the_shipped_introspection_is_nymeas_file_byte_for_byte() -> None:
    assert hashlib.sha256(API_FILE.read_bytes()).hexdigest() == API_SHA256


async def test_introspect_is_nymeas_declaration_of_the_implemented_namespaces(tmp_path: Path) -> None:
    nymea = json.loads(API_FILE.read_text(encoding="utf-8"))
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        ours = await client.call("JSONRPC.Introspect")
    assert set(ours) == {"enums", "flags", "types", "methods", "notifications"}
    # Every $ref resolves within the reply, and no definition is itself a $ref.
    known = set(ours["enums"]) | set(ours["flags"]) | set(ours["types"])
    unresolved = _refs({key: ours[key] for key in ("methods", "notifications", "types", "flags")}) - known
    assert unresolved == set()
    for section in ("types", "enums", "flags"):
        for name, definition in ours[section].items():
            assert not (isinstance(definition, str) and definition.startswith("$ref:")), (section, name)
    # Each entry is exactly nymea's.
    for section in ("methods", "notifications", "types", "enums", "flags"):
        for name, definition in ours[section].items():
            assert name in nymea[section], (section, name)
            assert definition == nymea[section][name], (section, name)
    # The namespaces we serve are complete.
    for section in ("methods", "notifications"):
        declared = {name for name in nymea[section] if name.split(".", 1)[0] in IMPLEMENTED}
        assert set(ours[section]) == declared, section


async def test_every_declared_method_of_the_implemented_namespaces_is_served(tmp_path: Path) -> None:
    nymea = json.loads(API_FILE.read_text(encoding="utf-8"))
    declared = sorted(name for name in nymea["methods"] if name.split(".", 1)[0] in IMPLEMENTED)
    async with jsonrpc_rig(tmp_path) as rig:
        client = await rig.admin()
        for method in declared:
            # An unknown key is rejected by validation: the method exists, and nothing runs.
            reply = await client.request(method, {"zzz": 1})
            assert reply["status"] == "error", method
            assert reply["error"] == f"Invalid params: Invalid key: zzz in {method}, param zzz", reply
        await alive(client)


async def test_version_and_keep_alive(rig: Rig) -> None:
    client = await rig.admin()
    version = await client.call("JSONRPC.Version")
    assert version["version"] == thinggate.__version__
    assert version["protocol version"] == "9.0"
    assert isinstance(version["qtVersion"], str) and isinstance(version["qtBuildVersion"], str)
    assert await client.call("JSONRPC.KeepAlive", {"sessionId": "s-1 ✓"}) == {"success": True, "sessionId": "s-1 ✓"}
