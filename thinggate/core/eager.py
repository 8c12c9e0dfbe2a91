"""Eager coroutines: run one at once, and only pay for a Task (and a timer) if it has to wait.

Most hub calls finish without suspending (a read, an action the device confirms at once); Python
3.11's asyncio would still create a Task for each one under `wait_for` or `create_task`.

Caveat: the first step runs in the *caller's* task. An `asyncio.timeout()` entered before the
coroutine first suspends is bound to the caller and, once the rest moves into a Task, would
cancel the caller when it expires. Code that may run eagerly (integration actions, door
requests) suspends once (`await asyncio.sleep(0)`) before entering a timeout; the KNX
integration's send does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


class _Continuation:
    """Awaitable that drives a coroutine already started by hand from where it suspended."""

    __slots__ = ("coroutine", "waiting_on")

    def __init__(self, coroutine: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        self.coroutine = coroutine
        self.waiting_on = waiting_on

    def __await__(self) -> Generator[Any, None, Any]:
        # The protocol a Task speaks with a coroutine: hand up what it waits on, resume it with
        # send(None) (or throw) once that is done, until it returns.
        waiting_on = self.waiting_on
        while True:
            try:
                yield waiting_on
            except BaseException as exc:
                try:
                    waiting_on = self.coroutine.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    waiting_on = self.coroutine.send(None)
                except StopIteration as done:
                    return done.value


async def resume(coroutine: Coroutine[Any, Any, T], waiting_on: Any) -> T:
    """Finish a coroutine that `start` found waiting on `waiting_on` (e.g. inside a Task)."""
    result: T = await _Continuation(coroutine, waiting_on)
    return result


def start(coroutine: Coroutine[Any, Any, T]) -> tuple[bool, Any]:
    """Run a coroutine up to its first suspension: (True, result) if it finished, else (False, what it waits on)."""
    try:
        waiting_on = coroutine.send(None)
    except StopIteration as done:
        return True, done.value
    return False, waiting_on


async def within(coroutine: Coroutine[Any, Any, T], seconds: float) -> T:
    """Await a coroutine for at most `seconds` (TimeoutError), eagerly: no Task if it need not wait."""
    finished, value = start(coroutine)
    if finished:
        result: T = value
        return result
    return await asyncio.wait_for(resume(coroutine, value), seconds)
