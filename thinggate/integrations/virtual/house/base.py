"""What every device of the simulated house shares: per-thing timers in simulated time.

Devices that change by themselves (a blind travelling, a room warming up, sensors wandering) run
asyncio timers in *simulated* time: one simulated second lasts 1 / integration.time_scale real
seconds, so tests can run a 20 s blind travel in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from thinggate.core.model import Action, StateType, Thing
from thinggate.integrations.virtual.behaviour import DeviceBehaviour

if TYPE_CHECKING:
    from thinggate.integrations.virtual import VirtualIntegration

_LOG = logging.getLogger(__name__)

ADD_GRACE_SECONDS = 120.0
"""Real seconds a timer started in setup waits for the hub to add its thing before giving up."""
ADD_POLL_SECONDS = 0.02
"""Real seconds between two looks for a thing that is still being added."""

TimerBody = Callable[[uuid.UUID], Coroutine[Any, Any, None]]


class HouseBehaviour(DeviceBehaviour):
    """Base of the house devices: per-thing timers that run in simulated time."""

    def __init__(self, integration: VirtualIntegration) -> None:
        super().__init__(integration)
        self._timers: dict[uuid.UUID, dict[str, asyncio.Task[None]]] = {}
        self.random = random.Random()

    # -- simulated time ---------------------------------------------------------------------

    @property
    def time_scale(self) -> float:
        """How many simulated seconds pass per real second."""
        scale = float(getattr(self.integration, "time_scale", 1.0))
        # A zero or negative scale would stall or crash the sleeps; treat it as real time.
        return scale if scale > 0 else 1.0

    async def sleep(self, simulated_seconds: float) -> None:
        """Sleep for a span of simulated time."""
        await asyncio.sleep(simulated_seconds / self.time_scale)

    # -- timers -----------------------------------------------------------------------------

    def timer_names(self, thing_id: uuid.UUID) -> tuple[str, ...]:
        """Names of the timers still running for a thing (for diagnostics and tests)."""
        return tuple(name for name, task in self._timers.get(thing_id, {}).items() if not task.done())

    def start_timer(self, thing: Thing, name: str, body: TimerBody) -> None:
        """Run body(thing_id) as the thing's timer `name`, replacing one of that name."""
        timers = self._timers.setdefault(thing.id, {})
        previous = timers.get(name)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(
            self._run_timer(thing.id, name, body), name=f"{thing.thing_class.name}:{thing.id}:{name}"
        )
        timers[name] = task
        task.add_done_callback(lambda done: self._forget(thing.id, name, done))

    async def cancel_timer(self, thing_id: uuid.UUID, name: str) -> None:
        """Stop one timer of a thing and wait until it has stopped."""
        task = self._timers.get(thing_id, {}).get(name)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            # asyncio.wait neither raises the task's CancelledError nor swallows our own cancellation.
            await asyncio.wait([task])

    async def cancel_timers(self, thing_id: uuid.UUID) -> None:
        """Stop every timer of a thing and wait until they have stopped."""
        tasks = [task for task in self._timers.pop(thing_id, {}).values() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def stop(self) -> None:
        """Stop the timers of every thing (when the integration stops)."""
        for thing_id in list(self._timers):
            await self.cancel_timers(thing_id)

    async def removed(self, thing: Thing) -> None:
        """The thing is gone (or is set up anew): stop its timers."""
        await self.cancel_timers(thing.id)

    def _forget(self, thing_id: uuid.UUID, name: str, task: asyncio.Task[None]) -> None:
        timers = self._timers.get(thing_id)
        if timers is not None and timers.get(name) is task:
            del timers[name]
            if not timers:
                del self._timers[thing_id]

    async def _run_timer(self, thing_id: uuid.UUID, name: str, body: TimerBody) -> None:
        try:
            await body(thing_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A timer runs unobserved: log its failure rather than leave an unretrieved task exception.
            _LOG.exception("timer %r of thing %s failed", name, thing_id)

    # -- looking things up from timers ------------------------------------------------------

    def live(self, thing_id: uuid.UUID) -> Thing | None:
        """The hub's current object for a thing, or None while the hub does not know it."""
        # Timers look the thing up on every tick: the hub may replace the object on reconfigure.
        thing: Thing | None = self.host.thing(thing_id)
        return thing

    async def every(
        self, thing_id: uuid.UUID, interval: Callable[[Thing], float], tick: Callable[[Thing], bool]
    ) -> None:
        """Call tick(thing) every interval(thing) simulated seconds until it returns False or the thing goes."""
        loop = asyncio.get_running_loop()
        waiting_since = loop.time()
        seen = False
        while True:
            thing = self.live(thing_id)
            if thing is None:
                # Started in setup, the timer runs before the hub has added the thing. Once it was
                # known and is gone, it was removed without telling us; if it never shows up, its
                # add failed after our setup. Either way nobody will cancel us: stop.
                if seen or loop.time() - waiting_since > ADD_GRACE_SECONDS:
                    return
                await asyncio.sleep(ADD_POLL_SECONDS)
                continue
            seen = True
            await self.sleep(interval(thing))
            thing = self.live(thing_id)
            if thing is None:
                return
            if not tick(thing):
                return


def drift(current: float, target: float, step: float) -> float:
    """Move current toward target by at most step (rounded so values stay readable)."""
    if abs(target - current) <= step:
        return float(target)
    return round(current + step if target > current else current - step, 2)


def wander(rng: random.Random, value: float, step: float, low: float, high: float, digits: int) -> float:
    """One step of a bounded random walk."""
    return round(min(high, max(low, value + rng.uniform(-step, step))), digits)


def written_value(action: Action, state_type: StateType) -> tuple[bool, Any]:
    """Whether the action is the one generated by a writable state, and the value it writes."""
    if action.action_type_id == state_type.id:
        return True, action.params[state_type.id]
    return False, None
