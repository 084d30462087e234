"""When to try a failed delivery again, and when to give up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: timedelta
    max_delay: timedelta
    max_attempts: int

    def delay_after(self, attempts: int) -> timedelta:
        """Pause after the ``attempts``-th failed try: doubling from ``first_delay``, capped.

        With 10 s and a 30 min cap: 10 s, 20 s, 40 s, ... 1280 s, then 1800 s.
        """
        if attempts < 1:
            raise ValueError("a delay follows at least one attempt")
        # min() on the exponent first keeps 2**n small for long-failing deliveries.
        delay = self.first_delay * 2 ** min(attempts - 1, 32)
        return delay if delay < self.max_delay else self.max_delay

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
