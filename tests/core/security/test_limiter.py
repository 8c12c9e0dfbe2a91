"""LoginLimiter: failures per address, the lockout and its growing delay, the waiting queue."""

from __future__ import annotations

import asyncio

import pytest

from thinggate.core.security import (
    LoginLimiter,
    LoginThrottled,
)

# --- login limiter ------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_locks_after_five_failures_with_growing_delay() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock)
    for _ in range(4):
        limiter.failed("1.2.3.4")
    assert limiter.check("1.2.3.4") == 0
    assert limiter.failed("1.2.3.4") == 10
    assert limiter.check("1.2.3.4") == 10
    assert limiter.check("5.6.7.8") == 0  # per peer
    clock.now += 4
    assert limiter.check("1.2.3.4") == 6
    clock.now += 6
    assert limiter.check("1.2.3.4") == 0

    delays = []
    for _ in range(6):
        for _ in range(5):
            limiter.failed("1.2.3.4")
        delays.append(limiter.check("1.2.3.4"))
        clock.now += delays[-1]
    assert delays == [20, 40, 80, 160, 300, 300]


def test_limiter_counts_only_failures_within_the_window() -> None:
    clock = FakeClock()
    start = clock.now
    limiter = LoginLimiter(clock=clock)
    for offset in (0, 30, 50, 55, 65):  # the first has left the 60 s window by the fifth
        clock.now = start + offset
        limiter.failed("peer")
    assert limiter.check("peer") == 0
    clock.now = start + 66
    limiter.failed("peer")  # 30, 50, 55, 65, 66: five within the window
    assert limiter.check("peer") == 10


async def test_limiter_success_takes_back_only_its_own_count() -> None:
    # A good login must not wipe the address's failures: else an attacker with any account
    # resets the lockout between guesses (issue 11, finding 13).
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock)
    for _ in range(4):
        limiter.failed("peer")
    async with limiter.attempt("peer") as attempt:
        attempt.succeeded()
    assert limiter.check("peer") == 0
    limiter.failed("peer")  # the fifth failure within the window
    assert limiter.check("peer") == 10


async def test_limiter_counts_an_attempt_before_it_runs() -> None:
    # Concurrent guesses: checked before and counted after, a hundred at once all passed the check.
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock, max_failures=5)
    order: list[str] = []
    release = asyncio.Event()

    async def guess(number: int, right: bool) -> str:
        try:
            async with limiter.attempt("peer", max_waiting=200) as attempt:
                order.append(f"run {number}")
                await release.wait()
                if right:
                    attempt.succeeded()
                    return "success"
                attempt.failed()
                return "wrong"
        except LoginThrottled:
            return "throttled"

    tasks = [asyncio.create_task(guess(number, right=number == 99)) for number in range(100)]
    await asyncio.sleep(0)
    assert order == ["run 0"]  # one login in progress per address
    release.set()
    results = await asyncio.gather(*tasks)
    assert results.count("wrong") == 5
    assert results.count("throttled") == 95
    assert results[99] == "throttled"  # the right password, last, comes too late
    assert limiter.check("peer") == 10


async def test_limiter_cancelled_attempt_stays_counted() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock, max_failures=2)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            async with limiter.attempt("peer"):
                raise RuntimeError("the check crashed")
    assert limiter.check("peer") == 10


async def test_limiter_refuses_past_the_waiting_queue() -> None:
    limiter = LoginLimiter(clock=FakeClock())
    release = asyncio.Event()
    outcomes: list[str] = []

    async def login() -> None:
        try:
            async with limiter.attempt("peer", max_waiting=2) as attempt:
                await release.wait()
                attempt.succeeded()
                outcomes.append("ran")
        except LoginThrottled as throttled:
            outcomes.append(f"refused: {throttled.reason}")

    tasks = [asyncio.create_task(login()) for _ in range(6)]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert outcomes.count("ran") == 3
    assert outcomes.count("refused: too many logins waiting") == 3


def test_limiter_forgets_escalation_after_quiet_period() -> None:
    clock = FakeClock()
    start = clock.now
    limiter = LoginLimiter(clock=clock, forget_after=600)
    for _ in range(5):
        limiter.failed("peer")
    assert limiter.check("peer") == 10
    # Another peer's failure just before makes the memory clean-up run then, not later,
    # so the peer's own record is still there when it comes back.
    clock.now = start + 590
    limiter.failed("other")
    clock.now = start + 601
    for _ in range(5):
        limiter.failed("peer")
    assert limiter.check("peer") == 10  # first lockout again, not the doubled 20


def test_limiter_escalation_survives_short_quiet_period() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock, forget_after=600)
    for _ in range(5):
        limiter.failed("peer")
    clock.now += 300
    for _ in range(5):
        limiter.failed("peer")
    assert limiter.check("peer") == 20


def test_limiter_drops_idle_peers() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock)
    for number in range(100):
        limiter.failed(f"10.0.0.{number}")
    clock.now += 3601
    limiter.failed("10.0.1.1")
    assert len(limiter._peers) == 1  # the hundred one-off peers are gone
