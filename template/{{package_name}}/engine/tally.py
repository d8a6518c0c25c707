# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Per-message timings kept as plain numbers, added to Prometheus histograms in one go."""

from bisect import bisect_left
from typing import Any

# Handler and publish times, 50 us to 2.5 s: from an echo to a Redis publish that waited.
TIME_BUCKETS = (
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1.0, 2.5,
)  # fmt: skip


class Tally:
    """Observations kept as plain numbers between two flushes into a Prometheus histogram.

    ``buckets[i]`` counts observations up to ``TIME_BUCKETS[i]``; the last one, the rest.
    """

    __slots__ = ("buckets", "seconds")

    def __init__(self) -> None:
        self.buckets = [0] * (len(TIME_BUCKETS) + 1)
        self.seconds = 0.0

    def observe(self, seconds: float) -> None:
        """Count one observation: two increments, nothing else."""
        self.buckets[bisect_left(TIME_BUCKETS, seconds)] += 1
        self.seconds += seconds

    def take(self) -> tuple[list[int], float]:
        """The observations since the last `take`, leaving the tally empty."""
        buckets, seconds = self.buckets, self.seconds
        self.buckets = [0] * len(buckets)
        self.seconds = 0.0
        return buckets, seconds


def add_observations(child: Any, buckets: list[int], seconds: float) -> None:
    """Add many observations to a histogram child at once.

    prometheus-client has no public call for it; its per-bucket values (``_buckets``, not
    cumulative, ``+Inf`` last) and ``_sum`` have been stable for years, and a test compares
    the result with ``observe`` called once per value.
    """
    for value, count in zip(child._buckets, buckets, strict=True):
        if count:
            value.inc(count)
    child._sum.inc(seconds)
