"""The per-client rate limit: a fixed one-minute window, counted on a clock the test moves by hand."""

from __future__ import annotations

from thinggate.api.sensordata.ratelimit import ClientRateLimit


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_past_its_minute_waits_for_the_next_and_others_are_not_held() -> None:
    clock = Clock()
    limit = ClientRateLimit(3, clock=clock)
    assert [limit.take("a") for _ in range(3)] == [(2, 0), (1, 0), (0, 0)]
    clock.now += 20.5
    assert limit.take("a") == (0, 40)  # the rest of the window, rounded up
    assert limit.take("b") == (2, 0)
    clock.now += 39.5  # 60 s after the window began: a new one
    assert limit.take("a") == (2, 0)


def test_revoked_clients_are_forgotten() -> None:
    limit = ClientRateLimit(1, clock=Clock())
    limit.take("kept")
    limit.take("revoked")
    limit.forget({"kept"})
    assert limit.take("revoked") == (0, 0)  # counted afresh
    assert limit.take("kept")[1] > 0
