"""One failure style for the whole core: every failure a caller meets is a `HubFailure`.

Why one style: callers used to meet three. Hub operations answered a `Result` with an error
and a separate `permission_denied` flag, user management raised `UserFailure`, and house
modes raised `PermissionDenied` (a plain exception, unrelated to the other two). A door had
to know which style each call used, and grew an isinstance chain per handler. Now:

- Every failure is an exception deriving from `HubFailure`. It names its kind in `code`
  (nymea's name where nymea has one: "ThingNotFound", "BadPassword", "PermissionDenied") and
  says what exactly was wrong, with which value, in `message` (xknx style:
  "no thing with id 3f2c...", not "invalid"). `str(failure)` is "code: message".
- The kinds: `ThingFailure` (a `ThingError`: operations on things, raised by the core and by
  integrations), `UserFailure` (a `UserError`: users and tokens), `PermissionDenied` (the
  principal may not do this at all), and beside them `UnknownHouseMode` (core.modes) and
  `LoginThrottled` (core.security.limiter), which live with what raises them.
- Operations on things (the hub's `operation` methods) still *answer* a `Result` rather than
  raise, because the doors shaped after nymea answer an error and a value together (a
  `thingError` beside the things). The `Result` carries the failure itself (`Result.failure`);
  `error`, `message` and `permission_denied` are read from it. Everything else (users and
  tokens, house modes, login limits) raises its failure.
- Either way a caller holds one `HubFailure` and maps it to its own wire codes in one place
  (`for_failure` in the Ezlo and Thinknx doors' errors modules; the JSON-RPC door spells
  `ThingError`/`UserError` by name and answers PermissionDenied once, in its dispatch). No
  caller needs to know which style a call used.
"""

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


class HubFailure(Exception):
    """Base of every failure the core reports to a caller: `code` says which kind, `message` what exactly."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        """The kind of failure in one word (nymea's name where it has one)."""
        return type(self).__name__

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code


class ThingFailure(HubFailure):
    """An operation on things failed: raised inside the core and by integrations, answered in a Result."""

    def __init__(self, error: ThingError, message: str = "") -> None:
        super().__init__(message)
        self.args = (error, message)  # so that copies and pickles rebuild the same failure
        self.error = error

    @property
    def code(self) -> str:
        """The ThingError's nymea name, e.g. "ThingNotFound"."""
        return self.error.value


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


class UserFailure(HubFailure):
    """A user-management operation failed (users, passwords, tokens): raised by the security manager."""

    def __init__(self, error: UserError, message: str = "") -> None:
        super().__init__(message)
        self.args = (error, message)  # so that copies and pickles rebuild the same failure
        self.error = error

    @property
    def code(self) -> str:
        """The UserError's nymea name, e.g. "BadPassword"."""
        return self.error.value


class PermissionDenied(HubFailure):
    """The principal may not do this at all (as opposed to: may not see this thing, which is not found).

    Not to be mixed up with `UserError.PERMISSION_DENIED`, the Users namespace's answer when a
    user acts on another user's record (a token that is not theirs).
    """
