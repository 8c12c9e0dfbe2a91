"""The Ezlo method table: every method the door answers, with the access it needs and its params."""

from __future__ import annotations

from typing import Any

from thinggate.api.ezlo import params as p
from thinggate.api.ezlo.handlers import hub, items, modes, scenes
from thinggate.api.ezlo.session import Access, Method

READ, WRITE, OPEN = Access.READ, Access.WRITE, Access.OPEN

METHODS: dict[str, Method[Any]] = {
    "hub.offline.login.ui": Method(hub.offline_login_ui, OPEN, p.LoginParams, bad_params=p.login_error),
    "hub.info.get": Method(hub.info_get, OPEN, p.NoParams),
    "hub.network.get": Method(hub.network_get, READ, p.NoParams),
    "hub.devices.list": Method(hub.devices_list, READ, p.NoParams),
    "hub.room.list": Method(hub.room_list, READ, p.NoParams),
    "hub.data.list": Method(hub.data_list, READ, p.DataListParams),
    "hub.items.list": Method(items.items_list, READ, p.ItemsListParams),
    "hub.item.value.set": Method(items.item_value_set, WRITE, p.ItemValueSetParams, bad_params=p.value_set_error),
    "hub.item.value.percent.apply": Method(
        items.item_value_percent_apply, WRITE, p.PercentApplyParams, bad_params=p.percent_apply_error
    ),
    "hub.item.dictionary.value.add": Method(
        items.dictionary_value_add, WRITE, p.DictionaryAddParams, bad_params=p.dictionary_error
    ),
    "hub.item.dictionary.value.set": Method(
        items.dictionary_value_set, WRITE, p.DictionarySetParams, bad_params=p.dictionary_error
    ),
    "hub.item.dictionary.value.remove": Method(
        items.dictionary_value_remove, WRITE, p.DictionaryRemoveParams, bad_params=p.dictionary_error
    ),
    "hub.modes.get": Method(modes.modes_get, READ, p.NoParams),
    "hub.modes.switch": Method(modes.modes_switch, WRITE, p.ModesSwitchParams, bad_params=p.modes_switch_error),
    "hub.scenes.list": Method(scenes.scenes_list, READ, p.NoParams),
    "hub.scenes.run": Method(scenes.scenes_run, WRITE, p.ScenesRunParams),
}
"""Method name -> handler, access (READ/VIEW or WRITE/EDIT in Ezlo's words; OPEN before login),
params struct and the error for params that do not decode (Ezlo's per-field convention unless named)."""
