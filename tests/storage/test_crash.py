"""An acknowledged configuration change survives SIGKILL (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.hubtools import running_hub
from thinggate.storage import open_store

WORKER = Path(__file__).with_name("crash_worker.py")
ACKS_BEFORE_KILL = 60


async def run_and_kill(data_dir: Path, database: str | None) -> dict[str, dict[str, Any]]:
    """Run the worker, SIGKILL it mid-stream; answer the acknowledged state per thing id."""
    env = {**os.environ, "PYTHONPATH": str(WORKER.parents[2])}
    args = [sys.executable, str(WORKER), str(data_dir)] + ([database] if database else [])
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=env
    )
    assert process.stdout is not None
    expected: dict[str, dict[str, Any]] = {}
    acks = 0
    try:
        while acks < ACKS_BEFORE_KILL:
            raw = await asyncio.wait_for(process.stdout.readline(), 60)
            assert raw, "the worker died before it was killed"
            message = json.loads(raw)
            if message.get("ready"):
                continue
            acks += 1
            if message["op"] == "add":
                expected[message["id"]] = {"name": message["name"], "min": message["min"]}
            elif message["op"] == "rename":
                expected[message["id"]]["name"] = message["name"]
            elif message["op"] == "remove":
                expected[message["id"]] = {"removed": True}
        # Kill while it is still busy with the next change: no chance to flush or close anything.
        process.send_signal(signal.SIGKILL)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
    assert process.returncode == -signal.SIGKILL
    return expected


async def check_survivors(data_dir: Path, database: str | None, expected: dict[str, dict[str, Any]]) -> None:
    store = await open_store(database, data_dir)
    try:
        async with running_hub(store, auto_things=False) as (hub, virtual):
            min_value = virtual.thing_class_named("analogValue").param_type_named("minValue")
            assert min_value is not None
            for thing_id, state in expected.items():
                thing = hub.things.get(uuid.UUID(thing_id))
                if state.get("removed"):
                    assert thing is None, f"{thing_id} was removed and acknowledged, but came back"
                    continue
                assert thing is not None, f"acknowledged thing {thing_id} was lost"
                assert thing.name == state["name"]
                assert thing.params[min_value.id] == state["min"]
                assert thing.room == "r"
    finally:
        await store.close()


async def test_acknowledged_changes_survive_sigkill_sqlite(tmp_path: Path) -> None:
    expected = await run_and_kill(tmp_path, None)
    assert len(expected) >= ACKS_BEFORE_KILL // 3
    await check_survivors(tmp_path, None, expected)


@pytest.mark.postgres
async def test_acknowledged_changes_survive_sigkill_postgres(tmp_path: Path, postgres_url: str) -> None:
    expected = await run_and_kill(tmp_path, postgres_url)
    await check_survivors(tmp_path, postgres_url, expected)
