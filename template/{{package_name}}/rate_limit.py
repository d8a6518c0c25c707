"""A token bucket: how many messages one connection may send, and how fast."""

import time


class TokenBucket:
    """Allows `rate` events per second on average, in bursts of up to `capacity`.

    A rate of 0 allows everything (the limit is off).
    """

    __slots__ = ("_last", "_tokens", "capacity", "rate")

    def __init__(self, rate: float, capacity: float | None = None) -> None:
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, 2 * rate)
        self._tokens = self.capacity
        self._last = time.monotonic()

    def allow(self) -> bool:
        """Take one token if there is one; False means the event is over the limit."""
        if not self.rate:
            return True
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False
