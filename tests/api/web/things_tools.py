"""The things page's tests: the web rig's hub with the virtual integration's test bed (a class for every setup path)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.api.web import rig as web
from thinggate.config import Config
from thinggate.core.model import ThingClass


@asynccontextmanager
async def rig_with_testbed(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[web.Rig]:
    """The web rig (demo house, three users) whose virtual integration has the test bed's classes too."""
    plain = web.web_config

    def with_testbed(directory: Path, **settings: Any) -> Config:
        config = plain(directory, **settings)
        return dataclasses.replace(config, virtual=dataclasses.replace(config.virtual, testbed=True))

    monkeypatch.setattr(web, "web_config", with_testbed)
    async with web.web_rig(data_dir, monkeypatch) as running:
        yield running


def class_named(rig: web.Rig, name: str) -> ThingClass:
    """A thing class of the hub by its name."""
    return next(thing_class for thing_class in rig.server.hub.thing_classes.values() if thing_class.name == name)


def param_id(thing_class: ThingClass, name: str, kind: str = "param") -> str:
    """The id of a class's param ("param"), setting ("setting") or discovery param ("discovery") by name."""
    types = {
        "param": thing_class.param_types,
        "setting": thing_class.settings_types,
        "discovery": thing_class.discovery_param_types,
    }[kind]
    return str(next(param.id for param in types if param.name == name))
