"""Ezlo error objects: a code (the error group), a machine-readable `data` string and a message.

The codes and strings are the ones Ezlo firmware and its documentation use (reference/ezlo-hub.md
§2.4); `reason`, when present, says what exactly was wrong with which value.
"""

from __future__ import annotations

from typing import Any

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
