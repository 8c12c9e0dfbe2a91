"""One error vocabulary for the whole hub; each door maps it to its own codes."""

from __future__ import annotations

import enum


class ThingError(enum.Enum):
    """Result of an operation on things, named as nymea names it (without the prefix)."""

    NO_ERROR = "NoError"
    PLUGIN_NOT_FOUND = "PluginNotFound"
    VENDOR_NOT_FOUND = "VendorNotFound"
    THING_NOT_FOUND = "ThingNotFound"
    THING_CLASS_NOT_FOUND = "ThingClassNotFound"
    ACTION_TYPE_NOT_FOUND = "ActionTypeNotFound"
    STATE_TYPE_NOT_FOUND = "StateTypeNotFound"
    EVENT_TYPE_NOT_FOUND = "EventTypeNotFound"
    THING_DESCRIPTOR_NOT_FOUND = "ThingDescriptorNotFound"
    MISSING_PARAMETER = "MissingParameter"
    INVALID_PARAMETER = "InvalidParameter"
    SETUP_FAILED = "SetupFailed"
    DUPLICATE_UUID = "DuplicateUuid"
    CREATION_METHOD_NOT_SUPPORTED = "CreationMethodNotSupported"
    SETUP_METHOD_NOT_SUPPORTED = "SetupMethodNotSupported"
    HARDWARE_NOT_AVAILABLE = "HardwareNotAvailable"
    HARDWARE_FAILURE = "HardwareFailure"
    AUTHENTICATION_FAILURE = "AuthenticationFailure"
    THING_IN_USE = "ThingInUse"
    THING_IN_RULE = "ThingInRule"
    THING_IS_CHILD = "ThingIsChild"
    PAIRING_TRANSACTION_ID_NOT_FOUND = "PairingTransactionIdNotFound"
    PARAMETER_NOT_WRITABLE = "ParameterNotWritable"
    ITEM_NOT_FOUND = "ItemNotFound"
    ITEM_NOT_EXECUTABLE = "ItemNotExecutable"
    UNSUPPORTED_FEATURE = "UnsupportedFeature"
    TIMEOUT = "Timeout"


class ThingFailure(Exception):
    """Raised inside the core and by integrations; the hub turns it into a ThingError result."""

    def __init__(self, error: ThingError, message: str = "") -> None:
        super().__init__(f"{error.value}: {message}" if message else error.value)
        self.error = error
        self.message = message


class UserError(enum.Enum):
    """Result of a user-management operation, named as nymea names it (without the prefix)."""

    NO_ERROR = "NoError"
    BACKEND_ERROR = "BackendError"
    INVALID_USER_ID = "InvalidUserId"
    DUPLICATE_USER_ID = "DuplicateUserId"
    BAD_PASSWORD = "BadPassword"
    TOKEN_NOT_FOUND = "TokenNotFound"
    PERMISSION_DENIED = "PermissionDenied"
    INCONSISTENT_SCOPES = "InconsistantScopes"


class UserFailure(Exception):
    """Raised by the security layer; carries a UserError."""

    def __init__(self, error: UserError, message: str = "") -> None:
        super().__init__(f"{error.value}: {message}" if message else error.value)
        self.error = error
        self.message = message


class PermissionDenied(Exception):
    """The principal may not do this at all (as opposed to: may not see this thing)."""
