"""The KNX page's API: an ETS project uploaded from the page, read and imported as the session's user.

    POST /web/api/knx/import   the .knxproj's bytes as the body (any content type; up to MAX_PROJECT_BYTES);
                               `X-Project-Password` for a password-protected project. Answers the project's
                               name, every thing the project gives with what became of it, and the group
                               addresses left out with the reason:
        {"project": "...", "things": [{"name", "room", "class", "classDisplayName", "addresses", "outcome", "message"}],
         "skipped": [{"address", "name", "reason"}]}
        outcome: "added", "existing" (imported before: the same group addresses) or "failed" (message says why).

Adding things is the core's to allow (ConfigureThings, asked of the core's own operation before the
upload is read: 403 PermissionDenied); a hub without the KNX integration (no `[knx]` section) answers
409 KnxNotConfigured, a file that is no ETS project 400 NotAProject. The importer (xknxproject) is
loaded by the first upload, never by an idle hub; the project is read in a worker thread.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from thinggate.api.web.api import Call, Route
from thinggate.api.web.body import read_body
from thinggate.api.web.door import WebDoor
from thinggate.api.web.errors import WebProblem
from thinggate.core.security import Scope

MAX_PROJECT_BYTES = 32 * 1024 * 1024
"""Largest .knxproj taken (a large building's project is a few megabytes)."""
PASSWORD_HEADER = "X-Project-Password"


class KnxApi:
    """The KNX page's routes."""

    def __init__(self, door: WebDoor) -> None:
        self.door = door

    def routes(self) -> list[Route]:
        """The rows this page adds to the API's table."""
        return [Route("POST", "knx/import", self.import_project)]

    async def import_project(self, call: Call) -> dict[str, Any]:
        """Read the uploaded project, then add its things as the session's user."""
        hub, principal = self.door.hub, call.session.principal
        # Whether the user may add things is the core's word: the scope its add operation requires.
        required: Scope = getattr(hub.add_thing, "required_scope", Scope.CONFIGURE_THINGS)
        if not principal.has_scope(required):
            raise WebProblem(403, "PermissionDenied", "adding things needs the ConfigureThings scope")
        from thinggate.integrations.knx.devices import CLASSES_BY_NAME
        from thinggate.integrations.knx.importer import apply_import

        if not any(thing_class.id in hub.thing_classes for thing_class in CLASSES_BY_NAME.values()):
            raise WebProblem(409, "KnxNotConfigured", "the hub has no KNX integration ([knx] in thinggate.toml)")
        data = await read_body(call.request, MAX_PROJECT_BYTES)
        password = call.request.headers.get(PASSWORD_HEADER) or None
        try:
            plan = await asyncio.to_thread(_plan, data, password)
        except ValueError as exc:
            raise WebProblem(400, "NotAProject", str(exc).split(": ", 1)[-1]) from None
        summary = await apply_import(hub, plan, principal=principal)
        failed = dict(summary.failed)
        added, existing = set(summary.added), set(summary.existing)
        things = []
        for planned in plan.things:
            outcome = "added" if planned.thing_id in added else "existing" if planned.thing_id in existing else "failed"
            things.append(
                {
                    "name": planned.name,
                    "room": planned.room,
                    "class": planned.thing_class,
                    "classDisplayName": CLASSES_BY_NAME[planned.thing_class].display_name,
                    "addresses": list(planned.addresses),
                    "outcome": outcome,
                    "message": failed.get(planned.name, "") if outcome == "failed" else "",
                }
            )
        skipped = [{"address": address, "name": name, "reason": reason} for address, name, reason in plan.skipped]
        return {"project": plan.project_name, "things": things, "skipped": skipped}


def _plan(data: bytes, password: str | None) -> Any:
    """The import plan of a project's bytes (xknxproject reads a file: a private temporary one)."""
    from thinggate.integrations.knx.importer import plan_import

    with tempfile.TemporaryDirectory(prefix="thinggate-knxproj-") as folder:
        path = Path(folder) / "upload.knxproj"
        path.write_bytes(data)
        return plan_import(path, password=password)
