"""System controllers: raw KNX group telegrams (`system/sendKNX*`) and `system/serverStatus`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from thinggate.api.thinknx import errors
from thinggate.api.thinknx.codecs import parse_decimal, parse_integer
from thinggate.core import events as ev
from thinggate.core.errors import ThingFailure
from thinggate.core.events import EventBus, HubEvent
from thinggate.core.security import Principal


class RawBus(Protocol):
    """A KNX connection that writes raw group values (the KNX integration is one)."""

    async def write_group_value(self, group_address: str, kind: str, value: float) -> None:
        """Write a group telegram (ValueError for a bad address or value, ThingFailure when the bus is away)."""


@dataclass(frozen=True, slots=True)
class RawTelegram:
    """One `system/sendKNX*` controller: the payload kind and the value range the seed gives it."""

    name: str
    kind: str
    low: int | None = None  # None: a decimal without range (the float kinds)
    high: int | None = None


SERVER_STATUS = "system/serverStatus"

SYSTEM_CONTROLLERS: dict[str, RawTelegram | str] = {
    entry.name.lower(): entry
    for entry in (
        RawTelegram("system/sendKNXbit", "bit", 0, 1),  # DPT 1
        RawTelegram("system/sendKNX4bits", "4bits", 0, 31),  # DPT 2 / DPT 3 (the seed: 0 to 31)
        RawTelegram("system/sendKNXbyte", "byte", 0, 255),  # DPT 5, one byte unsigned
        RawTelegram("system/sendKNXbyteun", "byte_signed", -128, 127),  # DPT 6, one byte signed (the seed's range)
        RawTelegram("system/sendKNXfloat2bytes", "float2"),  # DPT 9
        RawTelegram("system/sendKNXfloat4bytes", "float4"),  # DPT 14
    )
}
SYSTEM_CONTROLLERS[SERVER_STATUS.lower()] = SERVER_STATUS

# re.ASCII: a bare \d matches any script's digits ("\uff11/0/1" passed and reached the bus as is).
_THREE_LEVEL = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{1,3})", re.ASCII)
_TWO_LEVEL = re.compile(r"(\d{1,2})/(\d{1,4})", re.ASCII)
_FREE = re.compile(r"\d{1,5}", re.ASCII)
DPT9_RANGE = (-671088.64, 670760.96)


def valid_group_address(text: str) -> bool:
    """Whether text is a KNX group address: main/middle/sub (31/7/255), main/sub (31/2047) or 0..65535."""
    if match := _THREE_LEVEL.fullmatch(text):
        main, middle, sub = (int(part) for part in match.groups())
        return main <= 31 and middle <= 7 and sub <= 255
    if match := _TWO_LEVEL.fullmatch(text):
        main, sub = (int(part) for part in match.groups())
        return main <= 31 and sub <= 2047
    return bool(_FREE.fullmatch(text)) and int(text) <= 65535


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 1440} days {minutes % 1440 // 60} hours {minutes % 60} min"


def _firmware(version: str) -> str:
    """thinggate's version in the firmware format xx.xx.xx.xx (0.1.0 -> 00.01.00.00)."""
    parts = [int(part) if part.isdigit() else 0 for part in re.split(r"[.+-]", version)[:4]]
    return ".".join(f"{part:02d}" for part in [*parts, 0, 0, 0, 0][:4])


def _boot_time() -> float:
    try:
        with open("/proc/uptime") as uptime:
            return time.time() - float(uptime.read().split()[0])
    except (OSError, ValueError, IndexError):
        return time.time()


class SystemCalls:
    """Answers the system controllers."""

    def __init__(
        self, *, raw_bus: RawBus | None, version: str, client_count: Callable[[], int], started: float
    ) -> None:
        self.raw_bus = raw_bus
        self.version = version
        self.client_count = client_count
        self.started = started
        self.booted = _boot_time()
        self.config_time = started  # the running configuration: things added, changed or removed
        self._unfollow: Callable[[], None] | None = None

    def follow(self, bus: EventBus) -> None:
        """Track the configuration time from the hub's events."""
        self._unfollow = bus.listen(self._on_event)

    def unfollow(self) -> None:
        """Stop tracking."""
        if self._unfollow is not None:
            self._unfollow()
            self._unfollow = None

    def _on_event(self, event: HubEvent) -> None:
        if isinstance(event, ev.ThingAdded | ev.ThingRemoved | ev.ThingChanged | ev.IOConnectionAdded):
            self.config_time = time.time()

    async def call(
        self, principal: Principal, entry: RawTelegram | str, params: dict[str, str | None]
    ) -> dict[str, Any]:
        """Answer one system controller."""
        if isinstance(entry, str):
            return self.server_status()
        return await self._send(principal, entry, params)

    def server_status(self) -> dict[str, Any]:
        """The seed's serverStatus fields."""
        now = time.time()
        return {
            "namespace": SERVER_STATUS,
            "version": _firmware(self.version),
            "process_uptime": _duration(now - self.started),
            "server_uptime": _duration(now - self.booted),
            "config_time": datetime.fromtimestamp(self.config_time).strftime("%H:%M:%S %Y-%m-%d"),
            "connected_clients": self.client_count(),
            "pbx_users": "",  # thinggate has no PBX: nobody is connected to one
        }

    async def _send(self, principal: Principal, entry: RawTelegram, params: dict[str, str | None]) -> dict[str, Any]:
        if not principal.may_reach_every_device():
            raise errors.forbidden(f"{principal.name!r} may not write raw telegrams")
        group = (params.get("group") or "").strip()
        if not valid_group_address(group):
            raise errors.params_errors(f"group={params.get('group')!r} is not a KNX group address")
        value: int | float
        if entry.low is not None and entry.high is not None:
            value = parse_integer("value", params.get("value"), entry.low, entry.high)
        else:
            value = parse_decimal("value", params.get("value"))
            if entry.kind == "float2" and not DPT9_RANGE[0] <= value <= DPT9_RANGE[1]:
                raise errors.params_errors(f"value={value} is outside the 2-byte float range {DPT9_RANGE}")
        if self.raw_bus is None:
            raise errors.impossible("no KNX connection is configured")
        try:
            await self.raw_bus.write_group_value(group, entry.kind, value)
        except ValueError as exc:
            raise errors.params_errors(str(exc)) from None
        except ThingFailure as failure:
            raise errors.for_failure(failure) from None
        return {"namespace": entry.name, "group": group, "value": value}
