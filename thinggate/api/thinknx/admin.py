"""The door's part of the dashboard's administration (DoorContext.thinknx_admin): tree, integration key, hooks.

The dashboard may not import this door; it reaches these through the ThinknxAdmin protocol of
thinggate/api/door.py. What a principal sees is the core's word: the tree holds the things
the hub shows it, the key is the hub administrator's (core.admin), hooks are its own or, for an
administrator, all (as `hooks/list` answers them). A change takes effect in the door at once.
"""

from __future__ import annotations

from typing import Any

from thinggate.api.thinknx.controllers import controllers_for
from thinggate.api.thinknx.errors import ThinknxError
from thinggate.api.thinknx.hooks import HookRegistry
from thinggate.api.thinknx.key import IntegrationKey, KeyState, SettingsStore, new_key, save_key
from thinggate.api.thinknx.transport import ThinknxServer
from thinggate.api.thinknx.tree import project_tree, url_for
from thinggate.core.admin import UnknownItem, check_administers_hub
from thinggate.core.errors import PermissionDenied
from thinggate.core.guids import guid_of
from thinggate.core.hub import Hub
from thinggate.core.security import Principal


class ThinknxAdministration:
    """The Thinknx door's key, tree and hooks, as the dashboard's administration asks for them."""

    def __init__(
        self, *, hub: Hub, store: SettingsStore, key: IntegrationKey, hooks: HookRegistry, server: ThinknxServer
    ) -> None:
        self.hub = hub
        self.store = store
        self.integration_key = key
        self.hook_registry = hooks
        self.server = server

    @property
    def port(self) -> int | None:
        """The door's port."""
        return self.server.port

    @property
    def tls(self) -> bool:
        """Whether the door speaks HTTPS."""
        return self.server.tls is not None

    def tree(self, principal: Principal) -> list[dict[str, Any]]:
        """Rooms, devices, GUIDs and each controller's URL (its range) and example (a URL that works as copied)."""
        things = {guid_of(thing.id): thing for thing in self.hub.visible_things(principal)}
        shown: list[dict[str, Any]] = []
        for device in project_tree(list(things.values())):
            thing = things[device.guid]
            controllers = controllers_for(thing.thing_class.interfaces)
            shown.append(
                {
                    "room": device.room,
                    "name": device.name,
                    "kind": device.kind,
                    "guid": device.guid,
                    "controllers": [
                        {
                            "name": controller.name,
                            "url": url_for(controller, device.guid),
                            "example": url_for(controller, device.guid, example=True),
                        }
                        for controller in controllers
                    ],
                }
            )
        return shown

    def key(self, principal: Principal) -> dict[str, bool]:
        """Whether the key is set and enabled (the key itself is kept hashed: it is shown only when made)."""
        check_administers_hub(principal, "read the Thinknx integration key")
        state = self.integration_key.state
        return {"set": state.is_set, "enabled": state.enabled}

    async def change_key(self, principal: Principal, *, enabled: bool, regenerate: bool) -> str | None:
        """As `thinggate thinknx key --enable/--disable/--regenerate`; the door takes the new state at once."""
        check_administers_hub(principal, "change the Thinknx integration key")
        state = self.integration_key.state
        made = None
        changed = KeyState(enabled=enabled, key_hash=state.key_hash)
        if regenerate or (enabled and not state.is_set):
            made = new_key()
            changed = KeyState.of(made, enabled=enabled)
        if changed != state:
            await save_key(self.store, changed)  # stored before it counts
            self.integration_key.state = changed
        return made

    def hooks(self, principal: Principal) -> list[dict[str, Any]]:
        """The hooks the principal may manage, as `hooks/list` shows them (with `last_error`)."""
        registry = self.hook_registry
        return [hook.public() for hook in registry.hooks.values() if registry.may_manage(principal, hook)]

    async def change_hook(self, principal: Principal, hook_id: str, action: str) -> None:
        """`remove` or `enable` a hook, as `hooks/remove` and `hooks/enable` do."""
        if action not in ("remove", "enable"):
            raise UnknownItem(f"no hook action {action!r}")
        try:
            await self.hook_registry.call(principal, action, {"id": hook_id})
        except ThinknxError as error:
            # The registry's own answers, in the core's words (its rules are the core's Principal's).
            if error.status == 403:
                raise PermissionDenied(error.reason) from None
            raise UnknownItem(error.reason) from None
