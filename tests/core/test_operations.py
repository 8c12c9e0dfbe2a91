"""core.errors and core.operations: one failure family, and the Result an operation answers for each kind."""

from __future__ import annotations

import asyncio
import copy
import logging
import pickle

import pytest

from thinggate.core.errors import HubFailure, PermissionDenied, ThingError, ThingFailure, UserError, UserFailure
from thinggate.core.modes import UnknownHouseMode
from thinggate.core.operations import Result, operation
from thinggate.core.security import SYSTEM, LoginThrottled, Principal, Scope

# -- the family -------------------------------------------------------------------------------

FAILURES: list[tuple[HubFailure, str, str]] = [
    (ThingFailure(ThingError.THING_NOT_FOUND, "no thing with id 42"), "ThingNotFound", "no thing with id 42"),
    (UserFailure(UserError.BAD_PASSWORD, "the password needs a digit"), "BadPassword", "the password needs a digit"),
    (PermissionDenied("bob may not switch the house mode"), "PermissionDenied", "bob may not switch the house mode"),
    (UnknownHouseMode("no house mode with id '9'"), "UnknownHouseMode", "no house mode with id '9'"),
    (LoginThrottled("127.0.0.1", 3.0, "locked out"), "LoginThrottled", "127.0.0.1: locked out; try again in 3 s"),
]


@pytest.mark.parametrize(("failure", "code", "message"), FAILURES, ids=[code for _f, code, _m in FAILURES])
def test_every_core_failure_is_a_hub_failure_that_names_its_kind_and_what_was_wrong(
    failure: HubFailure, code: str, message: str
) -> None:
    with pytest.raises(HubFailure) as caught:
        raise failure
    assert caught.value is failure
    assert (failure.code, failure.message, str(failure)) == (code, message, f"{code}: {message}")


@pytest.mark.parametrize(("failure", "code", "message"), FAILURES, ids=[code for _f, code, _m in FAILURES])
def test_a_copied_or_pickled_failure_is_the_same_failure(failure: HubFailure, code: str, message: str) -> None:
    for again in (copy.copy(failure), pickle.loads(pickle.dumps(failure))):
        assert type(again) is type(failure)
        assert (again.code, again.message, str(again)) == (code, message, str(failure))
        assert getattr(again, "error", None) is getattr(failure, "error", None)


def test_a_failure_without_a_message_is_its_code_and_an_unknown_mode_is_still_a_lookup_error() -> None:
    assert str(ThingFailure(ThingError.UNSUPPORTED_FEATURE)) == "UnsupportedFeature"
    assert str(UserFailure(UserError.TOKEN_NOT_FOUND)) == "TokenNotFound"
    assert str(PermissionDenied()) == "PermissionDenied"
    assert isinstance(UnknownHouseMode("no house mode with name 'x'"), LookupError)


# -- the operation decorator: each failure kind -> the Result the doors see -------------------


class Things:
    """An owner of one operation that does what each test tells it to."""

    def __init__(self) -> None:
        self.runs = 0

    @operation(Scope.CONTROL_THINGS)
    async def switch(self, principal: Principal, outcome: Result[int] | BaseException) -> Result[int]:
        """Answer `outcome`, or raise it."""
        self.runs += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


async def test_success_hands_back_the_operations_own_result_untouched() -> None:
    answered: Result[int] = Result(value=7)
    result = await Things().switch(SYSTEM, answered)
    assert result is answered
    assert (result.ok, result.failure, result.error, result.message, result.permission_denied) == (
        True,
        None,
        ThingError.NO_ERROR,
        "",
        False,
    )


async def test_a_principal_without_the_scope_is_denied_before_the_operation_runs() -> None:
    things = Things()
    guest = Principal(name="guest", scopes=Scope.ACCESS_ALL_THINGS)
    result = await things.switch(guest, Result(value=1))
    assert things.runs == 0
    assert isinstance(result.failure, PermissionDenied)
    assert (result.ok, result.permission_denied, result.value) == (False, True, None)
    assert result.message == "guest may not switch: that needs PermissionScopeControlThings"
    anonymous = await things.switch(Principal(name=""), Result(value=1))
    assert anonymous.message == "an anonymous caller may not switch: that needs PermissionScopeControlThings"


async def test_a_thing_failure_is_answered_as_it_was_raised() -> None:
    failure = ThingFailure(ThingError.INVALID_PARAMETER, "param 'brightness': 140 is above the maximum 100")
    result = await Things().switch(SYSTEM, failure)
    assert result.failure is failure
    assert (result.ok, result.error, result.message, result.permission_denied) == (
        False,
        ThingError.INVALID_PARAMETER,
        "param 'brightness': 140 is above the maximum 100",
        False,
    )


async def test_a_finer_refusal_inside_the_operation_is_answered_as_permission_denied() -> None:
    failure = PermissionDenied("guest may not reach every device")
    result = await Things().switch(SYSTEM, failure)
    assert result.failure is failure
    assert (result.ok, result.permission_denied, result.message) == (False, True, "guest may not reach every device")


async def test_a_timeout_is_a_thing_failure_timeout() -> None:
    result = await Things().switch(SYSTEM, TimeoutError())
    assert isinstance(result.failure, ThingFailure)
    assert (result.error, result.message) == (ThingError.TIMEOUT, "the device did not answer in time")


@pytest.mark.parametrize(
    "bug",
    [RuntimeError("boom"), UserFailure(UserError.INVALID_USER_ID, "no user named 'x'")],
    ids=["integration bug", "user failure"],
)
async def test_anything_else_is_a_logged_bug_answered_as_hardware_failure(
    bug: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger=__name__):
        result = await Things().switch(SYSTEM, bug)
    assert isinstance(result.failure, ThingFailure)
    assert (result.error, result.message) == (ThingError.HARDWARE_FAILURE, f"internal error: {bug}")
    assert [(r.name, r.getMessage(), r.exc_info is not None) for r in caplog.records] == [
        (__name__, "switch failed", True)
    ]


async def test_cancellation_is_not_a_failure() -> None:
    with pytest.raises(asyncio.CancelledError):
        await Things().switch(SYSTEM, asyncio.CancelledError())
