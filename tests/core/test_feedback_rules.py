"""core.feedback's rules on a scripted device: equal answers at once, other values once settled."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from thinggate.core.errors import ThingError
from thinggate.core.feedback import execute_confirmed
from thinggate.core.hub import Result
from thinggate.core.security import SYSTEM

THING, STATE = uuid.uuid4(), uuid.uuid4()


class ScriptedHub:
    """Just what execute_confirmed uses of a hub: the action reports values at given delays."""

    def __init__(self, reports: list[tuple[float, Any]]) -> None:
        self.reports = reports
        self.watchers: list[Callable[[Any], None]] = []

    def watch_state(self, thing_id: uuid.UUID, state_type_id: uuid.UUID, watcher: Callable[[Any], None]) -> Any:
        self.watchers.append(watcher)
        return lambda: self.watchers.remove(watcher)

    async def execute_action(self, *args: Any) -> Result[None]:
        loop = asyncio.get_running_loop()
        for delay, value in self.reports:
            loop.call_later(delay, lambda v=value: [w(v) for w in list(self.watchers)])
        return Result()


async def confirm(reports: list[tuple[float, Any]], expected: Any, within: float, settle: float) -> tuple[Any, float]:
    hub = ScriptedHub(reports)
    started = time.monotonic()
    result = await execute_confirmed(
        hub,  # type: ignore[arg-type]
        SYSTEM,
        thing_id=THING,
        action_type_id=STATE,
        params=[],
        state_type_id=STATE,
        expected=expected,
        within=within,
        settle=settle,
    )
    assert hub.watchers == []
    return (result.value if result.ok else result.error), time.monotonic() - started


async def test_a_report_of_the_value_asked_for_answers_at_once_however_long_the_wait_may_be() -> None:
    value, took = await confirm([(0.05, 50)], expected=50, within=10, settle=5)
    assert value == 50 and took < 1


async def test_another_value_answers_once_the_reports_have_settled() -> None:
    value, took = await confirm([(0.02, 10), (0.05, 20)], expected=50, within=10, settle=0.3)
    assert value == 20
    assert 0.3 <= took < 1.5  # waited for the quiet time after the last report, not for `within`


async def test_reports_closer_than_the_settle_time_keep_it_waiting_until_the_value_asked_for() -> None:
    travel = [(0.02 * n, n * 10) for n in range(1, 6)]  # 10, 20, ... 50, every 20 ms
    value, took = await confirm(travel, expected=50, within=10, settle=0.3)
    assert value == 50 and took < 0.3


async def test_no_report_is_a_timeout_after_within() -> None:
    value, took = await confirm([], expected=50, within=0.2, settle=5)
    assert value is ThingError.TIMEOUT and 0.2 <= took < 1
