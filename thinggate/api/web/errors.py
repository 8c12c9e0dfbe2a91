"""The dashboard's refusals: `{"error": {"code", "message"}}` with one HTTP status per code.

Core failures keep their own code (nymea's name: "ThingNotFound", "InvalidParameter",
"PermissionDenied"); the door adds its own for what happens before core is asked (no session, a
forged write, an unreadable body). The page shows a message by code, through its translation table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import msgspec
from aiohttp import web

from thinggate.core.errors import HubFailure, PermissionDenied, ThingError, ThingFailure
from thinggate.core.modes import UnknownHouseMode

STATUS: Mapping[str, int] = {
    "BadRequest": 400,  # the body is not what the route reads (JSON, form, struct)
    "NotLoggedIn": 401,
    "WrongLogin": 401,
    "CrossSiteRefused": 403,  # a write without the session's CSRF token, or from another site
    "PermissionDenied": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "TooLarge": 413,
    "UnsupportedMediaType": 415,
    "TooManyRequests": 429,
    "InternalError": 500,
}
"""The status of the door's own codes; core's ThingErrors map through THING_STATUS."""

THING_STATUS: Mapping[ThingError, int] = {
    ThingError.PLUGIN_NOT_FOUND: 404,
    ThingError.VENDOR_NOT_FOUND: 404,
    ThingError.THING_NOT_FOUND: 404,
    ThingError.THING_CLASS_NOT_FOUND: 404,
    ThingError.ACTION_TYPE_NOT_FOUND: 404,
    ThingError.STATE_TYPE_NOT_FOUND: 404,
    ThingError.EVENT_TYPE_NOT_FOUND: 404,
    ThingError.THING_DESCRIPTOR_NOT_FOUND: 404,
    ThingError.ITEM_NOT_FOUND: 404,
    ThingError.PAIRING_TRANSACTION_ID_NOT_FOUND: 404,
    ThingError.MISSING_PARAMETER: 422,
    ThingError.INVALID_PARAMETER: 422,
    ThingError.PARAMETER_NOT_WRITABLE: 422,
    ThingError.HARDWARE_FAILURE: 502,
    ThingError.AUTHENTICATION_FAILURE: 502,
    ThingError.HARDWARE_NOT_AVAILABLE: 503,
    ThingError.TIMEOUT: 504,
}
"""The status of a failed operation on things; any other ThingError (setup, in use, unsupported) is 409."""


FAILURE_STATUS: Mapping[str, int] = {
    # The registry's rules (users, domains, thing types) and the administration's, by their code.
    "NOT_AUTHORIZED": 403,
    "NOT_AUTHORIZED_DOMAIN": 403,
    "DOMAIN_NOT_FOUND": 404,
    "USER_NOT_FOUND": 404,
    "THING_TYPE_NOT_FOUND": 404,
    "TokenNotFound": 404,
    "UnknownItem": 404,
    "PROPERTY_REQUIRED": 422,
    "INVALID_ARGUMENTS": 422,
    "InvalidValue": 422,
    "BadPassword": 422,
    "InvalidUserId": 422,
    "InconsistantScopes": 422,
}
"""The status of other core failures by code; any failure not named here is 409."""


class ErrorDetail(msgspec.Struct):
    """What went wrong: a code and a message for people."""

    code: str
    message: str


class ErrorBody(msgspec.Struct):
    """The body of every refusal."""

    error: ErrorDetail


_encode = msgspec.json.Encoder().encode


class WebProblem(Exception):
    """A request the door refuses: HTTP status, code, message and headers to send."""

    def __init__(self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    @classmethod
    def of(cls, code: str, message: str, *, headers: Mapping[str, str] | None = None) -> WebProblem:
        """A refusal with one of the door's own codes."""
        return cls(STATUS[code], code, message, headers=headers)

    def response(self) -> web.Response:
        """The refusal as JSON."""
        body = _encode(ErrorBody(ErrorDetail(self.code, self.message)))
        return web.Response(status=self.status, body=body, content_type="application/json", headers=self.headers)


def for_failure(failure: HubFailure) -> WebProblem:
    """The refusal answering a failure core reported."""
    if isinstance(failure, PermissionDenied):
        return WebProblem(403, failure.code, failure.message)
    if isinstance(failure, ThingFailure):
        return WebProblem(THING_STATUS.get(failure.error, 409), failure.code, failure.message)
    if isinstance(failure, UnknownHouseMode):
        return WebProblem(422, failure.code, failure.message)
    return WebProblem(FAILURE_STATUS.get(failure.code, 409), failure.code, failure.message)


def too_many(wait: float, reason: str) -> WebProblem:
    """429 with Retry-After for an address locked out of logging in."""
    seconds = max(1, math.ceil(wait))
    return WebProblem.of(
        "TooManyRequests", f"{reason}; try again in {seconds} s", headers={"Retry-After": str(seconds)}
    )
