"""What a hub operation answers and how it is guarded: Result, the `operation` decorator, Timeouts.

Apart from the hub so that doors (and anything else that speaks of results) import them without it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from thinggate.core.errors import PermissionDenied, ThingError, ThingFailure
from thinggate.core.security import Principal, Scope, scopes_to_names

T = TypeVar("T")
P = ParamSpec("P")
S = TypeVar("S")

ParamInput = Iterable[tuple[Any, Any]]
"""Params as a door hands them in: (param type id, value) pairs, ids as UUID or string."""


OperationFailure = ThingFailure | PermissionDenied
"""What an operation can fail with: a failure on things, or a principal that may not do it at all."""


@dataclass(slots=True)
class Result(Generic[T]):
    """What an operation answers: its value, or the failure (`failure` None means it succeeded).

    `error`, `message` and `permission_denied` are read from the failure, so that a door that
    answers nymea's `thingError` reads naturally; a door mapping failures to its own codes takes
    `failure` itself.
    """

    value: T | None = None
    failure: OperationFailure | None = None

    @property
    def ok(self) -> bool:
        """Whether the operation succeeded."""
        return self.failure is None

    @property
    def error(self) -> ThingError:
        """The ThingError: NO_ERROR on success, and also for PermissionDenied, which no ThingError names."""
        failure = self.failure
        return failure.error if isinstance(failure, ThingFailure) else ThingError.NO_ERROR

    @property
    def message(self) -> str:
        """What exactly went wrong ("" on success)."""
        failure = self.failure
        return "" if failure is None else failure.message

    @property
    def permission_denied(self) -> bool:
        """Whether the principal may not do this at all (rather than: it failed on a thing)."""
        return isinstance(self.failure, PermissionDenied)


@dataclass(slots=True)
class Timeouts:
    """How long integrations get for each kind of call, in seconds (nymea's values)."""

    action: float = 15.0
    setup: float = 30.0
    pairing: float = 30.0
    discovery: float = 40.0
    browse: float = 30.0


def refused(principal: Principal, scope: Scope, name: str) -> Result[Any]:
    """What an operation answers a principal without `scope`: PermissionDenied, naming the scope."""
    who = principal.name or "an anonymous caller"
    # The scope's nymea name (the last one listed is the scope itself, after those it implies).
    needed = scopes_to_names(scope)[-1]
    return Result(failure=PermissionDenied(f"{who} may not {name}: that needs {needed}"))


def failed(exc: Exception, name: str, log: logging.Logger) -> Result[Any]:
    """What an operation answers for an exception it raised (called in the `except` that caught it).

    A ThingFailure or PermissionDenied is answered as it is; TimeoutError is a ThingFailure TIMEOUT;
    anything else is a bug (of an integration, mostly), logged and answered as HARDWARE_FAILURE so
    that it never escapes to a door. A UserFailure counts as such a bug: no operation on things
    manages users.
    """
    if isinstance(exc, (ThingFailure, PermissionDenied)):
        return Result(failure=exc)
    if isinstance(exc, TimeoutError):
        return Result(failure=ThingFailure(ThingError.TIMEOUT, "the device did not answer in time"))
    log.exception("%s failed", name)
    return Result(failure=ThingFailure(ThingError.HARDWARE_FAILURE, f"internal error: {exc}"))


def operation(
    scope: Scope,
) -> Callable[
    [Callable[Concatenate[S, Principal, P], Coroutine[Any, Any, Result[T]]]],
    Callable[Concatenate[S, Principal, P], Coroutine[Any, Any, Result[T]]],
]:
    """Make a hub method check the principal's scope and answer its failures as a Result.

    A principal without `scope` gets PermissionDenied (`refused`); whatever the method raises is
    answered as `failed` says. On success the method's own Result is handed back untouched. The
    decorated method carries `required_scope`. A method on the hottest path may spell the same out
    in its own body instead (one coroutine frame fewer), with `refused` and `failed`.
    """

    def decorate(
        method: Callable[Concatenate[S, Principal, P], Coroutine[Any, Any, Result[T]]],
    ) -> Callable[Concatenate[S, Principal, P], Coroutine[Any, Any, Result[T]]]:
        # Failures are logged under the module of the operation (thinggate.core.hub for the hub's).
        log = logging.getLogger(method.__module__)
        name = method.__name__

        @functools.wraps(method)
        async def wrapper(owner: S, principal: Principal, /, *args: P.args, **kwargs: P.kwargs) -> Result[T]:
            if not principal.has_scope(scope):
                return refused(principal, scope, name)
            try:
                return await method(owner, principal, *args, **kwargs)
            except Exception as exc:  # an integration bug must not escape to a door either
                return failed(exc, name, log)

        wrapper.required_scope = scope  # type: ignore[attr-defined]
        return wrapper

    return decorate
