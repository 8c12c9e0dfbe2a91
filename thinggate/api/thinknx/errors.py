"""The Thinknx Integration Kit's errors: an HTTP status and `{"error": "..."}`."""

from __future__ import annotations

from thinggate.core.errors import ThingError


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


def for_thing_error(error: ThingError, message: str) -> ThinknxError:
    """The answer for a core error: its value was wrong (400), its device is gone (404) or failed (500)."""
    if error is ThingError.THING_NOT_FOUND:
        return device_not_found(message)
    if error in (
        ThingError.INVALID_PARAMETER,
        ThingError.MISSING_PARAMETER,
        ThingError.ACTION_TYPE_NOT_FOUND,
        ThingError.STATE_TYPE_NOT_FOUND,
    ):
        return params_errors(message)
    return impossible(f"{error.value}: {message}" if message else error.value)
