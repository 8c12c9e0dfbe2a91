"""`[history]` in thinggate.toml: the retention is read, checked before anything starts, and applied by a served hub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.storage.backends import new_id
from thinggate.api.registry.settings import RegistryConfig
from thinggate.config import Config, ConfigError, HistoryConfig, Ports, VirtualConfig, load_config
from thinggate.core.store import HistoryEntry
from thinggate.server import start_server
from thinggate.storage import open_store


def config(data_dir: Path, history: HistoryConfig) -> Config:
    """A hub with no door open, on SQLite in `data_dir`."""
    return Config(
        data_dir=data_dir,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=None, jsonrpc_ws=None, ezlo=None, thinknx=None, http=None),
        doors={"registry": RegistryConfig(enabled=False)},
        virtual=VirtualConfig(enabled=False),
        history=history,
    )


def test_the_retention_is_read_from_thinggate_toml(tmp_path: Path) -> None:
    assert Config().history == HistoryConfig(retention_days=365.0)  # the default: a year
    toml = tmp_path / "thinggate.toml"
    toml.write_text("[history]\nretention_days = 30\n")
    settings = load_config(toml).history
    assert settings.retention_days == 30 and settings.retention == timedelta(days=30)
    toml.write_text("[history]\nretention_days = 0\n")
    assert load_config(toml).history.retention is None  # kept forever
    toml.write_text("[history]\nretention = 30\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['retention'\] in \[history\]"):
        load_config(toml)
    toml.write_text("history = 30\n")
    with pytest.raises(ConfigError, match=r"\[history\] must be a table"):
        load_config(toml)


@pytest.mark.parametrize("value", [-1, "30", True, 100_001, float("nan")])
async def test_a_retention_the_hub_cannot_use_is_refused_before_anything_starts(tmp_path: Path, value: object) -> None:
    with pytest.raises(ConfigError, match=rf"\[history\] retention_days = {value!r}".replace("(", r"\(")):
        await start_server(config(tmp_path, HistoryConfig(retention_days=value)))  # type: ignore[arg-type]
    assert not (tmp_path / "thinggate.db").exists()


async def test_a_served_hub_deletes_history_past_the_retention_at_start(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    sensor, metric = new_id(), new_id()
    store = await open_store(None, tmp_path)
    await store.append_history(
        [HistoryEntry(now - timedelta(days=days), sensor, "state", metric, days) for days in (1, 29, 31, 400)]
    )
    await store.close()

    server = await start_server(config(tmp_path, HistoryConfig(retention_days=30)))
    try:
        assert server.hub.history_retention is not None
        await server.hub.history_retention.wait_for_pass(1)
        left = await server.store.load_history(sensor)
    finally:
        await server.stop()
    assert [entry.value for entry in left] == [1, 29]
