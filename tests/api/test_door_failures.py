"""Each door's one table of core failures: every kind of HubFailure -> that door's answer."""

from __future__ import annotations

import pytest

from thinggate.api.ezlo import errors as ezlo
from thinggate.api.thinknx import errors as thinknx
from thinggate.core.errors import HubFailure, PermissionDenied, ThingError, ThingFailure, UserError, UserFailure
from thinggate.core.modes import UnknownHouseMode

DENIED = PermissionDenied("guest may not switch the house mode")
NO_MODE = UnknownHouseMode("no house mode with id '9'")
BACKEND = UserFailure(UserError.BACKEND_ERROR, "could not load users: disk I/O error")
GONE = ThingFailure(ThingError.THING_NOT_FOUND, "no thing with id 42")
TOO_BRIGHT = ThingFailure(ThingError.INVALID_PARAMETER, "param 'brightness': 140 is above the maximum 100")
SILENT = ThingFailure(ThingError.TIMEOUT, "the device did not finish the action in time")
BUS_DOWN = ThingFailure(ThingError.HARDWARE_NOT_AVAILABLE, "the KNX bus is not connected")
NO_VALUE = ThingFailure(ThingError.MISSING_PARAMETER, "param 'value' is required")
RANGE = (-32602, "rpc.params.range.invalid.value", "Value is not in valid range")


def _ezlo(error: ezlo.EzloError) -> tuple[int, str, str, str]:
    return error.code, error.data, error.message, error.reason


@pytest.mark.parametrize(
    ("failure", "item_id", "answer"),
    [
        (DENIED, None, (-32500, "user.permission.doesnothave", "User does not have permission", DENIED.message)),
        (NO_MODE, None, (-32500, "ezlo.house_mode.not.exist", "House mode does not exist", NO_MODE.message)),
        (GONE, "abc", (-32500, "rpc.unknown.error", "Unknown error", "Item not found by id: abc")),
        (TOO_BRIGHT, "abc", (*RANGE, TOO_BRIGHT.message)),
        (ThingFailure(ThingError.INVALID_PARAMETER), "abc", (*RANGE, "invalid value for item abc")),
        (NO_VALUE, "abc", (-32600, "rpc.params.empty.value", "Empty field", "value is required")),
        (SILENT, "abc", (-32602, "bus.request.timeout", "Bus request timeout", SILENT.message)),
        (BUS_DOWN, "abc", (-32602, "bus.internal.error", "Bus internal error", BUS_DOWN.message)),
        (BUS_DOWN, None, (-32500, "internal.operation.error", "Operation failed", BUS_DOWN.message)),
        (BACKEND, None, (-32603, "internal.operation.error", "Internal error", str(BACKEND))),
    ],
)
def test_ezlo_answers_each_failure_from_one_table(
    failure: HubFailure, item_id: str | None, answer: tuple[int, str, str, str]
) -> None:
    assert _ezlo(ezlo.for_failure(failure, item_id=item_id)) == answer


def test_ezlo_names_the_operation_that_failed_on_a_thing() -> None:
    assert _ezlo(ezlo.for_failure(BUS_DOWN, failed="Scene failed")) == (
        -32500,
        "internal.operation.error",
        "Scene failed",
        BUS_DOWN.message,
    )
    # A refusal stays a refusal, whatever operation it refused.
    assert ezlo.for_failure(DENIED, failed="Scene failed").data == "user.permission.doesnothave"


@pytest.mark.parametrize(
    ("failure", "answer"),
    [
        (DENIED, (403, "authentication failed", DENIED.message)),
        (PermissionDenied(), (403, "authentication failed", "permission denied")),
        (GONE, (404, "device not found", GONE.message)),
        (TOO_BRIGHT, (400, "params errors", TOO_BRIGHT.message)),
        (NO_VALUE, (400, "params errors", NO_VALUE.message)),
        (ThingFailure(ThingError.ACTION_TYPE_NOT_FOUND, "no action up"), (400, "params errors", "no action up")),
        (ThingFailure(ThingError.STATE_TYPE_NOT_FOUND, "no state up"), (400, "params errors", "no state up")),
        (SILENT, (500, "impossible to execute", f"Timeout: {SILENT.message}")),
        (BUS_DOWN, (500, "impossible to execute", f"HardwareNotAvailable: {BUS_DOWN.message}")),
        (BACKEND, (500, "impossible to execute", f"BackendError: {BACKEND.message}")),
    ],
)
def test_thinknx_answers_each_failure_from_one_table(failure: HubFailure, answer: tuple[int, str, str]) -> None:
    error = thinknx.for_failure(failure)
    assert (error.status, error.message, error.reason) == answer
