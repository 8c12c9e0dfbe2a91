"""What a registry operation can fail with: a kind, a message, the property at fault and details."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any


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
    DOMAIN_ID_EXISTS = "DOMAIN_ID_EXISTS"
    USER_USERNAME_EXISTS = "USER_USERNAME_EXISTS"
    THING_TYPE_ID_EXISTS = "THING_TYPE_ID_EXISTS"
    DOMAIN_NOT_EMPTY = "DOMAIN_NOT_EMPTY"
    THING_TYPE_HAS_THINGS = "THING_TYPE_HAS_THINGS"
    BACKEND_ERROR = "BACKEND_ERROR"


class RegistryFailure(Exception):
    """A registry operation refused or failed; `property` names the request field at fault, if one is."""

    def __init__(
        self,
        error: RegistryError,
        message: str,
        *,
        property: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{error.value}: {message}")
        self.error = error
        self.message = message
        self.property = property
        self.params: dict[str, Any] = dict(params or {})
