"""House modes: one mode for the whole hub (Home, Away, Night, Vacation), kept across restarts.

Ezlo hubs have them (`hub.modes.*`); a dashboard or a rule can use them as well. Switching is a
change of the hub's configuration: it is stored before the switch is acknowledged, and announced
on the bus as HouseModeChanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from thinggate.core import events as ev
from thinggate.core.errors import HubFailure, PermissionDenied
from thinggate.core.security import ROOT_DOMAIN, Principal, Scope

SETTING_KEY = "house_mode"
"""The hub setting that holds the current mode's id."""


@dataclass(frozen=True, slots=True)
class HouseMode:
    """One house mode: a short id ("1".."4", as Ezlo numbers them) and its name."""

    id: str
    name: str


HOUSE_MODES: tuple[HouseMode, ...] = (
    HouseMode("1", "Home"),
    HouseMode("2", "Away"),
    HouseMode("3", "Night"),
    HouseMode("4", "Vacation"),
)
"""The modes every hub has, in order."""


def may_switch(principal: Principal) -> bool:
    """Whether the principal may switch the house mode: ControlThings and AccessAllThings in root.

    A mode is the whole hub's, whatever the things or domains it governs; a user restricted to
    some things, or homed in a sub-domain, would otherwise act beyond what it may control.
    """
    return principal.has_scope(Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS) and principal.home_domain == ROOT_DOMAIN


class HubSettingsStore(Protocol):
    """The part of the store house modes need."""

    async def load_hub_settings(self) -> dict[str, Any]:
        """Hub-wide settings by key."""

    async def save_hub_setting(self, key: str, value: Any) -> None:
        """Store one hub-wide setting, durably."""


class UnknownHouseMode(HubFailure, LookupError):
    """No house mode has this id or name."""


class HouseModes:
    """The hub's current house mode: switched by principals that control the whole hub, stored, announced."""

    def __init__(self, *, store: HubSettingsStore, bus: ev.EventBus) -> None:
        self._store = store
        self._bus = bus
        self.modes = HOUSE_MODES
        self.current = HOUSE_MODES[0]

    async def load(self) -> None:
        """Take the stored mode (Home when none was stored or the stored one is unknown)."""
        stored = (await self._store.load_hub_settings()).get(SETTING_KEY)
        self.current = next((mode for mode in self.modes if mode.id == stored), HOUSE_MODES[0])

    async def reload(self) -> None:
        """Take the stored mode again (another process may have switched it); a change is announced."""
        previous = self.current
        await self.load()
        if self.current != previous:
            self._bus.publish(ev.HouseModeChanged(previous.id, self.current.id))

    def find(self, *, mode_id: str | None = None, name: str | None = None) -> HouseMode:
        """The mode with this id, or else this name (case-insensitive); UnknownHouseMode if none."""
        for mode in self.modes:
            if mode_id is not None and mode.id == mode_id:
                return mode
            if mode_id is None and name is not None and mode.name.lower() == name.lower():
                return mode
        wanted = f"id {mode_id!r}" if mode_id is not None else f"name {name!r}"
        raise UnknownHouseMode(f"no house mode with {wanted}")

    async def switch(self, principal: Principal, mode: HouseMode) -> bool:
        """Make `mode` current; False when it already was. PermissionDenied unless `may_switch`."""
        if not may_switch(principal):
            raise PermissionDenied(f"{principal.name or 'anonymous'} may not switch the house mode")
        if mode == self.current:
            return False
        previous = self.current
        await self._store.save_hub_setting(SETTING_KEY, mode.id)
        self.current = mode
        self._bus.publish(ev.HouseModeChanged(previous.id, mode.id))
        return True
