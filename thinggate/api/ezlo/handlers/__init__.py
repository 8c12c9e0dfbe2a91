"""The Ezlo method table: every method the door answers, with the access it needs."""

from __future__ import annotations

from thinggate.api.ezlo.handlers import hub, items, modes, scenes
from thinggate.api.ezlo.session import Access, Method

READ, WRITE, OPEN = Access.READ, Access.WRITE, Access.OPEN

METHODS: dict[str, Method] = {
    "hub.offline.login.ui": Method(hub.offline_login_ui, OPEN),
    "hub.info.get": Method(hub.info_get, OPEN),
    "hub.network.get": Method(hub.network_get, READ),
    "hub.devices.list": Method(hub.devices_list, READ),
    "hub.room.list": Method(hub.room_list, READ),
    "hub.data.list": Method(hub.data_list, READ),
    "hub.items.list": Method(items.items_list, READ),
    "hub.item.value.set": Method(items.item_value_set, WRITE),
    "hub.item.value.percent.apply": Method(items.item_value_percent_apply, WRITE),
    "hub.item.dictionary.value.add": Method(items.dictionary_value_add, WRITE),
    "hub.item.dictionary.value.set": Method(items.dictionary_value_set, WRITE),
    "hub.item.dictionary.value.remove": Method(items.dictionary_value_remove, WRITE),
    "hub.modes.get": Method(modes.modes_get, READ),
    "hub.modes.switch": Method(modes.modes_switch, WRITE),
    "hub.scenes.list": Method(scenes.scenes_list, READ),
    "hub.scenes.run": Method(scenes.scenes_run, WRITE),
}
"""Method name -> handler and access (READ/VIEW or WRITE/EDIT in Ezlo's words; OPEN before login)."""
