"""The `[mqtt]` section of thinggate.toml: which broker the hub connects out to, and how (cheap to import)."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path

SCHEMES = {"mqtt": (False, 1883), "mqtts": (True, 8883)}
"""URL scheme -> (TLS, default port)."""


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is and who the hub is there, read from `[mqtt] url`."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        # Never the password: settings end up in logs and tracebacks.
        user = f"{self.username}@" if self.username else ""
        return f"BrokerAddress({'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port})"


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """Settings of the hub's MQTT connection; no `url` means no broker (and no MQTT things or lifecycle events)."""

    url: str = ""  # mqtt://[user:password@]host[:port], or mqtts:// for TLS
    ca_file: str = ""  # PEM file of the CA(s) that signed the broker's certificate ("" = the system's CAs)
    cert_file: str = ""  # the hub's client certificate (PEM), for brokers that authenticate clients by certificate
    key_file: str = ""  # its private key (PEM)
    client_id: str = ""  # the hub's MQTT client id ("" = thinggate-<server uuid>)
    keepalive_seconds: int = 30  # the broker notices a dead hub after 1.5 x this
    reconnect_seconds: float = 2.0  # first wait before connecting again; doubles up to 60 s

    @property
    def enabled(self) -> bool:
        """Whether a broker is configured."""
        return bool(self.url)

    def address(self) -> BrokerAddress:
        """The broker's address from `url`; ValueError naming what is wrong with it."""
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme not in SCHEMES:
            raise ValueError(f"url = {self._shown_url()!r}: must start with mqtt:// or mqtts://")
        tls, default_port = SCHEMES[parsed.scheme]
        if not parsed.hostname:
            raise ValueError(f"url = {self._shown_url()!r}: names no host")
        if parsed.path not in ("", "/") or parsed.query or parsed.fragment:
            raise ValueError(f"url = {self._shown_url()!r}: only scheme, user, password, host and port are used")
        try:
            port = parsed.port or default_port
        except ValueError:
            raise ValueError(f"url = {self._shown_url()!r}: the port must be a number from 1 to 65535") from None
        username = urllib.parse.unquote(parsed.username) if parsed.username is not None else None
        password = urllib.parse.unquote(parsed.password) if parsed.password is not None else None
        return BrokerAddress(host=parsed.hostname, port=port, tls=tls, username=username, password=password)

    def check(self) -> None:
        """Raise ValueError naming the first value the hub cannot work with."""
        if not isinstance(self.url, str):
            raise ValueError(f"url = {self.url!r}: must be a string")
        if self.url:
            address = self.address()
            if (self.cert_file or self.key_file or self.ca_file) and not address.tls:
                raise ValueError("ca_file, cert_file and key_file need an mqtts:// url")
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("cert_file and key_file go together: give both or neither")
        for name in ("ca_file", "cert_file", "key_file"):
            path = getattr(self, name)
            if path and not Path(path).expanduser().is_file():
                raise ValueError(f"{name} = {path!r}: no such file")
        if isinstance(self.keepalive_seconds, bool) or not isinstance(self.keepalive_seconds, int):
            raise ValueError(f"keepalive_seconds = {self.keepalive_seconds!r}: must be a whole number of seconds")
        if not 5 <= self.keepalive_seconds <= 65535:
            raise ValueError(f"keepalive_seconds = {self.keepalive_seconds!r}: must be from 5 to 65535")
        if (
            isinstance(self.reconnect_seconds, bool)
            or not isinstance(self.reconnect_seconds, int | float)
            or not self.reconnect_seconds > 0
        ):
            raise ValueError(f"reconnect_seconds = {self.reconnect_seconds!r}: must be a number of seconds above 0")

    def _shown_url(self) -> str:
        # The URL as an error message may show it: without the password.
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.password is None:
            return self.url
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
        return urllib.parse.urlunsplit(parsed._replace(netloc=netloc))
