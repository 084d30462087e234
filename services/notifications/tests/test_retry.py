"""The retry schedule of failed deliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications.domain.retry import RetryPolicy

POLICY = RetryPolicy(first_delay=timedelta(seconds=10), max_delay=timedelta(minutes=30), max_attempts=10)


def test_delays_double_from_the_first_and_stop_at_the_cap() -> None:
    delays = [POLICY.delay_after(n).total_seconds() for n in range(1, 11)]
    # 10·2^(n-1): 10, 20, 40, 80, 160, 320, 640, 1280, then 2560 and 5120 capped to 1800.
    assert delays == [10, 20, 40, 80, 160, 320, 640, 1280, 1800, 1800]


def test_a_long_failing_delivery_does_not_overflow() -> None:
    assert POLICY.delay_after(10_000) == timedelta(minutes=30)


def test_gives_up_at_the_limit() -> None:
    assert not POLICY.gives_up(9)
    assert POLICY.gives_up(10)


def test_no_delay_before_any_attempt() -> None:
    with pytest.raises(ValueError, match="at least one"):
        POLICY.delay_after(0)
