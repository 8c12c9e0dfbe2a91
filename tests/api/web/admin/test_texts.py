"""Every text the administration page shows is in the translation table, also those it builds from the hub's names."""

from __future__ import annotations

import json
import re

from thinggate.api.web.pages import STATIC_DIR
from thinggate.core.registry.directory import ROLE_ORDER
from thinggate.core.scopes import OBJECTS, Scope, scopes_to_names

TABLE = json.loads((STATIC_DIR / "i18n" / "en.json").read_text())
FILES = [STATIC_DIR / "admin.html", *sorted((STATIC_DIR / "admin").glob("*.js"))]


def test_every_key_the_page_names_is_in_the_table() -> None:
    named: set[str] = set()
    for path in FILES:
        text = path.read_text()
        named |= set(re.findall(r'"((?:admin|nav|house|error|value|app)\.[A-Za-z0-9.]+)"', text))
    assert len(named) > 100
    assert named <= set(TABLE), sorted(named - set(TABLE))


def test_the_keys_built_from_the_hubs_names_are_in_the_table() -> None:
    # Scopes, roles, objects and operations come from the hub and are shown through `admin.<kind>.<name>`.
    built = {f"admin.scope.{name}" for name in [*scopes_to_names(Scope.NONE), *scopes_to_names(Scope.ADMIN)]}
    built |= {f"admin.role.{role}" for role in ROLE_ORDER} | {f"admin.role.{role}.about" for role in ROLE_ORDER}
    built |= {f"admin.object.{name}" for name in OBJECTS} | {f"admin.operation.{letter}" for letter in "CRUD"}
    assert built <= set(TABLE), sorted(built - set(TABLE))
