"""Ezlo error objects: a code (the error group), a machine-readable `data` string and a message.

The codes and strings are the ones Ezlo firmware and its documentation use (reference/ezlo-hub.md
§2.4); `reason`, when present, says what exactly was wrong with which value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from thinggate.core.errors import HubFailure, PermissionDenied, ThingError, ThingFailure
from thinggate.core.modes import UnknownHouseMode

APPLICATION_ERROR = -32500
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
PARSE_ERROR = -32700


class EzloError(Exception):
    """An error answer: `{"code", "data", "message"}` (plus `reason` when there is more to say)."""

    def __init__(self, code: int, data: str, message: str, reason: str = "") -> None:
        super().__init__(f"{code} {data}: {reason or message}")
        self.code = code
        self.data = data
        self.message = message
        self.reason = reason

    def json(self) -> dict[str, Any]:
        """The `error` member of the reply."""
        error: dict[str, Any] = {"code": self.code, "data": self.data, "message": self.message}
        if self.reason:
            error["reason"] = self.reason
        return error


def method_not_found(method: str) -> EzloError:
    """Unknown method: the firmware answers -32602 (not JSON-RPC's -32601)."""
    return EzloError(INVALID_PARAMS, "rpc.method.notfound", "Unknown method", f"method {method!r} is unknown")


def bad_request(reason: str = "") -> EzloError:
    """A request that is not an object with a method, or a call before login."""
    return EzloError(INVALID_REQUEST, "rpc.params.notfound", "Bad request", reason)


def missing(field: str) -> EzloError:
    """A required field is absent or empty."""
    return EzloError(INVALID_REQUEST, f"rpc.params.empty.{field}", "Empty field", f"{field} is required")


def wrong_params(field: str, reason: str) -> EzloError:
    """A field has the wrong shape."""
    return EzloError(INVALID_PARAMS, f"rpc.params.invalid.{field}", "Wrong params", reason)


def invalid_type(reason: str) -> EzloError:
    """A value of the wrong type for its item."""
    return EzloError(INVALID_PARAMS, "rpc.params.type.invalid", "Value has invalid type", reason)


def out_of_range(field: str, reason: str) -> EzloError:
    """A value outside the item's range."""
    return EzloError(INVALID_PARAMS, f"rpc.params.range.invalid.{field}", "Value is not in valid range", reason)


def invalid_scale(reason: str) -> EzloError:
    """A scale the item's value cannot be converted from."""
    return EzloError(INVALID_PARAMS, "rpc.params.scale.invalid", "The specified scale cannot be used", reason)


def unknown_error(reason: str) -> EzloError:
    """APPLICATION_ERROR `rpc.unknown.error` (item not found, no min/max, ...): the reason says which."""
    return EzloError(APPLICATION_ERROR, "rpc.unknown.error", "Unknown error", reason)


def item_not_found(item_id: str) -> EzloError:
    """No item (that this user may see) has this id."""
    return unknown_error(f"Item not found by id: {item_id}")


def no_permission(reason: str = "") -> EzloError:
    """The logged-in user lacks the method's permission."""
    return EzloError(APPLICATION_ERROR, "user.permission.doesnothave", "User does not have permission", reason)


# -- core failures ----------------------------------------------------------------------------

_ITEM_FAILURES: dict[ThingError, Callable[[ThingFailure, str], EzloError]] = {
    ThingError.THING_NOT_FOUND: lambda failure, item_id: item_not_found(item_id),
    ThingError.INVALID_PARAMETER: lambda failure, item_id: out_of_range(
        "value", failure.message or f"invalid value for item {item_id}"
    ),
    ThingError.MISSING_PARAMETER: lambda failure, item_id: missing("value"),
    ThingError.TIMEOUT: lambda failure, item_id: EzloError(
        INVALID_PARAMS, "bus.request.timeout", "Bus request timeout", failure.message
    ),
}
"""A hub.item.* command's failures on things, by ThingError; any other is `bus.internal.error`."""


def for_failure(failure: HubFailure, *, item_id: str | None = None, failed: str = "Operation failed") -> EzloError:
    """The Ezlo error for a core failure: the door's one table of them.

    `item_id` names the item a hub.item.* command was for: its failures on things answer as the
    firmware's bus does. Without one (a scene, say) a failure on things is an operation that
    failed, with `failed` as the message. Any other failure (the user store failing under a
    login, say) answers as the door answers what it did not foresee: an internal error.
    """
    if isinstance(failure, PermissionDenied):
        return no_permission(failure.message)
    if isinstance(failure, UnknownHouseMode):
        return EzloError(APPLICATION_ERROR, "ezlo.house_mode.not.exist", "House mode does not exist", failure.message)
    if isinstance(failure, ThingFailure) and item_id is not None:
        make = _ITEM_FAILURES.get(failure.error)
        if make is not None:
            return make(failure, item_id)
        return EzloError(INVALID_PARAMS, "bus.internal.error", "Bus internal error", failure.message)
    if isinstance(failure, ThingFailure):
        return EzloError(APPLICATION_ERROR, "internal.operation.error", failed, failure.message)
    return EzloError(INTERNAL_ERROR, "internal.operation.error", "Internal error", str(failure))
