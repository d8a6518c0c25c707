"""Reconnect delays: exponential, with full jitter (as centrifuge-js), between two bounds."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delay before reconnect attempt `step` (0-based): uniform in [min, min + 2**step * min].

    Always within [``min``, ``max``]; ``jitter=False`` gives the upper bound itself, which
    makes clients that lost the same server come back at the same instants (a herd).
    """

    min: float = 0.5
    max: float = 20.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.min <= self.max:
            raise ValueError("Backoff needs 0 <= min <= max")

    def delay(self, step: int) -> float:
        """Seconds to wait before attempt `step`."""
        ceiling = min(self.max, self.min * 2 ** min(step, 31))
        spread = random.uniform(0, ceiling) if self.jitter else ceiling
        return min(self.max, self.min + spread)
