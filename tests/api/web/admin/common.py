"""What the administration's HTTP tests share: the refusal a non-administrator gets, and a body's error code."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.web.rig import Rig


def code_of(answer: httpx.Response) -> str:
    """The error code of one of the door's refusals."""
    body: dict[str, Any] = answer.json()
    code: str = body["error"]["code"]
    return code


async def refused_to_non_admins(rig: Rig, method: str, path: str, body: Any = None) -> None:
    """A user without Admin (the viewer: AccessAllThings only) gets the core's 403 PermissionDenied, as JSON."""
    viewer = await rig.logged_in("viewer")
    answer = await (viewer.get(path) if method == "GET" else viewer.write(path, body))
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert code_of(answer) == "PermissionDenied"
