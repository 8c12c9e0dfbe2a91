"""Configuration: one optional TOML file (thinggate.toml); defaults run with nothing configured."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from thinggate.api.guard import ListenerLimits


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


@dataclass(frozen=True, slots=True)
class JsonRpcConfig:
    """Settings of the nymea JSON-RPC door (TLS and authentication are per transport, as in nymea)."""

    tcp_tls: bool = True
    tcp_authentication: bool = True
    ws_tls: bool = True
    ws_authentication: bool = True
    certificate: str | None = None  # PEM file; replaces the self-signed one
    private_key: str | None = None
    zeroconf: bool = True
    server_name: str = "thinggate"
    lockdown_seconds: float = 3.0
    max_connections: int = 1000
    push_button_interval: float = 5.0  # seconds an address waits before asking for push-button auth again


@dataclass(frozen=True, slots=True)
class EzloConfig:
    """Settings of the Ezlo door: wss:// always, ws:// only with insecure access, login unless anonymous."""

    tls: bool = True
    insecure_access: bool = False  # plain ws:// on the same port
    anonymous_access: bool = False  # no hub.offline.login.ui needed
    certificate: str | None = None  # PEM file; replaces the self-signed one (CN = hub serial)
    private_key: str | None = None
    zeroconf: bool = True  # announce _ezlo._tcp (TXT serial) as Ezlo hubs do


@dataclass(frozen=True, slots=True)
class ThinknxConfig:
    """Settings of the Thinknx Integration Kit door (REST on ports.thinknx)."""

    feedback_seconds: float = 3.0  # how long `fb` waits for the device's feedback before 500
    rate_limit: str = "100/second"  # per client address, `limits` notation; "" turns it off
    nonce_seconds: float = 300.0  # digest nonces expire (stale=true) after this long
    max_failed_logins: int = 5  # wrong credentials per address and minute before 429
    tls: bool = True  # https:// as well as http:// on the same port (the JSON-RPC door's certificate)
    hooks_allow_loopback: bool = False  # REST hooks may POST to this machine (a receiver on the hub's own host)


@dataclass(frozen=True, slots=True)
class Config:
    """Everything `thinggate serve` needs."""

    data_dir: Path = field(default_factory=default_data_dir)
    database: str | None = None
    bind: str = "0.0.0.0"
    log_level: str = "INFO"
    ports: Ports = field(default_factory=Ports)
    virtual: VirtualConfig = field(default_factory=VirtualConfig)
    jsonrpc: JsonRpcConfig = field(default_factory=JsonRpcConfig)
    ezlo: EzloConfig = field(default_factory=EzloConfig)
    thinknx: ThinknxConfig = field(default_factory=ThinknxConfig)
    limits: ListenerLimits = field(default_factory=ListenerLimits)  # [limits]: how every listener defends itself
    knx: dict[str, Any] | None = None  # the [knx] table as written; the KNX integration reads it

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
    jsonrpc = _section(JsonRpcConfig, raw.pop("jsonrpc", {}), "jsonrpc")
    ezlo = _section(EzloConfig, raw.pop("ezlo", {}), "ezlo")
    thinknx = _section(ThinknxConfig, raw.pop("thinknx", {}), "thinknx")
    limits = _section(ListenerLimits, raw.pop("limits", {}), "limits")
    knx = raw.pop("knx", None)
    if knx is not None and not isinstance(knx, dict):
        raise ConfigError(f"[knx] must be a table, not {knx!r}")
    if "data_dir" in raw:
        raw["data_dir"] = Path(raw["data_dir"]).expanduser()
    config = _section(Config, raw, "top level")
    return replace(
        config, ports=ports, virtual=virtual, jsonrpc=jsonrpc, ezlo=ezlo, thinknx=thinknx, limits=limits, knx=knx
    )
