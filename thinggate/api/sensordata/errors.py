"""The sensor-data door's error envelope (the iTwin platform's): `{"error": {"code", "message", "target"?}}`.

Each code has one HTTP status, whatever route answers it. The token endpoint answers OAuth's own
error bodies instead (oauth.py), as RFC 6749 §5.2 has them.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from aiohttp import web

from thinggate.core.errors import HubFailure, PermissionDenied, ThingError, ThingFailure

STATUS: Mapping[str, int] = {
    "InvalidRequest": 400,
    "HeaderNotFound": 401,
    "InvalidToken": 401,
    "InsufficientPermissions": 403,
    "ResourceNotFound": 404,
    "MethodNotAllowed": 405,
    "RequestTooLarge": 413,
    "InvalidProcessIntegrationRequest": 422,
    "InvalidNodesRequest": 422,
    "InvalidUploadDataRequest": 422,
    "InvalidObservationsRequest": 422,
    "TooManyRequests": 429,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
}
"""The HTTP status of each error code (README: "Sensor-data door")."""


class ErrorDetail(msgspec.Struct, omit_defaults=True):
    """What went wrong: one of the codes above, a message for people and the request field at fault."""

    code: str
    message: str
    target: str | None = None


class ErrorResponse(msgspec.Struct):
    """The body of every refusal but the token endpoint's."""

    error: ErrorDetail


_encode = msgspec.json.Encoder().encode


class SensorDataProblem(Exception):
    """A request the door refuses: a code, a message, the field at fault and headers to send."""

    def __init__(
        self, code: str, message: str, *, target: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        assert code in STATUS, code
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.target = target
        self.headers = dict(headers or {})

    @property
    def status(self) -> int:
        """The code's HTTP status."""
        return STATUS[self.code]


def not_found(what: str, target: str) -> SensorDataProblem:
    """404 ResourceNotFound for something unknown, or hidden from the caller (the same answer)."""
    return SensorDataProblem("ResourceNotFound", f"{what} was not found", target=target)


def forbidden(message: str = "The user has insufficient permissions for the requested operation.") -> SensorDataProblem:
    """403 InsufficientPermissions."""
    return SensorDataProblem("InsufficientPermissions", message)


def error_response(problem: SensorDataProblem) -> web.Response:
    """The answer to a refused request: the code's status and the envelope, as JSON."""
    body = ErrorResponse(ErrorDetail(problem.code, problem.message, problem.target))
    return web.Response(
        status=problem.status, body=_encode(body), content_type="application/json", headers=problem.headers
    )


def problem_of(failure: HubFailure, *, invalid: str, target: str | None = None) -> SensorDataProblem:
    """The door's answer to a core failure: 403 when not allowed, 404 unknown, 422 a bad value, else 500/503."""
    if isinstance(failure, PermissionDenied):
        return forbidden()
    if isinstance(failure, ThingFailure):
        if failure.error in (ThingError.THING_NOT_FOUND, ThingError.THING_DESCRIPTOR_NOT_FOUND):
            return SensorDataProblem("ResourceNotFound", failure.message, target=target)
        if failure.error in (ThingError.INVALID_PARAMETER, ThingError.MISSING_PARAMETER):
            return SensorDataProblem(invalid, failure.message, target=target)
        if failure.error is ThingError.HARDWARE_FAILURE:  # the core's word for a bug it caught
            return SensorDataProblem("InternalServerError", "internal error")
    return SensorDataProblem("ServiceUnavailable", failure.message)
