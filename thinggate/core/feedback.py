"""Run an action and wait for the device to confirm it on a state (Thinknx's `fb`).

A command is confirmed by the device reporting the state it acts on: at once when the report
equals the value asked for, otherwise once the reports have settled on another value (a dimmer
that clamps, a blind that stopped early). Reports count whether or not the value changed, so
an actuator confirming a value it already had confirms too. No report within the time given
is a Timeout: the device did not answer.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from typing import Any

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.hub import Hub, ParamInput, Result
from thinggate.core.security import Principal

SETTLE_SECONDS = 0.5
"""How long reports of another value must stay quiet before that value is the answer."""

_NOTHING = object()


def _same(reported: Any, expected: Any) -> bool:
    if isinstance(reported, bool) or isinstance(expected, bool):
        return bool(reported) == bool(expected) and type(reported) is type(expected)
    if isinstance(reported, int | float) and isinstance(expected, int | float):
        return math.isclose(float(reported), float(expected), rel_tol=1e-9, abs_tol=1e-6)
    return bool(reported == expected)


async def execute_confirmed(
    hub: Hub,
    principal: Principal,
    *,
    thing_id: uuid.UUID,
    action_type_id: uuid.UUID,
    params: ParamInput,
    state_type_id: uuid.UUID,
    expected: Any = _NOTHING,
    within: float,
    settle: float = SETTLE_SECONDS,
) -> Result[Any]:
    """Execute an action, then answer the state value the device reports for it.

    Without `expected`, the first report after the action is the answer.
    """
    reports: asyncio.Queue[Any] = asyncio.Queue()
    # Watch before executing: a device may report while the action is still running.
    unwatch = hub.watch_state(thing_id, state_type_id, reports.put_nowait)
    try:
        started = await hub.execute_action(principal, thing_id, action_type_id, params)
        if not started.ok:
            return Result(failure=started.failure)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        last: Any = _NOTHING
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            wait = remaining if last is _NOTHING else min(remaining, settle)
            try:
                value = await asyncio.wait_for(reports.get(), wait)
            except TimeoutError:
                if last is not _NOTHING:
                    return Result(value=last)  # settled on another value
                break
            if expected is _NOTHING or _same(value, expected):
                return Result(value=value)
            last = value
        if last is not _NOTHING:
            return Result(value=last)  # still moving at the deadline: what it reached so far
        return Result(failure=ThingFailure(ThingError.TIMEOUT, f"no feedback from the device within {within:g} s"))
    finally:
        unwatch()
