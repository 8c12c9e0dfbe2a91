"""The registry's thing types and their resources, as the session's user may read them.

    GET  admin/thingtypes    id, label, domain, whether an integration defines it or it is read-only to the
                             user, how many of its things the user sees, and its resources (name, type, unit, settable)

core.registry's ThingTypes decides: ThingTypes.READ on the type's domain.
"""

from __future__ import annotations

from typing import Any

from thinggate.api.web.admin.parts import PREFIX, AdminParts, closed, listed
from thinggate.api.web.api import Call, Route


def routes(parts: AdminParts) -> list[Route]:
    """The thing type rows."""

    async def list_types(call: Call) -> dict[str, Any]:
        thing_types = parts.thing_types
        if thing_types is None:
            raise closed("registry")
        rows = thing_types.listing(call.session.principal, counted=True)
        return listed(
            [
                {
                    "id": thing_type.id,
                    "label": thing_type.label,
                    "description": thing_type.description,
                    "domain": thing_type.domain,
                    "integration": thing_type.integration_defined,
                    "readOnly": read_only,
                    "things": count,
                    "resources": [
                        {
                            "name": resource.get("name"),
                            "type": resource.get("type"),
                            "unit": resource.get("unit"),
                            "settable": bool(resource.get("isSettable")),
                        }
                        for resource in thing_type.resources
                    ],
                }
                for thing_type, read_only, count in rows
            ]
        )

    return [Route("GET", PREFIX + "thingtypes", list_types)]
