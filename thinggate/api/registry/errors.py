"""The registry's error model: `{message, messageKey, messageParams, property}` with one HTTP status per key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from aiohttp import web

from thinggate.api.registry.structs import ErrorBody
from thinggate.core.registry import RegistryError, RegistryFailure

STATUS: Mapping[str, int] = {
    "PROPERTY_REQUIRED": 400,
    "INVALID_ARGUMENTS": 400,
    "INVALID_ACTION": 400,
    "INVALID_LOGIN": 401,
    "NOT_AUTHENTICATED": 401,
    "INVALID_API_KEY": 403,
    "NOT_AUTHORIZED": 403,
    "NOT_AUTHORIZED_DOMAIN": 403,
    "ROUTE_NOT_FOUND": 404,
    "DOMAIN_NOT_FOUND": 404,
    "USER_NOT_FOUND": 404,
    "THING_TYPE_NOT_FOUND": 404,
    "THING_NOT_FOUND": 404,
    "EVENT_NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "DOMAIN_ID_EXISTS": 409,
    "USER_USERNAME_EXISTS": 409,
    "THING_TYPE_ID_EXISTS": 409,
    "THING_NAME_EXISTS": 409,
    "DOMAIN_NOT_EMPTY": 409,
    "THING_TYPE_HAS_THINGS": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "TOO_MANY_REQUESTS": 429,
    "INTERNAL_ERROR": 500,
    "BACKEND_ERROR": 503,
}
"""The HTTP status of each message key (README: "Registry door"): one per key, whatever route answers it."""

_encode = msgspec.json.Encoder().encode


class RegistryProblem(Exception):
    """A request the door refuses: a message key, a message, the property at fault and details."""

    def __init__(
        self,
        key: str,
        message: str,
        *,
        property: str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        assert key in STATUS, key
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message
        self.property = property
        self.params = dict(params or {})
        self.headers = dict(headers or {})

    @classmethod
    def of(cls, failure: RegistryFailure) -> RegistryProblem:
        """The door's problem for a core registry failure (the kinds are named as MIC's keys)."""
        return cls(failure.error.value, failure.message, property=failure.property, params=failure.params)


def required(property: str) -> RegistryProblem:
    """PROPERTY_REQUIRED for a property left out (or empty)."""
    return RegistryProblem("PROPERTY_REQUIRED", f"{property} is required", property=property)


def invalid(property: str | None, message: str) -> RegistryProblem:
    """INVALID_ARGUMENTS for a property whose value cannot be used."""
    return RegistryProblem("INVALID_ARGUMENTS", message, property=property)


def error_response(problem: RegistryProblem) -> web.Response:
    """The answer to a refused request: the key's status and the error body, as JSON."""
    body = ErrorBody(
        message=problem.message, messageKey=problem.key, messageParams=problem.params, property=problem.property
    )
    return web.Response(
        status=STATUS[problem.key], body=_encode(body), content_type="application/json", headers=problem.headers
    )


# Every kind the core can fail with has a status above (checked by the tests as well).
assert all(kind.value in STATUS for kind in RegistryError)
