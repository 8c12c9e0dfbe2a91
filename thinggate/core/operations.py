"""What a hub operation answers and how it is guarded: Result, the `operation` decorator, Timeouts.

Apart from the hub so that doors (and anything else that speaks of results) import them without it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.security import Principal, Scope

T = TypeVar("T")
P = ParamSpec("P")
S = TypeVar("S")

ParamInput = Iterable[tuple[Any, Any]]
"""Params as a door hands them in: (param type id, value) pairs, ids as UUID or string."""


@dataclass(slots=True)
class Result(Generic[T]):
    """What an operation answers: a ThingError (NoError on success), a value and a message."""

    error: ThingError = ThingError.NO_ERROR
    value: T | None = None
    message: str = ""
    permission_denied: bool = False

    @property
    def ok(self) -> bool:
        """Whether the operation succeeded."""
        return self.error is ThingError.NO_ERROR and not self.permission_denied


@dataclass(slots=True)
class Timeouts:
    """How long integrations get for each kind of call, in seconds (nymea's values)."""

    action: float = 15.0
    setup: float = 30.0
    pairing: float = 30.0
    discovery: float = 40.0
    browse: float = 30.0


def operation(
    scope: Scope,
) -> Callable[
    [Callable[Concatenate[S, Principal, P], Coroutine[Any, Any, Result[T]]]],
    Callable[Concatenate[S, Principal, P], Coroutine[Any, Any, Result[T]]],
]:
    """Make a hub method check the principal's scope and turn failures into a Result."""

    def decorate(
        method: Callable[Concatenate[S, Principal, P], Coroutine[Any, Any, Result[T]]],
    ) -> Callable[Concatenate[S, Principal, P], Coroutine[Any, Any, Result[T]]]:
        # Failures are logged under the module of the operation (thinggate.core.hub for the hub's).
        log = logging.getLogger(method.__module__)

        @functools.wraps(method)
        async def wrapper(owner: S, principal: Principal, /, *args: P.args, **kwargs: P.kwargs) -> Result[T]:
            if not principal.has_scope(scope):
                return Result(permission_denied=True, message="Permission denied.")
            try:
                return await method(owner, principal, *args, **kwargs)
            except ThingFailure as failure:
                return Result(error=failure.error, message=failure.message)
            except TimeoutError:
                return Result(error=ThingError.TIMEOUT, message="the device did not answer in time")
            except Exception as exc:  # an integration bug must not escape to a door
                log.exception("%s failed", method.__name__)
                return Result(error=ThingError.HARDWARE_FAILURE, message=f"internal error: {exc}")

        wrapper.required_scope = scope  # type: ignore[attr-defined]
        return wrapper

    return decorate
