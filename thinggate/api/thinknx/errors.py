"""The Thinknx Integration Kit's errors: an HTTP status and `{"error": "..."}`."""

from __future__ import annotations

from collections.abc import Callable

from thinggate.core.errors import HubFailure, PermissionDenied, ThingError, ThingFailure


class ThinknxError(Exception):
    """An error answer of the API; `reason` says (in logs and tests) what exactly was wrong."""

    def __init__(
        self,
        status: int,
        message: str,
        reason: str = "",
        *,
        headers: dict[str, str] | None = None,
        challenges: tuple[str, ...] = (),
    ) -> None:
        super().__init__(f"{status} {message}: {reason}" if reason else f"{status} {message}")
        self.status = status
        self.message = message
        self.reason = reason
        self.headers = headers or {}
        self.challenges = challenges  # WWW-Authenticate values of a 401


def device_not_found(reason: str) -> ThinknxError:
    """404: no such device, or one the user may not see."""
    return ThinknxError(404, "device not found", reason)


def params_errors(reason: str) -> ThinknxError:
    """400: a missing, unparseable or out-of-range parameter, or a controller the device cannot do."""
    return ThinknxError(400, "params errors", reason)


def impossible(reason: str) -> ThinknxError:
    """500: the device or the bus did not do it."""
    return ThinknxError(500, "impossible to execute", reason)


def forbidden(reason: str) -> ThinknxError:
    """403: the authentication information is incorrect (or the user may not do this)."""
    return ThinknxError(403, "authentication failed", reason)


_THING_ERRORS: dict[ThingError, Callable[[str], ThinknxError]] = {
    ThingError.THING_NOT_FOUND: device_not_found,
    ThingError.INVALID_PARAMETER: params_errors,
    ThingError.MISSING_PARAMETER: params_errors,
    ThingError.ACTION_TYPE_NOT_FOUND: params_errors,
    ThingError.STATE_TYPE_NOT_FOUND: params_errors,
}
"""Failures on things a caller caused (its value was wrong, its device is gone); any other is a 500."""


def for_failure(failure: HubFailure) -> ThinknxError:
    """The answer for a core failure, the door's one table of them: 403, 404, 400 or 500."""
    if isinstance(failure, PermissionDenied):
        return forbidden(failure.message or "permission denied")
    if isinstance(failure, ThingFailure):
        make = _THING_ERRORS.get(failure.error)
        if make is not None:
            return make(failure.message)
    return impossible(str(failure))  # "HardwareNotAvailable: ...": the kind and what exactly
