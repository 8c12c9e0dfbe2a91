"""The host's network interfaces as `hub.network.get` reports them (Linux: /sys and ioctl)."""

from __future__ import annotations

import fcntl
import socket
import struct
from pathlib import Path
from typing import Any

_SIOCGIFADDR = 0x8915
_SIOCGIFNETMASK = 0x891B


def _ioctl_address(sock: socket.socket, name: str, request: int) -> str:
    try:
        packed = fcntl.ioctl(sock.fileno(), request, struct.pack("256s", name.encode()[:15]))
    except OSError:
        return ""
    return socket.inet_ntoa(packed[20:24])


def _gateway(name: str) -> str:
    try:
        lines = Path("/proc/net/route").read_text().splitlines()[1:]
    except OSError:
        return ""
    for line in lines:
        fields = line.split()
        if len(fields) > 2 and fields[0] == name and fields[1] == "00000000":
            return socket.inet_ntoa(struct.pack("<L", int(fields[2], 16)))
    return ""


def interfaces() -> list[dict[str, Any]]:
    """Every interface but loopback: name, kind, whether it is up, and its IPv4 settings."""
    found: list[dict[str, Any]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            if name == "lo":
                continue
            sys_dir = Path("/sys/class/net") / name
            try:
                state = (sys_dir / "operstate").read_text().strip()
            except OSError:
                state = "unknown"
            address = _ioctl_address(sock, name, _SIOCGIFADDR)
            kind = "wifi" if (sys_dir / "wireless").exists() else "ethernet"
            found.append(
                {
                    "_id": name,
                    "type": kind,
                    "status": "up" if state in ("up", "unknown") and address else "down",
                    "internetAvailable": bool(_gateway(name)),
                    "ipv4": {
                        "mode": "dhcp",
                        "ip": address,
                        "mask": _ioctl_address(sock, name, _SIOCGIFNETMASK) if address else "",
                        "gateway": _gateway(name),
                        "dns": [],
                    },
                }
            )
    return found
