"""What a registry operation can fail with: a kind, a message, the property at fault and details."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from thinggate.core.errors import HubFailure


class RegistryError(enum.Enum):
    """The kinds of registry failure (a door maps each to its own code and status)."""

    PROPERTY_REQUIRED = "PROPERTY_REQUIRED"
    INVALID_ARGUMENTS = "INVALID_ARGUMENTS"
    INVALID_ACTION = "INVALID_ACTION"
    NOT_AUTHORIZED = "NOT_AUTHORIZED"
    NOT_AUTHORIZED_DOMAIN = "NOT_AUTHORIZED_DOMAIN"
    DOMAIN_NOT_FOUND = "DOMAIN_NOT_FOUND"
    USER_NOT_FOUND = "USER_NOT_FOUND"
    THING_TYPE_NOT_FOUND = "THING_TYPE_NOT_FOUND"
    THING_NOT_FOUND = "THING_NOT_FOUND"
    EVENT_NOT_FOUND = "EVENT_NOT_FOUND"
    DOMAIN_ID_EXISTS = "DOMAIN_ID_EXISTS"
    USER_USERNAME_EXISTS = "USER_USERNAME_EXISTS"
    THING_TYPE_ID_EXISTS = "THING_TYPE_ID_EXISTS"
    THING_NAME_EXISTS = "THING_NAME_EXISTS"
    DOMAIN_NOT_EMPTY = "DOMAIN_NOT_EMPTY"
    THING_TYPE_HAS_THINGS = "THING_TYPE_HAS_THINGS"
    BACKEND_ERROR = "BACKEND_ERROR"


class RegistryFailure(HubFailure):
    """A registry operation refused or failed; `property` names the request field at fault, if one is.

    One of the core's failure family (thinggate.core.errors), so a caller that catches HubFailure catches it too.
    """

    def __init__(
        self,
        error: RegistryError,
        message: str,
        *,
        property: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.property = property
        self.params: dict[str, Any] = dict(params or {})

    @property
    def code(self) -> str:
        """The registry error's key, e.g. "THING_TYPE_NOT_FOUND"."""
        return self.error.value

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt with its keyword arguments, so that copies and pickles carry the property and params.
        return (_rebuild, (self.error, self.message, self.property, self.params))


def _rebuild(error: RegistryError, message: str, property: str | None, params: dict[str, Any]) -> RegistryFailure:
    return RegistryFailure(error, message, property=property, params=params)
