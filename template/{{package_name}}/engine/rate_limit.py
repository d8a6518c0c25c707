# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""A token bucket: how many messages one connection may send, and how fast."""

import time
from collections.abc import Callable

NANOSECONDS = 1_000_000_000


class TokenBucket:
    """Allows `rate` events per second on average, in bursts of up to `capacity`.

    A rate of 0 allows everything (the limit is off). Kept as one number, the time at
    which the bucket would be full again (GCRA, the generic cell rate algorithm): the
    same decisions as counting tokens, for one clock read and one comparison per event.
    Times are integer nanoseconds, so a burst at one instant is counted exactly.
    """

    __slots__ = ("_clock", "_full_at", "_interval", "_tolerance", "capacity", "rate")

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, 2 * rate)
        self._clock = clock
        # Each event costs `_interval` ns of budget; at most `_tolerance` ns may be owed.
        self._interval = round(NANOSECONDS / rate) if rate else 0
        self._tolerance = round((self.capacity - 1) * self._interval)
        self._full_at = clock()

    def allow(self) -> bool:
        """Take one token if there is one; False means the event is over the limit."""
        if not self.rate:
            return True
        now = self._clock()
        full_at = self._full_at if self._full_at > now else now
        if full_at - now > self._tolerance:
            return False
        self._full_at = full_at + self._interval
        return True
