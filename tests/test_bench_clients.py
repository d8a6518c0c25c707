"""The client benchmarks' own arithmetic (the runs themselves are `python -m bench herd`)."""

import pytest

from bench.herd import peak_rate


def test_peak_rate_counts_the_busiest_window_per_second() -> None:
    times = [0.0, 0.01, 0.02, 0.5, 0.55, 0.56, 0.57, 2.0]
    assert peak_rate(times, window=0.1) == pytest.approx(40.0)  # 0.5-0.57: 4 in 0.1 s


def test_peak_rate_ignores_order_and_handles_one_event() -> None:
    assert peak_rate([0.3, 0.1, 0.2], window=1.0) == pytest.approx(3.0)
    assert peak_rate([5.0], window=0.5) == pytest.approx(2.0)
    assert peak_rate([], window=0.1) == 0.0
