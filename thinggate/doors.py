"""The door table: every front door of thinggate, in start order. A new door is its package plus one row here.

Only each door's settings type is imported here (cheap: the command line reads thinggate.toml
without loading any door); its factory is imported when the hub starts it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.api.metrics.settings import MetricsConfig
from thinggate.api.registry.settings import RegistryConfig
from thinggate.api.sensordata.settings import SensorDataConfig
from thinggate.api.thinknx.settings import ThinknxConfig
from thinggate.api.web.settings import WebConfig

if TYPE_CHECKING:
    from thinggate.api.door import DoorFactory


@dataclass(frozen=True, slots=True)
class DoorSpec:
    """One row of the table: the door's `[section]` name, its settings type and where its factory is."""

    name: str
    settings: type[Any]
    factory: str
    """`module:function`, imported only when the door starts."""

    def load_factory(self) -> DoorFactory:
        """The factory function itself."""
        module_name, _, function = self.factory.partition(":")
        factory: DoorFactory = getattr(importlib.import_module(module_name), function)
        return factory


DOORS: tuple[DoorSpec, ...] = (
    # First: the doors after it take its request meter (context.request_meter) when they are built.
    DoorSpec("metrics", MetricsConfig, "thinggate.api.metrics.factory:build"),
    DoorSpec("jsonrpc", JsonRpcConfig, "thinggate.api.jsonrpc.factory:build"),
    DoorSpec("ezlo", EzloConfig, "thinggate.api.ezlo.factory:build"),
    DoorSpec("thinknx", ThinknxConfig, "thinggate.api.thinknx.factory:build"),
    DoorSpec("registry", RegistryConfig, "thinggate.api.registry.factory:build"),
    DoorSpec("sensordata", SensorDataConfig, "thinggate.api.sensordata.factory:build"),
    DoorSpec("web", WebConfig, "thinggate.api.web.factory:build"),
)
