"""Configuration: one optional TOML file (thinggate.toml); defaults run with nothing configured."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from thinggate.api.guard import ListenerLimits
from thinggate.doors import DOORS
from thinggate.mqtt.settings import MqttConfig


def default_data_dir() -> Path:
    """Where data lives when nothing says otherwise: $THINGGATE_DATA, else the XDG data folder."""
    if env := os.environ.get("THINGGATE_DATA"):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "thinggate"


@dataclass(frozen=True, slots=True)
class Ports:
    """TCP ports of the doors (0 picks a free port, None closes the door)."""

    jsonrpc_tcp: int | None = 2222
    jsonrpc_ws: int | None = 4444
    ezlo: int | None = 17000
    thinknx: int | None = 5051
    http: int | None = 8080


@dataclass(frozen=True, slots=True)
class VirtualConfig:
    """Settings of the virtual integration."""

    enabled: bool = True
    time_scale: float = 1.0
    test_control: bool = False
    test_control_port: int | None = None
    auto_things: bool = False  # the test bed's auto thing: tests ask for it, a house does not want it
    testbed: bool = False  # the test bed's thing classes (mock devices for tests; on with auto_things)


@dataclass(frozen=True, slots=True)
class HistoryConfig:
    """The `[history]` section: how long history (readings, logged states, events, actions) is kept."""

    retention_days: float = 365.0  # entries older than this are deleted (at start, then hourly); 0 = kept forever

    @property
    def retention(self) -> timedelta | None:
        """The retention period, or None to keep everything."""
        return timedelta(days=self.retention_days) if self.retention_days else None

    def check(self) -> None:
        """Raise ValueError naming a value the hub cannot work with."""
        value = self.retention_days
        # The bound keeps "now - retention" a date Python can hold (years from 1).
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100_000:
            raise ValueError(f"retention_days = {value!r}: must be a number of days from 0 (keep forever) to 100000")


@dataclass(frozen=True, slots=True)
class Config:
    """Everything `thinggate serve` needs."""

    data_dir: Path = field(default_factory=default_data_dir)
    database: str | None = None
    bind: str = "0.0.0.0"
    log_level: str = "INFO"
    ports: Ports = field(default_factory=Ports)
    virtual: VirtualConfig = field(default_factory=VirtualConfig)
    doors: Mapping[str, Any] = field(default_factory=dict)
    """Each door's settings by section name (thinggate.doors.DOORS); a door not given has its defaults."""
    limits: ListenerLimits = field(default_factory=ListenerLimits)  # [limits]: how every listener defends itself
    knx: dict[str, Any] | None = None  # the [knx] table as written; the KNX integration reads it
    mqtt: MqttConfig = field(default_factory=MqttConfig)  # [mqtt]: the broker the hub connects out to, if any
    history: HistoryConfig = field(default_factory=HistoryConfig)  # [history]: how long history is kept

    def door(self, name: str) -> Any:
        """The settings of the door whose section is `name` (its defaults when none were given)."""
        settings = self.doors.get(name)
        if settings is None:
            settings = next(spec.settings for spec in DOORS if spec.name == name)()
        return settings

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with the given top-level values replaced (None means: keep)."""
        return replace(self, **{key: value for key, value in overrides.items() if value is not None})


class ConfigError(ValueError):
    """The configuration file is malformed; the message names the key and the value."""


def _section(cls: type[Any], raw: dict[str, Any], where: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"unknown key(s) {sorted(unknown)} in [{where}]; known: {sorted(known)}")
    return cls(**raw)


def load_config(path: Path | None = None) -> Config:
    """Read thinggate.toml (the given path, else ./thinggate.toml if present, else defaults)."""
    candidate = path or Path("thinggate.toml")
    if not candidate.exists():
        if path is not None:
            raise ConfigError(f"configuration file {path} does not exist")
        return Config()
    try:
        raw = tomllib.loads(candidate.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{candidate}: {exc}") from None
    ports = _section(Ports, raw.pop("ports", {}), "ports")
    virtual = _section(VirtualConfig, raw.pop("virtual", {}), "virtual")
    doors = {spec.name: _section(spec.settings, raw.pop(spec.name, {}), spec.name) for spec in DOORS}
    limits = _section(ListenerLimits, raw.pop("limits", {}), "limits")
    mqtt = _section(MqttConfig, raw.pop("mqtt", {}), "mqtt")
    history_section = raw.pop("history", {})
    if not isinstance(history_section, dict):
        raise ConfigError(f"[history] must be a table, not {history_section!r}")
    history = _section(HistoryConfig, history_section, "history")
    knx = raw.pop("knx", None)
    if knx is not None and not isinstance(knx, dict):
        raise ConfigError(f"[knx] must be a table, not {knx!r}")
    if "data_dir" in raw:
        raw["data_dir"] = Path(raw["data_dir"]).expanduser()
    config = _section(Config, raw, "top level")
    return replace(
        config, ports=ports, virtual=virtual, doors=doors, limits=limits, knx=knx, mqtt=mqtt, history=history
    )
