"""Eager coroutines finish without a task when they can, and behave like awaited ones when they cannot."""

from __future__ import annotations

import asyncio

import pytest

from thinggate.core import eager


async def _immediate(value: int) -> int:
    return value * 2


async def _after(delay: float, value: int) -> int:
    await asyncio.sleep(delay)
    return value


async def _fails_later() -> None:
    await asyncio.sleep(0.01)
    raise ValueError("broken device")


async def test_a_coroutine_that_does_not_wait_finishes_in_start() -> None:
    assert eager.start(_immediate(21)) == (True, 42)


async def test_a_waiting_coroutine_is_resumed_with_its_result() -> None:
    coroutine = _after(0.01, 7)
    finished, waiting_on = eager.start(coroutine)
    assert not finished
    assert await asyncio.create_task(eager.resume(coroutine, waiting_on)) == 7


async def test_within_returns_raises_and_times_out() -> None:
    assert await eager.within(_immediate(2), 1) == 4
    assert await eager.within(_after(0.01, 3), 1) == 3
    with pytest.raises(ValueError, match="broken device"):
        await eager.within(_fails_later(), 1)
    with pytest.raises(TimeoutError):
        await eager.within(_after(5, 0), 0.05)
